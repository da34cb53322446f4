//! The error of every operation of this crate: what kind of failure, the operator message, and
//! the per-address attempts that failed before it. The caller maps the kind to an exit code.

use std::fmt;

/// What kind of failure an [`EnrollError`] is; each maps to one exit code of Elasticsearch's
/// (noted per variant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrollErrorKind {
    /// The enrollment token cannot be decoded (Elasticsearch: DATA_ERROR, 65).
    InvalidToken,
    /// A node answered, but not with what enrollment needs (DATA_ERROR, 65).
    InvalidResponse,
    /// No address of the token answered (UNAVAILABLE, 69).
    Unreachable,
    /// An enrollment token could not be created on a running node (CANT_CREATE, 73).
    TokenCreation,
}

/// An enrollment failure, shaped like Elasticsearch's `UserException`.
///
/// `message` is what Elasticsearch prints as `ERROR: <message>`; `attempts` holds one
/// "Unable to communicate with the node on <url>. Error was <msg>" line per address that failed
/// before the final outcome (the caller prints them first, as Elasticsearch does); `detail` is the
/// underlying cause (Elasticsearch prints it only in verbose mode). None of them contains the API
/// key or a private key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollError {
    /// What kind of failure.
    pub kind: EnrollErrorKind,
    /// The operator message.
    pub message: String,
    /// Per-address failures, in the order the addresses were tried.
    pub attempts: Vec<String>,
    /// The underlying cause, for verbose output.
    pub detail: Option<String>,
}

impl EnrollError {
    /// An error without attempts or detail.
    pub fn new(kind: EnrollErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
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
}

impl fmt::Display for EnrollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EnrollError {}
