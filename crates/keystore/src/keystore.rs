//! The decrypted keystore: named secret values, and the plaintext entry list they are sealed as.
//!
//! The plaintext is written with Java's `DataOutputStream`, so it is big-endian in every format
//! version (formats.md §1.3): an `int` entry count, then per entry a `writeUTF` name, in v3 a
//! second `writeUTF` type string (`STRING`/`FILE`, ignored on read), an `int` value length and the
//! value bytes. Nothing may follow the last entry.

use std::collections::BTreeMap;
use std::fmt;

use esac_secret::Secret;
use zeroize::Zeroizing;

use crate::crypto::{random_bytes, DerivedKey, Sealed, TAG_LEN};
use crate::error::Error;
use crate::format::{len_i32, write_envelope, FormatVersion, KeystoreFile, Reader};

/// The largest keystore file we read or write. Real keystores are a few hundred bytes; the cap
/// bounds what a hostile or damaged file can make us allocate.
pub const MAX_FILE_SIZE: usize = 16 * 1024 * 1024;

/// Bytes of a v5/v6 file around the ciphertext: header 32, data length 4, three array lengths 12,
/// salt, IV 12, tag 16, footer 16 (formats.md §1.2: a v6 file is `156 + plaintext` bytes).
const FILE_OVERHEAD: usize = 32 + 4 + 12 + 12 + TAG_LEN + 16;

/// The entry every keystore carries (`KeyStoreWrapper.SEED_SETTING`).
pub const SEED_SETTING: &str = "keystore.seed";
/// Characters of the seed (`KeyStoreWrapper.SEED_CHARS`, formats.md §1.4).
const SEED_CHARS: &[u8; 76] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~!@#$%^&*-_=+?";
/// Length of the seed.
const SEED_LEN: usize = 20;
/// `DataOutputStream.writeUTF` stores the length in two bytes.
const MAX_NAME_LEN: usize = u16::MAX as usize;

/// Decrypted keystore entries: setting name to value.
///
/// Names always match `[A-Za-z0-9_\-.]+`; values are arbitrary bytes (Elasticsearch stores string
/// settings as UTF-8). Iteration is in name order, which is also the order entries are written in
/// (Elasticsearch's order is a `HashMap`'s, so readers never depend on it).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Keystore {
    entries: BTreeMap<String, Secret>,
}

impl fmt::Debug for Keystore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: values are secrets (their Debug is redacted anyway).
        f.debug_set().entries(self.entries.keys()).finish()
    }
}

impl Keystore {
    /// An empty keystore, without even `keystore.seed`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new keystore as `KeyStoreWrapper.create()` makes it: just a random `keystore.seed`.
    /// Save it with an empty password, as Elasticsearch does.
    pub fn create() -> Result<Self, Error> {
        let mut ks = Self::new();
        ks.add_seed_if_missing()?;
        Ok(ks)
    }

    /// Adds `keystore.seed` (20 characters drawn uniformly from the 76-character alphabet) unless
    /// present, as `KeyStoreWrapper.upgrade` does. Returns whether it was added.
    pub fn add_seed_if_missing(&mut self) -> Result<bool, Error> {
        if self.contains(SEED_SETTING) {
            return Ok(false);
        }
        let mut seed = Zeroizing::new(Vec::with_capacity(SEED_LEN));
        while seed.len() < SEED_LEN {
            // Rejection sampling keeps the draw uniform: 256 is not a multiple of 76, so bytes
            // from 228 (= 3 * 76) up are discarded.
            let [b] = random_bytes::<1>()?;
            if usize::from(b) < 3 * SEED_CHARS.len() {
                seed.push(SEED_CHARS[usize::from(b) % SEED_CHARS.len()]);
            }
        }
        self.set_string(SEED_SETTING, Secret::new(std::mem::take(&mut *seed)))?;
        Ok(true)
    }

    /// Setting names, in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.keys().map(String::as_str)
    }

    /// A setting's value.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.entries.get(name)
    }

    /// Whether the setting exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds or replaces a setting (`KeyStoreWrapper.setString`). The name must match
    /// `[A-Za-z0-9_\-.]+`; the keystore must stay below [`MAX_FILE_SIZE`].
    pub fn set_string(&mut self, name: &str, value: Secret) -> Result<(), Error> {
        validate_setting_name(name)?;
        let old = self.entries.get(name).map_or(0, |v| entry_len(name, v));
        let size = FILE_OVERHEAD + crate::crypto::SALT_LEN + self.plaintext_len() - old
            + entry_len(name, &value);
        if size > MAX_FILE_SIZE {
            return Err(Error::TooLarge { size: size as u64 });
        }
        self.entries.insert(name.to_owned(), value);
        Ok(())
    }

    /// Removes a setting, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Secret> {
        self.entries.remove(name)
    }

    /// Size of the plaintext entry list as written (v4 and later: no type strings).
    fn plaintext_len(&self) -> usize {
        4 + self
            .entries
            .iter()
            .map(|(n, v)| entry_len(n, v))
            .sum::<usize>()
    }

    /// Java `DataOutputStream` encoding of the entries (v4+ layout; we never write v3).
    fn write_plaintext(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&len_i32(self.entries.len()).to_be_bytes());
        for (name, value) in &self.entries {
            // Names are validated ASCII, where modified UTF-8 equals UTF-8, and at most 65535 long.
            out.extend_from_slice(&(name.len() as u16).to_be_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&len_i32(value.len()).to_be_bytes());
            out.extend_from_slice(value.expose());
        }
    }

    /// Decodes a plaintext entry list. Malformed input is "corrupted or tampered with", like
    /// Elasticsearch's `decrypt`; a count of zero or less means no entries, as in its
    /// `while (numEntries-- > 0)` loop, and a repeated name keeps the last value, as its `HashMap`.
    ///
    /// Unlike Elasticsearch we also reject names outside the setting-name pattern: Elasticsearch
    /// never writes one (`setString` validates), and the rule lets [`encode`] never fail on names.
    pub(crate) fn read_plaintext(plain: &[u8], version: FormatVersion) -> Result<Self, Error> {
        let mut r = Reader::new(plain);
        let count = r.be_i32().ok_or(Error::Corrupted)?;
        let mut ks = Keystore::new();
        // No allocation depends on `count`: each entry needs at least 6 bytes, so a huge count
        // runs out of input after a bounded number of rounds.
        for _ in 0..count.max(0) {
            let name = read_utf(&mut r)?;
            if version == FormatVersion::V3 {
                read_utf(&mut r)?;
            }
            let len = r.be_i32().ok_or(Error::Corrupted)?;
            let len = usize::try_from(len).map_err(|_| Error::Corrupted)?;
            let value = r.take(len).ok_or(Error::Corrupted)?;
            let name = std::str::from_utf8(name)
                .ok()
                .filter(|n| is_valid_setting_name(n))
                .ok_or_else(|| Error::InvalidSettingName {
                    name: escape_name(name),
                })?;
            ks.entries
                .insert(name.to_owned(), Secret::new(value.to_vec()));
        }
        if r.remaining() != 0 {
            return Err(Error::Corrupted);
        }
        Ok(ks)
    }
}

/// Bytes one entry takes in the plaintext: name length, name, value length, value.
fn entry_len(name: &str, value: &Secret) -> usize {
    2 + name.len() + 4 + value.len()
}

/// `DataInputStream.readUTF`'s framing: a two-byte length, then the bytes.
fn read_utf<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Error> {
    let len = r.be_u16().ok_or(Error::Corrupted)?;
    r.take(usize::from(len)).ok_or(Error::Corrupted)
}

/// Whether `name` matches `[A-Za-z0-9_\-.]+` (`KeyStoreWrapper.ALLOWED_SETTING_NAME`).
pub fn is_valid_setting_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn validate_setting_name(name: &str) -> Result<(), Error> {
    if is_valid_setting_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidSettingName {
            name: escape_name(name.as_bytes()),
        })
    }
}

/// A name for an error message: escaped, and cut short (a name from a file may be 64 KiB).
fn escape_name(name: &[u8]) -> String {
    const SHOWN: usize = 80;
    let mut s: String = name
        .iter()
        .take(SHOWN)
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect();
    if name.len() > SHOWN {
        s.push_str("...");
    }
    s
}

impl KeystoreFile {
    /// Runs the KDF for this file: the slow half of [`KeystoreFile::decrypt`], safe to run on
    /// another thread. Fails only if the data block is malformed.
    pub fn derive_key(&self, password: &Secret) -> Result<DerivedKey, Error> {
        let sealed = Sealed::parse(&self.data, self.version)?;
        Ok(DerivedKey::derive(password, self.version, sealed.salt))
    }

    /// Decrypts with a key from [`KeystoreFile::derive_key`]: the fast half of
    /// [`KeystoreFile::decrypt`].
    ///
    /// A wrong password gives [`Error::WrongPassword`]; a key derived for another salt or KDF
    /// iteration count gives [`Error::KeyMismatch`].
    pub fn decrypt_with(&self, key: &DerivedKey) -> Result<Keystore, Error> {
        let sealed = Sealed::parse(&self.data, self.version)?;
        if key.salt() != sealed.salt
            || key.version().kdf_iterations() != self.version.kdf_iterations()
        {
            return Err(Error::KeyMismatch);
        }
        let mut buf = Zeroizing::new(sealed.ciphertext.to_vec());
        let len = key.open(sealed.iv, &mut buf)?;
        Keystore::read_plaintext(&buf[..len], self.version)
    }

    /// Decrypts the entries (Elasticsearch's `decrypt(password)`) and returns them with the key
    /// that opened them, so saving them again needs no second KDF. Pass an empty password when
    /// [`KeystoreFile::has_password`] is false.
    pub fn decrypt(&self, password: &Secret) -> Result<(Keystore, DerivedKey), Error> {
        let key = self.derive_key(password)?;
        let keystore = self.decrypt_with(&key)?;
        Ok((keystore, key))
    }
}

/// Encrypts `keystore` into a complete file: format version
/// [`key.write_version()`](DerivedKey::write_version), the key's salt and hasPassword flag, and a
/// fresh random 12-byte IV (so encoding twice with one key never repeats a nonce in practice).
pub fn encode(keystore: &Keystore, key: &DerivedKey) -> Result<Vec<u8>, Error> {
    let version = key.write_version();
    let size = FILE_OVERHEAD + key.salt().len() + keystore.plaintext_len();
    if size > MAX_FILE_SIZE {
        return Err(Error::TooLarge { size: size as u64 });
    }
    // Sized up front so the plaintext is never reallocated, which would leave unzeroed copies.
    let mut buf = Zeroizing::new(Vec::with_capacity(keystore.plaintext_len() + TAG_LEN));
    keystore.write_plaintext(&mut buf);
    seal_file(key, version, &mut buf)
}

/// Encrypts the plaintext in `buf` in place under `key` with a fresh IV, and returns the whole
/// file of `version` around it.
pub(crate) fn seal_file(
    key: &DerivedKey,
    version: FormatVersion,
    buf: &mut Vec<u8>,
) -> Result<Vec<u8>, Error> {
    let iv = random_bytes()?;
    key.seal(iv, buf)?;
    let data = Sealed {
        salt: key.salt(),
        iv: &iv,
        ciphertext: buf,
    }
    .write(version);
    Ok(write_envelope(version, key.has_password(), &data))
}
