//! `layout` (lifecycle §5): the material of N nodes from one HTTP CA and one transport CA, as a
//! bundle directory that `init --bundle` applies on each machine.
//!
//! [`plan_layout`] turns validated instances and the options into a [`BundlePlan`]: which
//! certificates are made (as `esac-certspec` specs), which node is master-eligible, the seed
//! hosts, and every directory and file of the bundle ([`BundlePlan::files`]). `--dry-run` renders
//! it; `esac-exec`'s bundle writer makes exactly these files, nothing else, and names its steps
//! with [`BundleStep`]. The manifests ([`BundleManifest`], [`NodeManifest`]) are plain data with
//! no secret; `init --bundle` reads a node's back ([`BundledNode`]).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use esac_certspec::{CertPlan, CertRole, CertSpec, KeyType, SanEntry, Utc};
use serde::{Deserialize, Serialize};

use crate::instances::Instance;

/// Mode of every directory of a bundle (it holds every private key of a cluster).
pub const BUNDLE_DIR_MODE: u32 = 0o700;
/// Mode of every file of a bundle.
pub const BUNDLE_FILE_MODE: u32 = 0o600;
/// The bundle's manifest.
pub const MANIFEST: &str = "bundle.json";
/// A node directory's manifest.
pub const NODE_MANIFEST: &str = "node.json";
/// A node's PKCS#12 passwords, in the `elasticsearch.keystore` format.
pub const SECRETS: &str = "secrets.keystore";
/// The directory of the CAs.
pub const CA_DIR: &str = "ca";
/// The HTTP CA's key and certificate (alias `http_ca`).
pub const HTTP_CA_STORE: &str = "http_ca.p12";
/// The transport CA's key and certificate (alias `transport_ca`).
pub const TRANSPORT_CA_STORE: &str = "transport_ca.p12";
/// The transport port seed addresses get unless told otherwise.
pub const DEFAULT_TRANSPORT_PORT: u16 = 9300;
/// The manifests' schema version.
pub const SCHEMA: u32 = 1;

/// The steps of the bundle writer: what its failpoints (`ESAC_FAILPOINT=<name>`,
/// `abort:<name>`) and its `-v` log name. Not [`crate::StepId`]s: a bundle is not a run on a
/// config directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BundleStep {
    /// Create the hidden temp directory next to `--out`.
    Staging,
    /// Generate every key and certificate, encode every file (in memory).
    Generate,
    /// Write the directories and files into the temp directory.
    Write,
    /// Rename the temp directory to `--out` (never replacing anything): the commit point.
    Rename,
}

impl BundleStep {
    /// Every step, in order.
    pub const ALL: [BundleStep; 4] = [
        BundleStep::Staging,
        BundleStep::Generate,
        BundleStep::Write,
        BundleStep::Rename,
    ];

    /// Stable name.
    pub const fn name(self) -> &'static str {
        match self {
            BundleStep::Staging => "bundle_staging",
            BundleStep::Generate => "bundle_generate",
            BundleStep::Write => "bundle_write",
            BundleStep::Rename => "bundle_rename",
        }
    }
}

impl fmt::Display for BundleStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The cluster a bundle made with `--ca-dir` joins: read from the earlier bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExistingCluster {
    /// The earlier bundle's `ca/` directory.
    pub ca_dir: PathBuf,
    /// Its master-eligible nodes.
    pub masters: Vec<String>,
    /// Their transport addresses.
    pub seed_hosts: Vec<String>,
}

/// Options of `layout` that are not in `instances.yml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutOptions {
    /// The time of the run: certificate validity and the manifests' date.
    pub now: SystemTime,
    /// Key type of every key.
    pub key_type: KeyType,
    /// `--masters` (node or instance names); `None`: every instance.
    pub masters: Option<Vec<String>>,
    /// `--seed-address NAME=HOST[:PORT]`, as given.
    pub seed_addresses: Vec<String>,
    /// `--transport-port`.
    pub transport_port: u16,
    /// `--shared-transport-key`: one transport key and certificate for every node.
    pub shared_transport_key: bool,
    /// Add `localhost`, `127.0.0.1` and `::1` to every HTTP certificate.
    pub loopback_sans: bool,
    /// `--bundle-passphrase-file` was given.
    pub passphrase: bool,
    /// `--ca-dir`: the CAs (and masters) of an earlier bundle.
    pub existing: Option<ExistingCluster>,
}

/// Where the CAs come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorities {
    /// Generated: the HTTP CA and the transport CA specs.
    Generate(CertPlan),
    /// Read from an earlier bundle's `ca/`.
    Reuse(PathBuf),
}

/// One node of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleNode {
    /// The instance.
    pub instance: Instance,
    /// Whether it is master-eligible (in `cluster.initial_master_nodes` when bootstrapping).
    pub master: bool,
    /// Its HTTP and transport certificates (the transport one is the shared one with
    /// `--shared-transport-key`).
    pub certificates: CertPlan,
}

impl BundleNode {
    /// The node name.
    pub fn node_name(&self) -> &str {
        self.instance.node_name()
    }

    /// The HTTP certificate's spec.
    pub fn http(&self) -> Option<&CertSpec> {
        self.certificates.get(CertRole::Http)
    }
}

/// Everything `layout` makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundlePlan {
    /// `--out`: must not exist; the bundle is built next to it and renamed to it.
    pub out: PathBuf,
    /// The time of the run.
    pub now: SystemTime,
    /// Key type.
    pub key_type: KeyType,
    /// The CAs.
    pub authorities: Authorities,
    /// One transport key for every node.
    pub shared_transport_key: bool,
    /// The nodes, in `instances.yml` order.
    pub nodes: Vec<BundleNode>,
    /// Master-eligible node names, in bundle order (the existing cluster's with `--ca-dir`).
    pub masters: Vec<String>,
    /// Their transport addresses: `discovery.seed_hosts` of every node.
    pub seed_hosts: Vec<String>,
    /// Whether master nodes bootstrap a new cluster (`cluster.initial_master_nodes`); not when
    /// the nodes join the cluster of an earlier bundle.
    pub bootstrap: bool,
    /// Secrets are protected by a passphrase.
    pub passphrase: bool,
}

/// A path inside the bundle, as components.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BundlePath(pub Vec<String>);

impl fmt::Display for BundlePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

impl BundlePath {
    fn of(parts: &[&str]) -> Self {
        BundlePath(parts.iter().map(|p| (*p).to_owned()).collect())
    }
}

/// Which CA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaKind {
    /// The HTTP CA.
    Http,
    /// The transport CA.
    Transport,
}

impl CaKind {
    /// The PKCS#12 alias of its key entry.
    pub const fn alias(self) -> &'static str {
        match self {
            CaKind::Http => "http_ca",
            CaKind::Transport => "transport_ca",
        }
    }
}

/// What a bundle file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleContent {
    /// `bundle.json`: the manifest.
    Manifest,
    /// `ca/http_ca.p12` or `ca/transport_ca.p12`: the CA's key and certificate, encrypted with
    /// the passphrase.
    CaStore(CaKind),
    /// `ca/http_ca.crt`: PEM of the HTTP CA, for clients.
    CaPem,
    /// `<node>/certs/http.p12`, as `init` writes it.
    HttpP12(usize),
    /// `<node>/certs/transport.p12`, as `init` writes it.
    TransportP12(usize),
    /// `<node>/certs/http_ca.crt`.
    HttpCaPem(usize),
    /// `<node>/secrets.keystore`: the node's PKCS#12 passwords, protected by the passphrase.
    Secrets(usize),
    /// `<node>/node.json`.
    NodeManifest(usize),
}

impl BundleContent {
    /// What it is, for `--dry-run`.
    pub fn describe(self) -> &'static str {
        match self {
            BundleContent::Manifest => "manifest: instances, masters, seed hosts, CA fingerprints (no secret)",
            BundleContent::CaStore(CaKind::Http) => "PKCS#12: HTTP CA key and certificate (alias http_ca), passphrase-protected",
            BundleContent::CaStore(CaKind::Transport) => "PKCS#12: transport CA key and certificate (alias transport_ca), passphrase-protected",
            BundleContent::CaPem | BundleContent::HttpCaPem(_) => "PEM of the HTTP CA certificate",
            BundleContent::HttpP12(_) => "PKCS#12: key entries `http_ca` (CA key) and `http` (chain http, CA)",
            BundleContent::TransportP12(_) => "PKCS#12: key entry `transport`, trusted certificate entry `transport_ca`",
            BundleContent::Secrets(_) => "elasticsearch.keystore format: the two PKCS#12 passwords, passphrase-protected",
            BundleContent::NodeManifest(_) => "node manifest: name, role, seed hosts, certificates (public), fingerprints",
        }
    }
}

/// One file of a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleFile {
    /// Where, inside the bundle.
    pub path: BundlePath,
    /// What.
    pub content: BundleContent,
}

impl BundlePlan {
    /// Directories, parents first (the bundle root itself is the temp directory).
    pub fn dirs(&self) -> Vec<BundlePath> {
        let mut out = vec![BundlePath::of(&[CA_DIR])];
        for n in &self.nodes {
            out.push(BundlePath::of(&[&n.instance.filename]));
            out.push(BundlePath::of(&[&n.instance.filename, "certs"]));
        }
        out
    }

    /// Every file, in the order it is written.
    pub fn files(&self) -> Vec<BundleFile> {
        let file = |parts: &[&str], content| BundleFile {
            path: BundlePath::of(parts),
            content,
        };
        let mut out = vec![
            file(
                &[CA_DIR, HTTP_CA_STORE],
                BundleContent::CaStore(CaKind::Http),
            ),
            file(
                &[CA_DIR, TRANSPORT_CA_STORE],
                BundleContent::CaStore(CaKind::Transport),
            ),
            file(&[CA_DIR, "http_ca.crt"], BundleContent::CaPem),
        ];
        for (i, n) in self.nodes.iter().enumerate() {
            let f = n.instance.filename.as_str();
            out.push(file(
                &[f, "certs", "http_ca.crt"],
                BundleContent::HttpCaPem(i),
            ));
            out.push(file(
                &[f, "certs", "transport.p12"],
                BundleContent::TransportP12(i),
            ));
            out.push(file(&[f, "certs", "http.p12"], BundleContent::HttpP12(i)));
            out.push(file(&[f, SECRETS], BundleContent::Secrets(i)));
            out.push(file(&[f, NODE_MANIFEST], BundleContent::NodeManifest(i)));
        }
        out.push(file(&[MANIFEST], BundleContent::Manifest));
        out
    }

    /// How many keys are generated.
    pub fn key_count(&self) -> usize {
        let cas = match self.authorities {
            Authorities::Generate(_) => 2,
            Authorities::Reuse(_) => 0,
        };
        let transport = if self.shared_transport_key {
            usize::from(!self.nodes.is_empty())
        } else {
            self.nodes.len()
        };
        cas + self.nodes.len() + transport
    }

    /// The `cluster.initial_master_nodes` of node `i` (empty: none written).
    pub fn initial_master_nodes(&self, i: usize) -> Vec<String> {
        match self.nodes.get(i) {
            Some(n) if self.bootstrap && n.master => self.masters.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether `transport.host: 0.0.0.0` is written uncommented: nodes must reach each other
    /// once the bundle has more than one node, or joins an earlier bundle's cluster.
    pub fn uncomment_transport_host(&self) -> bool {
        self.nodes.len() > 1 || !self.bootstrap
    }

    /// Node `i`'s manifest, once its certificates exist.
    pub fn node_manifest(&self, i: usize, certs: &IssuedCerts) -> Option<NodeManifest> {
        let n = self.nodes.get(i)?;
        let (http, transport) = certs.nodes.get(i)?;
        Some(NodeManifest {
            schema: SCHEMA,
            node_name: n.node_name().to_owned(),
            instance_name: n.instance.name.clone(),
            filename: n.instance.filename.clone(),
            subject: n.http().map(CertSpec::subject_text).unwrap_or_default(),
            master: n.master,
            seed_hosts: self.seed_hosts.clone(),
            initial_master_nodes: self.initial_master_nodes(i),
            transport_host_uncommented: self.uncomment_transport_host(),
            http_ca_sha256: certs.http_ca.sha256.clone(),
            transport_ca_sha256: certs.transport_ca.sha256.clone(),
            certificates: NodeCertificates {
                http_ca: certs.http_ca.pem.clone(),
                http: http.pem.clone(),
                transport_ca: certs.transport_ca.pem.clone(),
                transport: transport.pem.clone(),
            },
        })
    }

    /// The bundle's manifest, once the certificates exist.
    pub fn manifest(&self, certs: &IssuedCerts) -> BundleManifest {
        let ca = |c: &IssuedCert| CaDoc {
            subject: c.subject.clone(),
            sha256: c.sha256.clone(),
            not_after: c.not_after.clone(),
        };
        BundleManifest {
            schema: SCHEMA,
            created_at: Utc(self.now).rfc3339(),
            created_by: format!("es-autoconf {}", env!("CARGO_PKG_VERSION")),
            key_type: self.key_type.name().to_owned(),
            passphrase_protected: self.passphrase,
            shared_transport_key: self.shared_transport_key,
            ca_from: match &self.authorities {
                Authorities::Generate(_) => None,
                Authorities::Reuse(dir) => Some(dir.clone()),
            },
            http_ca: ca(&certs.http_ca),
            transport_ca: ca(&certs.transport_ca),
            masters: self.masters.clone(),
            seed_hosts: self.seed_hosts.clone(),
            bootstrap: self.bootstrap,
            instances: self
                .nodes
                .iter()
                .zip(&certs.nodes)
                .map(|(n, (http, transport))| InstanceDoc {
                    name: n.instance.name.clone(),
                    filename: n.instance.filename.clone(),
                    node_name: n.node_name().to_owned(),
                    master: n.master,
                    http_sans: n
                        .http()
                        .map(|h| h.sans.iter().map(ToString::to_string).collect())
                        .unwrap_or_default(),
                    http_not_after: http.not_after.clone(),
                    http_sha256: http.sha256.clone(),
                    transport_subject: transport.subject.clone(),
                    transport_sha256: transport.sha256.clone(),
                })
                .collect(),
        }
    }
}

/// Public facts of one issued certificate, for the manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCert {
    /// PEM.
    pub pem: String,
    /// Lowercase hex SHA-256 of the DER.
    pub sha256: String,
    /// Subject as text.
    pub subject: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
}

/// Every certificate of a bundle, once issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCerts {
    /// The HTTP CA.
    pub http_ca: IssuedCert,
    /// The transport CA.
    pub transport_ca: IssuedCert,
    /// Per node: HTTP and transport certificate.
    pub nodes: Vec<(IssuedCert, IssuedCert)>,
}

/// `bundle.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleManifest {
    /// [`SCHEMA`].
    pub schema: u32,
    /// When, RFC 3339.
    pub created_at: String,
    /// `es-autoconf <version>`.
    pub created_by: String,
    /// Key type.
    pub key_type: String,
    /// Whether a passphrase protects the CA stores and the nodes' secrets.
    pub passphrase_protected: bool,
    /// One transport key for every node.
    pub shared_transport_key: bool,
    /// The earlier bundle's `ca/` the CAs come from, if any.
    pub ca_from: Option<PathBuf>,
    /// The HTTP CA.
    pub http_ca: CaDoc,
    /// The transport CA.
    pub transport_ca: CaDoc,
    /// Master-eligible nodes.
    pub masters: Vec<String>,
    /// `discovery.seed_hosts`.
    pub seed_hosts: Vec<String>,
    /// Whether masters get `cluster.initial_master_nodes`.
    pub bootstrap: bool,
    /// The nodes.
    pub instances: Vec<InstanceDoc>,
}

/// A CA in [`BundleManifest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaDoc {
    /// Subject.
    pub subject: String,
    /// SHA-256 of the certificate (the enrollment token's `fgr` for the HTTP CA).
    pub sha256: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
}

/// A node in [`BundleManifest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceDoc {
    /// `name` from `instances.yml`.
    pub name: String,
    /// The node's directory.
    pub filename: String,
    /// The node name (`node.name` must equal it).
    pub node_name: String,
    /// Master-eligible.
    pub master: bool,
    /// The HTTP certificate's SANs.
    pub http_sans: Vec<String>,
    /// The HTTP certificate's notAfter, RFC 3339.
    pub http_not_after: String,
    /// SHA-256 of the HTTP certificate.
    pub http_sha256: String,
    /// The transport certificate's subject.
    pub transport_subject: String,
    /// SHA-256 of the transport certificate.
    pub transport_sha256: String,
}

/// `<node>/node.json`: what `init --bundle` needs besides the secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeManifest {
    /// [`SCHEMA`].
    pub schema: u32,
    /// The node name: `node.name` must equal it.
    pub node_name: String,
    /// `name` from `instances.yml`.
    pub instance_name: String,
    /// The node's directory in the bundle.
    pub filename: String,
    /// The certificates' subject.
    pub subject: String,
    /// Master-eligible (`node.roles` must then include `master`).
    pub master: bool,
    /// `discovery.seed_hosts`.
    pub seed_hosts: Vec<String>,
    /// `cluster.initial_master_nodes` (empty: not written on this node).
    pub initial_master_nodes: Vec<String>,
    /// `transport.host: 0.0.0.0` uncommented.
    pub transport_host_uncommented: bool,
    /// SHA-256 of the HTTP CA certificate.
    pub http_ca_sha256: String,
    /// SHA-256 of the transport CA certificate.
    pub transport_ca_sha256: String,
    /// The four certificates, PEM (public; the keys are in the PKCS#12 files).
    pub certificates: NodeCertificates,
}

/// The certificates in [`NodeManifest`], PEM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCertificates {
    /// The HTTP CA.
    pub http_ca: String,
    /// The node's HTTP certificate.
    pub http: String,
    /// The transport CA.
    pub transport_ca: String,
    /// The node's transport certificate.
    pub transport: String,
}

impl NodeManifest {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

impl BundleManifest {
    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// What `init --bundle` applies: one node of a bundle, read back and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundledNode {
    /// The node's bundle directory.
    pub dir: PathBuf,
    /// The node name.
    pub node_name: String,
    /// Master-eligible.
    pub master: bool,
    /// `discovery.seed_hosts`.
    pub seed_hosts: Vec<String>,
    /// `cluster.initial_master_nodes` (empty: not written).
    pub initial_master_nodes: Vec<String>,
    /// `transport.host` uncommented.
    pub transport_host_uncommented: bool,
    /// The four certificates as the bundle holds them (none generated).
    pub certificates: CertPlan,
}

/// The `--dry-run` text of a bundle plan: the nodes, their roles and certificates, the
/// discovery settings, every directory and file with its mode. No secret can reach it.
pub fn plan_text(plan: &BundlePlan) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let out = plan.out.display();
    let _ = writeln!(
        s,
        "Plan (layout): {} node(s), key type {}, into {out}",
        plan.nodes.len(),
        plan.key_type
    );
    let _ = writeln!(
        s,
        "  built in a hidden directory next to it (.<name>.<random>.tmp), renamed to it at the end"
    );
    match &plan.authorities {
        Authorities::Generate(_) => {
            let _ = writeln!(s, "  CAs: generate an HTTP CA and a transport CA");
        }
        Authorities::Reuse(dir) => {
            let _ = writeln!(s, "  CAs: reuse those of {}", dir.display());
        }
    }
    let _ = writeln!(
        s,
        "  transport keys: {}",
        if plan.shared_transport_key {
            "one, shared by every node (the shape enrollment produces)"
        } else {
            "one per node, under the one transport CA"
        }
    );
    let _ = writeln!(s, "  keys to generate: {}", plan.key_count());
    let _ = writeln!(
        s,
        "  passphrase: {}",
        if plan.passphrase {
            "protects the CA stores and every node's secrets"
        } else {
            "none: the bundle must be protected like a private key"
        }
    );
    if plan.bootstrap {
        let _ = writeln!(
            s,
            "  cluster.initial_master_nodes (on the masters): {}",
            plan.masters.join(", ")
        );
    } else {
        let _ = writeln!(
            s,
            "  cluster.initial_master_nodes: none (the nodes join the cluster of masters {})",
            plan.masters.join(", ")
        );
    }
    let _ = writeln!(s, "  discovery.seed_hosts: {}", plan.seed_hosts.join(", "));
    let _ = writeln!(s, "\nNodes:");
    for n in &plan.nodes {
        let _ = writeln!(
            s,
            "  {} ({}/{}): {}",
            n.node_name(),
            out,
            n.instance.filename,
            if n.master {
                "master-eligible"
            } else {
                "not master-eligible"
            }
        );
        for c in &n.certificates.certs {
            let _ = write!(
                s,
                "    {}: {}, {} days from {}",
                c.role.name(),
                c.subject_text(),
                c.validity_days,
                Utc(c.not_before)
            );
            if !c.sans.is_empty() {
                let sans: Vec<String> = c.sans.iter().map(ToString::to_string).collect();
                let _ = write!(s, ", SANs {}", sans.join(", "));
            }
            let _ = writeln!(s);
        }
    }
    let _ = writeln!(s, "\nDirectories (mode {BUNDLE_DIR_MODE:04o}):");
    let _ = writeln!(s, "  {out}");
    for d in plan.dirs() {
        let _ = writeln!(s, "  {out}/{d}");
    }
    let _ = writeln!(s, "\nFiles (mode {BUNDLE_FILE_MODE:04o}):");
    for f in plan.files() {
        let _ = writeln!(s, "  {out}/{}  ({})", f.path, f.content.describe());
    }
    s
}

/// Builds the plan of `layout` (lifecycle §5.3). An error is a usage error (exit 64): a
/// `--masters` or `--seed-address` name that is no instance, a master without an address.
pub fn plan_layout(
    out: &Path,
    instances: Vec<Instance>,
    opts: &LayoutOptions,
) -> Result<BundlePlan, String> {
    let find = |name: &str| {
        instances
            .iter()
            .position(|i| i.node_name() == name || i.name == name)
    };
    let (masters_idx, existing) = match (&opts.existing, &opts.masters) {
        (Some(_), Some(_)) => {
            return Err(
                "--masters cannot be combined with --ca-dir: the nodes join the cluster of the earlier bundle, whose masters are in its bundle.json".into(),
            )
        }
        (Some(_), None) if !opts.seed_addresses.is_empty() => {
            return Err(
                "--seed-address cannot be combined with --ca-dir: the seed hosts are the earlier bundle's".into(),
            )
        }
        (Some(e), None) => (Vec::new(), Some(e)),
        (None, None) => ((0..instances.len()).collect(), None),
        (None, Some(names)) => {
            let mut idx = Vec::new();
            for name in names {
                let name = name.trim();
                match find(name) {
                    Some(i) if idx.contains(&i) => {
                        return Err(format!("--masters names [{name}] twice"))
                    }
                    Some(i) => idx.push(i),
                    None => {
                        return Err(format!(
                            "--masters names [{name}], which is not an instance of the instances file"
                        ))
                    }
                }
            }
            if idx.is_empty() {
                return Err("--masters names no node".into());
            }
            idx.sort_unstable();
            (idx, None)
        }
    };

    let mut explicit: Vec<(usize, String)> = Vec::new();
    for raw in &opts.seed_addresses {
        let (name, addr) = raw
            .split_once('=')
            .ok_or_else(|| format!("--seed-address [{raw}] is not NAME=HOST[:PORT]"))?;
        let i = find(name.trim()).ok_or_else(|| {
            format!("--seed-address names [{name}], which is not an instance of the instances file")
        })?;
        if !masters_idx.contains(&i) {
            return Err(format!(
                "--seed-address names [{name}], which is not master-eligible (seed hosts are the masters' addresses)"
            ));
        }
        if explicit.iter().any(|(j, _)| *j == i) {
            return Err(format!("--seed-address names [{name}] twice"));
        }
        explicit.push((i, seed_address(addr, opts.transport_port)?));
    }

    let (masters, seed_hosts, bootstrap) = match existing {
        Some(e) => (e.masters.clone(), e.seed_hosts.clone(), false),
        None => {
            let mut seeds = Vec::new();
            for &i in &masters_idx {
                let inst = &instances[i];
                let addr = match explicit.iter().find(|(j, _)| *j == i) {
                    Some((_, a)) => a.clone(),
                    None => default_seed(inst, opts.transport_port).ok_or_else(|| {
                        format!(
                            "no transport address for master-eligible instance {}: give it an `ip` or `dns` in the instances file, or --seed-address {}=HOST[:PORT]",
                            inst.node_name(),
                            inst.node_name()
                        )
                    })?,
                };
                seeds.push(addr);
            }
            let masters = masters_idx
                .iter()
                .map(|&i| instances[i].node_name().to_owned())
                .collect();
            (masters, seeds, true)
        }
    };

    let now = opts.now;
    let kt = opts.key_type;
    let authorities = match &opts.existing {
        Some(e) => Authorities::Reuse(e.ca_dir.clone()),
        None => Authorities::Generate(CertPlan::authorities(kt, now)),
    };
    // With one shared transport key, its certificate carries the first master's name (the
    // shape enrollment produces: every node holds the first node's transport key).
    let shared_owner = masters_idx.first().copied().unwrap_or(0);
    let shared = opts.shared_transport_key.then(|| {
        instances.get(shared_owner).and_then(|inst| {
            CertPlan::node(&inst.subject, Vec::new(), kt, now)
                .get(CertRole::Transport)
                .cloned()
        })
    });
    let nodes = instances
        .into_iter()
        .enumerate()
        .map(|(i, instance)| {
            let sans = http_sans(&instance, opts.loopback_sans);
            let mut certificates = CertPlan::node(&instance.subject, sans, kt, now);
            if let Some(Some(shared)) = &shared {
                for c in &mut certificates.certs {
                    if c.role == CertRole::Transport {
                        *c = shared.clone();
                    }
                }
            }
            BundleNode {
                master: existing.is_none() && masters_idx.contains(&i),
                instance,
                certificates,
            }
        })
        .collect();
    Ok(BundlePlan {
        out: out.to_path_buf(),
        now,
        key_type: kt,
        authorities,
        shared_transport_key: opts.shared_transport_key,
        nodes,
        masters,
        seed_hosts,
        bootstrap,
        passphrase: opts.passphrase,
    })
}

/// The HTTP certificate's SANs: `dns`, `ip`, `cn` (certutil's otherName), then `localhost`,
/// `127.0.0.1` and `::1` unless told otherwise; duplicates collapse, the first wins.
pub fn http_sans(inst: &Instance, loopback: bool) -> Vec<SanEntry> {
    let mut out: Vec<SanEntry> = Vec::new();
    let mut push = |e: SanEntry| {
        if !out.contains(&e) {
            out.push(e);
        }
    };
    for d in &inst.dns {
        push(SanEntry::Dns(d.clone()));
    }
    for ip in &inst.ip {
        push(SanEntry::Ip(*ip));
    }
    for cn in &inst.cn {
        push(SanEntry::CommonName(cn.clone()));
    }
    if loopback {
        push(SanEntry::Dns("localhost".into()));
        push(SanEntry::Ip(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)));
        push(SanEntry::Ip(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)));
    }
    out
}

/// A master's address when none is given: its first `ip` that is not a loopback address, else
/// its first `dns` that is not `localhost` (another machine can reach neither; Elastic's compose
/// file lists `127.0.0.1` and `localhost` for every node, next to the node's own name).
fn default_seed(inst: &Instance, port: u16) -> Option<String> {
    if let Some(ip) = inst.ip.iter().find(|ip| !ip.is_loopback()) {
        return Some(host_port(&ip.to_string(), port));
    }
    inst.dns
        .iter()
        .find(|d| !d.eq_ignore_ascii_case("localhost"))
        .map(|d| host_port(d, port))
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `HOST`, `HOST:PORT`, `[V6]`, `[V6]:PORT` or a bare IPv6 literal, as `host:port`.
pub fn seed_address(text: &str, default_port: u16) -> Result<String, String> {
    let bad = |why: &str| format!("--seed-address value [{text}] {why}");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("is empty"));
    }
    if text
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_whitespace() || c.is_control())
    {
        return Err(bad("holds a quote, backslash, space or control character"));
    }
    let port = |p: &str| -> Result<u16, String> {
        p.parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| bad("has no valid port (1-65535)"))
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| bad("opens [ without closing it"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("has no IPv6 address between [ and ]"));
        }
        let p = match after {
            "" => default_port,
            _ => port(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| bad("has text after ]"))?,
            )?,
        };
        return Ok(format!("[{host}]:{p}"));
    }
    match text.matches(':').count() {
        0 => Ok(host_port(text, default_port)),
        1 => {
            let (host, p) = text.split_once(':').unwrap_or((text, ""));
            if host.is_empty() {
                return Err(bad("has no host"));
            }
            Ok(host_port(host, port(p)?))
        }
        _ => match text.parse::<std::net::Ipv6Addr>() {
            Ok(_) => Ok(host_port(text, default_port)),
            Err(_) => Err(bad("is neither HOST[:PORT] nor an IPv6 address")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instances::parse_instances;
    use std::time::{Duration, UNIX_EPOCH};

    fn opts() -> LayoutOptions {
        LayoutOptions {
            now: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            key_type: KeyType::EcdsaP256,
            masters: None,
            seed_addresses: Vec::new(),
            transport_port: DEFAULT_TRANSPORT_PORT,
            shared_transport_key: false,
            loopback_sans: true,
            passphrase: false,
            existing: None,
        }
    }

    const THREE: &str = "instances:\n  - name: es01\n    ip: [127.0.0.1, 10.0.0.1]\n    dns: [es01.example]\n  - name: es02\n    dns: [localhost, es02.example]\n  - name: es03\n    ip: [\"fd00::3\"]\n    cn: [es03-node]\n";

    fn plan(yml: &str, o: &LayoutOptions) -> Result<BundlePlan, String> {
        plan_layout(Path::new("/tmp/bundle"), parse_instances(yml).unwrap(), o)
    }

    #[test]
    fn every_instance_is_a_master_by_default_with_its_first_address() {
        let p = plan(THREE, &opts()).unwrap();
        assert_eq!(p.masters, ["es01", "es02", "es03"]);
        assert_eq!(
            p.seed_hosts,
            ["10.0.0.1:9300", "es02.example:9300", "[fd00::3]:9300"]
        );
        assert!(p.bootstrap && p.uncomment_transport_host());
        assert_eq!(p.initial_master_nodes(1), ["es01", "es02", "es03"]);
        assert_eq!(p.key_count(), 2 + 3 + 3);
        let sans: Vec<String> = p.nodes[2]
            .http()
            .unwrap()
            .sans
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            sans,
            [
                "IP:fd00::3",
                "CN:es03-node",
                "DNS:localhost",
                "IP:127.0.0.1",
                "IP:::1"
            ]
        );
        let files: Vec<String> = p.files().iter().map(|f| f.path.to_string()).collect();
        assert_eq!(files.first().map(String::as_str), Some("ca/http_ca.p12"));
        assert!(files.contains(&"es02/certs/transport.p12".to_owned()));
        assert!(files.contains(&"es03/secrets.keystore".to_owned()));
        assert_eq!(files.last().map(String::as_str), Some("bundle.json"));
    }

    #[test]
    fn masters_seed_addresses_and_shared_key() {
        let mut o = opts();
        o.masters = Some(vec!["es03".into(), "es01".into()]);
        o.seed_addresses = vec!["es03=node3.internal:9400".into()];
        o.shared_transport_key = true;
        o.loopback_sans = false;
        let p = plan(THREE, &o).unwrap();
        assert_eq!(p.masters, ["es01", "es03"], "bundle order");
        assert_eq!(p.seed_hosts, ["10.0.0.1:9300", "node3.internal:9400"]);
        assert!(!p.nodes[1].master);
        assert!(p.initial_master_nodes(1).is_empty());
        assert_eq!(p.key_count(), 2 + 3 + 1);
        let t: Vec<&str> = p
            .nodes
            .iter()
            .map(|n| {
                n.certificates
                    .get(CertRole::Transport)
                    .unwrap()
                    .subject_cn
                    .as_str()
            })
            .collect();
        assert_eq!(
            t,
            ["es01", "es01", "es01"],
            "the first master's name, everywhere"
        );
        assert_eq!(p.nodes[0].http().unwrap().sans.len(), 3);
    }

    #[test]
    fn usage_errors() {
        let with = |f: &dyn Fn(&mut LayoutOptions)| {
            let mut o = opts();
            f(&mut o);
            plan(THREE, &o).unwrap_err()
        };
        assert!(with(&|o| o.masters = Some(vec!["es09".into()])).contains("not an instance"));
        assert!(with(&|o| o.masters = Some(vec!["es01".into(), "es01".into()])).contains("twice"));
        assert!(with(&|o| o.seed_addresses = vec!["es01".into()]).contains("NAME=HOST"));
        assert!(with(&|o| {
            o.masters = Some(vec!["es01".into()]);
            o.seed_addresses = vec!["es02=h".into()];
        })
        .contains("not master-eligible"));
        let e = plan_layout(
            Path::new("/b"),
            parse_instances("instances:\n  - name: lone\n    dns: [localhost]\n").unwrap(),
            &opts(),
        )
        .unwrap_err();
        assert!(
            e.starts_with("no transport address for master-eligible instance lone"),
            "{e}"
        );
        assert!(with(&|o| {
            o.existing = Some(ExistingCluster {
                ca_dir: "/old/ca".into(),
                masters: vec![],
                seed_hosts: vec![],
            });
            o.masters = Some(vec!["es01".into()]);
        })
        .contains("--ca-dir"));
    }

    #[test]
    fn joining_an_earlier_bundle_s_cluster() {
        let mut o = opts();
        o.existing = Some(ExistingCluster {
            ca_dir: "/old/ca".into(),
            masters: vec!["m1".into()],
            seed_hosts: vec!["10.9.9.9:9300".into()],
        });
        let p = plan("instances:\n  - name: data1\n", &o).unwrap();
        assert_eq!(p.masters, ["m1"]);
        assert_eq!(p.seed_hosts, ["10.9.9.9:9300"]);
        assert!(!p.bootstrap && !p.nodes[0].master && p.uncomment_transport_host());
        assert!(p.initial_master_nodes(0).is_empty());
        assert_eq!(p.key_count(), 2);
        assert_eq!(p.authorities, Authorities::Reuse("/old/ca".into()));
    }

    #[test]
    fn seed_address_forms() {
        for (text, want) in [
            ("h", "h:9300"),
            ("h:1", "h:1"),
            ("10.0.0.1:9301", "10.0.0.1:9301"),
            ("[::1]", "[::1]:9300"),
            ("[::1]:9", "[::1]:9"),
            ("fd00::1", "[fd00::1]:9300"),
        ] {
            assert_eq!(seed_address(text, 9300).as_deref(), Ok(want), "{text}");
        }
        for bad in [
            "", "h:0", "h:x", "[::1", "[h]:1", "[::1]x", "a b", "a\"b", ":9", "a:b:c",
        ] {
            assert!(seed_address(bad, 9300).is_err(), "{bad}");
        }
    }
}
