//! Any bytes as a PEM or PKCS#12 TLS file, through what `status` does with one; the body lives
//! in `esac_status::fuzzing` so the unit tests run it too.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| esac_status::fuzzing::fuzz_tls_file(data));
