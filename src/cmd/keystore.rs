//! `es-autoconf keystore`: list, has-password, show.
//!
//! Each subcommand answers like its `elasticsearch-keystore` counterpart (`ListKeyStoreCommand`,
//! `HasPasswordKeyStoreCommand`, `ShowKeyStoreCommand`): same messages, same exit codes. The one
//! deliberate difference: `show` prints a value only to a terminal unless `--reveal` is given,
//! so a value never lands in a log or a CI transcript by accident.

use std::io::{self, IsTerminal, Write};

use esac_core::{EsExit, UserError};
use esac_keystore::open::{OpenedKeystore, PASSPHRASE_FILE_ENV};
use esac_keystore::{open_keystore, store, PasswordSource};
use serde_json::json;

use esac_fs::apply::keystore_error;

use crate::cli::{Format, GlobalArgs, KeystoreCommand};
use crate::paths::Paths;

/// Runs a keystore subcommand.
pub fn run(global: &GlobalArgs, cmd: &KeystoreCommand) -> Result<EsExit, UserError> {
    let paths = Paths::resolve(global)?;
    match cmd {
        KeystoreCommand::List => list(global, &paths),
        KeystoreCommand::HasPassword => has_password(global, &paths),
        KeystoreCommand::Show { name, reveal } => show(&paths, name, *reveal),
    }
}

/// `elasticsearch-keystore list`: names sorted, one per line (NORMAL verbosity, so `-s` hides
/// them, as in Elasticsearch).
fn list(global: &GlobalArgs, paths: &Paths) -> Result<EsExit, UserError> {
    let opened = open(paths)?;
    let names: Vec<&str> = opened.keystore.names().collect();
    let mut text = String::new();
    match global.format {
        Format::Json => text = format!("{}\n", json!({ "names": names })),
        Format::Text if global.silent => {}
        Format::Text => names.iter().for_each(|n| text.push_str(&format!("{n}\n"))),
    }
    write_stdout(text.as_bytes())?;
    Ok(EsExit::Ok)
}

/// `elasticsearch-keystore has-passwd`: exit 0 and "Keystore is password-protected" when it is;
/// otherwise exit 1 with an `ERROR:` line on stderr (a missing keystore included). Nothing is
/// decrypted and no password is read.
fn has_password(global: &GlobalArgs, paths: &Paths) -> Result<EsExit, UserError> {
    let path = paths.keystore();
    let file = store::load(&path).map_err(|e| keystore_error(&e))?;
    let protected = file.as_ref().is_some_and(|f| f.has_password());
    if global.format == Format::Json {
        let doc = json!({
            "path": path,
            "exists": file.is_some(),
            "has_password": protected,
        });
        write_stdout(format!("{doc}\n").as_bytes())?;
    } else if !global.silent {
        match &file {
            None => eprintln!("ERROR: Elasticsearch keystore not found"),
            Some(_) if !protected => eprintln!("ERROR: Keystore is not password-protected"),
            Some(_) => write_stdout(b"Keystore is password-protected\n")?,
        }
    }
    if protected {
        Ok(EsExit::Ok)
    } else {
        // Elasticsearch's `HasPasswordKeyStoreCommand.NO_PASSWORD_EXIT_CODE`.
        Ok(EsExit::Failure)
    }
}

/// `elasticsearch-keystore show NAME`, printing only to a terminal unless `--reveal`.
fn show(paths: &Paths, name: &str, reveal: bool) -> Result<EsExit, UserError> {
    let stdout_is_terminal = io::stdout().is_terminal();
    // Refuse before reading any password: there is nothing to ask for if nothing will be shown.
    if !stdout_is_terminal && !reveal {
        return Err(UserError::new(
            EsExit::Usage,
            format!(
                "refusing to print the value of [{name}]: standard output is not a terminal\n\n\
                 hint: pass --reveal to print it anyway"
            ),
        ));
    }
    let opened = open(paths)?;
    let Some(value) = opened.keystore.get(name) else {
        return Err(UserError::new(
            EsExit::Config,
            format!("Setting [{name}] does not exist in the keystore."),
        ));
    };
    match (value.expose_str(), stdout_is_terminal) {
        // Like Elasticsearch: a line on a console, the bare value into a pipe or file.
        (Some(text), true) => write_stdout(format!("{text}\n").as_bytes())?,
        (Some(_), false) | (None, false) => write_stdout(value.expose())?,
        (None, true) => {
            eprintln!(
                "The value for the setting [{name}] is not a string and cannot be printed to the \
                 console"
            );
            return Err(UserError::new(
                EsExit::IoError,
                "Please redirect binary output to a file instead",
            ));
        }
    }
    Ok(EsExit::Ok)
}

/// Loads and decrypts the keystore (`BaseKeyStoreCommand` with `keyStoreMustExist`).
fn open(paths: &Paths) -> Result<OpenedKeystore, UserError> {
    let source = PasswordSource::from_passphrase_file_var(std::env::var_os(PASSPHRASE_FILE_ENV));
    match open_keystore(&paths.config_dir, &source) {
        Ok(Some(opened)) => Ok(opened),
        Ok(None) => Err(UserError::new(
            EsExit::DataError,
            format!(
                "Elasticsearch keystore not found at [{}]. Use 'create' command to create one.",
                paths.keystore().display()
            ),
        )),
        Err(e) => Err(keystore_error(&e)),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth reporting.
fn write_stdout(bytes: &[u8]) -> Result<(), UserError> {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(UserError::new(
            EsExit::IoError,
            format!("cannot write to standard output: {e}"),
        )),
    }
}
