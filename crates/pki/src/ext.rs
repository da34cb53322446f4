//! The X.509 v3 extensions, encoded by hand in Elasticsearch's order.
//!
//! rcgen writes its own extensions in a fixed order (AKI, SAN, KU, EKU, …, SKI + BC) and only
//! writes a SubjectKeyIdentifier together with BasicConstraints, which it marks critical even for
//! `cA=FALSE`. Elasticsearch (`CertGenUtils.generateSignedCertificate`) writes, in this order:
//! SubjectKeyIdentifier, AuthorityKeyIdentifier (keyIdentifier only), SubjectAlternativeName (if
//! any), BasicConstraints (critical iff CA; an empty SEQUENCE for leaves), KeyUsage (critical),
//! ExtendedKeyUsage. So every extension goes to rcgen as a `CustomExtension`, which rcgen writes
//! verbatim and in order, and rcgen's own extension fields stay empty.

use aws_lc_rs::digest;
use rcgen::CustomExtension;

use crate::error::{Error, Result};
use esac_certspec::{CertSpec, ExtKeyUsage, SanEntry};

const OID_SUBJECT_KEY_IDENTIFIER: &[u64] = &[2, 5, 29, 14];
const OID_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const OID_SUBJECT_ALT_NAME: &[u64] = &[2, 5, 29, 17];
const OID_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const OID_AUTHORITY_KEY_IDENTIFIER: &[u64] = &[2, 5, 29, 35];
const OID_EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 37];

/// id-kp-serverAuth 1.3.6.1.5.5.7.3.1, DER-encoded OID content.
const SERVER_AUTH_OID_CONTENT: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

/// The key identifier BouncyCastle's `JcaX509ExtensionUtils` computes by default (RFC 5280
/// 4.2.1.2 method 1): SHA-1 of the subjectPublicKey BIT STRING contents (no unused-bits byte).
pub(crate) fn key_identifier(subject_public_key: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, subject_public_key)
        .as_ref()
        .to_vec()
}

/// The extensions of `spec`, for a subject key and an issuer key given by their key identifiers.
pub(crate) fn extensions(
    spec: &CertSpec,
    subject_key_id: &[u8],
    issuer_key_id: &[u8],
) -> Result<Vec<CustomExtension>> {
    let mut out = Vec::with_capacity(6);
    out.push(extension(
        OID_SUBJECT_KEY_IDENTIFIER,
        false,
        tlv(0x04, subject_key_id),
    ));
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }
    out.push(extension(
        OID_AUTHORITY_KEY_IDENTIFIER,
        false,
        tlv(0x30, &tlv(0x80, issuer_key_id)),
    ));
    if !spec.sans.is_empty() {
        out.push(extension(OID_SUBJECT_ALT_NAME, false, san(&spec.sans)?));
    }
    // BouncyCastle `new BasicConstraints(false)` encodes an empty SEQUENCE (cA DEFAULT FALSE);
    // `new BasicConstraints(true)` encodes cA=TRUE without pathLenConstraint.
    let bc = if spec.is_ca {
        tlv(0x30, &[0x01, 0x01, 0xff])
    } else {
        tlv(0x30, &[])
    };
    out.push(extension(OID_BASIC_CONSTRAINTS, spec.is_ca, bc));
    if !spec.key_usage.is_empty() {
        let bits: u16 = spec
            .key_usage
            .iter()
            .fold(0, |acc, k| acc | (0x8000 >> k.bit()));
        out.push(extension(OID_KEY_USAGE, true, named_bit_string(bits)));
    }
    if !spec.extended_key_usage.is_empty() {
        let mut seq = Vec::new();
        for eku in &spec.extended_key_usage {
            match eku {
                ExtKeyUsage::ServerAuth => seq.extend(tlv(0x06, SERVER_AUTH_OID_CONTENT)),
            }
        }
        out.push(extension(OID_EXT_KEY_USAGE, false, tlv(0x30, &seq)));
    }
    Ok(out)
}

fn extension(oid: &[u64], critical: bool, value: Vec<u8>) -> CustomExtension {
    let mut ext = CustomExtension::from_oid_content(oid, value);
    ext.set_criticality(critical);
    ext
}

/// The subjectAltName extension value of `entries` (renewal).
pub(crate) fn san_value(entries: &[SanEntry]) -> Result<Vec<u8>> {
    san(entries)
}

/// The OID 2.5.4.3 (id-at-commonName), DER-encoded content.
pub(crate) const CN_OID_CONTENT: &[u8] = &[0x55, 0x04, 0x03];

/// GeneralNames: `[7] IMPLICIT OCTET STRING` for addresses, `[2] IMPLICIT IA5String` for names,
/// `[0] IMPLICIT OtherName { 2.5.4.3, [0] EXPLICIT UTF8String }` for certutil's `cn` entries
/// (BouncyCastle's `GeneralName(otherName, DERSequence(oid, DERTaggedObject(true, 0, utf8)))`).
fn san(entries: &[SanEntry]) -> Result<Vec<u8>> {
    let mut seq = Vec::new();
    for entry in entries {
        match entry {
            SanEntry::Ip(std::net::IpAddr::V4(ip)) => seq.extend(tlv(0x87, &ip.octets())),
            SanEntry::Ip(std::net::IpAddr::V6(ip)) => seq.extend(tlv(0x87, &ip.octets())),
            SanEntry::Dns(name) => {
                // IA5String is 7-bit ASCII; an empty dNSName is invalid.
                if name.is_empty() || !name.is_ascii() {
                    return Err(Error::InvalidSan(name.clone()));
                }
                seq.extend(tlv(0x82, name.as_bytes()));
            }
            SanEntry::CommonName(name) => {
                let mut other = tlv(0x06, CN_OID_CONTENT);
                other.extend(tlv(0xa0, &tlv(0x0c, name.as_bytes())));
                seq.extend(tlv(0xa0, &other));
            }
        }
    }
    Ok(tlv(0x30, &seq))
}

/// A DER named BIT STRING: trailing zero bits removed, as BouncyCastle's `KeyUsage` writes it.
fn named_bit_string(bits: u16) -> Vec<u8> {
    if bits == 0 {
        return tlv(0x03, &[0x00]);
    }
    let used = 16 - bits.trailing_zeros() as usize;
    let bytes = used.div_ceil(8);
    let unused = (bytes * 8 - used) as u8;
    let be = bits.to_be_bytes();
    let mut content = vec![unused];
    content.extend_from_slice(&be[..bytes]);
    tlv(0x03, &content)
}

/// One DER TLV with a definite length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = len.to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (be.len() - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use esac_certspec::KeyUsageBit;

    #[test]
    fn common_name_sans_are_certutil_s_other_names() {
        assert_eq!(
            san(&[SanEntry::CommonName("é".to_owned())]).unwrap(),
            [
                0x30, 0x0d, 0xa0, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0xa0, 0x04, 0x0c, 0x02, 0xc3,
                0xa9
            ]
        );
    }

    #[test]
    fn key_usage_encodings_match_bouncycastle() {
        let ca =
            (0x8000u16 >> KeyUsageBit::KeyCertSign.bit()) | (0x8000 >> KeyUsageBit::CrlSign.bit());
        assert_eq!(named_bit_string(ca), [0x03, 0x02, 0x01, 0x06]);
        let leaf = (0x8000u16 >> KeyUsageBit::DigitalSignature.bit())
            | (0x8000 >> KeyUsageBit::KeyEncipherment.bit());
        assert_eq!(named_bit_string(leaf), [0x03, 0x02, 0x05, 0xa0]);
    }

    #[test]
    fn long_lengths() {
        assert_eq!(tlv(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[0; 0x1234])[..4], [0x04, 0x82, 0x12, 0x34]);
    }

    #[test]
    fn san_rejects_non_ascii_names() {
        assert!(san(&[SanEntry::Dns("nœud".to_owned())]).is_err());
        assert_eq!(
            san(&[SanEntry::Dns("a".to_owned())]).unwrap(),
            [0x30, 0x03, 0x82, 0x01, b'a']
        );
    }
}
