//! Subjects that are whole distinguished names (`layout`, an `instances.yml` name with `=`),
//! encoded by hand because they may repeat an attribute type (`DC=example,DC=com`), which rcgen's
//! name type collapses; and the re-signing of a certificate whose subject was replaced.
//!
//! Only DER this crate produced passes through [`with_subject`]: a certificate rcgen just made,
//! whose layout is fixed (RFC 5280 4.1). Every read is bounds-checked anyway.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
    RSA_PKCS1_SHA256,
};
use esac_certspec::{DistinguishedName, DnStringType, KeyType};

use crate::error::{Error, Result};
use crate::ext::tlv;
use crate::keys::PrivateKey;

/// `Name ::= SEQUENCE OF RelativeDistinguishedName`, most significant first (the reverse of the
/// written order), one attribute per RDN, each value with the string type `X500Principal`
/// gives it.
pub(crate) fn encode(dn: &DistinguishedName) -> Result<Vec<u8>> {
    let mut rdns = Vec::new();
    for a in dn.attributes().iter().rev() {
        let (tag, bytes) = match a.string_type() {
            DnStringType::Printable => (0x13, a.value.as_bytes()),
            DnStringType::Ia5 => (0x16, a.value.as_bytes()),
            DnStringType::Utf8 => (0x0c, a.value.as_bytes()),
        };
        let mut atv = tlv(0x06, &oid(&a.oid)?);
        atv.extend(tlv(tag, bytes));
        rdns.extend(tlv(0x31, &tlv(0x30, &atv)));
    }
    Ok(tlv(0x30, &rdns))
}

/// OID content octets (X.690 8.19).
fn oid(arcs: &[u64]) -> Result<Vec<u8>> {
    let bad = || Error::Certificate(format!("invalid attribute type OID {arcs:?}"));
    let [first, second, rest @ ..] = arcs else {
        return Err(bad());
    };
    if *first > 2 || (*first < 2 && *second >= 40) {
        return Err(bad());
    }
    let head = first
        .checked_mul(40)
        .and_then(|f| f.checked_add(*second))
        .ok_or_else(bad)?;
    let mut out = Vec::new();
    for arc in std::iter::once(head).chain(rest.iter().copied()) {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut v = arc >> 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        chunk.reverse();
        out.extend(chunk);
    }
    Ok(out)
}

/// One TLV at the start of `bytes`: (tag, whole length, content range start).
fn tlv_at(bytes: &[u8]) -> Result<(u8, usize, usize)> {
    let bad = || Error::Certificate("malformed certificate while replacing its subject".into());
    let tag = *bytes.first().ok_or_else(bad)?;
    let first = *bytes.get(1).ok_or_else(bad)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(bad());
        }
        let len_bytes = bytes.get(2..2 + n).ok_or_else(bad)?;
        (
            len_bytes
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b)),
            2 + n,
        )
    };
    let total = header.checked_add(len).ok_or_else(bad)?;
    if total > bytes.len() {
        return Err(bad());
    }
    Ok((tag, total, header))
}

/// The certificate `der` with its subject replaced by `subject` (an encoded `Name`), its
/// TBSCertificate signed again by `signer` with the algorithm the certificate already names.
pub(crate) fn with_subject(der: &[u8], subject: &[u8], signer: &PrivateKey) -> Result<Vec<u8>> {
    let (_, _, cert_header) = tlv_at(der)?;
    let body = &der[cert_header..];
    let (_, tbs_len, tbs_header) = tlv_at(body)?;
    let tbs = &body[tbs_header..tbs_len];
    let sig_alg = {
        let (_, len, _) = tlv_at(&body[tbs_len..])?;
        &body[tbs_len..tbs_len + len]
    };
    // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, ...
    let mut at = 0;
    let mut fields = Vec::new();
    while at < tbs.len() {
        let (_, len, _) = tlv_at(&tbs[at..])?;
        fields.push(&tbs[at..at + len]);
        at += len;
    }
    if fields.len() < 7 {
        return Err(Error::Certificate(
            "a certificate without the fields of a v3 TBSCertificate".into(),
        ));
    }
    let mut new_tbs = Vec::with_capacity(tbs.len() + subject.len());
    for (i, f) in fields.iter().enumerate() {
        new_tbs.extend_from_slice(if i == 5 { subject } else { f });
    }
    let new_tbs = tlv(0x30, &new_tbs);
    let signature = sign(signer, &new_tbs)?;
    let mut bit_string = vec![0u8];
    bit_string.extend(signature);
    let mut cert = new_tbs;
    cert.extend_from_slice(sig_alg);
    cert.extend(tlv(0x03, &bit_string));
    Ok(tlv(0x30, &cert))
}

/// The signature rcgen makes with this key (SHA256withRSA, SHA256/384withECDSA).
fn sign(key: &PrivateKey, message: &[u8]) -> Result<Vec<u8>> {
    let rng = SystemRandom::new();
    let der = key.pkcs8_der().expose();
    let failed = |e: String| Error::Certificate(format!("cannot sign: {e}"));
    match key.key_type() {
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
            let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| failed(e.to_string()))?;
            let mut sig = vec![0u8; pair.public_modulus_len()];
            pair.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                .map_err(|e| failed(e.to_string()))?;
            Ok(sig)
        }
        kt @ (KeyType::EcdsaP256 | KeyType::EcdsaP384) => {
            let alg = if kt == KeyType::EcdsaP256 {
                &ECDSA_P256_SHA256_ASN1_SIGNING
            } else {
                &ECDSA_P384_SHA384_ASN1_SIGNING
            };
            let pair = EcdsaKeyPair::from_pkcs8(alg, der).map_err(|e| failed(e.to_string()))?;
            pair.sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|e| failed(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_encode_as_x690_says() {
        assert_eq!(oid(&[2, 5, 4, 3]).unwrap(), [0x55, 0x04, 0x03]);
        assert_eq!(
            oid(&[0, 9, 2342, 19_200_300, 100, 1, 25]).unwrap(),
            [0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19]
        );
        assert!(oid(&[1, 40]).is_err());
        assert!(oid(&[3, 1]).is_err());
        assert!(oid(&[2]).is_err());
    }
}
