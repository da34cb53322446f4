//! Black-box tests of `es-autoconf keystore`: the built binary on temporary config directories,
//! checked for exit code, stdout and stderr against `elasticsearch-keystore`'s behaviour
//! (`ListKeyStoreCommand`, `HasPasswordKeyStoreCommand`, `ShowKeyStoreCommand`).
//!
//! Standard output is a pipe here, which is exactly the case where `show` must refuse without
//! `--reveal`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use esac_keystore::{encode, store, DerivedKey, FormatVersion, Keystore, Secret};

const PASSWORD: &str = "correct horse battery";
const VALUE: &str = "hunter2-super-secret-value";
const SEED: &str = "SeedSeedSeed~!@#$%^&";

struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    fn new() -> Self {
        Self {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn keystore(&self) -> PathBuf {
        self.path().join("elasticsearch.keystore")
    }

    /// Writes a keystore with `keystore.seed` and `bootstrap.password`, v5 to keep the KDF cheap.
    fn with_keystore(self, password: &str) -> Self {
        let mut ks = Keystore::new();
        ks.set_string("keystore.seed", Secret::from_str_copy(SEED))
            .unwrap();
        ks.set_string("bootstrap.password", Secret::from_str_copy(VALUE))
            .unwrap();
        ks.set_string("binary.value", Secret::new(vec![0xff, 0x00, 0xfe]))
            .unwrap();
        let key =
            DerivedKey::new_random(&Secret::from_str_copy(password), FormatVersion::V5).unwrap();
        store::save(&self.keystore(), &encode(&ks, &key).unwrap()).unwrap();
        self
    }

    fn password_file(&self, content: &str) -> PathBuf {
        let p = self.path().join("passphrase");
        std::fs::write(&p, content).unwrap();
        p
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_es-autoconf"));
        c.arg("--config-dir")
            .arg(self.path())
            .arg("keystore")
            .args(args);
        for var in ["ES_KEYSTORE_PASSPHRASE_FILE", "ES_PATH_CONF", "ES_HOME"] {
            c.env_remove(var);
        }
        c.stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().unwrap())
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    fn run_with_passphrase_file(&self, args: &[&str], content: &str) -> Run {
        let file = self.password_file(content);
        Run::from(
            self.cmd(args)
                .env("ES_KEYSTORE_PASSPHRASE_FILE", file)
                .output()
                .unwrap(),
        )
    }
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Neither stream shows a keystore value or the password.
    fn assert_no_secret(&self) {
        for secret in [VALUE, SEED, PASSWORD] {
            assert!(!self.stdout.contains(secret), "secret on stdout: {self:?}");
            assert!(!self.stderr.contains(secret), "secret on stderr: {self:?}");
        }
    }
}

// ---- list -------------------------------------------------------------------------------------

#[test]
fn list_prints_sorted_names_only() {
    let dir = Dir::new().with_keystore("");
    let run = dir.run(&["list"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "binary.value\nbootstrap.password\nkeystore.seed\n"
    );
    assert_eq!(run.stderr, "");
    run.assert_no_secret();
}

#[test]
fn list_json() {
    let dir = Dir::new().with_keystore("");
    let run = dir.run(&["--format", "json", "list"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({"names": ["binary.value", "bootstrap.password", "keystore.seed"]})
    );
}

#[test]
fn list_missing_keystore() {
    let dir = Dir::new();
    let run = dir.run(&["list"]);
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "ERROR: Elasticsearch keystore not found at [{}]. Use 'create' command to create one.\n",
            dir.keystore().display()
        )
    );
}

#[test]
fn list_protected_keystore_with_password_on_stdin() {
    let dir = Dir::new().with_keystore(PASSWORD);
    let run = dir.run_with_stdin(&["list"], &format!("{PASSWORD}\n"));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "binary.value\nbootstrap.password\nkeystore.seed\n"
    );
    run.assert_no_secret();
}

#[test]
fn list_protected_keystore_with_passphrase_file() {
    let dir = Dir::new().with_keystore(PASSWORD);
    // Only the first line counts, and a CRLF line ending is not part of the password.
    let run = dir.run_with_passphrase_file(&["list"], &format!("{PASSWORD}\r\nignored\n"));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "binary.value\nbootstrap.password\nkeystore.seed\n"
    );
    run.assert_no_secret();
}

#[test]
fn wrong_password_from_passphrase_file() {
    let dir = Dir::new().with_keystore(PASSWORD);
    let run = dir.run_with_passphrase_file(&["list"], "not the password\n");
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "ERROR: Provided keystore password was incorrect\n"
    );
    run.assert_no_secret();
    // Same through `show --reveal`: no value printed.
    let run = dir.run_with_passphrase_file(&["show", "--reveal", "bootstrap.password"], "nope\n");
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(run.stdout, "");
    run.assert_no_secret();
}

#[test]
fn wrong_password_on_stdin_and_no_input() {
    let dir = Dir::new().with_keystore(PASSWORD);
    let run = dir.run_with_stdin(&["list"], "wrong\n");
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(
        run.stderr,
        "ERROR: Provided keystore password was incorrect\n"
    );
    // Closed stdin reads as the empty password, which is wrong too.
    let run = dir.run(&["list"]);
    assert_eq!(run.code, 65, "{run:?}");
    run.assert_no_secret();
}

#[test]
fn missing_passphrase_file() {
    let dir = Dir::new().with_keystore(PASSWORD);
    let missing = dir.path().join("no-such-file");
    let run = Run::from(
        dir.cmd(&["list"])
            .env("ES_KEYSTORE_PASSPHRASE_FILE", &missing)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 74, "{run:?}");
    assert!(
        run.stderr
            .starts_with("ERROR: cannot read the keystore password from ["),
        "{run:?}"
    );
}

#[test]
fn corrupted_keystore_names_the_file() {
    let dir = Dir::new().with_keystore("");
    let mut bytes = std::fs::read(dir.keystore()).unwrap();
    let at = bytes.len() - 30;
    bytes[at] ^= 0x40;
    std::fs::write(dir.keystore(), &bytes).unwrap();
    let run = dir.run(&["list"]);
    // Lucene's CorruptIndexException is an IOException: IO_ERROR.
    assert_eq!(run.code, 74, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "ERROR: The Elasticsearch keystore [{}] is corrupted or has been tampered with: \
             checksum failed (hardware problem?) : expected=",
            dir.keystore().display()
        )),
        "{run:?}"
    );
    // A truncated file too.
    std::fs::write(dir.keystore(), &bytes[..40]).unwrap();
    let run = dir.run(&["list"]);
    assert_eq!(run.code, 74, "{run:?}");
    assert!(
        run.stderr.contains("corrupted or has been tampered with"),
        "{run:?}"
    );
}

#[test]
fn too_new_format() {
    let dir = Dir::new().with_keystore("");
    let mut bytes = std::fs::read(dir.keystore()).unwrap();
    bytes[30] = 7;
    std::fs::write(dir.keystore(), &bytes).unwrap();
    let run = dir.run(&["list"]);
    assert_eq!(run.code, 70, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "ERROR: The Elasticsearch keystore [{}] format is too new. Are you trying to \
             downgrade? You should delete and recreate it in order to downgrade.\n",
            dir.keystore().display()
        )
    );
}

// ---- has-password -----------------------------------------------------------------------------

#[test]
fn has_password_protected() {
    let dir = Dir::new().with_keystore(PASSWORD);
    let run = dir.run(&["has-password"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "Keystore is password-protected\n");
    assert_eq!(run.stderr, "");
    // Elasticsearch's spelling works too, and no password is ever read.
    assert_eq!(dir.run(&["has-passwd"]).code, 0);
}

#[test]
fn has_password_unprotected() {
    let dir = Dir::new().with_keystore("");
    let run = dir.run(&["has-password"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "ERROR: Keystore is not password-protected\n");
}

#[test]
fn has_password_missing_keystore() {
    let dir = Dir::new();
    let run = dir.run(&["has-password"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "ERROR: Elasticsearch keystore not found\n");
}

#[test]
fn has_password_silent_prints_nothing() {
    let dir = Dir::new().with_keystore("");
    let run = dir.run(&["-s", "has-password"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (1, "", "")
    );
    let dir = Dir::new().with_keystore(PASSWORD);
    let run = dir.run(&["--silent", "has-password"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn has_password_json() {
    let dir = Dir::new().with_keystore("");
    let run = dir.run(&["--format", "json", "has-password"]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["exists"], true);
    assert_eq!(doc["has_password"], false);
}

// ---- show -------------------------------------------------------------------------------------

#[test]
fn show_refuses_a_pipe_without_reveal() {
    let dir = Dir::new().with_keystore(PASSWORD);
    // The password is available, but must not even be needed.
    let run = dir.run_with_passphrase_file(&["show", "bootstrap.password"], PASSWORD);
    assert_eq!(run.code, 64, "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("standard output is not a terminal"),
        "{run:?}"
    );
    assert!(run.stderr.contains("--reveal"), "{run:?}");
    run.assert_no_secret();
}

#[test]
fn show_reveal_prints_the_bare_value() {
    let dir = Dir::new().with_keystore(PASSWORD);
    let run = dir.run_with_stdin(&["show", "--reveal", "bootstrap.password"], PASSWORD);
    assert_eq!(run.code, 0, "{run:?}");
    // Like Elasticsearch writing to a file or pipe: no newline added.
    assert_eq!(run.stdout, VALUE);
    assert_eq!(run.stderr, "");
}

#[test]
fn show_reveal_binary_value_goes_out_raw() {
    let dir = Dir::new().with_keystore("");
    let out = dir
        .cmd(&["show", "--reveal", "binary.value"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, [0xff, 0x00, 0xfe]);
}

#[test]
fn show_unknown_setting() {
    let dir = Dir::new().with_keystore("");
    let run = dir.run(&["show", "--reveal", "no.such.setting"]);
    assert_eq!(run.code, 78, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "ERROR: Setting [no.such.setting] does not exist in the keystore.\n"
    );
}

#[test]
fn show_missing_keystore() {
    let dir = Dir::new();
    let run = dir.run(&["show", "--reveal", "x"]);
    assert_eq!(run.code, 65, "{run:?}");
    assert!(
        run.stderr.contains("Use 'create' command to create one."),
        "{run:?}"
    );
}

#[test]
fn config_dir_from_es_path_conf() {
    let dir = Dir::new().with_keystore("");
    let out = Command::new(env!("CARGO_BIN_EXE_es-autoconf"))
        .args(["keystore", "list"])
        .env("ES_PATH_CONF", dir.path())
        .env_remove("ES_KEYSTORE_PASSPHRASE_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("keystore.seed"));
}
