//! `es-autoconf init`: probe, decide, plan; print the plan (`--dry-run`) or apply it.

use std::time::{SystemTime, UNIX_EPOCH};

use esac_core::render::{plan_text, Outcome, ReasonOut, Report};
use esac_core::{decide, plan, Decision, EsExit, KeyType, Level, Mode, PlanOptions, UserError};
use esac_fs::{probe, ProbeError, ProbeInput};

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

/// Prints an error in the chosen format and returns its exit status.
fn fail(
    global: &GlobalArgs,
    paths: Option<&Paths>,
    code: &str,
    err: UserError,
    dry_run: bool,
) -> EsExit {
    match (global.format, paths) {
        (Format::Json, Some(p)) => {
            let report = Report {
                version: 1,
                decision: Outcome::Error,
                exit_code: err.exit.code(),
                dry_run,
                reason: ReasonOut {
                    code: code.into(),
                    message: err.message.clone(),
                },
                es_home: &p.es_home,
                config_dir: &p.config_dir,
                plan: None,
                http_ca_fingerprint: None,
                notes: vec![],
            };
            print_json(&report);
            eprintln!("ERROR: {}", err.message);
        }
        _ => eprintln!("ERROR: {}", err.message),
    }
    err.exit
}

fn print_json(report: &Report<'_>) {
    match serde_json::to_string_pretty(report) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("ERROR: cannot render JSON: {e}"),
    }
}

/// Runs `init`.
pub fn run(global: &GlobalArgs, args: &InitArgs) -> Result<EsExit, UserError> {
    let paths = Paths::resolve(global)?;
    let overrides = match esac_settings::parse_overrides(&args.settings) {
        Ok(o) => o,
        Err(e) => {
            return Ok(fail(
                global,
                Some(&paths),
                "usage",
                UserError::new(EsExit::Usage, e.to_string()),
                args.dry_run,
            ))
        }
    };
    let input = ProbeInput {
        es_home: &paths.es_home,
        config_dir: &paths.config_dir,
        overrides: &overrides,
        env: &env_lookup,
    };
    let facts = match probe(&input) {
        Ok(f) => f,
        Err(e) => {
            let exit = match &e {
                ProbeError::Settings(s) if s.is_usage() => EsExit::Usage,
                ProbeError::Settings(_) => EsExit::Config,
                ProbeError::Io { .. } => EsExit::IoError,
            };
            return Ok(fail(
                global,
                Some(&paths),
                "invalid_settings",
                UserError::new(exit, e.to_string()),
                args.dry_run,
            ));
        }
    };
    let mode = Mode::Initial;
    match decide(&facts, mode) {
        Decision::Skip(skip) => {
            match global.format {
                Format::Json => print_json(&Report {
                    version: 1,
                    decision: Outcome::Skip,
                    exit_code: skip.exit.code(),
                    dry_run: args.dry_run,
                    reason: ReasonOut {
                        code: skip.code.as_str().into(),
                        message: skip.message.clone(),
                    },
                    es_home: &paths.es_home,
                    config_dir: &paths.config_dir,
                    plan: None,
                    http_ca_fingerprint: None,
                    notes: vec![],
                }),
                Format::Text => {
                    // Elasticsearch hides VERBOSE skip messages unless -v; an explicit `init` says
                    // why it did nothing unless asked to be silent (silent skips are a top
                    // complaint about the built-in auto-configuration).
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
        Decision::Proceed => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let opts = PlanOptions {
                now,
                key_type: key_type(args.key_type),
                keystore_format: args.keystore_format.as_deref().and_then(|v| v.parse().ok()),
                generate_password: false,
                enrollment: None,
            };
            let plan = plan(&facts, mode, &opts);
            if args.dry_run {
                match global.format {
                    Format::Json => print_json(&Report {
                        version: 1,
                        decision: Outcome::Configure,
                        exit_code: 0,
                        dry_run: true,
                        reason: ReasonOut {
                            code: "configure".into(),
                            message: "the node is new and unconfigured: security would be auto-configured".into(),
                        },
                        es_home: &paths.es_home,
                        config_dir: &paths.config_dir,
                        plan: Some(&plan),
                        http_ca_fingerprint: None,
                        notes: vec!["dry run: nothing was written".into()],
                    }),
                    Format::Text => {
                        println!("Decision: configure (exit 0)");
                        println!("Dry run: nothing was written.\n");
                        print!("{}", plan_text(&plan));
                    }
                }
                return Ok(EsExit::Ok);
            }
            Err(UserError::new(
                EsExit::CodeError,
                "applying the plan is not implemented yet; nothing was changed (use --dry-run to see the plan)",
            ))
        }
    }
}
