//! Errors building settings. Messages name the file and line, and quote Elasticsearch's wording
//! where Elasticsearch has one.

use std::fmt;

/// Why settings could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingsError {
    /// The file is not valid UTF-8.
    NotUtf8 {
        /// The file.
        file: String,
        /// 1-based line of the first invalid byte.
        line: usize,
    },
    /// The file is not valid YAML.
    InvalidYaml {
        /// The file.
        file: String,
        /// 1-based line, when the parser knows it.
        line: Option<usize>,
        /// The parser's explanation.
        detail: String,
    },
    /// More aliases of collections than SnakeYAML allows (an alias expansion bomb).
    TooManyAliases {
        /// The file.
        file: String,
        /// The limit.
        max: usize,
    },
    /// The document expands (through aliases) to more values than its size allows.
    TooManyValues {
        /// The file.
        file: String,
        /// The limit.
        max: usize,
    },
    /// The top level of the file is not a mapping.
    NotAMapping {
        /// The file.
        file: String,
    },
    /// The same flattened key appears twice (`a.b: 1` and `a: {b: 2}`, or a repeated key).
    DuplicateKey {
        /// The file.
        file: String,
        /// The flattened key.
        key: String,
        /// 1-based line of the second occurrence, when known.
        line: Option<usize>,
    },
    /// An `-E` option without `=`.
    OverrideNotKeyValue {
        /// The option text.
        arg: String,
    },
    /// An `-E key=` option with an empty value.
    OverrideEmpty {
        /// The key.
        key: String,
    },
    /// The same key given twice with `-E`.
    OverrideTwice {
        /// The key.
        key: String,
    },
    /// A `${VAR}` placeholder with no such environment variable and no default.
    UnresolvedPlaceholder {
        /// The variable name.
        name: String,
        /// The setting whose value holds it.
        key: String,
    },
    /// A boolean setting with another value.
    NotBoolean {
        /// The key.
        key: String,
        /// The value found.
        value: String,
    },
}

impl SettingsError {
    /// Whether this is a command-line usage error (Elasticsearch exits with USAGE, 64).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::OverrideNotKeyValue { .. }
                | Self::OverrideEmpty { .. }
                | Self::OverrideTwice { .. }
        )
    }
}

fn at_line(line: &Option<usize>) -> String {
    line.map(|l| format!(" at line {l}")).unwrap_or_default()
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotUtf8 { file, line } => {
                write!(f, "the configuration file [{file}] is not valid UTF-8 (first invalid byte at line {line}); save it as UTF-8")
            }
            Self::InvalidYaml { file, line, detail } => {
                write!(f, "the configuration file [{file}] is not valid YAML{}: {detail}", at_line(line))
            }
            Self::TooManyAliases { file, max } => write!(
                f,
                "the configuration file [{file}] uses more than {max} aliases of lists or mappings \
                 (`*name` of an `&name` collection), which expands without bound; refused as \
                 SnakeYAML refuses it (\"Number of aliases for non-scalar nodes exceeds the \
                 specified max={max}\")"
            ),
            Self::TooManyValues { file, max } => write!(
                f,
                "the configuration file [{file}] expands through aliases to more than {max} \
                 values, or to more than four times its size in text; refused"
            ),
            Self::NotAMapping { file } => {
                write!(f, "the configuration file [{file}] must hold a mapping of settings at its top level")
            }
            Self::DuplicateKey { file, key, line } => {
                write!(f, "duplicate settings key [{key}] found in [{file}]{}; keep one of them", at_line(line))
            }
            Self::OverrideNotKeyValue { arg } => write!(f, "setting [{arg}] must be in the form key=value"),
            Self::OverrideEmpty { key } => write!(f, "setting [{key}] must not be empty"),
            Self::OverrideTwice { key } => write!(f, "setting [{key}] set twice via command line -E"),
            Self::UnresolvedPlaceholder { name, key } => {
                write!(f, "Could not resolve placeholder '{name}' in setting [{key}]; set the environment variable {name} or remove the placeholder")
            }
            Self::NotBoolean { key, value } => write!(
                f,
                "Failed to parse value [{value}] as only [true] or [false] are allowed (setting [{key}])"
            ),
        }
    }
}

impl std::error::Error for SettingsError {}
