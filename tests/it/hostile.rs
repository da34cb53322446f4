//! The config directory as an adversary leaves it: stale or forged journals, a node configured by
//! something else after an interrupted run, signals, links planted at every name a run uses, a
//! directory swapped for a link mid-run, a bind-mounted or read-only `elasticsearch.yml`, and the
//! owners of what is written. Recovery must never destroy what the run did not create.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use esac_keystore::FormatVersion;
use esac_testkit::fixtures::{key_pool_dir, keystore_with, write_keystore};
use esac_testkit::{assert_same_tree, is_root, Home, Run, Tree};

use crate::common::{assert_configured, FASTEST, STOCK_YML};
use crate::ES_AUTOCONF;

/// The run's clock (debug builds): names of the run are predictable from it.
const NOW: &str = "1700000000";

fn journal(home: &Home) -> PathBuf {
    home.config().join(".es-autoconf.journal")
}

fn env_now() -> [(&'static str, &'static str); 1] {
    [("ESAC_TEST_NOW", NOW)]
}

/// A home with an existing keystore and `certs/`, so every step of a run is reached.
fn existing_home() -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_keystore(
        &home.config(),
        &keystore_with(&[("other.setting", "v")]),
        "",
        FormatVersion::V5,
    );
    std::fs::create_dir(home.config().join("certs")).unwrap();
    std::fs::write(home.config().join("certs/old.pem"), "operator's own\n").unwrap();
    home
}

/// Starts `init` on `home` with a failpoint (and more environment), output captured.
fn spawn_init(home: &Home, failpoint: &str, env: &[(&str, &str)]) -> std::process::Child {
    home.pool_command(&[&["init"], FASTEST].concat())
        .env("ESAC_FAILPOINT", failpoint)
        .envs(env.iter().copied())
        .spawn()
        .unwrap()
}

/// A run of `init -v` stopped by `pause:<step>`, known to be inside the pause.
struct Paused {
    child: std::process::Child,
    stderr: std::thread::JoinHandle<String>,
}

/// Spawns `init -v <args>` with `ESAC_FAILPOINT=pause:<step>` and returns once its log names the
/// step: the executor logs a step after its check for signals and right before the pause.
fn spawn_paused(home: &Home, step: &str, args: &[&str]) -> Paused {
    use std::io::BufRead;
    let mut child = home
        .pool_command(&[&["init", "-v"], FASTEST, args].concat())
        .env("ESAC_FAILPOINT", format!("pause:{step}"))
        .spawn()
        .unwrap();
    let err = child.stderr.take().unwrap();
    let (reached, at_step) = std::sync::mpsc::channel();
    let want = format!("step=\"{step}\"");
    let stderr = std::thread::spawn(move || {
        let mut all = String::new();
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains(&want) {
                let _ = reached.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    at_step
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("the run did not reach {step}"));
    Paused { child, stderr }
}

impl Paused {
    /// Waits for the run to end.
    fn finish(self) -> Run {
        let out = self.child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: self.stderr.join().unwrap(),
        }
    }
}

/// Runs `init` again and checks that it refuses to recover (exit 76), says each of `says`, and
/// leaves the tree as it was (`what` names the case).
#[track_caller]
fn recovery_refused(home: &Home, says: &[&str], what: &str) {
    let before = home.snapshot();
    let run = home.init(FASTEST);
    assert_eq!(run.code, 76, "{what}: {run:?}");
    for s in says {
        assert!(run.stderr.contains(s), "{s}: {run:?}");
    }
    assert_same_tree(&before, &home.snapshot(), what);
}

fn start_node(home: &Home) {
    std::fs::create_dir_all(home.path().join("data")).unwrap();
    std::fs::write(home.path().join("data/node.lock"), "").unwrap();
}

fn write_journal(home: &Home, text: &str) {
    let j = journal(home);
    std::fs::write(&j, text).unwrap();
    std::fs::set_permissions(&j, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn ino(p: &Path) -> (u64, u64) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.dev(), m.ino())
}

/// The identity a journal records for `p`: device, inode, kind and birth time.
fn journal_id(p: &Path) -> String {
    let m = std::fs::symlink_metadata(p).unwrap();
    let kind = if m.is_dir() { 'd' } else { 'f' };
    let born = m
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
        .unwrap_or_else(|| "-".into());
    format!("{} {} {kind}{born}", m.dev(), m.ino())
}

#[test]
fn an_old_format_journal_is_refused_and_nothing_is_touched() {
    // Review H1 (a): a stale journal of the previous format on a configured, started node.
    let home = ES_AUTOCONF.home(STOCK_YML);
    assert_eq!(home.init(FASTEST).code, 0);
    start_node(&home);
    write_journal(
        &home,
        "es-autoconf journal 1\nepoch=1700000000\nkeystore_existed=false\ncerts_existed=false\nyml_after=0:0000000000000000\n",
    );
    recovery_refused(
        &home,
        &[".es-autoconf.journal", "nothing was changed"],
        "a refused journal changes nothing",
    );
}

#[test]
fn a_forged_journal_naming_the_live_keystore_and_certs_is_refused() {
    // Even with the real device and inode numbers, the yml and the started node give it away.
    let home = ES_AUTOCONF.home(STOCK_YML);
    assert_eq!(home.init(FASTEST).code, 0);
    start_node(&home);
    let ks = journal_id(&home.keystore());
    let certs = journal_id(&home.config().join("certs"));
    write_journal(
        &home,
        &format!(
            "es-autoconf journal 2\noperation initial\nepoch 1700000000\nyml {} {}\ndata {}\nbegin keystore_save\nundo keystore_save rm elasticsearch.keystore {ks}\nundo rename_staging rename certs.1700000000.tmp certs {certs}\nundo staging_dir rmdir certs.1700000000.tmp {certs}\n",
            "0".repeat(64),
            "1".repeat(64),
            home.path()
                .join("data")
                .to_str()
                .unwrap()
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
    );
    recovery_refused(
        &home,
        &["was changed since the run stopped", "is no longer empty"],
        "nothing touched",
    );
    // The JSON document says the same, with its own reason code.
    let run = home.init(&["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["reason"]["code"], "recovery_refused");
    assert_eq!(doc["exit_code"], 76);
}

#[test]
fn an_interrupted_run_followed_by_someone_elses_configuration_is_left_alone() {
    // Review H1 (b): the run dies (a dropped SSH session), the node is configured by something
    // else (Elasticsearch's own first start), and later runs must not undo that.
    for kill_at in [
        "abort:write_transport_p12",
        "abort-after:keystore_save",
        "abort-after:rename_staging",
    ] {
        let home = ES_AUTOCONF.home(STOCK_YML);
        let pristine = tempfile::tempdir().unwrap();
        copy_tree(&home.config(), pristine.path());
        let killed = home.init_env(
            FASTEST,
            &[("ESAC_FAILPOINT", kill_at), ("ESAC_TEST_NOW", NOW)],
        );
        assert_ne!(killed.code, 0, "{kill_at}: {killed:?}");
        let j = std::fs::read(journal(&home)).unwrap();
        // Someone puts the directory back as it was and configures the node another way.
        std::fs::remove_dir_all(home.config()).unwrap();
        copy_tree(pristine.path(), &home.config());
        let other = home.init_env(FASTEST, &[("ESAC_TEST_NOW", "1700000100")]);
        assert_eq!(other.code, 0, "{kill_at}: {other:?}");
        start_node(&home);
        write_journal(&home, std::str::from_utf8(&j).unwrap());
        recovery_refused(&home, &[], kill_at);
        std::fs::remove_file(journal(&home)).unwrap();
        assert_configured(&home.config(), &[]);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_committed_run_then_an_edited_yml_is_finished_not_undone() {
    // Review H1 (c): killed after the commit, then the operator edits the yml and starts the node.
    let home = existing_home();
    let killed = home.init_env(FASTEST, &[("ESAC_FAILPOINT", "abort:cleanup")]);
    assert_ne!(killed.code, 0, "{killed:?}");
    assert!(journal(&home).exists());
    let mut yml = std::fs::read_to_string(home.yml()).unwrap();
    yml.push_str("cluster.name: prod\n");
    std::fs::write(home.yml(), &yml).unwrap();
    start_node(&home);
    let run = home.init(FASTEST);
    assert_eq!(run.code, 80, "{run:?}");
    assert!(run.stderr.contains("had finished writing"), "{run:?}");
    assert!(!journal(&home).exists());
    assert_eq!(std::fs::read_to_string(home.yml()).unwrap(), yml);
    assert_configured(&home.config(), &[]);
}

#[test]
fn signals_roll_a_run_back_and_leave_no_journal() {
    for (signal, code) in [("INT", 130), ("TERM", 143), ("HUP", 129)] {
        let home = existing_home();
        let before = home.stable_snapshot();
        let child = spawn_init(&home, "pause:keystore_open", &[]);
        // The pause comes after the staging directory, http_ca.crt and the keystore backup.
        let start = Instant::now();
        while !home
            .config()
            .join("elasticsearch.keystore.1700000000.orig")
            .exists()
            && !std::fs::read_dir(home.config())
                .unwrap()
                .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".orig"))
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the run did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        let run = Run::from(out);
        assert_eq!(run.code, code, "SIG{signal}: {run:?}");
        assert!(run.stderr.contains("interrupted by signal"), "{run:?}");
        assert!(!journal(&home).exists(), "SIG{signal}: no journal left");
        assert_same_tree(&before, &home.stable_snapshot(), &format!("SIG{signal}"));
    }
}

/// The names a run with epoch [`NOW`] creates in the config directory.
fn run_names() -> Vec<String> {
    [
        "certs.{e}.tmp",
        "certs.{e}.orig",
        "elasticsearch.keystore.{e}.orig",
        ".elasticsearch.keystore.{e}.tmp",
        ".elasticsearch.yml.{e}.tmp",
        ".elasticsearch.yml.{e}.orig",
        ".es-autoconf.journal.tmp",
    ]
    .iter()
    .map(|n| n.replace("{e}", NOW))
    .collect()
}

#[test]
fn links_planted_at_every_name_of_a_run_are_never_followed() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    let victim_dir = outside.path().join("victim-dir");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::create_dir(&victim_dir).unwrap();
    for name in run_names() {
        for target in [&victim, &victim_dir] {
            let home = existing_home();
            let link = home.config().join(&name);
            std::os::unix::fs::symlink(target, &link).unwrap();
            if is_root() {
                // Planted by an unprivileged member of the config directory's group.
                std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
            }
            let outside_before = Tree::of(outside.path());
            let mut env = env_now().to_vec();
            // The in-place copy is only made for a yml that cannot be renamed over.
            if name.starts_with(".elasticsearch.yml") && name.ends_with(".orig") {
                env.push(("ESAC_FAILPOINT", "ebusy:write_yml"));
            }
            let run = home.init_env(FASTEST, &env);
            let what = format!("{name} -> {}: {run:?}", target.display());
            assert_same_tree(&outside_before, &Tree::of(outside.path()), &what);
            assert!(!journal(&home).exists(), "{what}");
            assert!(
                [0, 73, 74].contains(&run.code),
                "a planted link fails the run cleanly or is not in its way: {what}"
            );
            if run.code == 0 {
                assert_configured(&home.config(), &[]);
            }
        }
    }
}

#[test]
fn a_directory_swapped_for_a_link_during_the_run_is_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    let home = ES_AUTOCONF.home(STOCK_YML);
    let child = spawn_init(&home, "pause:owner_check", &env_now());
    let staging = home.config().join(format!("certs.{NOW}.tmp"));
    // Swap only once the run has made the directory and journalled it (it then pauses before
    // the owner check); earlier, the run's own mkdir fails on the link, which is also safe.
    let start = Instant::now();
    while !std::fs::read_to_string(journal(&home))
        .unwrap_or_default()
        .contains("undo staging_dir rmdir")
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no staging directory"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The writer of the config directory swaps the (empty) staging directory for a link.
    std::fs::remove_dir(&staging).unwrap();
    std::os::unix::fs::symlink(outside.path(), &staging).unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing was written through the link: {run:?}"
    );
    // What is not the run's own stays, and the journal says so to the next run.
    assert!(staging.is_symlink(), "{run:?}");
    let next = home.init(FASTEST);
    assert_eq!(next.code, 76, "{next:?}");
    assert!(next.stderr.contains("certs.1700000000.tmp"), "{next:?}");
}

#[test]
fn a_yml_that_cannot_be_renamed_over_is_rewritten_in_place() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::set_permissions(home.yml(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let inode = ino(&home.yml());
    let run = home.init_env(FASTEST, &[("ESAC_FAILPOINT", "ebusy:write_yml")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(ino(&home.yml()), inode, "the same file, written in place");
    assert_configured(&home.config(), &[]);
    let yml = std::fs::read_to_string(home.yml()).unwrap();
    assert!(yml.starts_with(STOCK_YML));
    assert_eq!(
        std::fs::metadata(home.yml()).unwrap().permissions().mode() & 0o7777,
        0o640
    );
}

#[test]
fn an_in_place_rewrite_torn_by_a_crash_is_restored_by_the_next_run() {
    let home = existing_home();
    let before = home.stable_snapshot();
    let killed = home.init_env(FASTEST, &[("ESAC_FAILPOINT", "torn:write_yml")]);
    assert_ne!(killed.code, 0, "{killed:?}");
    let torn = std::fs::read_to_string(home.yml()).unwrap();
    assert_ne!(torn, STOCK_YML, "the crash left a half-written yml");
    let recover = home.init(&["-E", "xpack.security.autoconfiguration.enabled=false"]);
    assert_eq!(recover.code, 80, "{recover:?}");
    assert!(
        recover.stderr.contains("restored the configuration"),
        "{recover:?}"
    );
    assert_same_tree(&before, &home.stable_snapshot(), "restored from the copy");
}

#[test]
fn an_interrupted_in_place_rewrite_does_not_undo_a_later_edit() {
    // Review (second round) finding 1: after a torn in-place write, the operator fixes the yml
    // by hand; recovery must not put the old text back over it.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let killed = home.init_env(FASTEST, &[("ESAC_FAILPOINT", "torn:write_yml")]);
    assert_ne!(killed.code, 0, "{killed:?}");
    std::fs::write(
        home.yml(),
        format!("{STOCK_YML}cluster.name: operator-edit\n"),
    )
    .unwrap();
    recovery_refused(
        &home,
        &["was changed since the run stopped"],
        "the operator's edit is kept",
    );
}

#[test]
fn an_interrupted_in_place_renewal_does_not_undo_a_store_put_there_since() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    assert_eq!(home.init(FASTEST).code, 0);
    let other = ES_AUTOCONF.home(STOCK_YML);
    assert_eq!(other.init(FASTEST).code, 0);
    let renew = |failpoint: Option<&str>| {
        let env: Vec<_> = failpoint
            .map(|f| ("ESAC_FAILPOINT", f))
            .into_iter()
            .collect();
        home.run_with_pool(&["renew", "http", "--force"], &env)
    };
    let killed = renew(Some("torn:write_http_p12"));
    assert_ne!(killed.code, 0, "{killed:?}");
    std::fs::copy(
        other.config().join("certs/http.p12"),
        home.config().join("certs/http.p12"),
    )
    .unwrap();
    let before = home.snapshot();
    let run = renew(None);
    assert_eq!(run.code, 76, "{run:?}");
    assert_same_tree(&before, &home.snapshot(), "the store put there is kept");
}

/// Runs a shell script in a new mount namespace (root only).
fn in_mount_namespace(script: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-ec", script]).stdin(Stdio::null());
    esac_testkit::Bin::clean_env(&mut cmd);
    cmd.envs(env.iter().copied());
    Run::from(cmd.output().unwrap())
}

#[test]
fn a_bind_mounted_yml_is_configured_in_place_and_a_read_only_one_is_skipped() {
    if !is_root() {
        // Mount namespaces need root; the in-place path itself is covered without root by
        // `a_yml_that_cannot_be_renamed_over_is_rewritten_in_place`.
        return;
    }
    let bin = ES_AUTOCONF.path().display().to_string();
    let pool = key_pool_dir();
    // Docker's documented way: the host's file mounted over the image's yml.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let host = tempfile::tempdir().unwrap();
    let host_yml = host.path().join("elasticsearch.yml");
    std::fs::write(&host_yml, STOCK_YML).unwrap();
    let host_inode = ino(&host_yml);
    let script = format!(
        "mount --bind '{}' '{}'\n'{bin}' init --es-home '{}' --key-type ecdsa-p256\n",
        host_yml.display(),
        home.yml().display(),
        home.path().display()
    );
    let run = in_mount_namespace(&script, &[("ESAC_TEST_KEY_POOL", pool.to_str().unwrap())]);
    assert_eq!(run.code, 0, "{run:?}");
    let written = std::fs::read_to_string(&host_yml).unwrap();
    assert!(written.starts_with(STOCK_YML));
    assert!(
        written.contains("BEGIN SECURITY AUTO CONFIGURATION"),
        "{written}"
    );
    assert_eq!(ino(&host_yml), host_inode);
    assert_eq!(
        std::fs::read_to_string(home.yml()).unwrap(),
        STOCK_YML,
        "the file under the mount is untouched"
    );
    assert!(home.config().join("certs/http.p12").exists());

    // Mounted read-only (a `:ro` volume, a ConfigMap): a clear skip, nothing created.
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::write(&host_yml, STOCK_YML).unwrap();
    let before = home.snapshot();
    let script = format!(
        "mount --bind '{y}' '{t}'\nmount -o remount,ro,bind '{t}'\n'{bin}' init --es-home '{h}' --key-type ecdsa-p256\n",
        y = host_yml.display(),
        t = home.yml().display(),
        h = home.path().display()
    );
    let run = in_mount_namespace(&script, &[("ESAC_TEST_KEY_POOL", pool.to_str().unwrap())]);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(run.stdout.contains("read-only"), "{run:?}");
    assert_same_tree(&before, &home.snapshot(), "nothing created");
    assert_eq!(std::fs::read_to_string(&host_yml).unwrap(), STOCK_YML);
}

#[test]
fn the_package_layout_gives_its_group_to_everything_created() {
    if !is_root() {
        // Only root can give a directory a group it is not a member of; as another user the
        // rule is the same (the planner's unit test covers it).
        return;
    }
    // /etc/elasticsearch in the packages: root:elasticsearch 2750, the yml 0660.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let gid = 1; // daemon
    std::os::unix::fs::chown(home.config(), Some(0), Some(gid)).unwrap();
    std::fs::set_permissions(home.config(), std::fs::Permissions::from_mode(0o2750)).unwrap();
    std::os::unix::fs::chown(home.yml(), Some(0), Some(gid)).unwrap();
    std::fs::set_permissions(home.yml(), std::fs::Permissions::from_mode(0o660)).unwrap();
    let run = home.init(FASTEST);
    assert_eq!(run.code, 0, "{run:?}");
    let c = home.config();
    for (p, mode) in [
        (c.join("certs"), 0o750),
        (c.join("certs/http_ca.crt"), 0o660),
        (c.join("certs/http.p12"), 0o660),
        (c.join("certs/transport.p12"), 0o660),
        (c.join("elasticsearch.keystore"), 0o660),
        (c.join("elasticsearch.yml"), 0o660),
    ] {
        let m = std::fs::metadata(&p).unwrap();
        assert_eq!(m.gid(), gid, "{}", p.display());
        assert_eq!(m.permissions().mode() & 0o7777, mode, "{}", p.display());
    }
}

#[test]
fn a_rewritten_yml_keeps_its_owner_group_and_mode() {
    if !is_root() {
        // Only root can write a file that keeps another user as its owner.
        return;
    }
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::os::unix::fs::chown(home.yml(), Some(65534), Some(65534)).unwrap();
    std::fs::set_permissions(home.yml(), std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = home.init(FASTEST);
    assert_eq!(run.code, 0, "{run:?}");
    let m = std::fs::metadata(home.yml()).unwrap();
    assert_eq!(
        (m.uid(), m.gid(), m.permissions().mode() & 0o7777),
        (65534, 65534, 0o640)
    );
}

#[test]
fn a_journal_half_written_by_a_killed_run_is_removed_by_the_next() {
    // A SIGKILL between writing the journal and renaming it into place leaves its temp file;
    // nothing else had changed yet.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let temp = home.config().join(".es-autoconf.journal.tmp");
    std::fs::write(&temp, "es-autoconf journal 2\noperation in").unwrap();
    std::fs::set_permissions(&temp, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = home.init(FASTEST);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!temp.exists());
    assert_configured(&home.config(), &[]);
}

#[test]
fn a_signal_after_the_commit_does_not_cost_the_password() {
    // Review (second round) finding 4: a SIGHUP (an SSH session dropping) around the commit.
    for (step, signal) in [("write_yml", "HUP"), ("cleanup", "TERM")] {
        let home = ES_AUTOCONF.home(STOCK_YML);
        let creds = home.path().join("credentials.json");
        // Signal once the run is inside the pause: past its last check for a signal before the
        // step (the journal alone can show the step before that check has run).
        let child = spawn_paused(
            &home,
            step,
            &["--credentials-file", creds.to_str().unwrap()],
        );
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let run = child.finish();
        assert_eq!(run.code, 0, "{step}: {run:?}");
        assert!(
            run.stderr
                .contains("arrived after the configuration was committed"),
            "{run:?}"
        );
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&creds).unwrap()).unwrap();
        assert_eq!(doc["password"].as_str().unwrap().len(), 20, "{step}");
        assert_configured(&home.config(), &[]);
    }
}

#[test]
fn a_keystore_replaced_by_another_writer_during_the_run_is_kept() {
    // Review (second round) finding 5: `elasticsearch-keystore add` (which takes no lock of
    // ours) saves a new keystore while the run is between reading it and backing it up.
    let home = existing_home();
    let child = spawn_init(&home, "pause:keystore_backup", &[]);
    let start = Instant::now();
    while !std::fs::read_to_string(journal(&home))
        .unwrap_or_default()
        .contains("undo write_http_ca rm certs.")
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the run did not start"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let theirs = home.config().join("theirs.keystore");
    write_keystore(
        &home.config(),
        &keystore_with(&[("their.setting", "v")]),
        "",
        FormatVersion::V5,
    );
    std::fs::rename(home.keystore(), &theirs).unwrap();
    std::fs::rename(&theirs, home.keystore()).unwrap();
    let bytes = std::fs::read(home.keystore()).unwrap();
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 74, "{run:?}");
    assert!(
        run.stderr.contains("changed while es-autoconf was running"),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read(home.keystore()).unwrap(),
        bytes,
        "their keystore is kept"
    );
    assert!(!journal(&home).exists());
    let names: Vec<String> = std::fs::read_dir(home.config())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with(".orig") || n.ends_with(".tmp")),
        "{names:?}"
    );
}
