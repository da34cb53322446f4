//! Material generated from `esac-testkit`'s fixtures (the key pool and `pki_params`) with the
//! real clock.

use std::time::SystemTime;

use esac_certspec::{CertParams, CertPlan, KeyType};
use esac_pki::{KeySource, Material, Received};
use esac_testkit::fixtures::{key_pool, pki_params};

/// An initial node's material for `params`, generated from the plan `esac-certspec` makes.
pub fn generate(
    params: &CertParams,
    keys: &dyn KeySource,
    now: SystemTime,
) -> esac_pki::Result<Material> {
    esac_pki::generate(&CertPlan::initial(params, now), keys, now)
}

/// An enrolling node's material for `params`.
pub fn generate_enrolled(
    params: &CertParams,
    received: &Received,
    keys: &dyn KeySource,
    now: SystemTime,
) -> esac_pki::Result<Material> {
    esac_pki::generate_enrolled(&CertPlan::enrollment(params, now), received, keys, now)
}

/// The certificates must be valid now for the TLS tests, so "now" is the real clock here
/// (the library itself never reads it).
fn now() -> SystemTime {
    SystemTime::now()
}

pub fn material(key_type: KeyType) -> Material {
    generate(&pki_params(key_type), &key_pool(), now()).expect("generate")
}
