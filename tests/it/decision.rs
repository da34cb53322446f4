//! Black-box tests of `es-autoconf init` decisions: one per exit code and per row of spec §1.2,
//! on real temporary directories. Every run here is a dry run, and each proves it wrote nothing.

use std::os::unix::fs::PermissionsExt;

use esac_testkit::{is_root, Bin, Home, Run};

use crate::common::STOCK_YML;
use crate::ES_AUTOCONF;

/// Runs a dry run and asserts the tree is byte-identical (contents, modes, mtimes) afterwards.
fn dry(home: &Home, extra: &[&str]) -> Run {
    dry_env(home, extra, &[])
}

fn dry_env(home: &Home, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let before = home.snapshot();
    let mut args = vec!["init", "--dry-run"];
    args.extend_from_slice(extra);
    let run = home.run_env(&args, env);
    assert_eq!(before, home.snapshot(), "dry run changed the tree: {run:?}");
    run
}

#[test]
fn fresh_archive_layout_would_be_configured() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = dry(&home, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.starts_with("Decision: configure (exit 0)"),
        "{run:?}"
    );
    assert!(run.stdout.contains("certs.") && run.stdout.contains(".tmp  mode 0750"));
    assert!(run
        .stdout
        .contains("cluster.initial_master_nodes: [\"node-1\"]"));
    assert!(run
        .stdout
        .contains("add xpack.security.http.ssl.keystore.secure_password = <generated>"));
    assert!(run.stdout.contains("SANs: ") && run.stdout.contains("DNS:localhost, DNS:node-1"));
    assert!(run.stdout.contains("validity: 36135 days"));
}

#[test]
fn non_empty_data_dir_with_only_a_hidden_file_is_not_a_first_start() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::create_dir(home.path().join("data")).unwrap();
    std::fs::write(home.path().join("data/.hidden"), "").unwrap();
    let run = dry(&home, &[]);
    assert_eq!(run.code, 80, "{run:?}");
    assert!(run
        .stdout
        .contains("it appears that the node is not starting up for the first time"));
}

#[test]
fn empty_data_dir_is_a_first_start() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::create_dir(home.path().join("data")).unwrap();
    assert_eq!(dry(&home, &[]).code, 0);
}

#[test]
fn list_valued_path_data_with_one_non_empty_entry() {
    let home = ES_AUTOCONF.home("path.data:\n  - d1\n  - d2\n");
    for d in ["d1", "d2"] {
        std::fs::create_dir(home.path().join(d)).unwrap();
    }
    assert_eq!(dry(&home, &[]).code, 0);
    std::fs::write(home.path().join("d2/node.lock"), "").unwrap();
    assert_eq!(dry(&home, &[]).code, 80);
}

#[test]
fn path_data_through_an_environment_placeholder() {
    let home = ES_AUTOCONF.home("path.data: ${MY_DATA}\n");
    let data = home.path().join("elsewhere");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("x"), "").unwrap();
    let run = dry_env(&home, &[], &[("MY_DATA", data.to_str().unwrap())]);
    assert_eq!(run.code, 80, "{run:?}");
    let run = dry(&home, &[]);
    assert_eq!(
        run.code, 78,
        "unresolved placeholder is a config error: {run:?}"
    );
    assert!(run.stderr.contains("MY_DATA"), "{run:?}");
}

#[test]
fn symlinked_yml_is_not_a_regular_file() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let real = home.path().join("real.yml");
    std::fs::rename(home.yml(), &real).unwrap();
    std::os::unix::fs::symlink(&real, home.yml()).unwrap();
    let run = dry(&home, &[]);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(
        run.stdout.contains("is missing or is not a regular file"),
        "{run:?}"
    );
    assert!(run.stdout.contains(home.yml().to_str().unwrap()));
}

#[test]
fn missing_yml() {
    let home = ES_AUTOCONF.home("");
    std::fs::remove_file(home.yml()).unwrap();
    assert_eq!(dry(&home, &[]).code, 78);
}

#[test]
fn unreadable_yml() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::set_permissions(home.yml(), std::fs::Permissions::from_mode(0o000)).unwrap();
    if is_root() {
        // root reads everything: run the binary as `nobody` so the file is really unreadable.
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(home.config(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let before = home.snapshot();
        let copy = ES_AUTOCONF.for_any_user();
        let out = Bin::clean_env(&mut std::process::Command::new("setpriv"))
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(copy.path())
            .args(["init", "--dry-run", "--es-home"])
            .arg(home.path())
            .output()
            .expect("setpriv (util-linux) is needed to test as a non-root user");
        let run = Run::from(out);
        assert_eq!(before, home.snapshot());
        assert_eq!(run.code, 80, "{run:?}");
        assert!(
            run.stdout
                .contains("does not have permission to read  configuration file"),
            "{run:?}"
        );
    } else {
        let run = dry(&home, &[]);
        assert_eq!(run.code, 80, "{run:?}");
    }
}

#[test]
fn keystore_that_is_a_symlink_or_directory() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::create_dir(home.config().join("elasticsearch.keystore")).unwrap();
    let run = dry(&home, &[]);
    assert_eq!(run.code, 80, "{run:?}");
    assert!(run.stdout.contains("is not a readable regular file"));
}

#[test]
fn nested_and_flat_security_keys_both_skip() {
    for yml in [
        "xpack.security.enabled: true\n",
        "xpack:\n  security:\n    enabled: false\n",
    ] {
        let run = dry(&ES_AUTOCONF.home(yml), &[]);
        assert_eq!(run.code, 80, "{yml}: {run:?}");
        assert!(
            run.stdout.contains("security is already configured"),
            "{run:?}"
        );
    }
    let run = dry(
        &ES_AUTOCONF.home("xpack:\n  security.http.ssl:\n    enabled: true\n"),
        &[],
    );
    assert_eq!(run.code, 80);
    assert!(run.stdout.contains("TLS is already configured"));
}

#[test]
fn e_overrides_apply_and_are_validated() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = dry(&home, &["-E", "xpack.security.enabled=false"]);
    assert_eq!(run.code, 80, "{run:?}");
    let run = dry(
        &home,
        &[
            "-E",
            "node.name=es-7",
            "-E",
            "cluster.initial_master_nodes=es-7",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("subject: CN=es-7"));
    let run = dry(&home, &["-E", "discovery.seed_hosts=10.0.0.2"]);
    assert_eq!(run.code, 80);
    let run = dry(&home, &["-E", "a="]);
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run.stderr.contains("setting [a] must not be empty"));
    let run = dry(&home, &["-E", "a=1", "-E", "a=2"]);
    assert_eq!(run.code, 64);
    assert!(run
        .stderr
        .contains("setting [a] set twice via command line -E"));
}

#[test]
fn cluster_formation_and_roles() {
    let cases = [
        (
            "discovery.type: single-node\ndiscovery.seed_hosts: [a]\n",
            0,
        ),
        ("cluster.initial_master_nodes: [\"node-1\"]\n", 0),
        (
            "cluster.initial_master_nodes: [\"node-1\", \"node-2\"]\n",
            80,
        ),
        ("node.roles: [data]\n", 80),
        ("node.roles: []\n", 80),
        ("node.roles: [master, voting_only, data]\n", 80),
        ("node.roles: [master]\n", 80),
        ("node.roles: [master, data_hot]\n", 0),
    ];
    for (yml, code) in cases {
        assert_eq!(dry(&ES_AUTOCONF.home(yml), &[]).code, code, "{yml}");
    }
}

#[test]
fn invalid_yaml_and_duplicates_name_file_and_line() {
    let run = dry(&ES_AUTOCONF.home("a: b\nc: [d\n"), &[]);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(
        run.stderr.contains("elasticsearch.yml") && run.stderr.contains("line"),
        "{run:?}"
    );
    let run = dry(&ES_AUTOCONF.home("node.name: a\nnode:\n  name: b\n"), &[]);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(
        run.stderr.contains("duplicate settings key [node.name]") && run.stderr.contains("line 3"),
        "{run:?}"
    );
    let home = ES_AUTOCONF.home("");
    std::fs::write(home.yml(), b"node.name: caf\xe9\n").unwrap();
    let run = dry(&home, &[]);
    assert_eq!(run.code, 78);
    assert!(run.stderr.contains("not valid UTF-8"), "{run:?}");
}

#[test]
fn json_output_is_one_document_with_stable_fields() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = dry(&home, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(v["decision"], "configure");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["reason"]["code"], "configure");
    assert_eq!(
        v["plan"]["keystore"]["add"][0],
        "xpack.security.transport.ssl.keystore.secure_password"
    );
    assert!(v["plan"]["yml"]["append"]
        .as_str()
        .unwrap()
        .contains("BEGIN SECURITY AUTO CONFIGURATION"));

    let run = dry(
        &ES_AUTOCONF.home("xpack.security.enabled: true\n"),
        &["--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["decision"], "skip");
    assert_eq!(v["exit_code"], 80);
    assert_eq!(v["reason"]["code"], "security_already_configured");
    assert!(v["plan"].is_null());
    assert_eq!(run.code, 80);

    let run = dry(&ES_AUTOCONF.home("a: [\n"), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["decision"], "error");
    assert_eq!(v["exit_code"], 78);
}

#[test]
fn config_dir_from_environment_and_flag() {
    let home = ES_AUTOCONF.home("xpack.security.enabled: true\n");
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("elasticsearch.yml"), STOCK_YML).unwrap();
    let run = dry_env(
        &home,
        &[],
        &[("ES_PATH_CONF", other.path().to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "ES_PATH_CONF is honoured: {run:?}");
    let run = dry(&home, &["--config-dir", other.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn silent_hides_skip_messages() {
    let run = dry(&ES_AUTOCONF.home("xpack.security.enabled: true\n"), &["-s"]);
    assert_eq!(run.code, 80);
    assert_eq!(run.stdout, "");
}

#[test]
fn large_data_dir_is_not_walked() {
    // 20,000 entries: the probe must look at the first entry only. The timing comparison lives in
    // `cargo xtask bench`; here we check the answer and that nothing changed.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let data = home.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for i in 0..20_000 {
        std::fs::File::create(data.join(format!("f{i}"))).unwrap();
    }
    let run = home.run(&["init", "--dry-run"]);
    assert_eq!(run.code, 80);
}

/// review-security.md L5: `a: &a [x,…N]` / `b: [*a,…N]` is a few KB of yml and N×N values
/// once expanded (12 KB took 640 MB). Refused with 78 before it expands, in a process whose
/// address space is capped at 256 MiB: the run neither grows nor dies of it. SnakeYAML's limit
/// (50 aliases of collections) is kept, and below it the expansion is bounded too.
#[test]
fn a_yaml_alias_bomb_is_refused_before_it_expands() {
    let bomb = |items: usize, aliases: usize| {
        format!(
            "a: &a [{}]\nb: [{}]\n",
            vec!["x"; items].join(","),
            vec!["*a"; aliases].join(",")
        )
    };
    let capped = |home: &Home| {
        let mut cmd = std::process::Command::new("sh");
        Bin::clean_env(&mut cmd)
            .args(["-c", "ulimit -v 262144 && exec \"$0\" \"$@\""])
            .arg(ES_AUTOCONF.path())
            .args(["init", "--dry-run", "--es-home"])
            .arg(home.path())
            .stdin(std::process::Stdio::null());
        Run::from(cmd.output().unwrap())
    };
    for (yml, text) in [
        (
            bomb(5000, 5000),
            "uses more than 50 aliases of lists or mappings",
        ),
        (bomb(20_000, 40), "expands through aliases to more than"),
    ] {
        let home = ES_AUTOCONF.home(&yml);
        let before = home.snapshot();
        let started = std::time::Instant::now();
        let run = capped(&home);
        assert_eq!(run.code, 78, "{} bytes: {run:?}", yml.len());
        assert!(
            run.stderr.starts_with(&format!(
                "ERROR: the configuration file [{}] ",
                home.yml().display()
            )),
            "{run:?}"
        );
        assert!(run.stderr.contains(text), "{run:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        assert_eq!(before, home.snapshot());
    }
    // Fifty aliases of a list are within SnakeYAML's limit; the fifty-first is not.
    let home = ES_AUTOCONF.home(&bomb(10, 50));
    let run = capped(&home);
    assert_eq!(run.code, 0, "{run:?}");
    let home = ES_AUTOCONF.home(&bomb(10, 51));
    assert_eq!(capped(&home).code, 78);
}
