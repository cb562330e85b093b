//! `shardwise bench`: throughput per stage and end to end, peak memory, and the
//! peer baselines, measured in one run on one machine.
//!
//! It replicates the real text in `$SHARDWISE_SHARED/data` into a corpus of at
//! least `--corpus-mb` MB of JSONL.gz shards, then:
//! 1. runs read → length → sql → tokenize → write on one thread and reports MB/s
//!    per core for every step (CPU time per step), then end to end on all cores;
//! 2. runs the binary on one small and one 20× larger shard and reports the peak
//!    RSS of each (memory must not grow with shard size);
//! 3. runs `$SHARDWISE_SHARED/bench/datatrove_bench.py` (datatrove and raw HF
//!    `tokenizers` on one core) on the same documents and reports ratios.
//!
//! Numbers are written to `<work>/bench.json`; docs/PERFORMANCE.md records them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use shardwise::cluster::Cluster;
use shardwise::config;
use shardwise::document::Columns;
use shardwise::exec::{self, RunOptions};
use shardwise::formats::{self, ReadOptions};
use shardwise::stats::ShardStats;
use shardwise::store::{LocalStore, Stores};
use shardwise::tokenizer::{Encoder, HfTokenizer};

/// Arguments of `shardwise bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shared data folder (real corpora, tokenizers, peer benchmark scripts).
    #[arg(long, env = "SHARDWISE_SHARED", default_value = "../shared")]
    shared: PathBuf,
    /// Size of the replicated corpus, in MB of text.
    #[arg(long, default_value_t = 200)]
    corpus_mb: u64,
    /// tokenizer.json to use (default: the shared GPT-2 tokenizer).
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// Scratch directory for the corpus and outputs (reused between runs).
    #[arg(long, default_value = "target/shardwise-bench")]
    work: PathBuf,
    /// Python with datatrove and tokenizers (default: what bench/setup.sh prints).
    #[arg(long)]
    python: Option<String>,
    /// MB of documents the Python baselines process.
    #[arg(long, default_value_t = 10.0)]
    baseline_mb: f64,
    /// Skip the Python baselines.
    #[arg(long)]
    no_baselines: bool,
    /// Threads for the all-cores run (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Also compare read+write through an S3 bucket (`s3://bucket/prefix/`, any
    /// S3-compatible server via AWS_ENDPOINT_URL) against local disk.
    #[arg(long)]
    s3: Option<String>,
    /// Only the S3-versus-disk comparison (needs --s3).
    #[arg(long, requires = "s3")]
    only_s3: bool,
}

const SHARDS: usize = 16;
/// Bump when the corpus recipe changes, so old corpora are not reused.
const RECIPE: u32 = 2;

pub fn run(args: Args) -> anyhow::Result<i32> {
    let shared = &args.shared;
    if !shared.join("data").is_dir() {
        bail!(
            "{}: no data/ folder; pass --shared or set SHARDWISE_SHARED",
            shared.display()
        );
    }
    let tokenizer = args
        .tokenizer
        .clone()
        .unwrap_or_else(|| shared.join("tokenizers/gpt2.tokenizer.json"));
    std::fs::create_dir_all(&args.work)?;
    let work = args.work.canonicalize()?;
    let cores = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    eprintln!(
        "building the corpus ({} MB of text) in {}",
        args.corpus_mb,
        work.display()
    );
    let corpus = build_corpus(shared, &work, args.corpus_mb)?;

    let store = match &args.s3 {
        Some(uri) => Some(store_bench(&work, &corpus, uri, cores)?),
        None => None,
    };
    if let Some(s) = &store {
        println!("{}", s.report());
    }
    if args.only_s3 {
        return Ok(0);
    }

    eprintln!("one thread: read → length → sql → tokenize → write");
    let one = run_pipeline(&work, &tokenizer, &corpus.shards, "out-1", 1)?;
    eprintln!("one thread: each heuristic filter alone, then the FineWeb chain");
    let filters = filter_corpus_runs(&work, &corpus.shards)?;
    eprintln!("{cores} threads: the same, end to end");
    let all = run_pipeline(&work, &tokenizer, &corpus.shards, "out-n", cores)?;

    eprintln!("peak RSS: one shard vs one 20x larger shard");
    let rss_small = peak_rss(&work, &tokenizer, &corpus.small, "rss-small")?;
    let rss_large = peak_rss(&work, &tokenizer, &corpus.large, "rss-large")?;

    // A broken peer environment must not throw away the measurements above.
    let baselines = if args.no_baselines {
        None
    } else {
        match baselines(&args, shared, &tokenizer, &corpus.shards[0]) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("warning: no peer baselines: {e:#}");
                None
            }
        }
    };

    let text_mb = |s: &ShardStats| s.steps.first().map_or(0.0, |r| r.bytes_in as f64 / 1e6);
    let mut report = String::new();
    report.push_str(&format!(
        "corpus: {} shards, {:.1} MB of text ({:.1} MB gzip)\n\nper step, one thread (MB of text per CPU second):\n{}",
        corpus.shards.len(),
        text_mb(&one.0),
        corpus.gz_bytes as f64 / 1e6,
        one.0.table()
    ));
    let e2e1 = text_mb(&one.0) / one.1.as_secs_f64();
    let e2en = text_mb(&all.0) / all.1.as_secs_f64();
    report.push_str(&format!(
        "\nend to end: {e2e1:.2} MB/s on 1 thread; {e2en:.2} MB/s on {cores} threads ({:.2}x)\n",
        e2en / e2e1
    ));
    report.push_str(&format!(
        "peak RSS: {:.0} MB for a {:.1} MB shard, {:.0} MB for a {:.1} MB shard ({:.2}x memory for {:.0}x data)\n",
        rss_small.1 as f64 / 1e6,
        rss_small.0 as f64 / 1e6,
        rss_large.1 as f64 / 1e6,
        rss_large.0 as f64 / 1e6,
        rss_large.1 as f64 / rss_small.1 as f64,
        rss_large.0 as f64 / rss_small.0 as f64
    ));
    let tokenize_step = one
        .0
        .steps
        .iter()
        .find(|s| s.name == "tokenize")
        .map(|s| s.mb_per_s());
    if let Some(b) = &baselines {
        report.push_str(&format!(
            "\nsame documents ({:.1} MB), one core, same run:\n  shardwise tokenize (HfTokenizer, in process): {:.3} MB/s\n  HF tokenizers (Python encode_batch, RAYON_NUM_THREADS=1): {:.3} MB/s\n  ratio: {:.2}x\n",
            b.mb, b.ours_tokenize, b.hf_tokenize, b.ours_tokenize / b.hf_tokenize
        ));
        for (step, mbps) in &b.datatrove {
            report.push_str(&format!("  datatrove {step}: {mbps:.3} MB/s\n"));
        }
    }
    report.push_str(&filter_report(&filters, baselines.as_ref()));
    println!("{report}");
    if let Some(s) = &store {
        println!("{}", s.report());
    }
    let out = json!({
        "store": store.as_ref().map(|s| json!({"local_s": s.local.as_secs_f64(), "s3_s": s.s3.as_secs_f64(), "input_gz_bytes": s.input_bytes, "requests": s.requests, "retries": s.retries})),
        "corpus_mb": text_mb(&one.0),
        "shards": corpus.shards.len(),
        "one_thread": one.0,
        "one_thread_wall_s": one.1.as_secs_f64(),
        "all_threads": all.0,
        "all_threads_wall_s": all.1.as_secs_f64(),
        "threads": cores,
        "end_to_end_mb_per_s_1": e2e1,
        "end_to_end_mb_per_s_n": e2en,
        "tokenize_mb_per_s_per_core": tokenize_step,
        "peak_rss": {"small_shard_bytes": rss_small.0, "small_rss": rss_small.1, "large_shard_bytes": rss_large.0, "large_rss": rss_large.1},
        "baselines": baselines.as_ref().map(|b| json!({"mb": b.mb, "shardwise_tokenize": b.ours_tokenize, "hf_tokenizers": b.hf_tokenize, "datatrove": b.datatrove, "shardwise_filters_same_docs": b.ours_filters})),
        "filters_one_thread_mb_per_s": filters,
    });
    std::fs::write(work.join("bench.json"), serde_json::to_vec_pretty(&out)?)?;
    eprintln!("wrote {}", work.join("bench.json").display());
    Ok(0)
}

/// Read+write through an object store against local disk, same corpus.
struct StoreBench {
    input_bytes: u64,
    local: Duration,
    s3: Duration,
    requests: u64,
    retries: u64,
}

impl StoreBench {
    fn report(&self) -> String {
        let mb = self.input_bytes as f64 / 1e6;
        let local = mb / self.local.as_secs_f64();
        let s3 = mb / self.s3.as_secs_f64();
        format!(
            "read → length → documents (Parquet), {mb:.1} MB of gzip input:\n  local disk: {local:.1} MB/s\n  S3:         {s3:.1} MB/s ({:.2}x local)\n  S3 requests: {} ({} retries), {:.0} per GB of input\n",
            s3 / local,
            self.requests,
            self.retries,
            self.requests as f64 / (self.input_bytes as f64 / 1e9)
        )
    }
}

fn store_pipeline(paths: &[String]) -> String {
    let paths: Vec<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    format!(
        "version = 1\nname = \"store-bench\"\n[input]\npaths = [{}]\n\
         [[stage]]\nkind = \"length\"\nmin_chars = 50\n\
         [output]\nuri = \"unused\"\ndocuments = true\n",
        paths.join(", ")
    )
}

/// Uploads the corpus to `s3` (untimed), then times the same pipeline from and
/// to local disk and from and to the bucket.
fn store_bench(
    work: &Path,
    corpus: &Corpus,
    s3: &str,
    threads: usize,
) -> anyhow::Result<StoreBench> {
    let stores = Stores::new();
    let store = stores.for_uri(s3)?;
    eprintln!("uploading the corpus to {s3}");
    let mut remote = Vec::new();
    for p in &corpus.shards {
        let uri = shardwise::store::join(
            s3,
            &format!("corpus/{}", p.file_name().unwrap().to_string_lossy()),
        );
        if store.size(&uri).ok() != p.metadata().ok().map(|m| m.len()) {
            store.put(&uri, &std::fs::read(p)?)?;
        }
        remote.push(uri);
    }
    let local: Vec<String> = corpus
        .shards
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let opts = run_options(threads, None);
    eprintln!("read + write on local disk");
    let out = work.join("store-local");
    let _ = std::fs::remove_dir_all(&out);
    let mut p = config::load("bench", &store_pipeline(&local), &[])?;
    p.redirect_output(&out.display().to_string());
    let t = Instant::now();
    exec::run(&p, &Stores::new(), &opts)?;
    let local_time = t.elapsed();

    eprintln!("read + write through {s3}");
    let run = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
    );
    let mut p = config::load("bench", &store_pipeline(&remote), &[])?;
    p.output.uri = shardwise::store::join(s3, &format!("out-{run}/"));
    let fresh = p.stores();
    let t = Instant::now();
    let report = exec::run(&p, &fresh, &opts)?;
    Ok(StoreBench {
        input_bytes: corpus.gz_bytes,
        local: local_time,
        s3: t.elapsed(),
        requests: report.store.requests,
        retries: report.store.retries,
    })
}

struct Corpus {
    shards: Vec<PathBuf>,
    small: PathBuf,
    large: PathBuf,
    gz_bytes: u64,
}

/// Every real document of the shared data, as (id, text).
fn real_documents(shared: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for dir in ["data/corpus", "data/jsonl"] {
        for e in std::fs::read_dir(shared.join(dir))? {
            let p = e?.path();
            let name = p.to_string_lossy().into_owned();
            // The .zst twin of the Dolma .gz holds the same documents.
            if name.ends_with(".jsonl.gz")
                || (name.ends_with(".jsonl.zst") && !name.contains("dolma"))
            {
                files.push(name);
            }
        }
    }
    files.sort();
    let mut docs = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let mut r = formats::open(&LocalStore, f, i as u32, &ReadOptions::default())?;
        while let Some(b) = r.next_batch()? {
            let c = Columns::of(&b);
            for row in 0..b.num_rows() {
                docs.push((c.id.value(row).to_string(), c.text.value(row).to_string()));
            }
        }
    }
    Ok(docs)
}

/// Replicates the real documents into JSONL.gz shards; reused when present.
fn build_corpus(shared: &Path, work: &Path, mb: u64) -> anyhow::Result<Corpus> {
    let dir = work.join(format!("corpus-{mb}mb-v{RECIPE}"));
    let rss = dir.join("rss");
    let shards: Vec<PathBuf> = (0..SHARDS)
        .map(|i| dir.join(format!("part-{i:03}.jsonl.gz")))
        .collect();
    let small = rss.join("small.jsonl.gz");
    let large = rss.join("large.jsonl.gz");
    let done = dir.join("_complete");
    if !done.exists() {
        let mut docs = real_documents(shared)?;
        // Mix books, web text, code and sentences evenly over the shards.
        docs.sort_by_cached_key(|(id, _)| twox_hash::XxHash64::oneshot(7, id.as_bytes()));
        let real: usize = docs.iter().map(|d| d.1.len()).sum();
        eprintln!(
            "  {} real documents, {:.1} MB of text",
            docs.len(),
            real as f64 / 1e6
        );
        std::fs::create_dir_all(&dir)?;
        std::fs::create_dir_all(&rss)?;
        let target = mb as usize * 1_000_000;
        write_replicated(&docs, &shards, target)?;
        // The memory check compares shard sizes, so it holds document sizes to
        // web-page scale: one 5 MB book costs more than a whole shard of pages
        // inside the tokenizer (see docs/PERFORMANCE.md).
        let pages: Vec<(String, String)> = docs
            .iter()
            .filter(|d| d.1.len() <= 200_000)
            .cloned()
            .collect();
        write_replicated(&pages, std::slice::from_ref(&small), target / 40)?;
        write_replicated(&pages, std::slice::from_ref(&large), target / 2)?;
        std::fs::write(&done, b"")?;
    }
    let gz_bytes = shards
        .iter()
        .map(|p| p.metadata().map_or(0, |m| m.len()))
        .sum();
    Ok(Corpus {
        shards,
        small,
        large,
        gz_bytes,
    })
}

/// Writes documents round-robin over `paths` until `target` bytes of text,
/// repeating the real documents as often as needed (each copy gets its own id).
fn write_replicated(
    docs: &[(String, String)],
    paths: &[PathBuf],
    target: usize,
) -> anyhow::Result<()> {
    let mut writers: Vec<_> = paths
        .iter()
        .map(|p| {
            std::fs::File::create(p)
                .map(|f| {
                    flate2::write::GzEncoder::new(
                        std::io::BufWriter::new(f),
                        flate2::Compression::fast(),
                    )
                })
                .with_context(|| p.display().to_string())
        })
        .collect::<Result<_, _>>()?;
    let mut written = 0;
    let mut round = 0;
    'outer: loop {
        for (i, (id, text)) in docs.iter().enumerate() {
            let line = json!({"id": format!("{id}#{round}"), "text": text});
            let n = writers.len();
            let w = &mut writers[(i + round) % n];
            serde_json::to_writer(&mut *w, &line)?;
            w.write_all(b"\n")?;
            written += text.len();
            if written >= target {
                break 'outer;
            }
        }
        round += 1;
    }
    for w in writers {
        w.finish()?.flush()?;
    }
    Ok(())
}

fn pipeline_text(tokenizer: &Path, paths: &[PathBuf]) -> String {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    format!(
        "version = 1\nname = \"bench\"\n[input]\npaths = [{}]\n\
         [[stage]]\nkind = \"length\"\nmin_chars = 50\n\
         [[stage]]\nkind = \"sql\"\nwhere = \"url IS NULL OR url NOT LIKE '%/tag/%'\"\n\
         [[stage]]\nkind = \"tokenize\"\ntokenizer = {:?}\neos = true\n\
         [output]\nuri = \"unused\"\n",
        paths.join(", "),
        tokenizer.display().to_string()
    )
}

/// A single-rank run on `threads` threads, as the benchmarks use it.
fn run_options(threads: usize, open_shards: Option<usize>) -> RunOptions {
    RunOptions {
        cluster: Cluster {
            rank: 0,
            world_size: 1,
            source: "bench".into(),
        },
        sample: None,
        threads,
        open_shards,
        progress_every: Duration::from_secs(30),
        examples_per_reason: 0,
    }
}

/// Runs the bench pipeline in process; returns the stats and the wall time.
fn run_pipeline(
    work: &Path,
    tokenizer: &Path,
    shards: &[PathBuf],
    name: &str,
    threads: usize,
) -> anyhow::Result<(ShardStats, Duration)> {
    let out = work.join(name);
    let _ = std::fs::remove_dir_all(&out);
    let mut p = config::load("bench", &pipeline_text(tokenizer, shards), &[])?;
    p.redirect_output(&out.display().to_string());
    let opts = run_options(threads, Some(threads));
    let t = Instant::now();
    let report = exec::run(&p, &Stores::new(), &opts)?;
    Ok((report.stats, t.elapsed()))
}

/// Runs the binary on one shard; returns (text bytes of the shard, peak RSS bytes).
fn peak_rss(work: &Path, tokenizer: &Path, shard: &Path, name: &str) -> anyhow::Result<(u64, u64)> {
    let dir = work.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let pipeline = dir.join("pipeline.toml");
    std::fs::write(&pipeline, pipeline_text(tokenizer, &[shard.to_path_buf()]))?;
    // The child reports its own peak (VmHWM): wait4's ru_maxrss would also count
    // the pages it shared with this process between fork and exec.
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["run", pipeline.to_str().unwrap(), "--out"])
        .arg(dir.join("out"))
        .args(["--threads", "2", "--progress-secs", "0"])
        .env("SHARDWISE_LOG", "warn")
        .output()?;
    if !out.status.success() || !dir.join("out/_SUCCESS").exists() {
        bail!(
            "the {name} run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rss_mb: f64 = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("peak memory: ")?
                .strip_suffix(" MB")?
                .parse()
                .ok()
        })
        .context("the run printed no peak memory line (needs Linux /proc)")?;
    let text: u64 = {
        let mut r = formats::open(
            &LocalStore,
            &shard.display().to_string(),
            0,
            &ReadOptions::default(),
        )?;
        let mut n = 0;
        while let Some(b) = r.next_batch()? {
            n += shardwise::document::text_bytes(&b) as u64;
        }
        n
    };
    Ok((text, (rss_mb * 1e6) as u64))
}

struct Baselines {
    mb: f64,
    ours_tokenize: f64,
    hf_tokenize: f64,
    datatrove: Vec<(String, f64)>,
    /// Our filters (and chain) on the same documents, MB/s on one core.
    ours_filters: Vec<(String, f64)>,
}

/// The peer baselines on the first `--baseline-mb` MB of `shard`, and our
/// tokenizer on exactly the same documents.
fn baselines(
    args: &Args,
    shared: &Path,
    tokenizer: &Path,
    shard: &Path,
) -> anyhow::Result<Baselines> {
    let python = match &args.python {
        Some(p) => p.clone(),
        None => {
            let out = std::process::Command::new("bash")
                .arg(shared.join("bench/setup.sh"))
                .output()
                .context("running bench/setup.sh")?;
            if !out.status.success() {
                bail!(
                    "bench/setup.sh failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            String::from_utf8(out.stdout)?
                .lines()
                .last()
                .unwrap_or("python3")
                .trim()
                .to_string()
        }
    };
    eprintln!("peer baselines with {python} on {:.0} MB", args.baseline_mb);
    let out = std::process::Command::new(&python)
        .arg(shared.join("bench/datatrove_bench.py"))
        .arg("--tokenizer")
        .arg(tokenizer)
        .args(["--max-mb", &args.baseline_mb.to_string()])
        .arg(shard)
        .env("RAYON_NUM_THREADS", "1")
        .env("TOKENIZERS_PARALLELISM", "false")
        .output()?;
    if !out.status.success() {
        bail!(
            "datatrove_bench.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut hf = None;
    let mut datatrove = Vec::new();
    let mut mb = 0.0;
    for line in String::from_utf8(out.stdout)?.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let step = v["step"].as_str().unwrap_or("").to_string();
        let mbps = v["mb_per_s"].as_f64().unwrap_or(0.0);
        mb = v["mb"].as_f64().unwrap_or(mb);
        if step == "hf_tokenizers_encode_batch" {
            hf = Some(mbps);
        } else {
            datatrove.push((step, mbps));
        }
    }
    let hf = hf.context("datatrove_bench.py printed no hf_tokenizers_encode_batch line")?;

    // The same documents the script read: in file order until the byte budget.
    let max = (args.baseline_mb * 1e6) as usize;
    let mut texts = Vec::new();
    let mut total = 0;
    let mut r = formats::open(
        &LocalStore,
        &shard.display().to_string(),
        0,
        &ReadOptions::default(),
    )?;
    'read: while let Some(b) = r.next_batch()? {
        for t in Columns::of(&b).text.iter().flatten() {
            texts.push(t.to_string());
            total += t.len();
            if total >= max {
                break 'read;
            }
        }
    }
    let tok = HfTokenizer::from_bytes("bench", &std::fs::read(tokenizer)?)?;
    let mut ids = Vec::new();
    let t = Instant::now();
    for text in &texts {
        ids.clear();
        tok.encode(text, true, &mut ids)
            .map_err(anyhow::Error::msg)?;
    }
    let ours = total as f64 / 1e6 / t.elapsed().as_secs_f64();
    let ours_filters = filters_on_texts(&texts)?;
    Ok(Baselines {
        mb,
        ours_tokenize: ours,
        hf_tokenize: hf,
        datatrove,
        ours_filters,
    })
}

/// The filters `datatrove_bench.py` measures, configured as it configures them,
/// in the order of its (and FineWeb's) chain.
const FILTERS: &[(&str, &str)] = &[
    ("gopher_repetition", "kind = \"gopher_repetition\"\n"),
    ("gopher_quality", "kind = \"gopher_quality\"\n"),
    (
        "c4_quality",
        "kind = \"c4_quality\"\nfilter_no_terminal_punct = false\n",
    ),
    ("fineweb_quality", "kind = \"fineweb_quality\"\n"),
];

/// The name under which a chain of all [`FILTERS`] is reported.
const CHAIN: &str = "fineweb_chain";

/// A pipeline running `stages` (TOML `[[stage]]` bodies) over `paths`, no output.
fn filter_pipeline(paths: &[PathBuf], stages: &[&str]) -> String {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    let stages: String = stages.iter().map(|s| format!("[[stage]]\n{s}")).collect();
    format!(
        "version = 1\nname = \"bench-filters\"\n[input]\npaths = [{}]\n{stages}[output]\nuri = \"unused\"\n",
        paths.join(", ")
    )
}

/// Each filter alone, then [`CHAIN`]: a name and the `[[stage]]` bodies.
fn filter_runs() -> Vec<(String, Vec<&'static str>)> {
    FILTERS
        .iter()
        .map(|(name, stage)| (name.to_string(), vec![*stage]))
        .chain(std::iter::once((
            CHAIN.to_string(),
            FILTERS.iter().map(|f| f.1).collect(),
        )))
        .collect()
}

/// MB of text per CPU second of the [`FILTERS`] steps among `steps` (for the
/// chain: of all of them together, over the text that entered the first).
fn stages_mb_per_s(steps: &[shardwise::stats::StepStats]) -> f64 {
    let ours: Vec<_> = steps
        .iter()
        .filter(|s| FILTERS.iter().any(|f| f.0 == s.name))
        .collect();
    let nanos: u64 = ours.iter().map(|s| s.nanos).sum();
    let bytes = ours.first().map_or(0, |s| s.bytes_in);
    bytes as f64 / 1e6 / (nanos.max(1) as f64 / 1e9)
}

/// Each filter alone, then the chain, over the whole corpus on one thread.
fn filter_corpus_runs(work: &Path, shards: &[PathBuf]) -> anyhow::Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for (name, stages) in filter_runs() {
        let dir = work.join(format!("out-filter-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        let mut p = config::load("bench-filters", &filter_pipeline(shards, &stages), &[])?;
        p.redirect_output(&dir.display().to_string());
        let report = exec::run(&p, &Stores::new(), &run_options(1, Some(1)))?;
        out.push((name, stages_mb_per_s(&report.stats.steps)));
    }
    Ok(out)
}

/// Each filter alone, then the chain, over exactly `texts` (the documents the
/// datatrove baseline read), in batches as a reader would make them, on one thread.
fn filters_on_texts(texts: &[String]) -> anyhow::Result<Vec<(String, f64)>> {
    use shardwise::document::{BatchBuilder, DocRef};
    use shardwise::exec::runner::{self, Keep};

    let mut batches = Vec::new();
    let mut b = BatchBuilder::new(0, "bench");
    for (i, t) in texts.iter().enumerate() {
        b.push(&DocRef {
            text: t,
            ..Default::default()
        });
        if (i + 1) % 1000 == 0 {
            batches.push(b.flush());
        }
    }
    batches.push(b.flush());
    let stores = Stores::new();
    let mut out = Vec::new();
    for (name, stages) in filter_runs() {
        // Only the stages are built; the input is never read.
        let unused = [PathBuf::from("unused.jsonl")];
        let p = config::load("bench-filters", &filter_pipeline(&unused, &stages), &[])?;
        let built = exec::build_stages(&p, &stores)?;
        let mut steps = Vec::new();
        for batch in &batches {
            let processed = runner::apply_stages(&built, batch.clone(), Keep::default())?;
            if steps.is_empty() {
                steps = processed.steps;
            } else {
                for (a, b) in steps.iter_mut().zip(&processed.steps) {
                    a.merge(b);
                }
            }
        }
        out.push((name, stages_mb_per_s(&steps)));
    }
    Ok(out)
}

/// The filter table: ours on the corpus, ours and datatrove's on the same
/// documents, and the ratio.
fn filter_report(corpus: &[(String, f64)], b: Option<&Baselines>) -> String {
    let mut r = String::from(
        "\nfilters, one core (MB of text per CPU second):\n  filter              corpus    same docs   datatrove     ratio\n",
    );
    for (name, mbps) in corpus {
        let same = b.and_then(|b| b.ours_filters.iter().find(|f| &f.0 == name).map(|f| f.1));
        // datatrove's bench only times its chain with MinHash signatures added.
        let peer_name = if name == CHAIN {
            "fineweb_chain_plus_minhash"
        } else {
            name.as_str()
        };
        let peer = b.and_then(|b| b.datatrove.iter().find(|f| f.0 == peer_name).map(|f| f.1));
        let cell = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.2}"));
        let ratio = match (same, peer) {
            (Some(a), Some(p)) if p > 0.0 => format!("{:.0}x", a / p),
            _ => "-".into(),
        };
        r.push_str(&format!(
            "  {name:<18} {mbps:>7.1} {:>11} {:>11} {ratio:>9}\n",
            cell(same),
            cell(peer),
        ));
    }
    if b.is_some() {
        r.push_str("  (the chain's datatrove figure includes its MinHash signatures; shardwise has no dedup yet)\n");
    }
    r
}
