//! Fuzzing entry points, shared by `crates/probe/fuzz` and the unit tests. Not part of the API.

use std::os::unix::ffi::OsStrExt;

use crate::mounts;

/// The fuzz body: any bytes as `/proc/self/mountinfo`. Panics are findings. Every parsed mount
/// point is absolute and is found again by a lookup.
pub fn fuzz_mountinfo(data: &[u8]) {
    let table = mounts::parse(data);
    for m in &table.mounts {
        assert!(m.mount_point.is_absolute(), "{m:?}");
        assert!(
            m.root.as_os_str().as_bytes().first() == Some(&b'/'),
            "{m:?}"
        );
        assert!(table.is_mount_point(&m.mount_point));
        let _ = m.read_only();
    }
    // A line never yields more than one mount.
    let lines = data.split(|b| *b == b'\n').count();
    assert!(table.mounts.len() <= lines);
}
