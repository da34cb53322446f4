//! One run at a time per config directory: an exclusive `flock` on the directory itself, so no
//! lock file is ever created (dry runs take no lock at all).

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

/// Holds the lock until dropped.
pub struct DirLock {
    _lock: Flock<File>,
}

/// Locks `dir`, waiting up to `wait` for another run to finish. `on_wait` is called once if we
/// have to wait.
pub fn lock_dir(
    dir: &Path,
    wait: Duration,
    mut on_wait: impl FnMut(),
) -> io::Result<Option<DirLock>> {
    let start = Instant::now();
    let mut told = false;
    loop {
        let f = File::open(dir)?;
        match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(Some(DirLock { _lock: lock })),
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                if start.elapsed() >= wait {
                    return Ok(None);
                }
                if !told {
                    on_wait();
                    told = true;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            Err((_, e)) => return Err(io::Error::from(e)),
        }
    }
}
