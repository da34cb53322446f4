//! Certificates that already exist, and what `renew` makes from them (lifecycle spec §3): a new
//! HTTP leaf under the same CA, or the same CA re-issued with a new validity.
//!
//! Everything here is public data (subjects, names, extension values, dates), never a key: the
//! plan holds it, `--dry-run` prints it and `esac-pki` signs exactly it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::date::Utc;
use crate::key_type::KeyType;
use crate::san::SanEntry;

/// DER content octets of the OID of subjectKeyIdentifier (2.5.29.14).
pub const OID_SUBJECT_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x0e];
/// DER content octets of the OID of subjectAltName (2.5.29.17).
pub const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
/// DER content octets of the OID of authorityKeyIdentifier (2.5.29.35).
pub const OID_AUTHORITY_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x23];

/// What goes into one extension of a re-issued certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtValue {
    /// The subjectKeyIdentifier of the certificate's (new) key.
    SubjectKeyId,
    /// The issuer's key identifier (keyIdentifier only, as Elasticsearch writes it).
    AuthorityKeyId,
    /// The certificate's SANs.
    SubjectAltName,
    /// The old extension's value, byte for byte.
    Copy(Vec<u8>),
}

/// One extension of a certificate, in its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtTemplate {
    /// DER content octets of the extension's OID.
    pub oid: Vec<u8>,
    /// The critical flag.
    pub critical: bool,
    /// Its value.
    pub value: ExtValue,
}

impl ExtTemplate {
    /// A short name for `--dry-run`.
    pub fn name(&self) -> String {
        let known: &[(&[u8], &str)] = &[
            (OID_SUBJECT_KEY_IDENTIFIER, "subjectKeyIdentifier"),
            (OID_AUTHORITY_KEY_IDENTIFIER, "authorityKeyIdentifier"),
            (OID_SUBJECT_ALT_NAME, "subjectAltName"),
            (&[0x55, 0x1d, 0x13], "basicConstraints"),
            (&[0x55, 0x1d, 0x0f], "keyUsage"),
            (&[0x55, 0x1d, 0x25], "extKeyUsage"),
        ];
        let name = known
            .iter()
            .find(|(oid, _)| *oid == self.oid.as_slice())
            .map(|(_, n)| (*n).to_owned())
            .unwrap_or_else(|| format!("oid {}", hex(&self.oid)));
        if self.critical {
            format!("{name} (critical)")
        } else {
            name
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A certificate as read back from a file: what `renew` keeps of it and what it reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingCert {
    /// Subject DN as text (`CN=...`).
    pub subject: String,
    /// The subject Name, DER, exactly as in the certificate.
    pub subject_der: Vec<u8>,
    /// The issuer Name, DER.
    pub issuer_der: Vec<u8>,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
    /// IP and DNS subjectAltNames, in their order.
    pub sans: Vec<SanEntry>,
    /// The key's type, when it is one es-autoconf can generate.
    pub key_type: Option<KeyType>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Lowercase hex SHA-256 of the DER (the enrollment token's `fgr` format).
    pub sha256: String,
    /// Lowercase hex SHA-256 of the SubjectPublicKeyInfo.
    pub spki_sha256: String,
    /// The extensions in their order; SKI, AKI and SAN are marked to be recomputed, the others
    /// are copied.
    pub extensions: Vec<ExtTemplate>,
}

impl ExistingCert {
    /// Whole days left at `now` (floor; negative once expired), as `status` counts them.
    pub fn days_left(&self, now: SystemTime) -> i64 {
        days_between(now, self.not_after)
    }
}

/// Whole days from `from` to `to` (floor), negative when `to` is earlier.
pub fn days_between(from: SystemTime, to: SystemTime) -> i64 {
    let secs = Utc(to).epoch_seconds() - Utc(from).epoch_seconds();
    secs.div_euclid(86_400)
}

/// Which SANs the renewed certificate carries (`--sans`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SanMode {
    /// The old SANs and what auto-configuration would compute today: no client that worked
    /// stops working, and the drift `status` reports is healed.
    #[default]
    Union,
    /// Only what auto-configuration would compute today.
    Current,
    /// Only the old SANs.
    Keep,
}

impl SanMode {
    /// The `--sans` value.
    pub const fn name(self) -> &'static str {
        match self {
            SanMode::Union => "union",
            SanMode::Current => "current",
            SanMode::Keep => "keep",
        }
    }
}

fn same_san(a: &SanEntry, b: &SanEntry) -> bool {
    match (a, b) {
        (SanEntry::Ip(x), SanEntry::Ip(y)) => x == y,
        (SanEntry::Dns(x), SanEntry::Dns(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

/// The SANs of a renewed certificate: the base set of `mode` (old entries first, in their
/// order), then every entry of `current` (unless `keep`) and of `added` not already there,
/// sorted. Names compare case-insensitively, addresses by value.
pub fn renewed_sans(
    old: &[SanEntry],
    current: &[SanEntry],
    mode: SanMode,
    added: &[SanEntry],
) -> Vec<SanEntry> {
    let mut out: Vec<SanEntry> = Vec::new();
    let mut extra: Vec<SanEntry> = Vec::new();
    let base: &[SanEntry] = match mode {
        SanMode::Union | SanMode::Keep => old,
        SanMode::Current => current,
    };
    for e in base {
        if !out.iter().any(|o| same_san(o, e)) {
            out.push(e.clone());
        }
    }
    let more: Vec<&SanEntry> = match mode {
        SanMode::Union => current.iter().chain(added).collect(),
        SanMode::Current | SanMode::Keep => added.iter().collect(),
    };
    for e in more {
        if !out.iter().chain(&extra).any(|o| same_san(o, e)) {
            extra.push(e.clone());
        }
    }
    extra.sort();
    out.extend(extra);
    out
}

/// The validity of a renewed certificate: `days` from `not_before`, cut at `cap` (the CA's
/// notAfter) unless `cap` is `None`. Returns notAfter and whether the cap applied.
pub fn capped_not_after(
    not_before: SystemTime,
    days: u32,
    cap: Option<SystemTime>,
) -> (SystemTime, bool) {
    let wanted = not_before + Duration::from_secs(u64::from(days) * 86_400);
    match cap {
        Some(cap) if cap < wanted => (cap, true),
        _ => (wanted, false),
    }
}

/// The key of a renewed certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenewKey {
    /// A fresh key pair of this type.
    New(KeyType),
    /// The old private key (for clients that pin the public key).
    Reuse,
}

/// A new HTTP certificate for the key entry that holds the old one (lifecycle spec §3.3): same
/// subject bytes, issued by the CA already in the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafRenewal {
    /// The certificate it replaces.
    pub old: ExistingCert,
    /// The SANs of the new certificate.
    pub sans: Vec<SanEntry>,
    /// How `sans` was chosen.
    pub san_mode: SanMode,
    /// notBefore (whole seconds).
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
    /// notAfter was cut to the CA's notAfter.
    pub capped_by_ca: bool,
    /// The key.
    pub key: RenewKey,
}

impl LeafRenewal {
    /// The extensions of the new certificate: the old one's, in its order.
    pub fn extensions(&self) -> &[ExtTemplate] {
        &self.old.extensions
    }

    /// notAfter − notBefore in whole days.
    pub fn validity_days(&self) -> i64 {
        days_between(self.not_before, self.not_after)
    }
}

/// The HTTP CA certificate re-issued with its own key (lifecycle spec §3.4): same subject, key,
/// SKI and extensions, a new serial and validity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaReissue {
    /// The certificate it replaces.
    pub old: ExistingCert,
    /// notBefore (whole seconds).
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
}

/// Whole seconds: X.509 times have no fraction.
pub fn whole_seconds(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

impl fmt::Display for LeafRenewal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  subject:   {} (same bytes)", self.old.subject)?;
        writeln!(
            f,
            "  key:       {}",
            match self.key {
                RenewKey::New(kt) => format!("new {kt} key"),
                RenewKey::Reuse => "the old key, kept".into(),
            }
        )?;
        writeln!(
            f,
            "  validity:  {} days, {} to {}{}",
            self.validity_days(),
            Utc(self.not_before),
            Utc(self.not_after),
            if self.capped_by_ca {
                " (capped at the CA's expiry)"
            } else {
                ""
            }
        )?;
        let sans: Vec<String> = self.sans.iter().map(ToString::to_string).collect();
        writeln!(f, "  SANs ({}): {}", self.san_mode.name(), sans.join(", "))?;
        let exts: Vec<String> = self.extensions().iter().map(ExtTemplate::name).collect();
        writeln!(f, "  extensions: {}", exts.join(", "))?;
        writeln!(
            f,
            "  replaces:  serial {}, expires {}",
            self.old.serial,
            Utc(self.old.not_after)
        )
    }
}

impl fmt::Display for CaReissue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  subject:   {} (same bytes, same key, same key identifier)",
            self.old.subject
        )?;
        writeln!(
            f,
            "  validity:  {} days, {} to {}",
            days_between(self.not_before, self.not_after),
            Utc(self.not_before),
            Utc(self.not_after)
        )?;
        let exts: Vec<String> = self.old.extensions.iter().map(ExtTemplate::name).collect();
        writeln!(f, "  extensions: {} (copied)", exts.join(", "))?;
        writeln!(
            f,
            "  replaces:  serial {}, SHA-256 {}, expires {}",
            self.old.serial,
            self.old.sha256,
            Utc(self.old.not_after)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ip(a: u8) -> SanEntry {
        SanEntry::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, a)))
    }
    fn dns(n: &str) -> SanEntry {
        SanEntry::Dns(n.to_owned())
    }

    #[test]
    fn san_modes() {
        let old = [ip(1), dns("localhost"), dns("Node-A")];
        let current = [ip(2), dns("LOCALHOST"), dns("node-a"), ip(1)];
        let added = [dns("es.example"), ip(1)];
        let rows: &[(SanMode, &[SanEntry], Vec<SanEntry>)] = &[
            (
                SanMode::Union,
                &[],
                vec![ip(1), dns("localhost"), dns("Node-A"), ip(2)],
            ),
            (
                SanMode::Union,
                &added,
                vec![
                    ip(1),
                    dns("localhost"),
                    dns("Node-A"),
                    ip(2),
                    dns("es.example"),
                ],
            ),
            (
                SanMode::Current,
                &[],
                vec![ip(2), dns("LOCALHOST"), dns("node-a"), ip(1)],
            ),
            (SanMode::Keep, &[], old.to_vec()),
            (
                SanMode::Keep,
                &added,
                vec![ip(1), dns("localhost"), dns("Node-A"), dns("es.example")],
            ),
        ];
        for (mode, add, want) in rows {
            assert_eq!(&renewed_sans(&old, &current, *mode, add), want, "{mode:?}");
        }
    }

    #[test]
    fn the_ca_caps_the_validity() {
        let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let day = Duration::from_secs(86_400);
        assert_eq!(
            capped_not_after(start, 730, Some(start + day * 100)),
            (start + day * 100, true)
        );
        assert_eq!(
            capped_not_after(start, 730, Some(start + day * 1000)),
            (start + day * 730, false)
        );
        assert_eq!(
            capped_not_after(start, 730, None),
            (start + day * 730, false)
        );
    }

    #[test]
    fn days_are_floored() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let day = Duration::from_secs(86_400);
        assert_eq!(days_between(t, t + day * 2 - Duration::from_secs(1)), 1);
        assert_eq!(days_between(t, t - Duration::from_secs(1)), -1);
        assert_eq!(days_between(t, t), 0);
    }
}
