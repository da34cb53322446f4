//! The suite's only real RSA-4096 generation, and the key pool's behaviour.

use esac_certspec::KeyType;
use esac_pki::{AwsLcKeySource, KeySource, PoolKeySource};
use esac_testkit::fixtures::key_pool;

#[test]
fn aws_lc_generates_an_rsa_4096_key() {
    let key = AwsLcKeySource.generate(KeyType::Rsa4096).unwrap();
    assert_eq!(key.key_type(), KeyType::Rsa4096);
    let again = esac_pki::PrivateKey::from_pkcs8_der(key.pkcs8_der().clone()).unwrap();
    assert_eq!(again.key_type(), KeyType::Rsa4096);
}

#[test]
fn aws_lc_generates_every_cheap_type() {
    for kt in [KeyType::EcdsaP256, KeyType::EcdsaP384] {
        let a = AwsLcKeySource.generate(kt).unwrap();
        let b = AwsLcKeySource.generate(kt).unwrap();
        assert_eq!(a.key_type(), kt);
        assert_ne!(a.pkcs8_der(), b.pkcs8_der());
    }
}

#[test]
fn the_pool_hands_out_distinct_keys_round_robin() {
    let pool = key_pool();
    assert_eq!(pool.count(KeyType::Rsa4096), 8);
    assert!(pool.count(KeyType::Rsa2048) >= 2);
    let keys: Vec<_> = (0..9)
        .map(|_| pool.generate(KeyType::Rsa4096).unwrap())
        .collect();
    for i in 0..8 {
        for j in i + 1..8 {
            assert_ne!(keys[i].pkcs8_der(), keys[j].pkcs8_der());
        }
    }
    assert_eq!(keys[8].pkcs8_der(), keys[0].pkcs8_der(), "wraps around");
    let err = pool.generate(KeyType::Rsa3072).unwrap_err();
    assert!(err.to_string().contains("no key of this type"), "{err}");
}

#[test]
fn an_empty_pool_is_an_error_and_a_missing_dir_names_its_path() {
    let pool = PoolKeySource::from_keys(Vec::new());
    assert!(pool.generate(KeyType::Rsa4096).is_err());
    let err = PoolKeySource::load(std::path::Path::new("/nonexistent/key-pool")).unwrap_err();
    assert!(
        err.to_string().starts_with("/nonexistent/key-pool:"),
        "{err}"
    );
}
