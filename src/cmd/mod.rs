//! One function per command: resolve the paths, call the application layer, print the outcome
//! or the failure. Each returns the process exit status.

mod finalize;
mod init;
mod keystore;
mod layout;
mod renew;
mod status;
mod token;

use esac_app::Paths;

use crate::cli::{Cli, Command};
use crate::printer::Printer;

/// Runs the command and returns the exit status.
pub fn run(cli: &Cli, printer: &Printer) -> u8 {
    let g = &cli.global;
    let (name, paths) = (
        command_name(&cli.command),
        Paths::resolve(g.es_home.as_deref(), g.config_dir.as_deref()),
    );
    // Monitoring mode: every failure, bad arguments included, is UNKNOWN.
    let fail = |f: &esac_app::Failure, paths: Option<&Paths>| match &cli.command {
        Command::Status(a) if a.exit_codes == crate::cli::ExitCodeMode::Nagios => {
            printer.monitoring_failure(name, f, paths)
        }
        _ => printer.failure(name, f, paths),
    };
    let paths = match paths {
        Ok(p) => p,
        Err(f) => return fail(&f, None),
    };
    let result = match &cli.command {
        Command::Init(a) => init::init(&paths, a, printer),
        Command::Reconfigure(a) => init::reconfigure(&paths, a, printer),
        Command::Keystore(c) => keystore::run(&paths, c, printer),
        Command::EnrollmentToken(a) => token::run(&paths, a, printer),
        Command::Renew(c) => renew::run(&paths, c, printer),
        Command::Finalize(a) => finalize::run(&paths, a, printer),
        Command::Layout(a) => layout::run(a, printer),
        Command::Status(a) => status::run(&paths, a, printer),
    };
    match result {
        Ok(code) => code,
        Err(f) => fail(&f, Some(&paths)),
    }
}

fn command_name(c: &Command) -> &'static str {
    use crate::cli::KeystoreCommand as K;
    match c {
        Command::Init(_) => "init",
        Command::Reconfigure(_) => "reconfigure",
        Command::Keystore(K::List) => "keystore list",
        Command::Keystore(K::HasPassword) => "keystore has-password",
        Command::Keystore(K::Show { .. }) => "keystore show",
        Command::EnrollmentToken(_) => "enrollment-token",
        Command::Renew(crate::cli::RenewCommand::Http(_)) => "renew http",
        Command::Renew(crate::cli::RenewCommand::HttpCa(_)) => "renew http-ca",
        Command::Finalize(_) => "finalize",
        Command::Layout(_) => "layout",
        Command::Status(_) => "status",
    }
}
