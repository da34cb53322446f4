//! The one error type of esac-pki.
//!
//! Messages name the operation and, for files, the path. They never carry key bytes or
//! passwords: the underlying library errors that are wrapped (rcgen, p12-keystore, aws-lc-rs)
//! describe formats and algorithms, not values.

use std::fmt;
use std::path::PathBuf;

use esac_certspec::KeyType;

/// Everything that can go wrong while generating, encoding or reading keys and certificates.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The key source could not produce a key (aws-lc-rs failure, exhausted pool).
    KeyGeneration {
        /// The requested key type.
        key_type: KeyType,
        /// Why.
        reason: String,
    },
    /// A private key is not PKCS#8 of a supported type (RSA 2048/3072/4096, ECDSA P-256/P-384).
    UnsupportedKey(String),
    /// A certificate could not be parsed.
    InvalidCertificate(String),
    /// A certificate could not be built or signed.
    Certificate(String),
    /// A subjectAltName value cannot be encoded (a dNSName must be ASCII).
    InvalidSan(String),
    /// A PKCS#12 store could not be written or read (includes a wrong password).
    Pkcs12(String),
    /// A PKCS#12 password is not valid UTF-8, which the PKCS#12 key derivations require.
    PasswordNotUtf8,
    /// The system random generator failed.
    Random,
    /// bcrypt could not hash the `elastic` password.
    PasswordHash(String),
    /// Reading a key-pool file or directory failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key-generation thread panicked.
    ThreadPanicked,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::KeyGeneration { key_type, reason } => {
                write!(f, "cannot generate a {key_type} key: {reason}")
            }
            Error::UnsupportedKey(why) => write!(f, "unsupported private key: {why}"),
            Error::InvalidCertificate(why) => write!(f, "invalid certificate: {why}"),
            Error::Certificate(why) => write!(f, "cannot build the certificate: {why}"),
            Error::InvalidSan(value) => {
                write!(f, "cannot use [{value}] as a subject alternative name")
            }
            Error::Pkcs12(why) => write!(f, "PKCS#12: {why}"),
            Error::PasswordHash(why) => write!(f, "cannot hash the elastic password: {why}"),
            Error::PasswordNotUtf8 => f.write_str("the PKCS#12 password is not valid UTF-8"),
            Error::Random => f.write_str("the system random number generator failed"),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::ThreadPanicked => f.write_str("a key generation thread panicked"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<rcgen::Error> for Error {
    fn from(e: rcgen::Error) -> Self {
        Error::Certificate(e.to_string())
    }
}

impl From<p12_keystore::error::Error> for Error {
    fn from(e: p12_keystore::error::Error) -> Self {
        Error::Pkcs12(e.to_string())
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
