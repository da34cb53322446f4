//! Any bytes as a Lucene `segments_N` file (formation evidence); the body lives in
//! `esac_probe::fuzzing` so the unit tests run it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esac_probe::fuzzing::fuzz_segments(data));
