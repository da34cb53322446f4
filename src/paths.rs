//! Where the Elasticsearch home and config directory are, resolved as Elasticsearch does:
//! `--es-home` / `ES_HOME` (else the current directory), `--config-dir` / `ES_PATH_CONF`
//! (else `<es-home>/config`). Relative paths are made absolute against the current directory.

use std::path::{Path, PathBuf};

use esac_core::{EsExit, UserError};

use crate::cli::GlobalArgs;

/// The resolved home and config directories.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `path.home`.
    pub es_home: PathBuf,
    /// The config directory (`ES_PATH_CONF`).
    pub config_dir: PathBuf,
}

impl Paths {
    /// Resolves the directories from the global options.
    pub fn resolve(global: &GlobalArgs) -> Result<Self, UserError> {
        let cwd = std::env::current_dir().map_err(|e| {
            UserError::new(
                EsExit::IoError,
                format!("cannot read the current directory: {e}"),
            )
        })?;
        let abs = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            }
        };
        let es_home = global
            .es_home
            .as_deref()
            .map(abs)
            .unwrap_or_else(|| cwd.clone());
        let config_dir = global
            .config_dir
            .as_deref()
            .map(abs)
            .unwrap_or_else(|| es_home.join("config"));
        Ok(Self {
            es_home,
            config_dir,
        })
    }

    /// `<config>/elasticsearch.keystore`.
    pub fn keystore(&self) -> PathBuf {
        self.config_dir.join("elasticsearch.keystore")
    }

    /// `<config>/elasticsearch.yml`.
    #[allow(dead_code, reason = "kept for subcommands that edit the yml")]
    pub fn yml(&self) -> PathBuf {
        self.config_dir.join("elasticsearch.yml")
    }
}
