//! `es-autoconf renew http | http-ca`: the request from the arguments, the outcome printed.

use esac_app::renew::{RenewRequest, Target};
use esac_app::{Failure, Paths};
use esac_certspec::SanMode;

use crate::cli::{RenewCommand, RenewCommonArgs, Sans};
use crate::printer::Printer;
use crate::text;

fn request(c: &RenewCommonArgs) -> RenewRequest {
    RenewRequest {
        settings: c.settings.clone(),
        dry_run: c.dry_run,
        within: c.within,
        force: c.force,
        san_mode: match c.sans {
            Sans::Union => SanMode::Union,
            Sans::Current => SanMode::Current,
            Sans::Keep => SanMode::Keep,
        },
        add_sans: c.add_san.clone(),
        reuse_key: c.reuse_key,
        key_type: c.key_type,
        keep_backup: c.keep_backup,
        wait_reload: c.wait_reload.clone(),
        require_reload: c.require_reload,
        ..RenewRequest::default()
    }
}

pub fn run(paths: &Paths, cmd: &RenewCommand, printer: &Printer) -> Result<u8, Failure> {
    let (target, req) = match cmd {
        RenewCommand::Http(a) => (
            Target::Http,
            RenewRequest {
                days: Some(a.days),
                no_cap: a.no_cap,
                ..request(&a.common)
            },
        ),
        RenewCommand::HttpCa(a) => (
            Target::HttpCa,
            RenewRequest {
                days: Some(a.days),
                with_leaf: a.with_leaf,
                import_ca_cert: a.import_ca_cert.clone(),
                ..request(&a.common)
            },
        ),
    };
    let outcome = esac_app::renew::renew(paths, target, &req, printer)?;
    Ok(text::renew_outcome(paths, &req, &outcome, printer))
}
