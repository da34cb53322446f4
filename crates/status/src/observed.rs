//! [`Observed`]: everything `status` read from the machine, as plain data. [`crate::observe`]
//! fills it, [`crate::assess`] judges it; tests build it by hand. It holds no secret: keystore
//! values and private keys are used while observing and dropped; only their verdicts remain.

use std::net::IpAddr;
use std::path::PathBuf;

use esac_pki::CertInfo;
use esac_settings::Settings;

use esac_core::finalize::Formation;

/// What `status` read.
#[derive(Clone, Debug)]
pub struct Observed {
    /// `path.home`.
    pub es_home: PathBuf,
    /// The config directory.
    pub config_dir: PathBuf,
    /// Elasticsearch version from `<home>/lib/elasticsearch-X.Y.Z.jar`.
    pub es_version: Option<(u32, u32, u32)>,
    /// `elasticsearch.yml`.
    pub yml: Yml,
    /// Effective settings (yml, environment, `-E`, defaults); empty unless `yml` is `Ok`.
    pub settings: Settings,
    /// The auto-configuration block.
    pub block: Block,
    /// Where `cluster.initial_master_nodes` comes from, when set.
    pub initial_master_nodes_source: Option<Source>,
    /// `$HOSTNAME`, else `gethostname()`.
    pub hostname: String,
    /// Addresses of every interface that is up.
    pub interface_addresses: Vec<IpAddr>,
    /// The data directories and what they say about the cluster.
    pub node: Node,
    /// `elasticsearch.keystore`.
    pub keystore: Keystore,
    /// The HTTP and transport TLS configurations (only those that are enabled are read).
    pub layers: Vec<LayerObs>,
    /// `<config>/certs/http.p12` exists (auto-configuration's file, whatever the settings say).
    pub stock_http_p12: bool,
    /// The files and directories Elasticsearch needs, with their metadata.
    pub files: Vec<FileObs>,
    /// Artefacts of interrupted or rolled-back runs.
    pub leftovers: Vec<Leftover>,
    /// `.es-autoconf.journal` exists.
    pub journal: bool,
    /// Why mount points could not be told (`/proc/self/mountinfo` unreadable), if so.
    pub mounts_unknown: Option<String>,
    /// The account Elasticsearch runs as.
    pub service_user: ServiceUser,
}

/// The state of `elasticsearch.yml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Yml {
    /// Read and parsed.
    Ok,
    /// Missing, not a regular file, or unreadable (the detail says which).
    Missing(String),
    /// Invalid YAML, a duplicate key, an unresolved placeholder, not UTF-8, too large.
    Invalid(String),
}

/// The BEGIN/END auto-configuration block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// No marker at all.
    Absent,
    /// Both markers, in order.
    Intact {
        /// 1-based line of the BEGIN marker.
        start_line: usize,
        /// 1-based line of the END marker.
        end_line: usize,
        /// Settings Elasticsearch always writes into the block that are not there.
        missing_keys: Vec<&'static str>,
    },
    /// One marker without the other, or END before BEGIN.
    Unpaired(String),
}

impl Block {
    /// The node was auto-configured (by Elasticsearch or es-autoconf), even if the block was
    /// damaged since.
    pub fn present(&self) -> bool {
        !matches!(self, Block::Absent)
    }
}

/// Where a setting's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Inside the auto-configuration block of `elasticsearch.yml`, at this 1-based line.
    Block(usize),
    /// Elsewhere in `elasticsearch.yml`, at this line (0: not found by line, nested form).
    Yml(usize),
    /// A `-E` option.
    CommandLine,
    /// An environment variable (`ELASTIC_CONTAINER=true`).
    Env,
}

impl Source {
    /// `block`, `yml`, `-E` or `env`.
    pub fn name(&self) -> &'static str {
        match self {
            Source::Block(_) => "block",
            Source::Yml(_) => "yml",
            Source::CommandLine => "-E",
            Source::Env => "env",
        }
    }
}

/// The data directories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// `path.data` entries, absolute.
    pub data_paths: Vec<PathBuf>,
    /// Some data directory has an entry: the node has started at least once.
    pub started: bool,
    /// Formation evidence from the first data directory with a `_state` (`Unknown` with the
    /// reason when it could not be read).
    pub formation: Formation,
}

/// `elasticsearch.keystore`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keystore {
    /// Its path.
    pub path: PathBuf,
    /// What was found.
    pub state: KeystoreState,
}

/// What the keystore turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeystoreState {
    /// No keystore.
    Missing,
    /// Cannot be read (not a file, permission, too large).
    Unreadable(String),
    /// Format version above 6 (or below 3): no Elasticsearch 8/9 reads it.
    UnsupportedVersion(i32),
    /// Header, footer, checksum or (unprotected keystore) decryption failure.
    Corrupt(String),
    /// Password-protected and no passphrase was available.
    Locked {
        /// Format version.
        version: u32,
        /// Why there was no passphrase.
        detail: String,
    },
    /// The passphrase given does not open it.
    WrongPassword {
        /// Format version.
        version: u32,
    },
    /// Opened.
    Open {
        /// Format version.
        version: u32,
        /// Password-protected.
        protected: bool,
        /// Setting names (never values), sorted.
        names: Vec<String>,
    },
}

impl KeystoreState {
    /// The format version, when the header was read.
    pub fn version(&self) -> Option<u32> {
        match self {
            KeystoreState::Locked { version, .. }
            | KeystoreState::WrongPassword { version }
            | KeystoreState::Open { version, .. } => Some(*version),
            _ => None,
        }
    }

    /// Protected by a password (when known).
    pub fn protected(&self) -> Option<bool> {
        match self {
            KeystoreState::Locked { .. } | KeystoreState::WrongPassword { .. } => Some(true),
            KeystoreState::Open { protected, .. } => Some(*protected),
            _ => None,
        }
    }
}

/// `http` or `transport`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// `xpack.security.http.ssl`.
    Http,
    /// `xpack.security.transport.ssl`.
    Transport,
}

impl Layer {
    /// Both layers.
    pub const ALL: [Layer; 2] = [Layer::Http, Layer::Transport];

    /// `http` or `transport`.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Http => "http",
            Layer::Transport => "transport",
        }
    }

    /// The settings prefix, `xpack.security.<layer>.ssl.`.
    pub fn prefix(self) -> &'static str {
        match self {
            Layer::Http => "xpack.security.http.ssl.",
            Layer::Transport => "xpack.security.transport.ssl.",
        }
    }
}

/// One TLS configuration as read.
#[derive(Clone, Debug)]
pub struct LayerObs {
    /// Which.
    pub layer: Layer,
    /// `…ssl.enabled`.
    pub enabled: bool,
    /// `…ssl.verification_mode` (default `full`).
    pub verification_mode: String,
    /// Each file the settings name.
    pub stores: Vec<StoreObs>,
    /// Every distinct certificate found in them.
    pub certs: Vec<CertObs>,
    /// Key entries of the keystore (PKCS#12) whose certificate is not a CA / is a CA.
    pub key_entries: Option<(usize, usize)>,
    /// The explicit truststore (PKCS#12): its trusted-certificate entries and whether it also
    /// holds key entries (whose certificates the JDK trusts too).
    pub truststore: Option<TrustStoreShape>,
}

/// What an explicit PKCS#12 truststore holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustStoreShape {
    /// Trusted-certificate entries.
    pub anchors: usize,
    /// Private-key entries.
    pub key_entries: usize,
}

/// What a TLS file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreRole {
    /// `keystore.path`.
    Keystore,
    /// `truststore.path`.
    Truststore,
    /// `certificate` (PEM).
    Certificate,
    /// `key` (PEM).
    Key,
    /// `certificate_authorities` (PEM).
    CertificateAuthorities,
    /// `certs/http_ca.crt`: not read by Elasticsearch, but what clients trust.
    ClientCa,
}

impl StoreRole {
    /// The setting suffix (`keystore.path`, ...) or `http_ca.crt`.
    pub fn name(self) -> &'static str {
        match self {
            StoreRole::Keystore => "keystore.path",
            StoreRole::Truststore => "truststore.path",
            StoreRole::Certificate => "certificate",
            StoreRole::Key => "key",
            StoreRole::CertificateAuthorities => "certificate_authorities",
            StoreRole::ClientCa => "http_ca.crt",
        }
    }
}

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreFormat {
    /// PKCS#12.
    Pkcs12,
    /// PEM.
    Pem,
    /// JKS (or anything `KeyStoreUtil.inferKeyStoreType` would call `jks`), or PKCS#11: not read.
    Unsupported(&'static str),
}

/// One TLS file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreObs {
    /// What it is for.
    pub role: StoreRole,
    /// Absolute path.
    pub path: PathBuf,
    /// As shown (relative to the config directory when inside it).
    pub display: String,
    /// The format.
    pub format: StoreFormat,
    /// What reading it gave.
    pub state: StoreState,
}

/// What reading a TLS file gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreState {
    /// Read.
    Read,
    /// Not there.
    Missing,
    /// Its content cannot be parsed (the detail says why; never a secret).
    Unreadable(String),
    /// es-autoconf could not read it (permission, not a regular file, too large).
    Denied(String),
    /// The PKCS#12 password from this setting does not open the file (MAC check).
    WrongPassword {
        /// The password setting.
        setting: String,
    },
    /// The file does not open with the empty password and no password setting exists.
    NoPassword {
        /// The setting that should hold the password.
        setting: String,
    },
    /// Not checked: the password is in a keystore that could not be opened.
    PasswordUnknown,
    /// Not checked: JKS or PKCS#11.
    Unsupported,
    /// A PEM key protected by a passphrase: not opened.
    Encrypted,
}

/// The role of a certificate within its layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CertRole {
    /// The certificate the layer presents (the key entry Elasticsearch uses).
    Leaf,
    /// The CA that issued it (or the layer's CA when there is no leaf).
    Ca,
    /// Anything else: more key entries, intermediates, more trusted CAs.
    Other,
}

/// One certificate.
#[derive(Clone, Debug)]
pub struct CertObs {
    /// Its layer.
    pub layer: Layer,
    /// Its role.
    pub role: CertRole,
    /// The file it was found in first (display form).
    pub file: String,
    /// The PKCS#12 alias, when from a PKCS#12 file.
    pub alias: Option<String>,
    /// The parsed certificate.
    pub info: CertInfo,
    /// Whether the private key next to it belongs to it.
    pub key: KeyCheck,
    /// Whether it verifies under a CA found in the same configuration.
    pub chain: ChainCheck,
}

impl CertObs {
    /// `file#alias` or `file`.
    pub fn subject(&self) -> String {
        match &self.alias {
            Some(a) => format!("{}#{a}", self.file),
            None => self.file.clone(),
        }
    }

    /// The id used in findings and JSON: `http`, `http_ca`, `http_other`, `transport`, ...
    pub fn id(&self) -> String {
        match self.role {
            CertRole::Leaf => self.layer.name().to_owned(),
            CertRole::Ca => format!("{}_ca", self.layer.name()),
            CertRole::Other => format!("{}_other", self.layer.name()),
        }
    }
}

/// Private key ↔ certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// No private key goes with this certificate (a CA or trusted entry).
    NoKey,
    /// The key belongs to the certificate.
    Matches,
    /// It does not.
    Mismatch,
    /// The key could not be compared (encrypted, unsupported kind).
    Unknown(String),
}

/// Chain check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainCheck {
    /// Not checked (a CA or trusted certificate).
    NotChecked,
    /// Issued by this certificate (SHA-256) of the configuration.
    Verified(String),
    /// Self-signed (its own anchor).
    SelfSigned,
    /// Broken: the reason.
    Broken(String),
}

/// How a checked path looked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileObs {
    /// Absolute path.
    pub path: PathBuf,
    /// As shown.
    pub display: String,
    /// What it is.
    pub role: FileRole,
    /// What `lstat`/`stat` found.
    pub state: FileState,
}

/// What a checked path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRole {
    /// The config directory.
    ConfigDir,
    /// `certs/` (or the directory of a TLS file).
    CertsDir,
    /// `elasticsearch.yml`.
    Yml,
    /// `elasticsearch.keystore`.
    Keystore,
    /// A TLS file that holds a private key (PKCS#12 keystore, PEM key).
    TlsSecret,
    /// A TLS file without a private key (certificates, CAs, truststore).
    TlsPublic,
}

impl FileRole {
    /// Stable name (JSON `role`).
    pub fn name(self) -> &'static str {
        match self {
            FileRole::ConfigDir => "config_dir",
            FileRole::CertsDir => "certs_dir",
            FileRole::Yml => "yml",
            FileRole::Keystore => "keystore",
            FileRole::TlsSecret => "tls_secret",
            FileRole::TlsPublic => "tls_public",
        }
    }

    /// Holds a secret (`perm.secret_world_readable`).
    pub fn secret(self) -> bool {
        matches!(self, FileRole::Keystore | FileRole::TlsSecret)
    }
}

/// `stat` of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileState {
    /// Not there.
    Missing,
    /// `stat` failed otherwise.
    Error(String),
    /// Found.
    Found(FileMeta),
}

/// The metadata that matters (of the target, when the path is a symlink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    /// A directory (else a regular file or something else, see `regular`).
    pub dir: bool,
    /// A regular file.
    pub regular: bool,
    /// The link's target, when the path itself is a symlink.
    pub symlink_target: Option<PathBuf>,
    /// A mount target (`/proc/self/mountinfo`).
    pub mount_point: bool,
    /// Permission bits (`& 0o7777`).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Owner's name.
    pub owner: Option<String>,
    /// Group's name.
    pub group: Option<String>,
    /// Whether the service account can read it (and traverse every directory to it), from mode
    /// bits, uid and gids.
    pub readable_by_service_user: bool,
}

/// An artefact of an interrupted or rolled-back run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leftover {
    /// Absolute path.
    pub path: PathBuf,
    /// As shown.
    pub display: String,
    /// It may hold private keys (`certs.*`, keystore copies, `.p12` copies).
    pub private_keys: bool,
}

/// The account Elasticsearch runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceUser {
    /// Name (or the uid as text when it has none).
    pub name: String,
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// Every gid (primary and supplementary).
    pub groups: Vec<u32>,
    /// How it was chosen.
    pub chosen: UserChoice,
}

/// How the service account was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserChoice {
    /// `--es-user`.
    Given,
    /// `elasticsearch`, the config directory's group (package layout).
    Package,
    /// The config directory's owner (archive and Docker layouts).
    ConfigOwner,
}
