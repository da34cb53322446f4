//! The `es-autoconf` binary: parses the command line, calls one function of the application
//! layer (`esac-app`) per command, prints through one [`printer::Printer`], and exits. Nothing
//! here decides anything.

#![forbid(unsafe_code)]

mod cli;
mod cmd;
mod json;
mod printer;
mod text;

use std::process::ExitCode;

use clap::Parser;
use esac_core::EsExit;

fn main() -> ExitCode {
    // First of all: nothing this process holds may end up in a core file.
    let refused = esac_app::runtime::no_core_dumps();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(EsExit::Usage.code()),
            };
        }
    };
    init_logging(&cli.global);
    for r in refused {
        tracing::debug!("{r}");
    }
    let printer = printer::Printer::new(&cli.global);
    ExitCode::from(cmd::run(&cli, &printer))
}

/// Logs go to standard error: warnings by default, each executor step with `-v`, errors only with
/// `-s`. Nothing logged is secret: steps, paths and exit codes only.
fn init_logging(global: &cli::GlobalArgs) {
    let level = if global.verbose {
        tracing::Level::DEBUG
    } else if global.silent {
        tracing::Level::ERROR
    } else {
        tracing::Level::WARN
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .without_time()
        .with_target(false)
        .try_init();
}
