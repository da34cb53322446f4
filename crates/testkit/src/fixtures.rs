//! Test data: the committed key pool, a `CertParams` fixture, keystores written for a test,
//! PKCS#12 files in any shape.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use esac_certspec::{CertParams, KeyType, SanInputs};
use esac_keystore::{encode, store, DerivedKey, FormatVersion, Keystore, Secret};
use esac_pki::PoolKeySource;

/// The committed test key pool, `crates/pki/testdata/key-pool` (debug builds of the binary read
/// it, when `ESAC_TEST_KEY_POOL` names it, instead of generating keys).
pub fn key_pool_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crates/")
        .join("pki/testdata/key-pool")
}

/// The key pool, loaded. Load a fresh one per test: its round-robin counter must not be shared
/// between concurrent tests, or one `generate` call could receive the same key twice.
pub fn key_pool() -> PoolKeySource {
    let pool = PoolKeySource::load(&key_pool_dir()).expect("load the key pool");
    assert!(
        pool.count(KeyType::Rsa4096) >= 8,
        "the pool holds 8 RSA-4096 keys"
    );
    pool
}

/// Node `node-1` on host `es-test-host`, with both loopback addresses, one documentation address
/// and two publish hosts.
pub fn pki_params(key_type: KeyType) -> CertParams {
    CertParams {
        node_name: "node-1".to_owned(),
        san: SanInputs {
            interface_addresses: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
            ],
            hostname: "es-test-host".to_owned(),
            publish_hosts: vec!["198.51.100.7".to_owned(), "es.example.com".to_owned()],
        },
        key_type,
    }
}

/// A keystore as Elasticsearch creates it (a random `keystore.seed`) holding `entries` too; an
/// entry named `keystore.seed` replaces the random one.
pub fn keystore_with(entries: &[(&str, &str)]) -> Keystore {
    let mut ks = Keystore::create().unwrap();
    for (name, value) in entries {
        ks.set_string(name, Secret::from_str_copy(value)).unwrap();
    }
    ks
}

/// Writes `ks` to `<config>/elasticsearch.keystore` (mode 0660), protected by `password` (empty:
/// none) in format `version`. Format 5 derives its key with 10,000 PBKDF2 iterations instead of
/// format 6's 210,000, for tests that do not need the current format.
pub fn write_keystore(config: &Path, ks: &Keystore, password: &str, version: FormatVersion) {
    let key = DerivedKey::new_random(&Secret::from_str_copy(password), version).unwrap();
    let path = config.join("elasticsearch.keystore");
    store::save(&path, &encode(ks, &key).unwrap()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660)).unwrap();
}

/// Verifies a bcrypt hash with the Rust `bcrypt` crate, the one the binary hashes with (for an
/// independent check, see [`crate::tools::python_bcrypt_verify`]).
pub fn bcrypt_verify(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).expect("a well-formed bcrypt hash")
}

/// A PKCS#12 file as keytool or `elasticsearch-certutil` writes one: key entries `(alias, PKCS#8
/// key, chain leaf first)` and trusted-certificate entries `(alias, DER)`, sealed with
/// `password` (empty allowed) with the JDK's algorithms.
pub fn p12_with(
    key_entries: &[(&str, &esac_pki::PrivateKey, Vec<Vec<u8>>)],
    trusted: &[(&str, Vec<u8>)],
    password: &str,
) -> Vec<u8> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKeyChain};
    let mut store = KeyStore::new();
    for (i, (alias, key, chain)) in key_entries.iter().enumerate() {
        let certs: Vec<Certificate> = chain
            .iter()
            .map(|der| Certificate::from_der(der).unwrap())
            .collect();
        let key = p12_keystore::PrivateKey::from_der(key.pkcs8_der().expose()).unwrap();
        let id = format!("Time {}", 1_700_000_000_000u64 + i as u64).into_bytes();
        store.add_entry(
            alias,
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(id, key, certs)),
        );
    }
    for (alias, der) in trusted {
        store.add_entry(
            alias,
            KeyStoreEntry::Certificate(Certificate::from_der(der).unwrap()),
        );
    }
    store.writer(password).write().unwrap()
}
