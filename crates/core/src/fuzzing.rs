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

/// Mutates `bytes` in place with `edits` random edits drawn from `next`: insert a byte of
/// `inserted`, remove a byte, or overwrite a byte with one below `max_byte`. The mutation
/// step of the random-input tests that start from a valid file.
pub fn mutate(
    bytes: &mut Vec<u8>,
    edits: u64,
    next: &mut impl FnMut() -> u64,
    inserted: &[u8],
    max_byte: u64,
) {
    for _ in 0..edits {
        let at = (next() as usize) % bytes.len().max(1);
        match next() % 3 {
            0 => bytes.insert(at, inserted[(next() % inserted.len() as u64) as usize]),
            1 if !bytes.is_empty() => {
                bytes.remove(at);
            }
            _ => {
                if let Some(b) = bytes.get_mut(at) {
                    *b = (next() % max_byte) as u8;
                }
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

/// The fuzz body for `elasticsearch.yml` (a file members of the config directory's group may
/// write): the settings parser, the block `init` appends, the block `reconfigure` strips and the
/// line editor of `finalize` take anything without a panic, and what they produce keeps their
/// promises. The input is also tried with the auto-configuration block appended, so the block
/// paths are reached without a corpus.
pub fn yml_edit(data: &[u8]) {
    let no_env = |_: &str| None;
    let parsed = esac_settings::Settings::from_yaml_bytes(data, "elasticsearch.yml", &no_env);
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(parsed.is_err());
        return;
    };
    let block = crate::yml::render_block(
        &parsed.unwrap_or_default(),
        &crate::yml::BlockInputs {
            node_name: Some("node-1".into()),
            seed_hosts: None,
            transport_host_uncommented: false,
            timestamp: "30-11-2026 10:11:12".into(),
        },
    );
    match crate::yml::patch_suffix(text, &block) {
        Some(suffix) => assert_eq!(
            format!("{text}{suffix}"),
            crate::yml::patched_yml(text, &block)
        ),
        None => assert!(text.contains('\r')),
    }
    let configured = crate::yml::patched_yml(text, &block);
    if !text.contains("SECURITY AUTO CONFIGURATION") {
        let stripped = crate::yml::strip_autoconfiguration(&configured);
        assert!(
            stripped.as_ref().is_ok_and(Option::is_some),
            "{text:?}: {stripped:?}"
        );
    }
    for t in [text, &configured] {
        let _ = crate::yml::strip_autoconfiguration(t);
        removals(t);
    }
}

/// `finalize`'s editor on `text`: what it removes was there, and what it leaves parses without
/// the setting.
fn removals(text: &str) {
    let no_env = |_: &str| None;
    let hosts = ["es1:9300".to_owned()];
    for seeds in [None, Some(&hosts[..])] {
        if let Ok(r) = crate::finalize::remove_initial_master_nodes(text, seeds, &no_env) {
            assert!(!r.removed.is_empty(), "{text:?}");
            for (n, line) in &r.removed {
                assert!(*n >= 1 && text.contains(line.as_str()), "{text:?}");
            }
            assert!(
                esac_settings::Settings::from_yaml(&r.after, "elasticsearch.yml", &no_env)
                    .is_ok_and(|s| s.get("cluster.initial_master_nodes").is_none()),
                "{text:?}"
            );
        }
    }
}
