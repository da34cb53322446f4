//! The pure decision engine of es-autoconf: facts in, decision and plan out.
//!
//! Architecture invariant: nothing in this crate touches the file system, the clock, the
//! environment or a random number generator. Callers pass those in.

#![forbid(unsafe_code)]

pub mod decide;
pub mod exit;
pub mod facts;
pub mod messages;
pub mod plan;
pub mod render;
pub mod yml;

pub use decide::{decide, Decision, Level, Mode, Reason, Skip};
pub use exit::{EsExit, UserError};
pub use facts::{DataDir, DataDirState, Facts, FileKind};
pub use plan::{plan, KeyType, Plan, PlanOptions};

#[cfg(test)]
mod tests;
