//! The checks of spec §1.2, in Elasticsearch's order, as one pure function.
//!
//! Checks that Elasticsearch answers only by *trying* (creating the staging directory, comparing its
//! owner, decrypting the keystore) are not here: they are steps of the plan, so that the order of
//! exit codes stays exactly Elasticsearch's.

use crate::facts::{DataDirState, Facts, FileKind};
use crate::messages as msg;
use crate::{EsExit, Reason};

/// Whether this run configures a new cluster or joins one with an enrollment token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// First node of a new cluster: a skip is a normal outcome.
    Initial,
    /// `--enrollment-token`: every skip is fatal and the role checks are not made.
    Enroll,
    /// `--bundle` (lifecycle §5.3): a skip is a normal outcome (a second run is 80); the
    /// cluster-formation rule 6d and the role checks 6e/6f give way to [`check_bundle`].
    Bundle,
}

/// How loudly Elasticsearch prints a skip message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Shown by default.
    Normal,
    /// Shown by Elasticsearch only with `-v`.
    Verbose,
}

/// A decision not to configure, with Elasticsearch's exit code, message and verbosity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    /// Which rule fired.
    pub reason: Reason,
    /// The exit status Elasticsearch uses for it.
    pub exit: EsExit,
    /// Elasticsearch's message.
    pub message: String,
    /// Elasticsearch's verbosity for it.
    pub level: Level,
}

impl Skip {
    /// The skip of a rule whose message is fixed.
    fn of(reason: Reason) -> Self {
        let message = match reason {
            Reason::DataDirNotEmpty => msg::DATA_DIR_NOT_EMPTY,
            Reason::AutoconfigurationDisabled => msg::AUTOCONFIG_DISABLED,
            Reason::SecurityAlreadyConfigured => msg::SECURITY_CONFIGURED,
            Reason::TlsAlreadyConfigured => msg::TLS_CONFIGURED,
            Reason::MultiNodeCluster => msg::NOT_INITIAL_NODE,
            Reason::CannotBecomeMaster => msg::CANNOT_BECOME_MASTER,
            Reason::CannotContainData => msg::CANNOT_CONTAIN_DATA,
            _ => "",
        };
        Self::with_message(reason, message)
    }

    fn with_message(reason: Reason, message: impl Into<String>) -> Self {
        let (exit, level) = rule(reason);
        Self {
            reason,
            exit,
            message: message.into(),
            level,
        }
    }
}

/// Exit status and verbosity of each rule of spec §1.2, as Elasticsearch has them.
fn rule(reason: Reason) -> (EsExit, Level) {
    use Level::{Normal, Verbose};
    match reason {
        Reason::DataDirNotEmpty => (EsExit::Noop, Verbose),
        Reason::DataDirUnlistable => (EsExit::IoError, Normal),
        Reason::YmlMissingOrNotRegular => (EsExit::Config, Normal),
        Reason::YmlUnreadable => (EsExit::Noop, Normal),
        Reason::KeystoreNotReadable => (EsExit::Noop, Normal),
        Reason::AutoconfigurationDisabled
        | Reason::SecurityAlreadyConfigured
        | Reason::TlsAlreadyConfigured
        | Reason::MultiNodeCluster
        | Reason::CannotBecomeMaster
        | Reason::CannotContainData => (EsExit::Noop, Verbose),
        Reason::InvalidSetting | Reason::YmlReadOnly => (EsExit::Config, Normal),
        Reason::NodeNameMismatch
        | Reason::NotMasterEligible
        | Reason::DiscoveryAlreadyConfigured => (EsExit::Config, Normal),
        // Not a rule of spec §1.2; never built by `decide`.
        _ => (EsExit::CodeError, Normal),
    }
}

/// The outcome of the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Configure the node.
    Proceed,
    /// Leave the node as it is (an ordinary outcome of an initial run).
    Skip(Skip),
    /// Leave the node as it is and report an error: with an enrollment token, and for
    /// `reconfigure`, every skip is fatal, as in Elasticsearch.
    Fail(Skip),
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
    let skip = check_files(facts)
        .or_else(|| check_settings(facts, mode))
        .or_else(|| check_writable(facts));
    match (skip, mode) {
        (None, _) => Decision::Proceed,
        (Some(s), Mode::Initial | Mode::Bundle) => Decision::Skip(s),
        (Some(s), Mode::Enroll) => Decision::Fail(s),
    }
}

/// `reconfigure` (spec §8.2 step 1): only the file checks (rows 1–4) run before the previous
/// block is removed, and each of them is fatal.
pub fn decide_reconfigure(facts: &Facts) -> Decision {
    match check_files(facts) {
        None => Decision::Proceed,
        Some(s) => Decision::Fail(s),
    }
}

/// Rows 1–4 of spec §1.2: data directories, the yml file, the keystore file.
fn check_files(facts: &Facts) -> Option<Skip> {
    // 1. A non-empty data directory means this is not the first start.
    for dir in &facts.data_dirs {
        match &dir.state {
            DataDirState::NotEmpty => return Some(Skip::of(Reason::DataDirNotEmpty)),
            DataDirState::Unlistable(why) => {
                return Some(Skip::with_message(
                    Reason::DataDirUnlistable,
                    format!(
                        "cannot list the data directory [{}]: {why}",
                        dir.path.display()
                    ),
                ))
            }
            DataDirState::Absent | DataDirState::Empty => {}
        }
    }
    let yml = facts.yml_path().display().to_string();
    match facts.yml {
        // 2. The yml must be a regular file, not followed through a symlink ...
        FileKind::Missing | FileKind::NotRegular => {
            return Some(Skip::with_message(
                Reason::YmlMissingOrNotRegular,
                msg::yml_missing(&yml),
            ))
        }
        // 3. ... and readable.
        FileKind::UnreadableFile => {
            return Some(Skip::with_message(
                Reason::YmlUnreadable,
                msg::yml_unreadable(&yml),
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
        return Some(Skip::with_message(
            Reason::KeystoreNotReadable,
            msg::keystore_unreadable(&ks),
        ));
    }
    None
}

/// Rows 6a–6f of spec §1.2: what the settings say.
fn check_settings(facts: &Facts, mode: Mode) -> Option<Skip> {
    let s = &facts.settings;
    // 6a.
    match s.get_bool("xpack.security.autoconfiguration.enabled", true) {
        Ok(true) => {}
        Ok(false) => return Some(Skip::of(Reason::AutoconfigurationDisabled)),
        Err(e) => return Some(Skip::with_message(Reason::InvalidSetting, e.to_string())),
    }
    // 6b. Any value, even `false` or null, means the operator chose.
    if s.exists("xpack.security.enabled") {
        return Some(Skip::of(Reason::SecurityAlreadyConfigured));
    }
    // 6c.
    if s.any_with_prefix("xpack.security.transport.ssl.")
        || s.any_with_prefix("xpack.security.http.ssl.")
    {
        return Some(Skip::of(Reason::TlsAlreadyConfigured));
    }
    // 6d (a bundle checks discovery its own way: `check_bundle`).
    if mode != Mode::Bundle && !is_initial_cluster_node(facts) {
        return Some(Skip::of(Reason::MultiNodeCluster));
    }
    // 6e, 6f: not made when enrolling.
    if mode == Mode::Initial {
        if let Some(roles) = explicit_roles(facts) {
            if !roles.iter().any(|r| r == "master") || roles.iter().any(|r| r == "voting_only") {
                return Some(Skip::of(Reason::CannotBecomeMaster));
            }
            if !roles.iter().any(|r| DATA_ROLES.contains(&r.as_str())) {
                return Some(Skip::of(Reason::CannotContainData));
            }
        }
    }
    None
}

/// `init --bundle` (lifecycle §5.3), once [`decide`] in [`Mode::Bundle`] proceeds: the node
/// must be the bundle's node, nothing may configure discovery already, and a master of the bundle
/// must be master-eligible. Each failure is fatal (78) and changes nothing.
pub fn check_bundle(facts: &Facts, bundle_node: &str, master: bool) -> Option<Skip> {
    let name = node_name(facts);
    if name != bundle_node {
        return Some(Skip::with_message(
            Reason::NodeNameMismatch,
            msg::node_name_mismatch(&name, bundle_node),
        ));
    }
    let s = &facts.settings;
    let mut set: Vec<&str> = [
        "discovery.seed_hosts",
        "discovery.seed_providers",
        "cluster.initial_master_nodes",
    ]
    .into_iter()
    .filter(|k| s.exists(k))
    .collect();
    if s.get_str("discovery.type") == Some("single-node") {
        set.push("discovery.type: single-node");
    }
    if !set.is_empty() {
        return Some(Skip::with_message(
            Reason::DiscoveryAlreadyConfigured,
            msg::discovery_already_configured(&set.join(", ")),
        ));
    }
    if master {
        if let Some(roles) = explicit_roles(facts) {
            if !roles.iter().any(|r| r == "master") {
                return Some(Skip::with_message(
                    Reason::NotMasterEligible,
                    msg::not_master_eligible(bundle_node, &roles.join(", ")),
                ));
            }
        }
    }
    None
}

/// Beyond Elasticsearch, at the point where it would create the staging directory: a yml on a
/// read-only mount cannot take the block, so nothing is created (Elasticsearch writes `certs/`,
/// fails at the yml and rolls back).
fn check_writable(facts: &Facts) -> Option<Skip> {
    facts.yml_read_only.then(|| {
        Skip::with_message(
            Reason::YmlReadOnly,
            msg::yml_read_only(&facts.yml_path().display().to_string()),
        )
    })
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
