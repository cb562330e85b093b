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

use arrow::array::{Array, BooleanArray, RecordBatch};
use rayon::prelude::*;

use crate::document::{self, Columns};
use crate::error::Error;
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
}

/// Runs `stages` over a window of batches in parallel; results keep input order.
pub fn process_window(
    pool: &rayon::ThreadPool,
    stages: &[BuiltStage],
    window: Vec<RecordBatch>,
    examples_per_reason: usize,
) -> Result<Vec<Processed>, Error> {
    pool.install(|| {
        window
            .into_par_iter()
            .map(|b| apply_stages(stages, b, examples_per_reason))
            .collect()
    })
}

/// Runs every stage over one batch.
pub fn apply_stages(
    stages: &[BuiltStage],
    mut batch: RecordBatch,
    examples_per_reason: usize,
) -> Result<Processed, Error> {
    let mut steps = Vec::with_capacity(stages.len());
    let mut examples = Vec::new();
    for (i, s) in stages.iter().enumerate() {
        let mut st = StepStats::named(&s.name);
        st.docs_in = batch.num_rows() as u64;
        st.bytes_in = document::text_bytes(&batch) as u64;
        let t = Instant::now();
        if batch.num_rows() > 0 {
            match s.stage.apply(&batch)? {
                Output::Batch(b) => batch = b,
                Output::Verdicts(codes) => {
                    if codes.len() != batch.num_rows() {
                        return Err(Error::internal(format!(
                            "stage {} judged {} rows of a {}-row batch",
                            s.name,
                            codes.len(),
                            batch.num_rows()
                        )));
                    }
                    if codes.iter().any(|&c| c != 0) {
                        let reasons = s.stage.reasons();
                        let cols = Columns::of(&batch);
                        let mut counts = vec![0u64; reasons.len() + 1];
                        for (row, &c) in codes.iter().enumerate() {
                            if c == 0 {
                                continue;
                            }
                            let c = usize::from(c).min(reasons.len());
                            counts[c] += 1;
                            if counts[c] as usize <= examples_per_reason {
                                examples.push(example(i, reason_name(reasons, c), &cols, row));
                            }
                        }
                        for (c, &n) in counts.iter().enumerate().skip(1).filter(|(_, n)| **n > 0) {
                            st.reasons.insert(reason_name(reasons, c).to_string(), n);
                        }
                        let keep: BooleanArray = codes.iter().map(|&c| Some(c == 0)).collect();
                        batch = arrow::compute::filter_record_batch(&batch, &keep)
                            .map_err(|e| Error::internal(format!("filter: {e}")))?;
                    }
                }
            }
        }
        st.nanos = t.elapsed().as_nanos() as u64;
        st.docs_out = batch.num_rows() as u64;
        steps.push(st);
    }
    Ok(Processed {
        batch,
        steps,
        examples,
    })
}

/// The name of verdict code `c` (1-based); codes past the list are a stage bug
/// reported as `unknown`.
fn reason_name(reasons: &[&'static str], c: usize) -> &'static str {
    reasons.get(c - 1).copied().unwrap_or("unknown")
}

fn example(stage: usize, reason: &str, cols: &Columns<'_>, row: usize) -> Example {
    let text = cols.text.value(row);
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
