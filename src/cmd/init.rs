//! `es-autoconf init` and `reconfigure`: the request from the arguments, the outcome printed.

use esac_app::init::InitRequest;
use esac_app::{Failure, Paths};

use crate::cli::{Format, InitArgs, ReconfigureArgs};
use crate::printer::Printer;
use crate::text;

fn request(a: &InitArgs, printer: &Printer) -> Result<InitRequest, Failure> {
    // A bundle node joins no cluster by token: a stray $ENROLLMENT_TOKEN is not read.
    let enrollment_token = if a.bundle.is_some() {
        None
    } else {
        esac_app::token_input::enrollment_token(
            a.enrollment_token.as_deref(),
            a.enrollment_token_file.as_deref(),
        )?
    };
    Ok(InitRequest {
        settings: a.settings.clone(),
        dry_run: a.dry_run,
        key_type: a.key_type,
        keystore_format: a.keystore_format,
        credentials_file: a.credentials_file.clone(),
        group: a.group.clone(),
        enrollment_token,
        json: printer.format == Format::Json,
        bundle: a.bundle.clone(),
        bundle_passphrase_file: a.bundle_passphrase_file.clone(),
    })
}

pub fn init(paths: &Paths, a: &InitArgs, printer: &Printer) -> Result<u8, Failure> {
    let outcome = esac_app::init::init(paths, &request(a, printer)?, printer)?;
    Ok(text::init_outcome(
        "init", paths, a.dry_run, &outcome, printer,
    ))
}

pub fn reconfigure(paths: &Paths, a: &ReconfigureArgs, printer: &Printer) -> Result<u8, Failure> {
    if a.init.bundle.is_some() {
        return Err(Failure::Usage(
            "--bundle applies to init, not reconfigure".into(),
        ));
    }
    let outcome = esac_app::init::reconfigure(paths, &request(&a.init, printer)?, a.yes, printer)?;
    Ok(text::init_outcome(
        "reconfigure",
        paths,
        a.init.dry_run,
        &outcome,
        printer,
    ))
}
