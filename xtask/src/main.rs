//! Developer tasks: `cargo xtask <task>`.
//!
//! - `demo`: lay out a fresh Elasticsearch-style home under `target/demo/` and run es-autoconf on it.
//! - `deps`: install what the test suite needs (a JDK, openssl, Python `cryptography` and `bcrypt`,
//!   ansible-core, setpriv) when missing; apt-get and pip only.
//! - `test`: `deps`, then `cargo test --workspace` with every package's `interop` feature on (the
//!   tests that need those tools; a plain `cargo test` leaves them out), then `packaging-test`.
//! - `fuzz [--seconds N] [--smoke]`: run every cargo-fuzz target for N seconds (needs a nightly
//!   toolchain); `--smoke` builds without AddressSanitizer, as CI does.
//! - `dist`: the release binary, a `.deb` and a tarball in `target/dist/` (see `dist.rs`).
//! - `licenses`: the license and ban check of the dependency tree (offline; also a tidy test).
//! - `packaging-test`: installs the `.deb` with dpkg beside an Elasticsearch stand-in whose
//!   post-install hook runs es-autoconf, and checks the result (root and dpkg only; see
//!   `packaging.rs`).
//! - `ci`: what `.ci/run` runs: fmt check, clippy (without and with the `interop` features), test
//!   (with the packaging test), fuzz smoke, then a check that no tracked file changed.
//! - `bench [--runs N] [--quick] [--layout-runs N] [--only A,B]`: init against its floors and
//!   the JVM/openssl references, layout of 50 nodes against its key-generation floor
//!   (`docs/performance.md`).
//!
//! Only `std`: this crate must build in seconds.

mod bench;
mod dist;
mod licenses;
mod packaging;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

#[cfg(test)]
mod tidy;

type Result<T = ()> = std::result::Result<T, String>;

/// The `interop` feature of every package that has one: its tests need the outside tools `deps`
/// installs, and fail when one is missing. `test` and `ci` turn them all on; tidy checks this list
/// against the manifests.
const INTEROP_FEATURES: &[&str] = &[
    "es-autoconf/interop",
    "esac-keystore/interop",
    "esac-pki/interop",
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let result = match task {
        "demo" => demo(),
        "deps" => deps(),
        "test" => deps()
            .and_then(|()| test())
            .and_then(|()| packaging::packaging_test()),
        "dist" => dist::dist().map(|a| {
            println!("{}\n{}", a.deb.display(), a.tarball.display());
        }),
        "licenses" => licenses::run(&root()),
        "packaging-test" => packaging::packaging_test(),
        "fuzz" => fuzz(seconds(rest, 60), rest.iter().any(|a| a == "--smoke")),
        "ci" => ci(),
        "bench" => bench::bench(rest),
        _ => {
            eprintln!("usage: cargo xtask <demo|deps|test|dist|licenses|packaging-test|fuzz [--seconds N] [--smoke]|ci|bench [--runs N] [--quick] [--layout-runs N] [--only A,B]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn seconds(rest: &[String], default: u64) -> u64 {
    rest.iter()
        .position(|a| a == "--seconds")
        .and_then(|i| rest.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `CARGO_TARGET_DIR`, else `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn run(cmd: &mut Command) -> Result {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn cargo(args: &[&str]) -> Result {
    run(Command::new(cargo_bin()).args(args).current_dir(root()))
}

/// Every test, the interop ones included.
fn test() -> Result {
    let features = INTEROP_FEATURES.join(",");
    cargo(&["test", "--workspace", "--locked", "--features", &features])
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn python_has(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Installs the outside tools the tests use, only when missing.
fn deps() -> Result {
    let mut apt: Vec<&str> = Vec::new();
    if !have("keytool", "-help") || !have("javac", "-version") {
        apt.push("openjdk-17-jdk-headless");
    }
    if !have("openssl", "version") {
        apt.push("openssl");
    }
    if !have("setpriv", "--version") {
        apt.push("util-linux");
    }
    if !have("script", "--version") {
        apt.push("bsdutils");
    }
    // Lucene's own CodecUtil, for the independent keystore check in both directions.
    let lucene = std::fs::read_dir("/usr/share/java")
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("lucene-core-8"))
        })
        .unwrap_or(false);
    if !lucene {
        apt.push("liblucene8-java");
    }
    if !have("python3", "--version") {
        apt.extend(["python3", "python3-pip"]);
    }
    apt_install(&apt)?;
    let mut pip: Vec<&str> = Vec::new();
    if !python_has("cryptography") {
        pip.push("cryptography");
    }
    if !python_has("bcrypt") {
        pip.push("bcrypt");
    }
    // examples/ansible/, run by tests/it/ansible.rs.
    if !have("ansible-playbook", "--version") {
        pip.push("ansible-core");
    }
    if !pip.is_empty() {
        run(Command::new("python3")
            .args(["-m", "pip", "install", "-q"])
            .args(&pip))?;
    }
    // A pyenv Python puts new commands on PATH through its shims, made by `pyenv rehash`.
    if !have("ansible-playbook", "--version") && have("pyenv", "--version") {
        run(Command::new("pyenv").arg("rehash"))?;
    }
    Ok(())
}

/// `apt-get install` of `packages` (after one `apt-get update`), when there are any.
fn apt_install(packages: &[&str]) -> Result {
    if packages.is_empty() {
        return Ok(());
    }
    run(Command::new("apt-get")
        .arg("update")
        .arg("-q")
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

const STOCK_YML: &str = include_str!("../../tests/data/elasticsearch.yml");

/// A fresh home in `target/demo/es-home`, then dry run, real run, and a look at the result.
fn demo() -> Result {
    cargo(&["build", "--quiet", "--bin", "es-autoconf"])?;
    let root = root();
    let bin = target_dir().join("debug/es-autoconf");
    let home = root.join("target/demo/es-home");
    if home.exists() {
        std::fs::remove_dir_all(&home)
            .map_err(|e| format!("cannot clear {}: {e}", home.display()))?;
    }
    let config = home.join("config");
    std::fs::create_dir_all(&config)
        .map_err(|e| format!("cannot create {}: {e}", config.display()))?;
    std::fs::create_dir_all(home.join("data"))
        .map_err(|e| format!("cannot create data dir: {e}"))?;
    std::fs::write(config.join("elasticsearch.yml"), STOCK_YML)
        .map_err(|e| format!("cannot write yml: {e}"))?;
    println!("== Fresh Elasticsearch home: {}\n", home.display());

    println!("== es-autoconf init --dry-run\n");
    let es = || {
        let mut c = Command::new(&bin);
        c.env("ES_HOME", &home).env_remove("ES_PATH_CONF");
        c
    };
    run(es().args(["init", "--dry-run"]))?;

    println!("\n== es-autoconf init\n");
    let status = es().arg("init").status().map_err(|e| e.to_string())?;
    println!("\n(exit status {})", status.code().unwrap_or(-1));
    if !status.success() {
        return Err("init did not succeed".into());
    }
    println!("\n== What was written\n");
    let _ = run(Command::new("ls")
        .args(["-la"])
        .arg(&config)
        .arg(config.join("certs")));
    println!("\n== es-autoconf keystore list\n");
    let _ = run(es().args(["keystore", "list"]));
    println!("\n== openssl verify -CAfile certs/http_ca.crt (the CA verifies itself)\n");
    let _ = run(Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(config.join("certs/http_ca.crt"))
        .arg(config.join("certs/http_ca.crt")));
    println!("\n== A second run leaves the node as it is\n");
    let status = es().arg("init").status().map_err(|e| e.to_string())?;
    println!(
        "(exit status {}: Elasticsearch's NOOP)",
        status.code().unwrap_or(-1)
    );
    Ok(())
}

/// Runs every cargo-fuzz target for `seconds`. `smoke` (CI) builds without AddressSanitizer:
/// instrumenting aws-lc's C code costs minutes of build time, and a short smoke run is about
/// panics and the targets still building. All targets share one target directory.
fn fuzz(seconds: u64, smoke: bool) -> Result {
    let root = root();
    let nightly = have("cargo", "+nightly")
        || Command::new("rustup")
            .args(["run", "nightly", "rustc", "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if !nightly {
        return Err("cargo fuzz needs a nightly toolchain (rustup toolchain list); the fuzz bodies also run as unit tests".into());
    }
    if !have("cargo-fuzz", "--version")
        && !Command::new("cargo")
            .args(["+nightly", "fuzz", "--version"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    {
        run(Command::new(cargo_bin()).args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let mut found = false;
    for krate in std::fs::read_dir(root.join("crates"))
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let fuzz_dir = krate.path().join("fuzz");
        let targets = fuzz_dir.join("fuzz_targets");
        let Ok(entries) = std::fs::read_dir(&targets) else {
            continue;
        };
        for t in entries.flatten() {
            let name = t
                .path()
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_owned)
                .unwrap_or_default();
            found = true;
            run(Command::new("cargo")
                .env("CARGO_TARGET_DIR", root.join("target/fuzz"))
                .args([
                    "+nightly",
                    "fuzz",
                    "run",
                    "--sanitizer",
                    if smoke { "none" } else { "address" },
                    &name,
                    "--",
                    &format!("-max_total_time={seconds}"),
                ])
                .current_dir(&fuzz_dir))?;
        }
    }
    if !found {
        eprintln!("no fuzz targets found");
    }
    Ok(())
}

fn ci() -> Result {
    cargo(&["fmt", "--all", "--check"])?;
    let clippy = ["clippy", "--workspace", "--all-targets", "--locked"];
    let deny = ["--", "-D", "warnings"];
    // Without the features (an import or helper used only by interop code is flagged as unused)
    // and with them (the interop code itself is checked).
    cargo(&[&clippy[..], &deny].concat())?;
    let features = INTEROP_FEATURES.join(",");
    cargo(&[&clippy[..], &["--features", features.as_str()], &deny].concat())?;
    deps()?;
    test()?;
    packaging::packaging_test()?;
    match fuzz(10, true) {
        Ok(()) => {}
        Err(e) if e.contains("nightly") => eprintln!("fuzz smoke skipped: {e}"),
        Err(e) => return Err(e),
    }
    tree_is_clean()
}

/// Tests, builds and fuzz runs must not change tracked files (a stale fuzz lockfile, a test that
/// writes into the repository): `git status` lists nothing afterwards.
fn tree_is_clean() -> Result {
    let out = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root())
        .output();
    match out {
        // Not a git checkout (a source tarball): nothing to compare with.
        Err(_) => Ok(()),
        Ok(o) if !o.status.success() => Ok(()),
        Ok(o) if o.stdout.is_empty() => Ok(()),
        Ok(o) => Err(format!(
            "the run changed tracked files:\n{}",
            String::from_utf8_lossy(&o.stdout)
        )),
    }
}
