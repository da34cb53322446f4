//! Fuzzing entry points, shared by `crates/keystore/fuzz` and the unit tests (the shape of
//! rustls' `internal::fuzzing`). Not part of the API.
//!
//! The real KDF costs 0.1 s per try, which would leave a fuzzer at a few inputs a second, so keys
//! here use one PBKDF2 iteration. Everything else is the production code.

use std::sync::OnceLock;

use esac_secret::Secret;

use crate::crypto::{random_bytes, DerivedKey, Sealed, TAG_LEN};
use crate::format::{len_i32, write_envelope, FormatVersion, KeystoreFile};
use crate::keystore::{encode, seal_file, Keystore};

/// The non-empty password the fuzz body tries (and the seeds use).
pub const FIXED_PASSWORD: &str = "keystorepassword";

/// The fuzz body: parse anything; whatever parses and decrypts must re-encode and decode to the
/// same entries. Panics (assertion failures) are findings; errors are not.
pub fn fuzz_parse(data: &[u8]) {
    let strict = KeystoreFile::parse(data);
    if let Err(e) = &strict {
        // Messages are built from input bytes too.
        let _ = e.to_string();
    }
    // Skip the checksum comparison so mutations reach the code behind it.
    if let Ok(file) = KeystoreFile::parse_checked(data, false) {
        if let Ok(strict) = &strict {
            assert_eq!(strict, &file);
        }
        for password in [Secret::default(), Secret::from_str_copy(FIXED_PASSWORD)] {
            let Ok(key) = cheap_key_for(&file, &password) else {
                continue;
            };
            match file.decrypt_with(&key) {
                Ok(keystore) => round_trip(&keystore, &key),
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
    }
    // The entry-list parser, which a real file reaches only through AES-GCM.
    for version in [FormatVersion::V3, FormatVersion::V4] {
        if let Ok(keystore) = Keystore::read_plaintext(data, version) {
            round_trip(&keystore, fixed_key());
        }
    }
}

/// Encodes, parses and decrypts `keystore` with `key`, asserting nothing changed.
fn round_trip(keystore: &Keystore, key: &DerivedKey) {
    let Ok(bytes) = encode(keystore, key) else {
        return;
    };
    let file = match KeystoreFile::parse(&bytes) {
        Ok(f) => f,
        Err(e) => panic!("our own encoding does not parse: {e}"),
    };
    assert_eq!(file.version(), key.write_version());
    assert_eq!(file.has_password(), key.has_password());
    match file.decrypt_with(key) {
        Ok(back) => assert_eq!(&back, keystore),
        Err(e) => panic!("our own encoding does not decrypt: {e}"),
    }
}

/// A one-iteration key for `file`'s salt.
fn cheap_key_for(file: &KeystoreFile, password: &Secret) -> Result<DerivedKey, crate::Error> {
    let sealed = Sealed::parse(&file.data, file.version)?;
    Ok(cheap_key(password, file.version, sealed.salt))
}

/// A one-iteration key (fuzzing and tests only).
pub fn cheap_key(password: &Secret, version: FormatVersion, salt: &[u8]) -> DerivedKey {
    DerivedKey::derive_with_iterations(password, version, salt, 1)
}

fn fixed_key() -> &'static DerivedKey {
    static KEY: OnceLock<DerivedKey> = OnceLock::new();
    KEY.get_or_init(|| {
        cheap_key(
            &Secret::from_str_copy(FIXED_PASSWORD),
            FormatVersion::V6,
            &[7u8; 64],
        )
    })
}

/// Writes `keystore` in any readable version, including the v3 type strings and the big-endian
/// ints of v3/v4 that [`encode`] never produces. For tests and fuzz seeds.
pub fn encode_any_version(
    keystore: &Keystore,
    key: &DerivedKey,
    version: FormatVersion,
) -> Vec<u8> {
    let mut buf = Vec::new();
    buf.extend_from_slice(&len_i32(keystore.len()).to_be_bytes());
    for name in keystore.names() {
        let value = keystore.get(name).map(Secret::expose).unwrap_or_default();
        buf.extend_from_slice(&(name.len() as u16).to_be_bytes());
        buf.extend_from_slice(name.as_bytes());
        if version == FormatVersion::V3 {
            buf.extend_from_slice(&6u16.to_be_bytes());
            buf.extend_from_slice(b"STRING");
        }
        buf.extend_from_slice(&len_i32(value.len()).to_be_bytes());
        buf.extend_from_slice(value);
    }
    buf.reserve(TAG_LEN);
    let iv = random_bytes().unwrap_or([0u8; 12]);
    if key.seal(iv, &mut buf).is_err() {
        return Vec::new();
    }
    let data = Sealed {
        salt: key.salt(),
        iv: &iv,
        ciphertext: &buf,
    }
    .write(version);
    write_envelope(version, key.has_password(), &data)
}

/// A complete keystore file around a hand-made entry list `plain` (any bytes, valid or not),
/// encrypted with `password` under the version's real KDF: for tests of what a crafted file
/// does to a reader that has the password (impossible counts and lengths inside the plaintext).
pub fn seal_raw(
    plain: &[u8],
    password: &Secret,
    version: FormatVersion,
) -> Result<Vec<u8>, crate::Error> {
    let key = DerivedKey::new_random(password, version)?;
    seal_file(&key, key.write_version(), &mut plain.to_vec())
}

/// Starting inputs: valid files of every version with the empty and the fixed password (cheap
/// keys, so [`fuzz_parse`] can decrypt them) and a few bare entry lists.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut keystore = Keystore::new();
    for (name, value) in [
        ("keystore.seed", "AbCdEfGhIj0123456789"),
        ("string_setting", "value"),
    ] {
        let _ = keystore.set_string(name, Secret::from_str_copy(value));
    }
    let mut out = Vec::new();
    for version in [
        FormatVersion::V3,
        FormatVersion::V4,
        FormatVersion::V5,
        FormatVersion::V6,
    ] {
        for password in ["", FIXED_PASSWORD] {
            let key = cheap_key(
                &Secret::from_str_copy(password),
                version,
                &[version as u8; 64],
            );
            out.push(encode_any_version(&keystore, &key, version));
        }
    }
    let mut plain = Vec::new();
    plain.extend_from_slice(&1i32.to_be_bytes());
    plain.extend_from_slice(&3u16.to_be_bytes());
    plain.extend_from_slice(b"a.b");
    plain.extend_from_slice(&2i32.to_be_bytes());
    plain.extend_from_slice(b"xy");
    out.push(plain);
    out.push(0i32.to_be_bytes().to_vec());
    out
}
