//! Reading a bundle back: a node's `node.json` and secrets for `init --bundle`, an earlier
//! bundle's CAs and masters for `layout --ca-dir`, and the bundle passphrase.
//!
//! A bundle is the operator's directory, but what is inside it is read as untrusted input:
//! every file is opened without following a link, must be a regular file, and is read up to a
//! bound; the material must match its manifest before anything is written.

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use esac_certspec::{
    CertPlan, CertRole, CertSpec, DistinguishedName, IssuerRef, KeyType, HTTP_CA_CN,
    TRANSPORT_CA_CN,
};
use esac_core::bundle::{
    BundleManifest, BundledNode, ExistingCluster, NodeManifest, CA_DIR, HTTP_CA_STORE, MANIFEST,
    NODE_MANIFEST, SCHEMA, SECRETS, TRANSPORT_CA_STORE,
};
use esac_core::planner::PASSWORD_SETTINGS;
use esac_core::EsExit;
use esac_keystore::{KeystoreFile, PasswordSource};
use esac_pki::{
    CertifiedKey, Received, HTTP_ALIAS, HTTP_CA_ALIAS, TRANSPORT_ALIAS, TRANSPORT_CA_ALIAS,
};
use esac_secret::Secret;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::{Console, Failure};

/// The largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// The largest PKCS#12 file read.
const MAX_STORE_BYTES: u64 = 1024 * 1024;

fn invalid(message: impl Into<String>) -> Failure {
    Failure::Bundle {
        exit: EsExit::Config,
        message: message.into(),
    }
}

/// Reads a regular file at `path`, not through a link at its last component, at most `max`
/// bytes, without blocking on a FIFO.
pub fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK).bits())
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(bytes)
}

fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, Failure> {
    read_bounded(path, max).map_err(|e| {
        let why = match e.raw_os_error() {
            Some(c) if c == nix::errno::Errno::ELOOP as i32 => "it is a symbolic link".to_owned(),
            _ => e.to_string(),
        };
        invalid(format!("cannot read [{}]: {why}", path.display()))
    })
}

/// The bundle passphrase: the first line of `file`; else, when the secrets need one, a prompt on
/// a terminal; without a terminal, a usage error. Empty when nothing needs one.
pub fn passphrase(
    file: Option<&Path>,
    needed: bool,
    console: &dyn Console,
) -> Result<Secret, Failure> {
    if let Some(f) = file {
        let pw = PasswordSource::File(f.to_path_buf())
            .read()
            .map_err(|e| Failure::Usage(format!("cannot read the bundle passphrase: {e}")))?;
        if pw.is_empty() {
            return Err(Failure::Usage(format!(
                "the bundle passphrase file [{}] is empty",
                f.display()
            )));
        }
        return Ok(pw);
    }
    if !needed {
        return Ok(Secret::default());
    }
    if !console.stdin_is_terminal() {
        return Err(Failure::Usage(
            "the bundle is protected by a passphrase: pass --bundle-passphrase-file FILE".into(),
        ));
    }
    console
        .read_secret("Enter the bundle passphrase: ")
        .map_err(|source| Failure::Io {
            what: "cannot read the bundle passphrase".into(),
            source,
        })
}

/// `<dir>/node.json`.
pub fn node_manifest(dir: &Path) -> Result<NodeManifest, Failure> {
    let path = dir.join(NODE_MANIFEST);
    let bytes = read_file(&path, MAX_MANIFEST_BYTES)?;
    let m: NodeManifest = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(format!(
            "[{}] is not the node manifest of an es-autoconf bundle: {e}",
            path.display()
        ))
    })?;
    if m.schema != SCHEMA {
        return Err(invalid(format!(
            "[{}] has schema {}; this es-autoconf reads schema {SCHEMA}",
            path.display(),
            m.schema
        )));
    }
    // The manifest comes from another machine: what reaches elasticsearch.yml and the terminal
    // must be a node name or a transport address, nothing else.
    for host in &m.seed_hosts {
        if !is_seed_host(host) {
            return Err(invalid(format!(
                "[{}]: {:?} is not a transport address (host or IP, optional :port)",
                path.display(),
                host.chars().take(80).collect::<String>()
            )));
        }
    }
    for name in m.initial_master_nodes.iter().chain([&m.node_name]) {
        if !is_node_name(name) {
            return Err(invalid(format!(
                "[{}]: {:?} is not a node name",
                path.display(),
                name.chars().take(80).collect::<String>()
            )));
        }
    }
    Ok(m)
}

/// `host`, `host:port`, `ip`, `ip:port` or `[v6]:port`: letters, digits and `.-_:[]` only,
/// with a numeric port after a final colon outside brackets.
fn is_seed_host(s: &str) -> bool {
    let plain = !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b));
    if !plain {
        return false;
    }
    if let Some(rest) = s.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((ip, "")) => ip.parse::<std::net::Ipv6Addr>().is_ok(),
            Some((ip, port)) => {
                ip.parse::<std::net::Ipv6Addr>().is_ok()
                    && port
                        .strip_prefix(':')
                        .is_some_and(|p| p.parse::<u16>().is_ok())
            }
            None => false,
        };
    }
    if s.parse::<std::net::Ipv6Addr>().is_ok() {
        return true;
    }
    match s.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty() && !host.contains(':') && port.parse::<u16>().is_ok()
        }
        None => true,
    }
}

/// A node name as the yml block writes it: not empty, no control or quoting characters.
fn is_node_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && !s.chars().any(|c| c.is_control() || c == '"' || c == '\\')
}

fn pem_der(pem: &str, what: &str) -> Result<Vec<u8>, Failure> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map(|c| c.as_ref().to_vec())
        .map_err(|e| invalid(format!("node.json: the {what} certificate is not PEM: {e}")))
}

/// The four certificates of `node.json`, as specs (none generated), each checked not to have
/// expired at `now`.
pub fn node_certificates(m: &NodeManifest, now: SystemTime) -> Result<CertPlan, Failure> {
    let subject_dn = DistinguishedName::parse(&m.subject)
        .ok()
        .filter(|dn| !dn.is_cn_only());
    let c = &m.certificates;
    let mut certs = Vec::new();
    for (role, pem) in [
        (CertRole::HttpCa, &c.http_ca),
        (CertRole::Http, &c.http),
        (CertRole::TransportCa, &c.transport_ca),
        (CertRole::Transport, &c.transport),
    ] {
        let der = pem_der(pem, role.name())?;
        let info = esac_pki::inspect(&der)
            .map_err(|e| invalid(format!("node.json: the {role} does not parse: {e}")))?;
        // Expired material is refused. A notBefore slightly ahead of this machine's clock (the
        // bundle was made on another machine a moment ago) is not: it resolves itself.
        if info.not_after <= now {
            return Err(invalid(format!(
                "the bundle's {role} expired on {}; lay the bundle out again",
                esac_certspec::Utc(info.not_after)
            )));
        }
        let (issuer, dn) = match role {
            CertRole::HttpCa | CertRole::TransportCa => (IssuerRef::SelfSigned, None),
            CertRole::Http => (IssuerRef::Generated(HTTP_CA_CN.into()), subject_dn.clone()),
            CertRole::Transport => (
                IssuerRef::Generated(TRANSPORT_CA_CN.into()),
                subject_dn.clone(),
            ),
        };
        certs.push(CertSpec {
            role,
            subject_cn: info
                .subject_cn
                .clone()
                .unwrap_or_else(|| info.subject.clone()),
            subject_dn: dn,
            issuer,
            sans: info.sans.clone(),
            not_before: info.not_before,
            validity_days: u32::try_from(info.validity_days()).unwrap_or(u32::MAX),
            key_type: info.key_type.unwrap_or(KeyType::Rsa4096),
            generated: false,
            is_ca: info.is_ca,
            key_usage: info.key_usage.clone(),
            extended_key_usage: info.extended_key_usage.clone(),
        });
    }
    Ok(CertPlan { certs })
}

/// What the planner needs of a bundle node.
pub fn bundled_node(dir: &Path, m: &NodeManifest, certificates: CertPlan) -> BundledNode {
    BundledNode {
        dir: dir.to_path_buf(),
        node_name: m.node_name.clone(),
        master: m.master,
        seed_hosts: m.seed_hosts.clone(),
        initial_master_nodes: m.initial_master_nodes.clone(),
        transport_host_uncommented: m.transport_host_uncommented,
        certificates,
    }
}

/// `<dir>/secrets.keystore`, read (not decrypted).
pub fn secrets_file(dir: &Path) -> Result<KeystoreFile, Failure> {
    let path = dir.join(SECRETS);
    let bytes = read_file(&path, esac_keystore::MAX_FILE_SIZE as u64)?;
    KeystoreFile::parse(&bytes).map_err(|e| invalid(format!("[{}]: {e}", path.display())))
}

fn wrong_passphrase(what: &Path) -> Failure {
    Failure::Bundle {
        exit: EsExit::DataError,
        message: format!("the bundle passphrase does not open [{}]", what.display()),
    }
}

/// The node's material from its PKCS#12 files, opened with the passwords of its secrets, and
/// checked against `node.json`: the same four certificates, the HTTP chain to the HTTP CA.
pub fn node_material(
    dir: &Path,
    m: &NodeManifest,
    secrets: &KeystoreFile,
    passphrase: &Secret,
) -> Result<Received, Failure> {
    let ks = secrets
        .decrypt(passphrase)
        .map_err(|_| wrong_passphrase(&dir.join(SECRETS)))?
        .0;
    let setting = |name: &str| {
        ks.get(name)
            .cloned()
            .ok_or_else(|| invalid(format!("{} lacks {name}", dir.join(SECRETS).display())))
    };
    let transport_pw = setting(PASSWORD_SETTINGS[0])?;
    let http_pw = setting(PASSWORD_SETTINGS[2])?;
    let open = |name: &str, pw: &Secret| -> Result<esac_pki::P12Contents, Failure> {
        let path = dir.join("certs").join(name);
        let bytes = read_file(&path, MAX_STORE_BYTES)?;
        esac_pki::read_p12(&bytes, pw).map_err(|e| {
            invalid(format!(
                "[{}] does not open with the password of its secrets: {e}",
                path.display()
            ))
        })
    };
    let http = open("http.p12", &http_pw)?;
    let transport = open("transport.p12", &transport_pw)?;
    let mismatch = |what: &str| {
        invalid(format!(
            "[{}]: the {what} is not the one node.json names; the bundle directory was changed or mixed with another",
            dir.display()
        ))
    };
    let key =
        |c: &esac_pki::P12Contents, alias: &str, file: &str| -> Result<CertifiedKey, Failure> {
            c.key_entry(alias)
                .ok_or_else(|| invalid(format!("{file} has no key entry [{alias}]")))?
                .certified_key()
                .map_err(|e| invalid(format!("{file}, entry [{alias}]: {e}")))
        };
    let http_ca = key(&http, HTTP_CA_ALIAS, "http.p12")?;
    let http_leaf = key(&http, HTTP_ALIAS, "http.p12")?;
    let transport_leaf = key(&transport, TRANSPORT_ALIAS, "transport.p12")?;
    let transport_ca = transport
        .trusted_cert(TRANSPORT_CA_ALIAS)
        .ok_or_else(|| invalid("transport.p12 has no trusted entry [transport_ca]"))?
        .cert_der
        .clone();
    let c = &m.certificates;
    for (have, pem, what) in [
        (http_ca.cert_der(), &c.http_ca, "HTTP CA"),
        (http_leaf.cert_der(), &c.http, "HTTP certificate"),
        (
            transport_leaf.cert_der(),
            &c.transport,
            "transport certificate",
        ),
        (transport_ca.as_slice(), &c.transport_ca, "transport CA"),
    ] {
        if have != pem_der(pem, what)?.as_slice() {
            return Err(mismatch(what));
        }
    }
    if esac_pki::sha256_hex(http_ca.cert_der()) != m.http_ca_sha256
        || esac_pki::sha256_hex(&transport_ca) != m.transport_ca_sha256
    {
        return Err(mismatch("CA fingerprint"));
    }
    let chain = &http
        .key_entry(HTTP_ALIAS)
        .map(|e| e.chain.clone())
        .unwrap_or_default();
    if chain.get(1).map(Vec::as_slice) != Some(http_ca.cert_der()) {
        return Err(mismatch("HTTP certificate chain"));
    }
    Received::from_bundle(http_ca, http_leaf, transport_leaf, transport_ca)
        .map_err(|e| invalid(format!("[{}]: {e}", dir.display())))
}

/// `layout --ca-dir DIR`: the earlier bundle's masters and seed hosts, from `DIR/../bundle.json`.
pub fn existing_cluster(ca_dir: &Path) -> Result<(ExistingCluster, BundleManifest), Failure> {
    if ca_dir.file_name().and_then(|n| n.to_str()) != Some(CA_DIR) {
        return Err(Failure::Usage(format!(
            "--ca-dir must name the `{CA_DIR}` directory of an earlier bundle, not [{}]",
            ca_dir.display()
        )));
    }
    let root = ca_dir.parent().unwrap_or(Path::new("/"));
    let path = root.join(MANIFEST);
    let bytes = read_file(&path, MAX_MANIFEST_BYTES)?;
    let m: BundleManifest = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(format!(
            "[{}] is not the manifest of an es-autoconf bundle: {e}",
            path.display()
        ))
    })?;
    Ok((
        ExistingCluster {
            ca_dir: ca_dir.to_path_buf(),
            masters: m.masters.clone(),
            seed_hosts: m.seed_hosts.clone(),
        },
        m,
    ))
}

/// `layout --ca-dir DIR`: the earlier bundle's CAs, opened with the passphrase and checked
/// against its manifest.
pub fn authorities(
    ca_dir: &Path,
    manifest: &BundleManifest,
    passphrase: &Secret,
) -> Result<(CertifiedKey, CertifiedKey), Failure> {
    let open = |name: &str, alias: &str, sha: &str| -> Result<CertifiedKey, Failure> {
        let path: PathBuf = ca_dir.join(name);
        let bytes = read_file(&path, MAX_STORE_BYTES)?;
        let store = esac_pki::read_p12(&bytes, passphrase).map_err(|_| wrong_passphrase(&path))?;
        let ca = store
            .key_entry(alias)
            .ok_or_else(|| invalid(format!("[{}] has no key entry [{alias}]", path.display())))?
            .certified_key()
            .map_err(|e| invalid(format!("[{}]: {e}", path.display())))?;
        if esac_pki::sha256_hex(ca.cert_der()) != sha {
            return Err(invalid(format!(
                "[{}] is not the CA its bundle.json names",
                path.display()
            )));
        }
        if !ca.is_ca() {
            return Err(invalid(format!("[{}] does not hold a CA", path.display())));
        }
        Ok(ca)
    };
    Ok((
        open(HTTP_CA_STORE, HTTP_CA_ALIAS, &manifest.http_ca.sha256)?,
        open(
            TRANSPORT_CA_STORE,
            TRANSPORT_CA_ALIAS,
            &manifest.transport_ca.sha256,
        )?,
    ))
}

/// Whether `path` exists (a link counts, and is not followed).
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// An absolute path against the current directory.
pub fn absolute(p: &Path) -> Result<PathBuf, Failure> {
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(p))
        .map_err(|source| Failure::Io {
            what: "cannot read the current directory".into(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::{is_node_name, is_seed_host};

    #[test]
    fn manifest_values_are_addresses_and_names_only() {
        for ok in [
            "10.0.0.1",
            "10.0.0.1:9300",
            "es-1.example",
            "es_1:9300",
            "::1",
            "[::1]:9300",
        ] {
            assert!(is_seed_host(ok), "{ok}");
        }
        for bad in [
            "",
            "a\"]\nx: y",
            "host:port",
            "[::1",
            "[zz]:1",
            "a b",
            ":9300",
            "h:99999",
        ] {
            assert!(!is_seed_host(bad), "{bad:?}");
        }
        assert!(is_node_name("node-1"));
        for bad in ["", "a\nb", "a\"b", "a\\b"] {
            assert!(!is_node_name(bad), "{bad:?}");
        }
    }
}
