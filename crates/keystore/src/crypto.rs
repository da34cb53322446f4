//! Key derivation and AES-GCM sealing of the entry list (formats.md §1.3).
//!
//! PBKDF2-HMAC-SHA512 with 210,000 iterations costs about 0.1 s, the most expensive thing in a
//! keystore update. [`DerivedKey`] is the result of that work, kept so it runs exactly once per
//! process and can run on another thread: decrypting yields the key it used, and re-encoding with
//! it draws a fresh IV but keeps the salt, so no second KDF is needed.

use std::fmt;
use std::num::NonZeroU32;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, NONCE_LEN};
use aws_lc_rs::pbkdf2::{self, PBKDF2_HMAC_SHA512};
use esac_secret::Secret;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::format::{len_i32, FormatVersion, Reader};

/// Salt length Elasticsearch writes (`KeyStoreWrapper.save`: 64 bytes, above OWASP's advice).
pub const SALT_LEN: usize = 64;
/// AES-128: the key length Elasticsearch derives (a JDK 8 export-limit legacy, never raised).
const KEY_LEN: usize = 16;
/// GCM tag appended to the ciphertext.
pub(crate) const TAG_LEN: usize = 16;

/// An AES key derived from a keystore password, with everything needed to encrypt for the same
/// file again: the format version it was derived for and the salt.
///
/// It is `Send`, so callers can derive on another thread while doing other work.
#[derive(Clone, PartialEq, Eq)]
pub struct DerivedKey {
    version: FormatVersion,
    iterations: u32,
    has_password: bool,
    salt: Vec<u8>,
    key: Secret,
}

impl fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DerivedKey")
            .field("version", &self.version)
            .field("iterations", &self.iterations)
            .field("has_password", &self.has_password)
            .field("salt_len", &self.salt.len())
            .field("key", &self.key)
            .finish()
    }
}

impl DerivedKey {
    /// Runs PBKDF2-HMAC-SHA512 with `version`'s iteration count over `password` and `salt`.
    ///
    /// Elasticsearch's JDK encodes the password's chars as UTF-8, which is what a [`Secret`]
    /// holds. An empty password is valid: it is how Elasticsearch saves an "unprotected" keystore.
    pub fn derive(password: &Secret, version: FormatVersion, salt: &[u8]) -> Self {
        Self::derive_with_iterations(password, version, salt, version.kdf_iterations())
    }

    /// [`DerivedKey::derive`] with an explicit iteration count: only the fuzzing module and
    /// tests use it, to make a KDF cheap enough to run per input.
    pub(crate) fn derive_with_iterations(
        password: &Secret,
        version: FormatVersion,
        salt: &[u8],
        iterations: u32,
    ) -> Self {
        let mut key = Zeroizing::new(vec![0u8; KEY_LEN]);
        pbkdf2::derive(
            PBKDF2_HMAC_SHA512,
            NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN),
            salt,
            password.expose(),
            &mut key,
        );
        Self {
            version,
            iterations,
            has_password: !password.is_empty(),
            salt: salt.to_vec(),
            key: Secret::new(std::mem::take(&mut *key)),
        }
    }

    /// A key for a brand-new keystore (or a password change): fresh random 64-byte salt.
    pub fn new_random(password: &Secret, version: FormatVersion) -> Result<Self, Error> {
        let salt = random_bytes::<SALT_LEN>()?;
        Ok(Self::derive(password, version, &salt))
    }

    /// The format version this key was derived for (its iteration count).
    pub fn version(&self) -> FormatVersion {
        self.version
    }

    /// The version files encoded with this key get: [`FormatVersion::writable`].
    pub fn write_version(&self) -> FormatVersion {
        self.version.writable()
    }

    /// PBKDF2 iterations used.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Whether the password was non-empty, i.e. the hasPassword byte files encoded with it get.
    pub fn has_password(&self) -> bool {
        self.has_password
    }

    /// The salt, which is also the GCM additional authenticated data.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The raw key, for tests that compare it with an independent implementation.
    #[cfg(test)]
    pub(crate) fn key_bytes(&self) -> &[u8] {
        self.key.expose()
    }

    fn aead_key(&self) -> Result<LessSafeKey, Error> {
        // KEY_LEN always matches AES-128, so this cannot fail; map it anyway rather than panic.
        let unbound =
            UnboundKey::new(&AES_128_GCM, self.key.expose()).map_err(|_| Error::Random)?;
        Ok(LessSafeKey::new(unbound))
    }

    /// Encrypts `plaintext` in place (it becomes ciphertext followed by the tag).
    pub(crate) fn seal(&self, iv: [u8; NONCE_LEN], buf: &mut Vec<u8>) -> Result<(), Error> {
        self.aead_key()?
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::from(&self.salt), buf)
            .map_err(|_| Error::TooLarge {
                size: buf.len() as u64,
            })
    }

    /// Decrypts ciphertext-plus-tag in place; returns the plaintext length.
    pub(crate) fn open(&self, iv: &[u8], buf: &mut [u8]) -> Result<usize, Error> {
        let nonce = Nonce::try_assume_unique_for_key(iv).map_err(|_| Error::Corrupted)?;
        let plain = self
            .aead_key()?
            .open_in_place(nonce, Aad::from(&self.salt), buf)
            .map_err(|_| Error::WrongPassword)?;
        Ok(plain.len())
    }
}

/// The data block split into its three length-prefixed arrays.
pub(crate) struct Sealed<'a> {
    pub(crate) salt: &'a [u8],
    pub(crate) iv: &'a [u8],
    pub(crate) ciphertext: &'a [u8],
}

impl<'a> Sealed<'a> {
    /// Splits a data block. Like Elasticsearch's `decrypt`, any inconsistency (a length past the
    /// end, leftover bytes) is "corrupted or tampered with". We are stricter than the JDK in two
    /// places Elasticsearch never writes: the salt must be non-empty (the JDK's PBEKeySpec also
    /// refuses an empty salt) and the IV must be 12 bytes (aws-lc's GCM takes no other length).
    pub(crate) fn parse(data: &'a [u8], version: FormatVersion) -> Result<Self, Error> {
        let mut r = Reader::new(data);
        let le = version.little_endian();
        let mut array = || -> Result<&'a [u8], Error> {
            let len = r.i32(le).ok_or(Error::Corrupted)?;
            let len = usize::try_from(len).map_err(|_| Error::Corrupted)?;
            r.take(len).ok_or(Error::Corrupted)
        };
        let salt = array()?;
        let iv = array()?;
        let ciphertext = array()?;
        if r.remaining() != 0
            || salt.is_empty()
            || iv.len() != NONCE_LEN
            || ciphertext.len() < TAG_LEN
        {
            return Err(Error::Corrupted);
        }
        Ok(Self {
            salt,
            iv,
            ciphertext,
        })
    }

    /// Builds a data block (ints in `version`'s byte order).
    pub(crate) fn write(&self, version: FormatVersion) -> Vec<u8> {
        let le = version.little_endian();
        let int = |v: usize| {
            let v = len_i32(v);
            if le {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let mut out =
            Vec::with_capacity(12 + self.salt.len() + self.iv.len() + self.ciphertext.len());
        for part in [self.salt, self.iv, self.ciphertext] {
            out.extend_from_slice(&int(part.len()));
            out.extend_from_slice(part);
        }
        out
    }
}

/// `N` bytes from the system's secure random number generator.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut buf = [0u8; N];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| Error::Random)?;
    Ok(buf)
}
