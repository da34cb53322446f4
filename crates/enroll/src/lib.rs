//! Enrollment (spec section 7): joining an existing cluster with an enrollment token.
//!
//! * [`token`]: decoding and encoding the token (`ver`, `adr`, `fgr`, `key`).
//! * [`client`]: `GET /_security/enroll/node` over TLS pinned to the token's CA fingerprint,
//!   the address loop and the response validation, with Elasticsearch's exit codes and messages.
//! * [`api`]: creating a token against a running node (API key + node info).
//! * `testserver` (feature `test-server`): a fake node for tests.
//!
//! HTTP is a minimal hand-written HTTP/1.1 client (module `http`) over rustls with the aws-lc-rs
//! provider. Every error is an [`EnrollError`]; none carries the API key or a private key.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
pub mod client;
mod error;
mod http;
#[cfg(any(test, feature = "test-server"))]
pub mod testserver;
pub mod token;

pub use api::{create_enrollment_token, ApiOptions, TokenScope};
pub use client::{any_remote_host_node_address, enroll_node, ClientOptions, EnrollResponse};
pub use error::{EnrollError, EnrollErrorKind};
pub use token::EnrollmentToken;

/// Fuzzing entry points (used by `fuzz/` and by a unit test over random inputs).
#[doc(hidden)]
pub mod fuzzing {
    use crate::token::{EnrollmentToken, INVALID_TOKEN};

    /// Decodes arbitrary bytes as a token: never panics; a decoded token re-encodes to a token
    /// that decodes to the same value; errors never echo the input.
    pub fn token_decode(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        match EnrollmentToken::decode(&text) {
            Ok(token) => {
                let again = token.encode();
                let decoded = EnrollmentToken::decode(again.expose_str().unwrap_or_default());
                assert_eq!(decoded.as_ref().ok(), Some(&token), "round trip");
                let key = token.api_key.expose_str().unwrap_or_default();
                if key.len() >= 8 {
                    assert!(!format!("{token:?}").contains(key), "key in Debug");
                }
            }
            Err(e) => {
                assert_eq!(e.message, INVALID_TOKEN);
                assert_eq!(e.kind, crate::EnrollErrorKind::InvalidToken);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn random_inputs_do_not_panic() {
            use base64::Engine;
            // xorshift: deterministic, no dependency.
            let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
            let mut next = || {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s
            };
            let pieces: [&[u8]; 8] = [
                b"{\"ver\":",
                b"\"8.1\"",
                b",\"adr\":[\"a:1\"]",
                b",\"fgr\":\"ab\"",
                b",\"key\":\"i:s\"",
                b"}",
                b"\\u0000",
                b"null",
            ];
            for _ in 0..3000 {
                let mut json = Vec::new();
                for _ in 0..(next() % 8) {
                    json.extend_from_slice(pieces[(next() % 8) as usize]);
                }
                let raw: Vec<u8> = (0..next() % 40).map(|_| next() as u8).collect();
                super::token_decode(&raw);
                super::token_decode(&json);
                super::token_decode(
                    base64::engine::general_purpose::URL_SAFE
                        .encode(&json)
                        .as_bytes(),
                );
            }
            super::token_decode(
                base64::engine::general_purpose::URL_SAFE
                    .encode(br#"{"ver":"8","adr":["a:1"],"fgr":"ab","key":"id:secret123"}"#)
                    .as_bytes(),
            );
        }
    }
}
