//! The only crate that touches the machine.
//!
//! [`probe`] gathers every fact the decision needs, once, without writing anything (dry-run relies
//! on it). [`apply`] is the one executor that writes; [`recover`] finishes or undoes a run that was
//! killed; [`lock_dir`] keeps two runs apart.

#![forbid(unsafe_code)]

pub mod apply;
pub mod atomic;
pub mod credentials;
pub mod failpoint;
pub mod journal;
pub mod lock;
pub mod probe;

pub use apply::{apply, Applied, ApplyRequest};
pub use journal::{recover, Recovery};
pub use lock::lock_dir;
pub use probe::{probe, ProbeError, ProbeInput};
