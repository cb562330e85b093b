//! JSONL shards: one JSON object per line (plain, gzip or zstd).
//!
//! The text and id fields are configurable (dotted paths reach into objects);
//! `url`, `date`, `language` are taken from the usual places (`url`,
//! `metadata.url`, `created`, ...), and every other field is kept as a JSON
//! object in the `metadata` column. The Pile's `{"text", "meta": {...}}` works
//! unchanged. A bad line (invalid JSON or UTF-8, no text, too long) is reported
//! with its line number and byte offset and skipped.

use arrow::array::RecordBatch;
use serde_json::{Map, Value};

use super::{Decoded, ShardReader, ShardSource};
use crate::document::DocRef;
use crate::error::{Error, InputError};

/// Streams documents from JSON lines.
pub struct JsonlReader {
    src: ShardSource,
    input: Decoded,
    builder: crate::document::BatchBuilder,
    line: Vec<u8>,
    line_no: u64,
    issues: Vec<InputError>,
    done: bool,
}

impl JsonlReader {
    pub fn new(src: ShardSource, input: Decoded) -> Self {
        let builder = src.builder();
        Self {
            src,
            input,
            builder,
            line: Vec::new(),
            line_no: 0,
            issues: Vec::new(),
            done: false,
        }
    }

    /// Reads the next line into `self.line`, at most `max_doc_bytes` of it.
    /// Returns `(start offset, complete, too_long)` or `None` at the end.
    fn next_line(&mut self) -> Option<(u64, bool, bool)> {
        use std::io::BufRead;
        self.line.clear();
        let start = self.input.position();
        let gaps = self.input.gaps();
        let limit = self.src.options.max_doc_bytes;
        let mut too_long = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(_) => return None,
            };
            if buf.is_empty() {
                if self.line.is_empty() && !too_long {
                    return None;
                }
                return Some((start, self.input.gaps() == gaps, too_long));
            }
            let (chunk, found) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            if self.line.len() + chunk.len() > limit {
                too_long = true;
            } else {
                self.line.extend_from_slice(chunk);
            }
            let n = found.unwrap_or(buf.len());
            self.input.consume(n);
            if found.is_some() {
                return Some((start, self.input.gaps() == gaps, too_long));
            }
        }
    }

    fn issue(&mut self, start: u64, cause: String) {
        let location = format!("line {} (byte {start})", self.line_no);
        self.issues.push(self.src.error(location, cause));
    }

    fn parse_line(&mut self, start: u64) {
        let line = trim_ascii(&self.line);
        if line.is_empty() {
            return;
        }
        let mut obj: Map<String, Value> = match serde_json::from_slice(line) {
            Ok(Value::Object(o)) => o,
            Ok(_) => return self.issue(start, "not a JSON object".into()),
            Err(e) => return self.issue(start, format!("invalid JSON ({e})")),
        };
        let Some(text) = take_path(&mut obj, &self.src.options.text_field) else {
            let cause = format!("no field `{}`", self.src.options.text_field);
            return self.issue(start, cause);
        };
        let Value::String(text) = text else {
            let cause = format!("field `{}` is not a string", self.src.options.text_field);
            return self.issue(start, cause);
        };
        let id = take_path(&mut obj, &self.src.options.id_field).and_then(|v| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        let url = string_at(&obj, &["url", "metadata.url", "meta.url", "warc_url"]);
        let date = string_at(
            &obj,
            &["date", "created", "timestamp", "metadata.warc_date"],
        );
        let language = string_at(&obj, &["language", "lang", "metadata.language"]);
        let metadata = if obj.is_empty() {
            None
        } else {
            Some(Value::Object(obj).to_string())
        };
        self.builder.push(&DocRef {
            id: id.as_deref(),
            text: &text,
            url: url.as_deref(),
            date: date.as_deref(),
            language: language.as_deref(),
            metadata: metadata.as_deref(),
        });
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\r").unwrap_or(b);
    b.trim_ascii()
}

/// Removes and returns the value at a dotted path (`meta.text`).
fn take_path(obj: &mut Map<String, Value>, path: &str) -> Option<Value> {
    match path.split_once('.') {
        None => obj.remove(path),
        Some((head, rest)) => match obj.get_mut(head)? {
            Value::Object(inner) => take_path(inner, rest),
            _ => None,
        },
    }
}

/// The first string found at one of the dotted paths.
fn string_at(obj: &Map<String, Value>, paths: &[&str]) -> Option<String> {
    paths.iter().find_map(|p| {
        let mut cur = obj;
        let mut parts = p.split('.').peekable();
        while let Some(part) = parts.next() {
            let v = cur.get(part)?;
            if parts.peek().is_none() {
                return v.as_str().map(str::to_string);
            }
            cur = v.as_object()?;
        }
        None
    })
}

impl ShardReader for JsonlReader {
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, Error> {
        while !self.done {
            if self.src.limit_reached(&self.builder) {
                self.done = true;
                break;
            }
            let Some((start, complete, too_long)) = self.next_line() else {
                self.done = true;
                break;
            };
            self.line_no += 1;
            if too_long {
                let limit = self.src.options.max_doc_bytes;
                self.issue(
                    start,
                    format!("line is longer than max_doc_bytes ({limit}); skipped"),
                );
            } else if !complete {
                self.issue(
                    start,
                    "line lost bytes to damaged compression; skipped".into(),
                );
            } else {
                self.parse_line(start);
            }
            if self.src.batch_full(&self.builder) {
                return Ok(Some(self.builder.flush()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Columns;
    use crate::formats::ReadOptions;

    fn read(bytes: &[u8], options: ReadOptions) -> (Vec<RecordBatch>, Vec<InputError>) {
        let src = ShardSource {
            uri: "mem.jsonl".into(),
            index: 3,
            options,
        };
        let input =
            Decoded::new("mem.jsonl", Box::new(std::io::Cursor::new(bytes.to_vec()))).unwrap();
        let mut r = JsonlReader::new(src, input);
        let mut batches = Vec::new();
        while let Some(b) = r.next_batch().unwrap() {
            batches.push(b);
        }
        (batches, r.take_issues())
    }

    #[test]
    fn bad_lines_are_reported_and_the_rest_is_read() {
        let data = b"{\"id\":\"a\",\"text\":\"one\",\"url\":\"http://x\"}\n{broken\n{\"text\":\"\xff\xfe\"}\n\n{\"id\":7,\"text\":\"two\",\"meta\":{\"pile_set_name\":\"Books3\"}}\n{\"no_text\":1}\n";
        let (batches, issues) = read(data, ReadOptions::default());
        let b = &batches[0];
        let c = Columns::of(b);
        assert_eq!(b.num_rows(), 2);
        assert_eq!(c.id.value(0), "a");
        assert_eq!(c.id.value(1), "7");
        assert_eq!(c.url.unwrap().value(0), "http://x");
        assert_eq!(c.doc_key.value(1), (3u64 << 32) | 1);
        let meta = b.column_by_name("metadata").unwrap();
        let meta = meta
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap();
        assert_eq!(meta.value(1), r#"{"meta":{"pile_set_name":"Books3"}}"#);
        let msgs: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(
            msgs[0].starts_with("shard mem.jsonl: line 2 (byte 41): invalid JSON"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].contains("line 3 (byte 49)") && msgs[1].contains("invalid"),
            "{msgs:?}"
        );
        assert!(
            msgs[2].contains("line 6") && msgs[2].contains("no field `text`"),
            "{msgs:?}"
        );
    }

    #[test]
    fn dotted_fields_limits_and_batches() {
        let mut data = Vec::new();
        for i in 0..10 {
            data.extend(
                format!("{{\"doc\":{{\"body\":\"text {i}\"}},\"key\":\"k{i}\"}}\n").bytes(),
            );
        }
        let options = ReadOptions {
            text_field: "doc.body".into(),
            id_field: "key".into(),
            batch_docs: 4,
            limit: Some(9),
            ..Default::default()
        };
        let (batches, issues) = read(&data, options);
        assert!(issues.is_empty());
        let rows: Vec<usize> = batches.iter().map(|b| b.num_rows()).collect();
        assert_eq!(rows, [4, 4, 1]);
        assert_eq!(Columns::of(&batches[2]).text.value(0), "text 8");
        assert_eq!(Columns::of(&batches[2]).id.value(0), "k8");
    }

    #[test]
    fn overlong_lines_are_skipped_without_loading_them() {
        let mut data = format!("{{\"text\":\"{}\"}}\n", "x".repeat(1000)).into_bytes();
        data.extend(b"{\"text\":\"ok\"}\n");
        let (batches, issues) = read(
            &data,
            ReadOptions {
                max_doc_bytes: 100,
                ..Default::default()
            },
        );
        assert_eq!(batches[0].num_rows(), 1);
        assert!(issues[0].to_string().contains("longer than max_doc_bytes"));
    }
}
