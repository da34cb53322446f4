//! Black-box tests of `es-autoconf keystore`: the built binary on temporary config directories,
//! checked for exit code, stdout and stderr against `elasticsearch-keystore`'s behaviour
//! (`ListKeyStoreCommand`, `HasPasswordKeyStoreCommand`, `ShowKeyStoreCommand`).
//!
//! Standard output is a pipe here, which is exactly the case where `show` must refuse without
//! `--reveal`.

use esac_keystore::{FormatVersion, Secret};
use esac_testkit::fixtures::{keystore_with, write_keystore};
use esac_testkit::{Home, Run};

use crate::ES_AUTOCONF;

const PASSWORD: &str = "correct horse battery";
const VALUE: &str = "hunter2-super-secret-value";
const SEED: &str = "SeedSeedSeed~!@#$%^&";

/// A config directory without a keystore.
fn empty() -> Home {
    ES_AUTOCONF.bare_home()
}

/// A config directory whose keystore holds `keystore.seed`, `bootstrap.password` and a binary
/// value, protected by `password`; format 5 to keep the KDF cheap.
fn with_keystore(password: &str) -> Home {
    let home = empty();
    let mut ks = keystore_with(&[("keystore.seed", SEED), ("bootstrap.password", VALUE)]);
    ks.set_string("binary.value", Secret::new(vec![0xff, 0x00, 0xfe]))
        .unwrap();
    write_keystore(&home.config(), &ks, password, FormatVersion::V5);
    home
}

/// What `list` prints for the keystore of [`with_keystore`]: every name, sorted, one a line.
const ALL_NAMES: &str = "binary.value\nbootstrap.password\nkeystore.seed\n";

/// `list` succeeded and printed every name, and no secret.
#[track_caller]
fn assert_listed(run: &Run) {
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, ALL_NAMES);
    assert_no_secret(run);
}

/// Neither stream shows a keystore value or the password.
#[track_caller]
fn assert_no_secret(run: &Run) {
    for secret in [VALUE, SEED, PASSWORD] {
        assert!(!run.stdout.contains(secret), "secret on stdout: {run:?}");
        assert!(!run.stderr.contains(secret), "secret on stderr: {run:?}");
    }
}

// ---- list -------------------------------------------------------------------------------------

#[test]
fn list_prints_sorted_names_only() {
    let home = with_keystore("");
    let run = home.run_keystore(&["list"]);
    assert_listed(&run);
    assert_eq!(run.stderr, "");
}

#[test]
fn list_json() {
    let home = with_keystore("");
    let run = home.run_keystore(&["--format", "json", "list"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        doc,
        serde_json::json!({
            "version": 1,
            "command": "keystore list",
            "names": ["binary.value", "bootstrap.password", "keystore.seed"]
        })
    );
}

#[test]
fn list_missing_keystore() {
    let home = empty();
    let run = home.run_keystore(&["list"]);
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "ERROR: Elasticsearch keystore not found at [{}]. Use 'create' command to create one.\n",
            home.keystore().display()
        )
    );
}

#[test]
fn list_protected_keystore_with_password_on_stdin() {
    let home = with_keystore(PASSWORD);
    let run = home.run_keystore_with_stdin(&["list"], &format!("{PASSWORD}\n"));
    assert_listed(&run);
}

#[test]
fn list_protected_keystore_with_passphrase_file() {
    let home = with_keystore(PASSWORD);
    // Only the first line counts, and a CRLF line ending is not part of the password.
    let run =
        home.run_keystore_with_passphrase_file(&["list"], &format!("{PASSWORD}\r\nignored\n"));
    assert_listed(&run);
}

#[test]
fn wrong_password_from_passphrase_file() {
    let home = with_keystore(PASSWORD);
    let run = home.run_keystore_with_passphrase_file(&["list"], "not the password\n");
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "ERROR: Provided keystore password was incorrect\n"
    );
    assert_no_secret(&run);
    // Same through `show --reveal`: no value printed.
    let run = home
        .run_keystore_with_passphrase_file(&["show", "--reveal", "bootstrap.password"], "nope\n");
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_no_secret(&run);
}

#[test]
fn wrong_password_on_stdin_and_no_input() {
    let home = with_keystore(PASSWORD);
    let run = home.run_keystore_with_stdin(&["list"], "wrong\n");
    assert_eq!(run.code, 65, "{run:?}");
    assert_eq!(
        run.stderr,
        "ERROR: Provided keystore password was incorrect\n"
    );
    // Closed stdin reads as the empty password, which is wrong too.
    let run = home.run_keystore(&["list"]);
    assert_eq!(run.code, 65, "{run:?}");
    assert_no_secret(&run);
}

#[test]
fn missing_passphrase_file() {
    let home = with_keystore(PASSWORD);
    let missing = home.path().join("no-such-file");
    let run = Run::from(
        home.keystore_command(&["list"])
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
    let home = with_keystore("");
    let mut bytes = std::fs::read(home.keystore()).unwrap();
    let at = bytes.len() - 30;
    bytes[at] ^= 0x40;
    std::fs::write(home.keystore(), &bytes).unwrap();
    let run = home.run_keystore(&["list"]);
    // Lucene's CorruptIndexException is an IOException: IO_ERROR.
    assert_eq!(run.code, 74, "{run:?}");
    assert!(
        run.stderr.starts_with(&format!(
            "ERROR: The Elasticsearch keystore [{}] is corrupted or has been tampered with: \
             checksum failed (hardware problem?) : expected=",
            home.keystore().display()
        )),
        "{run:?}"
    );
    // A truncated file too.
    std::fs::write(home.keystore(), &bytes[..40]).unwrap();
    let run = home.run_keystore(&["list"]);
    assert_eq!(run.code, 74, "{run:?}");
    assert!(
        run.stderr.contains("corrupted or has been tampered with"),
        "{run:?}"
    );
}

/// CRC-32 (IEEE), for re-sealing a deliberately edited file's Lucene footer.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Impossible lengths from a hostile or damaged file: the salt length of the data block
/// (2^31-16, negative), and inside the encrypted entry list (the password is right) an entry
/// count of 2^31-1 and a value length of 2^31-16. Each is refused without allocating what it
/// claims, and every message names the file, through `keystore list` and through `init`.
#[test]
fn impossible_lengths_name_the_file() {
    let salt_len = |value: i32| {
        move |home: &Home| {
            let mut b = std::fs::read(home.keystore()).unwrap();
            // v5: little-endian ints; the salt length follows the data block length.
            b[36..40].copy_from_slice(&value.to_le_bytes());
            let n = b.len();
            let crc = crc32(&b[..n - 8]);
            b[n - 8..].copy_from_slice(&u64::from(crc).to_be_bytes());
            std::fs::write(home.keystore(), b).unwrap();
        }
    };
    let entries = |count: i32, value_len: i32| {
        move |home: &Home| {
            let mut plain = count.to_be_bytes().to_vec();
            plain.extend_from_slice(&[0, 1, b'a']);
            plain.extend_from_slice(&value_len.to_be_bytes());
            plain.extend_from_slice(b"value");
            let bytes =
                esac_keystore::fuzzing::seal_raw(&plain, &Secret::default(), FormatVersion::V5)
                    .unwrap();
            std::fs::write(home.keystore(), bytes).unwrap();
        }
    };
    type Craft = Box<dyn Fn(&Home)>;
    let cases: [(&str, Craft); 5] = [
        ("salt length 2^31-16", Box::new(salt_len(i32::MAX - 15))),
        ("salt length -1", Box::new(salt_len(-1))),
        ("salt length -2^31", Box::new(salt_len(i32::MIN))),
        ("entry count 2^31-1", Box::new(entries(i32::MAX, 5))),
        ("value length 2^31-16", Box::new(entries(1, i32::MAX - 15))),
    ];
    for (what, craft) in cases {
        let home = ES_AUTOCONF.home(crate::common::STOCK_YML);
        write_keystore(&home.config(), &keystore_with(&[]), "", FormatVersion::V5);
        craft(&home);
        let expected = format!(
            "ERROR: The Elasticsearch keystore [{}] is corrupted or has been tampered with: \
             Keystore has been corrupted or tampered with\n",
            home.keystore().display()
        );
        let run = home.run_keystore(&["list"]);
        assert_eq!(run.code, 65, "{what}: {run:?}");
        assert_eq!(run.stderr, expected, "{what}");
        let before = home.stable_snapshot();
        let run = home.init(&["--key-type", "ecdsa-p256"]);
        assert_eq!(run.code, 65, "{what}: {run:?}");
        assert!(run.stderr.ends_with(&expected), "{what}: {run:?}");
        esac_testkit::assert_same_tree(&before, &home.stable_snapshot(), what);
    }
}

#[test]
fn too_new_format() {
    let home = with_keystore("");
    let mut bytes = std::fs::read(home.keystore()).unwrap();
    bytes[30] = 7;
    std::fs::write(home.keystore(), &bytes).unwrap();
    let run = home.run_keystore(&["list"]);
    assert_eq!(run.code, 70, "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "ERROR: The Elasticsearch keystore [{}] format is too new. Are you trying to \
             downgrade? You should delete and recreate it in order to downgrade.\n",
            home.keystore().display()
        )
    );
}

// ---- has-password -----------------------------------------------------------------------------

#[test]
fn has_password_protected() {
    let home = with_keystore(PASSWORD);
    let run = home.run_keystore(&["has-password"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "Keystore is password-protected\n");
    assert_eq!(run.stderr, "");
    // Elasticsearch's spelling works too, and no password is ever read.
    assert_eq!(home.run_keystore(&["has-passwd"]).code, 0);
}

#[test]
fn has_password_unprotected() {
    let home = with_keystore("");
    let run = home.run_keystore(&["has-password"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "ERROR: Keystore is not password-protected\n");
}

#[test]
fn has_password_missing_keystore() {
    let home = empty();
    let run = home.run_keystore(&["has-password"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "ERROR: Elasticsearch keystore not found\n");
}

#[test]
fn has_password_silent_prints_nothing() {
    let home = with_keystore("");
    let run = home.run_keystore(&["-s", "has-password"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (1, "", "")
    );
    let home = with_keystore(PASSWORD);
    let run = home.run_keystore(&["--silent", "has-password"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn has_password_json() {
    let home = with_keystore("");
    let run = home.run_keystore(&["--format", "json", "has-password"]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["exists"], true);
    assert_eq!(doc["has_password"], false);
}

// ---- show -------------------------------------------------------------------------------------

#[test]
fn show_refuses_a_pipe_without_reveal() {
    let home = with_keystore(PASSWORD);
    // The password is available, but must not even be needed.
    let run = home.run_keystore_with_passphrase_file(&["show", "bootstrap.password"], PASSWORD);
    assert_eq!(run.code, 64, "{run:?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains("standard output is not a terminal"),
        "{run:?}"
    );
    assert!(run.stderr.contains("--reveal"), "{run:?}");
    assert_no_secret(&run);
}

#[test]
fn show_reveal_prints_the_bare_value() {
    let home = with_keystore(PASSWORD);
    let run = home.run_keystore_with_stdin(&["show", "--reveal", "bootstrap.password"], PASSWORD);
    assert_eq!(run.code, 0, "{run:?}");
    // Like Elasticsearch writing to a file or pipe: no newline added.
    assert_eq!(run.stdout, VALUE);
    assert_eq!(run.stderr, "");
}

#[test]
fn show_reveal_binary_value_goes_out_raw() {
    let home = with_keystore("");
    let out = home
        .keystore_command(&["show", "--reveal", "binary.value"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, [0xff, 0x00, 0xfe]);
}

#[test]
fn show_unknown_setting() {
    let home = with_keystore("");
    let run = home.run_keystore(&["show", "--reveal", "no.such.setting"]);
    assert_eq!(run.code, 78, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "ERROR: Setting [no.such.setting] does not exist in the keystore.\n"
    );
}

#[test]
fn show_missing_keystore() {
    let home = empty();
    let run = home.run_keystore(&["show", "--reveal", "x"]);
    assert_eq!(run.code, 65, "{run:?}");
    assert!(
        run.stderr.contains("Use 'create' command to create one."),
        "{run:?}"
    );
}

#[test]
fn config_dir_from_es_path_conf() {
    let home = with_keystore("");
    let out = ES_AUTOCONF
        .command()
        .args(["keystore", "list"])
        .env("ES_PATH_CONF", home.config())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("keystore.seed"));
}
