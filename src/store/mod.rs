//! One `Store` trait over URIs, so nothing above this module assumes local paths.
//!
//! `open` streams an object, `create` returns a writer whose bytes become visible
//! only at `commit` (atomic: temp file + rename locally, multipart completion on S3),
//! and `put` writes a small object atomically. This module owns URI parsing and
//! routing; it must not know about documents, formats or stages.

mod local;
mod s3;

use std::io::{Read, Write};
use std::sync::{Arc, OnceLock};

pub use local::LocalStore;
pub use s3::{S3Options, S3Store};

use crate::error::StoreError;

/// An object found by [`Store::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub uri: String,
    pub size: u64,
}

/// Request counters of a store, for run reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests that were retries of a failed attempt (503 SlowDown, resets).
    pub retries: u64,
    /// Broken GET bodies resumed with a ranged GET.
    pub resumed_reads: u64,
}

/// A writer whose object appears only when committed. Dropping it uncommitted
/// removes whatever it wrote.
pub trait ObjectWriter: Write + Send {
    /// Makes the object visible under its final URI; returns its size in bytes.
    fn commit(self: Box<Self>) -> Result<u64, StoreError>;
}

/// Storage addressed by URI.
pub trait Store: Send + Sync {
    /// Streams the object's bytes.
    fn open(&self, uri: &str) -> Result<Box<dyn Read + Send>, StoreError>;

    /// Size in bytes.
    fn size(&self, uri: &str) -> Result<u64, StoreError>;

    /// Whether the object exists.
    fn exists(&self, uri: &str) -> Result<bool, StoreError>;

    /// Every object under `prefix` (recursively), sorted by URI, so every rank
    /// that lists the same prefix sees the same order.
    fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StoreError>;

    /// A writer for a new object at `uri`, replacing any old one at commit.
    fn create(&self, uri: &str) -> Result<Box<dyn ObjectWriter>, StoreError>;

    /// Deletes an object; deleting a missing object is not an error.
    fn delete(&self, uri: &str) -> Result<(), StoreError>;

    /// The object's local file path, when it has one (random-access formats such
    /// as Parquet read it directly instead of buffering the object).
    fn local_path(&self, _uri: &str) -> Option<std::path::PathBuf> {
        None
    }

    /// Request counters so far (zero for stores without requests).
    fn stats(&self) -> StoreStats {
        StoreStats::default()
    }

    /// Reads a whole (small) object.
    fn get(&self, uri: &str) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::new();
        self.open(uri)?
            .read_to_end(&mut out)
            .map_err(|e| StoreError::io(uri, "read", e))?;
        Ok(out)
    }

    /// Writes a whole (small) object atomically.
    fn put(&self, uri: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let mut w = self.create(uri)?;
        w.write_all(bytes)
            .map_err(|e| StoreError::io(uri, "write", e))?;
        w.commit().map(|_| ())
    }
}

/// The kind of storage a URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Local,
    S3,
}

/// Classifies a URI: `s3://` is S3, `file://` and plain paths are local.
pub fn scheme(uri: &str) -> Result<Scheme, StoreError> {
    if uri.starts_with("s3://") {
        Ok(Scheme::S3)
    } else if let Some((scheme, _)) = uri.split_once("://") {
        if scheme == "file" {
            Ok(Scheme::Local)
        } else {
            Err(StoreError::Other {
                uri: uri.to_string(),
                message: format!(
                    "unsupported URI scheme `{scheme}://` (use a local path, file:// or s3://)"
                ),
            })
        }
    } else {
        Ok(Scheme::Local)
    }
}

/// Routes URIs to the store that serves them. The S3 client is built on the
/// first `s3://` URI, so local runs never touch AWS configuration.
#[derive(Clone)]
pub struct Stores {
    local: Arc<LocalStore>,
    s3_options: S3Options,
    s3: Arc<OnceLock<Result<Arc<S3Store>, String>>>,
}

impl Default for Stores {
    fn default() -> Self {
        Self::new()
    }
}

impl Stores {
    /// Local files, and S3 configured from the environment.
    pub fn new() -> Self {
        Self::with_s3(S3Options::from_env())
    }

    pub fn with_s3(s3_options: S3Options) -> Self {
        Self {
            local: Arc::new(LocalStore),
            s3_options,
            s3: Arc::new(OnceLock::new()),
        }
    }

    /// The store for `uri`.
    pub fn for_uri(&self, uri: &str) -> Result<Arc<dyn Store>, StoreError> {
        match scheme(uri)? {
            Scheme::Local => Ok(self.local.clone()),
            Scheme::S3 => {
                let s3 = self.s3.get_or_init(|| {
                    S3Store::new(self.s3_options.clone())
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                });
                match s3 {
                    Ok(s) => Ok(s.clone()),
                    Err(message) => Err(StoreError::Other {
                        uri: uri.to_string(),
                        message: message.clone(),
                    }),
                }
            }
        }
    }

    /// Request counters of every store used so far.
    pub fn stats(&self) -> StoreStats {
        match self.s3.get() {
            Some(Ok(s3)) => s3.stats(),
            _ => StoreStats::default(),
        }
    }
}

/// Joins a relative key onto a base URI or directory with exactly one `/`.
pub fn join(base: &str, rel: &str) -> String {
    let rel = rel.trim_start_matches('/');
    if base.is_empty() {
        rel.to_string()
    } else if base.ends_with('/') {
        format!("{base}{rel}")
    } else {
        format!("{base}/{rel}")
    }
}

/// The last path segment of a URI (`s3://b/x/y.gz` → `y.gz`).
pub fn file_name(uri: &str) -> &str {
    uri.trim_end_matches('/').rsplit('/').next().unwrap_or(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_puts_one_slash_between_parts() {
        assert_eq!(join("s3://b/x/", "/tokens/a"), "s3://b/x/tokens/a");
        assert_eq!(join("out", "tokens/a"), "out/tokens/a");
        assert_eq!(file_name("s3://b/x/y.warc.gz"), "y.warc.gz");
    }

    #[test]
    fn unknown_schemes_are_named_in_the_error() {
        let err = scheme("gs://bucket/x").unwrap_err().to_string();
        assert!(err.contains("unsupported URI scheme `gs://`"), "{err}");
        assert_eq!(scheme("file:///tmp/x").unwrap(), Scheme::Local);
        assert_eq!(scheme("s3://b/k").unwrap(), Scheme::S3);
    }
}
