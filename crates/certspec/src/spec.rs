//! The four certificates of spec §2.2 as plain data, and the plans that list them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::date::Utc;
use crate::dn::DistinguishedName;
use crate::key_type::KeyType;
use crate::san::{SanEntry, SanInputs};

/// Subject CN of the HTTP CA (`AUTO_CONFIG_HTTP_ALT_DN`).
pub const HTTP_CA_CN: &str = "Elasticsearch security auto-configuration HTTP CA";
/// Subject CN of the transport CA (`AUTO_CONFIG_TRANSPORT_ALT_DN`).
pub const TRANSPORT_CA_CN: &str = "Elasticsearch security auto-configuration transport CA";
/// HTTP CA validity: 3 × 365 days.
pub const HTTP_CA_DAYS: u32 = 3 * 365;
/// HTTP certificate validity: 2 × 365 days.
pub const HTTP_DAYS: u32 = 2 * 365;
/// Transport CA and certificate validity: 99 × 365 days.
pub const TRANSPORT_DAYS: u32 = 99 * 365;

/// Inputs of the initial-node (and enrollment) certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertParams {
    /// The effective `node.name`: the CN of the HTTP and transport certificates.
    pub node_name: String,
    /// What goes into the HTTP certificate's SANs.
    pub san: SanInputs,
    /// Key type for every generated key (Elasticsearch: RSA 4096).
    pub key_type: KeyType,
}

/// Which of the four auto-configuration certificates a [`CertSpec`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertRole {
    /// The self-signed HTTP CA (stored with its key in `http.p12` as `http_ca`).
    HttpCa,
    /// The node's HTTP certificate (`http.p12`, alias `http`).
    Http,
    /// The self-signed transport CA (a trusted entry `transport_ca`; its key is discarded).
    TransportCa,
    /// The node's transport certificate (`transport.p12`, alias `transport`).
    Transport,
}

impl CertRole {
    /// Short stable name (`http_ca`, `http`, `transport_ca`, `transport`): the PKCS#12 alias.
    pub const fn name(self) -> &'static str {
        match self {
            CertRole::HttpCa => "http_ca",
            CertRole::Http => "http",
            CertRole::TransportCa => "transport_ca",
            CertRole::Transport => "transport",
        }
    }
}

impl fmt::Display for CertRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertRole::HttpCa => "HTTP CA",
            CertRole::Http => "HTTP certificate",
            CertRole::TransportCa => "transport CA",
            CertRole::Transport => "transport certificate",
        })
    }
}

/// Who signs a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerRef {
    /// The certificate signs itself.
    SelfSigned,
    /// A CA generated in the same run, named by its CN.
    Generated(String),
    /// The HTTP CA received from the cluster (enrollment); its name is only known at generation.
    ReceivedHttpCa,
}

impl fmt::Display for IssuerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssuerRef::SelfSigned => f.write_str("self-signed"),
            IssuerRef::Generated(cn) => write!(f, "CN={cn}"),
            IssuerRef::ReceivedHttpCa => f.write_str("the cluster's HTTP CA (enrollment)"),
        }
    }
}

/// A KeyUsage bit that Elasticsearch sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyUsageBit {
    /// digitalSignature (bit 0).
    DigitalSignature,
    /// keyEncipherment (bit 2).
    KeyEncipherment,
    /// keyCertSign (bit 5).
    KeyCertSign,
    /// cRLSign (bit 6).
    CrlSign,
}

impl KeyUsageBit {
    /// The bit number in the KeyUsage BIT STRING (RFC 5280 4.2.1.3).
    pub const fn bit(self) -> u8 {
        match self {
            KeyUsageBit::DigitalSignature => 0,
            KeyUsageBit::KeyEncipherment => 2,
            KeyUsageBit::KeyCertSign => 5,
            KeyUsageBit::CrlSign => 6,
        }
    }

    /// The RFC 5280 name.
    pub const fn name(self) -> &'static str {
        match self {
            KeyUsageBit::DigitalSignature => "digitalSignature",
            KeyUsageBit::KeyEncipherment => "keyEncipherment",
            KeyUsageBit::KeyCertSign => "keyCertSign",
            KeyUsageBit::CrlSign => "cRLSign",
        }
    }
}

/// The extended key usages Elasticsearch sets (only serverAuth, on the HTTP certificate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtKeyUsage {
    /// id-kp-serverAuth, 1.3.6.1.5.5.7.3.1.
    ServerAuth,
}

impl ExtKeyUsage {
    /// The RFC 5280 name.
    pub const fn name(self) -> &'static str {
        match self {
            ExtKeyUsage::ServerAuth => "serverAuth",
        }
    }
}

/// Everything about one certificate except its key material, serial and signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertSpec {
    /// Which certificate this is.
    pub role: CertRole,
    /// The subject's single CN attribute; with [`CertSpec::subject_dn`], the value of its CN.
    pub subject_cn: String,
    /// The whole subject when it is more than `CN=<subject_cn>`: an `instances.yml` name that is
    /// a distinguished name (`layout`). `None` for every certificate `init` makes.
    pub subject_dn: Option<DistinguishedName>,
    /// Who signs it.
    pub issuer: IssuerRef,
    /// subjectAltName entries; empty means no SAN extension.
    pub sans: Vec<SanEntry>,
    /// notBefore: the caller's `now`, truncated to whole seconds (X.509 times have no fraction).
    pub not_before: SystemTime,
    /// notAfter − notBefore, in days of 86 400 s (UTC has no DST).
    pub validity_days: u32,
    /// The key pair's type.
    pub key_type: KeyType,
    /// Generated in this run (`false`: received from the cluster through enrollment).
    pub generated: bool,
    /// basicConstraints cA=TRUE (critical) when set; an empty, non-critical one otherwise.
    pub is_ca: bool,
    /// KeyUsage bits (critical); empty means no KeyUsage extension.
    pub key_usage: Vec<KeyUsageBit>,
    /// ExtendedKeyUsage purposes (non-critical); empty means no extension.
    pub extended_key_usage: Vec<ExtKeyUsage>,
}

impl CertSpec {
    /// notAfter = notBefore + `validity_days` × 86 400 s.
    pub fn not_after(&self) -> SystemTime {
        self.not_before + Duration::from_secs(u64::from(self.validity_days) * 86_400)
    }

    /// Whether the CN is written as a PrintableString (else UTF8String), as `X500Principal` does.
    pub fn cn_is_printable(&self) -> bool {
        is_printable_string(&self.subject_cn)
    }

    /// The subject as text: `CN=<subject_cn>`, or the whole DN.
    pub fn subject_text(&self) -> String {
        match &self.subject_dn {
            Some(dn) => dn.to_string(),
            None => format!("CN={}", self.subject_cn),
        }
    }

    /// The issuer's DN as text (`CN=...`); for a received CA, a description.
    pub fn issuer_dn(&self) -> String {
        match &self.issuer {
            IssuerRef::SelfSigned => format!("CN={}", self.subject_cn),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for CertSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", self.role)?;
        writeln!(f, "  subject:   {}", self.subject_text())?;
        writeln!(f, "  issuer:    {}", self.issuer)?;
        writeln!(
            f,
            "  key:       {} ({})",
            self.key_type,
            self.key_type.signature_algorithm()
        )?;
        writeln!(
            f,
            "  validity:  {} days, {} to {}",
            self.validity_days,
            Utc(self.not_before),
            Utc(self.not_after())
        )?;
        writeln!(f, "  CA:        {}", if self.is_ca { "yes" } else { "no" })?;
        if !self.key_usage.is_empty() {
            let names: Vec<&str> = self.key_usage.iter().map(|k| k.name()).collect();
            writeln!(f, "  key usage: {}", names.join(", "))?;
        }
        if !self.extended_key_usage.is_empty() {
            let names: Vec<&str> = self.extended_key_usage.iter().map(|k| k.name()).collect();
            writeln!(f, "  ext. key usage: {}", names.join(", "))?;
        }
        if self.sans.is_empty() {
            writeln!(f, "  SANs:      none")
        } else {
            let sans: Vec<String> = self.sans.iter().map(ToString::to_string).collect();
            writeln!(f, "  SANs:      {}", sans.join(", "))
        }
    }
}

/// The certificates of one run, in the order the HTTP and transport stores list them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertPlan {
    /// The certificates.
    pub certs: Vec<CertSpec>,
}

impl CertPlan {
    /// An initial node: both CAs and both node certificates, all generated (spec §2.2).
    pub fn initial(params: &CertParams, now: SystemTime) -> CertPlan {
        Self::build(params, now, true)
    }

    /// An enrolling node: the cluster's HTTP CA, transport CA and transport certificate are
    /// received; only the HTTP certificate is generated, signed by the received HTTP CA (spec §7.5).
    pub fn enrollment(params: &CertParams, now: SystemTime) -> CertPlan {
        Self::build(params, now, false)
    }

    fn build(params: &CertParams, now: SystemTime, generate_all: bool) -> CertPlan {
        let now = truncate_to_seconds(now);
        let kt = params.key_type;
        let ca = |role, cn: &str, days| CertSpec {
            role,
            subject_cn: cn.to_owned(),
            subject_dn: None,
            issuer: IssuerRef::SelfSigned,
            sans: Vec::new(),
            not_before: now,
            validity_days: days,
            key_type: kt,
            generated: generate_all,
            is_ca: true,
            key_usage: vec![KeyUsageBit::KeyCertSign, KeyUsageBit::CrlSign],
            extended_key_usage: Vec::new(),
        };
        let http_issuer = if generate_all {
            IssuerRef::Generated(HTTP_CA_CN.to_owned())
        } else {
            IssuerRef::ReceivedHttpCa
        };
        CertPlan {
            certs: vec![
                ca(CertRole::HttpCa, HTTP_CA_CN, HTTP_CA_DAYS),
                CertSpec {
                    role: CertRole::Http,
                    subject_cn: params.node_name.clone(),
                    subject_dn: None,
                    issuer: http_issuer,
                    sans: params.san.entries(),
                    not_before: now,
                    validity_days: HTTP_DAYS,
                    key_type: kt,
                    generated: true,
                    is_ca: false,
                    key_usage: vec![KeyUsageBit::DigitalSignature, KeyUsageBit::KeyEncipherment],
                    extended_key_usage: vec![ExtKeyUsage::ServerAuth],
                },
                ca(CertRole::TransportCa, TRANSPORT_CA_CN, TRANSPORT_DAYS),
                CertSpec {
                    role: CertRole::Transport,
                    subject_cn: params.node_name.clone(),
                    subject_dn: None,
                    issuer: IssuerRef::Generated(TRANSPORT_CA_CN.to_owned()),
                    // "transport only validates certificates not the hostname".
                    sans: Vec::new(),
                    not_before: now,
                    validity_days: TRANSPORT_DAYS,
                    key_type: kt,
                    generated: generate_all,
                    is_ca: false,
                    // Elasticsearch's KeyUsage change (PR #126376) names CAs and HTTP certificates
                    // only; the transport certificate keeps no KeyUsage.
                    key_usage: Vec::new(),
                    extended_key_usage: Vec::new(),
                },
            ],
        }
    }

    /// The spec of one role.
    pub fn get(&self, role: CertRole) -> Option<&CertSpec> {
        self.certs.iter().find(|c| c.role == role)
    }

    /// The specs this run generates (the others are received).
    pub fn generated(&self) -> impl Iterator<Item = &CertSpec> {
        self.certs.iter().filter(|c| c.generated)
    }

    /// `layout`: the HTTP CA and the transport CA of a bundle, generated, exactly as an initial
    /// node's (spec §2.2).
    pub fn authorities(key_type: KeyType, now: SystemTime) -> CertPlan {
        let all = Self::build(&Self::placeholder(key_type), now, true);
        CertPlan {
            certs: all.certs.into_iter().filter(|c| c.is_ca).collect(),
        }
    }

    /// `layout`: one node's HTTP and transport certificates, generated and signed by the
    /// bundle's CAs, as an initial node's but with the instance's subject and SANs (lifecycle
    /// §5.3): subject `CN=<cn>` or the instance's DN, 730 / 36,135 days, the same usages.
    pub fn node(
        subject: &NodeSubject,
        sans: Vec<SanEntry>,
        key_type: KeyType,
        now: SystemTime,
    ) -> CertPlan {
        let params = CertParams {
            node_name: subject.cn.clone(),
            san: SanInputs::default(),
            key_type,
        };
        let all = Self::build(&params, now, true);
        CertPlan {
            certs: all
                .certs
                .into_iter()
                .filter(|c| !c.is_ca)
                .map(|mut c| {
                    c.subject_dn = subject.dn.clone();
                    if c.role == CertRole::Http {
                        c.sans = sans.clone();
                    }
                    c
                })
                .collect(),
        }
    }

    fn placeholder(key_type: KeyType) -> CertParams {
        CertParams {
            node_name: String::new(),
            san: SanInputs::default(),
            key_type,
        }
    }
}

/// The subject of a laid-out node's certificates: its CN (the node name), and the whole DN when
/// the `instances.yml` name was one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSubject {
    /// The CN value: the node name.
    pub cn: String,
    /// The whole DN, when it is more than `CN=<cn>`.
    pub dn: Option<DistinguishedName>,
}

impl fmt::Display for CertPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for spec in &self.certs {
            spec.fmt(f)?;
        }
        Ok(())
    }
}

/// X.509 validity has whole seconds only; the JDK/BouncyCastle path drops the milliseconds too.
fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        // Before 1970: nothing sensible to generate, but stay pure and total.
        Err(_) => t,
    }
}

/// The ASN.1 PrintableString alphabet (X.680 41.4), as the JDK's `DerValue.isPrintableStringChar`.
pub fn is_printable_string(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn params() -> CertParams {
        CertParams {
            node_name: "node-1".to_owned(),
            san: SanInputs {
                interface_addresses: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
                hostname: "host.example".to_owned(),
                publish_hosts: Vec::new(),
            },
            key_type: KeyType::Rsa4096,
        }
    }

    #[test]
    fn plan_matches_spec_2_2() {
        let now = UNIX_EPOCH + Duration::from_millis(1_700_000_000_999);
        let plan = CertPlan::initial(&params(), now);
        let roles: Vec<_> = plan.certs.iter().map(|c| c.role.name()).collect();
        assert_eq!(roles, ["http_ca", "http", "transport_ca", "transport"]);
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
        assert!(plan.certs.iter().all(|c| c.generated));
        let enrolled = CertPlan::enrollment(&params(), now);
        let generated: Vec<_> = enrolled.generated().map(|c| c.role).collect();
        assert_eq!(generated, [CertRole::Http]);
        assert_eq!(
            enrolled.get(CertRole::Http).unwrap().issuer,
            IssuerRef::ReceivedHttpCa
        );
    }

    #[test]
    fn layout_specs_are_an_initial_node_s_with_the_instance_s_subject_and_sans() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let initial = CertPlan::initial(&params(), now);
        let cas = CertPlan::authorities(KeyType::Rsa4096, now);
        assert_eq!(
            cas.certs,
            [
                initial.get(CertRole::HttpCa).unwrap().clone(),
                initial.get(CertRole::TransportCa).unwrap().clone()
            ]
        );
        let dn = crate::DistinguishedName::parse("CN=node-1,O=Example").unwrap();
        let subject = NodeSubject {
            cn: "node-1".into(),
            dn: Some(dn.clone()),
        };
        let sans = vec![SanEntry::Dns("es01.example".into())];
        let node = CertPlan::node(&subject, sans.clone(), KeyType::Rsa4096, now);
        let roles: Vec<_> = node.certs.iter().map(|c| c.role).collect();
        assert_eq!(roles, [CertRole::Http, CertRole::Transport]);
        let mut http = initial.get(CertRole::Http).unwrap().clone();
        http.subject_dn = Some(dn.clone());
        http.sans = sans;
        assert_eq!(node.get(CertRole::Http), Some(&http));
        assert_eq!(http.subject_text(), "CN=node-1,O=Example");
        let mut transport = initial.get(CertRole::Transport).unwrap().clone();
        transport.subject_dn = Some(dn);
        assert_eq!(node.get(CertRole::Transport), Some(&transport));
    }

    #[test]
    fn display_is_readable() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let shown = CertPlan::initial(&params(), now).to_string();
        assert!(shown.contains("subject:   CN=Elasticsearch security auto-configuration HTTP CA"));
        assert!(shown.contains("validity:  730 days, 2023-11-14 22:13:20 UTC to 2025-11-13"));
        assert!(shown.contains("validity:  36135 days, 2023-11-14 22:13:20 UTC to 2122-10-21"));
        assert!(shown.contains("key:       rsa-4096 (SHA256withRSA)"));
    }

    #[test]
    fn printable_detection() {
        assert!(is_printable_string(HTTP_CA_CN));
        assert!(is_printable_string("node-1.example"));
        assert!(!is_printable_string("node_1"));
        assert!(!is_printable_string("nœud"));
        assert!(!is_printable_string("a@b"));
    }
}
