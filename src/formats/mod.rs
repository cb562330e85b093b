//! Readers: one shard's bytes in, bounded Arrow batches of documents out.
//!
//! [`open`] sniffs compression ([`compress`]) and picks a parser by the configured
//! format, or by name and content when the format is `auto`. Parsers stream: memory
//! is bounded by the batch size and the largest document, never by the shard.
//! Damaged records are skipped and reported as [`InputError`]s that name the shard,
//! the byte offset or line, and the cause; the rest of the shard is still read.
//! Readers know nothing of stages, writers or where the shard list came from.

pub mod compress;
pub mod jsonl;
pub mod parquet;
pub mod warc;

use std::io::BufRead;

use arrow::array::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::document::BatchBuilder;
use crate::error::{Error, InputError, StoreError};
use crate::store::{self, Store};

pub use compress::Decoded;

/// Input format of the shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// From the file name, then from the first bytes.
    #[default]
    Auto,
    /// WARC files of `conversion` records (Common Crawl WET).
    Wet,
    /// WARC files: `conversion` and `resource` records with text payloads.
    Warc,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
}

/// How a reader turns records into batches.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub format: Format,
    /// JSONL/Parquet field holding the text (dotted paths reach into objects).
    pub text_field: String,
    /// JSONL/Parquet field holding the id; documents without one get `<stem>/<ordinal>`.
    pub id_field: String,
    /// A batch is flushed at this many documents...
    pub batch_docs: usize,
    /// ...or this many text bytes, whichever comes first.
    pub batch_bytes: usize,
    /// Records longer than this are skipped and reported, never loaded whole.
    pub max_doc_bytes: usize,
    /// Read at most this many documents (dry runs).
    pub limit: Option<u64>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            format: Format::Auto,
            text_field: "text".into(),
            id_field: "id".into(),
            batch_docs: 1024,
            batch_bytes: 4 << 20,
            max_doc_bytes: 64 << 20,
            limit: None,
        }
    }
}

/// Streams one shard as document batches.
pub trait ShardReader: Send {
    /// The next batch, or `None` when the shard is done. Recoverable damage goes
    /// to `take_issues`. An `Error::Input` ends a shard that cannot be read further
    /// (the caller quarantines it); an `Error::Store` means the bytes could not be
    /// fetched at all, and the shard must not be committed.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, Error>;

    /// Damaged records skipped since the last call.
    fn take_issues(&mut self) -> Vec<InputError>;

    /// Bytes read from the object so far (compressed), for progress.
    fn raw_bytes(&self) -> u64;
}

/// Everything a parser needs to know about its shard.
pub struct ShardSource {
    pub uri: String,
    pub index: u32,
    pub options: ReadOptions,
}

impl ShardSource {
    /// The builder for this shard's batches; ids default to `<stem>/<ordinal>`.
    pub fn builder(&self) -> BatchBuilder {
        BatchBuilder::new(self.index, shard_stem(&self.uri))
    }

    /// Whether a builder holds enough for a batch.
    pub fn batch_full(&self, b: &BatchBuilder) -> bool {
        b.len() >= self.options.batch_docs || b.bytes() >= self.options.batch_bytes
    }

    /// Whether the document limit (dry runs) is reached.
    pub fn limit_reached(&self, b: &BatchBuilder) -> bool {
        self.options
            .limit
            .is_some_and(|l| u64::from(b.ordinals_used()) >= l)
    }

    pub fn error(&self, location: impl Into<String>, cause: impl Into<String>) -> InputError {
        InputError {
            shard: self.uri.clone(),
            location: location.into(),
            cause: cause.into(),
        }
    }
}

/// The file name without directories and format/compression extensions
/// (`CC-MAIN-x.warc.wet.gz` → `CC-MAIN-x`).
pub fn shard_stem(uri: &str) -> String {
    let mut name = store::file_name(uri);
    while let Some((head, ext)) = name.rsplit_once('.') {
        let known = matches!(
            ext.to_ascii_lowercase().as_str(),
            "gz" | "gzip"
                | "zst"
                | "zstd"
                | "warc"
                | "wet"
                | "wat"
                | "arc"
                | "jsonl"
                | "json"
                | "ndjson"
                | "parquet"
                | "txt"
        );
        if !known || head.is_empty() {
            break;
        }
        name = head;
    }
    name.to_string()
}

/// The format named by a file name, if any.
fn format_from_name(uri: &str) -> Option<Format> {
    let name = store::file_name(uri).to_ascii_lowercase();
    let name = name
        .trim_end_matches(".gz")
        .trim_end_matches(".zst")
        .trim_end_matches(".zstd");
    if name.ends_with(".wet") {
        Some(Format::Wet)
    } else if name.ends_with(".warc") {
        Some(Format::Warc)
    } else if name.ends_with(".jsonl") || name.ends_with(".json") || name.ends_with(".ndjson") {
        Some(Format::Jsonl)
    } else if name.ends_with(".parquet") {
        Some(Format::Parquet)
    } else {
        None
    }
}

/// Opens a shard for reading.
pub fn open(
    store: &dyn Store,
    uri: &str,
    index: u32,
    options: &ReadOptions,
) -> Result<Box<dyn ShardReader>, Error> {
    let src = ShardSource {
        uri: uri.to_string(),
        index,
        options: options.clone(),
    };
    let mut format = options.format;
    if format == Format::Auto {
        format = format_from_name(uri).unwrap_or(Format::Auto);
    }
    if format == Format::Parquet {
        return Ok(Box::new(parquet::ParquetReader::open(store, src)?));
    }
    let raw = store.open(uri)?;
    let mut decoded = Decoded::new(uri, raw).map_err(|e| StoreError::io(uri, "read", e))?;
    if format == Format::Auto {
        let sniffed = {
            let head = decoded
                .fill_buf()
                .map_err(|e| StoreError::io(uri, "read", e))?;
            if head.starts_with(b"WARC/") {
                Some(Format::Wet)
            } else if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
                Some(Format::Jsonl)
            } else if head.starts_with(b"PAR1") {
                Some(Format::Parquet)
            } else {
                None
            }
        };
        if let Some(e) = decoded.take_source_error() {
            return Err(StoreError::io(uri, "read", e).into());
        }
        format = sniffed.ok_or_else(|| {
            src.error(
                "byte 0",
                "cannot tell the format from the name or the first bytes; set input.format",
            )
        })?;
        if format == Format::Parquet {
            drop(decoded);
            return Ok(Box::new(parquet::ParquetReader::open(store, src)?));
        }
    }
    Ok(match format {
        Format::Wet | Format::Warc => Box::new(warc::WarcReader::new(src, decoded, format)),
        Format::Jsonl => Box::new(jsonl::JsonlReader::new(src, decoded)),
        Format::Auto | Format::Parquet => unreachable!("resolved above"),
    })
}

/// The end of a streamed shard: the last batch, or the source's failure.
fn finish_stream(
    src: &ShardSource,
    input: &mut Decoded,
    builder: &mut BatchBuilder,
) -> Result<Option<RecordBatch>, Error> {
    if let Some(e) = input.take_source_error() {
        return Err(StoreError::io(&src.uri, "read", e).into());
    }
    Ok((!builder.is_empty()).then(|| builder.flush()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_format_and_compression_extensions() {
        assert_eq!(shard_stem("s3://b/CC-MAIN-1.warc.wet.gz"), "CC-MAIN-1");
        assert_eq!(shard_stem("data/part.v2.jsonl.zst"), "part.v2");
        assert_eq!(shard_stem("x.parquet"), "x");
        assert_eq!(shard_stem(".gz"), ".gz");
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(format_from_name("a.warc.wet.gz"), Some(Format::Wet));
        assert_eq!(format_from_name("a.jsonl.zst"), Some(Format::Jsonl));
        assert_eq!(format_from_name("a.bin"), None);
    }
}
