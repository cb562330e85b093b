//! `documents`: the cleaned documents of one shard as Parquet (zstd), readable
//! by pyarrow, DuckDB and Hugging Face `datasets`.
//!
//! Every column of the batch except `tokens` is written, in batch order, to the
//! key the caller chooses (`documents/<2 hex>/<shard-stem>.parquet`). Row groups
//! are flushed by size, so memory stays bounded whatever the shard size. This
//! module owns the Parquet settings; it must not know about stages or markers.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::{Hashing, OutputFile, ShardWriter, WriterSummary};
use crate::document;
use crate::error::{Error, StoreError};
use crate::store::{self, ObjectWriter, Store};

/// Encoded bytes buffered before a row group is flushed.
const ROW_GROUP_BYTES: usize = 64 << 20;
/// zstd's own default level: a good ratio for text at a modest CPU cost.
const ZSTD_LEVEL: i32 = 3;

type Sink = Hashing<Box<dyn ObjectWriter>>;

/// Writes one shard's documents as a Parquet file.
pub struct DocumentsWriter {
    key: String,
    uri: String,
    /// The object until the first batch fixes the schema; then the Parquet writer owns it.
    state: State,
    docs: u64,
    /// The schema of a file no batch was written to.
    empty_schema: SchemaRef,
}

enum State {
    Open(Sink),
    Writing(Box<ArrowWriter<Sink>>),
    /// Only while switching between the two.
    Poisoned,
}

impl DocumentsWriter {
    /// Opens `<output_uri>/<key>` for writing; `key` is relative to `output_uri`
    /// (e.g. `documents/3f/stem.parquet`).
    pub fn create(store: Arc<dyn Store>, output_uri: &str, key: &str) -> Result<Self, Error> {
        let uri = store::join(output_uri, key);
        let object = store.create(&uri)?;
        Ok(Self {
            key: key.to_string(),
            uri,
            state: State::Open(Hashing::new(object)),
            docs: 0,
            empty_schema: document::schema(),
        })
    }

    /// Sets the schema written when no batch arrives (e.g. the exclusions
    /// schema), instead of the reader schema.
    pub fn with_empty_schema(mut self, schema: SchemaRef) -> Self {
        self.empty_schema = schema;
        self
    }

    /// The writer settings: zstd, size-bounded row groups.
    pub fn properties() -> WriterProperties {
        WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(ZSTD_LEVEL).expect("a valid zstd level"),
            ))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .build()
    }

    fn parquet_error(&self, e: parquet::errors::ParquetError) -> Error {
        match e {
            parquet::errors::ParquetError::External(inner) => {
                match inner.downcast::<std::io::Error>() {
                    Ok(io) => StoreError::io(self.uri.clone(), "write", *io).into(),
                    Err(other) => Error::internal(format!("{}: parquet: {other}", self.uri)),
                }
            }
            e => Error::internal(format!("{}: parquet: {e}", self.uri)),
        }
    }

    /// Turns the open object into a Parquet writer for `schema`.
    fn start(&mut self, schema: SchemaRef) -> Result<(), Error> {
        if let State::Open(sink) = std::mem::replace(&mut self.state, State::Poisoned) {
            let w = ArrowWriter::try_new(sink, schema, Some(Self::properties()))
                .map_err(|e| self.parquet_error(e))?;
            self.state = State::Writing(Box::new(w));
        }
        Ok(())
    }
}

/// Every column but `tokens`.
fn without_tokens(batch: &RecordBatch) -> RecordBatch {
    let mut b = batch.clone();
    if let Ok(i) = batch.schema().index_of(document::TOKENS) {
        b.remove_column(i);
    }
    b
}

impl ShardWriter for DocumentsWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let batch = without_tokens(batch);
        if matches!(self.state, State::Open(_)) {
            self.start(batch.schema())?;
        }
        let State::Writing(w) = &mut self.state else {
            return Err(Error::internal(format!(
                "{}: write after a failed write",
                self.uri
            )));
        };
        if let Err(e) = w.write(&batch) {
            return Err(self.parquet_error(e));
        }
        self.docs += batch.num_rows() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<WriterSummary, Error> {
        if matches!(self.state, State::Open(_)) {
            // No documents survived: still a valid file, with the reader schema.
            self.start(self.empty_schema.clone())?;
        }
        let State::Writing(w) = std::mem::replace(&mut self.state, State::Poisoned) else {
            return Err(Error::internal(format!(
                "{}: finish after a failed write",
                self.uri
            )));
        };
        let sink = w.into_inner().map_err(|e| self.parquet_error(e))?;
        let (object, bytes, xxh64) = sink.into_parts();
        object.commit()?;
        Ok(WriterSummary {
            files: vec![OutputFile {
                key: self.key.clone(),
                bytes,
                xxh64,
            }],
            docs: self.docs,
            tokens: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{BatchBuilder, DocRef};
    use crate::store::LocalStore;
    use arrow::array::{Array, ArrayRef, ListBuilder, StringArray, UInt32Builder, UInt64Array};
    use arrow::datatypes::{DataType, Field};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn docs(texts: &[&str]) -> RecordBatch {
        let mut b = BatchBuilder::new(7, "shard");
        for (i, t) in texts.iter().enumerate() {
            let url = format!("https://example.org/{i}");
            b.push(&DocRef {
                text: t,
                url: (i % 2 == 0).then_some(url.as_str()),
                metadata: Some(r#"{"k":1}"#),
                ..Default::default()
            });
        }
        b.flush()
    }

    fn with_tokens(batch: &RecordBatch) -> RecordBatch {
        let item = Arc::new(Field::new_list_field(DataType::UInt32, false));
        let mut l = ListBuilder::new(UInt32Builder::new()).with_field(item.clone());
        for i in 0..batch.num_rows() {
            l.values().append_slice(&[i as u32, 1]);
            l.append(true);
        }
        let field = Field::new(document::TOKENS, DataType::List(item), false);
        document::with_columns(batch, [(field, Arc::new(l.finish()) as ArrayRef)]).unwrap()
    }

    fn read_back(path: &std::path::Path) -> (Vec<RecordBatch>, parquet::basic::Compression) {
        let file = std::fs::File::open(path).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let compression = builder.metadata().row_group(0).column(0).compression();
        let batches = builder
            .build()
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        (batches, compression)
    }

    #[test]
    fn documents_round_trip_without_tokens_and_zstd() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let a = docs(&["first document", "", "third é 文"]);
        let b = docs(&["fourth"]);
        let mut w = Box::new(
            DocumentsWriter::create(Arc::new(LocalStore), &out, "documents/3f/stem.parquet")
                .unwrap(),
        );
        w.write(&with_tokens(&a)).unwrap();
        w.write(&with_tokens(&b)).unwrap();
        let summary = w.finish().unwrap();

        let path = dir.path().join("documents/3f/stem.parquet");
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(summary.files.len(), 1);
        assert_eq!(summary.files[0].key, "documents/3f/stem.parquet");
        assert_eq!(summary.files[0].bytes, bytes.len() as u64);
        assert_eq!((summary.docs, summary.tokens), (4, 0));

        let (batches, compression) = read_back(&path);
        assert!(
            matches!(compression, Compression::ZSTD(_)),
            "{compression:?}"
        );
        let got = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let want = arrow::compute::concat_batches(&document::schema(), &[a, b]).unwrap();
        assert_eq!(got.schema(), document::schema());
        assert_eq!(got, want);
        let text = got
            .column(1)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(text.value(2), "third é 文");
        let keys = got
            .column(2)
            .as_any()
            .downcast_ref::<UInt64Array>()
            .unwrap();
        assert_eq!(keys.value(3), document::doc_key(7, 0));
        assert!(got.column(3).is_null(1));
    }

    #[test]
    fn extra_columns_such_as_language_score_are_written_after_the_reader_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let a = docs(&["first", "second"]);
        let score = Field::new(document::LANGUAGE_SCORE, DataType::Float32, true);
        let scores: ArrayRef = Arc::new(arrow::array::Float32Array::from(vec![Some(0.9), None]));
        let scored = document::with_columns(&a, [(score, scores)]).unwrap();
        let mut w = Box::new(
            DocumentsWriter::create(Arc::new(LocalStore), &out, "documents/00/s.parquet").unwrap(),
        );
        w.write(&with_tokens(&scored)).unwrap();
        assert_eq!(w.finish().unwrap().docs, 2);
        let (batches, _) = read_back(&dir.path().join("documents/00/s.parquet"));
        let got = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        assert_eq!(got, scored);
    }

    #[test]
    fn a_shard_with_no_documents_is_a_valid_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let w = Box::new(
            DocumentsWriter::create(Arc::new(LocalStore), &out, "documents/00/e.parquet").unwrap(),
        );
        let summary = w.finish().unwrap();
        assert_eq!(summary.docs, 0);
        let file = std::fs::File::open(dir.path().join("documents/00/e.parquet")).unwrap();
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        assert_eq!(builder.schema().as_ref(), document::schema().as_ref());
        assert_eq!(builder.metadata().file_metadata().num_rows(), 0);
    }

    #[test]
    fn a_dropped_writer_commits_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().display().to_string();
        let mut w =
            DocumentsWriter::create(Arc::new(LocalStore), &out, "documents/00/d.parquet").unwrap();
        w.write(&docs(&["x"])).unwrap();
        drop(w);
        assert!(LocalStore.list(&out).unwrap().is_empty());
    }
}
