//! The judgement: [`assess`] turns [`Observed`] into a [`Report`] (certificates, SAN coverage,
//! findings). Pure: no file system, no clock ("now" is an argument), no environment.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use esac_certspec::{SanEntry, SanInputs, Utc};
use esac_settings::Settings;

use crate::finding::{Detail, ExitCodes, Finding, Kind, Overall, Severity, UnknownCause};
use crate::observed::*;
use esac_core::finalize::Formation;

/// `--warn-days` and `--crit-days`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// A certificate with at most this many days left is a warning.
    pub warn_days: i64,
    /// ... and with at most this many, critical.
    pub crit_days: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            warn_days: 30,
            crit_days: 7,
        }
    }
}

/// One certificate as reported.
#[derive(Clone, Debug)]
pub struct CertReport {
    /// `http`, `http_ca`, `http_other`, `transport`, `transport_ca`, `transport_other`.
    pub id: String,
    /// What was observed.
    pub cert: CertObs,
    /// Whole days until notAfter (floor; negative once expired).
    pub days_left: i64,
}

/// The HTTP certificate's SANs against what they should cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanCoverage {
    /// The URL Elasticsearch's own CLI tools connect to.
    pub cli_url: String,
    /// Whether its host is a SAN (`None`: a special `_name_` value, not resolved offline).
    pub cli_url_covered: Option<bool>,
    /// What auto-configuration would put there today (auto-configured nodes only).
    pub expected: Vec<SanEntry>,
    /// Expected entries the certificate lacks.
    pub missing: Vec<SanEntry>,
    /// IP SANs that are on no interface and no publish host any more.
    pub stale: Vec<SanEntry>,
}

/// The result of `status`.
#[derive(Clone, Debug)]
pub struct Report {
    /// The time the checks used.
    pub checked_at: SystemTime,
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// The node carries an auto-configuration block.
    pub autoconfigured: bool,
    /// Every certificate found, HTTP first.
    pub certificates: Vec<CertReport>,
    /// SAN coverage of the HTTP certificate, when there is one.
    pub san: Option<SanCoverage>,
    /// Findings, worst first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The overall result.
    pub fn overall(&self) -> Overall {
        crate::finding::overall(&self.findings)
    }

    /// The exit code in `mode`.
    pub fn exit_code(&self, mode: ExitCodes) -> u8 {
        crate::finding::exit_code(&self.findings, mode)
    }

    /// Days left of the four certificates monitoring cares about, as perfdata labels.
    pub fn perfdata(&self) -> Vec<(&'static str, i64)> {
        let mut out = Vec::new();
        for (label, id) in [
            ("http_cert_days", "http"),
            ("http_ca_days", "http_ca"),
            ("transport_cert_days", "transport"),
            ("transport_ca_days", "transport_ca"),
        ] {
            if let Some(c) = self.certificates.iter().find(|c| c.id == id) {
                out.push((label, c.days_left));
            }
        }
        out
    }
}

/// Whole days from `now` to `t` (floor), negative when `t` is past.
pub fn days_until(t: SystemTime, now: SystemTime) -> i64 {
    let secs = |x: SystemTime| match x.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    (secs(t).saturating_sub(secs(now))).div_euclid(86_400)
}

struct Acc {
    findings: Vec<Finding>,
}

impl Acc {
    fn add(
        &mut self,
        kind: Kind,
        param: &str,
        severity: Severity,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.findings.push(Finding {
            id: kind.id(param),
            kind,
            severity,
            subject: subject.into(),
            message: message.into(),
            fix: None,
            details: Vec::new(),
            cause: None,
        });
        let last = self.findings.len() - 1;
        &mut self.findings[last]
    }
}

trait FindingExt {
    fn fix(&mut self, fix: impl Into<String>) -> &mut Self;
    fn detail(&mut self, key: &'static str, value: Detail) -> &mut Self;
    fn cause(&mut self, cause: UnknownCause) -> &mut Self;
}

impl FindingExt for Finding {
    fn fix(&mut self, fix: impl Into<String>) -> &mut Self {
        self.fix = Some(fix.into());
        self
    }
    fn detail(&mut self, key: &'static str, value: Detail) -> &mut Self {
        self.details.push((key, value));
        self
    }
    fn cause(&mut self, cause: UnknownCause) -> &mut Self {
        self.cause = Some(cause);
        self
    }
}

fn text(s: impl Into<String>) -> Detail {
    Detail::Text(s.into())
}

/// Judges what was observed.
pub fn assess(o: &Observed, t: &Thresholds, now: SystemTime) -> Report {
    let mut acc = Acc {
        findings: Vec::new(),
    };
    let yml = o.config_dir.join("elasticsearch.yml").display().to_string();
    let mut report = Report {
        checked_at: now,
        thresholds: *t,
        autoconfigured: o.block.present(),
        certificates: Vec::new(),
        san: None,
        findings: Vec::new(),
    };
    match &o.yml {
        Yml::Missing(d) => {
            acc.add(
                Kind::YmlMissing,
                "",
                Severity::Critical,
                &yml,
                format!("[{yml}] {d}: Elasticsearch cannot start"),
            )
            .fix("point --config-dir (ES_PATH_CONF) at the directory that holds elasticsearch.yml");
            report.findings = sorted(acc.findings);
            return report;
        }
        Yml::Invalid(d) => {
            acc.add(Kind::YmlInvalid, "", Severity::Critical, &yml, d.clone());
            report.findings = sorted(acc.findings);
            return report;
        }
        Yml::Ok => {}
    }
    let s = &o.settings;
    config(o, s, &yml, &mut acc);
    bootstrap(o, s, &mut acc);
    keystore(o, &mut acc);
    for layer in &o.layers {
        if layer.enabled {
            stores(o, layer, &mut acc);
            shape(layer, &mut acc);
        }
    }
    report.certificates = certificates(o, t, now, &mut acc);
    report.san = san(o, &report.certificates, &mut acc);
    files(o, &mut acc);
    leftovers(o, &mut acc);
    report.findings = sorted(acc.findings);
    report
}

fn sorted(mut f: Vec<Finding>) -> Vec<Finding> {
    f.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    f
}

fn is_false(s: &Settings, key: &str) -> bool {
    s.get_str(key) == Some("false")
}

fn is_true(s: &Settings, key: &str) -> bool {
    s.get_str(key) == Some("true")
}

/// A bind or publish host value that stays on loopback (`NetworkService` special names included).
fn loopback_value(v: &str) -> bool {
    let v = v.trim();
    if matches!(
        v,
        "_local_"
            | "_local:ipv4_"
            | "_local:ipv6_"
            | "_lo_"
            | "_lo:ipv4_"
            | "_lo:ipv6_"
            | "localhost"
    ) {
        return true;
    }
    v.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Elasticsearch enforces its bootstrap checks when the transport binds or publishes to a
/// non-loopback address and `discovery.type` is not `single-node` (`BootstrapChecks.enforceLimits`).
pub fn bootstrap_checks_enforced(s: &Settings) -> bool {
    if s.get_str("discovery.type") == Some("single-node") {
        return false;
    }
    let first = |keys: &[&str]| {
        keys.iter()
            .map(|k| s.get_list(k))
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    };
    let bind = first(&[
        "transport.bind_host",
        "transport.host",
        "network.bind_host",
        "network.host",
    ]);
    let publish = first(&[
        "transport.publish_host",
        "transport.host",
        "network.publish_host",
        "network.host",
    ]);
    bind.iter()
        .chain(publish.iter())
        .any(|v| !loopback_value(v))
}

fn config(o: &Observed, s: &Settings, yml: &str, acc: &mut Acc) {
    match &o.block {
        Block::Absent => {
            acc.add(
                Kind::NotAutoconfigured,
                "",
                Severity::Info,
                yml,
                "no security auto-configuration block in elasticsearch.yml: the TLS settings are checked as configured, auto-configuration-specific checks are skipped",
            );
        }
        Block::Unpaired(d) => {
            acc.add(Kind::BlockDamaged, "", Severity::Warning, yml, format!("the security auto-configuration block is damaged: {d}"))
                .fix("restore both marker lines of the block in elasticsearch.yml (tools that recognise an auto-configured node, Elasticsearch's reconfigure-node included, look for them)");
        }
        Block::Intact {
            start_line,
            missing_keys,
            ..
        } if !missing_keys.is_empty() => {
            acc.add(
                Kind::BlockDamaged,
                "",
                Severity::Warning,
                format!("{yml}:{start_line}"),
                format!(
                    "the security auto-configuration block lacks settings Elasticsearch writes there: {}",
                    missing_keys.join(", ")
                ),
            )
            .fix("put the missing settings back into the block, or move the configuration out of the markers")
            .detail("missing", Detail::List(missing_keys.iter().map(|k| (*k).to_owned()).collect()));
        }
        Block::Intact { .. } => {}
    }
    let security_off = is_false(s, "xpack.security.enabled");
    if security_off {
        acc.add(
            Kind::SecurityDisabled,
            "",
            Severity::Warning,
            "xpack.security.enabled",
            "security is disabled (xpack.security.enabled: false): no authentication, no TLS",
        );
    }
    if !security_off
        && !is_true(s, "xpack.security.transport.ssl.enabled")
        && bootstrap_checks_enforced(s)
    {
        acc.add(
            Kind::TransportTlsRequired,
            "",
            Severity::Critical,
            "xpack.security.transport.ssl.enabled",
            "Transport SSL must be enabled if security is enabled. Please set [xpack.security.transport.ssl.enabled] to [true] or disable security by setting [xpack.security.enabled] to [false]",
        )
        .fix("configure transport TLS (xpack.security.transport.ssl.*), or keep the transport on loopback");
    }
    if is_false(s, "xpack.security.http.ssl.enabled") && o.stock_http_p12 {
        acc.add(
            Kind::HttpTlsOffWithMaterial,
            "",
            Severity::Info,
            "xpack.security.http.ssl.enabled",
            "HTTP TLS is off although certs/http.p12 exists: clients connect in plain text, and enrollment tokens created now name an http:// address",
        );
    }
    if is_false(s, "resource.reload.enabled") {
        acc.add(
            Kind::ReloadDisabled,
            "",
            Severity::Warning,
            "resource.reload.enabled",
            "resource.reload.enabled is false: renewed certificates take effect only after a restart",
        );
    }
}

fn bootstrap(o: &Observed, s: &Settings, acc: &mut Acc) {
    const IMN: &str = "cluster.initial_master_nodes";
    let single_node = s.get_str("discovery.type") == Some("single-node");
    if single_node && s.exists(IMN) {
        acc.add(
            Kind::SingleNodeConflict,
            "",
            Severity::Critical,
            IMN,
            "setting [cluster.initial_master_nodes] is not allowed when [discovery.type] is set to [single-node]",
        )
        .fix("remove cluster.initial_master_nodes, or discovery.type: single-node");
    }
    let nodes = s.get_list(IMN);
    if !nodes.is_empty() {
        let source = o
            .initial_master_nodes_source
            .clone()
            .unwrap_or(Source::Yml(0));
        let place = match &source {
            Source::Block(l) => {
                format!("the auto-configuration block (elasticsearch.yml line {l})")
            }
            Source::Yml(l) if *l > 0 => format!("elasticsearch.yml line {l}"),
            Source::Yml(_) => "elasticsearch.yml".to_owned(),
            Source::CommandLine => "a -E option".to_owned(),
            Source::Env => "the environment".to_owned(),
        };
        let fix = match &source {
            Source::Block(_) | Source::Yml(_) => "es-autoconf finalize (removes it from elasticsearch.yml now that the cluster has formed; it must never be set again)".to_owned(),
            Source::CommandLine => "stop passing -E cluster.initial_master_nodes=... to Elasticsearch".to_owned(),
            Source::Env => "remove cluster.initial_master_nodes from the container's environment".to_owned(),
        };
        let evidence = match &o.node.formation {
            Formation::Committed { .. } => "the cluster UUID is committed",
            Formation::Accepted => "a master has accepted a cluster state",
            Formation::NotFormed | Formation::Unknown(_) => "",
        };
        if o.node.formation.formed() {
            let f = acc
                .add(
                    Kind::InitialMasterNodesLeftover,
                    "",
                    Severity::Warning,
                    IMN,
                    format!(
                        "cluster.initial_master_nodes {nodes:?} is still set in {place}, but {evidence}: a later bootstrap attempt could form a second cluster"
                    ),
                )
                .fix(fix)
                .detail("source", text(source.name()))
                .detail("value", Detail::List(nodes.clone()));
            if let Source::Block(l) | Source::Yml(l) = source {
                f.detail("line", Detail::Int(l as i64));
            }
        } else {
            acc.add(
                Kind::InitialMasterNodesPending,
                "",
                Severity::Info,
                IMN,
                format!(
                    "cluster.initial_master_nodes {nodes:?} is set in {place}; {}: remove it once the cluster has formed",
                    match (&o.node.formation, o.node.started) {
                        (Formation::Unknown(why), _) => {
                            format!("whether the cluster has formed is unknown ({why})")
                        }
                        (_, true) => {
                            "the node has started but no formed cluster is recorded on disk".into()
                        }
                        (_, false) => "the node has not started yet".into(),
                    }
                ),
            )
            .detail("source", text(source.name()))
            .detail("started", text(o.node.started.to_string()));
        }
    }
    let discovery = ["discovery.seed_hosts", "discovery.seed_providers", IMN];
    if !single_node && !discovery.iter().any(|k| s.exists(k)) && bootstrap_checks_enforced(s) {
        acc.add(
            Kind::DiscoveryCheckFails,
            "",
            Severity::Critical,
            "discovery.seed_hosts",
            "the default discovery settings are unsuitable for production use; at least one of [discovery.seed_hosts, discovery.seed_providers, cluster.initial_master_nodes] must be configured",
        )
        .fix("set discovery.seed_hosts to the transport addresses of the master-eligible nodes");
    }
}

/// The keystore format Elasticsearch `v` writes (and upgrades older keystores to).
fn current_keystore_format(v: (u32, u32, u32)) -> Option<u32> {
    match v {
        (8, minor, _) if minor >= 14 => Some(6),
        (8, _, _) => Some(5),
        (major, _, _) if major >= 9 => Some(6),
        _ => None,
    }
}

fn keystore(o: &Observed, acc: &mut Acc) {
    let ks = o.keystore.path.display().to_string();
    match &o.keystore.state {
        KeystoreState::Missing | KeystoreState::Open { .. } => {}
        KeystoreState::Unreadable(d) => {
            acc.add(Kind::KeystoreUnreadable, "", Severity::Unknown, &ks, format!("cannot read the keystore: {d}; the checks that need its passwords were not made"))
                .fix("run status as a user that can read the config directory (root or the Elasticsearch account)")
                .cause(UnknownCause::Io);
        }
        KeystoreState::UnsupportedVersion(v) => {
            acc.add(
                Kind::KeystoreVersionUnsupported,
                "",
                Severity::Critical,
                &ks,
                format!("keystore format version {v}: no Elasticsearch 8 or 9 reads it"),
            )
            .detail("format_version", Detail::Int(i64::from(*v)));
        }
        KeystoreState::Corrupt(d) => {
            acc.add(
                Kind::KeystoreCorrupt,
                "",
                Severity::Critical,
                &ks,
                format!("the keystore is corrupted: {d}"),
            )
            .fix("restore elasticsearch.keystore from a backup");
        }
        KeystoreState::Locked { detail, .. } => {
            acc.add(Kind::KeystoreLocked, "", Severity::Unknown, &ks, format!("the keystore is password-protected and {detail}: the PKCS#12 passwords it holds are unknown, so those files were not checked"))
                .fix("set ES_KEYSTORE_PASSPHRASE_FILE to a file holding the keystore password (or run status on a terminal)")
                .cause(UnknownCause::Passphrase);
        }
        KeystoreState::WrongPassword { .. } => {
            acc.add(Kind::KeystoreWrongPassword, "", Severity::Unknown, &ks, "Provided keystore password was incorrect: the PKCS#12 passwords it holds are unknown, so those files were not checked")
                .fix("check the file named by ES_KEYSTORE_PASSPHRASE_FILE")
                .cause(UnknownCause::Passphrase);
        }
    }
    if let (Some(version), Some(es)) = (o.keystore.state.version(), o.es_version) {
        let es_text = format!("{}.{}.{}", es.0, es.1, es.2);
        if version >= 6 && es < (8, 14, 0) {
            acc.add(Kind::KeystoreVersionUnsupported, "", Severity::Critical, &ks, format!("keystore format version {version} needs Elasticsearch 8.14 or later; Elasticsearch {es_text} is installed and cannot read it"))
                .fix("rewrite the keystore in format 5 (es-autoconf init --keystore-format 5 on a new node), or upgrade Elasticsearch")
                .detail("format_version", Detail::Int(i64::from(version)));
        } else if let Some(current) = current_keystore_format(es) {
            if version < current {
                acc.add(Kind::KeystoreVersionOld, "", Severity::Info, &ks, format!("keystore format version {version}; Elasticsearch {es_text} upgrades it to {current} when it starts (the config directory must be writable)"))
                    .detail("format_version", Detail::Int(i64::from(version)));
            }
        }
    }
    if let KeystoreState::Open { names, .. } = &o.keystore.state {
        if names.iter().any(|n| n == "autoconfiguration.password_hash") {
            let formed = o.node.formation.formed();
            acc.add(
                Kind::PasswordHashPresent,
                "",
                if formed { Severity::Warning } else { Severity::Info },
                "autoconfiguration.password_hash",
                "the keystore still holds autoconfiguration.password_hash: should the elastic user's document ever disappear from .security, the install-time password becomes valid again",
            )
            .fix("es-autoconf finalize --remove-password-hash (once the cluster has formed)");
        }
        if names.iter().any(|n| n == "bootstrap.password") {
            acc.add(
                Kind::BootstrapPasswordPresent,
                "",
                Severity::Info,
                "bootstrap.password",
                "the keystore holds bootstrap.password: it becomes the elastic user's password again whenever that user's document is missing",
            )
            .fix("bin/elasticsearch-keystore remove bootstrap.password");
        }
    }
}

fn stores(o: &Observed, layer: &LayerObs, acc: &mut Acc) {
    let l = layer.layer.name();
    for st in &layer.stores {
        let what = format!(
            "{}{} [{}]",
            layer.layer.prefix(),
            st.role.name(),
            st.display
        );
        match &st.state {
            StoreState::Read | StoreState::PasswordUnknown | StoreState::Encrypted => {}
            StoreState::Missing => {
                acc.add(
                    Kind::TlsUnreadable,
                    l,
                    Severity::Critical,
                    &st.display,
                    format!("{what} does not exist: Elasticsearch cannot start"),
                );
            }
            StoreState::Unreadable(d) => {
                acc.add(
                    Kind::TlsUnreadable,
                    l,
                    Severity::Critical,
                    &st.display,
                    format!("{what} cannot be read: {d}"),
                );
            }
            StoreState::Denied(d) => {
                acc.add(Kind::TlsUnreadable, l, Severity::Unknown, &st.display, format!("es-autoconf cannot read {what}: {d}; not checked"))
                    .fix("run status as a user that can read the file (root or the Elasticsearch account)")
                    .cause(UnknownCause::Io);
            }
            StoreState::WrongPassword { setting } => {
                acc.add(Kind::TlsUnreadable, l, Severity::Critical, &st.display, format!("the password in [{setting}] does not open {what} (integrity check failed): Elasticsearch cannot load it"))
                    .fix(format!("set the file's password: bin/elasticsearch-keystore add {setting}"))
                    .detail("setting", text(setting));
            }
            StoreState::NoPassword { setting } => {
                if matches!(o.keystore.state, KeystoreState::Missing) {
                    acc.add(Kind::KeystoreMissing, "", Severity::Critical, o.keystore.path.display().to_string(), format!("{what} needs a password, but there is no elasticsearch.keystore to hold [{setting}]"))
                        .fix(format!("bin/elasticsearch-keystore create, then bin/elasticsearch-keystore add {setting}"))
                        .detail("setting", text(setting));
                } else {
                    acc.add(
                        Kind::KeystoreMissingSetting,
                        "",
                        Severity::Critical,
                        setting.clone(),
                        format!("{what} needs a password, but the keystore has no [{setting}]"),
                    )
                    .fix(format!("bin/elasticsearch-keystore add {setting}"))
                    .detail("setting", text(setting));
                }
            }
            StoreState::Unsupported => {
                let fmt = match st.format {
                    StoreFormat::Unsupported(f) => f,
                    _ => "this format",
                };
                acc.add(
                    Kind::TlsUnsupportedFormat,
                    l,
                    Severity::Unknown,
                    &st.display,
                    format!("{what} is {fmt}, which es-autoconf does not read: not checked"),
                )
                .cause(UnknownCause::Unsupported);
            }
        }
    }
}

fn shape(layer: &LayerObs, acc: &mut Acc) {
    let keystore = layer
        .stores
        .iter()
        .find(|s| s.role == StoreRole::Keystore && s.state == StoreState::Read);
    match layer.layer {
        Layer::Http => {
            let subject = keystore
                .map(|k| k.display.clone())
                .unwrap_or_else(|| "xpack.security.http.ssl".into());
            if let Some((leaves, cas)) = layer.key_entries {
                if leaves > 1 || cas > 1 {
                    acc.add(Kind::HttpKeyEntries, "", Severity::Warning, &subject, format!("the HTTP keystore has {leaves} non-CA and {cas} CA key entries: Elasticsearch serves one non-CA key chosen by the JDK, and enrollment needs exactly one CA key entry"))
                        .detail("non_ca_key_entries", Detail::Int(leaves as i64))
                        .detail("ca_key_entries", Detail::Int(cas as i64));
                }
            }
            let pem = layer
                .stores
                .iter()
                .any(|s| s.role == StoreRole::Certificate && s.state == StoreState::Read);
            let no_ca_key =
                matches!(layer.key_entries, Some((_, 0))) || (pem && layer.key_entries.is_none());
            if no_ca_key {
                acc.add(Kind::HttpNoCaKey, "", Severity::Info, &subject, "no HTTP CA key next to the HTTP certificate: enrollment tokens cannot be created on this node");
            }
        }
        Layer::Transport => {
            if let Some(ts) = layer.truststore {
                let subject = layer
                    .stores
                    .iter()
                    .find(|s| s.role == StoreRole::Truststore)
                    .map(|s| s.display.clone())
                    .unwrap_or_default();
                if ts.anchors == 0 {
                    acc.add(Kind::TransportNoTrustAnchor, "", Severity::Critical, &subject, format!("the truststore [{subject}] does not contain any trusted certificate entries"))
                        .fix("add the transport CA as a trusted entry");
                }
                if ts.key_entries > 0 {
                    acc.add(Kind::TransportSharedLeafAnchor, "", Severity::Info, &subject, "the transport truststore also holds a key entry, whose certificate the JDK trusts as an anchor: a peer presenting that certificate is accepted even after it expires");
                }
            }
        }
    }
}

fn certificates(o: &Observed, t: &Thresholds, now: SystemTime, acc: &mut Acc) -> Vec<CertReport> {
    let mut out = Vec::new();
    for layer in o.layers.iter().filter(|l| l.enabled) {
        for c in &layer.certs {
            let id = c.id();
            let days_left = days_until(c.info.not_after, now);
            let subject = c.subject();
            let expiry = Utc(c.info.not_after).rfc3339();
            let renew = renew_fix(c);
            if c.info.not_after < now {
                acc.add(
                    Kind::CertExpired,
                    &id,
                    Severity::Critical,
                    &subject,
                    format!("{subject} ({}) expired on {expiry}", c.info.subject),
                )
                .fix(renew.clone())
                .detail("days_left", Detail::Int(days_left))
                .detail("not_after", text(&expiry));
            } else if c.info.not_before > now {
                acc.add(
                    Kind::CertNotYetValid,
                    &id,
                    Severity::Critical,
                    &subject,
                    format!(
                        "{subject} is not valid before {} (check the clock)",
                        Utc(c.info.not_before).rfc3339()
                    ),
                )
                .fix("check the system clock");
            } else if days_left <= t.warn_days {
                let sev = if days_left <= t.crit_days {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                acc.add(
                    Kind::CertExpiring,
                    &id,
                    sev,
                    &subject,
                    format!("{subject} expires {expiry} ({days_left} days)"),
                )
                .fix(renew)
                .detail("days_left", Detail::Int(days_left))
                .detail("not_after", text(&expiry));
            }
            if c.key == KeyCheck::Mismatch {
                acc.add(Kind::CertKeyMismatch, &id, Severity::Critical, &subject, format!("the private key next to {subject} does not belong to it: TLS handshakes fail"));
            }
            if let ChainCheck::Broken(why) = &c.chain {
                acc.add(
                    Kind::CertChainBroken,
                    &id,
                    Severity::Critical,
                    &subject,
                    format!("{subject} does not verify under the CA configured with it: {why}"),
                );
            }
            let weak_rsa = c.info.rsa_bits.is_some_and(|b| b < 2048);
            if weak_rsa || c.info.weak_signature() {
                acc.add(
                    Kind::CertWeak,
                    &id,
                    Severity::Info,
                    &subject,
                    format!(
                        "{subject} uses {} with {}",
                        c.info.key_description, c.info.signature_algorithm
                    ),
                );
            }
            if layer.layer == Layer::Http
                && c.role == CertRole::Leaf
                && c.info.has_extended_key_usage
                && c.info.extended_key_usage.is_empty()
            {
                acc.add(Kind::HttpEku, "", Severity::Warning, &subject, format!("{subject} has an extendedKeyUsage without serverAuth: clients refuse it as a server certificate"));
            }
            out.push(CertReport {
                id,
                cert: c.clone(),
                days_left,
            });
        }
    }
    let find = |id: &str| out.iter().find(|c| c.id == id);
    if let (Some(leaf), Some(ca)) = (find("http"), find("http_ca")) {
        if ca.cert.info.not_after < leaf.cert.info.not_after {
            acc.add(Kind::HttpCaExpiresFirst, "", Severity::Warning, ca.cert.subject(), format!("the HTTP CA expires {} before the HTTP certificate it issued ({}): clients that check the CA's validity fail first", Utc(ca.cert.info.not_after).rfc3339(), Utc(leaf.cert.info.not_after).rfc3339()))
                .fix("es-autoconf renew http-ca (same key and subject, a later notAfter: clients that trust the CA keep working)");
        }
    }
    out
}

fn renew_fix(c: &CertObs) -> String {
    match (c.layer, c.role) {
        (Layer::Http, CertRole::Leaf) => "es-autoconf renew http (same file name and password: a running node reloads it)".into(),
        (Layer::Http, _) => "es-autoconf renew http-ca (same key and subject: clients that trust the CA keep working)".into(),
        (Layer::Transport, _) => "issue new transport certificates (bin/elasticsearch-certutil cert) for every node".into(),
    }
}

/// Whether `host` (a URL host or an expected SAN) is covered by `sans`.
fn covered(sans: &[SanEntry], want: &SanEntry) -> bool {
    sans.iter().any(|s| match (s, want) {
        (SanEntry::Ip(a), SanEntry::Ip(b)) => a == b,
        (SanEntry::Dns(pattern), SanEntry::Dns(name)) => dns_matches(pattern, name),
        _ => false,
    })
}

/// Case-insensitive, with a `*.` wildcard standing for exactly one leftmost label.
fn dns_matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    let n = n.trim_end_matches('.');
    let p = p.trim_end_matches('.');
    if let Some(rest) = p.strip_prefix("*.") {
        return n
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest);
    }
    p == n
}

fn special(v: &str) -> bool {
    v.len() > 1 && v.starts_with('_') && v.ends_with('_')
}

fn host_entry(v: &str) -> SanEntry {
    let bare = v.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => SanEntry::Ip(ip),
        Err(_) => SanEntry::Dns(v.to_owned()),
    }
}

fn link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// The URL Elasticsearch's CLI tools (`elasticsearch-reset-password`, ...) connect to, and the
/// host they verify: `http.publish_host`, else `network.publish_host`, else `localhost`.
fn cli_url(s: &Settings) -> (String, Option<SanEntry>) {
    let host = ["http.publish_host", "network.publish_host"]
        .iter()
        .find_map(|k| s.get_list(k).into_iter().next())
        .unwrap_or_else(|| "localhost".into());
    let port = s
        .get_str("http.publish_port")
        .map(str::to_owned)
        .or_else(|| s.get_list("http.port").into_iter().next())
        .and_then(|p| p.split('-').next().map(str::to_owned))
        .filter(|p| p.parse::<u16>().is_ok())
        .unwrap_or_else(|| "9200".into());
    let entry = match host.as_str() {
        "_local_" => Some(SanEntry::Dns("localhost".into())),
        h if special(h) => None,
        h => Some(host_entry(h)),
    };
    let shown = match &entry {
        Some(SanEntry::Ip(IpAddr::V6(v6))) => format!("[{v6}]"),
        Some(SanEntry::Ip(ip)) => ip.to_string(),
        Some(SanEntry::Dns(d) | SanEntry::CommonName(d)) => d.clone(),
        None => host.clone(),
    };
    let scheme = if is_true(s, "xpack.security.http.ssl.enabled") {
        "https"
    } else {
        "http"
    };
    (format!("{scheme}://{shown}:{port}"), entry)
}

fn san(o: &Observed, certs: &[CertReport], acc: &mut Acc) -> Option<SanCoverage> {
    let http = o
        .layers
        .iter()
        .find(|l| l.layer == Layer::Http && l.enabled)?;
    let leaf = certs.iter().find(|c| c.id == "http")?;
    let sans = &leaf.cert.info.sans;
    let subject = leaf.cert.subject();
    let s = &o.settings;
    let (url, entry) = cli_url(s);
    let cli_covered = entry.as_ref().map(|e| covered(sans, e));
    if cli_covered == Some(false) {
        let full = http.verification_mode == "full";
        acc.add(
            Kind::SanCliUrlNotCovered,
            "",
            if full { Severity::Critical } else { Severity::Info },
            &subject,
            format!("the HTTP certificate does not cover {url}, which Elasticsearch's own tools (elasticsearch-reset-password, elasticsearch-create-enrollment-token) connect to: they fail hostname verification"),
        )
        .fix("es-autoconf renew http (its SANs: the old ones and today's addresses and publish hosts)")
        .detail("url", text(&url));
    }
    let mut coverage = SanCoverage {
        cli_url: url,
        cli_url_covered: cli_covered,
        expected: Vec::new(),
        missing: Vec::new(),
        stale: Vec::new(),
    };
    if !o.block.present() {
        return Some(coverage);
    }
    let publish: Vec<String> = ["network.publish_host", "http.publish_host"]
        .iter()
        .flat_map(|k| s.get_list(k))
        .filter(|v| !special(v))
        .collect();
    let expected = SanInputs {
        interface_addresses: o.interface_addresses.clone(),
        hostname: o.hostname.clone(),
        publish_hosts: publish.clone(),
    }
    .entries();
    let missing: Vec<SanEntry> = expected
        .iter()
        .filter(|e| !covered(sans, e))
        .cloned()
        .collect();
    let hostname = SanEntry::Dns(o.hostname.clone());
    if !o.hostname.is_empty() && missing.contains(&hostname) {
        acc.add(
            Kind::SanHostnameNotCovered,
            "",
            Severity::Warning,
            &subject,
            format!(
                "the HTTP certificate does not cover the hostname [{}]",
                o.hostname
            ),
        )
        .fix("es-autoconf renew http (adds today's hostname to the SANs)");
    }
    let addresses: Vec<&SanEntry> = missing
        .iter()
        .filter(|e| **e != hostname && **e != SanEntry::Dns("localhost".into()))
        .collect();
    if !addresses.is_empty() {
        let all_link_local = addresses
            .iter()
            .all(|e| matches!(e, SanEntry::Ip(ip) if link_local(ip)));
        let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
        acc.add(
            Kind::SanAddressNotCovered,
            "",
            if all_link_local { Severity::Info } else { Severity::Warning },
            &subject,
            format!("the HTTP certificate does not cover {}: clients connecting there fail hostname verification", list.join(", ")),
        )
        .fix("es-autoconf renew http (adds today's addresses to the SANs)")
        .detail("missing", Detail::List(list));
    }
    let publish_ips: Vec<IpAddr> = publish
        .iter()
        .filter_map(|p| match host_entry(p) {
            SanEntry::Ip(ip) => Some(ip),
            SanEntry::Dns(_) | SanEntry::CommonName(_) => None,
        })
        .collect();
    let stale: Vec<SanEntry> = sans
        .iter()
        .filter(|e| matches!(e, SanEntry::Ip(ip) if !o.interface_addresses.contains(ip) && !publish_ips.contains(ip)))
        .cloned()
        .collect();
    if !stale.is_empty() {
        let list: Vec<String> = stale.iter().map(ToString::to_string).collect();
        acc.add(
            Kind::SanStaleEntries,
            "",
            Severity::Info,
            &subject,
            format!(
                "the HTTP certificate names addresses no interface has any more: {}",
                list.join(", ")
            ),
        )
        .detail("stale", Detail::List(list));
    }
    coverage.expected = expected;
    coverage.missing = missing;
    coverage.stale = stale;
    Some(coverage)
}

fn files(o: &Observed, acc: &mut Acc) {
    let unprotected = o.keystore.state.protected() != Some(true);
    let certs_dir = o.config_dir.join("certs");
    for f in &o.files {
        let FileState::Found(m) = &f.state else {
            continue;
        };
        let mode = format!("{:04o}", m.mode);
        if m.mode & 0o002 != 0 {
            acc.add(
                Kind::PermWorldWritable,
                "",
                Severity::Critical,
                &f.display,
                format!("[{}] is writable by every user (mode {mode})", f.display),
            )
            .fix(format!("chmod o-w {}", f.path.display()))
            .detail("mode", text(&mode));
        }
        if f.role.secret() && m.regular && m.mode & 0o004 != 0 {
            let sev = if unprotected {
                Severity::Critical
            } else {
                Severity::Warning
            };
            acc.add(
                Kind::PermSecretWorldReadable,
                "",
                sev,
                &f.display,
                format!(
                    "[{}] holds secrets and is readable by every user (mode {mode}){}",
                    f.display,
                    if unprotected {
                        "; the keystore that holds its passwords is not password-protected"
                    } else {
                        ""
                    }
                ),
            )
            .fix(format!("chmod 660 {}", f.path.display()))
            .detail("mode", text(&mode));
        }
        if !m.readable_by_service_user {
            let u = &o.service_user;
            acc.add(Kind::PermServiceUserCannotRead, "", Severity::Critical, &f.display, format!("the account Elasticsearch runs as ({}, uid {}) cannot {} [{}] (mode {mode}, owner {}, group {}): Elasticsearch fails at start or on reload", u.name, u.uid, if m.dir { "enter" } else { "read" }, f.display, m.owner.clone().unwrap_or_else(|| m.uid.to_string()), m.group.clone().unwrap_or_else(|| m.gid.to_string())))
                .fix(format!("give the group read access: chgrp {} {} && chmod g+r{} {}", u.gid, f.path.display(), if m.dir { "x" } else { "" }, f.path.display()))
                .detail("user", text(&u.name));
        }
        if o.block.present() {
            let expected = match f.role {
                FileRole::CertsDir if f.path == certs_dir => Some(0o750),
                FileRole::TlsSecret | FileRole::TlsPublic
                    if m.regular && f.path.parent() == Some(certs_dir.as_path()) =>
                {
                    Some(0o660)
                }
                FileRole::Keystore if m.regular => Some(0o660),
                _ => None,
            };
            if let Some(e) = expected.filter(|e| *e != m.mode) {
                acc.add(
                    Kind::PermUnexpectedMode,
                    "",
                    Severity::Info,
                    &f.display,
                    format!(
                        "[{}] has mode {mode}; auto-configuration writes {e:04o}",
                        f.display
                    ),
                )
                .detail("mode", text(&mode));
            }
        }
        if m.mount_point {
            let (sev, why) = match f.role {
                FileRole::Keystore => (Severity::Warning, "Elasticsearch saves the keystore by renaming a new file over it, which fails on a mount point (bin/elasticsearch-keystore add, upgrades)"),
                _ => (Severity::Info, "it cannot be replaced by a rename; tools must write it in place"),
            };
            acc.add(
                Kind::FsMountPoint,
                "",
                sev,
                &f.display,
                format!("[{}] is a mount point: {why}", f.display),
            )
            .fix("mount the config directory rather than single files");
        }
    }
}

fn leftovers(o: &Observed, acc: &mut Acc) {
    if !o.leftovers.is_empty() {
        let list: Vec<String> = o.leftovers.iter().map(|l| l.display.clone()).collect();
        let keys = o.leftovers.iter().any(|l| l.private_keys);
        acc.add(
            Kind::FsLeftovers,
            "",
            Severity::Warning,
            o.config_dir.display().to_string(),
            format!(
                "leftovers of interrupted or earlier configuration runs: {}{}",
                list.join(", "),
                if keys {
                    " (they hold private keys or the passwords of private keys)"
                } else {
                    ""
                }
            ),
        )
        .fix("es-autoconf finalize --clean-backups (after checking that no run is in progress)")
        .detail("paths", Detail::List(list));
    }
    if o.journal {
        acc.add(
            Kind::FsInterruptedRun,
            "",
            Severity::Warning,
            o.config_dir.join(esac_core::layout::JOURNAL).display().to_string(),
            "an es-autoconf run was interrupted (its journal is still there): the configuration may be half-written",
        )
        .fix("run es-autoconf init again: it first finishes or undoes the interrupted run");
    }
}

#[cfg(test)]
#[path = "assess_tests.rs"]
mod tests;
