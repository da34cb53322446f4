//! The binary under test: commands with a clean environment, their result, and a copy that any
//! user can run.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::Home;

/// The variables through which a developer's shell could steer a run.
const LEAKY_ENV: [&str; 6] = [
    "ES_HOME",
    "ES_PATH_CONF",
    "ES_KEYSTORE_PASSPHRASE_FILE",
    // What the printer and the logs look at: a developer's own settings must not change a test.
    "RUST_LOG",
    "NO_COLOR",
    "TERM",
];

/// The `es-autoconf` binary, by path.
#[derive(Clone, Copy, Debug)]
pub struct Bin {
    path: &'static str,
}

impl Bin {
    /// The binary at `path`: `Bin::new(env!("CARGO_BIN_EXE_es-autoconf"))`.
    pub const fn new(path: &'static str) -> Self {
        Self { path }
    }

    pub fn path(self) -> &'static Path {
        Path::new(self.path)
    }

    /// A command for the binary, with [`Bin::clean_env`] applied.
    pub fn command(self) -> Command {
        let mut cmd = Command::new(self.path);
        Self::clean_env(&mut cmd);
        cmd
    }

    /// Removes `ES_HOME`, `ES_PATH_CONF`, `ES_KEYSTORE_PASSPHRASE_FILE`, `RUST_LOG`, `NO_COLOR`
    /// and `TERM`, and sets
    /// `HOSTNAME=node-1`, for `cmd` and everything it starts (e.g. `script` or `setpriv` running
    /// the binary).
    pub fn clean_env(cmd: &mut Command) -> &mut Command {
        for var in LEAKY_ENV {
            cmd.env_remove(var);
        }
        cmd.env("HOSTNAME", "node-1")
    }

    /// A new [`Home`] whose `config/elasticsearch.yml` holds `yml`.
    pub fn home(self, yml: &str) -> Home {
        Home::new(self, Some(yml))
    }

    /// A new [`Home`] with an empty `config/` directory (no `elasticsearch.yml`).
    pub fn bare_home(self) -> Home {
        Home::new(self, None)
    }

    /// `es-autoconf --config-dir CONFIG keystore ARGS`, standard input closed.
    pub fn keystore_command(self, config: &Path, args: &[&str]) -> Command {
        let mut cmd = self.command();
        cmd.arg("--config-dir")
            .arg(config)
            .arg("keystore")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// `es-autoconf keystore list` on a config dir; panics unless it succeeds.
    pub fn keystore_list(self, config: &Path, env: &[(&str, &str)]) -> Vec<String> {
        let run = Run::from(
            self.keystore_command(config, &["list"])
                .envs(env.iter().copied())
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, 0, "keystore list: {run:?}");
        run.stdout.lines().map(str::to_owned).collect()
    }

    /// `es-autoconf keystore show NAME --reveal` on a config dir; panics unless it succeeds.
    pub fn keystore_show(self, config: &Path, name: &str, env: &[(&str, &str)]) -> String {
        let run = Run::from(
            self.keystore_command(config, &["show", name, "--reveal"])
                .envs(env.iter().copied())
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, 0, "keystore show {name}: {run:?}");
        run.stdout.trim_end_matches('\n').to_owned()
    }

    /// A copy of the binary that any user can run, for tests that drop to `nobody`: the build
    /// directory may sit under a private home (`/root` is 0700).
    ///
    /// Each call makes its own copy in a new directory with a random name (created with `mkdir`,
    /// which fails rather than reuse or follow anything another user put there), mode 0700 while
    /// the copy is written and 0755 once it is complete. The copy is removed when the returned
    /// value is dropped, at the end of the test that asked for it, pass or fail. A copy shared
    /// through a `static` would never be removed (statics are not dropped), and only two tests
    /// need one.
    pub fn for_any_user(self) -> AnyUserCopy {
        let mode = |m| std::fs::Permissions::from_mode(m);
        let dir = tempfile::Builder::new()
            .prefix("esac-bin-")
            .permissions(mode(0o700))
            .tempdir()
            .expect("a temporary directory for the binary");
        let path = dir.path().join("es-autoconf");
        std::fs::copy(self.path, &path).unwrap();
        std::fs::set_permissions(&path, mode(0o755)).unwrap();
        std::fs::set_permissions(dir.path(), mode(0o755)).unwrap();
        AnyUserCopy { _dir: dir, path }
    }
}

/// A world-executable copy of the binary, removed on drop; see [`Bin::for_any_user`].
pub struct AnyUserCopy {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl AnyUserCopy {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What a finished process returned and printed.
pub struct Run {
    /// The exit code, or -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `cmd` with `stdin` written to its standard input (then closed) and both outputs
    /// captured.
    pub fn with_stdin(cmd: &mut Command, stdin: &[u8]) -> Run {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        Run::from(child.wait_with_output().unwrap())
    }
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
