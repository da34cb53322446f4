//! Fuzzing entry points and test builders, shared by `crates/status/fuzz`, the unit tests and the
//! black-box tests. Not part of the API.

use crate::segments::{self, CODEC_MAGIC, FOOTER_MAGIC, VERSION_10_6, VERSION_74};

/// One segment of a hand-built commit.
#[derive(Clone, Debug)]
pub struct TestSegment {
    /// Segment name.
    pub name: String,
    /// Codec name.
    pub codec: String,
    /// Whether the commit-info id is present (format 10+).
    pub with_id: bool,
    /// Field-infos file names.
    pub files: Vec<String>,
}

impl Default for TestSegment {
    fn default() -> Self {
        Self {
            name: "_0".into(),
            codec: "Lucene95".into(),
            with_id: true,
            files: vec!["_0_1.fnm".into()],
        }
    }
}

fn vint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7F) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn string(out: &mut Vec<u8>, s: &str) {
    vint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Appends Lucene's footer (magic, algorithm 0, CRC-32 of everything before the checksum).
pub fn seal(mut body: Vec<u8>) -> Vec<u8> {
    body.extend_from_slice(&FOOTER_MAGIC.to_be_bytes());
    body.extend_from_slice(&0u32.to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(&body);
    body.extend_from_slice(&u64::from(crc.finalize()).to_be_bytes());
    body
}

/// A `segments_N` file as Lucene writes it (lifecycle.md §1.5), in `format` (9, 10 or 11).
pub fn write_commit(
    format: i32,
    generation: u64,
    segments: &[TestSegment],
    user_data: &[(String, String)],
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&CODEC_MAGIC.to_be_bytes());
    string(&mut b, "segments");
    b.extend_from_slice(&format.to_be_bytes());
    b.extend_from_slice(&[7u8; 16]);
    let suffix = radix36(generation);
    b.push(suffix.len() as u8);
    b.extend_from_slice(suffix.as_bytes());
    for v in [9, 12, 0, 9] {
        vint(&mut b, v);
    }
    b.extend_from_slice(&5i64.to_be_bytes());
    vint(&mut b, segments.len() as u64);
    b.extend_from_slice(&(segments.len() as i32).to_be_bytes());
    if !segments.is_empty() {
        for v in [9, 12, 0] {
            vint(&mut b, v);
        }
    }
    for s in segments {
        string(&mut b, &s.name);
        b.extend_from_slice(&[3u8; 16]);
        string(&mut b, &s.codec);
        b.extend_from_slice(&(-1i64).to_be_bytes());
        b.extend_from_slice(&0i32.to_be_bytes());
        b.extend_from_slice(&1i64.to_be_bytes());
        b.extend_from_slice(&(-1i64).to_be_bytes());
        b.extend_from_slice(&0i32.to_be_bytes());
        if format > VERSION_74 {
            if s.with_id {
                b.push(1);
                b.extend_from_slice(&[4u8; 16]);
            } else {
                b.push(0);
            }
        }
        vint(&mut b, s.files.len() as u64);
        for f in &s.files {
            string(&mut b, f);
        }
        // One doc-values update field with one file.
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&2i32.to_be_bytes());
        vint(&mut b, 1);
        string(&mut b, "_0_1_Lucene90_0.dvd");
        if format >= VERSION_10_6 {
            b.extend_from_slice(&1i32.to_be_bytes());
            b.extend_from_slice(&2i32.to_be_bytes());
            b.extend_from_slice(&1i64.to_be_bytes());
            b.extend_from_slice(&2i32.to_be_bytes());
            b.extend_from_slice(&2i64.to_be_bytes());
            b.extend_from_slice(&3i64.to_be_bytes());
        }
    }
    vint(&mut b, user_data.len() as u64);
    for (k, v) in user_data {
        string(&mut b, k);
        string(&mut b, v);
    }
    seal(b)
}

fn radix36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Valid files of every format, for fuzzing corpora and mutation tests.
pub fn segments_seeds() -> Vec<Vec<u8>> {
    let ud = vec![
        (
            "cluster_uuid".to_owned(),
            "Q9yS0ZJxT2uGzq0vW8kQ6A".to_owned(),
        ),
        ("cluster_uuid_committed".to_owned(), "true".to_owned()),
        ("last_accepted_version".to_owned(), "17".to_owned()),
    ];
    let mut out = Vec::new();
    for format in [9, 10, 11] {
        out.push(write_commit(format, 1, &[], &ud));
        out.push(write_commit(format, 40, &[TestSegment::default()], &ud));
    }
    out
}

/// The fuzz body for `segments_N`: parse anything, as is and re-sealed with a valid checksum (so
/// mutations reach the fields behind it). Panics are findings; errors are not.
pub fn fuzz_segments(data: &[u8]) {
    for generation in [None, Some(1)] {
        if let Err(e) = segments::parse(data, generation) {
            let _ = e.to_string();
        }
    }
    let body = data
        .get(..data.len().saturating_sub(16))
        .unwrap_or_default();
    if let Ok(c) = segments::parse(&seal(body.to_vec()), None) {
        let _ = c.formation();
        // Nothing parsed can claim more than the input held.
        let text: usize = c.user_data.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(text <= data.len());
        assert!(c.segments as usize <= data.len());
    }
}

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
        let mut state = 0xA076_1D64_78BD_642F_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..300 {
            let mut data = seeds[round % seeds.len()].clone();
            for _ in 0..=(next() % 3) {
                let pos = (next() as usize) % data.len();
                data[pos] = next() as u8;
            }
            if next() % 4 == 0 {
                let len = data.len();
                data.truncate((next() as usize) % len);
            }
            fuzz_tls_file(&data);
        }
    }
}
