//! `init` (with or without an enrollment token) and `reconfigure`: probe, decide, plan, and either
//! return the plan (`--dry-run`) or execute it, delivering the `elastic` password where it can be
//! delivered.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use esac_certspec::KeyType;
use esac_core::plan::{EnrollmentPlan, Operation};
use esac_core::planner::{self, InitOptions, NotReconfigurable};
use esac_core::{decide, decide_reconfigure, messages as msg, Decision, Facts, Mode, Plan, Skip};
use esac_enroll::{EnrollResponse, EnrollmentToken};
use esac_probe::ProbeInput;
use esac_secret::Secret;

use crate::runtime::{self, keystore_password};
use crate::{bundle, Console, Failure, Paths};

/// What `init` and `reconfigure` are asked to do.
#[derive(Debug, Clone, Default)]
pub struct InitRequest {
    /// `-E KEY=VALUE`, as given.
    pub settings: Vec<String>,
    /// Decide and plan only.
    pub dry_run: bool,
    /// Key type.
    pub key_type: KeyType,
    /// `--keystore-format`.
    pub keystore_format: Option<u32>,
    /// `--credentials-file`.
    pub credentials_file: Option<PathBuf>,
    /// `--group`.
    pub group: Option<String>,
    /// The enrollment token's text.
    pub enrollment_token: Option<Secret>,
    /// Output is a JSON document (which never shows a password).
    pub json: bool,
    /// `--bundle DIR/<node>`: apply one node of a `layout` bundle.
    pub bundle: Option<PathBuf>,
    /// `--bundle-passphrase-file`.
    pub bundle_passphrase_file: Option<PathBuf>,
}

/// Where the `elastic` password goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChannel {
    /// Shown once on this terminal.
    Terminal,
    /// Written to this new file (mode 0600).
    File(PathBuf),
    /// None generated: the node joins a cluster that has one.
    ClusterHasOne,
    /// None generated: nowhere to deliver it (no terminal, no credentials file, or JSON output).
    NotGenerated,
    /// None generated: a node of a `layout` bundle; the cluster's password is set once, after
    /// it has formed.
    Bundle,
}

/// A configured node's password, as delivered.
#[derive(Debug)]
pub enum Delivered {
    /// To show on the terminal: the one place a password leaves es-autoconf on purpose.
    Terminal(Secret),
    /// Written to this file.
    File(PathBuf),
    /// None (see [`PasswordChannel`]).
    None(PasswordChannel),
}

/// Where an enrolled node joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The node that answered.
    pub url: String,
    /// The cluster's transport addresses.
    pub seed_hosts: Vec<String>,
}

/// What `init` or `reconfigure` did.
#[derive(Debug)]
pub enum InitOutcome {
    /// The node is left as it is (exit code and message are the skip's).
    Skipped(Skip),
    /// `--dry-run`: what a run would do.
    Planned {
        /// The plan.
        plan: Box<Plan>,
        /// Where the password would go.
        password: PasswordChannel,
        /// Addresses the enrollment token names (never contacted in a dry run).
        token_addresses: Option<Vec<String>>,
    },
    /// The node was configured.
    Configured {
        /// The plan that ran.
        plan: Box<Plan>,
        /// SHA-256 of the HTTP CA certificate.
        fingerprint: String,
        /// The `elastic` password.
        password: Delivered,
        /// Enrollment details.
        joined: Option<Joined>,
    },
}

/// What a protected-keystore-aware run needs to know about the operator's terminal.
struct Ctx<'a> {
    paths: &'a Paths,
    req: &'a InitRequest,
    console: &'a dyn Console,
    overrides: Vec<(String, String)>,
}

impl Ctx<'_> {
    fn input(&self) -> ProbeInput<'_> {
        runtime::probe_input(self.paths, &self.overrides)
    }
}

fn context<'a>(
    paths: &'a Paths,
    req: &'a InitRequest,
    console: &'a dyn Console,
) -> Result<Ctx<'a>, Failure> {
    let overrides = runtime::overrides(&req.settings)?;
    Ok(Ctx {
        paths,
        req,
        console,
        overrides,
    })
}

/// `es-autoconf init`.
pub fn init(
    paths: &Paths,
    req: &InitRequest,
    console: &dyn Console,
) -> Result<InitOutcome, Failure> {
    let ctx = context(paths, req, console)?;
    let (_lock, facts) = start(&ctx)?;
    let mode = if req.bundle.is_some() {
        Mode::Bundle
    } else if req.enrollment_token.is_some() {
        Mode::Enroll
    } else {
        Mode::Initial
    };
    match (decide(&facts, mode), &req.bundle) {
        (Decision::Skip(skip), _) => Ok(InitOutcome::Skipped(skip)),
        (Decision::Fail(skip), _) => Err(Failure::Decision(skip)),
        (Decision::Proceed, Some(dir)) => configure_bundle(&ctx, &facts, dir),
        (Decision::Proceed, None) => configure(&ctx, &facts, None),
    }
}

/// `init --bundle DIR/<node>` (lifecycle §5.3), once the checks of `init` pass: the node must be
/// the bundle's, discovery unconfigured, a master master-eligible; the plan comes from the
/// bundle's `node.json`; the material is opened with the bundle passphrase and checked against
/// it before anything is written; then the same executor as `init`.
fn configure_bundle(ctx: &Ctx<'_>, facts: &Facts, dir: &Path) -> Result<InitOutcome, Failure> {
    let req = ctx.req;
    let dir = bundle::absolute(dir)?;
    let manifest = bundle::node_manifest(&dir)?;
    if let Some(skip) = esac_core::decide::check_bundle(facts, &manifest.node_name, manifest.master)
    {
        return Err(Failure::Decision(skip));
    }
    let now = runtime::now();
    let certificates = bundle::node_certificates(&manifest, now)?;
    let node = bundle::bundled_node(&dir, &manifest, certificates);
    let mut opts = InitOptions {
        now,
        key_type: req.key_type,
        keystore_format: req.keystore_format,
        elastic_password: false,
        group: None,
    };
    if req.dry_run {
        return Ok(InitOutcome::Planned {
            plan: Box::new(planner::plan_bundle(facts, &opts, &node)),
            password: PasswordChannel::Bundle,
            token_addresses: None,
        });
    }
    opts.group = resolve_group(req)?;
    let plan = planner::plan_bundle(facts, &opts, &node);
    let keystore_password = keystore_password(facts.keystore_has_password == Some(true))?;
    let secrets = bundle::secrets_file(&dir)?;
    let passphrase = bundle::passphrase(
        req.bundle_passphrase_file.as_deref(),
        secrets.has_password(),
        ctx.console,
    )?;
    let received = bundle::node_material(&dir, &manifest, &secrets, &passphrase)?;
    let inputs = runtime::RunInputs {
        keystore_password,
        received: Some(received),
        data_dirs: facts.data_dirs.iter().map(|d| d.path.clone()).collect(),
        renewal: None,
    };
    let executed = runtime::execute(&plan, ctx.console, inputs)?;
    Ok(InitOutcome::Configured {
        plan: Box::new(plan),
        fingerprint: executed.http_ca_fingerprint.unwrap_or_default(),
        password: Delivered::None(PasswordChannel::Bundle),
        joined: None,
    })
}

/// `--group NAME`, as a gid.
fn resolve_group(req: &InitRequest) -> Result<Option<u32>, Failure> {
    match &req.group {
        None => Ok(None),
        Some(name) => match nix::unistd::Group::from_name(name) {
            Ok(Some(g)) => Ok(Some(g.gid.as_raw())),
            _ => Err(Failure::Usage(format!("unknown group [{name}]"))),
        },
    }
}

/// `es-autoconf reconfigure` (spec §8.2): the file checks, the token, then the previous block
/// goes and the settings are rebuilt from what remains; the operator confirms; then the node
/// enrolls *before* anything is changed.
pub fn reconfigure(
    paths: &Paths,
    req: &InitRequest,
    yes: bool,
    console: &dyn Console,
) -> Result<InitOutcome, Failure> {
    let ctx = context(paths, req, console)?;
    let (_lock, mut facts) = start(&ctx)?;
    if let Decision::Fail(skip) | Decision::Skip(skip) = decide_reconfigure(&facts) {
        return Err(Failure::Decision(skip));
    }
    if req.enrollment_token.is_none() {
        return Err(Failure::Usage(msg::TOKEN_MANDATORY.into()));
    }
    if facts.yml_text.is_none() {
        return Err(Failure::YmlUnreadableForReconfigure);
    }
    let base = planner::reconfigure_base(&facts).map_err(|e| match e {
        NotReconfigurable::NotAutoConfigured => Failure::NotAutoConfigured,
        NotReconfigurable::UnparsableBlock(m) => Failure::UnparsableBlock(m),
    })?;
    facts.settings = esac_probe::effective_settings(
        Some(base.as_bytes()),
        &facts.yml_path(),
        &ctx.input(),
        &facts.hostname.clone(),
    )
    .map_err(Failure::Probe)?;
    if !req.dry_run && !confirmed(yes, console)? {
        return Err(Failure::Cancelled);
    }
    match decide(&facts, Mode::Enroll) {
        Decision::Skip(skip) | Decision::Fail(skip) => Err(Failure::Decision(skip)),
        Decision::Proceed => configure(&ctx, &facts, Some(base)),
    }
}

/// Elasticsearch's confirmation (spec §8.2 step 6). Without a terminal, only `--yes` proceeds.
fn confirmed(yes: bool, console: &dyn Console) -> Result<bool, Failure> {
    for line in msg::RECONFIGURE_WARNING {
        console.note(line);
    }
    if yes {
        return Ok(true);
    }
    if !console.stdin_is_terminal() {
        return Err(Failure::Usage(
            "refusing to reconfigure without confirmation: standard input is not a terminal; pass --yes to confirm".into(),
        ));
    }
    console
        .confirm(&[], msg::RECONFIGURE_QUESTION)
        .map_err(|source| Failure::Io {
            what: "cannot read the answer".into(),
            source,
        })
}

/// [`runtime::start`] for this run.
fn start(ctx: &Ctx<'_>) -> Result<(Option<esac_exec::DirLock>, Facts), Failure> {
    runtime::start(ctx.paths, &ctx.overrides, ctx.req.dry_run, ctx.console)
}

/// Where the password goes: a terminal gets it shown once, a credentials file gets it written;
/// a JSON document never holds it, so JSON on a terminal does not generate one.
fn password_channel(ctx: &Ctx<'_>, enrolling: bool) -> PasswordChannel {
    match (&ctx.req.credentials_file, enrolling) {
        (_, true) => PasswordChannel::ClusterHasOne,
        (Some(p), false) => PasswordChannel::File(p.clone()),
        (None, false) if ctx.console.stdout_is_terminal() && !ctx.req.json => {
            PasswordChannel::Terminal
        }
        (None, false) => PasswordChannel::NotGenerated,
    }
}

fn configure(
    ctx: &Ctx<'_>,
    facts: &Facts,
    reconfig: Option<String>,
) -> Result<InitOutcome, Failure> {
    let req = ctx.req;
    // The token is read after the checks, as Elasticsearch does (spec §1.2 row 9).
    let token = match &req.enrollment_token {
        None => None,
        Some(t) => Some(
            EnrollmentToken::decode(t.expose_str().unwrap_or_default()).map_err(Failure::Enroll)?,
        ),
    };
    let channel = password_channel(ctx, token.is_some());
    let generate = matches!(
        channel,
        PasswordChannel::Terminal | PasswordChannel::File(_)
    );
    let mut opts = InitOptions {
        now: runtime::now(),
        key_type: req.key_type,
        keystore_format: req.keystore_format,
        elastic_password: generate,
        group: None,
    };
    let enrollment = |seed_hosts: Option<Vec<String>>, uncommented: bool| {
        token.as_ref().map(|t| EnrollmentPlan {
            token_addresses: t.addresses.clone(),
            seed_hosts,
            transport_host_uncommented: uncommented,
        })
    };
    let make_plan = |opts: &InitOptions, e: Option<EnrollmentPlan>| match (e, &reconfig) {
        (None, _) => planner::plan_initial(facts, opts),
        (Some(e), None) => planner::plan_enroll(facts, opts, e),
        (Some(e), Some(base)) => planner::plan_reconfigure(facts, opts, e, base.clone()),
    };
    if req.dry_run {
        return Ok(InitOutcome::Planned {
            plan: Box::new(make_plan(&opts, enrollment(None, false))),
            password: channel,
            token_addresses: token.as_ref().map(|t| t.addresses.clone()),
        });
    }

    opts.group = resolve_group(req)?;
    let keystore_password = keystore_password(facts.keystore_has_password == Some(true))?;

    // Enrollment talks to the cluster before anything is written: a node that cannot enroll is
    // left exactly as it was (Elasticsearch's reconfigure-node deletes first; see peers.md §2.7).
    let enrolled: Option<EnrollResponse> = match &token {
        None => None,
        Some(t) => {
            let client = esac_enroll::ClientOptions {
                deadline: runtime::http_deadline(),
                ..esac_enroll::ClientOptions::default()
            };
            let r = esac_enroll::enroll_node(t, &client).map_err(Failure::Enroll)?;
            for a in &r.attempts {
                ctx.console.note(a);
            }
            Some(r)
        }
    };
    let plan = make_plan(
        &opts,
        enrolled.as_ref().and_then(|r| {
            enrollment(
                Some(r.nodes_addresses.clone()),
                esac_enroll::any_remote_host_node_address(
                    &r.nodes_addresses,
                    &facts.interface_addresses,
                ),
            )
        }),
    );

    // From here until the password is delivered, SIGINT/SIGTERM/SIGHUP are held: before the
    // commit they undo the run; after it they cannot cost the password (review L8).
    let interrupts = esac_exec::Interrupts::block();
    // The credentials file is created (empty, 0600, never replacing anything) before any change,
    // so a run never ends with a password that cannot be delivered.
    let creds = match &channel {
        PasswordChannel::File(p) => Some((p.clone(), create_credentials_file(p)?)),
        _ => None,
    };
    let elastic_password = if generate {
        match esac_pki::generate_elastic_password() {
            Ok(p) => Some(p),
            Err(e) => {
                discard(&creds);
                return Err(Failure::Random(e));
            }
        }
    } else {
        None
    };
    let keys = runtime::key_source();
    let inputs = esac_exec::Inputs {
        keys: keys.as_ref(),
        keystore_password,
        elastic_password: elastic_password.clone(),
        received: enrolled.as_ref().map(|r| r.received.clone()),
        data_dirs: facts.data_dirs.iter().map(|d| d.path.clone()).collect(),
        progress: &|line| ctx.console.progress(line),
        renewal: None,
        interrupts: Some(&interrupts),
    };
    let executed = match esac_exec::execute(&plan, inputs) {
        Ok(e) => e,
        Err(error) => {
            discard(&creds);
            return Err(Failure::Exec {
                error,
                reconfigure: plan.operation == Operation::Reconfigure,
            });
        }
    };
    let fingerprint = executed.http_ca_fingerprint.unwrap_or_default();
    let password = match (creds, elastic_password) {
        (Some((path, file)), Some(pw)) => {
            write_credentials(file, &path, &pw, &fingerprint).map_err(|source| {
                Failure::CredentialsAfterCommit {
                    path: path.clone(),
                    source,
                }
            })?;
            Delivered::File(path)
        }
        (None, Some(pw)) => Delivered::Terminal(pw),
        _ => Delivered::None(channel),
    };
    if let Some(signal) = executed.late_signal.or_else(|| interrupts.drain()) {
        ctx.console.note(&format!(
            "signal {signal} arrived after the configuration was committed; the run had finished and its result stands"
        ));
    }
    Ok(InitOutcome::Configured {
        plan: Box::new(plan),
        fingerprint,
        password,
        joined: enrolled.map(|r| Joined {
            url: r.url,
            seed_hosts: r.nodes_addresses,
        }),
    })
}

/// Creates the credentials file: new, mode 0600, never through a link. An empty file that a
/// killed run left behind is taken over instead, but only if it is exactly what such a run
/// leaves: a regular file of this user, mode 0600, one link, nothing in it. Anything else that
/// exists is refused, and the message says to remove it.
fn create_credentials_file(path: &Path) -> Result<File, Failure> {
    let fail = |source| Failure::CredentialsFile {
        path: path.to_path_buf(),
        source,
    };
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
        .open(path);
    match created {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            reuse_empty_credentials_file(path).map_err(fail)
        }
        other => other.map_err(fail),
    }
}

/// Opens an existing credentials file (not following a link, not blocking on a FIFO) and keeps
/// it only if it is the empty leftover of a killed run; the checks are made on the opened file.
fn reuse_empty_credentials_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags((nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits())
        .open(path);
    let leftover = file
        .as_ref()
        .ok()
        .and_then(|f| f.metadata().ok())
        .is_some_and(|m| {
            m.is_file()
                && m.len() == 0
                && m.nlink() == 1
                && m.permissions().mode() & 0o7777 == 0o600
                && m.uid() == nix::unistd::geteuid().as_raw()
        });
    match file {
        Ok(f) if leftover => Ok(f),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "it exists and is not the empty file (mode 0600, this user's) that an interrupted run leaves; remove it or choose another path",
        )),
    }
}

fn discard(creds: &Option<(PathBuf, File)>) {
    if let Some((p, _)) = creds {
        let _ = std::fs::remove_file(p);
    }
}

fn write_credentials(
    mut file: File,
    path: &Path,
    password: &Secret,
    fingerprint: &str,
) -> std::io::Result<()> {
    let pw = password.expose_str().unwrap_or_default();
    let mut text = zeroize::Zeroizing::new(String::with_capacity(256));
    // Neither the password's alphabet nor hex needs JSON escaping, and no copy is made outside
    // the buffer that is wiped on drop.
    text.push_str("{\n  \"username\": \"elastic\",\n  \"password\": \"");
    text.push_str(pw);
    text.push_str("\",\n  \"http_ca_fingerprint\": \"");
    text.push_str(fingerprint);
    text.push_str("\"\n}\n");
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    // The file's name must survive a power loss too.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}
