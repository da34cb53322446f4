//! Black-box tests of `es-autoconf status`: each situation is built on disk (mostly by a real
//! `init` with an injected clock, then changed), and each test asserts the finding id, its
//! severity and both exit-code modes. Every run is checked to leave the tree byte-identical,
//! mtimes included (`status` never writes), and no run prints a secret.

use std::os::unix::fs::PermissionsExt;

use esac_keystore::{encode, store, FormatVersion, Keystore, Secret};
use esac_pki::{read_p12, PrivateKey};
use esac_testkit::fixtures::{keystore_with, p12_with, write_keystore};
use esac_testkit::{assert_same_tree, is_root, Home, Run};
use serde_json::Value;

use crate::common::{keystore_show, STOCK_YML, TLS_PASSWORD_SETTINGS};
use crate::ES_AUTOCONF;

/// ECDSA keys from the pool and keystore format 5 (10,000 KDF iterations) keep each run fast.
const FAST: &[&str] = &["--key-type", "ecdsa-p256", "--keystore-format", "5"];
/// The time `init` runs at (2027-01-15).
const T0: u64 = 1_800_000_000;
const DAY: u64 = 86_400;

/// A node auto-configured by `init` at [`T0`].
fn configured() -> Home {
    configured_as(FAST)
}

/// Another node, whose keys are certainly not [`configured`]'s: the pool hands ECDSA keys to the
/// four roles in any order, so a second ECDSA node could share a key with the first.
fn other_node() -> Home {
    configured_as(&["--key-type", "rsa-2048", "--keystore-format", "5"])
}

fn configured_as(args: &[&str]) -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init_env(args, &[("ESAC_TEST_NOW", now_env(T0).as_str())]);
    assert_eq!(run.code, 0, "{run:?}");
    home
}

/// One `status` situation, run in every output: text (Elasticsearch exit codes), JSON, and the
/// monitoring-plugin line.
struct Status {
    text: Run,
    json: Value,
    json_run: Run,
    nagios: Run,
}

impl Status {
    fn findings(&self) -> Vec<(String, String)> {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn finding(&self, id: &str) -> Option<&Value> {
        by_id(&self.json["findings"], id)
    }

    /// The finding is there with this severity, the exit codes are these, and the text output
    /// names the finding.
    #[track_caller]
    fn expect(&self, id: &str, severity: &str, es: i32, nagios: i32) {
        let f = self
            .finding(id)
            .unwrap_or_else(|| panic!("no {id} in {:?}\n{:?}", self.findings(), self.text));
        assert_eq!(f["severity"], severity, "{f}");
        assert!(!f["message"].as_str().unwrap().is_empty());
        assert_eq!(self.text.code, es, "text: {:?}", self.text);
        assert_eq!(self.json_run.code, es, "json: {:?}", self.json_run);
        assert_eq!(self.json["exit_code"], es);
        assert_eq!(self.nagios.code, nagios, "nagios: {:?}", self.nagios);
        assert!(self.text.stdout.contains(id), "{:?}", self.text);
        if severity != "info" {
            assert!(self.nagios.stdout.contains(id), "{:?}", self.nagios);
        }
    }

    #[track_caller]
    fn expect_absent(&self, id: &str) {
        assert!(self.finding(id).is_none(), "{id} in {:?}", self.findings());
    }

    fn cert(&self, id: &str) -> Option<&Value> {
        by_id(&self.json["certificates"], id)
    }
}

/// The first object of the JSON array `list` whose `id` is `id`.
fn by_id<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array().unwrap().iter().find(|f| f["id"] == id)
}

/// Runs `status args` three times (text, JSON, monitoring) and checks that the tree under the
/// home did not change at all, directory mtimes included.
#[track_caller]
fn status(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Status {
    let before = home.snapshot();
    let run = |extra: &[&str]| {
        let mut a = vec!["status"];
        a.extend_from_slice(args);
        a.extend_from_slice(extra);
        home.run_env(&a, env)
    };
    let text = run(&[]);
    let json_run = run(&["--format", "json"]);
    let nagios = run(&["--exit-codes", "nagios"]);
    assert_same_tree(&before, &home.snapshot(), "status");
    let json: Value =
        serde_json::from_str(&json_run.stdout).unwrap_or_else(|e| panic!("{e}: {json_run:?}"));
    assert_eq!(json["version"], 1);
    assert_eq!(json["command"], "status");
    let line = nagios.stdout.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("ES-AUTOCONF OK - ")
            || line.starts_with("ES-AUTOCONF WARNING - ")
            || line.starts_with("ES-AUTOCONF CRITICAL - ")
            || line.starts_with("ES-AUTOCONF UNKNOWN - "),
        "{nagios:?}"
    );
    Status {
        text,
        json,
        json_run,
        nagios,
    }
}

/// [`status`] with no arguments, at the time `t`.
#[track_caller]
fn status_at(home: &Home, t: u64) -> Status {
    status(home, &[], &[("ESAC_TEST_NOW", &now_env(t))])
}

fn now_env(t: u64) -> String {
    t.to_string()
}

#[test]
fn a_freshly_configured_node_is_healthy() {
    let home = configured();
    let s = status_at(&home, T0 + DAY);
    assert_eq!(s.text.code, 0, "{:?}", s.text);
    assert_eq!(s.nagios.code, 0, "{:?}", s.nagios);
    assert_eq!(s.json["overall"], "ok");
    assert_eq!(s.json["autoconfigured"], true);
    // Only what every fresh auto-configured node has.
    assert_eq!(
        s.findings(),
        [
            ("bootstrap.initial_master_nodes_pending", "info"),
            ("cert.transport.shared_leaf_anchor", "info"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let http = s.cert("http").unwrap();
    assert_eq!(http["days_left"], 729);
    assert_eq!(http["key_matches"], true);
    assert_eq!(http["chain_ok"], true);
    assert_eq!(http["file"], "certs/http.p12");
    assert_eq!(http["alias"], "http");
    assert_eq!(s.cert("http_ca").unwrap()["days_left"], 1094);
    assert_eq!(s.cert("transport").unwrap()["days_left"], 36134);
    assert_eq!(s.cert("transport_ca").unwrap()["ca"], true);
    // The CA fingerprint is the one init printed (the enrollment token's format).
    let ca_pem = std::fs::read(home.config().join("certs/http_ca.crt")).unwrap();
    let der = esac_pki::check::pem_certificates(&ca_pem)
        .unwrap()
        .remove(0);
    assert_eq!(
        s.cert("http_ca").unwrap()["sha256"],
        esac_pki::sha256_hex(&der)
    );
    assert_eq!(s.json["keystore"]["state"], "open");
    assert_eq!(
        s.json["node"]["cluster_initial_master_nodes_source"],
        "block"
    );
    assert_eq!(s.json["san_coverage"]["cli_url"], "https://localhost:9200");
    assert_eq!(s.json["san_coverage"]["cli_url_covered"], true);
    // The text report: a line per certificate.
    for id in ["http ", "http_ca ", "transport ", "transport_ca "] {
        assert!(
            s.text
                .stdout
                .lines()
                .any(|l| l.trim_start().starts_with(id)),
            "{:?}",
            s.text
        );
    }
    let line = s.nagios.stdout.lines().next().unwrap();
    assert!(
        line.ends_with(
            "| http_cert_days=729;30;7;; http_ca_days=1094;30;7;; transport_cert_days=36134;30;7;; transport_ca_days=36134;30;7;;"
        ),
        "{line}"
    );
}

#[test]
fn certificates_near_expiry_warn_then_turn_critical() {
    let home = configured();
    // The HTTP certificate lives 730 days from T0.
    let s = status_at(&home, T0 + 710 * DAY);
    s.expect("cert.http.expiring", "warning", 0, 1);
    assert_eq!(
        s.finding("cert.http.expiring").unwrap()["details"]["days_left"],
        20
    );
    assert!(
        s.nagios.stdout.starts_with("ES-AUTOCONF WARNING - "),
        "{:?}",
        s.nagios
    );
    assert!(
        s.nagios.stdout.contains("http_cert_days=20;30;7;;"),
        "{:?}",
        s.nagios
    );

    let s = status_at(&home, T0 + 725 * DAY);
    s.expect("cert.http.expiring", "critical", 78, 2);

    // Thresholds move the boundaries.
    let s = status(
        &home,
        &["--warn-days", "10", "--crit-days", "2"],
        &[("ESAC_TEST_NOW", &now_env(T0 + 710 * DAY))],
    );
    s.expect_absent("cert.http.expiring");
    assert_eq!(s.text.code, 0);
    assert!(
        s.nagios.stdout.contains("http_cert_days=20;10;2;;"),
        "{:?}",
        s.nagios
    );
}

#[test]
fn fail_on_warning_makes_a_warning_exit_78() {
    let home = configured();
    let before = home.snapshot();
    let soon = now_env(T0 + 710 * DAY);
    let at = |t: &str, args: &[&str]| {
        let mut a = vec!["status"];
        a.extend_from_slice(args);
        home.run_env(&a, &[("ESAC_TEST_NOW", t)])
    };
    // The HTTP certificate has 20 days left: a warning.
    let run = at(&soon, &["--fail-on", "warning"]);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(run.stdout.contains("cert.http.expiring"), "{run:?}");
    let json = at(&soon, &["--fail-on", "warning", "--format", "json"]);
    assert_eq!(json.code, 78, "{json:?}");
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["fail_on"], "warning");
    assert_eq!(doc["exit_code"], 78);
    assert_eq!(doc["overall"], "warning");
    // By default, and with `--fail-on critical`, a warning exits 0.
    for args in [&[][..], &["--fail-on", "critical"]] {
        let run = at(&soon, args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
    }
    let doc: Value = serde_json::from_str(&at(&soon, &["--format", "json"]).stdout).unwrap();
    assert_eq!(doc["fail_on"], "critical");
    // A healthy node (info findings only) exits 0 with `--fail-on warning` too.
    let run = at(&now_env(T0 + DAY), &["--fail-on", "warning"]);
    assert_eq!(run.code, 0, "{run:?}");
    // Monitoring codes tell a warning (1) from a critical finding (2) already: `--fail-on` there
    // is a usage error, which a monitoring plugin reports as UNKNOWN.
    let run = at(&soon, &["--exit-codes", "nagios", "--fail-on", "warning"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stdout
            .starts_with("ES-AUTOCONF UNKNOWN - --fail-on applies to --exit-codes es"),
        "{run:?}"
    );
    let doc: Value =
        serde_json::from_str(&at(&soon, &["--exit-codes", "nagios", "--format", "json"]).stdout)
            .unwrap();
    assert!(doc.get("fail_on").is_none(), "{doc}");
    assert_same_tree(&before, &home.snapshot(), "status --fail-on");
}

#[test]
fn an_expired_certificate_is_critical() {
    let home = configured();
    let s = status_at(&home, T0 + 731 * DAY);
    s.expect("cert.http.expired", "critical", 78, 2);
    s.expect_absent("cert.http.expiring");
    assert_eq!(s.cert("http").unwrap()["days_left"], -1);
    assert!(s.nagios.stdout.starts_with("ES-AUTOCONF CRITICAL - "));
    // The HTTP CA (1095 days) is not affected yet.
    s.expect_absent("cert.http_ca.expired");
}

#[test]
fn a_certificate_from_the_future_means_a_wrong_clock() {
    let home = configured();
    let s = status_at(&home, T0 - 2 * DAY);
    s.expect("cert.http.not_yet_valid", "critical", 78, 2);
    s.expect("cert.transport_ca.not_yet_valid", "critical", 78, 2);
}

/// The keys and certificates an `init` wrote, read back with the passwords in its keystore.
struct Material {
    http_key: PrivateKey,
    http: Vec<u8>,
    http_ca_key: PrivateKey,
    http_ca: Vec<u8>,
    transport_key: PrivateKey,
    transport: Vec<u8>,
    transport_ca: Vec<u8>,
}

fn material(home: &Home) -> Material {
    let pw = |name: &str| Secret::from_str_copy(&keystore_show(&home.config(), name, &[]));
    let http = read_p12(
        &std::fs::read(home.config().join("certs/http.p12")).unwrap(),
        &pw(TLS_PASSWORD_SETTINGS[0]),
    )
    .unwrap();
    let transport = read_p12(
        &std::fs::read(home.config().join("certs/transport.p12")).unwrap(),
        &pw(TLS_PASSWORD_SETTINGS[1]),
    )
    .unwrap();
    let leaf = http.key_entry("http").unwrap();
    let ca = http.key_entry("http_ca").unwrap();
    let t = transport.key_entry("transport").unwrap();
    Material {
        http_key: leaf.key.clone(),
        http: leaf.chain[0].clone(),
        http_ca_key: ca.key.clone(),
        http_ca: ca.chain[0].clone(),
        transport_key: t.key.clone(),
        transport: t.chain[0].clone(),
        transport_ca: transport
            .trusted_cert("transport_ca")
            .unwrap()
            .cert_der
            .clone(),
    }
}

fn pem(der: &[u8]) -> String {
    esac_pki::pem::encode("CERTIFICATE", der)
}

const PEM_YML: &str = "\
xpack.security.enabled: true
xpack.security.http.ssl:
  enabled: true
  certificate: pem/http.crt
  key: pem/http.key
  certificate_authorities: [pem/ca.crt]
xpack.security.transport.ssl:
  enabled: true
  verification_mode: certificate
  certificate: pem/transport.crt
  key: pem/transport.key
  certificate_authorities: pem/transport-ca.crt
";

/// A manually configured node: PEM files under `config/pem`, no auto-configuration block, no
/// keystore; the files come from `m` (the HTTP key and CA may come from elsewhere).
fn pem_home(m: &Material, http_key: &PrivateKey, http_ca: &[u8]) -> Home {
    let home = ES_AUTOCONF.home(PEM_YML);
    let dir = home.config().join("pem");
    std::fs::create_dir(&dir).unwrap();
    let write = |name: &str, text: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    };
    write("http.crt", pem(&m.http).as_bytes());
    write("http.key", http_key.to_pkcs8_pem().expose());
    write("ca.crt", pem(http_ca).as_bytes());
    write("transport.crt", pem(&m.transport).as_bytes());
    write("transport.key", m.transport_key.to_pkcs8_pem().expose());
    write("transport-ca.crt", pem(&m.transport_ca).as_bytes());
    home
}

#[test]
fn a_manual_pem_layout_is_checked_as_configured() {
    let m = material(&configured());
    let home = pem_home(&m, &m.http_key, &m.http_ca);
    let s = status_at(&home, T0 + DAY);
    assert_eq!(s.text.code, 0, "{:?}", s.text);
    assert_eq!(s.nagios.code, 0, "{:?}", s.nagios);
    s.expect("config.not_autoconfigured", "info", 0, 0);
    s.expect("cert.http.no_ca_key", "info", 0, 0);
    assert_eq!(s.json["autoconfigured"], false);
    assert_eq!(s.json["keystore"]["state"], "missing");
    let http = s.cert("http").unwrap();
    assert_eq!(http["file"], "pem/http.crt");
    assert_eq!(http["key_matches"], true);
    assert_eq!(http["chain_ok"], true);
    assert_eq!(s.cert("http_ca").unwrap()["file"], "pem/ca.crt");
    assert_eq!(
        s.cert("transport_ca").unwrap()["file"],
        "pem/transport-ca.crt"
    );
    // Auto-configuration's own expectations (SANs of today, modes) are not applied.
    s.expect_absent("san.hostname_not_covered");
    s.expect_absent("perm.unexpected_mode");
}

#[test]
fn a_key_that_does_not_match_its_certificate_is_critical() {
    let m = material(&configured());
    let other = material(&other_node());
    let home = pem_home(&m, &other.http_key, &m.http_ca);
    let s = status_at(&home, T0 + DAY);
    s.expect("cert.http.key_mismatch", "critical", 78, 2);
    assert_eq!(s.cert("http").unwrap()["key_matches"], false);
    s.expect_absent("cert.http.chain_broken");
}

#[test]
fn a_certificate_the_configured_ca_did_not_issue_is_a_broken_chain() {
    let m = material(&configured());
    let other = material(&other_node());
    // Same CA name (both are auto-configuration CAs), another key.
    let home = pem_home(&m, &m.http_key, &other.http_ca);
    let s = status_at(&home, T0 + DAY);
    s.expect("cert.http.chain_broken", "critical", 78, 2);
    assert_eq!(s.cert("http").unwrap()["chain_ok"], false);
    s.expect_absent("cert.http.key_mismatch");
}

#[test]
fn a_certutil_style_pkcs12_layout_with_empty_passwords_is_healthy() {
    let m = material(&configured());
    let yml = "\
xpack.security.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.keystore.path: http.p12
xpack.security.transport.ssl.enabled: true
xpack.security.transport.ssl.verification_mode: certificate
xpack.security.transport.ssl.client_authentication: required
xpack.security.transport.ssl.keystore.path: elastic-certificates.p12
xpack.security.transport.ssl.truststore.path: elastic-certificates.p12
";
    let home = ES_AUTOCONF.home(yml);
    // `elasticsearch-certutil cert`: key entry `instance` with its chain, trusted entry `ca`.
    let transport = p12_with(
        &[(
            "instance",
            &m.transport_key,
            vec![m.transport.clone(), m.transport_ca.clone()],
        )],
        &[("ca", m.transport_ca.clone())],
        "",
    );
    // `elasticsearch-certutil http`: key entry `http` with its chain, no CA key.
    let http = p12_with(
        &[("http", &m.http_key, vec![m.http.clone(), m.http_ca.clone()])],
        &[],
        "",
    );
    for (name, bytes) in [("elastic-certificates.p12", transport), ("http.p12", http)] {
        let p = home.config().join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o660)).unwrap();
    }
    let s = status_at(&home, T0 + DAY);
    assert_eq!(s.text.code, 0, "{:?}", s.text);
    s.expect("config.not_autoconfigured", "info", 0, 0);
    s.expect("cert.http.no_ca_key", "info", 0, 0);
    s.expect_absent("keystore.missing");
    let t = s.cert("transport").unwrap();
    assert_eq!(t["alias"], "instance");
    assert_eq!(t["file"], "elastic-certificates.p12");
    assert_eq!(t["key_matches"], true);
    assert_eq!(t["chain_ok"], true);
    assert!(s.cert("transport_ca").is_some());
    assert_eq!(s.cert("http").unwrap()["chain_ok"], true);
    assert_eq!(s.json["tls"][1]["files"][0]["state"], "read");

    // The same file protected by a password that no keystore holds: Elasticsearch cannot open it.
    let locked = p12_with(
        &[("http", &m.http_key, vec![m.http.clone(), m.http_ca.clone()])],
        &[],
        "changeme",
    );
    std::fs::write(home.config().join("http.p12"), locked).unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("keystore.missing", "critical", 78, 2);
    let f = s.finding("keystore.missing").unwrap();
    assert_eq!(
        f["details"]["setting"],
        "xpack.security.http.ssl.keystore.secure_password"
    );
}

#[test]
fn an_http_keystore_with_two_ca_key_entries_is_a_warning() {
    let home = configured();
    let m = material(&home);
    let pw = keystore_show(&home.config(), TLS_PASSWORD_SETTINGS[0], &[]);
    // What a hand-made renewal can leave: the old CA entry kept under another alias.
    let bytes = p12_with(
        &[
            ("http", &m.http_key, vec![m.http.clone(), m.http_ca.clone()]),
            ("http_ca", &m.http_ca_key, vec![m.http_ca.clone()]),
            ("http_ca_old", &m.http_ca_key, vec![m.http_ca.clone()]),
        ],
        &[],
        &pw,
    );
    std::fs::write(home.config().join("certs/http.p12"), bytes).unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("cert.http.key_entries", "warning", 0, 1);
    let f = s.finding("cert.http.key_entries").unwrap();
    assert_eq!(f["details"]["ca_key_entries"], 2);
    assert_eq!(f["details"]["non_ca_key_entries"], 1);
}

#[test]
fn the_keystore_format_is_checked_against_the_installed_elasticsearch() {
    let jar = |home: &Home, version: &str| {
        let lib = home.path().join("lib");
        let _ = std::fs::remove_dir_all(&lib);
        std::fs::create_dir(&lib).unwrap();
        std::fs::write(lib.join(format!("elasticsearch-{version}.jar")), b"").unwrap();
    };
    let now = now_env(T0 + DAY);
    // Format 5 under 8.15: Elasticsearch upgrades it at start.
    let home = configured();
    jar(&home, "8.15.1");
    let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
    s.expect("keystore.version_old", "info", 0, 0);
    assert_eq!(s.json["elasticsearch_version"], "8.15.1");
    jar(&home, "8.13.4");
    let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
    s.expect_absent("keystore.version_old");
    // Format 6 (init's default) under 8.13: that Elasticsearch cannot read it.
    let home = configured_as(&["--key-type", "ecdsa-p256"]);
    jar(&home, "8.13.4");
    let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
    s.expect("keystore.version_unsupported", "critical", 78, 2);
}

#[test]
fn a_keystore_that_is_not_a_file_cannot_be_read() {
    let home = configured();
    std::fs::remove_file(home.keystore()).unwrap();
    std::fs::create_dir(home.keystore()).unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("keystore.unreadable", "unknown", 74, 3);
    assert_eq!(
        s.json["tls"][0]["files"][0]["state"],
        "not_checked_keystore_locked"
    );
}

#[test]
fn a_bootstrap_password_in_the_keystore_is_reported() {
    let home = configured();
    set_keystore_value(&home, "bootstrap.password", "changeme-bootstrap");
    let s = status_at(&home, T0 + DAY);
    s.expect("keystore.bootstrap_password_present", "info", 0, 0);
    for out in [&s.text.stdout, &s.json_run.stdout, &s.nagios.stdout] {
        assert!(!out.contains("changeme-bootstrap"));
    }
}

#[test]
fn a_transport_truststore_without_trusted_entries_is_critical() {
    let home = configured();
    let m = material(&home);
    // A truststore that holds only the node's own key entry, as some hand-made setups do (with
    // the password the keystore has for the truststore).
    let pw = keystore_show(&home.config(), TLS_PASSWORD_SETTINGS[2], &[]);
    let bytes = p12_with(
        &[("instance", &m.transport_key, vec![m.transport.clone()])],
        &[],
        &pw,
    );
    std::fs::write(home.config().join("certs/trust.p12"), bytes).unwrap();
    let s = status(
        &home,
        &[
            "-E",
            "xpack.security.transport.ssl.truststore.path=certs/trust.p12",
        ],
        &[("ESAC_TEST_NOW", &now_env(T0 + DAY))],
    );
    s.expect("cert.transport.no_trust_anchor", "critical", 78, 2);
    s.expect("cert.transport.shared_leaf_anchor", "info", 78, 2);
}

#[test]
fn san_addresses_no_interface_has_any_more_are_stale() {
    // The certificate was made while the node published 198.51.100.7; it no longer does.
    let home = configured_as(&[FAST, &["-E", "network.publish_host=198.51.100.7"]].concat());
    let s = status_at(&home, T0 + DAY);
    s.expect("san.stale_entries", "info", 0, 0);
    assert_eq!(
        s.json["san_coverage"]["stale"],
        serde_json::json!(["IP:198.51.100.7"])
    );
}

/// Changes the (unprotected) keystore of `home` with `edit`, and saves it.
fn edit_keystore(home: &Home, edit: impl FnOnce(&mut Keystore)) {
    let path = home.keystore();
    let file = store::load(&path).unwrap().unwrap();
    let (mut ks, key) = file.decrypt(&Secret::default()).unwrap();
    edit(&mut ks);
    store::save(&path, &encode(&ks, &key).unwrap()).unwrap();
}

/// Replaces the value of `name` in the (unprotected) keystore of `home`.
fn set_keystore_value(home: &Home, name: &str, value: &str) {
    edit_keystore(home, |ks| {
        ks.set_string(name, Secret::from_str_copy(value)).unwrap();
    });
}

#[test]
fn a_wrong_pkcs12_password_in_the_keystore_is_critical() {
    let home = configured();
    set_keystore_value(&home, TLS_PASSWORD_SETTINGS[0], "not-the-password");
    let s = status_at(&home, T0 + DAY);
    s.expect("tls.http.unreadable", "critical", 78, 2);
    let f = s.finding("tls.http.unreadable").unwrap();
    assert_eq!(f["details"]["setting"], TLS_PASSWORD_SETTINGS[0]);
    assert!(s.cert("http").is_none());
    // The client CA file is still read.
    assert!(s.cert("http_ca").is_some());
    assert!(s.cert("transport").is_some());
}

#[test]
fn a_missing_password_setting_is_critical() {
    let home = configured();
    edit_keystore(&home, |ks| {
        ks.remove(TLS_PASSWORD_SETTINGS[1]);
    });
    let s = status_at(&home, T0 + DAY);
    s.expect("keystore.missing_setting", "critical", 78, 2);
}

/// A node configured by `init` on top of a password-protected keystore.
fn protected() -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_keystore(
        &home.config(),
        &keystore_with(&[]),
        "ks-passphrase",
        FormatVersion::V5,
    );
    let file = home.path().join("passphrase");
    std::fs::write(&file, "ks-passphrase\n").unwrap();
    let now = now_env(T0);
    let run = home.init_env(
        FAST,
        &[
            ("ESAC_TEST_NOW", now.as_str()),
            ("ES_KEYSTORE_PASSPHRASE_FILE", file.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    home
}

#[test]
fn a_protected_keystore_without_its_passphrase_is_unknown_and_exits_65() {
    let home = protected();
    let now = now_env(T0 + DAY);
    let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
    s.expect("keystore.locked", "unknown", 65, 3);
    assert_eq!(s.json["keystore"]["password_protected"], true);
    assert_eq!(s.json["keystore"]["opened"], false);
    // Not guessed: the PKCS#12 files are reported as not checked, the PEM CA is still read.
    assert_eq!(
        s.json["tls"][0]["files"][0]["state"],
        "not_checked_keystore_locked"
    );
    assert!(s.cert("http").is_none());
    assert_eq!(s.cert("http_ca").unwrap()["file"], "certs/http_ca.crt");
    assert!(
        s.nagios.stdout.starts_with("ES-AUTOCONF UNKNOWN - "),
        "{:?}",
        s.nagios
    );

    // With the passphrase file, everything is checked.
    let file = home.path().join("passphrase");
    let s = status(
        &home,
        &[],
        &[
            ("ESAC_TEST_NOW", &now),
            ("ES_KEYSTORE_PASSPHRASE_FILE", file.to_str().unwrap()),
        ],
    );
    s.expect_absent("keystore.locked");
    assert_eq!(s.text.code, 0, "{:?}", s.text);
    assert_eq!(s.cert("http").unwrap()["key_matches"], true);
}

#[test]
fn a_wrong_keystore_passphrase_is_unknown_and_exits_65() {
    let home = protected();
    let wrong = home.path().join("wrong");
    std::fs::write(&wrong, "not it\n").unwrap();
    let s = status(
        &home,
        &[],
        &[
            ("ESAC_TEST_NOW", &now_env(T0 + DAY)),
            ("ES_KEYSTORE_PASSPHRASE_FILE", wrong.to_str().unwrap()),
        ],
    );
    s.expect("keystore.wrong_password", "unknown", 65, 3);
    // A warning elsewhere does not hide the passphrase problem from the exit code.
    std::fs::create_dir(home.config().join("certs.1795406414.orig")).unwrap();
    let s = status(
        &home,
        &[],
        &[
            ("ESAC_TEST_NOW", &now_env(T0 + DAY)),
            ("ES_KEYSTORE_PASSPHRASE_FILE", wrong.to_str().unwrap()),
        ],
    );
    s.expect("fs.leftovers", "warning", 65, 1);
}

#[test]
fn a_corrupted_keystore_is_critical() {
    let home = configured();
    let mut bytes = std::fs::read(home.keystore()).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0xff;
    std::fs::write(home.keystore(), bytes).unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("keystore.corrupt", "critical", 78, 2);
}

#[test]
fn san_drift_a_publish_address_and_a_new_hostname_not_covered() {
    let home = configured();
    let now = now_env(T0 + DAY);
    let s = status(
        &home,
        &["-E", "network.publish_host=198.51.100.7"],
        &[("ESAC_TEST_NOW", &now)],
    );
    // Elasticsearch's own tools connect to the publish address and verify it.
    s.expect("san.cli_url_not_covered", "critical", 78, 2);
    assert_eq!(
        s.json["san_coverage"]["cli_url"],
        "https://198.51.100.7:9200"
    );
    s.expect("san.address_not_covered", "warning", 78, 2);
    assert_eq!(
        s.finding("san.address_not_covered").unwrap()["details"]["missing"],
        serde_json::json!(["IP:198.51.100.7"])
    );

    let s = status(
        &home,
        &[],
        &[("ESAC_TEST_NOW", &now), ("HOSTNAME", "renamed-host")],
    );
    s.expect("san.hostname_not_covered", "warning", 0, 1);
}

/// A Lucene commit in `<data>/_state` saying the cluster UUID is committed.
fn formed(home: &Home) {
    let state = home.path().join("data/_state");
    std::fs::create_dir_all(&state).unwrap();
    let ud = [
        ("cluster_uuid", "Q9yS0ZJxT2uGzq0vW8kQ6A"),
        ("cluster_uuid_committed", "true"),
        ("last_accepted_version", "12"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let bytes = esac_probe::fuzzing::write_commit(10, 3, &[Default::default()], &ud);
    std::fs::write(state.join("segments_3"), bytes).unwrap();
}

#[test]
fn initial_master_nodes_left_after_the_cluster_formed() {
    let home = configured();
    let now = now_env(T0 + 30 * DAY);
    // Before the first start: pending, and the data directory is empty.
    let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
    s.expect("bootstrap.initial_master_nodes_pending", "info", 0, 0);
    assert_eq!(s.json["node"]["started"], false);

    // Started, but nothing committed yet (waiting for other masters): still pending.
    std::fs::create_dir_all(home.path().join("data/_state")).unwrap();
    std::fs::write(home.path().join("data/node.lock"), b"").unwrap();
    let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
    s.expect("bootstrap.initial_master_nodes_pending", "info", 0, 0);
    assert_eq!(s.json["node"]["started"], true);

    formed(&home);
    let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
    s.expect("bootstrap.initial_master_nodes_leftover", "warning", 0, 1);
    let f = s
        .finding("bootstrap.initial_master_nodes_leftover")
        .unwrap();
    assert_eq!(f["details"]["source"], "block");
    assert!(f["fix"].as_str().unwrap().contains("elasticsearch.yml"));
    assert_eq!(s.json["node"]["cluster_formed"], true);
    assert_eq!(
        s.json["node"]["formation_evidence"],
        "cluster_uuid_committed"
    );
    assert_eq!(s.json["node"]["cluster_uuid"], "Q9yS0ZJxT2uGzq0vW8kQ6A");

    // From -E, it is attributed to -E.
    let s = status(
        &home,
        &["-E", "cluster.initial_master_nodes=a,b"],
        &[("ESAC_TEST_NOW", &now)],
    );
    let f = s
        .finding("bootstrap.initial_master_nodes_leftover")
        .unwrap();
    assert_eq!(f["details"]["source"], "-E");
}

#[test]
fn the_install_time_password_hash_after_formation_is_a_warning() {
    let creds = tempfile::tempdir().unwrap();
    let file = creds.path().join("elastic.json");
    // `--credentials-file` makes init store the password's hash, as the package install does.
    let other = configured_as(&[FAST, &["--credentials-file", file.to_str().unwrap()]].concat());
    let s = status_at(&other, T0 + DAY);
    s.expect("keystore.password_hash_present", "info", 0, 0);
    formed(&other);
    let s = status_at(&other, T0 + DAY);
    s.expect("keystore.password_hash_present", "warning", 0, 1);
    // Neither the password nor its hash is printed.
    let creds: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let password = creds["password"].as_str().unwrap();
    let hash = keystore_show(&other.config(), "autoconfiguration.password_hash", &[]);
    for out in [&s.text.stdout, &s.json_run.stdout, &s.nagios.stdout] {
        assert!(!out.contains(password) && !out.contains(&hash));
    }
}

#[test]
fn a_world_readable_keystore_file_is_critical() {
    let home = configured();
    let p12 = home.config().join("certs/http.p12");
    std::fs::set_permissions(&p12, std::fs::Permissions::from_mode(0o664)).unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("perm.secret_world_readable", "critical", 78, 2);
    s.expect("perm.unexpected_mode", "info", 78, 2);
    let f = s.finding("perm.secret_world_readable").unwrap();
    assert_eq!(f["subject"], "certs/http.p12");
    assert_eq!(f["details"]["mode"], "0664");
}

#[test]
fn a_world_writable_directory_is_critical() {
    let home = configured();
    std::fs::set_permissions(
        home.config().join("certs"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("perm.world_writable", "critical", 78, 2);
}

#[test]
fn files_the_service_account_cannot_read_are_critical() {
    let home = configured();
    // The temporary home is 0700: open the way to the config directory.
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let now = now_env(T0 + DAY);
    // A uid with no access to certs/ (0750, owned by the test's user and group).
    let s = status(&home, &["--es-user", "64999"], &[("ESAC_TEST_NOW", &now)]);
    s.expect("perm.service_user_cannot_read", "critical", 78, 2);
    let subjects: Vec<&str> = s.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "perm.service_user_cannot_read")
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    assert!(subjects.contains(&"certs"), "{subjects:?}");
    assert!(subjects.contains(&"certs/http.p12"), "{subjects:?}");
    assert!(!subjects.contains(&"elasticsearch.yml"), "{subjects:?}");
    assert_eq!(s.json["service_user"]["uid"], 64999);

    // Give that account the group's access (as the package layout does), and it can.
    if is_root() {
        let gid = 64999;
        for p in [
            "certs",
            "certs/http.p12",
            "certs/transport.p12",
            "certs/http_ca.crt",
            "elasticsearch.keystore",
        ] {
            std::os::unix::fs::chown(home.config().join(p), None, Some(gid)).unwrap();
        }
        let s = status(&home, &["--es-user", "64999"], &[("ESAC_TEST_NOW", &now)]);
        s.expect_absent("perm.service_user_cannot_read");
    }
}

#[test]
fn an_unknown_service_account_is_a_usage_error() {
    let home = configured();
    let before = home.snapshot();
    let run = home.run(&["status", "--es-user", "no-such-user-here"]);
    assert_eq!(run.code, 64, "{run:?}");
    assert!(
        run.stderr.contains("unknown user [no-such-user-here]"),
        "{run:?}"
    );
    let run = home.run(&[
        "status",
        "--exit-codes",
        "nagios",
        "--es-user",
        "no-such-user-here",
    ]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stdout.starts_with("ES-AUTOCONF UNKNOWN - unknown user"),
        "{run:?}"
    );
    let run = home.run(&["status", "--exit-codes", "nagios", "--crit-days", "40"]);
    assert_eq!(run.code, 3, "{run:?}");
    let run = home.run(&["status", "--exit-codes", "nagios", "--warn-days", "soon"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stdout.starts_with("ES-AUTOCONF UNKNOWN - "), "{run:?}");
    let run = home.run(&["status", "--warn-days", "soon"]);
    assert_eq!(run.code, 64, "{run:?}");
    let run = home.run(&["status", "--format", "json", "--crit-days", "40"]);
    assert_eq!(run.code, 64, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["reason"]["code"], "usage");
    assert_same_tree(&before, &home.snapshot(), "status usage errors");
}

#[test]
fn leftovers_and_an_interrupted_run_are_reported_and_left_alone() {
    let home = configured();
    let c = home.config();
    std::fs::create_dir(c.join("certs.1795406414.orig")).unwrap();
    std::fs::write(c.join("certs.1795406414.orig/http.p12"), b"old key").unwrap();
    std::fs::write(
        c.join("elasticsearch.keystore.1795406414.orig"),
        b"old keystore",
    )
    .unwrap();
    std::fs::write(c.join("elasticsearch.yml.2f1c.tmp"), b"half").unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("fs.leftovers", "warning", 0, 1);
    assert_eq!(
        s.json["leftovers"],
        serde_json::json!([
            "certs.1795406414.orig",
            "elasticsearch.keystore.1795406414.orig",
            "elasticsearch.yml.2f1c.tmp"
        ])
    );
    s.expect_absent("fs.interrupted_run");
    // A journal is reported, not replayed (the tree check in `status` proves it).
    std::fs::write(c.join(".es-autoconf.journal"), b"not replayed").unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("fs.interrupted_run", "warning", 0, 1);
}

#[test]
fn a_node_that_was_never_auto_configured() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let s = status(&home, &[], &[]);
    s.expect("config.not_autoconfigured", "info", 0, 0);
    assert_eq!(s.json["certificates"], serde_json::json!([]));
    assert!(
        s.nagios
            .stdout
            .starts_with("ES-AUTOCONF OK - no certificate found"),
        "{:?}",
        s.nagios
    );
    // Upgraded from 7.x: transport on a real address, security on by default, no TLS.
    let home = ES_AUTOCONF.home(&format!("{STOCK_YML}network.host: 0.0.0.0\n"));
    let s = status(&home, &[], &[]);
    s.expect("config.transport_tls_required", "critical", 78, 2);
    s.expect("bootstrap.discovery_check_fails", "critical", 78, 2);
    let s = status(
        &home,
        &[
            "-E",
            "discovery.type=single-node",
            "-E",
            "xpack.security.enabled=false",
        ],
        &[],
    );
    s.expect("config.security_disabled", "warning", 0, 1);
    s.expect_absent("config.transport_tls_required");
    s.expect_absent("bootstrap.discovery_check_fails");
}

#[test]
fn bootstrap_conflicts_and_reload_settings() {
    let home = configured();
    let now = now_env(T0 + DAY);
    let s = status(
        &home,
        &["-E", "discovery.type=single-node"],
        &[("ESAC_TEST_NOW", &now)],
    );
    s.expect("bootstrap.single_node_conflict", "critical", 78, 2);
    let s = status(
        &home,
        &["-E", "resource.reload.enabled=false"],
        &[("ESAC_TEST_NOW", &now)],
    );
    s.expect("config.reload_disabled", "warning", 0, 1);
    let s = status(
        &home,
        &["-E", "xpack.security.http.ssl.enabled=false"],
        &[("ESAC_TEST_NOW", &now)],
    );
    s.expect("config.http_tls_off_with_material", "info", 0, 0);
    assert!(s.json["san_coverage"].is_null());
}

#[test]
fn a_missing_or_invalid_yml_stops_the_checks() {
    let home = ES_AUTOCONF.bare_home();
    let s = status(&home, &[], &[]);
    s.expect("config.yml_missing", "critical", 78, 2);
    let home = ES_AUTOCONF.home("a: 1\na: 2\n");
    let s = status(&home, &[], &[]);
    s.expect("config.yml_invalid", "critical", 78, 2);
    assert_eq!(s.findings().len(), 1);
}

#[test]
fn a_damaged_block_is_a_warning() {
    let home = configured();
    let yml = std::fs::read_to_string(home.yml()).unwrap();
    std::fs::write(
        home.yml(),
        yml.replace(esac_core::yml::END_MARKER, "# (marker removed)"),
    )
    .unwrap();
    let s = status_at(&home, T0 + DAY);
    s.expect("config.block_damaged", "warning", 0, 1);
}

#[test]
fn jks_files_are_not_checked_and_say_so() {
    let home = configured();
    let s = status(
        &home,
        &[
            "-E",
            "xpack.security.transport.ssl.truststore.path=certs/truststore.jks",
        ],
        &[("ESAC_TEST_NOW", &now_env(T0 + DAY))],
    );
    s.expect("tls.transport.unsupported_format", "unknown", 0, 3);
    let s = status(
        &home,
        &[
            "-E",
            "xpack.security.http.ssl.keystore.path=certs/missing.p12",
        ],
        &[("ESAC_TEST_NOW", &now_env(T0 + DAY))],
    );
    s.expect("tls.http.unreadable", "critical", 78, 2);
}

#[test]
fn no_secret_is_ever_printed() {
    let home = configured();
    let secrets: Vec<String> = TLS_PASSWORD_SETTINGS
        .iter()
        .map(|n| keystore_show(&home.config(), n, &[]))
        .chain(std::iter::once(keystore_show(
            &home.config(),
            "keystore.seed",
            &[],
        )))
        .collect();
    let s = status(
        &home,
        &["-v"],
        &[("ESAC_TEST_NOW", &now_env(T0 + 731 * DAY))],
    );
    for out in [
        &s.text.stdout,
        &s.text.stderr,
        &s.json_run.stdout,
        &s.json_run.stderr,
        &s.nagios.stdout,
        &s.nagios.stderr,
    ] {
        for secret in &secrets {
            assert!(!out.contains(secret.as_str()), "a secret in {out}");
        }
        assert!(!out.contains("PRIVATE KEY"), "{out}");
    }
}

#[test]
fn silent_text_shows_only_findings_at_or_above_warning() {
    let home = configured();
    let run = home.run_env(
        &["status", "-s"],
        &[("ESAC_TEST_NOW", &now_env(T0 + 710 * DAY))],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0]
            .trim_start()
            .starts_with("WARNING  cert.http.expiring:"),
        "{run:?}"
    );
    assert!(!run.stdout.contains("INFO"), "{run:?}");
    assert!(!run.stdout.contains("Certificates:"), "{run:?}");
}

#[test]
fn help_lists_the_status_options() {
    let run = ES_AUTOCONF.bare_home().run(&["status", "--help"]);
    assert_eq!(run.code, 0);
    for opt in [
        "--warn-days",
        "--crit-days",
        "--es-user",
        "--exit-codes",
        "nagios",
        "-E",
    ] {
        assert!(run.stdout.contains(opt), "{opt}: {run:?}");
    }
}

/// The findings catalogue of docs/cli.md is exactly `esac_status::Kind::ALL`.
#[test]
fn every_finding_id_is_documented() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md"),
    )
    .unwrap();
    let section = doc
        .split("### Findings (`findings[].id`)")
        .nth(1)
        .expect("docs/cli.md has the status findings section")
        .split("\n### ")
        .next()
        .unwrap();
    let documented: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let catalogue: Vec<&str> = esac_status::Kind::ALL
        .iter()
        .map(|k| k.template())
        .collect();
    assert_eq!(
        documented, catalogue,
        "docs/cli.md (left) vs esac_status::Kind::ALL (right)"
    );
}

/// The tree check itself can fail: a run that writes is caught.
#[test]
fn the_tree_check_catches_a_write() {
    let home = configured();
    let before = home.snapshot();
    let p = home.config().join("elasticsearch.yml");
    let yml = std::fs::read(&p).unwrap();
    std::fs::write(&p, yml).unwrap();
    let diff = esac_testkit::tree_diff(&before, &home.snapshot());
    assert!(
        diff.iter()
            .any(|d| d.starts_with("config/elasticsearch.yml")),
        "{diff:?}"
    );
}

/// With outside tools: a commit written by Lucene itself, and real bind mounts.
#[cfg(feature = "interop")]
mod interop {
    use std::path::Path;
    use std::process::Command;
    use std::time::Duration;

    use esac_testkit::tools::{require_tool, run_tool};
    use esac_testkit::Bin;

    use super::*;
    use crate::finalize_interop::lucene_commit;

    #[test]
    fn formation_evidence_written_by_lucene_is_read() {
        let home = configured();
        let now = now_env(T0 + DAY);
        let state = home.path().join("data/_state");
        lucene_commit(
            &state,
            &[
                "cluster_uuid=_na_",
                "cluster_uuid_committed=false",
                "last_accepted_version=0",
            ],
        );
        let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
        s.expect("bootstrap.initial_master_nodes_pending", "info", 0, 0);
        assert_eq!(s.json["node"]["formation_evidence"], "none");

        // A second commit (segments_2) with the UUID committed.
        lucene_commit(
            &state,
            &[
                "cluster_uuid=Q9yS0ZJxT2uGzq0vW8kQ6A",
                "cluster_uuid_committed=true",
                "last_accepted_version=9",
            ],
        );
        let s = status(&home, &[], &[("ESAC_TEST_NOW", &now)]);
        s.expect("bootstrap.initial_master_nodes_leftover", "warning", 0, 1);
        // The newest commit (segments_2) counts.
        assert_eq!(s.json["node"]["cluster_uuid"], "Q9yS0ZJxT2uGzq0vW8kQ6A");

        // Before 8.8 only `last_accepted_version` tells.
        let old = configured();
        lucene_commit(
            &old.path().join("data/_state"),
            &["last_accepted_version=4", "current_term=2"],
        );
        let s = status(&old, &[], &[("ESAC_TEST_NOW", &now)]);
        s.expect("bootstrap.initial_master_nodes_leftover", "warning", 0, 1);
        assert_eq!(
            s.json["node"]["formation_evidence"],
            "last_accepted_version"
        );
    }

    /// On a terminal, a protected keystore's passphrase is asked for (and only there: the
    /// non-terminal runs above never read standard input).
    #[test]
    fn on_a_terminal_the_passphrase_is_asked_for() {
        let home = protected();
        let cmd = format!(
            "'{}' status --es-home '{}'",
            crate::ES_AUTOCONF.path().display(),
            home.path().display()
        );
        let mut script = Command::new(require_tool("script"));
        Bin::clean_env(&mut script);
        script
            .args(["-qec", &cmd, "/dev/null"])
            .env("ESAC_TEST_NOW", now_env(T0 + DAY));
        let before = home.snapshot();
        let out = run_tool(&mut script, b"ks-passphrase\n", Duration::from_secs(60));
        let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("Enter password for the elasticsearch keystore : "),
            "{text}"
        );
        assert!(!text.contains("keystore.locked"), "{text}");
        assert!(text.contains("certs/http.p12#http"), "{text}");
        assert_same_tree(&before, &home.snapshot(), "status on a terminal");
    }

    /// Runs `status` inside a private mount namespace where `source` is bind-mounted on `target`
    /// (`unshare -m`, root only).
    fn status_with_bind_mount(home: &Home, source: &Path, target: &Path) -> Value {
        let script = format!(
            "mount --bind '{}' '{}' && exec \"$0\" \"$@\"",
            source.display(),
            target.display()
        );
        let mut cmd = Command::new(require_tool("unshare"));
        Bin::clean_env(&mut cmd);
        cmd.args(["-m", "sh", "-c", &script])
            .arg(crate::ES_AUTOCONF.path())
            .args(["status", "--format", "json", "--es-home"])
            .arg(home.path())
            .env("ESAC_TEST_NOW", now_env(T0 + DAY));
        let out = run_tool(&mut cmd, b"", Duration::from_secs(60));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    }

    /// The `fs.mount_point` finding of a JSON document.
    fn mount_point(doc: &Value) -> &Value {
        by_id(&doc["findings"], "fs.mount_point").unwrap_or_else(|| panic!("{doc}"))
    }

    #[test]
    fn bind_mounted_files_are_reported() {
        assert!(
            is_root(),
            "bind mounts need root: run the interop tests as root"
        );
        let home = configured();
        let outside = tempfile::tempdir().unwrap();
        let before = home.snapshot();
        let yml = outside.path().join("elasticsearch.yml");
        std::fs::copy(home.yml(), &yml).unwrap();
        let doc = status_with_bind_mount(&home, &yml, &home.yml());
        let f = mount_point(&doc);
        assert_eq!(f["severity"], "info");
        assert_eq!(f["subject"], "elasticsearch.yml");

        let ks = outside.path().join("elasticsearch.keystore");
        std::fs::copy(home.keystore(), &ks).unwrap();
        let doc = status_with_bind_mount(&home, &ks, &home.keystore());
        let f = mount_point(&doc);
        assert_eq!(f["severity"], "warning");
        assert_eq!(f["subject"], "elasticsearch.keystore");
        assert_same_tree(&before, &home.snapshot(), "status with bind mounts");
    }
}
