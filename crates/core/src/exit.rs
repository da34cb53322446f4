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
    /// 76: protocol error; es-autoconf uses it for a journal that no longer matches the
    /// directory (an operator must look).
    Protocol = 76,
    /// 77: permission denied.
    NoPerm = 77,
    /// 78: configuration error.
    Config = 78,
    /// 80: nothing to do (Elasticsearch's `NOOP`).
    Noop = 80,
}

impl EsExit {
    /// Every exit status, in numeric order.
    pub const ALL: [EsExit; 16] = [
        EsExit::Ok,
        EsExit::Failure,
        EsExit::Usage,
        EsExit::DataError,
        EsExit::NoInput,
        EsExit::NoUser,
        EsExit::NoHost,
        EsExit::Unavailable,
        EsExit::CodeError,
        EsExit::CantCreate,
        EsExit::IoError,
        EsExit::TempFailure,
        EsExit::Protocol,
        EsExit::NoPerm,
        EsExit::Config,
        EsExit::Noop,
    ];

    /// The numeric process exit status.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Stable lower-case name, used in docs.
    pub const fn name(self) -> &'static str {
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
}

impl fmt::Display for EsExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}
