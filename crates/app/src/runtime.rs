//! What a run takes from the machine: the `-E` overrides, the start every writing command shares
//! (the directory lock with recovery of an interrupted run, then the probe), the clock, the key
//! source, the keystore password, the executor's inputs; and what it asks of the machine first:
//! no core dumps.

use std::path::Path;
use std::time::{Duration, SystemTime};

use esac_core::plan::Plan;
use esac_core::Facts;
use esac_exec::{DirLock, Executed, Recovery};
use esac_keystore::PasswordSource;
use esac_pki::KeySource;
use esac_probe::ProbeInput;
use esac_secret::Secret;

use crate::{env, Console, Failure, Paths};

/// Keeps the run's secrets (private keys, passwords, the enrollment token) out of core files
/// and away from other processes of the same user, before anything is read: the core size limit
/// is 0 (soft and hard, so nothing started later can raise it) and the process is not dumpable
/// (no core file whatever the limit, no `ptrace` attach or `/proc/<pid>/mem` and `environ` by
/// other processes of the same user). Best effort: a refusal is returned for `-v`, never fatal.
pub fn no_core_dumps() -> Vec<String> {
    use nix::sys::resource::{setrlimit, Resource};
    let mut refused = Vec::new();
    if let Err(e) = setrlimit(Resource::RLIMIT_CORE, 0, 0) {
        refused.push(format!("cannot set the core file size limit to 0: {e}"));
    }
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        refused.push(format!("cannot make the process non-dumpable: {e}"));
    }
    refused
}

/// The time of the run, taken once. Debug builds honour `ESAC_TEST_NOW` (seconds since 1970),
/// so tests can make certificates that are near their expiry without waiting.
pub fn now() -> SystemTime {
    #[cfg(debug_assertions)]
    if let Some(secs) = env::lookup(env::ESAC_TEST_NOW).and_then(|s| s.parse::<u64>().ok()) {
        return SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    }
    SystemTime::now()
}

/// Real key generation, or (debug builds only) the committed test key pool named by
/// `ESAC_TEST_KEY_POOL`, so the test suite does not spend seconds generating RSA keys.
pub fn key_source() -> Box<dyn KeySource> {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os(env::ESAC_TEST_KEY_POOL) {
        return Box::new(LazyPool {
            dir: dir.into(),
            pool: std::sync::OnceLock::new(),
        });
    }
    Box::new(esac_pki::AwsLcKeySource)
}

/// The test key pool, read when the first key is asked for: keys are needed only at the
/// `generate` step, so earlier steps fail with their own exit codes, as with real generation.
#[cfg(debug_assertions)]
struct LazyPool {
    dir: std::path::PathBuf,
    pool: std::sync::OnceLock<esac_pki::PoolKeySource>,
}

#[cfg(debug_assertions)]
impl KeySource for LazyPool {
    fn generate(&self, key_type: esac_certspec::KeyType) -> esac_pki::Result<esac_pki::PrivateKey> {
        if let Some(pool) = self.pool.get() {
            return pool.generate(key_type);
        }
        let loaded = esac_pki::PoolKeySource::load(&self.dir)?;
        self.pool.get_or_init(|| loaded).generate(key_type)
    }
}

/// The overall deadline of each enrollment request (resolve, connect, TLS, answer): the
/// library's default; debug builds honour `ESAC_TEST_HTTP_DEADLINE_MS`, so tests of a peer that
/// trickles bytes need not wait a minute.
pub fn http_deadline() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) =
        env::lookup(env::ESAC_TEST_HTTP_DEADLINE_MS).and_then(|s| s.parse::<u64>().ok())
    {
        return Duration::from_millis(ms);
    }
    esac_enroll::client::DEFAULT_DEADLINE
}

/// How long `renew --wait-reload` waits for the node to serve the new certificate: `default`
/// (debug builds honour `ESAC_TEST_RELOAD_WAIT_MS`).
pub fn reload_wait(default: Duration) -> Duration {
    #[cfg(debug_assertions)]
    if let Some(ms) = env::lookup(env::ESAC_TEST_RELOAD_WAIT_MS).and_then(|s| s.parse::<u64>().ok())
    {
        return Duration::from_millis(ms);
    }
    default
}

/// How long a run waits for another run on the same config directory.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

/// Locks the config directory for a writing run, then finishes or undoes a run that was killed
/// (saying so). `None` when the directory does not exist (the checks report that).
pub fn lock_and_recover(
    config_dir: &Path,
    console: &dyn Console,
) -> Result<Option<esac_exec::DirLock>, Failure> {
    if !config_dir.is_dir() {
        return Ok(None);
    }
    let lock = esac_exec::lock_dir(config_dir, LOCK_WAIT, || {
        console.note(&format!(
            "waiting for another es-autoconf run on [{}] to finish",
            config_dir.display()
        ));
    })
    .map_err(|source| Failure::Lock {
        config_dir: config_dir.to_path_buf(),
        source,
    })?
    .ok_or_else(|| Failure::Locked {
        config_dir: config_dir.to_path_buf(),
    })?;
    match esac_exec::recover(config_dir).map_err(Failure::Recovery)? {
        Recovery::Nothing => {}
        Recovery::Completed(e) => console.note(&format!(
            "found an interrupted run (epoch {e}) that had finished writing; removed its leftovers"
        )),
        Recovery::RolledBack(e) => console.note(&format!(
            "found an interrupted run (epoch {e}); restored the configuration it had started to change"
        )),
    }
    Ok(Some(lock))
}

/// The password of a protected keystore: the file named by `ES_KEYSTORE_PASSPHRASE_FILE`, else
/// standard input (a prompt on a terminal), as Elasticsearch reads it.
pub fn keystore_password(protected: bool) -> Result<Secret, Failure> {
    if !protected {
        return Ok(Secret::default());
    }
    password_source().read().map_err(Failure::KeystorePassword)
}

/// Where a keystore password comes from.
pub fn password_source() -> PasswordSource {
    PasswordSource::from_passphrase_file_var(std::env::var_os(env::ES_KEYSTORE_PASSPHRASE_FILE))
}

/// `-E KEY=VALUE` arguments, parsed; a malformed or repeated one is a usage error.
pub fn overrides(settings: &[String]) -> Result<Vec<(String, String)>, Failure> {
    esac_settings::parse_overrides(settings).map_err(|e| Failure::Usage(e.to_string()))
}

/// What the probe reads for `paths` with `overrides` and the process environment.
pub fn probe_input<'a>(paths: &'a Paths, overrides: &'a [(String, String)]) -> ProbeInput<'a> {
    ProbeInput {
        es_home: &paths.es_home,
        config_dir: &paths.config_dir,
        overrides,
        env: &env::lookup,
    }
}

/// The start of every command that may write: a real run holds the config directory for its
/// whole duration ([`lock_and_recover`]); then the machine is probed once. A dry run takes no
/// lock and changes nothing, and says so when an interrupted run left a journal.
pub fn start(
    paths: &Paths,
    overrides: &[(String, String)],
    dry_run: bool,
    console: &dyn Console,
) -> Result<(Option<DirLock>, Facts), Failure> {
    let lock = if dry_run {
        None
    } else {
        lock_and_recover(&paths.config_dir, console)?
    };
    let facts = esac_probe::probe(&probe_input(paths, overrides)).map_err(Failure::Probe)?;
    let journal = paths.config_dir.join(esac_core::layout::JOURNAL);
    if dry_run && std::fs::symlink_metadata(journal).is_ok() {
        console.note(
            "an interrupted es-autoconf run left a journal; a real run will first finish or undo it",
        );
    }
    Ok((lock, facts))
}

/// What a plan needs besides the key source and the console, for the commands whose run holds
/// no signals of its own and generates no `elastic` password (empty where a command has none).
#[derive(Default)]
pub struct RunInputs {
    /// The existing keystore's password.
    pub keystore_password: Secret,
    /// `init --bundle`: the node's material from the bundle.
    pub received: Option<esac_pki::Received>,
    /// The data directories, for recovery's check.
    pub data_dirs: Vec<std::path::PathBuf>,
    /// `renew`: the HTTP store as read, and its password.
    pub renewal: Option<esac_exec::Renewal>,
}

/// Runs `plan` with [`key_source`], its progress shown on `console`.
pub fn execute(plan: &Plan, console: &dyn Console, run: RunInputs) -> Result<Executed, Failure> {
    let keys = key_source();
    let inputs = esac_exec::Inputs {
        keys: keys.as_ref(),
        keystore_password: run.keystore_password,
        elastic_password: None,
        received: run.received,
        data_dirs: run.data_dirs,
        progress: &|line| console.progress(line),
        renewal: run.renewal,
        interrupts: None,
    };
    esac_exec::execute(plan, inputs).map_err(|error| Failure::Exec {
        error,
        reconfigure: false,
    })
}
