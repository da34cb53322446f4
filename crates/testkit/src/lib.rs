//! The test harness shared by the workspace's tests (`publish = false`, a dev-dependency only).
//!
//! - [`Bin`]: the binary under test, run with an environment that does not leak the developer's.
//!   Cargo names the binary only to the root package's integration tests
//!   (`env!("CARGO_BIN_EXE_es-autoconf")`), so they hand its path to [`Bin::new`].
//! - [`Home`]: a temporary Elasticsearch home; [`Run`]: what one run printed and returned.
//! - [`Tree`]: a snapshot of a directory, to prove a run changed nothing ([`assert_same_tree`]).
//! - [`tools`]: outside programs (JDK, openssl, Python, util-linux `script`, Lucene) for the
//!   interop tests, which fail, never skip, when one is missing.
//! - [`faults`]: the failpoints of every step of a plan, and a worker pool to run them.
//! - [`fixtures`]: the committed key pool, a `CertParams` fixture and keystore writers.
//! - [`snapshot`]: expected output kept in files, rewritten with `UPDATE_SNAPSHOTS=1`.

mod bin;
pub mod faults;
pub mod fixtures;
mod home;
pub mod snapshot;
pub mod tools;
mod tree;

pub use bin::{AnyUserCopy, Bin, Run};
pub use home::Home;
pub use tree::{assert_same_tree, tree_diff, Entry, Tree};

/// Whether the tests run as root (who can read and write everything, and own anything).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}
