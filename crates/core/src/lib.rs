//! The pure decision engine of es-autoconf: facts in, decision and plan out.
//!
//! Architecture invariant: nothing in this crate touches the file system, the clock, the
//! environment or a random number generator. Callers pass those in.

#![forbid(unsafe_code)]

pub mod exit;

pub use exit::{EsExit, UserError};
