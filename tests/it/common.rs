//! What the topic modules share beyond `esac-testkit`: the stock `elasticsearch.yml`, what a
//! complete auto-configuration looks like, and small readers of modes, trees and JSON output.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use esac_testkit::{tree_diff, Run, Tree};

use crate::ES_AUTOCONF;

/// The stock `elasticsearch.yml` shipped with Elasticsearch 8 (comments only).
pub const STOCK_YML: &str = include_str!("../data/elasticsearch.yml");

/// For the many runs of the fault-injection tests: keystore format 5 derives its key with 10,000
/// PBKDF2 iterations instead of 210,000; the file operations under test are the same.
pub const FASTEST: &[&str] = &["--key-type", "ecdsa-p256", "--keystore-format", "5"];

/// The three settings auto-configuration adds to the keystore.
pub const TLS_PASSWORD_SETTINGS: [&str; 3] = [
    "xpack.security.http.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.truststore.secure_password",
];

/// The first line of the appended block, with the blank line before it.
pub const BLOCK_START: &str =
    "\n#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------\n";

/// `es-autoconf keystore list` on a config dir; panics unless it succeeds.
pub fn keystore_list(config: &Path, env: &[(&str, &str)]) -> Vec<String> {
    ES_AUTOCONF.keystore_list(config, env)
}

/// `es-autoconf keystore show NAME --reveal` on a config dir; panics unless it succeeds.
pub fn keystore_show(config: &Path, name: &str, env: &[(&str, &str)]) -> String {
    ES_AUTOCONF.keystore_show(config, name, env)
}

/// Asserts `config` holds one complete auto-configuration: certs with the three files (0660) in a
/// 0750 directory, the keystore (0660) with the TLS passwords, the yml block once, no leftovers.
pub fn assert_configured(config: &Path, env: &[(&str, &str)]) {
    let certs = config.join("certs");
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
    for p in Tree::of(config).0.keys() {
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

/// The permission bits of `p` (not followed when it is a link).
pub fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

pub fn set_mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// The JSON document a run printed.
#[track_caller]
pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// Every path whose entry differs between two snapshots.
pub fn changed(before: &Tree, after: &Tree) -> Vec<String> {
    tree_diff(before, after)
        .into_iter()
        .map(|l| l.split(": ").next().unwrap_or_default().to_owned())
        .collect()
}

/// The names of the steps of the plan in a run's JSON document (a dry run's, usually).
#[track_caller]
pub fn plan_steps(run: &Run) -> Vec<String> {
    json(run)["plan"]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("no plan: {run:?}"))
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_owned())
        .collect()
}
