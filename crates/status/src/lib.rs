//! `es-autoconf status`: an offline, read-only health report of a node's TLS and bootstrap
//! configuration (lifecycle.md §2).
//!
//! Two halves, kept apart so the judgement is testable without a machine:
//!
//! 1. [`observe::observe`] reads the node once into [`Observed`]: the settings (through
//!    `esac-probe`, as `init` reads them), the auto-configuration block, the keystore (opened
//!    with its passphrase when it has one), every TLS file the `xpack.security.{http,transport}.ssl.*`
//!    settings name (PKCS#12 or PEM; JKS is not read), each certificate with its key and chain
//!    checked (`esac-pki`), the data directories' formation evidence (`esac_probe::formation`,
//!    the bounded Lucene `segments_N` reader `finalize` uses too), file types, modes, owners and
//!    mount points (`esac_probe::mounts`), and leftovers of interrupted runs.
//! 2. [`assess()`] judges it: a [`Report`] with the certificates, the SAN coverage and the
//!    [`Finding`]s of the catalogue ([`Kind`], stable ids documented in docs/cli.md), from which
//!    come the overall result and the exit code of either mode ([`ExitCodes`]).
//!
//! Architecture invariant: `observe` writes, creates and locks nothing and replays no journal
//! (a leftover journal is reported); every read is bounded. `assess` touches nothing at all:
//! "now" is an argument. [`Observed`] holds no secret.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod assess;
mod finding;
pub mod observe;
mod observed;

#[doc(hidden)]
pub mod fuzzing;

pub use assess::{
    assess, bootstrap_checks_enforced, days_until, CertReport, Report, SanCoverage, Thresholds,
};
pub use esac_core::finalize::Formation;
pub use finding::{
    exit_code, overall, Detail, ExitCodes, FailOn, Finding, Kind, Overall, Severity, UnknownCause,
    NAGIOS_UNKNOWN,
};
pub use observed::*;
