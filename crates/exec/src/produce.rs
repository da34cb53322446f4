//! The [`StepId::Generate`] step's work in memory, and the bytes of every [`Content`].
//!
//! Key generation, the keystore's key derivation (210,000 PBKDF2-SHA512 iterations for format 6)
//! and bcrypt are independent and slow, so they run at once on their own threads. A keystore
//! that cannot be opened is not an error here: it is reported by the step that checks it
//! ([`StepId::KeystoreOpen`]), after the steps Elasticsearch takes before opening it.

use esac_core::plan::{Content, Product, SecretValue};
use esac_core::{Plan, StepId};
use esac_keystore::{DerivedKey, FormatVersion, Keystore, KeystoreFile, MAX_FILE_SIZE};
use esac_pki::{KeySource, Material, Received};
use esac_secret::Secret;

use crate::fsops::ConfigDir;
use crate::ExecErrorKind;

/// What [`produce`] made.
pub(crate) struct Produced {
    pub material: Material,
    pub keystore: Result<(Keystore, DerivedKey), esac_keystore::Error>,
    pub password_hash: Option<Secret>,
    pub transport_password: Secret,
    pub http_password: Secret,
}

/// The run's secrets and key source, handed in by the caller.
pub(crate) struct Sources<'a> {
    pub keys: &'a dyn KeySource,
    pub keystore_password: &'a Secret,
    pub elastic_password: Option<&'a Secret>,
    pub received: Option<&'a Received>,
}

pub(crate) fn produce(
    plan: &Plan,
    products: &[Product],
    src: &Sources<'_>,
    config: &ConfigDir,
) -> Result<Produced, ExecErrorKind> {
    let now = plan
        .certificates
        .certs
        .first()
        .map(|c| c.not_before)
        .unwrap_or(std::time::UNIX_EPOCH);
    let version = FormatVersion::from_number(plan.keystore.format_version as i32)
        .unwrap_or(FormatVersion::CURRENT);
    let want_hash = products.contains(&Product::PasswordHash);
    let (material, keystore, hash) = std::thread::scope(|s| {
        let gen = s.spawn(|| match src.received {
            Some(received) => {
                esac_pki::generate_enrolled(&plan.certificates, received, src.keys, now)
            }
            None => esac_pki::generate(&plan.certificates, src.keys, now),
        });
        let ks = s.spawn(|| open_keystore(plan, config, src.keystore_password, version));
        let hash = want_hash
            .then_some(src.elastic_password)
            .flatten()
            .map(|pw| s.spawn(move || esac_pki::bcrypt_hash(pw)));
        (
            gen.join(),
            ks.join(),
            hash.map(std::thread::ScopedJoinHandle::join),
        )
    });
    let material = material
        .map_err(|_| ExecErrorKind::WorkerPanicked)?
        .map_err(ExecErrorKind::Generate)?;
    let keystore = keystore.map_err(|_| ExecErrorKind::WorkerPanicked)?;
    let password_hash = match hash {
        None => None,
        Some(h) => Some(
            h.map_err(|_| ExecErrorKind::WorkerPanicked)?
                .map_err(ExecErrorKind::Generate)?,
        ),
    };
    Ok(Produced {
        material,
        keystore,
        password_hash,
        transport_password: esac_pki::new_store_password().map_err(ExecErrorKind::Generate)?,
        http_password: esac_pki::new_store_password().map_err(ExecErrorKind::Generate)?,
    })
}

/// Loads and decrypts the existing keystore (reusing its key derivation when the format stays),
/// or creates one with `keystore.seed`, as `KeyStoreWrapper.bootstrap` does.
fn open_keystore(
    plan: &Plan,
    config: &ConfigDir,
    password: &Secret,
    version: FormatVersion,
) -> Result<(Keystore, DerivedKey), esac_keystore::Error> {
    let rel = &plan.keystore.path;
    let path = config.abs(rel);
    if !plan.keystore.exists {
        let ks = Keystore::create()?;
        let key = DerivedKey::new_random(&Secret::default(), version)?;
        return Ok((ks, key));
    }
    let bytes = config
        .read(rel, MAX_FILE_SIZE as u64)
        .map_err(|e| esac_keystore::Error::Io(e).in_file(&path))?;
    let file = KeystoreFile::parse(&bytes).map_err(|e| e.in_file(&path))?;
    let (mut ks, key) = file.decrypt(password).map_err(|e| {
        // Elasticsearch's wrong-password message stays verbatim; everything else names the file.
        if matches!(e.root(), esac_keystore::Error::WrongPassword) {
            e
        } else {
            e.in_file(&path)
        }
    })?;
    ks.add_seed_if_missing()?;
    let key = if key.write_version() == version {
        key
    } else {
        DerivedKey::new_random(password, version)?
    };
    Ok((ks, key))
}

/// Applies the plan's keystore checks to the opened keystore (spec §1.2 steps 12–13, §8.2 step 7).
pub(crate) fn check_keystore(plan: &Plan, produced: &mut Produced) -> Result<(), ExecErrorKind> {
    let (ks, _) = match &mut produced.keystore {
        Ok(opened) => opened,
        Err(_) => {
            let failed = std::mem::replace(
                &mut produced.keystore,
                Err(esac_keystore::Error::KeyMismatch),
            );
            return Err(match failed {
                Err(e) => ExecErrorKind::Keystore(e),
                Ok(_) => ExecErrorKind::WorkerPanicked,
            });
        }
    };
    let edit = &plan.keystore;
    if let Some(missing) = edit.require.iter().find(|s| !ks.contains(s)) {
        return Err(ExecErrorKind::KeystoreMissingSetting(missing));
    }
    for name in &edit.remove {
        ks.remove(name);
    }
    if edit.refuse_if_present.iter().any(|s| ks.contains(s)) {
        return Err(ExecErrorKind::KeystoreHasPasswords);
    }
    Ok(())
}

/// The bytes of `content`.
pub(crate) fn bytes(
    content: &Content,
    plan: &Plan,
    produced: &mut Produced,
    step: StepId,
) -> Result<Vec<u8>, ExecErrorKind> {
    let m = &produced.material;
    match content {
        Content::HttpCaPem => Ok(m.http_ca_pem().into_bytes()),
        Content::TransportP12 => m
            .transport_p12(&produced.transport_password)
            .map_err(ExecErrorKind::Generate),
        Content::HttpP12 => m
            .http_p12(&produced.http_password)
            .map_err(ExecErrorKind::Generate),
        Content::Text(t) => Ok(t.clone().into_bytes()),
        Content::Keystore => {
            let Ok((ks, key)) = &mut produced.keystore else {
                return Err(ExecErrorKind::WorkerPanicked);
            };
            for (name, value) in &plan.keystore.add {
                let v = match value {
                    SecretValue::TransportStorePassword => produced.transport_password.clone(),
                    SecretValue::HttpStorePassword => produced.http_password.clone(),
                    SecretValue::ElasticPasswordHash => match &produced.password_hash {
                        Some(h) => h.clone(),
                        None => {
                            tracing::warn!(step = step.name(), "no password hash was produced");
                            continue;
                        }
                    },
                };
                ks.set_string(name, v).map_err(ExecErrorKind::Keystore)?;
            }
            esac_keystore::encode(ks, key).map_err(ExecErrorKind::Keystore)
        }
    }
}
