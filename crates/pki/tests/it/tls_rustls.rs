//! An in-process TLS handshake with rustls (aws-lc-rs provider) on both sides: the server uses
//! the `http` entry read back from `http.p12`, the client trusts only `http_ca.crt`.

use std::sync::Arc;

use esac_certspec::KeyType;
use esac_pki::{new_store_password, read_p12, Material, HTTP_ALIAS};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};

use crate::common::material;

fn configs(m: &Material) -> (Arc<ClientConfig>, Arc<ServerConfig>) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let pw = new_store_password().unwrap();
    let contents = read_p12(&m.http_p12(&pw).unwrap(), &pw).unwrap();
    let entry = contents.key_entry(HTTP_ALIAS).unwrap();
    let chain: Vec<CertificateDer<'static>> = entry
        .chain
        .iter()
        .map(|c| CertificateDer::from(c.clone()))
        .collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        entry.key.pkcs8_der().expose().to_vec(),
    ));
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();

    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(m.http_ca_pem().as_bytes()).unwrap())
        .unwrap();
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(client), Arc::new(server))
}

/// Moves TLS records between the two ends until both finish the handshake.
fn handshake(
    client: &mut ClientConnection,
    server: &mut ServerConnection,
) -> Result<(), rustls::Error> {
    for _ in 0..16 {
        let mut buf = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            server.read_tls(&mut rd).unwrap();
            server.process_new_packets()?;
        }
        buf.clear();
        while server.wants_write() {
            server.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            client.read_tls(&mut rd).unwrap();
            client.process_new_packets()?;
        }
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
    }
    panic!("handshake did not finish");
}

fn connect(m: &Material, name: &str) -> Result<ClientConnection, rustls::Error> {
    let (client_cfg, server_cfg) = configs(m);
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let mut client = ClientConnection::new(client_cfg, name).unwrap();
    let mut server = ServerConnection::new(server_cfg).unwrap();
    handshake(&mut client, &mut server)?;
    Ok(client)
}

#[test]
fn rustls_client_accepts_localhost_and_loopback_ip() {
    for kt in [KeyType::Rsa4096, KeyType::EcdsaP256] {
        let m = material(kt);
        for name in [
            "localhost",
            "127.0.0.1",
            "::1",
            "es-test-host",
            "es.example.com",
        ] {
            let client = connect(&m, name).unwrap_or_else(|e| panic!("{kt} {name}: {e}"));
            let peer = client.peer_certificates().unwrap();
            assert_eq!(peer.len(), 2, "server sends [http, CA]");
            assert_eq!(esac_pki::sha256_hex(&peer[1]), m.http_ca_fingerprint());
        }
    }
}

#[test]
fn rustls_client_rejects_other_names() {
    let m = material(KeyType::EcdsaP256);
    let err = connect(&m, "elsewhere.example").expect_err("must fail");
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
                | rustls::Error::InvalidCertificate(
                    rustls::CertificateError::NotValidForNameContext { .. }
                )
        ),
        "{err:?}"
    );
}
