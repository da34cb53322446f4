//! The pure side of `init --bundle`: the decision in bundle mode and its three extra checks,
//! the block with [S], [M] and [M'] byte for byte (lifecycle §5.3, §5.4), and the plan.

use std::time::{Duration, UNIX_EPOCH};

use esac_certspec::{CertPlan, CertRole, KeyType, NodeSubject};
use esac_settings::{Settings, Value};

use crate::bundle::BundledNode;
use crate::decide::{check_bundle, decide, Decision, Mode};
use crate::facts::Facts;
use crate::plan::{Operation, Product};
use crate::planner::{plan_bundle, plan_initial, InitOptions};
use crate::yml::{render_block_bundle, BlockInputs};
use crate::Reason;

fn facts(yml: &str) -> Facts {
    let mut s = Settings::from_yaml(yml, "elasticsearch.yml", &|_| None).unwrap();
    s.set_default("node.name", Value::Scalar("es01".into()));
    Facts::fresh("/es", s)
}

fn opts() -> InitOptions {
    InitOptions {
        now: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        key_type: KeyType::EcdsaP256,
        keystore_format: None,
        elastic_password: true,
        group: None,
    }
}

fn inputs(seeds: &[&str], uncommented: bool) -> BlockInputs {
    BlockInputs {
        node_name: Some("es01".into()),
        seed_hosts: Some(seeds.iter().map(|s| (*s).to_owned()).collect()),
        transport_host_uncommented: uncommented,
        timestamp: "14-11-2023 22:13:20".into(),
    }
}

const HEAD: &str = "\n#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------\n#\n# The following settings, TLS certificates, and keys have been automatically      \n# generated to configure Elasticsearch security features on 14-11-2023 22:13:20\n#\n# --------------------------------------------------------------------------------\n\n# Enable security features\nxpack.security.enabled: true\n\nxpack.security.enrollment.enabled: true\n\n# Enable encryption for HTTP API client connections, such as Kibana, Logstash, and Agents\nxpack.security.http.ssl:\n  enabled: true\n  keystore.path: certs/http.p12\n\n# Enable encryption and mutual authentication between cluster nodes\nxpack.security.transport.ssl:\n  enabled: true\n  verification_mode: certificate\n  keystore.path: certs/transport.p12\n  truststore.path: certs/transport.p12\n";
const END: &str =
    "\n#----------------------- END SECURITY AUTO CONFIGURATION -------------------------\n";
const HTTP: &str = "\n# Allow HTTP API connections from anywhere\n# Connections are encrypted and require user authentication\nhttp.host: 0.0.0.0\n";
const TRANSPORT_OPEN: &str = "\n# Allow other nodes to join the cluster from anywhere\n# Connections are encrypted and mutually authenticated\ntransport.host: 0.0.0.0\n";

#[test]
fn the_block_of_a_master_among_three() {
    let masters = ["es01".to_owned(), "es02".to_owned(), "es03".to_owned()];
    let got = render_block_bundle(
        &Settings::default(),
        &inputs(&["10.0.0.1:9300", "10.0.0.2:9300", "10.0.0.3:9300"], true),
        &masters,
    );
    let want = format!(
        "{HEAD}# Discover existing nodes in the cluster\ndiscovery.seed_hosts: [\"10.0.0.1:9300\", \"10.0.0.2:9300\", \"10.0.0.3:9300\"]\n\n# Bootstrap a new cluster from these master-eligible nodes\n# Remove this setting once the cluster has formed (es-autoconf finalize)\ncluster.initial_master_nodes: [\"es01\", \"es02\", \"es03\"]\n{HTTP}{TRANSPORT_OPEN}{END}"
    );
    assert_eq!(got, want);
}

#[test]
fn one_master_gets_elasticsearch_s_own_text_and_a_data_node_none() {
    let got = render_block_bundle(
        &Settings::default(),
        &inputs(&["10.0.0.1:9300"], false),
        &["es01".to_owned()],
    );
    let want = format!(
        "{HEAD}# Discover existing nodes in the cluster\ndiscovery.seed_hosts: [\"10.0.0.1:9300\"]\n\n# Create a new cluster with the current node only\n# Additional nodes can still join the cluster later\ncluster.initial_master_nodes: [\"es01\"]\n{HTTP}\n# Allow other nodes to join the cluster from anywhere\n# Connections are encrypted and mutually authenticated\n#transport.host: 0.0.0.0\n{END}"
    );
    assert_eq!(got, want);
    let settings = Settings::from_yaml("network.host: 10.0.0.4\n", "y", &|_| None).unwrap();
    let data = render_block_bundle(&settings, &inputs(&["10.0.0.1:9300"], true), &[]);
    let want = format!(
        "{HEAD}# Discover existing nodes in the cluster\ndiscovery.seed_hosts: [\"10.0.0.1:9300\"]\n{END}"
    );
    assert_eq!(data, want, "network.host set: neither [H] nor [T]");
}

#[test]
fn bundle_mode_keeps_the_configured_checks_and_replaces_the_cluster_ones() {
    let skip = |yml: &str| match decide(&facts(yml), Mode::Bundle) {
        Decision::Skip(s) => Some(s.reason),
        Decision::Fail(s) => panic!("bundle skips are not failures: {s:?}"),
        Decision::Proceed => None,
    };
    assert_eq!(
        skip("xpack.security.enabled: true\n"),
        Some(Reason::SecurityAlreadyConfigured),
        "a second run is 80"
    );
    assert_eq!(skip("node.roles: [master]\n"), None, "6f is not made");
    assert_eq!(skip("node.roles: [data]\n"), None, "6e is not made");
    assert_eq!(
        skip("discovery.seed_hosts: [a]\n"),
        None,
        "6d gives way to check_bundle"
    );

    let check =
        |yml: &str, master: bool| check_bundle(&facts(yml), "es01", master).map(|s| s.reason);
    assert_eq!(check("", true), None);
    assert_eq!(
        check("node.name: es02\n", false),
        Some(Reason::NodeNameMismatch)
    );
    for yml in [
        "discovery.seed_hosts: [a]\n",
        "discovery.seed_providers: file\n",
        "cluster.initial_master_nodes: []\n",
        "discovery.type: single-node\n",
    ] {
        assert_eq!(
            check(yml, false),
            Some(Reason::DiscoveryAlreadyConfigured),
            "{yml}"
        );
    }
    assert_eq!(
        check("node.roles: [data]\n", true),
        Some(Reason::NotMasterEligible)
    );
    assert_eq!(check("node.roles: [data]\n", false), None);
    let s = check_bundle(&facts("node.name: x\n"), "es01", false).unwrap();
    assert_eq!(s.exit.code(), 78);
    assert!(
        s.message.contains("[x]") && s.message.contains("[es01]"),
        "{}",
        s.message
    );
}

#[test]
fn a_bundle_plan_is_an_initial_plan_with_the_bundle_s_material_and_block() {
    let f = facts("");
    let now = opts().now;
    let subject = NodeSubject {
        cn: "es01".into(),
        dn: None,
    };
    let mut certificates = CertPlan::authorities(KeyType::EcdsaP256, now);
    certificates
        .certs
        .extend(CertPlan::node(&subject, vec![], KeyType::EcdsaP256, now).certs);
    for c in &mut certificates.certs {
        c.generated = false;
    }
    let node = BundledNode {
        dir: "/bundle/es01".into(),
        node_name: "es01".into(),
        master: true,
        seed_hosts: vec!["10.0.0.1:9300".into(), "10.0.0.2:9300".into()],
        initial_master_nodes: vec!["es01".into(), "es02".into()],
        transport_host_uncommented: true,
        certificates: certificates.clone(),
    };
    let p = plan_bundle(&f, &opts(), &node);
    let initial = plan_initial(&f, &opts());
    let ids = |p: &crate::Plan| p.steps.iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(&p), ids(&initial), "the same steps as init");
    assert_eq!(p.operation, Operation::Bundle);
    assert_eq!(p.certificates(), Some(&certificates));
    assert!(p.certificates().unwrap().generated().next().is_none());
    assert!(!p.generates_password(), "no per-node elastic password");
    assert!(p
        .steps
        .iter()
        .all(|s| !matches!(&s.action, crate::plan::Action::Produce(ps) if ps.contains(&Product::PasswordHash))));
    let block = render_block_bundle(
        &f.settings,
        &BlockInputs {
            node_name: Some("es01".into()),
            seed_hosts: Some(node.seed_hosts.clone()),
            transport_host_uncommented: true,
            timestamp: esac_certspec::es_timestamp(1_700_000_000),
        },
        &node.initial_master_nodes,
    );
    assert!(p.yml().unwrap().after().ends_with(&block));
    assert_eq!(
        p.about.bundle.as_ref().unwrap().initial_master_nodes,
        ["es01", "es02"]
    );
    assert!(p.certificates().unwrap().get(CertRole::Http).is_some());
}

/// `finalize` recognises what `init --bundle` writes on a master: removing the setting leaves
/// exactly the block of a node without it.
#[test]
fn finalize_turns_a_bundle_master_s_block_into_a_data_node_s() {
    for masters in [
        vec!["es01".to_owned()],
        vec!["es01".to_owned(), "es02".to_owned(), "es03".to_owned()],
    ] {
        for settings in [
            Settings::default(),
            Settings::from_yaml("network.host: 10.0.0.1\n", "y", &|_| None).unwrap(),
        ] {
            let input = inputs(&["10.0.0.1:9300", "10.0.0.2:9300"], true);
            let master = render_block_bundle(&settings, &input, &masters);
            let data = render_block_bundle(&settings, &input, &[]);
            let removed =
                crate::finalize::remove_initial_master_nodes(&master, None, &|_| None).unwrap();
            assert_eq!(removed.mode, crate::finalize::EditMode::CanonicalBlock);
            assert_eq!(removed.after, data, "{masters:?}");
        }
    }
}
