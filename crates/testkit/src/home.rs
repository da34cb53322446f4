//! A temporary Elasticsearch home, and runs of the binary on it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{fixtures, Bin, Run, Tree};

/// A temporary Elasticsearch home with a `config/` directory, removed on drop.
pub struct Home {
    dir: tempfile::TempDir,
    bin: Bin,
}

impl Home {
    pub(crate) fn new(bin: Bin, yml: Option<&str>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("esac-home")
            .tempdir()
            .unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        if let Some(yml) = yml {
            std::fs::write(dir.path().join("config/elasticsearch.yml"), yml).unwrap();
        }
        Self { dir, bin }
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

    pub fn keystore(&self) -> PathBuf {
        self.config().join("elasticsearch.keystore")
    }

    /// Runs `es-autoconf <args> --es-home <home>` with a clean environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.bin.command();
        cmd.args(args).arg("--es-home").arg(self.path());
        cmd.envs(env.iter().copied());
        Run::from(cmd.stdin(Stdio::null()).output().unwrap())
    }

    /// Runs a real `init` with the test key pool.
    pub fn init(&self, args: &[&str]) -> Run {
        self.init_env(args, &[])
    }

    /// Runs a real `init` with the test key pool and extra environment.
    pub fn init_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.run_with_pool(&[&["init"], args].concat(), env)
    }

    /// Runs `es-autoconf <args> --es-home <home>` with the test key pool (`ESAC_TEST_KEY_POOL`)
    /// and extra environment, which may override it.
    pub fn run_with_pool(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let pool = fixtures::key_pool_dir();
        let mut all_env = vec![("ESAC_TEST_KEY_POOL", pool.to_str().unwrap())];
        all_env.extend_from_slice(env);
        self.run_env(args, &all_env)
    }

    /// `es-autoconf <args> --es-home <home>` with the test key pool, standard input closed and
    /// both outputs piped: a run the test starts itself, to watch it, feed it or kill it.
    pub fn pool_command(&self, args: &[&str]) -> Command {
        let mut cmd = self.bin.command();
        cmd.args(args)
            .arg("--es-home")
            .arg(self.path())
            .env("ESAC_TEST_KEY_POOL", fixtures::key_pool_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// `es-autoconf --config-dir <config> keystore <args>`, standard input closed.
    pub fn keystore_command(&self, args: &[&str]) -> Command {
        self.bin.keystore_command(&self.config(), args)
    }

    /// Runs [`Home::keystore_command`].
    pub fn run_keystore(&self, args: &[&str]) -> Run {
        Run::from(self.keystore_command(args).output().unwrap())
    }

    /// Runs [`Home::keystore_command`] with `stdin` on standard input.
    pub fn run_keystore_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        Run::with_stdin(&mut self.keystore_command(args), stdin.as_bytes())
    }

    /// Runs [`Home::keystore_command`] with `ES_KEYSTORE_PASSPHRASE_FILE` naming a file (in the
    /// home, outside `config/`) that holds `content`.
    pub fn run_keystore_with_passphrase_file(&self, args: &[&str], content: &str) -> Run {
        let file = self.path().join("passphrase");
        std::fs::write(&file, content).unwrap();
        Run::from(
            self.keystore_command(args)
                .env("ES_KEYSTORE_PASSPHRASE_FILE", file)
                .output()
                .unwrap(),
        )
    }

    pub fn snapshot(&self) -> Tree {
        Tree::of(self.path())
    }

    /// Snapshot of files (contents, modes, mtimes) and directories (modes only).
    pub fn stable_snapshot(&self) -> Tree {
        self.snapshot().ignoring_dir_mtimes()
    }
}
