//! Every step of the executor passes here: it is logged (`-v`), and, in test builds only, failure
//! injection: `ESAC_FAILPOINT=<step>` makes that step fail with an I/O error;
//! `ESAC_FAILPOINT=abort:<step>` kills the process there (as SIGKILL or a power loss would).
//! Compiled out of release builds.

use std::io;

/// Every step name, in execution order (tests iterate over them).
pub const STEPS: &[&str] = &[
    "journal",
    "staging_dir",
    "owner_check",
    "generate",
    "write_http_ca",
    "keystore_backup",
    "keystore_open",
    "write_transport_p12",
    "write_http_p12",
    "keystore_save",
    "move_certs",
    "rename_staging",
    "write_yml",
    "cleanup",
];

/// Fails (or aborts) when the failpoint names `step`.
#[cfg(debug_assertions)]
pub fn hit(step: &str) -> io::Result<()> {
    tracing::debug!(step, "apply");
    match std::env::var("ESAC_FAILPOINT") {
        Ok(v) if v == step => Err(io::Error::other(format!("injected failure at step {step}"))),
        Ok(v) if v.strip_prefix("abort:") == Some(step) => std::process::abort(),
        _ => Ok(()),
    }
}

/// Release builds have no failpoints.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn hit(step: &str) -> io::Result<()> {
    tracing::debug!(step, "apply");
    Ok(())
}
