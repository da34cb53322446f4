//! The planners of `renew http` and `renew http-ca` (lifecycle spec §3), and their pure checks.
//!
//! The application reads `certs/http.p12` (its password comes from the keystore) and hands the
//! public part of what it found here ([`HttpStoreFacts`]); keys and passwords go to the executor
//! as inputs. A renewal is one journalled transaction whose commit point is the replacement of
//! `certs/http.p12`: Elasticsearch hot-reloads that file when its size or mtime changes and its
//! password still opens it, so the same name and the same password are kept.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use esac_certspec::{
    capped_not_after, days_between, renewed_sans, whole_seconds, CaReissue, ExistingCert,
    LeafRenewal, RenewKey, SanEntry, SanMode, HTTP_CA_DAYS, HTTP_DAYS,
};

use crate::layout::{Layout, RelPath};
use crate::plan::{
    About, Action, CaChange, Content, Existing, FileWrite, HttpStoreEdit, ModeRule, Operation,
    OwnerRule, Plan, Product, Step, StepId,
};
use crate::planner::FILE_MODE;

/// `renew http --within` default: renew when 30 days or fewer are left.
pub const HTTP_WITHIN_DAYS: u32 = 30;
/// `renew http-ca --within` default: 90 days, to leave time to roll the CA file out to clients.
pub const HTTP_CA_WITHIN_DAYS: u32 = 90;

/// What the application found in `certs/http.p12` and next to it (public data only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpStoreFacts {
    /// The node's certificate.
    pub leaf: ExistingCert,
    /// Its entry's alias.
    pub leaf_alias: String,
    /// The CA certificate.
    pub ca: ExistingCert,
    /// Its entry's alias.
    pub ca_alias: String,
    /// The group of `certs/http.p12`, kept on the new file.
    pub p12_gid: u32,
    /// The group of `certs/http_ca.crt`, when that file exists.
    pub ca_crt_gid: Option<u32>,
}

/// How a new HTTP certificate is made (`renew http`, and `renew http-ca --with-leaf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafOptions {
    /// Validity in days (`--days`, default 730 as Elasticsearch).
    pub days: u32,
    /// Do not cut the validity at the CA's expiry (`--no-cap`).
    pub no_cap: bool,
    /// `--sans`.
    pub san_mode: SanMode,
    /// `--add-san`.
    pub add_sans: Vec<SanEntry>,
    /// What auto-configuration would put into the SANs today.
    pub current_sans: Vec<SanEntry>,
    /// A new key of a type, or the old key.
    pub key: RenewKey,
}

impl LeafOptions {
    /// Elasticsearch's validity, the union of SANs, a new key of `key_type`.
    pub fn new(current_sans: Vec<SanEntry>, key_type: esac_certspec::KeyType) -> Self {
        LeafOptions {
            days: HTTP_DAYS,
            no_cap: false,
            san_mode: SanMode::Union,
            add_sans: Vec::new(),
            current_sans,
            key: RenewKey::New(key_type),
        }
    }
}

/// Options of `renew http`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewHttpOptions {
    /// The time of the run, taken once.
    pub now: SystemTime,
    /// Renew when this many days or fewer are left (`--within`).
    pub within_days: u32,
    /// Renew whatever is left (`--force`).
    pub force: bool,
    /// The new certificate.
    pub leaf: LeafOptions,
    /// Keep the previous file as `certs/http.p12.<epoch>.orig` (`--keep-backup`).
    pub keep_backup: bool,
}

/// Options of `renew http-ca`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewCaOptions {
    /// The time of the run, taken once.
    pub now: SystemTime,
    /// Re-issue when this many days or fewer are left (`--within`).
    pub within_days: u32,
    /// Re-issue whatever is left (`--force`).
    pub force: bool,
    /// Validity of the re-issued CA in days (`--days`, default 1095 as Elasticsearch).
    pub days: u32,
    /// Install this certificate (made on another node for the same key) instead of re-issuing:
    /// what it is, and its DER.
    pub import: Option<(ExistingCert, Vec<u8>)>,
    /// Renew the node's certificate too, under the new CA (`--with-leaf`); also done when it
    /// would expire within `renew http`'s default window.
    pub with_leaf: bool,
    /// How the node's certificate is renewed, when it is.
    pub leaf: LeafOptions,
    /// Keep the previous `http.p12` as `certs/http.p12.<epoch>.orig`.
    pub keep_backup: bool,
}

/// Why a renewal is not made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not due: more days left than `--within` (exit 80).
    NotDue {
        /// Days left.
        days_left: i64,
        /// The window.
        within: u32,
    },
    /// The CA has expired or expires within a day: a certificate under it is useless to
    /// OpenSSL and Go clients (exit 78).
    CaExpired {
        /// The CA's notAfter.
        not_after: SystemTime,
        /// Days left (negative once expired).
        days_left: i64,
    },
    /// `--import-ca-cert`: that certificate is already installed (exit 80).
    AlreadyInstalled,
}

/// The CA must be valid now and for at least one more day (lifecycle spec §3.3 step 5).
fn ca_usable(ca: &ExistingCert, now: SystemTime) -> Result<(), Refusal> {
    let tomorrow = now + Duration::from_secs(86_400);
    if ca.not_before > now || ca.not_after < tomorrow {
        return Err(Refusal::CaExpired {
            not_after: ca.not_after,
            days_left: ca.days_left(now),
        });
    }
    Ok(())
}

fn due(cert: &ExistingCert, now: SystemTime, within: u32, force: bool) -> Result<(), Refusal> {
    let days_left = cert.days_left(now);
    if force || days_left <= i64::from(within) {
        Ok(())
    } else {
        Err(Refusal::NotDue { days_left, within })
    }
}

/// The checks of `renew http` that need no file: the CA is usable, then the certificate is due.
pub fn check_renew_http(f: &HttpStoreFacts, opts: &RenewHttpOptions) -> Result<(), Refusal> {
    ca_usable(&f.ca, opts.now)?;
    due(&f.leaf, opts.now, opts.within_days, opts.force)
}

/// The checks of `renew http-ca` that need no file: an imported certificate is not the one in
/// place; otherwise the CA is due.
pub fn check_renew_http_ca(f: &HttpStoreFacts, opts: &RenewCaOptions) -> Result<(), Refusal> {
    match &opts.import {
        Some((cert, _)) if cert.sha256 == f.ca.sha256 => Err(Refusal::AlreadyInstalled),
        Some(_) => Ok(()),
        None => due(&f.ca, opts.now, opts.within_days, opts.force),
    }
}

fn epoch(now: SystemTime) -> i64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The new node certificate: same subject and extensions, SANs by `--sans`, validity from now,
/// cut at `ca_not_after` unless `--no-cap`.
pub fn leaf_renewal(
    old: &ExistingCert,
    ca_not_after: SystemTime,
    now: SystemTime,
    o: &LeafOptions,
) -> LeafRenewal {
    let not_before = whole_seconds(now);
    let cap = (!o.no_cap).then_some(ca_not_after);
    let (not_after, capped_by_ca) = capped_not_after(not_before, o.days, cap);
    LeafRenewal {
        old: old.clone(),
        sans: renewed_sans(&old.sans, &o.current_sans, o.san_mode, &o.add_sans),
        san_mode: o.san_mode,
        not_before,
        not_after,
        capped_by_ca,
        key: o.key,
    }
}

/// `certs/<file>` replaced atomically, keeping its mode, owner and group.
fn replace(layout: &Layout, path: RelPath, gid: u32, content: Content) -> FileWrite {
    FileWrite {
        temp: layout.temp_for(&path),
        path,
        mode: ModeRule::KeepReplaced,
        owner: OwnerRule::KeepReplaced { gid: Some(gid) },
        content,
        existing: Existing::Replaced,
    }
}

/// `renew http`: one new certificate for the node's entry of `certs/http.p12`, signed by the CA
/// entry's key; the file is replaced under the same name with the same password (the commit
/// point), so a running node reloads it and no client needs a new CA.
pub fn plan_renew_http(config_dir: &Path, f: &HttpStoreFacts, opts: &RenewHttpOptions) -> Plan {
    let layout = Layout::new(config_dir, epoch(opts.now));
    let edit = HttpStoreEdit {
        path: layout.http_p12(),
        now: opts.now,
        ca: CaChange::Keep,
        leaf: Some(leaf_renewal(&f.leaf, f.ca.not_after, opts.now, &opts.leaf)),
    };
    let mut steps = begin(edit);
    push_p12_commit(&mut steps, &layout, f, opts.keep_backup);
    steps.push(Step {
        id: StepId::Cleanup,
        action: Action::Cleanup(Vec::new()),
    });
    Plan {
        operation: Operation::RenewHttp,
        layout,
        about: About::default(),
        steps,
    }
}

/// The first steps of a renewal: the journal, then the new store made in memory.
fn begin(edit: HttpStoreEdit) -> Vec<Step> {
    vec![
        Step {
            id: StepId::Journal,
            action: Action::BeginJournal,
        },
        Step {
            id: StepId::Generate,
            action: Action::Produce(vec![Product::HttpStore(Box::new(edit))]),
        },
    ]
}

/// The optional backup of `http.p12`, then its replacement: the commit point.
fn push_p12_commit(steps: &mut Vec<Step>, layout: &Layout, f: &HttpStoreFacts, keep: bool) {
    let p12 = layout.http_p12();
    if keep {
        steps.push(Step {
            id: StepId::HttpP12Backup,
            action: Action::Backup {
                target: p12.clone(),
                backup: layout.backup_of(&p12),
            },
        });
    }
    steps.push(Step {
        id: StepId::WriteHttpP12,
        action: Action::Commit(replace(layout, p12, f.p12_gid, Content::RebuiltHttpP12)),
    });
}

/// `renew http-ca`: the CA certificate re-issued with its own key (or the one made on another
/// node imported), written to `certs/http_ca.crt` and into `certs/http.p12` (the node's chain
/// becomes `[leaf, new CA]`) in one transaction; with `--with-leaf`, or when the node's
/// certificate would expire within 30 days, the node's certificate is renewed too, under the
/// new CA. The replacement of `http.p12` is the commit point: the node reloads once, with the
/// new CA already on disk.
pub fn plan_renew_http_ca(config_dir: &Path, f: &HttpStoreFacts, opts: &RenewCaOptions) -> Plan {
    let layout = Layout::new(config_dir, epoch(opts.now));
    let (ca, ca_not_after) = match &opts.import {
        Some((cert, der)) => (
            CaChange::Import {
                cert: cert.clone(),
                der: der.clone(),
            },
            cert.not_after,
        ),
        None => {
            let not_before = whole_seconds(opts.now);
            let not_after = not_before + Duration::from_secs(u64::from(opts.days) * 86_400);
            (
                CaChange::Reissue(CaReissue {
                    old: f.ca.clone(),
                    not_before,
                    not_after,
                }),
                not_after,
            )
        }
    };
    let with_leaf = opts.with_leaf || f.leaf.days_left(opts.now) <= i64::from(HTTP_WITHIN_DAYS);
    let edit = HttpStoreEdit {
        path: layout.http_p12(),
        now: opts.now,
        ca,
        leaf: with_leaf.then(|| leaf_renewal(&f.leaf, ca_not_after, opts.now, &opts.leaf)),
    };
    let crt = layout.http_ca_crt();
    let mut steps = begin(edit);
    let mut cleanup = Vec::new();
    let crt_write = match f.ca_crt_gid {
        Some(gid) => {
            steps.push(Step {
                id: StepId::HttpCaBackup,
                action: Action::Backup {
                    target: crt.clone(),
                    backup: layout.backup_of(&crt),
                },
            });
            cleanup.push(layout.backup_of(&crt));
            replace(&layout, crt, gid, Content::RebuiltHttpCaPem)
        }
        None => FileWrite {
            temp: layout.temp_for(&crt),
            path: crt,
            mode: ModeRule::Set(FILE_MODE),
            owner: OwnerRule::KeepReplaced {
                gid: Some(f.p12_gid),
            },
            content: Content::RebuiltHttpCaPem,
            existing: Existing::Absent,
        },
    };
    steps.push(Step {
        id: StepId::WriteHttpCa,
        action: Action::WriteFile(crt_write),
    });
    push_p12_commit(&mut steps, &layout, f, opts.keep_backup);
    steps.push(Step {
        id: StepId::Cleanup,
        action: Action::Cleanup(cleanup),
    });
    Plan {
        operation: Operation::RenewHttpCa,
        layout,
        about: About::default(),
        steps,
    }
}

/// Elasticsearch's `HTTP_CA_CERTIFICATE_DAYS`, the default validity of a re-issued CA.
pub const CA_DAYS: u32 = HTTP_CA_DAYS;

/// Days between `now` and `t` (floor), for reports.
pub fn days_left(now: SystemTime, t: SystemTime) -> i64 {
    days_between(now, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use esac_certspec::{ExtTemplate, ExtValue, KeyType};

    const DAY: Duration = Duration::from_secs(86_400);

    fn t0() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn cert(cn: &str, not_after: SystemTime, ca: bool) -> ExistingCert {
        ExistingCert {
            subject: format!("CN={cn}"),
            subject_der: cn.as_bytes().to_vec(),
            issuer_der: b"ca".to_vec(),
            serial: "01".into(),
            not_before: t0(),
            not_after,
            sans: vec![SanEntry::Dns("localhost".into())],
            key_type: Some(KeyType::Rsa4096),
            is_ca: ca,
            sha256: format!("{cn}-sha"),
            spki_sha256: format!("{cn}-spki"),
            extensions: vec![ExtTemplate {
                oid: esac_certspec::OID_SUBJECT_ALT_NAME.to_vec(),
                critical: false,
                value: ExtValue::SubjectAltName,
            }],
        }
    }

    fn facts() -> HttpStoreFacts {
        HttpStoreFacts {
            leaf: cert("node-1", t0() + DAY * 730, false),
            leaf_alias: "http".into(),
            ca: cert("ca", t0() + DAY * 1095, true),
            ca_alias: "http_ca".into(),
            p12_gid: 998,
            ca_crt_gid: Some(998),
        }
    }

    fn http_opts(now: SystemTime) -> RenewHttpOptions {
        RenewHttpOptions {
            now,
            within_days: HTTP_WITHIN_DAYS,
            force: false,
            leaf: LeafOptions::new(vec![SanEntry::Dns("node-1".into())], KeyType::Rsa4096),
            keep_backup: false,
        }
    }

    #[test]
    fn renew_http_checks_in_order() {
        let f = facts();
        // (days after t0, force, expected)
        let rows: &[(u64, bool, Result<(), &str>)] = &[
            (0, false, Err("not_due")),
            (0, true, Ok(())),
            (699, false, Err("not_due")),
            (700, false, Ok(())),
            (729, false, Ok(())),
            (800, false, Ok(())), // an expired certificate is renewed: that is the point
            (1094, true, Ok(())), // a day of CA left: capped at it
            (1095, true, Err("ca_expired")), // less than a day left: --force does not help
            (1200, true, Err("ca_expired")),
        ];
        for (days, force, want) in rows {
            let mut o = http_opts(t0() + DAY * (*days as u32));
            o.force = *force;
            let got = check_renew_http(&f, &o).map_err(|r| match r {
                Refusal::NotDue { .. } => "not_due",
                Refusal::CaExpired { .. } => "ca_expired",
                Refusal::AlreadyInstalled => "already",
            });
            assert_eq!(got, *want, "day {days} force {force}");
        }
    }

    #[test]
    fn renew_http_plan_commits_the_store_and_caps_at_the_ca() {
        let f = facts();
        let now = t0() + DAY * 700;
        let plan = plan_renew_http(Path::new("/etc/es"), &f, &http_opts(now));
        let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.name()).collect();
        assert_eq!(ids, ["journal", "generate", "write_http_p12", "cleanup"]);
        let Action::Commit(w) = &plan.steps[2].action else {
            panic!("the store is the commit point")
        };
        assert_eq!(w.path.as_str(), "certs/http.p12");
        assert_eq!(w.existing, Existing::Replaced);
        assert_eq!(w.mode, ModeRule::KeepReplaced);
        assert_eq!(w.owner, OwnerRule::KeepReplaced { gid: Some(998) });
        let edit = plan.http_store().unwrap();
        assert_eq!(edit.ca, CaChange::Keep);
        let leaf = edit.leaf.as_ref().unwrap();
        assert!(leaf.capped_by_ca);
        assert_eq!(leaf.not_after, f.ca.not_after);
        assert_eq!(leaf.validity_days(), 395);
        assert_eq!(
            leaf.sans,
            [
                SanEntry::Dns("localhost".into()),
                SanEntry::Dns("node-1".into())
            ]
        );

        let mut o = http_opts(now);
        o.keep_backup = true;
        o.leaf.no_cap = true;
        let plan = plan_renew_http(Path::new("/etc/es"), &f, &o);
        let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.name()).collect();
        assert_eq!(
            ids,
            [
                "journal",
                "generate",
                "http_p12_backup",
                "write_http_p12",
                "cleanup"
            ]
        );
        assert_eq!(
            plan.steps[4].action,
            Action::Cleanup(Vec::new()),
            "the backup stays"
        );
        let leaf = plan.http_store().unwrap().leaf.clone().unwrap();
        assert!(!leaf.capped_by_ca);
        assert_eq!(leaf.validity_days(), 730);
        let text = crate::render::plan_text(&plan);
        assert!(text.contains("certs/http.p12.1760480000.orig"), "{text}");
    }

    #[test]
    fn renew_http_ca_plan_writes_the_crt_then_commits_the_store() {
        let now = t0() + DAY * 1010;
        let mut f = facts();
        f.leaf.not_after = now + DAY * 420;
        let mut o = RenewCaOptions {
            now,
            within_days: HTTP_CA_WITHIN_DAYS,
            force: false,
            days: CA_DAYS,
            import: None,
            with_leaf: false,
            leaf: LeafOptions::new(Vec::new(), KeyType::Rsa4096),
            keep_backup: false,
        };
        assert_eq!(check_renew_http_ca(&f, &o), Ok(()));
        let plan = plan_renew_http_ca(Path::new("/etc/es"), &f, &o);
        let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.name()).collect();
        assert_eq!(
            ids,
            [
                "journal",
                "generate",
                "http_ca_backup",
                "write_http_ca",
                "write_http_p12",
                "cleanup"
            ]
        );
        let edit = plan.http_store().unwrap();
        let CaChange::Reissue(r) = &edit.ca else {
            panic!("re-issue")
        };
        assert_eq!(days_between(r.not_before, r.not_after), 1095);
        assert!(edit.leaf.is_none(), "the leaf has 420 days left");

        // A leaf about to expire is renewed in the same run, capped at the new CA.
        let mut late = f.clone();
        late.leaf.not_after = now + DAY * 10;
        let plan = plan_renew_http_ca(Path::new("/etc/es"), &late, &o);
        let leaf = plan.http_store().unwrap().leaf.clone().unwrap();
        assert_eq!(leaf.validity_days(), 730);

        o.now = t0() + DAY * 100;
        assert!(matches!(
            check_renew_http_ca(&f, &o),
            Err(Refusal::NotDue { .. })
        ));
        o.import = Some((f.ca.clone(), vec![1]));
        assert_eq!(check_renew_http_ca(&f, &o), Err(Refusal::AlreadyInstalled));

        // No http_ca.crt: it is created.
        let mut no_crt = f.clone();
        no_crt.ca_crt_gid = None;
        o.import = None;
        o.force = true;
        let plan = plan_renew_http_ca(Path::new("/etc/es"), &no_crt, &o);
        assert!(plan.step(StepId::HttpCaBackup).is_none());
        let Some(Step {
            action: Action::WriteFile(w),
            ..
        }) = plan.step(StepId::WriteHttpCa)
        else {
            panic!()
        };
        assert_eq!(w.existing, Existing::Absent);
    }
}
