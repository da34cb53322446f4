//! Cross-checks against Lucene's own `CodecUtil` and the JDK's crypto (`LuceneCheck.java`), the
//! closest we get to Elasticsearch without its jars: Lucene validates our header, footer and
//! checksum and writes files of versions 3 to 6 for us to read.
//!
//! Optional: it needs a JDK and Debian's `liblucene8-java` (or `ESAC_LUCENE_CORE_JAR` naming a
//! lucene-core 8 jar). Without them it prints why it did nothing and passes; the Python model in
//! `python_model.rs` is the interop check that always runs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use esac_keystore::{encode, store, DerivedKey, FormatVersion, Keystore, Secret};

fn lucene_core_jar() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ESAC_LUCENE_CORE_JAR") {
        return Some(PathBuf::from(p));
    }
    let dir = std::fs::read_dir("/usr/share/java").ok()?;
    let mut jars: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("lucene-core-8") && name.ends_with(".jar")
        })
        .collect();
    jars.sort();
    jars.pop()
}

fn java_available() -> bool {
    Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs the Java program on `commands` (one per line) and returns its result lines.
fn run_java(jar: &Path, commands: &[String]) -> Vec<String> {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/LuceneCheck.java");
    let mut child = Command::new("java")
        .arg("-cp")
        .arg(jar)
        .arg(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start java");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn entries() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("keystore.seed", b"Ab~!@#$%^&*-_=+?0123".to_vec()),
        (
            "xpack.security.http.ssl.keystore.secure_password",
            b"p\xc3\xa4ss".to_vec(),
        ),
        ("empty", Vec::new()),
        ("bytes", (0u8..=255).collect()),
    ]
}

fn keystore() -> Keystore {
    let mut ks = Keystore::new();
    for (name, value) in entries() {
        ks.set_string(name, Secret::new(value)).unwrap();
    }
    ks
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
    let (Some(jar), true) = (lucene_core_jar(), java_available()) else {
        eprintln!(
            "lucene_model: no JDK or no lucene-core 8 jar (apt-get install liblucene8-java); \
             Lucene cross-check not run"
        );
        return;
    };
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

    let results = run_java(&jar, &commands);
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
