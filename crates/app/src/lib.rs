//! The application layer: one function per command, owning its flow from the command line's
//! typed request to a typed outcome or [`Failure`].
//!
//! - [`init::init`] and [`init::reconfigure`]: probe (`esac-probe`), decide and plan
//!   (`esac-core`), then either return the plan or execute it (`esac-exec`).
//! - [`keystore`]: `list`, `has-password`, `show`.
//! - [`token::create`]: an enrollment token from a running node.
//! - [`layout::layout`]: a bundle for N nodes from certutil's `instances.yml`; `init` with a
//!   bundle applies one node of it ([`bundle`] reads it back).
//! - [`status::run`]: the read-only health report (`esac-status`).
//!
//! Architecture invariant: nothing here prints. The binary implements [`Console`] (terminal
//! questions, notes) and renders outcomes and failures; [`Failure`] is the one place that maps
//! every failure to an exit status and a reason code.

#![forbid(unsafe_code)]

pub mod bundle;
mod console;
pub mod env;
mod failure;
pub mod finalize;
pub mod init;
pub mod keystore;
pub mod layout;
mod paths;
pub mod renew;
pub mod runtime;
pub mod status;
pub mod token;
pub mod token_input;

pub use console::Console;
pub use failure::{keystore_exit, Failure};
pub use paths::Paths;
