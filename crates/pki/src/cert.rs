//! Turning a [`CertSpec`] and keys into a signed certificate.
//!
//! rcgen serializes the TBSCertificate (version, serial, names, validity, SPKI) and signs it;
//! the extensions come from [`crate::ext`] so their order and criticality match Elasticsearch.
//! rcgen picks UTCTime for years 1950–2049 and GeneralizedTime otherwise, as RFC 5280 and
//! BouncyCastle's `Time(Date, Locale)` do, so the ~2125 transport certificates use
//! GeneralizedTime.

use std::fmt;

use esac_secret::Secret;
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer, KeyIdMethod};
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::{Error, Result};
use crate::ext::{extensions, key_identifier};
use crate::keys::PrivateKey;
use esac_certspec::{is_printable_string, CertSpec};

/// Elasticsearch's `SERIAL_BIT_LENGTH`: a non-negative random integer below 2^160.
const SERIAL_BYTES: usize = 20;

/// A certificate (DER) and its private key.
#[derive(Clone)]
pub struct CertifiedKey {
    cert_der: Vec<u8>,
    key: PrivateKey,
}

impl CertifiedKey {
    /// Pairs a received PKCS#8 DER key with its DER certificate (the enrollment response's
    /// `http_ca_key` / `http_ca_cert`, or `transport_key` / `transport_cert`).
    ///
    /// Fails unless the certificate parses and its public key is the key's public key.
    pub fn from_der(pkcs8_key: Secret, cert_der: &[u8]) -> Result<CertifiedKey> {
        let key = PrivateKey::from_pkcs8_der(pkcs8_key)?;
        let cert = parse(cert_der)?;
        let pair = key.rcgen_key_pair()?;
        if cert.public_key().subject_public_key.data.as_ref() != pair.public_key_raw() {
            return Err(Error::InvalidCertificate(
                "the private key does not belong to the certificate".to_owned(),
            ));
        }
        Ok(CertifiedKey {
            cert_der: cert_der.to_vec(),
            key,
        })
    }

    pub(crate) fn new_unchecked(cert_der: Vec<u8>, key: PrivateKey) -> CertifiedKey {
        CertifiedKey { cert_der, key }
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, PEM (64 columns, `\n`).
    pub fn cert_pem(&self) -> String {
        crate::pem::encode("CERTIFICATE", &self.cert_der)
    }

    /// The private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Whether the certificate has basicConstraints cA=TRUE: how Elasticsearch tells the HTTP CA
    /// entry of `http.p12` from the node's own entry.
    pub fn is_ca(&self) -> bool {
        cert_is_ca(&self.cert_der)
    }
}

impl fmt::Debug for CertifiedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = parse(&self.cert_der)
            .map(|c| c.subject().to_string())
            .unwrap_or_else(|_| "<unparsable>".to_owned());
        f.debug_struct("CertifiedKey")
            .field("subject", &subject)
            .field("key", &self.key)
            .finish()
    }
}

/// Whether a DER certificate has basicConstraints cA=TRUE (false when it does not parse).
pub fn cert_is_ca(cert_der: &[u8]) -> bool {
    parse(cert_der)
        .ok()
        .and_then(|c| c.basic_constraints().ok().flatten().map(|bc| bc.value.ca))
        .unwrap_or(false)
}

pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(Error::InvalidCertificate(
            "trailing bytes after the certificate".to_owned(),
        )),
        Err(e) => Err(Error::InvalidCertificate(e.to_string())),
    }
}

/// Issues the certificate `spec` for `subject_key`, signed by `issuer` (self-signed if `None`).
/// `serial` is the big-endian serial number (see [`random_serial`]).
pub(crate) fn issue(
    spec: &CertSpec,
    subject_key: &PrivateKey,
    issuer: Option<&CertifiedKey>,
    serial: &[u8],
) -> Result<CertifiedKey> {
    let subject_pair = subject_key.rcgen_key_pair()?;
    let ski = key_identifier(subject_pair.public_key_raw());

    let mut params = CertificateParams::default();
    params.not_before = OffsetDateTime::from(spec.not_before);
    params.not_after = OffsetDateTime::from(spec.not_after());
    params.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
    params.distinguished_name = distinguished_name(&spec.subject_cn)?;
    // Every extension is a custom one (see `ext`); these keep rcgen from adding its own.
    params.is_ca = IsCa::NoCa;
    params.use_authority_key_identifier_extension = false;
    params.key_identifier_method = KeyIdMethod::PreSpecified(ski.clone());

    let der = match issuer {
        None => {
            params.custom_extensions = extensions(spec, &ski, &ski)?;
            params.self_signed(&*subject_pair)?.der().to_vec()
        }
        Some(ca) => {
            let ca_cert = parse(&ca.cert_der)?;
            // ES: `createAuthorityKeyIdentifier(caCert.getPublicKey())`, i.e. computed from the
            // CA's key, not copied from the CA's SubjectKeyIdentifier.
            let aki = key_identifier(&ca_cert.public_key().subject_public_key.data);
            params.custom_extensions = extensions(spec, &ski, &aki)?;
            let ca_pair = ca.key.rcgen_key_pair()?;
            let issuer =
                Issuer::from_ca_cert_der(&CertificateDer::from(ca.cert_der.as_slice()), &*ca_pair)?;
            let der = params.signed_by(&*subject_pair, &issuer)?.der().to_vec();
            // rcgen re-encodes the issuer name from the parsed CA subject; chain building
            // compares names byte for byte, so make sure nothing changed on the way.
            if parse(&der)?.issuer().as_raw() != ca_cert.subject().as_raw() {
                return Err(Error::Certificate(
                    "the issuer name differs from the CA certificate's subject".to_owned(),
                ));
            }
            der
        }
    };
    // A whole DN (an `instances.yml` name that is one) may repeat an attribute type
    // (`DC=example,DC=com`), which rcgen's name type cannot hold: the certificate is made with
    // `CN=<cn>`, then its subject is replaced by the DN's encoding and it is signed again.
    let der = match &spec.subject_dn {
        Some(dn) => {
            let signer = issuer.map_or(subject_key, |ca| &ca.key);
            crate::name::with_subject(&der, &crate::name::encode(dn)?, signer)?
        }
        None => der,
    };
    Ok(CertifiedKey::new_unchecked(der, subject_key.clone()))
}

/// `CN=<cn>` with the string type `X500Principal` picks: PrintableString when every character
/// allows it, UTF8String otherwise.
fn distinguished_name(cn: &str) -> Result<DistinguishedName> {
    let value = if is_printable_string(cn) {
        DnValue::PrintableString(cn.try_into()?)
    } else {
        DnValue::Utf8String(cn.to_owned())
    };
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, value);
    Ok(dn)
}

/// 20 random bytes read as a non-negative big-endian integer, like `new BigInteger(160, random)`.
/// Zero (probability 2^-160) is redrawn: a serial must be positive (RFC 5280 4.1.2.2).
pub(crate) fn random_serial() -> Result<Vec<u8>> {
    loop {
        let mut bytes = [0u8; SERIAL_BYTES];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::Random)?;
        if bytes.iter().any(|b| *b != 0) {
            return Ok(bytes.to_vec());
        }
    }
}
