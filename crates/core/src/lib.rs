//! The pure decision engine of es-autoconf: facts in, decision and plan out.
//!
//! - [`decide`](mod@decide): Elasticsearch's first-start checks (spec §1.2), in order.
//! - [`layout`]: the one place that names a file of a run.
//! - [`plan`]: a run as an ordered list of typed steps, each with its target, mode, owner rule,
//!   content and undo; the executor in `esac-exec` runs exactly these.
//! - [`planner`]: one pure function per operation (`init`, enrollment, `reconfigure`).
//! - [`render`]: the `--dry-run` text of a plan. [`yml`]: the block, byte for byte.
//! - [`Reason`] and [`EsExit`]: the vocabularies of outcomes and exit codes.
//! - [`instances`]: certutil's `instances.yml`, validated with its messages; `bundle`: what
//!   `layout` writes for N nodes, and the node data `init --bundle` reads back.
//!
//! Architecture invariant: nothing in this crate touches the file system, the clock, the
//! environment or a random number generator, and it does not depend on a crypto backend.
//! Callers pass those in.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod decide;
pub mod exit;
pub mod facts;
pub mod finalize;
pub mod instances;
pub mod layout;
pub mod messages;
pub mod plan;
pub mod planner;
pub mod reason;
pub mod render;
pub mod renew;
pub mod yml;

#[doc(hidden)]
pub mod fuzzing;

pub use decide::{decide, decide_reconfigure, Decision, Level, Mode, Skip};
pub use exit::EsExit;
pub use facts::{DataDir, DataDirState, DirOwner, Facts, FileKind};
pub use layout::{CertFile, Layout, RelPath};
pub use plan::{Plan, Step, StepId};
pub use reason::Reason;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod bundle_tests;
