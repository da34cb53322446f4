//! What would be generated: certificate descriptions as plain data.
//!
//! Everything here is pure: no clock, no randomness, no cryptography. `--dry-run` prints a
//! [`CertPlan`] without ever touching aws-lc-rs (whose first use costs ~30 ms of entropy seeding),
//! and [`crate::generate`] turns the very same plan into certificates, so the two cannot drift.
//! The values follow spec 2.2 and 2.3 (Elasticsearch's `AutoConfigureNode` and `CertGenUtils`).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Subject of the HTTP CA (`AUTO_CONFIG_HTTP_ALT_DN`).
pub const HTTP_CA_CN: &str = "Elasticsearch security auto-configuration HTTP CA";
/// Subject of the transport CA (`AUTO_CONFIG_TRANSPORT_ALT_DN`).
pub const TRANSPORT_CA_CN: &str = "Elasticsearch security auto-configuration transport CA";
/// HTTP CA validity: 3 × 365 days.
pub const HTTP_CA_DAYS: u32 = 3 * 365;
/// HTTP certificate validity: 2 × 365 days.
pub const HTTP_DAYS: u32 = 2 * 365;
/// Transport CA and certificate validity: 99 × 365 days.
pub const TRANSPORT_DAYS: u32 = 99 * 365;

/// The algorithm and size of a generated key pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// RSA, 2048-bit modulus, signed with SHA256withRSA.
    Rsa2048,
    /// RSA, 3072-bit modulus, signed with SHA256withRSA.
    Rsa3072,
    /// RSA, 4096-bit modulus, signed with SHA256withRSA: what Elasticsearch generates.
    #[default]
    Rsa4096,
    /// ECDSA on P-256, signed with SHA256withECDSA.
    EcdsaP256,
    /// ECDSA on P-384, signed with SHA384withECDSA.
    EcdsaP384,
}

impl KeyType {
    /// Every key type, in declaration order.
    pub const ALL: [KeyType; 5] = [
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::EcdsaP256,
        KeyType::EcdsaP384,
    ];

    /// The name accepted by [`FromStr`] and printed by [`fmt::Display`].
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa-2048",
            KeyType::Rsa3072 => "rsa-3072",
            KeyType::Rsa4096 => "rsa-4096",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::EcdsaP384 => "ecdsa-p384",
        }
    }

    /// The JCA name of the signature algorithm a key of this type signs with.
    pub fn signature_algorithm(self) -> &'static str {
        match self {
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => "SHA256withRSA",
            KeyType::EcdsaP256 => "SHA256withECDSA",
            KeyType::EcdsaP384 => "SHA384withECDSA",
        }
    }

    /// RSA modulus length in bits, or the EC field size in bits.
    pub fn bits(self) -> u32 {
        match self {
            KeyType::Rsa2048 => 2048,
            KeyType::Rsa3072 => 3072,
            KeyType::Rsa4096 => 4096,
            KeyType::EcdsaP256 => 256,
            KeyType::EcdsaP384 => 384,
        }
    }

    /// Whether this is an RSA key type.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyType {
    type Err = UnknownKeyType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyType::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownKeyType(s.to_owned()))
    }
}

/// A key type name that [`KeyType::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKeyType(pub String);

impl fmt::Display for UnknownKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = KeyType::ALL.iter().map(|k| k.name()).collect();
        write!(
            f,
            "unknown key type [{}], expected one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownKeyType {}

/// What the machine probe found that ends up in the HTTP certificate's SANs (spec 2.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SanInputs {
    /// Addresses of every network interface that is up, all scopes, in the probe's order.
    pub interface_addresses: Vec<IpAddr>,
    /// `$HOSTNAME` as the launcher exports it.
    pub hostname: String,
    /// Values of `network.publish_host`, then of `http.publish_host`, when those settings exist.
    pub publish_hosts: Vec<String>,
}

/// One subjectAltName entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SanEntry {
    /// An `iPAddress` GeneralName.
    Ip(IpAddr),
    /// A `dNSName` GeneralName.
    Dns(String),
}

impl fmt::Display for SanEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanEntry::Ip(ip) => write!(f, "IP:{ip}"),
            SanEntry::Dns(name) => write!(f, "DNS:{name}"),
        }
    }
}

impl SanInputs {
    /// The HTTP certificate's SANs: interface addresses, `localhost`, the hostname, then each
    /// publish host (IP literals as `iPAddress`, anything else verbatim as `dNSName`).
    ///
    /// Elasticsearch collects them in a `HashSet`, so duplicates collapse and the order is
    /// unspecified; here the first occurrence wins, which keeps the output deterministic.
    /// An empty hostname or publish host is skipped (Elasticsearch would fail on it).
    pub fn entries(&self) -> Vec<SanEntry> {
        let mut out: Vec<SanEntry> = Vec::new();
        let mut push = |entry: SanEntry| {
            if !out.contains(&entry) {
                out.push(entry);
            }
        };
        for ip in &self.interface_addresses {
            push(SanEntry::Ip(*ip));
        }
        push(SanEntry::Dns("localhost".to_owned()));
        if !self.hostname.is_empty() {
            push(SanEntry::Dns(self.hostname.clone()));
        }
        for host in &self.publish_hosts {
            if host.is_empty() {
                continue;
            }
            // ES tests `InetAddresses.isInetAddress(value)`: a bare literal, no brackets.
            match host.parse::<IpAddr>() {
                Ok(ip) => push(SanEntry::Ip(ip)),
                Err(_) => push(SanEntry::Dns(host.clone())),
            }
        }
        out
    }
}

/// Inputs of the initial-node (and enrollment) certificate generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkiParams {
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
    pub fn bit(self) -> u8 {
        match self {
            KeyUsageBit::DigitalSignature => 0,
            KeyUsageBit::KeyEncipherment => 2,
            KeyUsageBit::KeyCertSign => 5,
            KeyUsageBit::CrlSign => 6,
        }
    }

    /// The RFC 5280 name.
    pub fn name(self) -> &'static str {
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
    pub fn name(self) -> &'static str {
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
    /// The subject's single CN attribute.
    pub subject_cn: String,
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
}

impl fmt::Display for CertSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:", self.role)?;
        writeln!(f, "  subject:   CN={}", self.subject_cn)?;
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

/// The certificates one run generates, in generation order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertPlan {
    /// The certificates to generate.
    pub certs: Vec<CertSpec>,
}

impl CertPlan {
    /// An initial node: both CAs and both node certificates (spec 2.2).
    pub fn initial(params: &PkiParams, now: SystemTime) -> CertPlan {
        let now = truncate_to_seconds(now);
        let kt = params.key_type;
        CertPlan {
            certs: vec![
                CertSpec {
                    role: CertRole::TransportCa,
                    subject_cn: TRANSPORT_CA_CN.to_owned(),
                    issuer: IssuerRef::SelfSigned,
                    sans: Vec::new(),
                    not_before: now,
                    validity_days: TRANSPORT_DAYS,
                    key_type: kt,
                    is_ca: true,
                    key_usage: ca_key_usage(),
                    extended_key_usage: Vec::new(),
                },
                CertSpec {
                    role: CertRole::Transport,
                    subject_cn: params.node_name.clone(),
                    issuer: IssuerRef::Generated(TRANSPORT_CA_CN.to_owned()),
                    // "transport only validates certificates not the hostname".
                    sans: Vec::new(),
                    not_before: now,
                    validity_days: TRANSPORT_DAYS,
                    key_type: kt,
                    is_ca: false,
                    // Elasticsearch's KeyUsage change (PR #126376) names CAs and HTTP certificates
                    // only; the transport certificate keeps no KeyUsage.
                    key_usage: Vec::new(),
                    extended_key_usage: Vec::new(),
                },
                CertSpec {
                    role: CertRole::HttpCa,
                    subject_cn: HTTP_CA_CN.to_owned(),
                    issuer: IssuerRef::SelfSigned,
                    sans: Vec::new(),
                    not_before: now,
                    validity_days: HTTP_CA_DAYS,
                    key_type: kt,
                    is_ca: true,
                    key_usage: ca_key_usage(),
                    extended_key_usage: Vec::new(),
                },
                http_spec(params, now, IssuerRef::Generated(HTTP_CA_CN.to_owned())),
            ],
        }
    }

    /// An enrolling node: only the HTTP certificate, signed by the received HTTP CA (spec 7.5).
    pub fn enrollment(params: &PkiParams, now: SystemTime) -> CertPlan {
        let now = truncate_to_seconds(now);
        CertPlan {
            certs: vec![http_spec(params, now, IssuerRef::ReceivedHttpCa)],
        }
    }

    /// The spec of one role, if this plan generates it.
    pub fn get(&self, role: CertRole) -> Option<&CertSpec> {
        self.certs.iter().find(|c| c.role == role)
    }
}

impl fmt::Display for CertPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for spec in &self.certs {
            spec.fmt(f)?;
        }
        Ok(())
    }
}

fn http_spec(params: &PkiParams, now: SystemTime, issuer: IssuerRef) -> CertSpec {
    CertSpec {
        role: CertRole::Http,
        subject_cn: params.node_name.clone(),
        issuer,
        sans: params.san.entries(),
        not_before: now,
        validity_days: HTTP_DAYS,
        key_type: params.key_type,
        is_ca: false,
        key_usage: vec![KeyUsageBit::DigitalSignature, KeyUsageBit::KeyEncipherment],
        extended_key_usage: vec![ExtKeyUsage::ServerAuth],
    }
}

fn ca_key_usage() -> Vec<KeyUsageBit> {
    vec![KeyUsageBit::KeyCertSign, KeyUsageBit::CrlSign]
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
pub(crate) fn is_printable_string(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    })
}

/// A `SystemTime` printed as `YYYY-MM-DD HH:MM:SS UTC`, without a time library.
struct Utc(SystemTime);

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = match self.0.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs(),
            Err(_) => return f.write_str("(before 1970)"),
        };
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(29_220), (2050, 1, 1));
    }

    #[test]
    fn printable_detection() {
        assert!(is_printable_string(HTTP_CA_CN));
        assert!(is_printable_string("node-1.example"));
        assert!(!is_printable_string("node_1"));
        assert!(!is_printable_string("nœud"));
        assert!(!is_printable_string("a@b"));
    }

    #[test]
    fn key_type_names_round_trip() {
        for kt in KeyType::ALL {
            assert_eq!(kt.name().parse::<KeyType>(), Ok(kt));
        }
        assert!("dsa".parse::<KeyType>().is_err());
        assert_eq!(KeyType::default(), KeyType::Rsa4096);
    }
}
