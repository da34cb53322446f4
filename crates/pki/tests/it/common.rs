//! Material generated from `esac-testkit`'s fixtures (the key pool and `pki_params`) with the
//! real clock.

use std::time::SystemTime;

use esac_pki::{generate, KeyType, Material};
use esac_testkit::fixtures::{key_pool, pki_params};

/// The certificates must be valid now for the TLS tests, so "now" is the real clock here
/// (the library itself never reads it).
fn now() -> SystemTime {
    SystemTime::now()
}

pub fn material(key_type: KeyType) -> Material {
    generate(&pki_params(key_type), &key_pool(), now()).expect("generate")
}
