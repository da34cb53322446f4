//! The JDK reads the files as Elasticsearch does: `keytool -list -v`, then real JSSE handshakes
//! (`tests/java/PkiInterop.java`, launched as a single-file program) over loopback.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use esac_certspec::KeyType;
use esac_testkit::tools::{require_tool, run_tool, success};

use super::{password_str, write, Written};
use crate::common::material;

const LIMIT: Duration = Duration::from_secs(120);

/// `keytool -list -v` → (alias, entry type, chain length) per entry.
fn keytool_list(file: &Path, password: &str) -> Vec<(String, String, Option<usize>)> {
    let keytool = require_tool("keytool");
    let out = run_tool(
        Command::new(keytool)
            .args(["-list", "-v", "-storetype", "PKCS12", "-keystore"])
            .arg(file)
            .args(["-storepass:env", "KEYTOOL_PW"])
            .env("KEYTOOL_PW", password),
        b"",
        LIMIT,
    );
    let text = success("keytool -list", &out);
    let mut entries = Vec::new();
    for block in text.split("Alias name: ").skip(1) {
        let alias = block.lines().next().unwrap().trim().to_owned();
        let field = |name: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
        };
        let kind = field("Entry type:").expect("entry type");
        let chain = field("Certificate chain length:").map(|n| n.parse().unwrap());
        entries.push((alias, kind, chain));
    }
    entries.sort();
    entries
}

#[test]
fn keytool_sees_the_entries_elasticsearch_expects() {
    let m = material(KeyType::Rsa4096);
    let w = write(&m);
    assert_eq!(
        keytool_list(&w.path("http.p12"), password_str(&w.http_password)),
        [
            ("http".to_owned(), "PrivateKeyEntry".to_owned(), Some(2)),
            ("http_ca".to_owned(), "PrivateKeyEntry".to_owned(), Some(1)),
        ]
    );
    // The JDK completes the `transport` chain with the trusted CA it finds in the same file,
    // exactly as it does for the files Elasticsearch writes (formats.md 2.2), hence 2.
    assert_eq!(
        keytool_list(
            &w.path("transport.p12"),
            password_str(&w.transport_password)
        ),
        [
            (
                "transport".to_owned(),
                "PrivateKeyEntry".to_owned(),
                Some(2)
            ),
            (
                "transport_ca".to_owned(),
                "trustedCertEntry".to_owned(),
                None
            ),
        ]
    );
}

fn java(mode: &str, w: &Written) -> String {
    let java = require_tool("java");
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/PkiInterop.java");
    let out = run_tool(
        Command::new(java)
            .arg(program)
            .arg(mode)
            .arg(w.dir.path())
            .env("HTTP_P12_PASSWORD", password_str(&w.http_password))
            .env(
                "TRANSPORT_P12_PASSWORD",
                password_str(&w.transport_password),
            ),
        b"",
        LIMIT,
    );
    let text = success(&format!("java PkiInterop {mode}"), &out);
    eprintln!("{text}");
    text
}

#[test]
fn jdk_https_handshake_with_hostname_verification() {
    for kt in [KeyType::Rsa4096, KeyType::EcdsaP256] {
        let m = material(kt);
        let w = write(&m);
        let text = java("http", &w);
        for host in ["localhost", "127.0.0.1"] {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("OK http handshake host={host} ")))
                .unwrap_or_else(|| panic!("{kt}: no handshake for {host}:\n{text}"));
            assert!(line.contains("subject=CN=node-1"), "{line}");
            assert!(
                line.ends_with(&format!("ca_fingerprint={}", m.http_ca_fingerprint())),
                "{line}"
            );
        }
        assert!(
            text.contains("OK http hostname mismatch rejected"),
            "{text}"
        );
        assert!(text.contains("server key: [http]"), "{text}");
    }
}

#[test]
fn jdk_transport_mutual_tls_with_one_file_as_keystore_and_truststore() {
    let m = material(KeyType::Rsa4096);
    let w = write(&m);
    let text = java("transport", &w);
    assert!(
        text.contains("OK transport.p12 entries transport(key, chain 2) transport_ca(trusted)"),
        "{text}"
    );
    assert!(
        text.contains("OK transport mutual TLS")
            && text.contains("server=CN=node-1 client=CN=node-1"),
        "{text}"
    );
}
