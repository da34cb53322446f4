//! Any bytes as a Lucene `segments_N` file; the body lives in `esac_status::fuzzing` so the unit
//! tests run it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esac_status::fuzzing::fuzz_segments(data));
