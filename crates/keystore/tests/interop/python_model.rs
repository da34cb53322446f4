//! Cross-checks against an independent implementation: `keystore_model.py` (Python's hashlib,
//! zlib, struct and the `cryptography` package's AES-GCM) reads keystores we write and writes
//! keystores of versions 3 to 6 that we must read. Production iteration counts throughout.
//!
//! Needs `python3` with `cryptography`; without it the test fails and says to run
//! `cargo xtask deps`, because a silently skipped interop check is worse than a red one.

use std::path::{Path, PathBuf};
use std::process::Command;

use esac_keystore::{encode, store, DerivedKey, FormatVersion, Secret};
use esac_testkit::tools::{require_python_module, require_tool, run_tool, success};
use serde_json::{json, Value};

use crate::{entries, hex, keystore, LIMIT};

fn model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keystore_model.py")
}

fn require_python_cryptography() {
    require_python_module("cryptography.hazmat.primitives.ciphers.aead");
}

fn run_model(command: &str, request: &Value) -> Value {
    let out = run_tool(
        Command::new(require_tool("python3"))
            .arg(model())
            .arg(command),
        request.to_string().as_bytes(),
        LIMIT,
    );
    success(&format!("keystore_model.py {command}"), &out);
    serde_json::from_slice(&out.stdout).expect("model prints JSON")
}

fn expected_entries() -> Value {
    entries()
        .into_iter()
        .map(|(n, v)| (n.to_owned(), Value::from(hex(&v))))
        .collect()
}

#[test]
fn python_reads_what_we_write() {
    require_python_cryptography();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for version in [FormatVersion::V5, FormatVersion::V6] {
        for password in ["", "keystorepassword", "pässwörd with spaces"] {
            let path = dir
                .path()
                .join(format!("v{version}-{}.keystore", password.len()));
            let key = DerivedKey::new_random(&Secret::from_str_copy(password), version).unwrap();
            store::save(&path, &encode(&keystore(), &key).unwrap()).unwrap();
            files.push((path, version, password));
        }
    }
    let request = json!({ "files": files.iter().map(|(p, _, pw)| json!({"path": p, "password": pw}))
        .collect::<Vec<_>>() });
    let results = run_model("read", &request);
    for ((path, version, password), result) in files.iter().zip(results.as_array().unwrap()) {
        assert_eq!(result["error"], Value::Null, "{}: {result}", path.display());
        assert_eq!(
            result["version"],
            json!(version.number()),
            "{}",
            path.display()
        );
        assert_eq!(result["has_password"], json!(!password.is_empty()));
        assert_eq!(result["entries"], expected_entries(), "{}", path.display());
    }

    // And the model agrees a wrong password fails the GCM tag.
    let (path, _, _) = &files[1];
    let wrong = run_model(
        "read",
        &json!({"files": [{"path": path, "password": "nope"}]}),
    );
    assert_eq!(
        wrong[0]["error"],
        json!("wrong password (GCM tag mismatch)")
    );
}

#[test]
fn we_read_what_python_writes() {
    require_python_cryptography();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for version in [3, 4, 5, 6] {
        for password in ["", "keystorepassword"] {
            let path = dir
                .path()
                .join(format!("py-v{version}-{}.keystore", password.len()));
            files.push((path, version, password));
        }
    }
    let request = json!({ "files": files.iter().map(|(p, v, pw)| json!({
        "path": p, "version": v, "password": pw, "entries": expected_entries(),
    })).collect::<Vec<_>>() });
    run_model("write", &request);

    for (path, version, password) in &files {
        let file = store::load(path).unwrap().expect("file exists");
        assert_eq!(file.version().number(), *version);
        assert_eq!(file.has_password(), !password.is_empty());
        let (ks, key) = file.decrypt(&Secret::from_str_copy(password)).unwrap();
        assert_eq!(ks, keystore(), "{}", path.display());
        assert_eq!(
            key.iterations(),
            if *version == 6 { 210_000 } else { 10_000 }
        );
        if !password.is_empty() {
            let e = file.decrypt(&Secret::from_str_copy("wrong")).unwrap_err();
            assert_eq!(e.to_string(), "Provided keystore password was incorrect");
        }
        // Saving it again with the key it opened with keeps password and (writable) version.
        let again = esac_keystore::KeystoreFile::parse(&encode(&ks, &key).unwrap()).unwrap();
        assert_eq!(again.version(), file.version().writable());
        assert_eq!(again.decrypt_with(&key).unwrap(), keystore());
    }

    // Python reads our re-encoding of its v3 file (written back as v5).
    let (v3_path, _, _) = &files[1];
    let file = store::load(v3_path).unwrap().unwrap();
    let (ks, key) = file
        .decrypt(&Secret::from_str_copy("keystorepassword"))
        .unwrap();
    store::save(v3_path, &encode(&ks, &key).unwrap()).unwrap();
    let back = run_model(
        "read",
        &json!({"files": [{"path": v3_path, "password": "keystorepassword"}]}),
    );
    assert_eq!(back[0]["version"], json!(5));
    assert_eq!(back[0]["entries"], expected_entries());
}
