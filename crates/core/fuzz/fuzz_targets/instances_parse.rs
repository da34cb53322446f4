//! Arbitrary bytes as `instances.yml`: no panic; what parses obeys the bundle's rules.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    esac_core::fuzzing::instances(data);
});
