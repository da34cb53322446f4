//! `es-autoconf finalize`: the request from the arguments, the outcome printed.

use esac_app::finalize::FinalizeRequest;
use esac_app::{Failure, Paths};

use crate::cli::FinalizeArgs;
use crate::printer::Printer;
use crate::text;

pub fn run(paths: &Paths, a: &FinalizeArgs, printer: &Printer) -> Result<u8, Failure> {
    let req = FinalizeRequest {
        settings: a.settings.clone(),
        dry_run: a.dry_run,
        remove_password_hash: a.remove_password_hash,
        clean_backups: a.clean_backups,
        assume_formed: a.assume_formed,
        seed_hosts: a.seed_hosts.as_ref().map(|h| h.0.clone()),
    };
    let outcome = esac_app::finalize::finalize(paths, &req, printer)?;
    Ok(text::finalize_outcome(paths, a.dry_run, &outcome, printer))
}
