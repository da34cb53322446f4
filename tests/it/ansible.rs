//! `examples/ansible/es-autoconf.yml` run by ansible-core's `ansible-playbook` against localhost
//! (connection local) on a temporary Elasticsearch home: the first run is `changed`, the second
//! `ok`, and a broken `elasticsearch.yml` `failed` with es-autoconf's reason. Feature `interop`:
//! a missing `ansible-playbook` fails the test (`cargo xtask deps` installs ansible-core).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use esac_testkit::fixtures::{bcrypt_verify, key_pool_dir};
use esac_testkit::tools::{require_tool, run_tool};
use esac_testkit::{assert_same_tree, Bin, Home, Run};

use crate::common::{assert_configured, keystore_show, STOCK_YML};
use crate::ES_AUTOCONF;

/// The numbers of the play's recap line for localhost (`ok=1 changed=1 ... failed=0 ...`).
#[derive(Debug, PartialEq, Eq)]
struct Recap {
    ok: u32,
    changed: u32,
    failed: u32,
}

fn recap(run: &Run) -> Recap {
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("localhost") && l.contains("changed="))
        .unwrap_or_else(|| panic!("no recap: {run:?}"));
    let n = |key: &str| -> u32 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {line:?}"))
    };
    Recap {
        ok: n("ok"),
        changed: n("changed"),
        failed: n("failed"),
    }
}

/// The Python that runs ansible-core, for its modules too (interpreter discovery can find a
/// `python3.X` that is not usable, as pyenv's shims are for versions not selected).
fn python() -> String {
    let out = Command::new(require_tool("python3"))
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// The current user's primary group, which `--group` must name.
fn my_group() -> String {
    let out = Command::new("id").arg("-gn").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Runs the playbook; ansible's own state (its home, temporary files) goes to a directory of its
/// own, outside the Elasticsearch home.
fn play(home: &Home, credentials: &Path) -> Run {
    let playbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ansible/es-autoconf.yml");
    let state = tempfile::tempdir().unwrap();
    let state = state.path();
    let vars = serde_json::json!({
        "es_autoconf": ES_AUTOCONF.path(),
        "es_home": home.path(),
        "es_path_conf": home.config(),
        "es_group": my_group(),
        "es_credentials_file": credentials,
    });
    let mut cmd = Command::new(require_tool("ansible-playbook"));
    Bin::clean_env(&mut cmd)
        .args(["-i", "localhost,", "-c", "local", "-e"])
        .arg(vars.to_string())
        .arg(&playbook)
        // ansible-core wants a UTF-8 locale; its state goes to the temporary home.
        .env("LC_ALL", "C.UTF-8")
        .env("HOME", state)
        .env("ANSIBLE_LOCAL_TEMP", state.join("tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_PYTHON_INTERPRETER", python())
        .env("ANSIBLE_STDOUT_CALLBACK", "default")
        .env("ESAC_TEST_KEY_POOL", key_pool_dir())
        .stdin(Stdio::null());
    Run::from(run_tool(&mut cmd, b"", Duration::from_secs(300)))
}

#[test]
fn first_run_changed_second_ok_broken_yml_failed_with_the_reason() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let credentials = home.path().join("elastic-credentials.json");
    let run = play(&home, &credentials);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        recap(&run),
        Recap {
            ok: 2,
            changed: 1,
            failed: 0
        },
        "{run:?}"
    );
    assert_configured(&home.config(), &[]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&credentials).unwrap()).unwrap();
    let hash = keystore_show(&home.config(), "autoconfiguration.password_hash", &[]);
    assert!(bcrypt_verify(json["password"].as_str().unwrap(), &hash));
    assert!(
        run.stdout
            .contains(&format!("are in {} on localhost", credentials.display())),
        "{run:?}"
    );

    // Again: es-autoconf exits 80, the play is ok and nothing changes.
    let before = home.stable_snapshot();
    let run = play(&home, &credentials);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        recap(&run),
        Recap {
            ok: 1,
            changed: 0,
            failed: 0
        },
        "{run:?}"
    );
    assert_same_tree(&before, &home.stable_snapshot(), "second run");

    // A broken yml: failed, with the reason code and es-autoconf's message; nothing written.
    let broken = ES_AUTOCONF.home(&format!("{STOCK_YML}node.name: a\nnode.name: b\n"));
    let credentials = broken.path().join("elastic-credentials.json");
    let before = broken.stable_snapshot();
    let run = play(&broken, &credentials);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(recap(&run).failed, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "es-autoconf init exited 78: invalid_setting: duplicate settings key [node.name]"
        ),
        "{run:?}"
    );
    assert_same_tree(&before, &broken.stable_snapshot(), "broken yml");
    assert!(!credentials.exists());
}
