//! The human-readable rendering of a [`Plan`], as `--dry-run` prints it: every step in order with
//! its target, mode, owner rule and undo, then the certificates, the keystore change and the exact
//! text appended to `elasticsearch.yml`. Plans hold setting names, never values, so no secret can
//! reach it.

use std::fmt::Write as _;

use crate::plan::{
    Action, Existing, FileWrite, ModeRule, Operation, OwnerRule, Plan, Undo, YmlChange,
};

fn owner_text(owner: OwnerRule) -> String {
    match owner {
        OwnerRule::Runner { gid: None } => "owner: this user".into(),
        OwnerRule::Runner { gid: Some(g) } => format!("owner: this user, group {g}"),
        OwnerRule::KeepReplaced { gid: None } => "owner and group kept".into(),
        OwnerRule::KeepReplaced { gid: Some(g) } => format!("owner kept, group {g}"),
        OwnerRule::RunnerMustOwnReplaced { gid: None } => {
            "owner: this user (an existing file must be this user's)".into()
        }
        OwnerRule::RunnerMustOwnReplaced { gid: Some(g) } => {
            format!("owner: this user (an existing file must be this user's), group {g}")
        }
    }
}

fn mode_text(mode: ModeRule) -> String {
    match mode {
        ModeRule::Set(m) => format!("mode {m:04o}"),
        ModeRule::KeepReplaced => "mode kept".into(),
    }
}

fn undo_text(plan: &Plan, undo: &Undo) -> String {
    let l = &plan.layout;
    match undo {
        Undo::Nothing => String::new(),
        Undo::RemoveJournal => "undo: remove the journal".into(),
        Undo::RemoveDir(p) => format!("undo: remove {}", l.abs(p).display()),
        Undo::RemoveFile(p) => format!("undo: remove {}", l.abs(p).display()),
        Undo::RenameBack { from, .. } => format!("undo: rename back to {}", l.abs(from).display()),
        Undo::RestoreBackup { target, .. } => {
            format!("undo: put the backup back as {}", l.abs(target).display())
        }
    }
}

fn write_text(plan: &Plan, verb: &str, w: &FileWrite) -> String {
    let what = plan.describe_content(&w.content);
    let replace = match w.existing {
        Existing::Absent => "",
        Existing::Replaced => ", replaced atomically",
    };
    format!(
        "{verb} {}  {}  ({what}; {}{replace})",
        plan.layout.abs(&w.path).display(),
        mode_text(w.mode),
        owner_text(w.owner),
    )
}

/// What one step does, in one line (without its undo).
pub fn step_text(plan: &Plan, action: &Action) -> String {
    let l = &plan.layout;
    match action {
        Action::BeginJournal => format!(
            "journal {}  (records each change so an interrupted run can be undone)",
            l.abs(&l.journal()).display()
        ),
        Action::CreateDir { path, mode, owner } => format!(
            "create {}  mode {mode:04o}  ({})",
            l.abs(path).display(),
            owner_text(*owner)
        ),
        Action::CheckSameOwner { path } => format!(
            "check  {} belongs to the owner of {}",
            l.abs(path).display(),
            l.config_dir().display()
        ),
        Action::Produce(products) => {
            let what: Vec<&str> = products
                .iter()
                .map(|p| match (p, plan.operation) {
                    (crate::plan::Product::Certificates(_), Operation::Bundle) => {
                        "take the keys and certificates listed below from the bundle (none is generated)"
                    }
                    _ => p.describe(),
                })
                .collect();
            format!("in memory: {}", what.join("; "))
        }
        Action::Backup { target, backup } => format!(
            "backup {} -> {}  (hard link: the same file)",
            l.abs(target).display(),
            l.abs(backup).display()
        ),
        Action::CheckKeystore => match plan.keystore() {
            Some(k) if k.refuse_if_present.is_empty() => "check  the keystore opens".into(),
            _ => "check  the keystore opens and holds no TLS passwords yet".into(),
        },
        Action::WriteFile(w) => write_text(plan, "write ", w),
        Action::Rename { from, to } => format!(
            "rename {} -> {}",
            l.abs(from).display(),
            l.abs(to).display()
        ),
        Action::Commit(w) => write_text(plan, "commit", w),
        Action::Cleanup(paths) if paths.is_empty() => "clean  the journal".into(),
        Action::Cleanup(paths) => {
            let names: Vec<String> = paths
                .iter()
                .map(|p| l.abs(p).display().to_string())
                .collect();
            format!("clean  {} and the journal", names.join(", "))
        }
        Action::Discard(paths) => {
            let names: Vec<String> = paths
                .iter()
                .map(|p| l.abs(p).display().to_string())
                .collect();
            format!(
                "mark   {} for removal once the run has committed",
                names.join(", ")
            )
        }
    }
}

/// Human-readable plan, as `--dry-run` prints it.
pub fn plan_text(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Plan ({}):",
        match plan.operation {
            Operation::Initial => "new cluster, this node first",
            Operation::Enroll => "join an existing cluster with an enrollment token",
            Operation::Reconfigure =>
                "replace this node's auto-configuration and join an existing cluster",
            Operation::RenewHttp => "renew this node's HTTP certificate under the same CA",
            Operation::RenewHttpCa => "re-issue the HTTP CA certificate with the same key",
            Operation::Finalize => "remove bootstrap-only settings and leftovers",
            Operation::Bundle => "one node of a cluster laid out offline (init --bundle)",
        }
    );
    if let Some(b) = &plan.about.bundle {
        let _ = writeln!(s, "  bundle: {}", b.dir.display());
        let _ = writeln!(
            s,
            "  master-eligible: {}",
            if b.master { "yes" } else { "no" }
        );
        let _ = writeln!(s, "  discovery.seed_hosts: {}", b.seed_hosts.join(", "));
        if !b.initial_master_nodes.is_empty() {
            let _ = writeln!(
                s,
                "  cluster.initial_master_nodes: {} (remove once the cluster has formed: es-autoconf finalize)",
                b.initial_master_nodes.join(", ")
            );
        }
    }
    if let Some(name) = &plan.about.node_name {
        let _ = writeln!(s, "  node name: {name}");
    }
    match plan.about.elasticsearch_version {
        Some((a, b, c)) => {
            let _ = writeln!(s, "  Elasticsearch version: {a}.{b}.{c} (from lib/)");
        }
        None => {
            let _ = writeln!(
                s,
                "  Elasticsearch version: not detected (no lib/elasticsearch-X.Y.Z.jar)"
            );
        }
    }

    let _ = writeln!(s, "\nSteps:");
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(
            s,
            "  {:>2}. {:<20} {}",
            i + 1,
            step.id.name(),
            step_text(plan, &step.action)
        );
        let undo = undo_text(plan, &step.action.undo());
        if !undo.is_empty() {
            let _ = writeln!(s, "      {:<20} {undo}", "");
        }
    }

    let _ = writeln!(s, "\nFiles (where they end up):");
    for (path, w) in plan.written_files() {
        let _ = writeln!(
            s,
            "  {}  {}  ({})",
            plan.layout.abs(&path).display(),
            mode_text(w.mode),
            plan.describe_content(&w.content)
        );
    }

    if let Some(certs) = plan.certificates() {
        let _ = writeln!(s, "\nCertificates:");
        for c in &certs.certs {
            let origin = match (c.generated, plan.operation) {
                (true, _) => "generate",
                (false, Operation::Bundle) => "from the bundle",
                (false, _) => "receive",
            };
            let _ = writeln!(
                s,
                "  {} ({origin}, {}, {}):",
                c.role.name(),
                c.key_type.name(),
                c.key_type.signature_algorithm()
            );
            let _ = writeln!(s, "    subject: {}", c.subject_text());
            let _ = writeln!(s, "    issuer:  {}", c.issuer_dn());
            let _ = writeln!(
                s,
                "    validity: {} days{}",
                c.validity_days,
                if c.is_ca { ", CA" } else { "" }
            );
            if !c.key_usage.is_empty() {
                let names: Vec<&str> = c.key_usage.iter().map(|k| k.name()).collect();
                let _ = writeln!(s, "    key usage: {}", names.join(", "));
            }
            if !c.extended_key_usage.is_empty() {
                let names: Vec<&str> = c.extended_key_usage.iter().map(|k| k.name()).collect();
                let _ = writeln!(s, "    extended key usage: {}", names.join(", "));
            }
            if !c.sans.is_empty() {
                let sans: Vec<String> = c.sans.iter().map(ToString::to_string).collect();
                let _ = writeln!(s, "    SANs: {}", sans.join(", "));
            }
        }
    }

    if let Some(e) = plan.http_store() {
        renewal_text(&mut s, e);
    }

    if let Some(k) = plan.keystore() {
        let _ = writeln!(
            s,
            "\nKeystore {} ({}):",
            plan.layout.abs(&k.path).display(),
            if k.exists { "update" } else { "create" }
        );
        let _ = writeln!(
            s,
            "  format version {} ({})",
            k.format_version,
            k.format_reason_text()
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
        for name in &k.remove {
            let _ = writeln!(s, "  remove {name}");
        }
        for (name, _) in &k.add {
            let _ = writeln!(s, "  add {name} = <generated>");
        }
        if plan.generates_password() {
            let _ = writeln!(s, "  (the elastic password itself is never stored)");
        }
    }

    if let Some(y) = plan.yml() {
        let path = plan.layout.abs(&plan.layout.yml());
        match &y.change {
            YmlChange::Append {
                block,
                previous_block_removed,
            } => {
                let _ = writeln!(
                    s,
                    "\n{} {}:",
                    if *previous_block_removed {
                        "Remove the previous auto-configuration block from, then append to"
                    } else {
                        "Append to"
                    },
                    path.display()
                );
                let _ = writeln!(s, "---8<---");
                s.push_str(block);
                let _ = writeln!(s, "--->8---");
            }
            YmlChange::Lines { removed, added } => {
                let _ = writeln!(s, "\nChange {}:", path.display());
                for (n, line) in removed {
                    let _ = writeln!(s, "  -{n}: {line}");
                }
                for line in added {
                    let _ = writeln!(s, "  +   {line}");
                }
            }
        }
    }
    s
}

/// The certificates a renewal makes.
fn renewal_text(s: &mut String, e: &crate::plan::HttpStoreEdit) {
    use crate::plan::CaChange;
    match &e.ca {
        CaChange::Keep => {}
        CaChange::Reissue(r) => {
            let _ = writeln!(s, "\nHTTP CA certificate (re-issued):");
            s.push_str(&r.to_string());
        }
        CaChange::Import { cert, .. } => {
            let _ = writeln!(s, "\nHTTP CA certificate (imported):");
            let _ = writeln!(s, "  subject:   {}", cert.subject);
            let _ = writeln!(s, "  SHA-256:   {}", cert.sha256);
            let _ = writeln!(
                s,
                "  validity:  {} to {}",
                esac_certspec::Utc(cert.not_before),
                esac_certspec::Utc(cert.not_after)
            );
        }
    }
    if let Some(leaf) = &e.leaf {
        let _ = writeln!(s, "\nHTTP certificate (renewed):");
        s.push_str(&leaf.to_string());
    }
}
