//! Shared fixtures: the key pool, parameters, a fixed clock, written files, external tools.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use esac_pki::{
    generate, new_store_password, KeyType, Material, PkiParams, PoolKeySource, SanInputs,
};
use esac_secret::Secret;

/// A fresh pool per test: the round-robin counter must not be shared between concurrent tests,
/// or one `generate` call could receive the same key twice.
pub fn pool() -> PoolKeySource {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/key-pool");
    let pool = PoolKeySource::load(&dir).expect("load the key pool");
    assert!(
        pool.count(KeyType::Rsa4096) >= 8,
        "the pool holds 8 RSA-4096 keys"
    );
    pool
}

pub fn params(key_type: KeyType) -> PkiParams {
    PkiParams {
        node_name: "node-1".to_owned(),
        san: SanInputs {
            interface_addresses: vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
            ],
            hostname: "es-test-host".to_owned(),
            publish_hosts: vec!["198.51.100.7".to_owned(), "es.example.com".to_owned()],
        },
        key_type,
    }
}

/// The certificates must be valid now for the TLS tests, so "now" is the real clock here
/// (the library itself never reads it).
pub fn now() -> SystemTime {
    SystemTime::now()
}

pub fn material(key_type: KeyType) -> Material {
    generate(&params(key_type), &pool(), now()).expect("generate")
}

/// The three files of `certs/`, plus PEM copies of the node certificates for openssl.
pub struct Written {
    pub dir: tempfile::TempDir,
    pub http_password: Secret,
    pub transport_password: Secret,
}

impl Written {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

pub fn write(material: &Material) -> Written {
    let dir = tempfile::tempdir().expect("tempdir");
    let http_password = new_store_password().expect("password");
    let transport_password = new_store_password().expect("password");
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).expect(name);
    put(
        "http.p12",
        &material.http_p12(&http_password).expect("http.p12"),
    );
    put(
        "transport.p12",
        &material
            .transport_p12(&transport_password)
            .expect("transport.p12"),
    );
    put("http_ca.crt", material.http_ca_pem().as_bytes());
    put("http.pem", material.http().cert_pem().as_bytes());
    put("transport.pem", material.transport().cert_pem().as_bytes());
    put(
        "transport_ca.pem",
        esac_pki::pem::encode("CERTIFICATE", material.transport_ca_cert_der()).as_bytes(),
    );
    Written {
        dir,
        http_password,
        transport_password,
    }
}

/// The tool's path, or a failure naming the Debian package that provides it.
pub fn require_tool(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not on PATH: install the Debian package `{package}` (CI installs it)"
            )
        })
}

pub fn password_str(secret: &Secret) -> &str {
    secret.expose_str().expect("generated passwords are ASCII")
}

/// Runs `cmd` with a deadline; kills it (by its own pid) when the deadline passes.
pub fn run(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{cmd:?} ran longer than {limit:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// stdout + stderr as text, after asserting success.
pub fn success(what: &str, out: &Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}
