//! Versions: `--version` names ours, its commit and the crypto backend; an Elasticsearch found as
//! `<home>/lib/elasticsearch-X.Y.Z.jar` decides the keystore format (5 before 8.14, 6 from 8.14),
//! and the dry run says what was detected.

use esac_testkit::{Home, Run};

use crate::common::STOCK_YML;
use crate::ES_AUTOCONF;

/// `es-autoconf 0.1.0 (commit <12 hex digits of HEAD>, crypto: aws-lc-rs <the locked version>)`;
/// `unknown` instead of the commit when the source is not a git checkout.
#[test]
fn version_names_the_commit_and_the_crypto_backend() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(root)
        .output()
        .ok()
        .filter(|o| o.status.success() && root.join(".git").exists())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let aws = lock
        .split("name = \"aws-lc-rs\"\nversion = \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("aws-lc-rs in Cargo.lock");
    let expected = format!(
        "es-autoconf {} (commit {head}, crypto: aws-lc-rs {aws})\n",
        env!("CARGO_PKG_VERSION")
    );
    for flag in ["--version", "-V"] {
        let run = Run::from(ES_AUTOCONF.command().arg(flag).output().unwrap());
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.stdout, expected);
    }
}

fn with_jar(version: &str) -> Home {
    let home = ES_AUTOCONF.home(STOCK_YML);
    std::fs::create_dir(home.path().join("lib")).unwrap();
    for jar in [
        format!("elasticsearch-{version}.jar"),
        format!("elasticsearch-core-{version}.jar"),
    ] {
        std::fs::write(home.path().join("lib").join(jar), b"PK").unwrap();
    }
    home
}

fn keystore_version(home: &Home) -> u32 {
    let bytes = std::fs::read(home.config().join("elasticsearch.keystore")).unwrap();
    u32::from_be_bytes(bytes[27..31].try_into().unwrap())
}

#[test]
fn elasticsearch_8_13_gets_a_version_5_keystore() {
    let home = with_jar("8.13.4");
    let run = home.run(&["init", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("Elasticsearch version: 8.13.4 (from lib/)"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("format version 5 (Elasticsearch 8.13.4 found under lib/ reads version 5)"),
        "{run:?}"
    );
    let run = home.init(&["--key-type", "ecdsa-p256"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(keystore_version(&home), 5);
}

#[test]
fn elasticsearch_9_gets_a_version_6_keystore_and_the_flag_wins() {
    let home = with_jar("9.1.0");
    let run = home.run(&["init", "--dry-run", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["plan"]["elasticsearch_version"], "9.1.0");
    assert_eq!(v["plan"]["keystore"]["format_version"], 6);
    let run = home.init(&["--key-type", "ecdsa-p256", "--keystore-format", "5"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(keystore_version(&home), 5);

    let home = with_jar("9.1.0");
    assert_eq!(home.init(&["--key-type", "ecdsa-p256"]).code, 0);
    assert_eq!(keystore_version(&home), 6);
}
