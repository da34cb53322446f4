//! Fault injection over the steps of a plan: the `ESAC_FAILPOINT` values that fail or kill a run
//! at each step, and a pool of worker threads that runs the cases (the runs mostly wait for
//! fsync, so several at a time finish sooner).

/// For each step, an injected failure, a kill before the step and a kill right after it, as
/// `(step, ESAC_FAILPOINT value)`.
pub fn every_failpoint(steps: &[String]) -> Vec<(String, String)> {
    steps
        .iter()
        .flat_map(|s| {
            [
                (s.clone(), s.clone()),
                (s.clone(), format!("abort:{s}")),
                (s.clone(), format!("abort-after:{s}")),
            ]
        })
        .collect()
}

/// Runs `case` on every item of `cases`, `workers` at a time. A worker whose case panics stops;
/// the others finish the list, and then that panic is raised again here.
pub fn for_each_in_parallel<T: Sync>(cases: &[T], workers: usize, case: impl Fn(&T) + Sync) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(c) = cases.get(i) else {
                        break;
                    };
                    case(c);
                })
            })
            .collect();
        for w in workers {
            if let Err(panic) = w.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}
