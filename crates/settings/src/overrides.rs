//! `-E key=value` options, validated as Elasticsearch's `EnvironmentAwareCommand` does.

use std::collections::BTreeSet;

use crate::SettingsError;

/// Parses `-E` arguments into `(key, value)` pairs, in order.
pub fn parse_overrides(args: &[String]) -> Result<Vec<(String, String)>, SettingsError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(args.len());
    for arg in args {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(SettingsError::OverrideNotKeyValue { arg: arg.clone() });
        };
        if value.is_empty() {
            return Err(SettingsError::OverrideEmpty {
                key: key.to_owned(),
            });
        }
        if !seen.insert(key.to_owned()) {
            return Err(SettingsError::OverrideTwice {
                key: key.to_owned(),
            });
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}
