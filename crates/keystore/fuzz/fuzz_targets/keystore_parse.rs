//! Any bytes through the keystore parser, decryption and re-encoding; the body lives in
//! `esac_keystore::fuzzing` so the unit tests run it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esac_keystore::fuzzing::fuzz_parse(data));
