//! The ordered parallel runner: all rayon use goes through here.
//!
//! Per open shard, a reader thread decompresses and parses into bounded batches
//! and hands them over a bounded channel. The shard's loop takes a window of
//! ready batches, runs the stages on them in parallel on the shared rayon pool,
//! and writes the results in input order (an ordered map over the window is the
//! reorder buffer). Memory is bounded by open shards × (channel depth + window)
//! × batch size, whatever the shard size. With `threads = 1` everything runs on
//! one worker, which makes debugging deterministic in time as well as output.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use rayon::prelude::*;

use crate::document::{self, Columns};
use crate::error::Error;
use crate::stages::doc::{self, ChainSink, DocFilter};
use crate::stages::{Output, Stage};
use crate::stats::StepStats;

/// The rayon pool every parallel step runs on.
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("shardwise-{i}"))
        .build()
        .map_err(|e| Error::internal(format!("thread pool: {e}")))
}

/// A built stage and its name in reports.
pub struct BuiltStage {
    pub name: String,
    pub stage: Box<dyn Stage>,
}

/// A removed document shown by dry runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub stage: usize,
    pub reason: String,
    pub id: String,
    pub url: Option<String>,
    /// The first 200 characters.
    pub head: String,
}

/// Appends examples in order, keeping at most `cap` per stage and reason.
pub fn keep_examples(kept: &mut Vec<Example>, new: Vec<Example>, cap: usize) {
    for e in new {
        let seen = kept
            .iter()
            .filter(|x| x.stage == e.stage && x.reason == e.reason)
            .count();
        if seen < cap {
            kept.push(e);
        }
    }
}

/// The result of running every stage on one batch.
pub struct Processed {
    pub batch: RecordBatch,
    /// One per stage, in pipeline order.
    pub steps: Vec<StepStats>,
    pub examples: Vec<Example>,
    /// Removed documents (`id, url, stage, reason`), when asked for.
    pub exclusions: Option<RecordBatch>,
}

/// What the runner keeps about removed documents.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep {
    /// Examples per stage and reason, for dry runs.
    pub examples_per_reason: usize,
    /// Whether to list every removed document ([`Processed::exclusions`]).
    pub exclusions: bool,
}

/// Runs `stages` over a window of batches in parallel; results keep input order.
pub fn process_window(
    pool: &rayon::ThreadPool,
    stages: &[BuiltStage],
    window: Vec<RecordBatch>,
    keep: Keep,
) -> Result<Vec<Processed>, Error> {
    pool.install(|| {
        window
            .into_par_iter()
            .map(|b| apply_stages(stages, b, keep))
            .collect()
    })
}

/// Runs every stage over one batch. Consecutive per-document filters run as one
/// chain ([`doc::run_chain`]) sharing one text analysis per document.
pub fn apply_stages(
    stages: &[BuiltStage],
    mut batch: RecordBatch,
    keep: Keep,
) -> Result<Processed, Error> {
    let mut steps: Vec<StepStats> = stages.iter().map(|s| StepStats::named(&s.name)).collect();
    let mut removed = Removed::new(keep);
    let mut i = 0;
    while i < stages.len() {
        let chain: Vec<&dyn DocFilter> = stages[i..]
            .iter()
            .map_while(|s| s.stage.doc_filter())
            .collect();
        if !chain.is_empty() {
            let n = chain.len();
            let cols = Columns::of(&batch);
            let mut sink = ChainStats {
                first: i,
                stages,
                steps: &mut steps,
                removed: &mut removed,
                cols: &cols,
            };
            let out = doc::run_chain(&chain, &batch, &mut sink, true)?;
            for st in &mut steps[i..i + n] {
                st.docs_out = st.docs_in - st.reasons.values().sum::<u64>();
            }
            batch = out;
            i += n;
            continue;
        }
        let s = &stages[i];
        let st = &mut steps[i];
        st.docs_in = batch.num_rows() as u64;
        st.bytes_in = document::text_bytes(&batch) as u64;
        let t = Instant::now();
        if batch.num_rows() > 0 {
            let codes = match s.stage.apply(&batch)? {
                Output::Batch(b) => {
                    batch = b;
                    None
                }
                Output::Verdicts(codes) => Some(codes),
                Output::Judged(b, codes) => {
                    batch = b;
                    Some(codes)
                }
            };
            if let Some(codes) = codes {
                if codes.len() != batch.num_rows() {
                    return Err(Error::internal(format!(
                        "stage {} judged {} rows of a {}-row batch",
                        s.name,
                        codes.len(),
                        batch.num_rows()
                    )));
                }
                if codes.iter().any(|&c| c != 0) {
                    let cols = Columns::of(&batch);
                    for (row, &c) in codes.iter().enumerate().filter(|(_, c)| **c != 0) {
                        removed.add(i, s, st, &cols, row, c, None);
                    }
                    let keep: BooleanArray = codes.iter().map(|&c| Some(c == 0)).collect();
                    batch = arrow::compute::filter_record_batch(&batch, &keep)
                        .map_err(|e| Error::internal(format!("filter: {e}")))?;
                }
            }
        }
        st.nanos = t.elapsed().as_nanos() as u64;
        st.docs_out = batch.num_rows() as u64;
        i += 1;
    }
    let exclusions = removed.exclusions.map(|b| b.finish()).transpose()?;
    Ok(Processed {
        batch,
        steps,
        examples: removed.examples,
        exclusions,
    })
}

/// Removed documents of one batch: counts per reason, examples, exclusions.
struct Removed {
    keep: Keep,
    examples: Vec<Example>,
    /// Examples taken so far per `(stage, code)`.
    shown: Vec<((usize, u8), usize)>,
    exclusions: Option<ExclusionsBuilder>,
}

impl Removed {
    fn new(keep: Keep) -> Self {
        Self {
            keep,
            examples: Vec::new(),
            shown: Vec::new(),
            exclusions: keep.exclusions.then(ExclusionsBuilder::default),
        }
    }

    /// Stage `i` removed `row` of the batch `cols` belongs to, for code `c`;
    /// `text` is the text it judged when a chain rewrote it.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        i: usize,
        s: &BuiltStage,
        st: &mut StepStats,
        cols: &Columns<'_>,
        row: usize,
        c: u8,
        text: Option<&str>,
    ) {
        let reason = reason_name(s.stage.reasons(), usize::from(c));
        match st.reasons.get_mut(reason) {
            Some(n) => *n += 1,
            None => {
                st.reasons.insert(reason.to_string(), 1);
            }
        }
        if self.keep.examples_per_reason > 0 {
            let shown = match self.shown.iter_mut().find(|(k, _)| *k == (i, c)) {
                Some((_, n)) => n,
                None => {
                    self.shown.push(((i, c), 0));
                    &mut self.shown.last_mut().expect("just pushed").1
                }
            };
            if *shown < self.keep.examples_per_reason {
                *shown += 1;
                self.examples.push(example(i, reason, cols, row, text));
            }
        }
        if let Some(x) = &mut self.exclusions {
            x.push(cols, row, &s.name, reason);
        }
    }
}

/// Statistics of a chain of per-document filters starting at stage `first`.
struct ChainStats<'a> {
    first: usize,
    stages: &'a [BuiltStage],
    steps: &'a mut [StepStats],
    removed: &'a mut Removed,
    cols: &'a Columns<'a>,
}

impl ChainSink for ChainStats<'_> {
    fn seen(&mut self, filter: usize, bytes: usize, nanos: u64) {
        let st = &mut self.steps[self.first + filter];
        st.docs_in += 1;
        st.bytes_in += bytes as u64;
        st.nanos += nanos;
    }

    fn dropped(&mut self, filter: usize, row: usize, code: u8, text: &str) {
        let i = self.first + filter;
        let (s, st) = (&self.stages[i], &mut self.steps[i]);
        self.removed.add(i, s, st, self.cols, row, code, Some(text));
    }
}

/// Builds the exclusions batch: `id, url, stage, reason`.
#[derive(Default)]
struct ExclusionsBuilder {
    id: StringBuilder,
    url: StringBuilder,
    stage: StringBuilder,
    reason: StringBuilder,
}

impl ExclusionsBuilder {
    fn push(&mut self, cols: &Columns<'_>, row: usize, stage: &str, reason: &str) {
        self.id.append_value(cols.id.value(row));
        self.url
            .append_option(cols.url.filter(|u| u.is_valid(row)).map(|u| u.value(row)));
        self.stage.append_value(stage);
        self.reason.append_value(reason);
    }

    fn finish(mut self) -> Result<RecordBatch, Error> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.id.finish()),
            Arc::new(self.url.finish()),
            Arc::new(self.stage.finish()),
            Arc::new(self.reason.finish()),
        ];
        RecordBatch::try_new(exclusions_schema(), columns)
            .map_err(|e| Error::internal(format!("exclusions batch: {e}")))
    }
}

/// The schema of exclusions files: `id, url, stage, reason`.
pub fn exclusions_schema() -> SchemaRef {
    static SCHEMA: std::sync::OnceLock<SchemaRef> = std::sync::OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Utf8, false),
                Field::new("url", DataType::Utf8, true),
                Field::new("stage", DataType::Utf8, false),
                Field::new("reason", DataType::Utf8, false),
            ]))
        })
        .clone()
}

/// The name of verdict code `c` (1-based); codes past the list are a stage bug
/// reported as `unknown`.
fn reason_name(reasons: &[&'static str], c: usize) -> &'static str {
    reasons.get(c.wrapping_sub(1)).copied().unwrap_or("unknown")
}

fn example(
    stage: usize,
    reason: &str,
    cols: &Columns<'_>,
    row: usize,
    text: Option<&str>,
) -> Example {
    let text = text.unwrap_or_else(|| cols.text.value(row));
    let head: String = text.chars().take(200).collect();
    Example {
        stage,
        reason: reason.to_string(),
        id: cols.id.value(row).to_string(),
        url: cols
            .url
            .filter(|u| u.is_valid(row))
            .map(|u| u.value(row).to_string()),
        head,
    }
}

/// Shared handle to the built stages.
pub type Stages = Arc<Vec<BuiltStage>>;
