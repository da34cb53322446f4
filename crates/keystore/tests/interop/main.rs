//! Cross-checks of the keystore format against independent code, built only with the `interop`
//! feature (`cargo xtask test` turns it on): `python_model` (`keystore_model.py`) and
//! `lucene_model` (Lucene's own `CodecUtil` and the JDK's crypto, `LuceneCheck.java`). They fail,
//! never skip, when a tool is missing, and say to run `cargo xtask deps`.

mod lucene_model;
mod python_model;

use std::time::Duration;

use esac_keystore::{Keystore, Secret};

/// Generous: only a program that hangs should reach it.
const LIMIT: Duration = Duration::from_secs(300);

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The entries both models check, with the awkward cases: an empty value, non-UTF-8 bytes, every
/// allowed name character, a space in a value.
fn entries() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("keystore.seed", b"Ab~!@#$%^&*-_=+?0123".to_vec()),
        (
            "xpack.security.transport.ssl.keystore.secure_password",
            b"p\xc3\xa4ss word".to_vec(),
        ),
        ("empty", Vec::new()),
        ("binary_-.AZaz09", (0u8..=255).collect()),
    ]
}

/// A keystore holding exactly [`entries`].
fn keystore() -> Keystore {
    let mut ks = Keystore::new();
    for (name, value) in entries() {
        ks.set_string(name, Secret::new(value)).unwrap();
    }
    ks
}
