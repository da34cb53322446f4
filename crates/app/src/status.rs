//! `es-autoconf status`: observe the node read-only, assess it. No lock is taken, nothing is
//! written, an interrupted run's journal is reported and left alone.
//!
//! A protected keystore's passphrase comes from the file named by
//! `ES_KEYSTORE_PASSPHRASE_FILE`, else from a prompt when standard input is a terminal; never from
//! a non-terminal standard input (monitoring agents often pass one that is closed or inherited).
//! Without it, the checks that need the keystore's passwords are reported as unknown.

use esac_keystore::PasswordSource;
use esac_status::observe::{self, Passphrase};
use esac_status::{Observed, Report, Thresholds};

use crate::{env, runtime, Console, Failure, Paths};

/// What `status` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct StatusRequest {
    /// `-E KEY=VALUE`, as given.
    pub settings: Vec<String>,
    /// `--es-user`.
    pub es_user: Option<String>,
    /// `--warn-days`, `--crit-days`.
    pub thresholds: Thresholds,
}

/// What `status` found.
#[derive(Debug)]
pub struct StatusOutcome {
    /// Everything read (no secret in it).
    pub observed: Observed,
    /// The judgement.
    pub report: Report,
}

/// `es-autoconf status`.
pub fn run(
    paths: &Paths,
    req: &StatusRequest,
    console: &dyn Console,
) -> Result<StatusOutcome, Failure> {
    let overrides = runtime::overrides(&req.settings)?;
    let t = req.thresholds;
    if t.crit_days > t.warn_days {
        return Err(Failure::Usage(format!(
            "--crit-days ({}) must not be larger than --warn-days ({})",
            t.crit_days, t.warn_days
        )));
    }
    let service_user =
        observe::service_user(req.es_user.as_deref(), &paths.config_dir).map_err(Failure::Usage)?;
    let env_settings = if env::lookup(env::ELASTIC_CONTAINER).as_deref() == Some("true") {
        observe::env_settings(std::env::vars())
    } else {
        Vec::new()
    };
    let mut passphrase = || passphrase(console);
    let observed = observe::observe(observe::Input {
        es_home: &paths.es_home,
        config_dir: &paths.config_dir,
        overrides: &overrides,
        env_settings: &env_settings,
        env: &env::lookup,
        service_user,
        passphrase: &mut passphrase,
    });
    let report = esac_status::assess(&observed, &t, runtime::now());
    Ok(StatusOutcome { observed, report })
}

fn passphrase(console: &dyn Console) -> Passphrase {
    match runtime::password_source() {
        file @ PasswordSource::File(_) => match file.read() {
            Ok(p) => Passphrase::Given(p),
            Err(e) => Passphrase::Unavailable(format!("its passphrase could not be read: {e}")),
        },
        _ if console.stdin_is_terminal() => {
            match console.read_secret(esac_keystore::open::PROMPT) {
                Ok(p) => Passphrase::Given(p),
                Err(e) => Passphrase::Unavailable(format!("its passphrase could not be read: {e}")),
            }
        }
        _ => Passphrase::Unavailable(format!(
            "no passphrase was given ({} is not set and standard input is not a terminal)",
            env::ES_KEYSTORE_PASSPHRASE_FILE
        )),
    }
}
