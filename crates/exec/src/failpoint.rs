//! Every step passes here: it is logged (`-v`), and, in debug builds only, failure injection by
//! step name: `ESAC_FAILPOINT=<step>` makes the step fail with an I/O error before it starts;
//! `ESAC_FAILPOINT=abort:<step>` kills the process there, and `abort-after:<step>` right after
//! the step (as SIGKILL or a power loss would); `pause:<step>` sleeps two seconds before the
//! step (so a test can send a signal or race the run); `ebusy:<step>` makes the step's rename
//! fail with `EBUSY`, as a bind-mounted target does; `torn:<step>` aborts in the middle of an
//! in-place rewrite. Step names are [`StepId::name`]s; tests iterate [`StepId::ALL`], so a
//! misspelt step cannot exist. Compiled out of release builds.

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

/// Whether the step's rename is to fail with `EBUSY` (debug builds only).
pub fn busy(step: StepId) -> bool {
    named("ebusy:", step) || named("torn:", step)
}

/// Whether an in-place rewrite in this step is to stop half-way and abort (debug builds only).
pub fn torn(step: StepId) -> bool {
    named("torn:", step)
}

#[cfg(debug_assertions)]
fn named(prefix: &str, step: StepId) -> bool {
    std::env::var("ESAC_FAILPOINT")
        .ok()
        .is_some_and(|v| v.strip_prefix(prefix) == Some(step.name()))
}

#[cfg(not(debug_assertions))]
fn named(_prefix: &str, _step: StepId) -> bool {
    false
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
    if v.strip_prefix("pause:") == Some(name) {
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    Ok(())
}

#[cfg(not(debug_assertions))]
#[inline(always)]
fn inject(_step: StepId, _after: bool) -> io::Result<()> {
    Ok(())
}
