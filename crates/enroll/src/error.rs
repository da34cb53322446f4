//! The error of every operation of this crate: an Elasticsearch exit code, the operator message,
//! and the per-address attempts that failed before it.

use std::fmt;

use esac_core::EsExit;

/// An enrollment failure, shaped like Elasticsearch's `UserException`.
///
/// `message` is what Elasticsearch prints as `ERROR: <message>`; `attempts` holds one
/// "Unable to communicate with the node on <url>. Error was <msg>" line per address that failed
/// before the final outcome (the caller prints them first, as Elasticsearch does); `detail` is the
/// underlying cause (Elasticsearch prints it only in verbose mode). None of them contains the API
/// key or a private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollError {
    /// The process exit status.
    pub exit: EsExit,
    /// The operator message.
    pub message: String,
    /// Per-address failures, in the order the addresses were tried.
    pub attempts: Vec<String>,
    /// The underlying cause, for verbose output.
    pub detail: Option<String>,
}

impl EnrollError {
    /// An error without attempts or detail.
    pub fn new(exit: EsExit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            attempts: Vec::new(),
            detail: None,
        }
    }

    /// Adds the underlying cause.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds the per-address failures.
    pub fn with_attempts(mut self, attempts: Vec<String>) -> Self {
        self.attempts = attempts;
        self
    }

    /// As an `esac_core::UserError` (exit code and message only).
    pub fn to_user_error(&self) -> esac_core::UserError {
        esac_core::UserError::new(self.exit, self.message.clone())
    }
}

impl fmt::Display for EnrollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EnrollError {}
