//! `cargo xtask dist`: the release artefacts in `target/dist/`, a Debian package and a tarball
//! with the same content:
//!
//! - `es-autoconf_<version>_<arch>.deb`, built with `dpkg-deb` from a staged tree:
//!   `/usr/bin/es-autoconf` (stripped), the man pages (`/usr/share/man/man1/*.1.gz`), the bash,
//!   zsh and fish completions, `/usr/share/doc/es-autoconf/` (README.md, LICENSE, copyright,
//!   changelog.gz) and lintian's overrides (one, with its reason); its `Depends` come from
//!   `dpkg-shlibdeps`;
//! - `es-autoconf-<version>-<target>.tar.gz`: the binary, `man/`, `complete/`, README.md and
//!   LICENSE in one top directory;
//! - `SHA256SUMS` of both.
//!
//! The man pages and completions come from `cargo run --example generate` (the clap
//! definitions). File times are `SOURCE_DATE_EPOCH` when set, else the last commit's; owners are
//! root. Why `dpkg-deb` and not cargo-deb:
//! docs/packaging.md.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::licenses::Dep;
use crate::{cargo, root, run, target_dir, Result};

const NAME: &str = "es-autoconf";
/// The package's `Maintainer`: the project's own address, as its commits carry it.
const MAINTAINER: &str =
    "es-autoconf maintainers <maintainers@users.noreply.b-seed-e4b29e25.example>";
const SYNOPSIS: &str = "Elasticsearch first-start security auto-configuration, outside the JVM";
const DESCRIPTION: &str = "\
es-autoconf does what Elasticsearch 8.x and 9.x do on a node's first start to
secure themselves, as a small standalone binary: it decides whether the node
is new and unconfigured (with Elasticsearch's checks, messages and exit codes),
generates the HTTP and transport CAs and certificates, writes certs/*.p12 and
certs/http_ca.crt, stores the PKCS#12 passwords in elasticsearch.keystore and
appends Elasticsearch's security block to elasticsearch.yml. It is meant for
package post-install hooks, first boot and provisioning scripts: --dry-run
shows the plan, --format json gives scripts a decision and a reason code, and
any failure leaves the configuration directory as it was.";
/// lintian's overrides, each with its reason (lintian prints overridden tags as `O:`).
const LINTIAN_OVERRIDES: &str = "\
# unsafe-libyaml, the YAML parser under serde_yaml_ng, is a Rust translation of libyaml linked
# statically like every Rust crate; the binary does not link libyaml, and Debian's libyaml could
# not replace it. Its messages are what lintian recognises.
es-autoconf: embedded-library libyaml [usr/bin/es-autoconf]
";

/// What `dist` made.
pub struct Artefacts {
    pub deb: PathBuf,
    pub tarball: PathBuf,
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn write(path: &Path, bytes: impl AsRef<[u8]>, mode: u32) -> Result {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        mkdir(parent)?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot chmod {}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path, mode: u32) -> Result {
    let bytes = std::fs::read(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    write(to, bytes, mode)
}

fn mkdir(dir: &Path) -> Result {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn fresh_dir(dir: &Path) -> Result {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    mkdir(dir)
}

/// Every directory under `dir` 0755 (dpkg-deb and lintian want no group-writable directory,
/// whatever the umask was).
fn chmod_dirs(dir: &Path) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot chmod {}: {e}", dir.display()))?;
    for e in std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
    {
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            chmod_dirs(&e.path())?;
        }
    }
    Ok(())
}

/// The files under `dir`, relative, sorted.
fn files(dir: &Path, prefix: &Path, out: &mut Vec<PathBuf>) -> Result {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let rel = prefix.join(e.file_name());
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            files(&e.path(), &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}

/// Installs what `dist` runs when missing (apt-get): dpkg-deb, dpkg-shlibdeps, strip.
pub fn deps() -> Result {
    let mut apt = Vec::new();
    if !crate::have("dpkg-shlibdeps", "--version") {
        apt.push("dpkg-dev");
    }
    if !crate::have("strip", "--version") {
        apt.push("binutils");
    }
    crate::apt_install(&apt)
}

/// `SOURCE_DATE_EPOCH` when set, else the time of the last commit, else 0.
fn source_date_epoch(root: &Path) -> u64 {
    if let Some(e) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return e;
    }
    output(
        Command::new("git")
            .args(["log", "-1", "--format=%ct"])
            .current_dir(root),
    )
    .ok()
    .and_then(|s| s.parse().ok())
    .unwrap_or(0)
}

/// `date -R` of an epoch (the changelog's trailer line).
fn rfc2822(epoch: u64) -> Result<String> {
    output(
        Command::new("date")
            .arg("-u")
            .arg("-R")
            .arg("-d")
            .arg(format!("@{epoch}"))
            .env("LC_ALL", "C"),
    )
}

fn gzip(path: &Path) -> Result {
    run(Command::new("gzip").args(["-9n", "--force"]).arg(path))
}

/// Where the generator wrote the man pages and the completions.
struct Generated {
    man: Vec<PathBuf>,
    bash: PathBuf,
    zsh: PathBuf,
    fish: PathBuf,
}

fn generate(out: &Path) -> Result<Generated> {
    fresh_dir(out)?;
    // The debug profile: the same text as a release build, and `cargo xtask test` has built
    // its dependencies already.
    let out_str = out.to_str().ok_or("target directory is not UTF-8")?;
    cargo(&[
        "run",
        "--quiet",
        "--locked",
        "--example",
        "generate",
        "--",
        out_str,
    ])?;
    let mut man = Vec::new();
    files(&out.join("man"), Path::new(""), &mut man)?;
    let man: Vec<PathBuf> = man.into_iter().map(|p| out.join("man").join(p)).collect();
    if man.is_empty() {
        return Err("the generator wrote no man page".into());
    }
    let c = out.join("completions");
    Ok(Generated {
        man,
        bash: c.join(format!("{NAME}.bash")),
        zsh: c.join(format!("_{NAME}")),
        fish: c.join(format!("{NAME}.fish")),
    })
}

/// The Debian copyright file: ours, and the crates linked into the binary with their licenses.
fn copyright(root: &Path, year: &str) -> Result<String> {
    let deps = crate::licenses::tree(root, &["-p", NAME, "-e", "normal,no-proc-macro"])?;
    let mut text = format!(
        "es-autoconf\n\
         \n\
         Copyright {year} the es-autoconf contributors\n\
         License: Apache-2.0\n\
         \n\
         Licensed under the Apache License, Version 2.0 (the \"License\"); you may not use\n\
         this software except in compliance with the License. Unless required by applicable\n\
         law or agreed to in writing, software distributed under the License is distributed\n\
         on an \"AS IS\" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express\n\
         or implied. See the License for the specific language governing permissions and\n\
         limitations under the License.\n\
         \n\
         On Debian systems, the complete text of the Apache License, Version 2.0 can be\n\
         found in /usr/share/common-licenses/Apache-2.0 (and in LICENSE beside this file).\n\
         \n\
         The binary is statically linked with these Rust crates (name, version, license\n\
         expression as their manifests declare it):\n\
         \n",
    );
    let bundled: Vec<Dep> = deps.into_iter().filter(|d| !d.local).collect();
    for d in &bundled {
        text.push_str(&format!("  {} {}: {}\n", d.name, d.version, d.license));
    }
    text.push('\n');
    text.push_str(&license_texts(&bundled, &registry_sources()?)?);
    Ok(text)
}

/// The directories Cargo unpacks registry crates into (`$CARGO_HOME/registry/src/<index>`).
fn registry_sources() -> Result<Vec<PathBuf>> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let src = home.join("registry/src");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&src)
        .map_err(|e| format!("{}: {e}", src.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// Whether a crate's file holds a license text (`LICENSE*`, `LICENCE*`, `COPYING*`, `NOTICE*`,
/// `UNLICENSE`).
fn is_license_file(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["license", "licence", "copying", "notice", "unlicense"]
        .iter()
        .any(|p| n.starts_with(p))
}

/// The reference that stands for the Apache License 2.0's text, which Debian ships once (and
/// lintian refuses in a copyright file).
const APACHE_REFERENCE: &str =
    "[The Apache License, Version 2.0: /usr/share/common-licenses/Apache-2.0]";

/// `text` with every copy of the Apache License 2.0 (heading, terms and the appendix on how to
/// apply it) replaced by [`APACHE_REFERENCE`]; other text, such as the ISC and OpenSSL notices
/// beside it in one file, stays.
fn without_apache(text: &str) -> String {
    const TERMS: &str = "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION";
    const END: &str = "END OF TERMS AND CONDITIONS";
    const APPENDIX: &str = "APPENDIX: How to apply the Apache License";
    const APPENDIX_END: &str = "limitations under the License.";
    // Only what is plainly one copy is cut: the heading at most 400 bytes before the terms, the
    // terms' own end, an appendix that follows within 400 bytes and ends within 3,000.
    let floor = |t: &str, mut i: usize| {
        while !t.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ahead = |t: &str, from: usize, len: usize| floor(t, (from + len).min(t.len()));
    let mut out = String::new();
    let mut rest = text;
    while let Some(terms) = rest.find(TERMS) {
        let Some(e) = rest[terms..].find(END) else {
            break;
        };
        let lead = floor(rest, terms.saturating_sub(400));
        let start = rest[lead..terms]
            .rfind("Apache License")
            .map_or(terms, |a| {
                rest[..lead + a].rfind('\n').map_or(0, |nl| nl + 1)
            });
        let mut end = terms + e + END.len();
        if let Some(appendix) = rest[end..ahead(rest, end, 400)].find(APPENDIX) {
            let from = end + appendix;
            if let Some(tail) = rest[from..ahead(rest, from, 3000)].find(APPENDIX_END) {
                end = from + tail + APPENDIX_END.len();
            }
        }
        out.push_str(&rest[..start]);
        out.push_str(APACHE_REFERENCE);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The license files the bundled crates ship, read from their unpacked sources (the build just
/// used them): every distinct text once, headed by the crates that ship it. A crate whose source
/// is missing is an error, so the package never ships without its notices.
fn license_texts(deps: &[Dep], sources: &[PathBuf]) -> Result<String> {
    let mut texts: Vec<(String, Vec<String>)> = Vec::new();
    let mut apache = Vec::new();
    let mut without = Vec::new();
    for d in deps {
        let dir = sources
            .iter()
            .map(|s| s.join(format!("{}-{}", d.name, d.version)))
            .find(|p| p.is_dir())
            .ok_or_else(|| {
                format!(
                    "the source of {} {} is not in Cargo's registry (run `cargo fetch`)",
                    d.name, d.version
                )
            })?;
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| is_license_file(n))
            .collect();
        names.sort();
        if names.is_empty() {
            without.push(format!("  {} {}: {}\n", d.name, d.version, d.license));
        }
        for name in names {
            let path = dir.join(&name);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let text = without_apache(&String::from_utf8_lossy(&bytes).replace('\r', ""))
                .trim()
                .to_owned();
            let who = format!("{} {} ({name})", d.name, d.version);
            if text == APACHE_REFERENCE {
                apache.push(who);
            } else if let Some((_, crates)) = texts.iter_mut().find(|(t, _)| *t == text) {
                crates.push(who);
            } else {
                texts.push((text, vec![who]));
            }
        }
    }
    let mut out = String::from(
        "License texts shipped by these crates, each distinct text once.\n\n\
         The Apache License, Version 2.0 (on Debian systems in\n\
         /usr/share/common-licenses/Apache-2.0), shipped by:\n",
    );
    for who in &apache {
        out.push_str(&format!("  {who}\n"));
    }
    if !without.is_empty() {
        out.push_str(
            "\nNo license file in the published crate (the license its manifest declares\n\
             applies; where that includes Apache-2.0, see /usr/share/common-licenses/Apache-2.0):\n",
        );
        for w in &without {
            out.push_str(w);
        }
    }
    for (text, crates) in &texts {
        out.push_str("\n----------------------------------------------------------------------\n");
        for who in crates {
            out.push_str(&format!("{who}:\n"));
        }
        out.push('\n');
        out.push_str(text);
        out.push('\n');
    }
    Ok(out)
}

fn changelog(version: &str, commit: &str, epoch: u64) -> Result<String> {
    Ok(format!(
        "{NAME} ({version}) unstable; urgency=medium\n\n  * Release {version}, built from commit {commit}.\n\n -- {MAINTAINER}  {}\n",
        rfc2822(epoch)?
    ))
}

fn control(version: &str, arch: &str, depends: &str, installed_kib: u64) -> String {
    let mut description = String::new();
    for line in DESCRIPTION.lines() {
        description.push(' ');
        description.push_str(line);
        description.push('\n');
    }
    format!(
        "Package: {NAME}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {MAINTAINER}\n\
         Installed-Size: {installed_kib}\nDepends: {depends}\nSection: admin\nPriority: optional\n\
         Description: {SYNOPSIS}\n{description}"
    )
}

fn installed_kib(dir: &Path) -> Result<u64> {
    let mut all = Vec::new();
    files(dir, Path::new(""), &mut all)?;
    let mut total = 0u64;
    for f in all {
        let len = std::fs::symlink_metadata(dir.join(&f))
            .map_err(|e| format!("cannot stat {}: {e}", f.display()))?
            .len();
        total += len.div_ceil(1024);
    }
    Ok(total)
}

/// `cargo xtask dist`.
pub fn dist() -> Result<Artefacts> {
    deps()?;
    let root = root();
    crate::licenses::run(&root)?;
    cargo(&["build", "--release", "--locked", "--bin", NAME])?;
    let target = target_dir();
    let dist = target.join("dist");
    fresh_dir(&dist)?;
    let generated = generate(&dist.join("generated"))?;

    let bin = target.join("release").join(NAME);
    let version_line = output(Command::new(&bin).arg("--version"))?;
    // `es-autoconf 0.1.0 (commit 0123456789ab, crypto: aws-lc-rs 1.19.0)`
    let mut words = version_line.split_whitespace();
    let version = words.nth(1).ok_or("no version")?.to_owned();
    let commit = version_line
        .split("commit ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or("unknown")
        .to_owned();
    let arch = output(Command::new("dpkg").arg("--print-architecture"))?;
    let triple = output(Command::new("rustc").arg("-vV"))?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or("rustc -vV names no host")?;
    let epoch = source_date_epoch(&root);

    // The Debian package, staged as debhelper would: work/debian/<package>/...
    let work = dist.join("deb-work");
    fresh_dir(&work)?;
    write(
        &work.join("debian/control"),
        format!("Source: {NAME}\n\nPackage: {NAME}\nArchitecture: any\n"),
        0o644,
    )?;
    let pkg = work.join("debian").join(NAME);
    let usr_bin = pkg.join("usr/bin").join(NAME);
    copy(&bin, &usr_bin, 0o755)?;
    // As dh_strip does.
    run(Command::new("strip")
        .args([
            "--remove-section=.comment",
            "--remove-section=.note",
            "--strip-unneeded",
        ])
        .arg(&usr_bin))?;
    let man1 = pkg.join("usr/share/man/man1");
    for page in &generated.man {
        let name = page.file_name().ok_or("man page without a name")?;
        let to = man1.join(name);
        copy(page, &to, 0o644)?;
        gzip(&to)?;
    }
    copy(
        &generated.bash,
        &pkg.join("usr/share/bash-completion/completions").join(NAME),
        0o644,
    )?;
    copy(
        &generated.zsh,
        &pkg.join("usr/share/zsh/vendor-completions")
            .join(format!("_{NAME}")),
        0o644,
    )?;
    copy(
        &generated.fish,
        &pkg.join("usr/share/fish/vendor_completions.d")
            .join(format!("{NAME}.fish")),
        0o644,
    )?;
    let doc = pkg.join("usr/share/doc").join(NAME);
    copy(&root.join("README.md"), &doc.join("README.md"), 0o644)?;
    copy(&root.join("LICENSE"), &doc.join("LICENSE"), 0o644)?;
    let year = output(
        Command::new("date")
            .args(["-u", "+%Y", "-d"])
            .arg(format!("@{epoch}")),
    )?;
    write(&doc.join("copyright"), copyright(&root, &year)?, 0o644)?;
    write(
        &pkg.join("usr/share/lintian/overrides").join(NAME),
        LINTIAN_OVERRIDES,
        0o644,
    )?;
    write(
        &doc.join("changelog"),
        changelog(&version, &commit, epoch)?,
        0o644,
    )?;
    gzip(&doc.join("changelog"))?;

    let depends = output(
        Command::new("dpkg-shlibdeps")
            .arg("-O")
            .arg(format!("debian/{NAME}/usr/bin/{NAME}"))
            .current_dir(&work),
    )?;
    let depends = depends
        .lines()
        .find_map(|l| l.strip_prefix("shlibs:Depends="))
        .ok_or_else(|| format!("dpkg-shlibdeps said: {depends}"))?
        .to_owned();
    let size = installed_kib(&pkg)?;
    let mut payload = Vec::new();
    files(&pkg, Path::new(""), &mut payload)?;
    let mut md5 = String::new();
    for f in &payload {
        let sum = output(Command::new("md5sum").arg(f).current_dir(&pkg))?;
        md5.push_str(&sum);
        md5.push('\n');
    }
    write(
        &pkg.join("DEBIAN/control"),
        control(&version, &arch, &depends, size),
        0o644,
    )?;
    write(&pkg.join("DEBIAN/md5sums"), md5, 0o644)?;
    chmod_dirs(&pkg)?;
    let deb = dist.join(format!("{NAME}_{version}_{arch}.deb"));
    run(Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(&pkg)
        .arg(&deb)
        .env("SOURCE_DATE_EPOCH", epoch.to_string()))?;

    // The tarball: the same files, in the layout of ripgrep's release archives.
    let top = format!("{NAME}-{version}-{triple}");
    let tree = dist.join("tar-work").join(&top);
    fresh_dir(&tree)?;
    copy(&usr_bin, &tree.join(NAME), 0o755)?;
    for page in &generated.man {
        let name = page.file_name().ok_or("man page without a name")?;
        copy(page, &tree.join("man").join(name), 0o644)?;
    }
    copy(
        &generated.bash,
        &tree.join("complete").join(format!("{NAME}.bash")),
        0o644,
    )?;
    copy(
        &generated.zsh,
        &tree.join("complete").join(format!("_{NAME}")),
        0o644,
    )?;
    copy(
        &generated.fish,
        &tree.join("complete").join(format!("{NAME}.fish")),
        0o644,
    )?;
    copy(&root.join("README.md"), &tree.join("README.md"), 0o644)?;
    copy(&root.join("LICENSE"), &tree.join("LICENSE"), 0o644)?;
    copy(&doc.join("copyright"), &tree.join("copyright"), 0o644)?;
    chmod_dirs(&tree)?;
    let tarball = dist.join(format!("{top}.tar.gz"));
    run(Command::new("tar")
        .args([
            "--sort=name",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            &format!("--mtime=@{epoch}"),
            "--use-compress-program=gzip -9n",
            "-cf",
        ])
        .arg(&tarball)
        .arg("-C")
        .arg(dist.join("tar-work"))
        .arg(&top))?;

    let sums = output(
        Command::new("sha256sum")
            .arg(deb.file_name().ok_or("deb without a name")?)
            .arg(tarball.file_name().ok_or("tarball without a name")?)
            .current_dir(&dist),
    )?;
    write(&dist.join("SHA256SUMS"), format!("{sums}\n"), 0o644)?;
    eprintln!("{sums}");
    Ok(Artefacts { deb, tarball })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(name: &str, license: &str) -> Dep {
        Dep {
            name: name.into(),
            version: "1.0.0".into(),
            license: license.into(),
            local: false,
        }
    }

    #[test]
    fn license_texts_once_each_apache_by_reference_and_no_crate_left_out() {
        let root = std::env::temp_dir().join(format!("esac-xtask-licenses-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let index = root.join("index.crates.io-x");
        let mit = "MIT License\r\n\r\nCopyright (c) someone\n\nPermission is hereby granted\n";
        let apache =
            "                              Apache License\n  Version 2.0, January 2004\n\n\
                      TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n 1. ...\n\
                      END OF TERMS AND CONDITIONS\n\nAPPENDIX: How to apply the Apache License\n\
                      ... limitations under the License.\n";
        let isc_and_apache =
            format!("SPDX: ISC AND (Apache-2.0 OR ISC)\n\n{apache}\nISC License\n");
        for (name, files) in [
            ("a", &[("LICENSE-MIT", mit), ("LICENSE-APACHE", apache)][..]),
            (
                "b",
                &[
                    ("LICENSE-MIT", mit),
                    ("NOTICE", "b's notice"),
                    ("LICENSE", &isc_and_apache),
                ][..],
            ),
            ("c", &[("README.md", "no license here")][..]),
        ] {
            let dir = index.join(format!("{name}-1.0.0"));
            std::fs::create_dir_all(&dir).unwrap();
            for (file, text) in files {
                std::fs::write(dir.join(file), text).unwrap();
            }
        }
        let deps = [
            dep("a", "MIT OR Apache-2.0"),
            dep("b", "MIT"),
            dep("c", "MIT/Apache-2.0"),
        ];
        let text = license_texts(&deps, std::slice::from_ref(&index)).unwrap();
        assert_eq!(
            text.matches("Permission is hereby granted").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("a 1.0.0 (LICENSE-MIT):\nb 1.0.0 (LICENSE-MIT):\n"),
            "{text}"
        );
        assert!(!text.contains('\r'), "{text}");
        assert!(
            text.contains("shipped by:\n  a 1.0.0 (LICENSE-APACHE)\n"),
            "{text}"
        );
        assert!(!text.contains("January 2004"), "{text}");
        assert!(!text.contains("TERMS AND CONDITIONS"), "{text}");
        assert!(
            text.contains(&format!(
                "b 1.0.0 (LICENSE):\n\nSPDX: ISC AND (Apache-2.0 OR ISC)\n\n{APACHE_REFERENCE}\n\nISC License"
            )),
            "{text}"
        );
        assert!(text.contains("b 1.0.0 (NOTICE):\n\nb's notice"), "{text}");
        assert!(text.contains("  c 1.0.0: MIT/Apache-2.0\n"), "{text}");

        // Nothing but a copy is cut: terms without their end, and text between a copy without
        // its appendix and a later appendix, stay.
        let unended =
            "Apache License\nTERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\nMIT tail";
        assert_eq!(without_apache(unended), unended);
        let two = format!(
            "Apache License\nTERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n\
             END OF TERMS AND CONDITIONS\n{}\nPermission is hereby granted\n\n\
             APPENDIX: How to apply the Apache License\n limitations under the License.\n",
            "x".repeat(500)
        );
        let kept = without_apache(&two);
        assert!(kept.contains("Permission is hereby granted"), "{kept}");
        assert!(kept.starts_with(APACHE_REFERENCE), "{kept}");

        let missing = license_texts(&[dep("d", "MIT")], std::slice::from_ref(&index));
        assert!(missing.unwrap_err().contains("d 1.0.0"));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
