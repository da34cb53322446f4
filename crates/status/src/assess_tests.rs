//! Table-driven tests of [`assess`]: a healthy auto-configured node, then one change per row and
//! the finding (id, severity) and exit codes it must produce. A last test checks that the rows
//! reach every entry of the catalogue.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use esac_certspec::{ExtKeyUsage, SanEntry};
use esac_pki::CertInfo;
use esac_settings::Settings;

use super::*;
use crate::finding::{ExitCodes, FailOn, Kind, Severity};

const DAY: u64 = 86_400;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

fn days(n: i64) -> SystemTime {
    if n >= 0 {
        now() + Duration::from_secs(n as u64 * DAY)
    } else {
        now() - Duration::from_secs(n.unsigned_abs() * DAY)
    }
}

fn info(subject: &str, issuer: &str, life: (i64, i64), sans: Vec<SanEntry>, ca: bool) -> CertInfo {
    CertInfo {
        subject: subject.into(),
        issuer: issuer.into(),
        subject_cn: None,
        serial: "01".into(),
        not_before: days(life.0),
        not_after: days(life.1),
        sans,
        is_ca: ca,
        key_usage: vec![],
        extended_key_usage: if ca {
            vec![]
        } else {
            vec![ExtKeyUsage::ServerAuth]
        },
        key_type: None,
        sha256: format!("{subject}-sha"),
        spki_sha256: String::new(),
        key_description: "rsa-4096".into(),
        rsa_bits: Some(4096),
        signature_algorithm: "sha256WithRSAEncryption".into(),
        has_extended_key_usage: !ca,
        subject_key_id: None,
        authority_key_id: None,
    }
}

fn cert(layer: Layer, role: CertRole, file: &str, alias: &str, info: CertInfo) -> CertObs {
    let leaf = role == CertRole::Leaf;
    CertObs {
        layer,
        role,
        file: file.into(),
        alias: Some(alias.into()),
        info,
        key: if leaf || alias == "http_ca" {
            KeyCheck::Matches
        } else {
            KeyCheck::NoKey
        },
        chain: if leaf {
            ChainCheck::Verified("ca".into())
        } else {
            ChainCheck::NotChecked
        },
    }
}

fn store(role: StoreRole, display: &str, format: StoreFormat) -> StoreObs {
    StoreObs {
        role,
        path: PathBuf::from("/etc/es").join(display),
        display: display.into(),
        format,
        state: StoreState::Read,
    }
}

fn meta(mode: u32, dir: bool) -> FileMeta {
    FileMeta {
        dir,
        regular: !dir,
        symlink_target: None,
        mount_point: false,
        mode,
        uid: 0,
        gid: 998,
        owner: Some("root".into()),
        group: Some("elasticsearch".into()),
        readable_by_service_user: true,
    }
}

fn file(display: &str, role: FileRole, mode: u32) -> FileObs {
    FileObs {
        path: if display.is_empty() {
            PathBuf::from("/etc/es")
        } else {
            PathBuf::from("/etc/es").join(display)
        },
        display: display.into(),
        role,
        state: FileState::Found(meta(
            mode,
            matches!(role, FileRole::ConfigDir | FileRole::CertsDir),
        )),
    }
}

const YML: &str = "\
cluster.name: prod
xpack.security.enabled: true
xpack.security.enrollment.enabled: true
xpack.security.http.ssl:
  enabled: true
  keystore.path: certs/http.p12
xpack.security.transport.ssl:
  enabled: true
  verification_mode: certificate
  keystore.path: certs/transport.p12
  truststore.path: certs/transport.p12
http.host: 0.0.0.0
";

fn settings(extra: &str) -> Settings {
    Settings::from_yaml(&format!("{YML}{extra}"), "elasticsearch.yml", &|_| None).unwrap()
}

fn http_sans() -> Vec<SanEntry> {
    vec![
        SanEntry::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanEntry::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        SanEntry::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))),
        SanEntry::Dns("localhost".into()),
        SanEntry::Dns("node-1".into()),
    ]
}

/// A healthy auto-configured node.
fn healthy() -> Observed {
    let http_ca = info(
        "CN=Elasticsearch security auto-configuration HTTP CA",
        "CN=Elasticsearch security auto-configuration HTTP CA",
        (-100, 995),
        vec![],
        true,
    );
    let http = info(
        "CN=node-1",
        &http_ca.subject,
        (-100, 630),
        http_sans(),
        false,
    );
    let t_ca = info(
        "CN=Elasticsearch security auto-configuration transport CA",
        "CN=Elasticsearch security auto-configuration transport CA",
        (-100, 36000),
        vec![],
        true,
    );
    let transport = info("CN=node-1", &t_ca.subject, (-100, 36000), vec![], false);
    Observed {
        es_home: "/usr/share/es".into(),
        config_dir: "/etc/es".into(),
        es_version: Some((8, 15, 1)),
        yml: Yml::Ok,
        settings: settings(""),
        block: Block::Intact {
            start_line: 90,
            end_line: 120,
            missing_keys: vec![],
        },
        initial_master_nodes_source: None,
        hostname: "node-1".into(),
        interface_addresses: vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        node: Node {
            data_paths: vec!["/var/lib/es".into()],
            started: true,
            formation: Formation::Committed {
                cluster_uuid: Some("uuid".into()),
            },
        },
        keystore: Keystore {
            path: "/etc/es/elasticsearch.keystore".into(),
            state: KeystoreState::Open {
                version: 6,
                protected: false,
                names: vec!["keystore.seed".into()],
            },
        },
        layers: vec![
            LayerObs {
                layer: Layer::Http,
                enabled: true,
                verification_mode: "full".into(),
                stores: vec![
                    store(StoreRole::Keystore, "certs/http.p12", StoreFormat::Pkcs12),
                    store(StoreRole::ClientCa, "certs/http_ca.crt", StoreFormat::Pem),
                ],
                certs: vec![
                    cert(Layer::Http, CertRole::Leaf, "certs/http.p12", "http", http),
                    cert(
                        Layer::Http,
                        CertRole::Ca,
                        "certs/http.p12",
                        "http_ca",
                        http_ca,
                    ),
                ],
                key_entries: Some((1, 1)),
                truststore: None,
            },
            LayerObs {
                layer: Layer::Transport,
                enabled: true,
                verification_mode: "certificate".into(),
                stores: vec![
                    store(
                        StoreRole::Keystore,
                        "certs/transport.p12",
                        StoreFormat::Pkcs12,
                    ),
                    store(
                        StoreRole::Truststore,
                        "certs/transport.p12",
                        StoreFormat::Pkcs12,
                    ),
                ],
                certs: vec![
                    cert(
                        Layer::Transport,
                        CertRole::Leaf,
                        "certs/transport.p12",
                        "transport",
                        transport,
                    ),
                    cert(
                        Layer::Transport,
                        CertRole::Ca,
                        "certs/transport.p12",
                        "transport_ca",
                        t_ca,
                    ),
                ],
                key_entries: Some((1, 0)),
                truststore: Some(TrustStoreShape {
                    anchors: 1,
                    key_entries: 1,
                }),
            },
        ],
        stock_http_p12: true,
        files: vec![
            file("", FileRole::ConfigDir, 0o2750),
            file("elasticsearch.yml", FileRole::Yml, 0o660),
            file("elasticsearch.keystore", FileRole::Keystore, 0o660),
            file("certs", FileRole::CertsDir, 0o750),
            file("certs/http.p12", FileRole::TlsSecret, 0o660),
            file("certs/transport.p12", FileRole::TlsSecret, 0o660),
            file("certs/http_ca.crt", FileRole::TlsPublic, 0o660),
        ],
        leftovers: vec![],
        journal: false,
        mounts_unknown: None,
        service_user: ServiceUser {
            name: "elasticsearch".into(),
            uid: 998,
            gid: 998,
            groups: vec![998],
            chosen: UserChoice::Package,
        },
    }
}

fn run(o: &Observed) -> Report {
    assess(o, &Thresholds::default(), now())
}

fn ids(r: &Report) -> Vec<(String, Severity)> {
    r.findings
        .iter()
        .map(|f| (f.id.clone(), f.severity))
        .collect()
}

#[test]
fn a_healthy_node_has_only_the_stock_info() {
    let r = run(&healthy());
    assert_eq!(
        ids(&r),
        vec![(
            "cert.transport.shared_leaf_anchor".to_owned(),
            Severity::Info
        )]
    );
    assert_eq!(r.exit_code(ExitCodes::default()), 0);
    assert_eq!(r.exit_code(ExitCodes::Es(FailOn::Warning)), 0);
    assert_eq!(r.exit_code(ExitCodes::Nagios), 0);
    assert_eq!(
        r.perfdata(),
        vec![
            ("http_cert_days", 630),
            ("http_ca_days", 995),
            ("transport_cert_days", 36000),
            ("transport_ca_days", 36000)
        ]
    );
    let san = r.san.unwrap();
    assert_eq!(san.cli_url, "https://localhost:9200");
    assert_eq!(san.cli_url_covered, Some(true));
    assert!(san.missing.is_empty() && san.stale.is_empty(), "{san:?}");
}

type Change = fn(&mut Observed);

fn layer(o: &mut Observed, l: Layer) -> &mut LayerObs {
    o.layers.iter_mut().find(|x| x.layer == l).unwrap()
}

fn http_leaf(o: &mut Observed) -> &mut CertObs {
    &mut layer(o, Layer::Http).certs[0]
}

fn file_mut<'a>(o: &'a mut Observed, display: &str) -> &'a mut FileMeta {
    match &mut o
        .files
        .iter_mut()
        .find(|f| f.display == display)
        .unwrap()
        .state
    {
        FileState::Found(m) => m,
        _ => unreachable!(),
    }
}

/// (what, change, expected id, severity, exit code es, exit code nagios)
const ROWS: &[(&str, Change, &str, Severity, u8, u8)] = &[
    (
        "yml missing",
        |o| o.yml = Yml::Missing("does not exist".into()),
        "config.yml_missing",
        Severity::Critical,
        78,
        2,
    ),
    (
        "yml invalid",
        |o| o.yml = Yml::Invalid("duplicate key".into()),
        "config.yml_invalid",
        Severity::Critical,
        78,
        2,
    ),
    (
        "no block",
        |o| o.block = Block::Absent,
        "config.not_autoconfigured",
        Severity::Info,
        0,
        0,
    ),
    (
        "one marker",
        |o| o.block = Block::Unpaired("END marker missing".into()),
        "config.block_damaged",
        Severity::Warning,
        0,
        1,
    ),
    (
        "block lacks a key",
        |o| {
            o.block = Block::Intact {
                start_line: 1,
                end_line: 9,
                missing_keys: vec!["xpack.security.enabled"],
            }
        },
        "config.block_damaged",
        Severity::Warning,
        0,
        1,
    ),
    (
        "security off",
        |o| o.settings = with(&o.settings, "xpack.security.enabled", "false"),
        "config.security_disabled",
        Severity::Warning,
        0,
        1,
    ),
    (
        "transport TLS off, non-loopback",
        |o| {
            o.settings = settings("transport.host: 0.0.0.0\ndiscovery.seed_hosts: [a]\n");
            o.settings = without(&o.settings, "xpack.security.transport.ssl.enabled");
        },
        "config.transport_tls_required",
        Severity::Critical,
        78,
        2,
    ),
    (
        "http TLS off",
        |o| o.settings = with(&o.settings, "xpack.security.http.ssl.enabled", "false"),
        "config.http_tls_off_with_material",
        Severity::Info,
        0,
        0,
    ),
    (
        "reload off",
        |o| o.settings = settings("resource.reload.enabled: false\n"),
        "config.reload_disabled",
        Severity::Warning,
        0,
        1,
    ),
    (
        "leftover initial master nodes",
        |o| {
            o.settings = settings("cluster.initial_master_nodes: [node-1]\n");
            o.initial_master_nodes_source = Some(Source::Block(118));
        },
        "bootstrap.initial_master_nodes_leftover",
        Severity::Warning,
        0,
        1,
    ),
    (
        "leftover initial master nodes, weak evidence",
        |o| {
            o.settings = settings("cluster.initial_master_nodes: [node-1]\n");
            o.node.formation = Formation::Accepted;
            o.initial_master_nodes_source = Some(Source::Env);
        },
        "bootstrap.initial_master_nodes_leftover",
        Severity::Warning,
        0,
        1,
    ),
    (
        "pending initial master nodes",
        |o| {
            o.settings = settings("cluster.initial_master_nodes: [node-1]\n");
            o.node.formation = Formation::NotFormed;
        },
        "bootstrap.initial_master_nodes_pending",
        Severity::Info,
        0,
        0,
    ),
    (
        "single-node conflict",
        |o| {
            o.settings =
                settings("cluster.initial_master_nodes: [node-1]\ndiscovery.type: single-node\n")
        },
        "bootstrap.single_node_conflict",
        Severity::Critical,
        78,
        2,
    ),
    (
        "discovery check",
        |o| o.settings = settings("transport.host: _site_\n"),
        "bootstrap.discovery_check_fails",
        Severity::Critical,
        78,
        2,
    ),
    (
        "keystore missing",
        |o| {
            o.keystore.state = KeystoreState::Missing;
            layer(o, Layer::Http).stores[0].state = StoreState::NoPassword {
                setting: "xpack.security.http.ssl.keystore.secure_password".into(),
            };
        },
        "keystore.missing",
        Severity::Critical,
        78,
        2,
    ),
    (
        "keystore unreadable",
        |o| o.keystore.state = KeystoreState::Unreadable("Permission denied".into()),
        "keystore.unreadable",
        Severity::Unknown,
        74,
        3,
    ),
    (
        "keystore locked",
        |o| {
            o.keystore.state = KeystoreState::Locked {
                version: 6,
                detail: "no passphrase".into(),
            }
        },
        "keystore.locked",
        Severity::Unknown,
        65,
        3,
    ),
    (
        "keystore wrong password",
        |o| o.keystore.state = KeystoreState::WrongPassword { version: 6 },
        "keystore.wrong_password",
        Severity::Unknown,
        65,
        3,
    ),
    (
        "keystore corrupt",
        |o| o.keystore.state = KeystoreState::Corrupt("checksum failed".into()),
        "keystore.corrupt",
        Severity::Critical,
        78,
        2,
    ),
    (
        "keystore setting missing",
        |o| {
            layer(o, Layer::Transport).stores[0].state = StoreState::NoPassword {
                setting: "xpack.security.transport.ssl.keystore.secure_password".into(),
            }
        },
        "keystore.missing_setting",
        Severity::Critical,
        78,
        2,
    ),
    (
        "keystore v6 on 8.13",
        |o| o.es_version = Some((8, 13, 4)),
        "keystore.version_unsupported",
        Severity::Critical,
        78,
        2,
    ),
    (
        "keystore v7",
        |o| o.keystore.state = KeystoreState::UnsupportedVersion(7),
        "keystore.version_unsupported",
        Severity::Critical,
        78,
        2,
    ),
    (
        "keystore v5 on 8.15",
        |o| {
            o.keystore.state = KeystoreState::Open {
                version: 5,
                protected: false,
                names: vec![],
            }
        },
        "keystore.version_old",
        Severity::Info,
        0,
        0,
    ),
    (
        "password hash, formed",
        |o| {
            o.keystore.state = KeystoreState::Open {
                version: 6,
                protected: false,
                names: vec!["autoconfiguration.password_hash".into()],
            }
        },
        "keystore.password_hash_present",
        Severity::Warning,
        0,
        1,
    ),
    (
        "password hash, not formed",
        |o| {
            o.keystore.state = KeystoreState::Open {
                version: 6,
                protected: false,
                names: vec!["autoconfiguration.password_hash".into()],
            };
            o.node.formation = Formation::NotFormed;
        },
        "keystore.password_hash_present",
        Severity::Info,
        0,
        0,
    ),
    (
        "bootstrap password",
        |o| {
            o.keystore.state = KeystoreState::Open {
                version: 6,
                protected: false,
                names: vec!["bootstrap.password".into()],
            }
        },
        "keystore.bootstrap_password_present",
        Severity::Info,
        0,
        0,
    ),
    (
        "p12 wrong password",
        |o| {
            layer(o, Layer::Http).stores[0].state = StoreState::WrongPassword {
                setting: "xpack.security.http.ssl.keystore.secure_password".into(),
            }
        },
        "tls.http.unreadable",
        Severity::Critical,
        78,
        2,
    ),
    (
        "p12 missing",
        |o| layer(o, Layer::Transport).stores[0].state = StoreState::Missing,
        "tls.transport.unreadable",
        Severity::Critical,
        78,
        2,
    ),
    (
        "p12 garbage",
        |o| {
            layer(o, Layer::Transport).stores[0].state =
                StoreState::Unreadable("not PKCS#12".into())
        },
        "tls.transport.unreadable",
        Severity::Critical,
        78,
        2,
    ),
    (
        "p12 denied",
        |o| layer(o, Layer::Http).stores[0].state = StoreState::Denied("Permission denied".into()),
        "tls.http.unreadable",
        Severity::Unknown,
        74,
        3,
    ),
    (
        "jks",
        |o| {
            let s = &mut layer(o, Layer::Transport).stores[0];
            s.format = StoreFormat::Unsupported("JKS");
            s.state = StoreState::Unsupported;
        },
        "tls.transport.unsupported_format",
        Severity::Unknown,
        0,
        3,
    ),
    (
        "expired",
        |o| http_leaf(o).info.not_after = days(-1),
        "cert.http.expired",
        Severity::Critical,
        78,
        2,
    ),
    (
        "not yet valid",
        |o| layer(o, Layer::Transport).certs[1].info.not_before = days(2),
        "cert.transport_ca.not_yet_valid",
        Severity::Critical,
        78,
        2,
    ),
    (
        "21 days left",
        |o| http_leaf(o).info.not_after = days(21),
        "cert.http.expiring",
        Severity::Warning,
        0,
        1,
    ),
    (
        "5 days left",
        |o| http_leaf(o).info.not_after = days(5),
        "cert.http.expiring",
        Severity::Critical,
        78,
        2,
    ),
    (
        "CA expires first",
        |o| layer(o, Layer::Http).certs[1].info.not_after = days(600),
        "cert.http.ca_expires_first",
        Severity::Warning,
        0,
        1,
    ),
    (
        "key mismatch",
        |o| http_leaf(o).key = KeyCheck::Mismatch,
        "cert.http.key_mismatch",
        Severity::Critical,
        78,
        2,
    ),
    (
        "chain broken",
        |o| layer(o, Layer::Transport).certs[0].chain = ChainCheck::Broken("bad signature".into()),
        "cert.transport.chain_broken",
        Severity::Critical,
        78,
        2,
    ),
    (
        "two leaves",
        |o| layer(o, Layer::Http).key_entries = Some((2, 1)),
        "cert.http.key_entries",
        Severity::Warning,
        0,
        1,
    ),
    (
        "no CA key",
        |o| layer(o, Layer::Http).key_entries = Some((1, 0)),
        "cert.http.no_ca_key",
        Severity::Info,
        0,
        0,
    ),
    (
        "no trust anchor",
        |o| {
            layer(o, Layer::Transport).truststore = Some(TrustStoreShape {
                anchors: 0,
                key_entries: 1,
            })
        },
        "cert.transport.no_trust_anchor",
        Severity::Critical,
        78,
        2,
    ),
    (
        "EKU without serverAuth",
        |o| http_leaf(o).info.extended_key_usage.clear(),
        "cert.http.eku",
        Severity::Warning,
        0,
        1,
    ),
    (
        "RSA-1024",
        |o| layer(o, Layer::Http).certs[1].info.rsa_bits = Some(1024),
        "cert.http_ca.weak",
        Severity::Info,
        0,
        0,
    ),
    (
        "SHA-1",
        |o| http_leaf(o).info.signature_algorithm = "sha1WithRSAEncryption".into(),
        "cert.http.weak",
        Severity::Info,
        0,
        0,
    ),
    (
        "publish host not covered",
        |o| o.settings = settings("network.publish_host: 198.51.100.7\n"),
        "san.cli_url_not_covered",
        Severity::Critical,
        78,
        2,
    ),
    (
        "CLI URL, verification off",
        |o| {
            o.settings = settings("http.publish_host: es.example.com\n");
            layer(o, Layer::Http).verification_mode = "certificate".into();
        },
        "san.cli_url_not_covered",
        Severity::Info,
        0,
        1,
    ),
    (
        "publish host not covered (address)",
        |o| o.settings = settings("network.publish_host: 198.51.100.7\n"),
        "san.address_not_covered",
        Severity::Warning,
        78,
        2,
    ),
    (
        "new interface",
        |o| {
            o.interface_addresses
                .push(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7)))
        },
        "san.address_not_covered",
        Severity::Warning,
        0,
        1,
    ),
    (
        "link-local interface",
        |o| o.interface_addresses.push("fe80::1".parse().unwrap()),
        "san.address_not_covered",
        Severity::Info,
        0,
        0,
    ),
    (
        "hostname changed",
        |o| o.hostname = "node-2".into(),
        "san.hostname_not_covered",
        Severity::Warning,
        0,
        1,
    ),
    (
        "address gone",
        |o| {
            o.interface_addresses
                .retain(|a| !matches!(a, IpAddr::V4(v) if v.octets()[0] == 192))
        },
        "san.stale_entries",
        Severity::Info,
        0,
        0,
    ),
    (
        "o+w dir",
        |o| file_mut(o, "certs").mode = 0o757,
        "perm.world_writable",
        Severity::Critical,
        78,
        2,
    ),
    (
        "o+r p12",
        |o| file_mut(o, "certs/http.p12").mode = 0o664,
        "perm.secret_world_readable",
        Severity::Critical,
        78,
        2,
    ),
    (
        "o+r keystore, protected",
        |o| {
            file_mut(o, "elasticsearch.keystore").mode = 0o664;
            o.keystore.state = KeystoreState::Locked {
                version: 6,
                detail: "x".into(),
            };
        },
        "perm.secret_world_readable",
        Severity::Warning,
        65,
        1,
    ),
    (
        "unreadable for the service user",
        |o| file_mut(o, "certs/transport.p12").readable_by_service_user = false,
        "perm.service_user_cannot_read",
        Severity::Critical,
        78,
        2,
    ),
    (
        "unexpected mode",
        |o| file_mut(o, "certs/http.p12").mode = 0o600,
        "perm.unexpected_mode",
        Severity::Info,
        0,
        0,
    ),
    (
        "mounted yml",
        |o| file_mut(o, "elasticsearch.yml").mount_point = true,
        "fs.mount_point",
        Severity::Info,
        0,
        0,
    ),
    (
        "mounted keystore",
        |o| file_mut(o, "elasticsearch.keystore").mount_point = true,
        "fs.mount_point",
        Severity::Warning,
        0,
        1,
    ),
    (
        "leftovers",
        |o| {
            o.leftovers.push(Leftover {
                path: "/etc/es/certs.1.orig".into(),
                display: "certs.1.orig".into(),
                private_keys: true,
            })
        },
        "fs.leftovers",
        Severity::Warning,
        0,
        1,
    ),
    (
        "journal",
        |o| o.journal = true,
        "fs.interrupted_run",
        Severity::Warning,
        0,
        1,
    ),
];

fn with(s: &Settings, key: &str, value: &str) -> Settings {
    let mut pairs: Vec<(String, esac_settings::Value)> = s
        .iter()
        .filter(|(k, _)| *k != key)
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    pairs.push((
        key.to_owned(),
        esac_settings::Value::Scalar(value.to_owned()),
    ));
    Settings::from_pairs(pairs)
}

fn without(s: &Settings, key: &str) -> Settings {
    Settings::from_pairs(
        s.iter()
            .filter(|(k, _)| *k != key)
            .map(|(k, v)| (k.to_owned(), v.clone())),
    )
}

#[test]
fn each_row_produces_its_finding_and_exit_codes() {
    for (what, change, id, severity, es, nagios) in ROWS {
        let mut o = healthy();
        change(&mut o);
        let r = run(&o);
        let found: Vec<_> = r.findings.iter().filter(|f| f.id == *id).collect();
        assert!(
            found.iter().any(|f| f.severity == *severity),
            "{what}: expected {id} ({severity:?}), got {:?}",
            ids(&r)
        );
        assert_eq!(
            r.exit_code(ExitCodes::default()),
            *es,
            "{what}: {:?}",
            ids(&r)
        );
        // `--fail-on warning`: a warning stops a deployment as a critical finding does.
        let warned = r
            .findings
            .iter()
            .any(|f| matches!(f.severity, Severity::Warning | Severity::Critical));
        assert_eq!(
            r.exit_code(ExitCodes::Es(FailOn::Warning)),
            if warned { 78 } else { *es },
            "{what}: {:?}",
            ids(&r)
        );
        assert_eq!(
            r.exit_code(ExitCodes::Nagios),
            *nagios,
            "{what}: {:?}",
            ids(&r)
        );
        for f in &r.findings {
            assert!(!f.message.is_empty(), "{what}: {f:?}");
            assert!(
                f.kind.id(f.id.split('.').nth(1).unwrap_or_default()) == f.id
                    || !f.kind.template().contains('<'),
                "{what}: {} does not fit {}",
                f.id,
                f.kind.template()
            );
        }
    }
}

#[test]
fn the_rows_reach_every_finding_of_the_catalogue() {
    let mut reached = BTreeSet::new();
    for (_, change, _, _, _, _) in ROWS {
        let mut o = healthy();
        change(&mut o);
        for f in run(&o).findings {
            reached.insert(f.kind);
        }
    }
    reached.extend(run(&healthy()).findings.iter().map(|f| f.kind));
    let missing: Vec<_> = Kind::ALL
        .iter()
        .filter(|k| !reached.contains(k))
        .map(|k| k.template())
        .collect();
    assert!(missing.is_empty(), "no row produces: {missing:?}");
}

#[test]
fn days_left_is_floored_and_negative_once_expired() {
    assert_eq!(days_until(now() + Duration::from_secs(DAY - 1), now()), 0);
    assert_eq!(days_until(now() + Duration::from_secs(DAY), now()), 1);
    assert_eq!(days_until(now() - Duration::from_secs(1), now()), -1);
    assert_eq!(days_until(now() - Duration::from_secs(DAY), now()), -1);
    assert_eq!(days_until(now() - Duration::from_secs(DAY + 1), now()), -2);
}

#[test]
fn thresholds_are_inclusive() {
    let t = Thresholds {
        warn_days: 30,
        crit_days: 7,
    };
    for (left, want) in [
        (31, None),
        (30, Some(Severity::Warning)),
        (8, Some(Severity::Warning)),
        (7, Some(Severity::Critical)),
        (0, Some(Severity::Critical)),
    ] {
        let mut o = healthy();
        http_leaf(&mut o).info.not_after = days(left) + Duration::from_secs(60);
        let r = assess(&o, &t, now());
        let got = r
            .findings
            .iter()
            .find(|f| f.id == "cert.http.expiring")
            .map(|f| f.severity);
        assert_eq!(got, want, "{left} days");
    }
}

#[test]
fn an_expired_certificate_is_not_also_expiring() {
    let mut o = healthy();
    http_leaf(&mut o).info.not_after = days(-3);
    let r = run(&o);
    assert!(r.findings.iter().all(|f| f.id != "cert.http.expiring"));
    assert_eq!(r.certificates[0].days_left, -3);
    let f = r
        .findings
        .iter()
        .find(|f| f.id == "cert.http.expired")
        .unwrap();
    assert_eq!(
        f.fix.as_deref().unwrap_or_default().split(" (").next(),
        Some("es-autoconf renew http")
    );
}

#[test]
fn the_source_of_initial_master_nodes_is_named_with_its_line() {
    let mut o = healthy();
    o.settings = settings("cluster.initial_master_nodes: [node-1]\n");
    o.initial_master_nodes_source = Some(Source::Yml(12));
    let r = run(&o);
    let f = r
        .findings
        .iter()
        .find(|f| f.kind == Kind::InitialMasterNodesLeftover)
        .unwrap();
    assert!(
        f.message.contains("elasticsearch.yml line 12"),
        "{}",
        f.message
    );
    assert!(f.details.contains(&("source", Detail::Text("yml".into()))));
    assert!(f.details.contains(&("line", Detail::Int(12))));
    o.initial_master_nodes_source = Some(Source::CommandLine);
    let r = run(&o);
    let f = r
        .findings
        .iter()
        .find(|f| f.kind == Kind::InitialMasterNodesLeftover)
        .unwrap();
    assert!(f.fix.as_deref().unwrap().contains("-E"), "{f:?}");
}

#[test]
fn a_node_without_the_block_skips_the_auto_configuration_checks() {
    let mut o = healthy();
    o.block = Block::Absent;
    o.hostname = "elsewhere".into();
    file_mut(&mut o, "certs/http.p12").mode = 0o640;
    let r = run(&o);
    let got: Vec<_> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert!(!got.contains(&"san.hostname_not_covered"), "{got:?}");
    assert!(!got.contains(&"perm.unexpected_mode"), "{got:?}");
    assert!(got.contains(&"config.not_autoconfigured"), "{got:?}");
}

#[test]
fn dns_wildcards_cover_one_label() {
    assert!(dns_matches("*.example.com", "es.example.com"));
    assert!(dns_matches("ES.example.com", "es.EXAMPLE.com."));
    assert!(!dns_matches("*.example.com", "a.b.example.com"));
    assert!(!dns_matches("*.example.com", "example.com"));
    assert!(!dns_matches("es.example.com", "es2.example.com"));
}

#[test]
fn enforcement_follows_the_transport_addresses() {
    let s = |extra: &str| settings(extra);
    assert!(!bootstrap_checks_enforced(&s("")));
    assert!(!bootstrap_checks_enforced(&s("transport.host: _local_\n")));
    assert!(!bootstrap_checks_enforced(&s(
        "network.host: [127.0.0.1, \"::1\"]\n"
    )));
    assert!(bootstrap_checks_enforced(&s("network.host: 0.0.0.0\n")));
    assert!(bootstrap_checks_enforced(&s(
        "transport.publish_host: 10.0.0.1\n"
    )));
    assert!(!bootstrap_checks_enforced(&s(
        "network.host: 0.0.0.0\ndiscovery.type: single-node\n"
    )));
}

#[test]
fn cli_urls() {
    let url = |extra: &str| cli_url(&settings(extra)).0;
    assert_eq!(url(""), "https://localhost:9200");
    assert_eq!(url("http.port: 9201-9300\n"), "https://localhost:9201");
    assert_eq!(
        url("network.publish_host: \"::1\"\nhttp.publish_port: 443\n"),
        "https://[::1]:443"
    );
    assert_eq!(
        url("network.publish_host: 10.0.0.1\nhttp.publish_host: es.example\n"),
        "https://es.example:9200"
    );
    assert_eq!(cli_url(&settings("network.publish_host: _site_\n")).1, None);
}

#[test]
fn findings_are_sorted_worst_first() {
    let mut o = healthy();
    o.journal = true;
    http_leaf(&mut o).info.not_after = days(-1);
    o.block = Block::Absent;
    let r = run(&o);
    let sev: Vec<Severity> = r.findings.iter().map(|f| f.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(sev, sorted);
    assert_eq!(r.findings[0].id, "cert.http.expired");
}

#[test]
fn permission_checks_on_secrets_apply_to_regular_files_only() {
    let mut o = healthy();
    let ks = file_mut(&mut o, "elasticsearch.keystore");
    ks.regular = false;
    ks.dir = true;
    ks.mode = 0o755;
    let got: Vec<String> = run(&o).findings.into_iter().map(|f| f.id).collect();
    assert!(
        !got.iter().any(|id| id == "perm.secret_world_readable"),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|id| id == "perm.unexpected_mode"),
        "{got:?}"
    );
}

#[test]
fn unreadable_formation_evidence_keeps_the_setting_pending_and_says_why() {
    let mut o = healthy();
    o.settings = settings("cluster.initial_master_nodes: [node-1]\n");
    o.node.formation = Formation::Unknown("[/d/_state/segments_3]: checksum mismatch".into());
    let r = run(&o);
    let f = r
        .findings
        .iter()
        .find(|f| f.kind == Kind::InitialMasterNodesPending)
        .unwrap();
    assert!(f.message.contains("checksum mismatch"), "{}", f.message);
    assert!(r
        .findings
        .iter()
        .all(|f| f.kind != Kind::InitialMasterNodesLeftover));
}
