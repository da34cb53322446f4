//! Private keys and where they come from.
//!
//! Key generation sits behind [`KeySource`] so that tests can hand out pre-generated keys:
//! four real RSA-4096 keys take seconds. [`AwsLcKeySource`] generates with aws-lc-rs (the one
//! crypto backend of the binary; ring cannot generate RSA keys), [`PoolKeySource`] serves a
//! directory of PKCS#8 files (`crates/pki/testdata/key-pool/`).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::signature::{
    EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING,
};
use esac_secret::Secret;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use esac_certspec::KeyType;

/// A private key as PKCS#8 DER, with its type. The bytes live in a [`Secret`].
#[derive(Clone)]
pub struct PrivateKey {
    key_type: KeyType,
    pkcs8: Secret,
}

impl PrivateKey {
    /// Parses PKCS#8 DER and works out the key type (RSA modulus size or EC curve).
    pub fn from_pkcs8_der(pkcs8: Secret) -> Result<PrivateKey> {
        let key_type = detect_key_type(pkcs8.expose())?;
        Ok(PrivateKey { key_type, pkcs8 })
    }

    /// Parses a PEM `PRIVATE KEY` (PKCS#8) block.
    pub fn from_pem(pem: &str) -> Result<PrivateKey> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| Error::UnsupportedKey(format!("not a PEM PKCS#8 private key ({e})")))?;
        Self::from_pkcs8_der(Secret::new(der.secret_pkcs8_der().to_vec()))
    }

    /// The key's type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The PKCS#8 DER encoding (what the enrollment API sends as `http_ca_key`).
    pub fn pkcs8_der(&self) -> &Secret {
        &self.pkcs8
    }

    /// The PKCS#8 PEM encoding (`-----BEGIN PRIVATE KEY-----`, 64 columns, `\n`).
    pub fn to_pkcs8_pem(&self) -> Secret {
        Secret::from_string(crate::pem::encode("PRIVATE KEY", self.pkcs8.expose()))
    }

    /// An rcgen signing key for this key; its PKCS#8 copy is wiped when it is dropped.
    pub(crate) fn rcgen_key_pair(&self) -> Result<Zeroizing<rcgen::KeyPair>> {
        let der = PrivatePkcs8KeyDer::from(self.pkcs8.expose());
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, signature_algorithm(self.key_type))
            .map(Zeroizing::new)
            .map_err(|e| Error::UnsupportedKey(e.to_string()))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("key_type", &self.key_type)
            .field("pkcs8", &self.pkcs8)
            .finish()
    }
}

/// The rcgen signature algorithm used by a key of this type when it signs.
pub(crate) fn signature_algorithm(key_type: KeyType) -> &'static rcgen::SignatureAlgorithm {
    match key_type {
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
    }
}

fn detect_key_type(der: &[u8]) -> Result<KeyType> {
    if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
        return match rsa.public_modulus_len() * 8 {
            2048 => Ok(KeyType::Rsa2048),
            3072 => Ok(KeyType::Rsa3072),
            4096 => Ok(KeyType::Rsa4096),
            bits => Err(Error::UnsupportedKey(format!("RSA key of {bits} bits"))),
        };
    }
    if EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der).is_ok() {
        return Ok(KeyType::EcdsaP256);
    }
    if EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, der).is_ok() {
        return Ok(KeyType::EcdsaP384);
    }
    Err(Error::UnsupportedKey(
        "not a PKCS#8 RSA (2048/3072/4096) or ECDSA (P-256/P-384) key".to_owned(),
    ))
}

/// Where new key pairs come from. Called from several threads at once.
pub trait KeySource: Send + Sync {
    /// A fresh key of the requested type; distinct from every other key this source handed out
    /// in the same [`crate::generate`] call.
    fn generate(&self, key_type: KeyType) -> Result<PrivateKey>;
}

/// Real key generation with aws-lc-rs (through rcgen).
#[derive(Clone, Copy, Debug, Default)]
pub struct AwsLcKeySource;

impl KeySource for AwsLcKeySource {
    fn generate(&self, key_type: KeyType) -> Result<PrivateKey> {
        let failed = |e: rcgen::Error| Error::KeyGeneration {
            key_type,
            reason: e.to_string(),
        };
        let alg = signature_algorithm(key_type);
        let pair = match key_type {
            KeyType::Rsa2048 => rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_2048),
            KeyType::Rsa3072 => rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_3072),
            KeyType::Rsa4096 => rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_4096),
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => rcgen::KeyPair::generate_for(alg),
        }
        .map(Zeroizing::new)
        .map_err(failed)?;
        Ok(PrivateKey {
            key_type,
            pkcs8: Secret::new(pair.serialize_der()),
        })
    }
}

/// Pre-generated keys loaded from a directory, handed out round-robin per key type.
///
/// Two consecutive calls for the same type get different keys as long as the pool holds at
/// least as many keys of that type as one run needs (4 for an initial node).
pub struct PoolKeySource {
    keys: Vec<PrivateKey>,
    by_type: [Vec<usize>; KeyType::ALL.len()],
    next: [AtomicUsize; KeyType::ALL.len()],
    dir: Option<PathBuf>,
}

impl PoolKeySource {
    /// Loads every `*.pem` (PKCS#8 PEM) and `*.der` / `*.pk8` (PKCS#8 DER) file of `dir`,
    /// in file-name order.
    pub fn load(dir: &Path) -> Result<PoolKeySource> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(io(dir))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(io(dir))?;
        files.sort();
        let mut keys = Vec::new();
        for path in files {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let key = match ext {
                "pem" => {
                    let text = Secret::new(fs::read(&path).map_err(io(&path))?);
                    let text = text.expose_str().ok_or_else(|| {
                        Error::UnsupportedKey(format!("{}: not UTF-8", path.display()))
                    })?;
                    PrivateKey::from_pem(text)
                }
                "der" | "pk8" => {
                    PrivateKey::from_pkcs8_der(Secret::new(fs::read(&path).map_err(io(&path))?))
                }
                _ => continue,
            }
            .map_err(|e| Error::UnsupportedKey(format!("{}: {e}", path.display())))?;
            keys.push(key);
        }
        let mut pool = Self::from_keys(keys);
        pool.dir = Some(dir.to_path_buf());
        Ok(pool)
    }

    /// A pool over keys already in memory.
    pub fn from_keys(keys: Vec<PrivateKey>) -> PoolKeySource {
        let mut by_type: [Vec<usize>; KeyType::ALL.len()] = Default::default();
        for (i, key) in keys.iter().enumerate() {
            by_type[key.key_type().index()].push(i);
        }
        PoolKeySource {
            keys,
            by_type,
            next: Default::default(),
            dir: None,
        }
    }

    /// How many keys of this type the pool holds.
    pub fn count(&self, key_type: KeyType) -> usize {
        self.by_type[key_type.index()].len()
    }
}

impl fmt::Debug for PoolKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolKeySource")
            .field("dir", &self.dir)
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl KeySource for PoolKeySource {
    fn generate(&self, key_type: KeyType) -> Result<PrivateKey> {
        let candidates = &self.by_type[key_type.index()];
        if candidates.is_empty() {
            return Err(Error::KeyGeneration {
                key_type,
                reason: "the key pool holds no key of this type".to_owned(),
            });
        }
        let n = self.next[key_type.index()].fetch_add(1, Ordering::Relaxed);
        Ok(self.keys[candidates[n % candidates.len()]].clone())
    }
}
