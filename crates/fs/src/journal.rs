//! The journal of a run in progress, and recovery from a run that was killed.
//!
//! `<config>/.es-autoconf.journal` is written (temp file, fsync, rename) before the first change
//! and removed after the last. If a run dies in between (SIGKILL, power loss), the next run finds
//! it and either finishes the run (the yml was already rewritten: only clean-up was left) or undoes
//! it, restoring the config directory as it was.

use std::io;
use std::path::{Path, PathBuf};

use crate::atomic::{exists, remove_file, remove_tree, sync_dir, write_via_temp};

/// The journal's file name in the config directory.
pub const JOURNAL_FILE: &str = ".es-autoconf.journal";

/// What a run records before changing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journal {
    /// The run's epoch (names the staging dir and backups).
    pub epoch: i64,
    /// Whether `elasticsearch.keystore` existed before.
    pub keystore_existed: bool,
    /// Whether `certs/` existed before.
    pub certs_existed: bool,
    /// Digest of the yml the run writes (the commit point).
    pub yml_after: String,
}

/// A stable 64-bit FNV-1a digest plus the length: enough to recognise our own yml.
pub fn digest(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}:{h:016x}", bytes.len())
}

fn path(config: &Path) -> PathBuf {
    config.join(JOURNAL_FILE)
}

impl Journal {
    /// Writes the journal durably.
    pub fn write(&self, config: &Path) -> io::Result<()> {
        let text = format!(
            "es-autoconf journal 1\nepoch={}\nkeystore_existed={}\ncerts_existed={}\nyml_after={}\n",
            self.epoch, self.keystore_existed, self.certs_existed, self.yml_after
        );
        let tmp = config.join(format!("{JOURNAL_FILE}.tmp"));
        let _ = remove_file(&tmp);
        write_via_temp(&path(config), &tmp, text.as_bytes(), 0o600, None)
    }

    /// Reads the journal, if there is one.
    pub fn read(config: &Path) -> io::Result<Option<Journal>> {
        let text = match std::fs::read_to_string(path(config)) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::to_owned)
        };
        let bad = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unreadable journal [{}]", path(config).display()),
            )
        };
        Ok(Some(Journal {
            epoch: get("epoch").and_then(|v| v.parse().ok()).ok_or_else(bad)?,
            keystore_existed: get("keystore_existed").ok_or_else(bad)? == "true",
            certs_existed: get("certs_existed").ok_or_else(bad)? == "true",
            yml_after: get("yml_after").ok_or_else(bad)?,
        }))
    }

    /// Removes the journal (and a half-written one).
    pub fn remove(config: &Path) -> io::Result<()> {
        remove_file(&config.join(format!("{JOURNAL_FILE}.tmp")))?;
        remove_file(&path(config))
    }
}

/// What recovery did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// No interrupted run.
    Nothing,
    /// The interrupted run had committed; its leftovers were removed.
    Completed(i64),
    /// The interrupted run had not committed; the config directory was restored.
    RolledBack(i64),
}

/// Finishes or undoes a run that was killed. Call with the config directory locked.
pub fn recover(config: &Path) -> io::Result<Recovery> {
    // A journal that never got renamed into place: the run had not started changing things.
    let stray_tmp = config.join(format!("{JOURNAL_FILE}.tmp"));
    let Some(j) = Journal::read(config)? else {
        if exists(&stray_tmp) {
            remove_file(&stray_tmp)?;
        }
        return Ok(Recovery::Nothing);
    };
    let e = j.epoch;
    let keystore = config.join("elasticsearch.keystore");
    let keystore_backup = config.join(format!("elasticsearch.keystore.{e}.orig"));
    let staging = config.join(format!("certs.{e}.tmp"));
    let certs = config.join("certs");
    let certs_backup = config.join(format!("certs.{e}.orig"));
    let yml = config.join("elasticsearch.yml");
    let committed = std::fs::read(&yml)
        .map(|b| digest(&b) == j.yml_after)
        .unwrap_or(false);

    remove_file(&crate::apply::yml_temp(config, e))?;
    remove_file(&esac_keystore::store::temp_path(&keystore))?;
    for f in ["http_ca.crt", "transport.p12", "http.p12"] {
        remove_file(&staging.join(format!(".{f}.tmp")))?;
        remove_file(&certs.join(format!(".{f}.tmp")))?;
    }
    let outcome = if committed {
        remove_file(&keystore_backup)?;
        Recovery::Completed(e)
    } else {
        if exists(&keystore_backup) {
            crate::atomic::restore_backup(&keystore_backup, &keystore)?;
        } else if !j.keystore_existed {
            remove_file(&keystore)?;
        }
        if exists(&certs_backup) {
            remove_tree(&certs)?;
            fs_err::rename(&certs_backup, &certs)?;
        } else if !j.certs_existed {
            remove_tree(&certs)?;
        }
        remove_tree(&staging)?;
        Recovery::RolledBack(e)
    };
    sync_dir(config)?;
    Journal::remove(config)?;
    sync_dir(config)?;
    Ok(outcome)
}
