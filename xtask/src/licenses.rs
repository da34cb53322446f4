//! The license and ban check of the dependency tree, offline: every crate the workspace builds
//! (normal, build and dev dependencies, for this machine's target, from `cargo tree --locked
//! --offline`) has a license expression that the allow-list satisfies, and no banned crate is in
//! `Cargo.lock` or the build. A tidy test runs it (so `cargo xtask test` and CI do), `cargo xtask
//! dist` runs it before packaging and lists the bundled crates in the Debian copyright file.

use std::path::Path;
use std::process::Command;

use crate::Result;

/// Licenses a dependency may be under (SPDX identifiers): permissive ones, compatible with
/// shipping the binary under Apache-2.0.
pub const ALLOWED: &[&str] = &[
    "Apache-2.0",
    "MIT",
    "MIT-0",
    "ISC",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Zlib",
    "CC0-1.0",
    "Unlicense",
    "BSL-1.0",
];

/// SPDX exceptions an allowed license may carry (`Apache-2.0 WITH LLVM-exception`).
const ALLOWED_EXCEPTIONS: &[&str] = &["LLVM-exception"];

/// Crates that must not even be in `Cargo.lock`, and why.
pub const BANNED_IN_LOCK: &[(&str, &str)] = &[
    (
        "rsa",
        "RUSTSEC-2023-0071 (Marvin timing attack); the comparison lives in crates/pki/keygen-compare/",
    ),
    (
        "openssl-sys",
        "a second crypto backend; es-autoconf has one, aws-lc-rs",
    ),
    (
        "openssl",
        "a second crypto backend; es-autoconf has one, aws-lc-rs",
    ),
    ("native-tls", "TLS goes through rustls on aws-lc-rs"),
];

/// Crates that may sit in `Cargo.lock` behind a feature nobody turns on, but must not be built.
pub const BANNED_IN_BUILD: &[(&str, &str)] = &[(
    "ring",
    "a second crypto backend (rustls-webpki lists it as optional); rustls and rcgen use aws-lc-rs",
)];

/// A dependency as `cargo tree` shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dep {
    pub name: String,
    pub version: String,
    /// The SPDX expression of the manifest's `license` field; empty when there is none.
    pub license: String,
    /// A path dependency (one of ours).
    pub local: bool,
}

/// The crates `cargo tree` lists for `args` (e.g. `--workspace -e normal,build,dev`, or
/// `-p es-autoconf -e normal`), each once, sorted.
pub fn tree(root: &Path, args: &[&str]) -> Result<Vec<Dep>> {
    let out = Command::new(crate::cargo_bin())
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(["--format", "{p}|{l}"])
        .args(args)
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut deps: Vec<Dep> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(parse_tree_line)
        .collect();
    deps.sort();
    deps.dedup();
    Ok(deps)
}

/// `name vX.Y.Z [(path)]|license[ (*)]`.
fn parse_tree_line(line: &str) -> Option<Dep> {
    let (package, license) = line.split_once('|')?;
    let mut words = package.split_whitespace();
    let name = words.next()?.to_owned();
    let version = words.next()?.trim_start_matches('v').to_owned();
    let local = words.next().is_some_and(|w| w.starts_with('('));
    let license = license.trim().trim_end_matches("(*)").trim().to_owned();
    Some(Dep {
        name,
        version,
        license,
        local,
    })
}

/// Whether the allow-list satisfies an SPDX expression (`OR`, `AND`, `WITH`, parentheses; the
/// old `/` separator means `OR`).
pub fn allowed(expression: &str) -> bool {
    let spaced = expression
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    let ok = or_expr(&tokens, &mut pos);
    ok == Some(true) && pos == tokens.len()
}

fn or_expr(t: &[&str], pos: &mut usize) -> Option<bool> {
    let mut value = and_expr(t, pos)?;
    while t.get(*pos) == Some(&"OR") {
        *pos += 1;
        value |= and_expr(t, pos)?;
    }
    Some(value)
}

fn and_expr(t: &[&str], pos: &mut usize) -> Option<bool> {
    let mut value = atom(t, pos)?;
    while t.get(*pos) == Some(&"AND") {
        *pos += 1;
        value &= atom(t, pos)?;
    }
    Some(value)
}

fn atom(t: &[&str], pos: &mut usize) -> Option<bool> {
    let tok = *t.get(*pos)?;
    *pos += 1;
    if tok == "(" {
        let v = or_expr(t, pos)?;
        if t.get(*pos) != Some(&")") {
            return None;
        }
        *pos += 1;
        return Some(v);
    }
    if matches!(tok, ")" | "OR" | "AND" | "WITH") {
        return None;
    }
    let mut ok = ALLOWED.contains(&tok);
    if t.get(*pos) == Some(&"WITH") {
        let exception = *t.get(*pos + 1)?;
        *pos += 2;
        ok &= ALLOWED_EXCEPTIONS.contains(&exception);
    }
    Some(ok)
}

/// The package names in a `Cargo.lock`.
pub fn locked_names(lock: &str) -> Vec<&str> {
    lock.lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"'))
        .collect()
}

/// Every problem with the workspace's dependencies; empty when all is well.
pub fn check(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let names = locked_names(&lock);
    for (banned, why) in BANNED_IN_LOCK {
        if names.contains(banned) {
            problems.push(format!("`{banned}` is in Cargo.lock: {why}"));
        }
    }
    let deps = tree(root, &["--workspace", "-e", "normal,build,dev"])?;
    if deps.len() < 50 {
        return Err(format!(
            "cargo tree listed only {} crates: {deps:?}",
            deps.len()
        ));
    }
    for d in &deps {
        if let Some((_, why)) = BANNED_IN_BUILD.iter().find(|(b, _)| *b == d.name) {
            problems.push(format!("`{}` {} is built: {why}", d.name, d.version));
        }
        if !allowed(&d.license) {
            problems.push(format!(
                "`{}` {}: license `{}` is not allowed (allowed: {})",
                d.name,
                d.version,
                d.license,
                ALLOWED.join(", ")
            ));
        }
    }
    Ok(problems)
}

/// `cargo xtask licenses`: the check, failing with every problem found.
pub fn run(root: &Path) -> Result {
    let problems = check(root)?;
    if problems.is_empty() {
        eprintln!("licenses and bans: ok");
        Ok(())
    } else {
        Err(format!(
            "dependency licenses and bans:\n  {}",
            problems.join("\n  ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        for ok in [
            "MIT",
            "MIT OR Apache-2.0",
            "MIT/Apache-2.0",
            "Apache-2.0 / MIT",
            "(MIT OR Apache-2.0) AND Unicode-3.0",
            "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT",
            "ISC AND (Apache-2.0 OR ISC) AND Apache-2.0 AND MIT AND BSD-3-Clause AND (Apache-2.0 OR ISC OR MIT) AND (Apache-2.0 OR ISC OR MIT-0)",
            "GPL-3.0-only OR MIT",
        ] {
            assert!(allowed(ok), "{ok}");
        }
        for bad in [
            "",
            "GPL-3.0-only",
            "MIT AND GPL-2.0-or-later",
            "MPL-2.0",
            "Apache-2.0 WITH Classpath-exception-2.0",
            "(MIT OR Apache-2.0",
            "MIT OR",
            "MIT Apache-2.0",
        ] {
            assert!(!allowed(bad), "{bad:?}");
        }
    }

    #[test]
    fn tree_lines() {
        assert_eq!(
            parse_tree_line("aws-lc-rs v1.19.0|ISC AND (Apache-2.0 OR ISC) (*)"),
            Some(Dep {
                name: "aws-lc-rs".into(),
                version: "1.19.0".into(),
                license: "ISC AND (Apache-2.0 OR ISC)".into(),
                local: false,
            })
        );
        let ours = parse_tree_line("esac-core v0.1.0 (/src/crates/core)|Apache-2.0").unwrap();
        assert!(ours.local);
        assert_eq!(parse_tree_line(""), None);
    }

    #[test]
    fn a_banned_crate_in_the_lockfile_is_found() {
        let lock = "[[package]]\nname = \"rsa\"\nversion = \"0.9.10\"\n";
        assert_eq!(locked_names(lock), ["rsa"]);
    }
}
