//! Checks of material found on disk, for `status`: does a private key belong to a certificate,
//! was a certificate issued by another, and what a PEM file holds.
//!
//! Keys here may be of any type an operator's tools wrote (PKCS#8, PKCS#1 `RSA PRIVATE KEY`,
//! SEC1 `EC PRIVATE KEY`; RSA, ECDSA P-256/P-384/P-521, Ed25519), not only the ones es-autoconf
//! generates. They are only ever compared, never used to sign.

use std::fmt;

use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING,
    ECDSA_P384_SHA384_ASN1_SIGNING, ECDSA_P521_SHA512_ASN1_SIGNING,
};
use esac_secret::Secret;
use rustls_pki_types::pem::{PemObject, SectionKind};
use rustls_pki_types::CertificateDer;
use x509_parser::error::X509Error;

use crate::cert::parse;
use crate::error::{Error, Result};

/// A private key as found in a file, DER, kept only to compare its public half.
#[derive(Clone)]
pub struct LooseKey(Secret);

impl LooseKey {
    /// A DER private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_der(der: Secret) -> Self {
        LooseKey(der)
    }

    /// The public key bits (as in a certificate's subjectPublicKey), when the key parses as one
    /// of the supported kinds.
    fn public_key(&self) -> Option<Vec<u8>> {
        let der = self.0.expose();
        if let Ok(k) = RsaKeyPair::from_pkcs8(der).or_else(|_| RsaKeyPair::from_der(der)) {
            return Some(k.public_key().as_ref().to_vec());
        }
        for alg in [
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &ECDSA_P384_SHA384_ASN1_SIGNING,
            &ECDSA_P521_SHA512_ASN1_SIGNING,
        ] {
            if let Ok(k) = EcdsaKeyPair::from_private_key_der(alg, der) {
                return Some(k.public_key().as_ref().to_vec());
            }
        }
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .ok()
            .map(|k| k.public_key().as_ref().to_vec())
    }
}

impl fmt::Debug for LooseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LooseKey(<redacted>)")
    }
}

/// A private-key entry of a PKCS#12 file, whatever its key type.
#[derive(Clone, Debug)]
pub struct LooseKeyEntry {
    /// The alias.
    pub alias: String,
    /// The key.
    pub key: LooseKey,
    /// The certificate chain, leaf first, DER.
    pub chain: Vec<Vec<u8>>,
}

/// A PKCS#12 file as the JDK sees it: key entries and trusted-certificate entries, by alias.
#[derive(Clone, Debug, Default)]
pub struct LooseP12 {
    /// Private-key entries, sorted by alias.
    pub key_entries: Vec<LooseKeyEntry>,
    /// Trusted-certificate entries `(alias, DER)`, sorted by alias.
    pub trusted: Vec<(String, Vec<u8>)>,
}

/// Why a PKCS#12 file did not open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum P12Error {
    /// The integrity check (MAC) failed: the password is wrong (or the file altered).
    WrongPassword,
    /// Not a PKCS#12 file this reader can decode.
    Invalid(String),
}

impl fmt::Display for P12Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            P12Error::WrongPassword => f.write_str("the password is wrong (MAC check failed)"),
            P12Error::Invalid(why) => write!(f, "not a readable PKCS#12 file: {why}"),
        }
    }
}

/// Opens a PKCS#12 file with `password` (store and key password alike), accepting any key
/// type: for inspection, not for use.
pub fn open_p12(bytes: &[u8], password: &Secret) -> std::result::Result<LooseP12, P12Error> {
    use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
    let password = password
        .expose_str()
        .ok_or_else(|| P12Error::Invalid("the password is not UTF-8".to_owned()))?;
    let store = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Strict).map_err(
        |e| match e {
            p12_keystore::error::Error::MacError(_) => P12Error::WrongPassword,
            other => P12Error::Invalid(other.to_string()),
        },
    )?;
    let mut out = LooseP12::default();
    for (alias, entry) in store.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) => out.key_entries.push(LooseKeyEntry {
                alias: alias.clone(),
                key: LooseKey(Secret::new(chain.key().as_der().to_vec())),
                chain: chain.certs().iter().map(|c| c.as_der().to_vec()).collect(),
            }),
            KeyStoreEntry::Certificate(c) => out.trusted.push((alias.clone(), c.as_der().to_vec())),
            KeyStoreEntry::Secret(_) => {}
        }
    }
    Ok(out)
}

/// Whether `key` is the private half of the certificate's public key; `None` when the key is of
/// a kind that cannot be read here (an RSA key below 2048 bits, an unknown curve).
pub fn key_matches(key: &LooseKey, cert_der: &[u8]) -> Result<Option<bool>> {
    let cert = parse(cert_der)?;
    Ok(key
        .public_key()
        .map(|pk| pk.as_slice() == cert.public_key().subject_public_key.data.as_ref()))
}

/// How a certificate relates to a candidate issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuedBy {
    /// The issuer name is the candidate's subject (byte for byte), the key identifiers agree
    /// where both exist, and the signature verifies with the candidate's key.
    Yes,
    /// The issuer name is not the candidate's subject.
    NameMismatch,
    /// Names match but the authorityKeyIdentifier is not the candidate's subjectKeyIdentifier.
    KeyIdMismatch,
    /// Names match but the signature does not verify with the candidate's key.
    BadSignature,
    /// The signature algorithm cannot be verified here.
    UnsupportedAlgorithm,
}

/// Whether `cert_der` was issued (signed) by `issuer_der`.
pub fn issued_by(cert_der: &[u8], issuer_der: &[u8]) -> Result<IssuedBy> {
    use x509_parser::extensions::ParsedExtension;
    let cert = parse(cert_der)?;
    let issuer = parse(issuer_der)?;
    if cert.issuer().as_raw() != issuer.subject().as_raw() {
        return Ok(IssuedBy::NameMismatch);
    }
    let aki = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().map(|k| k.0),
            _ => None,
        });
    let ski = issuer
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0),
            _ => None,
        });
    if let (Some(a), Some(s)) = (aki, ski) {
        if a != s {
            return Ok(IssuedBy::KeyIdMismatch);
        }
    }
    Ok(match cert.verify_signature(Some(issuer.public_key())) {
        Ok(()) => IssuedBy::Yes,
        Err(X509Error::SignatureUnsupportedAlgorithm) => IssuedBy::UnsupportedAlgorithm,
        Err(_) => IssuedBy::BadSignature,
    })
}

/// Every `CERTIFICATE` block of a PEM file, DER, in file order. A block that is not valid
/// base64 is an error; other blocks (keys, parameters) are skipped.
pub fn pem_certificates(text: &[u8]) -> Result<Vec<Vec<u8>>> {
    CertificateDer::pem_slice_iter(text)
        .map(|c| {
            c.map(|c| c.as_ref().to_vec())
                .map_err(|e| Error::InvalidCertificate(format!("bad PEM: {e}")))
        })
        .collect()
}

/// What the private key file of a PEM layout holds.
#[derive(Debug)]
pub enum PemKey {
    /// An unencrypted key.
    Plain(LooseKey),
    /// An encrypted key (`ENCRYPTED PRIVATE KEY`, or a legacy `Proc-Type: 4,ENCRYPTED` block):
    /// its passphrase is a secure setting; not opened here.
    Encrypted,
}

/// The first private key of a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn pem_private_key(text: &[u8]) -> Result<PemKey> {
    // A legacy encrypted block has headers inside, which the PEM reader refuses; a PKCS#8
    // encrypted one has a label the reader skips.
    if contains(text, b"Proc-Type: 4,ENCRYPTED")
        || contains(text, b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    {
        return Ok(PemKey::Encrypted);
    }
    for section in <(SectionKind, Vec<u8>) as PemObject>::pem_slice_iter(text) {
        let (kind, der) = section.map_err(|e| Error::UnsupportedKey(format!("bad PEM: {e}")))?;
        match kind {
            SectionKind::PrivateKey | SectionKind::RsaPrivateKey | SectionKind::EcPrivateKey => {
                return Ok(PemKey::Plain(LooseKey(Secret::new(der))));
            }
            _ => {}
        }
    }
    Err(Error::UnsupportedKey(
        "no private key in the PEM file".to_owned(),
    ))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate, pem, PoolKeySource};
    use esac_certspec::{CertParams, CertPlan, KeyType, SanInputs};
    use std::time::{Duration, SystemTime};

    fn material(kt: KeyType) -> crate::Material {
        let params = CertParams {
            node_name: "node-1".into(),
            san: SanInputs {
                interface_addresses: vec![],
                hostname: "h".into(),
                publish_hosts: vec![],
            },
            key_type: kt,
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let plan = CertPlan::initial(&params, now);
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/key-pool");
        generate(&plan, &PoolKeySource::load(&dir).unwrap(), now).unwrap()
    }

    #[test]
    fn keys_match_their_certificates_only() {
        let a = material(KeyType::EcdsaP256);
        let http_key = LooseKey::from_der(a.http().key().pkcs8_der().clone());
        assert_eq!(
            key_matches(&http_key, a.http().cert_der()).unwrap(),
            Some(true)
        );
        assert_eq!(
            key_matches(&http_key, a.http_ca().cert_der()).unwrap(),
            Some(false)
        );
        let b = material(KeyType::Rsa2048);
        let rsa = LooseKey::from_der(b.transport().key().pkcs8_der().clone());
        assert_eq!(
            key_matches(&rsa, b.transport().cert_der()).unwrap(),
            Some(true)
        );
        assert_eq!(key_matches(&rsa, a.http().cert_der()).unwrap(), Some(false));
        let junk = LooseKey::from_der(Secret::new(vec![0x30, 0x03, 0x02, 0x01, 0x00]));
        assert_eq!(key_matches(&junk, a.http().cert_der()).unwrap(), None);
    }

    #[test]
    fn a_leaf_is_issued_by_its_ca_and_by_nothing_else() {
        let a = material(KeyType::EcdsaP256);
        // Another key type: the pool hands its four ECDSA keys to the roles in any order, so a
        // second ECDSA set could give its CA the first one's CA key.
        let b = material(KeyType::Rsa2048);
        assert_eq!(
            issued_by(a.http().cert_der(), a.http_ca().cert_der()).unwrap(),
            IssuedBy::Yes
        );
        // Same subject DN (both CAs are auto-configuration CAs), other key.
        assert_eq!(
            issued_by(a.http().cert_der(), b.http_ca().cert_der()).unwrap(),
            IssuedBy::KeyIdMismatch
        );
        assert_eq!(
            issued_by(a.http().cert_der(), a.transport_ca_cert_der()).unwrap(),
            IssuedBy::NameMismatch
        );
        // A CA issues itself.
        assert_eq!(
            issued_by(a.http_ca().cert_der(), a.http_ca().cert_der()).unwrap(),
            IssuedBy::Yes
        );
    }

    #[test]
    fn pkcs12_files_open_with_their_password_only() {
        let a = material(KeyType::EcdsaP256);
        let pw = Secret::from_str_copy("pw");
        let bytes = a.http_p12(&pw).unwrap();
        let p = open_p12(&bytes, &pw).unwrap();
        let aliases: Vec<&str> = p.key_entries.iter().map(|e| e.alias.as_str()).collect();
        assert_eq!(aliases, ["http", "http_ca"]);
        assert_eq!(p.key_entries[0].chain.len(), 2);
        assert_eq!(
            key_matches(&p.key_entries[0].key, &p.key_entries[0].chain[0]).unwrap(),
            Some(true)
        );
        assert_eq!(
            open_p12(&bytes, &Secret::from_str_copy("other")).unwrap_err(),
            P12Error::WrongPassword
        );
        assert!(matches!(open_p12(b"junk", &pw), Err(P12Error::Invalid(_))));
        let t = open_p12(&a.transport_p12(&pw).unwrap(), &pw).unwrap();
        assert_eq!(t.trusted.len(), 1);
        assert_eq!(t.trusted[0].0, "transport_ca");
    }

    #[test]
    fn pem_files() {
        let a = material(KeyType::EcdsaP256);
        let chain = format!("{}{}", a.http().cert_pem(), a.http_ca().cert_pem());
        let certs = pem_certificates(chain.as_bytes()).unwrap();
        assert_eq!(
            certs,
            vec![
                a.http().cert_der().to_vec(),
                a.http_ca().cert_der().to_vec()
            ]
        );
        assert_eq!(
            pem_certificates(b"no pem here").unwrap(),
            Vec::<Vec<u8>>::new()
        );
        assert!(
            pem_certificates(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
                .is_err()
        );

        let key_pem = a.http().key().to_pkcs8_pem();
        let PemKey::Plain(k) = pem_private_key(key_pem.expose()).unwrap() else {
            panic!("a plain key")
        };
        assert_eq!(key_matches(&k, a.http().cert_der()).unwrap(), Some(true));
        let enc = pem::encode("ENCRYPTED PRIVATE KEY", &[1, 2, 3]);
        assert!(matches!(
            pem_private_key(enc.as_bytes()).unwrap(),
            PemKey::Encrypted
        ));
        let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(matches!(
            pem_private_key(legacy.as_bytes()).unwrap(),
            PemKey::Encrypted
        ));
        assert!(pem_private_key(chain.as_bytes()).is_err());
        assert_eq!(format!("{k:?}"), "LooseKey(<redacted>)");
    }

    #[test]
    fn inspect_describes_key_signature_and_identifiers() {
        let a = material(KeyType::EcdsaP256);
        let leaf = crate::inspect(a.http().cert_der()).unwrap();
        let ca = crate::inspect(a.http_ca().cert_der()).unwrap();
        assert_eq!(leaf.key_description, "ecdsa-p256");
        assert_eq!(leaf.rsa_bits, None);
        assert_eq!(leaf.signature_algorithm, "ecdsa-with-SHA256");
        assert!(leaf.has_extended_key_usage && !ca.has_extended_key_usage);
        assert_eq!(leaf.authority_key_id, ca.subject_key_id);
        assert!(ca.subject_key_id.as_ref().is_some_and(|k| k.len() == 40));
        assert!(!leaf.weak_signature());
        let b = material(KeyType::Rsa2048);
        let t = crate::inspect(b.transport().cert_der()).unwrap();
        assert_eq!(
            (t.key_description.as_str(), t.rsa_bits),
            ("rsa-2048", Some(2048))
        );
        assert_eq!(t.signature_algorithm, "sha256WithRSAEncryption");
    }
}
