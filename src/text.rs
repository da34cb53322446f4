//! What `init` and `reconfigure` print: the dry-run plan, the skip message, the one-time banner
//! (on a terminal), or the summary on stderr; under `--format json`, the document of `json.rs`.
//! What `status` prints: its text report, or the monitoring-plugin status line.

use std::path::Path;

use esac_app::init::{Delivered, InitOutcome, PasswordChannel};
use esac_app::Paths;
use esac_certspec::Utc;
use esac_core::render::plan_text;
use esac_secret::Secret;

use crate::cli::Format;
use crate::json::Report;
use crate::printer::Printer;

/// Prints an `init`/`reconfigure` outcome and returns the exit status.
pub fn init_outcome(
    command: &'static str,
    paths: &Paths,
    dry_run: bool,
    outcome: &InitOutcome,
    printer: &Printer,
) -> u8 {
    let mut notes = printer.notes();
    if dry_run {
        notes.insert(0, "dry run: nothing was written".into());
    }
    if let InitOutcome::Planned {
        token_addresses: Some(addresses),
        ..
    } = outcome
    {
        notes.push(format!(
            "dry run: the enrollment token was decoded but none of its addresses [{}] was contacted; discovery.seed_hosts comes from the cluster's answer",
            addresses.join(", ")
        ));
    }
    if printer.format == Format::Json {
        printer.json(&Report::outcome(command, outcome, paths, dry_run, notes));
        return exit_of(outcome);
    }
    match outcome {
        InitOutcome::Skipped(skip) => {
            // Elasticsearch hides VERBOSE skip messages unless -v; an explicit run says why it
            // did nothing unless asked to be silent (silent skips are a top complaint).
            if !printer.silent() {
                let mut text = String::new();
                if dry_run {
                    text.push_str(&format!("Decision: skip (exit {})\n", skip.exit));
                }
                text.push_str(&skip.message);
                text.push('\n');
                printer.out(&text);
            }
        }
        InitOutcome::Planned { plan, password, .. } => {
            let mut text =
                String::from("Decision: configure (exit 0)\nDry run: nothing was written.\n\n");
            for n in notes.iter().skip(1) {
                text.push_str(n);
                text.push_str("\n\n");
            }
            text.push_str(&plan_text(plan));
            let channel = match password {
                PasswordChannel::ClusterHasOne => {
                    "none generated: the cluster already has one".to_owned()
                }
                PasswordChannel::File(p) => {
                    format!("written to the new file {} (mode 0600)", p.display())
                }
                PasswordChannel::Terminal => "shown once on this terminal".into(),
                PasswordChannel::NotGenerated => "none generated (no terminal, or JSON output); set it later with bin/elasticsearch-reset-password -u elastic".into(),
                PasswordChannel::Bundle => "none generated: a cluster laid out offline sets it once, after it has formed (bin/elasticsearch-reset-password -u elastic)".into(),
            };
            text.push_str(&format!("\nelastic password: {channel}\n"));
            printer.out(&text);
        }
        InitOutcome::Configured {
            plan,
            fingerprint,
            password,
            joined,
        } => {
            let ca = plan
                .layout
                .abs(&plan.layout.certs_file(esac_core::CertFile::HttpCaCrt));
            if let Delivered::Terminal(pw) = password {
                banner(printer, pw, fingerprint, &ca);
            } else if !printer.silent() {
                printer.err("Security auto-configuration is complete: TLS is configured for the HTTP and transport layers.");
                printer.err(&format!(
                    "HTTP CA certificate SHA-256 fingerprint: {fingerprint}"
                ));
                printer.err(&format!("HTTP CA certificate: {}", ca.display()));
                match (joined, password) {
                    (_, Delivered::None(PasswordChannel::Bundle)) => {
                        bundle_summary(printer, plan)
                    }
                    (Some(j), _) => printer.err(&format!(
                        "This node will join the cluster of {} (discovery.seed_hosts: {}).",
                        j.url,
                        j.seed_hosts.join(", ")
                    )),
                    (None, Delivered::File(p)) => printer.err(&format!(
                        "The elastic user's password is in {} (mode 0600).",
                        p.display()
                    )),
                    (None, _) => printer.err(
                        "No password was generated for the elastic user (standard output is not a terminal).\nSet one once the node runs: bin/elasticsearch-reset-password -u elastic\n(or run es-autoconf init with --credentials-file PATH to receive one without a terminal)",
                    ),
                }
            }
        }
    }
    exit_of(outcome)
}

/// After `init --bundle`: what the node will do, and the two steps left to the operator.
fn bundle_summary(printer: &Printer, plan: &esac_core::Plan) {
    let Some(b) = &plan.about.bundle else {
        return;
    };
    let name = plan.about.node_name.as_deref().unwrap_or_default();
    let role = if b.master {
        "a master-eligible node"
    } else {
        "a node"
    };
    printer.err(&format!(
        "This node ({name}) is {role} of a cluster laid out offline; discovery.seed_hosts: {}.",
        b.seed_hosts.join(", ")
    ));
    if !b.initial_master_nodes.is_empty() {
        printer.err(&format!(
            "It bootstraps the cluster with cluster.initial_master_nodes: {}. Once the cluster has formed, run `es-autoconf finalize` here to remove that setting.",
            b.initial_master_nodes.join(", ")
        ));
    }
    printer.err("No elastic password was generated: once the cluster has formed, set it once on any node with bin/elasticsearch-reset-password -u elastic");
}

/// What `layout` prints once the bundle is written: every node with its role and SANs, the CA
/// fingerprints, the discovery settings, and what to do next.
pub fn layout_summary(
    plan: &esac_core::bundle::BundlePlan,
    m: &esac_core::bundle::BundleManifest,
) -> String {
    use std::fmt::Write as _;
    let out = plan.out.display();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Bundle written: {out} ({} node(s), key type {})",
        m.instances.len(),
        m.key_type
    );
    let _ = writeln!(s, "HTTP CA SHA-256 fingerprint:      {}", m.http_ca.sha256);
    let _ = writeln!(
        s,
        "transport CA SHA-256 fingerprint: {}",
        m.transport_ca.sha256
    );
    if m.bootstrap {
        let _ = writeln!(s, "cluster.initial_master_nodes: {}", m.masters.join(", "));
    } else {
        let _ = writeln!(s, "joins the cluster of masters: {}", m.masters.join(", "));
    }
    let _ = writeln!(s, "discovery.seed_hosts: {}\n", m.seed_hosts.join(", "));
    for i in &m.instances {
        let _ = writeln!(
            s,
            "  {:<16} master: {:<3}  {}  SANs: {}",
            i.node_name,
            if i.master { "yes" } else { "no" },
            format_args!("{out}/{}", i.filename),
            i.http_sans.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "\nOn each machine, apply its directory: es-autoconf init --bundle {out}/<node>"
    );
    let _ = writeln!(
        s,
        "Clients (Kibana, Beats, curl) trust {out}/ca/http_ca.crt."
    );
    if m.bootstrap {
        let _ = writeln!(
            s,
            "Once the cluster has formed, run es-autoconf finalize on the masters: it removes cluster.initial_master_nodes."
        );
    }
    s
}

fn exit_of(outcome: &InitOutcome) -> u8 {
    match outcome {
        InitOutcome::Skipped(skip) => skip.exit.code(),
        InitOutcome::Planned { .. } | InitOutcome::Configured { .. } => 0,
    }
}

/// Elasticsearch's first-start banner; only called when standard output is a terminal.
fn banner(printer: &Printer, password: &Secret, fingerprint: &str, ca: &Path) {
    let rule = "━".repeat(78);
    let (bold, unbold) = printer.bold();
    let before = format!(
        "\n{rule}\n✅ Elasticsearch security features have been automatically configured!\n✅ Authentication is enabled and cluster connections are encrypted.\n\nℹ️  Password for the elastic user (reset with `bin/elasticsearch-reset-password -u elastic`):\n  {bold}"
    );
    let after = format!(
        "{unbold}\n\nℹ️  HTTP CA certificate SHA-256 fingerprint:\n  {fingerprint}\n\nℹ️  HTTP CA certificate: {ca}\nℹ️  Once the node runs, try:\n  curl --cacert {ca} -u elastic https://localhost:9200\n\nℹ️  Configure Kibana to use this cluster, once the node runs:\n• Create an enrollment token: bin/elasticsearch-create-enrollment-token -s kibana\n• Paste it into Kibana in your browser (valid for 30 minutes).\n{rule}\n\n",
        ca = ca.display()
    );
    printer.secret(&[before.as_bytes(), password.expose(), after.as_bytes()]);
}

/// Prints a `renew` outcome and returns the exit status: the dry-run plan on stdout, a skip's
/// reason on stdout, the summary of a renewal on stderr; under `--format json`, the document.
pub fn renew_outcome(
    paths: &Paths,
    req: &esac_app::renew::RenewRequest,
    outcome: &esac_app::renew::RenewOutcome,
    printer: &Printer,
) -> u8 {
    use esac_app::renew::{RenewOutcome, Target};
    let exit = outcome.exit().code();
    let mut notes = printer.notes();
    if req.dry_run {
        notes.insert(0, "dry run: nothing was written".into());
    }
    let report = outcome.report();
    let summary = renew_summary(report, matches!(outcome, RenewOutcome::Renewed { .. }));
    if printer.format == Format::Json {
        printer.json(&crate::json::RenewDoc::of(
            outcome,
            paths,
            req.dry_run,
            notes,
            &summary,
        ));
        return exit;
    }
    match outcome {
        RenewOutcome::Skipped { message, .. } => {
            if !printer.silent() {
                printer.out(&format!("{message}\n"));
            }
        }
        RenewOutcome::Planned { plan, .. } => {
            let mut text = format!(
                "Decision: renew (exit 0)\nDry run: nothing was written.\n\n{}",
                plan_text(plan)
            );
            text.push('\n');
            for line in &summary {
                text.push_str(line);
                text.push('\n');
            }
            printer.out(&text);
        }
        RenewOutcome::Renewed { .. } if printer.silent() && exit != 0 => {
            // `-s` shows errors only: the one line that explains the exit status.
            if let Some(line) = summary.iter().rev().find(|l| l.starts_with("WARNING: ")) {
                printer.err(&line.replacen("WARNING: ", "ERROR: ", 1));
            }
        }
        RenewOutcome::Renewed { .. } => {
            let what = match report.target {
                Target::Http => "the HTTP certificate",
                Target::HttpCa => "the HTTP CA certificate",
            };
            printer.info(&format!(
                "Renewed {what} of {}.",
                paths.config_dir.join("certs/http.p12").display()
            ));
            for line in &summary {
                printer.info(line);
            }
        }
    }
    exit
}

fn cert_line(c: &esac_app::renew::CertReport) -> String {
    let mut s = String::new();
    if let Some(serial) = &c.serial {
        s.push_str(&format!("serial {serial}, "));
    }
    s.push_str(&format!(
        "valid {} to {} ({} days left)",
        esac_certspec::Utc(c.not_before).rfc3339(),
        esac_certspec::Utc(c.not_after).rfc3339(),
        c.days_left
    ));
    s
}

/// What a renewal found and made, line by line (the same lines in every mode).
pub fn renew_summary(r: &esac_app::renew::RenewReport, done: bool) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!("HTTP certificate before: {}", cert_line(&r.before)));
    if let Some(after) = &r.after {
        out.push(format!(
            "HTTP certificate {}: {}{}",
            if done { "after" } else { "planned" },
            cert_line(after),
            if r.capped_by_ca {
                " (capped at the CA's expiry)"
            } else {
                ""
            }
        ));
        out.push(format!("HTTP certificate SANs: {}", after.sans.join(", ")));
    }
    out.push(format!(
        "HTTP CA certificate before: {}",
        cert_line(&r.ca_before)
    ));
    if let Some(sha) = &r.ca_before.sha256 {
        out.push(format!(
            "HTTP CA certificate SHA-256 fingerprint before: {sha}"
        ));
    }
    if let Some(ca) = &r.ca_after {
        out.push(format!(
            "HTTP CA certificate {}: {}",
            if done { "after" } else { "planned" },
            cert_line(ca)
        ));
        if let Some(sha) = &ca.sha256 {
            out.push(format!(
                "HTTP CA certificate SHA-256 fingerprint after: {sha}"
            ));
            if let Some(crt) = r.files.iter().find(|f| f.path.ends_with("http_ca.crt")) {
                out.push("Update the consumers of the HTTP CA:".into());
                for c in esac_app::renew::ca_consumers(&crt.path, sha) {
                    out.push(format!("  - {c}"));
                }
            }
        }
    }
    if r.reload.enabled {
        out.push(format!(
            "A running node reloads certs/http.p12 within {} ms (resource.reload.interval.high) plus one poll; existing connections keep the old certificate.",
            r.reload.interval_ms
        ));
    } else {
        out.push(
            "resource.reload.enabled is false: restart the node to load the new certificate."
                .into(),
        );
    }
    if let Some(c) = &r.reload_check {
        out.push(if c.seen {
            format!(
                "Reload: {} serves the new certificate (after {} ms).",
                c.url.escape_debug(),
                c.waited_ms
            )
        } else if !r.reload.enabled {
            format!(
                "WARNING: not waiting for {}: resource.reload.enabled is false, so the node serves the new certificate only after a restart.",
                c.url.escape_debug()
            )
        } else {
            format!(
                "WARNING: {} did not serve the new certificate within {} ms (last: {}). The files are renewed; check the node's log for \"cannot notify file changes listener\", or restart it.",
                c.url.escape_debug(), c.waited_ms, c.last
            )
        });
    }
    out
}

/// The lines that report each `finalize` action (the same in text and JSON `summary`).
pub fn finalize_lines(o: &esac_app::finalize::FinalizeOutcome) -> Vec<String> {
    use esac_core::finalize::ActionResult;
    let mut out = Vec::new();
    for a in &o.finalization.actions {
        let result = match &a.result {
            ActionResult::Applied => "applied".to_owned(),
            ActionResult::NothingToDo => "nothing to do".to_owned(),
            ActionResult::Refused(r) => format!("refused ({r})"),
        };
        out.push(format!("{}: {result}: {}", a.action.name(), a.message));
        if let Some(r) = &a.removal {
            for (n, line) in &r.removed {
                out.push(format!("  -{n}: {line}"));
            }
            for line in &r.added {
                out.push(format!("  +   {line}"));
            }
        }
        for p in &a.paths {
            out.push(format!("  {p}"));
        }
    }
    out
}

/// Prints a `finalize` outcome and returns the exit status: the dry-run plan on stdout, the
/// report of each action on stderr; under `--format json`, the document.
pub fn finalize_outcome(
    paths: &Paths,
    dry_run: bool,
    o: &esac_app::finalize::FinalizeOutcome,
    printer: &Printer,
) -> u8 {
    let exit = o.exit().code();
    let mut notes = printer.notes();
    if dry_run {
        notes.insert(0, "dry run: nothing was written".into());
    }
    notes.extend(o.finalization.notes.iter().cloned());
    let lines = finalize_lines(o);
    if printer.format == Format::Json {
        printer.json(&crate::json::FinalizeDoc::of(
            o, paths, dry_run, notes, &lines,
        ));
        return exit;
    }
    if let (true, Some(plan)) = (dry_run, &o.finalization.plan) {
        let mut text = format!(
            "Decision: finalize (exit {exit})\nDry run: nothing was written.\n\n{}\n",
            plan_text(plan)
        );
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        printer.out(&text);
        return exit;
    }
    for l in lines.iter().chain(&o.finalization.notes) {
        printer.info(l);
    }
    exit
}

/// `status` as text: a summary line, one line per certificate, then the findings by severity,
/// each with its fix. `-s`: only the findings at or above warning. `-v`: the details too.
pub fn status_text(
    outcome: &esac_app::status::StatusOutcome,
    exit_code: u8,
    verbosity: crate::printer::Verbosity,
) -> String {
    use crate::printer::Verbosity;
    use esac_status::{KeystoreState, Severity};
    let (o, r) = (&outcome.observed, &outcome.report);
    let mut s = String::new();
    let shown = |f: &&esac_status::Finding| {
        verbosity != Verbosity::Silent || f.severity >= Severity::Warning
    };
    if verbosity != Verbosity::Silent {
        s.push_str(&format!(
            "{}: {} (exit {exit_code})\n",
            o.config_dir.display(),
            r.overall().name().to_ascii_uppercase()
        ));
        let mut facts = vec![if r.autoconfigured {
            "auto-configured".to_owned()
        } else {
            "not auto-configured".to_owned()
        }];
        if let Some((a, b, c)) = o.es_version {
            facts.push(format!("Elasticsearch {a}.{b}.{c}"));
        }
        facts.push(match &o.keystore.state {
            KeystoreState::Open {
                version, protected, ..
            } => format!(
                "keystore format {version}, {}",
                if *protected {
                    "password-protected"
                } else {
                    "not password-protected"
                }
            ),
            KeystoreState::Missing => "no keystore".into(),
            KeystoreState::Locked { .. } => "keystore locked".into(),
            KeystoreState::WrongPassword { .. } => "keystore: wrong passphrase".into(),
            _ => "keystore unusable".into(),
        });
        facts.push(format!(
            "service account {} (uid {})",
            o.service_user.name, o.service_user.uid
        ));
        s.push_str(&facts.join("; "));
        s.push('\n');
        if !r.certificates.is_empty() {
            s.push_str("\nCertificates:\n");
            let w = r
                .certificates
                .iter()
                .map(|c| c.cert.subject().len())
                .max()
                .unwrap_or(0);
            for c in &r.certificates {
                s.push_str(&format!(
                    "  {:<16} {:<w$}  {}  {} days  {}\n",
                    c.id,
                    c.cert.subject(),
                    c.cert.info.subject,
                    c.days_left,
                    Utc(c.cert.info.not_after).rfc3339(),
                ));
            }
        }
    }
    let findings: Vec<&esac_status::Finding> = r.findings.iter().filter(shown).collect();
    if !findings.is_empty() {
        if verbosity != Verbosity::Silent {
            s.push_str("\nFindings:\n");
        }
        for f in findings {
            s.push_str(&format!(
                "  {:<8} {}: {}\n",
                f.severity.name().to_ascii_uppercase(),
                f.id,
                f.message
            ));
            if let Some(fix) = &f.fix {
                s.push_str(&format!("           fix: {fix}\n"));
            }
            if verbosity == Verbosity::Verbose {
                for (k, v) in &f.details {
                    s.push_str(&format!("           {k}: {}\n", detail_text(v)));
                }
            }
        }
    } else if verbosity != Verbosity::Silent {
        s.push_str("\nNo findings.\n");
    }
    s
}

fn detail_text(d: &esac_status::Detail) -> String {
    match d {
        esac_status::Detail::Int(i) => i.to_string(),
        esac_status::Detail::Text(t) => t.clone(),
        esac_status::Detail::List(l) => l.join(", "),
    }
}

/// `status --exit-codes nagios`: one status line `ES-AUTOCONF <STATE> - <summary> | <perfdata>`
/// (monitoring-plugin conventions), then one line per finding above `info` (`-v`: all).
pub fn status_nagios(
    outcome: &esac_app::status::StatusOutcome,
    verbosity: crate::printer::Verbosity,
) -> String {
    use esac_status::{Overall, Severity};
    let r = &outcome.report;
    let overall = r.overall();
    let worst = r.findings.iter().find(|f| f.severity != Severity::Info);
    let summary = match (overall, worst) {
        (Overall::Ok, _) | (_, None) => match r.certificates.iter().min_by_key(|c| c.days_left) {
            Some(c) => format!(
                "{} certificates, the first to expire is {} in {} days ({})",
                r.certificates.len(),
                c.id,
                c.days_left,
                Utc(c.cert.info.not_after)
                    .rfc3339()
                    .get(..10)
                    .unwrap_or_default()
            ),
            None => "no certificate found".into(),
        },
        (_, Some(f)) => {
            let more = r
                .findings
                .iter()
                .filter(|x| x.severity != Severity::Info)
                .count()
                - 1;
            if more > 0 {
                format!("{} (and {more} more)", f.message)
            } else {
                f.message.clone()
            }
        }
    };
    // The status line is one line: a message never spans lines, and `|` separates perfdata.
    let summary = summary.replace(['\n', '|'], " ");
    let (w, c) = (r.thresholds.warn_days, r.thresholds.crit_days);
    let perf: Vec<String> = r
        .perfdata()
        .iter()
        .map(|(label, v)| format!("{label}={v};{w};{c};;"))
        .collect();
    let mut s = format!(
        "ES-AUTOCONF {} - {summary}",
        overall.name().to_ascii_uppercase()
    );
    if !perf.is_empty() {
        s.push_str(" | ");
        s.push_str(&perf.join(" "));
    }
    s.push('\n');
    for f in &r.findings {
        if f.severity == Severity::Info && verbosity != crate::printer::Verbosity::Verbose {
            continue;
        }
        s.push_str(&format!(
            "{} {}: {}",
            f.severity.name().to_ascii_uppercase(),
            f.id,
            f.message.replace('\n', " ")
        ));
        if let Some(fix) = &f.fix {
            s.push_str(&format!(": {fix}"));
        }
        s.push('\n');
    }
    s
}
