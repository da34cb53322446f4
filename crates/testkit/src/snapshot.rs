//! Snapshot assertions (uv's `uv_snapshot!`, without a dependency): the expected text lives in a
//! file next to the tests; `UPDATE_SNAPSHOTS=1 cargo test` rewrites it, so an interface change
//! arrives as a reviewed diff. Filters replace what differs between runs (temp paths, epochs).

use std::path::Path;

/// Replaces every `from` in `text` by `to`.
pub fn filter(text: &str, replacements: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (from, to) in replacements {
        if !from.is_empty() {
            out = out.replace(from, to);
        }
    }
    out
}

/// Asserts that `actual` equals the snapshot `dir/name`, or writes it when `UPDATE_SNAPSHOTS` is
/// set. A missing snapshot fails (so a new one is always looked at once).
#[track_caller]
pub fn assert_snapshot(dir: &Path, name: &str, actual: &str) {
    let path = dir.join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {} cannot be read ({e}); run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (e, a))| e != a)
            .take(10)
            .map(|(i, (e, a))| format!("line {}:\n  - {e}\n  + {a}", i + 1))
            .collect();
        panic!(
            "snapshot {} differs ({} vs {} lines); run with UPDATE_SNAPSHOTS=1 and review the diff\n{}",
            path.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}
