//! `examples/docker/docker-entrypoint.sh`, run as a container would run it (no Docker engine
//! needed: the entrypoint is a bash script), with a stand-in `bin/elasticsearch` that records how
//! it was started: its arguments, and its process id, which is the entrypoint's when the
//! entrypoint `exec`s it. Node enrollment goes to the in-process node of `enroll_cli`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use esac_enroll::testserver::Failure;
use esac_keystore::FormatVersion;
use esac_testkit::fixtures::{bcrypt_verify, key_pool_dir, keystore_with, write_keystore};
use esac_testkit::{assert_same_tree, Bin, Home, Run};

use crate::common::{assert_configured, keystore_list, keystore_show, STOCK_YML};
use crate::enroll_cli::{node_a, server, token_string};
use crate::ES_AUTOCONF;

const STANDIN: &str = "#!/bin/sh\n\
    printf '%s\\n' \"$$\" > \"$RECORD/pid\"\n\
    for a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$RECORD/args\"\n\
    printf '%s' \"${ENROLLMENT_TOKEN-unset}\" > \"$RECORD/token\"\n";

/// A container's Elasticsearch home: the stock yml, an empty data directory, the stand-in.
struct Container {
    home: Home,
    record: tempfile::TempDir,
}

/// How the entrypoint ended and how it started Elasticsearch, if it did.
struct Started {
    run: Run,
    /// The stand-in's arguments, when it ran.
    args: Option<Vec<String>>,
    /// `ENROLLMENT_TOKEN` in the stand-in's environment (`unset` when it is not), when it ran.
    token: Option<String>,
}

impl Container {
    fn new(yml: &str) -> Container {
        let home = ES_AUTOCONF.home(yml);
        let bin = home.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("elasticsearch"), STANDIN).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            bin.join("elasticsearch"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        Container {
            home,
            record: tempfile::tempdir().unwrap(),
        }
    }

    fn credentials(&self) -> PathBuf {
        self.home.config().join("elastic-credentials.json")
    }

    /// Runs the entrypoint with `args` and `env`, as `docker run` would.
    fn start(&self, args: &[&str], env: &[(&str, &str)]) -> Started {
        for f in ["pid", "args", "token"] {
            let _ = std::fs::remove_file(self.record.path().join(f));
        }
        let entrypoint =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/docker/docker-entrypoint.sh");
        let mut cmd = Command::new(entrypoint);
        Bin::clean_env(&mut cmd)
            .args(args)
            .env("ES_HOME", self.home.path())
            .env("ES_AUTOCONF", ES_AUTOCONF.path())
            .env("ESAC_TEST_KEY_POOL", key_pool_dir())
            .env("RECORD", self.record.path())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        let pid = child.id();
        let run = Run::from(child.wait_with_output().unwrap());
        let recorded = |f: &str| std::fs::read_to_string(self.record.path().join(f)).ok();
        let args = recorded("args").map(|a| a.lines().map(str::to_owned).collect());
        if let Some(started) = recorded("pid") {
            assert_eq!(
                started.trim(),
                pid.to_string(),
                "Elasticsearch replaces the entrypoint (exec): {run:?}"
            );
        }
        Started {
            run,
            args,
            token: recorded("token"),
        }
    }
}

#[test]
fn a_first_start_secures_the_node_then_execs_elasticsearch_with_its_arguments() {
    let c = Container::new(STOCK_YML);
    let args = ["-Enode.name=es01", "-E", "cluster.name=docker", "-v"];
    let s = c.start(&args, &[]);
    assert_eq!(s.run.code, 0, "{:?}", s.run);
    assert_eq!(s.args.as_deref(), Some(&args.map(String::from)[..]));
    assert_configured(&c.home.config(), &[]);
    // The -E settings reached es-autoconf: the node's name is the initial master node.
    let yml = std::fs::read_to_string(c.home.yml()).unwrap();
    assert!(
        yml.contains("cluster.initial_master_nodes: [\"es01\"]"),
        "{yml}"
    );
    // The elastic password is in the credentials file only.
    let creds = c.credentials();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&creds).unwrap()).unwrap();
    let password = json["password"].as_str().unwrap();
    let hash = keystore_show(&c.home.config(), "autoconfiguration.password_hash", &[]);
    assert!(bcrypt_verify(password, &hash));
    assert!(!s.run.stdout.contains(password) && !s.run.stderr.contains(password));
}

#[test]
fn a_restart_starts_elasticsearch_and_changes_nothing() {
    let c = Container::new(STOCK_YML);
    assert_eq!(c.start(&[], &[]).run.code, 0);
    // The node ran: its data directory is in use.
    std::fs::create_dir_all(c.home.path().join("data/nodes")).unwrap();
    let before = c.home.stable_snapshot();
    let s = c.start(&[], &[]);
    assert_eq!(s.run.code, 0, "{:?}", s.run);
    assert_eq!(s.args, Some(vec![]), "{:?}", s.run);
    assert!(
        s.run
            .stdout
            .contains("the node is not starting up for the first time"),
        "{:?}",
        s.run
    );
    assert_same_tree(&before, &c.home.stable_snapshot(), "restart");
}

#[test]
fn after_73_and_78_elasticsearch_starts_as_its_launcher_would_start_it() {
    // 78: a yml that cannot be read; es-autoconf says why and writes nothing.
    let c = Container::new(&format!("{STOCK_YML}node.name: a\nnode.name: b\n"));
    let before = c.home.stable_snapshot();
    let s = c.start(&[], &[]);
    assert_eq!(s.run.code, 0, "{:?}", s.run);
    assert_eq!(s.args, Some(vec![]));
    assert!(
        s.run.stderr.contains("duplicate settings key [node.name]"),
        "{:?}",
        s.run
    );
    assert_same_tree(&before, &c.home.stable_snapshot(), "78");

    // 73: the credentials file exists.
    let c = Container::new(STOCK_YML);
    std::fs::write(c.credentials(), "kept\n").unwrap();
    let before = c.home.stable_snapshot();
    let s = c.start(&[], &[]);
    assert_eq!(s.run.code, 0, "{:?}", s.run);
    assert_eq!(s.args, Some(vec![]));
    assert!(
        s.run.stderr.contains("cannot create the credentials file"),
        "{:?}",
        s.run
    );
    assert_same_tree(&before, &c.home.stable_snapshot(), "73");
}

#[test]
fn any_other_failure_does_not_start_elasticsearch() {
    // A password-protected keystore and no password: 65.
    let c = Container::new(STOCK_YML);
    write_keystore(
        &c.home.config(),
        &keystore_with(&[]),
        "secret",
        FormatVersion::V5,
    );
    let before = c.home.stable_snapshot();
    let s = c.start(&[], &[]);
    assert_eq!(s.run.code, 65, "{:?}", s.run);
    assert_eq!(s.args, None, "Elasticsearch was started: {:?}", s.run);
    assert!(
        s.run.stderr.contains("Elasticsearch is not started"),
        "{:?}",
        s.run
    );
    assert_same_tree(&before, &c.home.stable_snapshot(), "65");
}

#[test]
fn enrollment_token_joins_the_cluster_and_a_restart_with_it_still_set_starts() {
    let a = node_a();
    let srv = server(&a, Failure::None);
    let token = token_string(&srv.token());
    let b = Container::new(STOCK_YML);
    let env = [("ENROLLMENT_TOKEN", token.as_str())];
    let s = b.start(&["-Enode.name=es02"], &env);
    assert_eq!(s.run.code, 0, "{:?}", s.run);
    // Elasticsearch is started without the token: es-autoconf enrolled already.
    assert_eq!(s.args, Some(vec!["-Enode.name=es02".to_owned()]));
    assert_eq!(s.token.as_deref(), Some("unset"));
    assert_configured(&b.home.config(), &[]);
    let yml = std::fs::read_to_string(b.home.yml()).unwrap();
    assert!(
        yml.contains("discovery.seed_hosts: [\"127.0.0.1:9300\"]"),
        "{yml}"
    );
    assert_eq!(srv.requests().len(), 1);
    // The cluster has the elastic password: none generated, no credentials file.
    assert!(!b.credentials().exists());
    assert!(!keystore_list(&b.home.config(), &[])
        .iter()
        .any(|n| n == "autoconfiguration.password_hash"));

    // `docker restart` keeps the environment: the node starts, nothing is asked of the cluster.
    std::fs::create_dir_all(b.home.path().join("data/nodes")).unwrap();
    let before = b.home.stable_snapshot();
    let s = b.start(&["-Enode.name=es02"], &env);
    assert_eq!(s.run.code, 0, "{:?}", s.run);
    assert_eq!(s.args, Some(vec!["-Enode.name=es02".to_owned()]));
    assert!(!s.run.stderr.contains("ERROR"), "{:?}", s.run);
    assert_eq!(s.token.as_deref(), Some("unset"));
    assert_eq!(srv.requests().len(), 1);
    assert_same_tree(&before, &b.home.stable_snapshot(), "restart");
}

#[test]
fn a_node_that_cannot_join_is_not_started() {
    // An invalid token: 65.
    let c = Container::new(STOCK_YML);
    let before = c.home.stable_snapshot();
    let s = c.start(&[], &[("ENROLLMENT_TOKEN", "not-a-token")]);
    assert_eq!(s.run.code, 65, "{:?}", s.run);
    assert_eq!(s.args, None);
    assert!(
        s.run
            .stderr
            .contains("could not enroll this node (exit 65)"),
        "{:?}",
        s.run
    );
    assert_same_tree(&before, &c.home.stable_snapshot(), "invalid token");

    // A node that already ran (its data directory is in use) and was never auto-configured:
    // 80, which with a token is fatal, as in Elasticsearch.
    let a = node_a();
    let srv = server(&a, Failure::None);
    let c = Container::new(STOCK_YML);
    std::fs::create_dir_all(c.home.path().join("data/nodes")).unwrap();
    let s = c.start(&[], &[("ENROLLMENT_TOKEN", &token_string(&srv.token()))]);
    assert_eq!(s.run.code, 80, "{:?}", s.run);
    assert_eq!(s.args, None);
    assert!(srv.requests().is_empty());
}
