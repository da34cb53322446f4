//! Generated passwords (spec §2.5) and the `elastic` password hash (spec §6.4).
//!
//! PKCS#12 store passwords are made as `UUIDs.randomBase64UUIDSecureString()` makes them: 16
//! random bytes, the UUID version-4 and IETF-variant bits forced, URL-safe base64 without
//! padding: 22 characters of `[A-Za-z0-9_-]`. The `elastic` password is 20 characters drawn
//! uniformly from `CommandUtils.generatePassword`'s alphabet; its bcrypt hash (`$2a$`, cost 10)
//! is what `autoconfiguration.password_hash` holds.

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

/// The alphabet of generated `elastic` passwords.
pub const ELASTIC_PASSWORD_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_=+";

/// Length of generated `elastic` passwords.
pub const ELASTIC_PASSWORD_LENGTH: usize = 20;

/// A fresh `elastic` password from the system random generator.
pub fn generate_elastic_password() -> Result<Secret> {
    let alphabet = ELASTIC_PASSWORD_ALPHABET;
    let mut out = Vec::with_capacity(ELASTIC_PASSWORD_LENGTH);
    // Rejection sampling keeps the choice uniform.
    let limit = 256 - (256 % alphabet.len());
    let mut buf = [0u8; 32];
    while out.len() < ELASTIC_PASSWORD_LENGTH {
        aws_lc_rs::rand::fill(&mut buf).map_err(|_| Error::Random)?;
        for b in buf {
            if usize::from(b) < limit && out.len() < ELASTIC_PASSWORD_LENGTH {
                out.push(alphabet[usize::from(b) % alphabet.len()]);
            }
        }
    }
    buf.zeroize();
    Ok(Secret::new(out))
}

/// The bcrypt hash Elasticsearch stores as `autoconfiguration.password_hash`: `$2a$`, cost 10.
pub fn bcrypt_hash(password: &Secret) -> Result<Secret> {
    let parts = bcrypt::hash_with_result(password.expose(), 10)
        .map_err(|e| Error::PasswordHash(e.to_string()))?;
    Ok(Secret::from_string(
        parts.format_for_version(bcrypt::Version::TwoA),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elastic_passwords_are_twenty_chars_from_the_alphabet() {
        let a = generate_elastic_password().unwrap();
        let b = generate_elastic_password().unwrap();
        assert_eq!(a.len(), 20);
        assert!(a
            .expose()
            .iter()
            .all(|c| ELASTIC_PASSWORD_ALPHABET.contains(c)));
        assert_ne!(a, b);
    }

    #[test]
    fn bcrypt_hash_is_2a_cost_10_and_verifies() {
        let pw = Secret::from_str_copy("correct horse");
        let hash = bcrypt_hash(&pw).unwrap();
        let text = hash.expose_str().unwrap();
        assert!(text.starts_with("$2a$10$"), "{text}");
        assert!(bcrypt::verify("correct horse", text).unwrap());
        assert!(!bcrypt::verify("wrong", text).unwrap());
    }

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
