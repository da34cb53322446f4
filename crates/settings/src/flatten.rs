//! YAML text to flat dotted keys: `xpack: {security: {enabled: true}}` and
//! `xpack.security.enabled: true` are the same setting; a key reached twice is an error.

use std::collections::BTreeMap;

use serde_yaml_ng::Value as Yaml;

use crate::{bounded, SettingsError, Value};

pub(crate) fn parse_and_flatten(
    text: &str,
    file: &str,
) -> Result<BTreeMap<String, Value>, SettingsError> {
    let aliases = bounded::collection_aliases(text, bounded::MAX_COLLECTION_ALIASES);
    if aliases > bounded::MAX_COLLECTION_ALIASES {
        return Err(SettingsError::TooManyAliases {
            file: file.to_owned(),
            max: bounded::MAX_COLLECTION_ALIASES,
        });
    }
    let doc: Yaml = bounded::parse(text).map_err(|refused| {
        let e = match refused {
            bounded::Refused::Yaml(e) => e,
            bounded::Refused::TooManyValues(max) => {
                return SettingsError::TooManyValues {
                    file: file.to_owned(),
                    max,
                }
            }
        };
        let detail = e.to_string();
        if let Some(key) = duplicate_key_in_message(&detail) {
            // The parser points at the start of the mapping; find the repeated line instead.
            let line = last_line_mentioning(text, &key).or_else(|| e.location().map(|l| l.line()));
            return SettingsError::DuplicateKey {
                file: file.to_owned(),
                line,
                key,
            };
        }
        SettingsError::InvalidYaml {
            file: file.to_owned(),
            line: e.location().map(|l| l.line()),
            detail,
        }
    })?;
    let mut out = BTreeMap::new();
    match doc {
        Yaml::Null => {}
        Yaml::Mapping(m) => flatten_mapping(&m, "", &mut out, text, file)?,
        Yaml::Tagged(t) => match t.value {
            Yaml::Mapping(m) => flatten_mapping(&m, "", &mut out, text, file)?,
            _ => {
                return Err(SettingsError::NotAMapping {
                    file: file.to_owned(),
                })
            }
        },
        _ => {
            return Err(SettingsError::NotAMapping {
                file: file.to_owned(),
            })
        }
    }
    Ok(out)
}

/// The YAML parser reports a repeated key as `duplicate entry with key "..."`.
fn duplicate_key_in_message(msg: &str) -> Option<String> {
    let rest = msg.split("duplicate entry with key ").nth(1)?;
    let rest = rest.strip_prefix('"')?;
    Some(rest.split('"').next()?.to_owned())
}

fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::String(s) => Some(s.clone()),
        Yaml::Tagged(t) => scalar_text(&t.value),
        Yaml::Null | Yaml::Sequence(_) | Yaml::Mapping(_) => None,
    }
}

fn insert(
    out: &mut BTreeMap<String, Value>,
    key: String,
    value: Value,
    text: &str,
    file: &str,
) -> Result<(), SettingsError> {
    if out.contains_key(&key) {
        let line = last_line_mentioning(text, &key);
        return Err(SettingsError::DuplicateKey {
            file: file.to_owned(),
            key,
            line,
        });
    }
    out.insert(key, value);
    Ok(())
}

/// Best-effort line of the later occurrence of a key, for the error message: the last line
/// whose key part is the key's last segment.
fn last_line_mentioning(text: &str, key: &str) -> Option<usize> {
    let last = key.rsplit('.').next().unwrap_or(key);
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with(last) && t[last.len()..].trim_start().starts_with(':')
                || t.starts_with(key) && t[key.len()..].trim_start().starts_with(':')
        })
        .map(|(i, _)| i + 1)
        .last()
}

fn flatten_mapping(
    m: &serde_yaml_ng::Mapping,
    prefix: &str,
    out: &mut BTreeMap<String, Value>,
    text: &str,
    file: &str,
) -> Result<(), SettingsError> {
    for (k, v) in m {
        let Some(k) = scalar_text(k) else {
            return Err(SettingsError::InvalidYaml {
                file: file.to_owned(),
                line: None,
                detail: "a settings key must be a plain scalar".into(),
            });
        };
        let key = if prefix.is_empty() {
            k
        } else {
            format!("{prefix}.{k}")
        };
        flatten_value(v, key, out, text, file)?;
    }
    Ok(())
}

fn flatten_value(
    v: &Yaml,
    key: String,
    out: &mut BTreeMap<String, Value>,
    text: &str,
    file: &str,
) -> Result<(), SettingsError> {
    match v {
        Yaml::Mapping(m) => flatten_mapping(m, &key, out, text, file),
        Yaml::Null => insert(out, key, Value::Null, text, file),
        Yaml::Sequence(items) => {
            if items.iter().all(|i| scalar_text(i).is_some()) {
                let list = items.iter().filter_map(scalar_text).collect();
                insert(out, key, Value::List(list), text, file)
            } else {
                // Lists of objects flatten with their index, as Elasticsearch does (`key.0.field`).
                for (i, item) in items.iter().enumerate() {
                    flatten_value(item, format!("{key}.{i}"), out, text, file)?;
                }
                Ok(())
            }
        }
        Yaml::Tagged(t) => flatten_value(&t.value, key, out, text, file),
        other => match scalar_text(other) {
            Some(s) => insert(out, key, Value::Scalar(s), text, file),
            None => Ok(()),
        },
    }
}
