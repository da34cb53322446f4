//! Fuzzing entry points, shared by `crates/probe/fuzz` and the unit tests, and the `segments_N`
//! builder of every test of the formation evidence (`formation`'s own, `status`, `finalize`). Not
//! part of the API.

use std::os::unix::ffi::OsStrExt;

use crate::formation::{self, CODEC_MAGIC, FOOTER_MAGIC};
use crate::mounts;

/// The fuzz body: any bytes as `/proc/self/mountinfo`. Panics are findings. Every parsed mount
/// point is absolute and is found again by a lookup.
pub fn fuzz_mountinfo(data: &[u8]) {
    let table = mounts::parse(data);
    for m in &table.mounts {
        assert!(m.mount_point.is_absolute(), "{m:?}");
        assert!(
            m.root.as_os_str().as_bytes().first() == Some(&b'/'),
            "{m:?}"
        );
        assert!(table.is_mount_point(&m.mount_point));
        let _ = m.read_only();
    }
    // A line never yields more than one mount.
    let lines = data.split(|b| *b == b'\n').count();
    assert!(table.mounts.len() <= lines);
}

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
        if format > 9 {
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
        if format >= 11 {
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

/// A `segments_N` file (generation 1) in `format` with `segments` default segments and this
/// commit user data: what most tests of the formation evidence need.
pub fn commit(format: i32, segments: usize, user_data: &[(&str, &str)]) -> Vec<u8> {
    let user_data: Vec<(String, String)> = user_data
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    write_commit(
        format,
        1,
        &vec![TestSegment::default(); segments],
        &user_data,
    )
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

/// Valid `segments_N` files of every format, for fuzzing corpora and mutation tests.
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
    let _ = formation::parse_segments(data);
    let body = data
        .get(..data.len().saturating_sub(16))
        .unwrap_or_default();
    if let Ok(user_data) = formation::parse_segments(&seal(body.to_vec())) {
        let _ = formation::evidence(&user_data);
        // Nothing parsed can claim more than the input held.
        let text: usize = user_data.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(text <= data.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_commits_parse_in_every_format() {
        for seed in segments_seeds() {
            let data = formation::parse_segments(&seed).unwrap();
            assert_eq!(data.get("cluster_uuid_committed").unwrap(), "true");
        }
    }

    #[test]
    fn mutated_commits_never_panic() {
        let mut next = esac_core::fuzzing::xorshift(0x2545_F491_4F6C_DD1D);
        let seeds = segments_seeds();
        for round in 0..5_000 {
            let mut data = seeds[round % seeds.len()].clone();
            for _ in 0..(next() % 4) {
                let pos = (next() as usize) % data.len();
                data[pos] = next() as u8;
            }
            if next().is_multiple_of(3) {
                let len = data.len();
                data.truncate((next() as usize) % (len + 1));
            }
            fuzz_segments(&data);
        }
    }
}
