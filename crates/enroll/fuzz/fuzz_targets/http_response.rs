//! Arbitrary bytes as a peer's HTTP answer: no panic, bounded body, no interim status.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    esac_enroll::fuzzing::http_response(data);
});
