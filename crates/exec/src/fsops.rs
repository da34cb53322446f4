//! File operations relative to the opened config directory, never following a link at a name the
//! run uses, and identities (device, inode) for everything created, so undo and recovery touch
//! only what this run made.
//!
//! Every created file starts as a temp file made with `O_CREAT|O_EXCL|O_NOFOLLOW` and mode 0600,
//! gets its owner and mode on the open descriptor (`fchown`, `fchmod`: never by path, never the
//! umask), is fsynced, and is renamed into place; the directory is fsynced after every rename.

use std::ffi::CStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use esac_core::RelPath;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, RenameFlags};
use nix::sys::stat::{Mode, SFlag};
use nix::unistd::{Gid, Uid, UnlinkatFlags};

/// What kind of object a name holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
    /// A symbolic link.
    Link,
    /// Anything else (FIFO, socket, device).
    Other,
}

impl Kind {
    fn of(t: std::fs::FileType) -> Self {
        if t.is_symlink() {
            Kind::Link
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other
        }
    }

    /// One letter, for the journal.
    pub fn letter(self) -> char {
        match self {
            Kind::Dir => 'd',
            Kind::File => 'f',
            Kind::Link => 'l',
            Kind::Other => 'o',
        }
    }

    /// The kind a journal letter names.
    pub fn from_letter(c: char) -> Option<Self> {
        Some(match c {
            'd' => Kind::Dir,
            'f' => Kind::File,
            'l' => Kind::Link,
            'o' => Kind::Other,
            _ => return None,
        })
    }
}

/// What an object *is*, whatever its name: device, inode, kind and birth time. Inode numbers are
/// reused as soon as an object is deleted, so a device and inode alone would let something put
/// in the place of a deleted object pass for it; the kind and the birth time (statx) do not
/// repeat. Where the file system keeps no birth time, `born` is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
    /// The kind of object.
    pub kind: Kind,
    /// Birth time: seconds and nanoseconds since 1970.
    pub born: Option<(i64, u32)>,
}

impl Identity {
    fn of_meta(m: &std::fs::Metadata) -> Self {
        let born = m.created().ok().and_then(|t| {
            let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
            Some((i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()))
        });
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            kind: Kind::of(m.file_type()),
            born,
        }
    }
}

/// What is at a name, looked at without following a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its identity.
    pub id: Identity,
    /// A directory.
    pub is_dir: bool,
    /// A regular file.
    pub is_file: bool,
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
    /// Permission bits (with setuid/setgid/sticky).
    pub mode: u32,
    /// Size in bytes.
    pub size: u64,
}

impl Entry {
    fn of_meta(m: &std::fs::Metadata) -> Self {
        Entry {
            id: Identity::of_meta(m),
            is_dir: m.file_type().is_dir(),
            is_file: m.file_type().is_file(),
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode() & 0o7777,
            size: m.len(),
        }
    }
}

/// What is at `name` in `dir`, without following a link (an `O_PATH` descriptor: no FIFO or
/// device is opened for real); `None` when nothing is there.
fn entry_at(dir: &OwnedFd, name: &str) -> io::Result<Option<Entry>> {
    match nix::fcntl::openat(
        dir,
        name,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => Ok(Some(Entry::of_meta(&File::from(fd).metadata()?))),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(io(e)),
    }
}

/// Owner and group to give a new file or directory (`None`: leave as created).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Owner {
    /// User.
    pub uid: Option<u32>,
    /// Group.
    pub gid: Option<u32>,
}

/// The running process's effective uid.
pub fn euid() -> u32 {
    Uid::effective().as_raw()
}

/// The config directory, opened once; every operation is relative to it.
pub struct ConfigDir {
    fd: OwnedFd,
    path: PathBuf,
}

fn io(e: Errno) -> io::Error {
    io::Error::from(e)
}

fn at_nofollow() -> AtFlags {
    AtFlags::AT_SYMLINK_NOFOLLOW
}

impl ConfigDir {
    /// Opens `path` (the operator's choice: a link there is followed, as Elasticsearch does).
    pub fn open(path: &Path) -> io::Result<ConfigDir> {
        let fd = nix::fcntl::open(
            path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io)?;
        Ok(ConfigDir {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// The path it was opened at (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The absolute path of `rel`, for messages.
    pub fn abs(&self, rel: &RelPath) -> PathBuf {
        self.path.join(rel.as_str())
    }

    /// What the config directory itself is.
    pub fn entry(&self) -> io::Result<Entry> {
        let dup = nix::unistd::dup(&self.fd).map_err(io)?;
        Ok(Entry::of_meta(&File::from(dup).metadata()?))
    }

    /// The directory that holds `rel`, opened without following links, and the final name.
    fn parent<'a>(&self, rel: &'a RelPath) -> io::Result<(OwnedFd, &'a str)> {
        let mut dir = nix::unistd::dup(&self.fd).map_err(io)?;
        let parts: Vec<&str> = rel.components().collect();
        let (last, dirs) = parts
            .split_last()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty path"))?;
        for d in dirs {
            dir = nix::fcntl::openat(
                &dir,
                *d,
                OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(io)?;
        }
        Ok((dir, last))
    }

    /// What is at `rel`, without following a link; `None` when nothing is there (or a directory
    /// on the way is missing).
    pub fn stat(&self, rel: &RelPath) -> io::Result<Option<Entry>> {
        let (dir, name) = match self.parent(rel) {
            Ok(p) => p,
            Err(e) if is_absent(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        entry_at(&dir, name)
    }

    /// fsync the config directory.
    pub fn sync(&self) -> io::Result<()> {
        nix::unistd::fsync(&self.fd).map_err(io)
    }

    /// fsync the directory holding `rel`.
    pub fn sync_parent(&self, rel: &RelPath) -> io::Result<()> {
        let (dir, _) = self.parent(rel)?;
        nix::unistd::fsync(&dir).map_err(io)
    }

    /// `mkdir` of a new directory, then owner and mode set on the opened directory. Fails if
    /// anything is there already.
    pub fn mkdir(&self, rel: &RelPath, mode: u32, owner: Owner) -> io::Result<Identity> {
        let (dir, name) = self.parent(rel)?;
        nix::sys::stat::mkdirat(&dir, name, Mode::from_bits_truncate(0o700)).map_err(io)?;
        let fd = nix::fcntl::openat(
            &dir,
            name,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io)?;
        let dir_file = File::from(fd);
        let meta = dir_file.metadata()?;
        if meta.uid() != euid() || !meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "[{}] was replaced by someone else's directory",
                    self.abs(rel).display()
                ),
            ));
        }
        chown_fd(&dir_file, owner)?;
        nix::sys::stat::fchmod(&dir_file, Mode::from_bits_truncate(mode)).map_err(io)?;
        nix::unistd::fsync(&dir).map_err(io)?;
        Ok(Identity::of_meta(&meta))
    }

    /// Creates `temp` exclusively, writes `bytes`, sets owner and mode on the descriptor and
    /// fsyncs it. Returns its identity; the caller records it, then calls [`ConfigDir::rename`]
    /// or [`ConfigDir::rename_new`].
    pub fn write_temp(
        &self,
        temp: &RelPath,
        bytes: &[u8],
        mode: u32,
        owner: Owner,
    ) -> io::Result<Identity> {
        let (dir, name) = self.parent(temp)?;
        let fd = nix::fcntl::openat(
            &dir,
            name,
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o600),
        )
        .map_err(io)?;
        let mut file = File::from(fd);
        let written = (|| {
            file.write_all(bytes)?;
            chown_fd(&file, owner)?;
            // After chown, which may clear setuid/setgid bits: the mode is exactly `mode`.
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            file.sync_all()?;
            file.metadata()
        })();
        match written {
            Ok(meta) => Ok(Identity::of_meta(&meta)),
            Err(e) => {
                let _ = nix::unistd::unlinkat(&dir, name, UnlinkatFlags::NoRemoveDir);
                Err(e)
            }
        }
    }

    /// Renames `from` to `to`, which must not exist (`RENAME_NOREPLACE`, or a check where the
    /// file system lacks it), then fsyncs the directories. Returns the identity of what moved.
    pub fn rename_new(&self, from: &RelPath, to: &RelPath) -> io::Result<Identity> {
        let (fdir, fname) = self.parent(from)?;
        let (tdir, tname) = self.parent(to)?;
        let moving = entry_at(&fdir, fname)?.ok_or_else(|| io(Errno::ENOENT))?;
        match nix::fcntl::renameat2(&fdir, fname, &tdir, tname, RenameFlags::RENAME_NOREPLACE) {
            Ok(()) => {}
            Err(Errno::EINVAL | Errno::ENOSYS) => {
                match nix::sys::stat::fstatat(&tdir, tname, at_nofollow()) {
                    Err(Errno::ENOENT) => {}
                    Ok(_) => return Err(io(Errno::EEXIST)),
                    Err(e) => return Err(io(e)),
                }
                nix::fcntl::renameat(&fdir, fname, &tdir, tname).map_err(io)?;
            }
            Err(e) => return Err(io(e)),
        }
        nix::unistd::fsync(&tdir).map_err(io)?;
        if from.parent() != to.parent() {
            nix::unistd::fsync(&fdir).map_err(io)?;
        }
        Ok(moving.id)
    }

    /// Renames `from` over `to` (which may exist: an atomic replace), then fsyncs the directory.
    pub fn rename(&self, from: &RelPath, to: &RelPath) -> io::Result<()> {
        let (fdir, fname) = self.parent(from)?;
        let (tdir, tname) = self.parent(to)?;
        nix::fcntl::renameat(&fdir, fname, &tdir, tname).map_err(io)?;
        nix::unistd::fsync(&tdir).map_err(io)?;
        if from.parent() != to.parent() {
            nix::unistd::fsync(&fdir).map_err(io)?;
        }
        Ok(())
    }

    /// A second name `backup` for the file `target` (a hard link: same inode, never following a
    /// link). Where the file system has no hard links, a copy made exclusively that keeps mode,
    /// owner and modification time (Elasticsearch's `COPY_ATTRIBUTES`). Returns the backup's
    /// identity.
    pub fn backup(&self, target: &RelPath, backup: &RelPath) -> io::Result<Identity> {
        let (tdir, tname) = self.parent(target)?;
        let (bdir, bname) = self.parent(backup)?;
        let st = nix::sys::stat::fstatat(&tdir, tname, at_nofollow()).map_err(io)?;
        let original = entry_at(&tdir, tname)?.ok_or_else(|| io(Errno::ENOENT))?;
        if !original.is_file {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("[{}] is not a regular file", self.abs(target).display()),
            ));
        }
        match nix::unistd::linkat(&tdir, tname, &bdir, bname, AtFlags::empty()) {
            Ok(()) => {
                nix::unistd::fsync(&bdir).map_err(io)?;
                return Ok(original.id);
            }
            Err(Errno::EPERM | Errno::ENOTSUP | Errno::EXDEV | Errno::EMLINK) => {}
            Err(e) => return Err(io(e)),
        }
        let bytes = self.read(target, u64::MAX / 2)?;
        let entry = original;
        let id = self.write_temp(
            backup,
            &bytes,
            entry.mode,
            Owner {
                uid: (euid() == 0).then_some(entry.uid),
                gid: Some(entry.gid),
            },
        )?;
        let (bdir, bname) = self.parent(backup)?;
        let fd = nix::fcntl::openat(
            &bdir,
            bname,
            OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io)?;
        let mtime = nix::sys::time::TimeSpec::new(st.st_mtime, st.st_mtime_nsec);
        nix::sys::stat::futimens(&fd, &mtime, &mtime).map_err(io)?;
        nix::unistd::fsync(&bdir).map_err(io)?;
        Ok(id)
    }

    /// Opens an existing regular file for appending, without following a link.
    pub fn open_append(&self, rel: &RelPath) -> io::Result<File> {
        let (dir, name) = self.parent(rel)?;
        let fd = nix::fcntl::openat(
            &dir,
            name,
            OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io)?;
        Ok(File::from(fd))
    }

    /// Rewrites the regular file `rel` in place (same inode, owner, group and mode), from `old`
    /// (its current content) to `new`: when `new` starts with `old`, only the suffix is written
    /// at the old length; otherwise the whole content is written from the start and the file
    /// truncated. Then fsync, and the result is read back and compared. `stop_half_way` (tests)
    /// writes half of what it would and returns an error.
    pub fn write_in_place(
        &self,
        rel: &RelPath,
        old: &[u8],
        new: &[u8],
        stop_half_way: bool,
    ) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let (dir, name) = self.parent(rel)?;
        let fd = nix::fcntl::openat(
            &dir,
            name,
            OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io)?;
        let file = File::from(fd);
        if !file.metadata()?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("[{}] is not a regular file", self.abs(rel).display()),
            ));
        }
        let (offset, bytes) = match new.strip_prefix(old) {
            Some(suffix) => (old.len(), suffix),
            None => (0, new),
        };
        let bytes = if stop_half_way {
            &bytes[..bytes.len() / 2]
        } else {
            bytes
        };
        file.write_all_at(bytes, offset as u64)?;
        if stop_half_way {
            file.sync_all()?;
            return Err(io::Error::other("stopped half-way (test)"));
        }
        file.set_len(new.len() as u64)?;
        file.sync_all()?;
        let back = self.read(rel, new.len() as u64)?;
        if back != new {
            return Err(io::Error::other(format!(
                "[{}] does not hold what was written",
                self.abs(rel).display()
            )));
        }
        Ok(())
    }

    /// Gives `to` the access and modification times of `from` (neither followed if a link).
    pub fn copy_times(&self, from: &RelPath, to: &RelPath) -> io::Result<()> {
        let (fdir, fname) = self.parent(from)?;
        let st = nix::sys::stat::fstatat(&fdir, fname, at_nofollow()).map_err(io)?;
        let (tdir, tname) = self.parent(to)?;
        nix::sys::stat::utimensat(
            &tdir,
            tname,
            &nix::sys::time::TimeSpec::new(st.st_atime, st.st_atime_nsec),
            &nix::sys::time::TimeSpec::new(st.st_mtime, st.st_mtime_nsec),
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        )
        .map_err(io)
    }

    /// Makes `new` differ from `old` in size or in modification time counted in milliseconds,
    /// the two things Elasticsearch's file watcher compares: when both are equal, `new`'s mtime
    /// becomes `old`'s plus one millisecond. `new` never gets `old`'s mtime. Nothing to do when
    /// `old` does not exist.
    pub fn differ_from(&self, new: &RelPath, old: &RelPath) -> io::Result<()> {
        let (odir, oname) = self.parent(old)?;
        let o = match nix::sys::stat::fstatat(&odir, oname, at_nofollow()) {
            Ok(o) => o,
            Err(Errno::ENOENT) => return Ok(()),
            Err(e) => return Err(io(e)),
        };
        let (ndir, nname) = self.parent(new)?;
        let n = nix::sys::stat::fstatat(&ndir, nname, at_nofollow()).map_err(io)?;
        let millis = |secs: i64, nanos: i64| secs * 1000 + nanos / 1_000_000;
        if n.st_size != o.st_size
            || millis(n.st_mtime, n.st_mtime_nsec) != millis(o.st_mtime, o.st_mtime_nsec)
        {
            return Ok(());
        }
        let next = millis(o.st_mtime, o.st_mtime_nsec) + 1;
        nix::sys::stat::utimensat(
            &ndir,
            nname,
            &nix::sys::time::TimeSpec::UTIME_OMIT,
            &nix::sys::time::TimeSpec::new(
                next.div_euclid(1000),
                next.rem_euclid(1000) * 1_000_000,
            ),
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        )
        .map_err(io)
    }

    /// Whether `rel` is a directory (not a link) with no entries.
    pub fn is_empty_dir(&self, rel: &RelPath) -> io::Result<bool> {
        let (dir, name) = self.parent(rel)?;
        let fd = match nix::fcntl::openat(
            &dir,
            name,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::ENOENT | Errno::ENOTDIR | Errno::ELOOP) => return Ok(false),
            Err(e) => return Err(io(e)),
        };
        let mut d = nix::dir::Dir::from_fd(fd).map_err(io)?;
        for entry in d.iter() {
            let entry = entry.map_err(io)?;
            let n = entry.file_name().to_bytes();
            if n != b"." && n != b".." {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Reads a regular file (no link followed, no FIFO hang), at most `max` bytes.
    pub fn read(&self, rel: &RelPath, max: u64) -> io::Result<Vec<u8>> {
        self.read_identified(rel, max).map(|(bytes, _)| bytes)
    }

    /// [`ConfigDir::read`], with the identity of the file that was read (from the same
    /// descriptor), so a later step can tell whether it was replaced since.
    pub fn read_identified(&self, rel: &RelPath, max: u64) -> io::Result<(Vec<u8>, Identity)> {
        let (dir, name) = self.parent(rel)?;
        let fd = nix::fcntl::openat(
            &dir,
            name,
            OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(io)?;
        let file = File::from(fd);
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("[{}] is not a regular file", self.abs(rel).display()),
            ));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(max)).unwrap_or(0));
        file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("[{}] is larger than {max} bytes", self.abs(rel).display()),
            ));
        }
        Ok((bytes, Identity::of_meta(&meta)))
    }

    /// Removes the file at `rel` if it is `expect` (or anything, when `expect` is `None`); a
    /// missing file is fine. A link is removed, never followed.
    pub fn remove_file(&self, rel: &RelPath, expect: Option<Identity>) -> io::Result<()> {
        let (dir, name) = match self.parent(rel) {
            Ok(p) => p,
            Err(e) if is_absent(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        match entry_at(&dir, name)? {
            None => return Ok(()),
            Some(e) => check_identity(self, rel, &e, expect)?,
        }
        nix::unistd::unlinkat(&dir, name, UnlinkatFlags::NoRemoveDir).map_err(io)?;
        nix::unistd::fsync(&dir).map_err(io)
    }

    /// Removes the directory at `rel` and everything in it, if it is `expect` (or anything, when
    /// `expect` is `None`); a missing one is fine. Links inside are removed, never followed.
    pub fn remove_tree(&self, rel: &RelPath, expect: Option<Identity>) -> io::Result<()> {
        let (dir, name) = match self.parent(rel) {
            Ok(p) => p,
            Err(e) if is_absent(&e) => return Ok(()),
            Err(e) => return Err(e),
        };
        let Some(found) = entry_at(&dir, name)? else {
            return Ok(());
        };
        check_identity(self, rel, &found, expect)?;
        if found.is_dir {
            remove_contents(&dir, name, 0)?;
            nix::unistd::unlinkat(&dir, name, UnlinkatFlags::RemoveDir).map_err(io)?;
        } else {
            nix::unistd::unlinkat(&dir, name, UnlinkatFlags::NoRemoveDir).map_err(io)?;
        }
        nix::unistd::fsync(&dir).map_err(io)
    }
}

fn check_identity(
    config: &ConfigDir,
    rel: &RelPath,
    found: &Entry,
    expect: Option<Identity>,
) -> io::Result<()> {
    match expect {
        Some(id) if id != found.id => Err(not_ours(config, rel)),
        _ => Ok(()),
    }
}

/// The error for an object that is not the one this run created.
pub fn not_ours(config: &ConfigDir, rel: &RelPath) -> io::Error {
    io::Error::other(format!(
        "[{}] is no longer what this run created; left as it is",
        config.abs(rel).display()
    ))
}

fn is_absent(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(c) if c == Errno::ENOENT as i32)
}

const MAX_DEPTH: usize = 16;

/// Empties the directory `name` in `parent` without following links.
pub(crate) fn remove_contents(parent: &OwnedFd, name: &str, depth: usize) -> io::Result<()> {
    if depth > MAX_DEPTH {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "directory tree too deep",
        ));
    }
    let fd = nix::fcntl::openat(
        parent,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(io)?;
    let keep = nix::unistd::dup(&fd).map_err(io)?;
    let mut dir = nix::dir::Dir::from_fd(fd).map_err(io)?;
    let mut names: Vec<(std::ffi::CString, bool)> = Vec::new();
    for entry in dir.iter() {
        let entry = entry.map_err(io)?;
        let n: &CStr = entry.file_name();
        if n.to_bytes() == b"." || n.to_bytes() == b".." {
            continue;
        }
        let is_dir = match entry.file_type() {
            Some(t) => t == nix::dir::Type::Directory,
            None => nix::sys::stat::fstatat(&keep, n, at_nofollow())
                .map(|st| SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
                .map_err(io)?,
        };
        names.push((n.to_owned(), is_dir));
    }
    for (n, is_dir) in names {
        if is_dir {
            let text = n.to_str().map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, "a non-UTF-8 name in the tree")
            })?;
            remove_contents(&keep, text, depth + 1)?;
            nix::unistd::unlinkat(&keep, n.as_c_str(), UnlinkatFlags::RemoveDir).map_err(io)?;
        } else {
            nix::unistd::unlinkat(&keep, n.as_c_str(), UnlinkatFlags::NoRemoveDir).map_err(io)?;
        }
    }
    Ok(())
}

fn chown_fd(fd: impl AsFd, owner: Owner) -> io::Result<()> {
    if owner.uid.is_none() && owner.gid.is_none() {
        return Ok(());
    }
    nix::unistd::fchown(
        fd,
        owner.uid.map(Uid::from_raw),
        owner.gid.map(Gid::from_raw),
    )
    .map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(s: &str) -> RelPath {
        RelPath::new(s).unwrap()
    }

    #[test]
    fn nothing_is_followed_through_a_planted_link() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, t.path().join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), t.path().join("dirlink")).unwrap();
        let c = ConfigDir::open(t.path()).unwrap();
        assert!(c
            .write_temp(&rel("link"), b"x", 0o600, Owner::default())
            .is_err());
        assert!(c.read(&rel("link"), 100).is_err());
        assert!(c
            .write_temp(&rel("dirlink/new"), b"x", 0o600, Owner::default())
            .is_err());
        assert!(c.mkdir(&rel("dirlink/d"), 0o750, Owner::default()).is_err());
        c.remove_tree(&rel("dirlink"), None).unwrap();
        c.remove_file(&rel("link"), None).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(outside.path().exists());
    }

    #[test]
    fn a_replacement_never_looks_unchanged_to_a_size_and_mtime_watcher() {
        use std::os::unix::fs::MetadataExt;
        let t = tempfile::tempdir().unwrap();
        let c = ConfigDir::open(t.path()).unwrap();
        std::fs::write(t.path().join("old"), b"same size").unwrap();
        std::fs::write(t.path().join("new"), b"SAME SIZE").unwrap();
        std::fs::write(t.path().join("longer"), b"another size").unwrap();
        let when =
            std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        for name in ["old", "new", "longer"] {
            let f = std::fs::File::options()
                .write(true)
                .open(t.path().join(name))
                .unwrap();
            f.set_modified(when).unwrap();
        }
        let mtime_ns = |n: &str| {
            let m = std::fs::metadata(t.path().join(n)).unwrap();
            m.mtime() * 1_000_000_000 + m.mtime_nsec()
        };
        c.differ_from(&rel("new"), &rel("old")).unwrap();
        assert_eq!(
            mtime_ns("new"),
            mtime_ns("old") + 1_000_000,
            "one millisecond later"
        );
        c.differ_from(&rel("longer"), &rel("old")).unwrap();
        assert_eq!(
            mtime_ns("longer"),
            mtime_ns("old"),
            "the size differs already"
        );
        c.differ_from(&rel("new"), &rel("absent")).unwrap();
    }

    #[test]
    fn identities_guard_removal() {
        let t = tempfile::tempdir().unwrap();
        let c = ConfigDir::open(t.path()).unwrap();
        let id = c.mkdir(&rel("d"), 0o750, Owner::default()).unwrap();
        let f = c
            .write_temp(&rel("d/f"), b"x", 0o640, Owner::default())
            .unwrap();
        assert_eq!(c.stat(&rel("d/f")).unwrap().unwrap().mode, 0o640);
        assert_eq!(c.stat(&rel("d")).unwrap().unwrap().mode, 0o750);
        assert!(c.remove_file(&rel("d/f"), Some(id)).is_err());
        assert!(c.stat(&rel("d/f")).unwrap().is_some());
        c.remove_file(&rel("d/f"), Some(f)).unwrap();
        std::fs::create_dir(t.path().join("d/sub")).unwrap();
        std::fs::write(t.path().join("d/sub/x"), "x").unwrap();
        c.remove_tree(&rel("d"), Some(id)).unwrap();
        assert!(c.stat(&rel("d")).unwrap().is_none());
        c.remove_tree(&rel("d"), Some(id)).unwrap();
    }

    #[test]
    fn rename_new_never_replaces() {
        let t = tempfile::tempdir().unwrap();
        let c = ConfigDir::open(t.path()).unwrap();
        let a = c
            .write_temp(&rel("a"), b"a", 0o600, Owner::default())
            .unwrap();
        c.write_temp(&rel("b"), b"b", 0o600, Owner::default())
            .unwrap();
        assert!(c.rename_new(&rel("a"), &rel("b")).is_err());
        assert_eq!(c.rename_new(&rel("a"), &rel("c")).unwrap(), a);
        let backup = c.backup(&rel("c"), &rel("c.orig")).unwrap();
        assert_eq!(backup, a);
        assert_eq!(c.read(&rel("c.orig"), 10).unwrap(), b"a");
        assert!(c.read(&rel("c.orig"), 0).is_err());
    }
}
