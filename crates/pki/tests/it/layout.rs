//! The pieces `layout` builds a bundle from: many keys at once, node certificates with an
//! instance's DN subject and certutil's `cn` SANs, CA stores, and a node's material assembled
//! from certificates made elsewhere (`init --bundle`).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use esac_certspec::{CertPlan, CertRole, DistinguishedName, KeyType, NodeSubject, SanEntry};
use esac_pki::{inspect, read_p12, AwsLcKeySource, Material, Received};
use esac_secret::Secret;
use esac_testkit::fixtures::key_pool;

#[test]
fn generate_many_returns_one_distinct_key_per_type_in_order_and_reports_progress() {
    let types = [
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
        KeyType::EcdsaP256,
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
    ];
    let seen = AtomicUsize::new(0);
    let caller = std::thread::current().id();
    let keys = esac_pki::generate_many(&AwsLcKeySource, &types, 3, &|n| {
        assert_eq!(
            std::thread::current().id(),
            caller,
            "progress on the calling thread"
        );
        assert_eq!(
            seen.fetch_add(1, Ordering::Relaxed) + 1,
            n,
            "counted up by one"
        );
    })
    .unwrap();
    assert_eq!(keys.iter().map(|k| k.key_type()).collect::<Vec<_>>(), types);
    let mut ders: Vec<&[u8]> = keys.iter().map(|k| k.pkcs8_der().expose()).collect();
    ders.sort();
    ders.dedup();
    assert_eq!(ders.len(), types.len(), "every key is a new one");
    assert_eq!(seen.load(Ordering::Relaxed), types.len());
    // A source that cannot make a type fails the whole call.
    let pool = esac_pki::PoolKeySource::from_keys(Vec::new());
    assert!(esac_pki::generate_many(&pool, &types, 2, &|_| {}).is_err());
}

#[test]
fn a_node_certificate_carries_the_instance_s_dn_and_sans() {
    let now = SystemTime::now();
    let pool = key_pool();
    let cas = CertPlan::authorities(KeyType::Rsa2048, now);
    let http_ca_spec = cas.get(CertRole::HttpCa).unwrap();
    let http_ca_key = esac_pki::KeySource::generate(&pool, KeyType::Rsa2048).unwrap();
    let http_ca = esac_pki::issue(http_ca_spec, &http_ca_key, None).unwrap();

    // certutil's documented example repeats DC: rcgen's name type would keep one.
    let dn =
        DistinguishedName::parse("CN=es01,OU=Search,O=Example\\, Inc.,DC=example,DC=com").unwrap();
    let subject = NodeSubject {
        cn: "es01".into(),
        dn: Some(dn),
    };
    let sans = vec![
        SanEntry::Dns("es01.example".into()),
        SanEntry::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        SanEntry::CommonName("es01 node".into()),
    ];
    let node = CertPlan::node(&subject, sans.clone(), KeyType::Rsa2048, now);
    let key = esac_pki::KeySource::generate(&pool, KeyType::Rsa2048).unwrap();
    let http = esac_pki::issue(node.get(CertRole::Http).unwrap(), &key, Some(&http_ca)).unwrap();
    let info = inspect(http.cert_der()).unwrap();
    assert_eq!(info.sans, sans);
    assert_eq!(info.subject_cn.as_deref(), Some("es01"));
    // Certificates list the RDNs most significant first: the reverse of the written order.
    // (x509-parser shows values unescaped.)
    assert_eq!(
        info.subject,
        "DC=com, DC=example, O=Example, Inc., OU=Search, CN=es01"
    );
    assert_eq!(
        info.issuer,
        "CN=Elasticsearch security auto-configuration HTTP CA"
    );
    // The subject was replaced after rcgen signed: the new signature verifies with the CA's key.
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(http.cert_der()).unwrap();
    let (_, ca) = X509Certificate::from_der(http_ca.cert_der()).unwrap();
    let key = aws_lc_rs::signature::UnparsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        ca.public_key().subject_public_key.data.as_ref(),
    );
    key.verify(
        cert.tbs_certificate.as_ref(),
        cert.signature_value.data.as_ref(),
    )
    .expect("the re-signed certificate verifies");
    let mut tampered = cert.tbs_certificate.as_ref().to_vec();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(key
        .verify(&tampered, cert.signature_value.data.as_ref())
        .is_err());
}

#[test]
fn ca_stores_and_material_from_parts_round_trip() {
    let now = SystemTime::now();
    let pool = key_pool();
    let kt = KeyType::Rsa2048;
    let cas = CertPlan::authorities(kt, now);
    let node = CertPlan::node(
        &NodeSubject {
            cn: "es02".into(),
            dn: None,
        },
        vec![SanEntry::Dns("localhost".into())],
        kt,
        now,
    );
    let k = |_| esac_pki::KeySource::generate(&pool, kt).unwrap();
    let http_ca = esac_pki::issue(cas.get(CertRole::HttpCa).unwrap(), &k(0), None).unwrap();
    let transport_ca =
        esac_pki::issue(cas.get(CertRole::TransportCa).unwrap(), &k(1), None).unwrap();
    let http = esac_pki::issue(node.get(CertRole::Http).unwrap(), &k(2), Some(&http_ca)).unwrap();
    let transport = esac_pki::issue(
        node.get(CertRole::Transport).unwrap(),
        &k(3),
        Some(&transport_ca),
    )
    .unwrap();

    let pass = Secret::from_str_copy("bundle passphrase");
    let store = esac_pki::ca_p12("http_ca", &http_ca, &pass, now).unwrap();
    let back = read_p12(&store, &pass).unwrap();
    let entry = back.key_entry("http_ca").unwrap();
    assert!(entry.is_ca());
    assert_eq!(
        entry.certified_key().unwrap().cert_der(),
        http_ca.cert_der()
    );
    assert!(read_p12(&store, &Secret::from_str_copy("wrong")).is_err());
    // No passphrase: an empty password, which the same reader opens.
    let open = esac_pki::ca_p12("transport_ca", &transport_ca, &Secret::default(), now).unwrap();
    assert!(read_p12(&open, &Secret::default())
        .unwrap()
        .key_entry("transport_ca")
        .is_some());

    let material = Material::from_parts(
        http_ca.clone(),
        http.clone(),
        transport.clone(),
        transport_ca.cert_der().to_vec(),
        now,
    );
    let pw = Secret::from_str_copy("p12-password");
    let http_store = read_p12(&material.http_p12(&pw).unwrap(), &pw).unwrap();
    assert_eq!(
        http_store.key_entry("http").unwrap().chain,
        [http.cert_der().to_vec(), http_ca.cert_der().to_vec()]
    );
    // `init --bundle` hands the bundle's material in as received: nothing is generated, even with
    // a key source that has no key at all.
    let received = Received::from_bundle(
        http_ca,
        http.clone(),
        transport,
        transport_ca.cert_der().to_vec(),
    )
    .unwrap();
    let installed = esac_pki::generate_enrolled(
        &CertPlan::enrollment(&esac_testkit::fixtures::pki_params(kt), now),
        &received,
        &esac_pki::PoolKeySource::from_keys(Vec::new()),
        now,
    )
    .unwrap();
    assert_eq!(installed.http().cert_der(), http.cert_der());
}
