//! Decompression with magic-byte sniffing and damage containment.
//!
//! [`Decoded`] turns a raw object stream into plain bytes: gzip (multi-member, as
//! Common Crawl writes one member per record), zstd (multi-frame) or none, chosen by
//! the first bytes, not the file name. A corrupt gzip member is reported with its
//! compressed byte offset and skipped by scanning for the next member header, so
//! one bad member costs only the records inside it. Each skip bumps [`Decoded::gaps`]
//! so the record parser above knows to drop its partial record and resynchronise.

use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::GzDecoder;

use crate::error::InputError;

/// Compression of a stream, detected from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// Sniffs the compression from the magic bytes at the start of a stream.
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Counts the bytes consumed from a buffered reader, and remembers a failure
/// of the source itself so it is not mistaken for damaged data.
struct Counting<R> {
    inner: R,
    pos: u64,
    error: Option<io::Error>,
}

impl<R> Counting<R> {
    fn note<T>(&mut self, r: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &r
            && e.kind() != io::ErrorKind::Interrupted
        {
            self.error = Some(io::Error::new(e.kind(), e.to_string()));
        }
        r
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.inner.read(buf);
        let n = self.note(r)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Err(e) = self.inner.fill_buf() {
            if e.kind() != io::ErrorKind::Interrupted {
                self.error = Some(io::Error::new(e.kind(), e.to_string()));
            }
            return Err(e);
        }
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt)
    }
}

type Raw = Counting<BufReader<Box<dyn Read + Send>>>;

/// Gzip members decoded one after another, skipping corrupt ones.
struct GzMembers {
    /// `None` only transiently while switching members.
    member: Option<GzDecoder<Raw>>,
    member_start: u64,
    /// Compressed bytes consumed when the last member was taken out.
    last_pos: u64,
    done: bool,
}

type ZstdDecoder = zstd::stream::read::Decoder<'static, BufReader<Raw>>;

enum Inner {
    Plain(Raw),
    Gzip(Box<GzMembers>),
    Zstd(Box<ZstdDecoder>),
}

/// A decompressed, buffered view of one shard.
pub struct Decoded {
    uri: String,
    compression: Compression,
    inner: Inner,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Decompressed bytes consumed by the caller.
    pos: u64,
    gaps: u64,
    issues: Vec<InputError>,
    failed: bool,
    source_error: Option<io::Error>,
}

const BUF: usize = 256 * 1024;
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

impl Decoded {
    /// Wraps a raw stream, sniffing its compression.
    pub fn new(uri: &str, raw: Box<dyn Read + Send>) -> io::Result<Self> {
        let mut raw = Counting {
            inner: BufReader::with_capacity(BUF, raw),
            pos: 0,
            error: None,
        };
        let compression = Compression::sniff(raw.fill_buf()?);
        let inner = match compression {
            Compression::None => Inner::Plain(raw),
            Compression::Gzip => Inner::Gzip(Box::new(GzMembers {
                member: Some(GzDecoder::new(raw)),
                member_start: 0,
                last_pos: 0,
                done: false,
            })),
            Compression::Zstd => Inner::Zstd(Box::new(zstd::stream::read::Decoder::new(raw)?)),
        };
        Ok(Self {
            uri: uri.to_string(),
            compression,
            inner,
            buf: vec![0; BUF],
            start: 0,
            end: 0,
            pos: 0,
            gaps: 0,
            issues: Vec::new(),
            failed: false,
            source_error: None,
        })
    }

    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Decompressed bytes consumed so far: the offset of the next byte.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Compressed bytes read from the object so far.
    pub fn raw_position(&self) -> u64 {
        match &self.inner {
            Inner::Plain(r) => r.pos,
            Inner::Gzip(g) => g.member.as_ref().map_or(g.last_pos, |m| m.get_ref().pos),
            Inner::Zstd(z) => z.get_ref().get_ref().pos,
        }
    }

    /// How many times bytes were lost (a corrupt member skipped, a stream cut).
    /// A parser that sees this change drops its partial record.
    pub fn gaps(&self) -> u64 {
        self.gaps
    }

    /// The source could not be read (not damage in the data): the stream ended
    /// early for a reason a retry may not share.
    pub fn take_source_error(&mut self) -> Option<io::Error> {
        self.source_error.take()
    }

    /// Ends the stream because the source failed.
    fn source_failed(&mut self, e: io::Error) -> usize {
        self.failed = true;
        self.source_error = Some(e);
        0
    }

    /// Damage found so far, each naming the shard and the byte offset.
    pub fn take_issues(&mut self) -> Vec<InputError> {
        std::mem::take(&mut self.issues)
    }

    fn issue(&mut self, location: String, cause: String) {
        self.gaps += 1;
        self.issues.push(InputError {
            shard: self.uri.clone(),
            location,
            cause,
        });
    }

    /// Refills the buffer; returns 0 at the end of the usable stream.
    fn refill(&mut self) -> usize {
        if self.failed {
            return 0;
        }
        loop {
            let res = match &mut self.inner {
                Inner::Plain(r) => r.read(&mut self.buf),
                Inner::Zstd(z) => z.read(&mut self.buf),
                Inner::Gzip(g) => {
                    if g.done {
                        return 0;
                    }
                    g.member
                        .as_mut()
                        .expect("member present")
                        .read(&mut self.buf)
                }
            };
            match res {
                Ok(0) => {
                    if let Inner::Gzip(g) = &mut self.inner {
                        // Member finished: start the next one if bytes remain.
                        let raw = g.member.take().expect("member present").into_inner();
                        g.last_pos = raw.pos;
                        match next_member(raw) {
                            Ok(Some((raw, start))) => {
                                g.member_start = start;
                                g.member = Some(GzDecoder::new(raw));
                                continue;
                            }
                            Ok(None) => {
                                g.done = true;
                                return 0;
                            }
                            Err(e) => {
                                g.done = true;
                                return self.source_failed(e);
                            }
                        }
                    }
                    return 0;
                }
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    return n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => match &mut self.inner {
                    Inner::Gzip(g) => {
                        let at = g.member_start;
                        let mut raw = g.member.take().expect("member present").into_inner();
                        g.last_pos = raw.pos;
                        if let Some(source) = raw.error.take() {
                            g.done = true;
                            return self.source_failed(source);
                        }
                        let truncated = e.kind() == io::ErrorKind::UnexpectedEof;
                        let cause = if truncated {
                            format!(
                                "gzip member is truncated (the stream ends at byte {})",
                                raw.pos
                            )
                        } else {
                            format!("gzip member is corrupt ({e})")
                        };
                        match resync(raw) {
                            Ok(Some((raw, start))) => {
                                let cause = format!(
                                    "{cause}; reading resumes at the next member at byte {start}"
                                );
                                g.member_start = start;
                                g.member = Some(GzDecoder::new(raw));
                                self.issue(format!("compressed byte {at}"), cause);
                                continue;
                            }
                            Ok(None) => {
                                g.done = true;
                                self.issue(format!("compressed byte {at}"), cause);
                                return 0;
                            }
                            Err(e2) => {
                                g.done = true;
                                self.issue(format!("compressed byte {at}"), cause);
                                return self.source_failed(e2);
                            }
                        }
                    }
                    _ => {
                        let source = match &mut self.inner {
                            Inner::Plain(r) => r.error.take(),
                            Inner::Zstd(z) => z.get_mut().get_mut().error.take(),
                            Inner::Gzip(_) => None,
                        };
                        if let Some(source) = source {
                            return self.source_failed(source);
                        }
                        let at = self.raw_position();
                        let kind = match self.compression {
                            Compression::Zstd => "zstd stream is corrupt or truncated",
                            _ => "read failed",
                        };
                        self.failed = true;
                        self.issue(format!("compressed byte {at}"), format!("{kind} ({e})"));
                        return 0;
                    }
                },
            }
        }
    }
}

/// After a member ended cleanly: the start of the next one, or `None` at the end.
/// Trailing zero padding (some writers add it) counts as the end.
fn next_member(mut raw: Raw) -> io::Result<Option<(Raw, u64)>> {
    loop {
        let buf = raw.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if buf.iter().all(|&b| b == 0) {
            let n = buf.len();
            raw.consume(n);
            continue;
        }
        let start = raw.pos;
        return Ok(Some((raw, start)));
    }
}

/// After a corrupt member: scans forward for the next gzip header. A header that
/// straddles the reader's internal buffer boundary is missed, which costs one more
/// member: rare, and never silent.
fn resync(mut raw: Raw) -> io::Result<Option<(Raw, u64)>> {
    loop {
        let buf = raw.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(i) = memchr::memmem::find(buf, &GZIP_MAGIC) {
            raw.consume(i);
            let start = raw.pos;
            return Ok(Some((raw, start)));
        }
        let n = buf.len();
        raw.consume(n);
    }
}

impl Read for Decoded {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Decoded {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.refill();
        }
        Ok(&self.buf[self.start..self.end])
    }

    fn consume(&mut self, amt: usize) {
        self.start = (self.start + amt).min(self.end);
        self.pos += amt as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn decode(bytes: Vec<u8>) -> (Vec<u8>, Vec<InputError>, u64) {
        let mut d = Decoded::new("mem", Box::new(io::Cursor::new(bytes))).unwrap();
        let mut out = Vec::new();
        d.read_to_end(&mut out).unwrap();
        (out, d.take_issues(), d.gaps())
    }

    #[test]
    fn multi_member_gzip_reads_every_member() {
        let mut bytes = gz(b"one\n");
        bytes.extend(gz(b"two\n"));
        let (out, issues, gaps) = decode(bytes);
        assert_eq!(out, b"one\ntwo\n");
        assert!(issues.is_empty());
        assert_eq!(gaps, 0);
    }

    #[test]
    fn corrupt_member_in_the_middle_costs_only_that_member() {
        let a = gz(b"first\n");
        let mut b = gz(&b"second member that will be damaged\n".repeat(20));
        let c = gz(b"third\n");
        let mid = b.len() / 2;
        for x in &mut b[12..mid] {
            *x = 0xff;
        }
        let b_start = a.len();
        let bytes = [a, b, c].concat();
        let (out, issues, gaps) = decode(bytes);
        assert!(
            out.starts_with(b"first\n"),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
        assert!(out.ends_with(b"third\n"));
        assert_eq!(gaps, 1);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].location, format!("compressed byte {b_start}"));
        assert!(issues[0].cause.contains("corrupt"), "{}", issues[0]);
    }

    #[test]
    fn truncated_gzip_keeps_what_came_before() {
        let a = gz(b"complete\n");
        let b = gz(&b"cut short ".repeat(100));
        let cut = a.len() + b.len() / 2;
        let bytes = [a, b].concat()[..cut].to_vec();
        let (out, issues, _) = decode(bytes);
        assert!(out.starts_with(b"complete\n"));
        assert_eq!(issues.len(), 1);
        assert!(issues[0].cause.contains("truncated"), "{}", issues[0]);
    }

    /// Fails after `ok` bytes, like a broken disk or connection.
    struct Flaky {
        data: Vec<u8>,
        pos: usize,
        ok: usize,
    }

    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos >= self.ok {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "connection reset",
                ));
            }
            let n = buf
                .len()
                .min(self.ok - self.pos)
                .min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn a_failing_source_is_not_mistaken_for_damage_or_the_end() {
        let members: Vec<u8> = (0..50)
            .flat_map(|i| gz(format!("record {i}\n").as_bytes()))
            .collect();
        for data in [
            members,
            b"plain text\n".repeat(100_000),
            zstd::encode_all(&b"z".repeat(300_000)[..], 1).unwrap(),
        ] {
            let ok = data.len() / 2;
            let mut d = Decoded::new("flaky", Box::new(Flaky { data, pos: 0, ok })).unwrap();
            let mut out = Vec::new();
            d.read_to_end(&mut out).unwrap();
            assert!(d.take_issues().is_empty(), "a source failure is not damage");
            let e = d.take_source_error().expect("the failure is kept");
            assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
        }
    }

    #[test]
    fn compression_is_sniffed_not_guessed_from_names() {
        let z = zstd::encode_all(&b"zstd text"[..], 3).unwrap();
        let (out, issues, _) = decode(z);
        assert_eq!(out, b"zstd text");
        assert!(issues.is_empty());
        let (out, _, _) = decode(b"plain".to_vec());
        assert_eq!(out, b"plain");
    }
}
