//! Keys, certificates and PKCS#12 stores as Elasticsearch's auto-configuration writes them.
//!
//! The flow is plan → keys → certificates → files:
//!
//! 1. An [`esac_certspec::CertPlan`] describes what is generated (subjects, SANs, validity, key
//!    type). It is pure data from the dependency-free `esac-certspec` crate; `--dry-run` prints it
//!    and never initialises aws-lc-rs.
//! 2. A [`KeySource`] supplies the keys: [`AwsLcKeySource`] for real runs, [`PoolKeySource`] for
//!    tests. [`generate`] asks for the four keys in parallel.
//! 3. The certificates are signed (modules `cert` and `ext` reproduce `CertGenUtils`) exactly as the
//!    plan says, and the result is a [`Material`], which encodes `transport.p12`, `http.p12` and
//!    `http_ca.crt` on demand.
//!
//! [`check`] reads material found on disk (any key type, PEM or DER) for `status`: whether a key
//! belongs to a certificate, whether a certificate was issued by another.
//!
//! Passwords live here too: PKCS#12 store passwords, the `elastic` password Elasticsearch would
//! generate, and its bcrypt hash.
//!
//! Architecture invariant: this crate reads no clock and no environment. `now` is a parameter;
//! the only file access is [`PoolKeySource::load`], for tests and benchmarks.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cert;
pub mod check;
mod error;
mod ext;
mod inspect;
mod keys;
mod name;
mod p12;
mod password;
pub mod pem;
mod renew;

use std::time::{SystemTime, UNIX_EPOCH};

use esac_certspec::{CertPlan, CertRole, CertSpec, KeyType};
use esac_secret::Secret;

pub use cert::{cert_is_ca, CertifiedKey};
pub use error::{Error, Result};
pub use inspect::{inspect, CertInfo};
pub use keys::{AwsLcKeySource, KeySource, PoolKeySource, PrivateKey};
pub use p12::{
    read_p12, P12Contents, P12KeyEntry, P12TrustedCert, HTTP_ALIAS, HTTP_CA_ALIAS, TRANSPORT_ALIAS,
    TRANSPORT_CA_ALIAS,
};
pub use password::{
    bcrypt_hash, generate_elastic_password, new_store_password, store_password_from_bytes,
    ELASTIC_PASSWORD_ALPHABET, ELASTIC_PASSWORD_LENGTH,
};
pub use renew::{
    existing_cert, http_p12_as, http_store, reissue_ca, renew_leaf, same_ca_key, sans_of,
    signed_by, HttpStore, ShapeError,
};

/// The generated (or received) TLS material of one node.
#[derive(Clone, Debug)]
pub struct Material {
    http_ca: CertifiedKey,
    http: CertifiedKey,
    transport: CertifiedKey,
    transport_ca_cert: Vec<u8>,
    epoch_millis: i64,
}

impl Material {
    /// `certs/transport.p12`, encrypted with `password` (store and key password alike).
    pub fn transport_p12(&self, password: &Secret) -> Result<Vec<u8>> {
        p12::transport_p12(
            &self.transport,
            &self.transport_ca_cert,
            password,
            self.epoch_millis,
        )
    }

    /// `certs/http.p12`, encrypted with `password` (store and key password alike).
    pub fn http_p12(&self, password: &Secret) -> Result<Vec<u8>> {
        p12::http_p12(&self.http_ca, &self.http, password, self.epoch_millis)
    }

    /// `certs/http_ca.crt`: PEM of the HTTP CA certificate.
    pub fn http_ca_pem(&self) -> String {
        self.http_ca.cert_pem()
    }

    /// Lowercase hex SHA-256 of the HTTP CA certificate's DER (the enrollment token's `fgr`).
    pub fn http_ca_fingerprint(&self) -> String {
        sha256_hex(self.http_ca.cert_der())
    }

    /// The HTTP CA certificate and key.
    pub fn http_ca(&self) -> &CertifiedKey {
        &self.http_ca
    }

    /// The node's HTTP certificate and key.
    pub fn http(&self) -> &CertifiedKey {
        &self.http
    }

    /// The node's transport certificate and key.
    pub fn transport(&self) -> &CertifiedKey {
        &self.transport
    }

    /// The transport CA certificate, DER (its key is not kept, as in Elasticsearch).
    pub fn transport_ca_cert_der(&self) -> &[u8] {
        &self.transport_ca_cert
    }
}

/// What an enrolling node receives from the cluster (`GET _security/enroll/node`, spec 7.3), or
/// a laid-out node from its bundle (`init --bundle`, which also brings its HTTP certificate).
#[derive(Clone, Debug)]
pub struct Received {
    /// `http_ca_key` + `http_ca_cert`.
    pub http_ca: CertifiedKey,
    /// `transport_key` + `transport_cert` (shared by every node).
    pub transport: CertifiedKey,
    /// `transport_ca_cert`, DER.
    pub transport_ca_cert: Vec<u8>,
    /// The node's own HTTP certificate and key when they were made ahead of time (a `layout`
    /// bundle); `None` when they are generated here (enrollment).
    pub http: Option<CertifiedKey>,
}

impl Received {
    /// Checks and pairs the base64-decoded DER values of the enrollment response.
    pub fn from_der(
        http_ca_key: Secret,
        http_ca_cert: &[u8],
        transport_key: Secret,
        transport_cert: &[u8],
        transport_ca_cert: &[u8],
    ) -> Result<Received> {
        cert::parse(transport_ca_cert)?;
        Ok(Received {
            http_ca: CertifiedKey::from_der(http_ca_key, http_ca_cert)?,
            transport: CertifiedKey::from_der(transport_key, transport_cert)?,
            transport_ca_cert: transport_ca_cert.to_vec(),
            http: None,
        })
    }

    /// A laid-out node's material, read back from its bundle's `http.p12` and `transport.p12`:
    /// every certificate and key comes from the bundle, nothing is generated.
    pub fn from_bundle(
        http_ca: CertifiedKey,
        http: CertifiedKey,
        transport: CertifiedKey,
        transport_ca_cert: Vec<u8>,
    ) -> Result<Received> {
        cert::parse(&transport_ca_cert)?;
        Ok(Received {
            http_ca,
            transport,
            transport_ca_cert,
            http: Some(http),
        })
    }
}

/// Initial node: generates the four keys (in parallel) and certificates of `plan` (spec §2.2).
/// Every spec of the plan must be marked generated.
pub fn generate(plan: &CertPlan, keys: &dyn KeySource, now: SystemTime) -> Result<Material> {
    let spec = |role| find(plan, role);
    let (transport_ca, transport, http_ca, http) = (
        spec(CertRole::TransportCa)?,
        spec(CertRole::Transport)?,
        spec(CertRole::HttpCa)?,
        spec(CertRole::Http)?,
    );
    if let Some(received) = plan.certs.iter().find(|c| !c.generated) {
        return Err(Error::Certificate(format!(
            "the plan receives the {}: use generate_enrolled",
            received.role
        )));
    }
    let [k_transport_ca, k_transport, k_http_ca, k_http] = generate_keys(
        keys,
        [
            transport_ca.key_type,
            transport.key_type,
            http_ca.key_type,
            http.key_type,
        ],
    )?;

    let transport_ca = cert::issue(transport_ca, &k_transport_ca, None, &cert::random_serial()?)?;
    let transport = cert::issue(
        transport,
        &k_transport,
        Some(&transport_ca),
        &cert::random_serial()?,
    )?;
    let http_ca = cert::issue(http_ca, &k_http_ca, None, &cert::random_serial()?)?;
    let http = cert::issue(http, &k_http, Some(&http_ca), &cert::random_serial()?)?;
    Ok(Material {
        http_ca,
        http,
        transport,
        transport_ca_cert: transport_ca.cert_der().to_vec(),
        epoch_millis: epoch_millis(now),
    })
}

/// Enrolling node: generates only the HTTP key and certificate of `plan`, signed by the received
/// HTTP CA; everything else is the cluster's (spec §7.5). A node of a `layout` bundle received its
/// HTTP certificate too: then nothing is generated.
pub fn generate_enrolled(
    plan: &CertPlan,
    received: &Received,
    keys: &dyn KeySource,
    now: SystemTime,
) -> Result<Material> {
    let spec = find(plan, CertRole::Http)?;
    let http = match &received.http {
        Some(http) => http.clone(),
        None => {
            let key = keys.generate(spec.key_type)?;
            cert::issue(spec, &key, Some(&received.http_ca), &cert::random_serial()?)?
        }
    };
    Ok(Material {
        http_ca: received.http_ca.clone(),
        http,
        transport: received.transport.clone(),
        transport_ca_cert: received.transport_ca_cert.clone(),
        epoch_millis: epoch_millis(now),
    })
}

/// Issues the certificate `spec` for `key` with a fresh random serial, signed by `issuer`
/// (self-signed when `None`): one certificate of a `layout` bundle.
pub fn issue(
    spec: &CertSpec,
    key: &PrivateKey,
    issuer: Option<&CertifiedKey>,
) -> Result<CertifiedKey> {
    cert::issue(spec, key, issuer, &cert::random_serial()?)
}

impl Material {
    /// A node's material from certificates made elsewhere (a `layout` bundle's): encodes the
    /// same stores as [`generate`]'s. `now` dates the PKCS#12 local key IDs.
    pub fn from_parts(
        http_ca: CertifiedKey,
        http: CertifiedKey,
        transport: CertifiedKey,
        transport_ca_cert: Vec<u8>,
        now: SystemTime,
    ) -> Material {
        Material {
            http_ca,
            http,
            transport,
            transport_ca_cert,
            epoch_millis: epoch_millis(now),
        }
    }
}

/// A CA's own store in a `layout` bundle (`ca/http_ca.p12`, `ca/transport_ca.p12`): one key entry
/// `alias` with chain `[CA]`, encrypted with `password` (the bundle passphrase, maybe empty).
pub fn ca_p12(
    alias: &str,
    ca: &CertifiedKey,
    password: &Secret,
    now: SystemTime,
) -> Result<Vec<u8>> {
    p12::ca_p12(alias, ca, password, epoch_millis(now))
}

/// Generates one key per entry of `types` on `threads` worker threads (all cores, for
/// `layout`'s N nodes), in order. `progress` is called on the calling thread with the number of
/// keys done so far, after each one (so it may talk to a terminal). The first failure stops the
/// workers and is returned.
pub fn generate_many(
    keys: &dyn KeySource,
    types: &[KeyType],
    threads: usize,
    progress: &dyn Fn(usize),
) -> Result<Vec<PrivateKey>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{mpsc, Mutex};

    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let slots: Vec<Mutex<Option<Result<PrivateKey>>>> =
        types.iter().map(|_| Mutex::new(None)).collect();
    let workers = threads.clamp(1, types.len().max(1));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let panicked = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let done = done_tx.clone();
                let (next, failed, slots) = (&next, &failed, &slots);
                scope.spawn(move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(kt) = types.get(i) else { break };
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let key = keys.generate(*kt);
                    if key.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(key);
                    }
                    let _ = done.send(());
                })
            })
            .collect();
        // The workers hold the only senders left: the loop ends when they all have.
        drop(done_tx);
        let mut done = 0;
        while done_rx.recv().is_ok() {
            done += 1;
            progress(done);
        }
        handles.into_iter().any(|h| h.join().is_err())
    });
    if panicked {
        return Err(Error::ThreadPanicked);
    }
    let mut out = Vec::with_capacity(types.len());
    let mut first_error = None;
    for slot in slots {
        match slot.into_inner().map_err(|_| Error::ThreadPanicked)? {
            Some(Ok(k)) => out.push(k),
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            None => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None if out.len() == types.len() => Ok(out),
        None => Err(Error::ThreadPanicked),
    }
}

fn find(plan: &CertPlan, role: CertRole) -> Result<&CertSpec> {
    plan.get(role)
        .ok_or_else(|| Error::Certificate(format!("the plan has no {role}")))
}

/// Asks `keys` for every key at once, one thread each: RSA-4096 generation is the slow part
/// (seconds) and the four keys are independent.
fn generate_keys<const N: usize>(
    keys: &dyn KeySource,
    types: [KeyType; N],
) -> Result<[PrivateKey; N]> {
    let results: Vec<Result<PrivateKey>> = std::thread::scope(|scope| {
        let handles: Vec<_> = types
            .iter()
            .map(|kt| scope.spawn(move || keys.generate(*kt)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Error::ThreadPanicked)))
            .collect()
    });
    let keys: Vec<PrivateKey> = results.into_iter().collect::<Result<_>>()?;
    keys.try_into()
        .map_err(|_| Error::Certificate("key count mismatch".to_owned()))
}

/// Lowercase hex SHA-256 of `der` (the fingerprint format of Elasticsearch's enrollment tokens).
pub fn sha256_hex(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn epoch_millis(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX - 16))
        .unwrap_or(0)
}
