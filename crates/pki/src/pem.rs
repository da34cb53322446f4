//! PEM encoding as BouncyCastle's `JcaPEMWriter` writes it: 64-column base64 lines.
//!
//! Line ends are `\n`, the platform separator of every system Elasticsearch's archives and
//! packages run the auto-configuration on (Windows would write `\r\n`; not supported here).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// `-----BEGIN <label>-----`, the base64 of `der` in 64-column lines, `-----END <label>-----`,
/// each line ending in `\n`.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // base64 output is ASCII, so splitting on byte boundaries keeps valid UTF-8.
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_64_columns() {
        let pem = encode("CERTIFICATE", &[0xAB; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines[2].len(), 64);
        assert_eq!(lines[3].len(), 136 - 128);
        assert_eq!(lines[4], "-----END CERTIFICATE-----");
        assert!(pem.ends_with("-----\n") && !pem.contains('\r'));
    }
}
