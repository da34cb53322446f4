//! Shared harness for black-box tests: a temporary Elasticsearch home, a runner for the built
//! binary with a clean environment, and a tree snapshot to prove nothing changed.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The stock `elasticsearch.yml` shipped with Elasticsearch 8 (comments only).
pub const STOCK_YML: &str = include_str!("../data/elasticsearch.yml");

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

/// The committed test key pool (debug builds read it instead of generating keys).
pub fn key_pool() -> String {
    format!(
        "{}/crates/pki/testdata/key-pool",
        env!("CARGO_MANIFEST_DIR")
    )
}

impl Tree {
    /// The same snapshot with directory mtimes zeroed: a run that adds and removes entries
    /// changes a directory's mtime even when it ends with the very same content.
    pub fn ignoring_dir_mtimes(mut self) -> Self {
        for (kind, _, secs, nsecs, _) in self.0.values_mut() {
            if kind == "dir" {
                (*secs, *nsecs) = (0, 0);
            }
        }
        self
    }

    /// Paths (relative to the root) in the snapshot.
    pub fn paths(&self) -> Vec<String> {
        self.0
            .keys()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }
}

impl Home {
    /// Snapshot of files (contents, modes, mtimes) and directories (modes only).
    pub fn stable_snapshot(&self) -> Tree {
        self.snapshot().ignoring_dir_mtimes()
    }

    /// Runs a real `init` with the test key pool.
    pub fn init(&self, args: &[&str]) -> Run {
        self.init_env(args, &[])
    }

    /// Runs a real `init` with the test key pool and extra environment.
    pub fn init_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let pool = key_pool();
        let mut all_args = vec!["init"];
        all_args.extend_from_slice(args);
        let mut all_env = vec![("ESAC_TEST_KEY_POOL", pool.as_str())];
        all_env.extend_from_slice(env);
        self.run_env(&all_args, &all_env)
    }
}

/// `es-autoconf keystore list` on a config dir; panics unless it succeeds.
pub fn keystore_list(config: &Path, env: &[(&str, &str)]) -> Vec<String> {
    let mut cmd = bin();
    cmd.args(["keystore", "list", "--config-dir"]).arg(config);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = Run::from(cmd.stdin(Stdio::null()).output().unwrap());
    assert_eq!(run.code, 0, "keystore list: {run:?}");
    run.stdout.lines().map(str::to_owned).collect()
}

/// `es-autoconf keystore show NAME --reveal` on a config dir; panics unless it succeeds.
pub fn keystore_show(config: &Path, name: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = bin();
    cmd.args(["keystore", "show", name, "--reveal", "--config-dir"])
        .arg(config);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = Run::from(cmd.stdin(Stdio::null()).output().unwrap());
    assert_eq!(run.code, 0, "keystore show {name}: {run:?}");
    run.stdout.trim_end_matches('\n').to_owned()
}

/// Panics with the way to install it when a tool the tests need is missing.
pub fn require_tool(program: &str, probe_args: &[&str]) {
    let ok = Command::new(program)
        .args(probe_args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(ok, "{program} is missing: run cargo xtask deps");
}

/// Verifies a bcrypt hash with Python's `bcrypt` module (independent of our Rust crate).
pub fn python_bcrypt_verify(password: &str, hash: &str) -> bool {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys\ntry:\n import bcrypt\nexcept ImportError:\n sys.exit(3)\nsys.exit(0 if bcrypt.checkpw(sys.argv[1].encode(), sys.argv[2].encode()) else 1)",
            password,
            hash,
        ])
        .output()
        .expect("python3 is missing: run cargo xtask deps");
    match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        Some(3) => panic!("the Python bcrypt module is missing: run cargo xtask deps"),
        other => panic!(
            "python bcrypt check failed ({other:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The three settings auto-configuration adds to the keystore.
pub const TLS_PASSWORD_SETTINGS: [&str; 3] = [
    "xpack.security.http.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.truststore.secure_password",
];

/// The first line of the appended block, with the blank line before it.
pub const BLOCK_START: &str =
    "\n#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------\n";

/// Asserts `config` holds one complete auto-configuration: certs with the three files (0660) in a
/// 0750 directory, the keystore (0660) with the TLS passwords, the yml block once, no leftovers.
pub fn assert_configured(config: &Path, env: &[(&str, &str)]) {
    let certs = config.join("certs");
    let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&certs), 0o750, "{}", certs.display());
    let mut names: Vec<_> = std::fs::read_dir(&certs)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["http.p12", "http_ca.crt", "transport.p12"]);
    for n in &names {
        let p = certs.join(n);
        assert_eq!(mode(&p), 0o660, "{}", p.display());
        assert!(std::fs::metadata(&p).unwrap().len() > 0);
    }
    let ks = config.join("elasticsearch.keystore");
    assert_eq!(mode(&ks), 0o660);
    let list = keystore_list(config, env);
    for s in TLS_PASSWORD_SETTINGS {
        assert!(list.iter().any(|n| n == s), "{s} missing from {list:?}");
    }
    assert!(list.iter().any(|n| n == "keystore.seed"), "{list:?}");
    let yml = std::fs::read_to_string(config.join("elasticsearch.yml")).unwrap();
    assert_eq!(yml.matches(BLOCK_START).count(), 1, "{yml}");
    assert!(yml.contains("xpack.security.enabled: true\n"));
    assert_eq!(leftovers(config), Vec::<String>::new());
}

/// Temporary files, backups and journals a finished run must not leave behind
/// (`certs.<epoch>.orig` is kept on purpose, as Elasticsearch keeps it).
pub fn leftovers(config: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (p, _) in Tree::of(config).0 {
        let s = p.to_string_lossy().into_owned();
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let kept_backup = s.starts_with("certs.") && s.contains(".orig");
        if !kept_backup
            && (name.ends_with(".tmp") || name.ends_with(".orig") || name.contains("journal"))
        {
            out.push(s);
        }
    }
    out
}

/// The paths whose entries differ between two snapshots, with both sides (contents abridged).
pub fn tree_diff(a: &Tree, b: &Tree) -> Vec<String> {
    let show = |e: Option<&(String, u32, i64, i64, Vec<u8>)>| match e {
        None => "absent".to_owned(),
        Some((k, m, s, n, c)) => format!("{k} {m:o} mtime {s}.{n:09} {} bytes", c.len()),
    };
    let mut keys: Vec<&PathBuf> = a.0.keys().chain(b.0.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.0.get(*k) != b.0.get(*k))
        .map(|k| {
            format!(
                "{}: {} -> {}",
                k.display(),
                show(a.0.get(k)),
                show(b.0.get(k))
            )
        })
        .collect()
}

/// Asserts two snapshots are equal, listing only the differences.
#[track_caller]
pub fn assert_same_tree(before: &Tree, after: &Tree, what: &str) {
    let diff = tree_diff(before, after);
    assert!(
        diff.is_empty(),
        "{what}: the tree changed:\n{}",
        diff.join("\n")
    );
}

/// A copy of the binary that any user can run (mode 0755, in a world-traversable temp dir), for
/// tests that drop to `nobody`: the build directory itself may sit under a private home.
pub fn bin_for_any_user() -> PathBuf {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("esac-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("es-autoconf");
        std::fs::copy(env!("CARGO_BIN_EXE_es-autoconf"), &path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    })
    .clone()
}
