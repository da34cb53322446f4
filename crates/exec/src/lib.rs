//! The executor: the only code that writes to the config directory.
//!
//! [`execute`] runs an [`esac_core::Plan`]'s steps in order, generically: every write is relative to the
//! opened config directory, never follows a link, creates files exclusively and sets mode and
//! owner on the open descriptor; a write-ahead journal records each change with the identity
//! that proves it; any failure, and SIGINT/SIGTERM/SIGHUP, undoes exactly what was done.
//! [`recover`] finishes or undoes a run that was killed, and refuses (touching nothing) when the
//! directory changed since. [`lock_dir`] keeps two runs apart. [`bundle::write_bundle`] is
//! `layout`'s writer: a new directory built next to `--out` and renamed to it at the end.

#![forbid(unsafe_code)]

pub mod bundle;
mod failpoint;
pub mod fsops;
pub mod journal;
mod lock;
mod produce;
mod recover;
mod run;
mod signals;

use std::fmt;
use std::io;
use std::path::PathBuf;

use esac_core::StepId;
use esac_pki::{HttpStore, KeySource, Received};
use esac_secret::Secret;

pub use lock::{lock_dir, DirLock};
pub use recover::{recover, Recovery, RecoveryError};
pub use run::execute;
pub use signals::Interrupts;

/// What a run needs besides its plan: the key source and the secrets it does not generate.
pub struct Inputs<'a> {
    /// Where keys come from.
    pub keys: &'a dyn KeySource,
    /// The existing keystore's password (empty when it has none or does not exist).
    pub keystore_password: Secret,
    /// The `elastic` password whose bcrypt hash is stored, when the plan generates one.
    pub elastic_password: Option<Secret>,
    /// Enrollment: the cluster's CA and transport material.
    pub received: Option<Received>,
    /// The data directories, empty when the run starts; recovery refuses to undo once one of
    /// them is not.
    pub data_dirs: Vec<PathBuf>,
    /// SIGINT/SIGTERM/SIGHUP held by the caller for longer than the run (so a signal after the
    /// commit cannot kill the process before the caller has delivered what the run made); when
    /// `None`, the run holds them itself while it runs.
    pub interrupts: Option<&'a Interrupts>,
    /// Told what slow work is under way (`Some(line)`) and when it is over (`None`), for a
    /// progress line on a terminal.
    pub progress: &'a dyn Fn(Option<&str>),
    /// Renewal: what `certs/http.p12` holds now, and its password.
    pub renewal: Option<Renewal>,
}

/// The secrets a renewal works with: the HTTP store as read, and its password (store and key
/// password alike), which the rebuilt store keeps so a running node can reload it.
#[derive(Debug)]
pub struct Renewal {
    /// The store's password.
    pub password: Secret,
    /// Its CA and node entries.
    pub store: HttpStore,
}

/// What a successful run produced (no secrets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Executed {
    /// A signal that arrived after the commit point, when it could no longer stop the run
    /// (it was consumed; the caller decides what to say).
    pub late_signal: Option<i32>,
    /// Lowercase hex SHA-256 of the HTTP CA certificate, when the plan made or received one.
    pub http_ca_fingerprint: Option<String>,
    /// The HTTP CA certificate, DER, when the plan rebuilt `http.p12`.
    pub http_ca_der: Option<Vec<u8>>,
    /// The node's HTTP certificate, DER, when the plan rebuilt `http.p12`.
    pub http_leaf_der: Option<Vec<u8>>,
}

/// Why a step failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExecErrorKind {
    /// A file operation failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What happened.
        source: io::Error,
    },
    /// The created directory does not belong to the config directory's owner (spec §1.2 step 8).
    OwnerMismatch {
        /// The config directory's owner.
        config_owner: String,
        /// The new directory's owner.
        new_owner: String,
    },
    /// Keys, certificates, passwords or the password hash could not be generated.
    Generate(esac_pki::Error),
    /// The keystore cannot be opened, encoded or saved.
    Keystore(esac_keystore::Error),
    /// The keystore already holds the TLS password settings (spec §1.2 step 13).
    KeystoreHasPasswords,
    /// The keystore lacks a setting the operation must remove (reconfigure).
    KeystoreMissingSetting(&'static str),
    /// A file changed after the plan was made from it.
    Changed {
        /// The file.
        path: PathBuf,
    },
    /// A signal stopped the run.
    Interrupted {
        /// Its number.
        signal: i32,
    },
    /// A worker thread panicked.
    WorkerPanicked,
    /// A written file did not read back as planned (it was not committed).
    Verify(String),
    /// The plan needs inputs the caller did not give (a renewal without the store).
    MissingInput(&'static str),
}

/// A failed run: which step, why, and whether undoing it completed.
#[derive(Debug)]
pub struct ExecError {
    /// The step that failed.
    pub step: StepId,
    /// Why.
    pub kind: ExecErrorKind,
    /// Set when undoing stopped part-way; the journal was kept so the next run resumes.
    pub rollback: Option<String>,
}

impl fmt::Display for ExecErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecErrorKind::Io { path, source } => write!(f, "[{}]: {source}", path.display()),
            ExecErrorKind::OwnerMismatch {
                config_owner,
                new_owner,
            } => f.write_str(&esac_core::messages::owner_mismatch(
                config_owner,
                new_owner,
            )),
            ExecErrorKind::Generate(e) => write!(f, "{e}"),
            ExecErrorKind::Keystore(e) => write!(f, "{e}"),
            ExecErrorKind::KeystoreHasPasswords => {
                f.write_str(esac_core::messages::KEYSTORE_HAS_PASSWORDS)
            }
            ExecErrorKind::KeystoreMissingSetting(name) => write!(
                f,
                "elasticsearch.keystore did not contain expected setting [{name}]."
            ),
            ExecErrorKind::Changed { path } => write!(
                f,
                "[{}] changed while es-autoconf was running; nothing was changed",
                path.display()
            ),
            ExecErrorKind::Interrupted { signal } => {
                write!(f, "interrupted by signal {signal}; every change was undone")
            }
            ExecErrorKind::WorkerPanicked => f.write_str("a worker thread panicked"),
            ExecErrorKind::Verify(why) => {
                write!(f, "the file written does not read back as planned: {why}")
            }
            ExecErrorKind::MissingInput(what) => write!(f, "internal error: no {what} was given"),
        }
    }
}
