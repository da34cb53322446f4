//! Command-line definitions. Validation only (ripgrep's "low-level arguments"): values are typed
//! here, nothing reads files; clap applies `ES_HOME` / `ES_PATH_CONF`.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use esac_app::env;
use esac_certspec::KeyType;

/// Elasticsearch first-start security auto-configuration, outside the JVM.
#[derive(Debug, Parser)]
#[command(name = "es-autoconf", version, about, propagate_version = true)]
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
    /// Lay out a whole cluster offline from certutil's instances.yml (apply with `init --bundle`)
    Layout(LayoutArgs),
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

    /// Join an existing cluster with an enrollment token (from `enrollment-token --scope node`)
    #[arg(long, value_name = "TOKEN")]
    pub enrollment_token: Option<String>,

    /// Apply this node's directory of a bundle made by `layout` (DIR/<node>)
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with_all = ["enrollment_token", "credentials_file"]
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
