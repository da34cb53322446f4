//! The key-generation floor of `es-autoconf init`: the same backend (aws-lc-rs through
//! [`AwsLcKeySource`]) generating the same 4 keys, one thread each as `esac_pki::generate` does,
//! and nothing else (no certificates, no PKCS#12, no files).
//!
//! Run: `cargo run --release -p esac-pki --example keygen_floor -- [rsa-4096|rsa-2048|ecdsa-p256]`.
//! Prints `keygen_floor <key-type> <milliseconds>` on standard output. `cargo xtask bench` times
//! it as a process (process start included, as for `es-autoconf init`).

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
    let start = Instant::now();
    let ok = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| s.spawn(move || AwsLcKeySource.generate(key_type).is_ok()))
            .collect();
        workers.into_iter().all(|w| w.join().unwrap_or(false))
    });
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
