//! The JSON documents of `--format json`: serializable counterparts of the engine's types
//! (rust-analyzer's rule: only the edge knows JSON). Schema `version: 1`, documented in
//! docs/cli.md; fields are only ever added within a version. No secret is ever part of one,
//! except the token of `enrollment-token` and the value of `keystore show`, which are what those
//! commands are asked for.

use std::path::PathBuf;

use esac_app::init::{Delivered, InitOutcome, PasswordChannel};
use esac_app::{Failure, Paths};
use esac_certspec::Utc;
use esac_core::plan::{Action, ModeRule, Plan, Undo, YmlChange};
use esac_core::{EsExit, Reason, Skip};
use serde::Serialize;

/// `decision`.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Configured, or would be.
    Configure,
    /// Left as it is.
    Skip,
    /// Stopped by an error.
    Error,
}

/// `reason`.
#[derive(Clone, Debug, Serialize)]
pub struct ReasonDoc {
    /// Stable code (docs/cli.md).
    pub code: &'static str,
    /// Human-readable message (Elasticsearch's where it has one).
    pub message: String,
}

/// The document of `init` and `reconfigure`, and of every failure.
#[derive(Debug, Serialize)]
pub struct Report {
    version: u32,
    command: &'static str,
    decision: Decision,
    exit_code: u8,
    dry_run: bool,
    reason: ReasonDoc,
    es_home: Option<PathBuf>,
    config_dir: Option<PathBuf>,
    plan: Option<PlanDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_ca_fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    elastic_password: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl Report {
    /// The document of a failure of `command`, which exits with `exit_code`.
    pub fn error(
        command: &'static str,
        f: &Failure,
        paths: Option<&Paths>,
        notes: Vec<String>,
        exit_code: u8,
    ) -> Self {
        Report {
            version: 1,
            command,
            decision: Decision::Error,
            exit_code,
            dry_run: false,
            reason: ReasonDoc {
                code: f.reason().as_str(),
                message: f.message(),
            },
            es_home: paths.map(|p| p.es_home.clone()),
            config_dir: paths.map(|p| p.config_dir.clone()),
            plan: None,
            http_ca_fingerprint: None,
            elastic_password: None,
            credentials_file: None,
            notes,
        }
    }

    /// The document of an `init`/`reconfigure` outcome.
    pub fn outcome(
        command: &'static str,
        o: &InitOutcome,
        paths: &Paths,
        dry_run: bool,
        notes: Vec<String>,
    ) -> Self {
        let mut r = Report {
            version: 1,
            command,
            decision: Decision::Configure,
            exit_code: 0,
            dry_run,
            reason: ReasonDoc {
                code: Reason::Configure.as_str(),
                message: String::new(),
            },
            es_home: Some(paths.es_home.clone()),
            config_dir: Some(paths.config_dir.clone()),
            plan: None,
            http_ca_fingerprint: None,
            elastic_password: None,
            credentials_file: None,
            notes,
        };
        match o {
            InitOutcome::Skipped(skip) => {
                r.decision = Decision::Skip;
                r.exit_code = skip.exit.code();
                r.reason = skip_reason(skip);
            }
            InitOutcome::Planned { plan, password, .. } => {
                r.reason.message =
                    "the node is new and unconfigured: security would be auto-configured".into();
                r.plan = Some(PlanDoc::of(plan));
                r.elastic_password = Some(channel_name(password));
                if let PasswordChannel::File(p) = password {
                    r.credentials_file = Some(p.clone());
                }
            }
            InitOutcome::Configured {
                plan,
                fingerprint,
                password,
                ..
            } => {
                r.reason.message = "security auto-configuration is complete".into();
                r.plan = Some(PlanDoc::of(plan));
                r.http_ca_fingerprint = Some(fingerprint.clone());
                let (name, file) = match password {
                    Delivered::Terminal(_) => ("terminal", None),
                    Delivered::File(p) => ("file", Some(p.clone())),
                    Delivered::None(c) => (channel_name(c), None),
                };
                r.elastic_password = Some(name);
                r.credentials_file = file;
            }
        }
        r
    }
}

fn skip_reason(skip: &Skip) -> ReasonDoc {
    ReasonDoc {
        code: skip.reason.as_str(),
        message: skip.message.clone(),
    }
}

fn channel_name(c: &PasswordChannel) -> &'static str {
    match c {
        PasswordChannel::Terminal => "terminal",
        PasswordChannel::File(_) => "file",
        PasswordChannel::ClusterHasOne => "cluster_has_one",
        PasswordChannel::NotGenerated => "not_generated",
        PasswordChannel::Bundle => "bundle",
    }
}

/// `plan`.
#[derive(Debug, Serialize)]
pub struct PlanDoc {
    mode: &'static str,
    epoch: i64,
    node_name: Option<String>,
    elasticsearch_version: Option<String>,
    staging_dir: PathBuf,
    certs_dir: PathBuf,
    certs_backup: Option<PathBuf>,
    dirs: Vec<DirDoc>,
    files: Vec<FileDoc>,
    certificates: Vec<CertDoc>,
    keystore: Option<KeystoreDoc>,
    yml: Option<YmlDoc>,
    steps: Vec<StepDoc>,
}

#[derive(Debug, Serialize)]
struct DirDoc {
    path: PathBuf,
    mode: u32,
    purpose: &'static str,
}

#[derive(Debug, Serialize)]
struct FileDoc {
    path: PathBuf,
    mode: Option<u32>,
    content: &'static str,
}

#[derive(Debug, Serialize)]
struct CertDoc {
    name: &'static str,
    subject: String,
    issuer: String,
    validity_days: u32,
    not_before: String,
    not_after: String,
    ca: bool,
    sans: Vec<String>,
    extended_key_usage: Vec<&'static str>,
    key_usage: Vec<&'static str>,
    key_type: &'static str,
    signature_algorithm: &'static str,
    generated: bool,
}

#[derive(Debug, Serialize)]
struct KeystoreDoc {
    path: PathBuf,
    action: &'static str,
    backup: Option<PathBuf>,
    format_version: u32,
    format_reason: String,
    password_protected: bool,
    remove: Vec<&'static str>,
    add: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
struct YmlDoc {
    path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    append: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    removed_lines: Vec<LineDoc>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    added_lines: Vec<String>,
}

#[derive(Debug, Serialize)]
struct LineDoc {
    line: usize,
    text: String,
}

#[derive(Debug, Serialize)]
struct StepDoc {
    step: &'static str,
    action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    undo: Option<String>,
}

fn mode_number(m: ModeRule) -> Option<u32> {
    match m {
        ModeRule::Set(m) => Some(m),
        ModeRule::KeepReplaced => None,
    }
}

impl PlanDoc {
    pub(crate) fn of(plan: &Plan) -> Self {
        let l = &plan.layout;
        let has = |id| plan.step(id).is_some();
        let steps = plan
            .steps
            .iter()
            .map(|s| {
                let (path, mode) = match &s.action {
                    Action::CreateDir { path, mode, .. } => (Some(l.abs(path)), Some(*mode)),
                    Action::WriteFile(w) | Action::Commit(w) => {
                        (Some(l.abs(&w.path)), mode_number(w.mode))
                    }
                    Action::Backup { backup, .. } => (Some(l.abs(backup)), None),
                    Action::Rename { to, .. } => (Some(l.abs(to)), None),
                    Action::CheckSameOwner { path } => (Some(l.abs(path)), None),
                    _ => (None, None),
                };
                let undo = match s.action.undo() {
                    Undo::Nothing => None,
                    u => Some(undo_name(&u).to_owned()),
                };
                StepDoc {
                    step: s.id.name(),
                    action: esac_core::render::step_text(plan, &s.action),
                    path,
                    mode,
                    undo,
                }
            })
            .collect();
        PlanDoc {
            mode: plan.operation.name(),
            epoch: l.epoch(),
            node_name: plan.about.node_name.clone(),
            elasticsearch_version: plan
                .about
                .elasticsearch_version
                .map(|(a, b, c)| format!("{a}.{b}.{c}")),
            staging_dir: l.abs(&l.staging()),
            certs_dir: l.abs(&l.certs()),
            certs_backup: has(esac_core::StepId::MoveCerts).then(|| l.abs(&l.certs_backup())),
            dirs: plan
                .created_dirs()
                .map(|(p, mode)| DirDoc {
                    path: l.abs(p),
                    mode,
                    purpose: "staging, renamed to certs/",
                })
                .collect(),
            files: plan
                .written_files()
                .into_iter()
                .map(|(p, w)| FileDoc {
                    path: l.abs(&p),
                    mode: mode_number(w.mode),
                    content: plan.describe_content(&w.content),
                })
                .collect(),
            certificates: plan
                .certificates()
                .map(|c| c.certs.iter().map(cert_doc).collect())
                .unwrap_or_default(),
            keystore: plan.keystore().map(|k| KeystoreDoc {
                path: l.abs(&k.path),
                action: if k.exists { "update" } else { "create" },
                backup: has(esac_core::StepId::KeystoreBackup).then(|| l.abs(&l.keystore_backup())),
                format_version: k.format_version,
                format_reason: k.format_reason_text(),
                password_protected: k.password_protected,
                remove: k.remove.clone(),
                add: k.add.iter().map(|(n, _)| *n).collect(),
            }),
            yml: plan.yml().map(|y| {
                let path = l.abs(&l.yml());
                match &y.change {
                    YmlChange::Append { block, .. } => YmlDoc {
                        path,
                        append: Some(block.clone()),
                        removed_lines: Vec::new(),
                        added_lines: Vec::new(),
                    },
                    YmlChange::Lines { removed, added } => YmlDoc {
                        path,
                        append: None,
                        removed_lines: removed
                            .iter()
                            .map(|(line, text)| LineDoc {
                                line: *line,
                                text: text.clone(),
                            })
                            .collect(),
                        added_lines: added.clone(),
                    },
                }
            }),
            steps,
        }
    }
}

fn cert_doc(c: &esac_certspec::CertSpec) -> CertDoc {
    CertDoc {
        name: c.role.name(),
        subject: c.subject_text(),
        issuer: c.issuer_dn(),
        validity_days: c.validity_days,
        not_before: Utc(c.not_before).rfc3339(),
        not_after: Utc(c.not_after()).rfc3339(),
        ca: c.is_ca,
        sans: c.sans.iter().map(ToString::to_string).collect(),
        extended_key_usage: c.extended_key_usage.iter().map(|e| e.name()).collect(),
        key_usage: c.key_usage.iter().map(|k| k.name()).collect(),
        key_type: c.key_type.name(),
        signature_algorithm: c.key_type.signature_algorithm(),
        generated: c.generated,
    }
}

fn undo_name(u: &Undo) -> &'static str {
    match u {
        Undo::Nothing => "nothing",
        Undo::RemoveJournal => "remove_journal",
        Undo::RemoveDir(_) => "remove_dir",
        Undo::RemoveFile(_) => "remove_file",
        Undo::RenameBack { .. } => "rename_back",
        Undo::RestoreBackup { .. } => "restore_backup",
    }
}

/// `keystore list`.
#[derive(Debug, Serialize)]
pub struct KeystoreList {
    pub version: u32,
    pub command: &'static str,
    pub names: Vec<String>,
}

/// `keystore has-password`.
#[derive(Debug, Serialize)]
pub struct KeystoreHasPassword {
    pub version: u32,
    pub command: &'static str,
    pub path: PathBuf,
    pub exists: bool,
    pub has_password: bool,
}

/// `keystore show` (only what the command was asked to reveal).
#[derive(Debug, Serialize)]
pub struct KeystoreShow<'a> {
    pub version: u32,
    pub command: &'static str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_base64: Option<String>,
}

/// `enrollment-token`.
#[derive(Debug, Serialize)]
pub struct Token<'a> {
    pub version: u32,
    pub command: &'static str,
    pub token: &'a str,
    pub scope: &'static str,
    pub addresses: &'a [String],
    pub http_ca_fingerprint: &'a str,
    pub expires_at_epoch_seconds: u64,
}

/// A certificate in a `renew` document.
#[derive(Debug, Serialize)]
pub struct RenewCertDoc {
    subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial: Option<String>,
    not_before: String,
    not_after: String,
    days_left: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sans: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'static str>,
}

impl RenewCertDoc {
    fn of(c: &esac_app::renew::CertReport) -> Self {
        RenewCertDoc {
            subject: c.subject.clone(),
            serial: c.serial.clone(),
            not_before: Utc(c.not_before).rfc3339(),
            not_after: Utc(c.not_after).rfc3339(),
            days_left: c.days_left,
            sans: c.sans.clone(),
            sha256: c.sha256.clone(),
            key: c.key.map(|k| k.name()),
        }
    }
}

/// A file in a `renew` document.
#[derive(Debug, Serialize)]
pub struct RenewFileDoc {
    path: PathBuf,
    action: &'static str,
    mode: u32,
    uid: u32,
    gid: u32,
}

/// `reload` of a `renew` document.
#[derive(Debug, Serialize)]
pub struct ReloadDoc {
    enabled: bool,
    interval_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    waited: Option<ReloadCheckDoc>,
}

/// What `--wait-reload` saw.
#[derive(Debug, Serialize)]
pub struct ReloadCheckDoc {
    url: String,
    seen: bool,
    required: bool,
    waited_ms: u64,
    last: String,
}

/// The document of `renew http` and `renew http-ca` (lifecycle spec §3.3).
#[derive(Debug, Serialize)]
pub struct RenewDoc {
    version: u32,
    command: &'static str,
    target: &'static str,
    decision: &'static str,
    dry_run: bool,
    exit_code: u8,
    reason: ReasonDoc,
    config_dir: PathBuf,
    before: RenewCertDoc,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<RenewCertDoc>,
    capped_by_ca: bool,
    key_reused: bool,
    ca: RenewCertDoc,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_after: Option<RenewCertDoc>,
    files: Vec<RenewFileDoc>,
    reload: ReloadDoc,
    summary: Vec<String>,
    plan: Option<PlanDoc>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl RenewDoc {
    /// The document of a `renew` outcome.
    pub fn of(
        o: &esac_app::renew::RenewOutcome,
        paths: &Paths,
        dry_run: bool,
        notes: Vec<String>,
        summary: &[String],
    ) -> Self {
        use esac_app::renew::RenewOutcome;
        let r = o.report();
        let (decision, reason, plan) = match o {
            RenewOutcome::Skipped {
                reason, message, ..
            } => (
                "skip",
                ReasonDoc {
                    code: reason.as_str(),
                    message: message.clone(),
                },
                None,
            ),
            RenewOutcome::Renewed { plan, .. } if o.exit() == EsExit::Unavailable => (
                "renew",
                ReasonDoc {
                    code: Reason::ReloadNotSeen.as_str(),
                    message: "renewed, but the node did not serve the new certificate in time"
                        .into(),
                },
                Some(PlanDoc::of(plan)),
            ),
            RenewOutcome::Planned { plan, .. } | RenewOutcome::Renewed { plan, .. } => (
                "renew",
                ReasonDoc {
                    code: Reason::Renewed.as_str(),
                    message: match o {
                        RenewOutcome::Planned { .. } => "would renew".into(),
                        _ => "renewed".into(),
                    },
                },
                Some(PlanDoc::of(plan)),
            ),
        };
        RenewDoc {
            version: 1,
            command: r.target.command(),
            target: r.target.name(),
            decision,
            dry_run,
            exit_code: o.exit().code(),
            reason,
            config_dir: paths.config_dir.clone(),
            before: RenewCertDoc::of(&r.before),
            after: r.after.as_ref().map(RenewCertDoc::of),
            capped_by_ca: r.capped_by_ca,
            key_reused: r.key_reused,
            ca: RenewCertDoc::of(&r.ca_before),
            ca_after: r.ca_after.as_ref().map(RenewCertDoc::of),
            files: r
                .files
                .iter()
                .map(|f| RenewFileDoc {
                    path: f.path.clone(),
                    action: f.action,
                    mode: f.mode,
                    uid: f.uid,
                    gid: f.gid,
                })
                .collect(),
            reload: ReloadDoc {
                enabled: r.reload.enabled,
                interval_ms: r.reload.interval_ms,
                waited: r.reload_check.as_ref().map(|c| ReloadCheckDoc {
                    url: c.url.clone(),
                    seen: c.seen,
                    required: c.required,
                    waited_ms: c.waited_ms,
                    last: c.last.clone(),
                }),
            },
            summary: summary.to_vec(),
            plan,
            notes,
        }
    }
}

/// `cluster` of a `finalize` document.
#[derive(Debug, Serialize)]
pub struct ClusterDoc {
    formed: bool,
    evidence: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unknown_because: Option<String>,
    assumed: bool,
}

/// One action of a `finalize` document.
#[derive(Debug, Serialize)]
pub struct ActionDoc {
    action: &'static str,
    result: &'static str,
    reason: ReasonDoc,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    removed_lines: Vec<LineDoc>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    added_lines: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    removed: Vec<PathBuf>,
}

/// The document of `finalize` (lifecycle spec §4.3).
#[derive(Debug, Serialize)]
pub struct FinalizeDoc {
    version: u32,
    command: &'static str,
    decision: &'static str,
    dry_run: bool,
    exit_code: u8,
    reason: ReasonDoc,
    config_dir: PathBuf,
    cluster: ClusterDoc,
    actions: Vec<ActionDoc>,
    summary: Vec<String>,
    plan: Option<PlanDoc>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl FinalizeDoc {
    /// The document of a `finalize` outcome.
    pub fn of(
        o: &esac_app::finalize::FinalizeOutcome,
        paths: &Paths,
        dry_run: bool,
        notes: Vec<String>,
        summary: &[String],
    ) -> Self {
        use esac_core::finalize::{ActionResult, Formation};
        let f = &o.finalization;
        let reason = f.reason();
        let actions = f
            .actions
            .iter()
            .map(|a| {
                let (result, code) = match &a.result {
                    ActionResult::Applied => ("applied", Reason::Removed),
                    ActionResult::NothingToDo => ("nothing_to_do", Reason::NothingToDo),
                    ActionResult::Refused(r) => ("refused", *r),
                };
                ActionDoc {
                    action: a.action.name(),
                    result,
                    reason: ReasonDoc {
                        code: code.as_str(),
                        message: a.message.clone(),
                    },
                    mode: a.removal.as_ref().map(|r| r.mode.name()),
                    file: a
                        .removal
                        .as_ref()
                        .map(|_| paths.config_dir.join("elasticsearch.yml")),
                    removed_lines: a
                        .removal
                        .iter()
                        .flat_map(|r| &r.removed)
                        .map(|(line, text)| LineDoc {
                            line: *line,
                            text: text.clone(),
                        })
                        .collect(),
                    added_lines: a
                        .removal
                        .as_ref()
                        .map(|r| r.added.clone())
                        .unwrap_or_default(),
                    removed: a
                        .paths
                        .iter()
                        .map(|p| paths.config_dir.join(p.as_str()))
                        .collect(),
                }
            })
            .collect();
        FinalizeDoc {
            version: 1,
            command: "finalize",
            decision: match o.exit().code() {
                0 => "finalize",
                80 => "skip",
                _ => "refuse",
            },
            dry_run,
            exit_code: o.exit().code(),
            reason: ReasonDoc {
                code: reason.as_str(),
                message: f
                    .actions
                    .iter()
                    .find(|a| matches!(a.result, ActionResult::Refused(_)))
                    .map(|a| a.message.clone())
                    .unwrap_or_else(|| match reason {
                        Reason::Finalized => "at least one action applies, none was refused".into(),
                        _ => "no action applies".into(),
                    }),
            },
            config_dir: paths.config_dir.clone(),
            cluster: ClusterDoc {
                formed: o.formation.formed(),
                evidence: o.formation.evidence(),
                cluster_uuid: match &o.formation {
                    Formation::Committed { cluster_uuid } => cluster_uuid.clone(),
                    _ => None,
                },
                unknown_because: match &o.formation {
                    Formation::Unknown(why) => Some(why.clone()),
                    _ => None,
                },
                assumed: o.assumed,
            },
            actions,
            summary: summary.to_vec(),
            plan: f.plan.as_ref().map(PlanDoc::of),
            notes,
        }
    }
}

/// `layout`: the manifest of the written bundle (what `bundle.json` holds), or, with
/// `--dry-run`, what would be written.
#[derive(Debug, Serialize)]
pub struct LayoutReport {
    version: u32,
    command: &'static str,
    decision: Decision,
    exit_code: u8,
    dry_run: bool,
    reason: ReasonDoc,
    out: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle: Option<esac_core::bundle::BundleManifest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<LayoutPlanDoc>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct LayoutPlanDoc {
    key_type: &'static str,
    keys: usize,
    reuse_ca_dir: Option<PathBuf>,
    shared_transport_key: bool,
    passphrase_protected: bool,
    masters: Vec<String>,
    seed_hosts: Vec<String>,
    bootstrap: bool,
    nodes: Vec<LayoutNodeDoc>,
    dirs: Vec<DirDoc>,
    files: Vec<FileDoc>,
}

#[derive(Debug, Serialize)]
struct LayoutNodeDoc {
    name: String,
    filename: String,
    node_name: String,
    master: bool,
    certificates: Vec<CertDoc>,
}

impl LayoutReport {
    /// The document of a `layout` outcome.
    pub fn of(o: &esac_app::layout::LayoutOutcome, notes: Vec<String>) -> Self {
        use esac_app::layout::LayoutOutcome;
        use esac_core::bundle::{Authorities, BUNDLE_DIR_MODE, BUNDLE_FILE_MODE};
        let (plan, manifest, dry_run) = match o {
            LayoutOutcome::Planned(p) => (p, None, true),
            LayoutOutcome::Written { plan, manifest } => (plan, Some((**manifest).clone()), false),
        };
        let doc = dry_run.then(|| LayoutPlanDoc {
            key_type: plan.key_type.name(),
            keys: plan.key_count(),
            reuse_ca_dir: match &plan.authorities {
                Authorities::Generate(_) => None,
                Authorities::Reuse(d) => Some(d.clone()),
            },
            shared_transport_key: plan.shared_transport_key,
            passphrase_protected: plan.passphrase,
            masters: plan.masters.clone(),
            seed_hosts: plan.seed_hosts.clone(),
            bootstrap: plan.bootstrap,
            nodes: plan
                .nodes
                .iter()
                .map(|n| LayoutNodeDoc {
                    name: n.instance.name.clone(),
                    filename: n.instance.filename.clone(),
                    node_name: n.node_name().to_owned(),
                    master: n.master,
                    certificates: n.certificates.certs.iter().map(cert_doc).collect(),
                })
                .collect(),
            dirs: std::iter::once(plan.out.clone())
                .chain(plan.dirs().iter().map(|d| plan.out.join(d.to_string())))
                .map(|path| DirDoc {
                    path,
                    mode: BUNDLE_DIR_MODE,
                    purpose: "bundle directory",
                })
                .collect(),
            files: plan
                .files()
                .iter()
                .map(|f| FileDoc {
                    path: plan.out.join(f.path.to_string()),
                    mode: Some(BUNDLE_FILE_MODE),
                    content: f.content.describe(),
                })
                .collect(),
        });
        LayoutReport {
            version: 1,
            command: "layout",
            decision: Decision::Configure,
            exit_code: 0,
            dry_run,
            reason: ReasonDoc {
                code: Reason::Configure.as_str(),
                message: if dry_run {
                    "the bundle would be written".into()
                } else {
                    "the bundle was written".into()
                },
            },
            out: plan.out.clone(),
            bundle: manifest,
            plan: doc,
            notes,
        }
    }
}

/// `status` (schema `version: 1`, docs/cli.md). Built from what was observed and the report;
/// nothing in either is secret (setting names, fingerprints and serials only).
#[derive(Debug, Serialize)]
pub struct Status {
    version: u32,
    command: &'static str,
    checked_at: String,
    overall: &'static str,
    exit_code: u8,
    exit_codes: &'static str,
    /// The least severity that exits 78 (`--exit-codes es` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    fail_on: Option<&'static str>,
    es_home: PathBuf,
    config_dir: PathBuf,
    elasticsearch_version: Option<String>,
    autoconfigured: bool,
    thresholds: StatusThresholds,
    service_user: StatusUser,
    node: StatusNode,
    keystore: StatusKeystore,
    tls: Vec<StatusLayer>,
    files: Vec<StatusFile>,
    certificates: Vec<StatusCert>,
    san_coverage: Option<StatusSan>,
    leftovers: Vec<String>,
    findings: Vec<StatusFinding>,
    perfdata: serde_json::Map<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct StatusThresholds {
    warn_days: i64,
    crit_days: i64,
}

#[derive(Debug, Serialize)]
struct StatusUser {
    name: String,
    uid: u32,
    gid: u32,
    chosen: &'static str,
}

#[derive(Debug, Serialize)]
struct StatusNode {
    name: Option<String>,
    started: bool,
    cluster_formed: bool,
    formation_evidence: &'static str,
    cluster_uuid: Option<String>,
    formation_detail: Option<String>,
    data_paths: Vec<PathBuf>,
    cluster_initial_master_nodes: Vec<String>,
    cluster_initial_master_nodes_source: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct StatusKeystore {
    path: PathBuf,
    state: &'static str,
    format_version: Option<u32>,
    password_protected: Option<bool>,
    opened: bool,
    settings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct StatusLayer {
    layer: &'static str,
    enabled: bool,
    verification_mode: String,
    files: Vec<StatusStore>,
}

#[derive(Debug, Serialize)]
struct StatusStore {
    setting: &'static str,
    path: PathBuf,
    format: &'static str,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Debug, Serialize)]
struct StatusFile {
    path: PathBuf,
    role: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    symlink_target: Option<PathBuf>,
    mount_point: bool,
    mode: Option<u32>,
    uid: Option<u32>,
    gid: Option<u32>,
    owner: Option<String>,
    group: Option<String>,
    readable_by_service_user: Option<bool>,
}

#[derive(Debug, Serialize)]
struct StatusCert {
    id: String,
    file: String,
    alias: Option<String>,
    subject: String,
    issuer: String,
    serial: String,
    not_before: String,
    not_after: String,
    days_left: i64,
    key: String,
    signature_algorithm: String,
    sha256: String,
    ca: bool,
    sans: Vec<String>,
    key_matches: Option<bool>,
    chain_ok: Option<bool>,
}

#[derive(Debug, Serialize)]
struct StatusSan {
    cli_url: String,
    cli_url_covered: Option<bool>,
    expected: Vec<String>,
    missing: Vec<String>,
    stale: Vec<String>,
}

#[derive(Debug, Serialize)]
struct StatusFinding {
    id: String,
    severity: &'static str,
    subject: String,
    message: String,
    fix: Option<String>,
    details: serde_json::Map<String, serde_json::Value>,
}

fn detail_value(d: &esac_status::Detail) -> serde_json::Value {
    use esac_status::Detail;
    match d {
        Detail::Int(i) => (*i).into(),
        Detail::Text(t) => t.clone().into(),
        Detail::List(l) => l.clone().into(),
    }
}

impl Status {
    /// The document of a `status` run.
    pub fn of(
        outcome: &esac_app::status::StatusOutcome,
        mode: esac_status::ExitCodes,
        exit_code: u8,
        notes: Vec<String>,
    ) -> Self {
        use esac_status::{
            ChainCheck, FileState, Formation, KeyCheck, KeystoreState, StoreFormat, StoreState,
            UserChoice,
        };
        let (o, r) = (&outcome.observed, &outcome.report);
        let f = &o.node.formation;
        let (formed, evidence) = (f.formed(), f.evidence());
        let (uuid, detail) = match f {
            Formation::Committed { cluster_uuid } => (cluster_uuid.clone(), None),
            Formation::Unknown(why) => (None, Some(why.clone())),
            _ => (None, None),
        };
        let ks = &o.keystore.state;
        let keystore = StatusKeystore {
            path: o.keystore.path.clone(),
            state: match ks {
                KeystoreState::Missing => "missing",
                KeystoreState::Unreadable(_) => "unreadable",
                KeystoreState::UnsupportedVersion(_) => "unsupported_version",
                KeystoreState::Corrupt(_) => "corrupt",
                KeystoreState::Locked { .. } => "locked",
                KeystoreState::WrongPassword { .. } => "wrong_password",
                KeystoreState::Open { .. } => "open",
            },
            format_version: ks.version(),
            password_protected: ks.protected(),
            opened: matches!(ks, KeystoreState::Open { .. }),
            settings: match ks {
                KeystoreState::Open { names, .. } => names.clone(),
                _ => Vec::new(),
            },
        };
        let tls = o
            .layers
            .iter()
            .map(|l| StatusLayer {
                layer: l.layer.name(),
                enabled: l.enabled,
                verification_mode: l.verification_mode.clone(),
                files: l
                    .stores
                    .iter()
                    .map(|s| {
                        let (state, detail) = match &s.state {
                            StoreState::Read => ("read", None),
                            StoreState::Missing => ("missing", None),
                            StoreState::Unreadable(d) => ("unreadable", Some(d.clone())),
                            StoreState::Denied(d) => ("denied", Some(d.clone())),
                            StoreState::WrongPassword { setting } => {
                                ("wrong_password", Some(setting.clone()))
                            }
                            StoreState::NoPassword { setting } => {
                                ("no_password", Some(setting.clone()))
                            }
                            StoreState::PasswordUnknown => ("not_checked_keystore_locked", None),
                            StoreState::Unsupported => ("not_checked_unsupported_format", None),
                            StoreState::Encrypted => ("not_checked_encrypted", None),
                        };
                        StatusStore {
                            setting: s.role.name(),
                            path: s.path.clone(),
                            format: match s.format {
                                StoreFormat::Pkcs12 => "pkcs12",
                                StoreFormat::Pem => "pem",
                                StoreFormat::Unsupported("JKS") => "jks",
                                StoreFormat::Unsupported(_) => "pkcs11",
                            },
                            state,
                            detail,
                        }
                    })
                    .collect(),
            })
            .collect();
        let files = o
            .files
            .iter()
            .map(|f| {
                let m = match &f.state {
                    FileState::Found(m) => Some(m),
                    _ => None,
                };
                StatusFile {
                    path: f.path.clone(),
                    role: f.role.name(),
                    kind: match (&f.state, m) {
                        (FileState::Missing, _) => "missing",
                        (FileState::Error(_), _) => "error",
                        (_, Some(m)) if m.dir => "directory",
                        (_, Some(m)) if m.regular => "file",
                        _ => "other",
                    },
                    symlink_target: m.and_then(|m| m.symlink_target.clone()),
                    mount_point: m.is_some_and(|m| m.mount_point),
                    mode: m.map(|m| m.mode),
                    uid: m.map(|m| m.uid),
                    gid: m.map(|m| m.gid),
                    owner: m.and_then(|m| m.owner.clone()),
                    group: m.and_then(|m| m.group.clone()),
                    readable_by_service_user: m.map(|m| m.readable_by_service_user),
                }
            })
            .collect();
        let certificates = r
            .certificates
            .iter()
            .map(|c| {
                let i = &c.cert.info;
                StatusCert {
                    id: c.id.clone(),
                    file: c.cert.file.clone(),
                    alias: c.cert.alias.clone(),
                    subject: i.subject.clone(),
                    issuer: i.issuer.clone(),
                    serial: i.serial.clone(),
                    not_before: Utc(i.not_before).rfc3339(),
                    not_after: Utc(i.not_after).rfc3339(),
                    days_left: c.days_left,
                    key: i.key_description.clone(),
                    signature_algorithm: i.signature_algorithm.clone(),
                    sha256: i.sha256.clone(),
                    ca: i.is_ca,
                    sans: i.sans.iter().map(ToString::to_string).collect(),
                    key_matches: match c.cert.key {
                        KeyCheck::Matches => Some(true),
                        KeyCheck::Mismatch => Some(false),
                        _ => None,
                    },
                    chain_ok: match c.cert.chain {
                        ChainCheck::Verified(_) | ChainCheck::SelfSigned => Some(true),
                        ChainCheck::Broken(_) => Some(false),
                        ChainCheck::NotChecked => None,
                    },
                }
            })
            .collect();
        let list = |v: &[esac_certspec::SanEntry]| v.iter().map(ToString::to_string).collect();
        let san_coverage = r.san.as_ref().map(|s| StatusSan {
            cli_url: s.cli_url.clone(),
            cli_url_covered: s.cli_url_covered,
            expected: list(&s.expected),
            missing: list(&s.missing),
            stale: list(&s.stale),
        });
        let findings = r
            .findings
            .iter()
            .map(|f| StatusFinding {
                id: f.id.clone(),
                severity: f.severity.name(),
                subject: f.subject.clone(),
                message: f.message.clone(),
                fix: f.fix.clone(),
                details: f
                    .details
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), detail_value(v)))
                    .collect(),
            })
            .collect();
        Status {
            version: 1,
            command: "status",
            checked_at: Utc(r.checked_at).rfc3339(),
            overall: r.overall().name(),
            exit_code,
            exit_codes: match mode {
                esac_status::ExitCodes::Es(_) => "es",
                esac_status::ExitCodes::Nagios => "nagios",
            },
            fail_on: match mode {
                esac_status::ExitCodes::Es(f) => Some(f.name()),
                esac_status::ExitCodes::Nagios => None,
            },
            es_home: o.es_home.clone(),
            config_dir: o.config_dir.clone(),
            elasticsearch_version: o.es_version.map(|(a, b, c)| format!("{a}.{b}.{c}")),
            autoconfigured: r.autoconfigured,
            thresholds: StatusThresholds {
                warn_days: r.thresholds.warn_days,
                crit_days: r.thresholds.crit_days,
            },
            service_user: StatusUser {
                name: o.service_user.name.clone(),
                uid: o.service_user.uid,
                gid: o.service_user.gid,
                chosen: match o.service_user.chosen {
                    UserChoice::Given => "es_user",
                    UserChoice::Package => "package_group",
                    UserChoice::ConfigOwner => "config_dir_owner",
                },
            },
            node: StatusNode {
                name: o.settings.get_str("node.name").map(str::to_owned),
                started: o.node.started,
                cluster_formed: formed,
                formation_evidence: evidence,
                cluster_uuid: uuid,
                formation_detail: detail,
                data_paths: o.node.data_paths.clone(),
                cluster_initial_master_nodes: o.settings.get_list("cluster.initial_master_nodes"),
                cluster_initial_master_nodes_source: o
                    .initial_master_nodes_source
                    .as_ref()
                    .map(|s| s.name()),
            },
            keystore,
            tls,
            files,
            certificates,
            san_coverage,
            leftovers: o.leftovers.iter().map(|l| l.display.clone()).collect(),
            findings,
            perfdata: r
                .perfdata()
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into()))
                .collect(),
            notes,
        }
    }
}
