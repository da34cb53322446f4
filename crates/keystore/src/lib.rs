//! Reader and writer of `elasticsearch.keystore`, byte-compatible with Elasticsearch's
//! `KeyStoreWrapper` (formats.md §1, spec Appendix A).
//!
//! Reads format versions 3 to 6 (everything Elasticsearch 8 and 9 read); writes version 6 (what
//! Elasticsearch 8.14+ writes) or 5 (8.0–8.13).
//!
//! The pieces, in the order a caller meets them:
//! * [`store::load`] reads a file into a [`KeystoreFile`]: header, hasPassword flag, checksum. No
//!   password needed.
//! * [`KeystoreFile::decrypt`] runs the KDF and AES-GCM and returns the [`Keystore`] (the entries)
//!   and the [`DerivedKey`] that opened it. The KDF (0.1 s for v6) can also run on its own,
//!   on another thread: [`KeystoreFile::derive_key`] then [`KeystoreFile::decrypt_with`].
//! * [`encode`] seals a [`Keystore`] with a [`DerivedKey`] into file bytes; reusing the key from
//!   `decrypt` keeps the password, the salt and the version and costs no second KDF.
//!   [`DerivedKey::new_random`] makes a key for a new keystore or a new password.
//! * [`store::save`] replaces the file atomically with Elasticsearch's permissions and checks.
//! * [`open_keystore`] strings load, password prompt and decrypt together for command-line tools.
//!
//! Architecture invariant: no secret value reaches an error message or `Debug` output; values
//! are [`Secret`]s and intermediate plaintext buffers are zeroed.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod crypto;
mod error;
mod format;
mod keystore;
pub mod open;
pub mod store;

#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
mod tests;

pub use crypto::{DerivedKey, SALT_LEN};
pub use error::Error;
pub use esac_secret::Secret;
pub use format::{FormatVersion, KeystoreFile};
pub use keystore::{encode, is_valid_setting_name, Keystore, MAX_FILE_SIZE, SEED_SETTING};
pub use open::{open_keystore, OpenedKeystore, PasswordSource};
