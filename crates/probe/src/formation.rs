//! Whether the cluster has formed, read offline from `<path.data>/_state/segments_N` (lifecycle
//! spec §1.5): the commit user data of the newest Lucene commit of the node's persisted cluster
//! state holds `cluster_uuid_committed` (Elasticsearch 8.8+) and `last_accepted_version`.
//!
//! The reader follows the `SegmentInfos` format (9, 10 and 11) without Lucene: header, segments,
//! user data, footer with its CRC32. Every read is bounded and checked; a file it cannot read is
//! an answer (`Unknown`), never a panic.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use esac_core::finalize::Formation;

/// The largest `segments_N` read (a real one is a few hundred bytes).
const MAX_SEGMENTS_BYTES: u64 = 16 * 1024 * 1024;
/// The most directory entries of `_state` looked at.
const MAX_STATE_ENTRIES: usize = 100_000;
pub(crate) const CODEC_MAGIC: u32 = 0x3fd7_6c17;
pub(crate) const FOOTER_MAGIC: u32 = 0xc028_93e8;

/// The formation evidence of the first data directory that has a cluster state (`_state`, or
/// Elasticsearch 7's `nodes/0/_state`).
pub fn formation(data_dirs: &[PathBuf]) -> Formation {
    for dir in data_dirs {
        for state in [dir.join("_state"), dir.join("nodes/0/_state")] {
            match std::fs::symlink_metadata(&state) {
                Ok(m) if m.is_dir() => return formation_at(&state),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Formation::Unknown(format!("[{}]: {e}", state.display()));
                }
            }
        }
    }
    Formation::NotFormed
}

/// The evidence in one `_state` directory: the newest commit, read again once if it changed
/// underneath (a running node commits).
fn formation_at(state: &Path) -> Formation {
    let mut last = String::new();
    for _ in 0..2 {
        match newest_commit(state).and_then(|p| match p {
            None => Ok(None),
            Some(p) => read_bounded(&p)
                .map_err(|e| format!("[{}]: {e}", p.display()))
                .and_then(|b| {
                    parse_segments(&b)
                        .map(Some)
                        .map_err(|e| format!("[{}]: {e}", p.display()))
                }),
        }) {
            Ok(None) => return Formation::NotFormed,
            Ok(Some(data)) => return evidence(&data),
            Err(e) => last = e,
        }
    }
    Formation::Unknown(last)
}

/// What the commit user data proves.
pub fn evidence(data: &BTreeMap<String, String>) -> Formation {
    if data.get("cluster_uuid_committed").map(String::as_str) == Some("true") {
        return Formation::Committed {
            cluster_uuid: data.get("cluster_uuid").cloned(),
        };
    }
    match data
        .get("last_accepted_version")
        .and_then(|v| v.parse::<i64>().ok())
    {
        Some(v) if v > 0 => Formation::Accepted,
        _ => Formation::NotFormed,
    }
}

/// `segments_<N>` with the highest generation N (base 36).
fn newest_commit(state: &Path) -> Result<Option<PathBuf>, String> {
    let entries = std::fs::read_dir(state).map_err(|e| format!("[{}]: {e}", state.display()))?;
    let mut best: Option<(u64, PathBuf)> = None;
    // A cluster-state directory holds a handful of files; a runaway one is not listed forever.
    for e in entries.take(MAX_STATE_ENTRIES) {
        let e = e.map_err(|e| format!("[{}]: {e}", state.display()))?;
        let name = e.file_name();
        let Some(gen) = name
            .to_str()
            .and_then(|n| n.strip_prefix("segments_"))
            .and_then(|g| u64::from_str_radix(g, 36).ok())
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(g, _)| gen > *g) {
            best = Some((gen, e.path()));
        }
    }
    Ok(best.map(|(_, p)| p))
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: a FIFO named like a commit cannot make the open hang (`status` must never
    // block); anything but a regular file is refused once open.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SEGMENTS_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SEGMENTS_BYTES {
        return Err(std::io::Error::other("too large"));
    }
    Ok(bytes)
}

struct Reader<'a> {
    b: &'a [u8],
    p: usize,
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self
            .p
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or("truncated")?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }
    fn byte(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn be_u32(&mut self) -> R<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn be_u64(&mut self) -> R<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    fn vlong(&mut self, max_bytes: u32) -> R<u64> {
        let mut v: u64 = 0;
        for i in 0..max_bytes {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("invalid variable-length integer".into())
    }
    fn vint(&mut self) -> R<u32> {
        u32::try_from(self.vlong(5)?).map_err(|_| "invalid vInt".to_owned())
    }
    fn len(&mut self) -> R<usize> {
        let n = self.vint()? as usize;
        if n > self.b.len() - self.p {
            return Err("a length beyond the end of the file".into());
        }
        Ok(n)
    }
    fn string(&mut self) -> R<String> {
        let n = self.len()?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "a string that is not UTF-8".into())
    }
    fn strings(&mut self) -> R<()> {
        for _ in 0..self.len()? {
            self.string()?;
        }
        Ok(())
    }
}

/// The commit user data of a `segments_N` file (formats 9 to 11), after checking its header
/// and its footer's CRC32.
pub fn parse_segments(bytes: &[u8]) -> Result<BTreeMap<String, String>, String> {
    if bytes.len() < 16 {
        return Err("truncated".into());
    }
    let body = bytes.len() - 16;
    let mut f = Reader {
        b: &bytes[body..],
        p: 0,
    };
    if f.be_u32()? != FOOTER_MAGIC || f.be_u32()? != 0 {
        return Err("no Lucene footer".into());
    }
    let crc = f.be_u64()?;
    if crc != u64::from(crc32fast::hash(&bytes[..bytes.len() - 8])) {
        return Err("checksum mismatch (being written?)".into());
    }
    let mut r = Reader {
        b: &bytes[..body],
        p: 0,
    };
    if r.be_u32()? != CODEC_MAGIC || r.string()? != "segments" {
        return Err("not a segments file".into());
    }
    let format = r.be_u32()?;
    if !(9..=11).contains(&format) {
        return Err(format!("segments format {format} is not supported"));
    }
    r.take(16)?; // id
    let suffix = r.byte()? as usize;
    r.take(suffix)?;
    for _ in 0..4 {
        r.vint()?; // Lucene version, index created version
    }
    r.be_u64()?; // version
    r.vlong(9)?; // counter
    let count = r.be_u32()?;
    if count > 0 {
        for _ in 0..3 {
            r.vint()?;
        }
    }
    for _ in 0..count {
        r.string()?; // name
        r.take(16)?; // id
        r.string()?; // codec
        r.be_u64()?; // delGen
        r.be_u32()?; // delCount
        r.be_u64()?; // fieldInfosGen
        r.be_u64()?; // dvGen
        r.be_u32()?; // softDelCount
        if format >= 10 && r.byte()? == 1 {
            r.take(16)?;
        }
        r.strings()?; // fieldInfosFiles
        let dv = r.be_u32()?;
        for _ in 0..dv {
            r.be_u32()?;
            r.strings()?;
        }
        if format >= 11 {
            let overlays = r.be_u32()?;
            for _ in 0..overlays {
                r.be_u32()?;
                r.be_u64()?;
                let n = r.be_u32()?;
                for _ in 0..n {
                    r.be_u64()?;
                }
            }
        }
    }
    let mut data = BTreeMap::new();
    for _ in 0..r.len()? {
        let k = r.string()?;
        let v = r.string()?;
        data.insert(k, v);
    }
    if r.p != body {
        return Err("unexpected bytes after the user data".into());
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::commit;

    #[test]
    fn user_data_of_every_format() {
        let data = [
            ("cluster_uuid", "abc"),
            ("cluster_uuid_committed", "true"),
            ("last_accepted_version", "12"),
        ];
        for format in 9..=11 {
            for segments in 0..3 {
                let bytes = commit(format, segments, &data);
                let got = parse_segments(&bytes).unwrap();
                assert_eq!(got.len(), 3, "{format}/{segments}");
                assert_eq!(
                    evidence(&got),
                    Formation::Committed {
                        cluster_uuid: Some("abc".into())
                    }
                );
            }
        }
        let accepted = commit(10, 1, &[("last_accepted_version", "3")]);
        assert_eq!(
            evidence(&parse_segments(&accepted).unwrap()),
            Formation::Accepted
        );
        let fresh = commit(10, 1, &[("last_accepted_version", "0")]);
        assert_eq!(
            evidence(&parse_segments(&fresh).unwrap()),
            Formation::NotFormed
        );
        let mut bad = commit(10, 1, &data);
        bad[30] ^= 1;
        assert!(parse_segments(&bad).unwrap_err().contains("checksum"));
        assert!(parse_segments(&commit(12, 0, &data)).is_err());
    }

    #[test]
    fn the_newest_commit_of_the_first_state_directory_counts() {
        let t = tempfile::tempdir().unwrap();
        let d1 = t.path().join("d1");
        let d2 = t.path().join("d2");
        std::fs::create_dir_all(d2.join("_state")).unwrap();
        std::fs::write(
            d2.join("_state/segments_9"),
            commit(10, 0, &[("last_accepted_version", "0")]),
        )
        .unwrap();
        std::fs::write(
            d2.join("_state/segments_a"),
            commit(10, 0, &[("cluster_uuid_committed", "true")]),
        )
        .unwrap();
        std::fs::write(d2.join("_state/write.lock"), "").unwrap();
        assert_eq!(formation(std::slice::from_ref(&d1)), Formation::NotFormed);
        assert_eq!(
            formation(&[d1.clone(), d2.clone()]),
            Formation::Committed { cluster_uuid: None }
        );
        std::fs::write(d2.join("_state/segments_b"), b"torn").unwrap();
        assert!(matches!(formation(&[d2]), Formation::Unknown(_)));
        // Elasticsearch 7's layout.
        std::fs::create_dir_all(d1.join("nodes/0/_state")).unwrap();
        std::fs::write(
            d1.join("nodes/0/_state/segments_1"),
            commit(9, 1, &[("last_accepted_version", "5")]),
        )
        .unwrap();
        assert_eq!(formation(&[d1]), Formation::Accepted);
    }

    /// A FIFO named like the newest commit is an unreadable commit, never a hang.
    #[test]
    fn a_fifo_in_the_state_directory_does_not_block() {
        let t = tempfile::tempdir().unwrap();
        let state = t.path().join("_state");
        std::fs::create_dir(&state).unwrap();
        nix::unistd::mkfifo(&state.join("segments_5"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        assert!(matches!(
            formation(&[t.path().to_path_buf()]),
            Formation::Unknown(_)
        ));
    }

    /// Any bytes at all: an answer, never a panic.
    #[test]
    fn the_reader_never_panics() {
        let good = commit(11, 2, &[("a", "b")]);
        let mut next = esac_core::fuzzing::xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let mut b = good.clone();
            let flips = next() % 4;
            for _ in 0..=flips {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            b.truncate((next() as usize) % (b.len() + 1));
            let _ = parse_segments(&b);
            // With a valid footer, so that the body's parser runs on garbage too.
            let body_len = b.len().saturating_sub(16);
            let _ = parse_segments(&crate::fuzzing::seal(b[..body_len].to_vec()));
        }
    }
}
