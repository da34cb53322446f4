//! `cargo xtask packaging-test`: our `.deb` installed for real, with `dpkg`, beside a test-only
//! stand-in for Elasticsearch's package (`tests/packaging/elasticsearch/`) whose post-install
//! hook runs es-autoconf as Elasticsearch's own hook runs its auto-configuration
//! (docs/packaging.md). It checks what an operator would:
//!
//! - the artefacts: `dpkg-deb -c` lists the binary, the man pages, the completions, README and
//!   LICENSE; lintian reports no error; the tarball holds the same files; the man page and the
//!   bash and fish completions work once installed, zsh's parses;
//! - a fresh install: `certs/`, the keystore and the yml readable by the `elasticsearch` group
//!   (tried as that user) and by nobody else (modes, owners, and tried as `nobody`), the yml
//!   block, the keystore's entries with `autoconfiguration.password_hash`, the password in the
//!   root-only credentials file (it verifies against the hash, and the fingerprint is the CA's)
//!   and in no output;
//! - `dpkg -i` again, and remove then install: es-autoconf is not run, nothing changes;
//! - exit 80 (a data directory in use), 78 (an invalid yml kept from before), 73 (a credentials
//!   file already there): the install succeeds, says so as Elasticsearch's hook does, and leaves
//!   the configuration as it was;
//! - after each `dpkg --purge`, the machine is as before (packages, user, group, files,
//!   `/etc/passwd`, `/etc/group` and their shadows).
//!
//! It needs root and dpkg and changes the machine, so it is not part of `cargo test`: `cargo
//! xtask test` and `ci` run it (elsewhere than as root on a Debian machine it says it is skipped,
//! and in CI, where `CI` is set, that is an error). It refuses to start when an `elasticsearch`
//! user, group or directory already exists, and removes what it made even when a check fails.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::dist::{self, Artefacts};
use crate::{root, run, target_dir, Result};

const STANDIN: &str = "esac-test-elasticsearch";
const OURS: &str = "es-autoconf";
const CONF: &str = "/etc/elasticsearch";
const DATA: &str = "/var/lib/elasticsearch";
const CREDENTIALS: &str = "/root/elasticsearch-initial-credentials.json";
/// What the stand-in and its hook create outside the package's own files.
const MADE: &[&str] = &[
    CONF,
    DATA,
    "/var/log/elasticsearch",
    "/usr/share/elasticsearch",
    CREDENTIALS,
];
/// Elasticsearch's hook's lines (spec §8.1) that our hook keeps.
const CONFIGURED: &str = "Authentication and authorization are enabled.";
const SKIPPED: &str =
    "Skipping auto-configuration because security features appear to be already configured.";
const FAILED: &str = "Failed to auto-configure security features";
const TLS_SETTINGS: [&str; 3] = [
    "xpack.security.http.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.keystore.secure_password",
    "xpack.security.transport.ssl.truststore.secure_password",
];

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// A finished command.
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}---",
            self.code, self.stdout, self.stderr
        )
    }
}

fn exec(cmd: &mut Command) -> Result<Out> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    Ok(Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn sh(program: &str, args: &[&str]) -> Result<Out> {
    exec(Command::new(program).args(args))
}

fn dpkg(args: &[&str]) -> Result<Out> {
    eprintln!("$ dpkg {}", args.join(" "));
    exec(
        Command::new("dpkg")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// `program args` as `user` (its groups too), through setpriv.
fn as_user(user: &str, group: &str, program: &str, args: &[&str]) -> Result<Out> {
    exec(
        Command::new("setpriv")
            .arg(format!("--reuid={user}"))
            .arg(format!("--regid={group}"))
            .arg("--init-groups")
            .arg(program)
            .args(args),
    )
}

fn is_root() -> bool {
    sh("id", &["-u"])
        .map(|o| o.stdout.trim() == "0")
        .unwrap_or(false)
}

/// `getent DATABASE KEY`, or `None`.
fn getent(database: &str, key: &str) -> Option<String> {
    sh("getent", &[database, key])
        .ok()
        .filter(|o| o.code == 0)
        .map(|o| o.stdout.trim().to_owned())
}

fn read(path: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// The paths a `.deb` installs (`dpkg-deb -c`), without the leading `.`.
fn payload(deb: &Path) -> Result<Vec<String>> {
    let out = exec(Command::new("dpkg-deb").arg("-c").arg(deb))?;
    ensure!(out.code == 0, "dpkg-deb -c {}: {out:?}", deb.display());
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .map(|p| p.trim_start_matches('.').trim_end_matches('/').to_owned())
        .filter(|p| !p.is_empty())
        .collect())
}

/// What "the machine as before" means here: every path either package installs or its hook
/// makes (exists, and how), the accounts databases, and both packages' dpkg status.
#[derive(PartialEq, Eq)]
struct Machine(BTreeMap<String, String>);

impl Machine {
    fn now(paths: &[String]) -> Result<Machine> {
        let mut m = BTreeMap::new();
        for p in paths {
            let state = match std::fs::symlink_metadata(p) {
                Ok(md) => format!(
                    "{:o} {}:{} {}",
                    md.mode(),
                    md.uid(),
                    md.gid(),
                    if md.is_dir() { 0 } else { md.len() }
                ),
                Err(_) => "absent".to_owned(),
            };
            m.insert(p.clone(), state);
        }
        for db in ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"] {
            m.insert(
                db.to_owned(),
                std::fs::read_to_string(db).unwrap_or_default(),
            );
        }
        for pkg in [STANDIN, OURS] {
            let status = sh("dpkg-query", &["-W", "-f", "${Status}", pkg])?;
            let s = if status.code == 0 {
                status.stdout
            } else {
                "unknown".into()
            };
            m.insert(format!("dpkg {pkg}"), s);
        }
        Ok(Machine(m))
    }

    fn diff(&self, other: &Machine) -> String {
        let mut out = String::new();
        for (k, v) in &self.0 {
            let w = other.0.get(k).map(String::as_str).unwrap_or("missing");
            if v != w {
                out.push_str(&format!("{k}:\n  before: {v:?}\n  after:  {w:?}\n"));
            }
        }
        out
    }
}

/// A path's owner, group (names) and permission bits, e.g. `root elasticsearch 2750`.
fn owner_mode(path: &str) -> Result<String> {
    let out = sh("stat", &["-c", "%U %G %a", path])?;
    ensure!(out.code == 0, "stat {path}: {out:?}");
    Ok(out.stdout.trim().to_owned())
}

/// A tree's paths, owners, modes and contents (to prove nothing changed).
fn tree(dir: &Path, out: &mut BTreeMap<PathBuf, (u32, u32, u32, Vec<u8>)>) -> Result {
    let md = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let content = if md.is_file() {
        std::fs::read(dir).map_err(|e| format!("{}: {e}", dir.display()))?
    } else {
        Vec::new()
    };
    out.insert(
        dir.to_path_buf(),
        (md.permissions().mode(), md.uid(), md.gid(), content),
    );
    if md.is_dir() {
        for e in std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
        {
            tree(&e.path(), out)?;
        }
    }
    Ok(())
}

type Snapshot = BTreeMap<PathBuf, (u32, u32, u32, Vec<u8>)>;

fn snapshot() -> Result<Snapshot> {
    let mut s = BTreeMap::new();
    tree(Path::new(CONF), &mut s)?;
    if Path::new(CREDENTIALS).exists() {
        tree(Path::new(CREDENTIALS), &mut s)?;
    }
    Ok(s)
}

fn same(a: &Snapshot, b: &Snapshot) -> Result {
    let changed: Vec<_> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .chain(b.keys().filter(|k| !a.contains_key(*k)))
        .collect();
    ensure!(changed.is_empty(), "changed: {changed:?}");
    Ok(())
}

/// Removes what the test made, whatever happened: both packages purged, then the stand-in's
/// user, group and paths if they are still there (none existed when the test started).
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = dpkg(&["--purge", STANDIN, OURS]);
        if getent("passwd", "elasticsearch").is_some() {
            let _ = sh("userdel", &["elasticsearch"]);
        }
        if getent("group", "elasticsearch").is_some() {
            let _ = sh("groupdel", &["elasticsearch"]);
        }
        for p in MADE {
            let path = Path::new(p);
            if path.is_dir() {
                let _ = std::fs::remove_dir_all(path);
            } else {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// The stock `elasticsearch.yml` as Elasticsearch's packages ship it: the archive's
/// (tests/data/elasticsearch.yml) with the package's data and log paths filled in.
fn packaged_yml() -> Result<String> {
    let stock = read(
        root()
            .join("tests/data/elasticsearch.yml")
            .to_str()
            .ok_or("path")?,
    )?;
    let line = "#path.data: /path/to/data\n";
    ensure!(stock.contains(line), "the stock yml has no `{line}`");
    Ok(stock.replace(
        line,
        "path.data: /var/lib/elasticsearch\n#\n# Path to log files:\n#\npath.logs: /var/log/elasticsearch\n",
    ))
}

/// Builds the stand-in package from `tests/packaging/elasticsearch/` and the packaged yml.
fn build_standin() -> Result<PathBuf> {
    let work = target_dir().join("packaging");
    let stage = work.join("esac-test-elasticsearch");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    }
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    run(Command::new("cp")
        .arg("-r")
        .arg(root().join("tests/packaging/elasticsearch"))
        .arg(&stage))?;
    let etc = stage.join("etc/elasticsearch");
    std::fs::create_dir_all(&etc).map_err(|e| format!("{}: {e}", etc.display()))?;
    std::fs::write(etc.join("elasticsearch.yml"), packaged_yml()?)
        .map_err(|e| format!("cannot write the yml: {e}"))?;
    run(Command::new("chmod")
        .args(["-R", "u=rwX,go=rX"])
        .arg(&stage))?;
    run(Command::new("chmod")
        .arg("0755")
        .arg(stage.join("DEBIAN/preinst"))
        .arg(stage.join("DEBIAN/postinst"))
        .arg(stage.join("DEBIAN/postrm")))?;
    let deb = work.join("esac-test-elasticsearch_8.17.0_all.deb");
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&stage)
        .arg(&deb))?;
    Ok(deb)
}

/// `dpkg-deb -c` names what a packager ships; the tarball holds the same files.
fn check_artefacts(a: &Artefacts) -> Result {
    let files = payload(&a.deb)?;
    let mut expected = vec![
        "/usr/bin/es-autoconf".to_owned(),
        "/usr/share/bash-completion/completions/es-autoconf".into(),
        "/usr/share/zsh/vendor-completions/_es-autoconf".into(),
        "/usr/share/fish/vendor_completions.d/es-autoconf.fish".into(),
        "/usr/share/doc/es-autoconf/README.md".into(),
        "/usr/share/doc/es-autoconf/LICENSE".into(),
        "/usr/share/doc/es-autoconf/copyright".into(),
        "/usr/share/doc/es-autoconf/changelog.gz".into(),
    ];
    for page in [
        "es-autoconf",
        "es-autoconf-init",
        "es-autoconf-reconfigure",
        "es-autoconf-enrollment-token",
        "es-autoconf-keystore",
        "es-autoconf-keystore-list",
        "es-autoconf-keystore-has-password",
        "es-autoconf-keystore-show",
    ] {
        expected.push(format!("/usr/share/man/man1/{page}.1.gz"));
    }
    for e in &expected {
        ensure!(files.contains(e), "{e} is not in the .deb: {files:#?}");
    }
    // The notices of the crates linked in: the AWS-LC license and the MIT texts, verbatim.
    let copyright = exec(
        Command::new("sh")
            .arg("-c")
            .arg(
                "dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - ./usr/share/doc/es-autoconf/copyright",
            )
            .arg("sh")
            .arg(&a.deb),
    )?;
    for notice in [
        "AWS Libcrypto (AWS-LC)",
        "Permission is hereby granted, free of charge",
        "/usr/share/common-licenses/Apache-2.0",
    ] {
        ensure!(
            copyright.code == 0 && copyright.stdout.contains(notice),
            "the copyright file lacks {notice:?}: {copyright:?}"
        );
    }
    let tar = exec(Command::new("tar").arg("-tzf").arg(&a.tarball))?;
    ensure!(tar.code == 0, "tar -tzf: {tar:?}");
    for suffix in [
        "/es-autoconf",
        "/man/es-autoconf.1",
        "/man/es-autoconf-init.1",
        "/complete/es-autoconf.bash",
        "/complete/_es-autoconf",
        "/complete/es-autoconf.fish",
        "/README.md",
        "/LICENSE",
        "/copyright",
    ] {
        ensure!(
            tar.stdout.lines().any(|l| l.ends_with(suffix)),
            "{suffix} is not in the tarball:\n{}",
            tar.stdout
        );
    }
    Ok(())
}

/// lintian on our package: no error (warnings and the rest are printed). Overridden tags are not
/// shown: with `--show-overrides`, lintian also fails on an overridden error; the overrides and
/// their reasons are printed from the package instead.
fn lintian(deb: &Path) -> Result {
    let out = exec(
        Command::new("lintian")
            .args(["--fail-on", "error", "--display-info"])
            .arg(deb),
    )?;
    eprintln!("lintian {}:\n{}{}", deb.display(), out.stdout, out.stderr);
    ensure!(
        out.code == 0 && !out.stdout.lines().any(|l| l.starts_with("E:")),
        "lintian reports errors: {out:?}"
    );
    let listed = exec(
        Command::new("sh")
            .arg("-c")
            .arg("dpkg-deb --fsys-tarfile \"$1\" | tar -xOf - ./usr/share/lintian/overrides/es-autoconf")
            .arg("sh")
            .arg(deb),
    )?;
    ensure!(listed.code == 0, "the lintian overrides: {listed:?}");
    eprintln!("lintian overrides in the package:\n{}", listed.stdout);
    Ok(())
}

/// The installed man page, and the completions where each shell looks for them.
fn check_installed_docs() -> Result {
    let man = exec(
        Command::new("man")
            .arg("es-autoconf")
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100"),
    )?;
    ensure!(man.code == 0, "man es-autoconf: {man:?}");
    for heading in ["SYNOPSIS", "EXIT STATUS", "REASON CODES", "ENVIRONMENT"] {
        ensure!(man.stdout.contains(heading), "{heading}: {man:?}");
    }
    ensure!(
        man.stdout.contains("credentials_file") && man.stdout.contains("80 (NOOP)"),
        "{man:?}"
    );
    // The function the script registers for es-autoconf (`complete -p`), called as bash would.
    let bash = sh(
        "bash",
        &[
            "-c",
            "source /usr/share/bash-completion/completions/es-autoconf\n\
             f=$(complete -p es-autoconf | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')\n\
             COMP_WORDS=(es-autoconf ini); COMP_CWORD=1; COMP_LINE='es-autoconf ini'; COMP_POINT=15\n\
             \"$f\" es-autoconf ini es-autoconf; echo \"${COMPREPLY[*]}\"\n\
             COMP_WORDS=(es-autoconf init --key-type ''); COMP_CWORD=3\n\
             COMP_LINE='es-autoconf init --key-type '; COMP_POINT=28\n\
             \"$f\" es-autoconf '' --key-type; echo \"${COMPREPLY[*]}\"\n\
             COMP_WORDS=(es-autoconf enrollment-token --scope ''); COMP_CWORD=3\n\
             COMP_LINE='es-autoconf enrollment-token --scope '; COMP_POINT=37\n\
             \"$f\" es-autoconf '' --scope; echo \"${COMPREPLY[*]}\"",
        ],
    )?;
    let lines: Vec<&str> = bash.stdout.lines().collect();
    ensure!(
        bash.code == 0 && lines.len() == 3 && lines[0].split_whitespace().any(|w| w == "init"),
        "bash completion of `es-autoconf ini`: {bash:?}"
    );
    ensure!(
        lines[1].contains("ecdsa-p256") && lines[1].contains("rsa-4096"),
        "bash completion of `init --key-type`: {bash:?}"
    );
    ensure!(
        lines[2] == "kibana node",
        "bash completion of `enrollment-token --scope`: {bash:?}"
    );
    // fish loads completions from its vendor directory by itself.
    let fish = sh("fish", &["-c", "complete -C 'es-autoconf ini'"])?;
    ensure!(
        fish.code == 0 && fish.stdout.lines().any(|l| l.starts_with("init\t")),
        "fish completion of `es-autoconf ini`: {fish:?}"
    );
    let zsh = sh(
        "zsh",
        &[
            "-c",
            "zsh -n /usr/share/zsh/vendor-completions/_es-autoconf && print -l $fpath",
        ],
    )?;
    ensure!(
        zsh.code == 0
            && zsh
                .stdout
                .lines()
                .any(|l| l == "/usr/share/zsh/vendor-completions"),
        "zsh: the completion parses and sits in fpath: {zsh:?}"
    );
    Ok(())
}

/// Readable by the elasticsearch user (through its group) and by nobody else.
fn check_access(path: &str) -> Result {
    let cat = |user: &str, group: &str| as_user(user, group, "cat", &[path]);
    let es = cat("elasticsearch", "elasticsearch")?;
    ensure!(es.code == 0, "elasticsearch cannot read {path}: {es:?}");
    let nobody = cat("nobody", "nogroup")?;
    ensure!(
        nobody.code != 0 && nobody.stderr.contains("Permission denied"),
        "nobody reads {path}: {nobody:?}"
    );
    Ok(())
}

fn keystore_list(as_es: bool) -> Result<Vec<String>> {
    let args = ["--config-dir", CONF, "keystore", "list"];
    let out = if as_es {
        as_user(
            "elasticsearch",
            "elasticsearch",
            "/usr/bin/es-autoconf",
            &args,
        )?
    } else {
        sh("/usr/bin/es-autoconf", &args)?
    };
    ensure!(out.code == 0, "keystore list: {out:?}");
    Ok(out.stdout.lines().map(str::to_owned).collect())
}

/// The root-only credentials file: its password verifies against the keystore's hash (Python's
/// bcrypt), its fingerprint is the HTTP CA's (openssl); returns the password.
fn check_credentials() -> Result<String> {
    ensure!(
        owner_mode(CREDENTIALS)? == "root root 600",
        "{CREDENTIALS}: {}",
        owner_mode(CREDENTIALS)?
    );
    let hash = sh(
        "/usr/bin/es-autoconf",
        &[
            "--config-dir",
            CONF,
            "keystore",
            "show",
            "--reveal",
            "autoconfiguration.password_hash",
        ],
    )?;
    ensure!(hash.code == 0, "keystore show: {hash:?}");
    let fpr = sh(
        "openssl",
        &[
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            "/etc/elasticsearch/certs/http_ca.crt",
        ],
    )?;
    ensure!(fpr.code == 0, "openssl: {fpr:?}");
    let fingerprint = fpr
        .stdout
        .trim()
        .rsplit('=')
        .next()
        .unwrap_or_default()
        .replace(':', "")
        .to_lowercase();
    let py = sh(
        "python3",
        &[
            "-c",
            "import bcrypt, json, sys\n\
             d = json.load(open(sys.argv[1]))\n\
             assert sorted(d) == ['http_ca_fingerprint', 'password', 'username'], d.keys()\n\
             assert d['username'] == 'elastic'\n\
             assert len(d['password']) == 20\n\
             assert d['http_ca_fingerprint'] == sys.argv[3], (d['http_ca_fingerprint'], sys.argv[3])\n\
             assert bcrypt.checkpw(d['password'].encode(), sys.argv[2].strip().encode())\n\
             print(d['password'])",
            CREDENTIALS,
            &hash.stdout,
            &fingerprint,
        ],
    )?;
    ensure!(py.code == 0, "the credentials file: {py:?}");
    Ok(py.stdout.trim().to_owned())
}

/// The configured node, as an operator would check it after `dpkg -i`.
fn check_configured(install: &Out, packaged: &str) -> Result {
    ensure!(
        install.stdout.contains(CONFIGURED)
            && install.stdout.contains(&format!(
                "The generated password for the elastic built-in superuser is in {CREDENTIALS} (readable by root only)."
            )),
        "the hook's success message: {install:?}"
    );
    ensure!(
        install
            .stderr
            .contains("Security auto-configuration is complete"),
        "es-autoconf's summary: {install:?}"
    );
    ensure!(
        owner_mode(CONF)? == "root elasticsearch 2750",
        "{CONF}: {}",
        owner_mode(CONF)?
    );
    let certs = format!("{CONF}/certs");
    ensure!(
        owner_mode(&certs)? == "root elasticsearch 750",
        "{certs}: {}",
        owner_mode(&certs)?
    );
    let mut names: Vec<String> = std::fs::read_dir(&certs)
        .map_err(|e| format!("{certs}: {e}"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    ensure!(
        names == ["http.p12", "http_ca.crt", "transport.p12"],
        "{names:?}"
    );
    let mut files: Vec<String> = names.iter().map(|n| format!("{certs}/{n}")).collect();
    files.push(format!("{CONF}/elasticsearch.keystore"));
    files.push(format!("{CONF}/elasticsearch.yml"));
    for f in &files {
        ensure!(
            owner_mode(f)? == "root elasticsearch 660",
            "{f}: {}",
            owner_mode(f)?
        );
        check_access(f)?;
    }
    let mut leftovers: Vec<String> = std::fs::read_dir(CONF)
        .map_err(|e| format!("{CONF}: {e}"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            !matches!(
                n.as_str(),
                "certs" | "elasticsearch.keystore" | "elasticsearch.yml"
            )
        })
        .collect();
    leftovers.sort();
    ensure!(leftovers.is_empty(), "left in {CONF}: {leftovers:?}");

    let yml = read(&format!("{CONF}/elasticsearch.yml"))?;
    let block = yml
        .strip_prefix(packaged)
        .ok_or_else(|| format!("the yml no longer starts with the packaged one:\n{yml}"))?;
    let host = sh("hostname", &[])?.stdout.trim().to_owned();
    for line in [
        "\n#----------------------- BEGIN SECURITY AUTO CONFIGURATION -----------------------\n",
        "\nxpack.security.enabled: true\n",
        "\nxpack.security.enrollment.enabled: true\n",
        "\nxpack.security.http.ssl:\n  enabled: true\n  keystore.path: certs/http.p12\n",
        "\nxpack.security.transport.ssl:\n  enabled: true\n  verification_mode: certificate\n  keystore.path: certs/transport.p12\n  truststore.path: certs/transport.p12\n",
        "\nhttp.host: 0.0.0.0\n",
        "#----------------------- END SECURITY AUTO CONFIGURATION -------------------------\n",
    ] {
        ensure!(
            block.matches(line).count() == 1,
            "{line:?} not once in the block:\n{block}"
        );
    }
    ensure!(
        block.contains(&format!("cluster.initial_master_nodes: [\"{host}\"]")),
        "initial master node {host}:\n{block}"
    );

    let mut expected: Vec<String> = TLS_SETTINGS.iter().map(|s| s.to_string()).collect();
    expected.push("autoconfiguration.password_hash".into());
    expected.push("keystore.seed".into());
    expected.sort();
    for as_es in [false, true] {
        let mut listed = keystore_list(as_es)?;
        listed.sort();
        ensure!(
            listed == expected,
            "keystore entries (as elasticsearch: {as_es}): {listed:?}"
        );
    }
    let password = check_credentials()?;
    ensure!(
        !install.stdout.contains(&password) && !install.stderr.contains(&password),
        "the password is in dpkg's output"
    );
    Ok(())
}

/// A skipped or failed auto-configuration: the install succeeded, the hook said `message`,
/// es-autoconf said `reason`, and nothing was written (`/etc/elasticsearch` holds the yml and
/// what dpkg put beside it, `also`).
fn check_untouched(install: &Out, message: &str, reason: &str, yml: &str, also: &[&str]) -> Result {
    eprintln!("{}{}", install.stdout, install.stderr);
    ensure!(install.code == 0, "dpkg -i failed: {install:?}");
    ensure!(
        install.stdout.contains(message),
        "no `{message}`: {install:?}"
    );
    ensure!(
        install.stdout.contains(reason) || install.stderr.contains(reason),
        "no `{reason}`: {install:?}"
    );
    ensure!(
        !install.stdout.contains(CONFIGURED),
        "configured anyway: {install:?}"
    );
    let mut names: Vec<String> = std::fs::read_dir(CONF)
        .map_err(|e| format!("{CONF}: {e}"))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected = vec!["elasticsearch.yml"];
    expected.extend_from_slice(also);
    expected.sort();
    ensure!(names == expected, "{CONF} holds {names:?}");
    ensure!(
        read(&format!("{CONF}/elasticsearch.yml"))? == yml,
        "the yml changed"
    );
    Ok(())
}

fn purge_and_compare(before: &Machine, paths: &[String]) -> Result {
    let out = dpkg(&["--purge", STANDIN, OURS])?;
    ensure!(out.code == 0, "dpkg --purge: {out:?}");
    let after = Machine::now(paths)?;
    ensure!(
        &after == before,
        "the machine is not as before the install:\n{}",
        before.diff(&after)
    );
    Ok(())
}

fn timed(name: &str, f: impl FnOnce() -> Result) -> Result {
    let start = Instant::now();
    eprintln!("== packaging: {name}");
    let r = f().map_err(|e| format!("{name}: {e}"));
    eprintln!(
        "== packaging: {name}: {} in {:.1} s",
        if r.is_ok() { "ok" } else { "FAILED" },
        start.elapsed().as_secs_f64()
    );
    r
}

/// Installs what the test uses beside dpkg: lintian, zsh and fish (for the completions),
/// setpriv, openssl and Python's bcrypt (`cargo xtask deps`).
fn deps() -> Result {
    let mut apt = Vec::new();
    for (tool, arg, package) in [
        ("lintian", "--version", "lintian"),
        ("zsh", "--version", "zsh"),
        ("fish", "--version", "fish"),
        ("man", "--version", "man-db"),
    ] {
        if !crate::have(tool, arg) {
            apt.push(package);
        }
    }
    crate::apt_install(&apt)?;
    crate::deps()
}

/// `cargo xtask packaging-test`.
pub fn packaging_test() -> Result {
    if !is_root() || !crate::have("dpkg", "--version") {
        let why = "the packaging test needs root and dpkg (a Debian machine)";
        if std::env::var_os("CI").is_some() {
            return Err(why.into());
        }
        eprintln!("packaging test SKIPPED: {why}");
        return Ok(());
    }
    let start = Instant::now();
    deps()?;
    let artefacts = dist::dist()?;
    timed("artefacts", || check_artefacts(&artefacts))?;
    timed("lintian", || lintian(&artefacts.deb))?;
    let standin = build_standin()?;
    let mut paths = payload(&artefacts.deb)?;
    paths.extend(payload(&standin)?);
    paths.extend(MADE.iter().map(|p| p.to_string()));
    paths.sort();
    paths.dedup();

    let before = Machine::now(&paths)?;
    let mut present: Vec<&str> = MADE
        .iter()
        .copied()
        .filter(|p| Path::new(p).exists())
        .collect();
    if getent("passwd", "elasticsearch").is_some() {
        present.push("user elasticsearch");
    }
    if getent("group", "elasticsearch").is_some() {
        present.push("group elasticsearch");
    }
    for pkg in [STANDIN, OURS] {
        if before
            .0
            .get(&format!("dpkg {pkg}"))
            .is_some_and(|s| s != "unknown" && !s.contains("not-installed"))
        {
            present.push(pkg);
        }
    }
    ensure!(
        present.is_empty(),
        "refusing to run: this machine already has {present:?} (the test installs and purges an Elasticsearch stand-in)"
    );
    let _cleanup = Cleanup;
    let ours = artefacts.deb.to_str().ok_or("path")?.to_owned();
    let theirs = standin.to_str().ok_or("path")?.to_owned();
    let packaged = packaged_yml()?;

    timed(
        "fresh install, reinstall, remove and install, purge",
        || {
            let install = dpkg(&["-i", &ours, &theirs])?;
            ensure!(install.code == 0, "dpkg -i: {install:?}");
            eprintln!("{}{}", install.stdout, install.stderr);
            check_configured(&install, &packaged)?;
            check_installed_docs()?;
            let configured = snapshot()?;
            for (what, args) in [
                ("dpkg -i again", vec!["-i", ours.as_str(), theirs.as_str()]),
                ("dpkg -i of the stand-in again", vec!["-i", theirs.as_str()]),
            ] {
                let again = dpkg(&args)?;
                ensure!(again.code == 0, "{what}: {again:?}");
                ensure!(
                    !again.stdout.contains(CONFIGURED)
                        && !again.stdout.contains(SKIPPED)
                        && !again.stdout.contains(FAILED),
                    "{what} ran es-autoconf: {again:?}"
                );
                same(&configured, &snapshot()?).map_err(|e| format!("{what}: {e}"))?;
            }
            // Removed, not purged: the configuration stays, and installing again is an upgrade.
            let remove = dpkg(&["-r", STANDIN])?;
            ensure!(remove.code == 0, "dpkg -r: {remove:?}");
            let back = dpkg(&["-i", &theirs])?;
            ensure!(
                back.code == 0 && !back.stdout.contains(CONFIGURED),
                "dpkg -i after -r: {back:?}"
            );
            same(&configured, &snapshot()?).map_err(|e| format!("dpkg -r, dpkg -i: {e}"))?;
            purge_and_compare(&before, &paths)
        },
    )?;

    timed("exit 80: a data directory in use", || {
        std::fs::create_dir_all(format!("{DATA}/nodes"))
            .map_err(|e| format!("cannot create {DATA}/nodes: {e}"))?;
        let install = dpkg(&["-i", &ours, &theirs])?;
        check_untouched(
            &install,
            SKIPPED,
            "it appears that the node is not starting up for the first time",
            &packaged,
            &[],
        )?;
        ensure!(
            !Path::new(CREDENTIALS).exists(),
            "a credentials file was written"
        );
        purge_and_compare(&before, &paths)
    })?;

    timed(
        "exit 78: an invalid elasticsearch.yml kept from before",
        || {
            let broken = format!("{packaged}node.name: a\nnode.name: b\n");
            std::fs::create_dir_all(CONF).map_err(|e| format!("{CONF}: {e}"))?;
            std::fs::write(format!("{CONF}/elasticsearch.yml"), &broken)
                .map_err(|e| format!("cannot write the yml: {e}"))?;
            // As a provisioning tool that placed its own yml first would install.
            let install = dpkg(&["-i", "--force-confold", &ours, &theirs])?;
            check_untouched(
                &install,
                &format!("{FAILED} (es-autoconf exit 78)."),
                "duplicate settings key [node.name]",
                &broken,
                // dpkg keeps the package's version beside the one it was told to keep.
                &["elasticsearch.yml.dpkg-dist"],
            )?;
            ensure!(
                !Path::new(CREDENTIALS).exists(),
                "a credentials file was written"
            );
            purge_and_compare(&before, &paths)
        },
    )?;

    timed("exit 73: a credentials file already there", || {
        let stale = "{\"a\": \"file the hook must not replace\"}\n";
        std::fs::write(CREDENTIALS, stale).map_err(|e| format!("{CREDENTIALS}: {e}"))?;
        let install = dpkg(&["-i", &ours, &theirs])?;
        check_untouched(
            &install,
            &format!("{FAILED} (es-autoconf exit 73)."),
            CREDENTIALS,
            &packaged,
            &[],
        )?;
        ensure!(read(CREDENTIALS)? == stale, "the credentials file changed");
        purge_and_compare(&before, &paths)
    })?;

    eprintln!(
        "packaging test: ok in {:.0} s (dist and deps included)",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
