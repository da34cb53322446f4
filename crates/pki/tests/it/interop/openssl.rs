//! OpenSSL opens both stores with their passwords (JDK algorithms) and verifies the chains.

use std::process::Command;
use std::time::Duration;

use esac_certspec::KeyType;
use esac_testkit::tools::{require_tool, run_tool, success};

use super::{password_str, write};
use crate::common::material;

const LIMIT: Duration = Duration::from_secs(60);

fn openssl() -> std::path::PathBuf {
    require_tool("openssl")
}

#[test]
fn openssl_reads_both_stores_with_jdk_algorithms() {
    let m = material(KeyType::Rsa4096);
    let w = write(&m);
    for (file, pw, shrouded) in [
        ("http.p12", &w.http_password, 2),
        ("transport.p12", &w.transport_password, 1),
    ] {
        let out = run_tool(
            Command::new(openssl())
                .args(["pkcs12", "-info", "-noout", "-in"])
                .arg(w.path(file))
                .args(["-passin", "env:P12_PW"])
                .env("P12_PW", password_str(pw)),
            b"",
            LIMIT,
        );
        let text = success(&format!("openssl pkcs12 -info {file}"), &out);
        assert!(
            text.contains("MAC: sha256, Iteration 10000"),
            "{file}:\n{text}"
        );
        let pbes2 = "PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256";
        assert_eq!(
            text.matches(&format!("Shrouded Keybag: {pbes2}")).count(),
            shrouded,
            "{file}:\n{text}"
        );
        assert!(
            text.contains(&format!("PKCS7 Encrypted data: {pbes2}")),
            "{file}:\n{text}"
        );

        let wrong = run_tool(
            Command::new(openssl())
                .args(["pkcs12", "-info", "-noout", "-in"])
                .arg(w.path(file))
                .args(["-passin", "pass:wrong-password"]),
            b"",
            LIMIT,
        );
        assert!(
            !wrong.status.success(),
            "{file} opened with a wrong password"
        );
    }
}

#[test]
fn openssl_verifies_the_http_certificate_for_tls_servers() {
    for kt in [KeyType::Rsa4096, KeyType::EcdsaP256] {
        let w = write(&material(kt));
        let out = run_tool(
            Command::new(openssl())
                .args(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile"])
                .arg(w.path("http_ca.crt"))
                .arg(w.path("http.pem")),
            b"",
            LIMIT,
        );
        let text = success("openssl verify http", &out);
        assert!(text.contains("http.pem: OK"), "{text}");

        let out = run_tool(
            Command::new(openssl())
                .args(["verify", "-x509_strict", "-CAfile"])
                .arg(w.path("transport_ca.pem"))
                .arg(w.path("transport.pem")),
            b"",
            LIMIT,
        );
        assert!(success("openssl verify transport", &out).contains("transport.pem: OK"));

        // Each chain is its own: the transport CA does not vouch for the HTTP certificate.
        let out = run_tool(
            Command::new(openssl())
                .args(["verify", "-CAfile"])
                .arg(w.path("transport_ca.pem"))
                .arg(w.path("http.pem")),
            b"",
            LIMIT,
        );
        assert!(!out.status.success());
    }
}
