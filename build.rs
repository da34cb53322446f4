//! Build script of the `es-autoconf` binary: names the git commit and the crypto backend for
//! `--version` (`ESAC_GIT_COMMIT`, `ESAC_CRYPTO_BACKEND`).
//!
//! The commit is `ESAC_BUILD_COMMIT` when set (a build from a source tarball can name it), else
//! `git rev-parse --short=12 HEAD` when this package is the top of a git checkout, else `unknown`.
//! The backend is aws-lc-rs, with the version `Cargo.lock` pins.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// The commit of the checkout whose top level is `dir`, and the files whose change moves it.
fn git_commit(dir: &Path) -> Option<(String, Vec<PathBuf>)> {
    // Not the commit of some other repository this source was unpacked into.
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let commit = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
    let abs = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            dir.join(p)
        }
    };
    let git_dir = abs(git(dir, &["rev-parse", "--git-dir"])?);
    let common = abs(git(dir, &["rev-parse", "--git-common-dir"])?);
    // HEAD, the branch it names (loose or packed): a commit or a checkout moves one of them.
    let mut watch = vec![git_dir.join("HEAD"), common.join("packed-refs")];
    if let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD")) {
        if let Some(r) = head.trim().strip_prefix("ref: ") {
            // The loose ref; when the branch is only packed, its directory (a commit adds the file).
            let loose = common.join(r);
            match loose.parent() {
                Some(parent) if !loose.exists() => watch.push(parent.to_path_buf()),
                _ => watch.push(loose),
            }
        }
    }
    Some((commit, watch))
}

/// The aws-lc-rs version `Cargo.lock` pins.
fn aws_lc_rs_version(dir: &Path) -> Option<String> {
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"aws-lc-rs\"" {
            let v = lines.next()?.strip_prefix("version = \"")?;
            return Some(v.trim_end_matches('"').to_owned());
        }
    }
    None
}

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-env-changed=ESAC_BUILD_COMMIT");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let commit = match std::env::var("ESAC_BUILD_COMMIT") {
        Ok(c) if !c.is_empty() => c,
        _ => match git_commit(&dir) {
            Some((commit, watch)) => {
                for p in watch.iter().filter(|p| p.exists()) {
                    println!("cargo:rerun-if-changed={}", p.display());
                }
                commit
            }
            None => "unknown".to_owned(),
        },
    };
    println!("cargo:rustc-env=ESAC_GIT_COMMIT={commit}");
    let backend = match aws_lc_rs_version(&dir) {
        Some(v) => format!("aws-lc-rs {v}"),
        None => "aws-lc-rs".to_owned(),
    };
    println!("cargo:rustc-env=ESAC_CRYPTO_BACKEND={backend}");
}
