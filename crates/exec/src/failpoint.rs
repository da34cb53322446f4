//! Every step passes here: it is logged (`-v`), and, in debug builds only, failure injection by
//! step name: `ESAC_FAILPOINT=<step>` makes the step fail with an I/O error before it starts;
//! `ESAC_FAILPOINT=abort:<step>` kills the process there, and `abort-after:<step>` right after
//! the step (as SIGKILL or a power loss would). Step names are [`StepId::name`]s; tests iterate
//! [`StepId::ALL`], so a misspelt step cannot exist. Compiled out of release builds.

use std::io;

use esac_core::StepId;

/// Before a step starts.
pub fn before(step: StepId) -> io::Result<()> {
    tracing::debug!(step = step.name(), "step");
    inject(step, false)
}

/// After a step completed.
pub fn after(step: StepId) {
    let _ = inject(step, true);
}

#[cfg(debug_assertions)]
fn inject(step: StepId, after: bool) -> io::Result<()> {
    let Ok(v) = std::env::var("ESAC_FAILPOINT") else {
        return Ok(());
    };
    let name = step.name();
    if after {
        if v.strip_prefix("abort-after:") == Some(name) {
            std::process::abort();
        }
        return Ok(());
    }
    if v == name {
        return Err(io::Error::other(format!("injected failure at step {name}")));
    }
    if v.strip_prefix("abort:") == Some(name) {
        std::process::abort();
    }
    Ok(())
}

#[cfg(not(debug_assertions))]
#[inline(always)]
fn inject(_step: StepId, _after: bool) -> io::Result<()> {
    Ok(())
}
