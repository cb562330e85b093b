//! Per-document filters and the one loop that runs a chain of them over a batch.
//!
//! Heuristic filters (Gopher, C4, FineWeb, URL, regex) judge one document at a
//! time. Implementing [`DocFilter`] instead of a whole-batch `apply` lets the
//! runner fuse consecutive filters: each document is analysed at most once for
//! the chain ([`Doc::analysis`] is computed on first use, so only when an active
//! filter needs words), and a document leaves the chain at the first filter that
//! drops it. A filter may also rewrite the text (C4's line removal); the filters
//! after it then see, and analyse, the new text. This module must not know about
//! readers, writers or the runner's statistics beyond the [`ChainSink`] callbacks.

use std::time::Instant;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringBuilder};

use super::text::Analysis;
use crate::document::{self, Columns};
use crate::error::Error;

/// One document as a [`DocFilter`] sees it: its text, a lazily computed shared
/// analysis of that text, and a buffer for a rewritten text.
pub struct Doc<'a> {
    text: &'a str,
    url: Option<&'a str>,
    analysis: &'a mut Analysis,
    analysed: &'a mut bool,
    rewrite: &'a mut String,
    rewritten: bool,
}

impl<'a> Doc<'a> {
    fn new(
        text: &'a str,
        url: Option<&'a str>,
        analysis: &'a mut Analysis,
        analysed: &'a mut bool,
        rewrite: &'a mut String,
    ) -> Self {
        Self {
            text,
            url,
            analysis,
            analysed,
            rewrite,
            rewritten: false,
        }
    }

    /// The current text (after any earlier rewrite in the chain).
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The document's URL, when the input has one.
    pub fn url(&self) -> Option<&'a str> {
        self.url
    }

    /// The shared analysis of [`Doc::text`], computed on the first call for
    /// this text and reused by every later filter in the chain.
    pub fn analysis(&mut self) -> &mut Analysis {
        if !*self.analysed {
            self.analysis.run(self.text);
            *self.analysed = true;
        }
        self.analysis
    }

    /// The analysis buffers without analysing the text, for helpers that need
    /// no words ([`Analysis::duplicates`]).
    pub fn scratch(&mut self) -> &mut Analysis {
        self.analysis
    }

    /// An empty buffer for a new text; once called, the document's text becomes
    /// the buffer's content when the filter keeps the document.
    pub fn rewrite(&mut self) -> &mut String {
        self.rewritten = true;
        self.rewrite.clear();
        self.rewrite
    }
}

/// A filter judging one document at a time.
pub trait DocFilter: Send + Sync {
    /// `0` keeps the document, `k > 0` drops it for the stage's `reasons()[k - 1]`.
    fn judge(&self, doc: &mut Doc<'_>) -> u8;
}

/// What happened to rows in a chain, reported to the runner's statistics.
pub trait ChainSink {
    /// Filter `filter` of the chain saw a document of `bytes` text bytes.
    fn seen(&mut self, filter: usize, bytes: usize, nanos: u64);
    /// Filter `filter` dropped `row`, whose current text is `text`, for
    /// reason code `code`.
    fn dropped(&mut self, filter: usize, row: usize, code: u8, text: &str);
}

/// A sink that records nothing.
pub struct NoSink;

impl ChainSink for NoSink {
    fn seen(&mut self, _: usize, _: usize, _: u64) {}
    fn dropped(&mut self, _: usize, _: usize, _: u8, _: &str) {}
}

/// Runs `filters` in order over every row of `batch` and returns the rows kept,
/// with their rewritten text where a filter rewrote it. With `timed`, each
/// filter's time per document goes to `sink.seen` (analysis time counts for the
/// first filter that asks for it).
pub fn run_chain(
    filters: &[&dyn DocFilter],
    batch: &RecordBatch,
    sink: &mut dyn ChainSink,
    timed: bool,
) -> Result<RecordBatch, Error> {
    let cols = Columns::of(batch);
    let rows = batch.num_rows();
    let mut keep = Vec::with_capacity(rows);
    // This thread's buffers from its last batch: a batch's first large
    // documents would otherwise grow them again, page faults and all.
    let mut analysis = ANALYSIS.take();
    // The current text when rewritten, the next rewrite, and every kept
    // rewritten text with its row (in row order), for the new text column.
    let (mut current, mut next) = (String::new(), String::new());
    let mut rewrites: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    let mut rewritten_text = String::new();
    for row in 0..rows {
        let original = cols.text.value(row);
        let url = cols.url.filter(|u| u.is_valid(row)).map(|u| u.value(row));
        let mut analysed = false;
        let mut from_buffer = false;
        let mut verdict = 0;
        for (i, f) in filters.iter().enumerate() {
            let text = if from_buffer {
                current.as_str()
            } else {
                original
            };
            let t = timed.then(Instant::now);
            let mut doc = Doc::new(text, url, &mut analysis, &mut analysed, &mut next);
            let code = f.judge(&mut doc);
            let rewritten = doc.rewritten;
            sink.seen(
                i,
                text.len(),
                t.map_or(0, |t| t.elapsed().as_nanos() as u64),
            );
            if code != 0 {
                sink.dropped(i, row, code, text);
                verdict = code;
                break;
            }
            // C4 rewrites every document it keeps; an unchanged text keeps
            // its analysis and its place in the batch.
            if rewritten && next != text {
                std::mem::swap(&mut current, &mut next);
                from_buffer = true;
                analysed = false;
            }
        }
        keep.push(verdict == 0);
        if verdict == 0 && from_buffer {
            let start = rewritten_text.len();
            rewritten_text.push_str(&current);
            rewrites.push((row, start..rewritten_text.len()));
        }
    }
    ANALYSIS.set(analysis);
    let mut out = batch.clone();
    if !rewrites.is_empty() {
        out = replace_text(&out, &cols, &rewrites, &rewritten_text)?;
    }
    if keep.iter().all(|&k| k) {
        return Ok(out);
    }
    let mask = BooleanArray::from(keep);
    arrow::compute::filter_record_batch(&out, &mask)
        .map_err(|e| Error::internal(format!("filter: {e}")))
}

/// `batch` with the text of the listed rows replaced.
fn replace_text(
    batch: &RecordBatch,
    cols: &Columns<'_>,
    rewrites: &[(usize, std::ops::Range<usize>)],
    rewritten: &str,
) -> Result<RecordBatch, Error> {
    let rows = batch.num_rows();
    let mut b = StringBuilder::with_capacity(rows, cols.text.value_data().len());
    let mut next = rewrites.iter().peekable();
    for row in 0..rows {
        match next.peek() {
            Some((r, range)) if *r == row => {
                b.append_value(&rewritten[range.clone()]);
                next.next();
            }
            _ => b.append_value(cols.text.value(row)),
        }
    }
    let text: ArrayRef = std::sync::Arc::new(b.finish());
    let field = batch
        .schema()
        .field_with_name(document::TEXT)
        .map_err(|e| Error::internal(format!("text column: {e}")))?
        .clone();
    document::with_columns(batch, [(field, text)])
}

thread_local! {
    /// The analysis buffers a thread's chains reuse across batches. They are as
    /// large as the largest recent document needs (the analysis gives back
    /// memory when much smaller documents follow).
    static ANALYSIS: std::cell::Cell<Analysis> = std::cell::Cell::new(Analysis::default());
}

/// Verdict codes of one filter over a batch, for a stage's standalone `apply`
/// and for unit tests. A rewriting filter's new texts are not kept here.
pub fn verdicts(filter: &dyn DocFilter, batch: &RecordBatch) -> Vec<u8> {
    struct Codes(Vec<u8>);
    impl ChainSink for Codes {
        fn seen(&mut self, _: usize, _: usize, _: u64) {}
        fn dropped(&mut self, _: usize, row: usize, code: u8, _: &str) {
            self.0[row] = code;
        }
    }
    let mut codes = Codes(vec![0; batch.num_rows()]);
    // Only building the rewritten batch can fail, and that batch is not kept.
    let _ = run_chain(&[filter], batch, &mut codes, false);
    codes.0
}

/// Judges one document with one filter, outside any batch (tests, `inspect`).
/// Returns the verdict and the rewritten text if the filter rewrote it.
pub fn judge_text(filter: &dyn DocFilter, text: &str, url: Option<&str>) -> (u8, Option<String>) {
    let mut analysis = Analysis::default();
    let mut analysed = false;
    let mut rewrite = String::new();
    let mut doc = Doc::new(text, url, &mut analysis, &mut analysed, &mut rewrite);
    let code = filter.judge(&mut doc);
    let rewritten = doc.rewritten;
    (code, rewritten.then_some(rewrite))
}
