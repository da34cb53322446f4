//! The [`StepId::Generate`] step's work in memory, and the bytes of every [`Content`].
//!
//! Key generation, the keystore's key derivation (210,000 PBKDF2-SHA512 iterations for format 6)
//! and bcrypt are independent and slow, so they run at once on their own threads. A keystore
//! that cannot be opened is not an error here: it is reported by the step that checks it
//! ([`StepId::KeystoreOpen`]), after the steps Elasticsearch takes before opening it.

use esac_certspec::CertPlan;
use esac_core::plan::{Content, KeystoreEdit, Product, SecretValue};
use esac_core::StepId;
use esac_keystore::{DerivedKey, FormatVersion, Keystore, KeystoreFile, MAX_FILE_SIZE};
use esac_pki::{KeySource, Material, Received};
use esac_secret::Secret;

use crate::fsops::ConfigDir;
use crate::ExecErrorKind;

/// A keystore opened (or created) with the key it is saved with, or why it could not be.
pub(crate) type Opened = Result<(Keystore, DerivedKey), esac_keystore::Error>;

/// What [`produce`] made.
#[derive(Default)]
pub(crate) struct Produced {
    pub material: Option<Material>,
    pub keystore: Option<(KeystoreEdit, Opened)>,
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

/// What the slow part of `products` is, for a progress line: key generation.
pub(crate) fn describe(products: &[Product]) -> Option<String> {
    let certs = products.iter().find_map(|p| match p {
        Product::Certificates(c) => Some(c),
        _ => None,
    })?;
    let keys: Vec<_> = certs.generated().collect();
    let first = keys.first()?;
    Some(format!(
        "Generating {} {} key{} and certificate{}...",
        keys.len(),
        first.key_type,
        if keys.len() == 1 { "" } else { "s" },
        if keys.len() == 1 { "" } else { "s" },
    ))
}

pub(crate) fn produce(
    products: &[Product],
    src: &Sources<'_>,
    config: &ConfigDir,
) -> Result<Produced, ExecErrorKind> {
    let certs: Option<&CertPlan> = products.iter().find_map(|p| match p {
        Product::Certificates(c) => Some(c),
        _ => None,
    });
    let edit: Option<&KeystoreEdit> = products.iter().find_map(|p| match p {
        Product::Keystore(k) => Some(k),
        _ => None,
    });
    let want_hash = products.iter().any(|p| matches!(p, Product::PasswordHash));
    let (material, keystore, hash) = std::thread::scope(|s| {
        let gen = certs.map(|plan| {
            s.spawn(move || {
                let now = plan
                    .certs
                    .first()
                    .map(|c| c.not_before)
                    .unwrap_or(std::time::UNIX_EPOCH);
                match src.received {
                    Some(received) => esac_pki::generate_enrolled(plan, received, src.keys, now),
                    None => esac_pki::generate(plan, src.keys, now),
                }
            })
        });
        let ks = edit.map(|e| s.spawn(move || open_keystore(e, config, src.keystore_password)));
        let hash = want_hash
            .then_some(src.elastic_password)
            .flatten()
            .map(|pw| s.spawn(move || esac_pki::bcrypt_hash(pw)));
        (
            gen.map(std::thread::ScopedJoinHandle::join),
            ks.map(std::thread::ScopedJoinHandle::join),
            hash.map(std::thread::ScopedJoinHandle::join),
        )
    });
    let material = match material {
        None => None,
        Some(m) => Some(
            m.map_err(|_| ExecErrorKind::WorkerPanicked)?
                .map_err(ExecErrorKind::Generate)?,
        ),
    };
    let keystore = match (keystore, edit) {
        (Some(k), Some(e)) => Some((e.clone(), k.map_err(|_| ExecErrorKind::WorkerPanicked)?)),
        _ => None,
    };
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
    edit: &KeystoreEdit,
    config: &ConfigDir,
    password: &Secret,
) -> Result<(Keystore, DerivedKey), esac_keystore::Error> {
    let version =
        FormatVersion::from_number(edit.format_version as i32).unwrap_or(FormatVersion::CURRENT);
    let rel = &edit.path;
    let path = config.abs(rel);
    if !edit.exists {
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

/// Applies the keystore edit's checks to the opened keystore (spec §1.2 steps 12–13, §8.2
/// step 7).
pub(crate) fn check_keystore(produced: &mut Produced) -> Result<(), ExecErrorKind> {
    let Some((edit, opened)) = &mut produced.keystore else {
        return Err(ExecErrorKind::WorkerPanicked);
    };
    let ks = match opened {
        Ok((ks, _)) => ks,
        Err(_) => {
            let failed = std::mem::replace(opened, Err(esac_keystore::Error::KeyMismatch));
            return Err(match failed {
                Err(e) => ExecErrorKind::Keystore(e),
                Ok(_) => ExecErrorKind::WorkerPanicked,
            });
        }
    };
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
    produced: &mut Produced,
    step: StepId,
) -> Result<Vec<u8>, ExecErrorKind> {
    let material = || {
        produced
            .material
            .as_ref()
            .ok_or(ExecErrorKind::WorkerPanicked)
    };
    match content {
        Content::HttpCaPem => Ok(material()?.http_ca_pem().into_bytes()),
        Content::TransportP12 => material()?
            .transport_p12(&produced.transport_password)
            .map_err(ExecErrorKind::Generate),
        Content::HttpP12 => material()?
            .http_p12(&produced.http_password)
            .map_err(ExecErrorKind::Generate),
        Content::Yml(y) => Ok(y.after.clone().into_bytes()),
        Content::Keystore => {
            let Some((edit, Ok((ks, key)))) = &mut produced.keystore else {
                return Err(ExecErrorKind::WorkerPanicked);
            };
            for (name, value) in &edit.add {
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
