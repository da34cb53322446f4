//! The `es-autoconf` binary: argument parsing and exit codes only.

#![forbid(unsafe_code)]

mod cli;
mod cmd;
mod paths;

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
                _ => ExitCode::from(EsExit::Usage.code()),
            };
        }
    };
    init_logging(&cli.global);
    let result = match &cli.command {
        cli::Command::Init(args) => cmd::init::run(&cli.global, args),
        cli::Command::Keystore(c) => cmd::keystore::run(&cli.global, c),
        cli::Command::Reconfigure(a) => cmd::init::run_kind(
            &cli.global,
            &a.init,
            cmd::init::Kind::Reconfigure { yes: a.yes },
        ),
        cli::Command::EnrollmentToken(a) => cmd::enrollment_token::run(&cli.global, a),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            eprintln!("ERROR: {}", e.message);
            ExitCode::from(e.exit.code())
        }
    }
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
