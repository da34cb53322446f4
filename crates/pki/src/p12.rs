//! PKCS#12 stores in the shape the JDK writes and Elasticsearch reads (spec 2.4).
//!
//! p12-keystore's writer already uses the JDK 12+ defaults: PBES2 with PBKDF2-HmacSHA256 and
//! AES-256-CBC for key bags and for the certificate SafeContents, an HmacSHA256 MAC, 10 000
//! iterations each; they are set explicitly below so a change of library default cannot slip
//! through. Trusted-certificate entries carry Oracle's trustedKeyUsage attribute
//! (2.16.840.1.113894.746875.1.1 = anyExtendedKeyUsage), without which the JDK does not see
//! `transport_ca` as a trusted entry and Elasticsearch refuses `transport.p12` as a truststore.

use esac_secret::Secret;
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, Pkcs12ImportPolicy,
    PrivateKeyChain,
};

use crate::cert::{cert_is_ca, CertifiedKey};
use crate::error::{Error, Result};
use crate::keys::PrivateKey;

/// The JDK's `keystore.pkcs12.*IterationCount` defaults.
const ITERATIONS: u32 = 10_000;

/// Alias of the transport key entry (`TRANSPORT_KEY_KEYSTORE_ENTRY`).
pub const TRANSPORT_ALIAS: &str = "transport";
/// Alias of the transport CA trusted entry (`TRANSPORT_CA_CERT_KEYSTORE_ENTRY`).
pub const TRANSPORT_CA_ALIAS: &str = "transport_ca";
/// Alias of the HTTP key entry (`HTTP_KEY_KEYSTORE_ENTRY`).
pub const HTTP_ALIAS: &str = "http";
/// Alias of the HTTP CA key entry (`HTTP_CA_KEY_KEYSTORE_ENTRY`).
pub const HTTP_CA_ALIAS: &str = "http_ca";

/// The JDK's localKeyID is the ASCII text `Time <epoch millis>` of `setKeyEntry`; entries of one
/// store get consecutive millisecond values so that they never share an ID.
fn local_key_id(epoch_millis: i64, index: i64) -> Vec<u8> {
    format!("Time {}", epoch_millis + index).into_bytes()
}

fn key_entry(key: &PrivateKey, chain: &[&[u8]], local_key_id: Vec<u8>) -> Result<KeyStoreEntry> {
    let key = p12_keystore::PrivateKey::from_der(key.pkcs8_der().expose())?;
    let certs = chain
        .iter()
        .map(|der| Certificate::from_der(der))
        .collect::<p12_keystore::Result<Vec<_>>>()?;
    Ok(KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
        local_key_id,
        key,
        certs,
    )))
}

fn write(store: &KeyStore, password: &Secret) -> Result<Vec<u8>> {
    let password = password.expose_str().ok_or(Error::PasswordNotUtf8)?;
    Ok(store
        .writer(password)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(ITERATIONS)
        .write()?)
}

/// `transport.p12`: key entry `transport` with chain `[transport cert]` (the CA is not in the
/// chain) and trusted entry `transport_ca`.
pub(crate) fn transport_p12(
    transport: &CertifiedKey,
    transport_ca_cert: &[u8],
    password: &Secret,
    epoch_millis: i64,
) -> Result<Vec<u8>> {
    let mut store = KeyStore::new();
    store.add_entry(
        TRANSPORT_ALIAS,
        key_entry(
            transport.key(),
            &[transport.cert_der()],
            local_key_id(epoch_millis, 0),
        )?,
    );
    store.add_entry(
        TRANSPORT_CA_ALIAS,
        KeyStoreEntry::Certificate(Certificate::from_der(transport_ca_cert)?),
    );
    write(&store, password)
}

/// `http.p12`: key entry `http_ca` (chain `[CA]`) and key entry `http` (chain `[http, CA]`).
pub(crate) fn http_p12(
    http_ca: &CertifiedKey,
    http: &CertifiedKey,
    password: &Secret,
    epoch_millis: i64,
) -> Result<Vec<u8>> {
    http_p12_with_aliases(
        HTTP_CA_ALIAS,
        http_ca,
        HTTP_ALIAS,
        http,
        password,
        epoch_millis,
    )
}

/// [`http_p12`] under the given aliases (a renewal keeps the store's own).
pub(crate) fn http_p12_with_aliases(
    ca_alias: &str,
    http_ca: &CertifiedKey,
    leaf_alias: &str,
    http: &CertifiedKey,
    password: &Secret,
    epoch_millis: i64,
) -> Result<Vec<u8>> {
    let mut store = KeyStore::new();
    store.add_entry(
        ca_alias,
        key_entry(
            http_ca.key(),
            &[http_ca.cert_der()],
            local_key_id(epoch_millis, 0),
        )?,
    );
    store.add_entry(
        leaf_alias,
        key_entry(
            http.key(),
            &[http.cert_der(), http_ca.cert_der()],
            local_key_id(epoch_millis, 1),
        )?,
    );
    write(&store, password)
}

/// A CA's store: key entry `alias` with chain `[CA]` (`layout`'s `ca/*.p12`).
pub(crate) fn ca_p12(
    alias: &str,
    ca: &CertifiedKey,
    password: &Secret,
    epoch_millis: i64,
) -> Result<Vec<u8>> {
    let mut store = KeyStore::new();
    store.add_entry(
        alias,
        key_entry(ca.key(), &[ca.cert_der()], local_key_id(epoch_millis, 0))?,
    );
    write(&store, password)
}

/// A private-key entry read back from a PKCS#12 store.
#[derive(Clone, Debug)]
pub struct P12KeyEntry {
    /// The entry's alias (friendlyName of the key bag).
    pub alias: String,
    /// The private key.
    pub key: PrivateKey,
    /// The certificate chain, leaf first, DER.
    pub chain: Vec<Vec<u8>>,
}

impl P12KeyEntry {
    /// The entry as a certificate + key pair (the chain's first certificate).
    pub fn certified_key(&self) -> Result<CertifiedKey> {
        let leaf = self.chain.first().ok_or_else(|| {
            Error::Pkcs12(format!("key entry [{}] has no certificate", self.alias))
        })?;
        CertifiedKey::from_der(self.key.pkcs8_der().clone(), leaf)
    }

    /// Whether the leaf certificate is a CA (basicConstraints cA=TRUE).
    pub fn is_ca(&self) -> bool {
        self.chain.first().is_some_and(|c| cert_is_ca(c))
    }
}

/// A trusted-certificate entry read back from a PKCS#12 store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P12TrustedCert {
    /// The entry's alias.
    pub alias: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
}

/// The entries of a PKCS#12 store, each kind sorted by alias.
#[derive(Clone, Debug, Default)]
pub struct P12Contents {
    /// Private-key entries.
    pub key_entries: Vec<P12KeyEntry>,
    /// Trusted-certificate entries (cert bags with the JDK trusted-key-usage attribute).
    pub trusted_certs: Vec<P12TrustedCert>,
}

impl P12Contents {
    /// The key entry with this alias.
    pub fn key_entry(&self, alias: &str) -> Option<&P12KeyEntry> {
        self.key_entries.iter().find(|e| e.alias == alias)
    }

    /// The trusted entry with this alias.
    pub fn trusted_cert(&self, alias: &str) -> Option<&P12TrustedCert> {
        self.trusted_certs.iter().find(|e| e.alias == alias)
    }

    /// The key entries whose certificate is a CA: how Elasticsearch finds the HTTP CA in
    /// `http.p12` (and how its HTTP server skips it when choosing its own key).
    pub fn ca_key_entries(&self) -> impl Iterator<Item = &P12KeyEntry> {
        self.key_entries.iter().filter(|e| e.is_ca())
    }
}

/// Reads a PKCS#12 store the way the JDK classifies its entries: key bags matched to their
/// certificates by localKeyID, and certificate bags with the trusted attribute as trusted entries
/// (other loose certificates only complete chains). A wrong password is an [`Error::Pkcs12`].
pub fn read_p12(bytes: &[u8], password: &Secret) -> Result<P12Contents> {
    let password = password.expose_str().ok_or(Error::PasswordNotUtf8)?;
    let store = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Strict)?;
    let mut out = P12Contents::default();
    for (alias, entry) in store.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) => out.key_entries.push(P12KeyEntry {
                alias: alias.clone(),
                key: PrivateKey::from_pkcs8_der(Secret::new(chain.key().as_der().to_vec()))?,
                chain: chain.certs().iter().map(|c| c.as_der().to_vec()).collect(),
            }),
            KeyStoreEntry::Certificate(cert) => out.trusted_certs.push(P12TrustedCert {
                alias: alias.clone(),
                cert_der: cert.as_der().to_vec(),
            }),
            // Secret-key entries never occur in the stores Elasticsearch writes.
            KeyStoreEntry::Secret(_) => {}
        }
    }
    Ok(out)
}
