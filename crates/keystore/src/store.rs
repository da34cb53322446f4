//! Reading and replacing `elasticsearch.keystore` on disk, with Elasticsearch's save discipline
//! (`KeyStoreWrapper.save`, formats.md §1.5, spec §3).
//!
//! Saving writes `elasticsearch.keystore.tmp` next to the keystore with mode 0660 set explicitly
//! (never left to the umask), syncs it, refuses to replace a keystore owned by someone else,
//! renames it into place atomically and syncs the directory, so a crash leaves either the old or
//! the new keystore. The temporary file is removed on any failure.

use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use fs_err::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::format::{KeystoreFile, CODEC_NAME};
use crate::keystore::MAX_FILE_SIZE;

/// The keystore's file name inside the config directory.
pub const KEYSTORE_FILE_NAME: &str = CODEC_NAME;
/// Mode Elasticsearch gives the keystore (`rw-rw----`).
pub const KEYSTORE_MODE: u32 = 0o660;

/// `<config_dir>/elasticsearch.keystore` (`KeyStoreWrapper.keystorePath`).
pub fn keystore_path(config_dir: &Path) -> PathBuf {
    config_dir.join(KEYSTORE_FILE_NAME)
}

/// The temporary file a save writes first: the keystore path plus `.tmp`.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Reads and parses the keystore file at `path`; `None` when nothing is there.
///
/// Existence is decided with `symlink_metadata`, without following links: a dangling symlink
/// counts as present and then fails to open, rather than passing for "no keystore" and being
/// replaced. A symlink to a file is followed, as Elasticsearch does (container setups mount the
/// keystore that way). At most [`MAX_FILE_SIZE`] bytes are read.
pub fn load(path: &Path) -> Result<Option<KeystoreFile>, Error> {
    match fs_err::symlink_metadata(path) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    // Refuse a FIFO or device before opening it (opening a FIFO would block); O_NONBLOCK covers
    // the race of one appearing in between, and does nothing to a regular file.
    if !fs_err::metadata(path)?.is_file() {
        return Err(Error::NotAFile {
            path: path.to_owned(),
        });
    }
    let file = fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::NotAFile {
            path: path.to_owned(),
        });
    }
    if meta.len() > MAX_FILE_SIZE as u64 {
        return Err(Error::TooLarge { size: meta.len() }.in_file(path));
    }
    // The size can change between the check and the read; `take` keeps the bound regardless.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_SIZE as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_FILE_SIZE {
        return Err(Error::TooLarge {
            size: bytes.len() as u64,
        }
        .in_file(path));
    }
    KeystoreFile::parse(&bytes)
        .map(Some)
        .map_err(|e| e.in_file(path))
}

/// Atomically replaces (or creates) the keystore at `path` with `bytes`, which should come from
/// [`crate::encode`].
///
/// Errors: [`Error::TempDenied`] when the directory is not writable, [`Error::OwnerChange`] when an
/// existing keystore belongs to another user (both exit code CONFIG in Elasticsearch), otherwise
/// [`Error::Io`].
pub fn save(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let tmp = temp_path(path);
    let file = match create_temp(&tmp) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(Error::TempDenied { tmp, dir });
        }
        Err(e) => return Err(e.into()),
    };
    let result = write_and_replace(file, &tmp, path, &dir, bytes);
    if result.is_err() {
        // Best effort: the original error is the one worth reporting.
        let _ = fs_err::remove_file(&tmp);
    }
    result
}

/// Creates the temporary file exclusively (never through a symlink). A temporary file left by a
/// crashed save is removed first: it is ours, and `remove_file` unlinks a symlink, not its target.
fn create_temp(tmp: &Path) -> io::Result<fs_err::File> {
    let open = || {
        let mut options = fs_err::OpenOptions::new();
        // 0600 until the content is complete; the final mode is set explicitly below.
        options.write(true).create_new(true).mode(0o600);
        options.open(tmp)
    };
    match open() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs_err::remove_file(tmp)?;
            open()
        }
        other => other,
    }
}

fn write_and_replace(
    mut file: fs_err::File,
    tmp: &Path,
    path: &Path,
    dir: &Path,
    bytes: &[u8],
) -> Result<(), Error> {
    file.write_all(bytes)
        .map_err(|e| denied_as_temp(e, tmp, dir))?;
    // fchmod on the open file: not subject to the umask, and no path race.
    file.set_permissions(PermissionsExt::from_mode(KEYSTORE_MODE))?;
    file.sync_all()?;

    // Elasticsearch compares owners without following links (LinkOption.NOFOLLOW_LINKS).
    match fs_err::symlink_metadata(path) {
        Ok(existing) => {
            if existing.uid() != file.metadata()?.uid() {
                return Err(Error::OwnerChange {
                    path: path.to_owned(),
                });
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    drop(file);

    fs_err::rename(tmp, path)?;
    // Make the rename itself durable.
    fs_err::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Elasticsearch reports `AccessDeniedException` anywhere in writing the temporary file with the
/// same CONFIG message as failing to create it.
fn denied_as_temp(e: io::Error, tmp: &Path, dir: &Path) -> Error {
    if e.kind() == io::ErrorKind::PermissionDenied {
        Error::TempDenied {
            tmp: tmp.to_owned(),
            dir: dir.to_owned(),
        }
    } else {
        e.into()
    }
}
