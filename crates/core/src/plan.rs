//! A run as data: an ordered list of typed [`Step`]s, each with its target (named by the
//! [`Layout`]), mode, owner rule, what it writes and its undo.
//!
//! Planners (module `planner`) build a [`Plan`] from the facts, purely; `--dry-run` renders it;
//! the executor in `esac-exec` runs exactly these steps, in this order, and journals them; its
//! failpoints name steps by [`StepId`]. There is no second description of a run anywhere.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use esac_certspec::{CaReissue, CertPlan, ExistingCert, LeafRenewal};

use crate::layout::{Layout, RelPath};

/// Which operation a plan performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `init`: the first node of a new cluster.
    Initial,
    /// `init --enrollment-token`: join an existing cluster.
    Enroll,
    /// `reconfigure`: replace a package node's auto-configuration by an enrolled one.
    Reconfigure,
    /// `renew http`: a new HTTP certificate under the CA already in `certs/http.p12`.
    RenewHttp,
    /// `renew http-ca`: the HTTP CA certificate re-issued with its own key (or imported).
    RenewHttpCa,
    /// `finalize`: bootstrap-only settings and leftovers removed once the cluster has formed.
    Finalize,
    /// `init --bundle`: one node of a cluster laid out offline by `layout`.
    Bundle,
}

impl Operation {
    /// Stable name (journal, JSON).
    pub const fn name(self) -> &'static str {
        match self {
            Operation::Initial => "initial",
            Operation::Enroll => "enroll",
            Operation::Reconfigure => "reconfigure",
            Operation::RenewHttp => "renew_http",
            Operation::RenewHttpCa => "renew_http_ca",
            Operation::Finalize => "finalize",
            Operation::Bundle => "bundle",
        }
    }
}

/// The name of a step: what failpoints, the journal, `-v` logs and exit-code rules refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepId {
    /// Create the journal: the first change to the config directory.
    Journal,
    /// Create the staging directory (spec §1.2 step 7).
    StagingDir,
    /// The staging directory must belong to the config directory's owner (step 8).
    OwnerCheck,
    /// Generate keys and certificates, derive the keystore key, hash the password (steps 10, 12).
    Generate,
    /// Write `http_ca.crt` (step 10).
    WriteHttpCa,
    /// Back up the keystore (step 11).
    KeystoreBackup,
    /// The keystore opens and holds what the operation expects (steps 12–13).
    KeystoreOpen,
    /// Write `transport.p12` (step 14).
    WriteTransportP12,
    /// Write `http.p12` (step 14).
    WriteHttpP12,
    /// Save the keystore with the new settings (step 14).
    KeystoreSave,
    /// Move an existing `certs` aside.
    MoveCerts,
    /// Rename the staging directory to `certs`.
    RenameStaging,
    /// Replace `elasticsearch.yml`: the commit point.
    WriteYml,
    /// Remove what the committed run no longer needs.
    Cleanup,
    /// Keep `certs/http.p12` as `certs/http.p12.<epoch>.orig` (renew).
    HttpP12Backup,
    /// Keep `certs/http_ca.crt` while it is replaced (renew http-ca).
    HttpCaBackup,
    /// Record the leftovers of earlier runs that the cleanup removes (finalize).
    MarkLeftovers,
}

impl StepId {
    /// The steps of `init`, in the order it runs them.
    pub const ALL: [StepId; 14] = [
        StepId::Journal,
        StepId::StagingDir,
        StepId::OwnerCheck,
        StepId::Generate,
        StepId::WriteHttpCa,
        StepId::KeystoreBackup,
        StepId::KeystoreOpen,
        StepId::WriteTransportP12,
        StepId::WriteHttpP12,
        StepId::KeystoreSave,
        StepId::MoveCerts,
        StepId::RenameStaging,
        StepId::WriteYml,
        StepId::Cleanup,
    ];

    /// The steps only the lifecycle operations (`renew`, `finalize`) take.
    pub const LIFECYCLE: [StepId; 3] = [
        StepId::HttpP12Backup,
        StepId::HttpCaBackup,
        StepId::MarkLeftovers,
    ];

    /// Stable name (`ESAC_FAILPOINT`, the journal, `-v` logs, JSON).
    pub const fn name(self) -> &'static str {
        match self {
            StepId::Journal => "journal",
            StepId::StagingDir => "staging_dir",
            StepId::OwnerCheck => "owner_check",
            StepId::Generate => "generate",
            StepId::WriteHttpCa => "write_http_ca",
            StepId::KeystoreBackup => "keystore_backup",
            StepId::KeystoreOpen => "keystore_open",
            StepId::WriteTransportP12 => "write_transport_p12",
            StepId::WriteHttpP12 => "write_http_p12",
            StepId::KeystoreSave => "keystore_save",
            StepId::MoveCerts => "move_certs",
            StepId::RenameStaging => "rename_staging",
            StepId::WriteYml => "write_yml",
            StepId::Cleanup => "cleanup",
            StepId::HttpP12Backup => "http_p12_backup",
            StepId::HttpCaBackup => "http_ca_backup",
            StepId::MarkLeftovers => "mark_leftovers",
        }
    }

    /// The step called `name`.
    pub fn from_name(name: &str) -> Option<StepId> {
        StepId::ALL
            .into_iter()
            .chain(StepId::LIFECYCLE)
            .find(|s| s.name() == name)
    }
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The owner and group a created or replaced file or directory gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerRule {
    /// Owned by the running user; group `gid` when given (`--group`, or the group of a setgid
    /// config directory), else the user's.
    Runner {
        /// The group, when not the user's.
        gid: Option<u32>,
    },
    /// The replaced file's owner is kept (set on the new file when running as root), and its
    /// group unless `gid` is given.
    KeepReplaced {
        /// The group, when not the replaced file's.
        gid: Option<u32>,
    },
    /// Elasticsearch's keystore rule: an existing file must already belong to the running user
    /// (`KeyStoreWrapper.save` refuses to change the owner); group as [`OwnerRule::Runner`].
    RunnerMustOwnReplaced {
        /// The group, when not the user's.
        gid: Option<u32>,
    },
}

/// The permission bits a written file gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeRule {
    /// Exactly these bits (never the umask).
    Set(u32),
    /// The replaced file's bits.
    KeepReplaced,
}

/// What a file holds, produced by the executor from what the [`StepId::Generate`] step made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// PEM of the HTTP CA certificate.
    HttpCaPem,
    /// PKCS#12: key entry `transport`, trusted certificate entry `transport_ca`, encrypted with
    /// a generated password.
    TransportP12,
    /// PKCS#12: key entries `http_ca` (the CA key) and `http` (chain http, CA), encrypted with a
    /// generated password.
    HttpP12,
    /// `elasticsearch.keystore`: the keystore of [`Product::Keystore`] with its edit applied.
    Keystore,
    /// The new `elasticsearch.yml`; the file must still hold [`YmlEdit::before`] when it is
    /// replaced.
    Yml(YmlEdit),
    /// `http.p12` rebuilt from [`Product::HttpStore`]: the same aliases and password, the CA
    /// entry and the node's entry with chain `[leaf, CA]`; read back and verified before it
    /// replaces the old one.
    RebuiltHttpP12,
    /// PEM of the CA certificate of [`Product::HttpStore`].
    RebuiltHttpCaPem,
}

impl Content {
    /// A short description for `--dry-run`.
    pub fn describe(&self) -> &'static str {
        match self {
            Content::HttpCaPem => "PEM of the HTTP CA certificate",
            Content::TransportP12 => {
                "PKCS#12: key entry `transport`, trusted certificate entry `transport_ca`"
            }
            Content::HttpP12 => {
                "PKCS#12: key entries `http_ca` (CA key) and `http` (chain http, CA)"
            }
            Content::Keystore => "elasticsearch.keystore with the PKCS#12 passwords",
            Content::Yml(y) => match y.change {
                YmlChange::Append { .. } => "original content + security block",
                YmlChange::Lines { .. } => "original content with the lines below changed",
            },
            Content::RebuiltHttpP12 => {
                "PKCS#12: the same aliases and password; CA entry and node entry (chain leaf, CA)"
            }
            Content::RebuiltHttpCaPem => "PEM of the HTTP CA certificate",
        }
    }
}

/// Whether a written file exists before, and what happens to the one it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Existing {
    /// It must not exist (created exclusively); undo removes it.
    Absent,
    /// It exists and is replaced atomically; an earlier [`Action::Backup`] keeps the old inode,
    /// so undo is that step's.
    Replaced,
}

/// A file written through a temp file in its directory: create exclusively without following
/// links, write, set mode and owner on the open file, fsync, rename, fsync the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileWrite {
    /// The final name.
    pub path: RelPath,
    /// The temp file (from [`Layout::temp_for`]).
    pub temp: RelPath,
    /// Permission bits.
    pub mode: ModeRule,
    /// Owner and group.
    pub owner: OwnerRule,
    /// What it holds.
    pub content: Content,
    /// Whether it replaces a file.
    pub existing: Existing,
}

/// In-memory work of the [`StepId::Generate`] step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Product {
    /// The keys and certificates of this plan that are marked generated (the others are
    /// received through enrollment).
    Certificates(CertPlan),
    /// The keystore opened (decrypted) or created, with the key it is saved with, and the edit
    /// that [`Action::CheckKeystore`] checks and [`Content::Keystore`] applies.
    Keystore(KeystoreEdit),
    /// The bcrypt hash of the generated `elastic` password.
    PasswordHash,
    /// The HTTP store rebuilt from the one in place (renew): its keys and passwords come to
    /// the executor as inputs, never through the plan.
    HttpStore(Box<HttpStoreEdit>),
}

impl Product {
    /// What it is, for `--dry-run`.
    pub fn describe(&self) -> &'static str {
        match self {
            Product::Certificates(_) => "generate the keys and certificates listed below",
            Product::Keystore(_) => "open the keystore (or create one) and derive its key",
            Product::PasswordHash => "hash the generated elastic password (bcrypt)",
            Product::HttpStore(e) => match (&e.ca, &e.leaf) {
                (CaChange::Keep, _) => "sign a new HTTP certificate with the HTTP CA key",
                (CaChange::Reissue(_), None) => "re-issue the HTTP CA certificate with its own key",
                (CaChange::Reissue(_), Some(_)) => {
                    "re-issue the HTTP CA certificate with its own key and sign a new HTTP certificate"
                }
                (CaChange::Import { .. }, None) => "install the given HTTP CA certificate",
                (CaChange::Import { .. }, Some(_)) => {
                    "install the given HTTP CA certificate and sign a new HTTP certificate"
                }
            },
        }
    }
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create the journal (temp file, fsync, rename) before any other change.
    BeginJournal,
    /// `mkdir` without following links, then mode and group set on the opened directory.
    CreateDir {
        /// The directory.
        path: RelPath,
        /// Permission bits.
        mode: u32,
        /// Owner and group.
        owner: OwnerRule,
    },
    /// `path` must belong to the owner of the config directory (Elasticsearch's step 8).
    CheckSameOwner {
        /// The directory just created.
        path: RelPath,
    },
    /// Work in memory; touches no file.
    Produce(Vec<Product>),
    /// A second link to `target` (same inode, mode, owner, times) named `backup`.
    Backup {
        /// The file kept.
        target: RelPath,
        /// The new name.
        backup: RelPath,
    },
    /// The keystore of [`Product::Keystore`] opened, and passes its [`KeystoreEdit`]'s checks;
    /// touches no file.
    CheckKeystore,
    /// Write a file.
    WriteFile(FileWrite),
    /// `rename(from, to)`; `to` must not exist.
    Rename {
        /// Current name.
        from: RelPath,
        /// New name.
        to: RelPath,
    },
    /// Write a file as the commit point: once it is in place, the run is done and recovery
    /// finishes it instead of undoing it.
    Commit(FileWrite),
    /// Remove what the committed run no longer needs (only what this run created or moved).
    Cleanup(Vec<RelPath>),
    /// Record the identity of each of these leftovers of earlier runs (those that exist); the
    /// cleanup removes exactly those objects. Touches no file.
    Discard(Vec<RelPath>),
}

/// How a step is undone when a later step fails or the run is interrupted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undo {
    /// Nothing to undo (checks, work in memory, steps after the commit).
    Nothing,
    /// Remove the journal (last of all).
    RemoveJournal,
    /// Remove the directory this run created, with what it holds.
    RemoveDir(RelPath),
    /// Remove the file this run created.
    RemoveFile(RelPath),
    /// Rename `to` back to `from`.
    RenameBack {
        /// The original name.
        from: RelPath,
        /// Where it was moved.
        to: RelPath,
    },
    /// Put `backup` back in place of `target` (or just drop `backup` when `target` is still the
    /// same inode).
    RestoreBackup {
        /// The file that was backed up.
        target: RelPath,
        /// Its backup.
        backup: RelPath,
    },
}

impl Action {
    /// How this action is undone (spec §5's rollback table, step by step).
    pub fn undo(&self) -> Undo {
        match self {
            Action::BeginJournal => Undo::RemoveJournal,
            Action::CreateDir { path, .. } => Undo::RemoveDir(path.clone()),
            Action::Backup { target, backup } => Undo::RestoreBackup {
                target: target.clone(),
                backup: backup.clone(),
            },
            Action::WriteFile(w) => match w.existing {
                Existing::Absent => Undo::RemoveFile(w.path.clone()),
                Existing::Replaced => Undo::Nothing,
            },
            Action::Rename { from, to } => Undo::RenameBack {
                from: from.clone(),
                to: to.clone(),
            },
            Action::CheckSameOwner { .. }
            | Action::Produce(_)
            | Action::CheckKeystore
            | Action::Commit(_)
            | Action::Cleanup(_)
            | Action::Discard(_) => Undo::Nothing,
        }
    }
}

/// One step of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Its name.
    pub id: StepId,
    /// What it does.
    pub action: Action,
}

/// A value the keystore receives; generated by the run, never shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretValue {
    /// The generated password of `transport.p12`.
    TransportStorePassword,
    /// The generated password of `http.p12`.
    HttpStorePassword,
    /// The bcrypt hash of the generated `elastic` password.
    ElasticPasswordHash,
}

/// Why the keystore is written in the format it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatReason {
    /// `--keystore-format`.
    Requested,
    /// The Elasticsearch found under `lib/` reads this version.
    ElasticsearchVersion(u32, u32, u32),
    /// Kept from the existing keystore.
    Existing,
    /// The format of Elasticsearch 8.14 and later.
    Default,
}

/// What happens to `elasticsearch.keystore`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeystoreEdit {
    /// The keystore.
    pub path: RelPath,
    /// Whether it exists (else it is created with `keystore.seed`).
    pub exists: bool,
    /// Whether it is password-protected (its password is kept).
    pub password_protected: bool,
    /// Format version written.
    pub format_version: u32,
    /// Why that version.
    pub format_reason: FormatReason,
    /// Settings that must be present (reconfiguration removes what auto-configuration wrote).
    pub require: Vec<&'static str>,
    /// Settings removed.
    pub remove: Vec<&'static str>,
    /// Settings whose presence aborts the run (spec §1.2 step 13).
    pub refuse_if_present: Vec<&'static str>,
    /// Settings added, with generated values.
    pub add: Vec<(&'static str, SecretValue)>,
}

impl KeystoreEdit {
    /// Why the keystore is written in its format, in words.
    pub fn format_reason_text(&self) -> String {
        match self.format_reason {
            FormatReason::Requested => "--keystore-format".into(),
            FormatReason::ElasticsearchVersion(a, b, c) => format!(
                "Elasticsearch {a}.{b}.{c} found under lib/ reads version {}",
                self.format_version
            ),
            FormatReason::Existing => "kept from the existing keystore".into(),
            FormatReason::Default => "the format of Elasticsearch 8.14 and later".into(),
        }
    }
}

/// The `elasticsearch.yml` rewrite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YmlEdit {
    /// The text the plan was made from (shared with the facts, not copied); the write checks the
    /// file still holds it.
    pub before: Arc<String>,
    after: After,
    /// What changes, for the operator.
    pub change: YmlChange,
}

/// The text written, kept as a suffix of `before` where it is one, so a plan over a large yml
/// holds its text once.
#[derive(Clone, Debug, PartialEq, Eq)]
enum After {
    /// `before` followed by this.
    Appended(String),
    /// A text of its own.
    Whole(String),
}

impl YmlEdit {
    /// An edit that writes `after`.
    pub fn new(before: Arc<String>, after: String, change: YmlChange) -> Self {
        YmlEdit {
            before,
            after: After::Whole(after),
            change,
        }
    }

    /// An edit that writes `before` followed by `suffix`.
    pub fn appending(before: Arc<String>, suffix: String, change: YmlChange) -> Self {
        YmlEdit {
            before,
            after: After::Appended(suffix),
            change,
        }
    }

    /// The text written.
    pub fn after(&self) -> Cow<'_, str> {
        match &self.after {
            After::Appended(suffix) => Cow::Owned(format!("{}{suffix}", self.before)),
            After::Whole(text) => Cow::Borrowed(text),
        }
    }
}

/// What a [`YmlEdit`] changes, as `--dry-run` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum YmlChange {
    /// The auto-configuration block is appended (a suffix of `after`).
    Append {
        /// The block.
        block: String,
        /// A previous auto-configuration block was removed first (reconfigure).
        previous_block_removed: bool,
    },
    /// Lines are removed from `before` (1-based line numbers and their text), and `added`
    /// lines put in their place.
    Lines {
        /// Removed lines.
        removed: Vec<(usize, String)>,
        /// Lines written where the first removed line was.
        added: Vec<String>,
    },
}

/// What enrollment adds to a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentPlan {
    /// Addresses from the token, tried in order.
    pub token_addresses: Vec<String>,
    /// Transport addresses of the cluster (`discovery.seed_hosts`), once the cluster answered.
    pub seed_hosts: Option<Vec<String>>,
    /// Whether `transport.host` is written uncommented.
    pub transport_host_uncommented: bool,
}

/// What a plan says about the node, for the operator; the executor does not read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct About {
    /// Effective node name.
    pub node_name: Option<String>,
    /// Elasticsearch version found under `lib/`, if any.
    pub elasticsearch_version: Option<(u32, u32, u32)>,
    /// Enrollment details, when enrolling.
    pub enrollment: Option<EnrollmentPlan>,
    /// The bundle node applied, with `init --bundle`.
    pub bundle: Option<BundleAbout>,
}

/// What `init --bundle` applies, for the operator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BundleAbout {
    /// The node's bundle directory.
    pub dir: std::path::PathBuf,
    /// Master-eligible in the bundle.
    pub master: bool,
    /// `discovery.seed_hosts`.
    pub seed_hosts: Vec<String>,
    /// `cluster.initial_master_nodes` written (empty: none).
    pub initial_master_nodes: Vec<String>,
}

/// Everything a run does, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The operation.
    pub operation: Operation,
    /// Where its files live.
    pub layout: Layout,
    /// What it says about the node.
    pub about: About,
    /// The steps, in execution order. Everything the executor does, and everything it needs to
    /// know, is here.
    pub steps: Vec<Step>,
}

impl Plan {
    /// The step with this id, if the plan has it.
    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    fn products(&self) -> impl Iterator<Item = &Product> {
        self.steps.iter().flat_map(|s| match &s.action {
            Action::Produce(p) => p.as_slice(),
            _ => &[],
        })
    }

    /// The certificates generated or received, when the plan makes any.
    pub fn certificates(&self) -> Option<&CertPlan> {
        self.products().find_map(|p| match p {
            Product::Certificates(c) => Some(c),
            _ => None,
        })
    }

    /// The keystore change, when the plan changes the keystore.
    pub fn keystore(&self) -> Option<&KeystoreEdit> {
        self.products().find_map(|p| match p {
            Product::Keystore(k) => Some(k),
            _ => None,
        })
    }

    /// Whether an `elastic` password is generated (its hash goes into the keystore).
    pub fn generates_password(&self) -> bool {
        self.products().any(|p| matches!(p, Product::PasswordHash))
    }

    /// The `elasticsearch.yml` change, when the plan changes it.
    pub fn yml(&self) -> Option<&YmlEdit> {
        self.steps.iter().find_map(|s| match &s.action {
            Action::WriteFile(w) | Action::Commit(w) => match &w.content {
                Content::Yml(y) => Some(y),
                _ => None,
            },
            _ => None,
        })
    }

    /// What a written file holds, in the plan's words: [`Content::describe`], except for a
    /// keystore that only loses settings.
    pub fn describe_content(&self, content: &Content) -> &'static str {
        match (content, self.keystore()) {
            (Content::Keystore, Some(k)) if k.add.is_empty() => {
                "elasticsearch.keystore without the settings removed below"
            }
            _ => content.describe(),
        }
    }

    /// The HTTP store change, when the plan rebuilds `http.p12`.
    pub fn http_store(&self) -> Option<&HttpStoreEdit> {
        self.products().find_map(|p| match p {
            Product::HttpStore(e) => Some(&**e),
            _ => None,
        })
    }

    /// Directories created, with their mode.
    pub fn created_dirs(&self) -> impl Iterator<Item = (&RelPath, u32)> {
        self.steps.iter().filter_map(|s| match &s.action {
            Action::CreateDir { path, mode, .. } => Some((path, *mode)),
            _ => None,
        })
    }

    /// Every file written, at the name it ends up with once later renames are followed.
    pub fn written_files(&self) -> Vec<(RelPath, &FileWrite)> {
        let mut out = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            let (Action::WriteFile(w) | Action::Commit(w)) = &step.action else {
                continue;
            };
            let mut path = w.path.clone();
            for later in &self.steps[i + 1..] {
                if let Action::Rename { from, to } = &later.action {
                    if let Some(moved) = path.rebase(from, to) {
                        path = moved;
                    }
                }
            }
            out.push((path, w));
        }
        out
    }
}

/// What happens to the HTTP CA certificate when `http.p12` is rebuilt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaChange {
    /// Kept as it is.
    Keep,
    /// Re-issued with its own key (`renew http-ca`).
    Reissue(CaReissue),
    /// Replaced by a certificate for the same key, made on another node
    /// (`renew http-ca --import-ca-cert`).
    Import {
        /// What it is.
        cert: ExistingCert,
        /// The certificate, DER (public).
        der: Vec<u8>,
    },
}

/// How `certs/http.p12` is rebuilt (renew): the CA change and, when the node's certificate is
/// renewed too, its spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpStoreEdit {
    /// The store.
    pub path: RelPath,
    /// The time of the run (the JDK-style localKeyIDs of the rewritten entries).
    pub now: std::time::SystemTime,
    /// The CA certificate.
    pub ca: CaChange,
    /// The node's new certificate, when it is renewed.
    pub leaf: Option<LeafRenewal>,
}
