//! The findings catalogue (stable ids, lifecycle.md §2.5), severities, the overall result and
//! the exit codes of both modes.

use std::fmt;

use esac_core::EsExit;

/// How bad a finding is. Order: `critical` > `warning` > `unknown` > `info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; never changes the overall result.
    Info,
    /// Something could not be checked.
    Unknown,
    /// Needs attention soon.
    Warning,
    /// Broken now, or Elasticsearch will not start.
    Critical,
}

impl Severity {
    /// `info`, `unknown`, `warning`, `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Unknown => "unknown",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The overall result: the worst finding, `info` not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Overall {
    /// Nothing above `info`.
    Ok,
    /// Something could not be checked, nothing worse.
    Unknown,
    /// A warning, nothing critical.
    Warning,
    /// A critical finding.
    Critical,
}

impl Overall {
    /// `ok`, `unknown`, `warning`, `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Overall::Ok => "ok",
            Overall::Unknown => "unknown",
            Overall::Warning => "warning",
            Overall::Critical => "critical",
        }
    }

    /// The monitoring-plugin exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub fn nagios_code(self) -> u8 {
        match self {
            Overall::Ok => 0,
            Overall::Warning => 1,
            Overall::Critical => 2,
            Overall::Unknown => NAGIOS_UNKNOWN,
        }
    }
}

/// The monitoring-plugin code for UNKNOWN, also used for usage errors and failures.
pub const NAGIOS_UNKNOWN: u8 = 3;

/// Which exit codes `status` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCodes {
    /// Elasticsearch's: 0 healthy, 78 for a finding at or above the [`FailOn`] severity, 65
    /// keystore passphrase, 74 cannot read.
    Es(FailOn),
    /// Monitoring plugins': 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Nagios,
}

impl Default for ExitCodes {
    fn default() -> Self {
        ExitCodes::Es(FailOn::Critical)
    }
}

/// The least severity that makes `status` exit 78 in Elasticsearch mode (`--fail-on`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailOn {
    /// Only a critical finding (the default).
    #[default]
    Critical,
    /// A warning too.
    Warning,
}

impl FailOn {
    /// The name `--fail-on` and the JSON document use.
    pub fn name(self) -> &'static str {
        match self {
            FailOn::Critical => "critical",
            FailOn::Warning => "warning",
        }
    }
}

/// Why a check could not be made (picks the Elasticsearch-mode exit code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownCause {
    /// The keystore passphrase is missing or wrong (exit 65).
    Passphrase,
    /// es-autoconf could not read a file (exit 74).
    Io,
    /// A format es-autoconf does not read (JKS, PKCS#11): exit 0 in Elasticsearch mode.
    Unsupported,
}

/// One entry of the catalogue. The id is the template with `<id>` (a certificate id) or
/// `<layer>` (`http`, `transport`) filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `config.yml_missing`.
    YmlMissing,
    /// `config.yml_invalid`.
    YmlInvalid,
    /// `config.not_autoconfigured`.
    NotAutoconfigured,
    /// `config.block_damaged`.
    BlockDamaged,
    /// `config.security_disabled`.
    SecurityDisabled,
    /// `config.transport_tls_required`.
    TransportTlsRequired,
    /// `config.http_tls_off_with_material`.
    HttpTlsOffWithMaterial,
    /// `config.reload_disabled`.
    ReloadDisabled,
    /// `bootstrap.initial_master_nodes_leftover`.
    InitialMasterNodesLeftover,
    /// `bootstrap.initial_master_nodes_pending`.
    InitialMasterNodesPending,
    /// `bootstrap.single_node_conflict`.
    SingleNodeConflict,
    /// `bootstrap.discovery_check_fails`.
    DiscoveryCheckFails,
    /// `keystore.missing`.
    KeystoreMissing,
    /// `keystore.unreadable`.
    KeystoreUnreadable,
    /// `keystore.locked`.
    KeystoreLocked,
    /// `keystore.wrong_password`.
    KeystoreWrongPassword,
    /// `keystore.corrupt`.
    KeystoreCorrupt,
    /// `keystore.missing_setting`.
    KeystoreMissingSetting,
    /// `keystore.version_unsupported`.
    KeystoreVersionUnsupported,
    /// `keystore.version_old`.
    KeystoreVersionOld,
    /// `keystore.password_hash_present`.
    PasswordHashPresent,
    /// `keystore.bootstrap_password_present`.
    BootstrapPasswordPresent,
    /// `tls.<layer>.unreadable`.
    TlsUnreadable,
    /// `tls.<layer>.unsupported_format`.
    TlsUnsupportedFormat,
    /// `cert.<id>.expired`.
    CertExpired,
    /// `cert.<id>.not_yet_valid`.
    CertNotYetValid,
    /// `cert.<id>.expiring`.
    CertExpiring,
    /// `cert.http.ca_expires_first`.
    HttpCaExpiresFirst,
    /// `cert.<id>.key_mismatch`.
    CertKeyMismatch,
    /// `cert.<id>.chain_broken`.
    CertChainBroken,
    /// `cert.http.key_entries`.
    HttpKeyEntries,
    /// `cert.http.no_ca_key`.
    HttpNoCaKey,
    /// `cert.transport.no_trust_anchor`.
    TransportNoTrustAnchor,
    /// `cert.transport.shared_leaf_anchor`.
    TransportSharedLeafAnchor,
    /// `cert.http.eku`.
    HttpEku,
    /// `cert.<id>.weak`.
    CertWeak,
    /// `san.cli_url_not_covered`.
    SanCliUrlNotCovered,
    /// `san.hostname_not_covered`.
    SanHostnameNotCovered,
    /// `san.address_not_covered`.
    SanAddressNotCovered,
    /// `san.stale_entries`.
    SanStaleEntries,
    /// `perm.world_writable`.
    PermWorldWritable,
    /// `perm.secret_world_readable`.
    PermSecretWorldReadable,
    /// `perm.service_user_cannot_read`.
    PermServiceUserCannotRead,
    /// `perm.unexpected_mode`.
    PermUnexpectedMode,
    /// `fs.mount_point`.
    FsMountPoint,
    /// `fs.leftovers`.
    FsLeftovers,
    /// `fs.interrupted_run`.
    FsInterruptedRun,
}

impl Kind {
    /// The whole catalogue, in documentation order.
    pub const ALL: [Kind; 47] = [
        Kind::YmlMissing,
        Kind::YmlInvalid,
        Kind::NotAutoconfigured,
        Kind::BlockDamaged,
        Kind::SecurityDisabled,
        Kind::TransportTlsRequired,
        Kind::HttpTlsOffWithMaterial,
        Kind::ReloadDisabled,
        Kind::InitialMasterNodesLeftover,
        Kind::InitialMasterNodesPending,
        Kind::SingleNodeConflict,
        Kind::DiscoveryCheckFails,
        Kind::KeystoreMissing,
        Kind::KeystoreUnreadable,
        Kind::KeystoreLocked,
        Kind::KeystoreWrongPassword,
        Kind::KeystoreCorrupt,
        Kind::KeystoreMissingSetting,
        Kind::KeystoreVersionUnsupported,
        Kind::KeystoreVersionOld,
        Kind::PasswordHashPresent,
        Kind::BootstrapPasswordPresent,
        Kind::TlsUnreadable,
        Kind::TlsUnsupportedFormat,
        Kind::CertExpired,
        Kind::CertNotYetValid,
        Kind::CertExpiring,
        Kind::HttpCaExpiresFirst,
        Kind::CertKeyMismatch,
        Kind::CertChainBroken,
        Kind::HttpKeyEntries,
        Kind::HttpNoCaKey,
        Kind::TransportNoTrustAnchor,
        Kind::TransportSharedLeafAnchor,
        Kind::HttpEku,
        Kind::CertWeak,
        Kind::SanCliUrlNotCovered,
        Kind::SanHostnameNotCovered,
        Kind::SanAddressNotCovered,
        Kind::SanStaleEntries,
        Kind::PermWorldWritable,
        Kind::PermSecretWorldReadable,
        Kind::PermServiceUserCannotRead,
        Kind::PermUnexpectedMode,
        Kind::FsMountPoint,
        Kind::FsLeftovers,
        Kind::FsInterruptedRun,
    ];

    /// The id template as documented (`cert.<id>.expired`).
    pub const fn template(self) -> &'static str {
        match self {
            Kind::YmlMissing => "config.yml_missing",
            Kind::YmlInvalid => "config.yml_invalid",
            Kind::NotAutoconfigured => "config.not_autoconfigured",
            Kind::BlockDamaged => "config.block_damaged",
            Kind::SecurityDisabled => "config.security_disabled",
            Kind::TransportTlsRequired => "config.transport_tls_required",
            Kind::HttpTlsOffWithMaterial => "config.http_tls_off_with_material",
            Kind::ReloadDisabled => "config.reload_disabled",
            Kind::InitialMasterNodesLeftover => "bootstrap.initial_master_nodes_leftover",
            Kind::InitialMasterNodesPending => "bootstrap.initial_master_nodes_pending",
            Kind::SingleNodeConflict => "bootstrap.single_node_conflict",
            Kind::DiscoveryCheckFails => "bootstrap.discovery_check_fails",
            Kind::KeystoreMissing => "keystore.missing",
            Kind::KeystoreUnreadable => "keystore.unreadable",
            Kind::KeystoreLocked => "keystore.locked",
            Kind::KeystoreWrongPassword => "keystore.wrong_password",
            Kind::KeystoreCorrupt => "keystore.corrupt",
            Kind::KeystoreMissingSetting => "keystore.missing_setting",
            Kind::KeystoreVersionUnsupported => "keystore.version_unsupported",
            Kind::KeystoreVersionOld => "keystore.version_old",
            Kind::PasswordHashPresent => "keystore.password_hash_present",
            Kind::BootstrapPasswordPresent => "keystore.bootstrap_password_present",
            Kind::TlsUnreadable => "tls.<layer>.unreadable",
            Kind::TlsUnsupportedFormat => "tls.<layer>.unsupported_format",
            Kind::CertExpired => "cert.<id>.expired",
            Kind::CertNotYetValid => "cert.<id>.not_yet_valid",
            Kind::CertExpiring => "cert.<id>.expiring",
            Kind::HttpCaExpiresFirst => "cert.http.ca_expires_first",
            Kind::CertKeyMismatch => "cert.<id>.key_mismatch",
            Kind::CertChainBroken => "cert.<id>.chain_broken",
            Kind::HttpKeyEntries => "cert.http.key_entries",
            Kind::HttpNoCaKey => "cert.http.no_ca_key",
            Kind::TransportNoTrustAnchor => "cert.transport.no_trust_anchor",
            Kind::TransportSharedLeafAnchor => "cert.transport.shared_leaf_anchor",
            Kind::HttpEku => "cert.http.eku",
            Kind::CertWeak => "cert.<id>.weak",
            Kind::SanCliUrlNotCovered => "san.cli_url_not_covered",
            Kind::SanHostnameNotCovered => "san.hostname_not_covered",
            Kind::SanAddressNotCovered => "san.address_not_covered",
            Kind::SanStaleEntries => "san.stale_entries",
            Kind::PermWorldWritable => "perm.world_writable",
            Kind::PermSecretWorldReadable => "perm.secret_world_readable",
            Kind::PermServiceUserCannotRead => "perm.service_user_cannot_read",
            Kind::PermUnexpectedMode => "perm.unexpected_mode",
            Kind::FsMountPoint => "fs.mount_point",
            Kind::FsLeftovers => "fs.leftovers",
            Kind::FsInterruptedRun => "fs.interrupted_run",
        }
    }

    /// The id with its placeholder filled in.
    pub fn id(self, param: &str) -> String {
        self.template()
            .replace("<id>", param)
            .replace("<layer>", param)
    }
}

/// A value in a finding's `details`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// A number.
    Int(i64),
    /// Text.
    Text(String),
    /// A list of texts.
    List(Vec<String>),
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The stable id (`cert.http.expiring`).
    pub id: String,
    /// Its catalogue entry.
    pub kind: Kind,
    /// How bad.
    pub severity: Severity,
    /// What it is about (`certs/http.p12#http`, a setting, a path).
    pub subject: String,
    /// What is wrong, for an operator.
    pub message: String,
    /// What to do, when there is something to do.
    pub fix: Option<String>,
    /// Evidence, for machines.
    pub details: Vec<(&'static str, Detail)>,
    /// For `unknown` findings: why the check could not be made.
    pub cause: Option<UnknownCause>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.severity.name(), self.id, self.message)
    }
}

/// The worst severity among `findings` (info not counted).
pub fn overall(findings: &[Finding]) -> Overall {
    findings
        .iter()
        .map(|f| match f.severity {
            Severity::Info => Overall::Ok,
            Severity::Unknown => Overall::Unknown,
            Severity::Warning => Overall::Warning,
            Severity::Critical => Overall::Critical,
        })
        .max()
        .unwrap_or(Overall::Ok)
}

/// The process exit code for `findings` in `mode`.
///
/// Elasticsearch mode: 78 (`CONFIG`) when anything is critical (or, with [`FailOn::Warning`], a
/// warning); else 65 (`DATA_ERROR`) when a check needed a keystore passphrase that is missing or
/// wrong; else 74 (`IO_ERROR`) when a file could not be read; else 0 (warnings below the
/// threshold and formats not read included).
pub fn exit_code(findings: &[Finding], mode: ExitCodes) -> u8 {
    match mode {
        ExitCodes::Nagios => overall(findings).nagios_code(),
        ExitCodes::Es(fail_on) => {
            let any = |s: Severity, c: Option<UnknownCause>| {
                findings
                    .iter()
                    .any(|f| f.severity == s && (c.is_none() || f.cause == c))
            };
            if any(Severity::Critical, None)
                || (fail_on == FailOn::Warning && any(Severity::Warning, None))
            {
                EsExit::Config.code()
            } else if any(Severity::Unknown, Some(UnknownCause::Passphrase)) {
                EsExit::DataError.code()
            } else if any(Severity::Unknown, Some(UnknownCause::Io)) {
                EsExit::IoError.code()
            } else {
                EsExit::Ok.code()
            }
        }
    }
}
