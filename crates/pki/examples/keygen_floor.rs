//! The key-generation floor of `es-autoconf init`: the same backend (aws-lc-rs through
//! [`AwsLcKeySource`]) generating the same 4 keys, one thread each as `esac_pki::generate` does,
//! and nothing else (no certificates, no PKCS#12, no files). With a count, the floor of
//! `es-autoconf layout`: that many keys on as many threads as there are cores, each thread
//! taking the next key until none is left.
//!
//! Run: `cargo run --release -p esac-pki --example keygen_floor -- [rsa-4096|rsa-2048|ecdsa-p256]
//! [COUNT]`. Prints `keygen_floor <key-type> <milliseconds>` on standard output. `cargo xtask
//! bench` times it as a process (process start included, as for `es-autoconf`).

use std::process::ExitCode;
use std::time::Instant;

use esac_certspec::KeyType;
use esac_pki::{AwsLcKeySource, KeySource};

fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "rsa-4096".into());
    let key_type = match arg.as_str() {
        "rsa-4096" => KeyType::Rsa4096,
        "rsa-2048" => KeyType::Rsa2048,
        "ecdsa-p256" => KeyType::EcdsaP256,
        other => {
            eprintln!("usage: keygen_floor [rsa-4096|rsa-2048|ecdsa-p256] (got {other:?})");
            return ExitCode::from(2);
        }
    };
    let count: Option<usize> = std::env::args().nth(2).and_then(|c| c.parse().ok());
    let start = Instant::now();
    let ok = match count {
        None => std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| s.spawn(move || AwsLcKeySource.generate(key_type).is_ok()))
                .collect();
            workers.into_iter().all(|w| w.join().unwrap_or(false))
        }),
        Some(n) => {
            let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
            let next = std::sync::atomic::AtomicUsize::new(0);
            std::thread::scope(|s| {
                let workers: Vec<_> = (0..cores.min(n.max(1)))
                    .map(|_| {
                        s.spawn(|| {
                            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                                if AwsLcKeySource.generate(key_type).is_err() {
                                    return false;
                                }
                            }
                            true
                        })
                    })
                    .collect();
                workers.into_iter().all(|w| w.join().unwrap_or(false))
            })
        }
    };
    if !ok {
        eprintln!("key generation failed");
        return ExitCode::FAILURE;
    }
    println!(
        "keygen_floor {arg} {:.1}",
        start.elapsed().as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}
