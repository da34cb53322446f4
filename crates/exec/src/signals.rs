//! SIGINT, SIGTERM and SIGHUP during a run: blocked while it runs and read from a signalfd
//! between steps, so an ordinary interruption (Ctrl-C, `kill`, an SSH session that drops) rolls
//! the run back in-process and leaves no journal behind. SIGKILL and power loss are left to the
//! journal.

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Holds the three signals blocked until dropped.
pub struct Interrupts {
    fd: Option<SignalFd>,
    mask: SigSet,
}

impl Interrupts {
    /// Blocks the signals for the calling thread and the threads it spawns from now on.
    /// Best effort: where blocking fails, the signals keep their default action.
    pub fn block() -> Interrupts {
        let mut mask = SigSet::empty();
        for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
            mask.add(s);
        }
        let fd = match mask.thread_block() {
            Ok(()) => {
                SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).ok()
            }
            Err(_) => None,
        };
        Interrupts { fd, mask }
    }

    /// Every signal received so far, consumed; the first one's number.
    pub fn drain(&self) -> Option<i32> {
        let first = self.received();
        while self.received().is_some() {}
        first
    }

    /// The number of a signal received since [`Interrupts::block`], if any.
    pub fn received(&self) -> Option<i32> {
        let info = self.fd.as_ref()?.read_signal().ok()??;
        i32::try_from(info.ssi_signo).ok()
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        let _ = self.mask.thread_unblock();
    }
}
