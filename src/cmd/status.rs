//! `es-autoconf status`: the request from the arguments, the report printed as text, a
//! monitoring-plugin status line, or JSON.

use esac_app::status::StatusRequest;
use esac_app::{Failure, Paths};
use esac_status::{ExitCodes, Thresholds};

use crate::cli::{ExitCodeMode, Format, StatusArgs};
use crate::printer::Printer;
use crate::{json, text};

pub fn mode(a: &StatusArgs) -> ExitCodes {
    match a.exit_codes {
        ExitCodeMode::Es => ExitCodes::Es,
        ExitCodeMode::Nagios => ExitCodes::Nagios,
    }
}

pub fn run(paths: &Paths, a: &StatusArgs, printer: &Printer) -> Result<u8, Failure> {
    let req = StatusRequest {
        settings: a.settings.clone(),
        es_user: a.es_user.clone(),
        thresholds: Thresholds {
            warn_days: i64::from(a.warn_days),
            crit_days: i64::from(a.crit_days),
        },
    };
    let outcome = esac_app::status::run(paths, &req, printer)?;
    let mode = mode(a);
    let code = outcome.report.exit_code(mode);
    match (printer.format, mode) {
        (Format::Json, _) => printer.json(&json::Status::of(&outcome, mode, code, printer.notes())),
        (Format::Text, ExitCodes::Nagios) => {
            printer.out(&text::status_nagios(&outcome, printer.verbosity))
        }
        (Format::Text, ExitCodes::Es) => {
            printer.out(&text::status_text(&outcome, code, printer.verbosity))
        }
    }
    Ok(code)
}
