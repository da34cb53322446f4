//! Where the Elasticsearch home and config directory are, resolved as Elasticsearch does:
//! `--es-home` / `ES_HOME` (else the current directory), `--config-dir` / `ES_PATH_CONF`
//! (else `<es-home>/config`). Relative paths are made absolute against the current directory.

use std::path::{Path, PathBuf};

use crate::Failure;

/// The resolved home and config directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `path.home`.
    pub es_home: PathBuf,
    /// The config directory (`ES_PATH_CONF`).
    pub config_dir: PathBuf,
}

impl Paths {
    /// Resolves the directories from the options (clap has already applied the environment).
    pub fn resolve(es_home: Option<&Path>, config_dir: Option<&Path>) -> Result<Self, Failure> {
        let cwd = std::env::current_dir().map_err(|source| Failure::Io {
            what: "cannot read the current directory".into(),
            source,
        })?;
        let abs = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            }
        };
        let es_home = es_home.map(abs).unwrap_or_else(|| cwd.clone());
        let config_dir = config_dir
            .map(abs)
            .unwrap_or_else(|| es_home.join("config"));
        Ok(Self {
            es_home,
            config_dir,
        })
    }

    /// `<config>/elasticsearch.keystore`.
    pub fn keystore(&self) -> PathBuf {
        self.config_dir.join(esac_core::layout::KEYSTORE)
    }
}
