//! `renew http` and `renew http-ca` end to end (lifecycle spec §3): nodes are configured by a real
//! `init` whose clock (`ESAC_TEST_NOW`) lies in the past, so their certificates are near expiry
//! without waiting. What an operator cares about is asserted: which files change and which stay
//! byte-identical (mtimes included), modes and owners, the store's aliases, password, chain and
//! CA, exit codes and reason codes, what is printed and that no secret is; that a run failing or
//! killed at any step of its plan leaves every file old or new, never a mix, and that the next run
//! says so; and that a second node set up by enrollment installs the re-issued CA.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use esac_secret::Secret;
use esac_testkit::faults::{every_failpoint, for_each_in_parallel};
use esac_testkit::fixtures::{key_pool_dir, keystore_with, write_keystore};
use esac_testkit::{assert_same_tree, is_root, Bin, Home, Run};

use crate::common::{
    changed, json, keystore_show, leftovers, mode, plan_steps, FASTEST, STOCK_YML,
};
use crate::ES_AUTOCONF;

const DAY: u64 = 86_400;
pub const HTTP_PASSWORD: &str = "xpack.security.http.ssl.keystore.secure_password";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An initial node configured `days_ago` days ago: its HTTP certificate has `730 - days_ago`
/// days left, its HTTP CA `1095 - days_ago`.
pub fn node(days_ago: u64) -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let then = (now() - days_ago * DAY).to_string();
    let run = home.init_env(FASTEST, &[("ESAC_TEST_NOW", &then)]);
    assert_eq!(run.code, 0, "{run:?}");
    home
}

/// `es-autoconf renew <args>` with the test key pool.
pub fn renew(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Run {
    home.run_with_pool(&[&["renew"], args].concat(), env)
}

/// `es-autoconf renew <args> --wait-reload URL --require-reload` with the test key pool.
pub fn renew_requiring_reload(home: &Home, args: &[&str], url: &str, env: &[(&str, &str)]) -> Run {
    renew(
        home,
        &[args, &["--wait-reload", url, "--require-reload"]].concat(),
        env,
    )
}

/// The HTTP store of a config dir, opened with the password from its keystore.
pub fn store(config: &Path) -> esac_pki::HttpStore {
    let pw = Secret::from_string(keystore_show(config, HTTP_PASSWORD, &[]));
    let bytes = std::fs::read(config.join("certs/http.p12")).unwrap();
    let contents = esac_pki::read_p12(&bytes, &pw).unwrap();
    esac_pki::http_store(&contents).unwrap()
}

fn cert(der: &[u8]) -> esac_certspec::ExistingCert {
    esac_pki::existing_cert(der).unwrap()
}

/// The DER of the one certificate in a PEM file.
pub fn pem_der(pem: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(pem);
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

#[test]
fn renewing_an_expiring_http_certificate_changes_only_the_store() {
    let home = node(710);
    let config = home.config();
    let p12 = config.join("certs/http.p12");
    std::fs::set_permissions(&p12, std::fs::Permissions::from_mode(0o640)).unwrap();
    let old = store(&config);
    let old_meta = std::fs::metadata(&p12).unwrap();
    let password = keystore_show(&config, HTTP_PASSWORD, &[]);
    let before = home.stable_snapshot();

    let run = renew(&home, &["http"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "", "text mode: the summary goes to stderr");
    assert!(
        run.stderr.contains("Renewed the HTTP certificate of"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("(capped at the CA's expiry)"),
        "{run:?}"
    );
    assert!(run
        .stderr
        .contains("A running node reloads certs/http.p12 within 5000 ms"));
    assert!(!run.stderr.contains(&password) && !run.stdout.contains(&password));

    // Only certs/http.p12 changed: the keystore, http_ca.crt, transport.p12 and the yml are
    // byte-identical, mtimes included, and nothing was left behind.
    let after = home.stable_snapshot();
    assert_eq!(changed(&before, &after), ["config/certs/http.p12"]);
    assert_eq!(leftovers(&config), Vec::<String>::new());
    let meta = std::fs::metadata(&p12).unwrap();
    assert_eq!(mode(&p12), 0o640, "the mode is kept");
    assert_eq!((meta.uid(), meta.gid()), (old_meta.uid(), old_meta.gid()));
    assert_ne!(
        (meta.mtime(), meta.mtime_nsec()),
        (old_meta.mtime(), old_meta.mtime_nsec()),
        "a new mtime, so Elasticsearch's watcher sees the change"
    );
    assert_ne!(meta.ino(), old_meta.ino(), "replaced by a rename");

    // Same password (the store opens with the keystore's), aliases and CA; a new leaf for the
    // same subject bytes, issued by the CA, with chain [leaf, CA].
    let new = store(&config);
    assert_eq!(
        (new.ca_alias.as_str(), new.leaf_alias.as_str()),
        ("http_ca", "http")
    );
    assert_eq!(new.ca.cert_der(), old.ca.cert_der());
    assert_eq!(
        new.ca.key().pkcs8_der().expose(),
        old.ca.key().pkcs8_der().expose()
    );
    let crt = std::fs::read(config.join("certs/http_ca.crt")).unwrap();
    assert_eq!(pem_der(&crt), new.ca.cert_der());
    assert_eq!(
        new.leaf_chain,
        [new.leaf.cert_der().to_vec(), new.ca.cert_der().to_vec()]
    );
    assert!(esac_pki::signed_by(new.leaf.cert_der(), new.ca.cert_der()).unwrap());
    let (o, n, ca) = (
        cert(old.leaf.cert_der()),
        cert(new.leaf.cert_der()),
        cert(new.ca.cert_der()),
    );
    assert_eq!(n.subject_der, o.subject_der);
    assert_eq!(n.issuer_der, ca.subject_der);
    assert_ne!(n.serial, o.serial);
    assert_ne!(n.spki_sha256, o.spki_sha256, "a new key");
    assert_ne!(n.spki_sha256, ca.spki_sha256, "not the CA's key");
    assert_eq!(n.not_after, ca.not_after, "capped at the CA's notAfter");
    let t = |c: &esac_certspec::ExistingCert| -> Vec<(Vec<u8>, bool)> {
        c.extensions
            .iter()
            .map(|e| (e.oid.clone(), e.critical))
            .collect()
    };
    assert_eq!(t(&n), t(&o), "the same extensions in the same order");
    for s in &o.sans {
        assert!(n.sans.contains(s), "{s} kept: {:?}", n.sans);
    }
    let age = now() as i64 - n.not_before.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((0..120).contains(&age), "notBefore is now: {age}");

    // Not due any more: nothing is touched.
    let before = home.stable_snapshot();
    let again = renew(&home, &["http"], &[]);
    assert_eq!(again.code, 80, "{again:?}");
    assert!(again.stdout.contains("more than --within 30"), "{again:?}");
    assert_same_tree(&before, &home.stable_snapshot(), "not due");
}

#[test]
fn not_due_within_and_force() {
    let home = node(0);
    let before = home.stable_snapshot();
    let run = renew(&home, &["http", "--format", "json"], &[]);
    assert_eq!(run.code, 80, "{run:?}");
    let doc = json(&run);
    assert_eq!(doc["reason"]["code"], "not_due");
    assert_eq!(doc["decision"], "skip");
    // 729, or 730 when the run falls in the very second the node was configured.
    let left = doc["before"]["days_left"].as_i64().unwrap();
    assert!((729..=730).contains(&left), "{left}");
    assert_same_tree(&before, &home.stable_snapshot(), "not due");
    let old = store(&home.config());
    let run = renew(&home, &["http", "--within", "730"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let mid = store(&home.config());
    assert_ne!(mid.leaf.cert_der(), old.leaf.cert_der());
    let run = renew(&home, &["http", "--force", "--days", "10"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let n = cert(store(&home.config()).leaf.cert_der());
    let days = n.not_after.duration_since(n.not_before).unwrap().as_secs() / DAY;
    assert_eq!(days, 10);
    let run = renew(&home, &["http", "--force", "--within", "3"], &[]);
    assert_eq!(run.code, 64, "--force and --within conflict: {run:?}");
}

fn set_keystore(config: &Path, entries: &[(&str, &str)]) {
    write_keystore(
        config,
        &keystore_with(entries),
        "",
        esac_keystore::FormatVersion::V5,
    );
}

#[test]
fn refusals_change_nothing_and_say_why() {
    type Setup = fn(&Home);
    /// What, days since `init`, setup, arguments, exit code, reason code.
    type Case = (
        &'static str,
        u64,
        Setup,
        &'static [&'static str],
        i32,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            "http TLS off",
            710,
            |_| {},
            &["-E", "xpack.security.http.ssl.enabled=false"],
            78,
            "not_renewable",
        ),
        (
            "PEM layout",
            710,
            |_| {},
            &["-E", "xpack.security.http.ssl.certificate=certs/http.crt"],
            78,
            "not_renewable",
        ),
        (
            "another store",
            710,
            |_| {},
            &[
                "-E",
                "xpack.security.http.ssl.keystore.path=certs/other.p12",
            ],
            78,
            "not_renewable",
        ),
        (
            "no password setting",
            710,
            |h| set_keystore(&h.config(), &[("other.setting", "x")]),
            &[],
            78,
            "missing_password_setting",
        ),
        (
            "no keystore",
            710,
            |h| std::fs::remove_file(h.keystore()).unwrap(),
            &[],
            78,
            "missing_password_setting",
        ),
        (
            "wrong store password",
            710,
            |h| set_keystore(&h.config(), &[(HTTP_PASSWORD, "not-the-password")]),
            &[],
            65,
            "p12_unreadable",
        ),
        (
            "truncated store",
            710,
            |h| {
                let p = h.config().join("certs/http.p12");
                let bytes = std::fs::read(&p).unwrap();
                std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
            },
            &[],
            65,
            "p12_unreadable",
        ),
        (
            "a store of another shape",
            710,
            |h| {
                // transport.p12 (one key entry, one trusted entry) under the HTTP name and password.
                let c = h.config();
                let pw = keystore_show(
                    &c,
                    "xpack.security.transport.ssl.keystore.secure_password",
                    &[],
                );
                std::fs::copy(c.join("certs/transport.p12"), c.join("certs/http.p12")).unwrap();
                set_keystore(&c, &[(HTTP_PASSWORD, &pw)]);
            },
            &[],
            78,
            "unexpected_keystore_shape",
        ),
        (
            "expired CA, even forced",
            1100,
            |_| {},
            &["--force"],
            78,
            "ca_expired",
        ),
        (
            "a link instead of the store",
            710,
            |h| {
                let c = h.config().join("certs");
                std::fs::rename(c.join("http.p12"), c.join("real.p12")).unwrap();
                std::os::unix::fs::symlink("real.p12", c.join("http.p12")).unwrap();
            },
            &[],
            65,
            "p12_unreadable",
        ),
    ];
    for (what, days, setup, args, code, reason) in cases {
        let home = node(days);
        setup(&home);
        let before = home.stable_snapshot();
        let mut a = vec!["http", "--format", "json"];
        a.extend_from_slice(args);
        let run = renew(&home, &a, &[]);
        assert_eq!(run.code, code, "{what}: {run:?}");
        let doc = json(&run);
        assert_eq!(doc["reason"]["code"], reason, "{what}: {run:?}");
        assert_eq!(doc["decision"], "error", "{what}");
        assert!(run.stderr.starts_with("ERROR: "), "{what}: {run:?}");
        assert_same_tree(&before, &home.stable_snapshot(), what);
    }
}

#[test]
fn a_protected_keystore_needs_its_passphrase() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_keystore(
        &home.config(),
        &keystore_with(&[]),
        "s3cret",
        esac_keystore::FormatVersion::V5,
    );
    let dir = tempfile::tempdir().unwrap();
    let right = dir.path().join("right");
    let wrong = dir.path().join("wrong");
    std::fs::write(&right, "s3cret\n").unwrap();
    std::fs::write(&wrong, "nope\n").unwrap();
    let right_env = [("ES_KEYSTORE_PASSPHRASE_FILE", right.to_str().unwrap())];
    let wrong_env = [("ES_KEYSTORE_PASSPHRASE_FILE", wrong.to_str().unwrap())];
    let then = (now() - 710 * DAY).to_string();
    let mut env = right_env.to_vec();
    env.push(("ESAC_TEST_NOW", &then));
    assert_eq!(home.init_env(FASTEST, &env).code, 0);
    let before = home.stable_snapshot();
    let run = renew(&home, &["http"], &wrong_env);
    assert_eq!(run.code, 65, "{run:?}");
    assert!(
        run.stderr
            .contains("Provided keystore password was incorrect"),
        "{run:?}"
    );
    assert_same_tree(&before, &home.stable_snapshot(), "wrong passphrase");
    let run = renew(&home, &["http"], &right_env);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn dry_run_writes_nothing_and_json_holds_no_secret() {
    let home = node(710);
    let password = keystore_show(&home.config(), HTTP_PASSWORD, &[]);
    let before = home.stable_snapshot();
    let run = renew(&home, &["http", "--dry-run"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    for s in [
        "Decision: renew (exit 0)",
        "Dry run: nothing was written.",
        "commit ",
        "certs/http.p12",
        "HTTP certificate (renewed):",
        "(capped at the CA's expiry)",
        "extensions: subjectKeyIdentifier, authorityKeyIdentifier, subjectAltName, basicConstraints, keyUsage (critical), extKeyUsage",
    ] {
        assert!(run.stdout.contains(s), "{s}: {run:?}");
    }
    assert_same_tree(&before, &home.stable_snapshot(), "dry run");

    let old = cert(store(&home.config()).leaf.cert_der());
    let run = renew(&home, &["http", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !run.stdout.contains(&password),
        "no password in the document"
    );
    let doc = json(&run);
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["command"], "renew http");
    assert_eq!(doc["target"], "http");
    assert_eq!(doc["decision"], "renew");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["reason"]["code"], "renewed");
    assert_eq!(doc["before"]["serial"], old.serial);
    let left = doc["before"]["days_left"].as_i64().unwrap();
    assert!((19..=20).contains(&left), "{left}");
    let new = cert(store(&home.config()).leaf.cert_der());
    assert_eq!(doc["after"]["serial"], new.serial);
    assert_eq!(doc["after"]["sha256"], new.sha256);
    assert_eq!(doc["capped_by_ca"], true);
    assert_eq!(doc["key_reused"], false);
    assert_eq!(doc["ca"]["not_after"], doc["after"]["not_after"]);
    assert_eq!(doc["files"][0]["action"], "replace");
    assert_eq!(doc["files"][0]["mode"], 0o660);
    assert_eq!(doc["reload"]["enabled"], true);
    let steps: Vec<&str> = doc["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["journal", "generate", "write_http_p12", "cleanup"]);
    assert_eq!(run.stderr, "", "JSON mode: nothing else");
}

#[test]
fn sans_keys_and_backup() {
    let home = node(710);
    let config = home.config();
    let old = store(&config);
    let old_bytes = std::fs::read(config.join("certs/http.p12")).unwrap();
    let run = renew(
        &home,
        &[
            "http",
            "--sans",
            "keep",
            "--add-san",
            "DNS:es.example.com",
            "--add-san",
            "IP:10.1.2.3",
            "--reuse-key",
            "--keep-backup",
            "--no-cap",
            "-E",
            "network.publish_host=192.0.2.99",
        ],
        &[("ESAC_TEST_NOW", &now().to_string())],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let new = store(&config);
    let (o, n) = (cert(old.leaf.cert_der()), cert(new.leaf.cert_der()));
    let mut want = o.sans.clone();
    want.push("IP:10.1.2.3".parse().unwrap());
    want.push("DNS:es.example.com".parse().unwrap());
    assert_eq!(n.sans, want, "keep: the old SANs, then the added ones");
    assert_eq!(n.spki_sha256, o.spki_sha256, "--reuse-key");
    assert_eq!(
        n.not_after.duration_since(n.not_before).unwrap().as_secs(),
        730 * DAY,
        "--no-cap"
    );
    // The backup is the old file itself (a second link), kept after the run.
    let backups: Vec<_> = std::fs::read_dir(config.join("certs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("http.p12.") && n.ends_with(".orig"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(
        std::fs::read(config.join("certs").join(&backups[0])).unwrap(),
        old_bytes
    );
    assert_eq!(mode(&config.join("certs").join(&backups[0])), 0o660);

    // The union (default) adds what auto-configuration computes today.
    let run = renew(
        &home,
        &["http", "--force", "-E", "network.publish_host=192.0.2.99"],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let u = cert(store(&config).leaf.cert_der());
    assert!(
        u.sans.contains(&"IP:192.0.2.99".parse().unwrap()),
        "{:?}",
        u.sans
    );
    for s in &n.sans {
        assert!(u.sans.contains(s), "{s} kept");
    }

    for bad in ["DNS:10.0.0.1", "IP:not-an-ip", "URI:x", "DNS:"] {
        let run = renew(&home, &["http", "--add-san", bad], &[]);
        assert_eq!(run.code, 64, "{bad}: {run:?}");
    }
}

/// Runs `es-autoconf` as `nobody` through `setpriv` (root only).
fn as_nobody(copy: &esac_testkit::AnyUserCopy, args: &[&str], home: &Home) -> Run {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(copy.path());
    Run::from(
        Bin::clean_env(&mut c)
            .args(args)
            .arg("--es-home")
            .arg(home.path())
            .env("ESAC_TEST_KEY_POOL", key_pool_dir())
            .stdin(Stdio::null())
            .output()
            .expect("setpriv (util-linux) is needed to test as a non-root user"),
    )
}

#[test]
fn owner_group_and_mode_are_kept() {
    if !is_root() {
        // Only root can give a file to another owner; the non-root path is the default one.
        return;
    }
    let home = node(710);
    let p12 = home.config().join("certs/http.p12");
    std::os::unix::fs::chown(&p12, Some(1000), Some(1001)).unwrap();
    std::fs::set_permissions(&p12, std::fs::Permissions::from_mode(0o440)).unwrap();
    let run = renew(&home, &["http"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let m = std::fs::metadata(&p12).unwrap();
    assert_eq!((m.uid(), m.gid(), mode(&p12)), (1000, 1001, 0o440));

    // Another user cannot keep root's ownership: refused before anything is written.
    let home = node(710);
    for p in [home.path(), &home.config(), &home.config().join("certs")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for f in [
        "elasticsearch.keystore",
        "elasticsearch.yml",
        "certs/http.p12",
    ] {
        let p = home.config().join(f);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let before = home.stable_snapshot();
    let copy = ES_AUTOCONF.for_any_user();
    let run = as_nobody(&copy, &["renew", "http", "--format", "json"], &home);
    assert_eq!(run.code, 78, "{run:?}");
    assert_eq!(json(&run)["reason"]["code"], "owner_change_required");
    assert_same_tree(&before, &home.stable_snapshot(), "owner change refused");
}

/// The steps of a `renew` plan, from its dry run's JSON.
fn renew_steps(home: &Home, args: &[&str]) -> Vec<String> {
    let run = renew(
        home,
        &[args, &["--dry-run", "--format", "json"]].concat(),
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    plan_steps(&run)
}

/// The files a renewal may change, with their bytes.
fn renewed_files(config: &Path) -> Vec<(String, Vec<u8>)> {
    ["certs/http.p12", "certs/http_ca.crt"]
        .iter()
        .map(|f| ((*f).to_owned(), std::fs::read(config.join(f)).unwrap()))
        .collect()
}

/// Runs every fault of every step of the plan `args` makes on a fresh node each time: an
/// injected failure, a kill before the step and a kill after it. Afterwards the files are all
/// old or all new (and then a valid store under the CA in `http_ca.crt`); the next run says
/// what it found, and leaves no journal.
fn faults_at_every_step(days_ago: u64, args: &[&str]) {
    let steps = renew_steps(&node(days_ago), args);
    assert!(steps.len() >= 4, "{steps:?}");
    for_each_in_parallel(&every_failpoint(&steps), 4, |(step, fault)| {
        one_fault(days_ago, args, step, fault);
    });
}

fn one_fault(days_ago: u64, args: &[&str], step: &str, fault: &str) {
    let what = format!("{args:?} {fault}");
    let home = node(days_ago);
    let config = home.config();
    let old = renewed_files(&config);
    let old_ca = store(&config).ca;
    let before = home.stable_snapshot();
    let run = renew(&home, args, &[("ESAC_FAILPOINT", fault)]);
    // Each file is the old one, or a complete new one: never a torn or half-written file.
    for ((name, was), (_, now)) in old.iter().zip(&renewed_files(&config)) {
        if was == now {
            continue;
        }
        if name.ends_with("http.p12") {
            let s = store(&config);
            assert!(
                esac_pki::signed_by(s.leaf.cert_der(), s.ca.cert_der()).unwrap(),
                "{what}"
            );
        } else {
            let der = pem_der(now);
            assert!(
                esac_pki::same_ca_key(&der, &old_ca).unwrap(),
                "{what}: {name}"
            );
        }
    }
    let committed = renewed_files(&config)[0] != old[0];
    let killed = fault.starts_with("abort");
    match (killed, step) {
        (false, "cleanup") => assert_eq!(run.code, 0, "{what}: after the commit: {run:?}"),
        (false, _) => {
            assert_ne!(run.code, 0, "{what}: {run:?}");
            assert!(run.stderr.starts_with("ERROR: "), "{what}: {run:?}");
            assert_same_tree(&before, &home.stable_snapshot(), &what);
        }
        (true, _) => assert_ne!(run.code, 0, "{what}: killed: {run:?}"),
    }
    let journal = config.join(".es-autoconf.journal");
    if killed {
        let gone = (step == "journal" && fault.starts_with("abort:"))
            || (step == "cleanup" && fault.starts_with("abort-after:"));
        assert_eq!(journal.exists(), !gone, "{what}");
    }
    // The next run recovers and says so, then renews or finds nothing due.
    let journal_left = journal.exists();
    let next = renew(&home, args, &[]);
    assert!(
        next.code == 0 || next.code == 80,
        "{what}: the next run: {next:?}"
    );
    if journal_left {
        let said = if committed {
            "had finished writing"
        } else {
            "restored the configuration"
        };
        assert!(
            next.stderr.contains("found an interrupted run") && next.stderr.contains(said),
            "{what}: {next:?}"
        );
    }
    assert!(!journal.exists(), "{what}");
    let kept_backup = |l: &String| l.contains("http.p12.") && args.contains(&"--keep-backup");
    assert_eq!(
        leftovers(&config)
            .into_iter()
            .filter(|l| !kept_backup(l))
            .collect::<Vec<_>>(),
        Vec::<String>::new(),
        "{what}"
    );
    // A consistent pair: the store's CA is the one in http_ca.crt, and issued the leaf.
    let s = store(&config);
    let crt = std::fs::read(config.join("certs/http_ca.crt")).unwrap();
    assert_eq!(pem_der(&crt), s.ca.cert_der(), "{what}");
    assert!(
        esac_pki::signed_by(s.leaf.cert_der(), s.ca.cert_der()).unwrap(),
        "{what}"
    );
}

#[test]
fn renew_http_failing_or_killed_at_every_step() {
    faults_at_every_step(710, &["http"]);
    faults_at_every_step(710, &["http", "--keep-backup"]);
}

#[test]
fn a_bind_mounted_store_is_rewritten_in_place() {
    let home = node(710);
    let p12 = home.config().join("certs/http.p12");
    let ino = std::fs::metadata(&p12).unwrap().ino();
    let run = renew(
        &home,
        &["http"],
        &[("ESAC_FAILPOINT", "ebusy:write_http_p12")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::metadata(&p12).unwrap().ino(), ino, "same inode");
    let s = store(&home.config());
    assert!(esac_pki::signed_by(s.leaf.cert_der(), s.ca.cert_der()).unwrap());
    assert_eq!(leftovers(&home.config()), Vec::<String>::new());

    // Torn half-way by a crash: the next run puts the old store back (from the copy it kept),
    // then renews.
    let home = node(710);
    let p12 = home.config().join("certs/http.p12");
    let old = std::fs::read(&p12).unwrap();
    let killed = renew(
        &home,
        &["http"],
        &[("ESAC_FAILPOINT", "torn:write_http_p12")],
    );
    assert_ne!(killed.code, 0);
    assert_ne!(std::fs::read(&p12).unwrap(), old, "torn");
    let dry = renew(&home, &["http", "--dry-run"], &[]);
    assert!(
        dry.stderr
            .contains("a real run will first finish or undo it"),
        "{dry:?}"
    );
    let run = renew(&home, &["http", "--within", "0"], &[]);
    assert_eq!(
        run.code, 80,
        "restored, and then not due with --within 0: {run:?}"
    );
    assert!(run.stderr.contains("restored the configuration"), "{run:?}");
    assert_eq!(
        std::fs::read(&p12).unwrap(),
        old,
        "the old store, byte for byte"
    );
    assert_eq!(leftovers(&home.config()), Vec::<String>::new());
}

/// Runs `renew` as if it were `days_ago` days ago (the run's clock), and expects success.
pub fn renew_at(home: &Home, days_ago: u64, args: &[&str]) {
    let then = (now() - days_ago * DAY).to_string();
    let run = renew(home, args, &[("ESAC_TEST_NOW", &then)]);
    assert_eq!(run.code, 0, "{args:?}: {run:?}");
}

/// Configured 1010 days ago, the HTTP certificate renewed at day 700 (capped at the CA's
/// expiry): the CA has 85 days left and is due, the node's certificate is not.
fn node_with_ca_due() -> Home {
    let home = node(1010);
    renew_at(&home, 310, &["http"]);
    home
}

fn raw_extensions(der: &[u8]) -> Vec<(Vec<u8>, bool, Vec<u8>)> {
    use x509_parser::prelude::FromDer;
    let (_, c) = x509_parser::certificate::X509Certificate::from_der(der).unwrap();
    c.extensions()
        .iter()
        .map(|e| (e.oid.as_bytes().to_vec(), e.critical, e.value.to_vec()))
        .collect()
}

#[test]
fn renew_http_ca_reissues_the_ca_with_the_same_key() {
    let home = node_with_ca_due();
    let config = home.config();
    let old = store(&config);
    let old_ca = cert(old.ca.cert_der());
    let before = home.stable_snapshot();

    let run = renew(&home, &["http-ca", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut files = changed(&before, &home.stable_snapshot());
    files.sort();
    assert_eq!(files, ["config/certs/http.p12", "config/certs/http_ca.crt"]);
    assert_eq!(leftovers(&config), Vec::<String>::new());
    let new = store(&config);
    let new_ca = cert(new.ca.cert_der());
    assert_eq!(new_ca.subject_der, old_ca.subject_der);
    assert_eq!(new_ca.spki_sha256, old_ca.spki_sha256, "the same key");
    assert_eq!(
        raw_extensions(new.ca.cert_der()),
        raw_extensions(old.ca.cert_der()),
        "the same extensions, SKI included"
    );
    assert_ne!(new_ca.serial, old_ca.serial);
    assert_eq!(
        new_ca
            .not_after
            .duration_since(new_ca.not_before)
            .unwrap()
            .as_secs(),
        1095 * DAY
    );
    assert_eq!(
        new.ca.key().pkcs8_der().expose(),
        old.ca.key().pkcs8_der().expose()
    );
    // The node's certificate is kept, now chained to the new CA, and verifies under it.
    assert_eq!(new.leaf.cert_der(), old.leaf.cert_der());
    assert_eq!(
        new.leaf_chain,
        [old.leaf.cert_der().to_vec(), new.ca.cert_der().to_vec()]
    );
    assert!(esac_pki::signed_by(old.leaf.cert_der(), new.ca.cert_der()).unwrap());
    let crt = std::fs::read(config.join("certs/http_ca.crt")).unwrap();
    assert_eq!(
        crt,
        esac_pki::pem::encode("CERTIFICATE", new.ca.cert_der()).as_bytes()
    );
    let doc = json(&run);
    assert_eq!(doc["command"], "renew http-ca");
    assert_eq!(doc["ca"]["sha256"], old_ca.sha256);
    assert_eq!(doc["ca_after"]["sha256"], new_ca.sha256);
    assert_eq!(
        doc["after"],
        serde_json::Value::Null,
        "the leaf was not renewed"
    );
    let summary = doc["summary"].to_string();
    for s in [
        "ca_trusted_fingerprint",
        new_ca.sha256.as_str(),
        "--import-ca-cert",
        "certificateAuthorities",
    ] {
        assert!(summary.contains(s), "{s}: {summary}");
    }

    let again = renew(&home, &["http-ca"], &[]);
    assert_eq!(again.code, 80, "{again:?}");

    // --with-leaf: the node's certificate too, under the new CA.
    let run = renew(&home, &["http-ca", "--force", "--with-leaf"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("HTTP CA certificate SHA-256 fingerprint after:"),
        "{run:?}"
    );
    let last = store(&config);
    assert_ne!(last.leaf.cert_der(), new.leaf.cert_der());
    assert!(esac_pki::signed_by(last.leaf.cert_der(), last.ca.cert_der()).unwrap());
}

#[test]
fn a_second_node_installs_the_reissued_ca() {
    use crate::enroll_cli::{enroll, node_a, server, token_string};
    use esac_enroll::testserver::Failure;
    let a = node_a();
    let b = {
        let srv = server(&a, Failure::None);
        let b = ES_AUTOCONF.home(STOCK_YML);
        let run = enroll(&b, &token_string(&srv.token()));
        assert_eq!(run.code, 0, "{run:?}");
        b
    };
    let run = renew(&a, &["http-ca", "--force"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let a_crt = a.config().join("certs/http_ca.crt");
    let b_leaf = store(&b.config()).leaf.cert_der().to_vec();
    let before = b.stable_snapshot();

    let run = renew(
        &b,
        &["http-ca", "--import-ca-cert", a_crt.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let mut files = changed(&before, &b.stable_snapshot());
    files.sort();
    assert_eq!(files, ["config/certs/http.p12", "config/certs/http_ca.crt"]);
    assert_eq!(
        std::fs::read(b.config().join("certs/http_ca.crt")).unwrap(),
        std::fs::read(&a_crt).unwrap(),
        "the same CA certificate, so the same fingerprint"
    );
    let s = store(&b.config());
    assert_eq!(s.ca.cert_der(), store(&a.config()).ca.cert_der());
    assert_eq!(
        s.leaf.cert_der(),
        b_leaf.as_slice(),
        "B's own certificate is kept"
    );
    assert!(esac_pki::signed_by(&b_leaf, s.ca.cert_der()).unwrap());

    // The same certificate as DER: already installed.
    let der = b.path().join("ca.der");
    std::fs::write(&der, store(&a.config()).ca.cert_der()).unwrap();
    let run = renew(
        &b,
        &[
            "http-ca",
            "--import-ca-cert",
            der.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 80, "{run:?}");
    assert_eq!(json(&run)["reason"]["code"], "ca_already_installed");

    // A CA of another cluster, or a file with two certificates: refused, nothing changes.
    let foreign = node(0);
    let two = b.path().join("two.pem");
    let mut both = std::fs::read(&a_crt).unwrap();
    both.extend(std::fs::read(foreign.config().join("certs/http_ca.crt")).unwrap());
    std::fs::write(&two, both).unwrap();
    let foreign_crt = foreign.config().join("certs/http_ca.crt");
    for file in [foreign_crt.as_path(), two.as_path()] {
        let before = b.stable_snapshot();
        let run = renew(
            &b,
            &[
                "http-ca",
                "--import-ca-cert",
                file.to_str().unwrap(),
                "--format",
                "json",
            ],
            &[],
        );
        assert_eq!(run.code, 65, "{run:?}");
        assert_eq!(json(&run)["reason"]["code"], "ca_key_mismatch");
        assert_same_tree(&before, &b.stable_snapshot(), "foreign CA");
    }
}

#[test]
fn renew_http_ca_failing_or_killed_at_every_step() {
    // The node's certificate expired long ago: it is renewed in the same transaction.
    faults_at_every_step(1010, &["http-ca"]);
}

/// Real SIGKILLs spread over a renewal's duration (the process is this test's child): the store
/// is the old one or a complete new one, and the next run finishes or undoes what was begun.
#[test]
fn real_sigkills_during_a_renewal_are_recovered() {
    let probe = node(710);
    let t = std::time::Instant::now();
    assert_eq!(renew(&probe, &["http"], &[]).code, 0);
    let took = t.elapsed().as_micros() as u64;
    for i in 0..12u64 {
        let home = node(710);
        let config = home.config();
        let old = std::fs::read(config.join("certs/http.p12")).unwrap();
        let mut child = home
            .pool_command(&["renew", "http"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(took * i / 10));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(config.join("certs/http.p12")).unwrap();
        if now != old {
            let s = store(&config);
            assert!(esac_pki::signed_by(s.leaf.cert_der(), s.ca.cert_der()).unwrap());
        }
        let next = renew(&home, &["http", "--within", "0"], &[]);
        assert!(next.code == 0 || next.code == 80, "kill {i}: {next:?}");
        assert!(!config.join(".es-autoconf.journal").exists(), "kill {i}");
        assert_eq!(leftovers(&config), Vec::<String>::new(), "kill {i}");
        let s = store(&config);
        assert!(esac_pki::signed_by(s.leaf.cert_der(), s.ca.cert_der()).unwrap());
    }
}

/// `--wait-reload` against a node that keeps serving the old certificate (a server started with
/// the node's material before the renewal, which never reloads): a warning and exit 0, or with
/// `--require-reload` exit 69 `reload_not_seen`; the files are renewed either way.
#[test]
fn wait_reload_reports_a_node_that_keeps_the_old_certificate() {
    use esac_enroll::testserver::Failure;
    let home = node(720);
    let old = store(&home.config()).leaf.cert_der().to_vec();
    let srv = crate::enroll_cli::server(&home, Failure::None);
    let url = format!("https://{}", srv.address());
    let env = [("ESAC_TEST_RELOAD_WAIT_MS", "1500")];

    let run = renew(&home, &["http", "--wait-reload", &url], &env);
    assert_eq!(run.code, 0, "{run:?}");
    let renewed = store(&home.config()).leaf.cert_der().to_vec();
    assert_ne!(renewed, old, "the store is renewed");
    // The report goes to standard error, as every renew message. The server presents a leaf
    // of the node's HTTP CA made before the renewal, never the new one.
    let new_sha = esac_pki::sha256_hex(&renewed);
    assert!(
        run.stderr.contains(&format!(
            "WARNING: {url} did not serve the new certificate within"
        )) && run.stderr.contains("(last: served certificate SHA-256 ")
            && !run.stderr.contains(&format!("SHA-256 {new_sha}")),
        "{run:?}"
    );

    let run = renew_requiring_reload(&home, &["http", "--force", "--format", "json"], &url, &env);
    assert_eq!(run.code, 69, "{run:?}");
    let doc = json(&run);
    assert_eq!(doc["reason"]["code"], "reload_not_seen", "{doc}");
    assert_eq!(doc["exit_code"], 69);
    assert_eq!(doc["reload"]["waited"]["seen"], false);
    assert_eq!(doc["reload"]["waited"]["required"], true);
    assert_ne!(
        store(&home.config()).leaf.cert_der(),
        &renewed[..],
        "renewed again, committed although not seen"
    );
    assert!(srv.requests().is_empty(), "a handshake only, no request");

    // Nothing listening: the same, with the connection error as what it saw last.
    let closed = esac_enroll::testserver::closed_port_address().unwrap();
    let run = renew_requiring_reload(&home, &["http", "--force"], &closed, &env);
    assert_eq!(run.code, 69, "{run:?}");
    assert!(
        run.stderr.contains("did not serve the new certificate"),
        "{run:?}"
    );

    // `-s` shows errors only: the reason for 69 is still printed.
    let run = renew_requiring_reload(&home, &["http", "--force", "-s"], &closed, &env);
    assert_eq!(run.code, 69, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "ERROR: {closed} did not serve the new certificate"
        )),
        "{run:?}"
    );

    // `--require-reload` alone, and a URL no handshake can be made with (or one holding
    // credentials), are usage errors found before anything is written.
    let before = home.stable_snapshot();
    let run = renew(&home, &["http", "--force", "--require-reload"], &[]);
    assert_eq!(run.code, 64, "{run:?}");
    for bad in [
        "http://127.0.0.1:9200",
        "https://elastic:s3cr3t@127.0.0.1:9200",
        "https://no space:9200",
    ] {
        let run = renew(&home, &["http", "--force", "--wait-reload", bad], &env);
        assert_eq!(run.code, 64, "{bad}: {run:?}");
        assert!(!run.stderr.contains("s3cr3t"), "{run:?}");
    }
    assert_same_tree(&before, &home.stable_snapshot(), "usage errors");
}

/// The wait comes after the commit, without the lock: another run on the config directory
/// goes ahead while one waits, and the wait is bounded whatever the yml says.
#[test]
fn waiting_for_a_reload_holds_no_lock() {
    let home = node(720);
    let closed = esac_enroll::testserver::closed_port_address().unwrap();
    let p12 = home.config().join("certs/http.p12");
    let old = std::fs::read(&p12).unwrap();
    let mut first = home
        .pool_command(&["renew", "http", "--wait-reload", &closed])
        .env("ESAC_TEST_RELOAD_WAIT_MS", "8000")
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::fs::read(&p12).unwrap() == old {
        assert!(
            start.elapsed().as_secs() < 30,
            "the first run did not commit"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let second = renew(&home, &["http", "--force"], &[]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        !second.stderr.contains("another es-autoconf run"),
        "{second:?}"
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the second run finished while the first was still waiting"
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0));
}
