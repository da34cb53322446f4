//! `GET https://<adr>/_security/enroll/node` with the token's API key, trusting the server only by
//! the pinned HTTP CA fingerprint (spec 7.2), and validation of the response (spec 7.4).
//!
//! Trust: the server must send at least two certificates; the SHA-256 of the second must equal the
//! token's `fgr`; the leaf must be signed by that CA and carry the address as an `iPAddress` or
//! `dNSName` SAN (the JDK's hostname check, which Elasticsearch keeps). As in Elasticsearch's
//! pinning trust manager, validity dates are not checked (the operator pinned this exact CA).
//!
//! Addresses are tried in token order; the first one that produces any HTTP response ends the
//! loop (late 8.x). Earlier failures are collected as "Unable to communicate with the node on
//! <url>. Error was <msg>" lines. Each address gets one overall deadline
//! ([`ClientOptions::deadline`]) besides the per-read timeout.
//!
//! The answer comes from a peer that holds the pinned CA, but it is still checked before any of
//! it reaches `elasticsearch.yml`: every `nodes_addresses` entry must be a transport address as
//! Elasticsearch publishes it (an IP literal and a port), or enrolling fails with the value shown
//! escaped. The answer's buffers (base64 private keys) are wiped once parsed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::error::EnrollErrorKind;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use esac_pki::Received;
use esac_secret::Secret;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::http::{self, collapse_slashes, ChainCheck, Target, Timeouts};
use crate::token::EnrollmentToken;
use crate::EnrollError;

/// The enroll-node API path.
pub const ENROLL_NODE_PATH: &str = "/_security/enroll/node";

/// The TLS error when the server sends only its own certificate (spec 7.2).
pub const CA_NOT_IN_CHAIN: &str = "CA certificate not in chain, or self-signed certificate";

/// The response fields that must be present and non-empty, in Elasticsearch's order.
pub const REQUIRED_FIELDS: [&str; 6] = [
    "http_ca_key",
    "http_ca_cert",
    "transport_key",
    "transport_ca_cert",
    "transport_cert",
    "nodes_addresses",
];

/// Connection settings of [`enroll_node`].
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// TCP connect timeout per resolved address (default 10 s).
    pub connect_timeout: Duration,
    /// Read (and write) timeout of the socket (default 35 s, Elasticsearch's).
    pub read_timeout: Duration,
    /// Everything for one address: resolving, connecting, the TLS handshake, the request and the
    /// whole answer (default [`DEFAULT_DEADLINE`]). A peer that sends a byte now and then never
    /// trips the read timeout; this bounds it.
    pub deadline: Duration,
}

/// The default overall deadline per address (and per request of token creation): above
/// Elasticsearch's connect (10 s) and read (35 s) timeouts together.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(35),
            deadline: DEFAULT_DEADLINE,
        }
    }
}

/// A successful enrollment.
#[derive(Clone, Debug)]
pub struct EnrollResponse {
    /// HTTP CA key and certificate, transport key, certificate and CA certificate.
    pub received: Received,
    /// Every node's transport publish address (`discovery.seed_hosts`).
    pub nodes_addresses: Vec<String>,
    /// The URL that answered.
    pub url: String,
    /// Addresses that failed before it ("Unable to communicate with the node on …" lines).
    pub attempts: Vec<String>,
}

/// The `https://` URL of the enroll-node API on `address`.
pub fn enroll_url(address: &str) -> String {
    format!("https://{address}{}", collapse_slashes(ENROLL_NODE_PATH))
}

/// Calls the enroll-node API on the token's addresses and validates the response.
pub fn enroll_node(
    token: &EnrollmentToken,
    opts: &ClientOptions,
) -> Result<EnrollResponse, EnrollError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let auth = http::base64_wiped(token.api_key.expose());
    let timeouts = Timeouts {
        connect: opts.connect_timeout,
        read: opts.read_timeout,
        total: opts.deadline,
    };
    let mut attempts = Vec::new();
    let mut answered = None;
    for address in &token.addresses {
        let url = enroll_url(address);
        match call(address, &token.fingerprint, &provider, &auth, timeouts) {
            Ok((status, body)) => {
                answered = Some((url, status, body));
                break;
            }
            Err(msg) => attempts.push(format!(
                "Unable to communicate with the node on {url}. Error was {msg}"
            )),
        }
    }
    let unavailable = || {
        EnrollError::new(
            EnrollErrorKind::Unreachable,
            format!(
                "Aborting enrolling to cluster. Could not communicate with the node on any of the \
                 addresses from the enrollment token. All of [{}] were attempted.",
                token.addresses.join(", ")
            ),
        )
        .with_attempts(attempts.clone())
    };
    let (url, status, body) = match answered {
        Some(a) => a,
        None => return Err(unavailable()),
    };
    if status != 200 {
        return Err(unavailable().with_detail(format!("{url} answered with HTTP status {status}")));
    }
    let Some(body) = body else {
        return Err(EnrollError::new(
            EnrollErrorKind::InvalidResponse,
            format!("Aborting enrolling to cluster. Empty response when calling the enroll node API ({url})"),
        )
        .with_attempts(attempts));
    };
    match parse_response(&body, &url) {
        Ok((received, nodes_addresses)) => Ok(EnrollResponse {
            received,
            nodes_addresses,
            url,
            attempts,
        }),
        Err(e) => Err(e.with_attempts(attempts)),
    }
}

/// One address: `Ok((status, None))` for a JSON `null` body, `Err` for everything Elasticsearch
/// treats as an exception (connection, TLS, empty or non-JSON body).
fn call(
    address: &str,
    fingerprint: &str,
    provider: &Arc<CryptoProvider>,
    auth: &str,
    timeouts: Timeouts,
) -> Result<(u16, Option<WipedMap>), String> {
    let target = Target::parse(address)?;
    let algorithms = provider.signature_verification_algorithms;
    let fingerprint = fingerprint.to_owned();
    let verifier = ChainCheck::new(
        algorithms,
        Box::new(move |leaf, chain, name, now| {
            pinned(&fingerprint, &algorithms, leaf, chain, name, now)
        }),
    );
    let config = verifier.client_config(provider)?;
    let head = http::request_head(
        "GET",
        ENROLL_NODE_PATH,
        &target.authority,
        &[b"ApiKey ", auth.as_bytes()],
        None,
    );
    let response = http::exchange(&target, config, timeouts, &head, &[])?;
    Ok((response.status, json_body(&response.body)?))
}

/// A JSON object whose strings are wiped when it is dropped: the enroll answer holds the
/// cluster's private keys (base64), the API key answer the key's secret.
pub(crate) struct WipedMap(Map<String, Value>);

impl Deref for WipedMap {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for WipedMap {
    fn drop(&mut self) {
        self.0.values_mut().for_each(wipe);
    }
}

fn wipe(v: &mut Value) {
    match v {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        _ => {}
    }
}

/// Elasticsearch's `HttpResponseBuilder.withResponseBody`: blank → exception; otherwise a JSON
/// object (`null` → no map). Parsed from the bytes, so no copy of the text is made.
pub(crate) fn json_body(body: &[u8]) -> Result<Option<WipedMap>, String> {
    // Java's String.trim: every char up to U+0020.
    if body.iter().all(|&b| b <= b' ') {
        return Err("Invalid string provided as http response body, Failed to parse content to form response body.".to_owned());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(Some(WipedMap(map))),
        Ok(Value::Null) => Ok(None),
        Ok(mut other) => {
            wipe(&mut other);
            Err("Failed to parse content to map: the response body is not a JSON object".to_owned())
        }
        Err(e) => Err(format!("Failed to parse content to map: {e}")),
    }
}

/// Longest part of a peer's value shown in a message.
const SHOWN_CHARS: usize = 120;

/// A value from a peer, for a message: escaped (line breaks, quotes and terminal escapes are
/// shown as `\n`, `\"`, `\u{1b}`) and shortened.
pub(crate) fn shown(value: &str) -> String {
    let mut out: String = value
        .chars()
        .take(SHOWN_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().nth(SHOWN_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// The IP of a transport address as Elasticsearch publishes it (`TransportAddress.toString`):
/// `192.0.2.1:9300` or `[2001:db8::1]:9300`, a non-zero decimal port; `None` for anything else
/// (host names, zone ids, spaces, YAML syntax, line breaks).
pub fn transport_address_ip(address: &str) -> Option<IpAddr> {
    let (ip, port) = match address.strip_prefix('[') {
        Some(rest) => {
            let (host, port) = rest.split_once("]:")?;
            (IpAddr::V6(host.parse::<Ipv6Addr>().ok()?), port)
        }
        None => {
            let (host, port) = address.split_once(':')?;
            (IpAddr::V4(host.parse::<Ipv4Addr>().ok()?), port)
        }
    };
    let valid_port = !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p != 0);
    valid_port.then_some(ip)
}

/// Spec 7.4: required fields, then certificates and keys in Elasticsearch's order.
fn parse_response(
    body: &Map<String, Value>,
    url: &str,
) -> Result<(Received, Vec<String>), EnrollError> {
    let text = |name: &str| match body.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    };
    let nodes: Option<&Vec<Value>> = match body.get("nodes_addresses") {
        Some(Value::Array(list)) if !list.is_empty() => Some(list),
        _ => None,
    };
    let missing: Vec<&str> = REQUIRED_FIELDS
        .iter()
        .copied()
        .filter(|f| match *f {
            "nodes_addresses" => nodes.is_none(),
            f => text(f).is_none(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(EnrollError::new(
            EnrollErrorKind::InvalidResponse,
            format!(
                "Aborting enrolling to cluster. Invalid response when calling the enroll node API ({url}). \
                 The following fields were empty or missing : [{}]",
                missing.join(", ")
            ),
        ));
    }
    // These go into elasticsearch.yml (discovery.seed_hosts): only what Elasticsearch sends.
    let mut nodes_addresses = Vec::new();
    for v in nodes.into_iter().flatten() {
        match v {
            Value::String(s) if transport_address_ip(s).is_some() => {
                nodes_addresses.push(s.clone())
            }
            other => {
                let value = match other {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                return Err(EnrollError::new(
                    EnrollErrorKind::InvalidResponse,
                    format!(
                        "Aborting enrolling to cluster. Invalid response when calling the enroll node API ({url}). \
                         The node address [{}] in nodes_addresses is not a transport address (ip:port)",
                        shown(&value)
                    ),
                ));
            }
        }
    }
    let field = |name: &str| text(name).unwrap_or_default();
    let transport_ca_cert = parse_cert(field("transport_ca_cert"))?;
    let http_ca_key = parse_key(field("http_ca_key"))?;
    let http_ca_cert = parse_cert(field("http_ca_cert"))?;
    let transport_key = parse_key(field("transport_key"))?;
    let transport_cert = parse_cert(field("transport_cert"))?;
    let received = Received::from_der(
        http_ca_key,
        &http_ca_cert,
        transport_key,
        &transport_cert,
        &transport_ca_cert,
    )
    .map_err(|e| {
        EnrollError::new(
            EnrollErrorKind::InvalidResponse,
            "Aborting enrolling to cluster. The certificates and keys from the response of the Enroll \
             Node API do not belong together",
        )
        .with_detail(e.to_string())
    })?;
    Ok((received, nodes_addresses))
}

const CERT_ERROR: &str =
    "Aborting enrolling to cluster. Failed to parse Certificate from the response of the Enroll Node API";
const KEY_ERROR: &str =
    "Aborting enrolling to cluster. Failed to parse Private Key from the response of the Enroll Node API";

/// Base64 DER holding exactly one X.509 certificate.
fn parse_cert(b64: &str) -> Result<Vec<u8>, EnrollError> {
    let err = |detail: &str| {
        EnrollError::new(EnrollErrorKind::InvalidResponse, CERT_ERROR)
            .with_detail(detail.to_owned())
    };
    let der = STANDARD
        .decode(b64)
        .map_err(|e| err(&format!("not base64: {e}")))?;
    match x509_parser::parse_x509_certificate(&der) {
        Ok(([], _)) => Ok(der),
        Ok((rest, _)) => Err(err(if x509_parser::parse_x509_certificate(rest).is_ok() {
            "Enroll node API returned multiple certificates"
        } else {
            "trailing data after the certificate"
        })),
        Err(e) => Err(err(&format!("not an X.509 certificate: {e}"))),
    }
}

/// Base64 PKCS#8 DER of a supported key type.
fn parse_key(b64: &str) -> Result<Secret, EnrollError> {
    let err = |detail: String| {
        EnrollError::new(EnrollErrorKind::InvalidResponse, KEY_ERROR).with_detail(detail)
    };
    let der = Secret::new(
        STANDARD
            .decode(b64)
            .map_err(|e| err(format!("not base64: {e}")))?,
    );
    esac_pki::PrivateKey::from_pkcs8_der(der.clone()).map_err(|e| err(e.to_string()))?;
    Ok(der)
}

/// Fingerprint pinning plus the leaf checks the JDK still does (see the module docs).
fn pinned(
    fingerprint: &str,
    algorithms: &WebPkiSupportedAlgorithms,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    let general = |m: String| rustls::Error::General(m);
    let ca = intermediates
        .first()
        .ok_or_else(|| general(CA_NOT_IN_CHAIN.to_owned()))?;
    let actual = esac_pki::sha256_hex(ca.as_ref());
    if actual != fingerprint {
        return Err(general(format!(
            "the CA certificate sent by the server (SHA-256 fingerprint {actual}) is not the one \
             pinned by the enrollment token ({fingerprint})"
        )));
    }
    let anchor = webpki::anchor_from_trusted_cert(ca)
        .map_err(|e| general(format!("unusable CA certificate: {e}")))?;
    let leaf = webpki::EndEntityCert::try_from(end_entity)
        .map_err(|e| general(format!("unusable server certificate: {e}")))?;
    leaf.verify_for_usage(
        algorithms.all,
        &[anchor],
        &[],
        within_validity(end_entity, now),
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map_err(|e| {
        general(format!(
            "the server certificate is not signed by the pinned CA: {e}"
        ))
    })?;
    leaf.verify_is_valid_for_subject_name(server_name)
        .map_err(|e| {
            general(format!(
                "the server certificate is not valid for {}: {e}",
                server_name.to_str()
            ))
        })?;
    Ok(())
}

/// `now` clamped into the leaf's validity period: dates are not checked on the pinned path.
fn within_validity(leaf: &CertificateDer<'_>, now: UnixTime) -> UnixTime {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) else {
        return now;
    };
    let secs = |t: i64| u64::try_from(t).unwrap_or(0);
    let from = secs(cert.validity().not_before.timestamp());
    let to = secs(cert.validity().not_after.timestamp());
    let now_secs = now.as_secs();
    if now_secs < from || now_secs > to {
        UnixTime::since_unix_epoch(Duration::from_secs(from))
    } else {
        now
    }
}

/// Spec 4.2 [T+]: whether some transport address (`ip:port`, `[v6]:port`) is neither loopback
/// nor one of `local`. Nothing is resolved: [`enroll_node`] accepts only IP literals, which is
/// what Elasticsearch sends (its check resolves names with `InetAddress.getByName`; a name here
/// counts as not remote).
pub fn any_remote_host_node_address(nodes_addresses: &[String], local: &[IpAddr]) -> bool {
    nodes_addresses
        .iter()
        .filter_map(|a| transport_address_ip(a))
        .any(|ip| !ip.is_loopback() && !local.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_addresses() {
        let local = [IpAddr::from([192, 168, 1, 5])];
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!any_remote_host_node_address(
            &s(&["127.0.0.1:9300", "[::1]:9300"]),
            &local
        ));
        assert!(!any_remote_host_node_address(
            &s(&["192.168.1.5:9300", "garbage"]),
            &local
        ));
        assert!(any_remote_host_node_address(
            &s(&["192.168.1.6:9300"]),
            &local
        ));
        assert!(any_remote_host_node_address(
            &s(&["[2001:db8::1]:9300"]),
            &local
        ));
        assert!(!any_remote_host_node_address(
            &s(&["localhost:9300"]),
            &local
        ));
        assert!(!any_remote_host_node_address(&[], &local));
    }

    #[test]
    fn blank_and_null_bodies() {
        assert!(json_body(b"").is_err());
        assert!(json_body(b" \n").is_err());
        assert!(json_body(b"[1]").is_err());
        assert!(json_body(b"{").is_err());
        assert!(json_body(b"\xff").is_err());
        assert!(json_body(b"null").unwrap().is_none());
        assert!(json_body(b"{}").unwrap().is_some());
    }

    #[test]
    fn transport_addresses_are_ip_literals_and_ports() {
        for good in [
            "192.0.2.1:9300",
            "[2001:db8::1]:9300",
            "127.0.0.1:1",
            "[::1]:65535",
        ] {
            assert!(transport_address_ip(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "es1:9300",
            "192.0.2.1",
            "192.0.2.1:",
            "192.0.2.1:0",
            "192.0.2.1:65536",
            "192.0.2.1:+93",
            "192.0.2.1:9300 ",
            " 192.0.2.1:9300",
            "2001:db8::1:9300",
            "[2001:db8::1]",
            "[fe80::1%eth0]:9300",
            "[192.0.2.1]:9300",
            "10.0.0.1:9300\"]\nxpack.security.authc.anonymous.roles: superuser\n#",
            "10.0.0.1:9300\n",
        ] {
            assert!(transport_address_ip(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn shown_values_are_escaped_and_short() {
        assert_eq!(shown("a\"]\nb: c\u{1b}[2J"), "a\\\"]\\nb: c\\u{1b}[2J");
        let long = "x".repeat(500);
        assert_eq!(shown(&long), format!("{}...", "x".repeat(SHOWN_CHARS)));
    }
}
