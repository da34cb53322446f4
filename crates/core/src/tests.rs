//! Table-driven tests of the pure layer: one row per check of spec §1.2 and per exception of
//! §1.2.1 / §1.2.2, and the byte-exact yml block of §4.2.

use esac_settings::Settings;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use esac_certspec::KeyType;

use crate::decide::{decide, decide_reconfigure, Decision, Mode};
use crate::facts::{DataDir, DataDirState, DirOwner, Facts, FileKind};
use crate::plan::{Action, Existing, ModeRule, Operation, OwnerRule, StepId, Undo};
use crate::planner::{
    keystore_format, plan_enroll, plan_initial, plan_reconfigure, reconfigure_base, san_inputs,
    InitOptions, PASSWORD_HASH_SETTING,
};
use crate::yml::{java_lines, patched_yml, render_block, BlockInputs};
use crate::{EsExit, Reason};

fn no_env(_: &str) -> Option<String> {
    None
}

fn facts(yml: &str) -> Facts {
    let mut s = Settings::from_yaml(yml, "elasticsearch.yml", &no_env).unwrap();
    s.set_default("node.name", esac_settings::Value::Scalar("node-1".into()));
    Facts::fresh("/es", s)
}

fn skip_of(f: &Facts, mode: Mode) -> Option<(EsExit, Reason)> {
    match decide(f, mode) {
        Decision::Skip(s) | Decision::Fail(s) => Some((s.exit, s.reason)),
        Decision::Proceed => None,
    }
}

#[test]
fn settings_rows_in_order() {
    use EsExit::*;
    use Reason::*;
    let table: &[(&str, Option<(EsExit, Reason)>)] = &[
        ("", None),
        ("cluster.name: my-app\n", None),
        (
            "xpack.security.autoconfiguration.enabled: false\n",
            Some((Noop, AutoconfigurationDisabled)),
        ),
        ("xpack.security.autoconfiguration.enabled: true\n", None),
        (
            "xpack.security.autoconfiguration.enabled: maybe\n",
            Some((Config, InvalidSetting)),
        ),
        (
            "xpack.security.enabled: true\n",
            Some((Noop, SecurityAlreadyConfigured)),
        ),
        (
            "xpack.security.enabled: false\n",
            Some((Noop, SecurityAlreadyConfigured)),
        ),
        (
            "xpack.security.enabled:\n",
            Some((Noop, SecurityAlreadyConfigured)),
        ),
        (
            "xpack:\n  security:\n    enabled: true\n",
            Some((Noop, SecurityAlreadyConfigured)),
        ),
        (
            "xpack.security.transport.ssl.enabled: true\n",
            Some((Noop, TlsAlreadyConfigured)),
        ),
        (
            "xpack.security.http.ssl:\n  keystore.path: x.p12\n",
            Some((Noop, TlsAlreadyConfigured)),
        ),
        ("xpack.security.http.ssl_not: 1\n", None),
        // 6a comes before 6b.
        (
            "xpack.security.autoconfiguration.enabled: false\nxpack.security.enabled: true\n",
            Some((Noop, AutoconfigurationDisabled)),
        ),
        // 6b before 6c.
        (
            "xpack.security.enabled: true\nxpack.security.http.ssl.enabled: true\n",
            Some((Noop, SecurityAlreadyConfigured)),
        ),
        // 1.2.1 initial cluster node.
        ("discovery.type: single-node\n", None),
        (
            "discovery.type: single-node\ndiscovery.seed_hosts: [a, b]\n",
            None,
        ),
        ("discovery.type: multi-node\n", None),
        (
            "discovery.seed_hosts: [\"10.0.0.2\"]\n",
            Some((Noop, MultiNodeCluster)),
        ),
        (
            "discovery.seed_providers: file\n",
            Some((Noop, MultiNodeCluster)),
        ),
        (
            "cluster.initial_master_nodes: [\"node-1\", \"node-2\"]\n",
            Some((Noop, MultiNodeCluster)),
        ),
        (
            "cluster.initial_master_nodes: [\"node-2\"]\n",
            Some((Noop, MultiNodeCluster)),
        ),
        ("cluster.initial_master_nodes: [\"node-1\"]\n", None),
        ("cluster.initial_master_nodes: node-1\n", None),
        // Rule 3 ignores seed hosts.
        (
            "cluster.initial_master_nodes: [\"node-1\"]\ndiscovery.seed_hosts: [h]\n",
            None,
        ),
        (
            "node.name: es-a\ncluster.initial_master_nodes: [\"es-a\"]\n",
            None,
        ),
        (
            "node.name: es-a\ncluster.initial_master_nodes: [\"node-1\"]\n",
            Some((Noop, MultiNodeCluster)),
        ),
        // 1.2.2 roles.
        ("node.roles: [master, data]\n", None),
        ("node.roles: [master, data_hot]\n", None),
        ("node.roles: [master, data_frozen, ingest]\n", None),
        ("node.roles: [data]\n", Some((Noop, CannotBecomeMaster))),
        (
            "node.roles: [master, voting_only, data]\n",
            Some((Noop, CannotBecomeMaster)),
        ),
        ("node.roles: []\n", Some((Noop, CannotBecomeMaster))),
        ("node.roles: [master]\n", Some((Noop, CannotContainData))),
        (
            "node.roles: [master, ingest, ml]\n",
            Some((Noop, CannotContainData)),
        ),
        ("node.roles: master, data_content\n", None),
    ];
    for (yml, want) in table {
        assert_eq!(skip_of(&facts(yml), Mode::Initial), *want, "yml: {yml:?}");
    }
}

#[test]
fn role_checks_are_skipped_when_enrolling() {
    assert_eq!(skip_of(&facts("node.roles: [data]\n"), Mode::Enroll), None);
    assert_eq!(
        skip_of(&facts("node.roles: [master]\n"), Mode::Enroll),
        None
    );
    assert_eq!(
        skip_of(&facts("xpack.security.enabled: true\n"), Mode::Enroll),
        Some((EsExit::Noop, Reason::SecurityAlreadyConfigured))
    );
}

#[test]
fn file_rows_come_first_in_order() {
    let base = facts("xpack.security.enabled: true\n");
    let mut f = base.clone();
    f.data_dirs = vec![
        DataDir {
            path: "/d1".into(),
            state: DataDirState::Empty,
        },
        DataDir {
            path: "/d2".into(),
            state: DataDirState::NotEmpty,
        },
    ];
    f.yml = FileKind::Missing;
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::Noop, Reason::DataDirNotEmpty))
    );

    let mut f = base.clone();
    f.yml = FileKind::NotRegular;
    f.keystore = FileKind::NotRegular;
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::Config, Reason::YmlMissingOrNotRegular))
    );
    f.yml = FileKind::Missing;
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::Config, Reason::YmlMissingOrNotRegular))
    );
    f.yml = FileKind::UnreadableFile;
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::Noop, Reason::YmlUnreadable))
    );
    f.yml = FileKind::ReadableFile;
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::Noop, Reason::KeystoreNotReadable))
    );
    f.keystore = FileKind::UnreadableFile;
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::Noop, Reason::KeystoreNotReadable))
    );
    f.keystore = FileKind::ReadableFile;
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::Noop, Reason::SecurityAlreadyConfigured))
    );

    let mut f = facts("");
    f.data_dirs = vec![DataDir {
        path: "/d".into(),
        state: DataDirState::Unlistable("denied".into()),
    }];
    assert_eq!(
        skip_of(&f, Mode::Initial),
        Some((EsExit::IoError, Reason::DataDirUnlistable))
    );
}

#[test]
fn messages_are_elasticsearchs() {
    let mut f = facts("");
    f.yml = FileKind::UnreadableFile;
    let Decision::Skip(s) = decide(&f, Mode::Initial) else {
        panic!()
    };
    assert_eq!(
        s.message,
        "Skipping security auto configuration because the current user does not have permission to read  configuration file [/es/config/elasticsearch.yml]"
    );
}

fn inputs() -> BlockInputs {
    BlockInputs {
        node_name: Some("node-1".into()),
        seed_hosts: None,
        transport_host_uncommented: false,
        timestamp: "23-11-2026 10:11:12".into(),
    }
}

const STOCK_BLOCK: &str = "
#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------
#
# The following settings, TLS certificates, and keys have been automatically      
# generated to configure Elasticsearch security features on 23-11-2026 10:11:12
#
# --------------------------------------------------------------------------------

# Enable security features
xpack.security.enabled: true

xpack.security.enrollment.enabled: true

# Enable encryption for HTTP API client connections, such as Kibana, Logstash, and Agents
xpack.security.http.ssl:
  enabled: true
  keystore.path: certs/http.p12

# Enable encryption and mutual authentication between cluster nodes
xpack.security.transport.ssl:
  enabled: true
  verification_mode: certificate
  keystore.path: certs/transport.p12
  truststore.path: certs/transport.p12
# Create a new cluster with the current node only
# Additional nodes can still join the cluster later
cluster.initial_master_nodes: [\"node-1\"]

# Allow HTTP API connections from anywhere
# Connections are encrypted and require user authentication
http.host: 0.0.0.0

# Allow other nodes to join the cluster from anywhere
# Connections are encrypted and mutually authenticated
#transport.host: 0.0.0.0

#----------------------- END SECURITY AUTO CONFIGURATION -------------------------
";

#[test]
fn stock_block_is_byte_exact() {
    let got = render_block(&Settings::default(), &inputs());
    assert_eq!(got, STOCK_BLOCK);
    assert_eq!(crate::yml::START_MARKER.len(), 82);
    assert_eq!(crate::yml::END_MARKER.len(), 82);
}

#[test]
fn block_without_optional_parts_ends_right_after_truststore() {
    let s = Settings::from_yaml(
        "discovery.type: single-node\nnetwork.host: 10.0.0.1\nxpack.security.enrollment.enabled: false\n",
        "f",
        &no_env,
    )
    .unwrap();
    let got = render_block(&s, &inputs());
    assert!(got.ends_with("  truststore.path: certs/transport.p12\n#----------------------- END SECURITY AUTO CONFIGURATION -------------------------\n"), "{got}");
    assert!(!got.contains("xpack.security.enrollment.enabled"));
    assert!(
        !got.contains("http.host")
            && !got.contains("transport.host")
            && !got.contains("initial_master_nodes")
    );
}

#[test]
fn http_host_set_drops_only_the_http_block() {
    let s = Settings::from_yaml("http.host: 127.0.0.1\n", "f", &no_env).unwrap();
    let got = render_block(&s, &inputs());
    assert!(!got.contains("http.host: 0.0.0.0"));
    assert!(
        got.contains("cluster.initial_master_nodes: [\"node-1\"]\n\n# Allow other nodes"),
        "{got}"
    );
    let s = Settings::from_yaml("transport.host: 127.0.0.1\n", "f", &no_env).unwrap();
    let got = render_block(&s, &inputs());
    assert!(
        got.contains("http.host: 0.0.0.0\n\n#----------------------- END"),
        "{got}"
    );
}

#[test]
fn enrollment_block_has_seed_hosts_and_may_uncomment_transport_host() {
    let mut i = inputs();
    i.seed_hosts = Some(vec!["10.0.0.1:9300".into(), "[::1]:9300".into()]);
    i.transport_host_uncommented = true;
    let got = render_block(&Settings::default(), &i);
    assert!(got.contains("  truststore.path: certs/transport.p12\n# Discover existing nodes in the cluster\ndiscovery.seed_hosts: [\"10.0.0.1:9300\", \"[::1]:9300\"]\n\n# Allow HTTP"), "{got}");
    assert!(got.contains("\ntransport.host: 0.0.0.0\n"));
    assert!(!got.contains("initial_master_nodes"));
}

#[test]
fn patched_yml_keeps_lines_and_normalises_endings() {
    assert_eq!(patched_yml("a: 1\r\nb: 2", "X"), "a: 1\nb: 2\nX");
    assert_eq!(patched_yml("a: 1\n", "X"), "a: 1\nX");
    assert_eq!(patched_yml("", "X"), "X");
    assert_eq!(java_lines("a\rb\n\nc"), vec!["a", "b", "", "c"]);
}

/// A plan keeps an appended yml as the original plus a suffix; that suffix must give exactly
/// what Java's line reading gives, and there must be none where the two differ.
#[test]
fn patch_suffix_is_what_patched_yml_appends() {
    let block = "\n#---- BEGIN ----\nx: 1\n";
    let mut next = crate::fuzzing::xorshift(0x5eed_cafe);
    let alphabet = ['a', ':', ' ', '\n', '\r', '#', 'é', '\u{2028}', '\t'];
    let mut texts: Vec<String> = ["", "\n", "\n\n", "a", "a: 1", "a: 1\n", "a\n\n\n", "a\r\nb"]
        .map(String::from)
        .to_vec();
    for _ in 0..2000 {
        let len = next() % 12;
        texts.push(
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect(),
        );
    }
    for t in &texts {
        match crate::yml::patch_suffix(t, block) {
            Some(suffix) => assert_eq!(format!("{t}{suffix}"), patched_yml(t, block), "{t:?}"),
            None => assert!(t.contains('\r'), "{t:?}"),
        }
    }
    assert_eq!(crate::yml::patch_suffix("a", "B").as_deref(), Some("\nB"));
    assert_eq!(crate::yml::patch_suffix("a\r\n", "B"), None);
}

fn opts() -> InitOptions {
    InitOptions {
        now: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        key_type: KeyType::Rsa4096,
        keystore_format: None,
        elastic_password: false,
        group: None,
    }
}

fn ids(p: &crate::Plan) -> Vec<StepId> {
    p.steps.iter().map(|s| s.id).collect()
}

#[test]
fn an_initial_plan_is_elasticsearchs_steps_in_order() {
    let p = plan_initial(&facts(""), &opts());
    use StepId::*;
    assert_eq!(
        ids(&p),
        [
            Journal,
            StagingDir,
            OwnerCheck,
            Generate,
            WriteHttpCa,
            KeystoreOpen,
            WriteTransportP12,
            WriteHttpP12,
            KeystoreSave,
            RenameStaging,
            WriteYml,
            Cleanup
        ]
    );
    assert_eq!(p.operation, Operation::Initial);
    // Every step's path comes from the layout, with the run's epoch.
    let Action::CreateDir { path, mode, owner } = &p.step(StagingDir).unwrap().action else {
        panic!()
    };
    assert_eq!(path.as_str(), "certs.1700000000.tmp");
    assert_eq!((*mode, *owner), (0o750, OwnerRule::Runner { gid: None }));
    let files: Vec<String> = p
        .written_files()
        .iter()
        .map(|(path, _)| path.as_str().to_owned())
        .collect();
    assert_eq!(
        files,
        [
            "certs/http_ca.crt",
            "certs/transport.p12",
            "certs/http.p12",
            "elasticsearch.keystore",
            "elasticsearch.yml"
        ]
    );
    let Action::Commit(yml) = &p.step(WriteYml).unwrap().action else {
        panic!()
    };
    assert_eq!(yml.mode, ModeRule::KeepReplaced);
    assert_eq!(yml.temp.as_str(), ".elasticsearch.yml.1700000000.tmp");
    // Undo, step by step (spec §5).
    assert_eq!(
        p.step(StagingDir).unwrap().action.undo(),
        Undo::RemoveDir(p.layout.staging())
    );
    assert_eq!(p.step(WriteYml).unwrap().action.undo(), Undo::Nothing);
    let Action::WriteFile(ks) = &p.step(KeystoreSave).unwrap().action else {
        panic!()
    };
    assert_eq!(ks.existing, Existing::Absent);
    assert_eq!(
        p.step(KeystoreSave).unwrap().action.undo(),
        Undo::RemoveFile(p.layout.keystore())
    );
    let y = p.yml().unwrap();
    let crate::plan::YmlChange::Append { block, .. } = &y.change else {
        panic!()
    };
    assert!(y.after().starts_with(&*y.before));
    assert!(y.after().ends_with(block.as_str()));
    assert!(block
        .contains("generated to configure Elasticsearch security features on 14-11-2023 22:13:20"));
}

#[test]
fn existing_keystore_and_certs_add_backup_and_move_steps() {
    let mut f = facts("");
    f.certs_dir_exists = true;
    f.keystore = FileKind::ReadableFile;
    f.keystore_version = Some(4);
    f.interface_addresses = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
    let p = plan_initial(&f, &opts());
    assert!(ids(&p).contains(&StepId::KeystoreBackup));
    assert!(ids(&p).contains(&StepId::MoveCerts));
    assert_eq!(
        p.step(StepId::KeystoreBackup).unwrap().action.undo(),
        Undo::RestoreBackup {
            target: p.layout.keystore(),
            backup: p.layout.keystore_backup()
        }
    );
    assert_eq!(
        p.layout.keystore_backup().as_str(),
        "elasticsearch.keystore.1700000000.orig"
    );
    assert_eq!(
        p.step(StepId::Cleanup).unwrap().action,
        Action::Cleanup(vec![p.layout.keystore_backup()])
    );
    assert_eq!(p.keystore().unwrap().format_version, 5);
    assert_eq!(p.keystore().unwrap().add.len(), 3);
    let http = p
        .certificates()
        .unwrap()
        .get(esac_certspec::CertRole::Http)
        .unwrap();
    let sans: Vec<String> = http.sans.iter().map(ToString::to_string).collect();
    assert_eq!(
        sans,
        ["IP:127.0.0.1", "IP:::1", "DNS:localhost", "DNS:node-1"]
    );
    let text = crate::render::plan_text(&p);
    assert!(text.contains("xpack.security.http.ssl.keystore.secure_password = <generated>"));
    assert!(text.contains("certs.1700000000.tmp  mode 0750"), "{text}");
    let mut f2 = f.clone();
    f2.es_version = Some((8, 13, 4));
    assert_eq!(keystore_format(&f2, None).0, 5);
    f2.es_version = Some((9, 1, 0));
    assert_eq!(keystore_format(&f2, None).0, 6);
    assert_eq!(keystore_format(&f2, Some(5)).0, 5);
}

#[test]
fn a_generated_password_adds_its_hash() {
    let p = plan_initial(
        &facts(""),
        &InitOptions {
            elastic_password: true,
            ..opts()
        },
    );
    assert!(p
        .keystore()
        .unwrap()
        .add
        .iter()
        .any(|(name, _)| *name == PASSWORD_HASH_SETTING));
    // Enrollment never generates one: the cluster has its password.
    let e = plan_enroll(
        &facts(""),
        &InitOptions {
            elastic_password: true,
            ..opts()
        },
        crate::plan::EnrollmentPlan {
            token_addresses: vec!["10.0.0.1:9200".into()],
            seed_hosts: Some(vec!["10.0.0.1:9300".into()]),
            transport_host_uncommented: true,
        },
    );
    assert!(!e.generates_password());
    assert_eq!(e.keystore().unwrap().add.len(), 3);
    let after = e.yml().unwrap().after();
    assert!(after.contains("discovery.seed_hosts: [\"10.0.0.1:9300\"]\n"));
    assert!(after.contains("\ntransport.host: 0.0.0.0\n"));
    let generated: Vec<_> = e
        .certificates()
        .unwrap()
        .generated()
        .map(|c| c.role)
        .collect();
    assert_eq!(generated, [esac_certspec::CertRole::Http]);
}

#[test]
fn the_group_of_a_setgid_config_dir_goes_to_everything_created() {
    let mut f = facts("");
    f.config_owner = Some(DirOwner {
        uid: 0,
        gid: 998,
        setgid: true,
    });
    let p = plan_initial(&f, &opts());
    let Action::CreateDir { owner, .. } = &p.step(StepId::StagingDir).unwrap().action else {
        panic!()
    };
    assert_eq!(*owner, OwnerRule::Runner { gid: Some(998) });
    let Action::Commit(yml) = &p.step(StepId::WriteYml).unwrap().action else {
        panic!()
    };
    assert_eq!(yml.owner, OwnerRule::KeepReplaced { gid: None });
    // Not setgid: nothing is imposed.
    f.config_owner = Some(DirOwner {
        uid: 0,
        gid: 998,
        setgid: false,
    });
    let p = plan_initial(&f, &opts());
    let Action::CreateDir { owner, .. } = &p.step(StepId::StagingDir).unwrap().action else {
        panic!()
    };
    assert_eq!(*owner, OwnerRule::Runner { gid: None });
}

#[test]
fn reconfigure_removes_the_old_settings_and_certs() {
    let original = "cluster.name: prod\n";
    let block = render_block(&Settings::default(), &inputs());
    let mut f = facts("");
    f.yml_text = Some(Arc::new(patched_yml(original, &block)));
    assert_eq!(
        reconfigure_base(&f),
        Err(crate::planner::NotReconfigurable::NotAutoConfigured),
        "no certs/"
    );
    f.certs_dir_exists = true;
    f.certs_group = Some(997);
    f.keystore = FileKind::ReadableFile;
    let base = reconfigure_base(&f).unwrap();
    assert_eq!(base, original);
    let p = plan_reconfigure(
        &f,
        &opts(),
        crate::plan::EnrollmentPlan {
            token_addresses: vec!["10.0.0.1:9200".into()],
            seed_hosts: Some(vec!["10.0.0.1:9300".into()]),
            transport_host_uncommented: false,
        },
        base,
    );
    assert_eq!(p.operation, Operation::Reconfigure);
    let after = p.yml().unwrap().after();
    assert!(after.starts_with(original));
    assert_eq!(
        after.matches("BEGIN SECURITY AUTO CONFIGURATION").count(),
        1
    );
    assert_eq!(p.keystore().unwrap().remove.len(), 4);
    assert_eq!(p.keystore().unwrap().require.len(), 3);
    assert_eq!(
        p.step(StepId::Cleanup).unwrap().action,
        Action::Cleanup(vec![p.layout.keystore_backup(), p.layout.certs_backup()])
    );
    let Action::CreateDir { owner, .. } = &p.step(StepId::StagingDir).unwrap().action else {
        panic!()
    };
    assert_eq!(*owner, OwnerRule::Runner { gid: Some(997) });
    let mut g = f.clone();
    g.data_dirs[0].state = DataDirState::NotEmpty;
    assert!(
        matches!(decide_reconfigure(&g), Decision::Fail(s) if s.reason == Reason::DataDirNotEmpty)
    );
}

#[test]
fn enrollment_makes_every_skip_fatal() {
    let f = facts("xpack.security.enabled: true\n");
    assert!(matches!(decide(&f, Mode::Initial), Decision::Skip(_)));
    assert!(matches!(decide(&f, Mode::Enroll), Decision::Fail(_)));
}

#[test]
fn publish_hosts_become_sans_but_bind_hosts_do_not() {
    let mut f = facts("network.publish_host: 203.0.113.5\nhttp.publish_host: es.example.com\nhttp.host: 10.10.10.100\nnetwork.host: 172.168.1.100\n");
    f.hostname = "box".into();
    let sans: Vec<String> = san_inputs(&f)
        .entries()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        sans,
        vec![
            "DNS:localhost",
            "DNS:box",
            "IP:203.0.113.5",
            "DNS:es.example.com"
        ]
    );
}

#[test]
fn reason_codes_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for r in Reason::ALL {
        assert!(seen.insert(r.as_str()), "{r:?}");
        assert!(r
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
    }
}

#[test]
fn strip_removes_our_block_and_keeps_user_settings() {
    let original = "cluster.name: prod\n# my comment\n";
    let block = render_block(&Settings::default(), &inputs());
    let patched = patched_yml(original, &block);
    let stripped = crate::yml::strip_autoconfiguration(&patched)
        .unwrap()
        .unwrap();
    assert_eq!(stripped, "cluster.name: prod\n# my comment\n");

    // A setting the operator added inside the block survives, re-appended at the end.
    let edited = patched.replace(
        "http.host: 0.0.0.0\n",
        "http.host: 0.0.0.0\nhttp.port: 9201\n",
    );
    let stripped = crate::yml::strip_autoconfiguration(&edited)
        .unwrap()
        .unwrap();
    assert_eq!(
        stripped,
        "cluster.name: prod\n# my comment\nhttp.port: 9201\n"
    );
    assert_eq!(crate::yml::strip_autoconfiguration("a: b\n").unwrap(), None);
}

/// review-security.md L1: values from the cluster's answer or the node name never add settings
/// to the block; they read back as themselves. Ordinary values stay byte-identical.
#[test]
fn hostile_seed_hosts_and_node_names_stay_inside_their_quotes() {
    use crate::yml::double_quoted;
    assert_eq!(double_quoted("10.0.0.1:9300"), "\"10.0.0.1:9300\"");
    assert_eq!(double_quoted("[::1]:9300"), "\"[::1]:9300\"");
    assert_eq!(double_quoted("${HOSTNAME}"), "\"${HOSTNAME}\"");
    assert_eq!(double_quoted("nœud-ü"), "\"nœud-ü\"");
    assert_eq!(
        double_quoted("a\"]\nb: c\\\r\u{85}\u{2028}\u{1b}"),
        "\"a\\\"]\\u000Ab: c\\\\\\u000D\\u0085\\u2028\\u001B\""
    );
    let hostile = [
        "10.0.0.1:9300\"]\nxpack.security.authc.anonymous.roles: superuser\n#",
        "a\\\"]\r\nhttp.port: 1",
        "x\u{2028}y: z",
        "x\u{85}y: z",
    ];
    for value in hostile {
        for enrolling in [true, false] {
            let mut i = inputs();
            if enrolling {
                i.seed_hosts = Some(vec![value.into(), "10.0.0.2:9300".into()]);
            } else {
                i.node_name = Some(value.into());
            }
            let block = render_block(&Settings::default(), &i);
            let parsed = Settings::from_yaml(&block, "block", &no_env).unwrap();
            let (key, expected) = if enrolling {
                (
                    "discovery.seed_hosts",
                    vec![value.to_owned(), "10.0.0.2:9300".to_owned()],
                )
            } else {
                ("cluster.initial_master_nodes", vec![value.to_owned()])
            };
            assert_eq!(
                parsed.get(key),
                Some(&esac_settings::Value::List(expected)),
                "{block}"
            );
            // The same settings as with an ordinary value, nothing more.
            let mut plain = inputs();
            if enrolling {
                plain.seed_hosts = Some(vec!["10.0.0.1:9300".into()]);
            }
            let expected_keys: Vec<String> = Settings::from_yaml(
                &render_block(&Settings::default(), &plain),
                "block",
                &no_env,
            )
            .unwrap()
            .iter()
            .map(|(k, _)| k.to_owned())
            .collect();
            let keys: Vec<String> = parsed.iter().map(|(k, _)| k.to_owned()).collect();
            assert_eq!(keys, expected_keys, "{block}");
        }
    }
}

/// The `yml_edit` fuzz body on configured ymls and deterministic mutations of them (the fuzz
/// target explores further; this keeps its invariants checked by plain `cargo test`).
#[test]
fn yml_edit_fuzz_body_holds_on_mutated_configured_ymls() {
    let block = render_block(&Settings::default(), &inputs());
    let seeds = [
        patched_yml("cluster.name: prod\n", &block),
        patched_yml("", &block),
        patched_yml("a:\n  b: [x, y]\r\n", &block),
        format!("{}{STOCK_BLOCK}", "node.name: n1\n"),
    ];
    let mut next = crate::fuzzing::xorshift(0x00c0_ffee_1234_5678);
    for seed in &seeds {
        crate::fuzzing::yml_edit(seed.as_bytes());
        for _ in 0..300 {
            let mut bytes = seed.clone().into_bytes();
            let edits = next() % 4 + 1;
            crate::fuzzing::mutate(&mut bytes, edits, &mut next, b" :-[]{}\"'\n\r#&*,", 256);
            crate::fuzzing::yml_edit(&bytes);
        }
    }
}
