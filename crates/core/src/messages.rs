//! Elasticsearch's own messages, verbatim: they are interface facts that operators and scripts grep
//! for (spec §1.2). The double space in [`YML_UNREADABLE`] is Elasticsearch's.

/// Check 1: a data directory is not empty.
pub const DATA_DIR_NOT_EMPTY: &str = "Skipping security auto configuration because it appears that the node is not starting up for the first time. The node might already be part of a cluster and this auto setup utility is designed to configure Security for new clusters only.";

/// Check 2 (prefix): `elasticsearch.yml` is missing or not a regular file; followed by the path.
pub fn yml_missing(path: &str) -> String {
    format!("Skipping security auto configuration because the configuration file [{path}] is missing or is not a regular file")
}

/// Check 3: `elasticsearch.yml` is not readable.
pub fn yml_unreadable(path: &str) -> String {
    format!("Skipping security auto configuration because the current user does not have permission to read  configuration file [{path}]")
}

/// Check 4: the keystore exists but is not a readable regular file.
pub fn keystore_unreadable(path: &str) -> String {
    format!("Skipping security auto configuration because the node keystore file [{path}] is not a readable regular file")
}

/// Check 6a.
pub const AUTOCONFIG_DISABLED: &str =
    "Skipping security auto configuration because [xpack.security.autoconfiguration.enabled] is false";

/// Check 6b.
pub const SECURITY_CONFIGURED: &str =
    "Skipping security auto configuration because it appears that security is already configured.";

/// Check 6c.
pub const TLS_CONFIGURED: &str =
    "Skipping security auto configuration because it appears that TLS is already configured.";

/// Check 6d.
pub const NOT_INITIAL_NODE: &str = "Skipping security auto configuration because this node is configured to bootstrap or to join a multi-node cluster, which is not supported.";

/// Check 6e.
pub const CANNOT_BECOME_MASTER: &str =
    "Skipping security auto configuration because the node is configured such that it cannot become master.";

/// Check 6f.
pub const CANNOT_CONTAIN_DATA: &str =
    "Skipping security auto configuration because the node is configured such that it cannot contain data.";

/// Check 7: the staging directory cannot be created.
pub const CANT_CREATE_DIR: &str = "Could not create auto-configuration directory";

/// Check 8: owner mismatch between the config dir and the new directory.
pub fn owner_mismatch(config_owner: &str, new_owner: &str) -> String {
    format!("Aborting auto configuration because of config dir ownership mismatch. Config dir is owned by {config_owner} but auto-configuration directory would be owned by {new_owner}")
}

/// Check 13: the keystore already holds one of the TLS password settings.
pub const KEYSTORE_HAS_PASSWORDS: &str =
    "Aborting auto configuration because the node keystore contains password settings already";

/// Keystore decryption failed because of the password (KeyStoreWrapper).
pub const WRONG_KEYSTORE_PASSWORD: &str = "Provided keystore password was incorrect";

/// `reconfigure` on a node without an auto-configuration block or `certs/` (spec §8.2 step 5).
pub const NOT_AUTO_CONFIGURED: &str = "Aborting enrolling to cluster. This node doesn't appear to be auto-configured for security. Expected configuration is missing from elasticsearch.yml.";

/// `reconfigure` cannot read the yml (spec §8.2 step 3).
pub const RECONFIGURE_YML_UNREADABLE: &str =
    "Aborting enrolling to cluster. Unable to read elasticsearch.yml.";

/// `reconfigure` cannot parse the block (spec §8.2 step 4); followed by the parser's message.
pub const RECONFIGURE_YML_UNPARSABLE: &str =
    "Aborting enrolling to cluster. Unable to parse existing configuration file. Error was: ";

/// `reconfigure` without a token (spec §8.2 step 2).
pub const TOKEN_MANDATORY: &str =
    "enrollment-token is a mandatory parameter when reconfiguring the node";

/// The answer "no" to the reconfiguration prompt (exit 0, printed as an error).
pub const USER_CANCELLED: &str = "User cancelled operation";

/// What `reconfigure` prints before asking (spec §8.2 step 6). The last line is ours: unlike
/// Elasticsearch, a failed enrollment changes nothing.
pub const RECONFIGURE_WARNING: [&str; 6] = [
    "This node will be reconfigured to join an existing cluster, using the enrollment token that you provided.",
    "This operation will overwrite the existing configuration. Specifically: ",
    "  - Security auto configuration will be removed from elasticsearch.yml",
    "  - The [certs] config directory will be removed",
    "  - Security auto configuration related secure settings will be removed from the elasticsearch.keystore",
    "If enrolling fails, es-autoconf puts the previous configuration back.",
];

/// The reconfiguration question (default no).
pub const RECONFIGURE_QUESTION: &str = "Do you want to continue with the reconfiguration process";

/// Ours: the yml is on a read-only mount.
pub fn yml_read_only(path: &str) -> String {
    format!("Skipping security auto configuration because the configuration file [{path}] is on a read-only file system or mount; mount a writable configuration directory, or configure security in the mounted file")
}

/// `init --bundle`: the effective node name is not the bundle node's (lifecycle §5.3).
pub fn node_name_mismatch(name: &str, bundle_node: &str) -> String {
    format!("Refusing to apply the bundle: this node is named [{name}] (node.name, else $HOSTNAME), but the bundle was made for [{bundle_node}]; initial master names that match no node never bootstrap a cluster. Apply the bundle directory made for this node, or set node.name: {bundle_node}")
}

/// `init --bundle`: discovery is configured already (lifecycle §5.3).
pub fn discovery_already_configured(settings: &str) -> String {
    format!("Refusing to apply the bundle: discovery is configured already ({settings}); the bundle writes discovery.seed_hosts (and cluster.initial_master_nodes on masters) itself. Remove those settings first")
}

/// `init --bundle`: a master of the bundle whose roles lack `master` (lifecycle §5.3).
pub fn not_master_eligible(bundle_node: &str, roles: &str) -> String {
    format!("Refusing to apply the bundle: it lists [{bundle_node}] as master-eligible, but node.roles is [{roles}] without master; add the master role, or lay the bundle out again with --masters")
}
