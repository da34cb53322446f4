//! The checks of spec §1.2, in Elasticsearch's order, as one pure function.
//!
//! Checks that Elasticsearch answers only by *trying* (creating the staging directory, comparing its
//! owner, decrypting the keystore) are not here: they are steps of the plan, so that the order of
//! exit codes stays exactly Elasticsearch's.

use serde::Serialize;

use crate::facts::{DataDirState, Facts, FileKind};
use crate::messages as msg;
use crate::{EsExit, UserError};

/// Whether this run configures a new cluster or joins one with an enrollment token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// First node of a new cluster.
    Initial,
    /// `--enrollment-token`: every skip is fatal and the role checks are not made.
    Enroll,
}

/// How loudly Elasticsearch prints a skip message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Shown by default.
    Normal,
    /// Shown by Elasticsearch only with `-v`.
    Verbose,
}

/// Machine-readable name of the rule that decided, stable across releases (documented in docs/cli.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No rule fired: the node is new and unconfigured.
    Configure,
    /// 1: a data directory is not empty.
    DataDirNotEmpty,
    /// 1: a data directory could not be listed.
    DataDirUnlistable,
    /// 2: `elasticsearch.yml` is missing or not a regular file.
    YmlMissingOrNotRegular,
    /// 3: `elasticsearch.yml` is not readable.
    YmlUnreadable,
    /// 4: the keystore is not a readable regular file.
    KeystoreNotReadable,
    /// 6a: `xpack.security.autoconfiguration.enabled: false`.
    AutoconfigurationDisabled,
    /// 6b: `xpack.security.enabled` is set.
    SecurityAlreadyConfigured,
    /// 6c: some `xpack.security.{transport,http}.ssl.*` is set.
    TlsAlreadyConfigured,
    /// 6d: cluster formation settings point at a multi-node cluster.
    MultiNodeCluster,
    /// 6e: not master-eligible, or voting-only.
    CannotBecomeMaster,
    /// 6f: no data role.
    CannotContainData,
    /// A setting could not be interpreted (e.g. a non-boolean where a boolean is required).
    InvalidSetting,
}

impl Reason {
    /// The stable text form used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Configure => "configure",
            Reason::DataDirNotEmpty => "data_dir_not_empty",
            Reason::DataDirUnlistable => "data_dir_unlistable",
            Reason::YmlMissingOrNotRegular => "yml_missing_or_not_regular",
            Reason::YmlUnreadable => "yml_unreadable",
            Reason::KeystoreNotReadable => "keystore_not_readable",
            Reason::AutoconfigurationDisabled => "autoconfiguration_disabled",
            Reason::SecurityAlreadyConfigured => "security_already_configured",
            Reason::TlsAlreadyConfigured => "tls_already_configured",
            Reason::MultiNodeCluster => "multi_node_cluster",
            Reason::CannotBecomeMaster => "cannot_become_master",
            Reason::CannotContainData => "cannot_contain_data",
            Reason::InvalidSetting => "invalid_setting",
        }
    }
}

/// A decision not to configure, with Elasticsearch's exit code and message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// The exit status Elasticsearch uses.
    #[serde(skip)]
    pub exit: EsExit,
    /// Which rule fired.
    pub code: Reason,
    /// Elasticsearch's message.
    pub message: String,
    /// Elasticsearch's verbosity for it.
    pub level: Level,
}

impl Skip {
    fn new(exit: EsExit, code: Reason, message: impl Into<String>, level: Level) -> Self {
        Self {
            exit,
            code,
            message: message.into(),
            level,
        }
    }

    /// As an error (in enrollment mode every skip is fatal).
    pub fn into_error(self) -> UserError {
        UserError::new(self.exit, self.message)
    }
}

/// The outcome of the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Leave the node as it is.
    Skip(Skip),
    /// Configure it.
    Proceed,
}

/// Roles that can hold data (`DiscoveryNodeRole.canContainData`).
pub const DATA_ROLES: [&str; 6] = [
    "data",
    "data_content",
    "data_hot",
    "data_warm",
    "data_cold",
    "data_frozen",
];

/// Runs the checks of spec §1.2 (rows 1–6) in order.
pub fn decide(facts: &Facts, mode: Mode) -> Decision {
    match check(facts, mode) {
        Some(skip) => Decision::Skip(skip),
        None => Decision::Proceed,
    }
}

fn check(facts: &Facts, mode: Mode) -> Option<Skip> {
    check_files(facts).or_else(|| check_settings(facts, mode))
}

/// Rows 1–4 of spec §1.2: data directories, the yml file, the keystore file. Reconfiguration runs
/// these alone before it removes the previous block (spec §8.2 step 1).
pub fn check_files(facts: &Facts) -> Option<Skip> {
    // 1. A non-empty data directory means this is not the first start.
    for dir in &facts.data_dirs {
        match &dir.state {
            DataDirState::NotEmpty => {
                return Some(Skip::new(
                    EsExit::Noop,
                    Reason::DataDirNotEmpty,
                    msg::DATA_DIR_NOT_EMPTY,
                    Level::Verbose,
                ))
            }
            DataDirState::Unlistable(why) => {
                return Some(Skip::new(
                    EsExit::IoError,
                    Reason::DataDirUnlistable,
                    format!(
                        "cannot list the data directory [{}]: {why}",
                        dir.path.display()
                    ),
                    Level::Normal,
                ))
            }
            DataDirState::Absent | DataDirState::Empty => {}
        }
    }
    let yml = facts.yml_path().display().to_string();
    // 2. The yml must be a regular file, not followed through a symlink.
    match facts.yml {
        FileKind::Missing | FileKind::NotRegular => {
            return Some(Skip::new(
                EsExit::Config,
                Reason::YmlMissingOrNotRegular,
                msg::yml_missing(&yml),
                Level::Normal,
            ))
        }
        // 3. ... and readable.
        FileKind::UnreadableFile => {
            return Some(Skip::new(
                EsExit::Noop,
                Reason::YmlUnreadable,
                msg::yml_unreadable(&yml),
                Level::Normal,
            ))
        }
        FileKind::ReadableFile => {}
    }
    // 4. An existing keystore must be a readable regular file.
    if matches!(
        facts.keystore,
        FileKind::NotRegular | FileKind::UnreadableFile
    ) {
        let ks = facts.keystore_path().display().to_string();
        return Some(Skip::new(
            EsExit::Noop,
            Reason::KeystoreNotReadable,
            msg::keystore_unreadable(&ks),
            Level::Normal,
        ));
    }
    None
}

/// Rows 6a–6f of spec §1.2: what the settings say.
pub fn check_settings(facts: &Facts, mode: Mode) -> Option<Skip> {
    let s = &facts.settings;
    // 6a.
    match s.get_bool("xpack.security.autoconfiguration.enabled", true) {
        Ok(true) => {}
        Ok(false) => {
            return Some(Skip::new(
                EsExit::Noop,
                Reason::AutoconfigurationDisabled,
                msg::AUTOCONFIG_DISABLED,
                Level::Verbose,
            ))
        }
        Err(e) => {
            return Some(Skip::new(
                EsExit::Config,
                Reason::InvalidSetting,
                e.to_string(),
                Level::Normal,
            ))
        }
    }
    // 6b. Any value, even `false` or null, means the operator chose.
    if s.exists("xpack.security.enabled") {
        return Some(Skip::new(
            EsExit::Noop,
            Reason::SecurityAlreadyConfigured,
            msg::SECURITY_CONFIGURED,
            Level::Verbose,
        ));
    }
    // 6c.
    if s.any_with_prefix("xpack.security.transport.ssl.")
        || s.any_with_prefix("xpack.security.http.ssl.")
    {
        return Some(Skip::new(
            EsExit::Noop,
            Reason::TlsAlreadyConfigured,
            msg::TLS_CONFIGURED,
            Level::Verbose,
        ));
    }
    // 6d.
    if !is_initial_cluster_node(facts) {
        return Some(Skip::new(
            EsExit::Noop,
            Reason::MultiNodeCluster,
            msg::NOT_INITIAL_NODE,
            Level::Verbose,
        ));
    }
    if mode == Mode::Initial {
        // 6e, 6f.
        if let Some(roles) = explicit_roles(facts) {
            if !roles.iter().any(|r| r == "master") || roles.iter().any(|r| r == "voting_only") {
                return Some(Skip::new(
                    EsExit::Noop,
                    Reason::CannotBecomeMaster,
                    msg::CANNOT_BECOME_MASTER,
                    Level::Verbose,
                ));
            }
            if !roles.iter().any(|r| DATA_ROLES.contains(&r.as_str())) {
                return Some(Skip::new(
                    EsExit::Noop,
                    Reason::CannotContainData,
                    msg::CANNOT_CONTAIN_DATA,
                    Level::Verbose,
                ));
            }
        }
    }
    None
}

/// `node.roles` when set (an empty list counts as set); `None` means Elasticsearch's defaults,
/// which include master and data.
fn explicit_roles(facts: &Facts) -> Option<Vec<String>> {
    facts
        .settings
        .has_value("node.roles")
        .then(|| facts.settings.get_list("node.roles"))
}

/// The effective node name: `node.name`, else `$HOSTNAME` (the launcher's default).
pub fn node_name(facts: &Facts) -> String {
    facts
        .settings
        .get_str("node.name")
        .map(str::to_owned)
        .unwrap_or_else(|| facts.hostname.clone())
}

/// Spec §1.2.1: single-node discovery; or no initial master nodes, seed hosts or seed providers;
/// or initial master nodes equal to exactly this node's name.
pub fn is_initial_cluster_node(facts: &Facts) -> bool {
    let s = &facts.settings;
    if s.get_str("discovery.type") == Some("single-node") {
        return true;
    }
    let masters = s.get_list("cluster.initial_master_nodes");
    if masters.is_empty()
        && s.get_list("discovery.seed_hosts").is_empty()
        && s.get_list("discovery.seed_providers").is_empty()
    {
        return true;
    }
    masters == [node_name(facts)]
}
