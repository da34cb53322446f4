//! Integration tests of esac-pki: one binary, modules by topic (ripgrep style).
//!
//! `plan` checks the certificate plan and its SAN order; `certs` reads every generated
//! certificate back with x509-parser and checks spec 2.2/2.3 field by field; `stores`
//! round-trips the PKCS#12 files; `tls_rustls` runs an in-process rustls handshake; `keygen`
//! holds the only real RSA-4096 generation of the suite. Everything else uses the committed key
//! pool.
//!
//! With the `interop` feature (`cargo xtask test` turns it on), `interop::jdk` and
//! `interop::openssl` also check the files with the tools Elasticsearch and its users have; they
//! fail, never skip, when a tool is missing.

mod certs;
mod common;
mod keygen;
mod layout;
mod stores;
mod tls_rustls;

#[cfg(feature = "interop")]
mod interop;
