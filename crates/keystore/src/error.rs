//! The one error type of this crate.
//!
//! Messages Elasticsearch (or Lucene, which parses the file's envelope for it) prints are kept
//! verbatim, because operators search for them: see formats.md §1.7. Secret values never reach an
//! error: the variants carry names, lengths, versions and paths only.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::format::{CODEC_MAGIC, CODEC_NAME, FOOTER_MAGIC};

/// Everything that can go wrong while reading, decrypting, changing or saving a keystore.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The first four bytes are not Lucene's codec magic (Lucene `CorruptIndexException`).
    HeaderMismatch {
        /// The four bytes found, as a big-endian integer.
        actual: i32,
    },
    /// The codec name is not `elasticsearch.keystore` (Lucene `CorruptIndexException`).
    CodecMismatch {
        /// The name found, lossily decoded and shortened for display.
        actual: String,
    },
    /// The format version is below 3: Elasticsearch 8+ cannot read it either.
    FormatTooOld {
        /// The version found.
        version: i32,
    },
    /// The format version is above 6: written by a newer Elasticsearch.
    FormatTooNew {
        /// The version found.
        version: i32,
    },
    /// The hasPassword byte is neither 0 nor 1.
    HasPasswordCorrupt {
        /// The byte found.
        byte: u8,
    },
    /// The file ends inside the header, the data block or the footer (Lucene's "read past EOF").
    ReadPastEof {
        /// Which field was being read.
        what: &'static str,
    },
    /// A length field of the envelope is negative.
    NegativeLength {
        /// Which field.
        what: &'static str,
        /// The value found.
        value: i32,
    },
    /// The footer does not start exactly 16 bytes before the end of the file.
    MisplacedFooter {
        /// Bytes left where the footer should start.
        remaining: usize,
    },
    /// The footer does not start with Lucene's footer magic.
    FooterMismatch {
        /// The four bytes found, as a big-endian integer.
        actual: i32,
    },
    /// The footer names a checksum algorithm other than CRC-32 (id 0).
    UnknownChecksumAlgorithm {
        /// The algorithm id found.
        id: i32,
    },
    /// The stored checksum has bits set above the low 32.
    IllegalChecksum {
        /// The stored 64-bit value.
        value: u64,
    },
    /// The CRC-32 of the file does not match the one stored in the footer.
    ChecksumFailed {
        /// The value stored in the footer.
        expected: u64,
        /// The value computed over the file.
        actual: u32,
    },
    /// The data block or the decrypted entries are malformed (Elasticsearch's `SecurityException`).
    Corrupted,
    /// AES-GCM authentication failed: a wrong password, or a tampered salt, IV or ciphertext. The two
    /// cannot be told apart, and Elasticsearch reports both with this message.
    WrongPassword,
    /// A setting name is outside `[A-Za-z0-9_\-.]+` or too long to encode.
    InvalidSettingName {
        /// The name, escaped for display.
        name: String,
    },
    /// The keystore would exceed [`MAX_FILE_SIZE`](crate::MAX_FILE_SIZE) bytes.
    TooLarge {
        /// The size the keystore would have, or has, in bytes.
        size: u64,
    },
    /// A [`DerivedKey`](crate::DerivedKey) was used with a file it was not derived for.
    KeyMismatch,
    /// The operating system's random number generator failed.
    Random,
    /// A file-level error, wrapped with the keystore's path.
    InFile {
        /// The keystore file.
        path: PathBuf,
        /// What is wrong with it.
        source: Box<Error>,
    },
    /// The keystore path exists but is not a regular file.
    NotAFile {
        /// The keystore file.
        path: PathBuf,
    },
    /// An existing keystore belongs to another user; replacing it would change its owner.
    OwnerChange {
        /// The keystore file.
        path: PathBuf,
    },
    /// The temporary keystore could not be created for lack of permissions.
    TempDenied {
        /// The temporary file.
        tmp: PathBuf,
        /// The directory that needs write permission.
        dir: PathBuf,
    },
    /// The keystore password could not be read.
    Password {
        /// Where it was read from.
        source_name: String,
        /// What failed.
        source: io::Error,
    },
    /// The keystore password is longer than [`MAX_PASSWORD_LEN`](crate::open::MAX_PASSWORD_LEN).
    PasswordTooLong {
        /// Where it was read from.
        source_name: String,
    },
    /// Any other I/O error; fs-err's message names the file and the operation.
    Io(io::Error),
}

impl Error {
    /// Whether the error means the file's bytes are damaged (or were tampered with), as opposed to a
    /// wrong password, an unsupported version or an I/O problem.
    pub fn is_corruption(&self) -> bool {
        match self {
            Error::InFile { source, .. } => source.is_corruption(),
            Error::HeaderMismatch { .. }
            | Error::CodecMismatch { .. }
            | Error::HasPasswordCorrupt { .. }
            | Error::ReadPastEof { .. }
            | Error::NegativeLength { .. }
            | Error::MisplacedFooter { .. }
            | Error::FooterMismatch { .. }
            | Error::UnknownChecksumAlgorithm { .. }
            | Error::IllegalChecksum { .. }
            | Error::ChecksumFailed { .. }
            | Error::Corrupted => true,
            _ => false,
        }
    }

    /// The error without its [`Error::InFile`] wrapper.
    pub fn root(&self) -> &Error {
        match self {
            Error::InFile { source, .. } => source.root(),
            other => other,
        }
    }

    /// Wraps a parse error with the file it came from.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Self {
        Error::InFile {
            path: path.into(),
            source: Box::new(self),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Lucene's CodecUtil prints the magic numbers in decimal.
            Error::HeaderMismatch { actual } => write!(
                f,
                "codec header mismatch: actual header={actual} vs expected header={CODEC_MAGIC}"
            ),
            Error::CodecMismatch { actual } => {
                write!(f, "codec mismatch: actual codec={actual} vs expected codec={CODEC_NAME}")
            }
            Error::FormatTooOld { version } => write!(
                f,
                "The Elasticsearch keystore format is too old (version {version}). \
                 You should delete and recreate it in order to upgrade."
            ),
            Error::FormatTooNew { version } => write!(
                f,
                "The Elasticsearch keystore format is too new (version {version}). \
                 Are you trying to downgrade? You should delete and recreate it in order to downgrade."
            ),
            Error::HasPasswordCorrupt { byte } => {
                write!(f, "hasPassword boolean is corrupt: {byte:02x}")
            }
            Error::ReadPastEof { what } => {
                write!(f, "read past EOF while reading the {what} (file truncated?)")
            }
            Error::NegativeLength { what, value } => write!(f, "negative {what} length: {value}"),
            Error::MisplacedFooter { remaining } => {
                let how = if *remaining < 16 { "truncated" } else { "extended" };
                write!(f, "misplaced codec footer (file {how}?): remaining={remaining}, expected=16")
            }
            Error::FooterMismatch { actual } => write!(
                f,
                "codec footer mismatch (file truncated?): actual footer={actual} \
                 vs expected footer={FOOTER_MAGIC}"
            ),
            Error::UnknownChecksumAlgorithm { id } => {
                write!(f, "codec footer mismatch: unknown algorithmID: {id}")
            }
            Error::IllegalChecksum { value } => write!(f, "Illegal CRC-32 checksum: {value}"),
            Error::ChecksumFailed { expected, actual } => write!(
                f,
                "checksum failed (hardware problem?) : expected={expected:x} actual={actual:x}"
            ),
            Error::Corrupted => f.write_str("Keystore has been corrupted or tampered with"),
            Error::WrongPassword => f.write_str("Provided keystore password was incorrect"),
            // Elasticsearch's KeyStoreWrapper.validateSettingName wording.
            Error::InvalidSettingName { name } => write!(
                f,
                "Setting name [{name}] does not match the allowed setting name pattern \
                 [[A-Za-z0-9_\\-.]+]"
            ),
            Error::TooLarge { size } => write!(
                f,
                "keystore of {size} bytes exceeds the limit of {} bytes",
                crate::MAX_FILE_SIZE
            ),
            Error::KeyMismatch => {
                f.write_str("the derived key was made for another keystore salt or format version")
            }
            Error::Random => f.write_str("the system random number generator failed"),
            Error::InFile { path, source } => match source.as_ref() {
                // Elasticsearch names the file inside these two messages.
                Error::FormatTooOld { .. } => write!(
                    f,
                    "The Elasticsearch keystore [{}] format is too old. \
                     You should delete and recreate it in order to upgrade.",
                    path.display()
                ),
                Error::FormatTooNew { .. } => write!(
                    f,
                    "The Elasticsearch keystore [{}] format is too new. \
                     Are you trying to downgrade? You should delete and recreate it in order to \
                     downgrade.",
                    path.display()
                ),
                inner if inner.is_corruption() => write!(
                    f,
                    "The Elasticsearch keystore [{}] is corrupted or has been tampered with: {inner}",
                    path.display()
                ),
                inner => write!(f, "{inner} (keystore [{}])", path.display()),
            },
            Error::NotAFile { path } => {
                write!(f, "the Elasticsearch keystore [{}] is not a regular file", path.display())
            }
            Error::OwnerChange { path } => write!(
                f,
                "will not overwrite keystore at [{}], because this incurs changing the file owner",
                path.display()
            ),
            Error::TempDenied { tmp, dir } => write!(
                f,
                "unable to create temporary keystore at [{}], write permissions required for [{}] \
                 or run [elasticsearch-keystore upgrade]",
                tmp.display(),
                dir.display()
            ),
            Error::Password { source_name, source } => {
                write!(f, "cannot read the keystore password from {source_name}: {source}")
            }
            Error::PasswordTooLong { source_name } => write!(
                f,
                "the keystore password read from {source_name} is longer than {} bytes",
                crate::open::MAX_PASSWORD_LEN
            ),
            Error::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InFile { source, .. } => Some(source.as_ref()),
            Error::Password { source, .. } | Error::Io(source) => Some(source),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}
