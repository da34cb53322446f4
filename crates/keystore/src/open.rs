//! Opening the keystore of a config directory the way Elasticsearch's tools do: load it, ask for
//! the password only when the file has one, decrypt (formats.md §1.6).
//!
//! Password sources mirror how Elasticsearch gets it: the launcher prompts on a terminal with
//! `KeyStoreWrapper.PROMPT` and no echo; under systemd the file named by
//! `ES_KEYSTORE_PASSPHRASE_FILE` is fed to standard input; otherwise one line is read from
//! standard input (Docker pipes `$KEYSTORE_PASSWORD` in).

use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use esac_secret::Secret;
use zeroize::Zeroizing;

use crate::crypto::DerivedKey;
use crate::error::Error;
use crate::format::KeystoreFile;
use crate::keystore::Keystore;
use crate::store;

/// Elasticsearch's prompt (`KeyStoreWrapper.PROMPT`, also `KeyStoreAwareCommand.readPassword`).
pub const PROMPT: &str = "Enter password for the elasticsearch keystore : ";
/// The environment variable systemd's entrypoint reads the passphrase file name from.
pub const PASSPHRASE_FILE_ENV: &str = "ES_KEYSTORE_PASSPHRASE_FILE";
/// Longest password line we accept; bounds what a runaway input can make us buffer.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// Where the keystore password comes from.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// Already known (for example handed over by a launcher, or empty on purpose).
    Given(Secret),
    /// The first line of a file (`ES_KEYSTORE_PASSPHRASE_FILE`).
    File(PathBuf),
    /// Standard input: a no-echo prompt on stderr when it is a terminal, else one line.
    Stdin,
}

impl PasswordSource {
    /// Chooses like Elasticsearch's packaging: the file named by `ES_KEYSTORE_PASSPHRASE_FILE`
    /// when `passphrase_file` (that variable's value) is set and non-empty, else standard input.
    pub fn from_passphrase_file_var(passphrase_file: Option<std::ffi::OsString>) -> Self {
        match passphrase_file {
            Some(p) if !p.is_empty() => PasswordSource::File(PathBuf::from(p)),
            _ => PasswordSource::Stdin,
        }
    }

    /// Reads the password. A trailing `\n` (and a `\r` before it) is not part of it.
    pub fn read(&self) -> Result<Secret, Error> {
        match self {
            PasswordSource::Given(s) => Ok(s.clone()),
            PasswordSource::File(path) => {
                let name = format!("[{}]", path.display());
                let file = fs_err::File::open(path).map_err(|e| Error::Password {
                    source_name: name.clone(),
                    source: e,
                })?;
                read_line(&mut BufReader::new(file), &name)
            }
            PasswordSource::Stdin => {
                let stdin = io::stdin();
                if stdin.is_terminal() {
                    let mut err = io::stderr().lock();
                    let prompted = err.write_all(PROMPT.as_bytes()).and_then(|()| err.flush());
                    let typed = prompted.and_then(|()| rpassword::read_password());
                    typed.map(Secret::from_string).map_err(|e| Error::Password {
                        source_name: "the terminal".to_owned(),
                        source: e,
                    })
                } else {
                    read_line(&mut stdin.lock(), "standard input")
                }
            }
        }
    }
}

/// One line, at most [`MAX_PASSWORD_LEN`] bytes, without its line ending. End of input before
/// any byte gives an empty password, which then fails to decrypt like any wrong one.
fn read_line(reader: &mut impl BufRead, source_name: &str) -> Result<Secret, Error> {
    let mut line = Zeroizing::new(Vec::new());
    reader
        .take(MAX_PASSWORD_LEN as u64 + 2)
        .read_until(b'\n', &mut line)
        .map_err(|e| Error::Password {
            source_name: source_name.to_owned(),
            source: e,
        })?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    if line.len() > MAX_PASSWORD_LEN {
        return Err(Error::PasswordTooLong {
            source_name: source_name.to_owned(),
        });
    }
    Ok(Secret::new(std::mem::take(&mut *line)))
}

/// A keystore read from disk and decrypted, with the key to save it again without another KDF.
#[derive(Debug)]
pub struct OpenedKeystore {
    /// The keystore file.
    pub path: PathBuf,
    /// The parsed file (version, hasPassword).
    pub file: KeystoreFile,
    /// The decrypted entries.
    pub keystore: Keystore,
    /// The key that decrypted them; [`crate::encode`] with it keeps password, salt and version.
    pub key: DerivedKey,
}

/// Loads `<config_dir>/elasticsearch.keystore` and decrypts it; `None` when there is no keystore.
/// Errors name the keystore file, except [`Error::WrongPassword`] (Elasticsearch's message).
/// The password is read from `password` only if the file has one (Elasticsearch's
/// `KeyStoreAwareCommand`); otherwise the empty password is used.
pub fn open_keystore(
    config_dir: &Path,
    password: &PasswordSource,
) -> Result<Option<OpenedKeystore>, Error> {
    let path = store::keystore_path(config_dir);
    let Some(file) = store::load(&path)? else {
        return Ok(None);
    };
    let password = if file.has_password() {
        password.read()?
    } else {
        Secret::default()
    };
    // Every error names the file, except Elasticsearch's wrong-password message, kept verbatim
    // (it is about the password, and operators and packaging tests search for it).
    let (keystore, key) = file.decrypt(&password).map_err(|e| match e {
        Error::WrongPassword => e,
        e => e.in_file(&path),
    })?;
    Ok(Some(OpenedKeystore {
        path,
        file,
        keystore,
        key,
    }))
}
