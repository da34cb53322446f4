//! `es-autoconf layout` and `init --bundle` (lifecycle §5), black-box: certutil's `instances.yml`
//! accepted and refused with its messages, a bundle for three nodes applied in three homes (the
//! yml blocks byte for byte against the renderer), the checks of `init --bundle` changing
//! nothing, fault injection during `layout` leaving no output directory, `--ca-dir`, the
//! passphrase. With `interop`: JDK mutual TLS between the homes and JDK HTTPS name checks.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

use esac_core::bundle::{BundleManifest, BundleStep, NodeManifest};
use esac_core::yml::{patched_yml, render_block_bundle, BlockInputs};
use esac_settings::Settings;
use esac_testkit::{assert_same_tree, Home, Run, Tree};

use crate::common::{assert_configured, STOCK_YML};
use crate::ES_AUTOCONF;

const THREE: &str = "instances:\n  - name: es01\n    ip: [10.0.0.1]\n    dns: [es01.example]\n  - name: es02\n    ip: [10.0.0.2]\n    dns: [es02.example]\n  - name: es03\n    dns: [es03.example]\n    cn: [es03-cn]\n";
const FAST: [&str; 2] = ["--key-type", "ecdsa-p256"];

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/instances")
        .join(rel)
}

/// "Now", whole seconds: dates both the certificates and the yml block, and is the real time so
/// that the JDK accepts the certificates.
fn now() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

/// A scratch directory with `instances.yml`.
struct Work {
    dir: tempfile::TempDir,
    now: String,
}

impl Work {
    fn new(instances: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("esac-layout")
            .tempdir()
            .unwrap();
        std::fs::write(dir.path().join("instances.yml"), instances).unwrap();
        Work { dir, now: now() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `es-autoconf layout --in instances.yml <args>` in the scratch directory.
    fn layout(&self, args: &[&str]) -> Run {
        self.layout_env(args, &[])
    }

    fn layout_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = ES_AUTOCONF.command();
        cmd.current_dir(self.dir.path())
            .arg("layout")
            .args(["--in", "instances.yml"])
            .args(args)
            .env("ESAC_TEST_NOW", &self.now)
            .envs(env.iter().copied())
            .stdin(Stdio::null());
        Run::from(cmd.output().unwrap())
    }

    /// `init --bundle <bundle>/<node>` in a fresh home whose host name is `node`.
    fn apply(&self, bundle: &str, node: &str, extra: &[&str]) -> (Home, Run) {
        let home = ES_AUTOCONF.home(STOCK_YML);
        let run = self.apply_in(&home, bundle, node, extra);
        (home, run)
    }

    fn apply_in(&self, home: &Home, bundle: &str, node: &str, extra: &[&str]) -> Run {
        let dir = self.path(bundle).join(node);
        let mut args = vec!["init", "--bundle", dir.to_str().unwrap()];
        args.extend_from_slice(extra);
        home.run_env(&args, &[("HOSTNAME", node), ("ESAC_TEST_NOW", &self.now)])
    }

    fn manifest(&self, bundle: &str) -> BundleManifest {
        serde_json::from_slice(&std::fs::read(self.path(bundle).join("bundle.json")).unwrap())
            .unwrap()
    }

    fn node(&self, bundle: &str, node: &str) -> NodeManifest {
        serde_json::from_slice(
            &std::fs::read(self.path(bundle).join(node).join("node.json")).unwrap(),
        )
        .unwrap()
    }

    fn timestamp(&self) -> String {
        esac_certspec::es_timestamp(self.now.parse().unwrap())
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

/// What `init --bundle` must have appended: core's renderer with the bundle's discovery.
fn expected_yml(w: &Work, node: &str, seeds: &[&str], masters: &[&str]) -> String {
    let block = render_block_bundle(
        &Settings::default(),
        &BlockInputs {
            node_name: Some(node.to_owned()),
            seed_hosts: Some(seeds.iter().map(|s| (*s).to_owned()).collect()),
            transport_host_uncommented: true,
            timestamp: w.timestamp(),
        },
        &masters.iter().map(|m| (*m).to_owned()).collect::<Vec<_>>(),
    );
    patched_yml(STOCK_YML, &block)
}

#[test]
fn three_homes_from_one_bundle_each_get_their_node_and_the_cluster_s_discovery() {
    let w = Work::new(THREE);
    let run = w.layout(&[&FAST[..], &["--out", "bundle"]].concat());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("WARNING: no --bundle-passphrase-file"),
        "said loudly: {run:?}"
    );
    assert!(
        !run.stderr.contains('\r'),
        "no progress line off a terminal"
    );
    let m = w.manifest("bundle");
    assert_eq!(m.masters, ["es01", "es02", "es03"]);
    let seeds = ["10.0.0.1:9300", "10.0.0.2:9300", "es03.example:9300"];
    assert_eq!(m.seed_hosts, seeds);
    assert!(run.stdout.contains(&m.http_ca.sha256), "{run:?}");
    assert!(run.stdout.contains("es-autoconf finalize"), "{run:?}");
    let homes: Vec<Home> = ["es01", "es02", "es03"]
        .iter()
        .map(|node| {
            let (home, run) = w.apply("bundle", node, &[]);
            assert_eq!(run.code, 0, "{node}: {run:?}");
            assert_configured(&home.config(), &[]);
            let yml = std::fs::read_to_string(home.yml()).unwrap();
            assert_eq!(
                yml,
                expected_yml(&w, node, &seeds, &["es01", "es02", "es03"])
            );
            // The node's certificates are the bundle's, byte for byte.
            let ca = std::fs::read(home.config().join("certs/http_ca.crt")).unwrap();
            assert_eq!(ca, std::fs::read(w.path("bundle/ca/http_ca.crt")).unwrap());
            assert!(run.stderr.contains("es-autoconf finalize"), "{run:?}");
            // A provisioning loop runs it again: 80, nothing changes.
            let before = home.stable_snapshot();
            let again = w.apply_in(&home, "bundle", node, &[]);
            assert_eq!(again.code, 80, "{again:?}");
            assert_same_tree(&before, &home.stable_snapshot(), "second init --bundle");
            home
        })
        .collect();
    // Each node has its own transport key, under the one transport CA.
    let transport: Vec<String> = w
        .manifest("bundle")
        .instances
        .iter()
        .map(|i| i.transport_sha256.clone())
        .collect();
    assert_eq!(transport.len(), 3);
    assert!(transport[0] != transport[1] && transport[1] != transport[2]);
    #[cfg(feature = "interop")]
    jdk::transport_between_every_pair(&homes);
    drop(homes);
}

#[test]
fn one_master_gets_elasticsearch_s_own_text_and_data_nodes_no_bootstrap() {
    let w = Work::new(THREE);
    let run = w.layout(&[&FAST[..], &["--out", "b1", "--masters", "es01"]].concat());
    assert_eq!(run.code, 0, "{run:?}");
    let (home, run) = w.apply("b1", "es01", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let yml = std::fs::read_to_string(home.yml()).unwrap();
    assert_eq!(yml, expected_yml(&w, "es01", &["10.0.0.1:9300"], &["es01"]));
    assert!(yml.contains("# Create a new cluster with the current node only\n"));
    let (home, run) = w.apply("b1", "es02", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let yml = std::fs::read_to_string(home.yml()).unwrap();
    assert_eq!(yml, expected_yml(&w, "es02", &["10.0.0.1:9300"], &[]));
    assert!(!yml.contains("cluster.initial_master_nodes"));
    assert!(!w.node("b1", "es02").master);
}

#[test]
fn the_bundle_s_passwords_are_merged_into_an_existing_protected_keystore() {
    use esac_testkit::fixtures::{keystore_with, write_keystore};
    let w = Work::new(THREE);
    assert_eq!(
        w.layout(&[&FAST[..], &["--out", "bundle"]].concat()).code,
        0
    );
    let home = ES_AUTOCONF.home(STOCK_YML);
    write_keystore(
        &home.config(),
        &keystore_with(&[("s3.client.default.secret_key", "kept")]),
        "ks-pass",
        esac_keystore::FormatVersion::V5,
    );
    let pass = home.path().join("ks-pass");
    std::fs::write(&pass, "ks-pass\n").unwrap();
    let env = [("ES_KEYSTORE_PASSPHRASE_FILE", pass.to_str().unwrap())];
    let dir = w.path("bundle/es01");
    let run = home.run_env(
        &["init", "--bundle", dir.to_str().unwrap()],
        &[("HOSTNAME", "es01"), ("ESAC_TEST_NOW", &w.now), env[0]],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &env);
    assert_eq!(
        crate::common::keystore_show(&home.config(), "s3.client.default.secret_key", &env),
        "kept"
    );
    // The node's stores open with the node's own passwords, not the bundle's.
    let node_pw = crate::common::keystore_show(
        &home.config(),
        "xpack.security.http.ssl.keystore.secure_password",
        &env,
    );
    let store = std::fs::read(home.config().join("certs/http.p12")).unwrap();
    esac_pki::read_p12(&store, &esac_secret::Secret::from_str_copy(&node_pw)).unwrap();
}

#[test]
fn finalize_removes_the_bootstrap_a_bundle_master_got() {
    let w = Work::new(THREE);
    assert_eq!(
        w.layout(&[&FAST[..], &["--out", "bundle"]].concat()).code,
        0
    );
    let seeds = ["10.0.0.1:9300", "10.0.0.2:9300", "es03.example:9300"];
    let (home, run) = w.apply("bundle", "es02", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    // The cluster formed (asserted: no Elasticsearch here); the [M'] lines go, and the block is
    // then exactly a node's without bootstrap.
    let run = home.run_env(
        &["finalize", "--assume-formed"],
        &[("HOSTNAME", "es02"), ("ESAC_TEST_NOW", &w.now)],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let yml = std::fs::read_to_string(home.yml()).unwrap();
    assert_eq!(yml, expected_yml(&w, "es02", &seeds, &[]));
}

#[test]
fn init_bundle_refuses_and_changes_nothing() {
    let w = Work::new(THREE);
    assert_eq!(
        w.layout(&[&FAST[..], &["--out", "bundle"]].concat()).code,
        0
    );
    let cases: [(&str, &str, &str, &str); 4] = [
        ("another node's directory", "", "es02", "node_name_mismatch"),
        (
            "discovery configured",
            "discovery.seed_hosts: [\"10.9.9.9\"]\n",
            "es01",
            "discovery_already_configured",
        ),
        (
            "bootstrap configured",
            "cluster.initial_master_nodes: [es01]\n",
            "es01",
            "discovery_already_configured",
        ),
        (
            "a master without the master role",
            "node.roles: [data]\n",
            "es01",
            "not_master_eligible",
        ),
    ];
    for (what, yml, dir, reason) in cases {
        let home = ES_AUTOCONF.home(&format!("{STOCK_YML}{yml}"));
        let before = home.snapshot();
        let bundle_dir = w.path("bundle").join(dir);
        let run = home.run_env(
            &[
                "--format",
                "json",
                "init",
                "--bundle",
                bundle_dir.to_str().unwrap(),
            ],
            &[("HOSTNAME", "es01"), ("ESAC_TEST_NOW", &w.now)],
        );
        assert_eq!(run.code, 78, "{what}: {run:?}");
        assert!(
            run.stderr
                .starts_with("ERROR: Refusing to apply the bundle"),
            "{what}: {run:?}"
        );
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(doc["reason"]["code"], reason, "{what}");
        assert_same_tree(&before, &home.snapshot(), what);
    }
}

#[test]
fn the_bundle_passphrase_protects_the_secrets() {
    let w = Work::new(THREE);
    std::fs::write(w.path("pass"), "correct horse\n").unwrap();
    std::fs::write(w.path("wrong"), "wrong horse\n").unwrap();
    let pass = w.path("pass");
    let run = w.layout(
        &[
            &FAST[..],
            &[
                "--out",
                "bundle",
                "--bundle-passphrase-file",
                pass.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("WARNING"), "{run:?}");
    assert!(w.manifest("bundle").passphrase_protected);
    // Every file 0600, every directory 0700.
    for (p, e) in Tree::of(&w.path("bundle")).0 {
        assert_eq!(
            e.mode & 0o7777,
            if e.kind == "dir" { 0o700 } else { 0o600 },
            "{p:?}"
        );
    }
    // No passphrase and no terminal: a usage error; the wrong one: 65; both change nothing.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let before = home.snapshot();
    let run = w.apply_in(&home, "bundle", "es01", &[]);
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run.stderr.contains("--bundle-passphrase-file"), "{run:?}");
    let wrong = w.path("wrong");
    let run = w.apply_in(
        &home,
        "bundle",
        "es01",
        &["--bundle-passphrase-file", wrong.to_str().unwrap()],
    );
    assert_eq!(run.code, 65, "{run:?}");
    assert_same_tree(&before, &home.snapshot(), "wrong passphrase");
    let run = w.apply_in(
        &home,
        "bundle",
        "es01",
        &["--bundle-passphrase-file", pass.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
}

#[test]
fn a_bundle_that_does_not_match_its_manifest_is_refused() {
    let w = Work::new(THREE);
    assert_eq!(w.layout(&[&FAST[..], &["--out", "a"]].concat()).code, 0);
    assert_eq!(w.layout(&[&FAST[..], &["--out", "b"]].concat()).code, 0);
    // es01's certs from another bundle, under a's node.json.
    let (a, b) = (w.path("a/es01/certs"), w.path("b/es01/certs"));
    for f in ["http.p12", "transport.p12"] {
        std::fs::copy(b.join(f), a.join(f)).unwrap();
    }
    std::fs::copy(
        w.path("b/es01/secrets.keystore"),
        w.path("a/es01/secrets.keystore"),
    )
    .unwrap();
    let home = ES_AUTOCONF.home(STOCK_YML);
    let before = home.snapshot();
    let run = w.apply_in(&home, "a", "es01", &[]);
    assert_eq!(run.code, 78, "{run:?}");
    assert!(
        run.stderr.contains("is not the one node.json names"),
        "{run:?}"
    );
    assert_same_tree(&before, &home.snapshot(), "mixed bundle");
    // Expired material (the HTTP certificate's 730 days are over): 78, nothing written.
    let later = (w.now.parse::<u64>().unwrap() + 731 * 86_400).to_string();
    let es03 = w.path("a/es03");
    let run = home.run_env(
        &["init", "--bundle", es03.to_str().unwrap()],
        &[("HOSTNAME", "es03"), ("ESAC_TEST_NOW", &later)],
    );
    assert_eq!(run.code, 78, "{run:?}");
    assert!(run.stderr.contains("expired"), "{run:?}");
    assert_same_tree(&before, &home.snapshot(), "expired bundle");
    // A missing file: 78 too.
    std::fs::remove_file(w.path("a/es02/secrets.keystore")).unwrap();
    let run = w.apply_in(&home, "a", "es02", &[]);
    assert_eq!(run.code, 78, "{run:?}");
    assert_same_tree(&before, &home.snapshot(), "missing secrets");
}

#[test]
fn every_certutil_validation_message_with_its_exact_text_and_exit_78() {
    let mut seen = 0;
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(data("invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    fixtures.sort();
    for yml in fixtures {
        let w = Work::new(&std::fs::read_to_string(&yml).unwrap());
        let run = w.layout(&["--out", "bundle"]);
        let file = w.path("instances.yml");
        let want = std::fs::read_to_string(yml.with_extension("stderr"))
            .unwrap()
            .replace("{file}", file.to_str().unwrap());
        assert_eq!(run.code, 78, "{}: {run:?}", yml.display());
        assert_eq!(run.stderr, want, "{}", yml.display());
        assert_eq!(run.stdout, "", "{}", yml.display());
        assert!(!w.path("bundle").exists());
        seen += 1;
    }
    // One fixture per certutil message, the extra rules, several at once, a shape error.
    assert!(seen >= 10, "{seen} fixtures");
    // JSON carries the reason and certutil's lines.
    let w = Work::new(&std::fs::read_to_string(data("invalid/ca-name.yml")).unwrap());
    let run = w.layout(&["--out", "b", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["reason"]["code"], "invalid_instances");
    assert_eq!(doc["exit_code"], 78);
    assert_eq!(
        doc["notes"][1],
        " * [ca] may not be used as an instance name"
    );
}

#[test]
fn elastic_s_compose_file_and_certutil_s_example_are_accepted_unchanged() {
    for (file, seeds) in [
        ("compose.yml", vec!["es01:9300", "es02:9300", "es03:9300"]),
        (
            "certutil-example.yml",
            vec![
                "192.0.2.1:9300",
                "192.0.2.2:9300",
                "192.0.2.3:9300",
                "node4.mydomain.com:9300",
                "node5.mydomain.com:9300",
            ],
        ),
    ] {
        let w = Work::new(&std::fs::read_to_string(data(file)).unwrap());
        let run = w.layout(&[&FAST[..], &["--out", "bundle"]].concat());
        assert_eq!(run.code, 0, "{file}: {run:?}");
        assert_eq!(w.manifest("bundle").seed_hosts, seeds, "{file}");
    }
    // certutil's DN name: the node is named by its CN, the certificate has the whole DN.
    let w = Work::new(&std::fs::read_to_string(data("certutil-example.yml")).unwrap());
    assert_eq!(w.layout(&[&FAST[..], &["--out", "b"]].concat()).code, 0);
    let node5 = w.node("b", "node5");
    assert_eq!(node5.node_name, "node5");
    assert_eq!(node5.subject, "CN=node5,OU=IT,DC=mydomain,DC=com");
    let (home, run) = w.apply("b", "node5", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
}

#[test]
fn fault_injection_during_layout_leaves_no_output_directory() {
    let w = Work::new(THREE);
    let mut named = 0;
    for step in BundleStep::ALL {
        for how in ["", "abort:"] {
            let fp = format!("{how}{}", step.name());
            let run = w.layout_env(
                &[&FAST[..], &["--out", "bundle"]].concat(),
                &[("ESAC_FAILPOINT", &fp)],
            );
            assert_ne!(run.code, 0, "{fp}: {run:?}");
            assert!(!w.path("bundle").exists(), "{fp}: {run:?}");
            let left: Vec<String> = std::fs::read_dir(w.dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .filter(|n| n != "instances.yml")
                .collect();
            if how.is_empty() {
                assert!(
                    left.is_empty(),
                    "{fp}: a failure removes its temp directory: {left:?}"
                );
                let last = run.stderr.lines().last().unwrap_or_default();
                assert!(last.starts_with("ERROR: "), "{fp}: {run:?}");
            } else {
                // Killed: at most the hidden, owner-only temp directory is left; never `--out`.
                // The next run names it (it may hold keys) and leaves it where it is.
                let next = w.layout(&[&FAST[..], &["--out", "bundle", "--dry-run"]].concat());
                assert_eq!(next.code, 0, "{fp}: {next:?}");
                for n in &left {
                    assert!(
                        n.starts_with(".bundle.") && n.ends_with(".tmp"),
                        "{fp}: {n}"
                    );
                    assert_eq!(mode(&w.path(n)), 0o700);
                    assert!(
                        next.stderr.contains(&format!(
                            "{} was left by an interrupted `layout`",
                            w.path(n).display()
                        )),
                        "{fp}: {next:?}"
                    );
                    assert!(w.path(n).is_dir(), "{fp}: {n} is left alone");
                    named += 1;
                    std::fs::remove_dir_all(w.path(n)).unwrap();
                }
            }
        }
    }
    assert!(
        named >= 2,
        "kills during generate and write leave a temp directory"
    );
    // Killed right after the rename: the bundle is complete.
    let run = w.layout_env(
        &[&FAST[..], &["--out", "bundle"]].concat(),
        &[("ESAC_FAILPOINT", "abort-after:bundle_rename")],
    );
    assert_ne!(run.code, 0);
    assert_eq!(w.manifest("bundle").instances.len(), 3);
}

#[test]
fn layout_never_replaces_or_follows_what_is_at_out() {
    let w = Work::new(THREE);
    std::fs::create_dir(w.path("bundle")).unwrap();
    let run = w.layout(&[&FAST[..], &["--out", "bundle"]].concat());
    assert_eq!(run.code, 73, "{run:?}");
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), w.path("link")).unwrap();
    let run = w.layout(&[&FAST[..], &["--out", "link", "--format", "json"]].concat());
    assert_eq!(run.code, 73, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["reason"]["code"], "output_exists");
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    // A dry run writes nothing and names every file.
    let run = w.layout(&[&FAST[..], &["--out", "new", "--dry-run"]].concat());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!w.path("new").exists());
    assert!(run.stdout.contains("new/es03/secrets.keystore"), "{run:?}");
}

#[test]
fn usage_errors_are_64_and_write_nothing() {
    let w = Work::new(THREE);
    for (args, says) in [
        (vec!["--masters", "es09"], "not an instance"),
        (vec!["--seed-address", "es01"], "NAME=HOST"),
        (
            vec!["--masters", "es01", "--seed-address", "es02=h"],
            "not master-eligible",
        ),
        (vec!["--seed-address", "es01=h:0"], "valid port"),
    ] {
        let run = w.layout(&[&FAST[..], &["--out", "bundle"], &args[..]].concat());
        assert_eq!(run.code, 64, "{args:?}: {run:?}");
        assert!(run.stderr.contains(says), "{args:?}: {run:?}");
        assert!(!w.path("bundle").exists());
    }
    let lone = Work::new("instances:\n  - name: lone\n    ip: [127.0.0.1]\n    dns: [localhost]\n");
    let run = lone.layout(&[&FAST[..], &["--out", "bundle"]].concat());
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run
        .stderr
        .contains("no transport address for master-eligible instance lone"));
    let run = lone.layout(
        &[
            &FAST[..],
            &["--out", "bundle", "--seed-address", "lone=10.1.1.1"],
        ]
        .concat(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(lone.manifest("bundle").seed_hosts, ["10.1.1.1:9300"]);
    let missing = Work::new(THREE);
    std::fs::remove_file(missing.path("instances.yml")).unwrap();
    assert_eq!(missing.layout(&["--out", "b"]).code, 66);
}

#[test]
fn shared_transport_key_gives_every_node_enrollment_s_shape() {
    let w = Work::new(THREE);
    let run = w.layout(&[&FAST[..], &["--out", "bundle", "--shared-transport-key"]].concat());
    assert_eq!(run.code, 0, "{run:?}");
    let m = w.manifest("bundle");
    assert!(m.shared_transport_key);
    assert!(m
        .instances
        .iter()
        .all(|i| i.transport_sha256 == m.instances[0].transport_sha256));
    assert!(m.instances.iter().all(|i| i.transport_subject == "CN=es01"));
    let (home, run) = w.apply("bundle", "es02", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&home.config(), &[]);
}

#[test]
fn ca_dir_adds_nodes_to_the_cluster_of_an_earlier_bundle() {
    let w = Work::new(THREE);
    std::fs::write(w.path("pass"), "pw\n").unwrap();
    let pass = w.path("pass");
    let pass = pass.to_str().unwrap();
    assert_eq!(
        w.layout(
            &[
                &FAST[..],
                &["--out", "first", "--bundle-passphrase-file", pass]
            ]
            .concat()
        )
        .code,
        0
    );
    std::fs::write(
        w.path("instances.yml"),
        "instances:\n  - name: data1\n    dns: [data1.example]\n",
    )
    .unwrap();
    let run = w.layout(&[&FAST[..], &["--out", "later", "--ca-dir", "first/ca"]].concat());
    assert_eq!(
        run.code, 64,
        "the earlier CAs need their passphrase: {run:?}"
    );
    let run = w.layout(
        &[
            &FAST[..],
            &[
                "--out",
                "later",
                "--ca-dir",
                "first/ca",
                "--bundle-passphrase-file",
                pass,
            ],
        ]
        .concat(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    let (first, later) = (w.manifest("first"), w.manifest("later"));
    assert_eq!(later.http_ca, first.http_ca);
    assert_eq!(later.transport_ca, first.transport_ca);
    assert_eq!(later.masters, first.masters);
    assert_eq!(later.seed_hosts, first.seed_hosts);
    assert!(!later.bootstrap);
    let node = w.node("later", "data1");
    assert!(node.initial_master_nodes.is_empty() && !node.master);
    let (home, run) = w.apply("later", "data1", &["--bundle-passphrase-file", pass]);
    assert_eq!(run.code, 0, "{run:?}");
    let yml = std::fs::read_to_string(home.yml()).unwrap();
    assert!(!yml.contains("cluster.initial_master_nodes"), "{yml}");
    assert!(yml.contains("\ntransport.host: 0.0.0.0\n"), "{yml}");
    let run = w.layout(
        &[
            &FAST[..],
            &["--out", "x", "--ca-dir", "first/ca", "--masters", "data1"],
        ]
        .concat(),
    );
    assert_eq!(run.code, 64, "{run:?}");
}

#[test]
fn json_output_mirrors_bundle_json() {
    let w = Work::new(THREE);
    let run = w.layout(&[&FAST[..], &["--out", "bundle", "--format", "json"]].concat());
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["command"], "layout");
    assert_eq!(doc["exit_code"], 0);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("bundle/bundle.json")).unwrap()).unwrap();
    assert_eq!(doc["bundle"], file);
    assert!(doc["notes"][0].as_str().unwrap().starts_with("WARNING"));
    // Node manifests hold certificates, never a key or a password.
    for n in ["es01", "es02", "es03"] {
        let text = std::fs::read_to_string(w.path("bundle").join(n).join("node.json")).unwrap();
        assert!(
            !text.contains("PRIVATE KEY") && !text.contains("password"),
            "{text}"
        );
    }
    let run = w.layout(
        &[
            &FAST[..],
            &["--out", "plan", "--format", "json", "--dry-run"],
        ]
        .concat(),
    );
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(doc["plan"]["keys"], 8);
    assert_eq!(
        doc["plan"]["nodes"][2]["certificates"][0]["sans"][1],
        "CN:es03-cn"
    );
    // What the dry run lists is what the real run wrote, mode included.
    let mut planned: Vec<(String, u64)> = doc["plan"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = f["path"].as_str().unwrap();
            let rel = p.strip_prefix(w.path("plan").to_str().unwrap()).unwrap();
            (
                rel.trim_start_matches('/').to_owned(),
                f["mode"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut written: Vec<(String, u64)> = Tree::of(&w.path("bundle"))
        .0
        .into_iter()
        .filter(|(_, e)| e.kind == "file")
        .map(|(p, e)| (p.to_string_lossy().into_owned(), u64::from(e.mode & 0o7777)))
        .collect();
    planned.sort();
    written.sort();
    assert_eq!(planned, written);
}

#[test]
fn an_interrupted_layout_removes_what_it_had_made() {
    let w = Work::new(THREE);
    let mut cmd = ES_AUTOCONF.command();
    let child = cmd
        .current_dir(w.dir.path())
        .args(["layout", "--in", "instances.yml", "--out", "bundle"])
        .args(FAST)
        .env("ESAC_FAILPOINT", "pause:bundle_write")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The pause is two seconds before the files are written, once the temp directory exists.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !std::fs::read_dir(w.dir.path())
        .unwrap()
        .any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no temp directory appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 130, "{run:?}");
    assert!(run.stderr.contains("interrupted by signal 2"), "{run:?}");
    let left: Vec<String> = std::fs::read_dir(w.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["instances.yml"]);
}

#[cfg(feature = "interop")]
mod jdk {
    //! The JDK (`tests/java/BundleTls.java`) checks the TLS a laid-out cluster relies on.

    use std::path::Path;
    use std::process::Command;
    use std::time::Duration;

    use esac_testkit::tools::{require_tool, run_tool, success, text};
    use esac_testkit::Home;

    use super::{Work, FAST, THREE};
    use crate::common::keystore_show;

    const TRANSPORT_PW: &str = "xpack.security.transport.ssl.keystore.secure_password";
    const HTTP_PW: &str = "xpack.security.http.ssl.keystore.secure_password";

    fn bundle_tls(args: &[&str], passwords: &[String]) -> std::process::Output {
        let java = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/BundleTls.java");
        let mut cmd = Command::new(require_tool("java"));
        cmd.arg(java).args(args);
        for (i, pw) in passwords.iter().enumerate() {
            cmd.env(format!("P12_PASSWORD_{i}"), pw);
        }
        run_tool(&mut cmd, b"", Duration::from_secs(300))
    }

    fn p12(home: &Home, name: &str) -> String {
        home.config()
            .join("certs")
            .join(name)
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Every ordered pair of homes completes mutual TLS with its own `transport.p12`.
    pub fn transport_between_every_pair(homes: &[Home]) {
        let files: Vec<String> = homes.iter().map(|h| p12(h, "transport.p12")).collect();
        let pws: Vec<String> = homes
            .iter()
            .map(|h| keystore_show(&h.config(), TRANSPORT_PW, &[]))
            .collect();
        let mut args = vec!["transport"];
        args.extend(files.iter().map(String::as_str));
        let out = success("JDK mutual TLS", &bundle_tls(&args, &pws));
        assert_eq!(
            out.matches("OK node").count(),
            homes.len() * (homes.len() - 1),
            "{out}"
        );
    }

    #[test]
    fn a_transport_p12_from_another_bundle_fails_both_ways() {
        let w = Work::new(THREE);
        for b in ["a", "b"] {
            assert_eq!(w.layout(&[&FAST[..], &["--out", b]].concat()).code, 0);
        }
        let (mine, run) = w.apply("a", "es01", &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let (foreign, run) = w.apply("b", "es02", &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let pws = [
            keystore_show(&mine.config(), TRANSPORT_PW, &[]),
            keystore_show(&foreign.config(), TRANSPORT_PW, &[]),
        ];
        let out = bundle_tls(
            &[
                "foreign",
                &p12(&mine, "transport.p12"),
                &p12(&foreign, "transport.p12"),
            ],
            &pws,
        );
        let shown = text(&out);
        assert!(out.status.success(), "{shown}");
        assert_eq!(shown.matches("OK node").count(), 2, "{shown}");
        assert!(shown.contains("PKIX"), "{shown}");
    }

    #[test]
    fn an_https_client_trusting_the_bundle_ca_verifies_every_listed_name_only() {
        let w = Work::new(THREE);
        assert_eq!(
            w.layout(&[&FAST[..], &["--out", "bundle"]].concat()).code,
            0
        );
        for (node, good, bad) in [
            (
                "es01",
                "es01.example,10.0.0.1,localhost,127.0.0.1,::1",
                "es02.example,10.0.0.2,es01",
            ),
            (
                "es03",
                "es03.example,localhost",
                "es03-cn,es01.example,10.0.0.1",
            ),
        ] {
            let (home, run) = w.apply("bundle", node, &[]);
            assert_eq!(run.code, 0, "{run:?}");
            let ca = w.path("bundle/ca/http_ca.crt");
            let out = bundle_tls(
                &[
                    "https",
                    &p12(&home, "http.p12"),
                    ca.to_str().unwrap(),
                    good,
                    bad,
                ],
                &[keystore_show(&home.config(), HTTP_PW, &[])],
            );
            let shown = success("JDK HTTPS names", &out);
            assert_eq!(
                shown.matches("OK name").count(),
                good.split(',').count() + bad.split(',').count(),
                "{shown}"
            );
        }
    }

    /// certutil's DN name (`DC` twice): the certificate whose subject was replaced and signed
    /// again is one the JDK verifies.
    #[test]
    fn a_dn_subject_certificate_verifies_with_the_jdk() {
        let example = std::fs::read_to_string(super::data("certutil-example.yml")).unwrap();
        let w = Work::new(&example);
        assert_eq!(w.layout(&[&FAST[..], &["--out", "b"]].concat()).code, 0);
        let (home, run) = w.apply("b", "node5", &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let ca = w.path("b/ca/http_ca.crt");
        let out = bundle_tls(
            &[
                "https",
                &p12(&home, "http.p12"),
                ca.to_str().unwrap(),
                "node5.mydomain.com,localhost",
                "node1.mydomain.com",
            ],
            &[keystore_show(&home.config(), HTTP_PW, &[])],
        );
        let shown = success("JDK HTTPS, DN subject", &out);
        assert_eq!(shown.matches("OK name").count(), 3, "{shown}");
    }
}
