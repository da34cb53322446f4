//! The one renderer of decisions and plans: `--dry-run` text, `--format json`, and the snapshots
//! tests compare against. No secret can reach it: plans hold setting names, never values.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::plan::Plan;

/// `decision` in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The node is (or would be) configured.
    Configure,
    /// Left as it is.
    Skip,
    /// Stopped by an error.
    Error,
}

/// `reason` in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReasonOut {
    /// Stable machine-readable code.
    pub code: String,
    /// Human-readable message (Elasticsearch's where it has one).
    pub message: String,
}

/// The JSON document printed by `--format json` (documented in docs/cli.md).
#[derive(Clone, Debug, Serialize)]
pub struct Report<'a> {
    /// Schema version of this document.
    pub version: u32,
    /// `configure` | `skip` | `error`.
    pub decision: Outcome,
    /// The process exit status.
    pub exit_code: u8,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Why.
    pub reason: ReasonOut,
    /// Resolved Elasticsearch home.
    pub es_home: &'a Path,
    /// Resolved config directory.
    pub config_dir: &'a Path,
    /// The plan, when the decision is `configure`.
    pub plan: Option<&'a Plan>,
    /// The HTTP CA fingerprint, after a real run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_ca_fingerprint: Option<String>,
    /// Notes for the operator (recovered leftovers, credentials channel, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

fn mode_str(mode: Option<u32>) -> String {
    mode.map(|m| format!("{m:04o}"))
        .unwrap_or_else(|| "kept".into())
}

/// Human-readable plan, as `--dry-run` prints it.
pub fn plan_text(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Plan ({}):",
        match plan.mode {
            crate::Mode::Initial => "new cluster, this node first",
            crate::Mode::Enroll => "join an existing cluster with an enrollment token",
        }
    );
    let _ = writeln!(s, "  node name: {}", plan.node_name);
    match &plan.elasticsearch_version {
        Some(v) => {
            let _ = writeln!(s, "  Elasticsearch version: {v} (from lib/)");
        }
        None => {
            let _ = writeln!(
                s,
                "  Elasticsearch version: not detected (no lib/elasticsearch-X.Y.Z.jar)"
            );
        }
    }
    let _ = writeln!(s, "\nDirectories:");
    for d in &plan.dirs {
        let _ = writeln!(
            s,
            "  create {}  mode {:04o}  ({})",
            d.path.display(),
            d.mode,
            d.purpose
        );
    }
    if let Some(b) = &plan.certs_backup {
        let _ = writeln!(
            s,
            "  move   {} -> {}",
            plan.certs_dir.display(),
            b.display()
        );
    }
    let _ = writeln!(
        s,
        "  rename {} -> {}",
        plan.staging_dir.display(),
        plan.certs_dir.display()
    );
    let _ = writeln!(s, "\nFiles:");
    for f in &plan.files {
        let _ = writeln!(
            s,
            "  write  {}  mode {}  ({})",
            f.path.display(),
            mode_str(f.mode),
            f.content
        );
    }
    let _ = writeln!(s, "\nCertificates:");
    for c in &plan.certificates {
        let origin = if c.generated { "generate" } else { "receive" };
        let _ = writeln!(
            s,
            "  {} ({origin}, {}, {}):",
            c.name,
            c.key_type.name(),
            c.signature_algorithm
        );
        let _ = writeln!(s, "    subject: {}", c.subject);
        let _ = writeln!(s, "    issuer:  {}", c.issuer);
        let _ = writeln!(
            s,
            "    validity: {} days{}",
            c.validity_days,
            if c.ca { ", CA" } else { "" }
        );
        if !c.key_usage.is_empty() {
            let _ = writeln!(s, "    key usage: {}", c.key_usage.join(", "));
        }
        if !c.extended_key_usage.is_empty() {
            let _ = writeln!(
                s,
                "    extended key usage: {}",
                c.extended_key_usage.join(", ")
            );
        }
        if !c.sans.is_empty() {
            let _ = writeln!(s, "    SANs: {}", c.sans.join(", "));
        }
    }
    let k = &plan.keystore;
    let _ = writeln!(s, "\nKeystore {} ({}):", k.path.display(), k.action);
    if let Some(b) = &k.backup {
        let _ = writeln!(s, "  backup to {}", b.display());
    }
    let _ = writeln!(
        s,
        "  format version {} ({})",
        k.format_version, k.format_reason
    );
    let _ = writeln!(
        s,
        "  password: {}",
        if k.password_protected {
            "protected, kept"
        } else {
            "none (as Elasticsearch creates it)"
        }
    );
    for name in &k.add {
        let _ = writeln!(s, "  add {name} = <generated>");
    }
    let _ = writeln!(s, "\nAppend to {}:", plan.yml.path.display());
    let _ = writeln!(s, "---8<---");
    s.push_str(&plan.yml.append);
    let _ = writeln!(s, "--->8---");
    s
}
