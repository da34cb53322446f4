//! Every field of spec 2.2 / 2.3, read back from the generated DER with x509-parser.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use esac_certspec::{CertParams, CertPlan, CertRole, KeyType, HTTP_CA_CN, TRANSPORT_CA_CN};
use esac_pki::{AwsLcKeySource, CertifiedKey, Error, Material, Received};

use crate::common::{generate, generate_enrolled};
use esac_testkit::fixtures::{key_pool, pki_params};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::{
    OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, OID_X509_EXT_BASIC_CONSTRAINTS,
    OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE, OID_X509_EXT_SUBJECT_ALT_NAME,
    OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// 2023-11-14T22:13:20.750Z: the milliseconds must be dropped.
fn fixed_now() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_700_000_000_750)
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = X509Certificate::from_der(der).expect("certificate parses");
    assert!(rest.is_empty());
    cert
}

fn sha1(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .to_vec()
}

/// DER children of a constructed TLV: (tag byte, content).
fn children(der: &[u8]) -> Vec<(u8, &[u8])> {
    let (_, content, _) = tlv(der);
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (tag, inner, after) = tlv(rest);
        out.push((tag, inner));
        rest = after;
    }
    out
}

fn tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = der[0];
    let (len, hdr) = if der[1] < 0x80 {
        (der[1] as usize, 2)
    } else {
        let n = (der[1] & 0x7f) as usize;
        let len = der[2..2 + n]
            .iter()
            .fold(0usize, |a, b| a << 8 | *b as usize);
        (len, 2 + n)
    };
    (tag, &der[hdr..hdr + len], &der[hdr + len..])
}

/// The raw serial INTEGER content and the two validity time tags, from the TBSCertificate.
fn serial_and_time_tags(der: &[u8]) -> (Vec<u8>, u8, u8) {
    let (_, _, _) = tlv(der);
    let cert = children(der);
    let (_, tbs_content) = cert[0];
    // Re-wrap so `children` can walk the TBS sequence.
    let mut tbs = vec![0x30, 0x84];
    tbs.extend_from_slice(&(tbs_content.len() as u32).to_be_bytes());
    tbs.extend_from_slice(tbs_content);
    let fields = children(&tbs);
    assert_eq!(fields[0].0, 0xa0, "explicit version");
    let serial = fields[1].1.to_vec();
    let mut validity = vec![0x30, 0x84];
    validity.extend_from_slice(&(fields[4].1.len() as u32).to_be_bytes());
    validity.extend_from_slice(fields[4].1);
    let times = children(&validity);
    (serial, times[0].0, times[1].0)
}

struct Expect<'a> {
    cn: &'a str,
    issuer_cn: &'a str,
    days: u64,
    is_ca: bool,
    sans: Option<Vec<GeneralNameOwned>>,
    key_usage: Option<(bool, bool, bool, bool)>, // digitalSignature, keyEncipherment, keyCertSign, cRLSign
    server_auth_only: bool,
    not_after_generalized: bool,
}

#[derive(Debug, PartialEq)]
enum GeneralNameOwned {
    Dns(String),
    Ip(IpAddr),
}

fn check_cert(der: &[u8], issuer_der: &[u8], key_type: KeyType, now: SystemTime, e: &Expect) {
    let cert = parse(der);
    let issuer = parse(issuer_der);

    assert_eq!(cert.version().0, 2, "X.509 v3");
    // Names: a single CN, PrintableString when possible, and issuer bytes = issuer's subject bytes.
    let cn: Vec<_> = cert.subject().iter_common_name().collect();
    assert_eq!(cn.len(), 1);
    assert_eq!(cn[0].as_str().unwrap(), e.cn);
    assert_eq!(cert.subject().iter().count(), 1);
    let printable =
        e.cn.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&c));
    let expected_tag = if printable {
        Tag::PrintableString
    } else {
        Tag::Utf8String
    };
    assert_eq!(
        cn[0].attr_value().header.tag(),
        expected_tag,
        "CN string type"
    );
    assert_eq!(cert.issuer().as_raw(), issuer.subject().as_raw());
    assert_eq!(
        cert.issuer()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        e.issuer_cn
    );

    // Serial: positive, at most 160 bits.
    let (serial, nb_tag, na_tag) = serial_and_time_tags(der);
    assert!(serial[0] & 0x80 == 0, "serial is positive");
    let significant: Vec<u8> = serial.iter().copied().skip_while(|b| *b == 0).collect();
    assert!(!significant.is_empty(), "serial is not zero");
    let bits = significant.len() * 8 - significant[0].leading_zeros() as usize;
    assert!(bits <= 160, "serial has {bits} bits");
    assert!(serial.len() <= 21);

    // Validity: notBefore = now (seconds), notAfter = now + days; UTCTime before 2050.
    let now_secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    assert_eq!(cert.validity().not_before.timestamp(), now_secs);
    assert_eq!(
        cert.validity().not_after.timestamp() - now_secs,
        e.days as i64 * 86_400
    );
    assert_eq!(nb_tag, 0x17, "notBefore is UTCTime");
    assert_eq!(
        na_tag,
        if e.not_after_generalized { 0x18 } else { 0x17 },
        "notAfter time type"
    );

    // Key and signature algorithm.
    let spki = cert.public_key();
    match (key_type, spki.parsed().unwrap()) {
        (KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096, PublicKey::RSA(rsa)) => {
            assert_eq!(rsa.key_size(), key_type.bits() as usize);
            assert_eq!(rsa.exponent, [1, 0, 1], "e = 65537");
        }
        (KeyType::EcdsaP256 | KeyType::EcdsaP384, PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .unwrap()
                .as_oid()
                .unwrap();
            let expected = if key_type == KeyType::EcdsaP256 {
                "1.2.840.10045.3.1.7"
            } else {
                "1.3.132.0.34"
            };
            assert_eq!(curve.to_id_string(), expected);
        }
        (kt, other) => panic!("{kt}: unexpected public key {other:?}"),
    }
    // The issuer's key decides the signature algorithm; all keys of a run share a type.
    let sig = cert.signature_algorithm.algorithm.to_id_string();
    let expected_sig = match key_type {
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => "1.2.840.113549.1.1.11",
        KeyType::EcdsaP256 => "1.2.840.10045.4.3.2",
        KeyType::EcdsaP384 => "1.2.840.10045.4.3.3",
    };
    assert_eq!(sig, expected_sig);
    assert!(
        cert.verify_signature(Some(issuer.public_key())).is_ok(),
        "signature verifies"
    );

    // Extensions, in Elasticsearch's order, with their criticality.
    let mut expected_order = vec![
        (OID_X509_EXT_SUBJECT_KEY_IDENTIFIER, false),
        (OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER, false),
    ];
    if e.sans.is_some() {
        expected_order.push((OID_X509_EXT_SUBJECT_ALT_NAME, false));
    }
    expected_order.push((OID_X509_EXT_BASIC_CONSTRAINTS, e.is_ca));
    if e.key_usage.is_some() {
        expected_order.push((OID_X509_EXT_KEY_USAGE, true));
    }
    if e.server_auth_only {
        expected_order.push((OID_X509_EXT_EXTENDED_KEY_USAGE, false));
    }
    let got_order: Vec<_> = cert
        .extensions()
        .iter()
        .map(|x| (x.oid.clone(), x.critical))
        .collect();
    assert_eq!(got_order, expected_order, "extension order and criticality");

    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(ski) => {
                assert_eq!(ski.0, sha1(&spki.subject_public_key.data));
            }
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                let id = aki.key_identifier.as_ref().expect("keyIdentifier");
                assert_eq!(id.0, sha1(&issuer.public_key().subject_public_key.data));
                assert!(aki.authority_cert_issuer.is_none() && aki.authority_cert_serial.is_none());
            }
            ParsedExtension::BasicConstraints(bc) => {
                assert_eq!(bc.ca, e.is_ca);
                assert_eq!(bc.path_len_constraint, None);
                if !e.is_ca {
                    assert_eq!(
                        ext.value,
                        [0x30, 0x00],
                        "leaf: empty SEQUENCE, as BouncyCastle"
                    );
                }
            }
            ParsedExtension::KeyUsage(ku) => {
                let (ds, ke, kcs, crl) = e.key_usage.unwrap();
                assert_eq!(
                    (
                        ku.digital_signature(),
                        ku.key_encipherment(),
                        ku.key_cert_sign(),
                        ku.crl_sign()
                    ),
                    (ds, ke, kcs, crl)
                );
                assert!(!ku.non_repudiation() && !ku.data_encipherment() && !ku.key_agreement());
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                assert!(eku.server_auth);
                assert!(!eku.client_auth && !eku.any && eku.other.is_empty());
                assert_eq!(ext.value.len(), 12, "exactly one purpose");
            }
            ParsedExtension::SubjectAlternativeName(san) => {
                let got: Vec<GeneralNameOwned> = san
                    .general_names
                    .iter()
                    .map(|n| match n {
                        GeneralName::DNSName(d) => GeneralNameOwned::Dns((*d).to_owned()),
                        GeneralName::IPAddress(b) => GeneralNameOwned::Ip(match b.len() {
                            4 => IpAddr::from(<[u8; 4]>::try_from(*b).unwrap()),
                            16 => IpAddr::from(<[u8; 16]>::try_from(*b).unwrap()),
                            n => panic!("IP SAN of {n} bytes"),
                        }),
                        other => panic!("unexpected SAN {other:?}"),
                    })
                    .collect();
                assert_eq!(
                    Some(got),
                    e.sans.as_ref().map(|s| s.iter().map(clone_gn).collect())
                );
            }
            other => panic!("unexpected extension {other:?}"),
        }
    }
}

fn clone_gn(g: &GeneralNameOwned) -> GeneralNameOwned {
    match g {
        GeneralNameOwned::Dns(d) => GeneralNameOwned::Dns(d.clone()),
        GeneralNameOwned::Ip(i) => GeneralNameOwned::Ip(*i),
    }
}

fn expected_sans() -> Vec<GeneralNameOwned> {
    use GeneralNameOwned::{Dns, Ip};
    vec![
        Ip("127.0.0.1".parse().unwrap()),
        Ip("::1".parse().unwrap()),
        Ip("192.0.2.10".parse().unwrap()),
        Dns("localhost".to_owned()),
        Dns("es-test-host".to_owned()),
        Ip("198.51.100.7".parse().unwrap()),
        Dns("es.example.com".to_owned()),
    ]
}

fn check_initial(m: &Material, params: &CertParams, now: SystemTime) {
    let kt = params.key_type;
    let ca = Expect {
        cn: HTTP_CA_CN,
        issuer_cn: HTTP_CA_CN,
        days: 1095,
        is_ca: true,
        sans: None,
        key_usage: Some((false, false, true, true)),
        server_auth_only: false,
        not_after_generalized: false,
    };
    check_cert(m.http_ca().cert_der(), m.http_ca().cert_der(), kt, now, &ca);
    let http = Expect {
        cn: &params.node_name,
        issuer_cn: HTTP_CA_CN,
        days: 730,
        is_ca: false,
        sans: Some(expected_sans()),
        key_usage: Some((true, true, false, false)),
        server_auth_only: true,
        not_after_generalized: false,
    };
    check_cert(m.http().cert_der(), m.http_ca().cert_der(), kt, now, &http);
    let tca = Expect {
        cn: TRANSPORT_CA_CN,
        issuer_cn: TRANSPORT_CA_CN,
        days: 36135,
        is_ca: true,
        sans: None,
        key_usage: Some((false, false, true, true)),
        server_auth_only: false,
        not_after_generalized: true,
    };
    check_cert(
        m.transport_ca_cert_der(),
        m.transport_ca_cert_der(),
        kt,
        now,
        &tca,
    );
    let transport = Expect {
        cn: &params.node_name,
        issuer_cn: TRANSPORT_CA_CN,
        days: 36135,
        is_ca: false,
        sans: None,
        key_usage: None,
        server_auth_only: false,
        not_after_generalized: true,
    };
    check_cert(
        m.transport().cert_der(),
        m.transport_ca_cert_der(),
        kt,
        now,
        &transport,
    );

    // Four distinct keys and serials.
    let spkis = [
        m.http_ca().cert_der(),
        m.http().cert_der(),
        m.transport_ca_cert_der(),
        m.transport().cert_der(),
    ]
    .map(|d| parse(d).public_key().raw.to_vec());
    let serials = [
        m.http_ca().cert_der(),
        m.http().cert_der(),
        m.transport_ca_cert_der(),
        m.transport().cert_der(),
    ]
    .map(|d| parse(d).raw_serial().to_vec());
    for i in 0..4 {
        for j in i + 1..4 {
            assert_ne!(spkis[i], spkis[j], "keys {i} and {j} are distinct");
            assert_ne!(serials[i], serials[j]);
        }
    }
    assert!(m.http_ca().is_ca() && !m.http().is_ca() && !m.transport().is_ca());
    let fingerprint = m.http_ca_fingerprint();
    assert_eq!(fingerprint.len(), 64);
    assert!(fingerprint
        .bytes()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
}

#[test]
fn rsa4096_initial_node_matches_spec() {
    let params = pki_params(KeyType::Rsa4096);
    let m = generate(&params, &key_pool(), fixed_now()).unwrap();
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    check_initial(&m, &params, now);
}

#[test]
fn rsa2048_and_ecdsa_p256_from_the_pool() {
    for kt in [KeyType::Rsa2048, KeyType::EcdsaP256] {
        let params = pki_params(kt);
        let m = generate(&params, &key_pool(), fixed_now()).unwrap();
        check_initial(&m, &params, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    }
}

#[test]
fn ecdsa_p384_generated_for_real() {
    // P-384 generation is cheap, so this one exercises AwsLcKeySource end to end.
    let params = pki_params(KeyType::EcdsaP384);
    let m = generate(&params, &AwsLcKeySource, fixed_now()).unwrap();
    check_initial(&m, &params, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
}

#[test]
fn non_printable_node_name_is_utf8_string() {
    let mut params = pki_params(KeyType::EcdsaP256);
    params.node_name = "nœud_1".to_owned();
    let m = generate(&params, &key_pool(), fixed_now()).unwrap();
    check_initial(&m, &params, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
}

#[test]
fn plan_describes_what_is_generated() {
    let params = pki_params(KeyType::Rsa4096);
    let plan = CertPlan::initial(&params, fixed_now());
    let m = generate(&params, &key_pool(), fixed_now()).unwrap();
    for spec in &plan.certs {
        let der = match spec.role {
            CertRole::HttpCa => m.http_ca().cert_der(),
            CertRole::Http => m.http().cert_der(),
            CertRole::TransportCa => m.transport_ca_cert_der(),
            CertRole::Transport => m.transport().cert_der(),
        };
        let cert = parse(der);
        let cn = cert.subject().iter_common_name().next().unwrap();
        assert_eq!(cn.as_str().unwrap(), spec.subject_cn);
        let not_after = spec
            .not_after()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert_eq!(cert.validity().not_after.timestamp(), not_after);
        assert_eq!(cert.is_ca(), spec.is_ca);
    }
}

#[test]
fn enrollment_signs_the_http_certificate_with_the_received_ca() {
    let params = pki_params(KeyType::Rsa4096);
    let cluster = generate(&params, &key_pool(), fixed_now()).unwrap();
    // What the enrollment API returns: PKCS#8 DER keys and DER certificates.
    let received = Received::from_der(
        cluster.http_ca().key().pkcs8_der().clone(),
        cluster.http_ca().cert_der(),
        cluster.transport().key().pkcs8_der().clone(),
        cluster.transport().cert_der(),
        cluster.transport_ca_cert_der(),
    )
    .unwrap();
    let mut node = params.clone();
    node.node_name = "node-2".to_owned();
    let later = fixed_now() + Duration::from_secs(3600);
    let m = generate_enrolled(&node, &received, &key_pool(), later).unwrap();

    assert_eq!(m.http_ca().cert_der(), cluster.http_ca().cert_der());
    assert_eq!(m.http_ca_fingerprint(), cluster.http_ca_fingerprint());
    assert_eq!(m.transport().cert_der(), cluster.transport().cert_der());
    assert_eq!(m.transport_ca_cert_der(), cluster.transport_ca_cert_der());
    assert_ne!(m.http().cert_der(), cluster.http().cert_der());
    let http = Expect {
        cn: "node-2",
        issuer_cn: HTTP_CA_CN,
        days: 730,
        is_ca: false,
        sans: Some(expected_sans()),
        key_usage: Some((true, true, false, false)),
        server_auth_only: true,
        not_after_generalized: false,
    };
    check_cert(
        m.http().cert_der(),
        m.http_ca().cert_der(),
        KeyType::Rsa4096,
        UNIX_EPOCH + Duration::from_secs(1_700_003_600),
        &http,
    );
}

#[test]
fn a_received_key_must_belong_to_its_certificate() {
    let m = generate(&pki_params(KeyType::EcdsaP256), &key_pool(), fixed_now()).unwrap();
    let err = CertifiedKey::from_der(m.http().key().pkcs8_der().clone(), m.http_ca().cert_der())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidCertificate(_)), "{err}");
    let err = CertifiedKey::from_der(
        esac_secret::Secret::from_str_copy("not a key"),
        m.http_ca().cert_der(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnsupportedKey(_)), "{err}");
}

#[test]
fn non_ascii_dns_san_is_an_error() {
    let mut params = pki_params(KeyType::EcdsaP256);
    params.san.hostname = "hôte".to_owned();
    let err = generate(&params, &key_pool(), fixed_now()).unwrap_err();
    assert!(
        matches!(err, Error::InvalidSan(ref v) if v == "hôte"),
        "{err}"
    );
}

#[test]
fn debug_output_never_shows_key_bytes() {
    let m = generate(&pki_params(KeyType::EcdsaP256), &key_pool(), fixed_now()).unwrap();
    let shown = format!("{m:?}");
    assert!(shown.contains("<redacted>"));
    let b64 = esac_pki::pem::encode("X", m.http().key().pkcs8_der().expose());
    let key_line = b64.lines().nth(1).unwrap();
    assert!(!shown.contains(key_line));
}
