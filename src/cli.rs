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
