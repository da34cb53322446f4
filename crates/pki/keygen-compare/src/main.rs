//! RSA-4096 key generation: aws-lc-rs (through rcgen) against the pure-Rust `rsa` crate 0.9,
//! whose keys are then signed with through aws-lc-rs (ring could sign too, but cannot generate).
//!
//! A crate of its own, outside the workspace, so that the `rsa` crate (RUSTSEC-2023-0071) never
//! enters es-autoconf's `Cargo.lock`. Run from the repository root:
//! `cargo run --release --manifest-path crates/pki/keygen-compare/Cargo.toml -- [N]` (default 5
//! keys each). Figures and the decision are in `docs/pki.md`.

use std::time::{Duration, Instant};

use rsa::pkcs8::EncodePrivateKey;
use rustls_pki_types::PrivatePkcs8KeyDer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|v| v.parse())
        .transpose()?
        .unwrap_or(5);

    let mut aws = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_4096)?;
        aws.push(t.elapsed());
        drop(key);
    }

    let mut pure = Vec::new();
    let mut rng = rsa::rand_core::OsRng;
    for _ in 0..n {
        let t = Instant::now();
        let key = rsa::RsaPrivateKey::new(&mut rng, 4096)?;
        pure.push(t.elapsed());
        // The key is usable by the aws-lc-rs signer: load it and self-sign a certificate.
        let der = key.to_pkcs8_der()?;
        let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(der.as_bytes()),
            &rcgen::PKCS_RSA_SHA256,
        )?;
        rcgen::CertificateParams::new(vec!["localhost".to_owned()])?.self_signed(&pair)?;
    }

    println!("RSA-4096 generation, {n} keys each, release build:");
    println!("| backend | median | min | max |");
    println!("|---|---|---|---|");
    for (name, v) in [
        ("rcgen + aws-lc-rs", &mut aws),
        ("rsa 0.9 (pure Rust)", &mut pure),
    ] {
        v.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {name} | {:.0} ms | {:.0} ms | {:.0} ms |",
            ms(v[v.len() / 2]),
            ms(v[0]),
            ms(v[v.len() - 1])
        );
    }
    Ok(())
}
