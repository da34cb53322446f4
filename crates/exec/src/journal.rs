//! The journal of a run in progress: `<config>/.es-autoconf.journal`.
//!
//! Write-ahead: every record that describes a change is appended and fsynced *before* the change
//! is made, with the identity (device, inode) that proves the change was this run's. Records:
//!
//! ```text
//! es-autoconf journal 2
//! operation initial
//! epoch 1700000000
//! yml <sha256 before> <sha256 after>           (when the run changes elasticsearch.yml)
//! data <hex of an absolute data directory path that was empty>
//! begin <step>
//! temp <step> <relpath>                          a temp file may exist (created exclusively)
//! undo <step> rmdir <relpath> <id>               a directory this run created
//! undo <step> rm <relpath> <id>                  a file this run created
//! undo <step> rename <from> <to> <id>            moved from -> to (about to be)
//! undo <step> restore <target> <backup> <id>     backup is (about to be) a link to target
//! undo <step> rewrite <target> <copy> <id> <new> <id>
//!                                                target is (about to be) rewritten in place;
//!                                                copy holds its old content, new the new one
//! prepared <step> <relpath> <id>                 the replacement about to be renamed over relpath
//! clean <relpath> <id>                           removed once committed
//! commit <step> <relpath> <id>                   the commit's replacement, about to be renamed
//! committed
//! ```
//!
//! An `<id>` is `<dev> <ino> <kind><birth>`: device, inode, `d`/`f`/`l`/`o`, and the birth time
//! as `secs.nanos` (`-` where the file system keeps none), so a reused inode number is not
//! mistaken for the object the run made.
//!
//! The file is created complete (temp file, fsync, exclusive rename), appended with `O_APPEND`
//! and fsynced after each record. It is read back only if it is a regular file owned by the
//! effective user with mode 0600, at most [`MAX_JOURNAL_BYTES`], and every path in it must be a
//! valid [`RelPath`] inside the config directory; an incomplete last line is ignored (its change
//! had not started).

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use esac_core::{Layout, RelPath, StepId};

use crate::fsops::{euid, ConfigDir, Identity, Owner};

/// The largest journal read back.
pub const MAX_JOURNAL_BYTES: u64 = 64 * 1024;
const MAGIC: &str = "es-autoconf journal 2";

/// How one recorded change is undone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UndoRecord {
    /// Remove the directory this run created.
    RemoveDir {
        /// Where.
        path: RelPath,
        /// What it is.
        id: Identity,
    },
    /// Remove the file this run created.
    RemoveFile {
        /// Where.
        path: RelPath,
        /// What it is.
        id: Identity,
    },
    /// Rename `to` back to `from`.
    RenameBack {
        /// The original name.
        from: RelPath,
        /// The new name.
        to: RelPath,
        /// What was moved.
        id: Identity,
    },
    /// `target` is rewritten in place (a bind mount cannot be renamed over); `copy` holds its
    /// old content: write it back in place.
    RewriteFrom {
        /// The rewritten file.
        target: RelPath,
        /// The copy of its old content.
        copy: RelPath,
        /// The copy's identity.
        id: Identity,
        /// The file holding the new content (kept until the commit), so recovery can tell a
        /// rewrite torn half-way from a file someone changed since.
        new: RelPath,
        /// Its identity.
        new_id: Identity,
    },
    /// `backup` is a second link to `target`'s original inode `id`: put it back.
    RestoreBackup {
        /// The backed-up file.
        target: RelPath,
        /// The backup.
        backup: RelPath,
        /// The original inode.
        id: Identity,
    },
}

/// One journal record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A step started.
    Begin(StepId),
    /// A temp file of this step may exist.
    Temp(StepId, RelPath),
    /// A change and its undo.
    Undo(StepId, UndoRecord),
    /// The replacement of `path` (identity `id`) is about to be renamed over it.
    Prepared(StepId, RelPath, Identity),
    /// To remove once committed.
    Clean(RelPath, Identity),
    /// The commit's replacement of `path` (identity `id`) is about to be renamed over it: once
    /// `path` is that inode, the run has committed.
    Commit(StepId, RelPath, Identity),
    /// The commit point has passed.
    Committed,
}

/// A journal as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalData {
    /// The operation's name.
    pub operation: String,
    /// The run's epoch.
    pub epoch: i64,
    /// SHA-256 (hex) of the yml before the run and of the yml it writes, when it changes it.
    pub yml: Option<(String, String)>,
    /// Data directories that were empty when the run started.
    pub data_dirs: Vec<PathBuf>,
    /// The records, in order.
    pub records: Vec<Record>,
}

impl JournalData {
    /// Whether the commit record is there.
    pub fn committed(&self) -> bool {
        self.records.contains(&Record::Committed)
    }
}

/// An open journal, appended to by the executor.
pub struct Journal {
    file: File,
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 8192 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Removes a journal temp file left by a run killed before it renamed its journal into place
/// (the caller holds the lock, so no live run owns it). Only a regular file of this user is
/// removed; anything else there is an error, left as it is.
pub fn remove_stray_temp(config: &ConfigDir, layout: &Layout) -> io::Result<()> {
    let temp = layout.journal_temp();
    match config.stat(&temp)? {
        None => Ok(()),
        Some(e) if e.is_file && e.uid == euid() => config.remove_file(&temp, Some(e.id)),
        Some(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "[{}] is in the way and is not a file of this user",
                config.abs(&temp).display()
            ),
        )),
    }
}
impl Journal {
    /// Creates the journal with its header, durably, failing if one exists.
    pub fn create(
        config: &ConfigDir,
        layout: &Layout,
        operation: &str,
        yml: Option<(&str, &str)>,
        data_dirs: &[PathBuf],
    ) -> io::Result<Journal> {
        use std::os::unix::ffi::OsStrExt;
        let mut text = format!("{MAGIC}\noperation {operation}\nepoch {}\n", layout.epoch());
        if let Some((before, after)) = yml {
            text.push_str(&format!("yml {before} {after}\n"));
        }
        for d in data_dirs {
            text.push_str(&format!("data {}\n", hex(d.as_os_str().as_bytes())));
        }
        let path = layout.journal();
        let temp = layout.journal_temp();
        remove_stray_temp(config, layout)?;
        let id = config.write_temp(&temp, text.as_bytes(), 0o600, Owner::default())?;
        if let Err(e) = config.rename_new(&temp, &path) {
            let _ = config.remove_file(&temp, Some(id));
            return Err(e);
        }
        Ok(Journal {
            file: config.open_append(&path)?,
        })
    }

    /// Appends a record durably.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        self.append_all(std::slice::from_ref(record))
    }

    /// Appends records durably with one write and one `fdatasync`: records that describe one
    /// change together cost one sync.
    pub fn append_all(&mut self, records: &[Record]) -> io::Result<()> {
        let mut text = String::new();
        for r in records {
            text.push_str(&render(r));
            text.push('\n');
        }
        self.file.write_all(text.as_bytes())?;
        self.file.sync_data()
    }
}

fn id_text(id: Identity) -> String {
    let born = match id.born {
        Some((secs, nanos)) => format!("{secs}.{nanos:09}"),
        None => "-".into(),
    };
    format!("{} {} {}{born}", id.dev, id.ino, id.kind.letter())
}

fn render(r: &Record) -> String {
    match r {
        Record::Begin(s) => format!("begin {s}"),
        Record::Temp(s, p) => format!("temp {s} {p}"),
        Record::Undo(s, u) => match u {
            UndoRecord::RemoveDir { path, id } => format!("undo {s} rmdir {path} {}", id_text(*id)),
            UndoRecord::RemoveFile { path, id } => format!("undo {s} rm {path} {}", id_text(*id)),
            UndoRecord::RenameBack { from, to, id } => {
                format!("undo {s} rename {from} {to} {}", id_text(*id))
            }
            UndoRecord::RestoreBackup { target, backup, id } => {
                format!("undo {s} restore {target} {backup} {}", id_text(*id))
            }
            UndoRecord::RewriteFrom {
                target,
                copy,
                id,
                new,
                new_id,
            } => format!(
                "undo {s} rewrite {target} {copy} {} {new} {}",
                id_text(*id),
                id_text(*new_id)
            ),
        },
        Record::Prepared(s, p, id) => format!("prepared {s} {p} {}", id_text(*id)),
        Record::Clean(p, id) => format!("clean {p} {}", id_text(*id)),
        Record::Commit(s, p, id) => format!("commit {s} {p} {}", id_text(*id)),
        Record::Committed => "committed".into(),
    }
}

/// Why a journal could not be read back.
#[derive(Debug)]
pub enum ReadError {
    /// It could not be opened or read.
    Io(io::Error),
    /// It is not a journal this program wrote: wrong type, owner, mode, size or content.
    Untrusted(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Untrusted(why) => f.write_str(why),
        }
    }
}

/// Reads the journal, if there is one.
pub fn read(config: &ConfigDir, layout: &Layout) -> Result<Option<JournalData>, ReadError> {
    let path = layout.journal();
    let shown = config.abs(&path).display().to_string();
    let Some(entry) = config.stat(&path).map_err(ReadError::Io)? else {
        return Ok(None);
    };
    if !entry.is_file || entry.uid != euid() || entry.mode & 0o7777 != 0o600 {
        return Err(ReadError::Untrusted(format!(
            "[{shown}] is not a regular file of mode 0600 owned by this user (uid {}); it was not written by es-autoconf",
            euid()
        )));
    }
    let bytes = config
        .read(&path, MAX_JOURNAL_BYTES)
        .map_err(ReadError::Io)?;
    parse(&bytes).map(Some).map_err(|why| {
        ReadError::Untrusted(format!(
            "[{shown}] is not a journal es-autoconf can read: {why}"
        ))
    })
}

/// Parses journal bytes. Never panics.
pub fn parse(bytes: &[u8]) -> Result<JournalData, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    // Only complete lines count: an unfinished last record's change had not started.
    let complete = match text.rfind('\n') {
        Some(i) => &text[..i],
        None => "",
    };
    let mut lines = complete.lines();
    if lines.next() != Some(MAGIC) {
        return Err("unknown format".into());
    }
    let mut field = |key: &str| -> Result<Vec<String>, String> {
        let line = lines.next().ok_or_else(|| format!("no {key} line"))?;
        let mut words = line.split(' ');
        if words.next() != Some(key) {
            return Err(format!("expected {key}"));
        }
        Ok(words.map(str::to_owned).collect())
    };
    let operation = field("operation")?.join(" ");
    let epoch = field("epoch")?
        .first()
        .and_then(|e| e.parse::<i64>().ok())
        .ok_or("bad epoch")?;
    let mut yml = None;
    let mut data_dirs = Vec::new();
    let mut records = Vec::new();
    for line in lines {
        if line.len() > 1024 {
            return Err("line too long".into());
        }
        let w: Vec<&str> = line.split(' ').collect();
        let step = |s: &str| StepId::from_name(s).ok_or_else(|| format!("unknown step [{s}]"));
        let rel = |s: &str| RelPath::new(s).map_err(|e| e.to_string());
        let id = |dev: &str, ino: &str, what: &str| -> Result<Identity, String> {
            let mut chars = what.chars();
            let kind = chars
                .next()
                .and_then(crate::fsops::Kind::from_letter)
                .ok_or("bad kind")?;
            let rest = chars.as_str();
            let born = if rest == "-" {
                None
            } else {
                let (secs, nanos) = rest.split_once('.').ok_or("bad birth time")?;
                Some((
                    secs.parse().map_err(|_| "bad birth time")?,
                    nanos.parse().map_err(|_| "bad birth time")?,
                ))
            };
            Ok(Identity {
                dev: dev.parse().map_err(|_| "bad device")?,
                ino: ino.parse().map_err(|_| "bad inode")?,
                kind,
                born,
            })
        };
        let record = match w.as_slice() {
            ["yml", before, after] if yml.is_none() && records.is_empty() => {
                yml = Some(((*before).to_owned(), (*after).to_owned()));
                continue;
            }
            ["data", h] => {
                use std::os::unix::ffi::OsStrExt;
                let bytes = unhex(h).ok_or("bad data line")?;
                let p = PathBuf::from(std::ffi::OsStr::from_bytes(&bytes));
                if !p.is_absolute() {
                    return Err("a data directory that is not absolute".into());
                }
                data_dirs.push(p);
                continue;
            }
            ["begin", s] => Record::Begin(step(s)?),
            ["temp", s, p] => Record::Temp(step(s)?, rel(p)?),
            ["undo", s, "rmdir", p, d, i, k] => Record::Undo(
                step(s)?,
                UndoRecord::RemoveDir {
                    path: rel(p)?,
                    id: id(d, i, k)?,
                },
            ),
            ["undo", s, "rm", p, d, i, k] => Record::Undo(
                step(s)?,
                UndoRecord::RemoveFile {
                    path: rel(p)?,
                    id: id(d, i, k)?,
                },
            ),
            ["undo", s, "rename", f, t, d, i, k] => Record::Undo(
                step(s)?,
                UndoRecord::RenameBack {
                    from: rel(f)?,
                    to: rel(t)?,
                    id: id(d, i, k)?,
                },
            ),
            ["undo", s, "restore", t, b, d, i, k] => Record::Undo(
                step(s)?,
                UndoRecord::RestoreBackup {
                    target: rel(t)?,
                    backup: rel(b)?,
                    id: id(d, i, k)?,
                },
            ),
            ["undo", s, "rewrite", t, c, d, i, k, n, nd, ni, nk] => Record::Undo(
                step(s)?,
                UndoRecord::RewriteFrom {
                    target: rel(t)?,
                    copy: rel(c)?,
                    id: id(d, i, k)?,
                    new: rel(n)?,
                    new_id: id(nd, ni, nk)?,
                },
            ),
            ["prepared", s, p, d, i, k] => Record::Prepared(step(s)?, rel(p)?, id(d, i, k)?),
            ["clean", p, d, i, k] => Record::Clean(rel(p)?, id(d, i, k)?),
            ["commit", s, p, d, i, k] => Record::Commit(step(s)?, rel(p)?, id(d, i, k)?),
            ["committed"] => Record::Committed,
            _ => {
                return Err(format!(
                    "unknown record [{}]",
                    line.chars().take(60).collect::<String>()
                ))
            }
        };
        records.push(record);
    }
    Ok(JournalData {
        operation,
        epoch,
        yml,
        data_dirs,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let c = ConfigDir::open(t.path()).unwrap();
        let layout = Layout::new(t.path(), 42);
        let mut j = Journal::create(
            &c,
            &layout,
            "initial",
            Some(("aa", "bb")),
            &[PathBuf::from("/var/lib/my data")],
        )
        .unwrap();
        let id = Identity {
            dev: 1,
            ino: 2,
            kind: crate::fsops::Kind::Dir,
            born: Some((1_700_000_000, 5)),
        };
        let p = RelPath::new("certs.42.tmp").unwrap();
        let records = vec![
            Record::Begin(StepId::StagingDir),
            Record::Undo(
                StepId::StagingDir,
                UndoRecord::RemoveDir {
                    path: p.clone(),
                    id,
                },
            ),
            Record::Temp(StepId::WriteYml, layout.temp_for(&layout.yml())),
            Record::Undo(
                StepId::MoveCerts,
                UndoRecord::RenameBack {
                    from: layout.certs(),
                    to: layout.certs_backup(),
                    id,
                },
            ),
            Record::Undo(
                StepId::KeystoreBackup,
                UndoRecord::RestoreBackup {
                    target: layout.keystore(),
                    backup: layout.keystore_backup(),
                    id,
                },
            ),
            Record::Prepared(StepId::WriteYml, layout.yml(), id),
            Record::Undo(
                StepId::WriteYml,
                UndoRecord::RewriteFrom {
                    target: layout.yml(),
                    copy: layout.copy_for(&layout.yml()),
                    id,
                    new: layout.temp_for(&layout.yml()),
                    new_id: id,
                },
            ),
            Record::Clean(layout.keystore_backup(), id),
            Record::Commit(StepId::WriteYml, layout.yml(), id),
            Record::Committed,
        ];
        for r in &records {
            j.append(r).unwrap();
        }
        let back = read(&c, &layout).unwrap().unwrap();
        assert_eq!(back.records, records);
        assert_eq!(back.epoch, 42);
        assert_eq!(back.data_dirs, [PathBuf::from("/var/lib/my data")]);
        assert_eq!(back.yml, Some(("aa".into(), "bb".into())));
        assert!(back.committed());
        // A torn last line is not a record.
        let mut bytes = std::fs::read(t.path().join(".es-autoconf.journal")).unwrap();
        bytes.extend_from_slice(b"undo staging_dir rmdir certs");
        assert_eq!(parse(&bytes).unwrap().records, records);
    }

    #[test]
    fn hostile_journals_are_refused_not_followed() {
        for bad in [
            &b"es-autoconf journal 2\noperation x\nepoch 1\nyml a b\nundo generate rm ../etc/passwd 1 2 f-\n"[..],
            b"es-autoconf journal 2\noperation x\nepoch 1\nyml a b\nundo generate rm /etc/passwd 1 2 f-\n",
            b"es-autoconf journal 2\noperation x\nepoch 1\nyml a b\nundo generate rm a 1 2 x-\n",
            b"es-autoconf journal 2\noperation x\nepoch 1\nyml a b\nundo generate rm a 1 2 f1.x\n",
            b"es-autoconf journal 2\noperation x\nepoch zz\nyml a b\n",
            b"es-autoconf journal 2\noperation x\nepoch 1\nbegin journal\nyml a b\n",
            b"es-autoconf journal 1\nepoch=1\n",
            b"\xff\xfe",
            b"",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let t = tempfile::tempdir().unwrap();
        let c = ConfigDir::open(t.path()).unwrap();
        let layout = Layout::new(t.path(), 1);
        let j = t.path().join(".es-autoconf.journal");
        std::fs::write(&j, "es-autoconf journal 2\noperation x\nepoch 1\nyml a b\n").unwrap();
        std::fs::set_permissions(&j, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        assert!(matches!(read(&c, &layout), Err(ReadError::Untrusted(_))));
        std::fs::remove_file(&j).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &j).unwrap();
        assert!(matches!(read(&c, &layout), Err(ReadError::Untrusted(_))));
    }
}
