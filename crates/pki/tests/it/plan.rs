//! The certificate plan: the SAN list's order and deduplication, spec 2.2's validity and usages,
//! and the text `--dry-run` prints.

use std::time::{Duration, UNIX_EPOCH};

use esac_pki::{CertPlan, CertRole, ExtKeyUsage, IssuerRef, KeyType, SanInputs, TRANSPORT_CA_CN};
use esac_testkit::fixtures::pki_params;

#[test]
fn sans_are_deduplicated_in_a_fixed_order() {
    // Addresses repeated as publish hosts, `localhost` given explicitly, a bracketed IPv6
    // address and a special value.
    let san = SanInputs {
        interface_addresses: ["127.0.0.1", "::1", "10.0.0.5"]
            .map(|a| a.parse().unwrap())
            .to_vec(),
        hostname: "host.example".to_owned(),
        publish_hosts: [
            "10.0.0.5",
            "es.example",
            "::1",
            "[::2]",
            "localhost",
            "_site_",
        ]
        .map(str::to_owned)
        .to_vec(),
    };
    let got: Vec<String> = san.entries().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "IP:127.0.0.1",
            "IP:::1",
            "IP:10.0.0.5",
            "DNS:localhost",
            "DNS:host.example",
            "DNS:es.example",
            "DNS:[::2]",
            "DNS:_site_",
        ]
    );
}

#[test]
fn plan_matches_spec_2_2() {
    let params = pki_params(KeyType::Rsa4096);
    let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_999);
    let plan = CertPlan::initial(&params, now);
    let http_ca = plan.get(CertRole::HttpCa).unwrap();
    assert_eq!(http_ca.validity_days, 1095);
    assert_eq!(
        http_ca.not_before,
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    );
    let transport = plan.get(CertRole::Transport).unwrap();
    assert_eq!(transport.validity_days, 36135);
    assert!(transport.sans.is_empty());
    assert_eq!(
        transport.issuer,
        IssuerRef::Generated(TRANSPORT_CA_CN.to_owned())
    );
    let http = plan.get(CertRole::Http).unwrap();
    assert_eq!(http.validity_days, 730);
    assert_eq!(http.extended_key_usage, vec![ExtKeyUsage::ServerAuth]);
    assert_eq!(CertPlan::enrollment(&params, now).certs.len(), 1);
}

#[test]
fn display_is_readable() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let shown = CertPlan::initial(&pki_params(KeyType::Rsa4096), now).to_string();
    assert!(shown.contains("subject:   CN=Elasticsearch security auto-configuration HTTP CA"));
    assert!(shown.contains("validity:  730 days, 2023-11-14 22:13:20 UTC to 2025-11-13"));
    assert!(shown.contains("validity:  36135 days, 2023-11-14 22:13:20 UTC to 2122-10-21"));
    assert!(shown.contains("key:       rsa-4096 (SHA256withRSA)"));
}
