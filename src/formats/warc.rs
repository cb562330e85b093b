//! WARC and WET records → documents.
//!
//! [`WarcReader`] parses records straight from the decoded stream: a `WARC/1.0` or
//! `WARC/1.1` line (or the `0.17`/`0.18` drafts), header fields up to an empty line (names are case-insensitive,
//! continuation lines are joined, CRLF or bare LF), then exactly `Content-Length`
//! body bytes. Bodies go into one reused buffer and never past `max_doc_bytes`:
//! larger records are read past and reported.
//!
//! `wet` keeps `conversion` records. `warc` also keeps `text/plain` `resource`
//! records and `response` records whose HTTP payload is `text/plain` (HTTP headers
//! stripped, chunked transfer and gzip/deflate content encodings undone; other
//! encodings are skipped). Every other record type is skipped silently.
//!
//! Damage costs only the record it hits. A malformed header, a missing or
//! non-numeric `Content-Length`, a body cut by the end of the stream or by a
//! corrupt gzip member ([`Decoded::gaps`]), or a kept body that is not UTF-8 is
//! reported with the record's offset in the decompressed stream, and reading
//! resumes at the next line starting with `WARC/`. This module decodes text and
//! nothing more: no HTML extraction, no language detection, no filtering.

use std::io::{BufRead, Read};
use std::ops::Range;

use arrow::array::RecordBatch;

use super::compress::Compression;
use super::{Decoded, Format, ShardReader, ShardSource};
use crate::document::{BatchBuilder, DocRef};
use crate::error::{Error, InputError};

/// Longest header line kept; the rest of a longer line is read past.
const MAX_LINE: usize = 64 << 10;
/// Largest header block of one record.
const MAX_HEADER: usize = 256 << 10;
/// How much of an oversized `response` is read to learn its payload type.
const HTTP_PREFIX: usize = 64 << 10;

/// Streams `conversion` (and, for `warc`, text `resource` and `response`) records
/// as documents.
pub struct WarcReader {
    src: ShardSource,
    input: Decoded,
    format: Format,
    builder: BatchBuilder,
    /// Offsets count decompressed bytes; reports say so.
    compressed: bool,
    /// The current line, without its line ending, at most `MAX_LINE` bytes.
    line: Vec<u8>,
    /// A line already read that the next record step must look at first.
    pending: Option<Line>,
    /// `input.gaps()` when last looked at.
    seen_gaps: u64,
    /// The current record's header names and values, back to back.
    head: Vec<u8>,
    fields: Vec<Field>,
    /// The current record's body (or the part of it that is kept).
    body: Vec<u8>,
    /// Decompressed HTTP payloads.
    scratch: Vec<u8>,
    /// The HTTP `Content-Type` of the current response.
    payload_type: String,
    /// The `metadata` JSON of the current document.
    meta: Vec<u8>,
    /// Start of the record just read, while nothing else has been read after it.
    after_record: Option<u64>,
    issues: Vec<InputError>,
    done: bool,
}

/// Where a line was and how it was read.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: u64,
    /// No bytes at all: the stream is over.
    end_of_stream: bool,
    /// Bytes were lost just before this line (a corrupt gzip member was skipped).
    after_gap: bool,
    /// Longer than `MAX_LINE`; only the start is kept.
    too_long: bool,
}

/// A header field as ranges of `WarcReader::head`.
#[derive(Debug, Clone)]
struct Field {
    name: Range<usize>,
    value: Range<usize>,
}

/// What one record step produced.
enum Step {
    Doc,
    Skipped,
    End,
}

/// How reading a body ended.
enum BodyEnd {
    Complete,
    /// Bytes were lost inside the body; the bytes after the loss are unread.
    Gap,
    /// The stream ended after `got` bytes.
    Cut {
        got: u64,
    },
}

/// Which records become documents, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The body is the text (`conversion`, text `resource`).
    Text,
    /// The body is an HTTP response; its payload is the text if it is `text/plain`.
    Http,
    Skip,
}

impl WarcReader {
    pub fn new(src: ShardSource, input: Decoded, format: Format) -> Self {
        let builder = src.builder();
        let compressed = input.compression() != Compression::None;
        let seen_gaps = input.gaps();
        Self {
            src,
            input,
            format,
            builder,
            compressed,
            line: Vec::new(),
            pending: None,
            seen_gaps,
            head: Vec::new(),
            fields: Vec::new(),
            body: Vec::new(),
            scratch: Vec::new(),
            payload_type: String::new(),
            meta: Vec::new(),
            after_record: None,
            issues: Vec::new(),
            done: false,
        }
    }

    fn location(&self, at: u64) -> String {
        if self.compressed {
            format!("byte {at} (decompressed)")
        } else {
            format!("byte {at}")
        }
    }

    fn report(&mut self, at: u64, cause: String) {
        let location = self.location(at);
        self.issues.push(self.src.error(location, cause));
    }

    /// Makes bytes available: how many, and whether bytes were lost just before them.
    fn fill(&mut self) -> Result<(usize, bool), InputError> {
        let n = match self.input.fill_buf() {
            Ok(buf) => buf.len(),
            Err(e) => {
                let at = self.location(self.input.position());
                return Err(self.src.error(at, format!("read failed: {e}")));
            }
        };
        let gaps = self.input.gaps();
        let gap = gaps != self.seen_gaps;
        self.seen_gaps = gaps;
        Ok((n, gap))
    }

    /// Reads the next line into `self.line` (the pending one first). After a gap
    /// the line holds only the bytes after it.
    fn read_line(&mut self) -> Result<Line, InputError> {
        if let Some(line) = self.pending.take() {
            return Ok(line);
        }
        self.line.clear();
        let mut line = Line {
            start: self.input.position(),
            end_of_stream: false,
            after_gap: false,
            too_long: false,
        };
        let mut any = false;
        loop {
            let (n, gap) = self.fill()?;
            if gap {
                self.line.clear();
                any = false;
                line.start = self.input.position();
                line.after_gap = true;
                line.too_long = false;
            }
            if n == 0 {
                line.end_of_stream = !any;
                break;
            }
            let buf = self.input.fill_buf().unwrap_or_default();
            let (take, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = MAX_LINE.saturating_sub(self.line.len());
            line.too_long |= take > room;
            self.line.extend_from_slice(&buf[..take.min(room)]);
            self.input.consume(take);
            any = true;
            if done {
                break;
            }
        }
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
            if self.line.last() == Some(&b'\r') {
                self.line.pop();
            }
        }
        Ok(line)
    }

    /// Skips lines until one starts with `WARC/` (left pending for the next step),
    /// looking at `current` (the line in hand) first. Returns where reading resumes.
    fn resync(&mut self, current: Option<Line>) -> Result<Option<u64>, InputError> {
        if let Some(line) = current
            && !line.end_of_stream
            && self.line.starts_with(b"WARC/")
        {
            self.pending = Some(line);
            return Ok(Some(line.start));
        }
        loop {
            let line = self.read_line()?;
            if line.end_of_stream {
                self.pending = Some(line);
                return Ok(None);
            }
            if self.line.starts_with(b"WARC/") {
                self.pending = Some(line);
                return Ok(Some(line.start));
            }
        }
    }

    /// Reports a damaged record and resynchronises after it.
    fn damaged(
        &mut self,
        start: u64,
        cause: String,
        current: Option<Line>,
    ) -> Result<Step, InputError> {
        self.after_record = None;
        let next = self.resync(current)?;
        let tail = match next {
            Some(at) => format!("skipped to the next record at byte {at}"),
            None => "no record follows".to_string(),
        };
        self.report(start, format!("{cause}; {tail}"));
        Ok(if next.is_some() {
            Step::Skipped
        } else {
            Step::End
        })
    }

    /// Reports a record that lost bytes to a corrupt or truncated gzip member.
    fn lost(&mut self, start: u64) -> Step {
        self.after_record = None;
        self.report(
            start,
            "record lost bytes to damaged compression (reported separately); dropped".into(),
        );
        Step::Skipped
    }

    /// Reads `len` body bytes, keeping the first `keep` of them in `self.body`.
    fn read_body(&mut self, len: u64, keep: usize) -> Result<BodyEnd, InputError> {
        self.body.clear();
        let mut left = len;
        while left > 0 {
            let (n, gap) = self.fill()?;
            if gap {
                return Ok(BodyEnd::Gap);
            }
            if n == 0 {
                return Ok(BodyEnd::Cut { got: len - left });
            }
            let buf = self.input.fill_buf().unwrap_or_default();
            let take = left.min(n as u64) as usize;
            let room = keep.saturating_sub(self.body.len());
            self.body.extend_from_slice(&buf[..take.min(room)]);
            self.input.consume(take);
            left -= take as u64;
        }
        Ok(BodyEnd::Complete)
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        find(&self.head, &self.fields, name)
    }

    /// Parses one record; pushes it to the builder if it is a document.
    fn next_record(&mut self) -> Result<Step, InputError> {
        // The version line, past blank lines between records.
        let mut after_gap = false;
        let line = loop {
            let line = self.read_line()?;
            if line.end_of_stream {
                return Ok(Step::End);
            }
            after_gap |= line.after_gap;
            if !self.line.trim_ascii().is_empty() {
                break line;
            }
        };
        let start = line.start;
        if !self.line.starts_with(b"WARC/") {
            let what = match self.after_record {
                _ if after_gap => {
                    "bytes after damaged compression do not start a WARC record".to_string()
                }
                Some(prev) => format!(
                    "unexpected bytes after the record at byte {prev} (its Content-Length may be wrong)"
                ),
                None => format!(
                    "expected a `WARC/` version line, found `{}`",
                    snippet(&self.line)
                ),
            };
            return self.damaged(start, what, None);
        }
        self.after_record = None;
        // 0.17 and 0.18 are drafts with the same layout that old crawls (ClueWeb09) use.
        let version = self.line.trim_ascii_end();
        if !matches!(&version[5..], b"1.0" | b"1.1" | b"0.18" | b"0.17") {
            let cause = format!("unsupported version line `{}`", snippet(version));
            return self.damaged(start, cause, None);
        }

        // Header fields up to the empty line.
        self.head.clear();
        self.fields.clear();
        loop {
            let line = self.read_line()?;
            if line.after_gap {
                self.pending = Some(line);
                return Ok(self.lost(start));
            }
            if line.end_of_stream {
                self.report(
                    start,
                    "record header is cut short by the end of the stream".into(),
                );
                return Ok(Step::End);
            }
            if line.too_long || self.head.len() + self.line.len() > MAX_HEADER {
                let cause = format!("malformed record header (longer than {MAX_HEADER} bytes)");
                return self.damaged(start, cause, None);
            }
            let l = self.line.trim_ascii_end();
            if l.trim_ascii_start().is_empty() {
                break;
            }
            if l[0] == b' ' || l[0] == b'\t' {
                let Some(last) = self.fields.last_mut() else {
                    let cause =
                        "malformed record header (continuation line before any field)".to_string();
                    return self.damaged(start, cause, None);
                };
                if !last.value.is_empty() {
                    self.head.push(b' ');
                }
                self.head.extend_from_slice(l.trim_ascii_start());
                last.value.end = self.head.len();
                continue;
            }
            if l.starts_with(b"WARC/") {
                let cause = "malformed record header (a new record starts before the empty line)"
                    .to_string();
                return self.damaged(start, cause, Some(line));
            }
            let Some(colon) = memchr::memchr(b':', l) else {
                let cause = format!("malformed record header (line `{}` has no `:`)", snippet(l));
                return self.damaged(start, cause, None);
            };
            let name = l[..colon].trim_ascii();
            if name.is_empty()
                || name
                    .iter()
                    .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
            {
                let cause = format!(
                    "malformed record header (bad field name in `{}`)",
                    snippet(l)
                );
                return self.damaged(start, cause, None);
            }
            let value = l[colon + 1..].trim_ascii();
            let n0 = self.head.len();
            self.head.extend_from_slice(name);
            let n1 = self.head.len();
            self.head.extend_from_slice(value);
            self.fields.push(Field {
                name: n0..n1,
                value: n1..self.head.len(),
            });
        }
        let body_start = self.input.position();

        let len = match self.header("Content-Length") {
            None => return self.damaged(start, "record has no Content-Length".into(), None),
            Some(v) => match std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
            {
                Some(n) => n,
                None => {
                    let cause = format!("Content-Length `{}` is not a number", snippet(v));
                    return self.damaged(start, cause, None);
                }
            },
        };
        let record_type = self.header("WARC-Type").unwrap_or_default();
        let content_type = self.header("Content-Type").unwrap_or_default();
        let (kind, label) = if record_type.eq_ignore_ascii_case(b"conversion") {
            (Kind::Text, "conversion")
        } else if self.format != Format::Warc {
            (Kind::Skip, "")
        } else if record_type.eq_ignore_ascii_case(b"resource") && is_text_plain(content_type) {
            (Kind::Text, "resource")
        } else if record_type.eq_ignore_ascii_case(b"response")
            && content_type
                .get(..16)
                .is_some_and(|t| t.eq_ignore_ascii_case(b"application/http"))
        {
            (Kind::Http, "response")
        } else {
            (Kind::Skip, "")
        };

        // The body: kept whole when it can be a document and fits.
        let max = self.src.options.max_doc_bytes;
        let oversized = len > max as u64;
        let keep = match kind {
            Kind::Skip => 0,
            Kind::Http if oversized => HTTP_PREFIX.min(len as usize),
            _ if oversized => 0,
            _ => len as usize,
        };
        match self.read_body(len, keep)? {
            BodyEnd::Complete => self.after_record = Some(start),
            BodyEnd::Gap if kind == Kind::Skip => return Ok(Step::Skipped),
            BodyEnd::Gap => return Ok(self.lost(start)),
            BodyEnd::Cut { got } => {
                let cause = format!(
                    "record body is truncated (Content-Length {len}, the stream ends after {got} bytes)"
                );
                self.report(start, cause);
                return Ok(Step::End);
            }
        }
        let text_from = match kind {
            Kind::Skip => return Ok(Step::Skipped),
            Kind::Text => {
                self.payload_type.clear();
                Some(body_start)
            }
            Kind::Http => match self.http_payload(start, oversized) {
                Some(()) => None,
                None => return Ok(Step::Skipped),
            },
        };
        if oversized || self.body.len() > max {
            let what = if oversized {
                len
            } else {
                self.body.len() as u64
            };
            let cause = format!(
                "{label} record of {what} bytes is larger than max_doc_bytes ({max}); skipped"
            );
            self.report(start, cause);
            return Ok(Step::Skipped);
        }
        Ok(self.emit(start, text_from))
    }

    /// Turns the HTTP response in `self.body` into its payload, in place. `None`
    /// when the record is not a document (not `text/plain`, unsupported encoding)
    /// or is damaged (reported).
    fn http_payload(&mut self, start: u64, oversized: bool) -> Option<()> {
        let Some(http) = parse_http(&self.body) else {
            if !oversized {
                self.report(
                    start,
                    "response record has no complete HTTP header; skipped".into(),
                );
            }
            return None;
        };
        let content_type = &self.body[http.content_type.clone()];
        if !is_text_plain(content_type) {
            return None;
        }
        if oversized {
            // Reported by the caller, without reading the payload.
            return Some(());
        }
        self.payload_type.clear();
        self.payload_type
            .push_str(&String::from_utf8_lossy(content_type));
        let encoding = Encoding::of(&self.body[http.encoding.clone()]);
        let mut payload = http.payload..self.body.len();
        if http.chunked {
            let Some(n) = dechunk(&mut self.body, http.payload) else {
                self.report(
                    start,
                    "response record has malformed chunked transfer encoding; skipped".into(),
                );
                return None;
            };
            payload = 0..n;
        }
        let max = self.src.options.max_doc_bytes;
        let decoded = match encoding {
            Encoding::Identity => {
                self.body.copy_within(payload.clone(), 0);
                self.body.truncate(payload.len());
                return Some(());
            }
            Encoding::Gzip => {
                self.scratch.clear();
                let input = &self.body[payload];
                flate2::read::MultiGzDecoder::new(input)
                    .take(max as u64 + 1)
                    .read_to_end(&mut self.scratch)
            }
            Encoding::Deflate => {
                self.scratch.clear();
                let input = &self.body[payload];
                let zlib = flate2::read::ZlibDecoder::new(input)
                    .take(max as u64 + 1)
                    .read_to_end(&mut self.scratch);
                zlib.or_else(|_| {
                    // Some servers send raw deflate under this name.
                    self.scratch.clear();
                    flate2::read::DeflateDecoder::new(input)
                        .take(max as u64 + 1)
                        .read_to_end(&mut self.scratch)
                })
            }
            Encoding::Other => return None,
        };
        if let Err(e) = decoded {
            let name = if encoding == Encoding::Gzip {
                "gzip"
            } else {
                "deflate"
            };
            self.report(
                start,
                format!("response payload is not valid {name} ({e}); skipped"),
            );
            return None;
        }
        std::mem::swap(&mut self.body, &mut self.scratch);
        Some(())
    }

    /// Pushes the record in `head`/`body` as a document. `body_start` is the
    /// body's stream offset when the body is the text as stored.
    fn emit(&mut self, start: u64, body_start: Option<u64>) -> Step {
        let text = match String::from_utf8(std::mem::take(&mut self.body)) {
            Ok(text) => text,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                self.body = e.into_bytes();
                let id = self.header("WARC-Record-ID").unwrap_or_default();
                let id = String::from_utf8_lossy(id).into_owned();
                let place = match body_start {
                    Some(b) => format!(
                        "byte {at} of its body, byte {} of the stream",
                        b + at as u64
                    ),
                    None => format!("byte {at} of its decoded payload"),
                };
                self.report(
                    start,
                    format!(
                        "record {id} is not valid UTF-8 (first invalid byte at {place}); skipped"
                    ),
                );
                return Step::Skipped;
            }
        };
        let pushed = self.push(&text);
        self.body = text.into_bytes();
        match pushed {
            Ok(()) => Step::Doc,
            Err(name) => {
                self.report(
                    start,
                    format!("header {name} is not valid UTF-8; record skipped"),
                );
                Step::Skipped
            }
        }
    }

    /// Builds the document's columns from the headers; `Err` names a header that
    /// is not UTF-8.
    fn push(&mut self, text: &str) -> Result<(), &'static str> {
        let Self {
            head,
            fields,
            meta,
            builder,
            payload_type,
            format,
            ..
        } = self;
        let (head, fields): (&[u8], &[Field]) = (head, fields);
        let get = move |name: &'static str| match find(head, fields, name) {
            None => Ok(None),
            Some(v) => std::str::from_utf8(v).map(Some).map_err(|_| name),
        };
        let id = get("WARC-Record-ID")?;
        // wget writes `<uri>`, as an erratum of the WARC 1.0 spec did.
        let url = get("WARC-Target-URI")?.map(|u| {
            u.strip_prefix('<')
                .and_then(|u| u.strip_suffix('>'))
                .unwrap_or(u)
        });
        let date = get("WARC-Date")?;
        let language = get("WARC-Identified-Content-Language")?;

        // Metadata values that are not UTF-8 are left out rather than failing the record.
        let text_type = if payload_type.is_empty() {
            get("Content-Type").ok().flatten()
        } else {
            Some(payload_type.as_str())
        };
        let mut entries = [
            ("warc_type", None),
            ("warc_refers_to", get("WARC-Refers-To").ok().flatten()),
            ("content_type", text_type),
            ("warc_block_digest", get("WARC-Block-Digest").ok().flatten()),
            ("warc_payload_digest", None),
        ];
        if *format == Format::Warc {
            entries[0].1 = get("WARC-Type").ok().flatten();
            entries[4].1 = get("WARC-Payload-Digest").ok().flatten();
        }
        write_json_object(meta, &entries);
        builder.push(&DocRef {
            id,
            text,
            url,
            date,
            language,
            metadata: std::str::from_utf8(meta.as_slice())
                .ok()
                .filter(|m| !m.is_empty()),
        });
        Ok(())
    }
}

impl ShardReader for WarcReader {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, Error> {
        while !self.done {
            if self.src.limit_reached(&self.builder) {
                self.done = true;
                break;
            }
            match self.next_record() {
                Ok(Step::Doc) => {
                    if self.src.batch_full(&self.builder) {
                        return Ok(Some(self.builder.flush()));
                    }
                }
                Ok(Step::Skipped) => {}
                Ok(Step::End) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Err(e.into());
                }
            }
        }
        super::finish_stream(&self.src, &mut self.input, &mut self.builder)
    }

    fn take_issues(&mut self) -> Vec<InputError> {
        let mut out = self.input.take_issues();
        out.append(&mut self.issues);
        out
    }

    fn raw_bytes(&self) -> u64 {
        self.input.raw_position()
    }
}

/// The first value of header `name` (case-insensitive).
fn find<'a>(head: &'a [u8], fields: &[Field], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|f| head[f.name.clone()].eq_ignore_ascii_case(name.as_bytes()))
        .map(|f| &head[f.value.clone()])
}

/// Whether a `Content-Type` value is `text/plain`, whatever its parameters.
fn is_text_plain(content_type: &[u8]) -> bool {
    let media = content_type
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default();
    media.trim_ascii().eq_ignore_ascii_case(b"text/plain")
}

/// The start of a line for a message, escaped and cut short.
fn snippet(b: &[u8]) -> String {
    let cut = &b[..b.len().min(60)];
    let more = if b.len() > cut.len() { "..." } else { "" };
    format!("{}{more}", cut.escape_ascii())
}

/// Writes `{"key": value, ...}` for the entries that have a value; nothing if none do.
fn write_json_object(out: &mut Vec<u8>, entries: &[(&str, Option<&str>)]) {
    out.clear();
    for (key, value) in entries {
        let Some(value) = value else { continue };
        out.push(if out.is_empty() { b'{' } else { b',' });
        // Writing strings into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, key);
        out.push(b':');
        let _ = serde_json::to_writer(&mut *out, value);
    }
    if !out.is_empty() {
        out.push(b'}');
    }
}

/// HTTP `Content-Encoding`s this reader undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Deflate,
    Other,
}

impl Encoding {
    fn of(value: &[u8]) -> Self {
        let v = value.trim_ascii();
        if v.is_empty() || v.eq_ignore_ascii_case(b"identity") {
            Encoding::Identity
        } else if v.eq_ignore_ascii_case(b"gzip") || v.eq_ignore_ascii_case(b"x-gzip") {
            Encoding::Gzip
        } else if v.eq_ignore_ascii_case(b"deflate") {
            Encoding::Deflate
        } else {
            Encoding::Other
        }
    }
}

/// The HTTP header block at the start of a response body, as ranges of it.
struct Http {
    payload: usize,
    content_type: Range<usize>,
    encoding: Range<usize>,
    chunked: bool,
}

/// Parses the status line and headers; `None` if there is no complete header block.
fn parse_http(body: &[u8]) -> Option<Http> {
    if !body.starts_with(b"HTTP/") {
        return None;
    }
    let crlf = memchr::memmem::find(body, b"\r\n\r\n").map(|i| i + 4);
    let lf = memchr::memmem::find(body, b"\n\n").map(|i| i + 2);
    let payload = match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let mut http = Http {
        payload,
        content_type: 0..0,
        encoding: 0..0,
        chunked: false,
    };
    let mut at = 0;
    for line in body[..payload].split(|&b| b == b'\n') {
        let line_start = at;
        at += line.len() + 1;
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        let rest = &line[colon + 1..];
        let value = rest.trim_ascii();
        let offset = line_start + colon + 1 + (rest.len() - rest.trim_ascii_start().len());
        let range = offset..offset + value.len();
        if name.eq_ignore_ascii_case(b"content-type") && http.content_type.is_empty() {
            http.content_type = range;
        } else if name.eq_ignore_ascii_case(b"content-encoding") {
            http.encoding = range;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            http.chunked |= value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        }
    }
    Some(http)
}

/// Undoes chunked transfer encoding of `buf[from..]` in place, writing the data
/// to the front of `buf`. Returns its length, or `None` if the chunks are malformed.
fn dechunk(buf: &mut [u8], from: usize) -> Option<usize> {
    let (mut r, mut w) = (from, 0);
    loop {
        let eol = r + memchr::memchr(b'\n', &buf[r..])?;
        let size_line = buf[r..eol].split(|&b| b == b';').next()?.trim_ascii();
        let size = usize::from_str_radix(std::str::from_utf8(size_line).ok()?, 16).ok()?;
        r = eol + 1;
        if size == 0 {
            return Some(w);
        }
        let end = r.checked_add(size).filter(|&e| e <= buf.len())?;
        buf.copy_within(r..end, w);
        w += size;
        r = end;
        if buf[r..].starts_with(b"\r\n") {
            r += 2;
        } else if buf[r..].starts_with(b"\n") {
            r += 1;
        }
        if r >= buf.len() {
            // A missing last-chunk marker loses nothing.
            return Some(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use arrow::array::{Array, StringArray};
    use flate2::write::GzEncoder;

    use super::*;
    use crate::document::Columns;
    use crate::formats::ReadOptions;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// One record with CRLF line endings and the trailing CRLFCRLF.
    fn record(warc_type: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut r = format!("WARC/1.0\r\nWARC-Type: {warc_type}\r\n");
        for (k, v) in headers {
            r.push_str(&format!("{k}: {v}\r\n"));
        }
        r.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut r = r.into_bytes();
        r.extend_from_slice(body);
        r.extend_from_slice(b"\r\n\r\n");
        r
    }

    fn conversion(n: usize, text: &str) -> Vec<u8> {
        record(
            "conversion",
            &[
                ("WARC-Target-URI", &format!("https://example.com/{n}")),
                ("WARC-Date", "2024-05-18T01:58:10Z"),
                ("WARC-Record-ID", &format!("<urn:uuid:{n}>")),
                ("WARC-Refers-To", &format!("<urn:uuid:r{n}>")),
                ("WARC-Block-Digest", "sha1:ABC"),
                ("WARC-Identified-Content-Language", "eng"),
                ("Content-Type", "text/plain"),
            ],
            text.as_bytes(),
        )
    }

    fn warcinfo() -> Vec<u8> {
        record(
            "warcinfo",
            &[("Content-Type", "application/warc-fields")],
            b"software: test\r\n",
        )
    }

    fn read_with(
        bytes: Vec<u8>,
        options: ReadOptions,
        format: Format,
    ) -> (Vec<RecordBatch>, Vec<InputError>) {
        let uri = "mem.warc.wet.gz";
        let src = ShardSource {
            uri: uri.into(),
            index: 3,
            options,
        };
        let input = Decoded::new(uri, Box::new(std::io::Cursor::new(bytes))).unwrap();
        let mut r = WarcReader::new(src, input, format);
        let mut batches = Vec::new();
        while let Some(b) = r.next_batch().unwrap() {
            batches.push(b);
        }
        assert!(r.next_batch().unwrap().is_none());
        (batches, r.take_issues())
    }

    fn read(bytes: Vec<u8>) -> (Vec<RecordBatch>, Vec<InputError>) {
        read_with(bytes, ReadOptions::default(), Format::Wet)
    }

    fn texts(batches: &[RecordBatch]) -> Vec<String> {
        batches
            .iter()
            .flat_map(|b| {
                let t = Columns::of(b).text;
                (0..t.len())
                    .map(|i| t.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    fn column<'a>(b: &'a RecordBatch, name: &str) -> &'a StringArray {
        b.column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref()
            .unwrap()
    }

    fn messages(issues: &[InputError]) -> Vec<String> {
        issues.iter().map(|i| i.to_string()).collect()
    }

    fn gz_each(records: &[Vec<u8>]) -> Vec<u8> {
        records.iter().flat_map(|r| gz(r)).collect()
    }

    #[test]
    fn wet_conversion_records_become_documents() {
        let bytes = gz_each(&[
            warcinfo(),
            conversion(1, "first page\nline two"),
            conversion(2, "second page"),
        ]);
        let (batches, issues) = read(bytes);
        assert!(issues.is_empty(), "{:?}", messages(&issues));
        assert_eq!(texts(&batches), ["first page\nline two", "second page"]);
        let b = &batches[0];
        let c = Columns::of(b);
        assert_eq!(c.id.value(0), "<urn:uuid:1>");
        assert_eq!(c.url.unwrap().value(1), "https://example.com/2");
        assert_eq!(c.doc_key.value(1), (3u64 << 32) | 1);
        assert_eq!(column(b, "date").value(0), "2024-05-18T01:58:10Z");
        assert_eq!(column(b, "language").value(0), "eng");
        let meta: serde_json::Value = serde_json::from_str(column(b, "metadata").value(0)).unwrap();
        assert_eq!(
            meta,
            serde_json::json!({
                "warc_refers_to": "<urn:uuid:r1>",
                "content_type": "text/plain",
                "warc_block_digest": "sha1:ABC",
            })
        );
    }

    #[test]
    fn lf_only_line_endings_and_header_quirks_are_tolerated() {
        let body = "text with\nlines\n";
        let wet = format!(
            "WARC/1.1\nwarc-type: conversion\nWARC-Record-ID:   <urn:uuid:lf>  \nWARC-Target-URI: https://example.com/a\n  ?continued=1\ncontent-length: {}\n\n{body}\n\n\n\nWARC/1.0\nWARC-Type: conversion\nContent-Length: 2\n\nok",
            body.len()
        );
        let (batches, issues) = read(wet.into_bytes());
        assert!(issues.is_empty(), "{:?}", messages(&issues));
        assert_eq!(texts(&batches), [body, "ok"]);
        let c = Columns::of(&batches[0]);
        assert_eq!(c.id.value(0), "<urn:uuid:lf>");
        assert_eq!(
            c.url.unwrap().value(0),
            "https://example.com/a ?continued=1"
        );
        // A record without an id gets `<stem>/<ordinal>`.
        assert_eq!(c.id.value(1), "mem/1");
    }

    #[test]
    fn bad_content_length_between_good_records_costs_only_that_record() {
        let bad = String::from_utf8(conversion(2, "bad"))
            .unwrap()
            .replace("Content-Length: 3", "Content-Length: 3x");
        let no_length = String::from_utf8(conversion(3, "none"))
            .unwrap()
            .replace("Content-Length: 4\r\n", "");
        let good1 = conversion(1, "one");
        let bad_start = good1.len();
        let records = [
            good1,
            bad.into_bytes(),
            no_length.into_bytes(),
            conversion(4, "four"),
        ];
        let (batches, issues) = read(records.concat());
        assert_eq!(texts(&batches), ["one", "four"]);
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].starts_with(&format!(
                "shard mem.warc.wet.gz: byte {bad_start}: Content-Length `3x` is not a number; \
                 skipped to the next record at byte"
            )),
            "{msgs:?}"
        );
        assert!(msgs[1].contains("record has no Content-Length"), "{msgs:?}");

        // The same, one gzip member per record: offsets are decompressed ones.
        let (batches, issues) = read(gz_each(&records));
        assert_eq!(texts(&batches), ["one", "four"]);
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].contains(&format!("byte {bad_start} (decompressed): Content-Length")),
            "{msgs:?}"
        );
    }

    #[test]
    fn truncated_last_record_is_reported_and_the_rest_kept() {
        let mut plain = [conversion(1, "one"), conversion(2, "two is longer")].concat();
        let second = conversion(1, "one").len();
        plain.truncate(plain.len() - 8);
        let (batches, issues) = read(plain);
        assert_eq!(texts(&batches), ["one"]);
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains(&format!(
                "byte {second}: record body is truncated (Content-Length 13"
            )),
            "{msgs:?}"
        );

        // Cut inside the header.
        let mut plain = [conversion(1, "one"), conversion(2, "two")].concat();
        plain.truncate(second + 30);
        let (batches, issues) = read(plain);
        assert_eq!(texts(&batches), ["one"]);
        assert!(
            messages(&issues)[0].contains("record header is cut short"),
            "{:?}",
            messages(&issues)
        );
    }

    #[test]
    fn corrupt_gzip_member_in_the_middle_costs_only_its_record() {
        let a = gz(&conversion(1, "before"));
        let mut b = gz(&conversion(2, &"damaged text ".repeat(50)));
        let c = gz(&conversion(3, "after"));
        let mid = b.len() / 2;
        for x in &mut b[12..mid] {
            *x = 0xff;
        }
        let b_start = a.len();
        let (batches, issues) = read([a, b, c].concat());
        assert_eq!(texts(&batches), ["before", "after"]);
        let msgs = messages(&issues);
        assert!(!msgs.is_empty());
        assert!(
            msgs[0].starts_with(&format!(
                "shard mem.warc.wet.gz: compressed byte {b_start}: gzip member is corrupt"
            )),
            "{msgs:?}"
        );
    }

    #[test]
    fn record_cut_by_a_corrupt_member_is_dropped_and_reported() {
        // Stored (uncompressed) deflate blocks: the decoder hands out a full buffer
        // (256 KiB) before a damaged block header stops the member mid-record.
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::none());
        let big: String = (0..80_000).map(|i| format!("{i:07}\n")).collect();
        e.write_all(&conversion(2, &big)).unwrap();
        let mut b = e.finish().unwrap();
        let a = gz(&conversion(1, "before"));
        let c = gz(&conversion(3, "after"));
        let n = b.len();
        for x in &mut b[n * 2 / 3..n - 100] {
            *x = 0xff;
        }
        let a_len = conversion(1, "before").len();
        let (batches, issues) = read([a, b, c].concat());
        assert_eq!(texts(&batches), ["before", "after"]);
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(msgs[0].contains("gzip member is corrupt"), "{msgs:?}");
        assert!(
            msgs[1].contains(&format!(
                "byte {a_len} (decompressed): record lost bytes to damaged compression"
            )),
            "{msgs:?}"
        );
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_position_not_replaced() {
        let mut bad = conversion(2, "ok so far XXX");
        let at = memchr::memmem::find(&bad, b"XXX").unwrap();
        bad[at] = 0xff;
        let first = conversion(1, "one");
        let body_offset = first.len() + at;
        let (batches, issues) = read([first, bad, conversion(3, "three")].concat());
        assert_eq!(texts(&batches), ["one", "three"]);
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains(&format!(
                "record <urn:uuid:2> is not valid UTF-8 (first invalid byte at byte 10 of its body, byte {body_offset} of the stream)"
            )),
            "{msgs:?}"
        );
    }

    #[test]
    fn oversized_records_are_read_past_and_reported() {
        let big = "x".repeat(5000);
        let bytes = gz_each(&[
            conversion(1, "small"),
            conversion(2, &big),
            conversion(3, "also small"),
        ]);
        let options = ReadOptions {
            max_doc_bytes: 1000,
            ..Default::default()
        };
        let (batches, issues) = read_with(bytes, options, Format::Wet);
        assert_eq!(texts(&batches), ["small", "also small"]);
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains("conversion record of 5000 bytes is larger than max_doc_bytes (1000)"),
            "{msgs:?}"
        );
    }

    #[test]
    fn limit_and_batch_size_are_honoured() {
        let records: Vec<Vec<u8>> = (0..7).map(|i| conversion(i, &format!("doc {i}"))).collect();
        let options = ReadOptions {
            batch_docs: 2,
            limit: Some(5),
            ..Default::default()
        };
        let (batches, issues) = read_with(gz_each(&records), options, Format::Wet);
        assert!(issues.is_empty());
        let rows: Vec<usize> = batches.iter().map(RecordBatch::num_rows).collect();
        assert_eq!(rows, [2, 2, 1]);
        assert_eq!(texts(&batches).last().unwrap(), "doc 4");
    }

    #[test]
    fn junk_between_records_is_reported_and_skipped() {
        // A Content-Length two bytes short leaves junk before the next record.
        let short = String::from_utf8(conversion(1, "one!!"))
            .unwrap()
            .replace("Content-Length: 5", "Content-Length: 3");
        let junk = b"garbage line\r\nmore\r\n".to_vec();
        let bytes = [junk, short.into_bytes(), conversion(2, "two")].concat();
        let (batches, issues) = read(bytes);
        assert_eq!(texts(&batches), ["one", "two"]);
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs[0].contains("byte 0: expected a `WARC/` version line, found `garbage line`"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].contains("unexpected bytes after the record at byte 20"),
            "{msgs:?}"
        );
    }

    #[test]
    fn warc_format_reads_text_resources_and_text_responses() {
        let http = |ct: &str, extra: &str, payload: &[u8]| {
            let mut b =
                format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\n{extra}\r\n").into_bytes();
            b.extend_from_slice(payload);
            b
        };
        let response = |n: usize, body: Vec<u8>| {
            record(
                "response",
                &[
                    ("WARC-Record-ID", &format!("<urn:uuid:{n}>")),
                    ("WARC-Target-URI", "<http://example.com/robots.txt>"),
                    ("Content-Type", "application/http; msgtype=response"),
                ],
                &body,
            )
        };
        let records = [
            warcinfo(),
            record(
                "request",
                &[("Content-Type", "application/http; msgtype=request")],
                b"GET / HTTP/1.1\r\n\r\n",
            ),
            response(1, http("text/html", "", b"<p>html is not read here</p>")),
            response(2, http("text/plain; charset=utf-8", "", b"plain text")),
            response(
                3,
                http(
                    "text/plain",
                    "Transfer-Encoding: chunked\r\n",
                    b"5\r\nchunk\r\n6;x=1\r\ned two\r\n0\r\n\r\n",
                ),
            ),
            response(
                4,
                http(
                    "text/plain",
                    "Content-Encoding: gzip\r\n",
                    &gz(b"zipped text"),
                ),
            ),
            response(
                5,
                http("text/plain", "Content-Encoding: br\r\n", b"\x00\x01"),
            ),
            record("resource", &[("Content-Type", "text/plain")], b"a log file"),
            record("resource", &[("Content-Type", "image/png")], b"\x89PNG"),
            conversion(6, "converted"),
        ];
        let (batches, issues) = read_with(gz_each(&records), ReadOptions::default(), Format::Warc);
        assert!(issues.is_empty(), "{:?}", messages(&issues));
        assert_eq!(
            texts(&batches),
            [
                "plain text",
                "chunked two",
                "zipped text",
                "a log file",
                "converted"
            ]
        );
        let b = &batches[0];
        assert_eq!(
            Columns::of(b).url.unwrap().value(0),
            "http://example.com/robots.txt"
        );
        let meta: serde_json::Value = serde_json::from_str(column(b, "metadata").value(0)).unwrap();
        assert_eq!(meta["warc_type"], "response");
        assert_eq!(meta["content_type"], "text/plain; charset=utf-8");

        // The same file as WET yields only the conversion record.
        let (batches, issues) = read_with(gz_each(&records), ReadOptions::default(), Format::Wet);
        assert!(issues.is_empty());
        assert_eq!(texts(&batches), ["converted"]);
    }

    #[test]
    fn a_file_with_no_warc_records_reports_once_and_ends() {
        let (batches, issues) = read(b"20080430204825 arc header\nbody\n".repeat(100));
        assert!(batches.is_empty());
        let msgs = messages(&issues);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains("byte 0: expected a `WARC/` version line")
                && msgs[0].ends_with("no record follows")
        );
    }

    #[test]
    fn empty_input_is_an_empty_shard() {
        let (batches, issues) = read(Vec::new());
        assert!(batches.is_empty() && issues.is_empty());
    }
}
