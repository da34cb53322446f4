//! Every step passes here: it is logged (`-v`), and, in debug builds only, failure injection by
//! step name: `ESAC_FAILPOINT=<step>` makes the step fail with an I/O error before it starts;
//! `ESAC_FAILPOINT=abort:<step>` kills the process there, and `abort-after:<step>` right after
//! the step (as SIGKILL or a power loss would); `pause:<step>` sleeps two seconds before the
//! step (so a test can send a signal or race the run); `ebusy:<step>` makes the step's rename
//! fail with `EBUSY`, as a bind-mounted target does; `torn:<step>` aborts in the middle of an
//! in-place rewrite. Step names are [`StepId::name`]s (and, for `layout`'s bundle writer,
//! [`esac_core::bundle::BundleStep::name`]s); tests iterate their `ALL`, so a misspelt step
//! cannot exist. Compiled out of release builds.

use std::io;

use esac_core::StepId;

/// Before a step starts.
pub fn before(step: StepId) -> io::Result<()> {
    before_named(step.name())
}

/// After a step completed.
pub fn after(step: StepId) {
    after_named(step.name());
}

/// Before a step named `name` starts (the bundle writer's [`esac_core::bundle::BundleStep`]s).
pub fn before_named(name: &str) -> io::Result<()> {
    tracing::debug!(step = name, "step");
    inject(name, false)
}

/// After a step named `name` completed.
pub fn after_named(name: &str) {
    let _ = inject(name, true);
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
fn inject(name: &str, after: bool) -> io::Result<()> {
    let Ok(v) = std::env::var("ESAC_FAILPOINT") else {
        return Ok(());
    };
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
fn inject(_name: &str, _after: bool) -> io::Result<()> {
    Ok(())
}
