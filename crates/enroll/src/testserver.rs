//! **Test support only** (feature `test-server`): an in-process fake Elasticsearch node.
//!
//! A rustls server on `127.0.0.1:0` (one thread per connection, stopped when dropped or after
//! `lifetime`) that presents the chain `[http cert, http CA]` of a [`Material`] and serves
//! `GET /_security/enroll/node` (the exact payload of spec 7.3, or a [`Failure`] shape),
//! `POST /_security/api_key` and `GET /_nodes/_local/http`. The transport failures of
//! [`Failure`] (trickling, stalling, raw bytes) apply to every endpoint; the others to the
//! enroll endpoint.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use esac_pki::Material;
use esac_secret::Secret;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::{json, Value};

use crate::token::EnrollmentToken;

/// How the enroll-node endpoint misbehaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Failure {
    /// The exact 7.3 payload.
    #[default]
    None,
    /// Present only the leaf certificate.
    CaNotInChain,
    /// Answer with this status and an Elasticsearch-style error body.
    Status(u16),
    /// 200 with an empty body.
    EmptyBody,
    /// 200 with the JSON `null`.
    NullBody,
    /// 200 with a non-JSON body.
    NotJson,
    /// These fields absent (`nodes_addresses` included: absent; others: empty string).
    MissingFields(Vec<String>),
    /// `transport_ca_cert` holds two concatenated certificates.
    MultipleCertificates,
    /// `http_ca_key` is not PKCS#8.
    BadKey,
    /// `nodes_addresses` is this JSON value (a hostile or broken peer's addresses).
    NodesAddresses(Value),
    /// After reading the request, wait this long before answering normally (a slow node; a
    /// test looks at the client meanwhile).
    Stall(Duration),
    /// Send the answer one byte at a time, this long apart: a peer that never trips a read
    /// timeout.
    Trickle(Duration),
    /// Send these bytes instead of an HTTP answer (bad chunk sizes, interim-response floods).
    Raw(Vec<u8>),
}

/// Server settings.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The enroll-node behaviour.
    pub failure: Failure,
    /// The API key accepted on the enroll endpoint (`id:secret`), also returned by
    /// `POST /_security/api_key`.
    pub api_key: String,
    /// The `elastic` password accepted by the other two endpoints.
    pub password: String,
    /// `nodes_addresses` of the payload.
    pub nodes_addresses: Vec<String>,
    /// `version` of `_nodes/_local/http`.
    pub version: String,
    /// Send bodies with `Transfer-Encoding: chunked`.
    pub chunked: bool,
    /// The server stops accepting after this long.
    pub lifetime: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            failure: Failure::None,
            api_key: "tYk-CY8Bv_wD7idPHWl7:UWQUxXRWR9SXTQoeKHWjDA".to_owned(),
            password: "elastic-test-password".to_owned(),
            nodes_addresses: vec![
                "192.0.2.20:9300".to_owned(),
                "[2001:db8::20]:9300".to_owned(),
            ],
            version: "8.14.0".to_owned(),
            chunked: false,
            lifetime: Duration::from_secs(60),
        }
    }
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Header lines (name lower-cased, value).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// A running server.
pub struct TestServer {
    addr: SocketAddr,
    fingerprint: String,
    api_key: String,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

struct Shared {
    material: Material,
    opts: ServerOptions,
    requests: Arc<Mutex<Vec<Recorded>>>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl TestServer {
    /// Starts a server presenting `material`'s HTTP certificate.
    pub fn start(material: &Material, opts: ServerOptions) -> io::Result<TestServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let mut chain = vec![CertificateDer::from(material.http().cert_der().to_vec())];
        if opts.failure != Failure::CaNotInChain {
            chain.push(CertificateDer::from(material.http_ca().cert_der().to_vec()));
        }
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            material.http().key().pkcs8_der().expose().to_vec(),
        ));
        let config = ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
        .map_err(io::Error::other)?;
        let config = Arc::new(config);
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            material: material.clone(),
            opts: opts.clone(),
            requests: requests.clone(),
            addr,
            stop: stop.clone(),
        });
        let stop2 = stop.clone();
        let deadline = Instant::now() + opts.lifetime;
        let accept = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((tcp, _)) => {
                        let (config, shared) = (config.clone(), shared.clone());
                        std::thread::spawn(move || {
                            let _ = serve(tcp, config, &shared);
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
        });
        Ok(TestServer {
            addr,
            fingerprint: material.http_ca_fingerprint(),
            api_key: opts.api_key,
            stop,
            accept: Some(accept),
            requests,
        })
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// A token for this server: its address, the right fingerprint, the accepted key.
    pub fn token(&self) -> EnrollmentToken {
        EnrollmentToken {
            version: "8.14.0".to_owned(),
            addresses: vec![self.address()],
            fingerprint: self.fingerprint.clone(),
            api_key: Secret::from_str_copy(&self.api_key),
        }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// `127.0.0.1:<port>` of a port that was just free (nothing listens there).
pub fn closed_port_address() -> io::Result<String> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.to_string())
}

fn serve(tcp: TcpStream, config: Arc<ServerConfig>, shared: &Shared) -> io::Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(10)))?;
    let conn = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    let request = read_request(&mut tls)?;
    if let Ok(mut r) = shared.requests.lock() {
        r.push(request.clone());
    }
    let (status, body) = route(&request, shared);
    let reason = if status == 200 { "OK" } else { "Error" };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\nconnection: close\r\n"
    )
    .into_bytes();
    if shared.opts.chunked && !body.is_empty() {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
        for part in body.chunks(100) {
            out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(&body);
    }
    match &shared.opts.failure {
        Failure::Raw(bytes) => out = bytes.clone(),
        Failure::Stall(pause) => sleep_unless_stopped(*pause, &shared.stop),
        Failure::Trickle(interval) => {
            for byte in out {
                if shared.stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                tls.write_all(&[byte])?;
                tls.flush()?;
                std::thread::sleep(*interval);
            }
            return Ok(());
        }
        _ => {}
    }
    tls.write_all(&out)?;
    tls.conn.send_close_notify();
    tls.flush()
}

fn sleep_unless_stopped(pause: Duration, stop: &AtomicBool) {
    let until = Instant::now() + pause;
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read_request<R: Read>(r: &mut R) -> io::Result<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = r.read(&mut chunk)?;
        if n == 0 || buf.len() > 65536 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "no request"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut body = buf[end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while body.len() < len {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Recorded {
        method,
        path,
        headers,
        body,
    })
}

fn header<'a>(req: &'a Recorded, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn error_body(status: u16, reason: &str) -> (u16, Vec<u8>) {
    let body = json!({"error": {"type": "security_exception", "reason": reason}, "status": status});
    (status, body.to_string().into_bytes())
}

fn route(req: &Recorded, shared: &Shared) -> (u16, Vec<u8>) {
    let opts = &shared.opts;
    let basic = format!(
        "Basic {}",
        STANDARD.encode(format!("elastic:{}", opts.password))
    );
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/_security/enroll/node") => {
            if header(req, "authorization")
                != Some(&format!("ApiKey {}", STANDARD.encode(&opts.api_key)))
            {
                return error_body(401, "unable to authenticate with provided credentials");
            }
            enroll_payload(&shared.material, opts)
        }
        ("POST", "/_security/api_key") if header(req, "authorization") == Some(&basic) => {
            let (id, secret) = opts.api_key.split_once(':').unwrap_or((&opts.api_key, ""));
            let name = serde_json::from_slice::<Value>(&req.body)
                .ok()
                .and_then(|v| v.get("name").cloned())
                .unwrap_or(Value::Null);
            let body = json!({"id": id, "name": name, "expiration": 0, "api_key": secret,
                              "encoded": STANDARD.encode(&opts.api_key)});
            (200, body.to_string().into_bytes())
        }
        ("GET", "/_nodes/_local/http") if header(req, "authorization") == Some(&basic) => {
            let port = shared.addr.port();
            let body = json!({
                "_nodes": {"total": 1, "successful": 1, "failed": 0},
                "cluster_name": "test",
                "nodes": {"n1": {
                    "name": "node-1", "version": opts.version,
                    "http": {
                        "bound_address": [format!("[::1]:{port}"), format!("127.0.0.1:{port}")],
                        "publish_address": format!("127.0.0.1:{port}"),
                        "max_content_length_in_bytes": 104857600
                    }
                }}
            });
            (200, body.to_string().into_bytes())
        }
        (_, "/_security/api_key" | "/_nodes/_local/http") => {
            error_body(401, "unable to authenticate user [elastic]")
        }
        _ => error_body(404, "no handler found"),
    }
}

/// The 7.3 payload (or the configured failure).
fn enroll_payload(m: &Material, opts: &ServerOptions) -> (u16, Vec<u8>) {
    let b64 = |der: &[u8]| STANDARD.encode(der);
    let mut body = json!({
        "http_ca_key": b64(m.http_ca().key().pkcs8_der().expose()),
        "http_ca_cert": b64(m.http_ca().cert_der()),
        "transport_ca_cert": b64(m.transport_ca_cert_der()),
        "transport_key": b64(m.transport().key().pkcs8_der().expose()),
        "transport_cert": b64(m.transport().cert_der()),
        "nodes_addresses": opts.nodes_addresses,
    });
    match &opts.failure {
        Failure::None
        | Failure::CaNotInChain
        | Failure::Stall(_)
        | Failure::Trickle(_)
        | Failure::Raw(_) => {}
        Failure::NodesAddresses(v) => body["nodes_addresses"] = v.clone(),
        Failure::Status(s) => return error_body(*s, "Enrollment mode is not enabled. Set [xpack.security.enrollment.enabled] to true, in order to use this API."),
        Failure::EmptyBody => return (200, Vec::new()),
        Failure::NullBody => return (200, b"null".to_vec()),
        Failure::NotJson => return (200, b"<html>not json</html>".to_vec()),
        Failure::MissingFields(fields) => {
            for f in fields {
                if f == "nodes_addresses" {
                    body[f.as_str()] = json!([]);
                } else if let Some(o) = body.as_object_mut() {
                    o.remove(f);
                }
            }
        }
        Failure::MultipleCertificates => {
            body["transport_ca_cert"] = json!(b64(&[m.transport_ca_cert_der(), m.http_ca().cert_der()].concat()));
        }
        Failure::BadKey => body["http_ca_key"] = json!(b64(b"definitely not PKCS#8")),
    }
    (200, body.to_string().into_bytes())
}
