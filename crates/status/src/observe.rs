//! Reading the node, strictly read-only: [`observe`] gathers [`Observed`].
//!
//! Nothing is written, created, locked or replayed. Every file is read once (open, `fstat`,
//! bounded read), FIFOs cannot block an open, and symlinks are followed where Elasticsearch
//! follows them. The keystore KDF (0.1 s for format 6) runs on its own thread while the rest is
//! read; the PKCS#12 files are then opened in parallel, one thread each.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use esac_core::yml::{java_lines, END_MARKER, START_MARKER};
use esac_keystore::{store, Error as KsError, KeystoreFile};
use esac_pki::check::{self, IssuedBy, LooseKey, LooseP12, P12Error, PemKey};
use esac_probe::mounts::MountTable;
use esac_probe::ProbeInput;
use esac_secret::Secret;
use esac_settings::Settings;

use crate::observed::*;
use esac_core::finalize::Formation;

/// The largest TLS file read (PKCS#12 or PEM; real ones are a few KiB).
pub const MAX_TLS_FILE_BYTES: u64 = 1024 * 1024;
/// The most entries of the config directory (and of `certs/`) looked at for leftovers.
pub const MAX_DIR_ENTRIES: usize = 100_000;

/// A protected keystore's passphrase, as the caller could get it.
pub enum Passphrase {
    /// Read from `ES_KEYSTORE_PASSPHRASE_FILE` or a terminal.
    Given(Secret),
    /// None available (no file named, no terminal), or reading it failed: why.
    Unavailable(String),
}

/// What [`observe`] needs besides the disk.
pub struct Input<'a> {
    /// `path.home`.
    pub es_home: &'a Path,
    /// The config directory.
    pub config_dir: &'a Path,
    /// `-E` settings.
    pub overrides: &'a [(String, String)],
    /// Settings from environment variables (`ELASTIC_CONTAINER=true`), applied like `-E`.
    pub env_settings: &'a [(String, String)],
    /// Environment lookup (`${VAR}` placeholders, `HOSTNAME`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The account Elasticsearch runs as.
    pub service_user: ServiceUser,
    /// Called once, only when the keystore is password-protected.
    pub passphrase: &'a mut dyn FnMut() -> Passphrase,
}

/// Settings whose values the PKCS#12 files need (store passwords), per layer.
fn password_setting(layer: Layer, role: StoreRole) -> String {
    let what = match role {
        StoreRole::Truststore => "truststore",
        _ => "keystore",
    };
    format!("{}{what}.secure_password", layer.prefix())
}

/// Reads everything `status` looks at.
pub fn observe(input: Input<'_>) -> Observed {
    let Input {
        es_home,
        config_dir,
        overrides,
        env_settings,
        env,
        service_user,
        passphrase,
    } = input;
    let yml_path = config_dir.join(esac_core::layout::YML);
    let mut all_overrides: Vec<(String, String)> = env_settings
        .iter()
        .filter(|(k, _)| !overrides.iter().any(|(o, _)| o == k))
        .cloned()
        .collect();
    all_overrides.extend_from_slice(overrides);
    let probe_input = ProbeInput {
        es_home,
        config_dir,
        overrides: &all_overrides,
        env,
    };
    let (yml, facts) = match yml_state(config_dir, &yml_path) {
        Some(missing) => (missing, None),
        None => match esac_probe::probe(&probe_input) {
            Ok(f) => (Yml::Ok, Some(f)),
            Err(e) => (Yml::Invalid(e.to_string()), None),
        },
    };
    let hostname = facts
        .as_ref()
        .map(|f| f.hostname.clone())
        .unwrap_or_else(|| {
            env("HOSTNAME")
                .filter(|h| !h.is_empty())
                .unwrap_or_else(esac_probe::system_hostname)
        });
    let mut o = Observed {
        es_home: es_home.to_path_buf(),
        config_dir: config_dir.to_path_buf(),
        es_version: esac_probe::es_version(es_home),
        yml,
        settings: Settings::default(),
        block: Block::Absent,
        initial_master_nodes_source: None,
        hostname,
        interface_addresses: match &facts {
            Some(f) => f.interface_addresses.clone(),
            None => esac_probe::interface_addresses(),
        },
        node: Node {
            data_paths: Vec::new(),
            started: false,
            formation: Formation::NotFormed,
        },
        keystore: Keystore {
            path: store::keystore_path(config_dir),
            state: KeystoreState::Missing,
        },
        layers: Vec::new(),
        stock_http_p12: false,
        files: Vec::new(),
        leftovers: Vec::new(),
        journal: false,
        mounts_unknown: None,
        service_user,
    };
    let Some(facts) = facts else {
        return o;
    };
    o.settings = facts.settings.clone();
    let yml_text = facts.yml_text.as_deref().map_or("", String::as_str);
    o.block = block(yml_text);
    o.initial_master_nodes_source = source_of(
        "cluster.initial_master_nodes",
        &o.settings,
        overrides,
        env_settings,
        yml_text,
        &o.block,
    );
    o.stock_http_p12 = config_dir.join("certs/http.p12").exists();

    let layers = discover(&o, config_dir);
    // The keystore: header now, KDF on its own thread while the rest is read.
    let keystore_file = store::load(&o.keystore.path);
    std::thread::scope(|scope| {
        let kdf = match keystore_file {
            Ok(None) => None,
            Err(e) => {
                o.keystore.state = keystore_error(&e);
                None
            }
            Ok(Some(file)) => {
                let version = u32::try_from(file.version().number()).unwrap_or(0);
                let password = if file.has_password() {
                    match passphrase() {
                        Passphrase::Given(p) => Some(p),
                        Passphrase::Unavailable(detail) => {
                            o.keystore.state = KeystoreState::Locked { version, detail };
                            None
                        }
                    }
                } else {
                    Some(Secret::default())
                };
                password.map(|p| {
                    (
                        version,
                        file.has_password(),
                        scope.spawn(move || open_keystore(&file, &p)),
                    )
                })
            }
        };

        // Everything that needs no password, meanwhile.
        let mut reads: Vec<LayerRead> = layers.into_iter().map(read_pem_and_bytes).collect();
        o.node = node(&facts);
        let mounts = esac_probe::mounts::read();
        if let Err(e) = &mounts {
            o.mounts_unknown = Some(e.to_string());
        }
        let mounts = mounts.unwrap_or_default();
        o.leftovers = leftovers(config_dir);
        o.journal = std::fs::symlink_metadata(config_dir.join(esac_core::layout::JOURNAL)).is_ok();

        // The keystore's values: only the store passwords, kept until the files are opened.
        let mut passwords: BTreeMap<String, Secret> = BTreeMap::new();
        // No keystore at all: the files open with the empty password, or need one. A keystore
        // being opened decides below; one that could not be opened leaves them unknown.
        let mut keystore_open = kdf.is_none() && o.keystore.state == KeystoreState::Missing;
        if let Some((version, protected, handle)) = kdf {
            match handle.join() {
                Ok(Ok(ks)) => {
                    keystore_open = true;
                    for r in &reads {
                        for s in &r.stores {
                            let name = password_setting(r.layer, s.obs.role);
                            if let Some(v) = ks.get(&name) {
                                passwords.insert(name, v.clone());
                            }
                        }
                    }
                    o.keystore.state = KeystoreState::Open {
                        version,
                        protected,
                        names: ks.names().map(str::to_owned).collect(),
                    };
                }
                Ok(Err(e)) => {
                    o.keystore.state = match e.root() {
                        KsError::WrongPassword if protected => {
                            KeystoreState::WrongPassword { version }
                        }
                        _ => KeystoreState::Corrupt(e.to_string()),
                    };
                }
                Err(_) => {
                    o.keystore.state = KeystoreState::Corrupt("the keystore reader panicked".into())
                }
            }
        }
        open_p12s(&mut reads, &passwords, keystore_open);
        drop(passwords);
        o.layers = reads.into_iter().map(finish_layer).collect();
        o.files = files(&o, &mounts);
    });
    o
}

fn open_keystore(
    file: &KeystoreFile,
    password: &Secret,
) -> Result<esac_keystore::Keystore, KsError> {
    file.decrypt(password).map(|(ks, _key)| ks)
}

fn keystore_error(e: &KsError) -> KeystoreState {
    match e.root() {
        KsError::FormatTooNew { version } | KsError::FormatTooOld { version } => {
            KeystoreState::UnsupportedVersion(*version)
        }
        root if root.is_corruption() => KeystoreState::Corrupt(e.to_string()),
        _ => KeystoreState::Unreadable(e.to_string()),
    }
}

/// `None` when the yml can be read; otherwise why not.
fn yml_state(config_dir: &Path, yml: &Path) -> Option<Yml> {
    if !config_dir.is_dir() {
        return Some(Yml::Missing(format!(
            "cannot be read: the config directory [{}] does not exist",
            config_dir.display()
        )));
    }
    match std::fs::metadata(yml) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some(Yml::Missing("does not exist".into()))
        }
        Err(e) => Some(Yml::Missing(format!("cannot be read: {e}"))),
        Ok(m) if !m.is_file() => Some(Yml::Missing("is not a regular file".into())),
        Ok(_) => match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(yml)
        {
            Ok(_) => None,
            Err(e) => Some(Yml::Missing(format!("cannot be read: {e}"))),
        },
    }
}

/// Settings Elasticsearch always writes into the block (the conditional ones excluded).
const BLOCK_KEYS: [&str; 7] = [
    "xpack.security.enabled",
    "xpack.security.http.ssl.enabled",
    "xpack.security.http.ssl.keystore.path",
    "xpack.security.transport.ssl.enabled",
    "xpack.security.transport.ssl.verification_mode",
    "xpack.security.transport.ssl.keystore.path",
    "xpack.security.transport.ssl.truststore.path",
];

/// Finds the BEGIN/END markers and checks what lies between them.
pub fn block(yml: &str) -> Block {
    let lines = java_lines(yml);
    let start = lines.iter().position(|l| l.trim_end() == START_MARKER);
    let end = lines.iter().position(|l| l.trim_end() == END_MARKER);
    match (start, end) {
        (None, None) => Block::Absent,
        (Some(_), None) => Block::Unpaired("the END marker is missing".into()),
        (None, Some(_)) => Block::Unpaired("the BEGIN marker is missing".into()),
        (Some(s), Some(e)) if e < s => {
            Block::Unpaired("the END marker comes before the BEGIN marker".into())
        }
        (Some(s), Some(e)) => {
            let text = lines[s..=e].join("\n");
            let missing_keys = match Settings::from_yaml(&text, "elasticsearch.yml", &|_| None) {
                Ok(found) => BLOCK_KEYS
                    .iter()
                    .copied()
                    .filter(|k| !found.exists(k))
                    .collect(),
                Err(_) => BLOCK_KEYS.to_vec(),
            };
            Block::Intact {
                start_line: s + 1,
                end_line: e + 1,
                missing_keys,
            }
        }
    }
}

/// Where a setting's effective value comes from: `-E`, the environment, or a yml line (inside
/// or outside the block).
pub fn source_of(
    key: &str,
    settings: &Settings,
    overrides: &[(String, String)],
    env_settings: &[(String, String)],
    yml: &str,
    block: &Block,
) -> Option<Source> {
    if !settings.exists(key) {
        return None;
    }
    if overrides.iter().any(|(k, _)| k == key) {
        return Some(Source::CommandLine);
    }
    if env_settings.iter().any(|(k, _)| k == key) {
        return Some(Source::Env);
    }
    let last = key.rsplit('.').next().unwrap_or(key);
    let line = java_lines(yml)
        .iter()
        .position(|l| {
            let t = l.trim_start();
            !t.starts_with('#')
                && (t.starts_with(&format!("{key}:")) || t.starts_with(&format!("{last}:")))
        })
        .map(|i| i + 1)
        .unwrap_or(0);
    Some(match block {
        Block::Intact {
            start_line,
            end_line,
            ..
        } if line > *start_line && line < *end_line => Source::Block(line),
        _ => Source::Yml(line),
    })
}

/// Elasticsearch's `KeyStoreUtil.inferKeyStoreType`, and the explicit type setting.
fn store_format(settings: &Settings, type_key: &str, path: &str) -> StoreFormat {
    let explicit = settings.get_str(type_key).map(str::to_ascii_lowercase);
    let kind = explicit.unwrap_or_else(|| {
        let lower = path.to_ascii_lowercase();
        if [".p12", ".pfx", ".pkcs12"]
            .iter()
            .any(|e| lower.ends_with(e))
        {
            "pkcs12".into()
        } else {
            "jks".into()
        }
    });
    match kind.as_str() {
        "pkcs12" => StoreFormat::Pkcs12,
        "pkcs11" => StoreFormat::Unsupported("PKCS#11"),
        _ => StoreFormat::Unsupported("JKS"),
    }
}

fn display(config_dir: &Path, p: &Path) -> String {
    p.strip_prefix(config_dir)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

fn store_obs(config_dir: &Path, role: StoreRole, path: &str, format: StoreFormat) -> StoreObs {
    let abs = config_dir.join(path);
    StoreObs {
        role,
        display: display(config_dir, &abs),
        path: abs,
        format,
        state: StoreState::Read,
    }
}

/// The TLS files each enabled layer's settings name.
fn discover(o: &Observed, config_dir: &Path) -> Vec<(Layer, bool, String, Vec<StoreObs>)> {
    let s = &o.settings;
    Layer::ALL
        .iter()
        .map(|&layer| {
            let p = layer.prefix();
            let key = |k: &str| format!("{p}{k}");
            let enabled = s.get_str(&key("enabled")) == Some("true");
            let mode = s
                .get_str(&key("verification_mode"))
                .unwrap_or("full")
                .to_owned();
            let mut stores = Vec::new();
            if enabled {
                if let Some(path) = s.get_str(&key("keystore.path")) {
                    let f = store_format(s, &key("keystore.type"), path);
                    stores.push(store_obs(config_dir, StoreRole::Keystore, path, f));
                }
                if let Some(path) = s.get_str(&key("truststore.path")) {
                    let f = store_format(s, &key("truststore.type"), path);
                    stores.push(store_obs(config_dir, StoreRole::Truststore, path, f));
                }
                for (k, role) in [
                    ("certificate", StoreRole::Certificate),
                    ("key", StoreRole::Key),
                ] {
                    if let Some(path) = s.get_str(&key(k)) {
                        stores.push(store_obs(config_dir, role, path, StoreFormat::Pem));
                    }
                }
                for path in s.get_list(&key("certificate_authorities")) {
                    stores.push(store_obs(
                        config_dir,
                        StoreRole::CertificateAuthorities,
                        &path,
                        StoreFormat::Pem,
                    ));
                }
                let client_ca = config_dir.join("certs/http_ca.crt");
                if layer == Layer::Http && o.block.present() && client_ca.exists() {
                    stores.push(store_obs(
                        config_dir,
                        StoreRole::ClientCa,
                        "certs/http_ca.crt",
                        StoreFormat::Pem,
                    ));
                }
            }
            (layer, enabled, mode, stores)
        })
        .collect()
}

/// A TLS file while it is being read.
struct StoreRead {
    obs: StoreObs,
    bytes: Option<Vec<u8>>,
    pem_certs: Vec<Vec<u8>>,
    pem_key: Option<PemKey>,
    p12: Option<LooseP12>,
}

struct LayerRead {
    layer: Layer,
    enabled: bool,
    verification_mode: String,
    stores: Vec<StoreRead>,
}

/// Reads at most [`MAX_TLS_FILE_BYTES`] of a regular file, following symlinks, never blocking
/// on a FIFO.
fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, StoreState> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreState::Missing),
        Err(e) => return Err(StoreState::Denied(e.to_string())),
    };
    if !meta.is_file() {
        return Err(StoreState::Unreadable("not a regular file".into()));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| StoreState::Denied(e.to_string()))?;
    let m = file
        .metadata()
        .map_err(|e| StoreState::Denied(e.to_string()))?;
    if !m.is_file() {
        return Err(StoreState::Unreadable("not a regular file".into()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(m.len().min(limit)).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreState::Denied(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(StoreState::Unreadable(format!("larger than {limit} bytes")));
    }
    Ok(bytes)
}

fn read_pem_and_bytes(
    (layer, enabled, verification_mode, stores): (Layer, bool, String, Vec<StoreObs>),
) -> LayerRead {
    let stores = stores.into_iter().map(read_store).collect();
    LayerRead {
        layer,
        enabled,
        verification_mode,
        stores,
    }
}

fn read_store(obs: StoreObs) -> StoreRead {
    let mut r = StoreRead {
        obs,
        bytes: None,
        pem_certs: Vec::new(),
        pem_key: None,
        p12: None,
    };
    if let StoreFormat::Unsupported(_) = r.obs.format {
        r.obs.state = StoreState::Unsupported;
        return r;
    }
    let bytes = match read_file(&r.obs.path, MAX_TLS_FILE_BYTES) {
        Ok(b) => b,
        Err(state) => {
            r.obs.state = state;
            return r;
        }
    };
    match (r.obs.format, r.obs.role) {
        (StoreFormat::Pem, StoreRole::Key) => match check::pem_private_key(&bytes) {
            Ok(PemKey::Encrypted) => {
                r.pem_key = Some(PemKey::Encrypted);
                r.obs.state = StoreState::Encrypted;
            }
            Ok(k) => r.pem_key = Some(k),
            Err(e) => r.obs.state = StoreState::Unreadable(e.to_string()),
        },
        (StoreFormat::Pem, _) => match check::pem_certificates(&bytes) {
            Ok(c) if c.is_empty() => {
                r.obs.state = StoreState::Unreadable("no certificate in the PEM file".into());
            }
            Ok(c) => r.pem_certs = c,
            Err(e) => r.obs.state = StoreState::Unreadable(e.to_string()),
        },
        _ => r.bytes = Some(bytes),
    }
    r
}

/// Opens every PKCS#12 file that was read, in parallel, with its password: the secure setting
/// when the keystore has it, else the empty password (Elasticsearch's default).
fn open_p12s(reads: &mut [LayerRead], passwords: &BTreeMap<String, Secret>, keystore_open: bool) {
    let empty = Secret::default();
    let mut jobs: Vec<(&mut StoreRead, &Secret, String, bool)> = Vec::new();
    for r in reads.iter_mut() {
        let layer = r.layer;
        for s in r.stores.iter_mut().filter(|s| s.bytes.is_some()) {
            let setting = password_setting(layer, s.obs.role);
            if !keystore_open {
                s.obs.state = StoreState::PasswordUnknown;
                s.bytes = None;
                continue;
            }
            match passwords.get(&setting) {
                Some(pw) => jobs.push((s, pw, setting, true)),
                None => jobs.push((s, &empty, setting, false)),
            }
        }
    }
    // A file that is both keystore and truststore with the same password (auto-configuration's
    // transport.p12) is opened once.
    let mut first_of: Vec<Option<usize>> = Vec::with_capacity(jobs.len());
    for (i, (s, pw, _, _)) in jobs.iter().enumerate() {
        let same = jobs[..i]
            .iter()
            .position(|(t, tpw, _, _)| t.obs.path == s.obs.path && tpw.expose() == pw.expose());
        first_of.push(same);
    }
    let opened: Vec<Option<Result<LooseP12, P12Error>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .iter_mut()
            .zip(&first_of)
            .map(|((s, pw, _, _), first)| {
                let bytes = s.bytes.take().unwrap_or_default();
                let pw: &Secret = pw;
                first
                    .is_none()
                    .then(|| scope.spawn(move || check::open_p12(&bytes, pw)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(P12Error::Invalid("the PKCS#12 reader panicked".into()))
                    })
                })
            })
            .collect()
    });
    for (i, (s, _, setting, from_keystore)) in jobs.into_iter().enumerate() {
        let result = match first_of[i] {
            Some(j) => opened[j].clone(),
            None => opened[i].clone(),
        };
        match result {
            Some(Ok(p12)) => s.p12 = Some(p12),
            Some(Err(P12Error::WrongPassword)) if from_keystore => {
                s.obs.state = StoreState::WrongPassword { setting };
            }
            Some(Err(P12Error::WrongPassword)) => s.obs.state = StoreState::NoPassword { setting },
            Some(Err(P12Error::Invalid(why))) => s.obs.state = StoreState::Unreadable(why),
            None => s.obs.state = StoreState::Unreadable("not opened".into()),
        }
    }
}

/// One certificate candidate while a layer is assembled.
struct Item {
    file: String,
    alias: Option<String>,
    der: Vec<u8>,
    key: Option<KeyCheck>,
    key_entry_leaf: bool,
}

fn finish_layer(r: LayerRead) -> LayerObs {
    let mut items: Vec<Item> = Vec::new();
    let mut key_entries = None;
    let mut truststore = None;
    let pem_key = r
        .stores
        .iter()
        .find(|s| s.obs.role == StoreRole::Key)
        .map(|s| (&s.pem_key, &s.obs.state));
    // Key entries first (their certificates get their aliases), then chains, trusted entries,
    // PEM certificates and CAs.
    for s in &r.stores {
        let Some(p12) = &s.p12 else { continue };
        if s.obs.role == StoreRole::Keystore {
            let cas = p12
                .key_entries
                .iter()
                .filter(|e| e.chain.first().is_some_and(|c| esac_pki::cert_is_ca(c)))
                .count();
            key_entries = Some((p12.key_entries.len() - cas, cas));
        }
        if s.obs.role == StoreRole::Truststore {
            truststore = Some(TrustStoreShape {
                anchors: p12.trusted.len(),
                key_entries: p12.key_entries.len(),
            });
        }
        for e in &p12.key_entries {
            if let Some(leaf) = e.chain.first() {
                items.push(Item {
                    file: s.obs.display.clone(),
                    alias: Some(e.alias.clone()),
                    der: leaf.clone(),
                    key: Some(key_check(&e.key, leaf)),
                    key_entry_leaf: s.obs.role == StoreRole::Keystore,
                });
            }
        }
    }
    for s in &r.stores {
        let Some(p12) = &s.p12 else { continue };
        for e in &p12.key_entries {
            for c in e.chain.iter().skip(1) {
                items.push(Item {
                    file: s.obs.display.clone(),
                    alias: Some(e.alias.clone()),
                    der: c.clone(),
                    key: None,
                    key_entry_leaf: false,
                });
            }
        }
        for (alias, der) in &p12.trusted {
            items.push(Item {
                file: s.obs.display.clone(),
                alias: Some(alias.clone()),
                der: der.clone(),
                key: None,
                key_entry_leaf: false,
            });
        }
    }
    for s in &r.stores {
        for (i, der) in s.pem_certs.iter().enumerate() {
            let key = (s.obs.role == StoreRole::Certificate && i == 0).then(|| match pem_key {
                Some((Some(PemKey::Plain(k)), _)) => key_check(k, der),
                Some((Some(PemKey::Encrypted), _)) => {
                    KeyCheck::Unknown("the key file is encrypted".into())
                }
                _ => KeyCheck::Unknown("the key file could not be read".into()),
            });
            items.push(Item {
                file: s.obs.display.clone(),
                alias: None,
                der: der.clone(),
                key_entry_leaf: key.is_some(),
                key,
            });
        }
    }
    // One entry per distinct certificate.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(esac_pki::sha256_hex(&i.der)));
    let parsed: Vec<Option<esac_pki::CertInfo>> = items
        .iter()
        .map(|i| esac_pki::inspect(&i.der).ok())
        .collect();
    let is_ca = |i: usize| parsed[i].as_ref().is_some_and(|c| c.is_ca);
    let leaves: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].key_entry_leaf)
        .collect();
    let leaf = match r.layer {
        // Elasticsearch's HTTP server skips CA key entries when there are others.
        Layer::Http => leaves
            .iter()
            .copied()
            .find(|&i| !is_ca(i))
            .or(leaves.first().copied()),
        Layer::Transport => leaves.first().copied(),
    };
    let issuer_of = |i: usize| -> Option<usize> {
        (0..items.len()).find(|&j| {
            j != i
                && matches!(
                    check::issued_by(&items[i].der, &items[j].der),
                    Ok(IssuedBy::Yes)
                )
        })
    };
    let ca = match leaf {
        Some(l) => issuer_of(l),
        None => (0..items.len()).find(|&i| is_ca(i)),
    };
    let mut certs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(info) = parsed[i].clone() else {
            continue;
        };
        let role = if Some(i) == leaf {
            CertRole::Leaf
        } else if Some(i) == ca {
            CertRole::Ca
        } else {
            CertRole::Other
        };
        let chain = if item.key.is_some()
            && !(role == CertRole::Ca || (info.is_ca && role != CertRole::Leaf))
        {
            chain_check(i, &items, issuer_of(i))
        } else {
            ChainCheck::NotChecked
        };
        certs.push(CertObs {
            layer: r.layer,
            role,
            file: item.file.clone(),
            alias: item.alias.clone(),
            info,
            key: item.key.clone().unwrap_or(KeyCheck::NoKey),
            chain,
        });
    }
    // Leaf, CA, others; each kind in file order.
    certs.sort_by_key(|c| c.role);
    LayerObs {
        layer: r.layer,
        enabled: r.enabled,
        verification_mode: r.verification_mode,
        stores: r.stores.into_iter().map(|s| s.obs).collect(),
        certs,
        key_entries,
        truststore,
    }
}

fn key_check(key: &LooseKey, cert: &[u8]) -> KeyCheck {
    match check::key_matches(key, cert) {
        Ok(Some(true)) => KeyCheck::Matches,
        Ok(Some(false)) => KeyCheck::Mismatch,
        Ok(None) => KeyCheck::Unknown("a key type es-autoconf does not read".into()),
        Err(e) => KeyCheck::Unknown(e.to_string()),
    }
}

fn chain_check(i: usize, items: &[Item], issuer: Option<usize>) -> ChainCheck {
    let der = &items[i].der;
    if let Some(j) = issuer {
        return ChainCheck::Verified(esac_pki::sha256_hex(&items[j].der));
    }
    if matches!(check::issued_by(der, der), Ok(IssuedBy::Yes)) {
        return ChainCheck::SelfSigned;
    }
    let issuer_name = esac_pki::inspect(der).map(|c| c.issuer).unwrap_or_default();
    let mut why =
        format!("its issuer [{issuer_name}] is not among the certificates configured with it");
    for (j, other) in items.iter().enumerate() {
        if j == i {
            continue;
        }
        match check::issued_by(der, &other.der) {
            Ok(IssuedBy::KeyIdMismatch) | Ok(IssuedBy::BadSignature) => {
                why = format!("[{issuer_name}] in {} has the issuer's name but not its key (another CA with the same name)", other.file);
                break;
            }
            Ok(IssuedBy::UnsupportedAlgorithm) => return ChainCheck::NotChecked,
            _ => {}
        }
    }
    ChainCheck::Broken(why)
}

/// The data directories: started or not, and, once started, the formation evidence of the first
/// one with a cluster state (`esac_probe::formation`, shared with `finalize`).
fn node(facts: &esac_core::Facts) -> Node {
    let data_paths: Vec<PathBuf> = facts.data_dirs.iter().map(|d| d.path.clone()).collect();
    let started = facts
        .data_dirs
        .iter()
        .any(|d| d.state == esac_core::DataDirState::NotEmpty);
    let formation = if started {
        esac_probe::formation::formation(&data_paths)
    } else {
        Formation::NotFormed
    };
    Node {
        data_paths,
        started,
        formation,
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Leftovers of Elasticsearch's and es-autoconf's runs in the config directory and `certs/`.
fn leftover_kind(name: &str, in_certs: bool) -> Option<bool> {
    let mid = |p: &str, s: &str| {
        name.strip_prefix(p)
            .and_then(|r| r.strip_suffix(s))
            .map(str::to_owned)
    };
    if in_certs {
        // `http.p12.<n>.orig` backups and `.<name>.<n>.tmp` temporaries.
        let orig = name
            .strip_suffix(".orig")
            .and_then(|r| r.rsplit_once('.'))
            .is_some_and(|(_, n)| is_digits(n));
        let tmp = name.starts_with('.')
            && name
                .strip_suffix(".tmp")
                .and_then(|r| r.rsplit_once('.'))
                .is_some_and(|(_, n)| is_digits(n));
        return (orig || tmp).then_some(true);
    }
    if mid("certs.", ".tmp")
        .or_else(|| mid("certs.", ".orig"))
        .is_some_and(|n| is_digits(&n))
    {
        return Some(true);
    }
    if mid("elasticsearch.keystore.", ".orig").is_some_and(|n| is_digits(&n))
        || name == "elasticsearch.keystore.tmp"
    {
        return Some(true);
    }
    if mid(".elasticsearch.keystore.", ".tmp").is_some_and(|n| is_digits(&n)) {
        return Some(true);
    }
    if name.starts_with("elasticsearch.yml.")
        && name.ends_with(".tmp")
        && name.len() > "elasticsearch.yml..tmp".len()
    {
        return Some(false);
    }
    if mid(".elasticsearch.yml.", ".tmp").is_some_and(|n| is_digits(&n))
        || name == ".es-autoconf.yml.bak"
    {
        return Some(false);
    }
    None
}

fn leftovers(config_dir: &Path) -> Vec<Leftover> {
    let mut out = Vec::new();
    for (dir, in_certs) in [
        (config_dir.to_path_buf(), false),
        (config_dir.join("certs"), true),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.take(MAX_DIR_ENTRIES).flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(private_keys) = leftover_kind(name, in_certs) {
                let path = e.path();
                out.push(Leftover {
                    display: display(config_dir, &path),
                    path,
                    private_keys,
                });
            }
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// Whether `user` may do `want` (4 read, 1 execute/search) with a file of this mode and owner:
/// the owner's bits for the owner, the group's for a member, the others' otherwise; root may.
pub fn permits(user: &ServiceUser, mode: u32, uid: u32, gid: u32, want: u32) -> bool {
    if user.uid == 0 {
        return true;
    }
    let bits = if user.uid == uid {
        mode >> 6
    } else if user.gid == gid || user.groups.contains(&gid) {
        mode >> 3
    } else {
        mode
    };
    bits & want == want
}

/// Whether `user` can reach `path` (search every directory on the way) and read it (a file) or
/// enter it (a directory).
fn reachable(user: &ServiceUser, path: &Path) -> bool {
    let Ok(canonical) = std::fs::canonicalize(path) else {
        return false;
    };
    let mut ancestors: Vec<&Path> = canonical.ancestors().skip(1).collect();
    ancestors.reverse();
    for dir in ancestors {
        match std::fs::metadata(dir) {
            Ok(m) if permits(user, m.mode(), m.uid(), m.gid(), 1) => {}
            _ => return false,
        }
    }
    match std::fs::metadata(&canonical) {
        Ok(m) if m.is_dir() => permits(user, m.mode(), m.uid(), m.gid(), 1),
        Ok(m) => permits(user, m.mode(), m.uid(), m.gid(), 4),
        Err(_) => false,
    }
}

fn user_name(uid: u32) -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
}

fn group_name(gid: u32) -> Option<String> {
    nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
        .ok()
        .flatten()
        .map(|g| g.name)
}

/// The mount point test is on the path itself (its directory resolved): a rename replaces the
/// name, so a symlinked name is not a mount point even if its target is.
fn is_mount_point(mounts: &MountTable, path: &Path) -> bool {
    let resolved = match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => {
            std::fs::canonicalize(dir).map(|d| d.join(name))
        }
        _ => std::fs::canonicalize(path),
    };
    resolved.is_ok_and(|p| mounts.is_mount_point(&p))
}

fn stat(
    path: &Path,
    display: String,
    role: FileRole,
    user: &ServiceUser,
    mounts: &MountTable,
) -> FileObs {
    let state = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
        Err(e) => FileState::Error(e.to_string()),
        Ok(l) => {
            let target = l
                .file_type()
                .is_symlink()
                .then(|| std::fs::read_link(path).ok())
                .flatten();
            match std::fs::metadata(path) {
                Err(e) => FileState::Error(format!("dangling symlink: {e}")),
                Ok(m) => FileState::Found(FileMeta {
                    dir: m.is_dir(),
                    regular: m.is_file(),
                    symlink_target: target,
                    mount_point: is_mount_point(mounts, path),
                    mode: m.mode() & 0o7777,
                    uid: m.uid(),
                    gid: m.gid(),
                    owner: user_name(m.uid()),
                    group: group_name(m.gid()),
                    readable_by_service_user: reachable(user, path),
                }),
            }
        }
    };
    FileObs {
        path: path.to_path_buf(),
        display,
        role,
        state,
    }
}

fn files(o: &Observed, mounts: &MountTable) -> Vec<FileObs> {
    let c = &o.config_dir;
    let u = &o.service_user;
    let mut paths: Vec<(PathBuf, FileRole)> = vec![
        (c.clone(), FileRole::ConfigDir),
        (c.join(esac_core::layout::YML), FileRole::Yml),
    ];
    if o.keystore.state != KeystoreState::Missing {
        paths.push((o.keystore.path.clone(), FileRole::Keystore));
    }
    if c.join("certs").exists() {
        paths.push((c.join("certs"), FileRole::CertsDir));
    }
    for l in &o.layers {
        for s in &l.stores {
            if s.state == StoreState::Missing {
                continue;
            }
            if let Some(dir) = s.path.parent() {
                if dir != c && !paths.iter().any(|(p, _)| p == dir) {
                    paths.push((dir.to_path_buf(), FileRole::CertsDir));
                }
            }
            let role = match s.role {
                StoreRole::Keystore | StoreRole::Key => FileRole::TlsSecret,
                _ => FileRole::TlsPublic,
            };
            match paths.iter_mut().find(|(p, _)| *p == s.path) {
                // A file that is both keystore and truststore holds a key.
                Some(existing) if role == FileRole::TlsSecret => existing.1 = role,
                Some(_) => {}
                None => paths.push((s.path.clone(), role)),
            }
        }
    }
    paths
        .into_iter()
        .map(|(p, role)| {
            let shown = match display(c, &p) {
                d if d.is_empty() => p.display().to_string(),
                d => d,
            };
            stat(&p, shown, role, u, mounts)
        })
        .collect()
}

/// The service account: `name` when given; else `elasticsearch` when that user exists and the
/// config directory's group is its group (package layout); else the config directory's owner.
pub fn service_user(name: Option<&str>, config_dir: &Path) -> Result<ServiceUser, String> {
    use nix::unistd::{Uid, User};
    let from = |u: User, chosen: UserChoice| {
        let cname = std::ffi::CString::new(u.name.clone()).unwrap_or_default();
        let mut groups: Vec<u32> = nix::unistd::getgrouplist(&cname, u.gid)
            .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
            .unwrap_or_default();
        if !groups.contains(&u.gid.as_raw()) {
            groups.push(u.gid.as_raw());
        }
        ServiceUser {
            name: u.name,
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
            groups,
            chosen,
        }
    };
    if let Some(name) = name {
        let by_name = User::from_name(name).ok().flatten();
        let by_uid = || {
            name.parse::<u32>()
                .ok()
                .and_then(|n| User::from_uid(Uid::from_raw(n)).ok().flatten())
        };
        return match by_name.or_else(by_uid) {
            Some(u) => Ok(from(u, UserChoice::Given)),
            None => match name.parse::<u32>() {
                // A uid without a passwd entry (containers): its own group only.
                Ok(uid) => Ok(ServiceUser {
                    name: name.to_owned(),
                    uid,
                    gid: uid,
                    groups: vec![uid],
                    chosen: UserChoice::Given,
                }),
                Err(_) => Err(format!("unknown user [{name}] (--es-user)")),
            },
        };
    }
    let meta = std::fs::metadata(config_dir).ok();
    if let (Some(m), Ok(Some(es))) = (&meta, User::from_name("elasticsearch")) {
        if es.gid.as_raw() == m.gid() {
            return Ok(from(es, UserChoice::Package));
        }
    }
    let uid = meta
        .map(|m| m.uid())
        .unwrap_or_else(|| nix::unistd::getuid().as_raw());
    match User::from_uid(Uid::from_raw(uid)).ok().flatten() {
        Some(u) => Ok(from(u, UserChoice::ConfigOwner)),
        None => Ok(ServiceUser {
            name: uid.to_string(),
            uid,
            gid: uid,
            groups: vec![uid],
            chosen: UserChoice::ConfigOwner,
        }),
    }
}

/// Settings from environment variables, as the Docker image's launcher reads them when
/// `ELASTIC_CONTAINER=true`: a lower-case dotted name (`cluster.initial_master_nodes=...`), or
/// `ES_SETTING_` with `_` for `.` and `__` for `_`.
pub fn env_settings(vars: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in vars {
        if v.is_empty() {
            continue;
        }
        let dotted = k.contains('.')
            && k.split('.').all(|p| {
                !p.is_empty()
                    && p.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                    })
            });
        let name = if dotted {
            Some(k)
        } else {
            k.strip_prefix("ES_SETTING_")
                .filter(|r| !r.is_empty())
                .map(|r| {
                    r.replace("__", "\u{0}")
                        .replace('_', ".")
                        .replace('\u{0}', "_")
                        .to_ascii_lowercase()
                })
        };
        if let Some(name) = name {
            out.push((name, v));
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: u32, groups: &[u32]) -> ServiceUser {
        ServiceUser {
            name: "u".into(),
            uid,
            gid: groups[0],
            groups: groups.to_vec(),
            chosen: UserChoice::Given,
        }
    }

    #[test]
    fn permission_classes_are_exclusive() {
        let u = user(1000, &[1000, 998]);
        assert!(permits(&u, 0o400, 1000, 0, 4));
        // The owner class decides for the owner, even when others may.
        assert!(!permits(&u, 0o044, 1000, 0, 4));
        assert!(permits(&u, 0o040, 0, 998, 4));
        assert!(!permits(&u, 0o404, 0, 998, 4));
        assert!(permits(&u, 0o004, 0, 0, 4));
        assert!(!permits(&u, 0o660, 0, 0, 4));
        assert!(permits(&user(0, &[0]), 0o000, 5, 5, 4));
        assert!(permits(&u, 0o710, 0, 998, 1));
        assert!(!permits(&u, 0o700, 0, 998, 1));
    }

    #[test]
    fn leftover_names() {
        for (name, certs, want) in [
            ("certs.1795406414.orig", false, Some(true)),
            ("certs.1795406414.tmp", false, Some(true)),
            ("certs.x.orig", false, None),
            ("elasticsearch.keystore.1795406414.orig", false, Some(true)),
            ("elasticsearch.keystore.tmp", false, Some(true)),
            (".elasticsearch.keystore.17.tmp", false, Some(true)),
            ("elasticsearch.yml.2a9f.tmp", false, Some(false)),
            (".elasticsearch.yml.17.tmp", false, Some(false)),
            (".es-autoconf.yml.bak", false, Some(false)),
            ("elasticsearch.yml", false, None),
            ("elasticsearch.keystore", false, None),
            ("jvm.options", false, None),
            ("http.p12.1795406414.orig", true, Some(true)),
            (".http.p12.1795406414.tmp", true, Some(true)),
            ("http.p12", true, None),
            ("http.p12.orig", true, None),
        ] {
            assert_eq!(leftover_kind(name, certs), want, "{name}");
        }
    }

    #[test]
    fn block_markers() {
        let block = esac_core::yml::render_block(
            &Settings::default(),
            &esac_core::yml::BlockInputs {
                node_name: Some("n".into()),
                seed_hosts: None,
                transport_host_uncommented: false,
                timestamp: "01-01-2027 00:00:00".into(),
            },
        );
        let yml = format!("cluster.name: x\n{block}");
        let Block::Intact {
            start_line,
            end_line,
            missing_keys,
        } = super::block(&yml)
        else {
            panic!("intact")
        };
        assert_eq!(start_line, 3);
        assert!(end_line > start_line);
        assert!(missing_keys.is_empty(), "{missing_keys:?}");
        let cut = yml.replace("  keystore.path: certs/http.p12\n", "");
        assert!(
            matches!(super::block(&cut), Block::Intact { missing_keys, .. } if missing_keys == vec!["xpack.security.http.ssl.keystore.path"])
        );
        let unpaired = yml.replace(END_MARKER, "");
        assert!(matches!(super::block(&unpaired), Block::Unpaired(_)));
        assert_eq!(super::block("a: b\n"), Block::Absent);
        let source = source_of(
            "cluster.initial_master_nodes",
            &Settings::from_yaml(&yml, "y", &|_| None).unwrap(),
            &[],
            &[],
            &yml,
            &super::block(&yml),
        );
        assert!(matches!(source, Some(Source::Block(l)) if l > start_line));
    }

    #[test]
    fn docker_environment_settings() {
        let vars = [
            ("cluster.initial_master_nodes", "es01,es02"),
            ("ES_SETTING_NODE_ATTR_RACK__ID", "r1"),
            ("PATH", "/bin"),
            ("node.name", ""),
            ("ES_SETTING_", "x"),
            ("Cluster.Name", "x"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(
            env_settings(vars),
            vec![
                (
                    "cluster.initial_master_nodes".to_owned(),
                    "es01,es02".to_owned()
                ),
                ("node.attr.rack_id".to_owned(), "r1".to_owned()),
            ]
        );
    }

    #[test]
    fn store_types_are_inferred_like_elasticsearch() {
        let s = Settings::default();
        assert_eq!(store_format(&s, "t", "a.p12"), StoreFormat::Pkcs12);
        assert_eq!(store_format(&s, "t", "a.PFX"), StoreFormat::Pkcs12);
        assert_eq!(store_format(&s, "t", "a.pkcs12"), StoreFormat::Pkcs12);
        assert_eq!(
            store_format(&s, "t", "a.jks"),
            StoreFormat::Unsupported("JKS")
        );
        assert_eq!(
            store_format(&s, "t", "a.keystore"),
            StoreFormat::Unsupported("JKS")
        );
        let typed = Settings::from_yaml("t: PKCS12\n", "y", &|_| None).unwrap();
        assert_eq!(store_format(&typed, "t", "a.jks"), StoreFormat::Pkcs12);
    }
}
