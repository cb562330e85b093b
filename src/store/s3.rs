//! `s3://bucket/key` URIs on Amazon S3 or any S3-compatible server.
//!
//! Configuration is the standard AWS one (default credential chain, `AWS_REGION`,
//! `AWS_ENDPOINT_URL(_S3)`, `AWS_REQUEST_CHECKSUM_CALCULATION`, ...). Path-style
//! addressing is switched on by `SHARDWISE_S3_PATH_STYLE=1` or the pipeline's
//! `[storage] s3_path_style`. The SDK client runs on a small tokio runtime owned
//! by the store; callers are plain threads that block on bounded channels, never
//! on the runtime's workers.
//!
//! - Reads stream one large GET per object into a bounded channel. A body that
//!   breaks mid-stream is resumed with a ranged GET from the last byte received,
//!   pinned to the object's ETag (the SDK does not do this).
//! - Writes buffer a part at a time. Small objects are one PUT; larger ones a
//!   multipart upload with part sizes that grow so 10,000 parts reach 5 TB. An
//!   upload that is dropped uncommitted is aborted.
//! - Retries are the SDK's standard mode with more attempts and capped backoff,
//!   so 503 SlowDown is survived. Requests and retries are counted for reports.
//!
//! Credentials never enter a message: errors are rendered from the SDK's error
//! codes and messages, which do not carry them.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;

use super::{ObjectInfo, ObjectWriter, Store, StoreStats};
use crate::error::StoreError;

/// Settings of the S3 store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Options {
    /// Address buckets as `endpoint/bucket/key` (most S3-compatible servers).
    pub path_style: bool,
    /// Attempts per request, first included (the SDK's standard retry mode).
    pub max_attempts: u32,
    /// Cap of the exponential backoff between attempts.
    pub max_backoff: Duration,
    /// Times a broken GET body is resumed before the read fails.
    pub max_resumes: u32,
}

impl Default for S3Options {
    fn default() -> Self {
        Self {
            path_style: false,
            max_attempts: 10,
            max_backoff: Duration::from_secs(20),
            max_resumes: 20,
        }
    }
}

impl S3Options {
    /// Defaults, then `SHARDWISE_S3_PATH_STYLE` and `SHARDWISE_S3_MAX_ATTEMPTS`.
    pub fn from_env() -> Self {
        let mut o = Self::default();
        if let Ok(v) = std::env::var("SHARDWISE_S3_PATH_STYLE") {
            o.path_style = matches!(v.trim(), "1" | "true" | "yes");
        }
        if let Some(n) = std::env::var("SHARDWISE_S3_MAX_ATTEMPTS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
        {
            o.max_attempts = n;
        }
        o
    }
}

/// Counts executions (operations) and attempts (HTTP requests).
#[derive(Debug, Default)]
struct Counter {
    operations: AtomicU64,
    attempts: AtomicU64,
    resumes: AtomicU64,
}

#[derive(Debug)]
struct Counting(Arc<Counter>);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Intercept for Counting {
    fn name(&self) -> &'static str {
        "shardwise-request-counter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.operations.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.attempts.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// The S3 store.
pub struct S3Store {
    rt: Arc<tokio::runtime::Runtime>,
    client: Client,
    options: S3Options,
    counter: Arc<Counter>,
}

/// `s3://bucket/key` → (`bucket`, `key`).
pub fn split_uri(uri: &str) -> Result<(&str, &str), StoreError> {
    let rest = uri.strip_prefix("s3://").ok_or_else(|| StoreError::Other {
        uri: uri.to_string(),
        message: "not an s3:// URI".into(),
    })?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(StoreError::Other {
            uri: uri.to_string(),
            message: "no bucket in the URI".into(),
        });
    }
    Ok((bucket, key))
}

/// Renders an SDK error without its debug noise; the code and message S3 sent.
type Response = aws_sdk_s3::config::http::HttpResponse;

fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: &SdkError<E, Response>,
) -> String {
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            match (err.code(), err.message()) {
                (Some(code), Some(msg)) => format!("{code}: {msg}"),
                (Some(code), None) => code.to_string(),
                _ => DisplayErrorContext(e).to_string(),
            }
        }
        other => DisplayErrorContext(other).to_string(),
    }
}

fn failed<E: ProvideErrorMetadata + std::error::Error + 'static>(
    uri: &str,
    op: &str,
    e: &SdkError<E, Response>,
) -> StoreError {
    let status = match e {
        SdkError::ServiceError(s) => Some(s.raw().status().as_u16()),
        _ => None,
    };
    let code = match e {
        SdkError::ServiceError(s) => s.err().code().map(str::to_string),
        _ => None,
    };
    let missing_key = matches!(code.as_deref(), Some("NoSuchKey") | Some("NotFound"));
    if missing_key || (status == Some(404) && code.is_none()) {
        return StoreError::NotFound {
            uri: uri.to_string(),
        };
    }
    let hint = match code.as_deref() {
        Some("InvalidAccessKeyId") | Some("SignatureDoesNotMatch") => {
            "; check the AWS credentials (access key id and secret) this process runs with"
        }
        Some("AccessDenied") => "; the credentials in use may not do this",
        // HEAD answers have no body, so no code: say what the status means.
        None if status == Some(403) => {
            "; 403 Forbidden: check the AWS credentials and their permissions"
        }
        _ => "",
    };
    StoreError::Other {
        uri: uri.to_string(),
        message: format!("s3 {op} failed: {}{hint}", describe(e)),
    }
}

impl S3Store {
    /// Builds the client from the standard AWS configuration.
    pub fn new(options: S3Options) -> Result<Self, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("shardwise-s3")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Other {
                uri: "s3://".into(),
                message: format!("cannot start the S3 runtime: {e}"),
            })?;
        let retry = aws_sdk_s3::config::retry::RetryConfig::standard()
            .with_max_attempts(options.max_attempts.max(1))
            .with_max_backoff(options.max_backoff);
        // Without a read timeout a silently dropped connection waits forever.
        let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(120))
            .build();
        let shared = rt.block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .retry_config(retry)
                .timeout_config(timeouts)
                .load(),
        );
        let counter = Arc::new(Counter::default());
        // The standard mode's shared retry budget (500 tokens, drained by
        // bursts of SlowDown over a long job) would end the run on the next
        // 503 however many attempts remain: give retries an unlimited bucket
        // and rely on max_attempts and backoff instead.
        let partition = aws_sdk_s3::config::retry::RetryPartition::custom("shardwise")
            .token_bucket(aws_smithy_runtime::client::retries::TokenBucket::unlimited())
            .build();
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(options.path_style)
            .retry_partition(partition)
            .interceptor(Counting(counter.clone()))
            .build();
        Ok(Self {
            rt: Arc::new(rt),
            client: Client::from_conf(conf),
            options,
            counter,
        })
    }
}

impl Store for S3Store {
    fn open(&self, uri: &str) -> Result<Box<dyn Read + Send>, StoreError> {
        let (bucket, key) = split_uri(uri)?;
        let out = self
            .rt
            .block_on(self.client.get_object().bucket(bucket).key(key).send())
            .map_err(|e| failed(uri, "GET", &e))?;
        let length = out.content_length().unwrap_or(-1);
        let etag = out.e_tag().map(str::to_string);
        let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(16);
        let task = Download {
            client: self.client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            uri: uri.to_string(),
            etag,
            length: u64::try_from(length).ok(),
            max_resumes: self.options.max_resumes,
            counter: self.counter.clone(),
        };
        self.rt.spawn(task.run(out.body, tx));
        Ok(Box::new(ChannelReader {
            rx,
            chunk: Bytes::new(),
        }))
    }

    fn size(&self, uri: &str) -> Result<u64, StoreError> {
        let (bucket, key) = split_uri(uri)?;
        let out = self
            .rt
            .block_on(self.client.head_object().bucket(bucket).key(key).send())
            .map_err(|e| failed(uri, "HEAD", &e))?;
        Ok(out.content_length().unwrap_or(0).max(0) as u64)
    }

    fn exists(&self, uri: &str) -> Result<bool, StoreError> {
        match self.size(uri) {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError> {
        let (bucket, key_prefix) = split_uri(prefix)?;
        let mut out = Vec::new();
        self.rt.block_on(async {
            let mut pages = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(key_prefix)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| failed(prefix, "LIST", &e))?;
                for o in page.contents() {
                    // `folder/` keys (the console's "Create folder") are not data.
                    let Some(key) = o.key().filter(|k| !k.ends_with('/')) else {
                        continue;
                    };
                    out.push(ObjectInfo {
                        uri: format!("s3://{bucket}/{key}"),
                        size: o.size().unwrap_or(0).max(0) as u64,
                    });
                }
            }
            Ok::<(), StoreError>(())
        })?;
        out.sort_by(|a, b| a.uri.cmp(&b.uri));
        Ok(out)
    }

    fn create(&self, uri: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let (bucket, key) = split_uri(uri)?;
        if key.is_empty() || key.ends_with('/') {
            return Err(StoreError::Other {
                uri: uri.to_string(),
                message: "an object key cannot be empty or end with `/`".into(),
            });
        }
        Ok(Box::new(Upload {
            rt: self.rt.clone(),
            client: self.client.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            uri: uri.to_string(),
            buf: Vec::new(),
            upload_id: None,
            parts: Vec::new(),
            bytes: 0,
            committed: false,
        }))
    }

    fn delete(&self, uri: &str) -> Result<(), StoreError> {
        let (bucket, key) = split_uri(uri)?;
        match self
            .rt
            .block_on(self.client.delete_object().bucket(bucket).key(key).send())
        {
            Ok(_) => Ok(()),
            Err(e) => match failed(uri, "DELETE", &e) {
                StoreError::NotFound { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    fn stats(&self) -> StoreStats {
        let ops = self.counter.operations.load(Ordering::Relaxed);
        let attempts = self.counter.attempts.load(Ordering::Relaxed);
        StoreStats {
            requests: attempts,
            retries: attempts.saturating_sub(ops),
            resumed_reads: self.counter.resumes.load(Ordering::Relaxed),
        }
    }
}

/// Streams one object into a channel, resuming broken bodies with ranged GETs.
struct Download {
    client: Client,
    bucket: String,
    key: String,
    uri: String,
    etag: Option<String>,
    length: Option<u64>,
    max_resumes: u32,
    counter: Arc<Counter>,
}

impl Download {
    async fn run(self, mut body: ByteStream, tx: tokio::sync::mpsc::Sender<io::Result<Bytes>>) {
        let mut received: u64 = 0;
        let mut resumes = 0;
        loop {
            let broken = match body.next().await {
                Some(Ok(chunk)) => {
                    received += chunk.len() as u64;
                    if tx.send(Ok(chunk)).await.is_err() {
                        return; // the reader is gone
                    }
                    continue;
                }
                Some(Err(e)) => e.to_string(),
                None => match self.length {
                    Some(n) if received < n => format!("the body ended at byte {received} of {n}"),
                    _ => return,
                },
            };
            resumes += 1;
            if resumes > self.max_resumes {
                let msg = format!(
                    "{}: GET body broke {} times, last at byte {received} ({broken})",
                    self.uri, self.max_resumes
                );
                let _ = tx.send(Err(io::Error::other(msg))).await;
                return;
            }
            self.counter.resumes.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(uri = %self.uri, received, "GET body broke ({broken}); resuming with a ranged GET");
            tokio::time::sleep(Duration::from_millis(100 * u64::from(resumes.min(20)))).await;
            let mut req = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .range(format!("bytes={received}-"));
            if let Some(tag) = &self.etag {
                req = req.if_match(tag);
            }
            match req.send().await {
                Ok(out) => body = out.body,
                Err(e) => {
                    let err = failed(&self.uri, "ranged GET (resume)", &e);
                    let _ = tx.send(Err(io::Error::other(err.to_string()))).await;
                    return;
                }
            }
        }
    }
}

/// The blocking side of a download.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(c)) => self.chunk = c,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

/// Smallest part S3 accepts (except the last).
const MIN_PART: usize = 8 << 20;

/// Part size for part number `n` (1-based): 8 MiB, doubling every 1,000 parts,
/// so 10,000 parts hold over 5 TB and small uploads stay small.
fn part_size(n: usize) -> usize {
    MIN_PART << ((n.saturating_sub(1)) / 1000).min(10)
}

/// A buffered upload: one PUT if it stays under one part, else multipart.
struct Upload {
    rt: Arc<tokio::runtime::Runtime>,
    client: Client,
    bucket: String,
    key: String,
    uri: String,
    buf: Vec<u8>,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    bytes: u64,
    committed: bool,
}

impl Upload {
    fn upload_part(&mut self) -> Result<(), StoreError> {
        let id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let out = self
                    .rt
                    .block_on(
                        self.client
                            .create_multipart_upload()
                            .bucket(&self.bucket)
                            .key(&self.key)
                            .send(),
                    )
                    .map_err(|e| failed(&self.uri, "multipart create", &e))?;
                let id = out.upload_id().unwrap_or_default().to_string();
                self.upload_id = Some(id.clone());
                id
            }
        };
        let number = self.parts.len() as i32 + 1;
        let body = ByteStream::from(std::mem::take(&mut self.buf));
        let out = self
            .rt
            .block_on(
                self.client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .upload_id(&id)
                    .part_number(number)
                    .body(body)
                    .send(),
            )
            .map_err(|e| failed(&self.uri, "multipart part", &e))?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag().map(str::to_string))
                .build(),
        );
        Ok(())
    }
}

impl Write for Upload {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.bytes += data.len() as u64;
        if self.buf.len() >= part_size(self.parts.len() + 1) {
            self.upload_part().map_err(io::Error::other)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ObjectWriter for Upload {
    fn commit(mut self: Box<Self>) -> Result<u64, StoreError> {
        match self.upload_id.clone() {
            None => {
                let body = ByteStream::from(std::mem::take(&mut self.buf));
                self.rt
                    .block_on(
                        self.client
                            .put_object()
                            .bucket(&self.bucket)
                            .key(&self.key)
                            .body(body)
                            .send(),
                    )
                    .map_err(|e| failed(&self.uri, "PUT", &e))?;
            }
            Some(id) => {
                if !self.buf.is_empty() || self.parts.is_empty() {
                    self.upload_part()?;
                }
                let parts = CompletedMultipartUpload::builder()
                    .set_parts(Some(self.parts.clone()))
                    .build();
                self.rt
                    .block_on(
                        self.client
                            .complete_multipart_upload()
                            .bucket(&self.bucket)
                            .key(&self.key)
                            .upload_id(&id)
                            .multipart_upload(parts)
                            .send(),
                    )
                    .map_err(|e| failed(&self.uri, "multipart complete", &e))?;
            }
        }
        self.committed = true;
        Ok(self.bytes)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Some(id) = self.upload_id.take() {
            let abort = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(id)
                .send();
            if let Err(e) = self.rt.block_on(abort) {
                tracing::warn!(
                    "{}: aborting the multipart upload failed: {}",
                    self.uri,
                    describe(&e)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_split_into_bucket_and_key() {
        assert_eq!(split_uri("s3://b/k/x.gz").unwrap(), ("b", "k/x.gz"));
        assert_eq!(split_uri("s3://b").unwrap(), ("b", ""));
        assert!(split_uri("s3:///k").is_err());
    }

    #[test]
    fn parts_grow_so_ten_thousand_reach_five_terabytes() {
        assert_eq!(part_size(1), 8 << 20);
        assert_eq!(part_size(1000), 8 << 20);
        assert_eq!(part_size(1001), 16 << 20);
        let total: u64 = (1..=10_000).map(|n| part_size(n) as u64).sum();
        assert!(total > 5_000_000_000_000, "{total}");
    }
}
