//! Reading the commit user data of a Lucene `segments_N` file without Lucene: the on-disk
//! evidence that a node's cluster has formed (lifecycle.md §1.5).
//!
//! Elasticsearch keeps its cluster metadata in a bare Lucene index at `<path.data>/_state`; each
//! commit's user data holds `current_term`, `last_accepted_version`, `node_id`, `node_version` and,
//! since 8.8, `cluster_uuid` and `cluster_uuid_committed`. The user data is the last field of the
//! newest `segments_N` (N in base 36), in Lucene's `SegmentInfos` format 9 (`VERSION_74`), 10
//! (`VERSION_86`) or 11 (`VERSION_10_6`): integers big-endian, VInts low group first, strings as a
//! VInt length and UTF-8, a 16-byte footer whose last 8 bytes are the CRC-32 of everything before
//! them.
//!
//! The parser reads bytes already in memory (see [`read_latest`] for the bounded read); it never
//! panics, never allocates more than the input's size, and checks the footer and checksum.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Lucene's `CodecUtil.CODEC_MAGIC`.
pub const CODEC_MAGIC: u32 = 0x3FD7_6C17;
/// Lucene's `CodecUtil.FOOTER_MAGIC` (`~CODEC_MAGIC`).
pub const FOOTER_MAGIC: u32 = 0xC028_93E8;
/// `SegmentInfos.VERSION_74`.
pub const VERSION_74: i32 = 9;
/// `SegmentInfos.VERSION_86`.
pub const VERSION_86: i32 = 10;
/// `SegmentInfos.VERSION_10_6`.
pub const VERSION_10_6: i32 = 11;
/// The largest `segments_N` read. The cluster-state index has a handful of segments; a
/// segments file is a few hundred bytes.
pub const MAX_SEGMENTS_BYTES: u64 = 4 * 1024 * 1024;
/// The most directory entries looked at in `_state` (a few files in practice).
pub const MAX_STATE_ENTRIES: usize = 10_000;

/// What a commit says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    /// `SegmentInfos` format (9, 10 or 11).
    pub format: i32,
    /// The generation from the header suffix (the `N` of `segments_N`).
    pub generation: u64,
    /// The Lucene version that wrote the commit.
    pub lucene_version: (u32, u32, u32),
    /// Number of segments.
    pub segments: u32,
    /// The commit user data.
    pub user_data: BTreeMap<String, String>,
}

/// How strongly a commit shows that the cluster has formed (lifecycle.md §1.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Formation {
    /// `cluster_uuid_committed` is `true` (Elasticsearch 8.8+).
    Committed {
        /// `cluster_uuid`, when present.
        cluster_uuid: Option<String>,
    },
    /// No committed flag, but `last_accepted_version` > 0: a master accepted a state.
    Accepted {
        /// The version.
        last_accepted_version: u64,
    },
    /// Neither.
    NotFormed,
}

impl Commit {
    /// The formation evidence in this commit.
    pub fn formation(&self) -> Formation {
        let get = |k: &str| self.user_data.get(k).map(String::as_str);
        if get("cluster_uuid_committed") == Some("true") {
            return Formation::Committed {
                cluster_uuid: get("cluster_uuid")
                    .filter(|u| !u.is_empty() && *u != "_na_")
                    .map(str::to_owned),
            };
        }
        // 8.8+ writes the committed flag: `false` there is the answer, not a missing field.
        if get("cluster_uuid_committed").is_none() {
            if let Some(v) = get("last_accepted_version").and_then(|v| v.parse::<u64>().ok()) {
                if v > 0 {
                    return Formation::Accepted {
                        last_accepted_version: v,
                    };
                }
            }
        }
        Formation::NotFormed
    }
}

/// Why a segments file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentsError {
    /// The file ends before a field.
    Truncated(&'static str),
    /// The first four bytes are not the codec magic.
    BadMagic(u32),
    /// The codec name is not `segments`.
    BadCodec,
    /// A format this reader does not know.
    UnsupportedFormat(i32),
    /// The header suffix is not the file's generation.
    GenerationMismatch,
    /// A field has an impossible value.
    Invalid(&'static str),
    /// The footer magic or algorithm is wrong, or bytes follow it.
    BadFooter,
    /// The stored CRC-32 is not the file's (a torn or concurrent write).
    ChecksumMismatch,
}

impl fmt::Display for SegmentsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentsError::Truncated(what) => write!(f, "truncated while reading {what}"),
            SegmentsError::BadMagic(m) => write!(f, "not a Lucene file (magic {m:#010x})"),
            SegmentsError::BadCodec => f.write_str("not a segments file (codec name)"),
            SegmentsError::UnsupportedFormat(v) => write!(f, "unsupported segments format {v}"),
            SegmentsError::GenerationMismatch => {
                f.write_str("the header's generation is not the file name's")
            }
            SegmentsError::Invalid(what) => write!(f, "invalid {what}"),
            SegmentsError::BadFooter => f.write_str("invalid footer"),
            SegmentsError::ChecksumMismatch => f.write_str("checksum mismatch"),
        }
    }
}

struct Input<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], SegmentsError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(SegmentsError::Truncated(what))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn byte(&mut self, what: &'static str) -> Result<u8, SegmentsError> {
        Ok(self.take(1, what)?[0])
    }

    fn be_u32(&mut self, what: &'static str) -> Result<u32, SegmentsError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn be_i32(&mut self, what: &'static str) -> Result<i32, SegmentsError> {
        Ok(self.be_u32(what)? as i32)
    }

    fn be_i64(&mut self, what: &'static str) -> Result<i64, SegmentsError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }

    /// A non-negative count of elements that take at least one byte each: bounded by what is
    /// left, so no count can make the reader allocate or loop beyond the input.
    fn count(&mut self, what: &'static str) -> Result<usize, SegmentsError> {
        let n = self.be_i32(what)?;
        let n = usize::try_from(n).map_err(|_| SegmentsError::Invalid(what))?;
        if n > self.remaining() {
            return Err(SegmentsError::Invalid(what));
        }
        Ok(n)
    }

    /// Lucene's VLong: 7 bits per byte, low group first, at most 9 bytes, non-negative.
    fn vlong(&mut self, what: &'static str) -> Result<u64, SegmentsError> {
        let mut v: u64 = 0;
        for i in 0..9 {
            let b = self.byte(what)?;
            v |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(SegmentsError::Invalid(what))
    }

    /// Lucene's VInt: at most 5 bytes, any 32-bit value (negative ones are refused here).
    fn vint(&mut self, what: &'static str) -> Result<u32, SegmentsError> {
        let mut v: u64 = 0;
        for i in 0..5 {
            let b = self.byte(what)?;
            v |= u64::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                return u32::try_from(v)
                    .ok()
                    .filter(|v| i32::try_from(*v).is_ok())
                    .ok_or(SegmentsError::Invalid(what));
            }
        }
        Err(SegmentsError::Invalid(what))
    }

    fn vcount(&mut self, what: &'static str) -> Result<usize, SegmentsError> {
        let n = self.vint(what)? as usize;
        if n > self.remaining() {
            return Err(SegmentsError::Invalid(what));
        }
        Ok(n)
    }

    fn string(&mut self, what: &'static str) -> Result<String, SegmentsError> {
        let n = self.vcount(what)?;
        let b = self.take(n, what)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| SegmentsError::Invalid(what))
    }

    fn set_of_strings(&mut self, what: &'static str) -> Result<(), SegmentsError> {
        for _ in 0..self.vcount(what)? {
            self.string(what)?;
        }
        Ok(())
    }
}

/// Parses a whole `segments_N` file. `generation`: the N of the file name, checked against the
/// header's suffix when given.
pub fn parse(bytes: &[u8], generation: Option<u64>) -> Result<Commit, SegmentsError> {
    // The footer first: a torn file fails here, whatever its middle holds.
    if bytes.len() < 16 {
        return Err(SegmentsError::Truncated("footer"));
    }
    let (body, footer) = bytes.split_at(bytes.len() - 16);
    let mut f = Input {
        bytes: footer,
        pos: 0,
    };
    if f.be_u32("footer")? != FOOTER_MAGIC || f.be_u32("footer")? != 0 {
        return Err(SegmentsError::BadFooter);
    }
    let stored = f.be_i64("footer")?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&bytes[..bytes.len() - 8]);
    if u64::try_from(stored).ok() != Some(u64::from(crc.finalize())) {
        return Err(SegmentsError::ChecksumMismatch);
    }

    let mut i = Input {
        bytes: body,
        pos: 0,
    };
    let magic = i.be_u32("magic")?;
    if magic != CODEC_MAGIC {
        return Err(SegmentsError::BadMagic(magic));
    }
    if i.string("codec name")? != "segments" {
        return Err(SegmentsError::BadCodec);
    }
    let format = i.be_i32("format")?;
    if !(VERSION_74..=VERSION_10_6).contains(&format) {
        return Err(SegmentsError::UnsupportedFormat(format));
    }
    i.take(16, "commit id")?;
    let suffix_len = usize::from(i.byte("suffix")?);
    let suffix = i.take(suffix_len, "suffix")?;
    let suffix = std::str::from_utf8(suffix).map_err(|_| SegmentsError::Invalid("suffix"))?;
    let header_generation =
        u64::from_str_radix(suffix, 36).map_err(|_| SegmentsError::Invalid("suffix"))?;
    if generation.is_some_and(|g| g != header_generation) {
        return Err(SegmentsError::GenerationMismatch);
    }
    let lucene_version = (
        i.vint("Lucene version")?,
        i.vint("Lucene version")?,
        i.vint("Lucene version")?,
    );
    let created = i.vint("index created version")?;
    if lucene_version.0 < created {
        return Err(SegmentsError::Invalid("index created version"));
    }
    i.be_i64("version")?;
    i.vlong("counter")?;
    let segments = i.count("segment count")?;
    if segments > 0 {
        for _ in 0..3 {
            i.vint("minimum segment version")?;
        }
    }
    for _ in 0..segments {
        i.string("segment name")?;
        i.take(16, "segment id")?;
        i.string("codec")?;
        i.be_i64("deletion generation")?;
        i.be_i32("deletion count")?;
        i.be_i64("field infos generation")?;
        i.be_i64("doc values generation")?;
        i.be_i32("soft deletion count")?;
        if format > VERSION_74 {
            match i.byte("commit info id marker")? {
                0 => {}
                1 => {
                    i.take(16, "commit info id")?;
                }
                _ => return Err(SegmentsError::Invalid("commit info id marker")),
            }
        }
        i.set_of_strings("field infos files")?;
        for _ in 0..i.count("doc values update fields")? {
            i.be_i32("doc values field")?;
            i.set_of_strings("doc values files")?;
        }
        if format >= VERSION_10_6 {
            for _ in 0..i.count("doc values overlay fields")? {
                i.be_i32("overlay field")?;
                i.be_i64("overlay base generation")?;
                for _ in 0..i.count("overlay deltas")? {
                    i.be_i64("overlay delta")?;
                }
            }
        }
    }
    let mut user_data = BTreeMap::new();
    for _ in 0..i.vcount("user data")? {
        let k = i.string("user data key")?;
        let v = i.string("user data value")?;
        user_data.insert(k, v);
    }
    if i.remaining() != 0 {
        return Err(SegmentsError::BadFooter);
    }
    Ok(Commit {
        format,
        generation: header_generation,
        lucene_version,
        segments: u32::try_from(segments).unwrap_or(u32::MAX),
        user_data,
    })
}

/// The generation of a `segments_N` file name (`None` for anything else, `pending_segments_N`
/// and the pre-4.0 `segments.gen` included).
pub fn generation_of(file_name: &str) -> Option<u64> {
    let n = file_name.strip_prefix("segments_")?;
    if n.is_empty() || n.len() > 13 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    u64::from_str_radix(&n.to_ascii_lowercase(), 36).ok()
}

/// What reading a `_state` directory gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateRead {
    /// No `_state` directory (or no `segments_N` in it).
    NoState,
    /// The newest commit.
    Commit {
        /// The file read.
        path: PathBuf,
        /// Its content.
        commit: Commit,
    },
    /// Something there could not be read.
    Failed {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        detail: String,
    },
}

/// Reads the newest commit of `state_dir` (a `_state` directory). A checksum mismatch (a
/// commit being written while we read) re-lists the directory and tries once more.
pub fn read_latest(state_dir: &Path) -> StateRead {
    match read_latest_once(state_dir) {
        StateRead::Failed { detail, .. }
            if detail == SegmentsError::ChecksumMismatch.to_string() =>
        {
            read_latest_once(state_dir)
        }
        other => other,
    }
}

fn read_latest_once(state_dir: &Path) -> StateRead {
    let failed = |path: &Path, detail: String| StateRead::Failed {
        path: path.to_path_buf(),
        detail,
    };
    let entries = match std::fs::read_dir(state_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return StateRead::NoState,
        Err(e) => return failed(state_dir, e.to_string()),
    };
    let mut newest: Option<(u64, PathBuf)> = None;
    for entry in entries.take(MAX_STATE_ENTRIES) {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name();
        let Some(generation) = name.to_str().and_then(generation_of) else {
            continue;
        };
        if newest.as_ref().is_none_or(|(g, _)| generation > *g) {
            newest = Some((generation, entry.path()));
        }
    }
    let Some((generation, path)) = newest else {
        return StateRead::NoState;
    };
    let bytes = match read_bounded(&path) {
        Ok(b) => b,
        Err(detail) => return failed(&path, detail),
    };
    match parse(&bytes, Some(generation)) {
        Ok(commit) => StateRead::Commit { path, commit },
        Err(e) => failed(&path, e.to_string()),
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_SEGMENTS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SEGMENTS_BYTES {
        return Err(format!("larger than {MAX_SEGMENTS_BYTES} bytes"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::{write_commit, TestSegment};

    fn data(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn every_format_round_trips_with_and_without_segments() {
        let ud = data(&[
            ("cluster_uuid", "abcDEF123"),
            ("cluster_uuid_committed", "true"),
            ("current_term", "3"),
            ("last_accepted_version", "42"),
        ]);
        for format in [VERSION_74, VERSION_86, VERSION_10_6] {
            for segments in [vec![], vec![TestSegment::default(), TestSegment::default()]] {
                let bytes = write_commit(format, 35, &segments, &ud);
                let c = parse(&bytes, Some(35)).unwrap();
                assert_eq!(c.format, format);
                assert_eq!(c.generation, 35);
                assert_eq!(c.segments as usize, segments.len());
                assert_eq!(c.user_data.get("cluster_uuid").unwrap(), "abcDEF123");
                assert_eq!(
                    c.formation(),
                    Formation::Committed {
                        cluster_uuid: Some("abcDEF123".into())
                    }
                );
            }
        }
    }

    #[test]
    fn formation_rules() {
        let f = |pairs: &[(&str, &str)]| {
            parse(&write_commit(VERSION_86, 1, &[], &data(pairs)), None)
                .unwrap()
                .formation()
        };
        assert_eq!(
            f(&[("cluster_uuid_committed", "true"), ("cluster_uuid", "_na_")]),
            Formation::Committed { cluster_uuid: None }
        );
        assert_eq!(
            f(&[
                ("cluster_uuid_committed", "false"),
                ("last_accepted_version", "9")
            ]),
            Formation::NotFormed
        );
        assert_eq!(
            f(&[("last_accepted_version", "9")]),
            Formation::Accepted {
                last_accepted_version: 9
            }
        );
        assert_eq!(f(&[("last_accepted_version", "0")]), Formation::NotFormed);
        assert_eq!(f(&[("last_accepted_version", "x")]), Formation::NotFormed);
        assert_eq!(f(&[]), Formation::NotFormed);
    }

    #[test]
    fn damage_is_reported_not_panicked_on() {
        let good = write_commit(
            VERSION_86,
            2,
            &[TestSegment::default()],
            &data(&[("a", "b")]),
        );
        assert!(parse(&good, Some(2)).is_ok());
        assert_eq!(
            parse(&good, Some(3)),
            Err(SegmentsError::GenerationMismatch)
        );
        // Any single flipped bit is caught (by the checksum, or the footer).
        for pos in 0..good.len() {
            let mut bad = good.clone();
            bad[pos] ^= 0x10;
            assert!(parse(&bad, Some(2)).is_err(), "flip at {pos}");
        }
        // Any truncation too.
        for len in 0..good.len() {
            assert!(parse(&good[..len], None).is_err(), "length {len}");
        }
        let mut extra = good.clone();
        extra.insert(good.len() - 16, 0);
        assert!(parse(&extra, None).is_err());
        assert_eq!(
            parse(&[0; 8], None),
            Err(SegmentsError::Truncated("footer"))
        );
    }

    #[test]
    fn a_valid_checksum_over_garbage_is_still_refused() {
        // Re-sealed files with impossible contents: every field check is reached.
        let good = write_commit(
            VERSION_86,
            2,
            &[TestSegment::default()],
            &data(&[("a", "b")]),
        );
        for pos in 0..good.len() - 16 {
            for v in [0x00, 0x7F, 0x80, 0xFF] {
                let mut bad = good[..good.len() - 16].to_vec();
                bad[pos] = v;
                let sealed = crate::fuzzing::seal(bad);
                let _ = parse(&sealed, Some(2));
            }
        }
        let mut wrong_magic = good[..good.len() - 16].to_vec();
        wrong_magic[0] = 0;
        assert!(matches!(
            parse(&crate::fuzzing::seal(wrong_magic), None),
            Err(SegmentsError::BadMagic(_))
        ));
        let v12 = write_commit(12, 1, &[], &[]);
        assert_eq!(parse(&v12, None), Err(SegmentsError::UnsupportedFormat(12)));
    }

    #[test]
    fn file_names() {
        assert_eq!(generation_of("segments_1"), Some(1));
        assert_eq!(generation_of("segments_z"), Some(35));
        assert_eq!(generation_of("segments_10"), Some(36));
        assert_eq!(generation_of("segments"), None);
        assert_eq!(generation_of("segments.gen"), None);
        assert_eq!(generation_of("pending_segments_2"), None);
        assert_eq!(generation_of("segments_"), None);
        assert_eq!(generation_of("segments_-1"), None);
        assert_eq!(generation_of("segments_zzzzzzzzzzzzzz"), None);
    }

    #[test]
    fn the_newest_commit_of_a_directory_is_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_latest(&dir.path().join("absent")), StateRead::NoState);
        assert_eq!(read_latest(dir.path()), StateRead::NoState);
        let old = write_commit(VERSION_86, 9, &[], &data(&[("last_accepted_version", "0")]));
        let new = write_commit(
            VERSION_86,
            10,
            &[],
            &data(&[("cluster_uuid_committed", "true")]),
        );
        std::fs::write(dir.path().join("segments_9"), old).unwrap();
        std::fs::write(dir.path().join("segments_a"), new).unwrap();
        std::fs::write(dir.path().join("write.lock"), b"").unwrap();
        std::fs::write(dir.path().join("pending_segments_b"), b"junk").unwrap();
        match read_latest(dir.path()) {
            StateRead::Commit { path, commit } => {
                assert!(path.ends_with("segments_a"));
                assert_eq!(commit.generation, 10);
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(dir.path().join("segments_b"), b"torn").unwrap();
        assert!(matches!(read_latest(dir.path()), StateRead::Failed { .. }));
    }

    #[test]
    fn random_inputs_never_panic() {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let seeds = crate::fuzzing::segments_seeds();
        for round in 0..5_000 {
            let mut data = seeds[round % seeds.len()].clone();
            for _ in 0..(next() % 4) {
                if data.is_empty() {
                    break;
                }
                let pos = (next() as usize) % data.len();
                data[pos] = next() as u8;
            }
            if next() % 3 == 0 {
                let len = data.len();
                data.truncate((next() as usize) % (len + 1));
            }
            crate::fuzzing::fuzz_segments(&data);
        }
    }
}
