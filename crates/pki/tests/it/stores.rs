//! PKCS#12 round trips through `read_p12`, PEM, passwords.

use esac_certspec::KeyType;
use esac_pki::{
    new_store_password, read_p12, Error, HTTP_ALIAS, HTTP_CA_ALIAS, TRANSPORT_ALIAS,
    TRANSPORT_CA_ALIAS,
};
use esac_secret::Secret;

use crate::common::material;

#[test]
fn http_p12_holds_the_ca_entry_and_the_node_entry() {
    let m = material(KeyType::Rsa4096);
    let pw = new_store_password().unwrap();
    let contents = read_p12(&m.http_p12(&pw).unwrap(), &pw).unwrap();

    assert!(contents.trusted_certs.is_empty());
    let aliases: Vec<&str> = contents
        .key_entries
        .iter()
        .map(|e| e.alias.as_str())
        .collect();
    assert_eq!(aliases, [HTTP_ALIAS, HTTP_CA_ALIAS]);

    let ca = contents.key_entry(HTTP_CA_ALIAS).unwrap();
    assert_eq!(ca.chain, [m.http_ca().cert_der().to_vec()]);
    assert_eq!(ca.key.pkcs8_der(), m.http_ca().key().pkcs8_der());
    let http = contents.key_entry(HTTP_ALIAS).unwrap();
    assert_eq!(
        http.chain,
        [
            m.http().cert_der().to_vec(),
            m.http_ca().cert_der().to_vec()
        ]
    );
    assert_eq!(http.key.pkcs8_der(), m.http().key().pkcs8_der());

    // What the enrollment server side does: find the key entry whose certificate is a CA.
    let cas: Vec<_> = contents.ca_key_entries().collect();
    assert_eq!(cas.len(), 1);
    assert_eq!(cas[0].alias, HTTP_CA_ALIAS);
    let ca_key = cas[0].certified_key().unwrap();
    assert_eq!(
        esac_pki::sha256_hex(ca_key.cert_der()),
        m.http_ca_fingerprint()
    );
    assert_eq!(ca_key.key().key_type(), KeyType::Rsa4096);
}

#[test]
fn transport_p12_holds_a_key_entry_and_a_trusted_ca() {
    let m = material(KeyType::EcdsaP256);
    let pw = new_store_password().unwrap();
    let contents = read_p12(&m.transport_p12(&pw).unwrap(), &pw).unwrap();
    assert_eq!(contents.key_entries.len(), 1);
    let entry = contents.key_entry(TRANSPORT_ALIAS).unwrap();
    assert_eq!(entry.chain, [m.transport().cert_der().to_vec()]);
    assert_eq!(entry.key.key_type(), KeyType::EcdsaP256);
    assert_eq!(contents.trusted_certs.len(), 1);
    let ca = contents.trusted_cert(TRANSPORT_CA_ALIAS).unwrap();
    assert_eq!(ca.cert_der, m.transport_ca_cert_der());
}

#[test]
fn a_wrong_password_is_refused() {
    let m = material(KeyType::EcdsaP256);
    let pw = new_store_password().unwrap();
    let bytes = m.http_p12(&pw).unwrap();
    let err = read_p12(&bytes, &new_store_password().unwrap()).unwrap_err();
    assert!(matches!(err, Error::Pkcs12(_)), "{err}");
    let shown = err.to_string();
    assert!(!shown.contains(pw.expose_str().unwrap()));
    let err = read_p12(&bytes, &Secret::new(vec![0xff, 0xfe])).unwrap_err();
    assert!(matches!(err, Error::PasswordNotUtf8));
}

#[test]
fn each_store_is_freshly_encrypted() {
    let m = material(KeyType::EcdsaP256);
    let pw = new_store_password().unwrap();
    assert_ne!(
        m.http_p12(&pw).unwrap(),
        m.http_p12(&pw).unwrap(),
        "random salts and IVs"
    );
}

#[test]
fn http_ca_pem_is_64_columns_of_the_ca_der() {
    let m = material(KeyType::EcdsaP256);
    let pem = m.http_ca_pem();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(pem.ends_with("\n-----END CERTIFICATE-----\n"));
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64));
    assert!(body.last().unwrap().len() <= 64);
    use rustls_pki_types::pem::PemObject;
    let der = rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    assert_eq!(der.as_ref(), m.http_ca().cert_der());
}

#[test]
fn keys_export_as_pkcs8_der_and_pem() {
    let m = material(KeyType::Rsa4096);
    let key = m.http_ca().key();
    let pem = key.to_pkcs8_pem();
    let again = esac_pki::PrivateKey::from_pem(pem.expose_str().unwrap()).unwrap();
    assert_eq!(again.pkcs8_der(), key.pkcs8_der());
    assert_eq!(again.key_type(), KeyType::Rsa4096);
    assert_eq!(
        format!("{again:?}"),
        "PrivateKey { key_type: Rsa4096, pkcs8: <redacted> }"
    );
}
