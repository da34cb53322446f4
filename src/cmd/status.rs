//! `es-autoconf status`: the request from the arguments, the report printed as text, a
//! monitoring-plugin status line, or JSON.

use esac_app::status::StatusRequest;
use esac_app::{Failure, Paths};
use esac_status::{ExitCodes, FailOn, Thresholds};

use crate::cli::{ExitCodeMode, FailOnArg, Format, StatusArgs};
use crate::printer::Printer;
use crate::{json, text};

/// The exit-code mode; `--fail-on` belongs to Elasticsearch's codes (a monitoring plugin's
/// codes already tell a warning from a critical finding).
pub fn mode(a: &StatusArgs) -> Result<ExitCodes, Failure> {
    match (a.exit_codes, a.fail_on) {
        (ExitCodeMode::Es, None | Some(FailOnArg::Critical)) => Ok(ExitCodes::Es(FailOn::Critical)),
        (ExitCodeMode::Es, Some(FailOnArg::Warning)) => Ok(ExitCodes::Es(FailOn::Warning)),
        (ExitCodeMode::Nagios, None) => Ok(ExitCodes::Nagios),
        (ExitCodeMode::Nagios, Some(_)) => Err(Failure::Usage(
            "--fail-on applies to --exit-codes es; with --exit-codes nagios a warning is 1 and a \
             critical finding 2"
                .into(),
        )),
    }
}

pub fn run(paths: &Paths, a: &StatusArgs, printer: &Printer) -> Result<u8, Failure> {
    let mode = mode(a)?;
    let req = StatusRequest {
        settings: a.settings.clone(),
        es_user: a.es_user.clone(),
        thresholds: Thresholds {
            warn_days: i64::from(a.warn_days),
            crit_days: i64::from(a.crit_days),
        },
    };
    let outcome = esac_app::status::run(paths, &req, printer)?;
    let code = outcome.report.exit_code(mode);
    match (printer.format, mode) {
        (Format::Json, _) => printer.json(&json::Status::of(&outcome, mode, code, printer.notes())),
        (Format::Text, ExitCodes::Nagios) => {
            printer.out(&text::status_nagios(&outcome, printer.verbosity))
        }
        (Format::Text, ExitCodes::Es(_)) => {
            printer.out(&text::status_text(&outcome, code, printer.verbosity))
        }
    }
    Ok(code)
}
