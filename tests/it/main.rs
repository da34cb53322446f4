//! Black-box tests of the `es-autoconf` binary: one test binary, a module per topic (ripgrep
//! style), each run on temporary directories through `esac-testkit`.
//!
//! - `decision`: `init --dry-run`, one test per exit code and per row of spec §1.2;
//! - `apply`: a real `init`, its failures, interrupted runs and concurrent runs;
//! - `version`: the keystore format follows the Elasticsearch version found under `lib/`;
//! - `keystore_cli`: `es-autoconf keystore` against `elasticsearch-keystore`'s behaviour;
//! - `hostile`: stale and forged journals, signals, planted links, mounts and owners;
//! - `plan`: what `--dry-run` shows is what a run makes; JSON on every failure; snapshots;
//! - `enroll_cli`: `init --enrollment-token`, `reconfigure` and `enrollment-token` against an
//!   in-process node, also a hostile or broken one; the token from a file or the environment;
//! - `secrets`: credentials files left by killed runs, a closed standard output, no core dumps;
//! - `renew`: `renew http` and `renew http-ca` on nodes configured in the past, their refusals,
//!   and faults at every step of their plans;
//! - `finalize`: the bootstrap setting, the password hash and leftovers removed from formed
//!   nodes, byte for byte, and the refusals;
//! - `layout`: `layout` from certutil's `instances.yml` and `init --bundle` in several homes
//!   (with `interop`, JDK mutual TLS between them and JDK HTTPS name checks);
//! - `docker`: `examples/docker/docker-entrypoint.sh` with a stand-in `bin/elasticsearch`;
//! - `status`: `status` on nodes built on disk (expiry, keys, chains, keystore, SANs, bootstrap,
//!   permissions, leftovers, other layouts), each finding with its severity and exit codes, and
//!   the tree byte-identical afterwards.
//!
//! With the `interop` feature (`cargo xtask test` turns it on) the outside tools join in, and a
//! missing one fails the test: `jdk_openssl` (keytool and openssl read what `init` writes),
//! `finalize_interop` (formation evidence written by Lucene itself), `renew_interop` (a model of Elasticsearch's reload rule serves the renewed store; openssl and
//! the JDK accept old and new leaves under a re-issued CA), `tty`
//! (`init` under util-linux `script`), `ansible` (`examples/ansible/` run by ansible-core), and the
//! JDK, openssl and Python `bcrypt` checks inside `apply` and `enroll_cli`.

use esac_testkit::Bin;

/// The binary under test. Cargo names it only to this package's integration tests, so it is
/// handed to the kit from here.
const ES_AUTOCONF: Bin = Bin::new(env!("CARGO_BIN_EXE_es-autoconf"));

mod apply;
mod common;
mod decision;
mod docker;
mod enroll_cli;
mod finalize;
mod hostile;
mod keystore_cli;
mod layout;
mod plan;
mod renew;
mod secrets;
mod status;
mod version;

#[cfg(feature = "interop")]
mod ansible;
#[cfg(feature = "interop")]
mod finalize_interop;
#[cfg(feature = "interop")]
mod jdk_openssl;
#[cfg(feature = "interop")]
mod renew_interop;
#[cfg(feature = "interop")]
mod tty;
