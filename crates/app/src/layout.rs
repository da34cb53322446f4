//! `layout`: certutil's `instances.yml` in, a bundle for every node out (lifecycle §5). Reads
//! and validates the instances file, plans (`esac-core`), and hands the plan to `esac-exec`'s
//! bundle writer with the key source, the passphrase and, with `--ca-dir`, the earlier bundle's
//! CAs.

use std::path::{Path, PathBuf};

use esac_certspec::KeyType;
use esac_core::bundle::{self, BundleManifest, BundlePlan, LayoutOptions};
use esac_core::instances::{self, MAX_INSTANCES_BYTES};

use crate::bundle as read;
use crate::{runtime, Console, Failure};

/// What `layout` is asked to do.
#[derive(Debug, Clone)]
pub struct LayoutRequest {
    /// `--in`.
    pub instances: PathBuf,
    /// `--out`.
    pub out: PathBuf,
    /// `--masters`.
    pub masters: Option<Vec<String>>,
    /// `--seed-address`, as given.
    pub seed_addresses: Vec<String>,
    /// `--transport-port`.
    pub transport_port: u16,
    /// `--shared-transport-key`.
    pub shared_transport_key: bool,
    /// `--no-loopback-sans`.
    pub no_loopback_sans: bool,
    /// `--key-type`.
    pub key_type: KeyType,
    /// `--bundle-passphrase-file`.
    pub passphrase_file: Option<PathBuf>,
    /// `--ca-dir`.
    pub ca_dir: Option<PathBuf>,
    /// `--dry-run`.
    pub dry_run: bool,
}

/// What `layout` did.
#[derive(Debug)]
pub enum LayoutOutcome {
    /// `--dry-run`: what it would write.
    Planned(Box<BundlePlan>),
    /// The bundle was written.
    Written {
        /// The plan that ran.
        plan: Box<BundlePlan>,
        /// Its manifest (`bundle.json`).
        manifest: Box<BundleManifest>,
    },
}

/// The note printed (and put in the JSON document) when no passphrase protects the bundle.
pub const UNPROTECTED: &str = "WARNING: no --bundle-passphrase-file: the bundle's CA keys and every node's PKCS#12 passwords are protected by nothing but the file permissions (0600). Treat the whole bundle like a private key: keep it on an encrypted medium, copy each node directory only to its node, and delete it once applied.";

/// `es-autoconf layout`.
pub fn layout(req: &LayoutRequest, console: &dyn Console) -> Result<LayoutOutcome, Failure> {
    let in_path = read::absolute(&req.instances)?;
    let out = read::absolute(&req.out)?;
    let bytes =
        read::read_bounded(&in_path, MAX_INSTANCES_BYTES).map_err(|source| Failure::Input {
            path: in_path.clone(),
            source,
        })?;
    let parsed = instances::parse_instances_bytes(&bytes).map_err(|error| Failure::Instances {
        path: in_path.clone(),
        error,
    })?;
    if read::exists(&out) {
        return Err(Failure::OutputExists(out));
    }
    for left in esac_exec::bundle::interrupted_staging(&out) {
        console.note(&format!(
            "NOTE: {} was left by an interrupted `layout` (killed before it could clean up). It \
             may hold private keys: remove it (rm -r) unless you are still copying from it.",
            left.display()
        ));
    }
    let existing = match &req.ca_dir {
        None => None,
        Some(d) => Some(read::existing_cluster(&read::absolute(d)?)?),
    };
    let opts = LayoutOptions {
        now: runtime::now(),
        key_type: req.key_type,
        masters: req.masters.clone(),
        seed_addresses: req.seed_addresses.clone(),
        transport_port: req.transport_port,
        shared_transport_key: req.shared_transport_key,
        loopback_sans: !req.no_loopback_sans,
        passphrase: req.passphrase_file.is_some(),
        existing: existing.as_ref().map(|(e, _)| e.clone()),
    };
    let plan = bundle::plan_layout(&out, parsed, &opts).map_err(Failure::Usage)?;
    if req.dry_run {
        return Ok(LayoutOutcome::Planned(Box::new(plan)));
    }
    let passphrase = read::passphrase(req.passphrase_file.as_deref(), false, console)?;
    let authorities = match &existing {
        None => None,
        Some((e, manifest)) => {
            if manifest.passphrase_protected && passphrase.is_empty() {
                return Err(Failure::Usage(format!(
                    "the CAs in [{}] are protected by a passphrase: pass --bundle-passphrase-file FILE",
                    e.ca_dir.display()
                )));
            }
            Some(read::authorities(&e.ca_dir, manifest, &passphrase)?)
        }
    };
    if passphrase.is_empty() {
        console.note(UNPROTECTED);
    }
    let keys = runtime::key_source();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let written = esac_exec::bundle::write_bundle(
        &plan,
        esac_exec::bundle::BundleInputs {
            keys: keys.as_ref(),
            passphrase,
            authorities,
            threads,
            progress: &|line| console.progress(line),
        },
    )
    .map_err(Failure::BundleWrite)?;
    Ok(LayoutOutcome::Written {
        plan: Box::new(plan),
        manifest: Box::new(written.manifest),
    })
}

/// The bundle directory of one node, for messages.
pub fn node_dir(out: &Path, filename: &str) -> PathBuf {
    out.join(filename)
}
