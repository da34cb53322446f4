//! Black-box tests of a real `es-autoconf init`: what it writes (spec §2.1, §3, §4), that every
//! failure leaves the config directory as it was (§5), that a killed run is finished or undone by
//! the next one, that runs are serialised, and how the `elastic` password is delivered.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use esac_keystore::FormatVersion;
use esac_testkit::faults::for_each_in_parallel;
use esac_testkit::fixtures::{bcrypt_verify, key_pool_dir, keystore_with, write_keystore};
use esac_testkit::{assert_same_tree, is_root, Bin, Home, Run, Tree};

use crate::common::{
    assert_configured, keystore_list, keystore_show, leftovers, mode, set_mode, BLOCK_START,
    FASTEST, STOCK_YML, TLS_PASSWORD_SETTINGS,
};
use crate::ES_AUTOCONF;

// Every failpoint step, in execution order.
use esac_core::StepId;

/// Steps taken only when there is something to back up (an existing keystore / `certs/`).
const ONLY_WHEN_EXISTING: [StepId; 2] = [StepId::KeystoreBackup, StepId::MoveCerts];

fn reached(step: &str, existing: bool) -> bool {
    existing || !ONLY_WHEN_EXISTING.iter().any(|s| s.name() == step)
}

const FAST: &[&str] = &["--key-type", "ecdsa-p256"];
const PW_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_=+";

/// Writes a keystore (format 6) with `keystore.seed`, the given entries and password.
fn write_current_keystore(config: &Path, password: &str, entries: &[(&str, &str)]) {
    write_keystore(
        config,
        &keystore_with(entries),
        password,
        FormatVersion::CURRENT,
    );
}

/// A pre-existing `certs/` directory with a file of the operator's.
fn add_old_certs(config: &Path) {
    std::fs::create_dir(config.join("certs")).unwrap();
    std::fs::write(config.join("certs/old.pem"), "operator's own\n").unwrap();
    set_mode(&config.join("certs"), 0o755);
}

fn certs_backups(config: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(config)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("certs.") && n.ends_with(".orig")
        })
        .collect()
}

#[test]
fn fresh_archive_home_is_configured_once() {
    let yml = format!("{STOCK_YML}# operator comment, kept byte for byte:  \tüñí\ncluster.name: prod # trailing\n");
    let home = ES_AUTOCONF.home(&yml);
    set_mode(&home.yml(), 0o640);
    let run = home.init(FAST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
    let certs = home.config().join("certs");
    assert_eq!(mode(&certs), 0o750);
    let mut list = keystore_list(&home.config(), &[]);
    list.sort();
    let mut want = vec!["keystore.seed"];
    want.extend(TLS_PASSWORD_SETTINGS);
    want.sort();
    assert_eq!(list, want, "exactly the seed and the TLS passwords");
    let written = std::fs::read_to_string(home.yml()).unwrap();
    let block = written
        .strip_prefix(yml.as_str())
        .expect("the original bytes come first, unchanged");
    assert!(block.starts_with(BLOCK_START), "{block}");
    assert!(block.ends_with("END SECURITY AUTO CONFIGURATION -------------------------\n"));
    assert!(block.contains("\ncluster.initial_master_nodes: [\"node-1\"]\n"));
    assert!(block.contains("\nhttp.host: 0.0.0.0\n"));
    assert!(block.contains("\nxpack.security.enrollment.enabled: true\n"));
    assert_eq!(mode(&home.yml()), 0o640, "the yml keeps its mode");
    assert!(certs_backups(&home.config()).is_empty());
    assert_eq!(leftovers(home.path()), Vec::<String>::new());

    let before = home.snapshot();
    let again = home.init(FAST);
    assert_eq!(again.code, 80, "{again:?}");
    assert_eq!(before, home.snapshot());
}

#[test]
fn package_layout_with_separate_config_and_data_dirs() {
    let home = ES_AUTOCONF.home("");
    let etc = tempfile::Builder::new()
        .prefix("esac-etc")
        .tempdir()
        .unwrap();
    std::fs::write(etc.path().join("elasticsearch.yml"), STOCK_YML).unwrap();
    let data = home.path().join("var-lib-es");
    std::fs::create_dir(&data).unwrap();
    let data_arg = format!("path.data={}", data.display());
    let conf = etc.path().to_str().unwrap();
    let home_before = home.snapshot();
    let mut args = vec!["--config-dir", conf, "-E", &data_arg];
    args.extend_from_slice(FAST);
    let run = home.init(&args);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(etc.path(), &[]);
    assert_eq!(
        home_before,
        home.snapshot(),
        "nothing written under the home"
    );
    // The node has started and written data: a second run is a restart.
    std::fs::write(data.join("node.lock"), "").unwrap();
    std::fs::write(etc.path().join("elasticsearch.yml"), STOCK_YML).unwrap();
    let run = home.init(&args);
    assert_eq!(run.code, 80, "{run:?}");
    assert!(run.stdout.contains("not starting up for the first time"));
}

#[test]
fn existing_keystore_without_password_keeps_its_entries() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_current_keystore(
        &home.config(),
        "",
        &[("s3.client.default.access_key", "AKIA")],
    );
    let run = home.init(FAST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
    assert_eq!(
        keystore_show(&home.config(), "s3.client.default.access_key", &[]),
        "AKIA"
    );
    let has = home.run(&["keystore", "has-password"]);
    assert_eq!(has.code, 1, "still without a password: {has:?}");
}

#[test]
fn existing_keystore_with_password() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_current_keystore(
        &home.config(),
        "s3cret pass",
        &[("bootstrap.password", "bp")],
    );
    let dir = tempfile::tempdir().unwrap();
    let right = dir.path().join("right");
    let wrong = dir.path().join("wrong");
    std::fs::write(&right, "s3cret pass\n").unwrap();
    std::fs::write(&wrong, "not it\n").unwrap();
    let right_env = [("ES_KEYSTORE_PASSPHRASE_FILE", right.to_str().unwrap())];
    let wrong_env = [("ES_KEYSTORE_PASSPHRASE_FILE", wrong.to_str().unwrap())];

    let before = home.stable_snapshot();
    let run = home.init_env(FAST, &wrong_env);
    assert_eq!(run.code, 65, "{run:?}");
    assert!(
        run.stderr
            .contains("Provided keystore password was incorrect"),
        "{run:?}"
    );
    assert_same_tree(
        &before,
        &home.stable_snapshot(),
        "a wrong password changes nothing",
    );

    let run = home.init_env(FAST, &right_env);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &right_env);
    assert_eq!(
        keystore_show(&home.config(), "bootstrap.password", &right_env),
        "bp"
    );
    let has = home.run(&["keystore", "has-password"]);
    assert_eq!(has.code, 0, "still protected: {has:?}");
    let list = home.run_env(&["keystore", "list"], &wrong_env);
    assert_ne!(list.code, 0, "protected by the same password: {list:?}");
}

#[test]
fn keystore_already_holding_tls_passwords_aborts() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_current_keystore(
        &home.config(),
        "",
        &[("xpack.security.http.ssl.keystore.secure_password", "x")],
    );
    add_old_certs(&home.config());
    let before = home.stable_snapshot();
    let run = home.init(FAST);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(
        run.stderr.contains(
            "Aborting auto configuration because the node keystore contains password settings already"
        ),
        "{run:?}"
    );
    assert_same_tree(&before, &home.stable_snapshot(), &format!("{run:?}"));
}

#[test]
fn existing_certs_dir_is_moved_aside_untouched() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    add_old_certs(&home.config());
    let old = Tree::of(&home.config().join("certs"));
    let run = home.init(FAST);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
    let backups = certs_backups(&home.config());
    assert_eq!(backups.len(), 1, "{backups:?}");
    let name = backups[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let epoch: i64 = name["certs.".len()..name.len() - ".orig".len()]
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - epoch).abs() < 120, "{name}");
    assert_eq!(
        old.ignoring_dir_mtimes(),
        Tree::of(&backups[0]).ignoring_dir_mtimes()
    );
}

#[test]
fn optional_yml_lines_follow_the_settings() {
    let cases: &[(&str, &str)] = &[
        (
            "discovery.type: single-node\n",
            "cluster.initial_master_nodes",
        ),
        (
            "cluster.initial_master_nodes: [\"node-1\"]\n",
            "cluster.initial_master_nodes:",
        ),
        ("http.host: 127.0.0.1\n", "http.host: 0.0.0.0"),
        ("network.host: 10.1.2.3\n", "http.host: 0.0.0.0"),
        (
            "xpack.security.enrollment.enabled: false\n",
            "xpack.security.enrollment.enabled: true",
        ),
    ];
    for (setting, absent) in cases {
        let home = ES_AUTOCONF.home(setting);
        let run = home.init(FAST);
        assert_eq!(run.code, 0, "{setting}: {run:?}");
        let yml = std::fs::read_to_string(home.yml()).unwrap();
        let block = yml.strip_prefix(setting).unwrap();
        assert!(block.starts_with(BLOCK_START));
        assert!(!block.contains(absent), "{setting} -> {block}");
        assert_eq!(
            yml.matches(absent).count(),
            usize::from(setting.contains(absent))
        );
    }
}

/// A fresh home, or one with an existing keystore (with another entry) and `certs/` dir.
fn home_variant(existing: bool) -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    set_mode(&home.yml(), 0o640);
    if existing {
        write_keystore(
            &home.config(),
            &keystore_with(&[("other.setting", "v")]),
            "",
            FormatVersion::V5,
        );
        add_old_certs(&home.config());
    }
    home
}

/// Runs `case(existing, step)` for both home variants and every step, four at a time (the runs
/// mostly wait for fsync).
fn for_each_case(case: impl Fn(bool, &str) + Sync) {
    let cases: Vec<(bool, &str)> = [false, true]
        .into_iter()
        .flat_map(|e| StepId::ALL.iter().map(move |s| (e, s.name())))
        .collect();
    for_each_in_parallel(&cases, 4, |(existing, step)| case(*existing, step));
}

#[test]
fn every_failing_step_leaves_the_tree_as_it_was() {
    for_each_case(|existing, step| {
        {
            let home = home_variant(existing);
            let before = home.stable_snapshot();
            let run = home.init_env(FASTEST, &[("ESAC_FAILPOINT", step)]);
            if step == "cleanup" || !reached(step, existing) {
                // After the commit point: the run has succeeded.
                assert_eq!(run.code, 0, "{step}: {run:?}");
                assert_configured(&home.config(), &[]);
                return;
            }
            assert_ne!(run.code, 0, "{step} (existing={existing}): {run:?}");
            assert!(run.stderr.starts_with("ERROR: "), "{step}: {run:?}");
            assert_same_tree(
                &before,
                &home.stable_snapshot(),
                &format!("{step} (existing={existing}): {run:?}"),
            );
        }
    });
}

/// After a run killed anywhere, the next run first finishes or undoes it: the tree is then either
/// the untouched original or a complete configuration (when the killed run had committed).
#[test]
fn a_run_killed_at_any_step_is_recovered_by_the_next() {
    for_each_case(|existing, step| {
        let home = home_variant(existing);
        let before = home.stable_snapshot();
        let abort = format!("abort:{step}");
        let killed = home.init_env(FASTEST, &[("ESAC_FAILPOINT", &abort)]);
        if !reached(step, existing) {
            assert_eq!(killed.code, 0, "{step}: {killed:?}");
            assert_configured(&home.config(), &[]);
            return;
        }
        assert_ne!(killed.code, 0, "{step}: {killed:?}");
        let journal = home.config().join(".es-autoconf.journal").exists();
        assert_eq!(journal, step != "journal", "{step}");
        check_recovery(
            &home,
            &before,
            journal,
            &format!("{step} (existing={existing})"),
        );
    });
}

/// Recovers through a run that then skips (so the recovered state can be compared), then runs
/// `init` for real.
fn check_recovery(home: &Home, before: &Tree, journal: bool, what: &str) {
    let committed = std::fs::read_to_string(home.yml())
        .unwrap()
        .contains("BEGIN SECURITY AUTO CONFIGURATION");
    let recover = home.init(&["-E", "xpack.security.autoconfiguration.enabled=false"]);
    assert_eq!(recover.code, 80, "{what}: {recover:?}");
    assert!(!home.config().join(".es-autoconf.journal").exists());
    if journal {
        let said = if committed {
            "had finished writing"
        } else {
            "restored the configuration"
        };
        assert!(
            recover.stderr.contains("found an interrupted run") && recover.stderr.contains(said),
            "{what}: {recover:?}"
        );
    } else {
        assert!(
            !recover.stderr.contains("interrupted"),
            "{what}: {recover:?}"
        );
    }
    if committed {
        assert_configured(&home.config(), &[]);
    } else {
        assert_same_tree(
            before,
            &home.stable_snapshot(),
            &format!("{what}: not restored"),
        );
    }
    let run = home.init(FASTEST);
    assert_eq!(run.code, if committed { 80 } else { 0 }, "{what}: {run:?}");
    assert_configured(&home.config(), &[]);
}

#[test]
fn real_sigkills_during_a_run_are_recovered() {
    // How long a run takes here, to spread the kills over it.
    let probe = ES_AUTOCONF.home(STOCK_YML);
    let t = Instant::now();
    assert_eq!(probe.init(&[]).code, 0);
    let full = t.elapsed();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for i in 0..6u64 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let jitter = (seed >> 33) % 1000;
        // Kills spread from the start of the run to just past its end.
        let delay = full.mul_f64((i as f64 * 1000.0 + jitter as f64) / 5000.0);
        let home = home_variant(i % 2 == 1);
        let before = home.stable_snapshot();
        let mut child = home
            .pool_command(&["init"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let journal = home.config().join(".es-autoconf.journal").exists();
        let what = format!("kill after {delay:?} (run takes {full:?}), status {status:?}");
        if status.success() {
            assert_configured(&home.config(), &[]);
            continue;
        }
        check_recovery(&home, &before, journal, &what);
    }
}

#[test]
fn two_runs_at_once_configure_once() {
    for _ in 0..3 {
        let home = ES_AUTOCONF.home(STOCK_YML);
        let spawn = || {
            home.pool_command(&["init", "--key-type", "ecdsa-p256"])
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let a = Run::from(a.wait_with_output().unwrap());
        let b = Run::from(b.wait_with_output().unwrap());
        let mut codes = [a.code, b.code];
        codes.sort();
        assert_eq!(codes, [0, 80], "{a:?}\n{b:?}");
        assert_configured(&home.config(), &[]);
        let keystore = keystore_list(&home.config(), &[]);
        assert_eq!(keystore.len(), 4, "{keystore:?}");
    }
}

/// Maximal runs of password-alphabet characters at least 20 long.
fn long_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !PW_ALPHABET.contains(c))
        .filter(|t| t.len() >= 20)
        .map(str::to_owned)
        .collect()
}

#[test]
fn credentials_file_receives_the_password() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds.json");
    let creds_s = creds.to_str().unwrap();
    let run = home.init(&["--key-type", "ecdsa-p256", "--credentials-file", creds_s]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(mode(&creds), 0o600);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&creds).unwrap()).unwrap();
    let pw = doc["password"].as_str().unwrap();
    let fpr = doc["http_ca_fingerprint"].as_str().unwrap();
    assert_eq!(pw.len(), 20, "{pw}");
    assert!(pw.chars().all(|c| PW_ALPHABET.contains(c)), "{pw}");
    assert_eq!(fpr.len(), 64);
    assert!(fpr.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
    assert!(
        !run.stdout.contains(pw) && !run.stderr.contains(pw),
        "{run:?}"
    );
    assert!(run.stderr.contains(fpr), "{run:?}");
    let hash = keystore_show(&home.config(), "autoconfiguration.password_hash", &[]);
    assert_eq!(hash.len(), 60, "{hash}");
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert!(bcrypt_verify(pw, &hash));
    assert!(!bcrypt_verify("not the password", &hash));
    #[cfg(feature = "interop")]
    {
        use esac_testkit::tools::python_bcrypt_verify;
        assert!(python_bcrypt_verify(pw, &hash));
        assert!(!python_bcrypt_verify("not the password", &hash));
    }

    // An existing file is never replaced, and nothing is changed.
    let home2 = ES_AUTOCONF.home(STOCK_YML);
    let before = home2.stable_snapshot();
    let creds_before = std::fs::read(&creds).unwrap();
    let run = home2.init(&["--key-type", "ecdsa-p256", "--credentials-file", creds_s]);
    assert_eq!(run.code, 73, "{run:?}");
    assert_same_tree(&before, &home2.stable_snapshot(), &format!("{run:?}"));
    assert_eq!(creds_before, std::fs::read(&creds).unwrap());

    // A run that fails leaves no credentials file behind (its password was never usable).
    let creds3 = dir.path().join("creds3.json");
    let run = home2.init_env(
        &[
            "--key-type",
            "ecdsa-p256",
            "--credentials-file",
            creds3.to_str().unwrap(),
        ],
        &[("ESAC_FAILPOINT", "write_yml")],
    );
    assert_ne!(run.code, 0, "{run:?}");
    assert!(!creds3.exists(), "{run:?}");
    assert_same_tree(&before, &home2.stable_snapshot(), &format!("{run:?}"));

    // JSON output does not carry the password either.
    let creds2 = dir.path().join("creds2.json");
    let run = home2.init(&[
        "--key-type",
        "ecdsa-p256",
        "--format",
        "json",
        "--credentials-file",
        creds2.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&creds2).unwrap()).unwrap();
    let pw = doc["password"].as_str().unwrap();
    assert!(
        !run.stdout.contains(pw) && !run.stderr.contains(pw),
        "{run:?}"
    );
}

#[test]
fn without_terminal_no_password_is_generated() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init(FAST);
    assert_eq!(run.code, 0, "{run:?}");
    let list = keystore_list(&home.config(), &[]);
    assert!(
        !list.iter().any(|n| n == "autoconfiguration.password_hash"),
        "{list:?}"
    );
    assert!(
        run.stderr.contains("elasticsearch-reset-password"),
        "{run:?}"
    );
    let fpr = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("HTTP CA certificate SHA-256 fingerprint: "))
        .expect("the fingerprint is printed");
    assert_eq!(fpr.len(), 64);
    let known = [fpr, "elasticsearch-reset-password"];
    for t in long_tokens(&format!("{}\n{}", run.stdout, run.stderr)) {
        assert!(
            known.contains(&t.as_str()),
            "password-like token {t:?}: {run:?}"
        );
    }
}

#[test]
fn group_is_given_to_everything_written() {
    let (name, gid) = if is_root() {
        ("daemon", 1)
    } else {
        let gid = nix_gid();
        let out = Command::new("id").arg("-gn").output().unwrap();
        (
            &*String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .to_owned()
                .leak(),
            gid,
        )
    };
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init(&["--key-type", "ecdsa-p256", "--group", name]);
    assert_eq!(run.code, 0, "{run:?}");
    let c = home.config();
    for p in [
        c.join("certs"),
        c.join("certs/http_ca.crt"),
        c.join("certs/http.p12"),
        c.join("certs/transport.p12"),
        c.join("elasticsearch.keystore"),
        c.join("elasticsearch.yml"),
    ] {
        assert_eq!(std::fs::metadata(&p).unwrap().gid(), gid, "{}", p.display());
    }
    assert_configured(&c, &[]);
    let bad = ES_AUTOCONF.home(STOCK_YML);
    let run = bad.init(&["--group", "no-such-group-esac"]);
    assert_eq!(run.code, 64, "{run:?}");
}

fn nix_gid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().gid()
}

#[test]
fn json_output_of_a_real_run() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init(&["--key-type", "ecdsa-p256", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(doc["decision"], "configure");
    assert_eq!(doc["exit_code"], 0);
    assert_eq!(doc["dry_run"], false);
    let fpr = doc["http_ca_fingerprint"].as_str().unwrap();
    assert_eq!(fpr.len(), 64);
    let ca = std::fs::read_to_string(home.config().join("certs/http_ca.crt")).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    for s in TLS_PASSWORD_SETTINGS {
        let secret = keystore_show(&home.config(), s, &[]);
        assert!(!run.stdout.contains(&secret), "{s} leaked");
    }
    assert_configured(&home.config(), &[]);
}

#[test]
fn config_dir_owned_by_someone_else() {
    if !is_root() {
        // Only root can create a directory it does not own; as another user the check cannot
        // be reached, and `unwritable_config_dir` covers the failure.
        return;
    }
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::os::unix::fs::chown(home.config(), Some(65534), None).unwrap();
    let before = home.stable_snapshot();
    let run = home.init(FAST);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(
        run.stderr.contains("config dir ownership mismatch"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(
            "Config dir is owned by nobody but auto-configuration directory would be owned by root"
        ),
        "{run:?}"
    );
    assert_same_tree(&before, &home.stable_snapshot(), &format!("{run:?}"));
}

#[test]
fn unwritable_config_dir() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    set_mode(home.path(), 0o755);
    set_mode(&home.config(), 0o555);
    set_mode(&home.yml(), 0o644);
    let before = home.stable_snapshot();
    let copy = is_root().then(|| ES_AUTOCONF.for_any_user());
    let mut cmd = match &copy {
        Some(copy) => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(copy.path());
            c
        }
        None => Command::new(ES_AUTOCONF.path()),
    };
    let out = Bin::clean_env(&mut cmd)
        .args(["init", "--key-type", "ecdsa-p256", "--es-home"])
        .arg(home.path())
        .env("ESAC_TEST_KEY_POOL", key_pool_dir())
        .stdin(Stdio::null())
        .output()
        .expect("setpriv (util-linux) is needed to test as a non-root user");
    let run = Run::from(out);
    assert_eq!(run.code, 73, "{run:?}");
    assert!(
        run.stderr
            .contains("Could not create auto-configuration directory"),
        "{run:?}"
    );
    assert_same_tree(&before, &home.stable_snapshot(), &format!("{run:?}"));
    set_mode(&home.config(), 0o755);
}

#[test]
fn verbose_logs_every_step_and_no_secret() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let creds = home.path().join("creds.json");
    let run = home.init(&["-v", "--credentials-file", creds.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    for step in [
        "staging_dir",
        "keystore_save",
        "rename_staging",
        "write_yml",
    ] {
        assert!(
            run.stderr.contains(&format!("step=\"{step}\"")),
            "{step}: {run:?}"
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&creds).unwrap()).unwrap();
    let password = json["password"].as_str().unwrap();
    assert!(
        !run.stdout.contains(password) && !run.stderr.contains(password),
        "{run:?}"
    );
    let http_pw = keystore_show(
        &home.config(),
        "xpack.security.http.ssl.keystore.secure_password",
        &[],
    );
    assert!(!run.stderr.contains(&http_pw) && !run.stdout.contains(&http_pw));
}

#[test]
fn rust_log_chooses_what_is_logged_instead_of_the_flags() {
    let steps = |run: &Run| run.stderr.contains("step=\"staging_dir\"");
    // Without -v, RUST_LOG alone turns the executor's step lines on.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init_env(&[], &[("RUST_LOG", "warn,esac_exec=debug")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(steps(&run), "{run:?}");
    // With -v, a RUST_LOG that leaves the executor at warn wins: no step lines.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init_env(&["-v"], &[("RUST_LOG", "esac_app=debug,warn")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!steps(&run), "{run:?}");
    // An invalid RUST_LOG is ignored, with a warning, and -v applies.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = home.init_env(&["-v"], &[("RUST_LOG", "esac_exec=loud")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("ignoring RUST_LOG \"esac_exec=loud\""),
        "{run:?}"
    );
    assert!(steps(&run), "{run:?}");
}
