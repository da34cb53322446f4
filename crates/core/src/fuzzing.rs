//! Fuzzing entry points, shared by `crates/core/fuzz` and the unit tests (the shape of rustls'
//! `internal::fuzzing`). Not part of the API.

use crate::instances::{self, InstancesError};

/// The fuzz body for `instances.yml`: parse anything; errors render; whatever parses obeys the
/// rules a bundle relies on (valid unique directory names, node names that can be written into
/// `elasticsearch.yml`, subjects that print and parse back).
pub fn instances(data: &[u8]) {
    match instances::parse_instances_bytes(data) {
        Err(e) => {
            let _ = e.message("instances.yml");
            let _ = e.detail_lines();
            if let InstancesError::Invalid(bad) = &e {
                assert!(bad.iter().all(|b| !b.messages.is_empty()));
            }
        }
        Ok(list) => {
            assert!(!list.is_empty() && list.len() <= instances::MAX_INSTANCES);
            for (i, inst) in list.iter().enumerate() {
                assert!(instances::is_valid_filename(&inst.filename), "{inst:?}");
                assert!(instances::is_node_name(inst.node_name()), "{inst:?}");
                for other in &list[..i] {
                    assert!(!other.filename.eq_ignore_ascii_case(&inst.filename));
                    assert!(!other.node_name().eq_ignore_ascii_case(inst.node_name()));
                }
                if let Some(dn) = &inst.subject.dn {
                    let again = esac_certspec::DistinguishedName::parse(&dn.to_string());
                    assert_eq!(again.as_ref(), Ok(dn), "{dn}");
                    assert_eq!(dn.cn(), Some(inst.node_name()));
                }
                assert!(inst.dns.iter().all(|d| d.is_ascii() && !d.is_empty()));
            }
        }
    }
}

/// The deterministic xorshift64 sequence from `seed` (not zero) that the random-input tests of the
/// workspace draw from: the same seed gives the same inputs on every run, and nothing random is
/// read.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
