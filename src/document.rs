//! The document batch schema every reader produces and every stage consumes.
//!
//! Documents travel as Arrow `RecordBatch`es with one fixed schema, so SQL filters,
//! Parquet output and statistics need no conversion. This module owns the column
//! names, the schema and the builder readers use; it must not know about formats,
//! stages or storage.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, StringBuilder, UInt64Array, UInt64Builder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// Document id: from the input (`id_field`, `WARC-Record-ID`) or `<shard-stem>/<ordinal>`.
pub const ID: &str = "id";
/// Document text (UTF-8).
pub const TEXT: &str = "text";
/// `shard index << 32 | ordinal in shard`: stable whatever the world size or thread count.
pub const DOC_KEY: &str = "doc_key";
/// Source URL when the input has one (`WARC-Target-URI`, `url`, `metadata.url`).
pub const URL: &str = "url";
/// Crawl or creation date when the input has one (`WARC-Date`, `created`).
pub const DATE: &str = "date";
/// Language code when the input has one (`WARC-Identified-Content-Language`).
pub const LANGUAGE: &str = "language";
/// Score of `language`, added by the `language` stage (Float32).
pub const LANGUAGE_SCORE: &str = "language_score";
/// Every other input field, as a JSON object (JSONL, Parquet) or WARC headers.
pub const METADATA: &str = "metadata";
/// Token ids, added by the `tokenize` stage.
pub const TOKENS: &str = "tokens";

/// The schema readers produce: `id, text, doc_key, url, date, language, metadata`.
pub fn schema() -> SchemaRef {
    static SCHEMA: std::sync::OnceLock<SchemaRef> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(vec![
                Field::new(ID, DataType::Utf8, false),
                Field::new(TEXT, DataType::Utf8, false),
                Field::new(DOC_KEY, DataType::UInt64, false),
                Field::new(URL, DataType::Utf8, true),
                Field::new(DATE, DataType::Utf8, true),
                Field::new(LANGUAGE, DataType::Utf8, true),
                Field::new(METADATA, DataType::Utf8, true),
            ]))
        })
        .clone()
}

/// The stable key of a document: shard index in the manifest and ordinal in the shard.
pub fn doc_key(shard_index: u32, ordinal: u32) -> u64 {
    (u64::from(shard_index) << 32) | u64::from(ordinal)
}

/// One document as a reader sees it, borrowed from the reader's buffers.
#[derive(Debug, Default, Clone, Copy)]
pub struct DocRef<'a> {
    pub id: Option<&'a str>,
    pub text: &'a str,
    pub url: Option<&'a str>,
    pub date: Option<&'a str>,
    pub language: Option<&'a str>,
    pub metadata: Option<&'a str>,
}

/// Accumulates documents into a batch; readers flush it when it is full.
///
/// Column builders are reused across batches, so a reader allocates per batch,
/// not per document.
pub struct BatchBuilder {
    shard_index: u32,
    id_prefix: String,
    next_ordinal: u32,
    ids: StringBuilder,
    texts: StringBuilder,
    keys: UInt64Builder,
    urls: StringBuilder,
    dates: StringBuilder,
    languages: StringBuilder,
    metadata: StringBuilder,
    bytes: usize,
    id_scratch: String,
}

impl BatchBuilder {
    /// `id_prefix` names documents that have no id of their own (`<prefix>/<ordinal>`).
    pub fn new(shard_index: u32, id_prefix: impl Into<String>) -> Self {
        Self {
            shard_index,
            id_prefix: id_prefix.into(),
            next_ordinal: 0,
            ids: StringBuilder::new(),
            texts: StringBuilder::new(),
            keys: UInt64Builder::new(),
            urls: StringBuilder::new(),
            dates: StringBuilder::new(),
            languages: StringBuilder::new(),
            metadata: StringBuilder::new(),
            bytes: 0,
            id_scratch: String::new(),
        }
    }

    /// Appends a document and gives it the next ordinal of the shard.
    pub fn push(&mut self, doc: &DocRef<'_>) {
        let ordinal = self.next_ordinal;
        self.next_ordinal += 1;
        match doc.id {
            Some(id) => self.ids.append_value(id),
            None => {
                use std::fmt::Write;
                self.id_scratch.clear();
                let _ = write!(self.id_scratch, "{}/{}", self.id_prefix, ordinal);
                self.ids.append_value(&self.id_scratch);
            }
        }
        self.texts.append_value(doc.text);
        self.keys.append_value(doc_key(self.shard_index, ordinal));
        self.urls.append_option(doc.url);
        self.dates.append_option(doc.date);
        self.languages.append_option(doc.language);
        self.metadata.append_option(doc.metadata);
        let opt = |s: Option<&str>| s.map_or(0, str::len);
        self.bytes += doc.text.len()
            + opt(doc.id)
            + opt(doc.url)
            + opt(doc.date)
            + opt(doc.language)
            + opt(doc.metadata);
    }

    /// Documents pushed since the last flush.
    pub fn len(&self) -> usize {
        arrow::array::ArrayBuilder::len(&self.keys)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of every string column pushed since the last flush: what bounds a
    /// batch's memory (metadata can outweigh the text).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Documents pushed since the shard began.
    pub fn ordinals_used(&self) -> u32 {
        self.next_ordinal
    }

    /// Builds the batch and resets the builders for the next one.
    pub fn flush(&mut self) -> RecordBatch {
        self.bytes = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ids.finish()),
            Arc::new(self.texts.finish()),
            Arc::new(self.keys.finish()),
            Arc::new(self.urls.finish()),
            Arc::new(self.dates.finish()),
            Arc::new(self.languages.finish()),
            Arc::new(self.metadata.finish()),
        ];
        RecordBatch::try_new(schema(), columns).expect("columns match the document schema")
    }
}

/// Typed access to the columns stages read most.
pub struct Columns<'a> {
    pub id: &'a StringArray,
    pub text: &'a StringArray,
    pub doc_key: &'a UInt64Array,
    pub url: Option<&'a StringArray>,
}

impl<'a> Columns<'a> {
    /// Panics only if a batch that did not come from [`BatchBuilder`] is passed in,
    /// which would be a bug in shardwise.
    pub fn of(batch: &'a RecordBatch) -> Self {
        let string = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        };
        Self {
            id: string(ID).expect("batch has an id column"),
            text: string(TEXT).expect("batch has a text column"),
            doc_key: batch
                .column_by_name(DOC_KEY)
                .and_then(|c| c.as_any().downcast_ref::<UInt64Array>())
                .expect("batch has a doc_key column"),
            url: string(URL),
        }
    }
}

/// Total UTF-8 bytes of text in a batch.
pub fn text_bytes(batch: &RecordBatch) -> usize {
    let text = Columns::of(batch).text;
    let offsets = text.value_offsets();
    (offsets[offsets.len() - 1] - offsets[0]) as usize
}

/// `batch` with each column replaced in place when its name exists, else
/// appended at the end (stages adding `tokens`, `language_score`).
pub fn with_columns(
    batch: &RecordBatch,
    new: impl IntoIterator<Item = (Field, ArrayRef)>,
) -> Result<RecordBatch, crate::error::Error> {
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut columns = batch.columns().to_vec();
    for (field, column) in new {
        match fields.iter().position(|f| f.name() == field.name()) {
            Some(i) => {
                fields[i] = field;
                columns[i] = column;
            }
            None => {
                fields.push(field);
                columns.push(column);
            }
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| crate::error::Error::internal(format!("new columns: {e}")))
}
