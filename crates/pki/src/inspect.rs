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
    /// The key as `rsa-<bits>`, `ecdsa-p256`, `ecdsa-p384`, `ecdsa-p521`, `ed25519`, or the
    /// algorithm's OID: also for the key sizes es-autoconf does not generate.
    pub key_description: String,
    /// RSA modulus size in bits.
    pub rsa_bits: Option<u32>,
    /// The signature algorithm's name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ...), or
    /// its OID when not one of the common ones.
    pub signature_algorithm: String,
    /// Whether the certificate has an extendedKeyUsage extension at all.
    pub has_extended_key_usage: bool,
    /// subjectKeyIdentifier, lowercase hex.
    pub subject_key_id: Option<String>,
    /// authorityKeyIdentifier's keyIdentifier, lowercase hex.
    pub authority_key_id: Option<String>,
}

impl CertInfo {
    /// Signed with SHA-1 or MD5 (no longer collision-resistant).
    pub fn weak_signature(&self) -> bool {
        let s = self.signature_algorithm.to_ascii_lowercase();
        s.contains("sha1") || s.contains("md5")
    }
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
    let mut has_extended_key_usage = false;
    let mut subject_key_id = None;
    let mut authority_key_id = None;
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
            ParsedExtension::ExtendedKeyUsage(eku) => {
                has_extended_key_usage = true;
                if eku.server_auth {
                    extended_key_usage.push(ExtKeyUsage::ServerAuth);
                }
            }
            ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(hex(id.0)),
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                authority_key_id = aki.key_identifier.as_ref().map(|id| hex(id.0));
            }
            _ => {}
        }
    }
    let spki = cert.public_key();
    let (key_description, rsa_bits) = describe_key(spki);
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
        key_description,
        rsa_bits,
        signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
        has_extended_key_usage,
        subject_key_id,
        authority_key_id,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn describe_key(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> (String, Option<u32>) {
    let oid = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = u32::try_from(rsa.key_size()).unwrap_or(u32::MAX);
            (format!("rsa-{bits}"), Some(bits))
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|c| c.to_id_string());
            let name = match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") => "ecdsa-p256".to_owned(),
                Some("1.3.132.0.34") => "ecdsa-p384".to_owned(),
                Some("1.3.132.0.35") => "ecdsa-p521".to_owned(),
                Some(c) => format!("ec-{c}"),
                None => "ec".to_owned(),
            };
            (name, None)
        }
        _ if oid == "1.3.101.112" => ("ed25519".to_owned(), None),
        _ => (oid, None),
    }
}

/// The usual name of a signature algorithm OID.
fn signature_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.3.14.3.2.29" => "sha1WithRSA",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        other => other,
    }
    .to_owned()
}
