//! What `init` writes is read by the JDK and OpenSSL as Elasticsearch would read it: the PKCS#12
//! passwords from our keystore open our PKCS#12 files with `keytool`, and the HTTP certificate
//! chains to `http_ca.crt`. Feature `interop`: a missing tool fails the test.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use esac_testkit::tools::{require_tool, run_tool, success};
use esac_testkit::Run;

use crate::common::{assert_configured, keystore_show, STOCK_YML};
use crate::ES_AUTOCONF;

/// Generous: only a program that hangs should reach it.
const LIMIT: Duration = Duration::from_secs(300);

fn tool(program: &str, args: &[&str]) -> Run {
    Run::from(run_tool(
        Command::new(require_tool(program)).args(args),
        b"",
        LIMIT,
    ))
}

/// `keytool -list -v` of a PKCS#12 file (the password passed in the environment): what it
/// printed.
pub fn keytool_list(p12: &Path, password: &str) -> String {
    let args = [
        "-list",
        "-v",
        "-storetype",
        "PKCS12",
        "-keystore",
        p12.to_str().unwrap(),
        "-storepass:env",
        "KT_PW",
    ];
    let mut keytool = Command::new(require_tool("keytool"));
    keytool.args(args).env("KT_PW", password);
    let out = run_tool(&mut keytool, b"", LIMIT);
    success(&format!("keytool -list {}", p12.display()), &out)
}

/// `keytool -list -v`, as (alias, entry type) pairs.
fn keytool_entries(p12: &Path, password: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut alias = None;
    for line in keytool_list(p12, password).lines() {
        if let Some(a) = line.strip_prefix("Alias name: ") {
            alias = Some(a.to_owned());
        } else if let Some(t) = line.strip_prefix("Entry type: ") {
            out.push((alias.take().unwrap(), t.to_owned()));
        }
    }
    out.sort();
    out
}

fn check_interop(config: &Path) {
    let certs = config.join("certs");
    let transport_pw = keystore_show(
        config,
        "xpack.security.transport.ssl.keystore.secure_password",
        &[],
    );
    let truststore_pw = keystore_show(
        config,
        "xpack.security.transport.ssl.truststore.secure_password",
        &[],
    );
    assert_eq!(transport_pw, truststore_pw);
    let http_pw = keystore_show(
        config,
        "xpack.security.http.ssl.keystore.secure_password",
        &[],
    );
    let pair = |a: &str, t: &str| (a.to_owned(), t.to_owned());
    assert_eq!(
        keytool_entries(&certs.join("transport.p12"), &transport_pw),
        [
            pair("transport", "PrivateKeyEntry"),
            pair("transport_ca", "trustedCertEntry")
        ]
    );
    assert_eq!(
        keytool_entries(&certs.join("http.p12"), &http_pw),
        [
            pair("http", "PrivateKeyEntry"),
            pair("http_ca", "PrivateKeyEntry")
        ]
    );
    let wrong = tool(
        "keytool",
        &[
            "-list",
            "-storetype",
            "PKCS12",
            "-keystore",
            certs.join("http.p12").to_str().unwrap(),
            "-storepass",
            "wrong-password",
        ],
    );
    assert_ne!(wrong.code, 0, "{wrong:?}");

    let dir = tempfile::tempdir().unwrap();
    let leaf = dir.path().join("http.pem");
    let run = tool(
        "openssl",
        &[
            "pkcs12",
            "-in",
            certs.join("http.p12").to_str().unwrap(),
            "-nokeys",
            "-clcerts",
            "-passin",
            &format!("pass:{http_pw}"),
            "-out",
            leaf.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    // http.p12 holds two key entries (`http` and `http_ca`): keep the node's certificate.
    let pem = std::fs::read_to_string(&leaf).unwrap();
    let node_cert = pem
        .split("Bag Attributes")
        .find(|b| b.contains("subject=CN = node-1") || b.contains("subject=CN=node-1"))
        .and_then(|b| b.find("-----BEGIN CERTIFICATE-----").map(|i| &b[i..]))
        .unwrap_or_else(|| panic!("no CN=node-1 certificate in http.p12: {pem}"));
    std::fs::write(&leaf, node_cert).unwrap();
    let ca = certs.join("http_ca.crt");
    let run = tool(
        "openssl",
        &[
            "verify",
            "-CAfile",
            ca.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(": OK"), "{run:?}");
    // And not by another CA: the transport one does not sign the HTTP certificate.
    let transport_ca = dir.path().join("transport_ca.pem");
    let run = tool(
        "openssl",
        &[
            "pkcs12",
            "-in",
            certs.join("transport.p12").to_str().unwrap(),
            "-nokeys",
            "-cacerts",
            "-passin",
            &format!("pass:{transport_pw}"),
            "-out",
            transport_ca.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = tool(
        "openssl",
        &[
            "verify",
            "-CAfile",
            transport_ca.to_str().unwrap(),
            leaf.to_str().unwrap(),
        ],
    );
    assert_ne!(run.code, 0, "{run:?}");
}

#[test]
fn keytool_and_openssl_read_what_init_writes_pool_keys() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
    check_interop(&home.config());
}

#[test]
fn real_rsa_4096_generation_end_to_end() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
    check_interop(&home.config());
    let run = tool(
        "openssl",
        &[
            "x509",
            "-in",
            home.config().join("certs/http_ca.crt").to_str().unwrap(),
            "-noout",
            "-text",
        ],
    );
    assert!(run.stdout.contains("Public-Key: (4096 bit)"), "{run:?}");
}
