//! `finalize` end to end (lifecycle spec §4): on nodes configured by a real `init`, with the
//! cluster's formation written as a Lucene `segments_N` under `path.data/_state` (by an
//! independent writer here), the stock block loses exactly its `cluster.initial_master_nodes`
//! lines (the yml is then byte for byte what `init` writes without them), a block the operator
//! edited loses only the setting's line, and the refusals (`-E`, environment, a transport off
//! loopback without seed hosts, no formation evidence, a nested form) change nothing. The
//! keystore's password hash and leftovers go only when asked; a run failing or killed at any
//! step leaves every file old or new.

use std::os::unix::fs::PermissionsExt;

use esac_testkit::faults::{every_failpoint, for_each_in_parallel};
use esac_testkit::{assert_same_tree, Home, Run};

use crate::common::{
    changed, json, keystore_list, leftovers, mode, plan_steps, FASTEST, STOCK_YML,
};
use crate::ES_AUTOCONF;

const HASH: &str = "autoconfiguration.password_hash";
/// The run's clock (debug builds), so two nodes get the same block timestamp.
const NOW: &str = "1790000000";

/// The node has started and formed its cluster (Elasticsearch 8.8+ evidence: a `segments_N`
/// with this commit user data, as Lucene writes it).
fn formed(home: &Home) {
    let state = home.path().join("data/_state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("segments_2"),
        esac_probe::fuzzing::commit(
            10,
            0,
            &[
                ("cluster_uuid", "Q8bn8mXpT1aQmNmeK4fJ0w"),
                ("cluster_uuid_committed", "true"),
                ("current_term", "1"),
                ("last_accepted_version", "17"),
            ],
        ),
    )
    .unwrap();
    std::fs::write(state.join("write.lock"), "").unwrap();
}

/// A node configured by `init` (at the fixed clock) from `yml`, with extra `init` arguments.
fn node(yml: &str, args: &[&str]) -> Home {
    let home = ES_AUTOCONF.home(yml);
    let run = home.init_env(&[FASTEST, args].concat(), &[("ESAC_TEST_NOW", NOW)]);
    assert_eq!(run.code, 0, "{run:?}");
    home
}

/// [`node`], [`formed`].
fn formed_node(yml: &str, args: &[&str]) -> Home {
    let home = node(yml, args);
    formed(&home);
    home
}

/// A formed node whose `init` stored the `elastic` password's hash in the keystore (as the
/// package install does, with `--credentials-file`).
fn formed_node_with_hash() -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let creds = home.path().join("creds.json");
    let args = [FASTEST, &["--credentials-file", creds.to_str().unwrap()]].concat();
    assert_eq!(home.init(&args).code, 0);
    formed(&home);
    home
}

fn finalize(home: &Home, args: &[&str], env: &[(&str, &str)]) -> Run {
    home.run_with_pool(&[&["finalize"], args].concat(), env)
}

fn yml(home: &Home) -> String {
    std::fs::read_to_string(home.yml()).unwrap()
}

#[test]
fn the_stock_block_becomes_the_block_without_initial_master_nodes() {
    let home = node(STOCK_YML, &[]);
    // What init writes when it does not write [M] (same clock, same settings otherwise).
    let without = node(STOCK_YML, &["-E", "discovery.type=single-node"]);
    assert_ne!(yml(&home), yml(&without));
    std::fs::set_permissions(home.yml(), std::fs::Permissions::from_mode(0o640)).unwrap();
    formed(&home);
    let before = home.stable_snapshot();

    let run = finalize(&home, &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(yml(&home), yml(&without), "byte for byte");
    assert_eq!(
        changed(&before, &home.stable_snapshot()),
        ["config/elasticsearch.yml"]
    );
    assert_eq!(mode(&home.yml()), 0o640);
    assert_eq!(leftovers(&home.config()), Vec::<String>::new());
    assert_eq!(run.stdout, "");
    for s in [
        "remove_initial_master_nodes: applied",
        "canonical_block",
        "-48: cluster.initial_master_nodes: [\"node-1\"]",
        "takes effect at the next restart",
    ] {
        assert!(run.stderr.contains(s), "{s}: {run:?}");
    }

    let before = home.stable_snapshot();
    let run = finalize(&home, &["--format", "json"], &[]);
    assert_eq!(run.code, 80, "{run:?}");
    let doc = json(&run);
    assert_eq!(doc["reason"]["code"], "nothing_to_do");
    assert_eq!(doc["cluster"]["evidence"], "cluster_uuid_committed");
    assert_eq!(doc["cluster"]["cluster_uuid"], "Q8bn8mXpT1aQmNmeK4fJ0w");
    assert_same_tree(&before, &home.stable_snapshot(), "nothing to do");
}

#[test]
fn a_block_with_user_lines_inside_loses_only_the_setting() {
    let home = formed_node(STOCK_YML, &[]);
    let original = yml(&home);
    let edited = original.replace(
        "# Additional nodes can still join the cluster later\n",
        "# Additional nodes can still join the cluster later\nhttp.port: 9201   # mine\n",
    );
    assert_ne!(edited, original);
    std::fs::write(home.yml(), &edited).unwrap();
    let run = finalize(&home, &["--format", "json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = json(&run);
    assert_eq!(doc["actions"][0]["mode"], "setting_only");
    assert_eq!(
        doc["actions"][0]["removed_lines"][0]["text"],
        "cluster.initial_master_nodes: [\"node-1\"]"
    );
    assert_eq!(
        yml(&home),
        edited.replace("cluster.initial_master_nodes: [\"node-1\"]\n", "")
    );

    // A CRLF file with the setting outside the block, as a block sequence.
    let home = formed_node(STOCK_YML, &["-E", "discovery.type=single-node"]);
    let crlf = format!(
        "cluster.name: prod\r\ncluster.initial_master_nodes:\r\n- node-1\r\n- node-2\r\n# mine\r\n{}",
        yml(&home)
    );
    std::fs::write(home.yml(), &crlf).unwrap();
    let run = finalize(&home, &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        yml(&home),
        crlf.replace(
            "cluster.initial_master_nodes:\r\n- node-1\r\n- node-2\r\n",
            ""
        )
    );
}

#[test]
fn refusals_change_nothing() {
    let formed_stock = || formed_node(STOCK_YML, &[]);
    // (what, home, args, env, reason)
    type Case = (
        &'static str,
        Home,
        Vec<&'static str>,
        Vec<(&'static str, &'static str)>,
        &'static str,
    );
    let open_transport = format!("transport.host: 0.0.0.0\n{STOCK_YML}");
    let cases: Vec<Case> = vec![
        (
            "set with -E too",
            formed_stock(),
            vec!["-E", "cluster.initial_master_nodes=node-1"],
            vec![],
            "defined_outside_yml",
        ),
        (
            "set by the Docker environment",
            formed_stock(),
            vec![],
            vec![
                ("ELASTIC_CONTAINER", "true"),
                ("cluster.initial_master_nodes", "node-1"),
            ],
            "defined_outside_yml",
        ),
        (
            "a transport off loopback without seed hosts",
            formed_node(&open_transport, &[]),
            vec![],
            vec![],
            "would_fail_discovery_check",
        ),
        (
            "network.host from -E",
            formed_stock(),
            vec!["-E", "network.host=_site_"],
            vec![],
            "would_fail_discovery_check",
        ),
        (
            "not formed",
            node(STOCK_YML, &[]),
            vec![],
            vec![],
            "cluster_not_formed",
        ),
        (
            "formation unreadable",
            {
                let h = formed_node(STOCK_YML, &[]);
                std::fs::write(h.path().join("data/_state/segments_3"), b"torn").unwrap();
                h
            },
            vec![],
            vec![],
            "formation_unknown",
        ),
        (
            "a nested form",
            formed_node(
                "cluster:\n  name: prod\n  initial_master_nodes: [node-1]\n",
                &["-E", "discovery.type=single-node"],
            ),
            vec!["-E", "discovery.type=multi-node"],
            vec![],
            "unsupported_yml_form",
        ),
    ];
    for (what, home, args, env, reason) in cases {
        let before = home.stable_snapshot();
        let mut a = vec!["--format", "json"];
        a.extend(args);
        let run = finalize(&home, &a, &env);
        assert_eq!(run.code, 78, "{what}: {run:?}");
        let doc = json(&run);
        assert_eq!(doc["reason"]["code"], reason, "{what}: {run:?}");
        assert_eq!(doc["actions"][0]["result"], "refused", "{what}");
        assert_eq!(doc["plan"], serde_json::Value::Null, "{what}");
        assert_same_tree(&before, &home.stable_snapshot(), what);
    }
}

#[test]
fn assumed_formation_and_seed_hosts() {
    // Not formed, but the operator says it is.
    let home = node(STOCK_YML, &[]);
    let run = finalize(&home, &["--assume-formed", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = json(&run);
    assert_eq!(doc["cluster"]["assumed"], true);
    assert_eq!(doc["cluster"]["formed"], false);
    assert!(!yml(&home).contains("initial_master_nodes"));

    // A transport on 0.0.0.0: the [M] lines become the [S] lines of an enrolled node.
    let home = formed_node(&format!("transport.host: 0.0.0.0\n{STOCK_YML}"), &[]);
    let before = yml(&home);
    let run = finalize(&home, &["--seed-hosts", "10.0.0.2:9300,es3:9300"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        yml(&home),
        before.replace(
            "# Create a new cluster with the current node only\n# Additional nodes can still join the cluster later\ncluster.initial_master_nodes: [\"node-1\"]\n",
            "# Discover existing nodes in the cluster\ndiscovery.seed_hosts: [\"10.0.0.2:9300\", \"es3:9300\"]\n"
        )
    );
    for bad in ["a b", "x\"", ""] {
        let run = finalize(&home, &["--seed-hosts", bad], &[]);
        assert_eq!(run.code, 64, "{bad:?}: {run:?}");
    }
    let run = finalize(&home, &["--seed-hosts", "x:9300"], &[]);
    assert_eq!(run.code, 64, "discovery.seed_hosts already set: {run:?}");
}

#[test]
fn password_hash_and_leftovers_only_when_asked() {
    let home = formed_node_with_hash();
    let config = home.config();
    assert!(keystore_list(&config, &[]).iter().any(|n| n == HASH));
    std::fs::create_dir(config.join("certs.1700000000.orig")).unwrap();
    std::fs::write(config.join("certs.1700000000.orig/http.p12"), "old key").unwrap();
    std::fs::write(config.join("elasticsearch.keystore.1700000000.orig"), "old").unwrap();
    std::fs::write(config.join("certs/http.p12.1700000001.orig"), "old").unwrap();
    // Not leftovers of ours: kept.
    std::fs::write(config.join("elasticsearch.keystore.tmp"), "ES's").unwrap();
    std::fs::write(config.join("certs.old"), "mine").unwrap();

    let run = finalize(&home, &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        keystore_list(&config, &[]).iter().any(|n| n == HASH),
        "not asked"
    );
    assert!(config.join("certs.1700000000.orig").exists(), "not asked");

    let before = home.stable_snapshot();
    let list_before = keystore_list(&config, &[]);
    let run = finalize(&home, &["--remove-password-hash", "--clean-backups"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut want: Vec<String> = list_before.into_iter().filter(|n| n != HASH).collect();
    want.sort();
    let mut got = keystore_list(&config, &[]);
    got.sort();
    assert_eq!(got, want, "only the hash is gone");
    let mut gone = changed(&before, &home.stable_snapshot());
    gone.sort();
    assert_eq!(
        gone,
        [
            "config/certs.1700000000.orig",
            "config/certs.1700000000.orig/http.p12",
            "config/certs/http.p12.1700000001.orig",
            "config/elasticsearch.keystore",
            "config/elasticsearch.keystore.1700000000.orig",
        ]
    );
    assert!(config.join("elasticsearch.keystore.tmp").exists());
    assert!(config.join("certs.old").exists());
    assert_eq!(mode(&config.join("elasticsearch.keystore")), 0o660);

    let run = finalize(
        &home,
        &[
            "--remove-password-hash",
            "--clean-backups",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 80, "{run:?}");
    let doc = json(&run);
    let results: Vec<&str> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["nothing_to_do", "nothing_to_do", "nothing_to_do"]);
}

#[test]
fn a_refused_action_does_not_stop_the_others() {
    let home = formed_node_with_hash();
    let before = yml(&home);
    let run = finalize(
        &home,
        &[
            "--remove-password-hash",
            "-E",
            "cluster.initial_master_nodes=node-1",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 78, "{run:?}");
    let doc = json(&run);
    assert_eq!(doc["reason"]["code"], "defined_outside_yml");
    assert_eq!(doc["actions"][1]["result"], "applied");
    assert_eq!(yml(&home), before);
    assert!(!keystore_list(&home.config(), &[]).iter().any(|n| n == HASH));
}

#[test]
fn dry_run_writes_nothing() {
    let home = formed_node(STOCK_YML, &[]);
    let before = home.stable_snapshot();
    let run = finalize(&home, &["--dry-run", "--clean-backups"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    for s in [
        "Decision: finalize (exit 0)",
        "Change ",
        "-48: cluster.initial_master_nodes: [\"node-1\"]",
        "commit ",
    ] {
        assert!(run.stdout.contains(s), "{s}: {run:?}");
    }
    assert_same_tree(&before, &home.stable_snapshot(), "dry run");
}

/// Every step of the full plan (leftovers, keystore, yml), failing or killed, on a fresh node
/// each time: the yml and the keystore are each the old or the new file, the next run recovers
/// and says so, and then the node ends finalized.
#[test]
fn finalize_failing_or_killed_at_every_step() {
    let args = ["--remove-password-hash", "--clean-backups"];
    let make = || {
        let home = formed_node_with_hash();
        std::fs::create_dir(home.config().join("certs.1700000000.orig")).unwrap();
        std::fs::write(home.config().join("certs.1700000000.orig/x"), "old").unwrap();
        home
    };
    let probe = make();
    let mut dry = args.to_vec();
    dry.extend(["--dry-run", "--format", "json"]);
    let steps = plan_steps(&finalize(&probe, &dry, &[]));
    assert_eq!(steps.len(), 8, "{steps:?}");
    for_each_in_parallel(&every_failpoint(&steps), 4, |(step, fault)| {
        let home = make();
        let old_yml = yml(&home);
        let old_ks = std::fs::read(home.keystore()).unwrap();
        let before = home.stable_snapshot();
        let run = finalize(&home, &args, &[("ESAC_FAILPOINT", fault)]);
        let new_yml = yml(&home);
        assert!(
            new_yml == old_yml || !new_yml.contains("initial_master_nodes"),
            "{fault}: old or new"
        );
        let ks = std::fs::read(home.keystore()).unwrap();
        let has_hash = keystore_list(&home.config(), &[]).iter().any(|n| n == HASH);
        assert!(ks == old_ks || !has_hash, "{fault}: old or new keystore");
        if !fault.starts_with("abort") {
            if step == "cleanup" {
                assert_eq!(run.code, 0, "{fault}: {run:?}");
            } else {
                assert_ne!(run.code, 0, "{fault}: {run:?}");
                assert_same_tree(&before, &home.stable_snapshot(), fault);
            }
        }
        let journal = home.config().join(".es-autoconf.journal").exists();
        let again = finalize(&home, &args, &[]);
        assert!(again.code == 0 || again.code == 80, "{fault}: {again:?}");
        if journal {
            assert!(
                again.stderr.contains("found an interrupted run"),
                "{fault}: {again:?}"
            );
        }
        assert!(!yml(&home).contains("initial_master_nodes"), "{fault}");
        assert!(!keystore_list(&home.config(), &[]).iter().any(|n| n == HASH));
        assert!(
            !home.config().join("certs.1700000000.orig").exists(),
            "{fault}"
        );
        assert_eq!(leftovers(&home.config()), Vec::<String>::new(), "{fault}");
    });
}

#[test]
fn a_bind_mounted_yml_is_rewritten_in_place() {
    use std::os::unix::fs::MetadataExt;
    let home = formed_node(STOCK_YML, &[]);
    let ino = std::fs::metadata(home.yml()).unwrap().ino();
    let run = finalize(&home, &[], &[("ESAC_FAILPOINT", "ebusy:write_yml")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::metadata(home.yml()).unwrap().ino(), ino);
    assert!(!yml(&home).contains("initial_master_nodes"));
    assert_eq!(leftovers(&home.config()), Vec::<String>::new());
}
