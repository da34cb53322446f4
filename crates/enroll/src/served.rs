//! What a running node serves: the certificate chain of a TLS handshake with an HTTPS address,
//! for `renew http --wait-reload` (did the node pick up the new `http.p12`?).
//!
//! The chain is *not* trusted: the caller compares the leaf with the one it just wrote, which
//! nobody else has. The handshake's signature is still verified, so a matching leaf means the
//! server holds its private key. No request is sent, no credential is needed.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::http::{self, ChainCheck, Target, Timeouts};

/// The certificates `url` presents in a TLS handshake, leaf first. `url` is `https://host:port`
/// (a path is ignored) or `host:port`; 9200 when no port is given. Everything (resolving,
/// connecting, the handshake) ends within `deadline`.
pub fn served_chain(url: &str, deadline: Duration) -> Result<Vec<Vec<u8>>, String> {
    let target = Target::parse(&authority(url)?)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    // Any chain is accepted (it is only recorded); the handshake signature is verified.
    let verifier = ChainCheck::new(
        provider.signature_verification_algorithms,
        Box::new(
            |_: &CertificateDer<'_>, _: &[CertificateDer<'_>], _: &ServerName<'_>, _: UnixTime| {
                Ok(())
            },
        ),
    );
    let config = verifier.client_config(&provider)?;
    let timeouts = Timeouts {
        connect: deadline,
        read: deadline,
        total: deadline,
    };
    http::handshake(&target, config, timeouts)
}

/// Checks `url` as [`served_chain`] reads it, before anything is written: an `https://` URL or
/// `host:port`, without credentials.
pub fn check_url(url: &str) -> Result<(), String> {
    let target = Target::parse(&authority(url)?).map_err(|e| format!("--wait-reload: {e}"))?;
    target
        .server_name()
        .map(|_| ())
        .map_err(|e| format!("--wait-reload: {e}"))
}

/// `host:port` of `url`, with Elasticsearch's port when none is given.
fn authority(url: &str) -> Result<String, String> {
    let shown = || url.escape_debug().to_string();
    let rest = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some(_) => {
            return Err(format!(
                "--wait-reload: [{}] is not an https:// URL",
                shown()
            ))
        }
        None => url,
    };
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host_port.contains('@') {
        return Err(
            "--wait-reload: the URL must not hold credentials (only a TLS handshake is made)"
                .to_owned(),
        );
    }
    if host_port.parse::<std::net::Ipv6Addr>().is_ok() {
        return Ok(format!("[{host_port}]:9200"));
    }
    let has_port = match host_port.rsplit_once(':') {
        Some((h, _)) if host_port.starts_with('[') => h.ends_with(']'),
        Some((h, _)) => !h.contains(':'),
        None => false,
    };
    Ok(if has_port || host_port.is_empty() {
        host_port.to_owned()
    } else {
        format!("{host_port}:9200")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_addresses_name_host_and_port() {
        for (url, want) in [
            ("https://localhost:9200", "localhost:9200"),
            ("https://localhost:9200/", "localhost:9200"),
            ("https://es1.example/_cluster/health", "es1.example:9200"),
            ("HTTPS://10.0.0.1:443?x", "10.0.0.1:443"),
            ("127.0.0.1:9201", "127.0.0.1:9201"),
            ("https://[::1]:9200", "[::1]:9200"),
            ("https://[::1]", "[::1]:9200"),
            ("node-1", "node-1:9200"),
        ] {
            assert_eq!(authority(url).as_deref(), Ok(want), "{url}");
        }
        assert_eq!(authority("::1").as_deref(), Ok("[::1]:9200"));
        assert!(authority("http://localhost:9200").is_err());
        let e = authority("https://elastic:s3cr3t@127.0.0.1:9200").unwrap_err();
        assert!(!e.contains("s3cr3t"), "{e}");
        for bad in [
            "http://x:1",
            "https://a b:1",
            "https://:9200",
            "x:99999",
            "https://u@h:1",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        for good in [
            "https://localhost:9200",
            "10.0.0.1:9201",
            "::1",
            "https://[::1]:9200/x",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn nothing_listening_is_an_error_within_the_deadline() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let started = std::time::Instant::now();
        let got = served_chain(&format!("https://127.0.0.1:{port}"), Duration::from_secs(2));
        assert!(got.is_err(), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_peer_that_never_answers_is_cut_at_the_deadline() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let started = std::time::Instant::now();
        let got = served_chain(&format!("127.0.0.1:{port}"), Duration::from_millis(300));
        assert!(got.is_err(), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(l);
    }
}
