//! Elasticsearch settings as the node builds them before auto-configuration decides (spec Appendix B):
//! `elasticsearch.yml` parsed and flattened to dotted keys, `${VAR}` placeholders replaced from the
//! environment, `-E key=value` overrides on top, and `node.name` defaulted to `$HOSTNAME`.
//!
//! Architecture invariant: this crate does no I/O. The caller reads the file and the environment and
//! passes them in, so every rule here is testable with plain strings.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bounded;
mod error;
mod flatten;
mod overrides;
mod placeholders;

use std::collections::BTreeMap;

pub use bounded::{EXTRA_VALUES, MAX_COLLECTION_ALIASES};
pub use error::SettingsError;
pub use overrides::parse_overrides;

/// One setting value, as Elasticsearch's `Settings` stores it: text, a list of texts, or null.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A key written with no value (`key:`); it exists but has no value.
    Null,
    /// A scalar, rendered as text (`true`, `9200`, `node-1`).
    Scalar(String),
    /// A YAML sequence of scalars.
    List(Vec<String>),
}

/// Flat settings: dotted keys to values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    map: BTreeMap<String, Value>,
}

impl Settings {
    /// Builds settings from `(key, value)` pairs; later pairs replace earlier ones.
    pub fn from_pairs<I, K>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Self {
            map: pairs.into_iter().map(|(k, v)| (k.into(), v)).collect(),
        }
    }

    /// Parses the text of an `elasticsearch.yml`. `file` names the file in error messages;
    /// `env` resolves `${VAR}` placeholders.
    pub fn from_yaml(
        text: &str,
        file: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let map = flatten::parse_and_flatten(text, file)?;
        let mut settings = Self { map };
        placeholders::resolve(&mut settings.map, env)?;
        Ok(settings)
    }

    /// Parses raw file bytes: non-UTF-8 content is an error naming the file and line.
    pub fn from_yaml_bytes(
        bytes: &[u8],
        file: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            SettingsError::NotUtf8 {
                file: file.to_owned(),
                line,
            }
        })?;
        Self::from_yaml(text, file, env)
    }

    /// Applies `-E` overrides on top (they win over the file).
    pub fn apply_overrides(
        &mut self,
        overrides: &[(String, String)],
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), SettingsError> {
        let mut extra = BTreeMap::new();
        for (k, v) in overrides {
            extra.insert(k.clone(), Value::Scalar(v.clone()));
        }
        placeholders::resolve(&mut extra, env)?;
        self.map.extend(extra);
        Ok(())
    }

    /// Sets `key` to `value` unless the key exists (Elasticsearch's defaults, e.g. `node.name`).
    pub fn set_default(&mut self, key: &str, value: Value) {
        self.map.entry(key.to_owned()).or_insert(value);
    }

    /// The raw value of a key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// Whether the key exists at all, even with a null value (`Setting.exists`).
    pub fn exists(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Whether the key exists with a non-null value.
    pub fn has_value(&self, key: &str) -> bool {
        matches!(self.map.get(key), Some(Value::Scalar(_) | Value::List(_)))
    }

    /// A scalar value as text. Lists and nulls are `None`.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        match self.map.get(key) {
            Some(Value::Scalar(s)) => Some(s),
            _ => None,
        }
    }

    /// A value as a list, as `Settings.getAsList` reads it: a list stays a list, a scalar is split
    /// on commas (trimmed, empty parts dropped), an absent or null key is empty.
    pub fn get_list(&self, key: &str) -> Vec<String> {
        match self.map.get(key) {
            Some(Value::List(v)) => v.clone(),
            Some(Value::Scalar(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether any key starts with `prefix` (`Settings.getByPrefix(prefix).isEmpty() == false`).
    pub fn any_with_prefix(&self, prefix: &str) -> bool {
        self.map
            .range(prefix.to_owned()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(prefix))
    }

    /// Keys starting with `prefix`, in order.
    pub fn keys_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.map
            .range(prefix.to_owned()..)
            .map(|(k, _)| k.as_str())
            .take_while(move |k| k.starts_with(prefix))
    }

    /// A boolean setting parsed strictly as Elasticsearch does (`true` / `false` only).
    pub fn get_bool(&self, key: &str, default: bool) -> Result<bool, SettingsError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Scalar(s)) if s == "true" => Ok(true),
            Some(Value::Scalar(s)) if s == "false" => Ok(false),
            Some(Value::Scalar(s)) => Err(SettingsError::NotBoolean {
                key: key.to_owned(),
                value: s.clone(),
            }),
            Some(Value::List(_)) => Err(SettingsError::NotBoolean {
                key: key.to_owned(),
                value: "[...]".into(),
            }),
        }
    }

    /// All keys and values, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests;
