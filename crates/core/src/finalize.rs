//! `finalize` (lifecycle spec §4): once the cluster has formed, remove the bootstrap-only
//! `cluster.initial_master_nodes` from `elasticsearch.yml` (and optionally the install-time
//! `autoconfiguration.password_hash` from the keystore, and leftovers of earlier runs that hold
//! private keys).
//!
//! Pure: the yml editor works on the text, byte for byte (every other byte, line ending and
//! comment stays), and checks its result by parsing it again; the discovery check models
//! Elasticsearch's `DiscoveryConfiguredCheck` and `enforceLimits`; the planner turns what applies
//! into one journalled transaction. Refused actions never enter the plan; the others are applied.

use std::time::{SystemTime, UNIX_EPOCH};

use esac_settings::{Settings, Value};

use crate::facts::Facts;
use crate::layout::{Layout, RelPath};
use crate::plan::{
    About, Action, Content, Existing, FileWrite, FormatReason, KeystoreEdit, ModeRule, Operation,
    OwnerRule, Plan, Product, Step, StepId, YmlChange, YmlEdit,
};
use crate::planner::{keystore_format, PASSWORD_HASH_SETTING};
use crate::reason::Reason;
use crate::yml::{END_MARKER, START_MARKER, TRANSPORT_HOST_KEYS};

/// The bootstrap-only setting.
pub const INITIAL_MASTER_NODES: &str = "cluster.initial_master_nodes";

/// The comment lines auto-configuration writes before the setting: Elasticsearch's for one node,
/// and the pair `layout` writes for several masters (lifecycle spec §5.4).
const CANONICAL_COMMENTS: [[&str; 2]; 2] = [
    crate::yml::SINGLE_MASTER_COMMENT,
    crate::yml::MULTI_MASTER_COMMENT,
];

/// What `<path.data>/_state` says about the cluster (lifecycle spec §1.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Formation {
    /// `cluster_uuid_committed` is `true` (Elasticsearch 8.8+): strong evidence.
    Committed {
        /// The committed cluster UUID, when recorded.
        cluster_uuid: Option<String>,
    },
    /// A cluster state was accepted (`last_accepted_version` > 0): weak evidence (older 8.x).
    Accepted,
    /// No state, or nothing accepted yet.
    NotFormed,
    /// The state could not be read (the reason).
    Unknown(String),
}

impl Formation {
    /// Whether it proves (strongly or weakly) that the cluster has formed.
    pub fn formed(&self) -> bool {
        matches!(self, Formation::Committed { .. } | Formation::Accepted)
    }

    /// The evidence's name in JSON.
    pub fn evidence(&self) -> &'static str {
        match self {
            Formation::Committed { .. } => "cluster_uuid_committed",
            Formation::Accepted => "last_accepted_version",
            Formation::NotFormed => "none",
            Formation::Unknown(_) => "unknown",
        }
    }
}

/// How the setting was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditMode {
    /// The three lines auto-configuration wrote inside its block and the blank line after them:
    /// the block becomes exactly what auto-configuration writes without them.
    CanonicalBlock,
    /// The key line and its continuation lines (flat key, flow or block list).
    SettingOnly,
}

impl EditMode {
    /// The name in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            EditMode::CanonicalBlock => "canonical_block",
            EditMode::SettingOnly => "setting_only",
        }
    }
}

/// A yml edit that removes the setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// How.
    pub mode: EditMode,
    /// The new text.
    pub after: String,
    /// Removed lines: 1-based number and text (without line ending).
    pub removed: Vec<(usize, String)>,
    /// Lines written in their place (`--seed-hosts`).
    pub added: Vec<String>,
}

/// Why the setting cannot be removed line by line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedForm(pub String);

/// One line and its ending (`\n`, `\r\n`, `\r`, or nothing at the end of the text).
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    text: &'a str,
    end: &'a str,
}

fn split_lines(s: &str) -> Vec<Line<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let len = match b[i] {
            b'\n' => 1,
            b'\r' if b.get(i + 1) == Some(&b'\n') => 2,
            b'\r' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        out.push(Line {
            text: &s[start..i],
            end: &s[i..i + len],
        });
        i += len;
        start = i;
    }
    if start < b.len() {
        out.push(Line {
            text: &s[start..],
            end: "",
        });
    }
    out
}

/// The `discovery.seed_hosts` line Elasticsearch writes for an enrolled node ([S]).
pub fn seed_hosts_line(hosts: &[String]) -> String {
    let list: Vec<String> = hosts.iter().map(|h| crate::yml::double_quoted(h)).collect();
    format!("discovery.seed_hosts: [{}]", list.join(", "))
}

fn key_line(text: &str) -> bool {
    text.strip_prefix(INITIAL_MASTER_NODES)
        .is_some_and(|rest| rest.starts_with(':'))
}

/// Removes `cluster.initial_master_nodes` from `text` (replacing it by `discovery.seed_hosts`
/// when `seed_hosts` is given), keeping every other byte; the result must parse to the same
/// settings minus that key (plus the seed hosts). `env` resolves placeholders as the node would.
pub fn remove_initial_master_nodes(
    text: &str,
    seed_hosts: Option<&[String]>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Removal, UnsupportedForm> {
    let lines = split_lines(text);
    let block = lines
        .iter()
        .position(|l| l.text == START_MARKER)
        .and_then(|s| {
            lines[s..]
                .iter()
                .position(|l| l.text == END_MARKER)
                .map(|e| (s, s + e))
        });
    let canonical = block.and_then(|(start, end)| {
        (start + 1..end.saturating_sub(3)).find(|&i| {
            CANONICAL_COMMENTS
                .iter()
                .any(|c| lines[i].text == c[0] && lines[i + 1].text == c[1])
                && key_line(lines[i + 2].text)
                && lines[i + 3].text.is_empty()
        })
    });
    let (mode, range, added): (EditMode, std::ops::Range<usize>, Vec<String>) = match canonical {
        Some(i) => (
            EditMode::CanonicalBlock,
            i..i + 4,
            match seed_hosts {
                Some(h) => vec![
                    "# Discover existing nodes in the cluster".into(),
                    seed_hosts_line(h),
                    String::new(),
                ],
                None => Vec::new(),
            },
        ),
        None => {
            let keys: Vec<usize> = (0..lines.len())
                .filter(|&i| key_line(lines[i].text))
                .collect();
            let [i] = keys.as_slice() else {
                return Err(UnsupportedForm(if keys.is_empty() {
                    format!("{INITIAL_MASTER_NODES} is not written as a top-level `{INITIAL_MASTER_NODES}:` line (a nested `cluster:` mapping?); remove it by hand")
                } else {
                    format!("{INITIAL_MASTER_NODES} appears {} times", keys.len())
                }));
            };
            let i = *i;
            let value = lines[i].text[INITIAL_MASTER_NODES.len() + 1..].trim();
            let empty_value = value.is_empty() || value.starts_with('#');
            let mut j = i + 1;
            while j < lines.len() {
                let t = lines[j].text;
                let trimmed = t.trim_start();
                let indented = t.starts_with(' ') || t.starts_with('\t');
                let item = empty_value && (t == "-" || t.starts_with("- "));
                if trimmed.is_empty() || trimmed.starts_with('#') || !(indented || item) {
                    break;
                }
                j += 1;
            }
            (
                EditMode::SettingOnly,
                i..j,
                seed_hosts
                    .map(|h| vec![seed_hosts_line(h)])
                    .unwrap_or_default(),
            )
        }
    };
    let ending = lines
        .get(range.start)
        .map(|l| if l.end.is_empty() { "\n" } else { l.end })
        .unwrap_or("\n");
    let mut after = String::with_capacity(text.len());
    for (n, l) in lines.iter().enumerate() {
        if n == range.start {
            for a in &added {
                after.push_str(a);
                after.push_str(ending);
            }
        }
        if !range.contains(&n) {
            after.push_str(l.text);
            after.push_str(l.end);
        }
    }
    verify(text, &after, seed_hosts, env)?;
    Ok(Removal {
        mode,
        removed: range
            .clone()
            .map(|n| (n + 1, lines[n].text.to_owned()))
            .collect(),
        added,
        after,
    })
}

/// The new text parses to the old settings minus the key (plus the seed hosts).
fn verify(
    before: &str,
    after: &str,
    seed_hosts: Option<&[String]>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), UnsupportedForm> {
    let parse = |t: &str| Settings::from_yaml(t, "elasticsearch.yml", env);
    let old = parse(before).map_err(|e| UnsupportedForm(e.to_string()))?;
    let new = parse(after).map_err(|e| {
        UnsupportedForm(format!(
            "removing the lines would leave a file Elasticsearch cannot read: {e}"
        ))
    })?;
    let mut want: Vec<(String, Value)> = old
        .iter()
        .filter(|(k, _)| *k != INITIAL_MASTER_NODES)
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    if let Some(h) = seed_hosts {
        want.push(("discovery.seed_hosts".into(), Value::List(h.to_vec())));
    }
    if Settings::from_pairs(want) != new {
        return Err(UnsupportedForm(format!(
            "removing the lines of {INITIAL_MASTER_NODES} would change other settings; remove it by hand"
        )));
    }
    Ok(())
}

fn loopback_value(v: &str) -> bool {
    let v = v.trim();
    let bare = v.trim_start_matches('[').trim_end_matches(']');
    matches!(
        v,
        "localhost"
            | "_local_"
            | "_local:ipv4_"
            | "_local:ipv6_"
            | "_lo_"
            | "_lo:ipv4_"
            | "_lo:ipv6_"
    ) || bare
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Elasticsearch's `DiscoveryConfiguredCheck` under `enforceLimits` (lifecycle spec §1.4): with
/// `settings` (the node's settings without the removed key), the `setting=value` that makes the
/// check enforced and failing, or `None` when the node would start.
pub fn discovery_check_failure(settings: &Settings) -> Option<String> {
    if settings.get_str("discovery.type") == Some("single-node") {
        return None;
    }
    if [
        "discovery.seed_hosts",
        "discovery.seed_providers",
        INITIAL_MASTER_NODES,
    ]
    .iter()
    .any(|k| settings.exists(k))
    {
        return None;
    }
    for k in TRANSPORT_HOST_KEYS {
        for v in settings.get_list(k) {
            if !loopback_value(&v) {
                return Some(format!("{k}: {v}"));
            }
        }
    }
    None
}

/// An action of `finalize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalizeAction {
    /// Remove `cluster.initial_master_nodes` from the yml.
    RemoveInitialMasterNodes,
    /// Remove `autoconfiguration.password_hash` from the keystore.
    RemovePasswordHash,
    /// Remove leftovers of earlier runs.
    CleanBackups,
}

impl FinalizeAction {
    /// The name in JSON.
    pub const fn name(self) -> &'static str {
        match self {
            FinalizeAction::RemoveInitialMasterNodes => "remove_initial_master_nodes",
            FinalizeAction::RemovePasswordHash => "remove_password_hash",
            FinalizeAction::CleanBackups => "clean_backups",
        }
    }
}

/// What became of one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionResult {
    /// Applied (or, in a dry run, would be).
    Applied,
    /// Nothing to do.
    NothingToDo,
    /// Refused: nothing of this action enters the plan.
    Refused(Reason),
}

/// One action's report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionReport {
    /// Which.
    pub action: FinalizeAction,
    /// Its result.
    pub result: ActionResult,
    /// What to tell the operator.
    pub message: String,
    /// The yml edit, for the yml action when it applies.
    pub removal: Option<Removal>,
    /// Files removed, for the backups action.
    pub paths: Vec<RelPath>,
}

/// What `finalize` knows besides the probe's facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizeFacts {
    /// `-E` overrides, as given.
    pub overrides: Vec<(String, String)>,
    /// Environment variables that set `cluster.initial_master_nodes` (the Docker image turns
    /// them into settings).
    pub env_sources: Vec<String>,
    /// Formation evidence from `path.data`.
    pub formation: Formation,
    /// Whether the keystore holds `autoconfiguration.password_hash` (`None`: no keystore).
    pub password_hash: Option<bool>,
    /// Leftovers found ([`Layout::is_leftover`]).
    pub leftovers: Vec<RelPath>,
    /// The group of `elasticsearch.yml` (kept).
    pub yml_gid: Option<u32>,
    /// The group of `elasticsearch.keystore` (kept).
    pub keystore_gid: Option<u32>,
}

/// Options of `finalize`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalizeOptions {
    /// The time of the run.
    pub now: SystemTime,
    /// `--remove-password-hash`.
    pub remove_password_hash: bool,
    /// `--clean-backups`.
    pub clean_backups: bool,
    /// `--assume-formed`.
    pub assume_formed: bool,
    /// `--seed-hosts`.
    pub seed_hosts: Option<Vec<String>>,
}

/// What `finalize` decided: one report per action, and the plan of those that apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finalization {
    /// Per action.
    pub actions: Vec<ActionReport>,
    /// The applied actions as one transaction, when any applies.
    pub plan: Option<Plan>,
    /// Notes for the operator.
    pub notes: Vec<String>,
}

impl Finalization {
    /// The overall reason: the first refusal, else `finalized` when something applies, else
    /// `nothing_to_do`.
    pub fn reason(&self) -> Reason {
        self.actions
            .iter()
            .find_map(|a| match a.result {
                ActionResult::Refused(r) => Some(r),
                _ => None,
            })
            .unwrap_or(if self.plan.is_some() {
                Reason::Finalized
            } else {
                Reason::NothingToDo
            })
    }
}

fn report(
    action: FinalizeAction,
    result: ActionResult,
    message: impl Into<String>,
) -> ActionReport {
    ActionReport {
        action,
        result,
        message: message.into(),
        removal: None,
        paths: Vec::new(),
    }
}

fn not_formed(f: &Formation, what: FinalizeAction) -> ActionReport {
    match f {
        Formation::Unknown(why) => report(
            what,
            ActionResult::Refused(Reason::FormationUnknown),
            format!("cannot tell whether the cluster has formed: {why}; --assume-formed if it has"),
        ),
        _ => report(
            what,
            ActionResult::Refused(Reason::ClusterNotFormed),
            "no evidence under path.data that the cluster has formed (no committed or accepted cluster state): start the node first, or pass --assume-formed if it has formed",
        ),
    }
}

fn yml_action(
    facts: &Facts,
    f: &FinalizeFacts,
    opts: &FinalizeOptions,
    env: &dyn Fn(&str) -> Option<String>,
    notes: &mut Vec<String>,
) -> ActionReport {
    let what = FinalizeAction::RemoveInitialMasterNodes;
    let mut outside: Vec<String> = f
        .overrides
        .iter()
        .filter(|(k, _)| k == INITIAL_MASTER_NODES)
        .map(|(k, v)| format!("-E {k}={v}"))
        .collect();
    outside.extend(
        f.env_sources
            .iter()
            .map(|v| format!("the environment variable {v}")),
    );
    if !outside.is_empty() {
        return report(
            what,
            ActionResult::Refused(Reason::DefinedOutsideYml),
            format!(
                "{INITIAL_MASTER_NODES} is set by {}, which overrides elasticsearch.yml: remove it from the container or unit definition",
                outside.join(" and ")
            ),
        );
    }
    let text = facts.yml_text.as_deref().map_or("", String::as_str);
    let in_yml = Settings::from_yaml(text, "elasticsearch.yml", env)
        .map(|s| s.exists(INITIAL_MASTER_NODES))
        .unwrap_or(false);
    if !in_yml {
        return report(
            what,
            ActionResult::NothingToDo,
            format!("{INITIAL_MASTER_NODES} is not set"),
        );
    }
    if !opts.assume_formed && !f.formation.formed() {
        return not_formed(&f.formation, what);
    }
    if facts.yml_read_only {
        return report(
            what,
            ActionResult::Refused(Reason::YmlReadOnly),
            "elasticsearch.yml is on a read-only file system or mount: change it where it comes from (the image, the ConfigMap)",
        );
    }
    let removal = match remove_initial_master_nodes(text, opts.seed_hosts.as_deref(), env) {
        Ok(r) => r,
        Err(UnsupportedForm(why)) => {
            return report(what, ActionResult::Refused(Reason::UnsupportedYmlForm), why)
        }
    };
    if facts.settings.get_str("discovery.type") == Some("single-node") {
        notes.push(format!(
            "discovery.type is single-node: Elasticsearch refuses to start with {INITIAL_MASTER_NODES} as well; removing it fixes that (single_node_conflict_fixed)"
        ));
    }
    // The node's settings without the key: the new yml, then -E.
    let mut after = match Settings::from_yaml(&removal.after, "elasticsearch.yml", env) {
        Ok(s) => s,
        Err(e) => {
            return report(
                what,
                ActionResult::Refused(Reason::UnsupportedYmlForm),
                e.to_string(),
            )
        }
    };
    if after.apply_overrides(&f.overrides, env).is_err() {
        return report(
            what,
            ActionResult::Refused(Reason::UnsupportedYmlForm),
            "the -E settings cannot be applied",
        );
    }
    if let Some(host) = discovery_check_failure(&after) {
        return report(
            what,
            ActionResult::Refused(Reason::WouldFailDiscoveryCheck),
            format!(
                "without {INITIAL_MASTER_NODES}, Elasticsearch would refuse to start ({host} is not a loopback address, so its bootstrap checks are enforced): the default discovery settings are unsuitable for production use; at least one of [discovery.seed_hosts, discovery.seed_providers, cluster.initial_master_nodes] must be configured. Pass --seed-hosts with the transport addresses of the master-eligible nodes"
            ),
        );
    }
    let mut r = report(
        what,
        ActionResult::Applied,
        format!(
            "{INITIAL_MASTER_NODES} removed from elasticsearch.yml ({}); Elasticsearch reads it at the next restart",
            removal.mode.name()
        ),
    );
    r.removal = Some(removal);
    r
}

fn epoch(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `finalize`: decides every asked action in the spec's order and plans those that apply as one
/// transaction: the leftovers' identities are recorded first, the keystore is rewritten, and the
/// yml replacement is the commit point (the keystore's, when the yml does not change).
pub fn plan_finalize(
    facts: &Facts,
    f: &FinalizeFacts,
    opts: &FinalizeOptions,
    env: &dyn Fn(&str) -> Option<String>,
) -> Finalization {
    let mut notes = Vec::new();
    let mut actions = vec![yml_action(facts, f, opts, env, &mut notes)];
    if opts.remove_password_hash {
        let what = FinalizeAction::RemovePasswordHash;
        actions.push(match f.password_hash {
            None | Some(false) => report(
                what,
                ActionResult::NothingToDo,
                format!("the keystore holds no {PASSWORD_HASH_SETTING}"),
            ),
            Some(true) if !opts.assume_formed && !f.formation.formed() => {
                not_formed(&f.formation, what)
            }
            Some(true) => report(
                what,
                ActionResult::Applied,
                format!("{PASSWORD_HASH_SETTING} removed from the keystore; if nobody has logged in as elastic with the install-time password or reset it, elastic has no usable password until bin/elasticsearch-reset-password"),
            ),
        });
    }
    if opts.clean_backups {
        let what = FinalizeAction::CleanBackups;
        let mut r = if f.leftovers.is_empty() {
            report(what, ActionResult::NothingToDo, "no leftovers")
        } else {
            report(
                what,
                ActionResult::Applied,
                format!("{} leftover(s) removed", f.leftovers.len()),
            )
        };
        r.paths = f.leftovers.clone();
        actions.push(r);
    }

    let applied = |a: FinalizeAction| {
        actions
            .iter()
            .find(|r| r.action == a && r.result == ActionResult::Applied)
    };
    let layout = Layout::new(&facts.config_dir, epoch(opts.now));
    let yml = applied(FinalizeAction::RemoveInitialMasterNodes).and_then(|r| r.removal.clone());
    let hash = applied(FinalizeAction::RemovePasswordHash).is_some();
    let clean = applied(FinalizeAction::CleanBackups).map(|r| r.paths.clone());
    let plan = (yml.is_some() || hash || clean.is_some()).then(|| {
        let mut steps = vec![Step {
            id: StepId::Journal,
            action: Action::BeginJournal,
        }];
        if let Some(paths) = &clean {
            steps.push(Step {
                id: StepId::MarkLeftovers,
                action: Action::Discard(paths.clone()),
            });
        }
        let mut cleanup = Vec::new();
        if hash {
            let (format_version, format_reason) = keystore_format(facts, None);
            steps.push(Step {
                id: StepId::Generate,
                action: Action::Produce(vec![Product::Keystore(KeystoreEdit {
                    path: layout.keystore(),
                    exists: true,
                    password_protected: facts.keystore_has_password.unwrap_or(false),
                    format_version,
                    format_reason: match format_reason {
                        FormatReason::Default => FormatReason::Existing,
                        r => r,
                    },
                    require: Vec::new(),
                    remove: vec![PASSWORD_HASH_SETTING],
                    refuse_if_present: Vec::new(),
                    add: Vec::new(),
                })]),
            });
            let write = FileWrite {
                path: layout.keystore(),
                temp: layout.temp_for(&layout.keystore()),
                mode: ModeRule::KeepReplaced,
                owner: OwnerRule::RunnerMustOwnReplaced {
                    gid: f.keystore_gid,
                },
                content: Content::Keystore,
                existing: Existing::Replaced,
            };
            if yml.is_some() {
                steps.push(Step {
                    id: StepId::KeystoreBackup,
                    action: Action::Backup {
                        target: layout.keystore(),
                        backup: layout.keystore_backup(),
                    },
                });
                cleanup.push(layout.keystore_backup());
            }
            steps.push(Step {
                id: StepId::KeystoreOpen,
                action: Action::CheckKeystore,
            });
            steps.push(Step {
                id: StepId::KeystoreSave,
                action: if yml.is_some() {
                    Action::WriteFile(write)
                } else {
                    Action::Commit(write)
                },
            });
        }
        if let Some(r) = &yml {
            steps.push(Step {
                id: StepId::WriteYml,
                action: Action::Commit(FileWrite {
                    path: layout.yml(),
                    temp: layout.temp_for(&layout.yml()),
                    mode: ModeRule::KeepReplaced,
                    owner: OwnerRule::KeepReplaced { gid: f.yml_gid },
                    content: Content::Yml(YmlEdit::new(
                        facts.yml_text.clone().unwrap_or_default(),
                        r.after.clone(),
                        YmlChange::Lines {
                            removed: r.removed.clone(),
                            added: r.added.clone(),
                        },
                    )),
                    existing: Existing::Replaced,
                }),
            });
        }
        if let Some(paths) = clean {
            cleanup.extend(paths);
        }
        steps.push(Step {
            id: StepId::Cleanup,
            action: Action::Cleanup(cleanup),
        });
        Plan {
            operation: Operation::Finalize,
            layout,
            about: About::default(),
            steps,
        }
    });
    if plan.is_some() {
        notes.push(
            "takes effect at the next restart (Elasticsearch reads elasticsearch.yml and the keystore at startup); after it, the node logs that it is locked into its cluster UUID and will not attempt further cluster bootstrapping".into(),
        );
    }
    Finalization {
        actions,
        plan,
        notes,
    }
}

/// Leftovers among `names` (paths relative to the config directory).
pub fn leftovers<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<RelPath> {
    let mut out: Vec<RelPath> = names
        .into_iter()
        .filter_map(|n| RelPath::new(n).ok())
        .filter(Layout::is_leftover)
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yml::{patched_yml, render_block, BlockInputs};
    use std::sync::Arc;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (*k, Value::Scalar((*v).to_owned()))),
        )
    }

    fn inputs(seed_hosts: Option<Vec<String>>) -> BlockInputs {
        BlockInputs {
            node_name: Some("node-1".into()),
            seed_hosts,
            transport_host_uncommented: false,
            timestamp: "23-11-2026 10:11:12".into(),
        }
    }

    const USER: &str =
        "# my cluster\ncluster.name: prod   # trailing comment\n\n#network.host: 1.2.3.4\n";

    /// Lifecycle spec §4.4: for every combination of the optional lines, the block rendered
    /// with [M] and finalized is byte for byte the block rendered without it; with
    /// `--seed-hosts`, the block of an enrolled node.
    #[test]
    fn the_canonical_block_loses_exactly_its_m_lines() {
        let optional: [&[(&str, &str)]; 3] = [
            &[("xpack.security.enrollment.enabled", "false")],
            &[("http.host", "127.0.0.1")],
            &[("transport.host", "127.0.0.1")],
        ];
        for mask in 0..8 {
            let mut base: Vec<(&str, &str)> = Vec::new();
            for (bit, o) in optional.iter().enumerate() {
                if mask & (1 << bit) != 0 {
                    base.extend_from_slice(o);
                }
            }
            let with = render_block(&settings(&base), &inputs(None));
            assert!(with.contains("cluster.initial_master_nodes"), "{with}");
            let mut single = base.clone();
            single.push(("discovery.type", "single-node"));
            let without = render_block(&settings(&single), &inputs(None));
            assert!(!without.contains("cluster.initial_master_nodes"));
            let seeded = render_block(
                &settings(&base),
                &inputs(Some(vec!["10.0.0.1:9300".into(), "10.0.0.2:9300".into()])),
            );
            for user in [USER, "", "a: b"] {
                let before = patched_yml(user, &with);
                let r = remove_initial_master_nodes(&before, None, &no_env).unwrap();
                assert_eq!(r.mode, EditMode::CanonicalBlock, "{mask}");
                assert_eq!(r.after, patched_yml(user, &without), "mask {mask}");
                assert_eq!(r.removed.len(), 4);
                assert_eq!(r.removed[2].1, "cluster.initial_master_nodes: [\"node-1\"]");
                let hosts = ["10.0.0.1:9300".to_owned(), "10.0.0.2:9300".to_owned()];
                let r = remove_initial_master_nodes(&before, Some(&hosts), &no_env).unwrap();
                assert_eq!(r.after, patched_yml(user, &seeded), "mask {mask} seeded");
            }
        }
    }

    #[test]
    fn setting_only_forms() {
        // (yml, expected after)
        let rows: &[(&str, &str)] = &[
            (
                "a: 1\ncluster.initial_master_nodes: [\"n1\", \"n2\"]\nb: 2\n",
                "a: 1\nb: 2\n",
            ),
            (
                "a: 1\r\ncluster.initial_master_nodes: n1\r\n# kept\r\nb: 2\r\n",
                "a: 1\r\n# kept\r\nb: 2\r\n",
            ),
            (
                "# before\ncluster.initial_master_nodes:\n- n1\n- n2\n\n# after\nb: 2\n",
                "# before\n\n# after\nb: 2\n",
            ),
            (
                "cluster.initial_master_nodes:\n  - n1\n  - n2\nb: 2",
                "b: 2",
            ),
            (
                "cluster.initial_master_nodes: [\"n1\",\n   \"n2\"]\nb: 2\n",
                "b: 2\n",
            ),
            ("b: 2\ncluster.initial_master_nodes: [n1]", "b: 2\n"),
        ];
        for (yml, want) in rows {
            let r = remove_initial_master_nodes(yml, None, &no_env).unwrap();
            assert_eq!(r.mode, EditMode::SettingOnly, "{yml:?}");
            assert_eq!(&r.after, want, "{yml:?}");
        }
        // Inside a block the operator edited: only the setting's line goes.
        let block = render_block(&Settings::default(), &inputs(None));
        let edited = patched_yml(
            USER,
            &block.replace(
                "# Additional nodes can still join the cluster later\n",
                "# added by me\n",
            ),
        );
        let r = remove_initial_master_nodes(&edited, None, &no_env).unwrap();
        assert_eq!(r.mode, EditMode::SettingOnly);
        assert_eq!(
            r.after,
            edited.replace("cluster.initial_master_nodes: [\"node-1\"]\n", "")
        );
        // With seed hosts, the key line becomes discovery.seed_hosts.
        let hosts = ["es1:9300".to_owned()];
        let r = remove_initial_master_nodes(
            "a: 1\ncluster.initial_master_nodes: [x]\n",
            Some(&hosts),
            &no_env,
        )
        .unwrap();
        assert_eq!(r.after, "a: 1\ndiscovery.seed_hosts: [\"es1:9300\"]\n");
        assert_eq!(r.added, ["discovery.seed_hosts: [\"es1:9300\"]"]);
    }

    #[test]
    fn forms_that_cannot_be_edited_line_by_line_are_refused() {
        for yml in [
            "cluster:\n  initial_master_nodes: [n1]\n  name: x\n",
            "cluster.initial_master_nodes: [n1]\ncluster:\n  initial_master_nodes: [n2]\n",
            // Indented lines that are a mapping under the key, not a list: removing them would
            // remove other settings too.
            "cluster.initial_master_nodes:\n  foo: bar\n",
            "\"cluster.initial_master_nodes\": [n1]\n",
        ] {
            assert!(
                remove_initial_master_nodes(yml, None, &no_env).is_err(),
                "{yml:?}"
            );
        }
    }

    /// Any input at all: an answer, never a panic.
    #[test]
    fn the_editor_never_panics() {
        let pieces = [
            "cluster.initial_master_nodes:",
            " [\"n\"]",
            "\n",
            "\r\n",
            "\r",
            "- ",
            "  ",
            "#",
            START_MARKER,
            END_MARKER,
            CANONICAL_COMMENTS[0][0],
            CANONICAL_COMMENTS[0][1],
            "a: b",
            "[",
            "]",
            "\"",
            "é",
            "${X}",
            "\t",
            "",
        ];
        let mut next = crate::fuzzing::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let n = (next() % 24) as usize;
            let text: String = (0..n)
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let hosts = ["h:1".to_owned()];
            let seeds = next().is_multiple_of(2).then_some(&hosts[..]);
            if let Ok(r) = remove_initial_master_nodes(&text, seeds, &no_env) {
                // Whatever it removed, the rest of the text is still there, in order.
                assert!(r.after.len() <= text.len() + 40, "{text:?}");
            }
        }
    }

    #[test]
    fn discovery_check_models_elasticsearch() {
        /// Settings, and the `setting: value` that fails the check.
        type Row = (
            &'static [(&'static str, &'static str)],
            Option<&'static str>,
        );
        let rows: &[Row] = &[
            (&[], None),
            (&[("transport.host", "127.0.0.1")], None),
            (&[("network.host", "_local_")], None),
            (&[("transport.host", "::1")], None),
            (&[("transport.host", "[::1]")], None),
            (&[("network.host", "localhost")], None),
            (
                &[("transport.host", "0.0.0.0")],
                Some("transport.host: 0.0.0.0"),
            ),
            (&[("network.host", "_site_")], Some("network.host: _site_")),
            (
                &[("network.publish_host", "es1.example")],
                Some("network.publish_host: es1.example"),
            ),
            (&[("http.host", "0.0.0.0")], None),
            (
                &[("transport.host", "0.0.0.0"), ("discovery.seed_hosts", "a")],
                None,
            ),
            (
                &[
                    ("transport.host", "0.0.0.0"),
                    ("discovery.seed_providers", "file"),
                ],
                None,
            ),
            (
                &[
                    ("transport.host", "0.0.0.0"),
                    ("discovery.type", "single-node"),
                ],
                None,
            ),
        ];
        for (pairs, want) in rows {
            assert_eq!(
                discovery_check_failure(&settings(pairs)).as_deref(),
                *want,
                "{pairs:?}"
            );
        }
        // An explicitly empty list exists, so the check passes.
        let s = Settings::from_pairs([
            ("transport.host", Value::Scalar("0.0.0.0".into())),
            ("discovery.seed_hosts", Value::List(Vec::new())),
        ]);
        assert_eq!(discovery_check_failure(&s), None);
    }

    fn facts(yml: &str) -> Facts {
        let mut f = Facts::fresh("/es", Settings::from_yaml(yml, "y", &no_env).unwrap());
        f.yml_text = Some(Arc::new(yml.to_owned()));
        f.keystore_version = Some(5);
        f
    }

    fn ffacts(formation: Formation) -> FinalizeFacts {
        FinalizeFacts {
            overrides: Vec::new(),
            env_sources: Vec::new(),
            formation,
            password_hash: Some(true),
            leftovers: Vec::new(),
            yml_gid: Some(0),
            keystore_gid: Some(0),
        }
    }

    fn opts() -> FinalizeOptions {
        FinalizeOptions {
            now: UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            remove_password_hash: false,
            clean_backups: false,
            assume_formed: false,
            seed_hosts: None,
        }
    }

    fn results(f: &Finalization) -> Vec<(&'static str, ActionResult)> {
        f.actions
            .iter()
            .map(|a| (a.action.name(), a.result.clone()))
            .collect()
    }

    fn steps(f: &Finalization) -> Vec<&'static str> {
        f.plan
            .as_ref()
            .map(|p| p.steps.iter().map(|s| s.id.name()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn finalize_decides_each_action_in_order() {
        let yml = patched_yml(USER, &render_block(&Settings::default(), &inputs(None)));
        let formed = Formation::Committed {
            cluster_uuid: Some("u".into()),
        };
        // Formed: the yml edit is the commit point.
        let f = plan_finalize(&facts(&yml), &ffacts(formed.clone()), &opts(), &no_env);
        assert_eq!(
            results(&f),
            [("remove_initial_master_nodes", ActionResult::Applied)]
        );
        assert_eq!(steps(&f), ["journal", "write_yml", "cleanup"]);
        assert_eq!(f.reason(), Reason::Finalized);

        // Not formed: refused unless assumed.
        for (formation, reason) in [
            (Formation::NotFormed, Reason::ClusterNotFormed),
            (
                Formation::Unknown("denied".into()),
                Reason::FormationUnknown,
            ),
        ] {
            let f = plan_finalize(&facts(&yml), &ffacts(formation.clone()), &opts(), &no_env);
            assert_eq!(f.plan, None);
            assert_eq!(f.reason(), reason);
            let mut o = opts();
            o.assume_formed = true;
            let f = plan_finalize(&facts(&yml), &ffacts(formation), &o, &no_env);
            assert_eq!(f.reason(), Reason::Finalized);
        }

        // Everything at once: leftovers recorded first, the keystore written and backed up,
        // the yml committed last.
        let mut o = opts();
        o.remove_password_hash = true;
        o.clean_backups = true;
        let mut ff = ffacts(formed.clone());
        ff.leftovers = leftovers(["certs.1.orig", "elasticsearch.keystore.2.orig", "x"]);
        let f = plan_finalize(&facts(&yml), &ff, &o, &no_env);
        assert_eq!(
            steps(&f),
            [
                "journal",
                "mark_leftovers",
                "generate",
                "keystore_backup",
                "keystore_open",
                "keystore_save",
                "write_yml",
                "cleanup"
            ]
        );
        let plan = f.plan.as_ref().unwrap();
        assert_eq!(
            plan.step(StepId::Cleanup).unwrap().action,
            Action::Cleanup(vec![
                plan.layout.keystore_backup(),
                RelPath::new("certs.1.orig").unwrap(),
                RelPath::new("elasticsearch.keystore.2.orig").unwrap(),
            ])
        );
        assert_eq!(plan.keystore().unwrap().remove, [PASSWORD_HASH_SETTING]);

        // Only the keystore: its save is the commit point.
        let done = patched_yml(
            USER,
            &render_block(
                &settings(&[("discovery.type", "single-node")]),
                &inputs(None),
            ),
        );
        let mut o = opts();
        o.remove_password_hash = true;
        let f = plan_finalize(&facts(&done), &ffacts(formed.clone()), &o, &no_env);
        assert_eq!(
            results(&f),
            [
                ("remove_initial_master_nodes", ActionResult::NothingToDo),
                ("remove_password_hash", ActionResult::Applied)
            ]
        );
        assert_eq!(
            steps(&f),
            [
                "journal",
                "generate",
                "keystore_open",
                "keystore_save",
                "cleanup"
            ]
        );
        assert!(matches!(
            f.plan
                .as_ref()
                .unwrap()
                .step(StepId::KeystoreSave)
                .unwrap()
                .action,
            Action::Commit(_)
        ));

        // Nothing at all.
        let f = plan_finalize(&facts(&done), &ffacts(formed), &opts(), &no_env);
        assert_eq!(f.plan, None);
        assert_eq!(f.reason(), Reason::NothingToDo);
    }

    #[test]
    fn refusals_name_where_the_setting_comes_from() {
        let yml = patched_yml(USER, &render_block(&Settings::default(), &inputs(None)));
        let formed = Formation::Accepted;
        let mut ff = ffacts(formed.clone());
        ff.overrides = vec![(INITIAL_MASTER_NODES.into(), "n1".into())];
        let f = plan_finalize(&facts(&yml), &ff, &opts(), &no_env);
        assert_eq!(f.reason(), Reason::DefinedOutsideYml);
        assert!(f.actions[0]
            .message
            .contains("-E cluster.initial_master_nodes=n1"));
        let mut ff = ffacts(formed.clone());
        ff.env_sources = vec!["cluster.initial_master_nodes".into()];
        let f = plan_finalize(&facts(&yml), &ff, &opts(), &no_env);
        assert_eq!(f.reason(), Reason::DefinedOutsideYml);

        // A transport on 0.0.0.0 without seed hosts would fail the discovery check.
        let open = format!(
            "transport.host: 0.0.0.0\n{}",
            render_block(&settings(&[("transport.host", "0.0.0.0")]), &inputs(None))
        );
        let f = plan_finalize(&facts(&open), &ffacts(formed.clone()), &opts(), &no_env);
        assert_eq!(f.reason(), Reason::WouldFailDiscoveryCheck);
        assert!(f.actions[0].message.contains("transport.host: 0.0.0.0"));
        let mut o = opts();
        o.seed_hosts = Some(vec!["10.0.0.2:9300".into()]);
        let f = plan_finalize(&facts(&open), &ffacts(formed.clone()), &o, &no_env);
        assert_eq!(f.reason(), Reason::Finalized);
        let after = &f.actions[0].removal.as_ref().unwrap().after;
        assert!(after.contains(
            "# Discover existing nodes in the cluster\ndiscovery.seed_hosts: [\"10.0.0.2:9300\"]\n"
        ));

        let nested = "cluster:\n  initial_master_nodes: [n1]\n";
        let f = plan_finalize(&facts(nested), &ffacts(formed), &opts(), &no_env);
        assert_eq!(f.reason(), Reason::UnsupportedYmlForm);
    }
}
