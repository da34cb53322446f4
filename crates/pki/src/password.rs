//! Keystore passwords as `UUIDs.randomBase64UUIDSecureString()` makes them (spec 2.5).
//!
//! 16 random bytes, the UUID version-4 and IETF-variant bits forced, URL-safe base64 without
//! padding: 22 characters of `[A-Za-z0-9_-]`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use esac_secret::Secret;
use zeroize::Zeroize;

use crate::error::{Error, Result};

/// A fresh PKCS#12 store password from the system random generator.
pub fn new_store_password() -> Result<Secret> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::Random)?;
    Ok(store_password_from_bytes(bytes))
}

/// The password for the given 16 random bytes (deterministic; for tests and other RNGs).
pub fn store_password_from_bytes(mut bytes: [u8; 16]) -> Secret {
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // IETF variant
    let mut text = [0u8; 22];
    let written = URL_SAFE_NO_PAD
        .encode_slice(bytes, &mut text)
        .unwrap_or_default();
    let secret = Secret::new(text[..written].to_vec());
    bytes.zeroize();
    text.zeroize();
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_22_url_safe_chars() {
        let pw = store_password_from_bytes([0xff; 16]);
        assert_eq!(pw.expose_str(), Some("________T_-__________w"));
        let pw = new_store_password().unwrap();
        let text = pw.expose_str().unwrap();
        assert_eq!(text.len(), 22);
        assert!(text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(pw, new_store_password().unwrap());
    }

    #[test]
    fn uuid_bits_are_forced() {
        let pw = store_password_from_bytes([0; 16]);
        let raw = URL_SAFE_NO_PAD.decode(pw.expose()).unwrap();
        assert_eq!(raw[6], 0x40);
        assert_eq!(raw[8], 0x80);
    }
}
