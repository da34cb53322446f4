//! Where every file of a run lives: the only place that names one.
//!
//! A [`Layout`] is the config directory plus the run's epoch (seconds, taken once). Everything a
//! run creates, replaces, backs up or records is a [`RelPath`] inside the config directory that
//! the layout hands out; the executor works relative to the opened config directory and never
//! follows a link at any of these names.

use std::fmt;
use std::path::{Path, PathBuf};

/// A path inside the config directory: one to three plain components separated by `/`, none of
/// them empty, `.` or `..`, no NUL. Journals are parsed back into this type, so a journal cannot
/// name anything outside the config directory.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelPath(String);

/// A string that is not a valid [`RelPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRelPath(pub String);

impl fmt::Display for InvalidRelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] is not a path inside the config directory", self.0)
    }
}

impl std::error::Error for InvalidRelPath {}

impl RelPath {
    /// The longest path accepted, in bytes.
    pub const MAX_LEN: usize = 255;

    /// Validates `text`.
    pub fn new(text: &str) -> Result<RelPath, InvalidRelPath> {
        let bad = || InvalidRelPath(text.chars().take(80).collect());
        let parts: Vec<&str> = text.split('/').collect();
        let plain = |p: &&str| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        };
        if text.len() > Self::MAX_LEN || parts.len() > 3 || !parts.iter().all(plain) {
            return Err(bad());
        }
        Ok(RelPath(text.to_owned()))
    }

    fn known(text: String) -> RelPath {
        RelPath(text)
    }

    /// The path as written in the journal and shown relative to the config directory.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last component.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// Everything before the last component (`None` directly inside the config directory).
    pub fn parent(&self) -> Option<RelPath> {
        self.0
            .rsplit_once('/')
            .map(|(dir, _)| RelPath::known(dir.to_owned()))
    }

    /// `self/name`.
    pub fn join(&self, name: &str) -> RelPath {
        RelPath::known(format!("{}/{name}", self.0))
    }

    /// The components.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// Whether `self` is `dir` or inside it.
    pub fn starts_with(&self, dir: &RelPath) -> bool {
        self.0 == dir.0
            || self
                .0
                .strip_prefix(&dir.0)
                .is_some_and(|rest| rest.starts_with('/'))
    }

    /// `self` with the prefix `from` replaced by `to` (for following a rename).
    pub fn rebase(&self, from: &RelPath, to: &RelPath) -> Option<RelPath> {
        if self == from {
            return Some(to.clone());
        }
        let rest = self.0.strip_prefix(&from.0)?.strip_prefix('/')?;
        Some(to.join(rest))
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The three files of `certs/` (spec §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertFile {
    /// `http_ca.crt`: PEM of the HTTP CA certificate.
    HttpCaCrt,
    /// `transport.p12`.
    TransportP12,
    /// `http.p12`.
    HttpP12,
}

impl CertFile {
    /// Every file of `certs/`, in the order Elasticsearch writes them.
    pub const ALL: [CertFile; 3] = [
        CertFile::HttpCaCrt,
        CertFile::TransportP12,
        CertFile::HttpP12,
    ];

    /// The file name.
    pub const fn name(self) -> &'static str {
        match self {
            CertFile::HttpCaCrt => "http_ca.crt",
            CertFile::TransportP12 => "transport.p12",
            CertFile::HttpP12 => "http.p12",
        }
    }
}

/// `elasticsearch.yml`.
pub const YML: &str = "elasticsearch.yml";
/// `elasticsearch.keystore`.
pub const KEYSTORE: &str = "elasticsearch.keystore";
/// `certs`.
pub const CERTS: &str = "certs";
/// The journal of a run in progress.
pub const JOURNAL: &str = ".es-autoconf.journal";
/// The largest `elasticsearch.yml` read (a real one is a few KiB).
pub const MAX_YML_BYTES: u64 = 16 * 1024 * 1024;

/// The files of one run: a config directory and the run's epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    config_dir: PathBuf,
    epoch: i64,
}

impl Layout {
    /// The layout of a run started at `epoch` (seconds since 1970) on `config_dir`.
    pub fn new(config_dir: impl Into<PathBuf>, epoch: i64) -> Self {
        Self {
            config_dir: config_dir.into(),
            epoch,
        }
    }

    /// The config directory.
    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    /// The run's epoch, which names its staging directory and backups.
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// The absolute path of `p`, for messages.
    pub fn abs(&self, p: &RelPath) -> PathBuf {
        self.config_dir.join(p.as_str())
    }

    /// `elasticsearch.yml`.
    pub fn yml(&self) -> RelPath {
        RelPath::known(YML.to_owned())
    }

    /// `elasticsearch.keystore`.
    pub fn keystore(&self) -> RelPath {
        RelPath::known(KEYSTORE.to_owned())
    }

    /// `elasticsearch.keystore.<epoch>.orig`: the keystore's backup, a second link to its inode.
    pub fn keystore_backup(&self) -> RelPath {
        RelPath::known(format!("{KEYSTORE}.{}.orig", self.epoch))
    }

    /// `certs`.
    pub fn certs(&self) -> RelPath {
        RelPath::known(CERTS.to_owned())
    }

    /// `certs/<file>`.
    pub fn certs_file(&self, file: CertFile) -> RelPath {
        self.certs().join(file.name())
    }

    /// `certs.<epoch>.tmp`: the staging directory, renamed to `certs` (spec §2.1).
    pub fn staging(&self) -> RelPath {
        RelPath::known(format!("{CERTS}.{}.tmp", self.epoch))
    }

    /// `certs.<epoch>.tmp/<file>`.
    pub fn staging_file(&self, file: CertFile) -> RelPath {
        self.staging().join(file.name())
    }

    /// `certs.<epoch>.orig`: where an existing `certs` goes (kept, as Elasticsearch keeps it).
    pub fn certs_backup(&self) -> RelPath {
        RelPath::known(format!("{CERTS}.{}.orig", self.epoch))
    }

    /// `.es-autoconf.journal`.
    pub fn journal(&self) -> RelPath {
        RelPath::known(JOURNAL.to_owned())
    }

    /// `certs/http.p12`.
    pub fn http_p12(&self) -> RelPath {
        self.certs_file(CertFile::HttpP12)
    }

    /// `certs/http_ca.crt`.
    pub fn http_ca_crt(&self) -> RelPath {
        self.certs_file(CertFile::HttpCaCrt)
    }

    /// `<target>.<epoch>.orig` next to `target`: the previous version of a file a renewal
    /// replaces (`certs/http.p12.<epoch>.orig`), a second link to its inode.
    pub fn backup_of(&self, target: &RelPath) -> RelPath {
        let name = format!("{}.{}.orig", target.file_name(), self.epoch);
        match target.parent() {
            Some(dir) => dir.join(&name),
            None => RelPath::known(name),
        }
    }

    /// Whether `p` is a leftover of an earlier run that holds private keys or secrets, safe to
    /// remove once no run is in progress (`finalize --clean-backups`): `certs.<n>.orig` and
    /// `certs.<n>.tmp` (Elasticsearch's and ours), `elasticsearch.keystore.<n>.orig`,
    /// `certs/http.p12.<n>.orig` and `certs/http_ca.crt.<n>.orig`.
    pub fn is_leftover(p: &RelPath) -> bool {
        let numbered = |name: &str, prefix: &str, suffix: &str| {
            name.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(suffix))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        let parts: Vec<&str> = p.components().collect();
        match parts.as_slice() {
            [name] => {
                numbered(name, "certs.", ".orig")
                    || numbered(name, "certs.", ".tmp")
                    || numbered(name, "elasticsearch.keystore.", ".orig")
            }
            ["certs", name] => {
                numbered(name, "http.p12.", ".orig") || numbered(name, "http_ca.crt.", ".orig")
            }
            _ => false,
        }
    }

    /// `.es-autoconf.journal.tmp`: the journal is written complete here, then renamed. Its name
    /// does not depend on the epoch, so a run killed before the rename leaves a name the next
    /// run (holding the lock) knows to remove.
    pub fn journal_temp(&self) -> RelPath {
        RelPath::known(format!("{JOURNAL}.tmp"))
    }

    /// A copy of `target`'s content kept while it is rewritten in place (a bind-mounted file
    /// cannot be replaced by a rename): `.<name>.<epoch>.orig` in the config directory.
    pub fn copy_for(&self, target: &RelPath) -> RelPath {
        RelPath::known(format!(".{}.{}.orig", target.file_name(), self.epoch))
    }

    /// The temporary file a new `target` is written to before it is renamed into place:
    /// `.<name>.<epoch>.tmp` in the same directory.
    pub fn temp_for(&self, target: &RelPath) -> RelPath {
        let name = format!(".{}.{}.tmp", target.file_name(), self.epoch);
        match target.parent() {
            Some(dir) => dir.join(&name),
            None => RelPath::known(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_of_a_run_carries_its_epoch_or_is_fixed() {
        let l = Layout::new("/etc/es", 1_700_000_000);
        assert_eq!(l.staging().as_str(), "certs.1700000000.tmp");
        assert_eq!(l.certs_backup().as_str(), "certs.1700000000.orig");
        assert_eq!(
            l.keystore_backup().as_str(),
            "elasticsearch.keystore.1700000000.orig"
        );
        assert_eq!(
            l.staging_file(CertFile::HttpP12).as_str(),
            "certs.1700000000.tmp/http.p12"
        );
        assert_eq!(
            l.temp_for(&l.staging_file(CertFile::HttpP12)).as_str(),
            "certs.1700000000.tmp/.http.p12.1700000000.tmp"
        );
        assert_eq!(
            l.temp_for(&l.yml()).as_str(),
            ".elasticsearch.yml.1700000000.tmp"
        );
        assert_eq!(
            l.abs(&l.certs_file(CertFile::HttpCaCrt)),
            PathBuf::from("/etc/es/certs/http_ca.crt")
        );
    }

    #[test]
    fn renewal_names_and_leftovers() {
        let l = Layout::new("/etc/es", 1_700_000_000);
        assert_eq!(l.http_p12().as_str(), "certs/http.p12");
        assert_eq!(
            l.backup_of(&l.http_p12()).as_str(),
            "certs/http.p12.1700000000.orig"
        );
        assert_eq!(
            l.temp_for(&l.http_p12()).as_str(),
            "certs/.http.p12.1700000000.tmp"
        );
        for yes in [
            "certs.1.orig",
            "certs.1700000000.tmp",
            "elasticsearch.keystore.17.orig",
            "certs/http.p12.5.orig",
            "certs/http_ca.crt.5.orig",
        ] {
            assert!(Layout::is_leftover(&RelPath::new(yes).unwrap()), "{yes}");
        }
        for no in [
            "certs",
            "certs.orig",
            "certs.x1.orig",
            "certs..orig",
            "elasticsearch.keystore",
            "elasticsearch.keystore.tmp",
            ".es-autoconf.journal",
            "certs/http.p12",
            "certs/.http.p12.5.tmp",
            "certs/transport.p12.5.orig",
            "other/http.p12.5.orig",
            ".elasticsearch.yml.5.orig",
        ] {
            assert!(!Layout::is_leftover(&RelPath::new(no).unwrap()), "{no}");
        }
    }

    #[test]
    fn relpaths_stay_inside() {
        for ok in ["a", "certs/http.p12", ".x.1.tmp", "a/b/c"] {
            assert_eq!(RelPath::new(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "/etc/passwd",
            "..",
            "a/../b",
            "a//b",
            "./a",
            "a/",
            "a b",
            "a\\b",
            "a/b/c/d",
            "é",
        ] {
            assert!(RelPath::new(bad).is_err(), "{bad:?}");
        }
        let staging = RelPath::new("certs.1.tmp").unwrap();
        let file = staging.join("http.p12");
        assert!(file.starts_with(&staging));
        assert!(!RelPath::new("certs.1.tmpx").unwrap().starts_with(&staging));
        assert_eq!(
            file.rebase(&staging, &RelPath::new("certs").unwrap()),
            Some(RelPath::new("certs/http.p12").unwrap())
        );
    }
}
