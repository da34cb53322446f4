//! `init` under a pseudo-terminal (util-linux `script`): the banner shows the `elastic` password
//! once, and the keystore holds its bcrypt hash; with standard output piped, no password at all;
//! `NO_COLOR` and `TERM=dumb` take the escape sequences away, and nothing else; `layout` counts
//! its keys on the terminal.
//! Feature `interop`: a missing `script` or Python `bcrypt` fails the test.

use std::process::{Command, Stdio};

use esac_testkit::fixtures::key_pool_dir;
use esac_testkit::tools::{python_bcrypt_verify, require_tool};
use esac_testkit::{Bin, Home, Run};

use crate::common::{assert_configured, keystore_list, keystore_show, STOCK_YML};
use crate::ES_AUTOCONF;

/// Quotes a word for `sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Runs `es-autoconf init ... --es-home HOME` (then `tail`, e.g. `| cat`) inside a pty.
fn init_in_pty(home: &Home, tail: &str) -> Run {
    init_in_pty_env(home, tail, &[])
}

fn init_in_pty_env(home: &Home, tail: &str, env: &[(&str, &str)]) -> Run {
    let cmd = format!(
        "{} init --key-type ecdsa-p256 --es-home {} {tail}",
        sh_quote(ES_AUTOCONF.path().to_str().unwrap()),
        sh_quote(home.path().to_str().unwrap())
    );
    let out = Bin::clean_env(&mut Command::new(require_tool("script")))
        .args(["-qec", &cmd, "/dev/null"])
        .env("ESAC_TEST_KEY_POOL", key_pool_dir())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) is missing: run `cargo xtask deps`");
    Run::from(out)
}

#[test]
fn banner_on_a_terminal_shows_the_password_whose_hash_is_stored() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = init_in_pty(&home, "");
    assert_eq!(run.code, 0, "{run:?}");
    let out = run.stdout.replace("\r\n", "\n");
    let pw = out
        .split("\x1b[1m")
        .nth(1)
        .and_then(|s| s.split("\x1b[22m").next())
        .unwrap_or_else(|| panic!("no password in the banner: {run:?}"));
    assert_eq!(pw.len(), 20, "{pw:?}");
    assert!(out.contains("Password for the elastic user"), "{out}");
    let fpr = std::fs::read_to_string(home.config().join("certs/http_ca.crt")).unwrap();
    assert!(fpr.starts_with("-----BEGIN CERTIFICATE-----"));
    let fpr_line = out
        .lines()
        .skip_while(|l| !l.contains("HTTP CA certificate SHA-256 fingerprint"))
        .nth(1)
        .expect("fingerprint line")
        .trim();
    assert_eq!(fpr_line.len(), 64, "{fpr_line:?}");
    assert!(fpr_line.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
    let ca = home.config().join("certs/http_ca.crt");
    let curl = format!(
        "curl --cacert {} -u elastic https://localhost:9200",
        ca.display()
    );
    assert!(out.contains(&curl), "{out}");
    assert_configured(&home.config(), &[]);
    let hash = keystore_show(&home.config(), "autoconfiguration.password_hash", &[]);
    assert!(hash.starts_with("$2a$10$") && hash.len() == 60, "{hash}");
    assert!(
        python_bcrypt_verify(pw, &hash),
        "the printed password verifies"
    );
    assert!(out.matches(pw).count() == 1, "shown once: {out}");
    // While the keys are generated, a progress line (cleared afterwards) tells what is going on.
    assert!(
        out.contains("Generating 4 ecdsa-p256 keys and certificates..."),
        "{out:?}"
    );
}

#[test]
fn json_on_a_terminal_generates_no_password_it_could_not_show() {
    // Review L3: a JSON document never holds the password, so none is generated to be lost.
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = init_in_pty(&home, "--format json");
    assert_eq!(run.code, 0, "{run:?}");
    let out = run.stdout.replace("\r\n", "\n");
    assert!(!out.contains("\x1b[1m"), "{out}");
    assert!(
        out.contains("\"elastic_password\": \"not_generated\""),
        "{out}"
    );
    assert!(
        !out.contains("Generating"),
        "no progress line in JSON mode: {out}"
    );
    let list = keystore_list(&home.config(), &[]);
    assert!(
        !list.iter().any(|n| n == "autoconfiguration.password_hash"),
        "{list:?}"
    );
}

#[test]
fn stdout_piped_from_a_terminal_gets_no_password() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = init_in_pty(&home, "| cat");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("\x1b[1m"), "{run:?}");
    assert!(
        run.stdout.contains("elasticsearch-reset-password"),
        "{run:?}"
    );
    assert_configured(&home.config(), &[]);
    let list = keystore_list(&home.config(), &[]);
    assert!(
        !list.iter().any(|n| n == "autoconfiguration.password_hash"),
        "{list:?}"
    );
}

/// The banner with `env` (`\r\n` made `\n`), the content of its password line, and the home.
fn banner_with(env: &[(&str, &str)]) -> (String, String, Home) {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let run = init_in_pty_env(&home, "", env);
    assert_eq!(run.code, 0, "{run:?}");
    let out = run.stdout.replace("\r\n", "\n");
    let pw_line = out
        .lines()
        .skip_while(|l| !l.contains("Password for the elastic user"))
        .nth(1)
        .unwrap_or_else(|| panic!("no password line: {out}"))
        .trim()
        .to_owned();
    (out, pw_line, home)
}

/// The banner without what differs between two runs: the home, the password, the fingerprint.
fn shape(out: &str, home: &Home, pw: &str) -> Vec<String> {
    out.replace(home.path().to_str().unwrap(), "<home>")
        .replace(pw, "<password>")
        .lines()
        .map(|l| {
            let t = l.trim();
            if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
                "<fingerprint>".to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect()
}

#[test]
fn no_color_and_a_dumb_terminal_get_the_banner_without_escapes() {
    let (styled, styled_line, styled_home) = banner_with(&[]);
    let styled_pw = styled_line
        .strip_prefix("\x1b[1m")
        .and_then(|l| l.strip_suffix("\x1b[22m"))
        .unwrap_or_else(|| panic!("not bold: {styled_line:?}"));
    let styled_shape = shape(&styled, &styled_home, styled_pw);
    for env in [
        &[("NO_COLOR", "1")][..],
        &[("TERM", "dumb")][..],
        &[("NO_COLOR", "1"), ("TERM", "xterm-256color")][..],
    ] {
        let (out, pw, home) = banner_with(env);
        assert!(!out.contains('\x1b'), "{env:?}: {out:?}");
        assert_eq!(pw.len(), 20, "{env:?}: {pw:?}");
        let hash = keystore_show(&home.config(), "autoconfiguration.password_hash", &[]);
        assert!(
            python_bcrypt_verify(&pw, &hash),
            "{env:?}: the shown password verifies"
        );
        // Only the escapes differ: the same lines, in the same order.
        let expected: Vec<String> = styled_shape
            .iter()
            .map(|l| l.replace("\x1b[1m", "").replace("\x1b[22m", ""))
            .collect();
        assert_eq!(shape(&out, &home, &pw), expected, "{env:?}");
    }
    // An empty NO_COLOR is no NO_COLOR (no-color.org).
    let (_, line, _) = banner_with(&[("NO_COLOR", "")]);
    assert!(line.starts_with("\x1b[1m"), "{line:?}");
}

#[test]
fn layout_counts_its_keys_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let yml = dir.path().join("instances.yml");
    std::fs::write(
        &yml,
        "instances:\n  - name: es01\n    ip: [10.0.0.1]\n  - name: es02\n    ip: [10.0.0.2]\n  - name: es03\n    ip: [10.0.0.3]\n",
    )
    .unwrap();
    let cmd = format!(
        "{} layout --key-type ecdsa-p256 --in {} --out {}",
        sh_quote(ES_AUTOCONF.path().to_str().unwrap()),
        sh_quote(yml.to_str().unwrap()),
        sh_quote(dir.path().join("bundle").to_str().unwrap())
    );
    let run = Run::from(
        Bin::clean_env(&mut Command::new(require_tool("script")))
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("script (util-linux) is missing: run `cargo xtask deps`"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    // 2 CAs + 3 HTTP + 3 transport keys, counted up on one line, then cleared.
    assert!(
        run.stdout.contains("Generating 8 ecdsa-p256 keys on"),
        "{run:?}"
    );
    assert!(run.stdout.contains(": 8/8"), "{run:?}");
    assert!(dir.path().join("bundle/bundle.json").exists());
}
