//! Parquet shards: the text column chosen by name (`text_field`).
//!
//! Row groups are decoded in batches of `batch_docs` rows, so memory is bounded
//! by a batch, not the file, when the store has a local path. Objects without a
//! local path (S3) are fetched whole before decoding. `id`, `url`, `date` and
//! `language` string columns are carried over when present.

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use super::{ShardReader, ShardSource};
use crate::document::{self, BatchBuilder, DocRef};
use crate::error::{Error, InputError};
use crate::store::Store;

/// Streams documents from a Parquet file.
pub struct ParquetReader {
    src: ShardSource,
    reader: ParquetRecordBatchReader,
    builder: BatchBuilder,
    batch_no: u64,
    rows: u64,
    size: u64,
    issues: Vec<InputError>,
    current: Option<Current>,
    done: bool,
}

impl ParquetReader {
    pub fn open(store: &dyn Store, src: ShardSource) -> Result<Self, Error> {
        let bad = |e: parquet::errors::ParquetError| {
            src.error("footer", format!("not a readable Parquet file ({e})"))
        };
        let batch = src.options.batch_docs;
        let (reader, size) = match store.local_path(&src.uri) {
            Some(path) => {
                let f = std::fs::File::open(&path)
                    .map_err(|e| crate::error::StoreError::io(&src.uri, "open", e))?;
                let size = f.metadata().map(|m| m.len()).unwrap_or(0);
                let b = ParquetRecordBatchReaderBuilder::try_new(f).map_err(bad)?;
                (b.with_batch_size(batch).build().map_err(bad)?, size)
            }
            None => {
                let bytes = bytes::Bytes::from(store.get(&src.uri)?);
                let size = bytes.len() as u64;
                let b = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(bad)?;
                (b.with_batch_size(batch).build().map_err(bad)?, size)
            }
        };
        let schema = arrow::array::RecordBatchReader::schema(&reader);
        if schema.field_with_name(&src.options.text_field).is_err() {
            let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            return Err(src
                .error(
                    "schema",
                    format!(
                        "no column `{}`; columns are: {}",
                        src.options.text_field,
                        names.join(", ")
                    ),
                )
                .into());
        }
        let builder = src.builder();
        Ok(Self {
            src,
            reader,
            builder,
            batch_no: 0,
            rows: 0,
            size,
            issues: Vec::new(),
            current: None,
            done: false,
        })
    }

    fn strings(&self, batch: &RecordBatch, name: &str) -> Option<arrow::array::StringArray> {
        let col = batch.column_by_name(name)?;
        match col.data_type() {
            DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Int64
            | DataType::Int32
            | DataType::UInt64 => cast(col, &DataType::Utf8)
                .ok()
                .map(|a| a.as_string::<i32>().clone()),
            _ => None,
        }
    }
}

/// The decoded batch being turned into documents, and the next row.
struct Current {
    text: StringArray,
    id: Option<StringArray>,
    url: Option<StringArray>,
    date: Option<StringArray>,
    language: Option<StringArray>,
    row: usize,
}

fn opt(a: &Option<StringArray>, i: usize) -> Option<&str> {
    a.as_ref().filter(|a| a.is_valid(i)).map(|a| a.value(i))
}

impl ParquetReader {
    /// Decodes the next Parquet batch; `None` at the end of the file.
    fn decode_next(&mut self) -> Result<Option<Current>, Error> {
        let Some(next) = self.reader.next() else {
            return Ok(None);
        };
        self.batch_no += 1;
        let batch = next.map_err(|e| {
            self.src.error(
                format!("row {}", self.rows),
                format!("cannot decode batch {} ({e})", self.batch_no),
            )
        })?;
        let text = self
            .strings(&batch, &self.src.options.text_field)
            .ok_or_else(|| {
                self.src.error(
                    "schema",
                    format!(
                        "column `{}` is not a string column",
                        self.src.options.text_field
                    ),
                )
            })?;
        Ok(Some(Current {
            text,
            id: self.strings(&batch, &self.src.options.id_field),
            url: self.strings(&batch, document::URL),
            date: self.strings(&batch, document::DATE),
            language: self.strings(&batch, document::LANGUAGE),
            row: 0,
        }))
    }
}

impl ShardReader for ParquetReader {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, Error> {
        while !self.done {
            let mut cur = match self.current.take() {
                Some(c) => c,
                None => match self.decode_next()? {
                    Some(c) => c,
                    None => {
                        self.done = true;
                        break;
                    }
                },
            };
            while cur.row < cur.text.len() {
                if self.src.limit_reached(&self.builder) {
                    self.done = true;
                    break;
                }
                let (i, row) = (cur.row, self.rows);
                cur.row += 1;
                self.rows += 1;
                if !cur.text.is_valid(i) {
                    let cause = format!("`{}` is null; skipped", self.src.options.text_field);
                    self.issues
                        .push(self.src.error(format!("row {row}"), cause));
                    continue;
                }
                let t = cur.text.value(i);
                if t.len() > self.src.options.max_doc_bytes {
                    let cause = format!(
                        "text is longer than max_doc_bytes ({}); skipped",
                        self.src.options.max_doc_bytes
                    );
                    self.issues
                        .push(self.src.error(format!("row {row}"), cause));
                    continue;
                }
                self.builder.push(&DocRef {
                    id: opt(&cur.id, i),
                    text: t,
                    url: opt(&cur.url, i),
                    date: opt(&cur.date, i),
                    language: opt(&cur.language, i),
                    metadata: None,
                });
                if self.src.batch_full(&self.builder) {
                    // Rows of this Parquet batch that remain go into the next one.
                    self.current = Some(cur);
                    return Ok(Some(self.builder.flush()));
                }
            }
        }
        Ok((!self.builder.is_empty()).then(|| self.builder.flush()))
    }

    fn take_issues(&mut self) -> Vec<InputError> {
        std::mem::take(&mut self.issues)
    }

    fn raw_bytes(&self) -> u64 {
        if self.done { self.size } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use parquet::arrow::ArrowWriter;

    use super::*;
    use crate::formats::{self, Format, ReadOptions};
    use crate::store::LocalStore;

    fn write(path: &std::path::Path, texts: Vec<Option<&str>>) {
        let n = texts.len();
        let schema = Arc::new(Schema::new(vec![
            Field::new("content", DataType::Utf8, true),
            Field::new("doc_id", DataType::Int64, false),
            Field::new("url", DataType::Utf8, true),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(texts)),
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("https://x/{i}")),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn parquet_text_column_by_name_with_ids_urls_and_null_rows_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.parquet");
        write(
            &path,
            vec![Some("alpha"), None, Some("gamma"), Some("delta")],
        );
        let options = ReadOptions {
            format: Format::Auto,
            text_field: "content".into(),
            id_field: "doc_id".into(),
            batch_docs: 2,
            ..Default::default()
        };
        let uri = path.display().to_string();
        let mut r = formats::open(&LocalStore, &uri, 1, &options).unwrap();
        let mut texts = Vec::new();
        let mut ids = Vec::new();
        let mut urls = Vec::new();
        while let Some(b) = r.next_batch().unwrap() {
            let c = crate::document::Columns::of(&b);
            for i in 0..b.num_rows() {
                texts.push(c.text.value(i).to_string());
                ids.push(c.id.value(i).to_string());
                urls.push(c.url.unwrap().value(i).to_string());
            }
        }
        assert_eq!(texts, ["alpha", "gamma", "delta"]);
        assert_eq!(ids, ["0", "2", "3"]);
        assert_eq!(urls[2], "https://x/3");
        let issues = r.take_issues();
        assert_eq!(issues.len(), 1);
        assert_eq!(
            issues[0].to_string(),
            format!("shard {uri}: row 1: `content` is null; skipped")
        );
    }

    #[test]
    fn a_missing_text_column_names_the_columns_there_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.parquet");
        write(&path, vec![Some("alpha")]);
        let err = formats::open(
            &LocalStore,
            &path.display().to_string(),
            0,
            &ReadOptions::default(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("no column `text`; columns are: content, doc_id, url"),
            "{err}"
        );
    }
}
