//! `es-autoconf init`: probe, decide, plan; print the plan (`--dry-run`) or apply it.

use std::io::{IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use esac_core::plan::EnrollmentPlan;
use esac_core::render::{plan_text, Outcome, ReasonOut, Report};
use esac_core::{
    decide, plan, Decision, EsExit, Facts, KeyType, Level, Mode, Plan, PlanOptions, UserError,
};
use esac_fs::{probe, ProbeError, ProbeInput, Recovery};
use esac_keystore::PasswordSource;
use esac_secret::Secret;

use crate::cli::{Format, GlobalArgs, InitArgs, KeyTypeArg};
use crate::paths::Paths;

fn key_type(arg: KeyTypeArg) -> KeyType {
    match arg {
        KeyTypeArg::Rsa2048 => KeyType::Rsa2048,
        KeyTypeArg::Rsa3072 => KeyType::Rsa3072,
        KeyTypeArg::Rsa4096 => KeyType::Rsa4096,
        KeyTypeArg::EcdsaP256 => KeyType::EcdsaP256,
        KeyTypeArg::EcdsaP384 => KeyType::EcdsaP384,
    }
}

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

struct Out<'a> {
    global: &'a GlobalArgs,
    paths: &'a Paths,
    dry_run: bool,
    notes: Vec<String>,
}

impl Out<'_> {
    fn report(
        &self,
        decision: Outcome,
        exit: EsExit,
        code: &str,
        message: &str,
        plan: Option<&Plan>,
        fpr: Option<String>,
    ) {
        let report = Report {
            version: 1,
            decision,
            exit_code: exit.code(),
            dry_run: self.dry_run,
            reason: ReasonOut {
                code: code.into(),
                message: message.into(),
            },
            es_home: &self.paths.es_home,
            config_dir: &self.paths.config_dir,
            plan,
            http_ca_fingerprint: fpr,
            notes: self.notes.clone(),
        };
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("ERROR: cannot render JSON: {e}"),
        }
    }

    /// Prints an error in the chosen format and returns its exit status.
    fn fail(&self, code: &str, err: UserError) -> EsExit {
        if self.global.format == Format::Json {
            self.report(Outcome::Error, err.exit, code, &err.message, None, None);
        }
        eprintln!("ERROR: {}", err.message);
        err.exit
    }

    fn note(&mut self, text: String) {
        if self.global.format == Format::Text && !self.global.silent {
            eprintln!("{text}");
        }
        self.notes.push(text);
    }
}

/// What kind of run this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `es-autoconf init`.
    Init,
    /// `es-autoconf reconfigure` (with `--yes` or not).
    Reconfigure {
        /// Skip the confirmation prompt.
        yes: bool,
    },
}

/// Runs `init`.
pub fn run(global: &GlobalArgs, args: &InitArgs) -> Result<EsExit, UserError> {
    run_kind(global, args, Kind::Init)
}

/// Runs `init` or `reconfigure`.
pub fn run_kind(global: &GlobalArgs, args: &InitArgs, kind: Kind) -> Result<EsExit, UserError> {
    let paths = Paths::resolve(global)?;
    let mut out = Out {
        global,
        paths: &paths,
        dry_run: args.dry_run,
        notes: Vec::new(),
    };
    let overrides = match esac_settings::parse_overrides(&args.settings) {
        Ok(o) => o,
        Err(e) => return Ok(out.fail("usage", UserError::new(EsExit::Usage, e.to_string()))),
    };

    // A real run holds the config directory for its whole duration, and first finishes or undoes a
    // run that was killed. A dry run takes no lock and changes nothing.
    let _lock = if args.dry_run || !paths.config_dir.is_dir() {
        None
    } else {
        let lock = esac_fs::lock_dir(&paths.config_dir, Duration::from_secs(120), || {
            eprintln!(
                "waiting for another es-autoconf run on [{}] to finish",
                paths.config_dir.display()
            );
        })
        .map_err(|e| {
            UserError::new(
                EsExit::IoError,
                format!("cannot lock [{}]: {e}", paths.config_dir.display()),
            )
        })?;
        let Some(lock) = lock else {
            return Ok(out.fail(
                "locked",
                UserError::new(
                    EsExit::TempFailure,
                    format!("another es-autoconf run is still configuring [{}]; try again when it has finished", paths.config_dir.display()),
                ),
            ));
        };
        match esac_fs::recover(&paths.config_dir) {
            Ok(Recovery::Nothing) => {}
            Ok(Recovery::Completed(e)) => out.note(format!("found an interrupted run (epoch {e}) that had finished writing; removed its leftovers")),
            Ok(Recovery::RolledBack(e)) => {
                out.note(format!("found an interrupted run (epoch {e}); restored the configuration it had started to change"))
            }
            Err(e) => {
                return Ok(out.fail(
                    "recovery_failed",
                    UserError::new(EsExit::IoError, format!("cannot recover from an interrupted run in [{}]: {e}", paths.config_dir.display())),
                ))
            }
        }
        Some(lock)
    };

    let input = ProbeInput {
        es_home: &paths.es_home,
        config_dir: &paths.config_dir,
        overrides: &overrides,
        env: &env_lookup,
    };
    let mut facts = match probe(&input) {
        Ok(f) => f,
        Err(e) => return Ok(out.fail("invalid_settings", probe_error(e))),
    };
    if args.dry_run
        && esac_fs::journal::Journal::read(&paths.config_dir)
            .ok()
            .flatten()
            .is_some()
    {
        out.note("an interrupted es-autoconf run left a journal; a real run will first finish or undo it".into());
    }

    // Reconfiguration (spec §8.2): file checks, the token, then the previous block goes and the
    // settings are rebuilt from what remains.
    let mut reconfig = None;
    if let Kind::Reconfigure { yes } = kind {
        if let Some(skip) = esac_core::decide::check_files(&facts) {
            return Ok(out.fail(skip.code.as_str(), skip.into_error()));
        }
        if args.enrollment_token.is_none() {
            return Ok(out.fail(
                "usage",
                UserError::new(
                    EsExit::Usage,
                    "enrollment-token is a mandatory parameter when reconfiguring the node",
                ),
            ));
        }
        let yml_path = facts.yml_path();
        let text = std::fs::read_to_string(&yml_path).map_err(|_| {
            UserError::new(
                EsExit::IoError,
                "Aborting enrolling to cluster. Unable to read elasticsearch.yml.",
            )
        })?;
        let stripped = match esac_core::yml::strip_autoconfiguration(&text) {
            Ok(Some(t)) if facts.certs_dir_exists => t,
            Ok(_) => return Ok(out.fail("not_auto_configured", UserError::new(EsExit::Usage, "Aborting enrolling to cluster. This node doesn't appear to be auto-configured for security. Expected configuration is missing from elasticsearch.yml."))),
            Err(e) => return Ok(out.fail("invalid_settings", UserError::new(EsExit::IoError, format!("Aborting enrolling to cluster. Unable to parse existing configuration file. Error was: {e}")))),
        };
        let hostname = facts.hostname.clone();
        facts.settings = match esac_fs::probe::effective_settings(
            Some(stripped.as_bytes()),
            &yml_path,
            &input,
            &hostname,
        ) {
            Ok(s) => s,
            Err(e) => return Ok(out.fail("invalid_settings", probe_error(e))),
        };
        if !args.dry_run && !confirm_reconfigure(yes)? {
            eprintln!("ERROR: User cancelled operation");
            return Ok(EsExit::Ok);
        }
        reconfig = Some(stripped);
    }

    let mode = if args.enrollment_token.is_some() {
        Mode::Enroll
    } else {
        Mode::Initial
    };
    let skip = match decide(&facts, mode) {
        Decision::Skip(skip) => skip,
        Decision::Proceed => return configure(&mut out, args, &facts, mode, reconfig),
    };
    if mode == Mode::Enroll {
        // With an enrollment token every skip is fatal, as in Elasticsearch.
        return Ok(out.fail(skip.code.as_str(), skip.into_error()));
    }
    match global.format {
        Format::Json => out.report(
            Outcome::Skip,
            skip.exit,
            skip.code.as_str(),
            &skip.message,
            None,
            None,
        ),
        Format::Text => {
            // Elasticsearch hides VERBOSE skip messages unless -v; an explicit `init` says why it
            // did nothing unless asked to be silent (silent skips are a top complaint).
            let show = !global.silent || (skip.level == Level::Verbose && global.verbose);
            if show {
                if args.dry_run {
                    println!("Decision: skip (exit {})", skip.exit);
                }
                println!("{}", skip.message);
            }
        }
    }
    Ok(skip.exit)
}

fn probe_error(e: ProbeError) -> UserError {
    let exit = match &e {
        ProbeError::Settings(s) if s.is_usage() => EsExit::Usage,
        ProbeError::Settings(_) => EsExit::Config,
        ProbeError::Io { .. } => EsExit::IoError,
    };
    UserError::new(exit, e.to_string())
}

/// Elasticsearch's confirmation (spec §8.2 step 6). Without a terminal, only `--yes` proceeds.
fn confirm_reconfigure(yes: bool) -> Result<bool, UserError> {
    println!("This node will be reconfigured to join an existing cluster, using the enrollment token that you provided.");
    println!("This operation will overwrite the existing configuration. Specifically: ");
    println!("  - Security auto configuration will be removed from elasticsearch.yml");
    println!("  - The [certs] config directory will be removed");
    println!("  - Security auto configuration related secure settings will be removed from the elasticsearch.keystore");
    println!("If enrolling fails, es-autoconf puts the previous configuration back.");
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UserError::new(
            EsExit::Usage,
            "refusing to reconfigure without confirmation: standard input is not a terminal; pass --yes to confirm",
        ));
    }
    print!("Do you want to continue with the reconfiguration process [y/N]");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| UserError::new(EsExit::IoError, format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn configure(
    out: &mut Out<'_>,
    args: &InitArgs,
    facts: &Facts,
    mode: Mode,
    reconfig: Option<String>,
) -> Result<EsExit, UserError> {
    let now = SystemTime::now();
    let epoch = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let tty = std::io::stdout().is_terminal();
    // The token is read after the checks, as Elasticsearch does (spec §1.2 row 9).
    let token = match &args.enrollment_token {
        None => None,
        Some(t) => match esac_enroll::EnrollmentToken::decode(t) {
            Ok(t) => Some(t),
            Err(e) => return Ok(out.fail("invalid_token", e.to_user_error())),
        },
    };
    let mut opts = PlanOptions {
        now: epoch,
        key_type: key_type(args.key_type),
        keystore_format: args.keystore_format.as_deref().and_then(|v| v.parse().ok()),
        // A node joining a cluster gets no new elastic password: the cluster has one.
        generate_password: token.is_none() && (tty || args.credentials_file.is_some()),
        enrollment: token.as_ref().map(|t| EnrollmentPlan {
            token_addresses: t.addresses.clone(),
            seed_hosts: None,
            transport_host_uncommented: false,
        }),
    };
    if args.dry_run {
        let plan = plan(facts, mode, &opts);
        out.notes.push("dry run: nothing was written".into());
        if let Some(t) = &token {
            out.notes.push(format!(
                "dry run: the enrollment token was decoded but none of its addresses [{}] was contacted; discovery.seed_hosts comes from the cluster's answer",
                t.addresses.join(", ")
            ));
        }
        match out.global.format {
            Format::Json => out.report(
                Outcome::Configure,
                EsExit::Ok,
                "configure",
                "the node is new and unconfigured: security would be auto-configured",
                Some(&plan),
                None,
            ),
            Format::Text => {
                println!("Decision: configure (exit 0)");
                println!("Dry run: nothing was written.\n");
                for n in out.notes.iter().skip(1) {
                    println!("{n}\n");
                }
                print!("{}", plan_text(&plan));
                let channel = match (&args.credentials_file, tty, token.is_some()) {
                    (_, _, true) => "none generated: the cluster already has one".into(),
                    (Some(p), _, _) => format!("written to the new file {} (mode 0600)", p.display()),
                    (None, true, _) => "shown once on this terminal".into(),
                    (None, false, _) => "none generated (no terminal); set it later with bin/elasticsearch-reset-password -u elastic".into(),
                };
                println!("\nelastic password: {channel}");
            }
        }
        return Ok(EsExit::Ok);
    }

    let gid = match &args.group {
        None => None,
        Some(name) => match nix::unistd::Group::from_name(name) {
            Ok(Some(g)) => Some(g.gid.as_raw()),
            _ => {
                return Ok(out.fail(
                    "usage",
                    UserError::new(EsExit::Usage, format!("unknown group [{name}]")),
                ))
            }
        },
    };
    let keystore_password = if facts.keystore_has_password == Some(true) {
        let source = PasswordSource::from_passphrase_file_var(std::env::var_os(
            "ES_KEYSTORE_PASSPHRASE_FILE",
        ));
        match source.read() {
            Ok(p) => p,
            Err(e) => {
                return Ok(out.fail(
                    "keystore_password",
                    UserError::new(EsExit::DataError, e.to_string()),
                ))
            }
        }
    } else {
        Secret::default()
    };

    // Enrollment talks to the cluster before anything is written: a node that cannot enroll is
    // left exactly as it was (Elasticsearch's reconfigure-node deletes first; see peers.md §2.7).
    let enrolled = match &token {
        None => None,
        Some(t) => match esac_enroll::enroll_node(t, &esac_enroll::ClientOptions::default()) {
            Ok(r) => {
                for a in &r.attempts {
                    eprintln!("{a}");
                }
                Some(r)
            }
            Err(e) => {
                for a in &e.attempts {
                    eprintln!("{a}");
                }
                return Ok(out.fail("enrollment_failed", e.to_user_error()));
            }
        },
    };
    if let (Some(r), Some(e)) = (&enrolled, opts.enrollment.as_mut()) {
        e.seed_hosts = Some(r.nodes_addresses.clone());
        e.transport_host_uncommented = esac_enroll::any_remote_host_node_address(
            &r.nodes_addresses,
            &facts.interface_addresses,
        );
    }
    let plan = plan(facts, mode, &opts);

    // The credentials file is created (empty, 0600, never replacing anything) before any change,
    // so a run never ends with a password that cannot be delivered.
    let creds = match (&args.credentials_file, opts.generate_password) {
        (Some(p), true) => match create_credentials_file(p) {
            Ok(f) => Some((p.clone(), f)),
            Err(e) => return Ok(out.fail("credentials_file", e)),
        },
        _ => None,
    };
    let elastic_password = if opts.generate_password {
        match esac_fs::credentials::generate_elastic_password() {
            Ok(p) => Some(p),
            Err(e) => {
                return Ok(out.fail("random", UserError::new(EsExit::CodeError, e.to_string())))
            }
        }
    } else {
        None
    };
    let keys = key_source()?;
    let reconfiguring = reconfig.is_some();
    let request = esac_fs::ApplyRequest {
        plan: &plan,
        config_dir: &facts.config_dir,
        pki: esac_pki::PkiParams {
            node_name: plan.node_name.clone(),
            san: esac_core::plan::san_inputs(facts),
            key_type: opts.key_type,
        },
        keys: keys.as_ref(),
        now,
        keystore_password,
        elastic_password: elastic_password.clone(),
        gid,
        received: enrolled.as_ref().map(|r| r.received.clone()),
        yml_base: reconfig,
        remove_settings: if reconfiguring {
            esac_core::plan::RECONFIGURE_REMOVED_SETTINGS.to_vec()
        } else {
            Vec::new()
        },
        drop_old_certs: reconfiguring,
    };
    let applied = match esac_fs::apply(&request) {
        Ok(a) => a,
        Err(e) => {
            if let Some((p, _)) = &creds {
                let _ = std::fs::remove_file(p);
            }
            return Ok(out.fail("apply_failed", e));
        }
    };
    let fpr = applied.http_ca_fingerprint;
    let ca_path = plan.certs_dir.join("http_ca.crt");
    if let Some((path, file)) = creds {
        if let Some(pw) = &elastic_password {
            if let Err(e) = write_credentials(file, pw, &fpr) {
                return Ok(out.fail(
                    "credentials_file",
                    UserError::new(
                        EsExit::IoError,
                        format!("security is configured, but writing [{}] failed: {e}; set the password with bin/elasticsearch-reset-password -u elastic", path.display()),
                    ),
                ));
            }
        }
        out.notes.push(format!(
            "the elastic password and CA fingerprint were written to {}",
            path.display()
        ));
    }
    match out.global.format {
        Format::Json => out.report(
            Outcome::Configure,
            EsExit::Ok,
            "configure",
            "security auto-configuration is complete",
            Some(&plan),
            Some(fpr),
        ),
        Format::Text => {
            if let (true, Some(pw)) = (tty, &elastic_password) {
                print_banner(pw, &fpr, &ca_path);
            } else if !out.global.silent {
                eprintln!("Security auto-configuration is complete: TLS is configured for the HTTP and transport layers.");
                eprintln!("HTTP CA certificate SHA-256 fingerprint: {fpr}");
                eprintln!("HTTP CA certificate: {}", ca_path.display());
                if let Some(r) = &enrolled {
                    eprintln!(
                        "This node will join the cluster of {} (discovery.seed_hosts: {}).",
                        r.url,
                        r.nodes_addresses.join(", ")
                    );
                } else {
                    match &args.credentials_file {
                        Some(p) => eprintln!("The elastic user's password is in {} (mode 0600).", p.display()),
                        None => eprintln!(
                            "No password was generated for the elastic user (standard output is not a terminal).\nSet one once the node runs: bin/elasticsearch-reset-password -u elastic\n(or run es-autoconf init with --credentials-file PATH to receive one without a terminal)"
                        ),
                    }
                }
            }
        }
    }
    Ok(EsExit::Ok)
}

/// Real key generation, or (debug builds only) the committed test key pool named by
/// `ESAC_TEST_KEY_POOL`, so the test suite does not spend seconds generating RSA keys.
fn key_source() -> Result<Box<dyn esac_pki::KeySource>, UserError> {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("ESAC_TEST_KEY_POOL") {
        return Ok(Box::new(LazyPool {
            dir: dir.into(),
            pool: std::sync::OnceLock::new(),
        }));
    }
    Ok(Box::new(esac_pki::AwsLcKeySource))
}

/// The test key pool, read when the first key is asked for: keys are needed only at the
/// `generate` step, so earlier steps fail with their own exit codes, as with real generation.
#[cfg(debug_assertions)]
struct LazyPool {
    dir: std::path::PathBuf,
    pool: std::sync::OnceLock<esac_pki::PoolKeySource>,
}

#[cfg(debug_assertions)]
impl esac_pki::KeySource for LazyPool {
    fn generate(&self, key_type: KeyType) -> esac_pki::Result<esac_pki::PrivateKey> {
        if let Some(pool) = self.pool.get() {
            return pool.generate(key_type);
        }
        let loaded = esac_pki::PoolKeySource::load(&self.dir)?;
        self.pool.get_or_init(|| loaded).generate(key_type)
    }
}

fn create_credentials_file(path: &Path) -> Result<std::fs::File, UserError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            UserError::new(
                EsExit::CantCreate,
                format!(
                    "cannot create the credentials file [{}]: {e}; it must not exist yet",
                    path.display()
                ),
            )
        })
}

fn write_credentials(
    mut file: std::fs::File,
    password: &Secret,
    fingerprint: &str,
) -> std::io::Result<()> {
    let pw = password.expose_str().unwrap_or_default();
    let text = serde_json::json!({
        "username": "elastic",
        "password": pw,
        "http_ca_fingerprint": fingerprint,
    });
    let mut bytes = zeroize::Zeroizing::new(serde_json::to_vec_pretty(&text).unwrap_or_default());
    bytes.push(b'\n');
    file.write_all(&bytes)?;
    file.sync_all()
}

/// The one place a secret is printed: only called when standard output is a terminal.
fn print_banner(password: &Secret, fingerprint: &str, ca: &Path) {
    let pw = password.expose_str().unwrap_or_default();
    let rule = "━".repeat(78);
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "\n{rule}");
    let _ = writeln!(
        o,
        "✅ Elasticsearch security features have been automatically configured!"
    );
    let _ = writeln!(
        o,
        "✅ Authentication is enabled and cluster connections are encrypted.\n"
    );
    let _ = writeln!(o, "ℹ️  Password for the elastic user (reset with `bin/elasticsearch-reset-password -u elastic`):");
    let _ = writeln!(o, "  \x1b[1m{pw}\x1b[22m\n");
    let _ = writeln!(o, "ℹ️  HTTP CA certificate SHA-256 fingerprint:");
    let _ = writeln!(o, "  {fingerprint}\n");
    let _ = writeln!(o, "ℹ️  HTTP CA certificate: {}", ca.display());
    let _ = writeln!(o, "ℹ️  Once the node runs, try:");
    let _ = writeln!(
        o,
        "  curl --cacert {} -u elastic https://localhost:9200\n",
        ca.display()
    );
    let _ = writeln!(
        o,
        "ℹ️  Configure Kibana to use this cluster, once the node runs:"
    );
    let _ = writeln!(
        o,
        "• Create an enrollment token: bin/elasticsearch-create-enrollment-token -s kibana"
    );
    let _ = writeln!(
        o,
        "• Paste it into Kibana in your browser (valid for 30 minutes)."
    );
    let _ = writeln!(o, "{rule}\n");
}
