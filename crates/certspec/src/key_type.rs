//! The key algorithms and sizes es-autoconf can generate.

use std::fmt;
use std::str::FromStr;

/// The algorithm and size of a generated key pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// RSA, 2048-bit modulus, signed with SHA256withRSA.
    Rsa2048,
    /// RSA, 3072-bit modulus, signed with SHA256withRSA.
    Rsa3072,
    /// RSA, 4096-bit modulus, signed with SHA256withRSA: what Elasticsearch generates.
    #[default]
    Rsa4096,
    /// ECDSA on P-256, signed with SHA256withECDSA.
    EcdsaP256,
    /// ECDSA on P-384, signed with SHA384withECDSA.
    EcdsaP384,
}

impl KeyType {
    /// Every key type, in declaration order ([`KeyType::index`] is the position here).
    pub const ALL: [KeyType; 5] = [
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
    ];

    /// Position in [`KeyType::ALL`]. An exhaustive match: a new variant does not compile until it
    /// has an index, and the unit test checks that `ALL` lists it there.
    pub const fn index(self) -> usize {
        match self {
            KeyType::Rsa2048 => 0,
            KeyType::Rsa3072 => 1,
            KeyType::Rsa4096 => 2,
            KeyType::EcdsaP256 => 3,
            KeyType::EcdsaP384 => 4,
        }
    }

    /// The name accepted by [`FromStr`] and printed by [`fmt::Display`] (the `--key-type` value).
    pub const fn name(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
        }
    }

    /// The JCA name of the signature algorithm a key of this type signs with.
    pub const fn signature_algorithm(self) -> &'static str {
        match self {
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => "SHA256withRSA",
            KeyType::EcdsaP256 => "SHA256withECDSA",
            KeyType::EcdsaP384 => "SHA384withECDSA",
        }
    }

    /// RSA modulus length in bits, or the EC field size in bits.
    pub const fn bits(self) -> u32 {
        match self {
            KeyType::Rsa2048 => 2048,
            KeyType::Rsa3072 => 3072,
            KeyType::Rsa4096 => 4096,
            KeyType::EcdsaP256 => 256,
            KeyType::EcdsaP384 => 384,
        }
    }

    /// Whether this is an RSA key type.
    pub const fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyType {
    type Err = UnknownKeyType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyType::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownKeyType(s.to_owned()))
    }
}

/// A key type name that [`KeyType::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKeyType(pub String);

impl fmt::Display for UnknownKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = KeyType::ALL.iter().map(|k| k.name()).collect();
        write!(
            f,
            "unknown key type [{}], expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownKeyType {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_variant_at_its_index() {
        for (i, kt) in KeyType::ALL.iter().enumerate() {
            assert_eq!(kt.index(), i, "{kt}");
        }
    }

    #[test]
    fn names_round_trip() {
        for kt in KeyType::ALL {
            assert_eq!(kt.name().parse::<KeyType>(), Ok(kt));
        }
        assert!("dsa".parse::<KeyType>().is_err());
        assert_eq!(KeyType::default(), KeyType::Rsa4096);
    }
}
