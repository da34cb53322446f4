//! The subjectAltName rule of the HTTP certificate (spec §2.3).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// What the machine probe found that ends up in the HTTP certificate's SANs (spec §2.3).
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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SanEntry {
    /// An `iPAddress` GeneralName.
    Ip(IpAddr),
    /// A `dNSName` GeneralName.
    Dns(String),
    /// An `otherName` with type `2.5.4.3` holding an explicitly tagged UTF8String: how certutil
    /// writes an `instances.yml` `cn` entry (`CertGenUtils.createCommonName`), which
    /// Elasticsearch's trust restrictions match.
    CommonName(String),
}

impl fmt::Display for SanEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SanEntry::Ip(ip) => write!(f, "IP:{ip}"),
            SanEntry::Dns(name) => write!(f, "DNS:{name}"),
            SanEntry::CommonName(name) => write!(f, "CN:{name}"),
        }
    }
}

impl FromStr for SanEntry {
    type Err = String;

    /// `IP:<address>`, `DNS:<name>` or `CN:<name>` (the form [`fmt::Display`] prints).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(cn) = s.strip_prefix("CN:") {
            return Ok(SanEntry::CommonName(cn.to_owned()));
        }
        if let Some(ip) = s.strip_prefix("IP:") {
            return ip
                .parse()
                .map(SanEntry::Ip)
                .map_err(|_| format!("[{s}] is not an IP address"));
        }
        match s.strip_prefix("DNS:") {
            Some(name) if !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(SanEntry::Dns(name.to_owned()))
            }
            _ => Err(format!("[{s}] is neither IP:<address> nor DNS:<name>")),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn sans_are_deduplicated_in_a_fixed_order() {
        let inputs = SanInputs {
            interface_addresses: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            ],
            hostname: "host.example".to_owned(),
            publish_hosts: vec![
                "10.0.0.5".to_owned(),
                "es.example".to_owned(),
                "::1".to_owned(),
                "[::2]".to_owned(),
                "localhost".to_owned(),
                "_site_".to_owned(),
            ],
        };
        let got: Vec<String> = inputs.entries().iter().map(ToString::to_string).collect();
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
    fn entries_parse_back() {
        for s in ["IP:10.1.2.3", "IP:::1", "DNS:es.example", "CN:node one"] {
            assert_eq!(s.parse::<SanEntry>().unwrap().to_string(), s);
        }
        for bad in ["IP:nope", "DNS:", "DNS:a b", "es.example", "URI:x"] {
            assert!(bad.parse::<SanEntry>().is_err(), "{bad}");
        }
    }
}
