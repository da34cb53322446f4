//! Every way a command can fail, typed until here, and the one table that maps each failure to
//! its exit status, its JSON reason code and its message.

use std::io;
use std::path::PathBuf;

use esac_core::instances::InstancesError;
use esac_core::{messages as msg, EsExit, Reason, Skip, StepId};
use esac_enroll::{EnrollError, EnrollErrorKind};
use esac_exec::bundle::{BundleError, BundleErrorKind};
use esac_exec::{ExecError, ExecErrorKind, RecoveryError};
use esac_probe::ProbeError;

/// A failed command.
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure {
    /// The command line is wrong.
    Usage(String),
    /// The settings cannot be built (yml, `-E`, placeholders).
    Probe(ProbeError),
    /// A check of spec §1.2 that is fatal here (enrollment, reconfigure).
    Decision(Skip),
    /// Another run holds the config directory.
    Locked {
        /// The directory.
        config_dir: PathBuf,
    },
    /// The config directory cannot be locked.
    Lock {
        /// The directory.
        config_dir: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// An interrupted run could not be finished or undone, or was left alone.
    Recovery(RecoveryError),
    /// `reconfigure` on a node that was not auto-configured (spec §8.2 step 5).
    NotAutoConfigured,
    /// `reconfigure` cannot read `elasticsearch.yml` (spec §8.2 step 3).
    YmlUnreadableForReconfigure,
    /// `reconfigure` cannot parse the auto-configuration block (spec §8.2 step 4).
    UnparsableBlock(String),
    /// The operator said no.
    Cancelled,
    /// Enrollment: an invalid token, an unreachable cluster, an invalid answer, or token creation.
    Enroll(EnrollError),
    /// The enrollment token cannot be read from its file, standard input or the environment.
    TokenInput {
        /// 66 when it cannot be read, 65 when what was read cannot be a token.
        exit: EsExit,
        /// What is wrong (never the token).
        message: String,
    },
    /// The keystore password cannot be read.
    KeystorePassword(esac_keystore::Error),
    /// The keystore cannot be read, decrypted or used.
    Keystore(esac_keystore::Error),
    /// No keystore where one must exist.
    KeystoreNotFound(PathBuf),
    /// A keystore setting asked for does not exist.
    SettingNotFound(String),
    /// A binary keystore value cannot go to a terminal.
    NotPrintable(String),
    /// Refused to show something (a secret to a non-terminal without `--reveal`).
    Refused(String),
    /// The credentials file cannot be created (before anything changed).
    CredentialsFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The run committed, but the credentials file could not be written.
    CredentialsAfterCommit {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A random password could not be generated.
    Random(esac_pki::Error),
    /// The HTTP CA for an enrollment token cannot be found or read.
    HttpCa {
        /// The exit status (66 no file, 65 bad content, 78 missing setting).
        exit: EsExit,
        /// What is wrong.
        message: String,
    },
    /// A step of the plan failed; what it did was undone (unless the error says otherwise).
    Exec {
        /// The error.
        error: ExecError,
        /// The operation ran as `reconfigure` (its keystore messages are Elasticsearch's).
        reconfigure: bool,
    },
    /// Any other I/O failure.
    Io {
        /// What was being done.
        what: String,
        /// Why.
        source: io::Error,
    },
    /// `renew`: HTTP TLS is off, or its store is not the PKCS#12 layout of auto-configuration.
    NotRenewable(String),
    /// `renew`: the keystore (or the setting holding the store's password) is missing.
    MissingPasswordSetting {
        /// The setting.
        setting: &'static str,
        /// The keystore.
        keystore: PathBuf,
    },
    /// `renew`: the store cannot be read or its password does not open it.
    P12Unreadable {
        /// The store.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// `renew`: the store does not hold one CA entry and one node entry, matching and chained.
    UnexpectedKeystoreShape {
        /// The store.
        path: PathBuf,
        /// What it holds.
        why: String,
    },
    /// `renew`: the HTTP CA has expired or expires within a day.
    CaExpired {
        /// Its notAfter.
        not_after: std::time::SystemTime,
        /// Days left (negative once expired).
        days_left: i64,
    },
    /// `renew`: the file belongs to another user; only root could keep its owner.
    OwnerChangeRequired {
        /// The file.
        path: PathBuf,
        /// Its owner.
        owner: u32,
    },
    /// `renew http-ca --import-ca-cert`: not a certificate for this node's CA key.
    CaKeyMismatch {
        /// The file given.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// An input file (`layout --in`) cannot be read.
    Input {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `layout`: `instances.yml` is invalid (certutil's messages).
    Instances {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: InstancesError,
    },
    /// `layout`: `--out` exists already.
    OutputExists(PathBuf),
    /// A bundle cannot be used: a missing or invalid file (78), a wrong passphrase (65).
    Bundle {
        /// The exit status.
        exit: EsExit,
        /// What is wrong.
        message: String,
    },
    /// `layout`: the bundle could not be written; nothing is left at `--out`.
    BundleWrite(BundleError),
}

/// The exit status Elasticsearch's tools give a keystore error: decryption failures are
/// `SecurityException`s (DATA_ERROR); Lucene's corruption errors are `IOException`s (IO_ERROR);
/// a bad version or hasPassword byte is an `IllegalStateException` (CODE_ERROR); save refusals
/// are CONFIG.
pub fn keystore_exit(e: &esac_keystore::Error) -> EsExit {
    use esac_keystore::Error as K;
    match e.root() {
        K::WrongPassword | K::Corrupted | K::InvalidSettingName { .. } => EsExit::DataError,
        K::FormatTooOld { .. } | K::FormatTooNew { .. } | K::HasPasswordCorrupt { .. } => {
            EsExit::CodeError
        }
        K::OwnerChange { .. } | K::TempDenied { .. } => EsExit::Config,
        _ => EsExit::IoError,
    }
}

fn enroll_exit(kind: EnrollErrorKind) -> EsExit {
    match kind {
        EnrollErrorKind::InvalidToken | EnrollErrorKind::InvalidResponse => EsExit::DataError,
        EnrollErrorKind::Unreachable => EsExit::Unavailable,
        EnrollErrorKind::TokenCreation => EsExit::CantCreate,
    }
}

fn probe_exit(e: &ProbeError) -> EsExit {
    match e {
        ProbeError::Settings(s) if s.is_usage() => EsExit::Usage,
        ProbeError::Settings(_) => EsExit::Config,
        ProbeError::Io { .. } => EsExit::IoError,
    }
}

const RECONFIGURE_KEYSTORE: &str =
    "Aborting enrolling to cluster. Unable to remove existing secure settings. Error was: ";

impl Failure {
    /// The process exit status.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Exec { error, .. } => match &error.kind {
                ExecErrorKind::Interrupted { signal } => {
                    128u8.saturating_add(u8::try_from(*signal).unwrap_or(0))
                }
                _ => self.exit().code(),
            },
            Failure::BundleWrite(BundleError {
                kind: BundleErrorKind::Interrupted { signal },
                ..
            }) => 128u8.saturating_add(u8::try_from(*signal).unwrap_or(0)),
            _ => self.exit().code(),
        }
    }

    /// The exit status in monitoring mode (`status --exit-codes nagios`): every failure is
    /// UNKNOWN, as the monitoring-plugin guidelines want for bad arguments and internal errors.
    pub fn monitoring_exit_code(&self) -> u8 {
        esac_status::NAGIOS_UNKNOWN
    }

    /// The Elasticsearch exit status (for an interrupted run, see [`Failure::exit_code`]).
    pub fn exit(&self) -> EsExit {
        match self {
            Failure::Usage(_) | Failure::NotAutoConfigured => EsExit::Usage,
            Failure::Probe(e) => probe_exit(e),
            Failure::Decision(s) => s.exit,
            Failure::Locked { .. } => EsExit::TempFailure,
            Failure::Lock { .. } => EsExit::IoError,
            Failure::Recovery(RecoveryError::Changed { .. } | RecoveryError::Untrusted { .. }) => {
                EsExit::Protocol
            }
            Failure::Recovery(RecoveryError::Io { .. }) => EsExit::IoError,
            Failure::YmlUnreadableForReconfigure | Failure::UnparsableBlock(_) => EsExit::IoError,
            Failure::Cancelled => EsExit::Ok,
            Failure::Enroll(e) => enroll_exit(e.kind),
            Failure::TokenInput { exit, .. } => *exit,
            Failure::KeystorePassword(_) => EsExit::DataError,
            Failure::Keystore(e) => keystore_exit(e),
            Failure::KeystoreNotFound(_) => EsExit::DataError,
            Failure::SettingNotFound(_) => EsExit::Config,
            Failure::NotPrintable(_) => EsExit::IoError,
            Failure::Refused(_) => EsExit::Usage,
            Failure::CredentialsFile { .. } => EsExit::CantCreate,
            Failure::CredentialsAfterCommit { .. } => EsExit::IoError,
            Failure::Random(_) => EsExit::CodeError,
            Failure::HttpCa { exit, .. } => *exit,
            Failure::Io { .. } => EsExit::IoError,
            Failure::NotRenewable(_)
            | Failure::MissingPasswordSetting { .. }
            | Failure::UnexpectedKeystoreShape { .. }
            | Failure::CaExpired { .. }
            | Failure::OwnerChangeRequired { .. } => EsExit::Config,
            Failure::P12Unreadable { .. } | Failure::CaKeyMismatch { .. } => EsExit::DataError,
            Failure::Input { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                EsExit::NoInput
            }
            Failure::Input { .. } => EsExit::IoError,
            Failure::Instances { .. } => EsExit::Config,
            Failure::OutputExists(_) => EsExit::CantCreate,
            Failure::Bundle { exit, .. } => *exit,
            Failure::BundleWrite(e) => match (&e.kind, e.step) {
                (BundleErrorKind::Exists(_), _) => EsExit::CantCreate,
                (BundleErrorKind::Io { .. }, esac_core::bundle::BundleStep::Staging) => {
                    EsExit::CantCreate
                }
                (BundleErrorKind::Io { .. }, _) => EsExit::IoError,
                (BundleErrorKind::Interrupted { .. }, _) => EsExit::TempFailure,
                _ => EsExit::CodeError,
            },
            Failure::Exec { error, reconfigure } => match (&error.kind, error.step) {
                (_, StepId::Journal | StepId::StagingDir) => EsExit::CantCreate,
                (ExecErrorKind::OwnerMismatch { .. }, _) => EsExit::Config,
                (ExecErrorKind::KeystoreHasPasswords, _) => EsExit::Config,
                (ExecErrorKind::KeystoreMissingSetting(_), _) => EsExit::IoError,
                // Elasticsearch's reconfigure-node wraps every keystore error as an I/O error.
                (ExecErrorKind::Keystore(_), _) if *reconfigure => EsExit::IoError,
                (ExecErrorKind::Keystore(e), _) => keystore_exit(e),
                (
                    ExecErrorKind::Generate(_)
                    | ExecErrorKind::WorkerPanicked
                    | ExecErrorKind::Verify(_)
                    | ExecErrorKind::MissingInput(_),
                    _,
                ) => EsExit::CodeError,
                (ExecErrorKind::Interrupted { .. }, _) => EsExit::TempFailure,
                _ => EsExit::IoError,
            },
        }
    }

    /// The JSON reason code.
    pub fn reason(&self) -> Reason {
        match self {
            Failure::Usage(_) => Reason::Usage,
            Failure::Probe(_) => Reason::InvalidSetting,
            Failure::Decision(s) => s.reason,
            Failure::Locked { .. } => Reason::Locked,
            Failure::Lock { .. } => Reason::IoFailed,
            Failure::Recovery(RecoveryError::Io { .. }) => Reason::RecoveryFailed,
            Failure::Recovery(_) => Reason::RecoveryRefused,
            Failure::NotAutoConfigured => Reason::NotAutoConfigured,
            Failure::YmlUnreadableForReconfigure => Reason::YmlUnreadable,
            Failure::UnparsableBlock(_) => Reason::InvalidSetting,
            Failure::Cancelled => Reason::Cancelled,
            Failure::Enroll(e) => match e.kind {
                EnrollErrorKind::InvalidToken => Reason::InvalidToken,
                EnrollErrorKind::TokenCreation => Reason::TokenCreationFailed,
                _ => Reason::EnrollmentFailed,
            },
            Failure::TokenInput { .. } => Reason::InvalidToken,
            Failure::KeystorePassword(_) | Failure::Keystore(_) | Failure::KeystoreNotFound(_) => {
                Reason::KeystoreUnusable
            }
            Failure::SettingNotFound(_) => Reason::KeystoreSettingMissing,
            Failure::NotPrintable(_) | Failure::Refused(_) => Reason::Refused,
            Failure::CredentialsFile { .. } | Failure::CredentialsAfterCommit { .. } => {
                Reason::CredentialsFile
            }
            Failure::Random(_) => Reason::GenerationFailed,
            Failure::HttpCa { .. } => Reason::TokenCreationFailed,
            Failure::Io { .. } => Reason::IoFailed,
            Failure::NotRenewable(_) => Reason::NotRenewable,
            Failure::MissingPasswordSetting { .. } => Reason::MissingPasswordSetting,
            Failure::P12Unreadable { .. } => Reason::P12Unreadable,
            Failure::UnexpectedKeystoreShape { .. } => Reason::UnexpectedKeystoreShape,
            Failure::CaExpired { .. } => Reason::CaExpired,
            Failure::OwnerChangeRequired { .. } => Reason::OwnerChangeRequired,
            Failure::CaKeyMismatch { .. } => Reason::CaKeyMismatch,
            Failure::Input { .. } => Reason::IoFailed,
            Failure::Instances { .. } => Reason::InvalidInstances,
            Failure::OutputExists(_) => Reason::OutputExists,
            Failure::Bundle { .. } => Reason::BundleInvalid,
            Failure::BundleWrite(e) => match (&e.kind, e.step) {
                (BundleErrorKind::Exists(_), _)
                | (BundleErrorKind::Io { .. }, esac_core::bundle::BundleStep::Staging) => {
                    Reason::OutputExists
                }
                (BundleErrorKind::Io { .. }, _) => Reason::IoFailed,
                (BundleErrorKind::Interrupted { .. }, _) => Reason::Interrupted,
                (BundleErrorKind::WorkerPanicked, _) => Reason::InternalError,
                _ => Reason::GenerationFailed,
            },
            Failure::Exec { error, .. } => match (&error.kind, error.step) {
                (ExecErrorKind::Interrupted { .. }, _) => Reason::Interrupted,
                (_, StepId::Journal | StepId::StagingDir) => Reason::CantCreateDirectory,
                (ExecErrorKind::OwnerMismatch { .. }, _) => Reason::OwnerMismatch,
                (ExecErrorKind::KeystoreHasPasswords, _) => Reason::KeystoreHasPasswords,
                (ExecErrorKind::KeystoreMissingSetting(_), _) => Reason::KeystoreSettingMissing,
                (ExecErrorKind::Keystore(_), _) => Reason::KeystoreUnusable,
                (ExecErrorKind::Generate(_), _) => Reason::GenerationFailed,
                (ExecErrorKind::WorkerPanicked | ExecErrorKind::MissingInput(_), _) => {
                    Reason::InternalError
                }
                (ExecErrorKind::Verify(_), _) => Reason::VerificationFailed,
                _ => Reason::IoFailed,
            },
        }
    }

    /// The operator message (Elasticsearch's where it has one). Never contains a secret.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(m) => m.clone(),
            Failure::Probe(e) => e.to_string(),
            Failure::Decision(s) => s.message.clone(),
            Failure::Locked { config_dir } => format!(
                "another es-autoconf run is still configuring [{}]; try again when it has finished",
                config_dir.display()
            ),
            Failure::Lock { config_dir, source } => {
                format!("cannot lock [{}]: {source}", config_dir.display())
            }
            Failure::Recovery(e) => e.to_string(),
            Failure::NotAutoConfigured => msg::NOT_AUTO_CONFIGURED.into(),
            Failure::YmlUnreadableForReconfigure => msg::RECONFIGURE_YML_UNREADABLE.into(),
            Failure::UnparsableBlock(e) => format!("{}{e}", msg::RECONFIGURE_YML_UNPARSABLE),
            Failure::Cancelled => msg::USER_CANCELLED.into(),
            Failure::Enroll(e) => e.message.clone(),
            Failure::TokenInput { message, .. } => message.clone(),
            Failure::KeystorePassword(e) | Failure::Keystore(e) => e.to_string(),
            Failure::KeystoreNotFound(path) => format!(
                "Elasticsearch keystore not found at [{}]. Use 'create' command to create one.",
                path.display()
            ),
            Failure::SettingNotFound(name) => {
                format!("Setting [{name}] does not exist in the keystore.")
            }
            Failure::NotPrintable(_) => "Please redirect binary output to a file instead".into(),
            Failure::Refused(m) => m.clone(),
            Failure::CredentialsFile { path, source } => {
                format!("cannot create the credentials file [{}]: {source}", path.display())
            }
            Failure::CredentialsAfterCommit { path, source } => format!(
                "security is configured, but writing [{}] failed: {source}; set the password with bin/elasticsearch-reset-password -u elastic",
                path.display()
            ),
            Failure::Random(e) => e.to_string(),
            Failure::HttpCa { message, .. } => message.clone(),
            Failure::Io { what, source } => format!("{what}: {source}"),
            Failure::NotRenewable(why) => why.clone(),
            Failure::MissingPasswordSetting { setting, keystore } => format!(
                "[{}] does not hold {setting}, the password of the HTTP store: this node's HTTP TLS was not set up by auto-configuration",
                keystore.display()
            ),
            Failure::P12Unreadable { path, why } => {
                format!("cannot open [{}]: {why}", path.display())
            }
            Failure::UnexpectedKeystoreShape { path, why } => format!(
                "[{}] is not the HTTP store renew works on: {why}",
                path.display()
            ),
            Failure::CaExpired {
                not_after,
                days_left,
            } => format!(
                "the HTTP CA certificate expires {} ({days_left} days left): a certificate under it would be rejected by OpenSSL and Go clients; renew the HTTP CA first: es-autoconf renew http-ca",
                esac_certspec::Utc(*not_after).rfc3339()
            ),
            Failure::OwnerChangeRequired { path, owner } => format!(
                "[{}] belongs to uid {owner}, not to this user: run es-autoconf as that user, or as root (which keeps the owner)",
                path.display()
            ),
            Failure::CaKeyMismatch { path, why } => format!(
                "[{}] cannot replace this node's HTTP CA certificate: {why}",
                path.display()
            ),
            Failure::Input { path, source } => {
                format!("cannot read [{}]: {source}", path.display())
            }
            Failure::Instances { path, error } => error.message(&path.display().to_string()),
            Failure::OutputExists(path) => format!(
                "[{}] exists already; layout writes a new directory and never replaces one",
                path.display()
            ),
            Failure::Bundle { message, .. } => message.clone(),
            Failure::BundleWrite(e) => match &e.kind {
                BundleErrorKind::Io { path, source } => format!(
                    "cannot write the bundle: [{}]: {source}; nothing was left at the output directory",
                    path.display()
                ),
                kind => kind.to_string(),
            },
            Failure::Exec { error, reconfigure } => {
                let mut m = exec_message(error, *reconfigure);
                if let Some(undo) = &error.rollback {
                    m.push_str(&format!(
                        "\nrollback was incomplete: {undo}; the journal was kept: run es-autoconf again to finish restoring"
                    ));
                }
                m
            }
        }
    }

    /// The underlying cause, shown with `-v` (Elasticsearch prints it in verbose mode).
    pub fn detail(&self) -> Option<String> {
        match self {
            Failure::Enroll(e) => e.detail.clone(),
            _ => None,
        }
    }

    /// Lines printed before the `ERROR:` line (Elasticsearch's per-address enrollment failures).
    pub fn attempts(&self) -> Vec<String> {
        match self {
            Failure::Enroll(e) => e.attempts.clone(),
            // certutil's per-instance lines, printed before the error at any verbosity.
            Failure::Instances { error, .. } => error.detail_lines(),
            _ => Vec::new(),
        }
    }
}

fn exec_message(error: &ExecError, reconfigure: bool) -> String {
    let step = error.step;
    match (&error.kind, step) {
        (ExecErrorKind::Io { source, .. }, StepId::Journal) => format!(
            "{}: cannot write the journal: {source}",
            msg::CANT_CREATE_DIR
        ),
        (_, StepId::StagingDir) => msg::CANT_CREATE_DIR.into(),
        (ExecErrorKind::KeystoreMissingSetting(name), _) => format!(
            "{RECONFIGURE_KEYSTORE}Aborting enrolling to cluster. Unable to remove existing security configuration, elasticsearch.keystore did not contain expected setting [{name}]."
        ),
        (ExecErrorKind::Keystore(e), _) if reconfigure => format!("{RECONFIGURE_KEYSTORE}{e}"),
        (ExecErrorKind::Generate(e), _) => format!("cannot generate keys and certificates: {e}"),
        (ExecErrorKind::Io { path, source }, _) => {
            let verb = match step {
                StepId::KeystoreBackup => "cannot back up",
                StepId::MoveCerts | StepId::RenameStaging => "cannot rename",
                StepId::OwnerCheck => "cannot check the owner of",
                _ => "cannot write",
            };
            format!("{verb} [{}]: {source}", path.display())
        }
        (kind, _) => kind.to_string(),
    }
}
