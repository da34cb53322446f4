//! Elasticsearch's exit codes (`org.elasticsearch.cli.ExitCodes`), spec §1.0.

use std::fmt;

/// An exit status with Elasticsearch's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EsExit {
    /// 0: success.
    Ok = 0,
    /// 1: a plain "no" (`has-passwd` on an unprotected keystore: `NO_PASSWORD_EXIT_CODE`).
    Failure = 1,
    /// 64: the command line was wrong.
    Usage = 64,
    /// 65: invalid input data (keystore password, token, response).
    DataError = 65,
    /// 66: an input file is missing.
    NoInput = 66,
    /// 67: unknown user.
    NoUser = 67,
    /// 68: unknown host.
    NoHost = 68,
    /// 69: a service (the node to enroll with) is unavailable.
    Unavailable = 69,
    /// 70: internal error.
    CodeError = 70,
    /// 73: an output file or directory cannot be created.
    CantCreate = 73,
    /// 74: an I/O error.
    IoError = 74,
    /// 75: temporary failure; retrying may work.
    TempFailure = 75,
    /// 76: protocol error.
    Protocol = 76,
    /// 77: permission denied.
    NoPerm = 77,
    /// 78: configuration error.
    Config = 78,
    /// 80: nothing to do (Elasticsearch's `NOOP`).
    Noop = 80,
}

impl EsExit {
    /// The numeric process exit status.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Stable lower-case name, used in JSON output and docs.
    pub fn name(self) -> &'static str {
        match self {
            EsExit::Ok => "ok",
            EsExit::Failure => "failure",
            EsExit::Usage => "usage",
            EsExit::DataError => "data_error",
            EsExit::NoInput => "no_input",
            EsExit::NoUser => "no_user",
            EsExit::NoHost => "no_host",
            EsExit::Unavailable => "unavailable",
            EsExit::CodeError => "code_error",
            EsExit::CantCreate => "cant_create",
            EsExit::IoError => "io_error",
            EsExit::TempFailure => "temp_failure",
            EsExit::Protocol => "protocol",
            EsExit::NoPerm => "noperm",
            EsExit::Config => "config",
            EsExit::Noop => "noop",
        }
    }

    /// Whether Elasticsearch's launcher starts the node anyway after this code
    /// (73, 78, 80 outside enrollment mode; spec §1.0).
    pub fn tolerated_by_launcher(self) -> bool {
        matches!(self, EsExit::CantCreate | EsExit::Config | EsExit::Noop)
    }
}

impl fmt::Display for EsExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

/// An error meant for the operator: an exit code and a message (like ES's `UserException`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// The exit status.
    pub exit: EsExit,
    /// What went wrong, which file, and what to do. Never contains a secret.
    pub message: String,
}

impl UserError {
    /// Builds an error.
    pub fn new(exit: EsExit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}
