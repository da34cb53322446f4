//! Fuzzing entry points, shared by `crates/status/fuzz` and the unit tests. Not part of the API.

/// The fuzz body for TLS files: any bytes as a PEM certificate file, a PEM key file and a
/// PKCS#12 file (empty password), and every certificate found through `inspect`, the chain
/// check and the key check, as `status` reads them. Panics are findings; errors are not.
pub fn fuzz_tls_file(data: &[u8]) {
    use esac_pki::check;
    let mut certs = check::pem_certificates(data).unwrap_or_default();
    let key = match check::pem_private_key(data) {
        Ok(check::PemKey::Plain(k)) => Some(k),
        _ => None,
    };
    if let Ok(p12) = check::open_p12(data, &esac_secret::Secret::default()) {
        for e in p12.key_entries {
            certs.extend(e.chain);
        }
        certs.extend(p12.trusted.into_iter().map(|(_, der)| der));
    }
    certs.push(data.to_vec());
    for der in &certs {
        if let Ok(info) = esac_pki::inspect(der) {
            let _ = info.weak_signature();
        }
        let _ = check::issued_by(der, der);
        if let Some(k) = &key {
            let _ = check::key_matches(k, der);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use esac_certspec::{CertParams, CertPlan, KeyType, SanInputs};
    use esac_secret::Secret;

    use super::fuzz_tls_file;

    fn seeds() -> Vec<Vec<u8>> {
        let params = CertParams {
            node_name: "node-1".into(),
            san: SanInputs::default(),
            key_type: KeyType::EcdsaP256,
        };
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let pool =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../pki/testdata/key-pool");
        let m = esac_pki::generate(
            &CertPlan::initial(&params, now),
            &esac_pki::PoolKeySource::load(&pool).unwrap(),
            now,
        )
        .unwrap();
        vec![
            format!("{}{}", m.http().cert_pem(), m.http_ca_pem()).into_bytes(),
            m.http().key().to_pkcs8_pem().expose().to_vec(),
            m.http_p12(&Secret::default()).unwrap(),
        ]
    }

    #[test]
    fn mutated_tls_files_never_panic() {
        let seeds = seeds();
        for s in &seeds {
            fuzz_tls_file(s);
        }
        let mut next = esac_core::fuzzing::xorshift(0xA076_1D64_78BD_642F);
        for round in 0..300 {
            let mut data = seeds[round % seeds.len()].clone();
            for _ in 0..=(next() % 3) {
                let pos = (next() as usize) % data.len();
                data[pos] = next() as u8;
            }
            if next().is_multiple_of(4) {
                let len = data.len();
                data.truncate((next() as usize) % len);
            }
            fuzz_tls_file(&data);
        }
    }
}
