//! The bundle writer of `layout`: makes exactly the files of an [`esac_core::bundle::BundlePlan`]
//! in a new hidden directory next to `--out`, then renames that directory to `--out`.
//!
//! Why not [`crate::execute`]: a bundle replaces nothing and touches no config directory, so
//! there is nothing to back up, journal or recover. Its only commit is one
//! `renameat2(RENAME_NOREPLACE)` of a directory this run created: before it, `--out` does not
//! exist; after it, `--out` is complete. A failure or a signal (SIGINT, SIGTERM, SIGHUP) removes
//! the temp directory; SIGKILL or a power loss can leave only the hidden
//! `.<out>.<random>.tmp` (mode 0700), never `--out`.
//!
//! Every name is created relative to a directory opened without following links
//! (`mkdirat`, `openat(O_CREAT|O_EXCL|O_NOFOLLOW)`), every directory is 0700 and every file 0600
//! from its creation (set on the descriptor, never by path or umask), and everything is fsynced
//! before the rename. Keys are generated on every core; the per-node work (certificates,
//! PKCS#12 files, the secrets keystore) runs in parallel too.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use esac_certspec::{CertRole, CertSpec};
use esac_core::bundle::{
    Authorities, BundleContent, BundlePlan, BundleStep, CaKind, IssuedCert, IssuedCerts,
    BUNDLE_DIR_MODE, BUNDLE_FILE_MODE,
};
use esac_core::planner::PASSWORD_SETTINGS;
use esac_keystore::{DerivedKey, FormatVersion, Keystore};
use esac_pki::{CertifiedKey, KeySource, Material};
use esac_secret::Secret;
use nix::errno::Errno;
use nix::fcntl::{OFlag, RenameFlags};
use nix::sys::stat::Mode;
use nix::unistd::UnlinkatFlags;

use crate::failpoint;
use crate::fsops::{euid, remove_contents};
use crate::signals::Interrupts;

/// What the writer needs besides the plan.
pub struct BundleInputs<'a> {
    /// Where keys come from.
    pub keys: &'a dyn KeySource,
    /// The bundle passphrase (empty: none) for the CA stores and the nodes' secrets.
    pub passphrase: Secret,
    /// With `--ca-dir`: the earlier bundle's HTTP CA and transport CA.
    pub authorities: Option<(CertifiedKey, CertifiedKey)>,
    /// Worker threads (all cores).
    pub threads: usize,
    /// Told what slow work is under way (`Some(line)`: keys done so far) and when it is over
    /// (`None`), on the calling thread, for a progress line on a terminal.
    pub progress: &'a dyn Fn(Option<&str>),
}

/// What a written bundle holds (no secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleWritten {
    /// The manifest written as `bundle.json`.
    pub manifest: esac_core::bundle::BundleManifest,
}

/// Why a bundle was not written. Nothing is left at `--out`.
#[derive(Debug)]
pub struct BundleError {
    /// The step.
    pub step: BundleStep,
    /// What went wrong.
    pub kind: BundleErrorKind,
}

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum BundleErrorKind {
    /// `--out` exists already.
    Exists(PathBuf),
    /// A file operation failed.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What happened.
        source: io::Error,
    },
    /// Keys, certificates or passwords could not be made.
    Generate(esac_pki::Error),
    /// A secrets keystore could not be made.
    Keystore(esac_keystore::Error),
    /// A signal stopped the run.
    Interrupted {
        /// Its number.
        signal: i32,
    },
    /// A worker thread panicked.
    WorkerPanicked,
}

impl fmt::Display for BundleErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleErrorKind::Exists(p) => write!(
                f,
                "[{}] exists already; layout writes a new directory and never replaces one",
                p.display()
            ),
            BundleErrorKind::Io { path, source } => write!(f, "[{}]: {source}", path.display()),
            BundleErrorKind::Generate(e) => write!(f, "cannot generate the bundle's material: {e}"),
            BundleErrorKind::Keystore(e) => write!(f, "cannot write a secrets keystore: {e}"),
            BundleErrorKind::Interrupted { signal } => write!(
                f,
                "interrupted by signal {signal}; the partial bundle was removed"
            ),
            BundleErrorKind::WorkerPanicked => f.write_str("a worker thread panicked"),
        }
    }
}

type Step<T> = Result<T, BundleErrorKind>;

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> BundleErrorKind + '_ {
    move |source| BundleErrorKind::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn errno(e: Errno) -> io::Error {
    io::Error::from(e)
}

/// The temp directory, removed (without following links) unless the bundle was committed.
struct Staging {
    parent: OwnedFd,
    name: String,
    dir: OwnedFd,
    path: PathBuf,
    committed: bool,
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Err(e) = remove_contents(&self.parent, &self.name, 0).and_then(|()| {
            nix::unistd::unlinkat(&self.parent, self.name.as_str(), UnlinkatFlags::RemoveDir)
                .map_err(errno)
        }) {
            tracing::warn!("cannot remove {}: {e}", self.path.display());
        }
    }
}

/// Writes the bundle of `plan`. On success `plan.out` holds exactly [`BundlePlan::files`].
pub fn write_bundle(
    plan: &BundlePlan,
    inputs: BundleInputs<'_>,
) -> Result<BundleWritten, BundleError> {
    let interrupts = Interrupts::block();
    let mut step = BundleStep::Staging;
    let result = (|| {
        let mut staging = stage(plan)?;
        step = BundleStep::Generate;
        before(step)?;
        let (files, manifest) = generate(plan, &inputs, &interrupts)?;
        after(step);
        interrupted(&interrupts)?;
        step = BundleStep::Write;
        before(step)?;
        write_tree(plan, &staging, &files, &interrupts)?;
        after(step);
        interrupted(&interrupts)?;
        step = BundleStep::Rename;
        before(step)?;
        commit(plan, &mut staging)?;
        after(step);
        Ok(BundleWritten { manifest })
    })();
    result.map_err(|kind| BundleError { step, kind })
}

fn before(step: BundleStep) -> Step<()> {
    failpoint::before_named(step.name()).map_err(|source| BundleErrorKind::Io {
        path: PathBuf::from(step.name()),
        source,
    })
}

fn after(step: BundleStep) {
    failpoint::after_named(step.name());
}

fn interrupted(i: &Interrupts) -> Step<()> {
    match i.received() {
        Some(signal) => Err(BundleErrorKind::Interrupted { signal }),
        None => Ok(()),
    }
}

/// `--out`'s parent, opened; `--out` must not exist; the hidden temp directory is made there.
fn stage(plan: &BundlePlan) -> Step<Staging> {
    let out = &plan.out;
    let (parent_path, name) = match (out.parent(), out.file_name().and_then(|n| n.to_str())) {
        (Some(p), Some(n)) if n != "." && n != ".." => (
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            },
            n,
        ),
        _ => {
            return Err(BundleErrorKind::Io {
                path: out.clone(),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "--out must name a new directory (a UTF-8 name)",
                ),
            })
        }
    };
    before(BundleStep::Staging)?;
    let parent = nix::fcntl::open(
        parent_path,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)
    .map_err(io_at(parent_path))?;
    match nix::sys::stat::fstatat(&parent, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW) {
        Err(Errno::ENOENT) => {}
        Ok(_) => return Err(BundleErrorKind::Exists(out.clone())),
        Err(e) => return Err(io_at(out)(errno(e))),
    }
    let mut random = [0u8; 6];
    aws_lc_rs::rand::fill(&mut random).map_err(|_| BundleErrorKind::Io {
        path: out.clone(),
        source: io::Error::other("no random numbers"),
    })?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let temp = staging_name(name, &suffix);
    let temp_path = parent_path.join(&temp);
    let dir = mkdir_in(&parent, &temp).map_err(io_at(&temp_path))?;
    let staging = Staging {
        parent,
        name: temp,
        dir,
        path: temp_path,
        committed: false,
    };
    after(BundleStep::Staging);
    Ok(staging)
}

/// The hidden directory a bundle named `name` is built in: `.<name>.<12 hex digits>.tmp`.
fn staging_name(name: &str, suffix: &str) -> String {
    format!(".{name}.{suffix}.tmp")
}

/// Whether `candidate` is the name of a staging directory of a bundle named `name`.
fn is_staging_name(name: &str, candidate: &str) -> bool {
    candidate
        .strip_prefix(&format!(".{name}."))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|hex| {
            hex.len() == 12 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// Staging directories of earlier `layout` runs for `out` that were killed before they could
/// remove them (SIGKILL, power loss): they may hold private keys, so `layout` names them (this
/// user's directories only). Read-only:
/// es-autoconf never removes what this run did not create. Links are not followed; at most the
/// first 100,000 entries of `out`'s parent are looked at.
pub fn interrupted_staging(out: &Path) -> Vec<PathBuf> {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name().and_then(|n| n.to_str()))
    else {
        return Vec::new();
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let me = euid();
    let mut found: Vec<PathBuf> = entries
        .take(100_000)
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|c| is_staging_name(name, c))
        })
        .filter(|e| {
            // Only this user's own directories (not a link, not someone else's look-alike).
            std::fs::symlink_metadata(e.path()).is_ok_and(|m| m.is_dir() && m.uid() == me)
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// `mkdirat` of a new directory (mode 0700 from the start), opened without following a link,
/// checked to be this user's directory.
fn mkdir_in(parent: &OwnedFd, name: &str) -> io::Result<OwnedFd> {
    nix::sys::stat::mkdirat(parent, name, Mode::from_bits_truncate(BUNDLE_DIR_MODE))
        .map_err(errno)?;
    let fd = nix::fcntl::openat(
        parent,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno)?;
    let dir = File::from(fd);
    let meta = dir.metadata()?;
    if !meta.is_dir() || meta.uid() != euid() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the new directory was replaced by someone else's",
        ));
    }
    dir.set_permissions(std::fs::Permissions::from_mode(BUNDLE_DIR_MODE))?;
    Ok(OwnedFd::from(dir))
}

/// Every file's bytes, in [`BundlePlan::files`] order, and the manifest.
type Generated = (
    Vec<(BundleContent, Vec<u8>)>,
    esac_core::bundle::BundleManifest,
);

/// Everything in memory: keys on every core, then each node's certificates, PKCS#12 files and
/// secrets in parallel, then the CA files and the manifests.
fn generate(
    plan: &BundlePlan,
    inputs: &BundleInputs<'_>,
    interrupts: &Interrupts,
) -> Step<Generated> {
    let gen = BundleErrorKind::Generate;
    let kt = plan.key_type;
    let total = plan.key_count();
    let keys = esac_pki::generate_many(inputs.keys, &vec![kt; total], inputs.threads, &|done| {
        (inputs.progress)(Some(&format!(
            "Generating {total} {kt} keys on {} threads: {done}/{total}",
            inputs.threads
        )))
    });
    (inputs.progress)(None);
    let keys = keys.map_err(gen)?;
    interrupted(interrupts)?;
    let mut keys = keys.into_iter();
    let mut next_key = || keys.next().ok_or(BundleErrorKind::WorkerPanicked);

    let (http_ca, transport_ca) = match (&plan.authorities, &inputs.authorities) {
        (Authorities::Generate(cas), _) => {
            let spec = |role| {
                cas.get(role)
                    .ok_or_else(|| gen(esac_pki::Error::Certificate(format!("no {role} spec"))))
            };
            (
                esac_pki::issue(spec(CertRole::HttpCa)?, &next_key()?, None).map_err(gen)?,
                esac_pki::issue(spec(CertRole::TransportCa)?, &next_key()?, None).map_err(gen)?,
            )
        }
        (Authorities::Reuse(_), Some((h, t))) => (h.clone(), t.clone()),
        (Authorities::Reuse(dir), None) => {
            return Err(gen(esac_pki::Error::Certificate(format!(
                "the CAs of {} were not loaded",
                dir.display()
            ))))
        }
    };
    let node_spec = |i: usize, role| -> Step<&CertSpec> {
        plan.nodes
            .get(i)
            .and_then(|n| n.certificates.get(role))
            .ok_or_else(|| gen(esac_pki::Error::Certificate(format!("no {role} spec"))))
    };
    let shared = if plan.shared_transport_key && !plan.nodes.is_empty() {
        Some(
            esac_pki::issue(
                node_spec(0, CertRole::Transport)?,
                &next_key()?,
                Some(&transport_ca),
            )
            .map_err(gen)?,
        )
    } else {
        None
    };
    let mut node_keys = Vec::with_capacity(plan.nodes.len());
    for _ in &plan.nodes {
        let http = next_key()?;
        let transport = if shared.is_some() {
            None
        } else {
            Some(next_key()?)
        };
        node_keys.push((http, transport));
    }
    // One key derivation for every node's secrets (each file still gets its own random IV).
    let secrets_key = DerivedKey::new_random(&inputs.passphrase, FormatVersion::CURRENT)
        .map_err(BundleErrorKind::Keystore)?;

    let per_node = parallel(plan.nodes.len(), inputs.threads, |i| -> Step<NodeFiles> {
        let (http_key, transport_key) = &node_keys[i];
        let http = esac_pki::issue(node_spec(i, CertRole::Http)?, http_key, Some(&http_ca))
            .map_err(gen)?;
        let transport = match (&shared, transport_key) {
            (Some(t), _) => t.clone(),
            (None, Some(k)) => {
                esac_pki::issue(node_spec(i, CertRole::Transport)?, k, Some(&transport_ca))
                    .map_err(gen)?
            }
            (None, None) => return Err(BundleErrorKind::WorkerPanicked),
        };
        let material = Material::from_parts(
            http_ca.clone(),
            http.clone(),
            transport.clone(),
            transport_ca.cert_der().to_vec(),
            plan.now,
        );
        let transport_pw = esac_pki::new_store_password().map_err(gen)?;
        let http_pw = esac_pki::new_store_password().map_err(gen)?;
        let mut secrets = Keystore::create().map_err(BundleErrorKind::Keystore)?;
        for (name, value) in [
            (PASSWORD_SETTINGS[0], &transport_pw),
            (PASSWORD_SETTINGS[1], &transport_pw),
            (PASSWORD_SETTINGS[2], &http_pw),
        ] {
            secrets
                .set_string(name, value.clone())
                .map_err(BundleErrorKind::Keystore)?;
        }
        Ok(NodeFiles {
            http_p12: material.http_p12(&http_pw).map_err(gen)?,
            transport_p12: material.transport_p12(&transport_pw).map_err(gen)?,
            secrets: esac_keystore::encode(&secrets, &secrets_key)
                .map_err(BundleErrorKind::Keystore)?,
            http: issued(&http)?,
            transport: issued(&transport)?,
        })
    })?;
    interrupted(interrupts)?;

    let certs = IssuedCerts {
        http_ca: issued(&http_ca)?,
        transport_ca: issued(&transport_ca)?,
        nodes: per_node
            .iter()
            .map(|n| (n.http.clone(), n.transport.clone()))
            .collect(),
    };
    let manifest = plan.manifest(&certs);
    let mut files = Vec::new();
    let mut per_node = per_node.into_iter().map(Some).collect::<Vec<_>>();
    for f in plan.files() {
        let bytes = match f.content {
            BundleContent::Manifest => manifest.to_json().into_bytes(),
            BundleContent::CaStore(kind) => {
                let (ca, alias) = match kind {
                    CaKind::Http => (&http_ca, kind.alias()),
                    CaKind::Transport => (&transport_ca, kind.alias()),
                };
                esac_pki::ca_p12(alias, ca, &inputs.passphrase, plan.now).map_err(gen)?
            }
            BundleContent::CaPem | BundleContent::HttpCaPem(_) => http_ca.cert_pem().into_bytes(),
            BundleContent::HttpP12(i) => {
                take(&mut per_node, i, |n| std::mem::take(&mut n.http_p12))?
            }
            BundleContent::TransportP12(i) => {
                take(&mut per_node, i, |n| std::mem::take(&mut n.transport_p12))?
            }
            BundleContent::Secrets(i) => {
                take(&mut per_node, i, |n| std::mem::take(&mut n.secrets))?
            }
            BundleContent::NodeManifest(i) => plan
                .node_manifest(i, &certs)
                .ok_or(BundleErrorKind::WorkerPanicked)?
                .to_json()
                .into_bytes(),
        };
        files.push((f.content, bytes));
    }
    Ok((files, manifest))
}

/// One node's encoded files and its certificates' public facts.
struct NodeFiles {
    http_p12: Vec<u8>,
    transport_p12: Vec<u8>,
    secrets: Vec<u8>,
    http: IssuedCert,
    transport: IssuedCert,
}

fn take(
    nodes: &mut [Option<NodeFiles>],
    i: usize,
    f: impl FnOnce(&mut NodeFiles) -> Vec<u8>,
) -> Step<Vec<u8>> {
    nodes
        .get_mut(i)
        .and_then(Option::as_mut)
        .map(f)
        .ok_or(BundleErrorKind::WorkerPanicked)
}

fn issued(c: &CertifiedKey) -> Step<IssuedCert> {
    let info = esac_pki::inspect(c.cert_der()).map_err(BundleErrorKind::Generate)?;
    Ok(IssuedCert {
        pem: c.cert_pem(),
        sha256: info.sha256,
        subject: info.subject,
        not_after: esac_certspec::Utc(info.not_after).rfc3339(),
    })
}

/// `f(0..n)` on `threads` workers, results in order; the first error wins.
fn parallel<T: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(usize) -> Step<T> + Sync,
) -> Step<Vec<T>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Step<T>>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let panicked = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.clamp(1, n.max(1)))
            .map(|_| {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = f(i);
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(r);
                    }
                })
            })
            .collect();
        workers.into_iter().any(|w| w.join().is_err())
    });
    if panicked {
        return Err(BundleErrorKind::WorkerPanicked);
    }
    slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .ok()
                .flatten()
                .unwrap_or(Err(BundleErrorKind::WorkerPanicked))
        })
        .collect()
}

/// The directories, then the files, in the temp directory; then fsync of every directory.
fn write_tree(
    plan: &BundlePlan,
    staging: &Staging,
    files: &[(BundleContent, Vec<u8>)],
    interrupts: &Interrupts,
) -> Step<()> {
    let abs = |parts: &[String]| {
        let mut p = staging.path.clone();
        p.extend(parts);
        p
    };
    let mut dirs: Vec<(Vec<String>, OwnedFd)> = Vec::new();
    for d in plan.dirs() {
        let (last, parents) = d.0.split_last().ok_or(BundleErrorKind::WorkerPanicked)?;
        let parent = dir_fd(staging, &dirs, parents)?;
        let fd = mkdir_in(parent, last).map_err(io_at(&abs(&d.0)))?;
        dirs.push((d.0.clone(), fd));
    }
    for (f, (content, bytes)) in plan.files().iter().zip(files) {
        if f.content != *content {
            return Err(BundleErrorKind::WorkerPanicked);
        }
        interrupted(interrupts)?;
        let (last, parents) = f
            .path
            .0
            .split_last()
            .ok_or(BundleErrorKind::WorkerPanicked)?;
        let parent = dir_fd(staging, &dirs, parents)?;
        write_new(parent, last, bytes).map_err(io_at(&abs(&f.path.0)))?;
    }
    for (parts, fd) in dirs.iter().rev() {
        nix::unistd::fsync(fd)
            .map_err(errno)
            .map_err(io_at(&abs(parts)))?;
    }
    nix::unistd::fsync(&staging.dir)
        .map_err(errno)
        .map_err(io_at(&staging.path))
}

fn dir_fd<'a>(
    staging: &'a Staging,
    dirs: &'a [(Vec<String>, OwnedFd)],
    parts: &[String],
) -> Step<&'a OwnedFd> {
    if parts.is_empty() {
        return Ok(&staging.dir);
    }
    dirs.iter()
        .find(|(p, _)| p.as_slice() == parts)
        .map(|(_, fd)| fd)
        .ok_or(BundleErrorKind::WorkerPanicked)
}

/// A new file (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600 from the start), written and fsynced.
fn write_new(dir: &OwnedFd, name: &str, bytes: &[u8]) -> io::Result<()> {
    let fd = nix::fcntl::openat(
        dir,
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(BUNDLE_FILE_MODE),
    )
    .map_err(errno)?;
    let mut file = File::from(fd);
    file.set_permissions(std::fs::Permissions::from_mode(BUNDLE_FILE_MODE))?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The commit: the temp directory becomes `--out`, which must still not exist.
fn commit(plan: &BundlePlan, staging: &mut Staging) -> Step<()> {
    let name = plan
        .out
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or(BundleErrorKind::WorkerPanicked)?;
    match nix::fcntl::renameat2(
        &staging.parent,
        staging.name.as_str(),
        &staging.parent,
        name,
        RenameFlags::RENAME_NOREPLACE,
    ) {
        Ok(()) => {}
        Err(Errno::EEXIST | Errno::ENOTEMPTY) => {
            return Err(BundleErrorKind::Exists(plan.out.clone()))
        }
        Err(Errno::EINVAL | Errno::ENOSYS) => {
            // No RENAME_NOREPLACE on this file system: check, then rename (the window is the
            // operator's own directory).
            match nix::sys::stat::fstatat(
                &staging.parent,
                name,
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            ) {
                Err(Errno::ENOENT) => {}
                _ => return Err(BundleErrorKind::Exists(plan.out.clone())),
            }
            nix::fcntl::renameat(
                &staging.parent,
                staging.name.as_str(),
                &staging.parent,
                name,
            )
            .map_err(errno)
            .map_err(io_at(&plan.out))?;
        }
        Err(e) => return Err(io_at(&plan.out)(errno(e))),
    }
    staging.committed = true;
    // The bundle is complete and in place; a failed fsync of the parent only risks the name on a
    // power loss, which the operator would see as a missing `--out`.
    if let Err(e) = nix::unistd::fsync(&staging.parent) {
        tracing::warn!("cannot fsync the directory of {}: {e}", plan.out.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use esac_core::bundle::{plan_layout, LayoutOptions, NodeManifest, DEFAULT_TRANSPORT_PORT};
    use esac_core::instances::parse_instances;
    use std::os::unix::fs::PermissionsExt;
    use std::time::SystemTime;

    #[test]
    fn staging_names_are_recognised_exactly() {
        let name = staging_name("bundle", "0123456789ab");
        assert_eq!(name, ".bundle.0123456789ab.tmp");
        assert!(is_staging_name("bundle", &name));
        for other in [
            ".bundle.0123456789AB.tmp",
            ".bundle.0123456789a.tmp",
            ".bundle.0123456789abc.tmp",
            ".bundle2.0123456789ab.tmp",
            "bundle.0123456789ab.tmp",
            ".bundle.0123456789ab.tmp2",
            ".bundle.x.tmp",
        ] {
            assert!(!is_staging_name("bundle", other), "{other}");
        }
    }

    const YML: &str = "instances:\n  - name: es01\n    ip: [10.0.0.1]\n  - name: \"node two\"\n    filename: \"node 2\"\n    dns: [two.example]\n";

    fn plan(out: &Path) -> BundlePlan {
        plan_layout(
            out,
            parse_instances(YML).unwrap(),
            &LayoutOptions {
                now: SystemTime::now(),
                key_type: esac_certspec::KeyType::EcdsaP256,
                masters: None,
                seed_addresses: vec![],
                transport_port: DEFAULT_TRANSPORT_PORT,
                shared_transport_key: false,
                loopback_sans: true,
                passphrase: true,
                existing: None,
            },
        )
        .unwrap()
    }

    fn inputs<'a>(pass: &str, progress: &'a dyn Fn(Option<&str>)) -> BundleInputs<'a> {
        BundleInputs {
            keys: &esac_pki::AwsLcKeySource,
            passphrase: Secret::from_str_copy(pass),
            authorities: None,
            threads: 2,
            progress,
        }
    }

    fn walk(root: &Path, out: &mut Vec<(String, u32, bool)>) {
        for e in std::fs::read_dir(root).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            out.push((
                e.path().to_string_lossy().into_owned(),
                m.permissions().mode() & 0o7777,
                m.is_dir(),
            ));
            if m.is_dir() {
                walk(&e.path(), out);
            }
        }
    }

    #[test]
    fn a_bundle_holds_exactly_the_planned_files_0600_in_0700_dirs() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("bundle");
        let plan = plan(&out);
        let lines = std::cell::RefCell::new(Vec::new());
        let progress = |line: Option<&str>| lines.borrow_mut().push(line.map(str::to_owned));
        let written = write_bundle(&plan, inputs("s3cret", &progress)).unwrap();
        let lines = lines.into_inner();
        assert_eq!(lines.len(), 6 + 1, "{lines:?}");
        assert!(
            lines[5].as_deref().is_some_and(|l| l.ends_with(": 6/6")),
            "{lines:?}"
        );
        assert_eq!(lines[6], None, "cleared at the end");
        let mut entries = Vec::new();
        walk(t.path(), &mut entries);
        let root = format!("{}/", t.path().display());
        let mut files: Vec<String> = entries
            .iter()
            .filter(|(_, _, dir)| !dir)
            .map(|(p, _, _)| {
                p.trim_start_matches(&root)
                    .trim_start_matches("bundle/")
                    .to_owned()
            })
            .collect();
        files.sort();
        let mut want: Vec<String> = plan.files().iter().map(|f| f.path.to_string()).collect();
        want.sort();
        assert_eq!(files, want, "nothing else, no temp directory left");
        for (p, mode, dir) in &entries {
            assert_eq!(*mode, if *dir { 0o700 } else { 0o600 }, "{p}");
        }
        assert_eq!(written.manifest.instances.len(), 2);
        let node: NodeManifest =
            serde_json::from_slice(&std::fs::read(out.join("node 2/node.json")).unwrap()).unwrap();
        assert_eq!(node.node_name, "node two");
        assert_eq!(node.seed_hosts, ["10.0.0.1:9300", "two.example:9300"]);
        assert_eq!(node.initial_master_nodes, ["es01", "node two"]);
        assert_eq!(node.http_ca_sha256, written.manifest.http_ca.sha256);

        // The secrets open with the passphrase and open the node's stores.
        let file = esac_keystore::KeystoreFile::parse(
            &std::fs::read(out.join("node 2/secrets.keystore")).unwrap(),
        )
        .unwrap();
        assert!(file.has_password());
        assert!(file.decrypt(&Secret::from_str_copy("wrong")).is_err());
        let (ks, _) = file.decrypt(&Secret::from_str_copy("s3cret")).unwrap();
        let http_pw = ks.get(PASSWORD_SETTINGS[2]).unwrap();
        let store = esac_pki::read_p12(
            &std::fs::read(out.join("node 2/certs/http.p12")).unwrap(),
            http_pw,
        )
        .unwrap();
        let leaf = store.key_entry("http").unwrap();
        assert_eq!(esac_pki::sha256_hex(&leaf.chain[1]), node.http_ca_sha256);
        let ca = esac_pki::read_p12(
            &std::fs::read(out.join("ca/http_ca.p12")).unwrap(),
            &Secret::from_str_copy("s3cret"),
        )
        .unwrap();
        assert_eq!(ca.key_entry("http_ca").unwrap().chain[0], leaf.chain[1]);
    }

    #[test]
    fn an_existing_out_even_a_link_is_never_replaced_or_followed() {
        let t = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = t.path().join("bundle");
        std::os::unix::fs::symlink(elsewhere.path(), &out).unwrap();
        let e = write_bundle(&plan(&out), inputs("", &|_| {})).unwrap_err();
        assert!(matches!(e.kind, BundleErrorKind::Exists(_)), "{e:?}");
        assert_eq!(e.step, BundleStep::Staging);
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
        assert_eq!(
            std::fs::read_dir(t.path()).unwrap().count(),
            1,
            "only the link"
        );
        let missing = t.path().join("no/such/dir/bundle");
        let e = write_bundle(&plan(&missing), inputs("", &|_| {})).unwrap_err();
        assert!(matches!(e.kind, BundleErrorKind::Io { .. }), "{e:?}");
    }
}
