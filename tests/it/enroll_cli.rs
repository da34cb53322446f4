//! Growing the cluster end to end: node A is auto-configured by `init`; an in-process server
//! (real TLS, real HTTP) answers `GET /_security/enroll/node` with A's material read back from A's
//! files; node B joins with `init --enrollment-token`. Then (feature `interop`) the JDK proves A
//! and B trust each other on the transport layer, and openssl that B's HTTP certificate chains to
//! A's HTTP CA. Failure shapes map to Elasticsearch's exit codes and leave B untouched;
//! `reconfigure` restores on failure. Hostile or broken peers (YAML in the addresses, bad chunk
//! sizes, interim floods, trickled bytes) change nothing and end with Elasticsearch's codes; the
//! token can come from a file, standard input or `ENROLLMENT_TOKEN`, and then never appears in
//! the process list.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use esac_enroll::testserver::{Failure, ServerOptions, TestServer};
use esac_enroll::EnrollmentToken;
use esac_secret::Secret;
use esac_testkit::fixtures::{key_pool, key_pool_dir};
use esac_testkit::{assert_same_tree, Home, Run};

use crate::common::{assert_configured, keystore_list, keystore_show, STOCK_YML};
use crate::ES_AUTOCONF;

/// A's material, read back from A's config dir the way a node serving enrollment would.
fn material_of(config: &Path) -> esac_pki::Material {
    let pw = |name: &str| Secret::from_string(keystore_show(config, name, &[]));
    let http = std::fs::read(config.join("certs/http.p12")).unwrap();
    let transport = std::fs::read(config.join("certs/transport.p12")).unwrap();
    let http = esac_pki::read_p12(
        &http,
        &pw("xpack.security.http.ssl.keystore.secure_password"),
    )
    .unwrap();
    let transport = esac_pki::read_p12(
        &transport,
        &pw("xpack.security.transport.ssl.keystore.secure_password"),
    )
    .unwrap();
    let ca = http.key_entry("http_ca").unwrap().certified_key().unwrap();
    let t = transport
        .key_entry("transport")
        .unwrap()
        .certified_key()
        .unwrap();
    let tca = transport
        .trusted_cert("transport_ca")
        .unwrap()
        .cert_der
        .clone();
    let received = esac_pki::Received::from_der(
        ca.key().pkcs8_der().clone(),
        ca.cert_der(),
        t.key().pkcs8_der().clone(),
        t.cert_der(),
        &tca,
    )
    .unwrap();
    let params = esac_certspec::CertParams {
        node_name: "node-a".into(),
        san: esac_certspec::SanInputs {
            interface_addresses: vec!["127.0.0.1".parse().unwrap()],
            hostname: "node-a".into(),
            publish_hosts: vec![],
        },
        key_type: esac_certspec::KeyType::EcdsaP256,
    };
    let now = SystemTime::now();
    let plan = esac_certspec::CertPlan::enrollment(&params, now);
    esac_pki::generate_enrolled(&plan, &received, &key_pool(), now).unwrap()
}

pub(crate) fn node_a() -> Home {
    let a = ES_AUTOCONF.home(STOCK_YML);
    let run = a.init(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    a
}

pub(crate) fn server(a: &Home, failure: Failure) -> TestServer {
    let opts = ServerOptions {
        failure,
        nodes_addresses: vec!["127.0.0.1:9300".into()],
        ..ServerOptions::default()
    };
    TestServer::start(&material_of(&a.config()), opts).unwrap()
}

pub(crate) fn token_string(t: &EnrollmentToken) -> String {
    t.encode().expose_str().unwrap().to_owned()
}

pub(crate) fn enroll(b: &Home, token: &str) -> Run {
    enroll_env(b, token, &[])
}

fn enroll_env(b: &Home, token: &str, env: &[(&str, &str)]) -> Run {
    b.init_env(
        &["--key-type", "ecdsa-p256", "--enrollment-token", token],
        env,
    )
}

/// The `elastic` password the test server accepts.
const PASSWORD: &str = "elastic-test-password";

/// `es-autoconf <global> enrollment-token --scope <scope> --url <srv> --password-file <file>` on
/// `a`, the file (in `a`'s home) holding `password`.
fn enrollment_token(
    a: &Home,
    srv: &TestServer,
    scope: &str,
    password: &str,
    global: &[&str],
) -> Run {
    let file = a.path().join("pw");
    std::fs::write(&file, format!("{password}\n")).unwrap();
    let url = format!("https://{}", srv.address());
    let args = [
        "enrollment-token",
        "--scope",
        scope,
        "--url",
        &url,
        "--password-file",
        file.to_str().unwrap(),
    ];
    a.run(&[global, &args].concat())
}

/// A new node enrolls (with `env`) through a server of `a` whose answer fails as `failure`: the
/// run ends with `code`, says `text` and leaves the node exactly as it was. Returns the run, its
/// failure's name and how long it took.
fn failed_enrollment(
    a: &Home,
    failure: &Failure,
    code: i32,
    text: &str,
    env: &[(&str, &str)],
) -> (Run, String, Duration) {
    let srv = server(a, failure.clone());
    let b = ES_AUTOCONF.home(STOCK_YML);
    let before = b.stable_snapshot();
    let started = Instant::now();
    let run = enroll_env(&b, &token_string(&srv.token()), env);
    let took = started.elapsed();
    let name = format!("{failure:?}").chars().take(60).collect::<String>();
    assert_eq!(run.code, code, "{name}: {run:?}");
    assert!(run.stderr.contains(text), "{name}: {run:?}");
    assert_same_tree(&before, &b.stable_snapshot(), &name);
    (run, name, took)
}

/// review-security.md L1, L2 and L7: a peer that holds the pinned CA but answers with YAML in
/// its addresses, a chunk size that overflows, an endless run of interim responses, or one byte
/// at a time. Each run ends with Elasticsearch's code for it, says why, and leaves the node
/// exactly as it was (so it can try again).
#[test]
fn hostile_or_broken_peers_change_nothing() {
    let a = node_a();
    let injection = "10.0.0.1:9300\"]\nxpack.security.authc.anonymous.roles: superuser\n#";
    let l2 = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\n";
    let cases: Vec<(Failure, i32, &str)> = vec![
        (
            Failure::NodesAddresses(serde_json::json!(["192.0.2.7:9300", injection])),
            65,
            "The node address [10.0.0.1:9300\\\"]\\nxpack.security.authc.anonymous.roles: superuser\\n#] in nodes_addresses is not a transport address (ip:port)",
        ),
        (
            Failure::NodesAddresses(serde_json::json!(["es-2.example.com:9300"])),
            65,
            "The node address [es-2.example.com:9300] in nodes_addresses",
        ),
        (Failure::Raw(l2.to_vec()), 69, "Error was response body too large"),
        (
            Failure::Raw("HTTP/1.1 100 Continue\r\n\r\n".repeat(100).into_bytes()),
            69,
            "Error was too many interim (1xx) responses",
        ),
        (
            Failure::Trickle(Duration::from_millis(50)),
            69,
            "Error was Read timed out (no complete answer within 2500 ms)",
        ),
    ];
    for (failure, code, text) in cases {
        let env = [("ESAC_TEST_HTTP_DEADLINE_MS", "2500")];
        let (run, name, took) = failed_enrollment(&a, &failure, code, text, &env);
        assert!(!run.stderr.contains("panicked"), "{name}: {run:?}");
        // The peer's value is shown escaped: it cannot forge lines on the operator's terminal.
        assert!(
            !run.stderr.contains("\nxpack.security.authc"),
            "{name}: {run:?}"
        );
        assert!(took < Duration::from_secs(30), "{name}: {took:?}");
    }
}

/// The token as a command-line value is readable by every local user in `/proc/<pid>/cmdline`;
/// from a file, standard input or the environment it is not, and it is never printed.
#[test]
fn the_token_can_come_from_a_file_standard_input_or_the_environment() {
    let a = node_a();
    let srv = server(&a, Failure::None);
    let token = token_string(&srv.token());
    let pool = key_pool_dir();
    let pool = pool.to_str().unwrap();
    let args = ["init", "--key-type", "ecdsa-p256"];

    // A file, with the line break an editor or `echo` leaves.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let file = b.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let run = b.run_env(
        &[
            &args[..],
            &["--enrollment-token-file", file.to_str().unwrap()],
        ]
        .concat(),
        &[("ESAC_TEST_KEY_POOL", pool)],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&b.config(), &[]);
    assert!(
        !run.stdout.contains(&token) && !run.stderr.contains(&token),
        "{run:?}"
    );

    // The first line of standard input.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let run = Run::with_stdin(
        &mut b.pool_command(&[&args[..], &["--enrollment-token-file", "-"]].concat()),
        format!("{token}\r\n").as_bytes(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&b.config(), &[]);

    // ENROLLMENT_TOKEN, as in Elasticsearch's Docker image.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let run = b.run_env(
        &args,
        &[("ESAC_TEST_KEY_POOL", pool), ("ENROLLMENT_TOKEN", &token)],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&b.config(), &[]);
    assert!(
        !run.stdout.contains(&token) && !run.stderr.contains(&token),
        "{run:?}"
    );
    assert_eq!(srv.requests().len(), 3);

    // An empty ENROLLMENT_TOKEN is no token (a plain first start); reconfigure still needs one.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let run = b.run_env(&["init", "--dry-run"], &[("ENROLLMENT_TOKEN", "")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("cluster.initial_master_nodes"),
        "{run:?}"
    );

    // Both options: a usage error. A missing, empty or oversized file: nothing changes.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let before = b.stable_snapshot();
    let run = b.run(
        &[
            &args[..],
            &["--enrollment-token", &token, "--enrollment-token-file", "-"],
        ]
        .concat(),
    );
    assert_eq!(run.code, 64, "{run:?}");
    let missing = b.path().join("missing");
    let empty = b.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let huge = b.path().join("huge");
    std::fs::write(&huge, token.repeat(200)).unwrap();
    for (file, code, text) in [
        (&missing, 66, "No such file"),
        (&empty, 65, "it is empty"),
        (&huge, 65, "longer than 16384 bytes"),
    ] {
        let run = b.run(
            &[
                &args[..],
                &["--enrollment-token-file", file.to_str().unwrap()],
            ]
            .concat(),
        );
        assert_eq!(run.code, code, "{run:?}");
        assert!(
            run.stderr.starts_with(&format!(
                "ERROR: cannot read the enrollment token from [{}]: ",
                file.display()
            )),
            "{run:?}"
        );
        assert!(run.stderr.contains(text), "{run:?}");
        assert!(!run.stderr.contains(&token), "{run:?}");
    }
    let _ = std::fs::remove_file(&empty);
    let _ = std::fs::remove_file(&huge);
    assert_same_tree(&before, &b.stable_snapshot(), "token file errors");
}

/// While a run waits for the cluster, `/proc/<pid>/cmdline` holds the file's name, never the
/// token; with `--enrollment-token` it would (the reason for the file).
#[test]
fn a_token_from_a_file_is_not_in_the_process_list() {
    let a = node_a();
    let srv = server(&a, Failure::Stall(Duration::from_secs(3)));
    let token = token_string(&srv.token());
    let b = ES_AUTOCONF.home(STOCK_YML);
    let file = b.path().join("token");
    std::fs::write(&file, &token).unwrap();
    let spawn = |b: &Home, token_args: &[&str]| {
        b.pool_command(&[&["init", "--key-type", "ecdsa-p256"], token_args].concat())
            .spawn()
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let wait_for_requests = |n: usize| {
        while srv.requests().len() < n {
            assert!(
                Instant::now() < deadline,
                "the run never reached the cluster"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let child = spawn(&b, &["--enrollment-token-file", file.to_str().unwrap()]);
    wait_for_requests(1);
    // The run is now waiting for the stalled answer.
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(cmdline.contains("--enrollment-token-file"), "{cmdline}");
    assert!(!cmdline.contains(&token), "{cmdline}");
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&b.config(), &[]);

    // The same look finds a token given as a command-line value.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let child = spawn(&b, &["--enrollment-token", &token]);
    wait_for_requests(2);
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    assert!(String::from_utf8_lossy(&cmdline).contains(&token));
    let run = Run::from(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn second_node_joins_and_trusts_the_first() {
    let a = node_a();
    let srv = server(&a, Failure::None);
    let b = ES_AUTOCONF.home(STOCK_YML);
    let run = enroll(&b, &token_string(&srv.token()));
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&b.config(), &[]);
    let yml = std::fs::read_to_string(b.yml()).unwrap();
    assert!(yml.contains("# Discover existing nodes in the cluster\ndiscovery.seed_hosts: [\"127.0.0.1:9300\"]\n"), "{yml}");
    assert!(!yml.contains("cluster.initial_master_nodes"), "{yml}");
    // Only loopback addresses in the cluster: transport.host stays commented ([T+] rule).
    assert!(yml.contains("\n#transport.host: 0.0.0.0\n"), "{yml}");
    // The request was Elasticsearch's.
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("GET", "/_security/enroll/node")
    );
    assert!(reqs[0]
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v.starts_with("ApiKey ")));
    // No elastic password for a node joining a cluster that has one.
    assert!(!keystore_list(&b.config(), &[])
        .iter()
        .any(|n| n == "autoconfiguration.password_hash"));
    // B's HTTP CA is A's.
    assert_eq!(
        std::fs::read(a.config().join("certs/http_ca.crt")).unwrap(),
        std::fs::read(b.config().join("certs/http_ca.crt")).unwrap()
    );

    #[cfg(feature = "interop")]
    interop::transport_and_http_trust(&a, &b);
}

#[test]
fn failure_shapes_map_to_elasticsearch_codes_and_change_nothing() {
    let a = node_a();
    let cases: Vec<(Failure, i32, &str)> = vec![
        (
            Failure::CaNotInChain,
            69,
            "Could not communicate with the node on any of the addresses",
        ),
        (
            Failure::Status(500),
            69,
            "Could not communicate with the node on any of the addresses",
        ),
        (Failure::EmptyBody, 69, "Could not communicate"),
        (
            Failure::MissingFields(vec!["transport_key".into(), "nodes_addresses".into()]),
            65,
            "The following fields were empty or missing",
        ),
        (
            Failure::MultipleCertificates,
            65,
            "Failed to parse Certificate from the response of the Enroll Node API",
        ),
        (
            Failure::BadKey,
            65,
            "Failed to parse Private Key from the response of the Enroll Node API",
        ),
    ];
    for (failure, code, text) in cases {
        failed_enrollment(&a, &failure, code, text, &[]);
    }

    // Wrong fingerprint: the pinned CA does not match.
    let srv = server(&a, Failure::None);
    let mut t = srv.token();
    t.fingerprint = "0".repeat(64);
    let b = ES_AUTOCONF.home(STOCK_YML);
    let before = b.stable_snapshot();
    let run = enroll(&b, &token_string(&t));
    assert_eq!(run.code, 69, "{run:?}");
    assert!(
        run.stderr
            .contains("Unable to communicate with the node on"),
        "{run:?}"
    );
    assert_same_tree(&before, &b.stable_snapshot(), "wrong fingerprint");

    // Unreachable first address, reachable second: enrolls through the second.
    let mut t = srv.token();
    t.addresses
        .insert(0, esac_enroll::testserver::closed_port_address().unwrap());
    let b = ES_AUTOCONF.home(STOCK_YML);
    let run = enroll(&b, &token_string(&t));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("Unable to communicate with the node on"),
        "{run:?}"
    );

    // Invalid token.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let run = enroll(&b, "not-a-token");
    assert_eq!(run.code, 65, "{run:?}");
    assert!(run.stderr.contains("Invalid enrollment token"), "{run:?}");

    // Every skip is fatal in enrollment mode.
    let b = ES_AUTOCONF.home("xpack.security.enabled: true\n");
    let run = enroll(&b, &token_string(&srv.token()));
    assert_eq!(run.code, 80, "{run:?}");
    assert!(
        run.stderr
            .starts_with("ERROR: Skipping security auto configuration"),
        "{run:?}"
    );
}

#[test]
fn dry_run_with_a_token_contacts_nobody() {
    let a = node_a();
    let srv = server(&a, Failure::None);
    let b = ES_AUTOCONF.home(STOCK_YML);
    let before = b.snapshot();
    let run = b.run(&[
        "init",
        "--dry-run",
        "--enrollment-token",
        &token_string(&srv.token()),
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("was contacted"), "{run:?}");
    assert!(run.stdout.contains("discovery.seed_hosts"), "{run:?}");
    assert!(srv.requests().is_empty());
    assert_eq!(before, b.snapshot());
}

#[test]
fn reconfigure_a_package_node_and_restore_on_failure() {
    let a = node_a();
    let srv = server(&a, Failure::None);
    // Node C was auto-configured on its own (as a package install is), and the operator added a
    // setting inside the block.
    let c = node_a();
    let yml = std::fs::read_to_string(c.yml()).unwrap();
    std::fs::write(
        c.yml(),
        yml.replace(
            "http.host: 0.0.0.0\n",
            "http.host: 0.0.0.0\nhttp.port: 9201\n",
        ),
    )
    .unwrap();
    let token = token_string(&srv.token());
    let pool = key_pool_dir();
    let pool = pool.to_str().unwrap();

    // Without a terminal and without --yes: refused, nothing changed.
    let before = c.stable_snapshot();
    let run = c.run_env(
        &["reconfigure", "--enrollment-token", &token],
        &[("ESAC_TEST_KEY_POOL", pool)],
    );
    assert_eq!(run.code, 64, "{run:?}");
    assert_same_tree(&before, &c.stable_snapshot(), "no confirmation");

    // Enrollment fails (server gone): unlike Elasticsearch, the previous configuration stays.
    let dead = server(&a, Failure::Status(503));
    let run = c.run_env(
        &[
            "reconfigure",
            "--yes",
            "--enrollment-token",
            &token_string(&dead.token()),
        ],
        &[("ESAC_TEST_KEY_POOL", pool)],
    );
    assert_eq!(run.code, 69, "{run:?}");
    assert_same_tree(&before, &c.stable_snapshot(), "failed enrollment");

    // Success: one block, joined to A, the user's setting kept, the old CA gone.
    let run = c.run_env(
        &[
            "reconfigure",
            "--yes",
            "--key-type",
            "ecdsa-p256",
            "--enrollment-token",
            &token,
        ],
        &[("ESAC_TEST_KEY_POOL", pool)],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&c.config(), &[]);
    let yml = std::fs::read_to_string(c.yml()).unwrap();
    assert!(
        yml.contains("discovery.seed_hosts: [\"127.0.0.1:9300\"]"),
        "{yml}"
    );
    assert!(!yml.contains("cluster.initial_master_nodes"), "{yml}");
    assert!(yml.contains("\nhttp.port: 9201\n"), "{yml}");
    assert_eq!(
        std::fs::read(a.config().join("certs/http_ca.crt")).unwrap(),
        std::fs::read(c.config().join("certs/http_ca.crt")).unwrap()
    );
    let orig: Vec<_> = std::fs::read_dir(c.config())
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.starts_with("certs.").then_some(n)
        })
        .collect();
    assert!(
        orig.is_empty(),
        "old certs must be removed after a successful reconfigure: {orig:?}"
    );

    // A node that was never auto-configured cannot be reconfigured.
    let plain = ES_AUTOCONF.home(STOCK_YML);
    let run = plain.run(&["reconfigure", "--yes", "--enrollment-token", &token]);
    assert_eq!(run.code, 64, "{run:?}");
    assert!(
        run.stderr.contains("doesn't appear to be auto-configured"),
        "{run:?}"
    );
    let run = plain.run(&["reconfigure", "--yes"]);
    assert_eq!(run.code, 64);
    assert!(run
        .stderr
        .contains("enrollment-token is a mandatory parameter when reconfiguring the node"));
}

#[test]
fn enrollment_token_command_creates_a_token_for_the_node() {
    let a = node_a();
    let srv = server(&a, Failure::None);
    let run = enrollment_token(&a, &srv, "node", PASSWORD, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let token = EnrollmentToken::decode(run.stdout.trim()).unwrap();
    // The token pins A's HTTP CA: the fingerprint esac-pki computes from A's files, and the one
    // openssl computes from `http_ca.crt`.
    assert_eq!(token.fingerprint, srv.token().fingerprint);
    #[cfg(feature = "interop")]
    interop::assert_openssl_fingerprint(&a.config().join("certs/http_ca.crt"), &token.fingerprint);
    assert!(!token.addresses.is_empty());

    // Wrong password: an error, no token.
    let run = enrollment_token(&a, &srv, "kibana", "wrong", &[]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stdout.trim().is_empty());
    // No terminal and no password file: refused.
    let url = format!("https://{}", srv.address());
    let run = a.run(&["enrollment-token", "--scope", "kibana", "--url", &url]);
    assert_eq!(run.code, 64, "{run:?}");
}

/// The outside tools' half of the tests above.
#[cfg(feature = "interop")]
mod interop {
    use std::path::Path;
    use std::process::Command;
    use std::time::Duration;

    use esac_testkit::tools::{require_tool, run_tool, success};
    use esac_testkit::Home;

    use crate::common::keystore_show;

    /// Generous: only a program that hangs should reach it.
    const LIMIT: Duration = Duration::from_secs(300);

    /// The JDK: A's and B's `transport.p12` complete a mutual-TLS handshake in both directions.
    /// openssl: B's HTTP certificate verifies against A's `http_ca.crt`.
    pub fn transport_and_http_trust(a: &Home, b: &Home) {
        let pw = |h: &Home| {
            keystore_show(
                &h.config(),
                "xpack.security.transport.ssl.keystore.secure_password",
                &[],
            )
        };
        // `layout`'s JDK check: every ordered pair completes mutual TLS (both directions here).
        let out = run_tool(
            Command::new(require_tool("java"))
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/BundleTls.java"))
                .arg("transport")
                .arg(a.config().join("certs/transport.p12"))
                .arg(b.config().join("certs/transport.p12"))
                .env("P12_PASSWORD_0", pw(a))
                .env("P12_PASSWORD_1", pw(b)),
            b"",
            LIMIT,
        );
        let text = success("java BundleTls transport", &out);
        assert_eq!(text.matches("OK node").count(), 2, "{text}");

        let openssl = require_tool("openssl");
        let http_pw = keystore_show(
            &b.config(),
            "xpack.security.http.ssl.keystore.secure_password",
            &[],
        );
        let leaf = b.path().join("b-http.pem");
        let out = run_tool(
            Command::new(&openssl)
                .args(["pkcs12", "-nokeys", "-clcerts", "-in"])
                .arg(b.config().join("certs/http.p12"))
                .args(["-passin", &format!("pass:{http_pw}"), "-out"])
                .arg(&leaf),
            b"",
            LIMIT,
        );
        success("openssl pkcs12", &out);
        let pem = std::fs::read_to_string(&leaf).unwrap();
        let first = &pem[pem.find("-----BEGIN CERTIFICATE-----").unwrap()
            ..pem.find("-----END CERTIFICATE-----").unwrap() + 25];
        let only = b.path().join("b-leaf.pem");
        std::fs::write(&only, format!("{first}\n")).unwrap();
        let out = run_tool(
            Command::new(&openssl)
                .args(["verify", "-purpose", "sslserver", "-CAfile"])
                .arg(a.config().join("certs/http_ca.crt"))
                .arg(&only),
            b"",
            LIMIT,
        );
        success("openssl verify", &out);
    }

    /// openssl's SHA-256 fingerprint of the certificate `pem` contains `fingerprint` (lowercase
    /// hex without colons).
    pub fn assert_openssl_fingerprint(pem: &Path, fingerprint: &str) {
        let out = run_tool(
            Command::new(require_tool("openssl"))
                .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
                .arg(pem),
            b"",
            LIMIT,
        );
        success("openssl x509 -fingerprint", &out);
        let fpr = String::from_utf8_lossy(&out.stdout)
            .to_lowercase()
            .replace(':', "");
        assert!(fpr.contains(fingerprint), "{fpr} vs {fingerprint}");
    }
}

/// Elasticsearch's packaging test (`reconfigure` of a node whose keystore has a password,
/// given the wrong one) expects exit 74 and "Error was: Provided keystore password was
/// incorrect". Nothing changes (the enrollment answer is discarded).
#[test]
fn reconfigure_with_a_wrong_keystore_password_exits_74() {
    use esac_keystore::FormatVersion;
    use esac_testkit::fixtures::{keystore_with, write_keystore};

    let a = node_a();
    let srv = server(&a, Failure::None);
    // Node C: auto-configured on a keystore protected by a password.
    let c = ES_AUTOCONF.home(STOCK_YML);
    write_keystore(
        &c.config(),
        &keystore_with(&[]),
        "right password",
        FormatVersion::V5,
    );
    let dir = tempfile::tempdir().unwrap();
    let right = dir.path().join("right");
    let wrong = dir.path().join("wrong");
    std::fs::write(&right, "right password\n").unwrap();
    std::fs::write(&wrong, "wrong password\n").unwrap();
    let right_env = [("ES_KEYSTORE_PASSPHRASE_FILE", right.to_str().unwrap())];
    let run = c.init_env(&["--key-type", "ecdsa-p256"], &right_env);
    assert_eq!(run.code, 0, "{run:?}");
    assert_configured(&c.config(), &right_env);

    let before = c.stable_snapshot();
    let pool = key_pool_dir();
    let run = c.run_env(
        &[
            "reconfigure",
            "--yes",
            "--enrollment-token",
            &token_string(&srv.token()),
        ],
        &[
            ("ESAC_TEST_KEY_POOL", pool.to_str().unwrap()),
            ("ES_KEYSTORE_PASSPHRASE_FILE", wrong.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 74, "{run:?}");
    assert!(
        run.stderr.contains(
            "ERROR: Aborting enrolling to cluster. Unable to remove existing secure settings. Error was: Provided keystore password was incorrect"
        ),
        "{run:?}"
    );
    assert_same_tree(&before, &c.stable_snapshot(), "wrong keystore password");
}

/// "Unable to create enrollment token" alone does not say why; with `-v` the cause follows, as
/// Elasticsearch prints it in verbose mode: here a node whose HTTP certificate another CA signed.
#[test]
fn enrollment_failures_show_their_cause_with_verbose() {
    let a = node_a();
    // Another node: the key pool repeats its keys, so a different key type gives another CA.
    let other = ES_AUTOCONF.home(STOCK_YML);
    assert_eq!(other.init(&["--key-type", "rsa-2048"]).code, 0);
    let srv = server(&other, Failure::None);
    let run = enrollment_token(&a, &srv, "node", PASSWORD, &[]);
    assert_eq!(run.code, 73, "{run:?}");
    assert_eq!(
        run.stderr,
        "ERROR: Unable to create enrollment token for scope [node]\n"
    );
    let run = enrollment_token(&a, &srv, "node", PASSWORD, &["-v"]);
    assert_eq!(run.code, 73, "{run:?}");
    // Both CAs have Elasticsearch's fixed name, so the issuer is found and its signature fails
    // (a CA with another name gives `UnknownIssuer`).
    assert!(
        run.stderr.contains(
            "ERROR: Unable to create enrollment token for scope [node]\nCaused by: invalid peer certificate: BadSignature\n"
        ),
        "{run:?}"
    );
    assert!(srv.requests().is_empty(), "no request to an untrusted node");

    // Enrolling: the per-address lines carry the cause, and -v adds the answer's detail.
    let b = ES_AUTOCONF.home(STOCK_YML);
    let bad_key = server(&a, Failure::BadKey);
    let run = b.init(&[
        "-v",
        "--key-type",
        "ecdsa-p256",
        "--enrollment-token",
        &token_string(&bad_key.token()),
    ]);
    assert_eq!(run.code, 65, "{run:?}");
    assert!(run.stderr.contains("Caused by: "), "{run:?}");
}
