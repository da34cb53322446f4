//! The only crate that touches the machine.
//!
//! [`probe`] gathers every fact the decision needs, once, without writing anything (dry-run relies
//! on it). The executor that applies a plan lives here too, so that all writes go through one place.

#![forbid(unsafe_code)]

pub mod probe;

pub use probe::{probe, ProbeError, ProbeInput};
