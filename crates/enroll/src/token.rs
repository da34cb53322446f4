//! The enrollment token (spec 7.1): base64 of `{"ver":…,"adr":[…],"fgr":…,"key":"id:secret"}`.
//!
//! Elasticsearch encodes with the URL-safe alphabet and padding, and decodes with the standard
//! alphabet; for this JSON the two are the same in practice. [`EnrollmentToken::decode`] accepts
//! both alphabets, with or without padding, and surrounding whitespace (a pasted token often ends
//! with a newline). The JSON must have exactly the four fields.
//!
//! The API key never appears in `Debug`, `Display` or an error: it is a [`Secret`].

use std::fmt;

use crate::error::EnrollErrorKind;
use base64::alphabet;
use base64::engine::general_purpose::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use esac_secret::Secret;
use serde::{Deserialize, Serialize};

use crate::EnrollError;

/// The message of every token decoding failure (exit 65).
pub const INVALID_TOKEN: &str = "Aborting auto configuration. Invalid enrollment token";

/// The detail of an empty token (Elasticsearch's `IllegalStateException` text).
pub const EMPTY_TOKEN: &str = "Cannot decode enrollment token from an empty string";

/// A decoded enrollment token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentToken {
    /// `ver`: the Elasticsearch version of the node that issued the token.
    pub version: String,
    /// `adr`: `host:port` HTTP addresses of the issuing node, in the order to try them.
    pub addresses: Vec<String>,
    /// `fgr`: lowercase hex SHA-256 of the HTTP CA certificate (DER).
    pub fingerprint: String,
    /// `key`: `<api key id>:<api key secret>`.
    pub api_key: Secret,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    ver: String,
    adr: Vec<String>,
    fgr: String,
    key: String,
}

/// Field order as Elasticsearch writes it.
#[derive(Serialize)]
struct WireOut<'a> {
    ver: &'a str,
    adr: &'a [String],
    fgr: &'a str,
    key: &'a str,
}

/// Standard alphabet, padding optional (URL-safe input is translated first).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl EnrollmentToken {
    /// Decodes a token as pasted by the operator.
    ///
    /// Every failure is exit 65 with [`INVALID_TOKEN`]; the reason is in `detail` (never the key).
    pub fn decode(encoded: &str) -> Result<EnrollmentToken, EnrollError> {
        let invalid = |detail: String| {
            EnrollError::new(EnrollErrorKind::InvalidToken, INVALID_TOKEN).with_detail(detail)
        };
        let trimmed = encoded.trim();
        if trimmed.is_empty() {
            return Err(invalid(EMPTY_TOKEN.to_owned()));
        }
        let standard: String = trimmed
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        let json = Secret::new(
            LENIENT
                .decode(standard.as_bytes())
                .map_err(|e| invalid(format!("not base64: {e}")))?,
        );
        let wire: Wire = serde_json::from_slice(json.expose()).map_err(|e| {
            invalid(format!(
                "not an enrollment token: {}",
                redact_quoted(&e.to_string())
            ))
        })?;
        Ok(EnrollmentToken {
            version: wire.ver,
            addresses: wire.adr,
            fingerprint: wire.fgr,
            api_key: Secret::from_string(wire.key),
        })
    }

    /// Encodes the token as Elasticsearch does: URL-safe base64, with padding, of the JSON with
    /// the fields in the order `ver`, `adr`, `fgr`, `key`. The result carries the key.
    pub fn encode(&self) -> Secret {
        let json = Secret::new(self.json().unwrap_or_default());
        Secret::from_string(URL_SAFE.encode(json.expose()))
    }

    /// The JSON text (carries the key).
    fn json(&self) -> Option<Vec<u8>> {
        // A key that is not UTF-8 cannot come from `decode`; it is written lossily.
        let key = String::from_utf8_lossy(self.api_key.expose());
        serde_json::to_vec(&WireOut {
            ver: &self.version,
            adr: &self.addresses,
            fgr: &self.fingerprint,
            key: &key,
        })
        .ok()
    }

    /// The API key id (the part before the first `:`), which is not secret; `None` if the key
    /// has no `:`.
    pub fn api_key_id(&self) -> Option<String> {
        let key = self.api_key.expose();
        let colon = key.iter().position(|b| *b == b':')?;
        Some(String::from_utf8_lossy(&key[..colon]).into_owned())
    }
}

impl fmt::Display for EnrollmentToken {
    /// A safe summary: version, addresses, fingerprint and the key id, never the key secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "enrollment token (version {}, addresses [{}], CA fingerprint {}, API key id {})",
            self.version,
            self.addresses.join(", "),
            self.fingerprint,
            self.api_key_id().unwrap_or_else(|| "<none>".to_owned())
        )
    }
}

/// serde_json quotes offending string values (`invalid type: string "…"`); replace each quoted
/// segment so that no token content reaches an error message.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if inside {
                out.push_str("<redacted>\"");
            } else {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token of the shape Elasticsearch prints (URL-safe base64 with padding of the documented
    /// JSON), built here: no literal token exists in Elasticsearch's own tests (they are random).
    const SAMPLE: &str = "eyJ2ZXIiOiI4LjE0LjAiLCJhZHIiOlsiMTkyLjE2OC4xLjEwOjkyMDAiLCJbMjAwMTpkYjg6OjEwXTo5MjAwIl0sImZnciI6IjQ4ZmVlNDhmYTVhMjk3ZDY0ZjVlYjQ3YjAwMDZjZmFiOTQ4NmFiN2Y1ZWYzMmY5YTA0ZDM2ZWUyZjQ5ODU2MTMiLCJrZXkiOiJ0WWstQ1k4QnZfd0Q3aWRQSFdsNzpVV1FVeFhSV1I5U1hUUW9lS0hXakRBIn0=";

    /// A Kibana token exactly as an Elasticsearch 8.2.3 node printed it in its first-start banner
    /// (quoted in a public README; the API key behind it is long expired).
    const ES_823_TOKEN: &str = "eyJ2ZXIiOiI4LjIuMyIsImFkciI6WyIxOTIuMTY4LjMyLjI6OTIwMCJdLCJmZ3IiOiIzMzRhNzgwNWU1YWEyMDJlNWZkNjk3OThiOGE4M2NjMWFiODZlNGE1NjJiNjcwN2I3ZGFjNzRkNTZhZjI5MzI4Iiwia2V5IjoiNDlMRWJJRUJfZlY4SXowYkp2UlE6TTdENnloLWxRc0tQSjUtQXJnWkIzdyJ9";

    #[test]
    fn decodes_a_token_printed_by_elasticsearch() {
        let t = EnrollmentToken::decode(ES_823_TOKEN).expect("a real Elasticsearch token");
        assert_eq!(t.version, "8.2.3");
        assert_eq!(t.addresses, vec!["192.168.32.2:9200".to_owned()]);
        assert_eq!(
            t.fingerprint,
            "334a7805e5aa202e5fd69798b8a83cc1ab86e4a562b6707b7dac74d56af29328"
        );
        assert_eq!(t.api_key_id().as_deref(), Some("49LEbIEB_fV8Iz0bJvRQ"));
        // Our encoding of it is Elasticsearch's, byte for byte.
        assert_eq!(t.encode().expose_str(), Some(ES_823_TOKEN));
    }

    #[test]
    fn decodes_a_token_of_the_documented_shape() {
        let t = EnrollmentToken::decode(SAMPLE).unwrap();
        assert_eq!(t.version, "8.14.0");
        assert_eq!(t.addresses, ["192.168.1.10:9200", "[2001:db8::10]:9200"]);
        assert_eq!(
            t.fingerprint,
            "48fee48fa5a297d64f5eb47b0006cfab9486ab7f5ef32f9a04d36ee2f4985613"
        );
        assert_eq!(
            t.api_key.expose_str(),
            Some("tYk-CY8Bv_wD7idPHWl7:UWQUxXRWR9SXTQoeKHWjDA")
        );
        assert_eq!(t.encode().expose_str(), Some(SAMPLE));
        let shown = format!("{t:?} {t}");
        assert!(!shown.contains("UWQUxXRWR9SXTQoeKHWjDA"), "{shown}");
        assert!(shown.contains("tYk-CY8Bv_wD7idPHWl7"), "{shown}");
    }

    #[test]
    fn accepts_both_alphabets_with_or_without_padding() {
        let t = EnrollmentToken::decode(SAMPLE).unwrap();
        let unpadded = SAMPLE.trim_end_matches('=');
        assert_eq!(EnrollmentToken::decode(unpadded).unwrap(), t);
        assert_eq!(EnrollmentToken::decode(&format!(" {SAMPLE}\n")).unwrap(), t);
        let std = base64::engine::general_purpose::STANDARD.encode(LENIENT.decode(SAMPLE).unwrap());
        assert_eq!(EnrollmentToken::decode(&std).unwrap(), t);
    }

    #[test]
    fn rejects_bad_tokens_with_65() {
        let enc = |json: &str| URL_SAFE.encode(json);
        let cases = [
            String::new(),
            "   ".to_owned(),
            "not base64 at all!".to_owned(),
            enc("{}"),
            enc("[]"),
            enc(r#"{"ver":"8","adr":[],"fgr":"ab"}"#),
            enc(r#"{"ver":"8","adr":[],"fgr":"ab","key":"k:s","extra":1}"#),
            enc(r#"{"ver":"8","adr":"1.2.3.4:9200","fgr":"ab","key":"k:s"}"#),
            enc(r#"{"ver":"8","adr":[],"fgr":"ab","key":"k:s","key":"k:t"}"#),
        ];
        for case in cases {
            let e = EnrollmentToken::decode(&case).unwrap_err();
            assert_eq!(e.kind, EnrollErrorKind::InvalidToken, "{case}");
            assert_eq!(e.message, INVALID_TOKEN);
        }
        let e = EnrollmentToken::decode("").unwrap_err();
        assert_eq!(e.detail.as_deref(), Some(EMPTY_TOKEN));
    }

    #[test]
    fn errors_never_echo_token_values() {
        let json = r#"{"ver":"8","adr":"SECRETVALUE","fgr":"ab","key":"id:SECRETKEY"}"#;
        let e = EnrollmentToken::decode(&URL_SAFE.encode(json)).unwrap_err();
        let shown = format!("{e:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
