//! Arbitrary bytes as `elasticsearch.yml`: the settings parser, the appended and stripped block
//! and finalize's line editor never panic, and what they produce keeps their promises.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    esac_core::fuzzing::yml_edit(data);
});
