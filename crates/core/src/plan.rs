//! What a run will do, as plain data: built by a pure function from the facts, printed by
//! `--dry-run`, and executed step by step by the executor in `esac-fs`. Dry-run and the real run
//! therefore cannot drift apart.

use std::path::PathBuf;

use serde::Serialize;

use crate::decide::{node_name, Mode};
use crate::facts::{Facts, FileKind};
use crate::yml::{format_timestamp, render_block, BlockInputs};

/// Key algorithm and size for every generated key: the generator's own type, so the plan and
/// the keys cannot disagree. Serialized as its `--key-type` spelling.
pub use esac_pki::KeyType;

fn key_type_name<S: serde::Serializer>(k: &KeyType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.name())
}

/// Options of a run that are not facts about the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanOptions {
    /// Seconds since the epoch, taken once (names the staging dir and backups, dates the yml block).
    pub now: i64,
    /// Key type.
    pub key_type: KeyType,
    /// `--keystore-format`, when given.
    pub keystore_format: Option<u32>,
    /// Whether an `elastic` password is generated (a terminal or `--credentials-file`).
    pub generate_password: bool,
    /// Enrollment details, in enrollment mode.
    pub enrollment: Option<EnrollmentPlan>,
}

/// What enrollment adds to the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnrollmentPlan {
    /// Addresses from the token, tried in order.
    pub token_addresses: Vec<String>,
    /// Transport addresses of the cluster, when known (after the enroll call).
    pub seed_hosts: Option<Vec<String>>,
    /// Whether `transport.host` is written uncommented.
    pub transport_host_uncommented: bool,
}

/// One certificate to generate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertPlan {
    /// Short name (`http_ca`, `http`, `transport_ca`, `transport`).
    pub name: &'static str,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Validity in days from the time of generation.
    pub validity_days: u32,
    /// Whether it is a CA.
    pub ca: bool,
    /// Subject alternative names, `IP:` or `DNS:` prefixed.
    pub sans: Vec<String>,
    /// Extended key usages.
    pub extended_key_usage: Vec<&'static str>,
    /// Key usages.
    pub key_usage: Vec<&'static str>,
    /// Key type.
    #[serde(serialize_with = "key_type_name")]
    pub key_type: KeyType,
    /// Signature algorithm.
    pub signature_algorithm: &'static str,
    /// Whether it is generated here (false: received through enrollment).
    pub generated: bool,
}

/// A directory the run creates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedDir {
    /// Path.
    pub path: PathBuf,
    /// Permission bits.
    pub mode: u32,
    /// What it is for.
    pub purpose: &'static str,
}

/// A file the run writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    /// Final path.
    pub path: PathBuf,
    /// Permission bits (`None`: kept from the file it replaces).
    pub mode: Option<u32>,
    /// What it holds.
    pub content: &'static str,
}

/// What happens to `elasticsearch.keystore`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeystorePlan {
    /// Path.
    pub path: PathBuf,
    /// `create` or `update`.
    pub action: &'static str,
    /// Backup copy taken before any change (existing keystores only).
    pub backup: Option<PathBuf>,
    /// Format version written.
    pub format_version: u32,
    /// Why that version.
    pub format_reason: String,
    /// Whether it is password-protected (the password is kept).
    pub password_protected: bool,
    /// Setting names added (values are generated and never shown).
    pub add: Vec<&'static str>,
}

/// The `elasticsearch.yml` rewrite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YmlPlan {
    /// Path.
    pub path: PathBuf,
    /// The exact text appended (after the original lines).
    pub append: String,
}

/// Everything a run does, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Initial node or enrollment.
    pub mode: Mode,
    /// Epoch seconds used in names.
    pub epoch: i64,
    /// Effective node name.
    pub node_name: String,
    /// Elasticsearch version found under `lib/`, if any.
    pub elasticsearch_version: Option<String>,
    /// Staging directory, renamed to `certs/` at the end.
    pub staging_dir: PathBuf,
    /// Final certificate directory.
    pub certs_dir: PathBuf,
    /// Where an existing `certs/` is moved.
    pub certs_backup: Option<PathBuf>,
    /// Directories created.
    pub dirs: Vec<PlannedDir>,
    /// Files written.
    pub files: Vec<PlannedFile>,
    /// Certificates.
    pub certificates: Vec<CertPlan>,
    /// Keystore changes.
    pub keystore: KeystorePlan,
    /// yml rewrite.
    pub yml: YmlPlan,
}

/// The three secure settings holding the PKCS#12 passwords (spec §3).
pub const PASSWORD_SETTINGS: [&str; 3] = [
    "xpack.security.transport.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.truststore.secure_password",
    "xpack.security.http.ssl.keystore.secure_password",
];

/// The secure setting holding the `elastic` password hash (spec §6.4).
pub const PASSWORD_HASH_SETTING: &str = "autoconfiguration.password_hash";

/// What `reconfigure` removes from the keystore before enrolling (spec §8.2 step 7).
pub const RECONFIGURE_REMOVED_SETTINGS: [&str; 4] = [
    PASSWORD_SETTINGS[0],
    PASSWORD_SETTINGS[1],
    PASSWORD_SETTINGS[2],
    PASSWORD_HASH_SETTING,
];

/// HTTP CA subject.
pub const HTTP_CA_DN: &str = "CN=Elasticsearch security auto-configuration HTTP CA";
/// Transport CA subject.
pub const TRANSPORT_CA_DN: &str = "CN=Elasticsearch security auto-configuration transport CA";

/// The SANs of the HTTP certificate (spec §2.3), in a stable order: interface addresses,
/// `localhost`, the hostname, then publish hosts.
pub fn http_sans(facts: &Facts) -> Vec<String> {
    san_inputs(facts)
        .entries()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// What the HTTP certificate's SANs are made of: the generator uses the very same value.
pub fn san_inputs(facts: &Facts) -> esac_pki::SanInputs {
    let mut publish_hosts = facts.settings.get_list("network.publish_host");
    publish_hosts.extend(facts.settings.get_list("http.publish_host"));
    esac_pki::SanInputs {
        interface_addresses: facts.interface_addresses.clone(),
        hostname: facts.hostname.clone(),
        publish_hosts,
    }
}

/// Which keystore format to write, and why: `--keystore-format`, else what the detected
/// Elasticsearch reads (5 before 8.14), else the existing file's version, else 6.
pub fn keystore_format(facts: &Facts, requested: Option<u32>) -> (u32, String) {
    if let Some(v) = requested {
        return (v, "--keystore-format".into());
    }
    if let Some((maj, min, patch)) = facts.es_version {
        let v = if (maj, min) < (8, 14) { 5 } else { 6 };
        return (
            v,
            format!("Elasticsearch {maj}.{min}.{patch} found under lib/ reads version {v}"),
        );
    }
    if let Some(v) = facts.keystore_version {
        if (3..=6).contains(&v) {
            let v = v.max(5);
            return (v, "kept from the existing keystore".into());
        }
    }
    (6, "the format of Elasticsearch 8.14 and later".into())
}

/// Builds the plan. Pure: no key is generated, nothing is read.
pub fn plan(facts: &Facts, mode: Mode, opts: &PlanOptions) -> Plan {
    let epoch = opts.now;
    let config = &facts.config_dir;
    let staging_dir = config.join(format!("certs.{epoch}.tmp"));
    let certs_dir = config.join("certs");
    let certs_backup = facts
        .certs_dir_exists
        .then(|| config.join(format!("certs.{epoch}.orig")));
    let name = node_name(facts);

    let files = vec![
        PlannedFile {
            path: certs_dir.join("http_ca.crt"),
            mode: Some(0o660),
            content: "PEM of the HTTP CA certificate",
        },
        PlannedFile {
            path: certs_dir.join("transport.p12"),
            mode: Some(0o660),
            content: "PKCS#12: key entry `transport`, trusted certificate entry `transport_ca`",
        },
        PlannedFile {
            path: certs_dir.join("http.p12"),
            mode: Some(0o660),
            content: "PKCS#12: key entries `http_ca` (CA key) and `http` (chain http, CA)",
        },
        PlannedFile {
            path: facts.keystore_path(),
            mode: Some(0o660),
            content: "elasticsearch.keystore with the PKCS#12 passwords",
        },
        PlannedFile {
            path: facts.yml_path(),
            mode: None,
            content: "original content + security block",
        },
    ];

    let kt = opts.key_type;
    let cert = |name: &'static str,
                subject: String,
                issuer: String,
                days: u32,
                ca: bool,
                generated: bool| CertPlan {
        name,
        subject,
        issuer,
        validity_days: days,
        ca,
        sans: Vec::new(),
        extended_key_usage: Vec::new(),
        key_usage: if ca {
            vec!["keyCertSign", "cRLSign"]
        } else {
            Vec::new()
        },
        key_type: kt,
        signature_algorithm: kt.signature_algorithm(),
        generated,
    };
    let node_dn = format!("CN={name}");
    let enrolling = mode == Mode::Enroll;
    let mut http = cert("http", node_dn.clone(), HTTP_CA_DN.into(), 730, false, true);
    http.sans = http_sans(facts);
    http.extended_key_usage = vec!["serverAuth"];
    http.key_usage = vec!["digitalSignature", "keyEncipherment"];
    let certificates = vec![
        cert(
            "http_ca",
            HTTP_CA_DN.into(),
            HTTP_CA_DN.into(),
            1095,
            true,
            !enrolling,
        ),
        http,
        cert(
            "transport_ca",
            TRANSPORT_CA_DN.into(),
            TRANSPORT_CA_DN.into(),
            36135,
            true,
            !enrolling,
        ),
        cert(
            "transport",
            node_dn,
            TRANSPORT_CA_DN.into(),
            36135,
            false,
            !enrolling,
        ),
    ];

    let (format_version, format_reason) = keystore_format(facts, opts.keystore_format);
    let exists = facts.keystore != FileKind::Missing;
    let mut add: Vec<&'static str> = PASSWORD_SETTINGS.to_vec();
    if opts.generate_password {
        add.push(PASSWORD_HASH_SETTING);
    }
    let keystore = KeystorePlan {
        path: facts.keystore_path(),
        action: if exists { "update" } else { "create" },
        backup: exists.then(|| config.join(format!("elasticsearch.keystore.{epoch}.orig"))),
        format_version,
        format_reason,
        password_protected: facts.keystore_has_password.unwrap_or(false),
        add,
    };

    let inputs = BlockInputs {
        node_name: Some(name.clone()),
        seed_hosts: opts.enrollment.as_ref().map(|e| {
            e.seed_hosts.clone().unwrap_or_else(|| {
                vec!["<transport addresses from the cluster's enrollment answer>".into()]
            })
        }),
        transport_host_uncommented: opts
            .enrollment
            .as_ref()
            .is_some_and(|e| e.transport_host_uncommented),
        timestamp: format_timestamp(epoch),
    };
    let yml = YmlPlan {
        path: facts.yml_path(),
        append: render_block(&facts.settings, &inputs),
    };

    Plan {
        mode,
        epoch,
        node_name: name,
        elasticsearch_version: facts.es_version.map(|(a, b, c)| format!("{a}.{b}.{c}")),
        dirs: vec![PlannedDir {
            path: staging_dir.clone(),
            mode: 0o750,
            purpose: "staging, renamed to certs/",
        }],
        staging_dir,
        certs_dir,
        certs_backup,
        files,
        certificates,
        keystore,
        yml,
    }
}
