//! `es-autoconf layout`: the request from the arguments, the bundle (or its plan) printed.

use esac_app::layout::{LayoutOutcome, LayoutRequest};
use esac_app::Failure;

use crate::cli::{Format, LayoutArgs};
use crate::json;
use crate::printer::Printer;

pub fn run(a: &LayoutArgs, printer: &Printer) -> Result<u8, Failure> {
    let req = LayoutRequest {
        instances: a.input.clone(),
        out: a.out.clone(),
        masters: a.masters.clone(),
        seed_addresses: a.seed_addresses.clone(),
        transport_port: a.transport_port,
        shared_transport_key: a.shared_transport_key,
        no_loopback_sans: a.no_loopback_sans,
        key_type: a.key_type,
        passphrase_file: a.bundle_passphrase_file.clone(),
        ca_dir: a.ca_dir.clone(),
        dry_run: a.dry_run,
    };
    let outcome = esac_app::layout::layout(&req, printer)?;
    if printer.format == Format::Json {
        printer.json(&json::LayoutReport::of(&outcome, printer.notes()));
        return Ok(0);
    }
    match &outcome {
        LayoutOutcome::Planned(plan) => {
            printer.out(&format!(
                "Dry run: nothing was written.\n\n{}",
                esac_core::bundle::plan_text(plan)
            ));
        }
        LayoutOutcome::Written { plan, manifest } => {
            printer.out(&crate::text::layout_summary(plan, manifest));
        }
    }
    Ok(0)
}
