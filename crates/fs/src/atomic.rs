//! Small, careful file operations: every write is a temp file in the same directory, written,
//! given its mode explicitly (never the umask), fsynced, renamed, and the directory fsynced.

use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;

use fs_err::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// fsync a directory, so that renames and creations in it are durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    fs_err::File::open(dir)?.sync_all()
}

/// Parent directory of a path (".", never empty).
pub fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` through `tmp` (same directory), with `mode`, optional group, fsync,
/// rename over `path`, fsync of the directory. The temp file is removed on failure.
pub fn write_via_temp(
    path: &Path,
    tmp: &Path,
    bytes: &[u8],
    mode: u32,
    gid: Option<u32>,
) -> io::Result<()> {
    let result = (|| {
        let mut f = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        if let Some(gid) = gid {
            nix::unistd::fchown(&f, None, Some(nix::unistd::Gid::from_raw(gid)))
                .map_err(io::Error::from)?;
            // chown may clear setgid/setuid bits; put the mode back.
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        f.sync_all()?;
        drop(f);
        fs_err::rename(tmp, path)?;
        sync_dir(&parent(path))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    result
}

/// Removes a directory tree if it exists (no error when it is already gone).
pub fn remove_tree(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => fs_err::remove_dir_all(path),
        Ok(_) => fs_err::remove_file(path),
    }
}

/// Removes a file if it exists.
pub fn remove_file(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Whether anything (even a dangling symlink) is at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Puts a backup back in place of `target`. A backup that is a hard link to `target` itself (the
/// keystore was not replaced yet) is just removed: `rename` between two links to one file does
/// nothing and would leave the backup behind.
pub fn restore_backup(backup: &Path, target: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    if let (Ok(b), Ok(t)) = (
        std::fs::symlink_metadata(backup),
        std::fs::symlink_metadata(target),
    ) {
        if b.dev() == t.dev() && b.ino() == t.ino() {
            return fs_err::remove_file(backup);
        }
    }
    fs_err::rename(backup, target)
}
