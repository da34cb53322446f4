//! What a running node and its clients see of a renewal (feature `interop`: the JDK and openssl;
//! a missing tool fails the test).
//!
//! - A model of Elasticsearch's reload rule (`tests/java/ReloadHarness.java`, lifecycle spec
//!   §1.2, §8.5) serves `certs/http.p12` with the password it read at start, polls size and mtime
//!   every 200 ms and rebuilds its context: before `renew http` a JDK client (trusting only
//!   `http_ca.crt`, verifying the host name) sees serial A, after it serial B, the served chain's
//!   CA is `http_ca.crt`, and no reload ever fails.
//! - After `renew http-ca`, openssl and the JDK accept the old leaf and a new leaf under the
//!   re-issued CA; with the old CA expired, openssl rejects it and the JDK does not (§1.3, §8.2).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use esac_testkit::tools::{require_tool, run_tool, success, text};

use crate::common::keystore_show;
use crate::renew::{node, pem_der, renew, renew_at, renew_requiring_reload, store, HTTP_PASSWORD};

const LIMIT: Duration = Duration::from_secs(300);

fn harness_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/ReloadHarness.java")
}

/// Serials compared as numbers: no leading zeros, lowercase.
fn serial(s: &str) -> String {
    s.trim().trim_start_matches('0').to_ascii_lowercase()
}

fn sha256_hex(bytes: &[u8]) -> String {
    esac_pki::sha256_hex(bytes)
}

/// The server side of `ReloadHarness.java`, killed (by its own handle) when dropped.
struct Harness {
    child: Child,
    lines: Receiver<String>,
    log: Vec<String>,
    port: u16,
}

impl Harness {
    fn start(p12: &Path, password: &str) -> Harness {
        let mut child = Command::new(require_tool("java"))
            .arg(harness_source())
            .arg("server")
            .arg(p12)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("java: run `cargo xtask deps`");
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{password}\n").as_bytes()).unwrap();
        drop(stdin);
        let out = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut h = Harness {
            child,
            lines: rx,
            log: Vec::new(),
            port: 0,
        };
        let port = h.wait_for("port ", Duration::from_secs(120));
        h.port = port.parse().unwrap();
        h
    }

    /// The rest of the first line starting with `prefix`, waiting at most `limit`.
    fn wait_for(&mut self, prefix: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_owned();
                    }
                }
                Err(_) => panic!(
                    "no [{prefix}...] line within {limit:?}; the harness said: {:?}",
                    self.log
                ),
            }
        }
    }

    /// Whatever the harness printed so far, without waiting.
    fn drain(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        &self.log
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JDK client trusting only `ca`, verifying `host`: (leaf serial, chain length, SHA-256 of the
/// chain's last certificate), or the failure text.
fn jdk_handshake(port: u16, ca: &Path, host: &str) -> Result<(String, usize, String), String> {
    let out = run_tool(
        Command::new(require_tool("java"))
            .arg(harness_source())
            .arg("client")
            .arg(port.to_string())
            .arg(ca)
            .arg(host),
        b"",
        LIMIT,
    );
    let t = text(&out);
    if !out.status.success() {
        return Err(t);
    }
    let field = |name: &str| {
        t.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {t}"))
            .trim()
            .to_owned()
    };
    Ok((
        serial(&field("serial ")),
        field("chain ").parse().unwrap(),
        field("ca-sha256 "),
    ))
}

#[test]
fn a_running_node_model_reloads_the_renewed_store_within_one_poll() {
    let home = node(710);
    let config = home.config();
    let ca = config.join("certs/http_ca.crt");
    let ca_sha = sha256_hex(&pem_der(&std::fs::read(&ca).unwrap()));
    let old = esac_pki::existing_cert(store(&config).leaf.cert_der()).unwrap();
    let password = keystore_show(&config, HTTP_PASSWORD, &[]);
    let mut h = Harness::start(&config.join("certs/http.p12"), &password);
    assert_eq!(
        serial(&h.wait_for("loaded ", Duration::from_secs(60))),
        serial(&old.serial)
    );
    for host in ["localhost", "127.0.0.1"] {
        let (s, chain, last) = jdk_handshake(h.port, &ca, host).unwrap();
        assert_eq!(
            (s, chain, last),
            (serial(&old.serial), 2, ca_sha.clone()),
            "{host}"
        );
    }

    let run = renew(&home, &["http"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let renewed = Instant::now();
    let new = esac_pki::existing_cert(store(&config).leaf.cert_der()).unwrap();
    // One poll is 200 ms; the JVM on a loaded test machine gets some slack.
    let reloaded = h.wait_for("reloaded ", Duration::from_secs(5));
    let took = renewed.elapsed();
    assert_eq!(serial(&reloaded), serial(&new.serial), "{:?}", h.log);
    for host in ["localhost", "127.0.0.1"] {
        let (s, chain, last) = jdk_handshake(h.port, &ca, host).unwrap();
        assert_eq!(
            (s, chain, last),
            (serial(&new.serial), 2, ca_sha.clone()),
            "{host}"
        );
    }
    // A second renewal is seen too (size and mtime differ again), and `--wait-reload` sees the
    // node serve it.
    let url = format!("https://127.0.0.1:{}", h.port);
    let run = renew_requiring_reload(&home, &["http", "--force", "--format", "json"], &url, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let newer = esac_pki::existing_cert(store(&config).leaf.cert_der()).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let waited = &doc["reload"]["waited"];
    assert_eq!(waited["seen"], true, "{doc}");
    assert_eq!(waited["url"], url.as_str());
    assert_eq!(
        waited["last"],
        format!("served certificate SHA-256 {}", newer.sha256).as_str()
    );
    assert!(waited["waited_ms"].as_u64().unwrap() < 10_000, "{doc}");
    assert_eq!(doc["reason"]["code"], "renewed");
    assert_eq!(
        serial(&h.wait_for("reloaded ", Duration::from_secs(5))),
        serial(&newer.serial)
    );
    std::thread::sleep(Duration::from_millis(600));
    let log = h.drain().to_vec();
    assert!(
        !log.iter().any(|l| l.starts_with("reload-failed")),
        "a failed reload was logged: {log:?}"
    );
    assert_eq!(
        log.iter().filter(|l| l.starts_with("reloaded ")).count(),
        2,
        "one reload per renewal: {log:?} (first after {took:?})"
    );
    // A CA re-issued without a new leaf: seen once the node serves its own leaf next to the new
    // CA certificate.
    let run = renew_requiring_reload(
        &home,
        &["http-ca", "--force", "--format", "json"],
        &url,
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["reload"]["waited"]["seen"], true, "{doc}");
    assert_eq!(
        doc["reload"]["waited"]["last"],
        format!("served certificate SHA-256 {}", newer.sha256).as_str(),
        "the leaf is unchanged"
    );
}

fn openssl(args: &[&str], files: &[&Path]) -> std::process::Output {
    let mut c = Command::new(require_tool("openssl"));
    c.args(args);
    for f in files {
        c.arg(f);
    }
    run_tool(&mut c, b"", LIMIT)
}

/// `openssl verify -CAfile ca leaf` (purpose sslserver): Ok, or the error text.
fn openssl_verify(ca: &Path, leaf: &Path) -> Result<(), String> {
    let out = openssl(&["verify", "-purpose", "sslserver", "-CAfile"], &[ca, leaf]);
    if out.status.success() {
        Ok(())
    } else {
        Err(text(&out))
    }
}

fn write_pem(dir: &Path, name: &str, der: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, esac_pki::pem::encode("CERTIFICATE", der)).unwrap();
    p
}

#[test]
fn old_and_new_leaves_verify_under_the_reissued_ca() {
    // Configured 1010 days ago, the HTTP certificate renewed at day 700 (capped at the CA's
    // expiry, 85 days from now): the CA is due.
    let home = node(1010);
    renew_at(&home, 310, &["http"]);
    let config = home.config();
    let dir = tempfile::tempdir().unwrap();
    let before = store(&config);
    let old_ca = write_pem(dir.path(), "old-ca.pem", before.ca.cert_der());
    let old_leaf = write_pem(dir.path(), "old-leaf.pem", before.leaf.cert_der());

    let run = renew(&home, &["http-ca"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let after = store(&config);
    assert_eq!(
        after.leaf.cert_der(),
        before.leaf.cert_der(),
        "85 days left: kept"
    );
    let new_ca = config.join("certs/http_ca.crt");
    assert_eq!(
        pem_der(&std::fs::read(&new_ca).unwrap()),
        after.ca.cert_der()
    );
    openssl_verify(&new_ca, &old_leaf).expect("old leaf, new CA");
    openssl_verify(&old_ca, &old_leaf).expect("old leaf, old CA (still valid)");

    // The JDK, through the harness serving the store whose chain is [old leaf, new CA].
    let password = keystore_show(&config, HTTP_PASSWORD, &[]);
    let mut h = Harness::start(&config.join("certs/http.p12"), &password);
    h.wait_for("loaded ", Duration::from_secs(60));
    let new_ca_sha = sha256_hex(after.ca.cert_der());
    let (s, _, last) = jdk_handshake(h.port, &new_ca, "localhost").unwrap();
    let old_serial = esac_pki::existing_cert(before.leaf.cert_der())
        .unwrap()
        .serial;
    assert_eq!((s, last), (serial(&old_serial), new_ca_sha.clone()));
    jdk_handshake(h.port, &old_ca, "localhost").expect("a client with the old CA file");

    // A new leaf under the new CA: accepted with either CA file.
    let run = renew(&home, &["http", "--force"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let newest = store(&config);
    h.wait_for("reloaded ", Duration::from_secs(5));
    let new_leaf = write_pem(dir.path(), "new-leaf.pem", newest.leaf.cert_der());
    openssl_verify(&new_ca, &new_leaf).expect("new leaf, new CA");
    openssl_verify(&old_ca, &new_leaf).expect("new leaf, old CA");
    let (s, _, _) = jdk_handshake(h.port, &new_ca, "localhost").unwrap();
    let new_serial = esac_pki::existing_cert(newest.leaf.cert_der())
        .unwrap()
        .serial;
    assert_eq!(s, serial(&new_serial));
    jdk_handshake(h.port, &old_ca, "localhost").expect("new leaf, old CA file, JDK");
}

#[test]
fn an_expired_ca_file_fails_openssl_but_not_the_jdk_until_reissued() {
    // Configured 1100 days ago (the CA expired 5 days ago); the HTTP certificate was renewed at
    // day 1000 without the cap, so it is valid today.
    let home = node(1100);
    renew_at(&home, 100, &["http", "--no-cap"]);
    let config = home.config();
    let dir = tempfile::tempdir().unwrap();
    let before = store(&config);
    let old_ca = write_pem(dir.path(), "old-ca.pem", before.ca.cert_der());
    let leaf = write_pem(dir.path(), "leaf.pem", before.leaf.cert_der());
    let err = openssl_verify(&old_ca, &leaf).unwrap_err();
    assert!(err.contains("certificate has expired"), "{err}");
    let password = keystore_show(&config, HTTP_PASSWORD, &[]);
    let mut h = Harness::start(&config.join("certs/http.p12"), &password);
    h.wait_for("loaded ", Duration::from_secs(60));
    jdk_handshake(h.port, &old_ca, "localhost").expect("the JDK ignores the anchor's expiry");

    // renew http refuses to issue under an expired CA; renew http-ca re-issues it.
    let run = renew(&home, &["http", "--force"], &[]);
    assert_eq!(run.code, 78, "{run:?}");
    let run = renew(&home, &["http-ca"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let new_ca = config.join("certs/http_ca.crt");
    openssl_verify(&new_ca, &leaf).expect("the same leaf under the re-issued CA");
    h.wait_for("reloaded ", Duration::from_secs(5));
    let (_, _, last) = jdk_handshake(h.port, &new_ca, "localhost").unwrap();
    assert_eq!(last, sha256_hex(&pem_der(&std::fs::read(&new_ca).unwrap())));
    let out = openssl(&["x509", "-noout", "-enddate", "-in"], &[&new_ca]);
    success("openssl x509", &out);
}

/// A store the JDK wrote (as Elasticsearch's auto-configuration does) is renewed too, and the
/// JDK reads the result with the same password and aliases.
#[test]
fn a_store_written_by_the_jdk_is_renewed() {
    let home = node(710);
    let config = home.config();
    let p12 = config.join("certs/http.p12");
    let password = keystore_show(&config, HTTP_PASSWORD, &[]);
    let jdk = home.path().join("jdk.p12");
    let keytool = |args: &[&str]| {
        let out = run_tool(
            Command::new(require_tool("keytool"))
                .args(args)
                .env("KT_PW", &password),
            b"",
            LIMIT,
        );
        success("keytool", &out)
    };
    keytool(&[
        "-importkeystore",
        "-srcstoretype",
        "PKCS12",
        "-srckeystore",
        p12.to_str().unwrap(),
        "-srcstorepass:env",
        "KT_PW",
        "-deststoretype",
        "PKCS12",
        "-destkeystore",
        jdk.to_str().unwrap(),
        "-deststorepass:env",
        "KT_PW",
        "-noprompt",
    ]);
    std::fs::copy(&jdk, &p12).unwrap();
    let old = store(&config);
    let run = renew(&home, &["http"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let new = store(&config);
    assert_eq!(new.ca.cert_der(), old.ca.cert_der());
    assert_ne!(new.leaf.cert_der(), old.leaf.cert_der());
    let list = crate::jdk_openssl::keytool_list(&p12, &password);
    let aliases: Vec<&str> = list
        .lines()
        .filter_map(|l| l.strip_prefix("Alias name: "))
        .collect();
    assert_eq!(aliases.len(), 2, "{list}");
    assert!(
        aliases.contains(&"http") && aliases.contains(&"http_ca"),
        "{list}"
    );
    assert_eq!(
        list.matches("Entry type: PrivateKeyEntry").count(),
        2,
        "{list}"
    );
    assert!(list.contains("Certificate chain length: 2"), "{list}");
}
