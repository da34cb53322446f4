//! Cross-checks against Lucene's own `CodecUtil` and the JDK's crypto (`LuceneCheck.java`), the
//! closest we get to Elasticsearch without its jars: Lucene validates our header, footer and
//! checksum and writes files of versions 3 to 6 for us to read.
//!
//! Needs a JDK and Debian's `liblucene8-java` (or `ESAC_LUCENE_CORE_JAR` naming a lucene-core 8
//! jar); without them the test fails and says to run `cargo xtask deps`.

use std::path::Path;

use esac_keystore::{encode, store, DerivedKey, FormatVersion, Secret};
use esac_testkit::tools::run_java_with_lucene;

use crate::{entries, hex, keystore, LIMIT};

/// Runs the Java program on `commands` (one per line) and returns its result lines.
fn run_java(commands: &[String]) -> Vec<String> {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/LuceneCheck.java");
    let no_args: [&str; 0] = [];
    let out = run_java_with_lucene(&program, no_args, commands.join("\n").as_bytes(), LIMIT);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The entries as the Java program prints them: sorted `name=hex`.
fn expected_entries() -> String {
    let mut e: Vec<String> = entries()
        .iter()
        .map(|(n, v)| format!("{n}={}", hex(v)))
        .collect();
    e.sort();
    e.join(" ")
}

fn password_hex(p: &str) -> String {
    if p.is_empty() {
        "-".to_owned()
    } else {
        hex(p.as_bytes())
    }
}

#[test]
fn lucene_and_jce_agree_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let passwords = ["", "keystorepassword", "pässwörd"];

    // Lucene reads what we write.
    let mut commands = Vec::new();
    let mut expect = Vec::new();
    for version in [FormatVersion::V5, FormatVersion::V6] {
        for password in passwords {
            let path = dir
                .path()
                .join(format!("rs-v{version}-{}.keystore", password.len()));
            let key = DerivedKey::new_random(&Secret::from_str_copy(password), version).unwrap();
            store::save(&path, &encode(&keystore(), &key).unwrap()).unwrap();
            commands.push(format!(
                "read {} {}",
                path.display(),
                password_hex(password)
            ));
            expect.push(format!(
                "ok {version} {} {}",
                !password.is_empty(),
                expected_entries()
            ));
        }
    }
    // ... and refuses a wrong password (AEADBadTagException) and a flipped byte (checksum).
    let victim = dir.path().join("rs-v6-16.keystore");
    commands.push(format!(
        "read {} {}",
        victim.display(),
        password_hex("wrong")
    ));
    let flipped = dir.path().join("flipped.keystore");
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[50] ^= 1;
    std::fs::write(&flipped, &bytes).unwrap();
    commands.push(format!(
        "read {} {}",
        flipped.display(),
        password_hex("keystorepassword")
    ));

    // We read what Lucene writes, in every version.
    let mut written = Vec::new();
    for version in [3, 4, 5, 6] {
        for password in passwords {
            let path = dir
                .path()
                .join(format!("java-v{version}-{}.keystore", password.len()));
            let pairs: Vec<String> = entries()
                .iter()
                .map(|(n, v)| format!("{n}={}", hex(v)))
                .collect();
            commands.push(format!(
                "write {} {version} {} {}",
                path.display(),
                password_hex(password),
                pairs.join(" ")
            ));
            written.push((path, version, password));
        }
    }

    let results = run_java(&commands);
    assert_eq!(results.len(), commands.len(), "{results:#?}");
    for (i, want) in expect.iter().enumerate() {
        assert_eq!(&results[i], want, "{}", commands[i]);
    }
    let n = expect.len();
    assert!(results[n].contains("AEADBadTagException"), "{}", results[n]);
    assert!(
        results[n + 1].contains("checksum failed"),
        "{}",
        results[n + 1]
    );
    for r in &results[n + 2..] {
        assert_eq!(r, "ok");
    }

    for (path, version, password) in written {
        let file = store::load(&path).unwrap().unwrap();
        assert_eq!(file.version().number(), version);
        assert_eq!(file.has_password(), !password.is_empty());
        let (ks, _) = file.decrypt(&Secret::from_str_copy(password)).unwrap();
        assert_eq!(ks, keystore(), "{}", path.display());
    }
}
