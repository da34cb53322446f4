//! Command-line definitions. Validation only (ripgrep's "low-level arguments"): values are typed
//! here, nothing reads files; clap applies `ES_HOME` / `ES_PATH_CONF`.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use esac_app::env;
use esac_certspec::KeyType;

/// What `--version` prints after the name: the version, the commit it was built from and the
/// crypto backend (`build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("ESAC_GIT_COMMIT"),
    ", crypto: ",
    env!("ESAC_CRYPTO_BACKEND"),
    ")"
);

/// Elasticsearch first-start security auto-configuration, outside the JVM.
#[derive(Debug, Parser)]
#[command(name = "es-autoconf", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes, with Elasticsearch's defaults.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Elasticsearch home directory [default: $ES_HOME, else the current directory]
    #[arg(long, global = true, env = env::ES_HOME, value_name = "DIR")]
    pub es_home: Option<PathBuf>,

    /// Configuration directory [default: $ES_PATH_CONF, else <es-home>/config]
    #[arg(long, global = true, env = env::ES_PATH_CONF, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Show more (Elasticsearch's VERBOSE messages)
    #[arg(short, long, global = true, conflicts_with = "silent")]
    pub verbose: bool,

    /// Show only errors
    #[arg(short, long, global = true)]
    pub silent: bool,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text
    Text,
    /// One JSON document on standard output
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Secure a new node as Elasticsearch does on its first start
    Init(InitArgs),
    /// Inspect elasticsearch.keystore
    #[command(subcommand)]
    Keystore(KeystoreCommand),
    /// Re-enroll an auto-configured (package) node into an existing cluster
    Reconfigure(ReconfigureArgs),
    /// Create an enrollment token on a running node (for Kibana or another node)
    EnrollmentToken(EnrollmentTokenArgs),
    /// Renew the HTTP certificate, or re-issue the HTTP CA certificate with the same key
    #[command(subcommand)]
    Renew(RenewCommand),
    /// Remove bootstrap-only settings once the cluster has formed (and, optionally, the
    /// install-time password hash and leftovers holding private keys)
    Finalize(FinalizeArgs),
    /// Lay out a whole cluster offline from certutil's instances.yml (apply with `init --bundle`)
    Layout(LayoutArgs),
    /// Report the health of a node's TLS, keystore and bootstrap configuration (read-only)
    Status(StatusArgs),
}

/// Which exit codes `status` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExitCodeMode {
    /// Elasticsearch's: 0 healthy, 78 critical, 65 keystore passphrase missing or wrong, 74 cannot read
    Es,
    /// Monitoring plugins': 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one status line with perfdata
    Nagios,
}

/// Arguments of `es-autoconf status`.
#[derive(Debug, Args, Clone)]
pub struct StatusArgs {
    /// Set an Elasticsearch setting, as `bin/elasticsearch -E KEY=VALUE`
    #[arg(short = 'E', value_name = "KEY=VALUE")]
    pub settings: Vec<String>,

    /// A certificate with at most this many days left is a warning
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub warn_days: u32,

    /// A certificate with at most this many days left is critical
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    pub crit_days: u32,

    /// The account Elasticsearch runs as, for the readability checks [default: elasticsearch
    /// when the config directory has its group, else the config directory's owner]
    #[arg(long, value_name = "USER")]
    pub es_user: Option<String>,

    /// Exit codes and, in text format, the output style
    #[arg(long, value_enum, default_value_t = ExitCodeMode::Es)]
    pub exit_codes: ExitCodeMode,

    /// The least severity that exits 78 with `--exit-codes es` [default: critical]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOnArg>,
}

/// `status --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    /// A warning or a critical finding exits 78
    Warning,
    /// Only a critical finding exits 78
    Critical,
}

/// Arguments of `es-autoconf finalize`.
#[derive(Debug, Args, Clone)]
pub struct FinalizeArgs {
    /// Set an Elasticsearch setting, as `bin/elasticsearch -E KEY=VALUE`
    #[arg(short = 'E', value_name = "KEY=VALUE")]
    pub settings: Vec<String>,

    /// Decide and print the plan; write nothing at all
    #[arg(long)]
    pub dry_run: bool,

    /// Also remove autoconfiguration.password_hash from the keystore
    #[arg(long)]
    pub remove_password_hash: bool,

    /// Also delete leftovers of earlier runs that hold private keys (certs.<n>.orig,
    /// certs.<n>.tmp, elasticsearch.keystore.<n>.orig, certs/http.p12.<n>.orig,
    /// certs/http_ca.crt.<n>.orig)
    #[arg(long)]
    pub clean_backups: bool,

    /// The cluster has formed, whatever path.data says (or cannot say)
    #[arg(long)]
    pub assume_formed: bool,

    /// Replace cluster.initial_master_nodes by discovery.seed_hosts with these transport
    /// addresses (comma-separated), as Elasticsearch writes it for an enrolled node
    #[arg(long, value_name = "HOST[:PORT],...", value_parser = seed_hosts_parser)]
    pub seed_hosts: Option<SeedHosts>,
}

/// `--seed-hosts`, split and checked.
#[derive(Debug, Clone)]
pub struct SeedHosts(pub Vec<String>);

fn seed_hosts_parser(v: &str) -> Result<SeedHosts, String> {
    esac_app::finalize::parse_seed_hosts(v).map(SeedHosts)
}

/// `es-autoconf renew ...`
#[derive(Debug, Subcommand, Clone)]
pub enum RenewCommand {
    /// A new HTTP certificate signed by the HTTP CA key in certs/http.p12, written back under the
    /// same name and password so a running node reloads it
    Http(RenewHttpArgs),
    /// Re-issue the HTTP CA certificate with the same key, subject and key identifier (or
    /// install the one re-issued on another node)
    #[command(name = "http-ca")]
    HttpCa(RenewCaArgs),
}

/// Which SANs a renewed HTTP certificate carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Sans {
    /// The old SANs and what auto-configuration would compute today
    #[default]
    Union,
    /// Only what auto-configuration would compute today
    Current,
    /// Only the old SANs
    Keep,
}

/// Options of every `renew` command.
#[derive(Debug, Args, Clone)]
pub struct RenewCommonArgs {
    /// Set an Elasticsearch setting, as `bin/elasticsearch -E KEY=VALUE`
    #[arg(short = 'E', value_name = "KEY=VALUE")]
    pub settings: Vec<String>,

    /// Check and print the plan; write nothing at all
    #[arg(long)]
    pub dry_run: bool,

    /// Renew only when this many days or fewer are left [default: 30 for http, 90 for http-ca]
    #[arg(long, value_name = "DAYS", conflicts_with = "force")]
    pub within: Option<u32>,

    /// Renew however many days are left
    #[arg(long)]
    pub force: bool,

    /// Keep the previous certs/http.p12 as certs/http.p12.<epoch>.orig (it holds private keys)
    #[arg(long)]
    pub keep_backup: bool,

    /// After the commit, wait until the node at URL (https://HOST:PORT) serves the new
    /// certificate: a TLS handshake a second, for max(15 s, 3 x resource.reload.interval.high)
    #[arg(long, value_name = "URL")]
    pub wait_reload: Option<String>,

    /// With --wait-reload: exit 69 when the node did not serve it in time (the files stay
    /// renewed)
    #[arg(long, requires = "wait_reload")]
    pub require_reload: bool,

    /// SANs of a new HTTP certificate
    #[arg(long, value_enum, default_value_t = Sans::Union)]
    pub sans: Sans,

    /// Add a SAN to a new HTTP certificate (repeatable)
    #[arg(long, value_name = "DNS:NAME|IP:ADDRESS", value_parser = san_parser)]
    pub add_san: Vec<esac_certspec::SanEntry>,

    /// Keep the HTTP certificate's private key (for clients that pin the public key)
    #[arg(long, conflicts_with = "key_type")]
    pub reuse_key: bool,

    /// Key type of a new HTTP certificate [default: the old certificate's]
    #[arg(long, value_parser = key_type_parser())]
    pub key_type: Option<KeyType>,
}

fn san_parser(v: &str) -> Result<esac_certspec::SanEntry, String> {
    esac_app::renew::parse_san(v)
}

/// Arguments of `es-autoconf renew http`.
#[derive(Debug, Args, Clone)]
pub struct RenewHttpArgs {
    #[command(flatten)]
    pub common: RenewCommonArgs,

    /// Validity of the new certificate in days
    #[arg(long, value_name = "N", default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,

    /// Do not cut the validity at the HTTP CA's expiry
    #[arg(long)]
    pub no_cap: bool,
}

/// Arguments of `es-autoconf renew http-ca`.
#[derive(Debug, Args, Clone)]
pub struct RenewCaArgs {
    #[command(flatten)]
    pub common: RenewCommonArgs,

    /// Validity of the re-issued CA certificate in days
    #[arg(long, value_name = "N", default_value_t = 1095, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,

    /// Also renew the HTTP certificate, under the new CA (automatic when it expires within 30 days)
    #[arg(long)]
    pub with_leaf: bool,

    /// Install the CA certificate re-issued on another node of the cluster (PEM or DER); it must
    /// be for this node's HTTP CA key
    #[arg(long, value_name = "FILE", conflicts_with_all = ["days", "within", "force"])]
    pub import_ca_cert: Option<PathBuf>,
}

/// Arguments of `es-autoconf reconfigure`.
#[derive(Debug, Args, Clone)]
pub struct ReconfigureArgs {
    #[command(flatten)]
    pub init: InitArgs,

    /// Do not ask for confirmation (for scripts)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// What an enrollment token enrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scope {
    /// Kibana
    Kibana,
    /// Another Elasticsearch node
    Node,
}

/// Arguments of `es-autoconf enrollment-token`.
#[derive(Debug, Args, Clone)]
pub struct EnrollmentTokenArgs {
    /// What the token enrolls
    #[arg(long, value_enum)]
    pub scope: Scope,

    /// The node's HTTPS URL [default: https://localhost:9200]
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Read the elastic user's password from this file instead of a terminal prompt
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
}

fn key_type_parser() -> impl TypedValueParser<Value = KeyType> {
    PossibleValuesParser::new(KeyType::ALL.map(KeyType::name)).try_map(|s| s.parse::<KeyType>())
}

/// Arguments of `es-autoconf init`.
#[derive(Debug, Args, Clone)]
pub struct InitArgs {
    /// Set an Elasticsearch setting, as `bin/elasticsearch -E KEY=VALUE`
    #[arg(short = 'E', value_name = "KEY=VALUE")]
    pub settings: Vec<String>,

    /// Decide and print the plan; write nothing at all
    #[arg(long)]
    pub dry_run: bool,

    /// Key type for the CAs and certificates
    #[arg(long, default_value = KeyType::Rsa4096.name(), value_parser = key_type_parser())]
    pub key_type: KeyType,

    /// elasticsearch.keystore format to write (5 for Elasticsearch 8.0-8.13, 6 from 8.14)
    #[arg(long, value_parser = clap::value_parser!(u32).range(5..=6))]
    pub keystore_format: Option<u32>,

    /// Generate the `elastic` password even without a terminal and write it, with the CA
    /// fingerprint, to this new file (mode 0600, JSON); fails if the file exists
    #[arg(long, value_name = "PATH")]
    pub credentials_file: Option<PathBuf>,

    /// Give this group to every file and directory written (packages use `elasticsearch`)
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,

    /// Join an existing cluster with this enrollment token (from `enrollment-token --scope
    /// node`). Every local user can read it in the process list while the run lasts: prefer
    /// --enrollment-token-file or $ENROLLMENT_TOKEN
    #[arg(long, value_name = "TOKEN", conflicts_with = "enrollment_token_file")]
    pub enrollment_token: Option<String>,

    /// Join an existing cluster with the enrollment token in this file (`-`: the first line of
    /// standard input). Without either option, a non-empty $ENROLLMENT_TOKEN is used
    #[arg(long, value_name = "PATH")]
    pub enrollment_token_file: Option<PathBuf>,

    /// Apply this node's directory of a bundle made by `layout` (DIR/<node>)
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["enrollment_token", "enrollment_token_file", "credentials_file"]
    )]
    pub bundle: Option<PathBuf>,

    /// The bundle passphrase (first line of this file), when the bundle has one [default: a
    /// prompt on a terminal]
    #[arg(long, value_name = "FILE", requires = "bundle")]
    pub bundle_passphrase_file: Option<PathBuf>,
}

/// `es-autoconf keystore ...`
#[derive(Debug, Subcommand, Clone)]
pub enum KeystoreCommand {
    /// List the setting names in the keystore (never values)
    List,
    /// Exit 0 if the keystore is password-protected, 1 otherwise (like `has-passwd`)
    #[command(name = "has-password", alias = "has-passwd")]
    HasPassword,
    /// Print one setting's value (only to a terminal, unless --reveal)
    Show {
        /// Setting name
        name: String,
        /// Print the value even when standard output is not a terminal
        #[arg(long)]
        reveal: bool,
    },
}

/// Arguments of `es-autoconf layout`.
#[derive(Debug, Args, Clone)]
pub struct LayoutArgs {
    /// certutil's instances.yml (`instances:` with `name`, `filename`, `ip`, `dns`, `cn`)
    #[arg(long = "in", value_name = "FILE")]
    pub input: PathBuf,

    /// The bundle directory to create (it must not exist)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Master-eligible nodes (names from the instances file) [default: every instance]
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub masters: Option<Vec<String>>,

    /// A master's transport address [default: its first `ip`, else its first `dns`]
    #[arg(long = "seed-address", value_name = "NAME=HOST[:PORT]")]
    pub seed_addresses: Vec<String>,

    /// Transport port of seed addresses given without one
    #[arg(long, value_name = "PORT", default_value_t = esac_core::bundle::DEFAULT_TRANSPORT_PORT)]
    pub transport_port: u16,

    /// One transport key and certificate for every node (what enrollment produces) instead of
    /// one per node
    #[arg(long)]
    pub shared_transport_key: bool,

    /// Do not add localhost, 127.0.0.1 and ::1 to the HTTP certificates
    #[arg(long)]
    pub no_loopback_sans: bool,

    /// Key type for the CAs and certificates
    #[arg(long, default_value = KeyType::Rsa4096.name(), value_parser = key_type_parser())]
    pub key_type: KeyType,

    /// Protect the CA keys and the nodes' PKCS#12 passwords with the passphrase in this file
    /// (first line)
    #[arg(long, value_name = "FILE")]
    pub bundle_passphrase_file: Option<PathBuf>,

    /// Reuse the CAs of an earlier bundle (its `ca` directory) to add nodes to its cluster
    #[arg(long, value_name = "DIR")]
    pub ca_dir: Option<PathBuf>,

    /// Print what would be written; write nothing
    #[arg(long)]
    pub dry_run: bool,
}
