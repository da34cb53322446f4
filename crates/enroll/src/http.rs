//! A minimal HTTP/1.1 client over one TLS connection: one request, `Connection: close`, the
//! status line, the headers, and a body framed by `Content-Length`, `chunked`, or the end of the
//! stream. Enough for three Elasticsearch APIs; no redirects, no keep-alive, no compression.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

/// Largest accepted header block.
const MAX_HEAD: usize = 64 * 1024;
/// Largest accepted body (the enroll response is a few kilobytes).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// A parsed response.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
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
        let invalid = || format!("invalid address [{authority}]");
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
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
            Some(p) => p.parse::<u16>().map_err(|_| invalid())?,
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

/// Timeouts of one exchange.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    pub connect: Duration,
    pub read: Duration,
}

/// Connects (trying every resolved address within the connect timeout), performs the TLS
/// handshake with `config`, sends one request and reads the response.
pub(crate) fn exchange(
    target: &Target,
    config: Arc<ClientConfig>,
    timeouts: Timeouts,
    request_head: &str,
    body: &[u8],
) -> Result<Response, String> {
    let tcp = connect(target, timeouts)?;
    let conn = ClientConnection::new(config, target.server_name()?).map_err(|e| e.to_string())?;
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(request_head.as_bytes())
        .and_then(|()| tls.write_all(body))
        .and_then(|()| tls.flush())
        .map_err(io_message)?;
    read_response(&mut tls).map_err(io_message)
}

fn connect(target: &Target, timeouts: Timeouts) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| format!("{}: {e}", target.host))?
        .collect();
    let mut last = format!("{}: no address", target.host);
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeouts.connect) {
            Ok(s) => {
                s.set_read_timeout(Some(timeouts.read))
                    .map_err(io_message)?;
                s.set_write_timeout(Some(timeouts.read))
                    .map_err(io_message)?;
                return Ok(s);
            }
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

/// Reads one response from `r`.
pub(crate) fn read_response<R: Read>(r: &mut R) -> io::Result<Response> {
    let mut buf = Vec::with_capacity(8192);
    loop {
        let head_end = read_head(r, &mut buf)?;
        let head = std::str::from_utf8(&buf[..head_end])
            .map_err(|_| bad("response headers are not UTF-8"))?
            .to_owned();
        let rest = buf.split_off(head_end + 4);
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
                let n: usize = value.parse().map_err(|_| bad("bad Content-Length"))?;
                if n > MAX_BODY {
                    return Err(bad("response body too large"));
                }
                content_length = Some(n);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value
                    .to_ascii_lowercase()
                    .split(',')
                    .any(|t| t.trim() == "chunked");
            }
        }
        if (100..200).contains(&status) {
            buf = rest;
            continue; // 100 Continue and friends carry no body
        }
        let mut src = Prefixed {
            prefix: rest,
            pos: 0,
            inner: r,
        };
        let body = if chunked {
            read_chunked(&mut src)?
        } else if let Some(n) = content_length {
            let mut body = vec![0; n];
            src.read_exact(&mut body)?;
            body
        } else if status == 204 || status == 304 {
            Vec::new()
        } else {
            read_to_end_lenient(&mut src)?
        };
        return Ok(Response { status, body });
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

/// Reads until `\r\n\r\n`; returns its offset.
fn read_head<R: Read>(r: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok(i);
        }
        if buf.len() > MAX_HEAD {
            return Err(bad("response headers too large"));
        }
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "Unexpected end of file from server",
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn parse_status(line: &str) -> io::Result<u16> {
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(bad("not an HTTP/1.x response"));
    }
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 {
        return Err(bad("malformed status line"));
    }
    code.parse().map_err(|_| bad("malformed status line"))
}

/// Bytes already read past the header block, then the stream.
struct Prefixed<'a, R> {
    prefix: Vec<u8>,
    pos: usize,
    inner: &'a mut R,
}

impl<R: Read> Read for Prefixed<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.prefix.len() {
            let n = out.len().min(self.prefix.len() - self.pos);
            out[..n].copy_from_slice(&self.prefix[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(out)
    }
}

/// Reads to the end of the stream. A TLS peer that closes without `close_notify` is treated as
/// the end (the body is JSON; truncation fails to parse).
fn read_to_end_lenient<R: Read>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => {
                body.extend_from_slice(&chunk[..n]);
                if body.len() > MAX_BODY {
                    return Err(bad("response body too large"));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(body),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

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
        if line.len() > 4096 {
            return Err(bad("chunk line too long"));
        }
    }
}

fn read_chunked<R: Read>(r: &mut R) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(r)?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| bad("malformed chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            while !read_line(r)?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > MAX_BODY {
            return Err(bad("response body too large"));
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        if !read_line(r)?.is_empty() {
            return Err(bad("malformed chunk"));
        }
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
        for bad in ["", "::1:9200", "[::1", "a:b", "a:99999", ":9200", "a/b:1"] {
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
        for bad in [
            "",
            "SSH-2.0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}",
            "HTTP/1.1 2000 OK\r\n\r\n",
        ] {
            assert!(read_response(&mut bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
