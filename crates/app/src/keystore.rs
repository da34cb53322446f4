//! `es-autoconf keystore list | has-password | show`, answering like their
//! `elasticsearch-keystore` counterparts (`ListKeyStoreCommand`, `HasPasswordKeyStoreCommand`,
//! `ShowKeyStoreCommand`). The one deliberate difference: `show` gives a value only to a
//! terminal unless `--reveal` is given, so a value never lands in a log by accident.

use std::path::PathBuf;

use esac_keystore::{open_keystore, store, OpenedKeystore};
use esac_secret::Secret;

use crate::{runtime, Console, Failure, Paths};

/// `keystore list`: the setting names, sorted.
pub fn list(paths: &Paths) -> Result<Vec<String>, Failure> {
    let opened = open(paths)?;
    Ok(opened.keystore.names().map(str::to_owned).collect())
}

/// What `keystore has-password` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HasPassword {
    /// The keystore.
    pub path: PathBuf,
    /// Whether it exists.
    pub exists: bool,
    /// Whether it is password-protected.
    pub protected: bool,
}

/// `keystore has-password`: nothing is decrypted and no password is read.
pub fn has_password(paths: &Paths) -> Result<HasPassword, Failure> {
    let path = paths.keystore();
    let file = store::load(&path).map_err(Failure::Keystore)?;
    Ok(HasPassword {
        exists: file.is_some(),
        protected: file.as_ref().is_some_and(|f| f.has_password()),
        path,
    })
}

/// A value `keystore show` may print, and how.
#[derive(Debug)]
pub enum Shown {
    /// Text, for a terminal: printed with a newline.
    Line(Secret),
    /// The bare bytes, for a pipe or file (`--reveal`).
    Raw(Secret),
}

/// `keystore show NAME`.
pub fn show(
    paths: &Paths,
    name: &str,
    reveal: bool,
    console: &dyn Console,
) -> Result<Shown, Failure> {
    let terminal = console.stdout_is_terminal();
    // Refuse before reading any password: there is nothing to ask for if nothing will be shown.
    if !terminal && !reveal {
        return Err(Failure::Refused(format!(
            "refusing to print the value of [{name}]: standard output is not a terminal\n\nhint: pass --reveal to print it anyway"
        )));
    }
    let opened = open(paths)?;
    let value = opened
        .keystore
        .get(name)
        .ok_or_else(|| Failure::SettingNotFound(name.to_owned()))?
        .clone();
    match (value.expose_str().is_some(), terminal) {
        // Like Elasticsearch: a line on a console, the bare value into a pipe or file.
        (true, true) => Ok(Shown::Line(value)),
        (_, false) => Ok(Shown::Raw(value)),
        (false, true) => {
            console.note(&format!(
                "The value for the setting [{name}] is not a string and cannot be printed to the console"
            ));
            Err(Failure::NotPrintable(name.to_owned()))
        }
    }
}

/// Loads and decrypts the keystore (`BaseKeyStoreCommand` with `keyStoreMustExist`).
fn open(paths: &Paths) -> Result<OpenedKeystore, Failure> {
    match open_keystore(&paths.config_dir, &runtime::password_source()) {
        Ok(Some(opened)) => Ok(opened),
        Ok(None) => Err(Failure::KeystoreNotFound(paths.keystore())),
        Err(e) => Err(Failure::Keystore(e)),
    }
}
