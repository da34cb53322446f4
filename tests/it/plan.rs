//! The plan is the program: what `--dry-run` shows is exactly what a run generates and writes;
//! every command prints one JSON document on failure, with a reason code documented in
//! docs/cli.md; the dry-run text, the JSON document, `--help` and the skip messages are snapshots
//! (`UPDATE_SNAPSHOTS=1 cargo test` rewrites them after a deliberate change).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use esac_secret::Secret;
use esac_testkit::snapshot::{assert_snapshot, filter};
use esac_testkit::Home;
use serde_json::Value;

use crate::common::{keystore_show, STOCK_YML};
use crate::ES_AUTOCONF;

/// 2023-11-14 22:13:20 UTC: the run's clock in debug builds (`ESAC_TEST_NOW`).
const NOW: &str = "1700000000";

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots")
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[test]
fn dry_run_shows_exactly_what_the_run_generates() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let env = [("ESAC_TEST_NOW", NOW)];
    let args = ["--key-type", "ecdsa-p256"];
    let dry = home.run_env(
        &["init", "--dry-run", "--format", "json", args[0], args[1]],
        &env,
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    let doc: Value = serde_json::from_str(&dry.stdout).unwrap();
    let plan = &doc["plan"];
    let run = home.init_env(&args, &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        !run.stderr.contains("Generating"),
        "no progress line without a terminal: {run:?}"
    );

    let config = home.config();
    let read_p12 = |file: &str, setting: &str| {
        let pw = Secret::from_string(keystore_show(&config, setting, &[]));
        esac_pki::read_p12(&std::fs::read(config.join(file)).unwrap(), &pw).unwrap()
    };
    let http = read_p12(
        "certs/http.p12",
        "xpack.security.http.ssl.keystore.secure_password",
    );
    let transport = read_p12(
        "certs/transport.p12",
        "xpack.security.transport.ssl.keystore.secure_password",
    );
    let http_ca_pem =
        pem_to_der(&std::fs::read_to_string(config.join("certs/http_ca.crt")).unwrap());
    let der_of = |name: &str| -> Vec<u8> {
        match name {
            "http_ca" => {
                let in_p12 = http.key_entry("http_ca").unwrap().chain[0].clone();
                assert_eq!(in_p12, http_ca_pem, "http_ca.crt is the CA of http.p12");
                in_p12
            }
            "http" => http.key_entry("http").unwrap().chain[0].clone(),
            "transport" => transport.key_entry("transport").unwrap().chain[0].clone(),
            "transport_ca" => transport
                .trusted_cert("transport_ca")
                .unwrap()
                .cert_der
                .clone(),
            other => panic!("unexpected certificate {other}"),
        }
    };
    let planned = plan["certificates"].as_array().unwrap();
    assert_eq!(planned.len(), 4);
    for c in planned {
        let name = c["name"].as_str().unwrap();
        let got = esac_pki::inspect(&der_of(name)).unwrap();
        let texts = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(got.subject, c["subject"].as_str().unwrap(), "{name}");
        assert_eq!(got.issuer, c["issuer"].as_str().unwrap(), "{name}");
        assert_eq!(
            esac_certspec::Utc(got.not_before).rfc3339(),
            c["not_before"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            esac_certspec::Utc(got.not_after).rfc3339(),
            c["not_after"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            got.validity_days(),
            c["validity_days"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(got.is_ca, c["ca"].as_bool().unwrap(), "{name}");
        let sans: Vec<String> = got.sans.iter().map(ToString::to_string).collect();
        assert_eq!(sans, texts(&c["sans"]), "{name}");
        let ku: Vec<String> = got.key_usage.iter().map(|k| k.name().to_owned()).collect();
        assert_eq!(ku, texts(&c["key_usage"]), "{name}");
        let eku: Vec<String> = got
            .extended_key_usage
            .iter()
            .map(|k| k.name().to_owned())
            .collect();
        assert_eq!(eku, texts(&c["extended_key_usage"]), "{name}");
        assert_eq!(
            got.key_type.map(|k| k.name()),
            c["key_type"].as_str(),
            "{name}"
        );
    }
    // Every planned file is where the plan says, with the planned mode.
    for f in plan["files"].as_array().unwrap() {
        let path = Path::new(f["path"].as_str().unwrap());
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
        if let Some(m) = f["mode"].as_u64() {
            assert_eq!(u64::from(mode), m, "{}", path.display());
        }
    }
    for d in plan["dirs"].as_array().unwrap() {
        assert!(!Path::new(d["path"].as_str().unwrap()).exists(), "renamed");
    }
    // The yml is the original plus exactly the planned block.
    let yml = std::fs::read_to_string(home.yml()).unwrap();
    assert_eq!(
        yml,
        format!("{STOCK_YML}{}", plan["yml"]["append"].as_str().unwrap())
    );
    let names: Vec<&str> = plan["keystore"]["add"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let listed = crate::common::keystore_list(&config, &[]);
    for n in names {
        assert!(listed.iter().any(|l| l == n), "{n} in {listed:?}");
    }
}

/// The reason codes documented in docs/cli.md.
fn documented_reasons() -> Vec<String> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md")).unwrap();
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_reason_code_is_documented() {
    let documented = documented_reasons();
    for r in esac_core::Reason::ALL {
        assert!(
            documented.iter().any(|d| d == r.as_str()),
            "{} is not in docs/cli.md",
            r.as_str()
        );
    }
}

#[test]
fn every_command_prints_one_json_document_on_failure() {
    let documented = documented_reasons();
    let home = ES_AUTOCONF.home(STOCK_YML);
    let cases: &[(&[&str], i32, &str)] = &[
        (&["init", "-E", "novalue"], 64, "usage"),
        (
            &["init", "--enrollment-token", "garbage"],
            65,
            "invalid_token",
        ),
        (&["reconfigure", "--yes"], 64, "usage"),
        (&["keystore", "list"], 65, "keystore_unusable"),
        (&["keystore", "show", "x"], 64, "refused"),
        (
            &["enrollment-token", "--scope", "node", "--url", "http://x"],
            64,
            "usage",
        ),
        (&["renew", "http"], 78, "not_renewable"),
        (&["renew", "http-ca", "-E", "novalue"], 64, "usage"),
        (&["finalize", "-E", "novalue"], 64, "usage"),
    ];
    for (args, code, reason) in cases {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        let run = home.run(&all);
        assert_eq!(run.code, *code, "{args:?}: {run:?}");
        let doc: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: one JSON document ({e}): {run:?}"));
        assert_eq!(doc["version"], 1, "{args:?}");
        assert_eq!(doc["decision"], "error", "{args:?}");
        assert_eq!(doc["exit_code"], *code, "{args:?}");
        assert_eq!(doc["reason"]["code"], *reason, "{args:?}");
        assert!(
            documented.iter().any(|d| d == reason),
            "{reason} is documented"
        );
        assert!(run.stderr.starts_with("ERROR: "), "{args:?}: {run:?}");
    }
}

/// The run's output with what differs between machines and runs replaced.
fn stable(home: &Home, text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for l in filter(text, &[(home.path().to_str().unwrap(), "<HOME>")]).lines() {
        // SANs hold this machine's interface addresses.
        if let Some((indent, _)) = l.split_once("SANs: ") {
            lines.push(format!(
                "{indent}SANs: <this machine's addresses>, DNS:localhost, DNS:node-1"
            ));
        } else {
            lines.push(l.to_owned());
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn dry_run_text_and_json_snapshots() {
    let home = ES_AUTOCONF.home(STOCK_YML);
    let env = [("ESAC_TEST_NOW", NOW)];
    let text = home.run_env(&["init", "--dry-run"], &env);
    assert_eq!(text.code, 0, "{text:?}");
    assert_snapshot(
        &snapshots(),
        "init-dry-run.txt",
        &stable(&home, &text.stdout),
    );

    let json = home.run_env(&["init", "--dry-run", "--format", "json"], &env);
    let mut doc: Value = serde_json::from_str(&json.stdout).unwrap();
    for c in doc["plan"]["certificates"].as_array_mut().unwrap() {
        if !c["sans"].as_array().unwrap().is_empty() {
            c["sans"] =
                serde_json::json!(["<this machine's addresses>", "DNS:localhost", "DNS:node-1"]);
        }
    }
    let pretty = serde_json::to_string_pretty(&doc).unwrap();
    assert_snapshot(&snapshots(), "init-dry-run.json", &stable(&home, &pretty));
}

#[test]
fn skip_messages_snapshot() {
    let cases = [
        ("xpack.security.autoconfiguration.enabled: false\n", vec![]),
        ("xpack.security.enabled: true\n", vec![]),
        ("xpack.security.http.ssl.enabled: true\n", vec![]),
        ("discovery.seed_hosts: [a]\n", vec![]),
        ("node.roles: [data]\n", vec![]),
        ("node.roles: [master]\n", vec![]),
        ("xpack.security.autoconfiguration.enabled: maybe\n", vec![]),
        ("", vec!["data"]),
    ];
    let mut out = String::new();
    for (yml, data) in cases {
        let home = ES_AUTOCONF.home(yml);
        for d in data {
            std::fs::create_dir_all(home.path().join(d)).unwrap();
            std::fs::write(home.path().join(d).join("node.lock"), "").unwrap();
        }
        let run = home.run(&["init", "--dry-run"]);
        out.push_str(&format!(
            "$ init --dry-run   # {}\nexit {}\n{}{}\n",
            yml.trim(),
            run.code,
            run.stdout,
            run.stderr
        ));
    }
    assert_snapshot(&snapshots(), "skip-messages.txt", &out);
}

#[test]
fn help_snapshots() {
    let home = ES_AUTOCONF.home("");
    for (name, args) in [
        ("help.txt", vec!["--help"]),
        ("help-init.txt", vec!["init", "--help"]),
        ("help-renew-http.txt", vec!["renew", "http", "--help"]),
        ("help-renew-http-ca.txt", vec!["renew", "http-ca", "--help"]),
        ("help-finalize.txt", vec!["finalize", "--help"]),
    ] {
        let mut cmd = ES_AUTOCONF.command();
        let out = cmd.args(&args).current_dir(home.path()).output().unwrap();
        assert!(out.status.success());
        assert_snapshot(&snapshots(), name, &String::from_utf8_lossy(&out.stdout));
    }
}
