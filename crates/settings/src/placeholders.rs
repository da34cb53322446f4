//! `${VAR}` and `${VAR:default}` placeholders, replaced from the environment.
//!
//! Elasticsearch replaces placeholders in every setting value with environment variables
//! (`Settings.Builder.replacePropertyPlaceholders`); a placeholder that resolves to nothing and has
//! no default is an error.

use std::collections::BTreeMap;

use crate::{SettingsError, Value};

pub(crate) fn resolve(
    map: &mut BTreeMap<String, Value>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SettingsError> {
    for (key, value) in map.iter_mut() {
        match value {
            Value::Null => {}
            Value::Scalar(s) => *s = replace(s, key, env)?,
            Value::List(items) => {
                for s in items.iter_mut() {
                    *s = replace(s, key, env)?;
                }
            }
        }
    }
    Ok(())
}

fn replace(
    text: &str,
    key: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, SettingsError> {
    if !text.contains("${") {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // No closing brace: Elasticsearch leaves the text as it is.
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match env(name).or_else(|| default.map(str::to_owned)) {
            Some(v) => out.push_str(&v),
            None => {
                return Err(SettingsError::UnresolvedPlaceholder {
                    name: name.to_owned(),
                    key: key.to_owned(),
                })
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
