//! Undo, shared by the in-process rollback and by recovery from a run that was killed.
//!
//! Recovery proves identity before it touches anything: every object the journal names must be
//! either in the state before its change or in the state after it (the recorded device and
//! inode), the yml must hold the text from before the run, and no data directory may have been
//! written to since. If anything else is found, nothing is touched, the journal stays, and the
//! findings are returned, so that a later run can never destroy what its interrupted
//! predecessor did not create.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use esac_core::{Layout, RelPath};

use crate::fsops::{euid, ConfigDir, Identity};
use crate::journal::{self, JournalData, Record, UndoRecord};

/// What recovery did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// No interrupted run.
    Nothing,
    /// The interrupted run (its epoch) had committed; its leftovers were removed.
    Completed(i64),
    /// The interrupted run (its epoch) had not committed; what it had done was undone.
    RolledBack(i64),
}

/// Why recovery did not run.
#[derive(Debug)]
pub enum RecoveryError {
    /// The journal cannot be trusted or read; it was left in place.
    Untrusted {
        /// The journal.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The config directory changed since the interrupted run; nothing was touched.
    Changed {
        /// The journal, kept.
        path: PathBuf,
        /// The interrupted run's epoch.
        epoch: i64,
        /// What was found, one finding per entry.
        findings: Vec<String>,
    },
    /// Undoing failed part-way (an I/O error); the journal was kept so a later run resumes.
    Io {
        /// The journal.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
}

impl std::fmt::Display for RecoveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecoveryError::Untrusted { path, why } => write!(
                f,
                "found [{}] but did not use it: {why}; nothing was changed. If no es-autoconf run is in progress, inspect and remove it",
                path.display()
            ),
            RecoveryError::Changed {
                path,
                epoch,
                findings,
            } => write!(
                f,
                "an interrupted es-autoconf run (epoch {epoch}) left [{}], but the configuration changed since it stopped:\n  - {}\nNothing was touched. Check the configuration; if it is what you want, remove [{}] and the run's leftovers ({}) yourself",
                path.display(),
                findings.join("\n  - "),
                path.display(),
                format_args!("*.{epoch}.tmp, *.{epoch}.orig")
            ),
            RecoveryError::Io { path, source } => write!(
                f,
                "cannot finish undoing the interrupted run recorded in [{}]: {source}; it was kept so the next run resumes",
                path.display()
            ),
        }
    }
}

/// Finishes or undoes a run that was killed. Call with the config directory locked.
pub fn recover(config_dir: &Path) -> Result<Recovery, RecoveryError> {
    let journal_path = config_dir.join(esac_core::layout::JOURNAL);
    let io_err = |source| RecoveryError::Io {
        path: journal_path.clone(),
        source,
    };
    let config = ConfigDir::open(config_dir).map_err(io_err)?;
    // The epoch is unknown until the journal is read; the journal's name does not depend on it.
    let probe = Layout::new(config_dir, 0);
    let data = match journal::read(&config, &probe) {
        Ok(None) => {
            // A run killed while it wrote its journal had changed nothing else.
            journal::remove_stray_temp(&config, &probe).map_err(io_err)?;
            return Ok(Recovery::Nothing);
        }
        Ok(Some(d)) => d,
        Err(e) => {
            return Err(RecoveryError::Untrusted {
                path: journal_path,
                why: e.to_string(),
            })
        }
    };
    let layout = Layout::new(config_dir, data.epoch);
    if committed(&config, &data).map_err(io_err)? {
        finish(&config, &data.records);
        config
            .remove_file(&layout.journal(), None)
            .map_err(io_err)?;
        config.sync().map_err(io_err)?;
        return Ok(Recovery::Completed(data.epoch));
    }
    let findings = verify(&config, &layout, &data).map_err(io_err)?;
    if !findings.is_empty() {
        return Err(RecoveryError::Changed {
            path: journal_path,
            epoch: data.epoch,
            findings,
        });
    }
    undo(&config, &data.records).map_err(io_err)?;
    remove_temps(&config, &data.records);
    config
        .remove_file(&layout.journal(), None)
        .map_err(io_err)?;
    config.sync().map_err(io_err)?;
    Ok(Recovery::RolledBack(data.epoch))
}

/// Whether the run had passed its commit point: the record says so, or the committed file is
/// already the inode the run prepared.
fn committed(config: &ConfigDir, data: &JournalData) -> io::Result<bool> {
    if data.committed() {
        return Ok(true);
    }
    // An in-place rewrite that completed before its record was written: the target holds the
    // new content.
    for r in &data.records {
        if let Record::Undo(
            _,
            UndoRecord::RewriteFrom {
                target,
                new,
                new_id,
                ..
            },
        ) = r
        {
            if config.stat(new)?.is_some_and(|e| e.id == *new_id) {
                let limit = esac_core::layout::MAX_YML_BYTES;
                if let (Ok(now), Ok(want)) = (config.read(target, limit), config.read(new, limit)) {
                    if now == want {
                        return Ok(true);
                    }
                }
            }
        }
    }
    for r in &data.records {
        if let Record::Commit(_, path, id) = r {
            if config.stat(path)?.map(|e| e.id) == Some(*id) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether `now` is what an in-place rewrite from `old` to `new` can leave when cut short: no
/// longer than the longer of the two, no shorter than the shorter, and every byte the old or
/// the new one at its offset.
pub(crate) fn plausibly_torn(now: &[u8], old: &[u8], new: &[u8]) -> bool {
    let (short, long) = if old.len() <= new.len() {
        (old.len(), new.len())
    } else {
        (new.len(), old.len())
    };
    if now.len() < short || now.len() > long {
        return false;
    }
    now.iter()
        .enumerate()
        .all(|(i, b)| old.get(i) == Some(b) || new.get(i) == Some(b))
}

/// Identities a file may legitimately have after the run touched it.
fn prepared_ids(records: &[Record], path: &RelPath) -> HashSet<Identity> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Prepared(_, p, id) | Record::Commit(_, p, id) if p == path => Some(*id),
            _ => None,
        })
        .collect()
}

/// The last restore record for each backup (a copied backup is recorded twice: before, with the
/// original's identity, and after, with the copy's).
fn latest_restores(records: &[Record]) -> Vec<(usize, &UndoRecord)> {
    let mut out: Vec<(usize, &UndoRecord)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if let Record::Undo(_, u @ UndoRecord::RestoreBackup { backup, .. }) = r {
            out.retain(|(_, prev)| {
                !matches!(prev, UndoRecord::RestoreBackup { backup: b, .. } if b == backup)
            });
            out.push((i, u));
        }
    }
    out
}

/// The objects at the names a journal mentions, as an undo in reverse order would leave them:
/// verification walks the records backwards on this view, so a name that a later step filled
/// (the staging directory renamed to `certs`) is seen empty once that step is undone.
struct View<'a> {
    config: &'a ConfigDir,
    at: std::collections::HashMap<RelPath, Option<Identity>>,
}

impl View<'_> {
    fn get(&mut self, p: &RelPath) -> io::Result<Option<Identity>> {
        if let Some(v) = self.at.get(p) {
            return Ok(*v);
        }
        let v = self.config.stat(p)?.map(|e| e.id);
        self.at.insert(p.clone(), v);
        Ok(v)
    }

    fn set(&mut self, p: &RelPath, v: Option<Identity>) {
        self.at.insert(p.clone(), v);
    }
}

/// What does not match the journal; empty when every object is as the run left it.
fn verify(config: &ConfigDir, layout: &Layout, data: &JournalData) -> io::Result<Vec<String>> {
    let mut findings = Vec::new();
    let show = |p: &RelPath| config.abs(p).display().to_string();
    let yml = layout.yml();
    let limit = esac_core::layout::MAX_YML_BYTES;
    // A file being rewritten in place may be torn half-way: acceptable only if every byte is
    // the old or the new one at its offset (checked against the copy and the new content the
    // run kept); anything else is someone's change, and then nothing is touched.
    let mut rewritten = Vec::new();
    for r in &data.records {
        let Record::Undo(
            _,
            UndoRecord::RewriteFrom {
                target,
                copy,
                id,
                new,
                new_id,
            },
        ) = r
        else {
            continue;
        };
        rewritten.push(target.clone());
        let ours = |p: &RelPath, want: &Identity| -> io::Result<bool> {
            Ok(config.stat(p)?.is_some_and(|e| e.id == *want))
        };
        if !ours(copy, id)? || !ours(new, new_id)? {
            findings.push(format!(
                "the copies the run kept of [{}] are gone or not its own",
                show(target)
            ));
            continue;
        }
        match (
            config.read(target, limit),
            config.read(copy, limit),
            config.read(new, limit),
        ) {
            (Ok(now), Ok(old), Ok(want)) => {
                if !plausibly_torn(&now, &old, &want) {
                    findings.push(format!(
                        "[{}] was changed since the run stopped (it is neither the content from before the run, nor the run's, nor a write of it cut short)",
                        show(target)
                    ));
                }
            }
            (Err(e), _, _) => findings.push(format!("[{}] cannot be read: {e}", show(target))),
            (_, Err(e), _) | (_, _, Err(e)) => findings.push(format!(
                "the copies the run kept of [{}] cannot be read: {e}",
                show(target)
            )),
        }
    }
    let torn_allowed = rewritten.contains(&yml);
    if let Some((before, _)) = data.yml.as_ref().filter(|_| !torn_allowed) {
        match config.read(&yml, esac_core::layout::MAX_YML_BYTES) {
            Ok(bytes) => {
                if journal::sha256_hex(&bytes) != *before {
                    findings.push(format!(
                        "[{}] was changed since the run stopped (it holds neither the text from before the run nor the run's)",
                        show(&yml)
                    ));
                }
            }
            Err(e) => findings.push(format!("[{}] cannot be read: {e}", show(&yml))),
        }
    }
    for dir in &data.data_dirs {
        if let Ok(mut entries) = std::fs::read_dir(dir) {
            if entries.next().is_some() {
                findings.push(format!(
                    "the data directory [{}] is no longer empty: the node has started since",
                    dir.display()
                ));
            }
        }
    }
    let restores = latest_restores(&data.records);
    let mut view = View {
        config,
        at: std::collections::HashMap::new(),
    };
    for (i, r) in data.records.iter().enumerate().rev() {
        let Record::Undo(_, u) = r else { continue };
        match u {
            UndoRecord::RemoveDir { path, id } | UndoRecord::RemoveFile { path, id } => {
                match view.get(path)? {
                    Some(found) if found != *id => {
                        findings.push(format!("[{}] is not what the run created", show(path)))
                    }
                    _ => view.set(path, None),
                }
            }
            UndoRecord::RenameBack { from, to, id } => {
                let at_to = view.get(to)?;
                let at_from = view.get(from)?;
                if at_to == Some(*id) {
                    if at_from.is_some() {
                        findings.push(format!(
                            "[{}] exists again, so [{}] cannot be moved back",
                            show(from),
                            show(to)
                        ));
                    } else {
                        view.set(from, Some(*id));
                        view.set(to, None);
                    }
                } else if at_from != Some(*id) {
                    findings.push(format!(
                        "neither [{}] nor [{}] is what the run moved",
                        show(from),
                        show(to)
                    ));
                }
            }
            UndoRecord::RewriteFrom { copy, id, .. } => match view.get(copy)? {
                Some(found) if found != *id => {
                    findings.push(format!("[{}] is not the copy the run made", show(copy)))
                }
                _ => view.set(copy, None),
            },
            UndoRecord::RestoreBackup { target, backup, id } => {
                if !restores.iter().any(|(j, _)| *j == i) {
                    continue;
                }
                let at_target = view.get(target)?;
                let ours = prepared_ids(&data.records, target);
                match view.get(backup)? {
                    Some(b) if b == *id => {
                        let ok = match at_target {
                            None => true,
                            Some(t) => t == b || ours.contains(&t),
                        };
                        if ok {
                            view.set(target, Some(b));
                            view.set(backup, None);
                        } else {
                            findings.push(format!(
                                "[{}] was replaced since the run stopped; its backup [{}] was kept",
                                show(target),
                                show(backup)
                            ));
                        }
                    }
                    Some(_) => {
                        findings.push(format!("[{}] is not the backup the run made", show(backup)))
                    }
                    None => {
                        if at_target.is_some_and(|t| ours.contains(&t)) {
                            findings.push(format!(
                                "the backup [{}] of [{}] is gone",
                                show(backup),
                                show(target)
                            ));
                        }
                    }
                }
            }
        }
    }
    // A replaced file without a backup record must not be the run's replacement.
    for r in &data.records {
        if let Record::Prepared(_, path, id) = r {
            let backed_up = restores.iter().any(
                |(_, u)| matches!(u, UndoRecord::RestoreBackup { target, .. } if target == path),
            );
            if !backed_up && config.stat(path)?.is_some_and(|e| e.id == *id) {
                findings.push(format!(
                    "[{}] was replaced by the run and there is no backup to restore",
                    show(path)
                ));
            }
        }
    }
    Ok(findings)
}

/// Undoes every recorded change, most recent first, touching only objects whose identity
/// matches. Stops at the first failure (recovery has verified everything before).
pub(crate) fn undo(config: &ConfigDir, records: &[Record]) -> io::Result<()> {
    let restores = latest_restores(records);
    for (i, r) in records.iter().enumerate().rev() {
        let Record::Undo(_, u) = r else { continue };
        if matches!(u, UndoRecord::RestoreBackup { .. }) && !restores.iter().any(|(j, _)| *j == i) {
            continue;
        }
        undo_one(config, u, records)?;
    }
    Ok(())
}

/// Undoes one change, if it was made and its objects are still what the run made; `records`
/// tell which replacements were the run's.
pub(crate) fn undo_one(config: &ConfigDir, u: &UndoRecord, records: &[Record]) -> io::Result<()> {
    match u {
        UndoRecord::RemoveDir { path, id } => config.remove_tree(path, Some(*id)),
        UndoRecord::RemoveFile { path, id } => config.remove_file(path, Some(*id)),
        UndoRecord::RewriteFrom {
            target, copy, id, ..
        } => {
            if config.stat(copy)?.is_some_and(|e| e.id == *id) {
                let old = config.read(copy, esac_core::layout::MAX_YML_BYTES)?;
                let now = config.read(target, esac_core::layout::MAX_YML_BYTES)?;
                if now != old {
                    config.write_in_place(target, &now, &old, false)?;
                }
                config.copy_times(copy, target)?;
                config.remove_file(copy, Some(*id))?;
            }
            Ok(())
        }
        UndoRecord::RenameBack { from, to, id } => {
            if config.stat(to)?.is_some_and(|e| e.id == *id) {
                config.rename_new(to, from)?;
            }
            Ok(())
        }
        UndoRecord::RestoreBackup { target, backup, id } => {
            let Some(b) = config.stat(backup)? else {
                return Ok(());
            };
            if b.id != *id {
                return Err(crate::fsops::not_ours(config, backup));
            }
            match config.stat(target)? {
                // Still the same inode: only the extra link goes.
                Some(t) if t.id == b.id => config.remove_file(backup, Some(*id)),
                Some(t) if prepared_ids(records, target).contains(&t.id) => {
                    config.rename(backup, target)
                }
                None => config.rename_new(backup, target).map(drop),
                Some(_) => Err(crate::fsops::not_ours(config, target)),
            }
        }
    }
}

/// After the commit: removes what the run marked for cleaning, when it is still what the run
/// recorded. Best effort; what is left is reported by `status`.
pub(crate) fn finish(config: &ConfigDir, records: &[Record]) {
    for r in records {
        if let Record::Clean(path, id) = r {
            if let Err(e) = config.remove_tree(path, Some(*id)) {
                tracing::warn!("cannot remove [{}]: {e}", config.abs(path).display());
            }
        }
    }
    remove_temps(config, records);
}

/// Temp files of steps that were interrupted between creating them and recording them: removed
/// when they are regular files of this user (or empty directories of this user) under the
/// run's own unique names.
fn remove_temps(config: &ConfigDir, records: &[Record]) {
    for r in records {
        let Record::Temp(_, path) = r else { continue };
        let Ok(Some(e)) = config.stat(path) else {
            continue;
        };
        if e.uid != euid() {
            continue;
        }
        let removed = if e.is_file {
            config.remove_file(path, Some(e.id))
        } else if e.is_dir {
            // Only an empty one: rmdir refuses anything else.
            remove_empty_dir(config, path)
        } else {
            Ok(())
        };
        if let Err(err) = removed {
            tracing::warn!("cannot remove [{}]: {err}", config.abs(path).display());
        }
    }
}

fn remove_empty_dir(config: &ConfigDir, path: &RelPath) -> io::Result<()> {
    if config.is_empty_dir(path)? {
        config.remove_tree(path, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::plausibly_torn;

    #[test]
    fn only_a_write_cut_short_passes_for_torn() {
        let old = b"a: 1\nb: 2\n";
        let appended = b"a: 1\nb: 2\nc: 3\nd: 4\n";
        // Appending: the old text plus part of the suffix.
        assert!(plausibly_torn(old, old, appended));
        assert!(plausibly_torn(b"a: 1\nb: 2\nc:", old, appended));
        assert!(plausibly_torn(appended, old, appended));
        // Overwriting with something shorter: a prefix of the new over the old, not truncated.
        let shorter = b"a: 9\n";
        assert!(plausibly_torn(b"a: 9\nb: 2\n", old, shorter));
        assert!(plausibly_torn(b"a: 9\n", old, shorter));
        // Someone's edit: a byte that is neither, or a length out of range.
        assert!(!plausibly_torn(b"a: 1\nb: 2\nx: 3\n", old, appended));
        assert!(!plausibly_torn(
            b"a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n",
            old,
            appended
        ));
        assert!(!plausibly_torn(b"a: 1\n", old, appended));
        assert!(!plausibly_torn(b"", old, shorter));
    }
}
