//! What the certificates of an auto-configured node are, as plain data.
//!
//! Key types, the SAN rule of spec §2.3, subjects, issuers, validity, key usages and extended key
//! usages of spec §2.2 exist here once. The decision engine puts a [`CertPlan`] into the plan,
//! `--dry-run` prints it, and `esac-pki` generates exactly that plan; nothing else describes a
//! certificate.
//!
//! Architecture invariant: no dependencies, no clock, no randomness, no cryptography, no I/O.
//! "Now" is an argument.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod date;
mod dn;
mod key_type;
mod renewal;
mod san;
mod spec;

pub use date::{civil_from_days, es_timestamp, Utc};
pub use dn::{DistinguishedName, DnAttribute, DnStringType, InvalidDn};
pub use key_type::{KeyType, UnknownKeyType};
pub use renewal::{
    capped_not_after, days_between, renewed_sans, whole_seconds, CaReissue, ExistingCert,
    ExtTemplate, ExtValue, LeafRenewal, RenewKey, SanMode, OID_AUTHORITY_KEY_IDENTIFIER,
    OID_SUBJECT_ALT_NAME, OID_SUBJECT_KEY_IDENTIFIER,
};
pub use san::{SanEntry, SanInputs};
pub use spec::{
    is_printable_string, CertParams, CertPlan, CertRole, CertSpec, ExtKeyUsage, IssuerRef,
    KeyUsageBit, NodeSubject, HTTP_CA_CN, HTTP_CA_DAYS, HTTP_DAYS, TRANSPORT_CA_CN, TRANSPORT_DAYS,
};
