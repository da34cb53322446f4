//! Renewal (lifecycle spec §3): reading an existing certificate into a template, signing a new
//! HTTP leaf under the CA already in `http.p12`, re-issuing that CA with its own key, checking a
//! signature, and the shape of an HTTP store.
//!
//! rcgen re-encodes names from their parts; a renewal must keep the subject and issuer **bytes**
//! (chain builders compare names byte for byte), so the TBSCertificate is built here in DER
//! from the template, and the key signs it through rcgen's `SigningKey`. Extensions keep the old
//! certificate's set, order and criticality: subjectKeyIdentifier, authorityKeyIdentifier and
//! subjectAltName are recomputed for the new certificate, every other extension is copied.

use std::time::SystemTime;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use esac_certspec::{
    CaReissue, ExistingCert, ExtTemplate, ExtValue, LeafRenewal, SanEntry,
    OID_AUTHORITY_KEY_IDENTIFIER, OID_SUBJECT_ALT_NAME, OID_SUBJECT_KEY_IDENTIFIER,
};
use esac_secret::Secret;
use rcgen::{PublicKeyData, SigningKey};
use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

use crate::cert::{parse, random_serial, CertifiedKey};
use crate::error::{Error, Result};
use crate::ext::{key_identifier, san_value, tlv};
use crate::keys::PrivateKey;
use crate::p12::{http_p12_with_aliases, P12Contents};

/// Reads a DER certificate into the terms of a renewal.
pub fn existing_cert(der: &[u8]) -> Result<ExistingCert> {
    let info = crate::inspect(der)?;
    let cert = parse(der)?;
    let mut sans = Vec::new();
    let mut extensions = Vec::new();
    for ext in cert.extensions() {
        let oid = ext.oid.as_bytes().to_vec();
        let value = if oid == OID_SUBJECT_KEY_IDENTIFIER {
            ExtValue::SubjectKeyId
        } else if oid == OID_AUTHORITY_KEY_IDENTIFIER {
            ExtValue::AuthorityKeyId
        } else if oid == OID_SUBJECT_ALT_NAME {
            // Only IP and DNS names can be carried over; anything else would be lost.
            if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(_) | GeneralName::IPAddress(_) => {}
                        other => {
                            return Err(Error::InvalidCertificate(format!(
                                "the subjectAltName holds {other:?}, which renew cannot carry over"
                            )))
                        }
                    }
                }
            }
            ExtValue::SubjectAltName
        } else {
            ExtValue::Copy(ext.value.to_vec())
        };
        extensions.push(ExtTemplate {
            oid,
            critical: ext.critical,
            value,
        });
    }
    sans.extend(info.sans.iter().cloned());
    // The INTEGER's leading zero octet (a sign byte) is not part of the number.
    let mut serial = info.serial.as_str();
    while serial.len() > 2 && serial.starts_with("00") {
        serial = &serial[2..];
    }
    Ok(ExistingCert {
        subject: info.subject.clone(),
        subject_der: cert.subject().as_raw().to_vec(),
        issuer_der: cert.issuer().as_raw().to_vec(),
        serial: serial.to_owned(),
        not_before: info.not_before,
        not_after: info.not_after,
        sans,
        key_type: info.key_type,
        is_ca: info.is_ca,
        sha256: info.sha256.clone(),
        spki_sha256: info.spki_sha256.clone(),
        extensions,
    })
}

/// Whether `cert_der`'s signature verifies with the public key of `issuer_der`, and its issuer
/// name is the issuer's subject, byte for byte.
pub fn signed_by(cert_der: &[u8], issuer_der: &[u8]) -> Result<bool> {
    let cert = parse(cert_der)?;
    let issuer = parse(issuer_der)?;
    if cert.issuer().as_raw() != issuer.subject().as_raw() {
        return Ok(false);
    }
    let alg = verification_algorithm(&cert, &issuer)?;
    let key = UnparsedPublicKey::new(alg, issuer.public_key().subject_public_key.data.as_ref());
    Ok(key
        .verify(
            cert.tbs_certificate.as_ref(),
            cert.signature_value.data.as_ref(),
        )
        .is_ok())
}

fn verification_algorithm(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Result<&'static dyn VerificationAlgorithm> {
    let sig = cert.signature_algorithm.algorithm.to_id_string();
    let curve = issuer
        .public_key()
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let p384 = curve.as_deref() == Some("1.3.132.0.34");
    Ok(match sig.as_str() {
        "1.2.840.113549.1.1.11" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "1.2.840.113549.1.1.12" => &signature::RSA_PKCS1_2048_8192_SHA384,
        "1.2.840.113549.1.1.13" => &signature::RSA_PKCS1_2048_8192_SHA512,
        "1.2.840.10045.4.3.2" if p384 => &signature::ECDSA_P384_SHA256_ASN1,
        "1.2.840.10045.4.3.2" => &signature::ECDSA_P256_SHA256_ASN1,
        "1.2.840.10045.4.3.3" if p384 => &signature::ECDSA_P384_SHA384_ASN1,
        "1.2.840.10045.4.3.3" => &signature::ECDSA_P256_SHA384_ASN1,
        other => {
            return Err(Error::InvalidCertificate(format!(
                "unsupported signature algorithm {other}"
            )))
        }
    })
}

/// The AlgorithmIdentifier of the signatures a key of this type makes (as rcgen signs).
fn signature_algorithm_der(key: &PrivateKey) -> Vec<u8> {
    use esac_certspec::KeyType;
    match key.key_type() {
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => vec![
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05,
            0x00,
        ],
        KeyType::EcdsaP256 => vec![
            0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
        ],
        KeyType::EcdsaP384 => vec![
            0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
        ],
    }
}

/// UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5).
fn time_der(t: SystemTime) -> Vec<u8> {
    let t = OffsetDateTime::from(t);
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let year = t.year();
    if (1950..2050).contains(&year) {
        tlv(0x17, format!("{:02}{rest}", year % 100).as_bytes())
    } else {
        tlv(0x18, format!("{year:04}{rest}").as_bytes())
    }
}

/// A positive INTEGER from big-endian magnitude bytes.
fn integer_der(magnitude: &[u8]) -> Vec<u8> {
    let start = magnitude
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(magnitude.len().saturating_sub(1));
    let mut content = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.get(start).is_some_and(|b| *b >= 0x80) {
        content.push(0);
    }
    content.extend_from_slice(&magnitude[start..]);
    tlv(0x02, &content)
}

/// What a TBSCertificate is made of.
struct Tbs<'a> {
    issuer: &'a [u8],
    subject: &'a [u8],
    not_before: SystemTime,
    not_after: SystemTime,
    spki: &'a [u8],
    /// (OID content octets, critical, value)
    extensions: Vec<(Vec<u8>, bool, Vec<u8>)>,
}

/// Builds and signs the certificate, then checks it parses back with the intended names and
/// verifies with `signer_cert`'s key (`None`: self-signed, checked against itself).
fn sign(tbs: &Tbs<'_>, signer: &PrivateKey, signer_cert: Option<&[u8]>) -> Result<Vec<u8>> {
    let alg = signature_algorithm_der(signer);
    let mut exts = Vec::new();
    for (oid, critical, value) in &tbs.extensions {
        let mut e = tlv(0x06, oid);
        if *critical {
            e.extend_from_slice(&[0x01, 0x01, 0xff]);
        }
        e.extend(tlv(0x04, value));
        exts.extend(tlv(0x30, &e));
    }
    let mut validity = time_der(tbs.not_before);
    validity.extend(time_der(tbs.not_after));
    let mut body = vec![0xa0, 0x03, 0x02, 0x01, 0x02];
    body.extend(integer_der(&random_serial()?));
    body.extend_from_slice(&alg);
    body.extend_from_slice(tbs.issuer);
    body.extend(tlv(0x30, &validity));
    body.extend_from_slice(tbs.subject);
    body.extend_from_slice(tbs.spki);
    if !exts.is_empty() {
        body.extend(tlv(0xa3, &tlv(0x30, &exts)));
    }
    let tbs_der = tlv(0x30, &body);
    let pair = signer.rcgen_key_pair()?;
    let sig = pair.sign(&tbs_der)?;
    let mut bits = vec![0u8];
    bits.extend(sig);
    let mut cert = tbs_der;
    cert.extend_from_slice(&alg);
    cert.extend(tlv(0x03, &bits));
    let der = tlv(0x30, &cert);
    let parsed = parse(&der)?;
    if parsed.subject().as_raw() != tbs.subject || parsed.issuer().as_raw() != tbs.issuer {
        return Err(Error::Certificate(
            "the names did not survive encoding".to_owned(),
        ));
    }
    let issuer = signer_cert.unwrap_or(&der);
    if !signed_by(&der, issuer)? {
        return Err(Error::Certificate(
            "the new certificate does not verify with its issuer's key".to_owned(),
        ));
    }
    Ok(der)
}

/// The key identifier of a CA: its subjectKeyIdentifier when it has one, else computed from its
/// key as Elasticsearch computes it.
fn ca_key_identifier(ca: &X509Certificate<'_>) -> Vec<u8> {
    for ext in ca.extensions() {
        if let ParsedExtension::SubjectKeyIdentifier(ki) = ext.parsed_extension() {
            return ki.0.to_vec();
        }
    }
    key_identifier(&ca.public_key().subject_public_key.data)
}

/// A new leaf for `spec`, for `key`, signed by `ca` (the CA the old leaf was issued by).
pub fn renew_leaf(spec: &LeafRenewal, ca: &CertifiedKey, key: &PrivateKey) -> Result<CertifiedKey> {
    let ca_cert = parse(ca.cert_der())?;
    if ca_cert.subject().as_raw() != spec.old.issuer_der.as_slice() {
        return Err(Error::Certificate(
            "the CA is not the one that issued the certificate".to_owned(),
        ));
    }
    let pair = key.rcgen_key_pair()?;
    let spki = pair.subject_public_key_info();
    let mut extensions = Vec::new();
    for t in spec.extensions() {
        let value = match &t.value {
            ExtValue::SubjectKeyId => tlv(0x04, &key_identifier(pair.public_key_raw())),
            ExtValue::AuthorityKeyId => tlv(0x30, &tlv(0x80, &ca_key_identifier(&ca_cert))),
            ExtValue::SubjectAltName => san_value(&spec.sans)?,
            ExtValue::Copy(v) => v.clone(),
        };
        extensions.push((t.oid.clone(), t.critical, value));
    }
    if !spec.sans.is_empty()
        && !spec
            .extensions()
            .iter()
            .any(|t| t.value == ExtValue::SubjectAltName)
    {
        // The old certificate had no SAN extension: add one after the key identifiers.
        let at = extensions
            .iter()
            .position(|(oid, _, _)| {
                oid != OID_SUBJECT_KEY_IDENTIFIER && oid != OID_AUTHORITY_KEY_IDENTIFIER
            })
            .unwrap_or(extensions.len());
        extensions.insert(
            at,
            (OID_SUBJECT_ALT_NAME.to_vec(), false, san_value(&spec.sans)?),
        );
    }
    let der = sign(
        &Tbs {
            issuer: ca_cert.subject().as_raw(),
            subject: &spec.old.subject_der,
            not_before: spec.not_before,
            not_after: spec.not_after,
            spki: &spki,
            extensions,
        },
        ca.key(),
        Some(ca.cert_der()),
    )?;
    Ok(CertifiedKey::new_unchecked(der, key.clone()))
}

/// The CA certificate of `ca` re-issued as `spec` says: same subject, key and extensions
/// (subjectKeyIdentifier included), a new serial and validity, signed by its own key.
pub fn reissue_ca(spec: &CaReissue, ca: &CertifiedKey) -> Result<CertifiedKey> {
    if crate::sha256_hex(ca.cert_der()) != spec.old.sha256 {
        return Err(Error::Certificate(
            "the CA certificate is not the one the plan was made from".to_owned(),
        ));
    }
    let old = parse(ca.cert_der())?;
    let extensions = old
        .extensions()
        .iter()
        .map(|e| (e.oid.as_bytes().to_vec(), e.critical, e.value.to_vec()))
        .collect();
    let der = sign(
        &Tbs {
            issuer: old.subject().as_raw(),
            subject: old.subject().as_raw(),
            not_before: spec.not_before,
            not_after: spec.not_after,
            spki: old.public_key().raw,
            extensions,
        },
        ca.key(),
        None,
    )?;
    Ok(CertifiedKey::new_unchecked(der, ca.key().clone()))
}

/// Whether `candidate` can replace the CA certificate of `ca`: one certificate with the same
/// subject bytes and the same public key, signed by that key (`--import-ca-cert`).
pub fn same_ca_key(candidate: &[u8], ca: &CertifiedKey) -> Result<bool> {
    let new = parse(candidate)?;
    let old = parse(ca.cert_der())?;
    Ok(new.subject().as_raw() == old.subject().as_raw()
        && new.public_key().raw == old.public_key().raw
        && crate::cert_is_ca(candidate)
        && signed_by(candidate, candidate)?)
}

/// The entries of an HTTP store as Elasticsearch uses them: one key entry whose certificate is
/// a CA (enrollment, renewal) and one that is not (what the node serves).
#[derive(Clone, Debug)]
pub struct HttpStore {
    /// The CA entry's alias (`http_ca` for auto-configuration).
    pub ca_alias: String,
    /// The CA certificate and key.
    pub ca: CertifiedKey,
    /// The node's entry's alias (`http`).
    pub leaf_alias: String,
    /// The node's certificate and key.
    pub leaf: CertifiedKey,
    /// The node's chain as stored, leaf first.
    pub leaf_chain: Vec<Vec<u8>>,
}

/// Why a store is not the HTTP store `renew` works on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError(pub String);

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the shape of an HTTP store: exactly one CA key entry and one other key entry, no
/// trusted-certificate entry, each key matching its certificate, the node's certificate issued
/// (name and signature) by the CA.
pub fn http_store(contents: &P12Contents) -> std::result::Result<HttpStore, ShapeError> {
    let entries: Vec<String> = contents
        .key_entries
        .iter()
        .map(|e| {
            format!(
                "{} (key entry, {})",
                e.alias,
                if e.is_ca() { "CA" } else { "not a CA" }
            )
        })
        .chain(
            contents
                .trusted_certs
                .iter()
                .map(|t| format!("{} (trusted certificate)", t.alias)),
        )
        .collect();
    let shape = |why: &str| ShapeError(format!("{why}; it holds: {}", entries.join(", ")));
    let cas: Vec<_> = contents.ca_key_entries().collect();
    let leaves: Vec<_> = contents.key_entries.iter().filter(|e| !e.is_ca()).collect();
    let (ca, leaf) = match (cas.as_slice(), leaves.as_slice()) {
        ([ca], [leaf]) if contents.trusted_certs.is_empty() => (*ca, *leaf),
        _ => {
            return Err(shape(
                "expected exactly one key entry with a CA certificate and one without, and no other entry",
            ))
        }
    };
    let ca_key = ca
        .certified_key()
        .map_err(|e| shape(&format!("the CA entry [{}]: {e}", ca.alias)))?;
    let leaf_key = leaf
        .certified_key()
        .map_err(|e| shape(&format!("the entry [{}]: {e}", leaf.alias)))?;
    match signed_by(leaf_key.cert_der(), ca_key.cert_der()) {
        Ok(true) => {}
        Ok(false) => {
            return Err(shape(&format!(
                "the certificate of [{}] was not issued by the CA of [{}]",
                leaf.alias, ca.alias
            )))
        }
        Err(e) => return Err(shape(&e.to_string())),
    }
    Ok(HttpStore {
        ca_alias: ca.alias.clone(),
        ca: ca_key,
        leaf_alias: leaf.alias.clone(),
        leaf: leaf_key,
        leaf_chain: leaf.chain.clone(),
    })
}

/// `http.p12` with the given aliases: the CA entry (chain `[CA]`) and the node's entry (chain
/// `[leaf, CA]`), encrypted with `password` (store and key password alike).
pub fn http_p12_as(
    ca_alias: &str,
    ca: &CertifiedKey,
    leaf_alias: &str,
    leaf: &CertifiedKey,
    password: &Secret,
    epoch_millis: i64,
) -> Result<Vec<u8>> {
    http_p12_with_aliases(ca_alias, ca, leaf_alias, leaf, password, epoch_millis)
}

/// The SANs of a certificate, for comparing with what a renewal asked for.
pub fn sans_of(der: &[u8]) -> Result<Vec<SanEntry>> {
    Ok(crate::inspect(der)?.sans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate, KeySource, PoolKeySource};
    use esac_certspec::{CertPlan, CertRole, KeyType, RenewKey, SanMode, HTTP_CA_DAYS, HTTP_DAYS};
    use std::time::{Duration, UNIX_EPOCH};

    fn pool() -> PoolKeySource {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/key-pool");
        PoolKeySource::load(&dir).unwrap()
    }

    fn params() -> esac_certspec::CertParams {
        esac_certspec::CertParams {
            node_name: "node-1".into(),
            san: esac_certspec::SanInputs {
                interface_addresses: vec!["127.0.0.1".parse().unwrap()],
                hostname: "host-a".into(),
                publish_hosts: vec![],
            },
            key_type: KeyType::EcdsaP256,
        }
    }

    #[test]
    fn a_renewed_leaf_keeps_names_and_extensions_and_chains_to_the_same_ca() {
        let keys = pool();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let m = generate(&CertPlan::initial(&params(), t0), &keys, t0).unwrap();
        let old = existing_cert(m.http().cert_der()).unwrap();
        let later = t0 + Duration::from_secs(700 * 86_400);
        let ca_end = t0 + Duration::from_secs(u64::from(HTTP_CA_DAYS) * 86_400);
        let (not_after, capped) = esac_certspec::capped_not_after(later, HTTP_DAYS, Some(ca_end));
        assert!(capped);
        let sans = esac_certspec::renewed_sans(
            &old.sans,
            &["10.9.9.9"
                .parse::<std::net::IpAddr>()
                .map(SanEntry::Ip)
                .unwrap()],
            SanMode::Union,
            &[],
        );
        let spec = LeafRenewal {
            old: old.clone(),
            sans: sans.clone(),
            san_mode: SanMode::Union,
            not_before: later,
            not_after,
            capped_by_ca: capped,
            key: RenewKey::New(KeyType::EcdsaP256),
        };
        let key = keys.generate(KeyType::EcdsaP256).unwrap();
        let new = renew_leaf(&spec, m.http_ca(), &key).unwrap();
        let got = existing_cert(new.cert_der()).unwrap();
        assert_eq!(got.subject_der, old.subject_der);
        assert_eq!(got.issuer_der, old.issuer_der);
        assert_eq!(got.sans, sans);
        assert_eq!(got.not_after, ca_end);
        assert_ne!(got.serial, old.serial);
        assert_ne!(got.spki_sha256, old.spki_sha256);
        let oids = |c: &ExistingCert| -> Vec<(Vec<u8>, bool)> {
            c.extensions
                .iter()
                .map(|e| (e.oid.clone(), e.critical))
                .collect()
        };
        assert_eq!(oids(&got), oids(&old));
        assert!(signed_by(new.cert_der(), m.http_ca().cert_der()).unwrap());
        // The old leaf does not verify under another CA.
        assert!(!signed_by(m.http().cert_der(), m.transport().cert_der()).unwrap());
        // The key identifiers are the CA's and the new key's, as Elasticsearch writes them.
        let new_info = crate::inspect(new.cert_der()).unwrap();
        assert_eq!(
            new_info.key_usage,
            crate::inspect(m.http().cert_der()).unwrap().key_usage
        );
    }

    #[test]
    fn a_reissued_ca_keeps_key_subject_and_ski_and_old_leaves_verify() {
        let keys = pool();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let m = generate(&CertPlan::initial(&params(), t0), &keys, t0).unwrap();
        let old = existing_cert(m.http_ca().cert_der()).unwrap();
        let later = t0 + Duration::from_secs(1000 * 86_400);
        let spec = CaReissue {
            old: old.clone(),
            not_before: later,
            not_after: later + Duration::from_secs(1095 * 86_400),
        };
        let new = reissue_ca(&spec, m.http_ca()).unwrap();
        let got = existing_cert(new.cert_der()).unwrap();
        assert_eq!(got.subject_der, old.subject_der);
        assert_eq!(got.spki_sha256, old.spki_sha256);
        assert_ne!(got.sha256, old.sha256);
        let raw_exts = |der: &[u8]| -> Vec<(Vec<u8>, bool, Vec<u8>)> {
            parse(der)
                .unwrap()
                .extensions()
                .iter()
                .map(|e| (e.oid.as_bytes().to_vec(), e.critical, e.value.to_vec()))
                .collect()
        };
        assert_eq!(raw_exts(new.cert_der()), raw_exts(m.http_ca().cert_der()));
        assert!(signed_by(m.http().cert_der(), new.cert_der()).unwrap());
        assert!(same_ca_key(new.cert_der(), m.http_ca()).unwrap());
        assert!(!same_ca_key(m.transport().cert_der(), m.http_ca()).unwrap());
        let plan = CertPlan::initial(&params(), t0);
        assert!(plan.get(CertRole::HttpCa).is_some());
    }

    #[test]
    fn integers_and_times_are_der() {
        assert_eq!(integer_der(&[0, 0, 0x7f]), [0x02, 0x01, 0x7f]);
        assert_eq!(integer_der(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(integer_der(&[0, 0]), [0x02, 0x01, 0x00]);
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(time_der(t)[2..], *b"231114221320Z");
        assert_eq!(time_der(t)[0], 0x17);
        let far = UNIX_EPOCH + Duration::from_secs(4_102_444_800); // 2100-01-01
        assert_eq!(time_der(far)[0], 0x18);
        assert_eq!(time_der(far)[2..], *b"21000101000000Z");
    }
}
