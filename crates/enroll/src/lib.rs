//! Enrollment (spec section 7): joining an existing cluster with an enrollment token.
//!
//! * [`token`]: decoding and encoding the token (`ver`, `adr`, `fgr`, `key`).
//! * [`client`]: `GET /_security/enroll/node` over TLS pinned to the token's CA fingerprint,
//!   the address loop and the response validation, with Elasticsearch's exit codes and messages.
//! * [`api`]: creating a token against a running node (API key + node info).
//! * [`served`]: the certificate chain a node serves (`renew http --wait-reload`).
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
pub mod served;
#[cfg(any(test, feature = "test-server"))]
pub mod testserver;
pub mod token;

pub use api::{create_enrollment_token, ApiOptions, TokenScope};
pub use client::{any_remote_host_node_address, enroll_node, ClientOptions, EnrollResponse};
pub use error::{EnrollError, EnrollErrorKind};
pub use token::EnrollmentToken;

/// Fuzzing entry points (used by `fuzz/` and by unit tests over random inputs).
#[doc(hidden)]
pub mod fuzzing {
    use std::io::{self, Read};

    use crate::http::{read_response, MAX_BODY};
    use crate::token::{EnrollmentToken, INVALID_TOKEN};

    /// Arbitrary bytes as an HTTP answer from a peer: never panics, never returns a body above
    /// the limit or an interim status. The first byte sets how many bytes each `read` returns
    /// (1 to 64), so the parser also meets answers that arrive in small pieces.
    pub fn http_response(data: &[u8]) {
        let Some((&first, rest)) = data.split_first() else {
            return;
        };
        let mut reader = Pieces {
            data: rest,
            piece: usize::from(first % 64) + 1,
        };
        if let Ok(r) = read_response(&mut reader) {
            assert!(r.body.len() <= MAX_BODY, "body above the limit");
            assert!((200..=999).contains(&r.status), "status {}", r.status);
            assert!(r.body.len() <= rest.len(), "more body than input");
        }
    }

    /// A reader that hands out at most `piece` bytes per call.
    struct Pieces<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = out.len().min(self.piece).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

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
        /// A deterministic xorshift64 sequence: the same inputs on every run, no dependency.
        fn xorshift(mut s: u64) -> impl FnMut() -> u64 {
            move || {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s
            }
        }

        #[test]
        fn random_inputs_do_not_panic() {
            use base64::Engine;
            let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
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

        #[test]
        fn random_http_responses_do_not_panic() {
            let mut next = xorshift(0x2545_F491_4F6C_DD1D);
            let pieces: [&[u8]; 14] = [
                b"HTTP/1.1 200 OK\r\n",
                b"HTTP/1.1 100 Continue\r\n\r\n",
                b"HTTP/1.0 204 No\r\n",
                b"Content-Length: 3\r\n",
                b"Content-Length: 99999999999999999999\r\n",
                b"Transfer-Encoding: chunked\r\n",
                b"\r\n",
                b"1\r\na\r\n",
                b"ffffffffffffffff\r\n",
                b"0\r\n",
                b"{}",
                b"\r",
                b"\xff",
                b"7fffff;x=y\r\n",
            ];
            let mut parsed = 0;
            for _ in 0..20000 {
                let mut data = vec![next() as u8];
                if !next().is_multiple_of(4) {
                    data.extend_from_slice(pieces[0]);
                }
                for _ in 0..(next() % 12) {
                    if next().is_multiple_of(5) {
                        data.push(next() as u8);
                    } else {
                        data.extend_from_slice(pieces[(next() % 14) as usize]);
                    }
                }
                super::http_response(&data);
                parsed += usize::from(
                    super::read_response(&mut &data[1..]).is_ok_and(|r| !r.body.is_empty()),
                );
            }
            // The generator reaches bodies, not only early errors.
            assert!(parsed > 100, "{parsed}");
            super::http_response(
                b"\x00HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\n",
            );
        }
    }
}
