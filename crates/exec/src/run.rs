//! The executor: runs a plan's steps in order, generically. Before each change it appends the
//! change's undo (with identities) to the journal; on any failure or interruption before the
//! commit it undoes exactly what was done, most recent first (spec §5); after the commit it only
//! cleans up.

use std::io;
use std::path::PathBuf;

use esac_core::plan::{Action, Content, Existing, FileWrite, ModeRule, OwnerRule, Step};
use esac_core::{Plan, RelPath, StepId};

use crate::failpoint;
use crate::fsops::{euid, ConfigDir, Owner};
use crate::journal::{self, Journal, Record, UndoRecord};
use crate::produce::{self, Produced, Sources};
use crate::recover;
use crate::signals::Interrupts;
use crate::{ExecError, ExecErrorKind, Executed, Inputs};

struct Runner<'a> {
    plan: &'a Plan,
    progress: &'a dyn Fn(Option<&str>),
    sources: Sources<'a>,
    data_dirs: &'a [PathBuf],
    config: ConfigDir,
    journal: Option<Journal>,
    records: Vec<Record>,
    /// The changes actually made, in order (the journal also holds intents that may not have
    /// happened).
    done: Vec<UndoRecord>,
    produced: Option<Produced>,
    committed: bool,
}

/// Runs `plan`. On error, everything done before the commit has been undone (or the error says
/// that undoing stopped, and the journal is kept for the next run).
pub fn execute(plan: &Plan, inputs: Inputs<'_>) -> Result<Executed, ExecError> {
    let own;
    let interrupts = match inputs.interrupts {
        Some(i) => i,
        None => {
            own = Interrupts::block();
            &own
        }
    };
    let first = plan.steps.first().map_or(StepId::Journal, |s| s.id);
    let config = ConfigDir::open(plan.layout.config_dir()).map_err(|e| ExecError {
        step: first,
        kind: ExecErrorKind::Io {
            path: plan.layout.config_dir().to_path_buf(),
            source: e,
        },
        rollback: None,
    })?;
    let progress = inputs.progress;
    let mut run = Runner {
        plan,
        progress,
        sources: Sources {
            keys: inputs.keys,
            keystore_password: &inputs.keystore_password,
            elastic_password: inputs.elastic_password.as_ref(),
            received: inputs.received.as_ref(),
            renewal: inputs.renewal.as_ref(),
        },
        data_dirs: &inputs.data_dirs,
        config,
        journal: None,
        records: Vec::new(),
        done: Vec::new(),
        produced: None,
        committed: false,
    };
    match run.all(interrupts) {
        Ok(()) => {
            let rebuilt = run.produced.as_ref().and_then(|p| p.http_store.as_ref());
            Ok(Executed {
                // Consumed here, so that releasing the signals does not kill a finished run.
                late_signal: interrupts.drain(),
                http_ca_fingerprint: run
                    .produced
                    .as_ref()
                    .and_then(|p| p.material.as_ref())
                    .map(|m| m.http_ca_fingerprint())
                    .or_else(|| rebuilt.map(|r| esac_pki::sha256_hex(r.ca.cert_der()))),
                http_ca_der: rebuilt.map(|r| r.ca.cert_der().to_vec()),
                http_leaf_der: rebuilt.map(|r| r.leaf.cert_der().to_vec()),
            })
        }
        Err((step, kind)) => {
            tracing::debug!(step = step.name(), "step failed; rolling back");
            let rollback = if run.committed {
                None
            } else {
                run.rollback().err()
            };
            Err(ExecError {
                step,
                kind,
                rollback,
            })
        }
    }
}

type StepResult<T = ()> = Result<T, ExecErrorKind>;

fn io_at(path: PathBuf) -> impl FnOnce(io::Error) -> ExecErrorKind {
    move |source| ExecErrorKind::Io { path, source }
}

impl Runner<'_> {
    fn all(&mut self, interrupts: &Interrupts) -> Result<(), (StepId, ExecErrorKind)> {
        for step in &self.plan.steps {
            if self.committed {
                // Past the commit point nothing can fail the run; what is left is cleaned up by
                // the next run.
                let _ = failpoint::before(step.id);
                if let Err(e) = self.step(step) {
                    tracing::warn!(step = step.id.name(), "after the commit: {e}");
                }
                failpoint::after(step.id);
                continue;
            }
            if let Some(signal) = interrupts.received() {
                return Err((step.id, ExecErrorKind::Interrupted { signal }));
            }
            failpoint::before(step.id).map_err(|e| {
                (
                    step.id,
                    ExecErrorKind::Io {
                        path: self.plan.layout.config_dir().to_path_buf(),
                        source: e,
                    },
                )
            })?;
            self.step(step).map_err(|e| (step.id, e))?;
            failpoint::after(step.id);
        }
        Ok(())
    }

    fn abs(&self, p: &RelPath) -> PathBuf {
        self.config.abs(p)
    }

    fn record(&mut self, r: Record) -> StepResult {
        self.record_all(vec![r])
    }

    /// Records several records with one sync (they describe one change).
    fn record_all(&mut self, rs: Vec<Record>) -> StepResult {
        let path = self.abs(&self.plan.layout.journal());
        if let Some(j) = &mut self.journal {
            j.append_all(&rs).map_err(io_at(path))?;
        }
        self.records.extend(rs);
        Ok(())
    }

    /// The keystore must be the file the `generate` step read: a keystore another writer put in
    /// its place since would otherwise be backed up, then overwritten with the old content.
    fn unchanged_since_read(&self, target: &RelPath, now: crate::fsops::Identity) -> StepResult {
        let read = self.produced.as_ref().and_then(|p| {
            p.keystore
                .as_ref()
                .filter(|(edit, _)| edit.path == *target)
                .and(p.keystore_read)
        });
        match read {
            Some(read) if read != now => Err(ExecErrorKind::Changed {
                path: self.abs(target),
            }),
            _ => Ok(()),
        }
    }

    /// Records a change that has been made.
    fn made(&mut self, step: StepId, undo: UndoRecord) -> StepResult {
        self.record(Record::Undo(step, undo.clone()))?;
        self.done.push(undo);
        Ok(())
    }

    fn step(&mut self, step: &Step) -> StepResult {
        let id = step.id;
        match &step.action {
            Action::BeginJournal => self.begin_journal(),
            Action::CreateDir { path, mode, owner } => {
                self.record_all(vec![Record::Begin(id), Record::Temp(id, path.clone())])?;
                let made = self
                    .config
                    .mkdir(path, *mode, self.new_owner(*owner))
                    .map_err(io_at(self.abs(path)))?;
                self.made(
                    id,
                    UndoRecord::RemoveDir {
                        path: path.clone(),
                        id: made,
                    },
                )
            }
            Action::CheckSameOwner { path } => {
                let config = self
                    .config
                    .entry()
                    .map_err(io_at(self.plan.layout.config_dir().to_path_buf()))?;
                let made = self
                    .config
                    .stat(path)
                    .map_err(io_at(self.abs(path)))?
                    .ok_or_else(|| ExecErrorKind::Io {
                        path: self.abs(path),
                        source: io::Error::from(io::ErrorKind::NotFound),
                    })?;
                // It must still be the directory this run created, not something put in its place.
                let ours = self.records.iter().any(|r| {
                    matches!(r, Record::Undo(_, UndoRecord::RemoveDir { path: p, id }) if p == path && *id == made.id)
                });
                if !ours {
                    return Err(ExecErrorKind::Io {
                        path: self.abs(path),
                        source: io::Error::other(
                            "it was replaced by something else while es-autoconf was running",
                        ),
                    });
                }
                if config.uid != made.uid {
                    return Err(ExecErrorKind::OwnerMismatch {
                        config_owner: user_name(config.uid),
                        new_owner: user_name(made.uid),
                    });
                }
                Ok(())
            }
            Action::Produce(products) => {
                if let Some(line) = produce::describe(products) {
                    (self.progress)(Some(&line));
                }
                let made = produce::produce(products, &self.sources, &self.config);
                (self.progress)(None);
                let made = made?;
                let into = self.produced.get_or_insert_with(Produced::default);
                into.material = made.material.or(into.material.take());
                into.keystore = made.keystore.or(into.keystore.take());
                into.keystore_read = made.keystore_read.or(into.keystore_read.take());
                into.password_hash = made.password_hash.or(into.password_hash.take());
                into.transport_password = made.transport_password;
                into.http_password = made.http_password;
                into.http_store = made.http_store.or(into.http_store.take());
                Ok(())
            }
            Action::Backup { target, backup } => {
                let original = self
                    .config
                    .stat(target)
                    .map_err(io_at(self.abs(target)))?
                    .ok_or_else(|| ExecErrorKind::Io {
                        path: self.abs(target),
                        source: io::Error::from(io::ErrorKind::NotFound),
                    })?;
                self.unchanged_since_read(target, original.id)?;
                self.record_all(vec![
                    Record::Begin(id),
                    Record::Undo(
                        id,
                        UndoRecord::RestoreBackup {
                            target: target.clone(),
                            backup: backup.clone(),
                            id: original.id,
                        },
                    ),
                ])?;
                let made = self
                    .config
                    .backup(target, backup)
                    .map_err(io_at(self.abs(target)))?;
                let undo = UndoRecord::RestoreBackup {
                    target: target.clone(),
                    backup: backup.clone(),
                    id: made,
                };
                if made != original.id {
                    // A copy (no hard links here): record the copy's identity.
                    self.record(Record::Undo(id, undo.clone()))?;
                }
                self.done.push(undo);
                Ok(())
            }
            Action::CheckKeystore => {
                let produced = self
                    .produced
                    .as_mut()
                    .ok_or(ExecErrorKind::WorkerPanicked)?;
                produce::check_keystore(produced)
            }
            Action::WriteFile(w) => self.write(id, w, false),
            Action::Rename { from, to } => {
                let moving = self
                    .config
                    .stat(from)
                    .map_err(io_at(self.abs(from)))?
                    .ok_or_else(|| ExecErrorKind::Io {
                        path: self.abs(from),
                        source: io::Error::from(io::ErrorKind::NotFound),
                    })?;
                let undo = UndoRecord::RenameBack {
                    from: from.clone(),
                    to: to.clone(),
                    id: moving.id,
                };
                self.record_all(vec![Record::Begin(id), Record::Undo(id, undo.clone())])?;
                self.config
                    .rename_new(from, to)
                    .map_err(io_at(self.abs(from)))?;
                self.done.push(undo);
                Ok(())
            }
            Action::Commit(w) => self.write(id, w, true),
            Action::Discard(paths) => {
                let mut cleans = Vec::new();
                for p in paths {
                    let found = self.config.stat(p).map_err(io_at(self.abs(p)))?;
                    if let Some(e) = found.filter(|e| e.is_file || e.is_dir) {
                        cleans.push(Record::Clean(p.clone(), e.id));
                    }
                }
                if !cleans.is_empty() {
                    self.record_all(cleans)?;
                }
                Ok(())
            }
            Action::Cleanup(_) => {
                recover::finish(&self.config, &self.records);
                let journal = self.plan.layout.journal();
                self.journal = None;
                self.config
                    .remove_file(&journal, None)
                    .and_then(|()| self.config.sync())
                    .map_err(io_at(self.abs(&journal)))
            }
        }
    }

    fn begin_journal(&mut self) -> StepResult {
        let plan = self.plan;
        let yml = plan.yml().map(|y| {
            (
                journal::sha256_hex(y.before.as_bytes()),
                journal::sha256_hex(y.after().as_bytes()),
            )
        });
        let journal = Journal::create(
            &self.config,
            &plan.layout,
            plan.operation.name(),
            yml.as_ref().map(|(b, a)| (b.as_str(), a.as_str())),
            self.data_dirs,
        )
        .map_err(io_at(self.abs(&plan.layout.journal())))?;
        self.journal = Some(journal);
        Ok(())
    }

    /// Owner of something this run creates.
    fn new_owner(&self, rule: OwnerRule) -> Owner {
        match rule {
            OwnerRule::Runner { gid } | OwnerRule::RunnerMustOwnReplaced { gid } => {
                Owner { uid: None, gid }
            }
            OwnerRule::KeepReplaced { gid } => Owner { uid: None, gid },
        }
    }

    fn write(&mut self, id: StepId, w: &FileWrite, commit: bool) -> StepResult {
        let existing = self
            .config
            .stat(&w.path)
            .map_err(io_at(self.abs(&w.path)))?;
        if let Some(e) = &existing {
            if !e.is_file {
                return Err(ExecErrorKind::Io {
                    path: self.abs(&w.path),
                    source: io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
                });
            }
        }
        let mode = match (w.mode, &existing) {
            (ModeRule::Set(m), _) => m,
            (ModeRule::KeepReplaced, Some(e)) => e.mode,
            (ModeRule::KeepReplaced, None) => 0o660,
        };
        let root = euid() == 0;
        let owner = match (w.owner, &existing) {
            (OwnerRule::KeepReplaced { gid }, Some(e)) => Owner {
                uid: root.then_some(e.uid),
                gid: gid.or(root.then_some(e.gid)),
            },
            (OwnerRule::RunnerMustOwnReplaced { gid }, Some(e)) => {
                if e.uid != euid() {
                    return Err(ExecErrorKind::Keystore(esac_keystore::Error::OwnerChange {
                        path: self.abs(&w.path),
                    }));
                }
                Owner { uid: None, gid }
            }
            (rule, _) => self.new_owner(rule),
        };
        if let Content::Yml(y) = &w.content {
            // The file must still hold the text the plan was made from.
            let now = self
                .config
                .read(&w.path, esac_core::layout::MAX_YML_BYTES)
                .map_err(io_at(self.abs(&w.path)))?;
            if now != y.before.as_bytes() {
                return Err(ExecErrorKind::Changed {
                    path: self.abs(&w.path),
                });
            }
        }
        let produced = self.produced.get_or_insert_with(Produced::default);
        let bytes = produce::bytes(&w.content, produced, id)?;

        self.record_all(vec![Record::Begin(id), Record::Temp(id, w.temp.clone())])?;
        let made = self
            .config
            .write_temp(&w.temp, &bytes, mode, owner)
            .map_err(|e| self.write_error(w, e))?;
        // Recorded with the next record (one sync for both): until then the `Temp` record
        // covers this file.
        let temp_undo = UndoRecord::RemoveFile {
            path: w.temp.clone(),
            id: made,
        };
        self.done.push(temp_undo.clone());
        let temp_record = Record::Undo(id, temp_undo);
        if existing.is_some() {
            // A watcher that compares size and mtime (Elasticsearch's) must see the change.
            self.config
                .differ_from(&w.temp, &w.path)
                .map_err(io_at(self.abs(&w.temp)))?;
        }
        if produce::verified(&w.content) {
            let back = self
                .config
                .read(&w.temp, bytes.len() as u64)
                .map_err(io_at(self.abs(&w.temp)))?;
            let produced = self.produced.get_or_insert_with(Produced::default);
            produce::verify_written(&w.content, produced, &back)?;
        }
        match (&w.existing, commit) {
            (Existing::Absent, _) => {
                let undo = UndoRecord::RemoveFile {
                    path: w.path.clone(),
                    id: made,
                };
                self.record_all(vec![temp_record, Record::Undo(id, undo.clone())])?;
                self.config
                    .rename_new(&w.temp, &w.path)
                    .map_err(io_at(self.abs(&w.path)))?;
                self.done.push(undo);
            }
            (Existing::Replaced, false) => {
                // What is replaced must still be what was backed up (another writer, such as
                // `elasticsearch-keystore`, does not take our lock).
                let backed_up = self.records.iter().rev().find_map(|r| match r {
                    Record::Undo(_, UndoRecord::RestoreBackup { target, id, .. })
                        if *target == w.path =>
                    {
                        Some(*id)
                    }
                    _ => None,
                });
                let now = self
                    .config
                    .stat(&w.path)
                    .map_err(io_at(self.abs(&w.path)))?
                    .map(|e| e.id);
                if backed_up.is_some() && now != backed_up {
                    return Err(ExecErrorKind::Changed {
                        path: self.abs(&w.path),
                    });
                }
                self.record_all(vec![
                    temp_record,
                    Record::Prepared(id, w.path.clone(), made),
                ])?;
                self.config
                    .rename(&w.temp, &w.path)
                    .map_err(io_at(self.abs(&w.path)))?;
            }
            (Existing::Replaced, true) => {
                let mut records = vec![temp_record];
                records.extend(self.cleanup_records());
                records.push(Record::Commit(id, w.path.clone(), made));
                self.record_all(records)?;
                let renamed = if failpoint::busy(id) {
                    Err(io::Error::from_raw_os_error(
                        nix::errno::Errno::EBUSY as i32,
                    ))
                } else {
                    self.config.rename(&w.temp, &w.path)
                };
                match renamed {
                    Ok(()) => {}
                    // A bind-mounted file (Docker's way to configure) cannot be renamed over.
                    Err(e) if is_busy(&e) => {
                        tracing::debug!(
                            step = id.name(),
                            "the target is a mount point: rewriting it in place"
                        );
                        self.in_place(id, w, &bytes, made)?;
                    }
                    Err(e) => return Err(io_at(self.abs(&w.path))(e)),
                }
                self.committed = true;
                self.record(Record::Committed)?;
            }
        }
        Ok(())
    }

    /// Rewrites `w.path` in place (same inode) when it cannot be replaced by a rename: a copy of
    /// its content is kept and journalled first, so an interruption is undone from the copy.
    fn in_place(
        &mut self,
        id: StepId,
        w: &FileWrite,
        bytes: &[u8],
        new_id: crate::fsops::Identity,
    ) -> StepResult {
        let path = self.abs(&w.path);
        let old = self
            .config
            .read(&w.path, esac_core::layout::MAX_YML_BYTES)
            .map_err(io_at(path.clone()))?;
        let copy = self.plan.layout.copy_for(&w.path);
        self.record(Record::Temp(id, copy.clone()))?;
        let copy_id = self
            .config
            .write_temp(&copy, &old, 0o600, Owner::default())
            .map_err(io_at(self.abs(&copy)))?;
        // The copy keeps the original's times, so undoing gives them back too.
        self.config
            .copy_times(&w.path, &copy)
            .and_then(|()| self.config.sync_parent(&copy))
            .map_err(io_at(self.abs(&copy)))?;
        self.made(
            id,
            UndoRecord::RewriteFrom {
                target: w.path.clone(),
                copy: copy.clone(),
                id: copy_id,
                new: w.temp.clone(),
                new_id,
            },
        )?;
        // Both the copy and the temp file holding the new content go once committed.
        self.record(Record::Clean(copy, copy_id))?;
        self.record(Record::Clean(w.temp.clone(), new_id))?;
        let torn = failpoint::torn(id);
        let written = self.config.write_in_place(&w.path, &old, bytes, torn);
        if torn {
            std::process::abort();
        }
        written.map_err(io_at(path))
    }

    /// Before the commit: the identities of what the cleanup step removes.
    fn cleanup_records(&self) -> Vec<Record> {
        let Some(Action::Cleanup(paths)) = self
            .plan
            .steps
            .iter()
            .map(|s| &s.action)
            .find(|a| matches!(a, Action::Cleanup(_)))
        else {
            return Vec::new();
        };
        let mut cleans = Vec::new();
        for p in paths {
            let id = self.records.iter().rev().find_map(|r| match r {
                Record::Undo(_, UndoRecord::RestoreBackup { backup, id, .. }) if backup == p => {
                    Some(*id)
                }
                Record::Undo(_, UndoRecord::RenameBack { to, id, .. }) if to == p => Some(*id),
                _ => None,
            });
            if let Some(id) = id {
                cleans.push(Record::Clean(p.clone(), id));
            }
        }
        cleans
    }

    fn write_error(&self, w: &FileWrite, e: io::Error) -> ExecErrorKind {
        let denied = e.kind() == io::ErrorKind::PermissionDenied;
        if denied && matches!(w.content, esac_core::plan::Content::Keystore) {
            return ExecErrorKind::Keystore(esac_keystore::Error::TempDenied {
                tmp: self.abs(&w.temp),
                dir: self
                    .abs(&w.temp)
                    .parent()
                    .map(PathBuf::from)
                    .unwrap_or_default(),
            });
        }
        ExecErrorKind::Io {
            path: self.abs(&w.path),
            source: e,
        }
    }

    /// Undoes what was done, most recent first, then removes the journal. An object that is no
    /// longer what the run made is left alone, and then so is the journal, for the next run to
    /// report.
    fn rollback(&mut self) -> Result<(), String> {
        let mut left = Vec::new();
        for undo in self.done.iter().rev() {
            if let Err(e) = recover::undo_one(&self.config, undo, &self.records) {
                left.push(e.to_string());
            }
        }
        if !left.is_empty() {
            return Err(left.join("; "));
        }
        if self.journal.take().is_some() {
            let journal = self.plan.layout.journal();
            self.config
                .remove_file(&journal, None)
                .map_err(|e| e.to_string())?;
        }
        self.config.sync().map_err(|e| e.to_string())
    }
}

fn is_busy(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(c) if c == nix::errno::Errno::EBUSY as i32 || c == nix::errno::Errno::EXDEV as i32
    )
}

/// The user's name, or the uid when it has none.
fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(u)) => u.name,
        _ => uid.to_string(),
    }
}
