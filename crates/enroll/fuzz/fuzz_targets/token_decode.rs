//! Arbitrary bytes as an enrollment token: no panic, round trip, no key in Debug.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    esac_enroll::fuzzing::token_decode(data);
});
