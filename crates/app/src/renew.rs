//! `renew http` and `renew http-ca` (lifecycle spec §3): lock and recover, probe, read
//! `certs/http.p12` with the password from the keystore, check it in the spec's order, plan,
//! and either return the plan (`--dry-run`) or execute it.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use esac_certspec::{ExistingCert, KeyType, RenewKey, SanEntry, SanMode};
use esac_core::plan::{CaChange, Plan};
use esac_core::renew::{
    self, HttpStoreFacts, LeafOptions, Refusal, RenewCaOptions, RenewHttpOptions,
};
use esac_core::{planner, EsExit, Facts, Reason};
use esac_secret::Secret;

use crate::{runtime, Console, Failure, Paths};

/// The keystore setting holding the password of the HTTP store.
pub const HTTP_PASSWORD_SETTING: &str = "xpack.security.http.ssl.keystore.secure_password";
/// The keystore setting holding a separate key password (auto-configuration never sets it).
pub const HTTP_KEY_PASSWORD_SETTING: &str = "xpack.security.http.ssl.keystore.secure_key_password";
/// The files renew reads, named by the one place that names the files of a run.
fn layout(config_dir: &Path) -> esac_core::Layout {
    esac_core::Layout::new(config_dir, 0)
}
/// PKCS#12 files are small; nothing larger is read.
const MAX_STORE_BYTES: u64 = 1024 * 1024;

/// Which certificate to renew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The node's HTTP certificate.
    Http,
    /// The HTTP CA certificate.
    HttpCa,
}

impl Target {
    /// The command's name (`renew http`, `renew http-ca`).
    pub const fn command(self) -> &'static str {
        match self {
            Target::Http => "renew http",
            Target::HttpCa => "renew http-ca",
        }
    }

    /// The `target` field of the JSON document.
    pub const fn name(self) -> &'static str {
        match self {
            Target::Http => "http",
            Target::HttpCa => "http_ca",
        }
    }
}

/// What `renew` is asked to do.
#[derive(Clone, Debug, Default)]
pub struct RenewRequest {
    /// `-E KEY=VALUE`, as given.
    pub settings: Vec<String>,
    /// Check and plan only.
    pub dry_run: bool,
    /// `--within DAYS` (default 30 for `http`, 90 for `http-ca`).
    pub within: Option<u32>,
    /// `--force`.
    pub force: bool,
    /// `--days N` (default 730 for `http`, 1095 for `http-ca`).
    pub days: Option<u32>,
    /// `--no-cap`.
    pub no_cap: bool,
    /// `--sans`.
    pub san_mode: SanMode,
    /// `--add-san`.
    pub add_sans: Vec<SanEntry>,
    /// `--reuse-key`.
    pub reuse_key: bool,
    /// `--key-type` (default: the old key's type).
    pub key_type: Option<KeyType>,
    /// `--keep-backup`.
    pub keep_backup: bool,
    /// `http-ca --with-leaf`.
    pub with_leaf: bool,
    /// `http-ca --import-ca-cert FILE`.
    pub import_ca_cert: Option<PathBuf>,
    /// `--wait-reload URL`: after the commit, wait until the node at URL serves the new
    /// certificate.
    pub wait_reload: Option<String>,
    /// `--require-reload`: not seeing it is a failure (exit 69).
    pub require_reload: bool,
}

/// A certificate as reported (public data only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertReport {
    /// Subject DN.
    pub subject: String,
    /// Serial, lowercase hex (absent for a planned certificate).
    pub serial: Option<String>,
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
    /// Days left at the time of the run.
    pub days_left: i64,
    /// IP and DNS SANs.
    pub sans: Vec<String>,
    /// SHA-256 of the DER (absent for a planned certificate).
    pub sha256: Option<String>,
    /// The key's type.
    pub key: Option<KeyType>,
}

impl CertReport {
    fn of(c: &ExistingCert, now: SystemTime) -> Self {
        CertReport {
            subject: c.subject.clone(),
            serial: Some(c.serial.clone()),
            not_before: c.not_before,
            not_after: c.not_after,
            days_left: c.days_left(now),
            sans: c.sans.iter().map(ToString::to_string).collect(),
            sha256: Some(c.sha256.clone()),
            key: c.key_type,
        }
    }
}

/// A file a renewal replaces, with the mode and owner it keeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// `replace` or `create`.
    pub action: &'static str,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// When a running node picks up the new `http.p12` (lifecycle spec §1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reload {
    /// `resource.reload.enabled`.
    pub enabled: bool,
    /// `resource.reload.interval.high`, in milliseconds.
    pub interval_ms: u64,
}

/// What a renewal found, made or would make: everything the operator is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewReport {
    /// Which certificate.
    pub target: Target,
    /// The node's certificate before.
    pub before: CertReport,
    /// The CA certificate before.
    pub ca_before: CertReport,
    /// The node's certificate after (planned values for a dry run), when it is renewed.
    pub after: Option<CertReport>,
    /// Whether its validity was cut at the CA's expiry.
    pub capped_by_ca: bool,
    /// Whether its key was kept.
    pub key_reused: bool,
    /// The CA certificate after, when it changes.
    pub ca_after: Option<CertReport>,
    /// The files replaced or created.
    pub files: Vec<FileReport>,
    /// Reload behaviour of the node.
    pub reload: Reload,
    /// What `--wait-reload` saw.
    pub reload_check: Option<ReloadCheck>,
}

/// What `--wait-reload URL` saw after the commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReloadCheck {
    /// The URL.
    pub url: String,
    /// The node served the new certificate.
    pub seen: bool,
    /// `--require-reload`: not seeing it exits 69.
    pub required: bool,
    /// How long it waited, in milliseconds.
    pub waited_ms: u64,
    /// What it saw last: the served leaf's fingerprint, or why there was none.
    pub last: String,
}

/// What `renew` did.
#[derive(Debug)]
pub enum RenewOutcome {
    /// Nothing to do (exit 80): not due, or the imported CA is already installed.
    Skipped {
        /// Why.
        reason: Reason,
        /// What to tell the operator.
        message: String,
        /// What was found.
        report: Box<RenewReport>,
    },
    /// `--dry-run`: what a run would do.
    Planned {
        /// The plan.
        plan: Box<Plan>,
        /// What was found and would be made.
        report: Box<RenewReport>,
    },
    /// Renewed.
    Renewed {
        /// The plan that ran.
        plan: Box<Plan>,
        /// What was found and made.
        report: Box<RenewReport>,
    },
}

impl RenewOutcome {
    /// The exit status.
    pub fn exit(&self) -> EsExit {
        match self {
            RenewOutcome::Skipped { .. } => EsExit::Noop,
            RenewOutcome::Renewed { report, .. }
                if report
                    .reload_check
                    .as_ref()
                    .is_some_and(|c| c.required && !c.seen) =>
            {
                EsExit::Unavailable
            }
            _ => EsExit::Ok,
        }
    }

    /// The report.
    pub fn report(&self) -> &RenewReport {
        match self {
            RenewOutcome::Skipped { report, .. }
            | RenewOutcome::Planned { report, .. }
            | RenewOutcome::Renewed { report, .. } => report,
        }
    }
}

/// `es-autoconf renew http | http-ca`.
pub fn renew(
    paths: &Paths,
    target: Target,
    req: &RenewRequest,
    console: &dyn Console,
) -> Result<RenewOutcome, Failure> {
    let overrides = runtime::overrides(&req.settings)?;
    if let Some(url) = &req.wait_reload {
        // A URL that cannot be handshaked with is a usage error before anything is written.
        esac_enroll::served::check_url(url).map_err(Failure::Usage)?;
    }
    let (lock, facts) = runtime::start(paths, &overrides, req.dry_run, console)?;
    let store_path = check_layout(&facts)?;
    let now = runtime::now();
    let (password, store) = read_store(&paths.config_dir, &store_path)?;
    let stat = std::fs::symlink_metadata(&store_path).map_err(|source| Failure::Io {
        what: format!("cannot read [{}]", store_path.display()),
        source,
    })?;
    let euid = nix::unistd::geteuid().as_raw();
    if euid != 0 && stat.uid() != euid {
        return Err(Failure::OwnerChangeRequired {
            path: store_path,
            owner: stat.uid(),
        });
    }
    let leaf = esac_pki::existing_cert(store.leaf.cert_der()).map_err(|e| shape(&store_path, e))?;
    let ca = esac_pki::existing_cert(store.ca.cert_der()).map_err(|e| shape(&store_path, e))?;
    let crt_path = {
        let l = layout(&paths.config_dir);
        l.abs(&l.http_ca_crt())
    };
    let crt_stat = std::fs::symlink_metadata(&crt_path)
        .ok()
        .filter(|m| m.file_type().is_file());
    let f = HttpStoreFacts {
        leaf_alias: store.leaf_alias.clone(),
        ca_alias: store.ca_alias.clone(),
        leaf,
        ca,
        p12_gid: stat.gid(),
        ca_crt_gid: crt_stat.as_ref().map(MetadataExt::gid),
    };
    let leaf_opts = LeafOptions {
        days: req
            .days
            .filter(|_| target == Target::Http)
            .unwrap_or(esac_certspec::HTTP_DAYS),
        no_cap: req.no_cap,
        san_mode: req.san_mode,
        add_sans: req.add_sans.clone(),
        current_sans: planner::san_inputs(&facts).entries(),
        key: if req.reuse_key {
            RenewKey::Reuse
        } else {
            RenewKey::New(req.key_type.or(f.leaf.key_type).unwrap_or(KeyType::Rsa4096))
        },
    };
    let mut report = RenewReport {
        target,
        before: CertReport::of(&f.leaf, now),
        ca_before: CertReport::of(&f.ca, now),
        after: None,
        capped_by_ca: false,
        key_reused: req.reuse_key,
        ca_after: None,
        files: Vec::new(),
        reload: reload(&facts),
        reload_check: None,
    };
    let (plan, refusal) = match target {
        Target::Http => {
            let opts = RenewHttpOptions {
                now,
                within_days: req.within.unwrap_or(renew::HTTP_WITHIN_DAYS),
                force: req.force,
                leaf: leaf_opts,
                keep_backup: req.keep_backup,
            };
            (
                planner::plan_renew_http(&paths.config_dir, &f, &opts),
                renew::check_renew_http(&f, &opts),
            )
        }
        Target::HttpCa => {
            let import = match &req.import_ca_cert {
                None => None,
                Some(file) => Some(import_cert(file, &store, now)?),
            };
            let opts = RenewCaOptions {
                now,
                within_days: req.within.unwrap_or(renew::HTTP_CA_WITHIN_DAYS),
                force: req.force,
                days: req.days.unwrap_or(renew::CA_DAYS),
                import,
                with_leaf: req.with_leaf,
                leaf: leaf_opts,
                keep_backup: req.keep_backup,
            };
            (
                planner::plan_renew_http_ca(&paths.config_dir, &f, &opts),
                renew::check_renew_http_ca(&f, &opts),
            )
        }
    };
    match refusal {
        Ok(()) => {}
        Err(Refusal::NotDue { days_left, within }) => {
            let what = match target {
                Target::Http => "the HTTP certificate",
                Target::HttpCa => "the HTTP CA certificate",
            };
            return Ok(RenewOutcome::Skipped {
                reason: Reason::NotDue,
                message: format!(
                    "{what} has {days_left} days left, more than --within {within}; nothing to do (--force renews it anyway)"
                ),
                report: Box::new(report),
            });
        }
        Err(Refusal::AlreadyInstalled) => {
            return Ok(RenewOutcome::Skipped {
                reason: Reason::CaAlreadyInstalled,
                message: "that CA certificate is already installed; nothing to do".into(),
                report: Box::new(report),
            })
        }
        Err(Refusal::CaExpired {
            not_after,
            days_left,
        }) => {
            return Err(Failure::CaExpired {
                not_after,
                days_left,
            })
        }
    }
    describe_plan(
        &plan,
        &mut report,
        now,
        &stat,
        &store_path,
        crt_stat.as_ref(),
        &crt_path,
    );
    if req.dry_run {
        return Ok(RenewOutcome::Planned {
            plan: Box::new(plan),
            report: Box::new(report),
        });
    }
    let inputs = runtime::RunInputs {
        renewal: Some(esac_exec::Renewal { password, store }),
        ..Default::default()
    };
    let executed = runtime::execute(&plan, console, inputs)?;
    if let Some(der) = &executed.http_leaf_der {
        if plan.http_store().is_some_and(|e| e.leaf.is_some()) {
            let made = esac_pki::existing_cert(der).map_err(|e| Failure::Io {
                what: "cannot read the new certificate back".into(),
                source: std::io::Error::other(e.to_string()),
            })?;
            report.after = Some(CertReport::of(&made, now));
        }
    }
    if let Some(der) = &executed.http_ca_der {
        if report.ca_after.is_some() {
            let made = esac_pki::existing_cert(der).map_err(|e| Failure::Io {
                what: "cannot read the new CA certificate back".into(),
                source: std::io::Error::other(e.to_string()),
            })?;
            report.ca_after = Some(CertReport::of(&made, now));
        }
    }
    if let Some(url) = &req.wait_reload {
        // The files are committed: nothing is left for the lock to protect while waiting.
        drop(lock);
        report.reload_check = Some(wait_for_reload(&report, url, req.require_reload, console));
    }
    Ok(RenewOutcome::Renewed {
        plan: Box::new(plan),
        report: Box::new(report),
    })
}

/// The longest `--wait-reload` waits, whatever `resource.reload.interval.high` says (a yml
/// that members of the config directory's group may write).
pub const MAX_RELOAD_WAIT: Duration = Duration::from_secs(300);

/// Handshakes with `url` once a second until it serves the new leaf (or, for a CA re-issued
/// without a new leaf, the node's leaf with the new CA certificate), for max(15 s, 3 × the
/// reload interval), at most [`MAX_RELOAD_WAIT`] (lifecycle spec §3.3). The files are committed
/// whatever it sees; the config directory is no longer locked.
fn wait_for_reload(
    report: &RenewReport,
    url: &str,
    required: bool,
    console: &dyn Console,
) -> ReloadCheck {
    let started = std::time::Instant::now();
    let check = |seen: bool, last: String| ReloadCheck {
        url: url.to_owned(),
        seen,
        required,
        waited_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        last,
    };
    if !report.reload.enabled {
        return check(
            false,
            "resource.reload.enabled is false: the node loads the new certificate when it restarts"
                .into(),
        );
    }
    let wanted_leaf = report.after.as_ref().and_then(|c| c.sha256.clone());
    let wanted_ca = report.ca_after.as_ref().and_then(|c| c.sha256.clone());
    let current_leaf = report.before.sha256.clone();
    let budget = runtime::reload_wait(
        Duration::from_millis(report.reload.interval_ms.saturating_mul(3).max(15_000))
            .min(MAX_RELOAD_WAIT),
    );
    let second = Duration::from_secs(1);
    loop {
        let left = budget.saturating_sub(started.elapsed());
        let attempt = esac_enroll::served::served_chain(
            url,
            left.clamp(Duration::from_millis(100), 5 * second),
        );
        let (seen, last) = match attempt {
            Ok(chain) => {
                let sha = |i: usize| chain.get(i).map(|c| esac_pki::sha256_hex(c));
                let leaf = sha(0);
                // The handshake signature binds the chain to the leaf's key: a new leaf, or the
                // node's own leaf next to the new CA certificate.
                let seen = match (&wanted_leaf, &wanted_ca) {
                    (Some(w), _) => leaf.as_ref() == Some(w),
                    (None, Some(w)) => {
                        leaf.is_some() && leaf == current_leaf && sha(1).as_ref() == Some(w)
                    }
                    (None, None) => false,
                };
                (
                    seen,
                    format!("served certificate SHA-256 {}", leaf.unwrap_or_default()),
                )
            }
            Err(e) => (false, e),
        };
        let left = budget.saturating_sub(started.elapsed());
        if seen || left.is_zero() {
            console.progress(None);
            return check(seen, last);
        }
        console.progress(Some(&format!(
            "waiting for {url} to serve the new certificate: {} s left",
            left.as_secs()
        )));
        std::thread::sleep(left.min(second));
    }
}

fn shape(path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::UnexpectedKeystoreShape {
        path: path.to_path_buf(),
        why: e.to_string(),
    }
}

/// What the plan will make, before it runs (planned values, no serial or fingerprint yet).
fn describe_plan(
    plan: &Plan,
    report: &mut RenewReport,
    now: SystemTime,
    p12: &std::fs::Metadata,
    p12_path: &Path,
    crt: Option<&std::fs::Metadata>,
    crt_path: &Path,
) {
    let Some(edit) = plan.http_store() else {
        return;
    };
    if let Some(leaf) = &edit.leaf {
        report.after = Some(CertReport {
            subject: leaf.old.subject.clone(),
            serial: None,
            not_before: leaf.not_before,
            not_after: leaf.not_after,
            days_left: renew::days_left(now, leaf.not_after),
            sans: leaf.sans.iter().map(ToString::to_string).collect(),
            sha256: None,
            key: match leaf.key {
                RenewKey::New(kt) => Some(kt),
                RenewKey::Reuse => leaf.old.key_type,
            },
        });
        report.capped_by_ca = leaf.capped_by_ca;
    }
    let ca = match &edit.ca {
        CaChange::Keep => None,
        CaChange::Reissue(r) => Some(CertReport {
            subject: r.old.subject.clone(),
            serial: None,
            not_before: r.not_before,
            not_after: r.not_after,
            days_left: renew::days_left(now, r.not_after),
            sans: Vec::new(),
            sha256: None,
            key: r.old.key_type,
        }),
        CaChange::Import { cert, .. } => Some(CertReport::of(cert, now)),
    };
    if let Some(ca) = ca {
        report.ca_after = Some(ca);
        let (action, mode, uid, gid) = match crt {
            Some(m) => ("replace", m.mode() & 0o7777, m.uid(), m.gid()),
            None => (
                "create",
                esac_core::planner::FILE_MODE,
                nix::unistd::geteuid().as_raw(),
                p12.gid(),
            ),
        };
        report.files.push(FileReport {
            path: crt_path.to_path_buf(),
            action,
            mode,
            uid,
            gid,
        });
    }
    report.files.push(FileReport {
        path: p12_path.to_path_buf(),
        action: "replace",
        mode: p12.mode() & 0o7777,
        uid: p12.uid(),
        gid: p12.gid(),
    });
}

/// Lifecycle spec §3.3 step 2: HTTP TLS on, with the PKCS#12 store auto-configuration writes.
fn check_layout(facts: &Facts) -> Result<PathBuf, Failure> {
    let s = &facts.settings;
    let enabled = s
        .get_bool("xpack.security.http.ssl.enabled", false)
        .map_err(|e| Failure::NotRenewable(e.to_string()))?;
    if !enabled {
        return Err(Failure::NotRenewable(
            "xpack.security.http.ssl.enabled is not true: this node does not serve HTTPS".into(),
        ));
    }
    if s.exists("xpack.security.http.ssl.certificate") || s.exists("xpack.security.http.ssl.key") {
        return Err(Failure::NotRenewable(
            "the HTTP certificate is configured as PEM files (xpack.security.http.ssl.certificate/key); renew supports the PKCS#12 layout written by auto-configuration".into(),
        ));
    }
    let path = s.get_str("xpack.security.http.ssl.keystore.path");
    let store_type = s
        .get_str("xpack.security.http.ssl.keystore.type")
        .map(str::to_ascii_lowercase);
    let pkcs12 = match (&store_type, path) {
        (Some(t), _) => t == "pkcs12",
        (None, Some(p)) => [".p12", ".pfx", ".pkcs12"].iter().any(|e| p.ends_with(e)),
        (None, None) => false,
    };
    let l = layout(&facts.config_dir);
    let store = l.abs(&l.http_p12());
    let resolved = path.map(|p| facts.config_dir.join(p));
    match (path, pkcs12) {
        (Some(_), true) if resolved.as_deref() == Some(&store) => Ok(store),
        (Some(p), true) => Err(Failure::NotRenewable(format!(
            "xpack.security.http.ssl.keystore.path is [{p}]; renew rewrites only the store auto-configuration writes, {}",
            l.http_p12()
        ))),
        (Some(p), false) => Err(Failure::NotRenewable(format!(
            "[{p}] is not a PKCS#12 store; renew supports the PKCS#12 layout written by auto-configuration"
        ))),
        (None, _) => Err(Failure::NotRenewable(
            "xpack.security.http.ssl.keystore.path is not set; renew supports the PKCS#12 layout written by auto-configuration".into(),
        )),
    }
}

/// Lifecycle spec §3.3 steps 3–4: the store's password from the keystore, then the store,
/// opened and checked.
fn read_store(
    config_dir: &Path,
    store_path: &Path,
) -> Result<(Secret, esac_pki::HttpStore), Failure> {
    let opened = esac_keystore::open_keystore(config_dir, &runtime::password_source())
        .map_err(Failure::Keystore)?
        .ok_or_else(|| Failure::MissingPasswordSetting {
            setting: HTTP_PASSWORD_SETTING,
            keystore: config_dir.join(esac_core::layout::KEYSTORE),
        })?;
    let password = opened
        .keystore
        .get(HTTP_PASSWORD_SETTING)
        .cloned()
        .ok_or_else(|| Failure::MissingPasswordSetting {
            setting: HTTP_PASSWORD_SETTING,
            keystore: opened.path.clone(),
        })?;
    if let Some(key_password) = opened.keystore.get(HTTP_KEY_PASSWORD_SETTING) {
        if key_password.expose() != password.expose() {
            return Err(Failure::NotRenewable(format!(
                "the keystore sets {HTTP_KEY_PASSWORD_SETTING} to a password other than the store's; renew keeps one password for both, as auto-configuration writes them"
            )));
        }
    }
    let bytes = read_nofollow(store_path).map_err(|e| Failure::P12Unreadable {
        path: store_path.to_path_buf(),
        why: e.to_string(),
    })?;
    let contents = esac_pki::read_p12(&bytes, &password).map_err(|e| Failure::P12Unreadable {
        path: store_path.to_path_buf(),
        why: format!("{e} (is {HTTP_PASSWORD_SETTING} in the keystore the password of this file?)"),
    })?;
    let store = esac_pki::http_store(&contents).map_err(|e| shape(store_path, e))?;
    Ok((password, store))
}

/// Reads a regular file without following a link at its name, at most [`MAX_STORE_BYTES`].
fn read_nofollow(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits() | nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_STORE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_STORE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_STORE_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

/// `--import-ca-cert FILE`: one certificate (PEM or DER) for this node's CA key, valid now.
fn import_cert(
    file: &Path,
    store: &esac_pki::HttpStore,
    now: SystemTime,
) -> Result<(ExistingCert, Vec<u8>), Failure> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let mismatch = |why: String| Failure::CaKeyMismatch {
        path: file.to_path_buf(),
        why,
    };
    let bytes = read_nofollow(file).map_err(|e| mismatch(format!("cannot read it: {e}")))?;
    let pem = bytes.windows(10).any(|w| w == b"-----BEGIN");
    let ders: Vec<Vec<u8>> = if pem {
        CertificateDer::pem_slice_iter(&bytes)
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| mismatch(format!("not PEM certificates: {e}")))?
    } else {
        vec![bytes.clone()]
    };
    let [der] = ders.as_slice() else {
        return Err(mismatch(format!(
            "it holds {} certificates; exactly one is expected",
            ders.len()
        )));
    };
    let cert = esac_pki::existing_cert(der).map_err(|e| mismatch(e.to_string()))?;
    if cert.sha256 == esac_pki::sha256_hex(store.ca.cert_der()) {
        return Ok((cert, der.clone()));
    }
    match esac_pki::same_ca_key(der, &store.ca) {
        Ok(true) => {}
        Ok(false) => {
            return Err(mismatch(
                "it is not a CA certificate for this node's HTTP CA key (same subject, same public key, signed by that key)".into(),
            ))
        }
        Err(e) => return Err(mismatch(e.to_string())),
    }
    if cert.not_before > now || cert.not_after < now + Duration::from_secs(86_400) {
        return Err(Failure::CaExpired {
            not_after: cert.not_after,
            days_left: cert.days_left(now),
        });
    }
    Ok((cert, der.clone()))
}

/// `resource.reload.enabled` and `resource.reload.interval.high` (default 5 s).
fn reload(facts: &Facts) -> Reload {
    let s = &facts.settings;
    let enabled = s.get_bool("resource.reload.enabled", true).unwrap_or(true);
    let interval_ms = s
        .get_str("resource.reload.interval.high")
        .and_then(parse_time_ms)
        .unwrap_or(5_000);
    Reload {
        enabled,
        interval_ms,
    }
}

/// An Elasticsearch time value (`500ms`, `5s`, `1m`, `2h`, `1d`) in milliseconds.
pub fn parse_time_ms(v: &str) -> Option<u64> {
    let v = v.trim();
    let split = v.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = v.split_at(split);
    let n: u64 = n.parse().ok()?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// Parses an `--add-san` value: `DNS:name` or `IP:address`; a DNS name that is an IP address is
/// refused (clients would not match it).
pub fn parse_san(v: &str) -> Result<SanEntry, String> {
    let entry: SanEntry = v.parse()?;
    if let SanEntry::Dns(name) = &entry {
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<std::net::IpAddr>().is_ok() {
            return Err(format!(
                "[{v}] is an IP address: write it as IP:{bare}, or clients will not match it"
            ));
        }
    }
    Ok(entry)
}

/// The consumers of the HTTP CA that must learn a new CA certificate (lifecycle spec §3.4).
pub fn ca_consumers(crt: &Path, fingerprint: &str) -> Vec<String> {
    vec![
        format!(
            "clients that trust {} (Kibana's elasticsearch.ssl.certificateAuthorities, Logstash, Beats, curl --cacert): copy the new file; the old file keeps working until the old certificate expires",
            crt.display()
        ),
        format!(
            "Fleet and Elastic Agent (ca_trusted_fingerprint) and anything else that pins the CA fingerprint: use {fingerprint}"
        ),
        "the other nodes of the cluster: es-autoconf renew http-ca --import-ca-cert <this node's certs/http_ca.crt>".into(),
        "new enrollment tokens carry the new fingerprint by themselves".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_values() {
        for (v, ms) in [
            ("5s", Some(5_000)),
            ("500ms", Some(500)),
            ("1m", Some(60_000)),
            ("2h", Some(7_200_000)),
            ("x", None),
            ("5", None),
            ("5y", None),
            ("", None),
        ] {
            assert_eq!(parse_time_ms(v), ms, "{v}");
        }
    }

    #[test]
    fn san_values() {
        assert!(parse_san("DNS:es.example").is_ok());
        assert!(parse_san("IP:10.0.0.1").is_ok());
        for bad in ["DNS:10.0.0.1", "DNS:[::1]", "IP:nope", "es.example", "DNS:"] {
            assert!(parse_san(bad).is_err(), "{bad}");
        }
    }
}
