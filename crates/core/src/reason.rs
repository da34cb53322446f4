//! The one vocabulary of reason codes: why a run configured, skipped or failed. Every JSON
//! document carries one of these as `reason.code`, and `docs/cli.md` lists them all (a test
//! checks it).

use std::fmt;

/// Machine-readable name of what decided a run's outcome, stable across releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// No rule fired: the node is new and unconfigured (and was, or would be, configured).
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
    /// `elasticsearch.yml` is on a read-only mount (a `:ro` bind mount, a ConfigMap): it cannot
    /// be changed, so nothing is created.
    YmlReadOnly,
    /// `elasticsearch.yml` or a setting cannot be read: invalid YAML, not UTF-8, duplicate keys,
    /// an unresolved placeholder, a non-boolean where a boolean is required, too large.
    InvalidSetting,
    /// The command line is wrong (`-E` errors, a missing mandatory option, an unknown group).
    Usage,
    /// Another es-autoconf run holds the config directory.
    Locked,
    /// An interrupted run could not be finished or undone.
    RecoveryFailed,
    /// An interrupted run left a journal that no longer matches the config directory: nothing
    /// was touched.
    RecoveryRefused,
    /// `reconfigure` on a node that was not auto-configured.
    NotAutoConfigured,
    /// The user answered no to `reconfigure`'s confirmation.
    Cancelled,
    /// The enrollment token cannot be decoded.
    InvalidToken,
    /// Enrolling with the cluster failed (no address answered, or an invalid answer).
    EnrollmentFailed,
    /// Creating an enrollment token on a running node failed.
    TokenCreationFailed,
    /// The keystore cannot be opened: wrong or missing password, corrupted or unsupported file.
    KeystoreUnusable,
    /// A keystore setting asked for does not exist.
    KeystoreSettingMissing,
    /// The keystore already holds the TLS password settings (spec §1.2 step 13).
    KeystoreHasPasswords,
    /// The credentials file cannot be created or written.
    CredentialsFile,
    /// The staging directory cannot be created (spec §1.2 step 7).
    CantCreateDirectory,
    /// The new directory would not belong to the config directory's owner (step 8).
    OwnerMismatch,
    /// Keys, certificates or random numbers could not be generated.
    GenerationFailed,
    /// Reading or writing a file failed.
    IoFailed,
    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the run; it was undone.
    Interrupted,
    /// Something refused to be shown (a secret to a non-terminal without `--reveal`).
    Refused,
    /// An inconsistency inside es-autoconf (a worker thread panicked).
    InternalError,
    /// `renew`: the certificate was renewed (or would be, with `--dry-run`).
    Renewed,
    /// `renew --wait-reload --require-reload`: renewed, but the node did not serve the new
    /// certificate in time.
    ReloadNotSeen,
    /// `renew`: more days are left than `--within`.
    NotDue,
    /// `renew http`: the HTTP CA has expired or expires within a day; renew it first.
    CaExpired,
    /// `renew`: HTTP TLS is off, or not the PKCS#12 layout of auto-configuration.
    NotRenewable,
    /// `renew`: the keystore lacks `xpack.security.http.ssl.keystore.secure_password`.
    MissingPasswordSetting,
    /// `renew`: `certs/http.p12` cannot be read or its password does not open it.
    P12Unreadable,
    /// `renew`: `certs/http.p12` does not hold exactly one CA key entry and one node key entry, matching and chained.
    UnexpectedKeystoreShape,
    /// `renew`: the file belongs to another user, and only root can keep its owner.
    OwnerChangeRequired,
    /// `renew http-ca --import-ca-cert`: the certificate is not for this node's CA key.
    CaKeyMismatch,
    /// `renew http-ca --import-ca-cert`: that certificate is already installed.
    CaAlreadyInstalled,
    /// A file written by the run did not read back as planned; nothing was committed.
    VerificationFailed,
    /// `finalize`: at least one action was applied (or would be) and none refused.
    Finalized,
    /// `finalize`: an action removed what it targets.
    Removed,
    /// `finalize`: nothing applies.
    NothingToDo,
    /// `finalize`: `cluster.initial_master_nodes` comes from `-E` or the environment.
    DefinedOutsideYml,
    /// `finalize`: no evidence that the cluster has formed.
    ClusterNotFormed,
    /// `finalize`: the cluster state under `path.data` cannot be read.
    FormationUnknown,
    /// `finalize`: without the setting, Elasticsearch's discovery bootstrap check would fail.
    WouldFailDiscoveryCheck,
    /// `finalize`: the setting is written in a form that cannot be removed line by line.
    UnsupportedYmlForm,
    /// `layout`: `instances.yml` is not certutil's format, or certutil would refuse an instance.
    InvalidInstances,
    /// `layout`: `--out` exists already, or cannot be created.
    OutputExists,
    /// `init --bundle`: the node's name is not the bundle node's.
    NodeNameMismatch,
    /// `init --bundle`: the bundle makes this node a master, but `node.roles` lacks `master`.
    NotMasterEligible,
    /// `init --bundle`: discovery or cluster bootstrap is configured already.
    DiscoveryAlreadyConfigured,
    /// `init --bundle` (or `layout --ca-dir`): the bundle is missing a file, does not open with
    /// the passphrase, does not match its manifest, or holds expired material.
    BundleInvalid,
}

impl Reason {
    /// Every reason, in documentation order.
    pub const ALL: [Reason; 60] = [
        Reason::Configure,
        Reason::DataDirNotEmpty,
        Reason::DataDirUnlistable,
        Reason::YmlMissingOrNotRegular,
        Reason::YmlUnreadable,
        Reason::KeystoreNotReadable,
        Reason::AutoconfigurationDisabled,
        Reason::SecurityAlreadyConfigured,
        Reason::TlsAlreadyConfigured,
        Reason::MultiNodeCluster,
        Reason::CannotBecomeMaster,
        Reason::CannotContainData,
        Reason::YmlReadOnly,
        Reason::InvalidSetting,
        Reason::Usage,
        Reason::Locked,
        Reason::RecoveryFailed,
        Reason::RecoveryRefused,
        Reason::NotAutoConfigured,
        Reason::Cancelled,
        Reason::InvalidToken,
        Reason::EnrollmentFailed,
        Reason::TokenCreationFailed,
        Reason::KeystoreUnusable,
        Reason::KeystoreSettingMissing,
        Reason::KeystoreHasPasswords,
        Reason::CredentialsFile,
        Reason::CantCreateDirectory,
        Reason::OwnerMismatch,
        Reason::GenerationFailed,
        Reason::IoFailed,
        Reason::Interrupted,
        Reason::Refused,
        Reason::InternalError,
        Reason::Renewed,
        Reason::ReloadNotSeen,
        Reason::NotDue,
        Reason::CaExpired,
        Reason::NotRenewable,
        Reason::MissingPasswordSetting,
        Reason::P12Unreadable,
        Reason::UnexpectedKeystoreShape,
        Reason::OwnerChangeRequired,
        Reason::CaKeyMismatch,
        Reason::CaAlreadyInstalled,
        Reason::VerificationFailed,
        Reason::Finalized,
        Reason::Removed,
        Reason::NothingToDo,
        Reason::DefinedOutsideYml,
        Reason::ClusterNotFormed,
        Reason::FormationUnknown,
        Reason::WouldFailDiscoveryCheck,
        Reason::UnsupportedYmlForm,
        Reason::InvalidInstances,
        Reason::OutputExists,
        Reason::NodeNameMismatch,
        Reason::NotMasterEligible,
        Reason::DiscoveryAlreadyConfigured,
        Reason::BundleInvalid,
    ];

    /// The stable text form used in JSON (`reason.code`).
    pub const fn as_str(self) -> &'static str {
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
            Reason::YmlReadOnly => "yml_read_only",
            Reason::InvalidSetting => "invalid_setting",
            Reason::Usage => "usage",
            Reason::Locked => "locked",
            Reason::RecoveryFailed => "recovery_failed",
            Reason::RecoveryRefused => "recovery_refused",
            Reason::NotAutoConfigured => "not_auto_configured",
            Reason::Cancelled => "cancelled",
            Reason::InvalidToken => "invalid_token",
            Reason::EnrollmentFailed => "enrollment_failed",
            Reason::TokenCreationFailed => "token_creation_failed",
            Reason::KeystoreUnusable => "keystore_unusable",
            Reason::KeystoreSettingMissing => "keystore_setting_missing",
            Reason::KeystoreHasPasswords => "keystore_has_passwords",
            Reason::CredentialsFile => "credentials_file",
            Reason::CantCreateDirectory => "cant_create_directory",
            Reason::OwnerMismatch => "owner_mismatch",
            Reason::GenerationFailed => "generation_failed",
            Reason::IoFailed => "io_failed",
            Reason::Interrupted => "interrupted",
            Reason::Refused => "refused",
            Reason::InternalError => "internal_error",
            Reason::Renewed => "renewed",
            Reason::ReloadNotSeen => "reload_not_seen",
            Reason::NotDue => "not_due",
            Reason::CaExpired => "ca_expired",
            Reason::NotRenewable => "not_renewable",
            Reason::MissingPasswordSetting => "missing_password_setting",
            Reason::P12Unreadable => "p12_unreadable",
            Reason::UnexpectedKeystoreShape => "unexpected_keystore_shape",
            Reason::OwnerChangeRequired => "owner_change_required",
            Reason::CaKeyMismatch => "ca_key_mismatch",
            Reason::CaAlreadyInstalled => "ca_already_installed",
            Reason::VerificationFailed => "verification_failed",
            Reason::Finalized => "finalized",
            Reason::Removed => "removed",
            Reason::NothingToDo => "nothing_to_do",
            Reason::DefinedOutsideYml => "defined_outside_yml",
            Reason::ClusterNotFormed => "cluster_not_formed",
            Reason::FormationUnknown => "formation_unknown",
            Reason::WouldFailDiscoveryCheck => "would_fail_discovery_check",
            Reason::UnsupportedYmlForm => "unsupported_yml_form",
            Reason::InvalidInstances => "invalid_instances",
            Reason::OutputExists => "output_exists",
            Reason::NodeNameMismatch => "node_name_mismatch",
            Reason::NotMasterEligible => "not_master_eligible",
            Reason::DiscoveryAlreadyConfigured => "discovery_already_configured",
            Reason::BundleInvalid => "bundle_invalid",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
