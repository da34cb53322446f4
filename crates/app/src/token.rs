//! `es-autoconf enrollment-token`: create an enrollment token on a running node, as
//! `bin/elasticsearch-create-enrollment-token` does, for Kibana or for another node.
//!
//! The `elastic` password comes from a terminal prompt or a file, never from a flag value
//! (flags are visible to every user in the process list).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use esac_core::EsExit;
use esac_enroll::{ApiOptions, EnrollmentToken, TokenScope};
use esac_keystore::PasswordSource;
use esac_secret::Secret;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::{runtime, Console, Failure, Paths};

/// Elasticsearch's CLI default (`CommandLineHttpClient.getDefaultURL`).
pub const DEFAULT_URL: &str = "https://localhost:9200";
/// How long a token is valid (the API key's expiration, `30m`).
pub const VALIDITY_SECONDS: u64 = 30 * 60;

/// A created token.
#[derive(Debug)]
pub struct CreatedToken {
    /// The token, encoded as Elasticsearch prints it.
    pub token: Secret,
    /// What it enrolls.
    pub scope: TokenScope,
    /// The node addresses it names.
    pub addresses: Vec<String>,
    /// SHA-256 of the HTTP CA certificate.
    pub fingerprint: String,
    /// Expiry, seconds since 1970.
    pub expires_at: u64,
}

/// Creates a token against the node at `url` (default [`DEFAULT_URL`]).
pub fn create(
    paths: &Paths,
    scope: TokenScope,
    url: Option<&str>,
    password_file: Option<&Path>,
    console: &dyn Console,
) -> Result<CreatedToken, Failure> {
    let url = url.unwrap_or(DEFAULT_URL);
    let address = url
        .strip_prefix("https://")
        .ok_or_else(|| Failure::Usage(format!("the URL [{url}] must start with https://")))?
        .trim_end_matches('/')
        .to_owned();
    let ca = http_ca_der(paths)?;
    let fingerprint = esac_pki::sha256_hex(&ca);
    let password = elastic_password(password_file, console)?;
    let mut opts = ApiOptions::new(address, ca, password, scope);
    opts.deadline = runtime::http_deadline();
    let token: EnrollmentToken =
        esac_enroll::create_enrollment_token(&opts).map_err(Failure::Enroll)?;
    let expires_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() + VALIDITY_SECONDS)
        .unwrap_or(0);
    Ok(CreatedToken {
        token: token.encode(),
        scope,
        addresses: token.addresses.clone(),
        fingerprint,
        expires_at,
    })
}

fn ca_error(exit: EsExit, message: String) -> Failure {
    Failure::HttpCa { exit, message }
}

/// The HTTP CA certificate: `certs/http_ca.crt`, else the CA key entry of `certs/http.p12`
/// (whose password is in the keystore), as Elasticsearch's token generator finds it.
fn http_ca_der(paths: &Paths) -> Result<Vec<u8>, Failure> {
    let pem_path = paths.config_dir.join("certs/http_ca.crt");
    if let Ok(bytes) = read_bounded(&pem_path) {
        return CertificateDer::from_pem_slice(&bytes)
            .map(|c| c.as_ref().to_vec())
            .map_err(|e| {
                ca_error(
                    EsExit::DataError,
                    format!("[{}] holds no PEM certificate: {e}", pem_path.display()),
                )
            });
    }
    let p12_path = paths.config_dir.join("certs/http.p12");
    let p12 = read_bounded(&p12_path).map_err(|e| {
        ca_error(
            EsExit::NoInput,
            format!(
                "cannot read [{}] or [{}]: {e}; is this node auto-configured?",
                pem_path.display(),
                p12_path.display()
            ),
        )
    })?;
    let opened = esac_keystore::open_keystore(&paths.config_dir, &runtime::password_source())
        .map_err(|e| ca_error(EsExit::DataError, e.to_string()))?
        .ok_or_else(|| {
            ca_error(
                EsExit::NoInput,
                "no elasticsearch.keystore: cannot open certs/http.p12".into(),
            )
        })?;
    let password = opened
        .keystore
        .get("xpack.security.http.ssl.keystore.secure_password")
        .ok_or_else(|| {
            ca_error(
                EsExit::Config,
                "the keystore has no xpack.security.http.ssl.keystore.secure_password".into(),
            )
        })?;
    let contents = esac_pki::read_p12(&p12, password)
        .map_err(|e| ca_error(EsExit::DataError, e.to_string()))?;
    let mut cas = contents.ca_key_entries();
    match (cas.next(), cas.next()) {
        (Some(entry), None) => entry.chain.first().cloned().ok_or_else(|| {
            ca_error(
                EsExit::DataError,
                "the CA key entry of http.p12 has no certificate".into(),
            )
        }),
        _ => Err(ca_error(
            EsExit::DataError,
            format!(
                "[{}] must hold exactly one CA key entry",
                p12_path.display()
            ),
        )),
    }
}

/// Certificates and PKCS#12 files are small; nothing larger is read.
const MAX_CERT_FILE: u64 = 1024 * 1024;

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_CERT_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CERT_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_CERT_FILE} bytes"),
        ));
    }
    Ok(bytes)
}

fn elastic_password(file: Option<&Path>, console: &dyn Console) -> Result<Secret, Failure> {
    if let Some(path) = file {
        return PasswordSource::File(PathBuf::from(path))
            .read()
            .map_err(|e| ca_error(EsExit::NoInput, e.to_string()));
    }
    if !console.stdin_is_terminal() {
        return Err(Failure::Usage(
            "the elastic password is read from a terminal prompt or --password-file; neither is available".into(),
        ));
    }
    console
        .read_secret("Enter password for [elastic]: ")
        .map_err(|source| Failure::Io {
            what: "cannot read the password".into(),
            source,
        })
}
