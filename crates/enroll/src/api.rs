//! Creating an enrollment token against a running node (`es-autoconf enrollment-token`), as
//! Elasticsearch's `ExternalEnrollmentTokenGenerator` does:
//!
//! 1. `POST /_security/api_key` as `elastic` (basic auth) with a 30-minute key whose only
//!    privilege is the enroll action of the scope;
//! 2. `GET /_nodes/_local/http` for `bound_address` + `publish_address` and `version`;
//! 3. addresses filtered as `BaseEnrollmentTokenGenerator` does: non-loopback, non-wildcard ones
//!    if any, else the loopback ones; IPv4 first (stable); de-duplicated.
//!
//! TLS: ordinary certificate verification with the given HTTP CA as the only root, host name
//! checked. The token's `fgr` is the SHA-256 of that CA certificate. Failures are exit 73
//! (`CANT_CREATE`), like `elasticsearch-create-enrollment-token`.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::client::WipedMap;
use crate::error::EnrollErrorKind;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use esac_secret::Secret;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::http::{self, collapse_slashes, Deadline, Target, Timeouts};
use crate::token::EnrollmentToken;
use crate::EnrollError;

/// What the token enrolls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    /// An Elasticsearch node (`cluster:admin/xpack/security/enroll/node`).
    Node,
    /// A Kibana instance (`cluster:admin/xpack/security/enroll/kibana`).
    Kibana,
}

impl TokenScope {
    /// The cluster privilege (action name) granted to the token's API key.
    pub fn action(self) -> &'static str {
        match self {
            TokenScope::Node => "cluster:admin/xpack/security/enroll/node",
            TokenScope::Kibana => "cluster:admin/xpack/security/enroll/kibana",
        }
    }

    /// `node` or `kibana`.
    pub fn name(self) -> &'static str {
        match self {
            TokenScope::Node => "node",
            TokenScope::Kibana => "kibana",
        }
    }
}

/// Inputs of [`create_enrollment_token`].
#[derive(Clone, Debug)]
pub struct ApiOptions {
    /// `host:port` of the node's HTTP layer (e.g. `localhost:9200`).
    pub address: String,
    /// The HTTP CA certificate, DER: the only trusted root, and the token's fingerprint.
    pub ca_cert_der: Vec<u8>,
    /// The user (Elasticsearch's tool uses `elastic` or a temporary file-realm user).
    pub username: String,
    /// Its password.
    pub password: Secret,
    /// Node or Kibana.
    pub scope: TokenScope,
    /// TCP connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Read timeout (default 35 s).
    pub read_timeout: Duration,
    /// Everything for one request (resolve, connect, handshake, answer; default
    /// [`crate::client::DEFAULT_DEADLINE`]).
    pub deadline: Duration,
}

impl ApiOptions {
    /// Options with the default timeouts and user `elastic`.
    pub fn new(
        address: impl Into<String>,
        ca_cert_der: Vec<u8>,
        password: Secret,
        scope: TokenScope,
    ) -> Self {
        Self {
            address: address.into(),
            ca_cert_der,
            username: "elastic".to_owned(),
            password,
            scope,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(35),
            deadline: crate::client::DEFAULT_DEADLINE,
        }
    }
}

/// Creates an API key and returns the enrollment token (encode it with
/// [`EnrollmentToken::encode`]).
pub fn create_enrollment_token(opts: &ApiOptions) -> Result<EnrollmentToken, EnrollError> {
    let fail = |m: String| {
        EnrollError::new(
            EnrollErrorKind::TokenCreation,
            format!(
                "Unable to create enrollment token for scope [{}]",
                opts.scope.name()
            ),
        )
        .with_detail(m)
    };
    let target = Target::parse(&opts.address).map_err(fail)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(opts.ca_cert_der.clone()))
        .map_err(|e| fail(format!("unusable CA certificate: {e}")))?;
    let config = Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| fail(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let timeouts = Timeouts {
        connect: opts.connect_timeout,
        read: opts.read_timeout,
        total: opts.deadline,
    };
    // `elastic:<password>` and its base64, each in a buffer sized up front and wiped on drop.
    let mut credential = Zeroizing::new(Vec::with_capacity(
        opts.username.len() + 1 + opts.password.len(),
    ));
    credential.extend_from_slice(opts.username.as_bytes());
    credential.push(b':');
    credential.extend_from_slice(opts.password.expose());
    let basic = http::base64_wiped(&credential);
    drop(credential);
    let request = |method: &str, path: &str, body: &[u8]| -> Result<WipedMap, String> {
        let path = collapse_slashes(path);
        let head = http::request_head(
            method,
            &path,
            &target.authority,
            &[b"Basic ", basic.as_bytes()],
            Some(body.len()),
        );
        let r = http::exchange(&target, config.clone(), timeouts, &head, body)?;
        if r.status != 200 {
            return Err(format!(
                "Unexpected response code [{}] from calling {method} https://{}{path}",
                r.status, target.authority
            ));
        }
        crate::client::json_body(&r.body)?
            .ok_or_else(|| format!("empty response from {method} {path}"))
    };

    // 1. The API key.
    let mut suffix = [0u8; 15];
    rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut suffix)
        .map_err(|_| fail("the system random generator failed".to_owned()))?;
    let body = json!({
        "name": format!("enrollment_token_API_key_{}", URL_SAFE_NO_PAD.encode(suffix)),
        "expiration": "30m",
        "role_descriptors": {"create_enrollment_token": {"cluster": [opts.scope.action()]}},
    });
    let created =
        request("POST", "/_security/api_key", body.to_string().as_bytes()).map_err(fail)?;
    let field = |name: &str| match created.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.as_str()),
        _ => None,
    };
    let (Some(id), Some(secret)) = (field("id"), field("api_key")) else {
        return Err(fail("Could not create an api key.".to_owned()));
    };
    // `id:secret`, built without a growing copy; `created` wipes its own strings when dropped.
    let mut key = Vec::with_capacity(id.len() + 1 + secret.len());
    key.extend_from_slice(id.as_bytes());
    key.push(b':');
    key.extend_from_slice(secret.as_bytes());
    let api_key = Secret::new(key);
    drop(created);

    // 2. The node's HTTP addresses and version.
    let info = request("GET", "/_nodes/_local/http", &[]).map_err(fail)?;
    let node = info
        .get("nodes")
        .and_then(Value::as_object)
        .and_then(|nodes| nodes.values().next())
        .and_then(Value::as_object)
        .ok_or_else(|| fail("no node in the response of GET /_nodes/_local/http".to_owned()))?;
    let version = node
        .get("version")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| fail("Could not retrieve the version.".to_owned()))?
        .to_owned();
    let http_info = node.get("http").and_then(Value::as_object);
    let mut addresses: Vec<String> = http_info
        .and_then(|h| h.get("bound_address"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(p) = http_info
        .and_then(|h| h.get("publish_address"))
        .and_then(Value::as_str)
    {
        addresses.push(p.to_owned());
    }
    if addresses.is_empty() {
        return Err(fail(
            "No bound addresses found in response from calling GET /_nodes/_local/http".to_owned(),
        ));
    }

    Ok(EnrollmentToken {
        version,
        addresses: filter_addresses(&addresses),
        fingerprint: esac_pki::sha256_hex(&opts.ca_cert_der),
        api_key,
    })
}

/// `BaseEnrollmentTokenGenerator.getFilteredAddresses`. A `publish_address` of the form
/// `name/ip:port` (a named publish host) is reduced to `ip:port`. Addresses that do not resolve
/// (within [`RESOLVE_LIMIT`] each) are dropped (Elasticsearch would fail).
pub fn filter_addresses(addresses: &[String]) -> Vec<String> {
    let mut remote: Vec<(String, IpAddr)> = Vec::new();
    let mut local: Vec<(String, IpAddr)> = Vec::new();
    for raw in addresses {
        let addr = match raw.split_once('/') {
            Some((_, rest)) => rest,
            None => raw.as_str(),
        };
        let Some(ip) = resolve(addr) else { continue };
        if ip.is_loopback() {
            local.push((addr.to_owned(), ip));
        } else if !ip.is_unspecified() {
            remote.push((addr.to_owned(), ip));
        }
    }
    let mut list = if remote.is_empty() { local } else { remote };
    list.sort_by_key(|(_, ip)| ip.is_ipv6());
    let mut out: Vec<String> = Vec::new();
    for (addr, _) in list {
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    out
}

/// How long one name of the node's answer may take to resolve.
pub const RESOLVE_LIMIT: Duration = Duration::from_secs(10);

fn resolve(addr: &str) -> Option<IpAddr> {
    let target = Target::parse(addr).ok()?;
    // InetAddress.getByName returns the first address.
    http::resolve(&target.host, 0, &Deadline::after(RESOLVE_LIMIT))
        .ok()?
        .first()
        .map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_like_betg() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            filter_addresses(&s(&[
                "[::1]:9200",
                "127.0.0.1:9200",
                "[2001:db8::5]:9200",
                "0.0.0.0:9200",
                "192.168.0.5:9200",
                "192.168.0.5:9200"
            ])),
            s(&["192.168.0.5:9200", "[2001:db8::5]:9200"])
        );
        assert_eq!(
            filter_addresses(&s(&[
                "[::1]:9200",
                "127.0.0.1:9200",
                "localhost/127.0.0.1:9200"
            ])),
            s(&["127.0.0.1:9200", "[::1]:9200"])
        );
    }
}
