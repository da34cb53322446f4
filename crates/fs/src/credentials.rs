//! The `elastic` password Elasticsearch would generate: 20 characters drawn uniformly from
//! `CommandUtils.generatePassword`'s alphabet (spec §2.5).

use esac_secret::Secret;

/// The alphabet of generated `elastic` passwords.
pub const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_=+";

/// Length of generated `elastic` passwords.
pub const LENGTH: usize = 20;

/// Generates a password with the system's secure random generator.
pub fn generate_elastic_password() -> std::io::Result<Secret> {
    use aws_lc_rs::rand::SecureRandom;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut out = Vec::with_capacity(LENGTH);
    // Rejection sampling keeps the choice uniform.
    let limit = 256 - (256 % ALPHABET.len());
    while out.len() < LENGTH {
        let mut buf = [0u8; 32];
        rng.fill(&mut buf)
            .map_err(|_| std::io::Error::other("the system random generator failed"))?;
        for b in buf {
            if (b as usize) < limit && out.len() < LENGTH {
                out.push(ALPHABET[b as usize % ALPHABET.len()]);
            }
        }
    }
    Ok(Secret::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_chars_from_the_alphabet() {
        let a = generate_elastic_password().unwrap();
        let b = generate_elastic_password().unwrap();
        assert_eq!(a.len(), 20);
        assert!(a.expose().iter().all(|c| ALPHABET.contains(c)));
        assert_ne!(a, b);
    }
}
