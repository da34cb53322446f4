//! Credentials are never lost and secrets stay in the process: an empty credentials file left by
//! a killed run does not block the retry, a closed standard output after the commit changes
//! neither the result nor the exit status, and no core file can be written while the run holds
//! private keys and passwords.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use esac_keystore::FormatVersion;
use esac_testkit::fixtures::{keystore_with, write_keystore};
use esac_testkit::{assert_same_tree, is_root, Bin, Run};

use crate::common::{assert_configured, keystore_show, set_mode, STOCK_YML};
use crate::ES_AUTOCONF;

const FAST: [&str; 2] = ["--key-type", "ecdsa-p256"];

/// review-security.md L8.3: a run killed between creating the credentials file and writing it
/// leaves it empty; the retry (a package's `postinst` run again) takes it over instead of
/// stopping with 73. Anything else at that path is refused, and the message says what to do.
#[test]
fn an_empty_credentials_file_left_by_a_killed_run_is_reused() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds.json");
    std::fs::File::create(&creds).unwrap();
    set_mode(&creds, 0o600);
    let run = home.init(&[&FAST[..], &["--credentials-file", creds.to_str().unwrap()]].concat());
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&creds).unwrap()).unwrap();
    let pw = doc["password"].as_str().unwrap();
    let hash = keystore_show(&home.config(), "autoconfiguration.password_hash", &[]);
    assert!(esac_testkit::fixtures::bcrypt_verify(pw, &hash));
    assert_eq!(
        std::fs::metadata(&creds).unwrap().permissions().mode() & 0o7777,
        0o600
    );

    // Not the leftover of a run: non-empty, another mode, a link. Refused, nothing changed.
    let other = dir.path().join("other");
    std::fs::write(&other, "").unwrap();
    type Make<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, Make); 3] = [
        ("not empty", &|p| {
            std::fs::write(p, "{}").unwrap();
            set_mode(p, 0o600);
        }),
        ("mode 0644", &|p| {
            std::fs::write(p, "").unwrap();
            set_mode(p, 0o644);
        }),
        ("a symlink", &|p| {
            std::os::unix::fs::symlink(&other, p).unwrap()
        }),
    ];
    for (what, make) in cases {
        let home = ES_AUTOCONF.home(STOCK_YML);
        let creds = dir
            .path()
            .join(format!("creds-{}.json", what.replace(' ', "-")));
        make(&creds);
        let before = home.stable_snapshot();
        let content = std::fs::read(&creds).unwrap();
        let run =
            home.init(&[&FAST[..], &["--credentials-file", creds.to_str().unwrap()]].concat());
        assert_eq!(run.code, 73, "{what}: {run:?}");
        assert!(
            run.stderr.contains(&format!(
                "ERROR: cannot create the credentials file [{}]: it exists and is not the empty file (mode 0600, this user's) that an interrupted run leaves; remove it or choose another path",
                creds.display()
            )),
            "{what}: {run:?}"
        );
        assert_same_tree(&before, &home.stable_snapshot(), what);
        assert_eq!(std::fs::read(&creds).unwrap(), content, "{what}");
        assert!(std::fs::symlink_metadata(&creds).is_ok(), "{what}");
    }
    assert_eq!(std::fs::read(&other).unwrap(), b"");
}

/// review-security.md L8.4: `es-autoconf init --format json | true`. The reader is gone when the
/// report is printed (after the commit): the run still exits 0 with the node configured.
#[test]
fn a_closed_standard_output_after_the_commit_is_not_an_error() {
    for format in ["json", "text"] {
        let home = ES_AUTOCONF.home(STOCK_YML);
        let mut child = home
            .pool_command(&[&["init", "--format", format], &FAST[..]].concat())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let run = Run::from(child.wait_with_output().unwrap());
        assert_eq!(run.code, 0, "{format}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{format}: {run:?}");
        assert_configured(&home.config(), &[]);
    }
}

/// The first thing the binary does is to forbid core files (RLIMIT_CORE 0, soft and hard, even
/// when its parent allowed them) and to make itself non-dumpable, which the kernel shows by
/// giving `/proc/<pid>/` to root. Looked at while `keystore list` waits for the password of a
/// protected keystore on standard input. The run must not be root for the ownership to tell
/// (as root, it runs as `nobody`).
#[test]
fn core_dumps_are_off_for_the_whole_run() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_keystore(
        &home.config(),
        &keystore_with(&[("a.b", "c")]),
        "keystore-pw",
        FormatVersion::V5,
    );
    set_mode(home.path(), 0o755);
    set_mode(&home.config(), 0o755);
    set_mode(&home.keystore(), 0o644);
    let copy = is_root().then(|| ES_AUTOCONF.for_any_user());
    // The parent allows core files: the binary itself must turn them off.
    let allow_cores = ["sh", "-c", "ulimit -S -c 4096 && exec \"$0\" \"$@\""];
    let mut cmd = match &copy {
        Some(copy) => {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .args(allow_cores)
                .arg(copy.path());
            c
        }
        None => {
            let mut c = Command::new(allow_cores[0]);
            c.args(&allow_cores[1..]).arg(ES_AUTOCONF.path());
            c
        }
    };
    let mut child = Bin::clean_env(&mut cmd)
        .arg("--config-dir")
        .arg(home.config())
        .args(["keystore", "list"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("setpriv (util-linux) is needed to test as a non-root user");
    let proc_dir = format!("/proc/{}", child.id());
    let core_limit = || {
        std::fs::read_to_string(format!("{proc_dir}/limits"))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("Max core file size"))
            .map(|l| {
                l.split_whitespace()
                    .skip(4)
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let owner = || std::fs::metadata(format!("{proc_dir}/status")).map(|m| m.uid());
    let started = Instant::now();
    // Until the binary runs (after `sh` and `setpriv` exec it) and has turned dumps off; on a
    // binary that does not, the assertions below show what was found.
    while started.elapsed() < Duration::from_secs(10)
        && (core_limit() != "0 0" || owner().ok() != Some(0))
    {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run must still be waiting"
    );
    let cmdline = std::fs::read(format!("{proc_dir}/cmdline")).unwrap();
    assert!(String::from_utf8_lossy(&cmdline).contains("keystore"));
    assert_eq!(core_limit(), "0 0", "soft and hard core file size limits");
    assert_eq!(
        owner().unwrap(),
        0,
        "{proc_dir} belongs to root: not dumpable"
    );

    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"keystore-pw\n").unwrap();
    drop(stdin);
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "a.b\nkeystore.seed\n", "{run:?}");
}
