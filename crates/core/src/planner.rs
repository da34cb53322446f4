//! Planners: one pure function per operation, each turning facts and options into a [`Plan`].
//!
//! `init`, `init --enrollment-token` and `reconfigure` differ only here; the executor runs any
//! plan the same way. A new operation is a new planner (and, when it needs one, a new [`StepId`]).

use std::time::{SystemTime, UNIX_EPOCH};

use esac_certspec::{CertParams, CertPlan, KeyType, SanInputs};

use crate::bundle::BundledNode;
use crate::decide::node_name;
use crate::facts::{Facts, FileKind};
use crate::layout::{CertFile, Layout, RelPath};
use crate::plan::{
    About, Action, BundleAbout, Content, EnrollmentPlan, Existing, FileWrite, FormatReason,
    KeystoreEdit, ModeRule, Operation, OwnerRule, Plan, Product, SecretValue, Step, StepId,
    YmlChange, YmlEdit,
};
use crate::yml::{self, BlockInputs};

pub use crate::finalize::plan_finalize;
pub use crate::renew::{plan_renew_http, plan_renew_http_ca};

/// The three secure settings holding the PKCS#12 passwords (spec §3).
pub const PASSWORD_SETTINGS: [&str; 3] = [
    "xpack.security.transport.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.truststore.secure_password",
    "xpack.security.http.ssl.keystore.secure_password",
];

/// The secure setting holding the `elastic` password hash (spec §6.4).
pub const PASSWORD_HASH_SETTING: &str = "autoconfiguration.password_hash";

/// What `reconfigure` removes from the keystore before adding the new passwords (spec §8.2
/// step 7). The hash is only there when a password was generated, so it is not required.
pub const RECONFIGURE_REMOVED_SETTINGS: [&str; 4] = [
    PASSWORD_SETTINGS[0],
    PASSWORD_SETTINGS[1],
    PASSWORD_SETTINGS[2],
    PASSWORD_HASH_SETTING,
];

/// Mode of created directories (spec §2.1).
pub const DIR_MODE: u32 = 0o750;
/// Mode of created files and of the keystore (spec §2.1, §3).
pub const FILE_MODE: u32 = 0o660;

/// Options of an `init`-like run that are not facts about the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InitOptions {
    /// The time of the run, taken once: names the staging directory and backups, starts the
    /// certificates, dates the yml block.
    pub now: SystemTime,
    /// Key type.
    pub key_type: KeyType,
    /// `--keystore-format`, when given.
    pub keystore_format: Option<u32>,
    /// Whether an `elastic` password is generated (its hash goes into the keystore).
    pub elastic_password: bool,
    /// `--group`, resolved.
    pub group: Option<u32>,
}

impl InitOptions {
    fn epoch(&self) -> i64 {
        self.now
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// `init`: the first node of a new cluster.
pub fn plan_initial(facts: &Facts, opts: &InitOptions) -> Plan {
    let params = cert_params(facts, opts.key_type);
    let certificates = CertPlan::initial(&params, opts.now);
    build(
        facts,
        opts,
        Operation::Initial,
        certificates,
        None,
        None,
        None,
    )
}

/// `init --enrollment-token`: join an existing cluster. Only the HTTP certificate is generated;
/// no `elastic` password is (the cluster has one).
pub fn plan_enroll(facts: &Facts, opts: &InitOptions, enrollment: EnrollmentPlan) -> Plan {
    joining(facts, opts, Operation::Enroll, enrollment, None)
}

/// `reconfigure`: the previous auto-configuration (block, TLS secure settings, `certs/`) is
/// replaced by an enrolled one. `base_yml` is the yml without the previous block (from
/// [`reconfigure_base`]); `facts.settings` must be the settings built from it.
pub fn plan_reconfigure(
    facts: &Facts,
    opts: &InitOptions,
    enrollment: EnrollmentPlan,
    base_yml: String,
) -> Plan {
    joining(
        facts,
        opts,
        Operation::Reconfigure,
        enrollment,
        Some(base_yml),
    )
}

/// A node joining a cluster: the cluster's CAs and transport key are received.
fn joining(
    facts: &Facts,
    opts: &InitOptions,
    operation: Operation,
    enrollment: EnrollmentPlan,
    base_yml: Option<String>,
) -> Plan {
    let opts = InitOptions {
        elastic_password: false,
        ..opts.clone()
    };
    let params = cert_params(facts, opts.key_type);
    let certificates = CertPlan::enrollment(&params, opts.now);
    build(
        facts,
        &opts,
        operation,
        certificates,
        Some(enrollment),
        base_yml,
        None,
    )
}

/// `init --bundle` (lifecycle §5.3): the steps of `init`, with the bundle's certificates
/// (received, none generated) and its discovery block: [S] with the masters' addresses, and
/// `cluster.initial_master_nodes` on the masters of a bundle that bootstraps a cluster. No
/// `elastic` password is generated: the nodes of a cluster share one, set once it has formed.
pub fn plan_bundle(facts: &Facts, opts: &InitOptions, node: &BundledNode) -> Plan {
    let opts = InitOptions {
        elastic_password: false,
        ..opts.clone()
    };
    let mut plan = build(
        facts,
        &opts,
        Operation::Bundle,
        node.certificates.clone(),
        None,
        None,
        Some(node),
    );
    plan.about.bundle = Some(BundleAbout {
        dir: node.dir.clone(),
        master: node.master,
        seed_hosts: node.seed_hosts.clone(),
        initial_master_nodes: node.initial_master_nodes.clone(),
    });
    plan
}

/// Why `reconfigure` does not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotReconfigurable {
    /// No auto-configuration block, or no `certs/` (spec §8.2 step 5).
    NotAutoConfigured,
    /// The block cannot be parsed (the parser's message).
    UnparsableBlock(String),
}

/// The yml text `reconfigure` starts from: the original without the first auto-configuration
/// block, with settings the operator added inside the block re-appended (spec §8.2 step 4).
pub fn reconfigure_base(facts: &Facts) -> Result<String, NotReconfigurable> {
    let text = facts.yml_text.as_deref().map_or("", String::as_str);
    match yml::strip_autoconfiguration(text) {
        Ok(Some(stripped)) if facts.certs_dir_exists => Ok(stripped),
        Ok(_) => Err(NotReconfigurable::NotAutoConfigured),
        Err(e) => Err(NotReconfigurable::UnparsableBlock(e)),
    }
}

/// What the HTTP certificate's SANs are made of (spec §2.3).
pub fn san_inputs(facts: &Facts) -> SanInputs {
    let mut publish_hosts = facts.settings.get_list("network.publish_host");
    publish_hosts.extend(facts.settings.get_list("http.publish_host"));
    SanInputs {
        interface_addresses: facts.interface_addresses.clone(),
        hostname: facts.hostname.clone(),
        publish_hosts,
    }
}

fn cert_params(facts: &Facts, key_type: KeyType) -> CertParams {
    CertParams {
        node_name: node_name(facts),
        san: san_inputs(facts),
        key_type,
    }
}

/// Which keystore format to write, and why: `--keystore-format`, else what the detected
/// Elasticsearch reads (5 before 8.14), else the existing file's version, else 6.
pub fn keystore_format(facts: &Facts, requested: Option<u32>) -> (u32, FormatReason) {
    if let Some(v) = requested {
        return (v, FormatReason::Requested);
    }
    if let Some((maj, min, patch)) = facts.es_version {
        let v = if (maj, min) < (8, 14) { 5 } else { 6 };
        return (v, FormatReason::ElasticsearchVersion(maj, min, patch));
    }
    if let Some(v) = facts.keystore_version {
        if (3..=6).contains(&v) {
            return (v.max(5), FormatReason::Existing);
        }
    }
    (6, FormatReason::Default)
}

/// The steps every `init`-like operation shares, in Elasticsearch's order (spec §1.2 steps 7–14,
/// §2.1, §3, §4), with the discovery block of a bundle node when `bundle` is given.
fn build(
    facts: &Facts,
    opts: &InitOptions,
    operation: Operation,
    certificates: CertPlan,
    enrollment: Option<EnrollmentPlan>,
    base_yml: Option<String>,
    bundle: Option<&BundledNode>,
) -> Plan {
    let layout = Layout::new(&facts.config_dir, opts.epoch());
    let name = node_name(facts);
    // New files and directories get `--group`, else the group of a setgid config directory
    // (the package layout), which a chmod of the staging directory would otherwise not pass on;
    // `reconfigure` also keeps the group of the `certs/` it replaces.
    let inherited = facts.config_owner.filter(|o| o.setgid).map(|o| o.gid);
    let mut new_gid = opts.group.or(inherited);
    if operation == Operation::Reconfigure {
        new_gid = new_gid.or(facts.certs_group);
    }
    let new_owner = OwnerRule::Runner { gid: new_gid };

    let keystore_exists = facts.keystore != FileKind::Missing;
    let (format_version, format_reason) = keystore_format(facts, opts.keystore_format);
    let mut add = vec![
        (PASSWORD_SETTINGS[0], SecretValue::TransportStorePassword),
        (PASSWORD_SETTINGS[1], SecretValue::TransportStorePassword),
        (PASSWORD_SETTINGS[2], SecretValue::HttpStorePassword),
    ];
    if opts.elastic_password {
        add.push((PASSWORD_HASH_SETTING, SecretValue::ElasticPasswordHash));
    }
    let reconfiguring = operation == Operation::Reconfigure;
    let keystore = KeystoreEdit {
        path: layout.keystore(),
        exists: keystore_exists,
        password_protected: facts.keystore_has_password.unwrap_or(false),
        format_version,
        format_reason,
        require: if reconfiguring {
            PASSWORD_SETTINGS.to_vec()
        } else {
            Vec::new()
        },
        remove: if reconfiguring {
            RECONFIGURE_REMOVED_SETTINGS.to_vec()
        } else {
            Vec::new()
        },
        refuse_if_present: PASSWORD_SETTINGS.to_vec(),
        add,
    };

    let inputs = BlockInputs {
        node_name: Some(name.clone()),
        seed_hosts: enrollment.as_ref().map(|e| {
            e.seed_hosts.clone().unwrap_or_else(|| {
                vec!["<transport addresses from the cluster's enrollment answer>".into()]
            })
        }),
        transport_host_uncommented: enrollment
            .as_ref()
            .is_some_and(|e| e.transport_host_uncommented),
        timestamp: esac_certspec::es_timestamp(layout.epoch()),
    };
    let block = match bundle {
        None => yml::render_block(&facts.settings, &inputs),
        Some(node) => yml::render_block_bundle(
            &facts.settings,
            &BlockInputs {
                seed_hosts: Some(node.seed_hosts.clone()),
                transport_host_uncommented: node.transport_host_uncommented,
                ..inputs
            },
            &node.initial_master_nodes,
        ),
    };
    let before = facts.yml_text.clone().unwrap_or_default();
    let change = YmlChange::Append {
        block: block.clone(),
        previous_block_removed: base_yml.is_some(),
    };
    let yml = match (&base_yml, yml::patch_suffix(&before, &block)) {
        (None, Some(suffix)) => YmlEdit::appending(before, suffix, change),
        (Some(base), _) => YmlEdit::new(before, yml::patched_yml(base, &block), change),
        (None, None) => {
            let after = yml::patched_yml(&before, &block);
            YmlEdit::new(before, after, change)
        }
    };

    let mut steps = Vec::new();
    let mut step = |id, action| steps.push(Step { id, action });
    let write_new = |path: RelPath, content| FileWrite {
        temp: layout.temp_for(&path),
        path,
        mode: ModeRule::Set(FILE_MODE),
        owner: new_owner,
        content,
        existing: Existing::Absent,
    };

    step(StepId::Journal, Action::BeginJournal);
    step(
        StepId::StagingDir,
        Action::CreateDir {
            path: layout.staging(),
            mode: DIR_MODE,
            owner: new_owner,
        },
    );
    step(
        StepId::OwnerCheck,
        Action::CheckSameOwner {
            path: layout.staging(),
        },
    );
    let mut products = vec![
        Product::Certificates(certificates),
        Product::Keystore(keystore),
    ];
    if opts.elastic_password {
        products.push(Product::PasswordHash);
    }
    step(StepId::Generate, Action::Produce(products));
    step(
        StepId::WriteHttpCa,
        Action::WriteFile(write_new(
            layout.staging_file(CertFile::HttpCaCrt),
            Content::HttpCaPem,
        )),
    );
    if keystore_exists {
        step(
            StepId::KeystoreBackup,
            Action::Backup {
                target: layout.keystore(),
                backup: layout.keystore_backup(),
            },
        );
    }
    step(StepId::KeystoreOpen, Action::CheckKeystore);
    step(
        StepId::WriteTransportP12,
        Action::WriteFile(write_new(
            layout.staging_file(CertFile::TransportP12),
            Content::TransportP12,
        )),
    );
    step(
        StepId::WriteHttpP12,
        Action::WriteFile(write_new(
            layout.staging_file(CertFile::HttpP12),
            Content::HttpP12,
        )),
    );
    step(
        StepId::KeystoreSave,
        Action::WriteFile(FileWrite {
            path: layout.keystore(),
            temp: layout.temp_for(&layout.keystore()),
            mode: ModeRule::Set(FILE_MODE),
            owner: OwnerRule::RunnerMustOwnReplaced { gid: new_gid },
            content: Content::Keystore,
            existing: if keystore_exists {
                Existing::Replaced
            } else {
                Existing::Absent
            },
        }),
    );
    if facts.certs_dir_exists {
        step(
            StepId::MoveCerts,
            Action::Rename {
                from: layout.certs(),
                to: layout.certs_backup(),
            },
        );
    }
    step(
        StepId::RenameStaging,
        Action::Rename {
            from: layout.staging(),
            to: layout.certs(),
        },
    );
    step(
        StepId::WriteYml,
        Action::Commit(FileWrite {
            path: layout.yml(),
            temp: layout.temp_for(&layout.yml()),
            mode: ModeRule::KeepReplaced,
            owner: OwnerRule::KeepReplaced { gid: opts.group },
            content: Content::Yml(yml),
            existing: Existing::Replaced,
        }),
    );
    // Success: the keystore backup goes; `certs.<epoch>.orig` stays, as in Elasticsearch, except
    // when reconfiguring, which removes the previous `certs/` (spec §8.2 step 8).
    let mut leftovers = Vec::new();
    if keystore_exists {
        leftovers.push(layout.keystore_backup());
    }
    if reconfiguring && facts.certs_dir_exists {
        leftovers.push(layout.certs_backup());
    }
    step(StepId::Cleanup, Action::Cleanup(leftovers));

    Plan {
        operation,
        layout,
        about: About {
            node_name: Some(name),
            elasticsearch_version: facts.es_version,
            enrollment,
            bundle: None,
        },
        steps,
    }
}
