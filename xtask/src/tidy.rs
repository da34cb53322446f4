//! Tidy checks, run by `cargo test` (as rust-analyzer's `tidy.rs`): every module says what it is
//! for, every crate is described in `docs/ARCHITECTURE.md`, no test is switched off, every
//! interop test is run by `cargo xtask test`, the dependencies' licenses are allowed and no banned
//! crate is locked or built, and the post-install hook docs/packaging.md shows is the one the
//! packaging test installs.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() {
            if name != "target" && name != "fuzz" && !name.starts_with('.') {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_library_and_binary_module_has_a_doc_header() {
    let root = super::root();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("xtask/src"), &mut files);
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        rust_files(&krate.path().join("src"), &mut files);
    }
    let missing: Vec<_> = files
        .iter()
        .filter(|f| {
            !std::fs::read_to_string(f)
                .unwrap_or_default()
                .starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a `//!` header: {missing:?}"
    );
}

#[test]
fn every_crate_is_described_in_the_architecture_doc() {
    let root = super::root();
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let manifest = std::fs::read_to_string(krate.path().join("Cargo.toml")).unwrap_or_default();
        let Some(name) = manifest.lines().find_map(|l| l.strip_prefix("name = \"")) else {
            continue;
        };
        let name = name.trim_end_matches('"');
        assert!(
            doc.contains(&format!("`{name}`")),
            "{name} is not described in docs/ARCHITECTURE.md"
        );
    }
}

#[test]
fn no_test_is_switched_off() {
    let root = super::root();
    let mut files = Vec::new();
    for dir in ["src", "tests", "crates", "xtask"] {
        rust_files(&root.join(dir), &mut files);
    }
    let (ignore, should_panic) = (concat!("#[", "ignore"), concat!("#[", "should_panic"));
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(
            !text.contains(ignore) && !text.contains(should_panic),
            "{}",
            f.display()
        );
    }
}

/// A package's `interop` feature exists exactly when its tests use it (a `cfg` on the feature, or a
/// target that requires it), and then `cargo xtask test` and `ci` turn it on.
#[test]
fn every_interop_test_is_run_by_xtask_test() {
    let root = super::root();
    let mut packages = vec![(root.clone(), vec![root.join("src"), root.join("tests")])];
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let dir = krate.path();
        packages.push((dir.clone(), vec![dir.join("src"), dir.join("tests")]));
    }
    let gate = concat!("feature = ", "\"interop\"");
    let required = concat!("required-features = [", "\"interop\"]");
    let mut seen = Vec::new();
    for (dir, sources) in packages {
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let Some(name) = manifest.lines().find_map(|l| l.strip_prefix("name = \"")) else {
            continue;
        };
        let name = name.trim_end_matches('"');
        let declared = manifest.lines().any(|l| l.starts_with("interop = "));
        let mut files = Vec::new();
        for s in &sources {
            rust_files(s, &mut files);
        }
        let gated: Vec<_> = files
            .iter()
            .filter(|f| {
                std::fs::read_to_string(f)
                    .unwrap_or_default()
                    .contains(gate)
            })
            .collect();
        let used = manifest.contains(required) || !gated.is_empty();
        assert_eq!(
            used, declared,
            "{name}: tests behind `interop` ({gated:?}) and the feature in Cargo.toml go together"
        );
        let feature = format!("{name}/interop");
        let enabled = super::INTEROP_FEATURES.contains(&feature.as_str());
        assert_eq!(
            declared, enabled,
            "{name}: `{feature}` must be in xtask's INTEROP_FEATURES exactly when it exists"
        );
        if declared {
            seen.push(feature);
        }
    }
    seen.sort();
    assert_eq!(seen, super::INTEROP_FEATURES, "packages not found");
}

/// Our crates a manifest lists under `[dependencies]` (not dev- or build-dependencies), by their
/// short name (`esac-core` -> `core`).
fn our_dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if !in_deps {
            continue;
        }
        let name = line.split(['.', '=', ' ']).next().unwrap_or_default();
        if let Some(short) = name.strip_prefix("esac-") {
            out.push(short.to_owned());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_dependency_table_is_the_real_crate_graph() {
    let root = super::root();
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).unwrap();
    let table = doc
        .split("## Dependency edges")
        .nth(1)
        .expect("docs/ARCHITECTURE.md has a `## Dependency edges` section");
    let mut documented = std::collections::BTreeMap::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let mut deps: Vec<String> = cells[2]
            .split(',')
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty() && d != "—")
            .collect();
        deps.sort();
        documented.insert(name, deps);
    }
    let mut real = std::collections::BTreeMap::new();
    let mut manifests = vec![root.join("Cargo.toml")];
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        manifests.push(krate.path().join("Cargo.toml"));
    }
    for m in manifests {
        let Ok(text) = std::fs::read_to_string(&m) else {
            continue;
        };
        let package = text.split("[package]").nth(1).unwrap_or_default();
        let Some(name) = package.lines().find_map(|l| l.strip_prefix("name = \"")) else {
            continue;
        };
        real.insert(
            name.trim_end_matches('"').to_owned(),
            our_dependencies(&text),
        );
    }
    assert_eq!(
        documented, real,
        "docs/ARCHITECTURE.md's dependency table (left) differs from the manifests (right)"
    );
}

#[test]
fn the_pure_crates_do_not_pull_a_crypto_backend() {
    for krate in ["esac-core", "esac-certspec", "esac-settings"] {
        let out = std::process::Command::new(super::cargo_bin())
            .args([
                "tree",
                "--quiet",
                "--locked",
                "--offline",
                "-e",
                "normal",
                "--prefix",
                "none",
                "-p",
                krate,
            ])
            .current_dir(super::root())
            .output()
            .expect("cargo tree runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tree = String::from_utf8_lossy(&out.stdout);
        assert!(
            !tree
                .lines()
                .any(|l| l.starts_with("aws-lc") || l.starts_with("ring ")),
            "{krate} depends on a crypto backend:\n{tree}"
        );
    }
}

#[test]
fn dependency_licenses_are_allowed_and_no_banned_crate_is_locked_or_built() {
    let problems = super::licenses::check(&super::root()).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
}

/// docs/packaging.md's hook is, byte for byte, the stand-in package's `postinst` that `cargo xtask
/// packaging-test` installs with dpkg.
#[test]
fn the_documented_post_install_hook_is_the_tested_one() {
    let root = super::root();
    let doc = std::fs::read_to_string(root.join("docs/packaging.md")).unwrap();
    let hook = std::fs::read_to_string(root.join("tests/packaging/elasticsearch/DEBIAN/postinst"))
        .unwrap();
    let shown = doc
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("docs/packaging.md shows the hook in a ```sh block");
    assert_eq!(shown, hook);
}
