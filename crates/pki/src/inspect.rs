//! Reading a certificate back into the vocabulary of `esac-certspec`: what `status` reports and
//! what tests compare with the plan `--dry-run` showed.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use esac_certspec::{ExtKeyUsage, KeyType, KeyUsageBit, SanEntry};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use crate::error::{Error, Result};

/// What a certificate says, in the terms of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject DN as text (`CN=...`).
    pub subject: String,
    /// Issuer DN as text.
    pub issuer: String,
    /// The subject's CN, when it has one.
    pub subject_cn: Option<String>,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
    /// subjectAltName entries (IP, DNS and certutil's CN otherName ones; others are skipped).
    pub sans: Vec<SanEntry>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// KeyUsage bits that `esac-certspec` names.
    pub key_usage: Vec<KeyUsageBit>,
    /// Extended key usages that `esac-certspec` names.
    pub extended_key_usage: Vec<ExtKeyUsage>,
    /// The key's type, when it is one es-autoconf generates.
    pub key_type: Option<KeyType>,
    /// Lowercase hex SHA-256 of the DER (the enrollment token's `fgr` format).
    pub sha256: String,
    /// Lowercase hex SHA-256 of the SubjectPublicKeyInfo (to match keys and CAs).
    pub spki_sha256: String,
}

impl CertInfo {
    /// notAfter − notBefore in whole days.
    pub fn validity_days(&self) -> u64 {
        self.not_after
            .duration_since(self.not_before)
            .map(|d| d.as_secs() / 86_400)
            .unwrap_or(0)
    }
}

fn time(t: x509_parser::time::ASN1Time) -> SystemTime {
    let secs = t.timestamp();
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// `[0] EXPLICIT UTF8String`: the value of certutil's `cn` otherName.
fn explicit_utf8(bytes: &[u8]) -> Option<String> {
    fn tlv(tag: u8, bytes: &[u8]) -> Option<&[u8]> {
        let (&t, rest) = bytes.split_first()?;
        let (&first, rest) = rest.split_first()?;
        if t != tag {
            return None;
        }
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (len, &rest[n..])
        };
        rest.get(..len)
    }
    let inner = tlv(0xa0, bytes)?;
    String::from_utf8(tlv(0x0c, inner)?.to_vec()).ok()
}

/// Parses a DER certificate.
pub fn inspect(der: &[u8]) -> Result<CertInfo> {
    let (rest, cert) =
        X509Certificate::from_der(der).map_err(|e| Error::InvalidCertificate(e.to_string()))?;
    if !rest.is_empty() {
        return Err(Error::InvalidCertificate(
            "trailing bytes after the certificate".to_owned(),
        ));
    }
    let mut sans = Vec::new();
    let mut is_ca = false;
    let mut key_usage = Vec::new();
    let mut extended_key_usage = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => sans.push(SanEntry::Dns((*d).to_owned())),
                        GeneralName::IPAddress(bytes) => {
                            let ip = match bytes.len() {
                                4 => <[u8; 4]>::try_from(*bytes).ok().map(IpAddr::from),
                                16 => <[u8; 16]>::try_from(*bytes).ok().map(IpAddr::from),
                                _ => None,
                            };
                            if let Some(ip) = ip {
                                sans.push(SanEntry::Ip(ip));
                            }
                        }
                        GeneralName::OtherName(oid, value)
                            if oid.as_bytes() == crate::ext::CN_OID_CONTENT =>
                        {
                            if let Some(cn) = explicit_utf8(value) {
                                sans.push(SanEntry::CommonName(cn));
                            }
                        }
                        _ => {}
                    }
                }
            }
            ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
            ParsedExtension::KeyUsage(ku) => {
                for (set, bit) in [
                    (ku.digital_signature(), KeyUsageBit::DigitalSignature),
                    (ku.key_encipherment(), KeyUsageBit::KeyEncipherment),
                    (ku.key_cert_sign(), KeyUsageBit::KeyCertSign),
                    (ku.crl_sign(), KeyUsageBit::CrlSign),
                ] {
                    if set {
                        key_usage.push(bit);
                    }
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) if eku.server_auth => {
                extended_key_usage.push(ExtKeyUsage::ServerAuth);
            }
            _ => {}
        }
    }
    let spki = cert.public_key();
    let key_type = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => match rsa.key_size() {
            2048 => Some(KeyType::Rsa2048),
            3072 => Some(KeyType::Rsa3072),
            4096 => Some(KeyType::Rsa4096),
            _ => None,
        },
        Ok(PublicKey::EC(_)) if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(c) if c == OID_EC_P256 => Some(KeyType::EcdsaP256),
                Some(c) if c == OID_NIST_EC_P384 => Some(KeyType::EcdsaP384),
                _ => None,
            }
        }
        _ => None,
    };
    let subject_cn = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned);
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        subject_cn,
        serial: cert.raw_serial_as_string().replace(':', ""),
        not_before: time(cert.validity().not_before),
        not_after: time(cert.validity().not_after),
        sans,
        is_ca,
        key_usage,
        extended_key_usage,
        key_type,
        sha256: crate::sha256_hex(der),
        spki_sha256: crate::sha256_hex(spki.raw),
    })
}
