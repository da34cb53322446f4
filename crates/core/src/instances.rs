//! certutil's `instances.yml` (lifecycle §5.1): parsed and validated as
//! `elasticsearch-certutil cert --in` does, with its messages verbatim, plus the checks a bundle
//! needs (unique node names and directory names, node names that can be written into
//! `elasticsearch.yml`).
//!
//! The file is operator-written, untrusted input: the caller reads at most
//! [`MAX_INSTANCES_BYTES`]; the YAML parser bounds nesting and alias expansion; nothing here
//! panics on any input (a fuzz target and a random-input test check it).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use esac_certspec::{DistinguishedName, NodeSubject};
use serde_yaml_ng::Value as Yaml;

/// The largest `instances.yml` read (certutil's examples are a few hundred bytes).
pub const MAX_INSTANCES_BYTES: u64 = 1024 * 1024;

/// The most instances one bundle lays out.
pub const MAX_INSTANCES: usize = 1000;

/// `MAX_FILENAME_LENGTH = 255 - 4`.
const MAX_FILENAME_LENGTH: usize = 251;

/// Directory names of a bundle that an instance's `filename` cannot take.
const RESERVED_FILENAMES: [&str; 2] = ["ca", "bundle.json"];

/// One instance, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// `name`, as written.
    pub name: String,
    /// `filename` (defaults to `name`): the bundle directory of this node.
    pub filename: String,
    /// The certificates' subject: `CN=<name>`, or `name` itself when it contains `=`.
    pub subject: NodeSubject,
    /// `ip`, parsed.
    pub ip: Vec<IpAddr>,
    /// `dns`.
    pub dns: Vec<String>,
    /// `cn`.
    pub cn: Vec<String>,
}

impl Instance {
    /// The node name: the CN (`name` itself unless it is a DN).
    pub fn node_name(&self) -> &str {
        &self.subject.cn
    }
}

/// An instance certutil would refuse, with its messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidInstance {
    /// `name` as written (empty when missing).
    pub name: String,
    /// One message per problem, certutil's first.
    pub messages: Vec<String>,
}

/// Why an `instances.yml` cannot be laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstancesError {
    /// Not UTF-8.
    NotUtf8,
    /// Not YAML, or not certutil's shape.
    Syntax {
        /// The line, when the parser knows it.
        line: Option<usize>,
        /// What is wrong.
        detail: String,
    },
    /// certutil's validation failed for these instances.
    Invalid(Vec<InvalidInstance>),
    /// No instance at all.
    Empty,
    /// More than [`MAX_INSTANCES`].
    TooMany(usize),
}

impl InstancesError {
    /// The lines certutil prints before failing (`Configuration for instance ... has invalid
    /// details`, ` * message`, an empty line), for [`InstancesError::Invalid`].
    pub fn detail_lines(&self) -> Vec<String> {
        let InstancesError::Invalid(bad) = self else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for b in bad {
            out.push(format!(
                "Configuration for instance {} has invalid details",
                b.name
            ));
            for m in &b.messages {
                out.push(format!(" * {m}"));
            }
            out.push(String::new());
        }
        out
    }

    /// The error line for the file at `path` (certutil's for [`InstancesError::Invalid`]).
    pub fn message(&self, path: &str) -> String {
        match self {
            InstancesError::Invalid(_) => format!(
                "File {path} contains invalid configuration details (see messages above)"
            ),
            InstancesError::NotUtf8 => format!("File {path} is not UTF-8 text"),
            InstancesError::Syntax {
                line: Some(l),
                detail,
            } => format!("File {path} is not a valid instances file (line {l}): {detail}"),
            InstancesError::Syntax { line: None, detail } => {
                format!("File {path} is not a valid instances file: {detail}")
            }
            InstancesError::Empty => format!(
                "File {path} lists no instances (expected `instances:` with at least one `- name: ...`)"
            ),
            InstancesError::TooMany(n) => format!(
                "File {path} lists {n} instances; a bundle holds at most {MAX_INSTANCES}"
            ),
        }
    }
}

impl fmt::Display for InstancesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message("instances.yml"))
    }
}

fn syntax(detail: impl Into<String>) -> InstancesError {
    InstancesError::Syntax {
        line: None,
        detail: detail.into(),
    }
}

/// The fields of one instance as written.
#[derive(Default)]
struct Raw {
    name: Option<String>,
    filename: Option<String>,
    ip: Vec<String>,
    dns: Vec<String>,
    cn: Vec<String>,
}

/// Parses and validates raw file bytes.
pub fn parse_instances_bytes(bytes: &[u8]) -> Result<Vec<Instance>, InstancesError> {
    let text = std::str::from_utf8(bytes).map_err(|_| InstancesError::NotUtf8)?;
    parse_instances(text)
}

/// Parses and validates `instances.yml` text: every instance is checked, then one error lists
/// every invalid instance (certutil's `parseAndValidateFile`).
pub fn parse_instances(text: &str) -> Result<Vec<Instance>, InstancesError> {
    let doc: Yaml = serde_yaml_ng::from_str(text).map_err(|e| InstancesError::Syntax {
        line: e.location().map(|l| l.line()),
        detail: e.to_string(),
    })?;
    let raws = raw_instances(doc)?;
    if raws.is_empty() {
        return Err(InstancesError::Empty);
    }
    if raws.len() > MAX_INSTANCES {
        return Err(InstancesError::TooMany(raws.len()));
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for raw in raws {
        match validate(raw) {
            Ok(i) => good.push(i),
            Err(b) => bad.push(b),
        }
    }
    // Checks across instances: directory names and node names must be unique, compared without
    // case (they become directories, and node names are compared by operators).
    if bad.is_empty() {
        for (i, inst) in good.iter().enumerate() {
            let mut messages = Vec::new();
            let earlier = &good[..i];
            if let Some(e) = earlier
                .iter()
                .find(|e| e.node_name().eq_ignore_ascii_case(inst.node_name()))
            {
                messages.push(format!(
                    "duplicate node name [{}]: instance [{}] has it too (node names must be unique, compared without case)",
                    inst.node_name(),
                    e.name
                ));
            }
            if let Some(e) = earlier
                .iter()
                .find(|e| e.filename.eq_ignore_ascii_case(&inst.filename))
            {
                messages.push(format!(
                    "duplicate filename [{}]: instance [{}] has it too (filenames become directory names and must be unique, compared without case)",
                    inst.filename, e.name
                ));
            }
            if !messages.is_empty() {
                bad.push(InvalidInstance {
                    name: inst.name.clone(),
                    messages,
                });
            }
        }
    }
    if bad.is_empty() {
        Ok(good)
    } else {
        Err(InstancesError::Invalid(bad))
    }
}

fn untag(v: Yaml) -> Yaml {
    match v {
        Yaml::Tagged(t) => untag(t.value),
        v => v,
    }
}

fn key_text(k: &Yaml) -> String {
    scalar(k.clone()).unwrap_or_else(|| "<not a scalar>".to_owned())
}

/// A scalar as text (certutil reads numbers and booleans through `text()` too).
fn scalar(v: Yaml) -> Option<String> {
    match untag(v) {
        Yaml::String(s) => Some(s),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The top level: `instances:` only, a list of objects (a single object is accepted as a list of
/// one, as Elasticsearch's object parser does).
fn raw_instances(doc: Yaml) -> Result<Vec<Raw>, InstancesError> {
    let map = match untag(doc) {
        Yaml::Null => return Ok(Vec::new()),
        Yaml::Mapping(m) => m,
        _ => {
            return Err(syntax(
                "the file must be a mapping with an `instances` list",
            ))
        }
    };
    let mut out = Vec::new();
    for (k, v) in map {
        let key = key_text(&k);
        if key != "instances" {
            return Err(syntax(format!("[certgen] unknown field [{key}]")));
        }
        let items = match untag(v) {
            Yaml::Null => Vec::new(),
            Yaml::Sequence(s) => s,
            m @ Yaml::Mapping(_) => vec![m],
            _ => {
                return Err(syntax(
                    "[certgen] failed to parse field [instances]: expected a list of instances",
                ))
            }
        };
        for item in items {
            out.push(raw_instance(item)?);
        }
    }
    Ok(out)
}

fn raw_instance(item: Yaml) -> Result<Raw, InstancesError> {
    let Yaml::Mapping(map) = untag(item) else {
        return Err(syntax(
            "[instances] each instance must be an object with a `name`",
        ));
    };
    let mut raw = Raw::default();
    for (k, v) in map {
        let key = key_text(&k);
        match key.as_str() {
            "name" => raw.name = optional_string(v, "name")?,
            "filename" => raw.filename = optional_string(v, "filename")?,
            "ip" => raw.ip = string_array(v, "ip")?,
            "dns" => raw.dns = string_array(v, "dns")?,
            "cn" => raw.cn = string_array(v, "cn")?,
            other => {
                return Err(syntax(format!("[instances] unknown field [{other}]")));
            }
        }
    }
    Ok(raw)
}

fn optional_string(v: Yaml, field: &str) -> Result<Option<String>, InstancesError> {
    match untag(v) {
        Yaml::Null => Ok(None),
        v => scalar(v).map(Some).ok_or_else(|| {
            syntax(format!(
                "[instances] failed to parse field [{field}]: expected a string"
            ))
        }),
    }
}

/// A list of strings, or one string (Elasticsearch's parser accepts both), or nothing.
fn string_array(v: Yaml, field: &str) -> Result<Vec<String>, InstancesError> {
    let bad = || {
        syntax(format!(
            "[instances] failed to parse field [{field}]: expected a list of strings"
        ))
    };
    match untag(v) {
        Yaml::Null => Ok(Vec::new()),
        Yaml::Sequence(items) => items
            .into_iter()
            .map(|i| scalar(i).ok_or_else(bad))
            .collect(),
        v => scalar(v).map(|s| vec![s]).ok_or_else(bad),
    }
}

/// certutil's `CertificateInformation.validate`, then this tool's own rules.
fn validate(raw: Raw) -> Result<Instance, InvalidInstance> {
    let mut messages = Vec::new();
    let name = raw.name.clone();
    // certutil: `Name.fromUserProvidedName`.
    let subject = match name.as_deref() {
        Some("ca") => {
            messages.push("[ca] may not be used as an instance name".to_owned());
            None
        }
        None => {
            messages.push("instance name may not be null".to_owned());
            None
        }
        Some(n) => {
            // certutil: `new X500Principal(name)` when it contains `=`, else
            // `new X500Principal("CN=" + name)`: the name's specials are read as they are.
            let parsed = if n.contains('=') {
                DistinguishedName::parse(n)
            } else {
                DistinguishedName::parse(&format!("CN={n}"))
            };
            match parsed {
                Err(e) => {
                    messages.push(format!("[{n}] could not be converted to a valid DN\n{e}"));
                    None
                }
                Ok(dn) => {
                    let filename = raw.filename.clone().unwrap_or_else(|| n.to_owned());
                    if !is_valid_filename(&filename) {
                        messages.push(format!("[{filename}] is not a valid filename"));
                    }
                    Some(dn)
                }
            }
        }
    };
    let mut ip = Vec::new();
    for text in &raw.ip {
        match es_inet_address(text) {
            Some(addr) => ip.push(addr),
            None => messages.push(format!("[{text}] is not a valid IP address")),
        }
    }
    for dns in &raw.dns {
        // certutil: `DERIA5String.isIA5String`; an empty name cannot be a dNSName either.
        if !dns.is_ascii() || dns.is_empty() {
            messages.push(format!("[{dns}] is not a valid DNS name"));
        }
    }
    let name = name.unwrap_or_default();
    let filename = raw.filename.clone().unwrap_or_else(|| name.clone());
    // This tool's own rules, once certutil's pass.
    let mut node_name = String::new();
    if messages.is_empty() {
        if let Some(dn) = &subject {
            match dn.cn() {
                None => messages.push(format!(
                    "[{name}] has no CN: the CN of an instance's name is its node name"
                )),
                Some(cn) if !is_node_name(cn) => messages.push(format!(
                    "[{cn}] cannot be a node name: it must be non-empty and hold no quote, backslash or control character (it is written into elasticsearch.yml)"
                )),
                Some(cn) => node_name = cn.to_owned(),
            }
        }
        if RESERVED_FILENAMES
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&filename))
        {
            messages.push(format!(
                "[{filename}] cannot be used as a filename: the bundle keeps its own files there"
            ));
        }
    }
    match subject {
        Some(dn) if messages.is_empty() => Ok(Instance {
            subject: NodeSubject {
                cn: node_name,
                dn: (!dn.is_cn_only()).then_some(dn),
            },
            name,
            filename,
            ip,
            dns: raw.dns,
            cn: raw.cn,
        }),
        _ => Err(InvalidInstance { name, messages }),
    }
}

/// certutil's `Name.isValidFilename`: `[a-zA-Z0-9!@#$%^&{}\[\]()_+\-=,.~'` ]{1,251}`, not
/// starting with `.` (normalising the path changes nothing for such names).
pub fn is_valid_filename(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!@#$%^&{}[]()_+-=,.~'` ".contains(c);
    !name.is_empty()
        && name.len() <= MAX_FILENAME_LENGTH
        && name.chars().all(allowed)
        && !name.starts_with('.')
}

/// A node name that can be written between quotes in `elasticsearch.yml`.
pub fn is_node_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
}

/// Elasticsearch's `InetAddresses.isInetAddress`: an IPv4 dotted quad (no leading zeros) or an
/// IPv6 literal (with an embedded dotted quad, and a `%scope` suffix that is ignored); never a
/// host name.
pub fn es_inet_address(text: &str) -> Option<IpAddr> {
    if !text.is_ascii() {
        return None;
    }
    let addr = match text.split_once('%') {
        Some((_, "")) => return None,
        Some((addr, _)) => addr,
        None => text,
    };
    if addr.contains(':') {
        return addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if !addr.contains('.') {
        return None;
    }
    let parts: Vec<&str> = addr.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        if p.is_empty() || p.len() > 3 || (p.len() > 1 && p.starts_with('0')) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    Some(IpAddr::V4(Ipv4Addr::from(octets)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(text: &str) -> Vec<InvalidInstance> {
        match parse_instances(text) {
            Err(InstancesError::Invalid(b)) => b,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn certutil_s_example_file_parses() {
        let text = "instances:\n  - name: \"node1\"\n    ip:\n      - \"192.0.2.1\"\n    dns:\n      - \"node1.mydomain.com\"\n  - name: \"node2\"\n    ip:\n      - \"192.0.2.2\"\n      - \"198.51.100.1\"\n  - name: \"node3\"\n  - name: \"node4\"\n    dns:\n      - \"node4.mydomain.com\"\n      - \"node4.internal\"\n  - name: \"CN=node5,OU=IT,DC=mydomain,DC=com\"\n    filename: \"node5\"\n";
        let got = parse_instances(text).unwrap();
        let names: Vec<(&str, &str, &str)> = got
            .iter()
            .map(|i| (i.name.as_str(), i.filename.as_str(), i.node_name()))
            .collect();
        assert_eq!(
            names,
            [
                ("node1", "node1", "node1"),
                ("node2", "node2", "node2"),
                ("node3", "node3", "node3"),
                ("node4", "node4", "node4"),
                ("CN=node5,OU=IT,DC=mydomain,DC=com", "node5", "node5"),
            ]
        );
        assert_eq!(got[1].ip.len(), 2);
        assert!(got[0].subject.dn.is_none());
        assert!(got[4].subject.dn.is_some());
    }

    #[test]
    fn single_strings_and_a_single_object_are_lists_of_one() {
        let got = parse_instances("instances:\n  name: es01\n  ip: 10.0.0.1\n  dns: es01.local\n")
            .unwrap();
        assert_eq!(got[0].ip, ["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(got[0].dns, ["es01.local"]);
    }

    #[test]
    fn every_certutil_message() {
        let b = invalid("instances:\n  - name: ca\n    ip: [nope]\n    dns: [\"nœud\"]\n");
        assert_eq!(b[0].name, "ca");
        assert_eq!(
            b[0].messages,
            [
                "[ca] may not be used as an instance name",
                "[nope] is not a valid IP address",
                "[nœud] is not a valid DNS name"
            ]
        );
        let b = invalid("instances:\n  - filename: x\n");
        assert_eq!(b[0].messages, ["instance name may not be null"]);
        assert_eq!(
            InstancesError::Invalid(b).detail_lines(),
            [
                "Configuration for instance  has invalid details",
                " * instance name may not be null",
                ""
            ]
        );
        let b = invalid("instances:\n  - name: \"a,b\"\n");
        assert!(b[0].messages[0].starts_with("[a,b] could not be converted to a valid DN\n"));
        let b = invalid("instances:\n  - name: \".hidden\"\n");
        assert_eq!(b[0].messages, ["[.hidden] is not a valid filename"]);
        let b = invalid("instances:\n  - name: es01\n    filename: \"a/b\"\n");
        assert_eq!(b[0].messages, ["[a/b] is not a valid filename"]);
    }

    #[test]
    fn this_tool_s_own_rules() {
        let b = invalid("instances:\n  - name: es01\n  - name: ES01\n    filename: other\n  - name: es03\n    filename: Es01\n");
        assert_eq!(b.len(), 2);
        assert!(
            b[0].messages[0].starts_with("duplicate node name [ES01]"),
            "{b:?}"
        );
        assert!(
            b[1].messages[0].starts_with("duplicate filename [Es01]"),
            "{b:?}"
        );
        let b = invalid("instances:\n  - name: \"O=x,DC=y\"\n    filename: x\n");
        assert!(b[0].messages[0].contains("has no CN"), "{b:?}");
        let b = invalid("instances:\n  - name: \"a\\tb\"\n    filename: x\n");
        assert!(b[0].messages[0].contains("cannot be a node name"), "{b:?}");
        let b = invalid("instances:\n  - name: es01\n    filename: CA\n");
        assert!(
            b[0].messages[0].contains("cannot be used as a filename"),
            "{b:?}"
        );
    }

    #[test]
    fn shape_errors() {
        for (text, want) in [
            ("foo: 1\n", "[certgen] unknown field [foo]"),
            (
                "instances:\n  - name: a\n    port: 1\n",
                "[instances] unknown field [port]",
            ),
            ("instances: 3\n", "failed to parse field [instances]"),
            ("instances:\n  - [a]\n", "each instance must be an object"),
            (
                "instances:\n  - name: [a]\n",
                "failed to parse field [name]",
            ),
            (
                "instances:\n  - name: a\n    ip: [[1]]\n",
                "failed to parse field [ip]",
            ),
            ("- a\n", "must be a mapping"),
            ("instances:\n  - name: a\n    name: b\n", "duplicate"),
            ("instances: [\n", ""),
        ] {
            match parse_instances(text) {
                Err(InstancesError::Syntax { detail, .. }) => {
                    assert!(detail.contains(want), "{text}: {detail}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert_eq!(parse_instances(""), Err(InstancesError::Empty));
        assert_eq!(parse_instances("instances:\n"), Err(InstancesError::Empty));
        assert_eq!(parse_instances_bytes(b"\xff"), Err(InstancesError::NotUtf8));
    }

    #[test]
    fn ip_literals_as_elasticsearch_reads_them() {
        for ok in [
            "10.0.0.1",
            "::1",
            "fe80::1%eth0",
            "::ffff:10.0.0.1",
            "2001:db8::",
        ] {
            assert!(es_inet_address(ok).is_some(), "{ok}");
        }
        for bad in [
            "010.0.0.1",
            "10.0.0",
            "10.0.0.256",
            "host",
            "10",
            "fe80::1%",
            "1.2.3.4.5",
            "::g",
            "１.2.3.4",
        ] {
            assert!(es_inet_address(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn filenames_as_certutil_allows_them() {
        for ok in ["es01", "node 1", "a(b)[c]{d}", "x".repeat(251).as_str()] {
            assert!(is_valid_filename(ok), "{ok}");
        }
        for bad in [
            "",
            ".x",
            "a/b",
            "a\\b",
            "é",
            "x".repeat(252).as_str(),
            "a*b",
        ] {
            assert!(!is_valid_filename(bad), "{bad}");
        }
    }

    /// Random bytes and random mutations of a valid file: never a panic, and whatever parses is
    /// valid by the rules above.
    #[test]
    fn random_input_never_panics() {
        let seed = "instances:\n  - name: \"CN=es01,O=x\"\n    filename: es01\n    ip: [\"10.0.0.1\", \"::1\"]\n    dns: [es01.local]\n    cn: [es01]\n  - name: es02\n";
        let mut next = crate::fuzzing::xorshift(0x9e37_79b9_7f4a_7c15);
        for round in 0..3000 {
            let mut bytes = seed.as_bytes().to_vec();
            if round % 3 == 0 {
                let len = (next() % 200) as usize;
                bytes = (0..len).map(|_| (next() % 256) as u8).collect();
            } else {
                let edits = next() % 8 + 1;
                crate::fuzzing::mutate(&mut bytes, edits, &mut next, b" :-[]{}\"'\n#&*!=,\\", 128);
            }
            crate::fuzzing::instances(&bytes);
        }
    }
}
