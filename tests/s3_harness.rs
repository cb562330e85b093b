//! The S3 side of the integration tests: a real S3-compatible server (moto, on
//! 127.0.0.1), a raw HTTP client that sees the buckets without any of shardwise's
//! code, and a fault-injecting proxy to put between the two.
//!
//! Moto as observed (moto 5.2, `python3 -m moto.server`):
//! - It does not verify SigV4 signatures or access keys (unless started with
//!   `INITIAL_NO_AUTH_ACTION_COUNT` and IAM users), but a request with no
//!   `Authorization` header at all is anonymous and gets 403 on private objects, so
//!   the raw client sends a well-formed, unsigned one. Wrong credentials are
//!   therefore accepted by moto itself; [`Faults::only_access_key`] makes the proxy
//!   refuse them the way S3 does.
//! - Path-style URLs (`http://127.0.0.1:PORT/bucket/key`) work.
//! - A PUT body sent as `application/x-www-form-urlencoded` (curl's default) is
//!   swallowed as a form and stored empty; send `application/octet-stream`.
//! - Multipart uploads check part ETags and the 5 MiB minimum for all but the last
//!   part (`EntityTooSmall`); `aws-chunked` bodies and chunked transfer encoding
//!   are decoded; ranged GETs answer 206 with `Content-Range`, 416 past the end.
//! - Every response carries `Connection: close`.
//!
//! This module must not depend on the crate under test: it is the independent view.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::util;

/// How long any socket of the harness waits for a peer before giving up, so a
/// broken test fails instead of hanging.
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// GET bodies at most this large are never cut by the proxy.
pub const CUT_MIN_BODY: u64 = 64 * 1024;

// ---------------------------------------------------------------------------
// The server

/// A moto S3 server on 127.0.0.1, killed when dropped.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl S3Server {
    /// Starts a fresh, empty server. `None` (test skipped) when moto is not
    /// installed, unless `SHARDWISE_SHARED` is set (CI), where that fails loudly.
    ///
    /// The server dies with the thread that started it (Linux parent-death signal),
    /// so start it on the test's own thread.
    pub fn start() -> Option<S3Server> {
        let py = util::python_with(&["moto.server"])?;
        let log = tempfile::NamedTempFile::new().expect("a temp file for the moto log");
        let mut cmd = Command::new(&py);
        // Port 0: the kernel picks a free port and werkzeug prints it, so parallel
        // tests never race for one.
        cmd.args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
            .env_remove("INITIAL_NO_AUTH_ACTION_COUNT")
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("the moto log"))
            .stderr(log.reopen().expect("the moto log"));
        die_with_parent(&mut cmd);
        let child = cmd.spawn().expect("python starts moto.server");
        let mut server = S3Server {
            endpoint: String::new(),
            child,
            log,
        };
        if let Err(e) = server.wait_ready(Duration::from_secs(20)) {
            panic!(
                "moto did not come up on 127.0.0.1: {e}\n--- moto log\n{}",
                server.log_text()
            );
        }
        Some(server)
    }

    fn wait_ready(&mut self, within: Duration) -> Result<(), String> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!("moto exited with {status}"));
            }
            if self.endpoint.is_empty() {
                let log = self.log_text();
                if let Some(url) = log
                    .lines()
                    .find_map(|l| l.split("Running on ").nth(1))
                    .map(|u| u.trim().trim_end_matches('/'))
                    .filter(|u| u.starts_with("http://127.0.0.1:"))
                {
                    self.endpoint = url.to_string();
                }
            }
            if !self.endpoint.is_empty() && answers_http(&self.endpoint) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no HTTP answer within {within:?}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What moto printed (one line per request), for assertion messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// The environment a `shardwise` process needs to use this server.
    pub fn env(&self) -> Vec<(String, String)> {
        s3_env(&self.endpoint)
    }

    /// A raw client of this server.
    pub fn client(&self) -> S3Client {
        S3Client::new(&self.endpoint)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills the child when the thread that spawned it ends, so a test binary that
/// aborts leaves no server behind.
fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// Whether something at `endpoint` answers `GET /` with an HTTP response.
fn answers_http(endpoint: &str) -> bool {
    let Ok(addr) = host_port(endpoint).parse::<SocketAddr>() else {
        return false;
    };
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        host_port(endpoint)
    );
    let mut first = [0u8; 7];
    s.write_all(req.as_bytes()).is_ok() && s.read_exact(&mut first).is_ok() && &first == b"HTTP/1."
}

/// `127.0.0.1:PORT` from `http://127.0.0.1:PORT[/]`.
fn host_port(endpoint: &str) -> &str {
    endpoint.trim_start_matches("http://").trim_end_matches('/')
}

// ---------------------------------------------------------------------------
// The environment of a shardwise process

/// Variables that could send the SDK to real AWS or real credentials; removed by
/// [`apply_s3_env`].
pub const FOREIGN_AWS_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
];

/// The environment that points a `shardwise` process at `endpoint` (the server or
/// a proxy in front of it) with test credentials and no config files.
pub fn s3_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("SHARDWISE_S3_PATH_STYLE", "1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Sets [`s3_env`] on `cmd` and removes [`FOREIGN_AWS_ENV`].
pub fn apply_s3_env<'c>(cmd: &'c mut Command, endpoint: &str) -> &'c mut Command {
    for k in FOREIGN_AWS_ENV {
        cmd.env_remove(k);
    }
    cmd.envs(s3_env(endpoint))
}

// ---------------------------------------------------------------------------
// The raw client

/// An S3 client over plain HTTP/1.1 that shares no code with shardwise: one
/// connection per request, path-style URLs, unsigned (see the module docs).
///
/// The helpers panic with the server's answer on anything unexpected; [`S3Client::send`]
/// returns whatever came back.
#[derive(Clone, Debug)]
pub struct S3Client {
    pub endpoint: String,
    /// The access key id named in the `Authorization` header.
    pub access_key: String,
}

/// One HTTP response as the raw client received it.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Names as sent; look up with [`Response::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// False when the connection ended before the body the headers announced.
    pub complete: bool,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as text, for assertion messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `<Code>` of an S3 error body.
    pub fn error_code(&self) -> Option<String> {
        xml_values(&self.text(), "Code").into_iter().next()
    }
}

impl S3Client {
    pub fn new(endpoint: &str) -> S3Client {
        S3Client {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            access_key: "testing".into(),
        }
    }

    /// Sends one request; `target` is the path and query (`/bucket/key?x=y`), already
    /// encoded. Adds Host, Authorization, Content-Length and, unless given,
    /// `Content-Type: application/octet-stream`.
    pub fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\n",
            host_port(&self.endpoint)
        );
        head.push_str(&format!(
            "Authorization: AWS4-HMAC-SHA256 Credential={}/20200101/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=0000\r\n",
            self.access_key
        ));
        if header_in(headers, "content-type").is_none() {
            head.push_str("Content-Type: application/octet-stream\r\n");
        }
        let chunked = header_in(headers, "transfer-encoding").is_some();
        if !chunked && header_in(headers, "content-length").is_none() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");

        let stream = connect(host_port(&self.endpoint))?;
        let mut w = stream.try_clone()?;
        w.write_all(head.as_bytes())?;
        w.write_all(body)?;
        w.flush()?;
        let mut r = BufReader::new(stream);
        let head = loop {
            let head = read_head(&mut r)?.ok_or_else(|| eof("no response"))?;
            if !head.first_line.starts_with("HTTP/1.1 1") {
                break head;
            }
        };
        let status = head.status();
        let mut out = Vec::new();
        let complete = match response_body(method, status, &head.headers) {
            Body::Chunked => transfer_chunked(&mut r, &mut out, false).is_ok(),
            kind => {
                let want = match kind {
                    Body::Length(n) => Some(n),
                    _ => None,
                };
                // A reset mid-body is a short body too; keep what arrived.
                let read = (&mut r)
                    .take(want.unwrap_or(u64::MAX))
                    .read_to_end(&mut out);
                read.is_ok() && want.is_none_or(|n| out.len() as u64 == n)
            }
        };
        Ok(Response {
            status,
            headers: head.headers,
            body: out,
            complete,
        })
    }

    /// Sends and insists on a complete answer with status `want`.
    fn expect(&self, want: u16, method: &str, target: &str, body: &[u8]) -> Response {
        let r = self
            .send(method, target, &[], body)
            .unwrap_or_else(|e| panic!("{method} {}{target}: {e}", self.endpoint));
        assert!(
            r.status == want && r.complete,
            "{method} {}{target}: status {} (want {want}), complete {}: {}",
            self.endpoint,
            r.status,
            r.complete,
            r.text()
        );
        r
    }

    pub fn create_bucket(&self, bucket: &str) {
        self.expect(200, "PUT", &format!("/{bucket}"), b"");
    }

    pub fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        self.expect(200, "PUT", &object_path(bucket, key), body);
    }

    /// The object's bytes; `None` when it does not exist.
    pub fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let target = object_path(bucket, key);
        let r = self
            .send("GET", &target, &[], b"")
            .unwrap_or_else(|e| panic!("GET {}{target}: {e}", self.endpoint));
        if r.status == 404 {
            return None;
        }
        assert!(
            r.status == 200 && r.complete,
            "GET {}{target}: status {}, complete {}: {}",
            self.endpoint,
            r.status,
            r.complete,
            r.text()
        );
        Some(r.body)
    }

    pub fn delete(&self, bucket: &str, key: &str) {
        self.expect(204, "DELETE", &object_path(bucket, key), b"");
    }

    /// Uploads `body` as a multipart upload of `part_size` parts (moto, like S3,
    /// wants at least 5 MiB in all parts but the last).
    pub fn put_multipart(&self, bucket: &str, key: &str, body: &[u8], part_size: usize) {
        let path = object_path(bucket, key);
        let init = self.expect(200, "POST", &format!("{path}?uploads"), b"");
        let id = xml_values(&init.text(), "UploadId")
            .pop()
            .expect("an UploadId");
        let mut complete = String::from("<CompleteMultipartUpload>");
        for (i, part) in body.chunks(part_size.max(1)).enumerate() {
            let n = i + 1;
            let target = format!("{path}?partNumber={n}&uploadId={}", encode(&id, false));
            let r = self.expect(200, "PUT", &target, part);
            let etag = r.header("etag").expect("an ETag per part").to_string();
            complete.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>"
            ));
        }
        complete.push_str("</CompleteMultipartUpload>");
        let target = format!("{path}?uploadId={}", encode(&id, false));
        let r = self.expect(200, "POST", &target, complete.as_bytes());
        assert!(
            !r.text().contains("<Error>"),
            "complete multipart {}{path}: {}",
            self.endpoint,
            r.text()
        );
    }

    /// Every key under `prefix` (S3 semantics: a plain string prefix), sorted.
    pub fn list(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut target = format!("/{bucket}?list-type=2&prefix={}", encode(prefix, false));
            if let Some(t) = &token {
                target.push_str(&format!("&continuation-token={}", encode(t, false)));
            }
            let text = self.expect(200, "GET", &target, b"").text();
            keys.extend(xml_values(&text, "Key"));
            token = xml_values(&text, "NextContinuationToken").pop();
            if !text.contains("<IsTruncated>true</IsTruncated>") || token.is_none() {
                break;
            }
        }
        keys.sort();
        keys
    }

    /// Keys with a multipart upload started and neither completed nor aborted
    /// (first page of up to 1000).
    pub fn pending_uploads(&self, bucket: &str) -> Vec<String> {
        let text = self
            .expect(200, "GET", &format!("/{bucket}?uploads"), b"")
            .text();
        let mut keys = xml_values(&text, "Key");
        keys.sort();
        keys
    }

    /// Uploads every file under `dir` to `prefix/<relative path>`; returns how many.
    pub fn upload_dir(&self, dir: &Path, bucket: &str, prefix: &str) -> usize {
        let files = util::tree(dir);
        for (rel, bytes) in &files {
            self.put(bucket, &join_key(prefix, rel), bytes);
        }
        files.len()
    }

    /// Every object under the "directory" `prefix` (a `/` is implied after it), as
    /// `(path relative to the prefix, bytes)` sorted: the shape of `util::tree`.
    pub fn tree(&self, bucket: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let dir = dir_prefix(prefix);
        self.list(bucket, &dir)
            .into_iter()
            .filter(|k| k.len() > dir.len())
            .map(|k| {
                let bytes = self
                    .get(bucket, &k)
                    .unwrap_or_else(|| panic!("{k} was listed but is gone"));
                (k[dir.len()..].to_string(), bytes)
            })
            .collect()
    }

    /// Writes every object under the "directory" `prefix` into `dir`; returns how many.
    pub fn download_prefix(&self, bucket: &str, prefix: &str, dir: &Path) -> usize {
        let files = self.tree(bucket, prefix);
        for (rel, bytes) in &files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap();
        }
        files.len()
    }
}

/// `/bucket/key` with the key percent-encoded, slashes kept.
pub fn object_path(bucket: &str, key: &str) -> String {
    format!("/{bucket}/{}", encode(key, true))
}

/// `prefix/rel`, or `rel` when the prefix is empty.
fn join_key(prefix: &str, rel: &str) -> String {
    format!("{}{rel}", dir_prefix(prefix))
}

/// `a/b` -> `a/b/`; empty stays empty.
fn dir_prefix(prefix: &str) -> String {
    let p = prefix.trim_end_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// Percent-encoding of everything but the unreserved characters (and `/` if asked).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of every `<tag>...</tag>`, XML entities decoded.
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(
            rest[..j]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &rest[j + close.len()..];
    }
    out
}

// ---------------------------------------------------------------------------
// HTTP/1.1 framing shared by the client and the proxy

struct Head {
    first_line: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn status(&self) -> u16 {
        self.first_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }
}

enum Body {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

fn eof(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, what.to_string())
}

fn connect(addr: &str) -> io::Result<TcpStream> {
    let s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Reads a request or status line and its headers; `None` on a clean end of stream
/// before the first byte.
fn read_head(r: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut first_line = String::new();
    if r.read_line(&mut first_line)? == 0 {
        return Ok(None);
    }
    let first_line = first_line.trim_end().to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(eof("headers cut short"));
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok(Some(Head {
        first_line,
        headers,
    }))
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn header_in<'h>(headers: &[(&str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    header(headers, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

fn content_length(headers: &[(String, String)]) -> Option<u64> {
    header(headers, "content-length").and_then(|v| v.parse().ok())
}

fn request_body(headers: &[(String, String)]) -> Body {
    if is_chunked(headers) {
        Body::Chunked
    } else {
        content_length(headers).map_or(Body::None, Body::Length)
    }
}

fn response_body(method: &str, status: u16, headers: &[(String, String)]) -> Body {
    if method == "HEAD" || status < 200 || status == 204 || status == 304 {
        Body::None
    } else if is_chunked(headers) {
        Body::Chunked
    } else {
        content_length(headers).map_or(Body::UntilClose, Body::Length)
    }
}

/// Copies a chunked body; `raw` keeps the framing (relaying), otherwise only the
/// data is written (decoding).
fn transfer_chunked(r: &mut impl BufRead, w: &mut impl Write, raw: bool) -> io::Result<()> {
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(eof("chunk size cut short"));
        }
        if raw {
            w.write_all(line.as_bytes())?;
        }
        let size = line.trim_end().split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size, 16).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, format!("chunk size {size:?}"))
        })?;
        if size == 0 {
            // Trailers, then the empty line.
            loop {
                let mut t = String::new();
                if r.read_line(&mut t)? == 0 {
                    return Err(eof("trailers cut short"));
                }
                if raw {
                    w.write_all(t.as_bytes())?;
                }
                if t.trim_end().is_empty() {
                    return Ok(());
                }
            }
        }
        copy_exact(r, w, size)?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf)?;
        if raw {
            w.write_all(&crlf)?;
        }
    }
}

/// Copies exactly `n` bytes or fails.
fn copy_exact(r: &mut impl Read, w: &mut impl Write, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), w)?;
    if copied < n {
        return Err(eof("body cut short"));
    }
    Ok(())
}

fn write_body(r: &mut impl BufRead, w: &mut impl Write, kind: Body) -> io::Result<()> {
    match kind {
        Body::None => Ok(()),
        Body::Length(n) => copy_exact(r, w, n),
        Body::Chunked => transfer_chunked(r, w, true),
        Body::UntilClose => io::copy(r, w).map(|_| ()),
    }
}

/// Headers to relay, without the hop-by-hop ones the proxy decides itself.
fn relayed(headers: &[(String, String)]) -> impl Iterator<Item = &(String, String)> {
    headers.iter().filter(|(k, _)| {
        !["connection", "keep-alive", "proxy-connection", "expect"]
            .iter()
            .any(|h| k.eq_ignore_ascii_case(h))
    })
}

// ---------------------------------------------------------------------------
// The fault-injecting proxy

/// Which faults the proxy injects. Deterministic: every Nth, by counters shared by
/// all connections, in the order requests arrive.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Answer every Nth request with `503 SlowDown` (S3's XML error) without
    /// forwarding it.
    pub slow_down_every: Option<u32>,
    /// For every Nth successful GET whose body is larger than [`CUT_MIN_BODY`],
    /// relay the headers and only the first half of the body, then close.
    pub cut_get_bodies_every: Option<u32>,
    /// Refuse (403 `InvalidAccessKeyId`, not forwarded) any request whose
    /// `Authorization` names another access key id, as S3 would; moto itself
    /// accepts any credentials.
    pub only_access_key: Option<String>,
    /// Refuse (403 `AccessDenied`, not forwarded) every request whose target
    /// contains this text, e.g. `partNumber=2` to fail a multipart upload midway.
    pub deny_matching: Option<String>,
}

/// One request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The status returned to the client (0 if there was none).
    pub status: u16,
    pub fault: Option<Fault>,
    /// Whether the request carried a flexible checksum (`x-amz-checksum-*`).
    pub checksum: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    SlowDown,
    CutBody,
    Denied,
}

/// What the proxy did, counted as it happened.
#[derive(Debug, Default)]
pub struct ProxyStats {
    requests: AtomicU64,
    large_gets: AtomicU64,
    seen: Mutex<Vec<Seen>>,
}

impl ProxyStats {
    /// Requests received (including the ones answered by a fault).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// 503 SlowDown answers injected.
    pub fn slow_downs(&self) -> u64 {
        self.count(Fault::SlowDown)
    }

    /// GET bodies cut short.
    pub fn cut_bodies(&self) -> u64 {
        self.count(Fault::CutBody)
    }

    /// Requests refused for their access key.
    pub fn denied(&self) -> u64 {
        self.count(Fault::Denied)
    }

    /// Every request so far, in the order their answers were decided.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self, fault: Fault) -> u64 {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|s| s.fault == Some(fault)).count() as u64
    }

    fn record(&self, seen: Seen) {
        self.seen.lock().unwrap().push(seen);
    }
}

/// A loopback HTTP proxy in front of an S3 endpoint that injects [`Faults`]. Each
/// connection carries one request (every response says `Connection: close`). It
/// stops accepting when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: give this to shardwise instead of the server's.
    pub endpoint: String,
    pub stats: Arc<ProxyStats>,
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str, faults: Faults) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(ProxyStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Arc::new(Ctx {
            upstream: host_port(upstream).to_string(),
            faults,
            stats: stats.clone(),
        });
        let accept = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let ctx = ctx.clone();
                    std::thread::spawn(move || {
                        let _ = ctx.serve(conn);
                    });
                }
            })
        };
        FaultProxy {
            endpoint: format!("http://{addr}"),
            stats,
            stop,
            addr,
            accept: Some(accept),
        }
    }

    /// The environment a `shardwise` process needs to go through this proxy.
    pub fn env(&self) -> Vec<(String, String)> {
        s3_env(&self.endpoint)
    }

    /// A raw client going through this proxy.
    pub fn client(&self) -> S3Client {
        S3Client::new(&self.endpoint)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

struct Ctx {
    upstream: String,
    faults: Faults,
    stats: Arc<ProxyStats>,
}

/// Every `n`th of the numbers 1, 2, 3...
fn every(n: Option<u32>, count: u64) -> bool {
    n.is_some_and(|n| n > 0 && count.is_multiple_of(u64::from(n)))
}

impl Ctx {
    /// Records the request once, with how it was answered.
    fn log(&self, seen: &mut Option<Seen>, status: u16, fault: Option<Fault>) {
        if let Some(mut s) = seen.take() {
            s.status = status;
            s.fault = fault;
            self.stats.record(s);
        }
    }

    fn serve(&self, client: TcpStream) -> io::Result<()> {
        client.set_read_timeout(Some(IO_TIMEOUT))?;
        client.set_write_timeout(Some(IO_TIMEOUT))?;
        client.set_nodelay(true)?;
        let mut from_client = BufReader::new(client.try_clone()?);
        let mut to_client = client;
        let Some(req) = read_head(&mut from_client)? else {
            return Ok(());
        };
        let n = self.stats.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let mut parts = req.first_line.split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut seen = Some(Seen {
            method,
            target,
            range: header(&req.headers, "range").map(str::to_string),
            status: 0,
            fault: None,
            checksum: req
                .headers
                .iter()
                .any(|(k, _)| k.to_ascii_lowercase().starts_with("x-amz-checksum-")),
        });
        let result = self.relay(n, &req, &mut from_client, &mut to_client, &mut seen);
        let _ = to_client.flush();
        let _ = to_client.shutdown(Shutdown::Write);
        // No answer was decided (the client or upstream went away): still seen.
        self.log(&mut seen, 0, None);
        result
    }

    fn relay(
        &self,
        n: u64,
        req: &Head,
        from_client: &mut BufReader<TcpStream>,
        to_client: &mut TcpStream,
        seen: &mut Option<Seen>,
    ) -> io::Result<()> {
        let method = seen.as_ref().map(|s| s.method.clone()).unwrap_or_default();
        if header(&req.headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
            to_client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let denied = self
            .faults
            .only_access_key
            .as_deref()
            .is_some_and(|want| access_key(&req.headers).is_none_or(|got| got != want));
        let forbidden = self
            .faults
            .deny_matching
            .as_deref()
            .is_some_and(|text| req.first_line.contains(text));
        if denied || forbidden || every(self.faults.slow_down_every, n) {
            // Read the whole request first: closing on unread data would reset the
            // connection and the client might never see the answer.
            write_body(from_client, &mut io::sink(), request_body(&req.headers))?;
            let (fault, status, reason, code, message) = if forbidden {
                (
                    Fault::Denied,
                    403,
                    "Forbidden",
                    "AccessDenied",
                    "Access Denied (injected by the fault proxy).",
                )
            } else if denied {
                (
                    Fault::Denied,
                    403,
                    "Forbidden",
                    "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.",
                )
            } else {
                (
                    Fault::SlowDown,
                    503,
                    "Slow Down",
                    "SlowDown",
                    "Please reduce your request rate.",
                )
            };
            self.log(seen, status, Some(fault));
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                 <Message>{message}</Message><RequestId>fault-proxy-{n}</RequestId>\
                 <HostId>fault-proxy</HostId></Error>"
            );
            let head = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n\
                 x-amz-request-id: fault-proxy-{n}\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            to_client.write_all(head.as_bytes())?;
            return to_client.write_all(body.as_bytes());
        }

        let upstream = match connect(&self.upstream) {
            Ok(s) => s,
            Err(e) => {
                self.log(seen, 502, None);
                let msg = format!("fault proxy: upstream {}: {e}", self.upstream);
                let head = format!(
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    msg.len()
                );
                to_client.write_all(head.as_bytes())?;
                return to_client.write_all(msg.as_bytes());
            }
        };
        let mut to_up = io::BufWriter::new(upstream.try_clone()?);
        let mut head = format!("{}\r\n", req.first_line);
        for (k, v) in relayed(&req.headers) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");
        to_up.write_all(head.as_bytes())?;
        write_body(from_client, &mut to_up, request_body(&req.headers))?;
        to_up.flush()?;

        let mut from_up = BufReader::new(upstream);
        let resp = loop {
            let resp = read_head(&mut from_up)?.ok_or_else(|| eof("upstream sent no response"))?;
            // We never forward Expect, so interim answers are not the client's.
            if resp.status() >= 200 {
                break resp;
            }
        };
        let status = resp.status();
        let kind = response_body(&method, status, &resp.headers);
        let mut cut_at = None;
        if let Body::Length(len) = kind
            && method == "GET"
            && (200..300).contains(&status)
            && len > CUT_MIN_BODY
        {
            let k = self.stats.large_gets.fetch_add(1, Ordering::SeqCst) + 1;
            if every(self.faults.cut_get_bodies_every, k) {
                cut_at = Some(len / 2);
            }
        }
        // Logged before the client can see the answer, so a test that got its
        // response reads stats that include it.
        self.log(seen, status, cut_at.map(|_| Fault::CutBody));
        let mut head = format!("{}\r\n", resp.first_line);
        for (k, v) in relayed(&resp.headers) {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("Connection: close\r\n\r\n");
        to_client.write_all(head.as_bytes())?;
        match cut_at {
            Some(at) => copy_exact(&mut from_up, to_client, at),
            None => write_body(&mut from_up, to_client, kind),
        }
    }
}

/// The access key id in `Authorization: AWS4-HMAC-SHA256 Credential=<id>/...`.
fn access_key(headers: &[(String, String)]) -> Option<&str> {
    let auth = header(headers, "authorization")?;
    let cred = auth.split("Credential=").nth(1)?;
    cred.split('/').next()
}

// ---------------------------------------------------------------------------
// Tests of the harness itself

/// Deterministic bytes that do not compress or repeat.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn s3_server_round_trips_a_tree_byte_for_byte() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let s3 = server.client();
    s3.create_bucket("harness");
    let src = tempfile::tempdir().unwrap();
    let files: [(&str, Vec<u8>); 4] = [
        ("a.txt", b"hello\n".to_vec()),
        ("empty", Vec::new()),
        ("deep/er/big.bin", noise(1536 * 1024 + 7, 1)),
        ("odd name+&=.json", b"{\"k\": 1}".to_vec()),
    ];
    for (rel, bytes) in &files {
        let p = src.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    assert_eq!(s3.upload_dir(src.path(), "harness", "in/run"), 4);
    s3.put("harness", "in/runner-is-not-under-run", b"x");

    assert_eq!(
        s3.list("harness", "in/run/"),
        [
            "in/run/a.txt",
            "in/run/deep/er/big.bin",
            "in/run/empty",
            "in/run/odd name+&=.json"
        ]
    );
    let dst = tempfile::tempdir().unwrap();
    assert_eq!(s3.download_prefix("harness", "in/run", dst.path()), 4);
    assert_eq!(util::tree(dst.path()), util::tree(src.path()));
    assert_eq!(s3.tree("harness", "in/run/"), util::tree(src.path()));

    // Listing pages: more keys than one page of max-keys.
    let target = "/harness?list-type=2&prefix=in%2F&max-keys=2";
    let page = s3.send("GET", target, &[], b"").unwrap();
    assert!(
        page.text().contains("<NextContinuationToken>"),
        "{}",
        page.text()
    );
    assert_eq!(s3.list("harness", "in/").len(), 5);

    // A ranged GET from the middle, as a resumed read would send.
    let big = &files[2].1;
    let from = big.len() - 100_000;
    let r = s3
        .send(
            "GET",
            &object_path("harness", "in/run/deep/er/big.bin"),
            &[("Range", &format!("bytes={from}-"))],
            b"",
        )
        .unwrap();
    assert_eq!(r.status, 206, "{}", r.text());
    assert!(r.complete);
    assert_eq!(r.body, big[from..]);

    assert_eq!(s3.get("harness", "in/run/missing"), None);
    let r = s3.send("GET", "/no-such-bucket/k", &[], b"").unwrap();
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (404, Some("NoSuchBucket"))
    );
}

#[test]
fn fault_proxy_without_faults_relays_every_kind_of_body() {
    let Some(server) = S3Server::start() else {
        return;
    };
    server.client().create_bucket("bkt");
    let proxy = FaultProxy::start(&server.endpoint, Faults::default());
    let s3 = proxy.client();

    let big = noise(1200 * 1024, 2);
    s3.put("bkt", "big.bin", &big);
    s3.put("bkt", "small.txt", b"small");
    assert_eq!(server.client().get("bkt", "big.bin").unwrap(), big);
    assert_eq!(s3.get("bkt", "big.bin").unwrap(), big);
    assert_eq!(s3.get("bkt", "small.txt").unwrap(), b"small");

    // A chunked request body, as an SDK streaming upload sends it.
    let mut chunked = Vec::new();
    for part in big.chunks(300_000) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = s3
        .send(
            "PUT",
            &object_path("bkt", "chunked.bin"),
            &[("Transfer-Encoding", "chunked")],
            &chunked,
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.client().get("bkt", "chunked.bin").unwrap(), big);

    // Multipart: 5 MiB parts are the smallest moto accepts.
    let huge = noise(5 * 1024 * 1024 + 4096, 3);
    s3.put_multipart("bkt", "multi.bin", &huge, 5 * 1024 * 1024);
    assert_eq!(s3.get("bkt", "multi.bin").unwrap(), huge);
    assert!(s3.pending_uploads("bkt").is_empty());

    // HEAD: headers announce a length but no body follows.
    let r = s3
        .send("HEAD", &object_path("bkt", "big.bin"), &[], b"")
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some(big.len().to_string().as_str())
    );
    assert!(r.body.is_empty() && r.complete);

    assert_eq!(
        s3.list("bkt", ""),
        ["big.bin", "chunked.bin", "multi.bin", "small.txt"]
    );
    assert_eq!((proxy.stats.slow_downs(), proxy.stats.cut_bodies()), (0, 0));
    assert_eq!(proxy.stats.requests(), proxy.stats.seen().len() as u64);
}

#[test]
fn fault_proxy_answers_every_nth_request_with_slow_down() {
    let Some(server) = S3Server::start() else {
        return;
    };
    server.client().create_bucket("bkt");
    let proxy = FaultProxy::start(
        &server.endpoint,
        Faults {
            slow_down_every: Some(3),
            ..Faults::default()
        },
    );
    let s3 = proxy.client();
    let body = noise(200_000, 4);
    let mut statuses = Vec::new();
    for i in 0..6 {
        let r = s3
            .send("PUT", &object_path("bkt", &format!("k{i}")), &[], &body)
            .unwrap();
        statuses.push(r.status);
        if r.status == 503 {
            assert_eq!(r.error_code().as_deref(), Some("SlowDown"), "{}", r.text());
        }
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503]);
    assert_eq!(proxy.stats.slow_downs(), 2);
    // The refused uploads never reached the server.
    assert_eq!(server.client().list("bkt", ""), ["k0", "k1", "k3", "k4"]);
}

#[test]
fn fault_proxy_cuts_every_nth_large_get_body_and_a_range_get_resumes_it() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let direct = server.client();
    direct.create_bucket("bkt");
    let big = noise(1100 * 1024, 5);
    direct.put("bkt", "big.bin", &big);
    direct.put("bkt", "small.bin", &big[..CUT_MIN_BODY as usize]);
    let proxy = FaultProxy::start(
        &server.endpoint,
        Faults {
            cut_get_bodies_every: Some(2),
            ..Faults::default()
        },
    );
    let s3 = proxy.client();
    let path = object_path("bkt", "big.bin");

    // Small bodies are never cut and do not count.
    for _ in 0..3 {
        assert_eq!(
            s3.get("bkt", "small.bin").unwrap(),
            big[..CUT_MIN_BODY as usize]
        );
    }
    let first = s3.send("GET", &path, &[], b"").unwrap();
    assert!(first.complete && first.body == big);
    let cut = s3.send("GET", &path, &[], b"").unwrap();
    assert_eq!(cut.status, 200);
    assert_eq!(
        cut.header("content-length"),
        Some(big.len().to_string().as_str())
    );
    assert!(!cut.complete);
    assert!(cut.body.len() < big.len(), "{} bytes", cut.body.len());
    assert_eq!(cut.body, big[..cut.body.len()]);
    assert_eq!(proxy.stats.cut_bodies(), 1);

    // Resume from the last byte received (this range GET is the 3rd large one: whole).
    let got = cut.body.len();
    let rest = s3
        .send("GET", &path, &[("Range", &format!("bytes={got}-"))], b"")
        .unwrap();
    assert_eq!((rest.status, rest.complete), (206, true), "{}", rest.text());
    assert_eq!([cut.body, rest.body].concat(), big);
    let seen = proxy.stats.seen();
    assert_eq!(seen.last().unwrap().range, Some(format!("bytes={got}-")));
    assert_eq!(proxy.stats.cut_bodies(), 1);
}

#[test]
fn fault_proxy_refuses_other_access_keys_like_s3() {
    let Some(server) = S3Server::start() else {
        return;
    };
    let proxy = FaultProxy::start(
        &server.endpoint,
        Faults {
            only_access_key: Some("testing".into()),
            ..Faults::default()
        },
    );
    proxy.client().create_bucket("bkt");
    let mut wrong = proxy.client();
    wrong.access_key = "AKIAWRONGWRONGWRONG".into();
    let r = wrong
        .send("PUT", &object_path("bkt", "k"), &[], b"data")
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_deref()),
        (403, Some("InvalidAccessKeyId"))
    );
    assert_eq!(proxy.stats.denied(), 1);
    assert!(server.client().list("bkt", "").is_empty());
    // Moto itself takes any key: the proxy is what makes the test meaningful.
    wrong.endpoint = server.endpoint.clone();
    wrong.put("bkt", "k", b"data");
}
