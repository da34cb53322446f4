//! The text appended to `elasticsearch.yml` (spec §4.2), byte for byte, and the rewrite of the file
//! (spec §4.1: original lines, each ended by `\n`, then the block).
//!
//! The two values that come from outside (seed hosts from the cluster's answer, the node name
//! from `-E` or `$HOSTNAME`) are written as YAML double-quoted scalars: ordinary values exactly as
//! Elasticsearch writes them (`"value"`), while `"`, `\`, control characters and Unicode line
//! breaks are escaped, so no value can end the list or the line and add a setting.

use esac_settings::Settings;

/// `AUTO_CONFIGURATION_START_MARKER`.
pub const START_MARKER: &str =
    "#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------";
/// `AUTO_CONFIGURATION_END_MARKER`.
pub const END_MARKER: &str =
    "#----------------------- END SECURITY AUTO CONFIGURATION -------------------------";

/// What the conditional lines of the block depend on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockInputs {
    /// Effective node name (`cluster.initial_master_nodes`); `None` writes `${HOSTNAME}`.
    pub node_name: Option<String>,
    /// Enrollment mode: the transport addresses of the cluster (`discovery.seed_hosts`).
    pub seed_hosts: Option<Vec<String>>,
    /// Enrollment mode only: uncomment `transport.host` (the [T+] rule).
    pub transport_host_uncommented: bool,
    /// UTC time of generation, as `dd-MM-yyyy HH:mm:ss`.
    pub timestamp: String,
}

const HTTP_HOST_KEYS: [&str; 6] = [
    "http.host",
    "http.bind_host",
    "http.publish_host",
    "network.host",
    "network.bind_host",
    "network.publish_host",
];
/// The host settings that decide where the transport binds and what it publishes (and so whether
/// Elasticsearch enforces its bootstrap checks).
pub(crate) const TRANSPORT_HOST_KEYS: [&str; 6] = [
    "transport.host",
    "transport.bind_host",
    "transport.publish_host",
    "network.host",
    "network.bind_host",
    "network.publish_host",
];

/// The comment lines of [M]: a cluster of this node only (spec §4.2), also what a bundle with one
/// master writes on it.
pub const SINGLE_MASTER_COMMENT: [&str; 2] = [
    "# Create a new cluster with the current node only",
    "# Additional nodes can still join the cluster later",
];

/// The comment lines of [M'] (lifecycle §5.4): what `init --bundle` writes before
/// `cluster.initial_master_nodes` on the masters of a bundle with more than one master.
/// `finalize` recognises this pair as canonical.
pub const MULTI_MASTER_COMMENT: [&str; 2] = [
    "# Bootstrap a new cluster from these master-eligible nodes",
    "# Remove this setting once the cluster has formed (es-autoconf finalize)",
];

/// `["a", "b"]`: each value [`double_quoted`], joined by `", "` (Elasticsearch's text for
/// ordinary values).
fn flow_list(items: &[String]) -> String {
    let list = items
        .iter()
        .map(|h| double_quoted(h))
        .collect::<Vec<_>>()
        .join(", ");
    format!("[{list}]")
}

/// Renders the block, starting with the empty line that separates it from the original content.
pub fn render_block(settings: &Settings, inputs: &BlockInputs) -> String {
    render(settings, inputs, None)
}

/// The block `init --bundle` writes (lifecycle §5.3, §5.4): [S] with `inputs.seed_hosts` (the
/// masters' addresses), then, when `initial_masters` is not empty (a master of a bundle that
/// bootstraps a cluster), ES's [M] text for one master or [M'] for several, then [H] and [T] by
/// the usual rules; `inputs.transport_host_uncommented` gives [T+].
pub fn render_block_bundle(
    settings: &Settings,
    inputs: &BlockInputs,
    initial_masters: &[String],
) -> String {
    render(settings, inputs, Some(initial_masters))
}

fn render(settings: &Settings, inputs: &BlockInputs, bundle_masters: Option<&[String]>) -> String {
    let mut s = String::with_capacity(2048);
    let mut line = |t: &str| {
        s.push_str(t);
        s.push('\n');
    };
    line("");
    line(START_MARKER);
    line("#");
    line("# The following settings, TLS certificates, and keys have been automatically      ");
    line(&format!(
        "# generated to configure Elasticsearch security features on {}",
        inputs.timestamp
    ));
    line("#");
    line(&format!("# {}", "-".repeat(80)));
    line("");
    line("# Enable security features");
    line("xpack.security.enabled: true");
    line("");
    // [E] unless the operator disabled enrollment explicitly.
    if !(settings.has_value("xpack.security.enrollment.enabled")
        && settings.get_str("xpack.security.enrollment.enabled") == Some("false"))
    {
        line("xpack.security.enrollment.enabled: true");
        line("");
    }
    line(
        "# Enable encryption for HTTP API client connections, such as Kibana, Logstash, and Agents",
    );
    line("xpack.security.http.ssl:");
    line("  enabled: true");
    line("  keystore.path: certs/http.p12");
    line("");
    line("# Enable encryption and mutual authentication between cluster nodes");
    line("xpack.security.transport.ssl:");
    line("  enabled: true");
    line("  verification_mode: certificate");
    line("  keystore.path: certs/transport.p12");
    s.push_str("  truststore.path: certs/transport.p12");

    // Optional blocks: each starts with a line separator (ending the previous line), so the first
    // follows `truststore.path` directly and later ones are separated by one blank line.
    let mut blocks: Vec<Vec<String>> = Vec::new();
    if let Some(hosts) = &inputs.seed_hosts {
        blocks.push(vec![
            "# Discover existing nodes in the cluster".into(),
            format!("discovery.seed_hosts: {}", flow_list(hosts)),
        ]);
    }
    match bundle_masters {
        // A bundle: [M] or [M'] on the masters of a cluster it bootstraps.
        Some(masters) if !masters.is_empty() => {
            let comment = if masters.len() == 1 {
                SINGLE_MASTER_COMMENT
            } else {
                MULTI_MASTER_COMMENT
            };
            blocks.push(vec![
                comment[0].into(),
                comment[1].into(),
                format!("cluster.initial_master_nodes: {}", flow_list(masters)),
            ]);
        }
        Some(_) => {}
        // Elasticsearch: [M] unless enrolling ([S]), single-node, or already set.
        None if inputs.seed_hosts.is_none()
            && settings.get_str("discovery.type") != Some("single-node")
            && !settings.exists("cluster.initial_master_nodes") =>
        {
            let name = inputs.node_name.as_deref().unwrap_or("${HOSTNAME}");
            blocks.push(vec![
                SINGLE_MASTER_COMMENT[0].into(),
                SINGLE_MASTER_COMMENT[1].into(),
                format!("cluster.initial_master_nodes: [{}]", double_quoted(name)),
            ]);
        }
        None => {}
    }
    if !HTTP_HOST_KEYS.iter().any(|k| settings.has_value(k)) {
        blocks.push(vec![
            "# Allow HTTP API connections from anywhere".into(),
            "# Connections are encrypted and require user authentication".into(),
            "http.host: 0.0.0.0".into(),
        ]);
    }
    if !TRANSPORT_HOST_KEYS.iter().any(|k| settings.has_value(k)) {
        let prefix = if inputs.transport_host_uncommented {
            ""
        } else {
            "#"
        };
        blocks.push(vec![
            "# Allow other nodes to join the cluster from anywhere".into(),
            "# Connections are encrypted and mutually authenticated".into(),
            format!("{prefix}transport.host: 0.0.0.0"),
        ]);
    }
    for block in blocks {
        s.push('\n');
        for l in block {
            s.push_str(&l);
            s.push('\n');
        }
    }
    s.push('\n');
    s.push_str(END_MARKER);
    s.push('\n');
    s
}

/// `value` as a YAML double-quoted scalar that reads back as `value`: `"value"` when it holds
/// nothing special (byte-identical to Elasticsearch's block); `"` and `\` escaped with a
/// backslash; control characters (C0, DEL, C1 with NEL) and U+2028, U+2029, U+FEFF as `\uXXXX`,
/// since YAML 1.1 parsers treat some of them as line breaks.
pub fn double_quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if breaks_a_line(c) || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Control characters (C0, DEL, C1 with NEL) and the Unicode line and paragraph separators.
fn breaks_a_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The original file as Java's `Files.readAllLines` sees it, each line ended by `\n`
/// (CRLF and CR become LF; a missing final newline is added), followed by `block`.
pub fn patched_yml(original: &str, block: &str) -> String {
    let mut out = String::with_capacity(original.len() + block.len() + 1);
    for l in java_lines(original) {
        out.push_str(l);
        out.push('\n');
    }
    out.push_str(block);
    out
}

/// What [`patched_yml`] appends to `original`, when its result is `original` followed by
/// something: always, unless `original` holds a carriage return (Java's line reading turns it
/// into a line feed).
pub fn patch_suffix(original: &str, block: &str) -> Option<String> {
    if original.contains('\r') {
        return None;
    }
    let newline = !original.is_empty() && !original.ends_with('\n');
    Some(format!("{}{block}", if newline { "\n" } else { "" }))
}

/// Splits like `BufferedReader.readLine`: on `\n`, `\r\n` or `\r`; no trailing empty line.
pub fn java_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Settings Elasticsearch's own block writes; anything else found inside a block was added by the
/// operator and survives a reconfiguration (`removePreviousAutoconfiguration`).
pub const BLOCK_SETTINGS: [&str; 10] = [
    "xpack.security.enabled",
    "xpack.security.enrollment.enabled",
    "xpack.security.transport.ssl.keystore.path",
    "xpack.security.transport.ssl.truststore.path",
    "xpack.security.transport.ssl.verification_mode",
    "xpack.security.http.ssl.enabled",
    "xpack.security.transport.ssl.enabled",
    "xpack.security.http.ssl.keystore.path",
    "cluster.initial_master_nodes",
    "http.host",
];

/// Removes the first BEGIN..END block from the yml (spec §8.2 step 4). Returns `None` when there
/// is no block; otherwise the remaining text, with settings the operator added inside the block
/// re-appended as `key: value` lines at the end. An unparsable block is an error (its text).
pub fn strip_autoconfiguration(original: &str) -> Result<Option<String>, String> {
    let joined = java_lines(original).join("\n");
    let Some(start) = joined.find(START_MARKER) else {
        return Ok(None);
    };
    let Some(end_rel) = joined[start..].find(END_MARKER) else {
        return Ok(None);
    };
    let stanza = &joined[start..start + end_rel + END_MARKER.len()];
    let found = esac_settings::Settings::from_yaml(stanza, "elasticsearch.yml", &|_| None)
        .map_err(|e| e.to_string())?;
    // Java's String.replace replaces every occurrence, and split drops trailing empty strings.
    let rest = joined.replace(stanza, "");
    let mut lines: Vec<String> = rest.split('\n').map(str::to_owned).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    for (key, value) in found.iter() {
        if BLOCK_SETTINGS.contains(&key) {
            continue;
        }
        let v = match value {
            esac_settings::Value::Null => "null".to_owned(),
            // A value with a line break or control character cannot be written plain.
            esac_settings::Value::Scalar(s) if s.chars().any(breaks_a_line) => double_quoted(s),
            esac_settings::Value::Scalar(s) => s.clone(),
            esac_settings::Value::List(items) => {
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| double_quoted(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        lines.push(format!("{key}: {v}"));
    }
    let mut out = String::new();
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    Ok(Some(out))
}
