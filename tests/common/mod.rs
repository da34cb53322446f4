//! Shared harness for black-box tests: a temporary Elasticsearch home, a runner for the built
//! binary with a clean environment, and a tree snapshot to prove nothing changed.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The stock `elasticsearch.yml` shipped with Elasticsearch 8 (comments only).
pub const STOCK_YML: &str =
    "# ======================== Elasticsearch Configuration =========================
#
# NOTE: Elasticsearch comes with reasonable defaults for most settings.
#
# ---------------------------------- Cluster -----------------------------------
#
#cluster.name: my-application
#
# ------------------------------------ Node ------------------------------------
#
#node.name: node-1
#
# ----------------------------------- Paths ------------------------------------
#
#path.data: /path/to/data
#
# ---------------------------------- Network -----------------------------------
#
#network.host: 192.168.0.1
#
#http.port: 9200
";

/// A temporary Elasticsearch home with `config/elasticsearch.yml`.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new(yml: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("esac-home")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(dir.path().join("config/elasticsearch.yml"), yml).unwrap();
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.path().join("config")
    }

    pub fn yml(&self) -> PathBuf {
        self.config().join("elasticsearch.yml")
    }

    /// Runs `es-autoconf <args> --es-home <home>` with a clean environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = bin();
        cmd.args(args).arg("--es-home").arg(self.path());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.stdin(Stdio::null()).output().unwrap())
    }

    pub fn snapshot(&self) -> Tree {
        Tree::of(self.path())
    }
}

/// The binary under test, with an environment that does not leak the developer's.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_es-autoconf"));
    cmd.env_remove("ES_HOME")
        .env_remove("ES_PATH_CONF")
        .env_remove("ES_KEYSTORE_PASSPHRASE_FILE");
    cmd.env("HOSTNAME", "node-1");
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Every path under a root with its type, mode, size, mtime and content (files) or target (links).
#[derive(Debug, PartialEq, Eq)]
pub struct Tree(pub BTreeMap<PathBuf, (String, u32, i64, i64, Vec<u8>)>);

impl Tree {
    pub fn of(root: &Path) -> Self {
        let mut map = BTreeMap::new();
        walk(root, root, &mut map);
        Tree(map)
    }
}

fn walk(root: &Path, p: &Path, map: &mut BTreeMap<PathBuf, (String, u32, i64, i64, Vec<u8>)>) {
    let m = std::fs::symlink_metadata(p).unwrap();
    let rel = p.strip_prefix(root).unwrap().to_path_buf();
    let mode = m.permissions().mode();
    let (kind, content) = if m.file_type().is_symlink() {
        (
            "link",
            std::fs::read_link(p)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes(),
        )
    } else if m.is_dir() {
        ("dir", vec![])
    } else {
        ("file", std::fs::read(p).unwrap_or_default())
    };
    map.insert(rel, (kind.into(), mode, m.mtime(), m.mtime_nsec(), content));
    if m.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for e in entries {
            walk(root, &e, map);
        }
    }
}

pub fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}
