//! `es-autoconf enrollment-token`: create an enrollment token on a running node, as
//! `bin/elasticsearch-create-enrollment-token` does, for Kibana or for another node.
//!
//! The `elastic` password comes from a terminal prompt or `--password-file`, never from a flag
//! value (flags are visible to every user in the process list).

use std::io::{BufRead, IsTerminal};
use std::time::{SystemTime, UNIX_EPOCH};

use esac_core::{EsExit, UserError};
use esac_enroll::{ApiOptions, TokenScope};
use esac_secret::Secret;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::cli::{EnrollmentTokenArgs, Format, GlobalArgs};
use crate::paths::Paths;

/// Runs `enrollment-token`.
pub fn run(global: &GlobalArgs, args: &EnrollmentTokenArgs) -> Result<EsExit, UserError> {
    let paths = Paths::resolve(global)?;
    let scope = if args.scope == "node" {
        TokenScope::Node
    } else {
        TokenScope::Kibana
    };
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| "https://localhost:9200".into());
    let address = url
        .strip_prefix("https://")
        .ok_or_else(|| {
            UserError::new(
                EsExit::Usage,
                format!("the URL [{url}] must start with https://"),
            )
        })?
        .trim_end_matches('/')
        .to_owned();
    let ca = http_ca_der(&paths)?;
    let fingerprint = esac_pki::sha256_hex(&ca);
    let password = elastic_password(args)?;
    let opts = ApiOptions::new(address, ca, password, scope);
    let token = esac_enroll::create_enrollment_token(&opts).map_err(|e| e.to_user_error())?;
    let encoded = token.encode();
    let encoded = encoded.expose_str().unwrap_or_default();
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() + 30 * 60)
        .unwrap_or(0);
    match global.format {
        Format::Json => {
            let doc = serde_json::json!({
                "token": encoded,
                "scope": scope.name(),
                "addresses": token.addresses,
                "http_ca_fingerprint": fingerprint,
                "expires_at_epoch_seconds": expires,
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        Format::Text => {
            println!("{encoded}");
            if !global.silent {
                eprintln!(
                    "Enrollment token for {} (valid for 30 minutes, until epoch {expires}), addresses [{}], CA fingerprint {fingerprint}",
                    scope.name(),
                    token.addresses.join(", ")
                );
            }
        }
    }
    Ok(EsExit::Ok)
}

/// The HTTP CA certificate: `certs/http_ca.crt`, else the CA key entry of `certs/http.p12`
/// (whose password is in the keystore), as Elasticsearch's token generator finds it.
fn http_ca_der(paths: &Paths) -> Result<Vec<u8>, UserError> {
    let pem_path = paths.config_dir.join("certs/http_ca.crt");
    if let Ok(bytes) = std::fs::read(&pem_path) {
        return CertificateDer::from_pem_slice(&bytes)
            .map(|c| c.as_ref().to_vec())
            .map_err(|e| {
                UserError::new(
                    EsExit::DataError,
                    format!("[{}] holds no PEM certificate: {e}", pem_path.display()),
                )
            });
    }
    let p12_path = paths.config_dir.join("certs/http.p12");
    let p12 = std::fs::read(&p12_path).map_err(|e| {
        UserError::new(
            EsExit::NoInput,
            format!(
                "cannot read [{}] or [{}]: {e}; is this node auto-configured?",
                pem_path.display(),
                p12_path.display()
            ),
        )
    })?;
    let source = esac_keystore::PasswordSource::from_passphrase_file_var(std::env::var_os(
        "ES_KEYSTORE_PASSPHRASE_FILE",
    ));
    let opened = esac_keystore::open_keystore(&paths.config_dir, &source)
        .map_err(|e| UserError::new(EsExit::DataError, e.to_string()))?
        .ok_or_else(|| {
            UserError::new(
                EsExit::NoInput,
                "no elasticsearch.keystore: cannot open certs/http.p12",
            )
        })?;
    let password = opened
        .keystore
        .get("xpack.security.http.ssl.keystore.secure_password")
        .ok_or_else(|| {
            UserError::new(
                EsExit::Config,
                "the keystore has no xpack.security.http.ssl.keystore.secure_password",
            )
        })?;
    let contents = esac_pki::read_p12(&p12, password)
        .map_err(|e| UserError::new(EsExit::DataError, e.to_string()))?;
    let mut cas = contents.ca_key_entries();
    match (cas.next(), cas.next()) {
        (Some(entry), None) => entry.chain.first().cloned().ok_or_else(|| {
            UserError::new(
                EsExit::DataError,
                "the CA key entry of http.p12 has no certificate",
            )
        }),
        _ => Err(UserError::new(
            EsExit::DataError,
            format!(
                "[{}] must hold exactly one CA key entry",
                p12_path.display()
            ),
        )),
    }
}

fn elastic_password(args: &EnrollmentTokenArgs) -> Result<Secret, UserError> {
    if let Some(path) = &args.password_file {
        let f = std::fs::File::open(path).map_err(|e| {
            UserError::new(
                EsExit::NoInput,
                format!("cannot read [{}]: {e}", path.display()),
            )
        })?;
        let mut line = String::new();
        std::io::BufReader::new(f)
            .read_line(&mut line)
            .map_err(|e| {
                UserError::new(
                    EsExit::IoError,
                    format!("cannot read [{}]: {e}", path.display()),
                )
            })?;
        let trimmed = line.trim_end_matches(['\n', '\r']).to_owned();
        zeroize::Zeroize::zeroize(&mut line);
        return Ok(Secret::from_string(trimmed));
    }
    if !std::io::stdin().is_terminal() {
        return Err(UserError::new(
            EsExit::Usage,
            "the elastic password is read from a terminal prompt or --password-file; neither is available",
        ));
    }
    eprint!("Enter password for [elastic]: ");
    rpassword::read_password()
        .map(Secret::from_string)
        .map_err(|e| UserError::new(EsExit::IoError, format!("cannot read the password: {e}")))
}
