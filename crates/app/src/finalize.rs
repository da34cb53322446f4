//! `finalize` (lifecycle spec §4): lock and recover, probe, gather what `finalize` needs besides
//! the facts (formation evidence, where the setting comes from, the keystore's hash, leftovers),
//! decide and plan (`esac_core::finalize`), then either return the plan (`--dry-run`) or
//! execute it. Refused actions stay out of the plan; the others are one transaction.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use esac_core::finalize::{self, Finalization, FinalizeFacts, FinalizeOptions, Formation};
use esac_core::planner::PASSWORD_HASH_SETTING;
use esac_core::{EsExit, FileKind};
use esac_keystore::PasswordSource;
use esac_secret::Secret;

use crate::{env, runtime, Console, Failure, Paths};

/// What `finalize` is asked to do.
#[derive(Clone, Debug, Default)]
pub struct FinalizeRequest {
    /// `-E KEY=VALUE`, as given.
    pub settings: Vec<String>,
    /// Decide and plan only.
    pub dry_run: bool,
    /// `--remove-password-hash`.
    pub remove_password_hash: bool,
    /// `--clean-backups`.
    pub clean_backups: bool,
    /// `--assume-formed`.
    pub assume_formed: bool,
    /// `--seed-hosts`, split.
    pub seed_hosts: Option<Vec<String>>,
}

/// What `finalize` decided and did.
#[derive(Debug)]
pub struct FinalizeOutcome {
    /// Per action, and the plan.
    pub finalization: Finalization,
    /// The formation evidence found.
    pub formation: Formation,
    /// `--assume-formed` was given.
    pub assumed: bool,
    /// The plan ran.
    pub executed: bool,
}

impl FinalizeOutcome {
    /// 78 when an action was refused (the others stay applied), else 0 when one applied, else 80.
    pub fn exit(&self) -> EsExit {
        use esac_core::finalize::ActionResult;
        if self
            .finalization
            .actions
            .iter()
            .any(|a| matches!(a.result, ActionResult::Refused(_)))
        {
            EsExit::Config
        } else if self.finalization.plan.is_some() {
            EsExit::Ok
        } else {
            EsExit::Noop
        }
    }
}

/// `--seed-hosts` values: `host`, `host:port` or `[v6]:port`, nothing that would need quoting.
pub fn parse_seed_hosts(v: &str) -> Result<Vec<String>, String> {
    let hosts: Vec<String> = v.split(',').map(str::to_owned).collect();
    for h in &hosts {
        if h.is_empty()
            || h.chars()
                .any(|c| c == '"' || c == '\\' || c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "[{h}] is not a transport address (host, host:port or [v6]:port)"
            ));
        }
    }
    Ok(hosts)
}

/// `es-autoconf finalize`.
pub fn finalize(
    paths: &Paths,
    req: &FinalizeRequest,
    console: &dyn Console,
) -> Result<FinalizeOutcome, Failure> {
    let overrides = runtime::overrides(&req.settings)?;
    let (_lock, facts) = runtime::start(paths, &overrides, req.dry_run, console)?;
    if facts.yml_text.is_none() {
        return Err(Failure::Io {
            what: format!("cannot read [{}]", facts.yml_path().display()),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    if req.seed_hosts.is_some() && facts.settings.exists("discovery.seed_hosts") {
        return Err(Failure::Usage(
            "--seed-hosts: discovery.seed_hosts is already set".into(),
        ));
    }
    let env_sources = if env::lookup(env::ELASTIC_CONTAINER).as_deref() == Some("true") {
        env::INITIAL_MASTER_NODES_VARS
            .iter()
            .filter(|v| env::lookup(v).is_some())
            .map(|v| (*v).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let data_dirs: Vec<_> = facts.data_dirs.iter().map(|d| d.path.clone()).collect();
    let formation = esac_probe::formation::formation(&data_dirs);
    let (password_hash, keystore_password) = if req.remove_password_hash {
        keystore_hash(&paths.config_dir, &facts)?
    } else {
        (None, Secret::default())
    };
    let gid = |p: &Path| std::fs::symlink_metadata(p).ok().map(|m| m.gid());
    let ff = FinalizeFacts {
        overrides,
        env_sources,
        formation: formation.clone(),
        password_hash,
        leftovers: if req.clean_backups {
            leftovers(&paths.config_dir)
        } else {
            Vec::new()
        },
        yml_gid: gid(&facts.yml_path()),
        keystore_gid: gid(&facts.keystore_path()),
    };
    let opts = FinalizeOptions {
        now: runtime::now(),
        remove_password_hash: req.remove_password_hash,
        clean_backups: req.clean_backups,
        assume_formed: req.assume_formed,
        seed_hosts: req.seed_hosts.clone(),
    };
    let finalization = finalize::plan_finalize(&facts, &ff, &opts, &env::lookup);
    let mut outcome = FinalizeOutcome {
        finalization,
        formation,
        assumed: req.assume_formed,
        executed: false,
    };
    let Some(plan) = outcome.finalization.plan.as_ref().filter(|_| !req.dry_run) else {
        return Ok(outcome);
    };
    let inputs = runtime::RunInputs {
        keystore_password,
        ..Default::default()
    };
    runtime::execute(plan, console, inputs)?;
    outcome.executed = true;
    Ok(outcome)
}

/// Whether the keystore holds the password hash, and the keystore's password (read once, also
/// for the run that rewrites it). `None`: no keystore.
fn keystore_hash(
    config_dir: &Path,
    facts: &esac_core::Facts,
) -> Result<(Option<bool>, Secret), Failure> {
    if facts.keystore == FileKind::Missing {
        return Ok((None, Secret::default()));
    }
    let password = runtime::keystore_password(facts.keystore_has_password == Some(true))?;
    let opened = esac_keystore::open_keystore(config_dir, &PasswordSource::Given(password.clone()))
        .map_err(Failure::Keystore)?;
    Ok((
        opened.map(|o| o.keystore.contains(PASSWORD_HASH_SETTING)),
        password,
    ))
}

/// Leftovers of earlier runs in the config directory and in `certs/` (names only; nothing is
/// followed).
fn leftovers(config_dir: &Path) -> Vec<esac_core::RelPath> {
    let mut names = Vec::new();
    for (dir, prefix) in [
        (config_dir.to_path_buf(), ""),
        (config_dir.join("certs"), "certs/"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let regular = e.file_type().is_ok_and(|t| t.is_file() || t.is_dir());
            if let (true, Some(name)) = (regular, e.file_name().to_str()) {
                names.push(format!("{prefix}{name}"));
            }
        }
    }
    finalize::leftovers(names.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_hosts_values() {
        assert_eq!(
            parse_seed_hosts("a:9300,[::1]:9300,b").unwrap(),
            ["a:9300", "[::1]:9300", "b"]
        );
        for bad in ["a,,b", "a b", "a\"", "a\\b", "", "a\t"] {
            assert!(parse_seed_hosts(bad).is_err(), "{bad:?}");
        }
    }
}
