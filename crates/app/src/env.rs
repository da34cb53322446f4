//! Every environment variable es-autoconf reads, in one place.

/// The Elasticsearch home (`--es-home`).
pub const ES_HOME: &str = "ES_HOME";
/// The config directory (`--config-dir`).
pub const ES_PATH_CONF: &str = "ES_PATH_CONF";
/// A file holding the keystore password, as Elasticsearch's systemd unit uses it.
pub const ES_KEYSTORE_PASSPHRASE_FILE: &str = esac_keystore::open::PASSPHRASE_FILE_ENV;
/// The enrollment token of `init` and `reconfigure` when neither `--enrollment-token` nor
/// `--enrollment-token-file` is given (as in Elasticsearch's Docker image).
pub const ENROLLMENT_TOKEN: &str = "ENROLLMENT_TOKEN";
/// The hostname, as the launcher exports it: the default `node.name` and a SAN.
pub const HOSTNAME: &str = "HOSTNAME";
/// When set and not empty, no terminal styling (<https://no-color.org>); the binary's printer.
pub const NO_COLOR: &str = "NO_COLOR";
/// `dumb`: a terminal without escape sequences, so no styling; the binary's printer.
pub const TERM: &str = "TERM";
/// Which log events go to standard error, as tracing's `target=level` directives; the binary's
/// logging.
pub const RUST_LOG: &str = "RUST_LOG";
/// Debug builds only: a directory of pre-generated keys to use instead of generating them.
pub const ESAC_TEST_KEY_POOL: &str = "ESAC_TEST_KEY_POOL";
/// Debug builds only: the time of the run, in seconds since 1970 (certificate dates, names).
pub const ESAC_TEST_NOW: &str = "ESAC_TEST_NOW";
/// Debug builds only: the overall deadline of each enrollment request, in milliseconds (tests of
/// peers that trickle bytes).
pub const ESAC_TEST_HTTP_DEADLINE_MS: &str = "ESAC_TEST_HTTP_DEADLINE_MS";
/// Debug builds only: how long `renew --wait-reload` waits, in milliseconds (tests of a node
/// that never reloads).
pub const ESAC_TEST_RELOAD_WAIT_MS: &str = "ESAC_TEST_RELOAD_WAIT_MS";
/// Debug builds only: a step at which to fail or abort (see `esac-exec`'s failpoints).
pub const ESAC_FAILPOINT: &str = "ESAC_FAILPOINT";

/// Set by Elasticsearch's Docker image, whose entrypoint turns settings-like variables into
/// `-E` options (`status` then reads settings from the environment too).
pub const ELASTIC_CONTAINER: &str = "ELASTIC_CONTAINER";
/// The variables through which the Docker image sets `cluster.initial_master_nodes` (Elastic's
/// compose file uses the first).
pub const INITIAL_MASTER_NODES_VARS: [&str; 2] = [
    "cluster.initial_master_nodes",
    "ES_SETTING_CLUSTER_INITIAL__MASTER__NODES",
];

/// Looks up a variable (the one place that reads the environment for settings placeholders).
pub fn lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
