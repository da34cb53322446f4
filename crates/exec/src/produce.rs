//! The [`StepId::Generate`] step's work in memory, and the bytes of every [`Content`].
//!
//! Key generation, the keystore's key derivation (210,000 PBKDF2-SHA512 iterations for format 6)
//! and bcrypt are independent and slow, so they run at once on their own threads. A keystore
//! that cannot be opened is not an error here: it is reported by the step that checks it
//! ([`StepId::KeystoreOpen`]), after the steps Elasticsearch takes before opening it.

use esac_certspec::CertPlan;
use esac_certspec::RenewKey;
use esac_core::plan::{CaChange, Content, HttpStoreEdit, KeystoreEdit, Product, SecretValue};
use esac_core::StepId;
use esac_keystore::{DerivedKey, FormatVersion, Keystore, KeystoreFile, MAX_FILE_SIZE};
use esac_pki::{CertifiedKey, KeySource, Material, Received};
use esac_secret::Secret;

use crate::fsops::ConfigDir;
use crate::{ExecErrorKind, Renewal};

/// A keystore opened (or created) with the key it is saved with, or why it could not be.
pub(crate) type Opened = Result<(Keystore, DerivedKey), esac_keystore::Error>;

/// What [`produce`] made.
#[derive(Default)]
pub(crate) struct Produced {
    pub material: Option<Material>,
    pub keystore: Option<(KeystoreEdit, Opened)>,
    /// The identity of the keystore file that was read, when one was: it must still be there
    /// when the keystore is backed up and replaced.
    pub keystore_read: Option<crate::fsops::Identity>,
    pub password_hash: Option<Secret>,
    pub transport_password: Secret,
    pub http_password: Secret,
    pub http_store: Option<Rebuilt>,
}

/// `http.p12` rebuilt by a renewal, in memory, with what it must read back as.
pub(crate) struct Rebuilt {
    pub ca_alias: String,
    pub ca: CertifiedKey,
    pub leaf_alias: String,
    pub leaf: CertifiedKey,
    pub sans: Option<Vec<esac_certspec::SanEntry>>,
    pub password: Secret,
    pub p12: Vec<u8>,
}

/// The run's secrets and key source, handed in by the caller.
pub(crate) struct Sources<'a> {
    pub keys: &'a dyn KeySource,
    pub keystore_password: &'a Secret,
    pub elastic_password: Option<&'a Secret>,
    pub received: Option<&'a Received>,
    pub renewal: Option<&'a Renewal>,
}

/// What the slow part of `products` is, for a progress line: key generation.
pub(crate) fn describe(products: &[Product]) -> Option<String> {
    let renewed_key = products.iter().find_map(|p| match p {
        Product::HttpStore(e) => match e.leaf.as_ref().map(|l| l.key) {
            Some(RenewKey::New(kt)) => Some(kt),
            _ => None,
        },
        _ => None,
    });
    if let Some(kt) = renewed_key {
        return Some(format!("Generating 1 {kt} key and certificate..."));
    }
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
    let http_store = match products.iter().find_map(|p| match p {
        Product::HttpStore(e) => Some(e),
        _ => None,
    }) {
        Some(edit) => Some(rebuild(edit, src)?),
        None => None,
    };
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
        let ks = edit.map(|e| {
            s.spawn(move || {
                let mut read = None;
                let opened = open_keystore(e, config, src.keystore_password, &mut read);
                (opened, read)
            })
        });
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
    let (keystore, keystore_read) = match (keystore, edit) {
        (Some(k), Some(e)) => {
            let (opened, read) = k.map_err(|_| ExecErrorKind::WorkerPanicked)?;
            (Some((e.clone(), opened)), read)
        }
        _ => (None, None),
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
        keystore_read,
        password_hash,
        transport_password: esac_pki::new_store_password().map_err(ExecErrorKind::Generate)?,
        http_password: esac_pki::new_store_password().map_err(ExecErrorKind::Generate)?,
        http_store,
    })
}

/// The renewal's certificates, signed, and the store holding them (lifecycle spec §3.3, §3.4):
/// the CA entry keeps its key (with the same or the re-issued certificate), the node's entry
/// gets chain `[leaf, CA]`, the aliases and the password are the old store's.
fn rebuild(edit: &HttpStoreEdit, src: &Sources<'_>) -> Result<Rebuilt, ExecErrorKind> {
    let r = src
        .renewal
        .ok_or(ExecErrorKind::MissingInput("HTTP store to renew"))?;
    let old = &r.store;
    let ca = match &edit.ca {
        CaChange::Keep => old.ca.clone(),
        CaChange::Reissue(spec) => {
            esac_pki::reissue_ca(spec, &old.ca).map_err(ExecErrorKind::Generate)?
        }
        CaChange::Import { der, .. } => {
            CertifiedKey::from_der(old.ca.key().pkcs8_der().clone(), der)
                .map_err(ExecErrorKind::Generate)?
        }
    };
    let (leaf, sans) = match &edit.leaf {
        None => (old.leaf.clone(), None),
        Some(spec) => {
            let key = match spec.key {
                RenewKey::New(kt) => fresh_key(src.keys, kt, &[&old.ca, &old.leaf])?,
                RenewKey::Reuse => old.leaf.key().clone(),
            };
            let leaf = esac_pki::renew_leaf(spec, &ca, &key).map_err(ExecErrorKind::Generate)?;
            (leaf, Some(spec.sans.clone()))
        }
    };
    let millis = edit
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0);
    let p12 = esac_pki::http_p12_as(
        &old.ca_alias,
        &ca,
        &old.leaf_alias,
        &leaf,
        &r.password,
        millis,
    )
    .map_err(ExecErrorKind::Generate)?;
    Ok(Rebuilt {
        ca_alias: old.ca_alias.clone(),
        ca,
        leaf_alias: old.leaf_alias.clone(),
        leaf,
        sans,
        password: r.password.clone(),
        p12,
    })
}

/// A new key of type `kt` that is none of `taken`'s keys. A real key source never repeats a
/// key; a test pool hands its keys out in turn, and the new HTTP key must not be the CA's.
fn fresh_key(
    keys: &dyn KeySource,
    kt: esac_certspec::KeyType,
    taken: &[&CertifiedKey],
) -> Result<esac_pki::PrivateKey, ExecErrorKind> {
    for _ in 0..16 {
        let key = keys.generate(kt).map_err(ExecErrorKind::Generate)?;
        let reused = taken
            .iter()
            .any(|t| t.key().pkcs8_der().expose() == key.pkcs8_der().expose());
        if !reused {
            return Ok(key);
        }
    }
    Err(ExecErrorKind::Generate(esac_pki::Error::KeyGeneration {
        key_type: kt,
        reason: "the key source keeps returning a key already in use".into(),
    }))
}

/// Whether a written `content` is read back and checked before it is committed.
pub(crate) fn verified(content: &Content) -> bool {
    matches!(content, Content::RebuiltHttpP12 | Content::RebuiltHttpCaPem)
}

/// Checks what was written for `content`, read back from the file: a rebuilt `http.p12` opens
/// with its password and holds exactly the planned aliases, certificates and chain, each key
/// matching its certificate and the node's certificate issued by the CA; a CA PEM is the CA.
pub(crate) fn verify_written(
    content: &Content,
    produced: &Produced,
    back: &[u8],
) -> Result<(), ExecErrorKind> {
    let fail = |why: String| Err(ExecErrorKind::Verify(why));
    let Some(r) = &produced.http_store else {
        return Ok(());
    };
    match content {
        Content::RebuiltHttpP12 => {
            let contents = match esac_pki::read_p12(back, &r.password) {
                Ok(c) => c,
                Err(e) => return fail(e.to_string()),
            };
            let store = match esac_pki::http_store(&contents) {
                Ok(s) => s,
                Err(e) => return fail(e.to_string()),
            };
            if store.ca_alias != r.ca_alias || store.leaf_alias != r.leaf_alias {
                return fail("the aliases changed".into());
            }
            if store.ca.cert_der() != r.ca.cert_der() || store.leaf.cert_der() != r.leaf.cert_der()
            {
                return fail("the certificates are not the ones signed".into());
            }
            if store.leaf_chain != [r.leaf.cert_der().to_vec(), r.ca.cert_der().to_vec()] {
                return fail("the node's chain is not [certificate, CA]".into());
            }
            if let Some(sans) = &r.sans {
                match esac_pki::sans_of(store.leaf.cert_der()) {
                    Ok(got) if got == *sans => {}
                    _ => return fail("the SANs are not the planned ones".into()),
                }
            }
            Ok(())
        }
        Content::RebuiltHttpCaPem => {
            if back == r.ca.cert_pem().as_bytes() {
                Ok(())
            } else {
                fail("the CA certificate file does not hold the CA certificate".into())
            }
        }
        _ => Ok(()),
    }
}

/// Loads and decrypts the existing keystore (reusing its key derivation when the format stays),
/// or creates one with `keystore.seed`, as `KeyStoreWrapper.bootstrap` does.
fn open_keystore(
    edit: &KeystoreEdit,
    config: &ConfigDir,
    password: &Secret,
    read_id: &mut Option<crate::fsops::Identity>,
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
    let (bytes, read) = config
        .read_identified(rel, MAX_FILE_SIZE as u64)
        .map_err(|e| esac_keystore::Error::Io(e).in_file(&path))?;
    *read_id = Some(read);
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
        Content::Yml(y) => Ok(y.after().into_owned().into_bytes()),
        Content::RebuiltHttpP12 => produced
            .http_store
            .as_ref()
            .map(|r| r.p12.clone())
            .ok_or(ExecErrorKind::MissingInput("rebuilt HTTP store")),
        Content::RebuiltHttpCaPem => produced
            .http_store
            .as_ref()
            .map(|r| r.ca.cert_pem().into_bytes())
            .ok_or(ExecErrorKind::MissingInput("rebuilt HTTP store")),
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
