//! A snapshot of everything under a directory, to prove that a run changed nothing.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// One path of a [`Tree`]: what it is, its mode and mtime, and its content (files) or target
/// (links).
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    /// `"file"`, `"dir"` or `"link"`.
    pub kind: &'static str,
    pub mode: u32,
    pub mtime: i64,
    pub mtime_nsec: i64,
    pub content: Vec<u8>,
}

/// Every path under a root (relative to it, the root itself being `""`) with its [`Entry`].
#[derive(Debug, PartialEq, Eq)]
pub struct Tree(pub BTreeMap<PathBuf, Entry>);

impl Tree {
    pub fn of(root: &Path) -> Self {
        let mut map = BTreeMap::new();
        walk(root, root, &mut map);
        Tree(map)
    }

    /// The same snapshot with directory mtimes zeroed: a run that adds and removes entries
    /// changes a directory's mtime even when it ends with the very same content.
    pub fn ignoring_dir_mtimes(mut self) -> Self {
        for e in self.0.values_mut() {
            if e.kind == "dir" {
                (e.mtime, e.mtime_nsec) = (0, 0);
            }
        }
        self
    }
}

fn walk(root: &Path, p: &Path, map: &mut BTreeMap<PathBuf, Entry>) {
    let m = std::fs::symlink_metadata(p).unwrap();
    let rel = p.strip_prefix(root).unwrap().to_path_buf();
    let (kind, content) = if m.file_type().is_symlink() {
        (
            "link",
            std::fs::read_link(p)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes(),
        )
    } else if m.is_dir() {
        ("dir", vec![])
    } else {
        ("file", std::fs::read(p).unwrap_or_default())
    };
    let entry = Entry {
        kind,
        mode: m.permissions().mode(),
        mtime: m.mtime(),
        mtime_nsec: m.mtime_nsec(),
        content,
    };
    map.insert(rel, entry);
    if m.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for e in entries {
            walk(root, &e, map);
        }
    }
}

/// The paths whose entries differ between two snapshots, with both sides (contents abridged).
pub fn tree_diff(a: &Tree, b: &Tree) -> Vec<String> {
    let show = |e: Option<&Entry>| match e {
        None => "absent".to_owned(),
        Some(e) => format!(
            "{} {:o} mtime {}.{:09} {} bytes",
            e.kind,
            e.mode,
            e.mtime,
            e.mtime_nsec,
            e.content.len()
        ),
    };
    let mut keys: Vec<&PathBuf> = a.0.keys().chain(b.0.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.0.get(*k) != b.0.get(*k))
        .map(|k| {
            format!(
                "{}: {} -> {}",
                k.display(),
                show(a.0.get(k)),
                show(b.0.get(k))
            )
        })
        .collect()
}

/// Asserts two snapshots are equal, listing only the differences.
#[track_caller]
pub fn assert_same_tree(before: &Tree, after: &Tree, what: &str) {
    let diff = tree_diff(before, after);
    assert!(
        diff.is_empty(),
        "{what}: the tree changed:\n{}",
        diff.join("\n")
    );
}
