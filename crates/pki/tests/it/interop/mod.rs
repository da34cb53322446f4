//! The files checked with outside tools (feature `interop`): `jdk` (keytool and JSSE handshakes)
//! and `openssl`. A missing tool fails the test and says to run `cargo xtask deps`.

mod jdk;
mod openssl;

use std::path::PathBuf;

use esac_pki::{new_store_password, Material};
use esac_secret::Secret;

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

pub fn password_str(secret: &Secret) -> &str {
    secret.expose_str().expect("generated passwords are ASCII")
}
