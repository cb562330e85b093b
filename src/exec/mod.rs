//! Execution: the only module that wires readers, stages and writers together.
//!
//! [`run`] expands the input, claims the work prefix for this run, takes this
//! rank's slice, skips shards that already have commit markers, and processes
//! the rest a few shards at a time (see [`runner`]). Each shard's outputs are
//! committed before its marker ([`marker`]); once every shard of the run has a
//! marker, the dataset index is written ([`finalize`]). Bad input never costs
//! other shards: damaged records are skipped and counted, and a shard past its
//! budget is quarantined and listed.

mod failpoint;
pub mod finalize;
pub mod marker;
pub mod progress;
pub mod runner;

use std::hash::Hasher;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;

use crate::cluster::Cluster;
use crate::config::{OutputFormat, Pipeline};
use crate::error::{Error, InputError, StoreError};
use crate::formats::{self, ReadOptions};
use crate::manifest::{self, Shard};
use crate::stages::StageContext;
use crate::stages::tokenize::TokenInfo;
use crate::stats::{MAX_PROBLEMS_KEPT, ShardStats, StepStats};
use crate::store::{self, Store, Stores};
use crate::writers::documents::DocumentsWriter;
use crate::writers::megatron::{DType, MegatronWriter};
use crate::writers::{ShardWriter, WriterSummary};

use finalize::{DatasetIndex, TokenSummary};
use marker::{RunIdentity, ShardMarker};
use runner::{BuiltStage, Example};

/// How this process runs its share of a pipeline.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub cluster: Cluster,
    /// Read at most this many documents per shard (dry runs).
    pub sample: Option<u64>,
    /// Worker threads for stages.
    pub threads: usize,
    /// Shards read at the same time; default: the thread count.
    pub open_shards: Option<usize>,
    /// Seconds between `shardwise_progress` lines (0: never).
    pub progress_every: Duration,
    /// Removed documents kept per stage and reason, for dry runs.
    pub examples_per_reason: usize,
}

/// What a rank did.
#[derive(Debug)]
pub struct RunReport {
    /// This rank's shards, merged from their markers (counted once).
    pub stats: ShardStats,
    pub shards_total: usize,
    pub shards_mine: usize,
    pub shards_skipped: usize,
    pub examples: Vec<Example>,
    /// Stage names, in order, for printing examples.
    pub stage_names: Vec<String>,
    /// Present when this rank wrote the dataset index.
    pub index: Option<(DatasetIndex, ShardStats)>,
    pub wall: Duration,
    /// Requests this process sent to object stores, with retries.
    pub store: crate::store::StoreStats,
}

impl RunReport {
    /// Whether input was skipped anywhere this rank can see.
    pub fn partial(&self) -> bool {
        self.stats.partial() || self.index.as_ref().is_some_and(|(_, s)| s.partial())
    }
}

/// Hash of the effective pipeline and the shard list. Where the output goes is
/// not part of it: the same run written elsewhere is the same run.
fn run_id(p: &Pipeline, shards: &[Shard], sample: Option<u64>) -> String {
    let mut p = p.clone();
    p.output.uri.clear();
    p.output.work = None;
    // How stores are reached (retries, addressing) does not change the output.
    p.storage = crate::fields::defaults();
    if p.input.presharded {
        // Each node names (or mounts) its own input: only the rest is shared.
        p.input.paths.clear();
        p.input.manifest = None;
    }
    let mut h = twox_hash::XxHash64::with_seed(0);
    h.write(p.to_toml().as_bytes());
    // Presharded ranks each see their own shards: only the pipeline is shared.
    let shards = if p.input.presharded { &[][..] } else { shards };
    for s in shards {
        h.write(s.uri.as_bytes());
        h.write(b"\n");
    }
    if let Some(n) = sample {
        h.write(format!("sample={n}").as_bytes());
    }
    format!("{:016x}", h.finish())
}

/// Everything a shard worker shares.
struct Job<'a> {
    pipeline: &'a Pipeline,
    stores: &'a Stores,
    out_store: Arc<dyn Store>,
    work_store: Arc<dyn Store>,
    work: String,
    run_id: String,
    read: ReadOptions,
    stages: Vec<BuiltStage>,
    tokens: Option<TokenInfo>,
    pool: rayon::ThreadPool,
    /// Shards processed at once.
    open_shards: usize,
    /// Batches in flight per open shard: the channel depth and the window.
    window: usize,
    opts: &'a RunOptions,
    progress: progress::Progress,
}

/// Runs this rank's share of the pipeline.
pub fn run(p: &Pipeline, stores: &Stores, opts: &RunOptions) -> Result<RunReport, Error> {
    let started = Instant::now();
    let expand = if p.input.presharded {
        manifest::expand_presharded
    } else {
        manifest::expand
    };
    let shards = expand(
        stores,
        &p.input.paths,
        p.input.manifest.as_deref(),
        p.input.base.as_deref(),
    )?;
    if shards.is_empty() {
        tracing::warn!("this rank was given no input shards");
    }
    let prefixes = manifest::output_prefixes(&shards);
    let run_id = run_id(p, &shards, opts.sample);
    let work = p.output.work_uri();
    let work_store = stores.for_uri(&work)?;
    let out_store = stores.for_uri(&p.output.uri)?;

    let stages = build_stages(p, stores)?;
    let tokens = stages.iter().find_map(|s| s.stage.token_info());
    if p.output.format == OutputFormat::Megatron && tokens.is_none() {
        // A filtering-only pipeline is legitimate (with `documents = true` it
        // writes the cleaned documents); say plainly that no token files come.
        tracing::warn!("the pipeline has no tokenize stage: no token files are written");
    }

    marker::claim_work_prefix(
        work_store.as_ref(),
        &work,
        &RunIdentity {
            version: marker::MARKER_VERSION,
            run_id: run_id.clone(),
            name: p.name.clone(),
            shards: shards.len(),
        },
    )?;

    let mine = if p.input.presharded {
        // A record from an earlier run must not let another rank finish this
        // one before this rank has: withdraw ours until our shards are done.
        let world = opts.cluster.world_size;
        work_store.delete(&presharded_record(&work, opts.cluster.rank, world))?;
        shards.clone()
    } else {
        manifest::for_rank(&shards, opts.cluster.rank, opts.cluster.world_size)
    };
    let mut read = p.read_options();
    read.limit = opts.sample;
    let threads = opts.threads.max(1);
    // One reader thread keeps several cores of stages busy (decompression and
    // parsing run far faster than tokenization), so open a shard per 8 threads
    // and give each a window of batches that keeps every thread fed. In flight
    // per shard: the channel plus the window; in all about 4 × threads batches.
    let open_shards = opts.open_shards.unwrap_or(threads.div_ceil(8)).max(1);
    let window = (2 * threads).div_ceil(open_shards).max(2);
    let job = Job {
        pipeline: p,
        stores,
        out_store: out_store.clone(),
        work_store: work_store.clone(),
        work: work.clone(),
        run_id: run_id.clone(),
        read,
        stages,
        tokens: tokens.clone(),
        pool: runner::pool(threads)?,
        open_shards,
        window,
        opts,
        progress: progress::Progress::new(mine.len()),
    };

    // Shards already committed by an earlier attempt are skipped.
    let mut done: Vec<(usize, ShardMarker)> = Vec::new();
    let mut todo = Vec::new();
    for (pos, s) in mine.iter().enumerate() {
        let uri = marker::marker_uri(&work, &prefixes[s.index as usize]);
        match marker::read_marker(work_store.as_ref(), &uri, &run_id)? {
            Some(m) if outputs_intact(&job, &m)? => done.push((pos, m)),
            Some(m) => {
                tracing::warn!(shard = %m.shard, "outputs listed in the commit marker are missing or changed; redoing the shard");
                todo.push(pos);
            }
            None => todo.push(pos),
        }
    }
    let skipped = done.len();
    job.progress.add_done(skipped);
    if skipped > 0 {
        tracing::info!(
            skipped,
            remaining = todo.len(),
            "resuming: shards with commit markers are skipped"
        );
    }

    let open = job.open_shards.min(todo.len().max(1));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, ShardMarker, Vec<Example>)>> = Mutex::new(Vec::new());
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let reporter = job.progress.start(opts.progress_every, opts.cluster.rank);
    std::thread::scope(|scope| {
        for _ in 0..open {
            scope.spawn(|| {
                while !failed.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&pos) = todo.get(i) else { break };
                    let shard = &mine[pos];
                    match process_shard(&job, shard, &prefixes[shard.index as usize], &failed) {
                        Ok(Some((m, ex))) => {
                            job.progress.add_done(1);
                            results.lock().expect("results lock").push((pos, m, ex));
                        }
                        Ok(None) => break,
                        Err(e) => {
                            // Record the cause before raising the flag, so the
                            // error reported is the cause, not a cancellation.
                            first_error.lock().expect("error lock").get_or_insert(e);
                            failed.store(true, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    reporter.stop();
    if let Some(e) = first_error.into_inner().expect("error lock") {
        return Err(e);
    }
    let mut fresh = results.into_inner().expect("results lock");
    fresh.sort_by_key(|(pos, _, _)| *pos);
    let mut examples: Vec<Example> = Vec::new();
    for (pos, m, ex) in fresh {
        runner::keep_examples(&mut examples, ex, opts.examples_per_reason);
        done.push((pos, m));
    }
    done.sort_by_key(|(pos, _)| *pos);

    let mut stats = ShardStats::default();
    for (_, m) in &done {
        stats.merge(&m.stats);
    }

    let index = if p.input.presharded {
        let mine_markers: Vec<String> = mine
            .iter()
            .map(|s| marker::marker_uri(&work, &prefixes[s.index as usize]))
            .collect();
        finalize_presharded(&job, opts, &mine_markers)?
    } else {
        finalize_if_complete(&job, &shards, &prefixes)?
    };
    Ok(RunReport {
        stats,
        shards_total: shards.len(),
        shards_mine: mine.len(),
        shards_skipped: skipped,
        examples,
        stage_names: job.stages.iter().map(|s| s.name.clone()).collect(),
        index,
        wall: started.elapsed(),
        store: stores.stats(),
    })
}

/// Presharded input: no rank knows the others' shards, so each rank records
/// the markers of its shards in `work/ranks/rank-<r>-of-<w>.json`, and the rank
/// that finds every rank's record writes the index from all of them.
fn finalize_presharded(
    job: &Job<'_>,
    opts: &RunOptions,
    mine: &[String],
) -> Result<Option<(DatasetIndex, ShardStats)>, Error> {
    let world = opts.cluster.world_size;
    let record = |r: u32| presharded_record(&job.work, r, world);
    let json = serde_json::to_vec_pretty(mine)
        .map_err(|e| Error::internal(format!("rank record: {e}")))?;
    job.work_store.put(&record(opts.cluster.rank), &json)?;
    let mut uris = Vec::new();
    for r in 0..world {
        let uri = record(r);
        if !job.work_store.exists(&uri)? {
            tracing::info!(
                rank = r,
                "other ranks are still running; the last rank to finish writes the dataset index"
            );
            return Ok(None);
        }
        let listed: Vec<String> =
            serde_json::from_slice(&job.work_store.get(&uri)?).map_err(|e| StoreError::Other {
                uri: uri.clone(),
                message: format!("unreadable rank record ({e})"),
            })?;
        uris.extend(listed);
    }
    uris.sort();
    if let Some(w) = uris.windows(2).find(|w| w[0] == w[1]) {
        return Err(crate::error::ConfigError::msg(format!(
            "input.presharded: two ranks wrote the same output ({}); shard file names must be unique across the job",
            w[0]
        ))
        .into());
    }
    write_index_from(job, &uris).map(Some)
}

/// Where rank `r` of `world` records its markers in presharded runs.
fn presharded_record(work: &str, r: u32, world: u32) -> String {
    store::join(work, &format!("ranks/rank-{r}-of-{world}.json"))
}

/// Reads the markers and writes the dataset index.
fn write_index_from(job: &Job<'_>, uris: &[String]) -> Result<(DatasetIndex, ShardStats), Error> {
    let mut markers = Vec::with_capacity(uris.len());
    for u in uris {
        let m = marker::read_marker(job.work_store.as_ref(), u, &job.run_id)?
            .ok_or_else(|| StoreError::NotFound { uri: u.to_string() })?;
        markers.push(m);
    }
    let summary = TokenSummary {
        tokenizer: job.tokens.as_ref().map(|t| t.tokenizer.clone()),
        vocab_size: job.tokens.as_ref().map(|t| t.vocab_size),
        dtype: job
            .tokens
            .as_ref()
            .map(|t| DType::for_vocab(t.vocab_size).name().to_string()),
    };
    finalize::write_index(
        job.out_store.as_ref(),
        &job.pipeline.output.uri,
        job.pipeline.name.clone(),
        &job.run_id,
        &summary,
        &markers,
    )
}

/// Writes the dataset index when every shard of the run has a marker.
fn finalize_if_complete(
    job: &Job<'_>,
    shards: &[Shard],
    prefixes: &[String],
) -> Result<Option<(DatasetIndex, ShardStats)>, Error> {
    let listed: std::collections::HashSet<String> = job
        .work_store
        .list(&store::join(&job.work, "markers/"))?
        .into_iter()
        .map(|o| o.uri)
        .collect();
    let uris: Vec<String> = shards
        .iter()
        .map(|s| marker::marker_uri(&job.work, &prefixes[s.index as usize]))
        .collect();
    if !uris.iter().all(|u| listed.contains(u)) {
        let missing = uris.iter().filter(|u| !listed.contains(*u)).count();
        tracing::info!(
            missing,
            "other ranks' shards are not all committed yet; the last rank to finish writes the dataset index"
        );
        return Ok(None);
    }
    write_index_from(job, &uris).map(Some)
}

/// Messages sent from a shard's reader thread.
enum Msg {
    Batch {
        batch: RecordBatch,
        issues: Vec<InputError>,
        nanos: u64,
        raw_bytes: u64,
    },
    End {
        result: Result<Vec<InputError>, Error>,
        raw_bytes: u64,
    },
}

/// The reader thread: batches until the end of the shard or until the receiver
/// is gone. A panic in a parser ends the shard as an error instead of the rank.
fn read_shard(mut reader: Box<dyn formats::ShardReader>, tx: crossbeam_channel::Sender<Msg>) {
    loop {
        let t = Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.next_batch()));
        let nanos = t.elapsed().as_nanos() as u64;
        let raw_bytes = reader.raw_bytes();
        let msg = match r {
            Ok(Ok(Some(batch))) => Msg::Batch {
                batch,
                issues: reader.take_issues(),
                nanos,
                raw_bytes,
            },
            Ok(Ok(None)) => Msg::End {
                result: Ok(reader.take_issues()),
                raw_bytes,
            },
            Ok(Err(e)) => Msg::End {
                result: Err(e),
                raw_bytes,
            },
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown panic");
                Msg::End {
                    result: Err(Error::internal(format!("the reader panicked ({what})"))),
                    raw_bytes,
                }
            }
        };
        let end = matches!(msg, Msg::End { .. });
        if tx.send(msg).is_err() || end {
            break;
        }
    }
}

/// Reads, processes and commits one shard; returns its marker and, for dry
/// runs, examples of removed documents in input order. `None` when the run was
/// cancelled because another shard failed.
fn process_shard(
    job: &Job<'_>,
    shard: &Shard,
    prefix: &str,
    failed: &AtomicBool,
) -> Result<Option<(ShardMarker, Vec<Example>)>, Error> {
    let opts = job.opts;
    let in_store = job.stores.for_uri(&shard.uri)?;
    let marker_uri = marker::marker_uri(&job.work, prefix);
    let mut stats = ShardStats {
        shards: 1,
        ..Default::default()
    };
    let mut read_step = StepStats::named("read");
    let mut steps: Vec<StepStats> = job
        .stages
        .iter()
        .map(|s| StepStats::named(&s.name))
        .collect();
    let mut write_step = StepStats::named("write");
    let mut examples: Vec<Example> = Vec::new();
    let budget = job.pipeline.input.max_bad_records;
    let mut quarantined: Option<String> = None;
    let note = |stats: &mut ShardStats, e: InputError| {
        stats.bad_records += 1;
        tracing::warn!("{e}; skipped");
        if stats.problems.len() < MAX_PROBLEMS_KEPT {
            stats.problems.push(e.to_string());
        }
    };

    let reader = match formats::open(in_store.as_ref(), &shard.uri, shard.index, &job.read) {
        Ok(r) => Some(r),
        Err(Error::Input(e)) => {
            quarantined = Some(e.to_string());
            None
        }
        Err(Error::Store(StoreError::NotFound { uri })) => {
            quarantined = Some(format!("shard {uri}: not found"));
            None
        }
        Err(e) => return Err(e),
    };

    let mut writers: Vec<Box<dyn ShardWriter>> = Vec::new();
    let mut keys = vec![format!("{prefix}.bin"), format!("{prefix}.idx")];
    if job.pipeline.output.documents {
        keys.push(documents_key(prefix));
    }
    if job.pipeline.output.exclusions {
        keys.push(exclusions_key(prefix));
    }
    let mut exclusions: Option<DocumentsWriter> = None;
    if let Some(reader) = reader {
        if let Some(t) = &job.tokens {
            writers.push(Box::new(MegatronWriter::create(
                job.out_store.clone(),
                &job.pipeline.output.uri,
                prefix,
                DType::for_vocab(t.vocab_size),
            )?));
        }
        if job.pipeline.output.documents {
            writers.push(Box::new(DocumentsWriter::create(
                job.out_store.clone(),
                &job.pipeline.output.uri,
                &documents_key(prefix),
            )?));
        }
        if job.pipeline.output.exclusions {
            exclusions = Some(
                DocumentsWriter::create(
                    job.out_store.clone(),
                    &job.pipeline.output.uri,
                    &exclusions_key(prefix),
                )?
                .with_empty_schema(runner::exclusions_schema()),
            );
        }
        let (tx, rx) = crossbeam_channel::bounded::<Msg>(job.window);
        let outcome: Result<bool, Error> = std::thread::scope(|scope| {
            scope.spawn(move || read_shard(reader, tx));
            // `rx` is owned by this closure: any early return drops it, which
            // stops the reader thread before the scope joins it.
            let rx = rx;
            let mut ended = false;
            while !ended && quarantined.is_none() {
                if failed.load(Ordering::Relaxed) {
                    return Ok(false);
                }
                let Ok(first) = rx.recv() else { break };
                let mut pending = vec![first];
                while pending.len() < job.window {
                    match rx.try_recv() {
                        Ok(m) => pending.push(m),
                        Err(_) => break,
                    }
                }
                let mut window_batches = Vec::with_capacity(pending.len());
                for msg in pending {
                    let raw_bytes = match msg {
                        Msg::Batch {
                            batch,
                            issues,
                            nanos,
                            raw_bytes,
                        } => {
                            for e in issues {
                                note(&mut stats, e);
                            }
                            read_step.nanos += nanos;
                            read_step.docs_out += batch.num_rows() as u64;
                            read_step.bytes_in += crate::document::text_bytes(&batch) as u64;
                            job.progress.add_read(batch.num_rows(), 0);
                            window_batches.push(batch);
                            raw_bytes
                        }
                        Msg::End { result, raw_bytes } => {
                            ended = true;
                            match result {
                                Ok(issues) => {
                                    for e in issues {
                                        note(&mut stats, e);
                                    }
                                }
                                Err(Error::Input(e)) => {
                                    quarantined =
                                        Some(format!("{e}; the rest of the shard is unreadable"));
                                    note(&mut stats, e);
                                }
                                Err(Error::Internal(m)) => {
                                    quarantined = Some(format!(
                                        "shard {}: {m} (this is a bug in shardwise)",
                                        shard.uri
                                    ));
                                }
                                Err(e) => return Err(e),
                            }
                            raw_bytes
                        }
                    };
                    job.progress
                        .add_read(0, raw_bytes.saturating_sub(stats.raw_bytes));
                    stats.raw_bytes = stats.raw_bytes.max(raw_bytes);
                }
                if stats.bad_records > budget && quarantined.is_none() {
                    quarantined = Some(format!(
                        "shard {}: {} damaged records, over the budget of {budget} (input.max_bad_records)",
                        shard.uri, stats.bad_records
                    ));
                }
                if quarantined.is_some() {
                    break;
                }
                let processed = runner::process_window(
                    &job.pool,
                    &job.stages,
                    window_batches,
                    runner::Keep {
                        examples_per_reason: opts.examples_per_reason,
                        exclusions: exclusions.is_some(),
                    },
                )?;
                for p in processed {
                    for (a, b) in steps.iter_mut().zip(&p.steps) {
                        a.merge(b);
                    }
                    runner::keep_examples(&mut examples, p.examples, opts.examples_per_reason);
                    let t = Instant::now();
                    write_step.docs_in += p.batch.num_rows() as u64;
                    write_step.bytes_in += crate::document::text_bytes(&p.batch) as u64;
                    for w in writers.iter_mut() {
                        w.write(&p.batch)?;
                    }
                    if let (Some(w), Some(x)) = (&mut exclusions, &p.exclusions) {
                        w.write(x)?;
                    }
                    write_step.nanos += t.elapsed().as_nanos() as u64;
                    write_step.docs_out += p.batch.num_rows() as u64;
                }
            }
            Ok(true)
        });
        if !outcome? {
            return Ok(None);
        }
    }
    read_step.docs_in = read_step.docs_out;

    let mut outputs = WriterSummary::default();
    if let Some(q) = &quarantined {
        tracing::error!("{q}; shard quarantined");
        stats.quarantined = 1;
        // Nothing of a quarantined shard is counted as written or left behind:
        // uncommitted objects vanish with their writers, and files an earlier,
        // killed attempt committed are deleted.
        drop(writers);
        drop(exclusions);
        write_step = StepStats::named("write");
        for key in &keys {
            job.out_store
                .delete(&store::join(&job.pipeline.output.uri, key))?;
        }
    } else {
        let t = Instant::now();
        for w in writers {
            let s = w.finish()?;
            outputs.files.extend(s.files);
            outputs.docs = outputs.docs.max(s.docs);
            outputs.tokens += s.tokens;
        }
        // Documents kept, even when no writer keeps them (a filters-only run
        // listing exclusions).
        outputs.docs = outputs.docs.max(write_step.docs_out);
        if let Some(w) = exclusions {
            outputs.files.extend(Box::new(w).finish()?.files);
        }
        write_step.nanos += t.elapsed().as_nanos() as u64;
    }
    stats.tokens = outputs.tokens;
    stats.steps = std::iter::once(read_step)
        .chain(steps)
        .chain(std::iter::once(write_step))
        .collect();
    let m = ShardMarker {
        version: marker::MARKER_VERSION,
        run_id: job.run_id.clone(),
        shard: shard.uri.clone(),
        index: shard.index,
        prefix: prefix.to_string(),
        outputs,
        quarantined,
        stats,
    };
    failpoint::hit(failpoint::Point::BeforeMarker);
    marker::write_marker(job.work_store.as_ref(), &marker_uri, &m)?;
    failpoint::hit(failpoint::Point::AfterMarker);
    Ok(Some((m, examples)))
}

/// Builds every stage of `p`, loading the files they name, in pipeline order.
pub fn build_stages(p: &Pipeline, stores: &Stores) -> Result<Vec<BuiltStage>, Error> {
    p.stages
        .iter()
        .enumerate()
        .map(|(index, s)| {
            Ok(BuiltStage {
                name: s.kind().to_string(),
                stage: s.build(&StageContext { index, stores })?,
            })
        })
        .collect()
}

/// Where a shard's cleaned documents go.
fn documents_key(prefix: &str) -> String {
    format!(
        "documents/{}.parquet",
        prefix.strip_prefix("tokens/").unwrap_or(prefix)
    )
}

/// Where a shard's removed documents are listed.
pub fn exclusions_key(prefix: &str) -> String {
    format!(
        "exclusions/{}.parquet",
        prefix.strip_prefix("tokens/").unwrap_or(prefix)
    )
}

/// Whether every output a marker lists is still there with its size; a shard
/// whose outputs were deleted or damaged is redone rather than trusted.
fn outputs_intact(job: &Job<'_>, m: &ShardMarker) -> Result<bool, Error> {
    for f in &m.outputs.files {
        let uri = store::join(&job.pipeline.output.uri, &f.key);
        match job.out_store.size(&uri) {
            Ok(n) if n == f.bytes => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(true)
}
