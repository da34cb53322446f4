//! Plain data gathered once by the probe (in `esac-fs`) and handed to [`crate::decide`].
//! Tests build these by hand; nothing here reads the machine.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use esac_settings::Settings;

/// What a path turned out to be, looked at without following a final symlink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Nothing there.
    Missing,
    /// A regular file that the current user could open for reading.
    ReadableFile,
    /// A regular file that could not be opened for reading.
    UnreadableFile,
    /// A symlink, directory, socket, ...: anything but a regular file.
    NotRegular,
}

/// State of one `path.data` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataDirState {
    /// Missing, or not a directory: Elasticsearch treats it as empty.
    Absent,
    /// A directory with no entries.
    Empty,
    /// A directory with at least one entry (hidden files count).
    NotEmpty,
    /// A directory whose entries could not be listed.
    Unlistable(String),
}

/// Who owns the config directory, and whether new entries inherit its group (setgid, the
/// package layout `root:elasticsearch 2750`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirOwner {
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
    /// The setgid bit is set.
    pub setgid: bool,
}

/// One data directory and its state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDir {
    /// Absolute path.
    pub path: PathBuf,
    /// What the probe found.
    pub state: DataDirState,
}

/// Everything the decision needs, gathered once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// `path.home`.
    pub es_home: PathBuf,
    /// The config directory.
    pub config_dir: PathBuf,
    /// Effective settings (yml + `-E` + defaults such as `node.name`). Empty when the yml could not
    /// be read; the checks below then report why.
    pub settings: Settings,
    /// `path.data` entries, resolved against the home.
    pub data_dirs: Vec<DataDir>,
    /// The config directory's owner, when it could be looked at.
    pub config_owner: Option<DirOwner>,
    /// `<config>/elasticsearch.yml`.
    pub yml: FileKind,
    /// The yml cannot be written because its file system (or bind mount) is read-only.
    pub yml_read_only: bool,
    /// The yml's text as read (through a symlink, as Elasticsearch reads it), when readable
    /// UTF-8. The plan appends to exactly these bytes.
    pub yml_text: Option<Arc<String>>,
    /// `<config>/elasticsearch.keystore`.
    pub keystore: FileKind,
    /// Whether the existing keystore is password-protected (its header says so), when readable.
    pub keystore_has_password: Option<bool>,
    /// Format version of the existing keystore, when readable.
    pub keystore_version: Option<u32>,
    /// Whether `<config>/certs` exists (it will be moved to `certs.<epoch>.orig`).
    pub certs_dir_exists: bool,
    /// The group of `<config>/certs`, when it exists.
    pub certs_group: Option<u32>,
    /// `$HOSTNAME`, else `gethostname()`.
    pub hostname: String,
    /// Addresses of every network interface that is up, loopback included.
    pub interface_addresses: Vec<IpAddr>,
    /// Elasticsearch version found as `$ES_HOME/lib/elasticsearch-X.Y.Z.jar`.
    pub es_version: Option<(u32, u32, u32)>,
}

impl Facts {
    /// Facts for a fresh archive install: empty data dir, stock yml, no keystore.
    /// A starting point for tests.
    pub fn fresh(es_home: impl Into<PathBuf>, settings: Settings) -> Self {
        let es_home = es_home.into();
        Self {
            config_dir: es_home.join("config"),
            data_dirs: vec![DataDir {
                path: es_home.join("data"),
                state: DataDirState::Absent,
            }],
            es_home,
            settings,
            config_owner: None,
            yml: FileKind::ReadableFile,
            yml_text: Some(Arc::default()),
            yml_read_only: false,
            keystore: FileKind::Missing,
            keystore_has_password: None,
            keystore_version: None,
            certs_dir_exists: false,
            certs_group: None,
            hostname: "node-1".into(),
            interface_addresses: vec![],
            es_version: None,
        }
    }

    /// `<config>/elasticsearch.yml`.
    pub fn yml_path(&self) -> PathBuf {
        self.config_dir.join("elasticsearch.yml")
    }

    /// `<config>/elasticsearch.keystore`.
    pub fn keystore_path(&self) -> PathBuf {
        self.config_dir.join("elasticsearch.keystore")
    }
}
