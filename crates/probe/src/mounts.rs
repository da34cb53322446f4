//! Mount points from `/proc/self/mountinfo` (proc(5)): which paths are mount targets.
//!
//! A file bind-mounted onto the same filesystem has the same `st_dev` as its directory, so only
//! the mount table tells that `rename(2)` onto it will fail with `EBUSY` (lifecycle.md §1.7). One
//! line per mount:
//!
//! ```text
//! 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//! (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
//! ```
//!
//! Field 5 is the mount point, with space, tab, newline and backslash written as the octal
//! escapes `\040`, `\011`, `\012`, `\134`. The parser takes bytes (a mount point need not be
//! UTF-8), skips lines it cannot read, never panics, and [`read`] reads at most
//! [`MAX_MOUNTINFO_BYTES`].

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// Where the kernel publishes the calling process's mount table.
pub const MOUNTINFO: &str = "/proc/self/mountinfo";

/// The largest mount table read (a busy Kubernetes node has a few thousand lines of ~150 bytes).
pub const MAX_MOUNTINFO_BYTES: u64 = 8 * 1024 * 1024;

/// One line of the mount table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Field 1: the mount's id.
    pub id: u64,
    /// Field 2: the parent mount's id.
    pub parent_id: u64,
    /// Field 4: the directory (or file) of the source filesystem that is mounted.
    pub root: PathBuf,
    /// Field 5: where it is mounted, unescaped.
    pub mount_point: PathBuf,
    /// Field 6: per-mount options (`rw,noatime`).
    pub options: String,
    /// Field 9: the filesystem type.
    pub fs_type: String,
    /// Field 10: the mount source (`/dev/sda1`, `overlay`, ...), unescaped.
    pub source: String,
}

impl Mount {
    /// Mounted read-only (`ro` among the per-mount options): writes fail with `EROFS`.
    pub fn read_only(&self) -> bool {
        self.options.split(',').any(|o| o == "ro")
    }
}

/// The parsed mount table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountTable {
    /// Every readable line, in the kernel's order (later mounts over the same point come later).
    pub mounts: Vec<Mount>,
}

impl MountTable {
    /// The top-most mount whose mount point is exactly `path`. Pass a canonical path: the
    /// table holds the kernel's resolved paths.
    pub fn mount_at(&self, path: &Path) -> Option<&Mount> {
        self.mounts.iter().rev().find(|m| m.mount_point == path)
    }

    /// Whether `path` (canonical) is a mount point.
    pub fn is_mount_point(&self, path: &Path) -> bool {
        self.mount_at(path).is_some()
    }
}

/// Why the mount table could not be read.
#[derive(Debug)]
pub enum MountsError {
    /// Opening or reading failed (no `/proc`, a sandbox).
    Io(std::io::Error),
    /// More than [`MAX_MOUNTINFO_BYTES`].
    TooLarge,
}

impl std::fmt::Display for MountsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MountsError::Io(e) => write!(f, "cannot read {MOUNTINFO}: {e}"),
            MountsError::TooLarge => {
                write!(f, "{MOUNTINFO} is larger than {MAX_MOUNTINFO_BYTES} bytes")
            }
        }
    }
}

/// Reads and parses `/proc/self/mountinfo`.
pub fn read() -> Result<MountTable, MountsError> {
    read_from(Path::new(MOUNTINFO))
}

/// Reads and parses a mountinfo file (at most [`MAX_MOUNTINFO_BYTES`]).
pub fn read_from(path: &Path) -> Result<MountTable, MountsError> {
    let file = std::fs::File::open(path).map_err(MountsError::Io)?;
    // Files under /proc report a size of 0: the bound is on what is read.
    let mut bytes = Vec::new();
    file.take(MAX_MOUNTINFO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(MountsError::Io)?;
    if bytes.len() as u64 > MAX_MOUNTINFO_BYTES {
        return Err(MountsError::TooLarge);
    }
    Ok(parse(&bytes))
}

/// Parses mountinfo text; lines that do not have the shape of proc(5) are skipped.
pub fn parse(text: &[u8]) -> MountTable {
    MountTable {
        mounts: text.split(|b| *b == b'\n').filter_map(parse_line).collect(),
    }
}

fn parse_line(line: &[u8]) -> Option<Mount> {
    let mut fields = line.split(|b| *b == b' ');
    let id = number(fields.next()?)?;
    let parent_id = number(fields.next()?)?;
    let dev = fields.next()?;
    if !dev.contains(&b':') {
        return None;
    }
    let root = path(fields.next()?)?;
    let mount_point = path(fields.next()?)?;
    let options = text(fields.next()?)?;
    // Optional fields (`shared:1`, `master:2`, ...) up to the separator.
    loop {
        let f = fields.next()?;
        if f == b"-" {
            break;
        }
    }
    let fs_type = text(fields.next()?)?;
    let source = String::from_utf8_lossy(&unescape(fields.next()?)).into_owned();
    // Field 11 (super options) must be there, nothing may follow it.
    fields.next()?;
    if fields.next().is_some() {
        return None;
    }
    Some(Mount {
        id,
        parent_id,
        root,
        mount_point,
        options,
        fs_type,
        source,
    })
}

fn number(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 20 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn text(field: &[u8]) -> Option<String> {
    if field.is_empty() {
        return None;
    }
    std::str::from_utf8(field).ok().map(str::to_owned)
}

fn path(field: &[u8]) -> Option<PathBuf> {
    let bytes = unescape(field);
    if bytes.first() != Some(&b'/') {
        return None;
    }
    Some(PathBuf::from(OsString::from_vec(bytes)))
}

/// `\NNN` (three octal digits, value below 256) to the byte; anything else as it is.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] == b'\\' {
            if let Some(&[a, b, c]) = field.get(i + 1..i + 4) {
                let octal = |d: u8| (b'0'..=b'7').contains(&d).then(|| u32::from(d - b'0'));
                if let (Some(a), Some(b), Some(c)) = (octal(a), octal(b), octal(c)) {
                    let v = a * 64 + b * 8 + c;
                    if let Ok(byte) = u8::try_from(v) {
                        out.push(byte);
                        i += 4;
                        continue;
                    }
                }
            }
        }
        out.push(field[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
512 28 8:1 /srv/es/custom.yml /usr/share/elasticsearch/config/elasticsearch.yml ro,relatime - ext4 /dev/sda1 rw
513 28 8:1 /srv/my\\040dir /data/with\\040space\\011tab\\134back rw shared:3 master:4 - ext4 /dev/sda1 rw
";

    #[test]
    fn fields_and_escapes() {
        let t = parse(SAMPLE.as_bytes());
        assert_eq!(t.mounts.len(), 5);
        let m = &t.mounts[2];
        assert_eq!((m.id, m.parent_id), (36, 35));
        assert_eq!(m.root, Path::new("/mnt1"));
        assert_eq!(m.mount_point, Path::new("/mnt2"));
        assert_eq!(m.fs_type, "ext3");
        assert_eq!(m.source, "/dev/root");
        assert!(!m.read_only());
        let yml = Path::new("/usr/share/elasticsearch/config/elasticsearch.yml");
        assert!(t.is_mount_point(yml));
        assert!(t.mount_at(yml).unwrap().read_only());
        assert!(!t.is_mount_point(Path::new("/usr/share/elasticsearch/config")));
        assert_eq!(
            t.mounts[4].mount_point,
            Path::new("/data/with space\ttab\\back")
        );
        assert_eq!(t.mounts[4].root, Path::new("/srv/my dir"));
    }

    #[test]
    fn a_later_mount_over_the_same_point_wins() {
        let text = "1 0 8:1 / /c rw - ext4 a rw\n2 1 8:1 / /c ro - tmpfs b rw\n";
        let t = parse(text.as_bytes());
        assert_eq!(t.mount_at(Path::new("/c")).unwrap().fs_type, "tmpfs");
    }

    #[test]
    fn malformed_lines_are_skipped() {
        for bad in [
            "",
            "x 1 8:1 / /a rw - ext4 s rw",
            "1 2 81 / /a rw - ext4 s rw",
            "1 2 8:1 / relative rw - ext4 s rw",
            "1 2 8:1 / /a rw ext4 s rw",
            "1 2 8:1 / /a rw -",
            "1 2 8:1 / /a rw - ext4 s",
            "1 2 8:1 / /a rw - ext4 s rw extra",
            "99999999999999999999999 2 8:1 / /a rw - ext4 s rw",
            "1 2 8:1 / /a  - ext4 s rw",
        ] {
            assert_eq!(parse(bad.as_bytes()).mounts, vec![], "{bad:?}");
        }
        // One good line among bad ones is still found.
        let mixed = format!("garbage\n{}\n\\\\\\", "1 0 8:1 / /ok rw - ext4 s rw");
        assert!(parse(mixed.as_bytes()).is_mount_point(Path::new("/ok")));
    }

    #[test]
    fn escapes_that_are_not_octal_stay_as_they_are() {
        assert_eq!(unescape(br"a\0"), br"a\0");
        assert_eq!(unescape(br"\400x"), br"\400x");
        assert_eq!(unescape(br"\08a"), br"\08a");
        assert_eq!(unescape(br"\101\102"), b"AB");
        assert_eq!(unescape(br"\\134"), br"\\");
    }

    #[test]
    fn non_utf8_mount_points_are_kept_as_bytes() {
        let mut line = b"1 0 8:1 / /d\xff rw - ext4 s rw".to_vec();
        line.push(b'\n');
        let t = parse(&line);
        let p = PathBuf::from(OsString::from_vec(b"/d\xff".to_vec()));
        assert!(t.is_mount_point(&p));
    }

    #[test]
    fn this_process_has_a_root_mount() {
        // Every Linux process sees a mount at `/` (containers included).
        let t = read().expect("/proc/self/mountinfo is readable");
        assert!(t.is_mount_point(Path::new("/")), "{t:?}");
    }

    #[test]
    fn a_file_larger_than_the_bound_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mountinfo");
        let line = "1 0 8:1 / /a rw - ext4 s rw\n";
        let n = MAX_MOUNTINFO_BYTES as usize / line.len() + 1;
        std::fs::write(&p, line.repeat(n)).unwrap();
        assert!(matches!(read_from(&p), Err(MountsError::TooLarge)));
    }

    #[test]
    fn random_inputs_never_panic() {
        // A deterministic xorshift stream: bytes biased towards the characters that matter.
        let mut next = esac_core::fuzzing::xorshift(0x9E37_79B9_7F4A_7C15);
        const ALPHABET: &[u8] = b"0123456789 :/-\\\n\tabcrwo,\xff";
        for _ in 0..20_000 {
            let len = (next() % 200) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            crate::fuzzing::fuzz_mountinfo(&data);
        }
    }
}
