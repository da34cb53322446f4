//! Regenerates the test key pool `crates/pki/testdata/key-pool/`.
//!
//! Run: `cargo run --release -p esac-pki --example gen_key_pool [DIR]`.
//! Writes 8 RSA-4096, 4 RSA-2048 and 4 ECDSA P-256 keys as PKCS#8 PEM, replacing existing files
//! of the same names. The keys are public test fixtures: never use them for anything else.

use std::path::PathBuf;

use esac_certspec::KeyType;
use esac_pki::{AwsLcKeySource, KeySource};

const POOL: &[(KeyType, usize)] = &[
    (KeyType::Rsa4096, 8),
    (KeyType::Rsa2048, 4),
    (KeyType::EcdsaP256, 4),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/key-pool"));
    std::fs::create_dir_all(&dir)?;
    for &(key_type, count) in POOL {
        for i in 1..=count {
            let key = AwsLcKeySource.generate(key_type)?;
            let path = dir.join(format!("{key_type}-{i:02}.pem"));
            let pem = key.to_pkcs8_pem();
            std::fs::write(&path, pem.expose())?;
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(())
}
