//! A minimal HTTP/1.1 client over one TLS connection: one request, `Connection: close`, the
//! status line, the headers, and a body framed by `Content-Length`, `chunked`, or the end of the
//! stream. Enough for three Elasticsearch APIs; no redirects, no keep-alive, no compression.
//!
//! Bounds, because the peer may be broken or hostile (it may even hold the pinned CA):
//! - one deadline per request covers name resolution, connect, the TLS handshake, the request
//!   and the whole response, so a peer that trickles bytes cannot hold the run (and the
//!   config-directory lock) longer than that; every read also keeps the per-read timeout;
//! - names resolve on a helper thread that is abandoned at the deadline (IP literals never
//!   reach the resolver);
//! - headers at most 64 KiB, at most 10 interim (1xx) responses, chunk lines and trailers
//!   bounded, the body at most 8 MiB, with no arithmetic that can overflow;
//! - the head and body buffers are wiped when dropped (the enroll answer holds private keys),
//!   and grow without leaving unwiped copies behind.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use zeroize::Zeroizing;

/// Largest accepted header block.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Largest accepted body (the enroll response is a few kilobytes).
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;
/// Interim (1xx) responses accepted before the final one.
pub(crate) const MAX_INTERIM: usize = 10;
/// Longest chunk-size or trailer line.
const MAX_LINE: usize = 4096;

/// A parsed response. The body is wiped when dropped.
pub(crate) struct Response {
    pub status: u16,
    pub body: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Where to connect: the `host:port` authority of a token address and the TLS server name.
#[derive(Debug)]
pub(crate) struct Target {
    pub authority: String,
    pub host: String,
    pub port: u16,
}

impl Target {
    /// Parses `host:port`, `[v6]:port`, a bare host (port 9200 is *not* assumed: 443, like a
    /// URL without a port).
    pub fn parse(authority: &str) -> Result<Target, String> {
        let invalid = || format!("invalid address [{}]", authority.escape_debug());
        if authority.is_empty()
            || authority.contains(['/', '?', '#', '@', ' '])
            || authority.chars().any(char::is_control)
        {
            return Err(invalid());
        }
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(invalid)?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or_else(invalid)?),
            };
            (h.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') => (h.to_owned(), Some(p)),
                Some(_) => return Err(invalid()),
                None => (authority.to_owned(), None),
            }
        };
        let port = match port {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u16>().map_err(|_| invalid())?
            }
            Some(_) => return Err(invalid()),
            None => 443,
        };
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(Target {
            authority: authority.to_owned(),
            host,
            port,
        })
    }

    pub fn server_name(&self) -> Result<ServerName<'static>, String> {
        ServerName::try_from(self.host.clone())
            .map_err(|e| format!("invalid host name [{}]: {e}", self.host))
    }
}

/// `/a//b/` → `/a/b/` (Elasticsearch builds paths with `replaceAll("/+", "/")`).
pub(crate) fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c == '/' && out.ends_with('/') {
            continue;
        }
        out.push(c);
    }
    out
}

/// The head of a request, built in one buffer sized up front (it holds the credential, so no
/// growth may leave a copy behind) and wiped when dropped. `authorization` is the header value in
/// pieces; `Content-Length` is sent when given.
pub(crate) fn request_head(
    method: &str,
    path: &str,
    authority: &str,
    authorization: &[&[u8]],
    content_length: Option<usize>,
) -> Zeroizing<Vec<u8>> {
    let length = content_length
        .map(|n| format!("Content-Length: {n}\r\n"))
        .unwrap_or_default();
    let mut parts: Vec<&[u8]> = vec![
        method.as_bytes(),
        b" ",
        path.as_bytes(),
        b" HTTP/1.1\r\nHost: ",
        authority.as_bytes(),
        b"\r\nAuthorization: ",
    ];
    parts.extend_from_slice(authorization);
    parts.extend_from_slice(&[
        b"\r\nContent-Type: application/json\r\nAccept: application/json\r\n",
        length.as_bytes(),
        b"Connection: close\r\n\r\n",
    ]);
    let mut head = Zeroizing::new(Vec::with_capacity(parts.iter().map(|p| p.len()).sum()));
    for p in parts {
        head.extend_from_slice(p);
    }
    head
}

/// `base64(bytes)` in a buffer sized up front and wiped when dropped.
pub(crate) fn base64_wiped(bytes: &[u8]) -> Zeroizing<String> {
    use base64::Engine;
    let len = base64::encoded_len(bytes.len(), true).unwrap_or(0);
    let mut out = Zeroizing::new(String::with_capacity(len));
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut out);
    out
}

/// Timeouts of one exchange.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    /// TCP connect, per resolved address.
    pub connect: Duration,
    /// Each read and write on the socket.
    pub read: Duration,
    /// The whole exchange: resolve, connect, handshake, request, response.
    pub total: Duration,
}

/// The moment an exchange must be over.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    total: Duration,
}

impl Deadline {
    pub fn after(total: Duration) -> Self {
        let now = Instant::now();
        let at = now
            .checked_add(total)
            .or_else(|| now.checked_add(Duration::from_secs(24 * 3600)))
            .unwrap_or(now);
        Self { at, total }
    }

    /// Time left, or the timeout error once there is none.
    pub fn remaining(&self) -> io::Result<Duration> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(self.expired())
        } else {
            Ok(left)
        }
    }

    fn expired(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no complete answer within {}", human(self.total)),
        )
    }
}

fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The socket of one exchange: before every read and write, its timeout is the per-read timeout
/// or what is left until the deadline, whichever is shorter.
struct Timed {
    tcp: TcpStream,
    deadline: Deadline,
    per_read: Duration,
}

impl Timed {
    fn arm(&self) -> io::Result<()> {
        let t = self
            .deadline
            .remaining()?
            .min(self.per_read)
            .max(Duration::from_millis(1));
        self.tcp.set_read_timeout(Some(t))?;
        self.tcp.set_write_timeout(Some(t))
    }

    /// A socket timeout at the deadline reports the deadline.
    fn explain(&self, e: io::Error) -> io::Error {
        let timed_out = matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        );
        match self.deadline.remaining() {
            Err(expired) if timed_out => expired,
            _ => e,
        }
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        self.tcp.read(buf).map_err(|e| self.explain(e))
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm()?;
        self.tcp.write(buf).map_err(|e| self.explain(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Connects (trying every resolved address), performs the TLS handshake with `config`, sends one
/// request and reads the response, all within `timeouts.total`.
pub(crate) fn exchange(
    target: &Target,
    config: Arc<ClientConfig>,
    timeouts: Timeouts,
    request_head: &[u8],
    body: &[u8],
) -> Result<Response, String> {
    let deadline = Deadline::after(timeouts.total);
    let tcp = connect(target, timeouts, &deadline)?;
    let conn = ClientConnection::new(config, target.server_name()?).map_err(|e| e.to_string())?;
    let timed = Timed {
        tcp,
        deadline,
        per_read: timeouts.read,
    };
    let mut tls = StreamOwned::new(conn, timed);
    tls.write_all(request_head)
        .and_then(|()| tls.write_all(body))
        .and_then(|()| tls.flush())
        .map_err(io_message)?;
    read_response(&mut tls).map_err(io_message)
}

/// Connects and completes a TLS handshake with `config` within `timeouts.total`, sending no
/// request; returns the certificates the server presented.
pub(crate) fn handshake(
    target: &Target,
    config: Arc<ClientConfig>,
    timeouts: Timeouts,
) -> Result<Vec<Vec<u8>>, String> {
    let deadline = Deadline::after(timeouts.total);
    let tcp = connect(target, timeouts, &deadline)?;
    let mut conn =
        ClientConnection::new(config, target.server_name()?).map_err(|e| e.to_string())?;
    let mut timed = Timed {
        tcp,
        deadline,
        per_read: timeouts.read,
    };
    while conn.is_handshaking() {
        conn.complete_io(&mut timed).map_err(io_message)?;
    }
    Ok(conn
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|c| c.as_ref().to_vec())
        .collect())
}

/// The addresses of `host`: an IP literal as it is; a name through the system resolver on a
/// helper thread, abandoned when `deadline` passes (the resolver has no timeout of its own).
pub(crate) fn resolve(
    host: &str,
    port: u16,
    deadline: &Deadline,
) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let left = deadline.remaining().map_err(|e| format!("{host}: {e}"))?;
    let (tx, rx) = mpsc::channel();
    let name = host.to_owned();
    std::thread::Builder::new()
        .name("esac-resolve".into())
        .spawn(move || {
            let found = (name.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>());
            let _ = tx.send(found);
        })
        .map_err(|e| format!("{host}: {e}"))?;
    match rx.recv_timeout(left) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => Err(format!("{host}: {e}")),
        Err(_) => Err(format!(
            "{host}: name resolution did not finish within {}",
            human(deadline.total)
        )),
    }
}

fn connect(target: &Target, timeouts: Timeouts, deadline: &Deadline) -> Result<TcpStream, String> {
    let addrs = resolve(&target.host, target.port, deadline)?;
    let mut last = format!("{}: no address", target.host);
    for addr in addrs {
        let left = match deadline.remaining() {
            Ok(left) => left,
            Err(e) => return Err(format!("Connection to {addr} failed: {e}")),
        };
        let limit = timeouts.connect.min(left).max(Duration::from_millis(1));
        match TcpStream::connect_timeout(&addr, limit) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("Connection to {addr} failed: {e}"),
        }
    }
    Err(last)
}

/// I/O errors that wrap a rustls error (the handshake runs inside `write_all`) keep its text.
fn io_message(e: io::Error) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => format!("Read timed out ({e})"),
        _ => e.to_string(),
    }
}

/// Reads one response from `r`: at most [`MAX_INTERIM`] interim responses, then the final one.
pub(crate) fn read_response<R: Read>(r: &mut R) -> io::Result<Response> {
    let mut buf = Zeroizing::new(Vec::with_capacity(8192));
    for _ in 0..=MAX_INTERIM {
        let head_end = read_head(r, &mut buf)?;
        let head = std::str::from_utf8(&buf[..head_end])
            .map_err(|_| bad("response headers are not UTF-8"))?;
        let (status, framing) = parse_head(head)?;
        let rest = head_end + 4;
        if (100..200).contains(&status) {
            // 100 Continue and friends carry no body; what follows is the next response.
            buf.drain(..rest);
            continue;
        }
        let mut src = Prefixed {
            prefix: &buf[rest..],
            inner: r,
        };
        let body = match framing {
            Framing::Chunked => read_chunked(&mut src)?,
            Framing::Length(n) => {
                let mut body = Zeroizing::new(vec![0; n]);
                src.read_exact(&mut body)?;
                body
            }
            Framing::ToEnd if status == 204 || status == 304 => Zeroizing::new(Vec::new()),
            Framing::ToEnd => read_to_end_lenient(&mut src)?,
        };
        return Ok(Response { status, body });
    }
    Err(bad("too many interim (1xx) responses"))
}

/// How the body of a response is delimited.
enum Framing {
    Chunked,
    Length(usize),
    ToEnd,
}

fn parse_head(head: &str) -> io::Result<(u16, Framing)> {
    let mut lines = head.split("\r\n");
    let status = parse_status(lines.next().unwrap_or_default())?;
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("malformed header"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("bad Content-Length"));
            }
            // Too many digits to parse is too large as well.
            let n: usize = value.parse().map_err(|_| bad("response body too large"))?;
            if n > MAX_BODY {
                return Err(bad("response body too large"));
            }
            if content_length.is_some_and(|m| m != n) {
                return Err(bad("conflicting Content-Length headers"));
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .to_ascii_lowercase()
                .split(',')
                .any(|t| t.trim() == "chunked");
        }
    }
    let framing = match (chunked, content_length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        (false, None) => Framing::ToEnd,
    };
    Ok((status, framing))
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// `read`, retried when interrupted by a signal.
fn read_some<R: Read>(r: &mut R, out: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(out) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Makes room for `extra` more bytes. When the buffer must grow, its bytes move to a new buffer
/// and the old one is wiped (a plain `Vec` would free it as it is). Callers keep `buf.len()` and
/// `extra` within a few MiB, so the sum cannot overflow.
fn reserve_wiped(buf: &mut Zeroizing<Vec<u8>>, extra: usize) {
    let need = buf.len() + extra;
    if need > buf.capacity() {
        let mut bigger = Zeroizing::new(Vec::with_capacity(need.max(buf.capacity() * 2)));
        bigger.extend_from_slice(buf);
        *buf = bigger;
    }
}

fn append_wiped(buf: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    reserve_wiped(buf, bytes.len());
    buf.extend_from_slice(bytes);
}

/// Reads until `\r\n\r\n`; returns its offset. Each byte is searched once, so a peer sending one
/// byte at a time costs linear time.
fn read_head<R: Read>(r: &mut R, buf: &mut Zeroizing<Vec<u8>>) -> io::Result<usize> {
    let mut chunk = Zeroizing::new([0u8; 4096]);
    let mut searched = 0;
    loop {
        if let Some(i) = buf[searched..].windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(searched + i);
        }
        searched = buf.len().saturating_sub(3);
        if buf.len() > MAX_HEAD {
            return Err(bad("response headers too large"));
        }
        let n = read_some(r, &mut chunk[..])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "Unexpected end of file from server",
            ));
        }
        append_wiped(buf, &chunk[..n]);
    }
}

fn parse_status(line: &str) -> io::Result<u16> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(bad("not an HTTP/1.x response"));
    }
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) || code.starts_with('0') {
        return Err(bad("malformed status line"));
    }
    code.parse().map_err(|_| bad("malformed status line"))
}

/// Bytes already read past the header block, then the stream.
struct Prefixed<'a, R> {
    prefix: &'a [u8],
    inner: &'a mut R,
}

impl<R: Read> Read for Prefixed<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.prefix.is_empty() {
            let n = out.len().min(self.prefix.len());
            out[..n].copy_from_slice(&self.prefix[..n]);
            self.prefix = &self.prefix[n..];
            return Ok(n);
        }
        self.inner.read(out)
    }
}

/// Reads to the end of the stream. A TLS peer that closes without `close_notify` is treated as
/// the end (the body is JSON; truncation fails to parse).
fn read_to_end_lenient<R: Read>(r: &mut R) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut body = Zeroizing::new(Vec::new());
    let mut chunk = Zeroizing::new([0u8; 8192]);
    loop {
        match read_some(r, &mut chunk[..]) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                if n > MAX_BODY - body.len() {
                    return Err(bad("response body too large"));
                }
                append_wiped(&mut body, &chunk[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(body),
            Err(e) => return Err(e),
        }
    }
}

/// One line ended by `\n` (a `\r` before it is dropped), at most [`MAX_LINE`] bytes.
fn read_line<R: Read>(r: &mut R) -> io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        r.read_exact(&mut byte)?;
        if byte[0] == b'\n' {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return String::from_utf8(line).map_err(|_| bad("malformed chunk"));
        }
        line.push(byte[0]);
        if line.len() > MAX_LINE {
            return Err(bad("chunk line too long"));
        }
    }
}

/// The size of a chunk line (`1a;ext=x`): hexadecimal digits only, never more than fits.
fn chunk_size(line: &str) -> io::Result<usize> {
    let hex = line.split(';').next().unwrap_or_default().trim();
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("malformed chunk size"));
    }
    let digits = hex.trim_start_matches('0');
    if digits.len() > 8 {
        return Err(bad("response body too large"));
    }
    usize::from_str_radix(if digits.is_empty() { "0" } else { digits }, 16)
        .map_err(|_| bad("malformed chunk size"))
}

fn read_chunked<R: Read>(r: &mut R) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut body = Zeroizing::new(Vec::new());
    loop {
        let size = chunk_size(&read_line(r)?)?;
        if size == 0 {
            // Trailers, up to the empty line, at most a header block's worth.
            let mut trailers = 0usize;
            loop {
                let line = read_line(r)?;
                if line.is_empty() {
                    return Ok(body);
                }
                trailers += line.len() + 2;
                if trailers > MAX_HEAD {
                    return Err(bad("response trailers too large"));
                }
            }
        }
        // `body.len() <= MAX_BODY` always holds, so this cannot underflow (nor can the sum
        // below overflow).
        if size > MAX_BODY - body.len() {
            return Err(bad("response body too large"));
        }
        let start = body.len();
        reserve_wiped(&mut body, size);
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        if !read_line(r)?.is_empty() {
            return Err(bad("malformed chunk"));
        }
    }
}

/// How a [`ChainCheck`] judges a server's chain: leaf, the rest, the name asked for, now.
pub(crate) type CheckChain = dyn Fn(
        &CertificateDer<'_>,
        &[CertificateDer<'_>],
        &ServerName<'_>,
        UnixTime,
    ) -> Result<(), rustls::Error>
    + Send
    + Sync;

/// A server certificate verifier whose judgement of the chain is `check`; the handshake's
/// signatures are always verified with `algorithms` (so the server holds the leaf's key).
pub(crate) struct ChainCheck {
    algorithms: WebPkiSupportedAlgorithms,
    check: Box<CheckChain>,
}

impl ChainCheck {
    pub fn new(algorithms: WebPkiSupportedAlgorithms, check: Box<CheckChain>) -> Self {
        Self { algorithms, check }
    }

    /// A client configuration on `provider` that verifies servers with this check.
    pub fn client_config(
        self,
        provider: &Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Arc<ClientConfig>, String> {
        let config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(self))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

impl fmt::Debug for ChainCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainCheck").finish_non_exhaustive()
    }
}

impl ServerCertVerifier for ChainCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        (self.check)(end_entity, intermediates, server_name, now)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        let t = Target::parse("192.168.1.10:9200").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("192.168.1.10", 9200));
        let t = Target::parse("[::1]:9201").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9201));
        let t = Target::parse("es.example.com:9200").unwrap();
        assert_eq!(t.host, "es.example.com");
        for bad in [
            "", "::1:9200", "[::1", "a:b", "a:99999", ":9200", "a/b:1", "a:+1", "a:", "a\n:1",
            "[::1]:",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn collapses_slashes() {
        assert_eq!(
            collapse_slashes("//_security//enroll/node"),
            "/_security/enroll/node"
        );
    }

    #[test]
    fn reads_bodies() {
        let r = |s: &str| read_response(&mut s.as_bytes()).unwrap();
        let x = r("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!((x.status, x.body.as_slice()), (200, &b"{}"[..]));
        let x = r("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4;x=y\r\n\":1}\r\n0\r\n\r\n");
        assert_eq!((x.status, x.body.as_slice()), (201, &b"{\"a\":1}"[..]));
        let x = r("HTTP/1.0 500 Oops\r\nX: y\r\n\r\nto the end");
        assert_eq!((x.status, x.body.as_slice()), (500, &b"to the end"[..]));
        let x = r("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n00000000002\r\nab\r\n0\r\nX-T: 1\r\n\r\n");
        assert_eq!(x.body.as_slice(), b"ab");
        for bad in [
            "",
            "SSH-2.0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 +20 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}",
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n{}",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+2\r\nab\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        ] {
            assert!(read_response(&mut bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    /// review-security.md L2: after a 1-byte chunk, a size of 2^64-1 made `body.len() + size`
    /// overflow (a panic, exit 101).
    #[test]
    fn a_chunk_size_that_overflows_is_an_error_not_a_panic() {
        let l2 =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\n";
        let e = read_response(&mut &l2[..]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
        assert_eq!(e.to_string(), "response body too large");
        // Sizes that fit a usize but not the body limit, alone or after a first chunk.
        for size in ["800001", "7fffff", "fffffffffffffffe", "0000ffffffff"] {
            let text = format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n{size}\r\n"
            );
            let e = read_response(&mut text.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{size}: {e}");
        }
        let huge = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n";
        assert!(read_response(&mut &huge[..]).is_err());
    }

    #[test]
    fn interim_responses_are_bounded() {
        let interim = "HTTP/1.1 100 Continue\r\n\r\n";
        let last = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        let ok = format!("{}{last}", interim.repeat(MAX_INTERIM));
        assert_eq!(read_response(&mut ok.as_bytes()).unwrap().status, 200);
        let flood = format!("{}{last}", interim.repeat(MAX_INTERIM + 1));
        let e = read_response(&mut flood.as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "too many interim (1xx) responses");
    }

    #[test]
    fn trailers_and_lines_are_bounded() {
        let line = format!("X: {}\r\n", "a".repeat(4000));
        let text = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n{}\r\n",
            line.repeat(20)
        );
        let e = read_response(&mut text.as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "response trailers too large");
        let text = format!(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}1\r\n",
            "0".repeat(5000)
        );
        assert!(read_response(&mut text.as_bytes()).is_err());
    }

    /// A peer that sends one byte every 20 ms never trips a per-read timeout; the deadline stops
    /// it.
    #[test]
    fn the_deadline_stops_a_peer_that_trickles_bytes() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let text = b"HTTP/1.1 200 OK\r\nX-Slow: "
                .iter()
                .chain(std::iter::repeat(&b'a'));
            for b in text.take(2000) {
                if s.write_all(&[*b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let tcp = TcpStream::connect(addr).unwrap();
        let mut timed = Timed {
            tcp,
            deadline: Deadline::after(Duration::from_millis(400)),
            per_read: Duration::from_secs(5),
        };
        let started = Instant::now();
        let e = read_response(&mut timed).unwrap_err();
        let took = started.elapsed();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut, "{e}");
        assert_eq!(e.to_string(), "no complete answer within 400 ms");
        assert_eq!(
            io_message(e),
            "Read timed out (no complete answer within 400 ms)"
        );
        assert!(took < Duration::from_secs(3), "{took:?}");
        drop(timed);
        let _ = peer.join();
    }

    #[test]
    fn ip_literals_never_reach_the_resolver() {
        let d = Deadline::after(Duration::from_secs(1));
        assert_eq!(
            resolve("::1", 9300, &d).unwrap(),
            vec!["[::1]:9300".parse::<SocketAddr>().unwrap()]
        );
        let expired = Deadline::after(Duration::ZERO);
        // An expired deadline fails a name at once, but not a literal.
        assert!(resolve("192.0.2.1", 1, &expired).is_ok());
        assert!(resolve("example.invalid", 1, &expired)
            .unwrap_err()
            .contains("no complete answer within 0 s"));
    }
}
