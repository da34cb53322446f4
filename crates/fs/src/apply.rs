//! The executor: applies a [`Plan`] in Elasticsearch's order (spec §1.2 steps 7–14, §2.1, §3, §4)
//! and undoes what it did on any failure (spec §5), so the config directory ends as it was.
//!
//! Beyond Elasticsearch: a journal written before the first change lets the next run finish or
//! undo a run that was killed (see [`crate::recover`]), and the keystore backup is a hard link, so
//! restoring it gives back the very same file (bytes, mode, owner, mtime).

use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use esac_core::messages as msg;
use esac_core::plan::{PASSWORD_HASH_SETTING, PASSWORD_SETTINGS};
use esac_core::{EsExit, Plan, UserError};
use esac_keystore::{DerivedKey, FormatVersion, Keystore};
use esac_pki::{KeySource, Material, PkiParams};
use esac_secret::Secret;

use crate::atomic::{self, exists, remove_file, remove_tree, sync_dir, write_via_temp};
use crate::failpoint::hit;
use crate::journal::Journal;

/// Everything the executor needs besides the plan.
pub struct ApplyRequest<'a> {
    /// The plan (from `esac_core::plan`).
    pub plan: &'a Plan,
    /// The config directory.
    pub config_dir: &'a Path,
    /// Certificate parameters.
    pub pki: PkiParams,
    /// Where keys come from.
    pub keys: &'a dyn KeySource,
    /// The time the certificates start.
    pub now: SystemTime,
    /// The existing keystore's password (empty when it has none or does not exist).
    pub keystore_password: Secret,
    /// The `elastic` password whose bcrypt hash is stored, when one is generated.
    pub elastic_password: Option<Secret>,
    /// Group to give every written file and directory (`--group`).
    pub gid: Option<u32>,
    /// Enrollment: the cluster's CA and transport material (only the HTTP key is generated).
    pub received: Option<esac_pki::Received>,
    /// Reconfigure: the yml text to append the block to (the original without the old block).
    pub yml_base: Option<String>,
    /// Reconfigure: keystore settings removed before the new ones are added.
    pub remove_settings: Vec<&'static str>,
    /// Reconfigure: the previous `certs/` is deleted once the run has committed.
    pub drop_old_certs: bool,
}

/// What a successful run produced (no secrets).
#[derive(Debug, Clone)]
pub struct Applied {
    /// Lowercase hex SHA-256 of the HTTP CA certificate.
    pub http_ca_fingerprint: String,
}

/// Tracks what has been done, to undo exactly that.
#[derive(Default)]
struct Done {
    journal: bool,
    staging: bool,
    keystore_backup: bool,
    keystore_created: bool,
    certs_moved: bool,
    staging_renamed: bool,
}

struct Paths {
    config: PathBuf,
    staging: PathBuf,
    certs: PathBuf,
    certs_backup: PathBuf,
    keystore: PathBuf,
    keystore_backup: PathBuf,
    yml: PathBuf,
    yml_tmp: PathBuf,
}

impl Paths {
    fn new(config: &Path, epoch: i64) -> Self {
        Self {
            config: config.to_path_buf(),
            staging: config.join(format!("certs.{epoch}.tmp")),
            certs: config.join("certs"),
            certs_backup: config.join(format!("certs.{epoch}.orig")),
            keystore: config.join("elasticsearch.keystore"),
            keystore_backup: config.join(format!("elasticsearch.keystore.{epoch}.orig")),
            yml: config.join("elasticsearch.yml"),
            yml_tmp: yml_temp(config, epoch),
        }
    }
}

/// The temp file the yml is written through (its name is derived from the epoch so a later run
/// can find it after a crash).
pub fn yml_temp(config: &Path, epoch: i64) -> PathBuf {
    config.join(format!("elasticsearch.yml.{epoch}.es-autoconf.tmp"))
}

fn io_err(what: &str, path: &Path, e: io::Error) -> UserError {
    UserError::new(EsExit::IoError, format!("{what} [{}]: {e}", path.display()))
}

/// Applies the plan. On error, everything done so far has been undone.
pub fn apply(req: &ApplyRequest<'_>) -> Result<Applied, UserError> {
    let paths = Paths::new(req.config_dir, req.plan.epoch);
    let mut done = Done::default();
    match run(req, &paths, &mut done) {
        Ok(applied) => Ok(applied),
        Err(e) => {
            tracing::debug!(exit = e.exit.code(), "step failed; rolling back");
            if let Err(undo) = rollback(&paths, &done) {
                return Err(UserError::new(
                    e.exit,
                    format!("{}\nrollback was incomplete: {undo}; run es-autoconf init again to finish restoring", e.message),
                ));
            }
            Err(e)
        }
    }
}

fn run(req: &ApplyRequest<'_>, p: &Paths, done: &mut Done) -> Result<Applied, UserError> {
    let plan = req.plan;
    let keystore_existed = exists(&p.keystore);
    let certs_existed = exists(&p.certs);

    // The yml we will write, computed before any change so the journal can recognise it.
    let original_yml = fs_err::read(&p.yml).map_err(|e| io_err("cannot read", &p.yml, e))?;
    let original_text = String::from_utf8(original_yml).map_err(|_| {
        UserError::new(
            EsExit::Config,
            format!("[{}] is not valid UTF-8", p.yml.display()),
        )
    })?;
    let base = req.yml_base.as_deref().unwrap_or(&original_text);
    let new_yml = esac_core::yml::patched_yml(base, &plan.yml.append);

    // Journal first: from here on, a killed run is recognised and undone by the next one. It is
    // the first thing created in the config dir, so failing here is step 7's failure (73).
    let journal_err = |e: io::Error| {
        UserError::new(
            EsExit::CantCreate,
            format!(
                "{}: cannot write the journal in [{}]: {e}",
                msg::CANT_CREATE_DIR,
                p.config.display()
            ),
        )
    };
    hit("journal").map_err(journal_err)?;
    Journal {
        epoch: plan.epoch,
        keystore_existed,
        certs_existed,
        yml_after: crate::journal::digest(new_yml.as_bytes()),
    }
    .write(&p.config)
    .map_err(journal_err)?;
    done.journal = true;

    // Step 7: the staging directory, created without following links, then 0750 explicitly.
    let created = hit("staging_dir").and_then(|()| fs_err::create_dir(&p.staging));
    if created.is_err() {
        return Err(UserError::new(EsExit::CantCreate, msg::CANT_CREATE_DIR));
    }
    done.staging = true;
    set_mode_group(&p.staging, 0o750, req.gid)
        .map_err(|_| UserError::new(EsExit::CantCreate, msg::CANT_CREATE_DIR))?;

    // Step 8: the new directory must belong to the config directory's owner.
    hit("owner_check").map_err(|e| io_err("cannot check the owner of", &p.staging, e))?;
    let config_uid = std::fs::symlink_metadata(&p.config)
        .map_err(|e| io_err("cannot stat", &p.config, e))?
        .uid();
    let staging_uid = std::fs::symlink_metadata(&p.staging)
        .map_err(|e| io_err("cannot stat", &p.staging, e))?
        .uid();
    if config_uid != staging_uid {
        return Err(UserError::new(
            EsExit::Config,
            msg::owner_mismatch(&user_name(config_uid), &user_name(staging_uid)),
        ));
    }

    // Steps 10 and 12 overlap: key generation, the keystore KDF and bcrypt run at once.
    let target_version = FormatVersion::from_number(plan.keystore.format_version as i32)
        .unwrap_or(FormatVersion::CURRENT);
    let (material, keystore, hash) = std::thread::scope(|s| {
        let gen = s.spawn(|| {
            hit("generate").map_err(|e| UserError::new(EsExit::CodeError, e.to_string()))?;
            let material = match &req.received {
                Some(received) => {
                    esac_pki::generate_enrolled(&req.pki, received, req.keys, req.now)
                }
                None => esac_pki::generate(&req.pki, req.keys, req.now),
            };
            material.map_err(|e| {
                UserError::new(
                    EsExit::CodeError,
                    format!("cannot generate keys and certificates: {e}"),
                )
            })
        });
        let ks = s.spawn(|| open_keystore(&p.keystore, &req.keystore_password, target_version));
        let hash = req
            .elastic_password
            .as_ref()
            .map(|pw| s.spawn(move || bcrypt_hash(pw)));
        let material = gen.join().unwrap_or_else(|_| Err(panicked()));
        let keystore = ks.join().unwrap_or_else(|_| Err(panicked()));
        let hash = hash.map(|h| h.join().unwrap_or_else(|_| Err(panicked())));
        (material, keystore, hash)
    });
    let material: Material = material?;

    // Step 10: http_ca.crt.
    write_new(
        &p.staging.join("http_ca.crt"),
        material.http_ca_pem().as_bytes(),
        req.gid,
        "write_http_ca",
    )?;

    // Step 11: keystore backup (a hard link: the original inode survives untouched).
    if keystore_existed {
        hit("keystore_backup").map_err(|e| io_err("cannot back up", &p.keystore, e))?;
        backup_keystore(&p.keystore, &p.keystore_backup)
            .map_err(|e| io_err("cannot back up", &p.keystore, e))?;
        done.keystore_backup = true;
    }

    // Steps 12-13: the keystore must open and must not hold TLS passwords already.
    hit("keystore_open").map_err(|e| io_err("cannot open", &p.keystore, e))?;
    let (mut keystore, key) = keystore?;
    if !req.remove_settings.is_empty() {
        // Reconfiguration: the node must hold what auto-configuration wrote (spec §8.2 step 7).
        // The password hash is only there when a password was generated, so it is optional.
        if let Some(missing) = PASSWORD_SETTINGS.iter().find(|s| !keystore.contains(s)) {
            return Err(UserError::new(
                EsExit::IoError,
                format!("Aborting enrolling to cluster. Unable to remove existing secure settings. Error was: Aborting enrolling to cluster. Unable to remove existing security configuration, elasticsearch.keystore did not contain expected setting [{missing}]."),
            ));
        }
        for name in &req.remove_settings {
            keystore.remove(name);
        }
    }
    if PASSWORD_SETTINGS.iter().any(|s| keystore.contains(s)) {
        return Err(UserError::new(EsExit::Config, msg::KEYSTORE_HAS_PASSWORDS));
    }

    // Step 14: PKCS#12 files, keystore, certs/, yml.
    let transport_pw = esac_pki::new_store_password()
        .map_err(|e| UserError::new(EsExit::CodeError, e.to_string()))?;
    let http_pw = esac_pki::new_store_password()
        .map_err(|e| UserError::new(EsExit::CodeError, e.to_string()))?;
    let transport_p12 = material
        .transport_p12(&transport_pw)
        .map_err(|e| UserError::new(EsExit::CodeError, e.to_string()))?;
    let http_p12 = material
        .http_p12(&http_pw)
        .map_err(|e| UserError::new(EsExit::CodeError, e.to_string()))?;
    write_new(
        &p.staging.join("transport.p12"),
        &transport_p12,
        req.gid,
        "write_transport_p12",
    )?;
    write_new(
        &p.staging.join("http.p12"),
        &http_p12,
        req.gid,
        "write_http_p12",
    )?;

    let set = |ks: &mut Keystore, name: &str, v: Secret| {
        ks.set_string(name, v)
            .map_err(|e| UserError::new(EsExit::CodeError, e.to_string()))
    };
    set(&mut keystore, PASSWORD_SETTINGS[0], transport_pw.clone())?;
    set(&mut keystore, PASSWORD_SETTINGS[1], transport_pw)?;
    set(&mut keystore, PASSWORD_SETTINGS[2], http_pw)?;
    if let Some(hash) = hash {
        set(&mut keystore, PASSWORD_HASH_SETTING, hash?)?;
    }
    hit("keystore_save").map_err(|e| io_err("cannot save", &p.keystore, e))?;
    let bytes = esac_keystore::encode(&keystore, &key)
        .map_err(|e| UserError::new(EsExit::CodeError, e.to_string()))?;
    done.keystore_created = !keystore_existed;
    esac_keystore::store::save(&p.keystore, &bytes).map_err(|e| keystore_error(&e))?;
    if let Some(gid) = req.gid {
        set_mode_group(&p.keystore, 0o660, Some(gid))
            .map_err(|e| io_err("cannot set the group of", &p.keystore, e))?;
    }

    if certs_existed {
        hit("move_certs").map_err(|e| io_err("cannot move", &p.certs, e))?;
        fs_err::rename(&p.certs, &p.certs_backup)
            .map_err(|e| io_err("cannot move", &p.certs, e))?;
        done.certs_moved = true;
    }
    hit("rename_staging").map_err(|e| io_err("cannot rename", &p.staging, e))?;
    fs_err::rename(&p.staging, &p.certs).map_err(|e| io_err("cannot rename", &p.staging, e))?;
    done.staging_renamed = true;
    sync_dir(&p.config).map_err(|e| io_err("cannot sync", &p.config, e))?;

    // The yml keeps its mode; this rename is the commit point.
    hit("write_yml").map_err(|e| io_err("cannot write", &p.yml, e))?;
    let yml_mode = std::fs::metadata(&p.yml)
        .map_err(|e| io_err("cannot stat", &p.yml, e))?
        .permissions()
        .mode()
        & 0o7777;
    write_via_temp(&p.yml, &p.yml_tmp, new_yml.as_bytes(), yml_mode, req.gid)
        .map_err(|e| io_err("cannot write", &p.yml, e))?;

    // Success: the keystore backup and the journal go; `certs.<epoch>.orig` stays, as in Elasticsearch.
    let _ = hit("cleanup");
    if done.keystore_backup {
        let _ = remove_file(&p.keystore_backup);
    }
    if req.drop_old_certs && done.certs_moved {
        let _ = remove_tree(&p.certs_backup);
    }
    let _ = Journal::remove(&p.config);
    let _ = sync_dir(&p.config);
    Ok(Applied {
        http_ca_fingerprint: material.http_ca_fingerprint(),
    })
}

fn keystore_file_error(e: esac_keystore::Error, path: &Path) -> UserError {
    let mut err = keystore_error(&e);
    // Elasticsearch's wrong-password message stays verbatim; everything else names the file.
    let shown = path.display().to_string();
    if err.message != msg::WRONG_KEYSTORE_PASSWORD && !err.message.contains(&shown) {
        err.message = format!("{} [{shown}]", err.message);
    }
    err
}

fn panicked() -> UserError {
    UserError::new(EsExit::CodeError, "a worker thread panicked")
}

/// Exit codes for keystore errors, as Elasticsearch's tools give them: decryption failures are
/// `SecurityException`s, turned into DATA_ERROR by `KeyStoreAwareCommand`; Lucene's corruption
/// errors are `IOException`s (IO_ERROR); a bad version or hasPassword byte is an
/// `IllegalStateException` (CODE_ERROR); save refusals are CONFIG. `init` and `keystore` share it.
pub fn keystore_error(e: &esac_keystore::Error) -> UserError {
    use esac_keystore::Error as K;
    let exit = match e.root() {
        K::WrongPassword | K::Corrupted | K::InvalidSettingName { .. } => EsExit::DataError,
        K::FormatTooOld { .. } | K::FormatTooNew { .. } | K::HasPasswordCorrupt { .. } => {
            EsExit::CodeError
        }
        K::OwnerChange { .. } | K::TempDenied { .. } => EsExit::Config,
        _ => EsExit::IoError,
    };
    UserError::new(exit, e.to_string())
}

/// Loads and decrypts the existing keystore (reusing its KDF result when the version stays), or
/// creates one with `keystore.seed`, as `KeyStoreWrapper.bootstrap` does.
fn open_keystore(
    path: &Path,
    password: &Secret,
    version: FormatVersion,
) -> Result<(Keystore, DerivedKey), UserError> {
    match esac_keystore::store::load(path).map_err(|e| keystore_error(&e))? {
        Some(file) => {
            let (mut ks, key) = file
                .decrypt(password)
                .map_err(|e| keystore_file_error(e, path))?;
            ks.add_seed_if_missing().map_err(|e| keystore_error(&e))?;
            let key = if key.write_version() == version {
                key
            } else {
                DerivedKey::new_random(password, version).map_err(|e| keystore_error(&e))?
            };
            Ok((ks, key))
        }
        None => {
            let ks = Keystore::create().map_err(|e| keystore_error(&e))?;
            let key = DerivedKey::new_random(&Secret::default(), version)
                .map_err(|e| keystore_error(&e))?;
            Ok((ks, key))
        }
    }
}

fn bcrypt_hash(password: &Secret) -> Result<Secret, UserError> {
    let parts = bcrypt::hash_with_result(password.expose(), 10).map_err(|e| {
        UserError::new(
            EsExit::CodeError,
            format!("cannot hash the elastic password: {e}"),
        )
    })?;
    Ok(Secret::from_string(
        parts.format_for_version(bcrypt::Version::TwoA),
    ))
}

fn write_new(path: &Path, bytes: &[u8], gid: Option<u32>, step: &str) -> Result<(), UserError> {
    hit(step).map_err(|e| io_err("cannot write", path, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = atomic::parent(path).join(format!(".{name}.tmp"));
    write_via_temp(path, &tmp, bytes, 0o660, gid).map_err(|e| io_err("cannot write", path, e))
}

fn set_mode_group(path: &Path, mode: u32, gid: Option<u32>) -> io::Result<()> {
    if let Some(gid) = gid {
        nix::unistd::chown(path, None, Some(nix::unistd::Gid::from_raw(gid)))
            .map_err(io::Error::from)?;
    }
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

fn backup_keystore(keystore: &Path, backup: &Path) -> io::Result<()> {
    remove_file(backup)?;
    match std::fs::hard_link(keystore, backup) {
        Ok(()) => {}
        // File systems without hard links: a copy that keeps mode and times, as ES's COPY_ATTRIBUTES.
        Err(_) => copy_with_attributes(keystore, backup)?,
    }
    sync_dir(&atomic::parent(backup))
}

fn copy_with_attributes(from: &Path, to: &Path) -> io::Result<()> {
    fs_err::copy(from, to)?;
    let meta = fs_err::metadata(from)?;
    fs_err::set_permissions(to, meta.permissions())?;
    let f = fs_err::OpenOptions::new().write(true).open(to)?;
    f.set_modified(meta.modified()?)?;
    f.sync_all()
}

/// Undoes `done`, most recent first (spec §5).
fn rollback(p: &Paths, done: &Done) -> io::Result<()> {
    if done.keystore_backup {
        atomic::restore_backup(&p.keystore_backup, &p.keystore)?;
    } else if done.keystore_created {
        // The keystore did not exist before this run: ours goes.
        remove_file(&p.keystore)?;
    }
    remove_file(&esac_keystore::store::temp_path(&p.keystore))?;
    remove_file(&p.yml_tmp)?;
    if done.staging_renamed {
        remove_tree(&p.certs)?;
    }
    if done.certs_moved {
        fs_err::rename(&p.certs_backup, &p.certs)?;
    }
    if done.staging {
        remove_tree(&p.staging)?;
    }
    sync_dir(&p.config)?;
    if done.journal {
        Journal::remove(&p.config)?;
        sync_dir(&p.config)?;
    }
    Ok(())
}

fn user_name(uid: u32) -> String {
    match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
        Ok(Some(u)) => u.name,
        _ => uid.to_string(),
    }
}
