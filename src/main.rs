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
/// `-s`; `RUST_LOG`, when set and not empty, chooses instead (tracing's `target=level` directives,
/// e.g. `debug` or `warn,esac_exec=debug`). Nothing logged is secret: steps, paths and exit codes
/// only.
fn init_logging(global: &cli::GlobalArgs) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;

    let level = if global.verbose {
        LevelFilter::DEBUG
    } else if global.silent {
        LevelFilter::ERROR
    } else {
        LevelFilter::WARN
    };
    let from_flags = Targets::new().with_default(level);
    let (filter, ignored) = match esac_app::env::lookup(esac_app::env::RUST_LOG) {
        Some(v) if !v.trim().is_empty() => match v.parse::<Targets>() {
            Ok(t) => (t, None),
            Err(e) => (from_flags, Some(format!("{v:?}: {e}"))),
        },
        _ => (from_flags, None),
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
    if let Some(why) = ignored {
        tracing::warn!("ignoring RUST_LOG {why}");
    }
}
