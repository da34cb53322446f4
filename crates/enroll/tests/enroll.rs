//! The enroll-node client against the in-process test server: every failure shape maps to
//! Elasticsearch's exit code and message; the happy path returns the server's material.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use esac_certspec::{CertParams, CertPlan, KeyType, SanInputs};
use esac_enroll::api::{create_enrollment_token, ApiOptions, TokenScope};
use esac_enroll::testserver::{closed_port_address, Failure, ServerOptions, TestServer};
use esac_enroll::{
    enroll_node, ClientOptions, EnrollError, EnrollErrorKind as Kind, EnrollmentToken,
};
use esac_pki::{generate, AwsLcKeySource, Material};
use esac_secret::Secret;

/// ECDSA keys: generation is instantaneous, the TLS path is the same.
fn material() -> &'static Material {
    static M: OnceLock<Material> = OnceLock::new();
    M.get_or_init(|| {
        material_with(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ])
    })
}

fn material_with(ips: Vec<IpAddr>) -> Material {
    let params = CertParams {
        node_name: "node-1".to_owned(),
        san: SanInputs {
            interface_addresses: ips,
            hostname: "es-test-host".to_owned(),
            publish_hosts: vec![],
        },
        key_type: KeyType::EcdsaP256,
    };
    let now = SystemTime::now();
    generate(&CertPlan::initial(&params, now), &AwsLcKeySource, now).expect("generate")
}

fn opts() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(10),
    }
}

fn server(failure: Failure) -> TestServer {
    TestServer::start(
        material(),
        ServerOptions {
            failure,
            ..ServerOptions::default()
        },
    )
    .expect("start")
}

fn enroll_err(failure: Failure) -> (TestServer, EnrollError) {
    let s = server(failure);
    let e = enroll_node(&s.token(), &opts()).expect_err("must fail");
    (s, e)
}

fn unavailable(token: &EnrollmentToken) -> String {
    format!(
        "Aborting enrolling to cluster. Could not communicate with the node on any of the addresses \
         from the enrollment token. All of [{}] were attempted.",
        token.addresses.join(", ")
    )
}

#[test]
fn happy_path_returns_the_material_pinned_by_the_token() {
    for chunked in [false, true] {
        let s = TestServer::start(
            material(),
            ServerOptions {
                chunked,
                ..ServerOptions::default()
            },
        )
        .unwrap();
        let token = s.token();
        let r = enroll_node(&token, &opts()).expect("enroll");
        assert_eq!(
            esac_pki::sha256_hex(r.received.http_ca.cert_der()),
            token.fingerprint
        );
        assert_eq!(
            r.received.http_ca.cert_der(),
            material().http_ca().cert_der()
        );
        assert_eq!(
            r.received.transport.cert_der(),
            material().transport().cert_der()
        );
        assert_eq!(
            r.received.transport_ca_cert,
            material().transport_ca_cert_der()
        );
        assert_eq!(
            r.nodes_addresses,
            ["192.0.2.20:9300", "[2001:db8::20]:9300"]
        );
        assert_eq!(
            r.url,
            format!("https://{}/_security/enroll/node", s.address())
        );
        assert!(r.attempts.is_empty());
        let req = &s.requests()[0];
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("GET", "/_security/enroll/node")
        );
        let h = |n: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(h("content-type").as_deref(), Some("application/json"));
        assert_eq!(
            h("authorization").as_deref(),
            Some("ApiKey dFlrLUNZOEJ2X3dEN2lkUEhXbDc6VVdRVXhYUldSOVNYVFFvZUtIV2pEQQ==")
        );
        // The received material can sign this node's HTTP certificate.
        let params = CertParams {
            node_name: "node-2".to_owned(),
            san: SanInputs::default(),
            key_type: KeyType::EcdsaP256,
        };
        let now = SystemTime::now();
        esac_pki::generate_enrolled(
            &CertPlan::enrollment(&params, now),
            &r.received,
            &AwsLcKeySource,
            now,
        )
        .expect("enrolled");
    }
}

#[test]
fn unreachable_first_address_then_reachable_second() {
    let s = server(Failure::None);
    let mut token = s.token();
    let closed = closed_port_address().unwrap();
    token.addresses.insert(0, closed.clone());
    let r = enroll_node(&token, &opts()).expect("second address answers");
    assert_eq!(r.attempts.len(), 1);
    assert!(
        r.attempts[0].starts_with(&format!(
            "Unable to communicate with the node on https://{closed}/_security/enroll/node. Error was "
        )),
        "{}",
        r.attempts[0]
    );
}

#[test]
fn wrong_fingerprint_is_unavailable() {
    let s = server(Failure::None);
    let mut token = s.token();
    token.fingerprint = "00".repeat(32);
    let e = enroll_node(&token, &opts()).unwrap_err();
    assert_eq!(
        (e.kind, e.message.clone()),
        (Kind::Unreachable, unavailable(&token))
    );
    assert_eq!(e.attempts.len(), 1);
    assert!(
        e.attempts[0].contains("is not the one pinned by the enrollment token"),
        "{:?}",
        e.attempts
    );
    assert!(
        s.requests().is_empty(),
        "no request may be sent to an unpinned server"
    );
}

#[test]
fn ca_not_in_chain_is_unavailable() {
    let (s, e) = enroll_err(Failure::CaNotInChain);
    assert_eq!(
        (e.kind, e.message.clone()),
        (Kind::Unreachable, unavailable(&s.token()))
    );
    assert!(
        e.attempts[0].contains("CA certificate not in chain, or self-signed certificate"),
        "{:?}",
        e.attempts
    );
}

#[test]
fn certificate_not_valid_for_the_address_is_unavailable() {
    // The HTTP certificate has no 127.0.0.1 SAN.
    let m = material_with(vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))]);
    let s = TestServer::start(&m, ServerOptions::default()).unwrap();
    let e = enroll_node(&s.token(), &opts()).unwrap_err();
    assert_eq!(e.kind, Kind::Unreachable);
    assert!(
        e.attempts[0].contains("not valid for 127.0.0.1"),
        "{:?}",
        e.attempts
    );
}

#[test]
fn non_200_is_unavailable() {
    for status in [401, 403, 500] {
        let (s, e) = enroll_err(Failure::Status(status));
        assert_eq!(
            (e.kind, e.message.clone()),
            (Kind::Unreachable, unavailable(&s.token()))
        );
        assert!(e.attempts.is_empty(), "an HTTP response ends the loop");
    }
}

#[test]
fn wrong_api_key_is_unavailable() {
    let s = server(Failure::None);
    let mut token = s.token();
    token.api_key = Secret::from_str_copy("id:wrong");
    let e = enroll_node(&token, &opts()).unwrap_err();
    assert_eq!(e.kind, Kind::Unreachable);
}

#[test]
fn empty_or_non_json_body_is_a_failed_attempt() {
    for failure in [Failure::EmptyBody, Failure::NotJson] {
        let (s, e) = enroll_err(failure);
        assert_eq!(
            (e.kind, e.message.clone()),
            (Kind::Unreachable, unavailable(&s.token()))
        );
        assert_eq!(e.attempts.len(), 1);
    }
    let (_, e) = enroll_err(Failure::EmptyBody);
    assert!(e.attempts[0].ends_with("Error was Invalid string provided as http response body, Failed to parse content to form response body."), "{:?}", e.attempts);
}

#[test]
fn null_body_is_empty_response() {
    let (s, e) = enroll_err(Failure::NullBody);
    assert_eq!(e.kind, Kind::InvalidResponse);
    assert_eq!(
        e.message,
        format!(
            "Aborting enrolling to cluster. Empty response when calling the enroll node API (https://{}/_security/enroll/node)",
            s.address()
        )
    );
}

#[test]
fn missing_fields_are_listed() {
    let (s, e) = enroll_err(Failure::MissingFields(vec![
        "transport_cert".into(),
        "http_ca_key".into(),
        "nodes_addresses".into(),
    ]));
    assert_eq!(e.kind, Kind::InvalidResponse);
    assert_eq!(
        e.message,
        format!(
            "Aborting enrolling to cluster. Invalid response when calling the enroll node API (https://{}/_security/enroll/node). \
             The following fields were empty or missing : [http_ca_key, transport_cert, nodes_addresses]",
            s.address()
        )
    );
}

#[test]
fn multiple_certificates_and_bad_keys() {
    let (_, e) = enroll_err(Failure::MultipleCertificates);
    assert_eq!(e.kind, Kind::InvalidResponse);
    assert_eq!(e.message, "Aborting enrolling to cluster. Failed to parse Certificate from the response of the Enroll Node API");
    assert_eq!(
        e.detail.as_deref(),
        Some("Enroll node API returned multiple certificates")
    );
    let (_, e) = enroll_err(Failure::BadKey);
    assert_eq!(e.kind, Kind::InvalidResponse);
    assert_eq!(e.message, "Aborting enrolling to cluster. Failed to parse Private Key from the response of the Enroll Node API");
}

/// review-security.md L1: a peer holding the pinned CA answers with addresses that would write
/// settings into elasticsearch.yml; only `ip:port` transport addresses are accepted.
#[test]
fn addresses_that_are_not_transport_addresses_are_an_invalid_response() {
    let injection = "10.0.0.1:9300\"]\nxpack.security.authc.anonymous.roles: superuser\n#";
    let cases = [
        (
            serde_json::json!([injection]),
            "10.0.0.1:9300\\\"]\\nxpack.security.authc.anonymous.roles: superuser\\n#",
        ),
        (
            serde_json::json!(["192.0.2.1:9300", "es-2:9300"]),
            "es-2:9300",
        ),
        (serde_json::json!(["192.0.2.1:9300", 9300]), "9300"),
        (serde_json::json!([{"a": "b"}]), "{\\\"a\\\":\\\"b\\\"}"),
    ];
    for (addresses, shown) in cases {
        let (s, e) = enroll_err(Failure::NodesAddresses(addresses.clone()));
        assert_eq!(e.kind, Kind::InvalidResponse, "{addresses}");
        assert_eq!(
            e.message,
            format!(
                "Aborting enrolling to cluster. Invalid response when calling the enroll node API (https://{}/_security/enroll/node). \
                 The node address [{shown}] in nodes_addresses is not a transport address (ip:port)",
                s.address()
            ),
            "{addresses}"
        );
        assert!(!e.message.contains('\n'), "{}", e.message);
    }
    // IPv4 and IPv6 literals are what Elasticsearch sends.
    let s = server(Failure::NodesAddresses(serde_json::json!([
        "192.0.2.1:9300",
        "[2001:db8::1]:9301"
    ])));
    let r = enroll_node(&s.token(), &opts()).expect("enroll");
    assert_eq!(r.nodes_addresses, ["192.0.2.1:9300", "[2001:db8::1]:9301"]);
}

/// review-security.md L7: a peer that sends one byte every 50 ms never trips the 5 s read
/// timeout; the deadline ends the attempt.
#[test]
fn a_peer_that_trickles_bytes_is_cut_off_at_the_deadline() {
    let s = server(Failure::Trickle(Duration::from_millis(50)));
    let o = ClientOptions {
        deadline: Duration::from_millis(1500),
        ..opts()
    };
    let started = std::time::Instant::now();
    let e = enroll_node(&s.token(), &o).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind, Kind::Unreachable);
    assert!(
        e.attempts[0].ends_with("Error was Read timed out (no complete answer within 1500 ms)"),
        "{:?}",
        e.attempts
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// review-security.md L2 (a panic, exit 101) and an interim-response flood, through TLS.
#[test]
fn broken_http_answers_are_failed_attempts() {
    let l2 = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\n";
    let flood = "HTTP/1.1 100 Continue\r\n\r\n".repeat(50);
    for (raw, why) in [
        (l2.to_vec(), "response body too large"),
        (flood.into_bytes(), "too many interim (1xx) responses"),
    ] {
        let (s, e) = enroll_err(Failure::Raw(raw));
        assert_eq!(
            (e.kind, e.message.clone()),
            (Kind::Unreachable, unavailable(&s.token()))
        );
        assert!(e.attempts[0].ends_with(why), "{:?}", e.attempts);
    }
}

#[test]
fn no_address_answers() {
    let token = EnrollmentToken {
        version: "8.14.0".into(),
        addresses: vec![
            closed_port_address().unwrap(),
            closed_port_address().unwrap(),
            "not an address".into(),
        ],
        fingerprint: "ab".into(),
        api_key: Secret::from_str_copy("id:secret"),
    };
    let e = enroll_node(&token, &opts()).unwrap_err();
    assert_eq!(
        (e.kind, e.message.clone()),
        (Kind::Unreachable, unavailable(&token))
    );
    assert_eq!(e.attempts.len(), 3);
    assert!(!format!("{e:?}").contains("secret"));
}

#[test]
fn token_round_trip() {
    let s = server(Failure::None);
    let t = s.token();
    let encoded = t.encode();
    assert_eq!(
        EnrollmentToken::decode(encoded.expose_str().unwrap()).unwrap(),
        t
    );
}

#[test]
fn created_token_enrolls() {
    let s = server(Failure::None);
    let opts_api = |password: &str| {
        let mut o = ApiOptions::new(
            s.address(),
            material().http_ca().cert_der().to_vec(),
            Secret::from_str_copy(password),
            TokenScope::Node,
        );
        o.read_timeout = Duration::from_secs(5);
        o.deadline = Duration::from_secs(10);
        o
    };
    let token =
        create_enrollment_token(&opts_api(&ServerOptions::default().password)).expect("create");
    assert_eq!(token.version, "8.14.0");
    assert_eq!(
        token.addresses,
        [
            s.address(),
            format!("[::1]:{}", s.address().rsplit(':').next().unwrap())
        ]
    );
    assert_eq!(token.fingerprint, material().http_ca_fingerprint());
    let req = s
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(req.path, "/_security/api_key");
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["expiration"], "30m");
    assert_eq!(
        body["role_descriptors"]["create_enrollment_token"]["cluster"][0],
        "cluster:admin/xpack/security/enroll/node"
    );
    let name = body["name"].as_str().unwrap();
    assert!(
        name.starts_with("enrollment_token_API_key_") && name.len() == 45,
        "{name}"
    );
    // Only the IPv4 address is served by the test server; the token works.
    let mut first_only = token.clone();
    first_only.addresses.truncate(1);
    enroll_node(&first_only, &opts()).expect("enroll with the created token");

    let e = create_enrollment_token(&opts_api("wrong")).unwrap_err();
    assert_eq!(e.kind, Kind::TokenCreation);
    assert_eq!(
        e.message,
        "Unable to create enrollment token for scope [node]"
    );
    assert!(e.detail.unwrap().contains("Unexpected response code [401]"));
}

#[test]
fn created_token_rejects_a_server_with_another_ca() {
    let s = server(Failure::None);
    let other = material_with(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    let o = ApiOptions::new(
        s.address(),
        other.http_ca().cert_der().to_vec(),
        Secret::from_str_copy("x"),
        TokenScope::Kibana,
    );
    let e = create_enrollment_token(&o).unwrap_err();
    assert_eq!(e.kind, Kind::TokenCreation);
    assert!(s.requests().is_empty());
}

/// `renew http --wait-reload` compares what a node serves with what it wrote: the chain is
/// recorded whatever CA signed it (here one no client trusts) and whatever name it is for.
#[test]
fn served_chain_records_what_the_node_presents() {
    let m = material_with(vec![IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))]);
    let s = TestServer::start(&m, ServerOptions::default()).unwrap();
    let chain = esac_enroll::served::served_chain(
        &format!("https://{}/", s.address()),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(chain[0], m.http().cert_der());
    assert_eq!(chain[1], m.http_ca().cert_der());
    assert!(s.requests().is_empty(), "no request is sent");
}
