//! Reads the machine once and returns [`Facts`]: the settings (yml, `-E`, environment), the data
//! directories (from their first entry only), what the yml and keystore are (without following a
//! final link), the config directory's owner, the hostname, interface addresses and the
//! Elasticsearch version under `lib/`.
//!
//! [`mounts`] parses `/proc/self/mountinfo`: which paths are mount points (a bind-mounted file
//! cannot be replaced by a rename).
//!
//! Architecture invariant: writes nothing, creates nothing, locks nothing; every file read is
//! bounded.

#![forbid(unsafe_code)]

pub mod formation;
pub mod mounts;

#[doc(hidden)]
pub mod fuzzing;

use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

use esac_core::facts::{DataDir, DataDirState, DirOwner, Facts, FileKind};
use esac_settings::{Settings, SettingsError, Value};

/// What the probe needs to know that is not on disk.
pub struct ProbeInput<'a> {
    /// `path.home`.
    pub es_home: &'a Path,
    /// The config directory.
    pub config_dir: &'a Path,
    /// Parsed `-E` options.
    pub overrides: &'a [(String, String)],
    /// Environment lookup (`${VAR}` placeholders, `HOSTNAME`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Why the probe could not build the facts.
#[derive(Debug)]
pub enum ProbeError {
    /// The settings are invalid (bad YAML, duplicate keys, unresolved placeholder ...).
    Settings(SettingsError),
    /// Reading the yml failed in a way that is not "unreadable" (e.g. it is too large).
    Io {
        /// The path.
        path: PathBuf,
        /// What happened.
        detail: String,
    },
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::Settings(e) => write!(f, "{e}"),
            ProbeError::Io { path, detail } => {
                write!(f, "cannot read [{}]: {detail}", path.display())
            }
        }
    }
}

use esac_core::layout::MAX_YML_BYTES;

/// Looks at `path` without following a final symlink; opens regular files to learn if they are
/// readable (as root, access(2) says yes to everything, so only a real open tells).
pub fn file_kind(path: &Path) -> FileKind {
    use nix::errno::Errno;
    use nix::fcntl::OFlag;
    // Opened first, without following a link and without blocking, then looked at through the
    // descriptor: nothing swapped in between a check and the open can be opened for real (a FIFO
    // would hang the run while it holds the lock).
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY).bits())
        .open(path);
    match opened {
        Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => FileKind::ReadableFile,
        Ok(_) => FileKind::NotRegular,
        Err(e) => match Errno::from_raw(e.raw_os_error().unwrap_or(0)) {
            Errno::ENOENT | Errno::ENOTDIR => FileKind::Missing,
            Errno::ELOOP => FileKind::NotRegular,
            // Not openable: a regular file we may not read, or something else.
            _ => match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_file() => FileKind::UnreadableFile,
                Ok(_) => FileKind::NotRegular,
                Err(_) => FileKind::Missing,
            },
        },
    }
}

/// Gathers the facts.
pub fn probe(input: &ProbeInput<'_>) -> Result<Facts, ProbeError> {
    let yml_path = input.config_dir.join("elasticsearch.yml");
    let yml = file_kind(&yml_path);
    let env = input.env;

    // Elasticsearch builds its settings before the checks, following a symlinked yml; the checks
    // then look at the file itself. So read through symlinks here, and let `decide` judge `yml`.
    let bytes = read_yml(&yml_path)?;
    let hostname = env("HOSTNAME")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(system_hostname);
    let settings = effective_settings(bytes.as_deref(), &yml_path, input, &hostname)?;
    let yml_text = bytes.and_then(|b| String::from_utf8(b).ok()).map(Arc::new);
    // access(2) answers EROFS for a read-only file system or bind mount, even to root.
    let yml_read_only = yml == FileKind::ReadableFile
        && nix::unistd::access(&yml_path, nix::unistd::AccessFlags::W_OK)
            == Err(nix::errno::Errno::EROFS);

    let data_paths = match settings.get_list("path.data") {
        v if v.is_empty() => vec![input.es_home.join("data")],
        v => v.iter().map(|p| absolutize(input.es_home, p)).collect(),
    };
    let data_dirs = data_paths
        .into_iter()
        .map(|path| DataDir {
            state: data_dir_state(&path),
            path,
        })
        .collect();

    let keystore_path = input.config_dir.join("elasticsearch.keystore");
    let keystore = file_kind(&keystore_path);
    let (keystore_version, keystore_has_password) = match keystore {
        FileKind::ReadableFile => match esac_keystore::store::load(&keystore_path) {
            Ok(Some(f)) => (
                u32::try_from(f.version().number()).ok(),
                Some(f.has_password()),
            ),
            _ => (None, None),
        },
        _ => (None, None),
    };

    let certs = std::fs::symlink_metadata(input.config_dir.join("certs")).ok();
    let config_owner = std::fs::metadata(input.config_dir).ok().map(|m| DirOwner {
        uid: m.uid(),
        gid: m.gid(),
        setgid: m.mode() & 0o2000 != 0,
    });
    Ok(Facts {
        es_home: input.es_home.to_path_buf(),
        config_dir: input.config_dir.to_path_buf(),
        settings,
        data_dirs,
        config_owner,
        yml,
        yml_text,
        yml_read_only,
        keystore,
        keystore_has_password,
        keystore_version,
        certs_dir_exists: certs.is_some(),
        certs_group: certs.map(|m| m.gid()),
        hostname,
        interface_addresses: interface_addresses(),
        es_version: es_version(input.es_home),
    })
}

/// Settings as Elasticsearch builds them from yml bytes (`None`: no readable yml), the `-E`
/// overrides and the defaults (`node.name` = hostname, `path.home`). Reconfiguration calls it again
/// with the yml text that remains once the previous block is removed. Reads nothing.
pub fn effective_settings(
    yml: Option<&[u8]>,
    yml_path: &Path,
    input: &ProbeInput<'_>,
    hostname: &str,
) -> Result<Settings, ProbeError> {
    let env = input.env;
    let mut settings = match yml {
        Some(bytes) => Settings::from_yaml_bytes(bytes, &yml_path.display().to_string(), env)
            .map_err(ProbeError::Settings)?,
        None => Settings::default(),
    };
    settings
        .apply_overrides(input.overrides, env)
        .map_err(ProbeError::Settings)?;
    settings.set_default("node.name", Value::Scalar(hostname.to_owned()));
    settings.set_default(
        "path.home",
        Value::Scalar(input.es_home.display().to_string()),
    );
    Ok(settings)
}

fn read_yml(path: &Path) -> Result<Option<Vec<u8>>, ProbeError> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Ok(None);
    }
    // O_NONBLOCK: a FIFO swapped in after the check cannot make the open hang; the descriptor
    // is looked at again, and only a regular file is read.
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOCTTY).bits())
        .open(path);
    let Ok(file) = opened else {
        return Ok(None);
    };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Ok(None);
    }
    if meta.len() > MAX_YML_BYTES {
        return Err(ProbeError::Io {
            path: path.to_path_buf(),
            detail: format!("larger than {MAX_YML_BYTES} bytes"),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_YML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ProbeError::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if bytes.len() as u64 > MAX_YML_BYTES {
        return Err(ProbeError::Io {
            path: path.to_path_buf(),
            detail: format!("larger than {MAX_YML_BYTES} bytes"),
        });
    }
    Ok(Some(bytes))
}

fn absolutize(home: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        home.join(p)
    }
}

/// Empty or not, from the first directory entry only: never lists the whole directory.
fn data_dir_state(path: &Path) -> DataDirState {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => match std::fs::read_dir(path) {
            Ok(mut it) => match it.next() {
                None => DataDirState::Empty,
                Some(Ok(_)) => DataDirState::NotEmpty,
                Some(Err(e)) => DataDirState::Unlistable(e.to_string()),
            },
            Err(e) => DataDirState::Unlistable(e.to_string()),
        },
        _ => DataDirState::Absent,
    }
}

/// `gethostname(2)`, as bash sets `$HOSTNAME`.
pub fn system_hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Addresses of every interface that is up (IPv4 and IPv6, loopback included), deduplicated,
/// IPv4 first as Elasticsearch's `NetworkUtils` sorts them.
pub fn interface_addresses() -> Vec<IpAddr> {
    use nix::net::if_::InterfaceFlags;
    let mut out: Vec<IpAddr> = Vec::new();
    let Ok(addrs) = nix::ifaddrs::getifaddrs() else {
        return out;
    };
    for a in addrs {
        if !a.flags.contains(InterfaceFlags::IFF_UP) {
            continue;
        }
        let Some(addr) = a.address else { continue };
        let ip = if let Some(v4) = addr.as_sockaddr_in() {
            IpAddr::V4(v4.ip())
        } else if let Some(v6) = addr.as_sockaddr_in6() {
            IpAddr::V6(v6.ip())
        } else {
            continue;
        };
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    out.sort_by_key(|ip| ip.is_ipv6());
    out
}

/// `elasticsearch-X.Y.Z.jar` (optionally `-SNAPSHOT`) under `<home>/lib`.
pub fn es_version(home: &Path) -> Option<(u32, u32, u32)> {
    let entries = std::fs::read_dir(home.join("lib")).ok()?;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(v) = parse_es_jar(name) {
            return Some(v);
        }
    }
    None
}

fn parse_es_jar(name: &str) -> Option<(u32, u32, u32)> {
    let rest = name.strip_prefix("elasticsearch-")?.strip_suffix(".jar")?;
    let rest = rest.strip_suffix("-SNAPSHOT").unwrap_or(rest);
    let mut parts = rest.split('.');
    let v = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    parts.next().is_none().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jar_names() {
        assert_eq!(parse_es_jar("elasticsearch-8.13.4.jar"), Some((8, 13, 4)));
        assert_eq!(
            parse_es_jar("elasticsearch-9.1.0-SNAPSHOT.jar"),
            Some((9, 1, 0))
        );
        assert_eq!(parse_es_jar("elasticsearch-core-8.13.4.jar"), None);
        assert_eq!(parse_es_jar("elasticsearch-x-content-8.13.4.jar"), None);
    }

    #[test]
    fn a_fifo_or_a_link_is_not_regular_and_nothing_blocks() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("elasticsearch.yml");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert_eq!(file_kind(&fifo), FileKind::NotRegular);
        let file = t.path().join("real");
        std::fs::write(&file, "x").unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(file_kind(&link), FileKind::NotRegular);
        assert_eq!(file_kind(&file), FileKind::ReadableFile);
        assert_eq!(file_kind(&t.path().join("none")), FileKind::Missing);
    }

    #[test]
    fn loopback_is_listed() {
        let addrs = interface_addresses();
        assert!(addrs.iter().any(|a| a.is_loopback()), "{addrs:?}");
    }
}
