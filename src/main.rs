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
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                // Monitoring plugins answer bad arguments with UNKNOWN.
                _ if monitoring_mode(std::env::args()) => {
                    println!("ES-AUTOCONF UNKNOWN - invalid command line (see standard error)");
                    ExitCode::from(esac_status::NAGIOS_UNKNOWN)
                }
                _ => ExitCode::from(EsExit::Usage.code()),
            };
        }
    };
    init_logging(&cli.global);
    let printer = printer::Printer::new(&cli.global);
    ExitCode::from(cmd::run(&cli, &printer))
}

/// Whether a command line that clap refused asked for `--exit-codes nagios`.
fn monitoring_mode(args: impl Iterator<Item = String>) -> bool {
    let args: Vec<String> = args.collect();
    args.iter().any(|a| a == "--exit-codes=nagios")
        || args
            .windows(2)
            .any(|w| w[0] == "--exit-codes" && w[1] == "nagios")
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
