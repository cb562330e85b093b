//! Writers: tokenized batches in, committed output objects out.
//!
//! One writer per input shard. A writer streams its large file (`.bin`, Parquet
//! row groups) through a [`crate::store::ObjectWriter`], keeps only small per-document
//! metadata in memory, and commits everything at `finish`. It returns what it wrote,
//! with sizes and checksums, for the shard's commit marker. Writers know nothing of
//! readers, stages or markers.

pub mod documents;
pub mod megatron;

use std::io::{self, Write};

use arrow::array::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One committed output object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Key relative to the output URI (`tokens/3f/shard.bin`).
    pub key: String,
    pub bytes: u64,
    /// xxh64 of the object's bytes, as 16 hex digits.
    pub xxh64: String,
}

/// What a writer wrote for one shard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterSummary {
    pub files: Vec<OutputFile>,
    pub docs: u64,
    pub tokens: u64,
}

/// Writes one shard's output.
pub trait ShardWriter: Send {
    /// Appends a batch (rows in input order).
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error>;

    /// Commits every object and reports them.
    fn finish(self: Box<Self>) -> Result<WriterSummary, Error>;
}

/// A `Write` that hashes and counts what passes through it.
pub struct Hashing<W> {
    inner: W,
    hasher: twox_hash::XxHash64,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: twox_hash::XxHash64::with_seed(0),
            bytes: 0,
        }
    }

    /// The inner writer, the byte count and the checksum as hex.
    pub fn into_parts(self) -> (W, u64, String) {
        use std::hash::Hasher;
        let sum = format!("{:016x}", self.hasher.finish());
        (self.inner, self.bytes, sum)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use std::hash::Hasher;
        let n = self.inner.write(buf)?;
        self.hasher.write(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
