//! Unit tests: round trips, every error path with its exact message, the save discipline and the
//! fuzz body over mutated inputs.
//!
//! Most tests use one-iteration keys (`fuzzing::cheap_key`) so the suite stays fast; the tests
//! named `real_kdf_*` run the production iteration counts.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use proptest::prelude::*;

use crate::fuzzing::{cheap_key, encode_any_version, fuzz_parse, seeds, FIXED_PASSWORD};
use crate::store::{self, keystore_path, temp_path};
use crate::{encode, DerivedKey, Error, FormatVersion, Keystore, KeystoreFile, Secret};

fn secret(s: &str) -> Secret {
    Secret::from_str_copy(s)
}

fn sample() -> Keystore {
    let mut ks = Keystore::new();
    ks.set_string("keystore.seed", secret("0123456789abcdefghij"))
        .unwrap();
    ks.set_string(
        "xpack.security.http.ssl.keystore.secure_password",
        secret("s3cr3t-value"),
    )
    .unwrap();
    ks
}

fn key(password: &str, version: FormatVersion) -> DerivedKey {
    cheap_key(&secret(password), version, &[42u8; 64])
}

/// A v6 file of `sample()` under `password`, with a one-iteration key.
fn sample_file(password: &str) -> (Vec<u8>, DerivedKey) {
    let k = key(password, FormatVersion::V6);
    (encode(&sample(), &k).unwrap(), k)
}

/// Recomputes the footer CRC after a deliberate edit, so the edit reaches the code behind it.
fn fix_crc(bytes: &mut [u8]) {
    let n = bytes.len();
    let crc = crc32fast::hash(&bytes[..n - 8]);
    bytes[n - 8..].copy_from_slice(&u64::from(crc).to_be_bytes());
}

fn parse_err(bytes: &[u8]) -> Error {
    KeystoreFile::parse(bytes).expect_err("must not parse")
}

/// Offsets in a v5/v6 file (formats.md §1.2).
const VERSION_AT: usize = 27;
const FLAG_AT: usize = 31;
const DATA_LEN_AT: usize = 32;
const SALT_LEN_AT: usize = 36;
const SALT_AT: usize = 40;
const IV_AT: usize = SALT_AT + 64 + 4;
const CT_AT: usize = IV_AT + 12 + 4;

// ---------------------------------------------------------------------------------------------
// Layout and round trips.

#[test]
fn v6_layout_matches_the_spec() {
    let (bytes, _) = sample_file(FIXED_PASSWORD);
    assert_eq!(&bytes[..5], &[0x3F, 0xD7, 0x6C, 0x17, 22]);
    assert_eq!(&bytes[5..27], b"elasticsearch.keystore");
    assert_eq!(&bytes[VERSION_AT..FLAG_AT], &[0, 0, 0, 6]);
    assert_eq!(bytes[FLAG_AT], 1);
    let data_len = u32::from_le_bytes(bytes[DATA_LEN_AT..SALT_LEN_AT].try_into().unwrap());
    assert_eq!(data_len as usize, bytes.len() - 36 - 16);
    assert_eq!(&bytes[SALT_LEN_AT..SALT_AT], &64u32.to_le_bytes());
    assert_eq!(&bytes[IV_AT - 4..IV_AT], &12u32.to_le_bytes());
    let n = bytes.len();
    assert_eq!(&bytes[n - 16..n - 8], &[0xC0, 0x28, 0x93, 0xE8, 0, 0, 0, 0]);
    // 156 + plaintext bytes for a v6 file.
    let plain = 4 + sample().names().map(|n| 2 + n.len() + 4).sum::<usize>() + 20 + 12;
    assert_eq!(n, 156 + plain);
}

#[test]
fn empty_password_clears_the_flag() {
    let (bytes, _) = sample_file("");
    let file = KeystoreFile::parse(&bytes).unwrap();
    assert!(!file.has_password());
    assert_eq!(file.version(), FormatVersion::V6);
}

#[test]
fn every_readable_version_decodes() {
    for version in [
        FormatVersion::V3,
        FormatVersion::V4,
        FormatVersion::V5,
        FormatVersion::V6,
    ] {
        let k = key("pw", version);
        let bytes = encode_any_version(&sample(), &k, version);
        let file = KeystoreFile::parse(&bytes).unwrap();
        assert_eq!(file.version(), version);
        assert_eq!(file.decrypt_with(&k).unwrap(), sample(), "{version}");
    }
}

#[test]
fn v3_and_v4_keys_write_v5() {
    let k = key("pw", FormatVersion::V4);
    let bytes = encode_any_version(&sample(), &k, FormatVersion::V4);
    let file = KeystoreFile::parse(&bytes).unwrap();
    let ks = file.decrypt_with(&k).unwrap();
    let rewritten = KeystoreFile::parse(&encode(&ks, &k).unwrap()).unwrap();
    assert_eq!(rewritten.version(), FormatVersion::V5);
    assert_eq!(rewritten.decrypt_with(&k).unwrap(), sample());
}

#[test]
fn re_encoding_keeps_salt_and_draws_a_fresh_iv() {
    let (a, k) = sample_file("pw");
    let b = encode(&sample(), &k).unwrap();
    assert_eq!(a[SALT_AT..IV_AT - 4], b[SALT_AT..IV_AT - 4]);
    assert_ne!(a[IV_AT..IV_AT + 12], b[IV_AT..IV_AT + 12]);
}

#[test]
fn real_kdf_v6_round_trip_and_key_reuse() {
    let key = DerivedKey::new_random(&secret("keystorepassword"), FormatVersion::V6).unwrap();
    assert_eq!(key.iterations(), 210_000);
    let bytes = encode(&sample(), &key).unwrap();
    let file = KeystoreFile::parse(&bytes).unwrap();
    let (ks, derived) = file.decrypt(&secret("keystorepassword")).unwrap();
    assert_eq!(ks, sample());
    assert_eq!(derived, key, "decrypt hands back the key it derived");
    // Re-encoding with that key needs no KDF and opens with the password.
    let again = KeystoreFile::parse(&encode(&ks, &derived).unwrap()).unwrap();
    assert_eq!(again.decrypt_with(&derived).unwrap(), sample());
    let wrong = file.decrypt(&secret("keystorepassworD")).unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "Provided keystore password was incorrect"
    );
}

#[test]
fn real_kdf_v5_uses_10000_iterations() {
    let key = DerivedKey::new_random(&Secret::default(), FormatVersion::V5).unwrap();
    assert_eq!(key.iterations(), 10_000);
    let bytes = encode(&sample(), &key).unwrap();
    let file = KeystoreFile::parse(&bytes).unwrap();
    assert_eq!(file.version(), FormatVersion::V5);
    assert_eq!(file.decrypt(&Secret::default()).unwrap().0, sample());
}

/// PBKDF2-HMAC-SHA512 known answer, from Python's `hashlib.pbkdf2_hmac("sha512",
/// b"keystorepassword", bytes(range(64)), 10000, 16)`.
#[test]
fn real_kdf_known_answer() {
    let salt: Vec<u8> = (0u8..64).collect();
    let k = DerivedKey::derive(&secret("keystorepassword"), FormatVersion::V5, &salt);
    assert_eq!(hex(k.key_bytes_for_tests()), KNOWN_PBKDF2_V5);
}
const KNOWN_PBKDF2_V5: &str = "5b2c2f2cae1822d6a3f4fa3ea57742b0";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn entries_strategy() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec(
        (
            "[A-Za-z0-9_.-]{1,40}",
            prop::collection::vec(any::<u8>(), 0..200),
        ),
        0..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn round_trip(
        entries in entries_strategy(),
        password in prop::collection::vec(any::<u8>(), 0..40),
        v6 in any::<bool>(),
    ) {
        let version = if v6 { FormatVersion::V6 } else { FormatVersion::V5 };
        let mut ks = Keystore::new();
        for (name, value) in entries {
            ks.set_string(&name, Secret::new(value)).unwrap();
        }
        let password = Secret::new(password);
        let salt = crate::crypto::random_bytes::<64>().unwrap();
        let k = cheap_key(&password, version, &salt);
        let bytes = encode(&ks, &k).unwrap();
        let file = KeystoreFile::parse(&bytes).unwrap();
        prop_assert_eq!(file.version(), version);
        prop_assert_eq!(file.has_password(), !password.is_empty());
        prop_assert_eq!(file.decrypt_with(&k).unwrap(), ks);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        fuzz_parse(&data);
    }
}

/// A few cases with the production KDF, v5 and v6 (0.1-0.2 s each for v6).
#[test]
fn real_kdf_round_trip_random_passwords() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 4,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &(entries_strategy(), "[ -~]{0,24}", any::<bool>()),
            |(entries, password, v6)| {
                let version = if v6 {
                    FormatVersion::V6
                } else {
                    FormatVersion::V5
                };
                let mut ks = Keystore::new();
                for (name, value) in entries {
                    ks.set_string(&name, Secret::new(value)).unwrap();
                }
                let key = DerivedKey::new_random(&secret(&password), version).unwrap();
                let file = KeystoreFile::parse(&encode(&ks, &key).unwrap()).unwrap();
                let (back, _) = file.decrypt(&secret(&password)).unwrap();
                prop_assert_eq!(back, ks);
                Ok(())
            },
        )
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Entries.

#[test]
fn create_adds_a_20_char_seed_from_the_alphabet() {
    const ALPHABET: &str =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~!@#$%^&*-_=+?";
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let ks = Keystore::create().unwrap();
        assert_eq!(ks.names().collect::<Vec<_>>(), ["keystore.seed"]);
        let seed = ks
            .get("keystore.seed")
            .unwrap()
            .expose_str()
            .unwrap()
            .to_owned();
        assert_eq!(seed.len(), 20);
        assert!(seed.chars().all(|c| ALPHABET.contains(c)), "{seed}");
        seen.extend(seed.chars());
    }
    // 1000 uniform draws from 76 characters miss one with probability ~76 * e^-13: never.
    assert_eq!(seen.len(), 76);
}

#[test]
fn seed_is_not_replaced() {
    let mut ks = sample();
    assert!(!ks.add_seed_if_missing().unwrap());
    assert_eq!(
        ks.get("keystore.seed").unwrap().expose(),
        b"0123456789abcdefghij"
    );
}

#[test]
fn set_get_remove() {
    let mut ks = Keystore::new();
    assert!(ks.is_empty());
    ks.set_string("b.x", secret("1")).unwrap();
    ks.set_string("a-y_Z.0", secret("2")).unwrap();
    ks.set_string("b.x", secret("3")).unwrap();
    assert_eq!(ks.names().collect::<Vec<_>>(), ["a-y_Z.0", "b.x"]);
    assert_eq!(ks.get("b.x").unwrap().expose(), b"3");
    assert!(ks.contains("a-y_Z.0"));
    assert_eq!(ks.remove("b.x").unwrap().expose(), b"3");
    assert!(!ks.contains("b.x"));
    assert_eq!(ks.len(), 1);
}

#[test]
fn invalid_setting_names_are_rejected() {
    let mut ks = Keystore::new();
    for bad in [
        "",
        "with space",
        "slash/name",
        "ümlaut",
        "semi;colon",
        "nul\0",
    ] {
        let e = ks.set_string(bad, secret("v")).unwrap_err();
        assert!(matches!(e, Error::InvalidSettingName { .. }), "{bad:?}");
    }
    let e = ks.set_string("a b", secret("v")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Setting name [a b] does not match the allowed setting name pattern [[A-Za-z0-9_\\-.]+]"
    );
    let long = "a".repeat(65_536);
    assert!(ks.set_string(&long, secret("v")).is_err());
    assert!(ks.set_string(&"a".repeat(65_535), secret("v")).is_ok());
}

#[test]
fn too_large_values_are_rejected() {
    let mut ks = Keystore::new();
    let e = ks
        .set_string("big", Secret::new(vec![0; crate::MAX_FILE_SIZE]))
        .unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
}

/// Seals a hand-made plaintext into a v6 file (one-iteration key, password "pw").
fn seal_plaintext(plain: &[u8], version: FormatVersion) -> (Vec<u8>, DerivedKey) {
    let k = key("pw", version);
    let mut buf = plain.to_vec();
    let iv = [9u8; 12];
    k.seal(iv, &mut buf).unwrap();
    let data = crate::crypto::Sealed {
        salt: k.salt(),
        iv: &iv,
        ciphertext: &buf,
    }
    .write(version);
    (crate::format::write_envelope(version, true, &data), k)
}

fn decrypt_plaintext(plain: &[u8]) -> Result<Keystore, Error> {
    let (bytes, k) = seal_plaintext(plain, FormatVersion::V6);
    KeystoreFile::parse(&bytes).unwrap().decrypt_with(&k)
}

fn plaintext(entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut p = (entries.len() as i32).to_be_bytes().to_vec();
    for (n, v) in entries {
        p.extend_from_slice(&(n.len() as u16).to_be_bytes());
        p.extend_from_slice(n);
        p.extend_from_slice(&(v.len() as i32).to_be_bytes());
        p.extend_from_slice(v);
    }
    p
}

#[test]
fn invalid_names_in_a_file_are_rejected() {
    let e = decrypt_plaintext(&plaintext(&[(b"bad name\xff", b"v")])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Setting name [bad name\\xff] does not match the allowed setting name pattern \
         [[A-Za-z0-9_\\-.]+]"
    );
    assert!(decrypt_plaintext(&plaintext(&[(b"", b"v")])).is_err());
}

#[test]
fn malformed_plaintext_is_corrupted() {
    let good = plaintext(&[(b"a", b"value")]);
    assert_eq!(
        decrypt_plaintext(&good).unwrap().get("a").unwrap().expose(),
        b"value"
    );
    let corrupted = "Keystore has been corrupted or tampered with";
    // Trailing bytes after the last entry.
    let mut extra = good.clone();
    extra.push(0);
    assert_eq!(
        decrypt_plaintext(&extra).unwrap_err().to_string(),
        corrupted
    );
    // Every truncation of the plaintext.
    for n in 0..good.len() {
        assert_eq!(
            decrypt_plaintext(&good[..n]).unwrap_err().to_string(),
            corrupted,
            "{n}"
        );
    }
    // A count larger than the entries, an absurd count, negative and absurd value lengths.
    let mut p = good.clone();
    p[..4].copy_from_slice(&2i32.to_be_bytes());
    assert_eq!(decrypt_plaintext(&p).unwrap_err().to_string(), corrupted);
    p[..4].copy_from_slice(&i32::MAX.to_be_bytes());
    assert_eq!(decrypt_plaintext(&p).unwrap_err().to_string(), corrupted);
    let value_len_at = 4 + 2 + 1;
    for len in [-1i32, i32::MIN, i32::MAX, 6] {
        let mut p = good.clone();
        p[value_len_at..value_len_at + 4].copy_from_slice(&len.to_be_bytes());
        assert_eq!(
            decrypt_plaintext(&p).unwrap_err().to_string(),
            corrupted,
            "{len}"
        );
    }
}

#[test]
fn non_positive_counts_mean_no_entries_and_duplicates_keep_the_last() {
    // Elasticsearch's `while (numEntries-- > 0)` and HashMap.put.
    assert!(decrypt_plaintext(&(-5i32).to_be_bytes())
        .unwrap()
        .is_empty());
    let ks = decrypt_plaintext(&plaintext(&[(b"a", b"1"), (b"a", b"2")])).unwrap();
    assert_eq!(ks.get("a").unwrap().expose(), b"2");
}

#[test]
fn v3_type_strings_are_skipped() {
    let mut p = 1i32.to_be_bytes().to_vec();
    p.extend_from_slice(&[0, 1, b'a', 0, 4]);
    p.extend_from_slice(b"FILE");
    p.extend_from_slice(&[0, 0, 0, 2, b'x', b'y']);
    let (bytes, k) = seal_plaintext(&p, FormatVersion::V3);
    let ks = KeystoreFile::parse(&bytes)
        .unwrap()
        .decrypt_with(&k)
        .unwrap();
    assert_eq!(ks.get("a").unwrap().expose(), b"xy");
    // The same bytes without the type string are a v4 entry list; as v3 they are corrupt.
    let (bytes, k) = seal_plaintext(&plaintext(&[(b"a", b"xy")]), FormatVersion::V3);
    assert!(KeystoreFile::parse(&bytes)
        .unwrap()
        .decrypt_with(&k)
        .is_err());
}

// ---------------------------------------------------------------------------------------------
// Every error path of the envelope, with its exact message.

#[test]
fn wrong_password() {
    let (bytes, _) = sample_file("right");
    let file = KeystoreFile::parse(&bytes).unwrap();
    let salt = &bytes[SALT_AT..SALT_AT + 64];
    let e = file
        .decrypt_with(&cheap_key(&secret("wrong"), FormatVersion::V6, salt))
        .unwrap_err();
    assert!(matches!(e, Error::WrongPassword));
    assert_eq!(e.to_string(), "Provided keystore password was incorrect");
    assert!(!e.is_corruption());
}

#[test]
fn key_for_another_file_is_refused() {
    let (bytes, _) = sample_file("pw");
    let file = KeystoreFile::parse(&bytes).unwrap();
    let e = file
        .decrypt_with(&key("pw", FormatVersion::V5))
        .unwrap_err();
    assert!(matches!(e, Error::KeyMismatch), "{e}");
    let other_salt = cheap_key(&secret("pw"), FormatVersion::V6, &[1u8; 64]);
    assert!(matches!(
        file.decrypt_with(&other_salt),
        Err(Error::KeyMismatch)
    ));
}

#[test]
fn bad_magic() {
    let (mut bytes, _) = sample_file("");
    bytes[0] = 0;
    assert_eq!(
        parse_err(&bytes).to_string(),
        "codec header mismatch: actual header=14117911 vs expected header=1071082519"
    );
}

#[test]
fn wrong_codec_name() {
    let (mut bytes, _) = sample_file("");
    bytes[5..27].copy_from_slice(b"elasticsearch.keystorX");
    assert_eq!(
        parse_err(&bytes).to_string(),
        "codec mismatch: actual codec=elasticsearch.keystorX vs expected codec=elasticsearch.keystore"
    );
    // A different length, and one longer than the file.
    bytes[4] = 3;
    assert!(matches!(parse_err(&bytes), Error::CodecMismatch { .. }));
    bytes[4] = 0x7F;
    let mut short = bytes[..40].to_vec();
    short[4] = 0x7F;
    assert!(matches!(parse_err(&short), Error::ReadPastEof { .. }));
}

#[test]
fn versions_2_and_7() {
    let (mut bytes, _) = sample_file("");
    bytes[VERSION_AT + 3] = 2;
    let e = parse_err(&bytes);
    assert!(matches!(e, Error::FormatTooOld { version: 2 }));
    assert_eq!(
        e.in_file("/etc/es/elasticsearch.keystore").to_string(),
        "The Elasticsearch keystore [/etc/es/elasticsearch.keystore] format is too old. \
         You should delete and recreate it in order to upgrade."
    );
    bytes[VERSION_AT + 3] = 7;
    let e = parse_err(&bytes);
    assert!(matches!(e, Error::FormatTooNew { version: 7 }));
    assert_eq!(
        e.in_file("/k").to_string(),
        "The Elasticsearch keystore [/k] format is too new. Are you trying to downgrade? \
         You should delete and recreate it in order to downgrade."
    );
    bytes[VERSION_AT..FLAG_AT].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(matches!(
        parse_err(&bytes),
        Error::FormatTooOld { version: -1 }
    ));
}

#[test]
fn has_password_byte_2() {
    let (mut bytes, _) = sample_file("");
    bytes[FLAG_AT] = 2;
    assert_eq!(
        parse_err(&bytes).to_string(),
        "hasPassword boolean is corrupt: 02"
    );
}

#[test]
fn crc_mismatch() {
    let (bytes, _) = sample_file("");
    let n = bytes.len();
    let stored = u64::from_be_bytes(bytes[n - 8..].try_into().unwrap());
    let mut bad = bytes.clone();
    bad[n - 1] ^= 1;
    assert_eq!(
        parse_err(&bad).to_string(),
        format!(
            "checksum failed (hardware problem?) : expected={:x} actual={stored:x}",
            stored ^ 1
        )
    );
    // Upper 32 bits set.
    let mut bad = bytes.clone();
    bad[n - 8] = 1;
    assert!(parse_err(&bad)
        .to_string()
        .starts_with("Illegal CRC-32 checksum: "));
    // Footer magic and algorithm id.
    let mut bad = bytes.clone();
    bad[n - 16] = 0;
    assert!(parse_err(&bad)
        .to_string()
        .starts_with("codec footer mismatch (file truncated?)"));
    let mut bad = bytes;
    bad[n - 9] = 1;
    assert_eq!(
        parse_err(&bad).to_string(),
        "codec footer mismatch: unknown algorithmID: 1"
    );
}

#[test]
fn extended_file() {
    let (mut bytes, _) = sample_file("");
    bytes.push(0);
    assert_eq!(
        parse_err(&bytes).to_string(),
        "misplaced codec footer (file extended?): remaining=17, expected=16"
    );
}

#[test]
fn truncated_at_every_offset() {
    let (bytes, _) = sample_file("pw");
    for n in 0..bytes.len() {
        let e = parse_err(&bytes[..n]);
        assert!(e.is_corruption(), "{n}: {e}");
        let shown = e.in_file("/c/elasticsearch.keystore").to_string();
        assert!(
            shown.starts_with(
                "The Elasticsearch keystore [/c/elasticsearch.keystore] is corrupted or has been \
                 tampered with: "
            ),
            "{n}: {shown}"
        );
    }
}

#[test]
fn bit_flips_in_salt_iv_and_ciphertext() {
    let (bytes, k) = sample_file("pw");
    let file_len = bytes.len();
    for at in [
        SALT_AT,
        SALT_AT + 63,
        IV_AT,
        IV_AT + 11,
        CT_AT,
        file_len - 17,
    ] {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x10;
        // As stored: the checksum catches it.
        assert!(
            matches!(parse_err(&flipped), Error::ChecksumFailed { .. }),
            "{at}"
        );
        // With the checksum recomputed, GCM catches it (and cannot tell it from a wrong password).
        fix_crc(&mut flipped);
        let file = KeystoreFile::parse(&flipped).unwrap();
        let key = file
            .derive_key_with_iterations_for_tests(&secret("pw"), 1)
            .unwrap();
        let e = file.decrypt_with(&key).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Provided keystore password was incorrect",
            "{at}"
        );
    }
    // Sanity: the unflipped file opens with that procedure.
    let file = KeystoreFile::parse(&bytes).unwrap();
    assert_eq!(file.decrypt_with(&k).unwrap(), sample());
}

#[test]
fn absurd_length_fields() {
    let (bytes, _) = sample_file("pw");
    // The data block length: 2^31 reads as negative, 2^31 - 1 runs past the end.
    for (value, expect) in [
        (0x8000_0000u32, "negative data block length: -2147483648"),
        (
            0x7FFF_FFFF,
            "read past EOF while reading the data block (file truncated?)",
        ),
    ] {
        let mut b = bytes.clone();
        b[DATA_LEN_AT..SALT_LEN_AT].copy_from_slice(&value.to_le_bytes());
        assert_eq!(parse_err(&b).to_string(), expect);
    }
    // The three array lengths inside the data block (checked at decrypt, as in Elasticsearch).
    for at in [SALT_LEN_AT, IV_AT - 4, CT_AT - 4] {
        for value in [0x8000_0000u32, 0x7FFF_FFFF, 0xFFFF_FFFF, 0] {
            let mut b = bytes.clone();
            b[at..at + 4].copy_from_slice(&value.to_le_bytes());
            fix_crc(&mut b);
            let file = KeystoreFile::parse(&b).unwrap();
            let e = file.derive_key(&secret("pw")).unwrap_err();
            assert_eq!(
                e.to_string(),
                "Keystore has been corrupted or tampered with"
            );
            assert!(e.is_corruption());
        }
    }
}

#[test]
fn leftover_bytes_in_the_data_block() {
    let (bytes, _) = sample_file("pw");
    let mut b = bytes[..bytes.len() - 16].to_vec();
    b.push(0);
    let data_len = (b.len() - 36) as u32;
    b[DATA_LEN_AT..SALT_LEN_AT].copy_from_slice(&data_len.to_le_bytes());
    b.extend_from_slice(&bytes[bytes.len() - 16..]);
    fix_crc(&mut b);
    let e = KeystoreFile::parse(&b)
        .unwrap()
        .derive_key(&secret("pw"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Keystore has been corrupted or tampered with"
    );
}

#[test]
fn v4_envelope_is_big_endian() {
    let k = key("", FormatVersion::V4);
    let bytes = encode_any_version(&sample(), &k, FormatVersion::V4);
    assert_eq!(&bytes[SALT_LEN_AT..SALT_AT], &64u32.to_be_bytes());
    let data_len = u32::from_be_bytes(bytes[DATA_LEN_AT..SALT_LEN_AT].try_into().unwrap());
    assert_eq!(data_len as usize, bytes.len() - 36 - 16);
}

// ---------------------------------------------------------------------------------------------
// Secrets stay secret.

#[test]
fn debug_output_shows_no_secret() {
    let (bytes, k) = sample_file("hunter2-password");
    let file = KeystoreFile::parse(&bytes).unwrap();
    let ks = file.decrypt_with(&k).unwrap();
    let shown = format!("{ks:?} {k:?} {file:?}");
    for secret in ["s3cr3t-value", "0123456789abcdefghij", "hunter2"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("xpack.security.http.ssl.keystore.secure_password"));
    let key_hex = hex(k.key_bytes_for_tests());
    assert!(!shown.to_lowercase().contains(&key_hex));
}

// ---------------------------------------------------------------------------------------------
// The fuzz body over seeds and mutations (the fuzz target runs the same function).

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn fuzz_body_survives_mutations() {
    let seeds = seeds();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seed in &seeds {
        fuzz_parse(seed);
    }
    for _ in 0..3000 {
        let mut data = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            match rng.below(6) {
                0 if !data.is_empty() => {
                    let at = rng.below(data.len());
                    data[at] ^= 1 << rng.below(8);
                }
                1 if !data.is_empty() => {
                    let at = rng.below(data.len());
                    data[at] = rng.next() as u8;
                }
                2 => data.truncate(rng.below(data.len() + 1)),
                3 => {
                    let at = rng.below(data.len() + 1);
                    data.insert(at, rng.next() as u8);
                }
                4 if data.len() >= 4 => {
                    // Overwrite a 4-byte field with an interesting length.
                    let at = rng.below(data.len() - 3);
                    let v = [0u32, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 64, 12][rng.below(7)];
                    data[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
                _ => {
                    if data.len() >= 8 {
                        fix_crc(&mut data);
                    }
                }
            }
        }
        fuzz_parse(&data);
    }
}

// ---------------------------------------------------------------------------------------------
// On disk.

fn running_as_root() -> bool {
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    std::fs::write(&probe, b"").unwrap();
    std::fs::metadata(&probe).unwrap().uid() == 0
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn save_then_load() {
    let dir = tempfile::tempdir().unwrap();
    let path = keystore_path(dir.path());
    assert!(store::load(&path).unwrap().is_none());
    let (bytes, k) = sample_file("pw");
    store::save(&path, &bytes).unwrap();
    assert_eq!(mode(&path), 0o660);
    assert!(!temp_path(&path).exists());
    let file = store::load(&path).unwrap().unwrap();
    assert_eq!(file.decrypt_with(&k).unwrap(), sample());
    // Replacing keeps working, and a stale temporary file from a crash is not an obstacle.
    std::fs::write(temp_path(&path), b"stale").unwrap();
    store::save(&path, &bytes).unwrap();
    assert!(!temp_path(&path).exists());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn mode_is_set_explicitly_even_over_a_tight_existing_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = keystore_path(dir.path());
    std::fs::write(&path, b"old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    store::save(&path, b"new").unwrap();
    assert_eq!(mode(&path), 0o660);
}

#[test]
fn failed_save_removes_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = keystore_path(dir.path());
    // A non-empty directory where the keystore goes: the rename fails.
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("x"), b"").unwrap();
    assert!(matches!(store::save(&path, b"bytes"), Err(Error::Io(_))));
    assert!(!temp_path(&path).exists());
}

#[test]
fn refuses_to_change_the_owner() {
    if !running_as_root() {
        eprintln!("not root: cannot chown a file to another user, owner check not exercised");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = keystore_path(dir.path());
    std::fs::write(&path, b"old").unwrap();
    std::os::unix::fs::chown(&path, Some(4321), None).unwrap();
    let e = store::save(&path, b"new").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "will not overwrite keystore at [{}], because this incurs changing the file owner",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    assert!(!temp_path(&path).exists());
}

#[test]
fn permission_denied_on_the_temporary_file() {
    // Root ignores directory permissions, but sysfs refuses file creation even to root.
    let holder;
    let dir: &Path = if running_as_root() {
        let probe = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open("/sys/esac-keystore-probe");
        if !matches!(&probe, Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied) {
            eprintln!("root, and /sys does not answer EACCES: permission path not exercised");
            return;
        }
        Path::new("/sys")
    } else {
        holder = tempfile::tempdir().unwrap();
        std::fs::set_permissions(holder.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
        holder.path()
    };
    let path = keystore_path(dir);
    let e = store::save(&path, b"bytes").unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "unable to create temporary keystore at [{}/elasticsearch.keystore.tmp], write \
             permissions required for [{}] or run [elasticsearch-keystore upgrade]",
            dir.display(),
            dir.display()
        )
    );
}

#[test]
fn load_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = keystore_path(dir.path());
    let (mut bytes, _) = sample_file("");
    let last = bytes.len() - 20;
    bytes[last] ^= 4;
    std::fs::write(&path, &bytes).unwrap();
    let e = store::load(&path).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains(&format!("[{}]", path.display())), "{shown}");
    assert!(
        shown.contains("corrupted or has been tampered with: checksum failed"),
        "{shown}"
    );
    assert!(e.is_corruption());
    assert!(matches!(e.root(), Error::ChecksumFailed { .. }));
}

#[test]
fn load_refuses_what_is_not_a_keystore_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = keystore_path(dir.path());
    // A dangling symlink is not "no keystore".
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &path).unwrap();
    assert!(matches!(store::load(&path), Err(Error::Io(_))));
    std::fs::remove_file(&path).unwrap();
    // A directory.
    std::fs::create_dir(&path).unwrap();
    assert!(matches!(store::load(&path), Err(Error::NotAFile { .. })));
    std::fs::remove_dir(&path).unwrap();
    // Over the size cap: refused without reading it (the file is sparse).
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(crate::MAX_FILE_SIZE as u64 + 1).unwrap();
    assert!(matches!(
        store::load(&path).unwrap_err().root(),
        Error::TooLarge { .. }
    ));
    std::fs::remove_file(&path).unwrap();
    // A symlink to a valid keystore is followed, as Elasticsearch does.
    let (bytes, _) = sample_file("");
    let real = dir.path().join("real.keystore");
    std::fs::write(&real, &bytes).unwrap();
    std::os::unix::fs::symlink(&real, &path).unwrap();
    assert!(store::load(&path).unwrap().is_some());
}

// ---------------------------------------------------------------------------------------------
// Password sources.

#[test]
fn password_file_first_line_without_line_ending() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pass");
    for (content, expect) in [
        (&b"pw\n"[..], &b"pw"[..]),
        (b"pw\r\nsecond line\n", b"pw"),
        (b"pw", b"pw"),
        (b"", b""),
        (b"\n", b""),
        (b" spaced pw \n", b" spaced pw "),
    ] {
        std::fs::write(&p, content).unwrap();
        let got = crate::PasswordSource::File(p.clone()).read().unwrap();
        assert_eq!(got.expose(), expect, "{content:?}");
    }
    std::fs::write(&p, vec![b'x'; crate::open::MAX_PASSWORD_LEN + 1]).unwrap();
    assert!(matches!(
        crate::PasswordSource::File(p.clone()).read(),
        Err(Error::PasswordTooLong { .. })
    ));
    let e = crate::PasswordSource::File(dir.path().join("missing"))
        .read()
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot read the keystore password from ["),
        "{e}"
    );
}

#[test]
fn open_keystore_reads_the_password_only_when_needed() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        crate::open_keystore(dir.path(), &crate::PasswordSource::Stdin)
            .unwrap()
            .is_none()
    );
    // An unprotected keystore never asks: a source that would fail is not touched.
    let key = DerivedKey::new_random(&Secret::default(), FormatVersion::V5).unwrap();
    store::save(
        &keystore_path(dir.path()),
        &encode(&sample(), &key).unwrap(),
    )
    .unwrap();
    let missing = crate::PasswordSource::File(dir.path().join("missing"));
    let opened = crate::open_keystore(dir.path(), &missing).unwrap().unwrap();
    assert_eq!(opened.keystore, sample());
    assert_eq!(opened.key, key);
    assert!(!opened.file.has_password());
}

// ---------------------------------------------------------------------------------------------
// Test-only accessors.

impl DerivedKey {
    fn key_bytes_for_tests(&self) -> &[u8] {
        self.key_bytes()
    }
}

impl KeystoreFile {
    fn derive_key_with_iterations_for_tests(
        &self,
        password: &Secret,
        iterations: u32,
    ) -> Result<DerivedKey, Error> {
        let sealed = crate::crypto::Sealed::parse(&self.data, self.version)?;
        Ok(DerivedKey::derive_with_iterations(
            password,
            self.version,
            sealed.salt,
            iterations,
        ))
    }
}

/// Impossible lengths in a crafted file (salt length 2^31-16 or negative in the data block; an
/// entry count of 2^31-1 and a value length of 2^31-16 in the decrypted entry list): refused
/// without allocating what they claim, and through [`crate::open_keystore`] the error names the
/// file. The wrong-password message stays Elasticsearch's.
#[test]
fn impossible_lengths_are_refused_naming_the_file() {
    use crate::fuzzing::seal_raw;
    use crate::open::{open_keystore, PasswordSource};

    let dir = tempfile::tempdir().unwrap();
    let path = keystore_path(dir.path());
    let entry_list = |count: i32, value_len: i32| {
        let mut p = count.to_be_bytes().to_vec();
        p.extend_from_slice(&[0, 1, b'a']);
        p.extend_from_slice(&value_len.to_be_bytes());
        p.extend_from_slice(b"value");
        seal_raw(&p, &Secret::default(), FormatVersion::V5).unwrap()
    };
    let good = entry_list(1, 5);
    let with_salt_len = |value: i32| {
        let mut b = good.clone();
        b[SALT_LEN_AT..SALT_AT].copy_from_slice(&value.to_le_bytes());
        fix_crc(&mut b);
        b
    };
    std::fs::write(&path, &good).unwrap();
    let opened = open_keystore(dir.path(), &PasswordSource::Given(Secret::default()))
        .unwrap()
        .unwrap();
    assert_eq!(opened.keystore.get("a").unwrap().expose(), b"value");
    for (what, bytes) in [
        ("salt length 2^31-16", with_salt_len(i32::MAX - 15)),
        ("salt length -1", with_salt_len(-1)),
        ("salt length -16", with_salt_len(-16)),
        ("entry count 2^31-1", entry_list(i32::MAX, 5)),
        ("value length 2^31-16", entry_list(1, i32::MAX - 15)),
        ("value length -1", entry_list(1, -1)),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        let e = open_keystore(dir.path(), &PasswordSource::Given(Secret::default())).unwrap_err();
        assert!(e.is_corruption(), "{what}: {e}");
        assert_eq!(
            e.to_string(),
            format!(
                "The Elasticsearch keystore [{}] is corrupted or has been tampered with: \
                 Keystore has been corrupted or tampered with",
                path.display()
            ),
            "{what}"
        );
    }
    let protected = seal_raw(&(0i32).to_be_bytes(), &secret("right"), FormatVersion::V5).unwrap();
    std::fs::write(&path, protected).unwrap();
    let e = open_keystore(dir.path(), &PasswordSource::Given(secret("wrong"))).unwrap_err();
    assert_eq!(e.to_string(), "Provided keystore password was incorrect");
}
