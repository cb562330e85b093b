//! `shardwise run`: this rank's share of a pipeline, then the report.

use std::time::Duration;

use shardwise::cluster;
use shardwise::config;
use shardwise::error::EXIT_PARTIAL;
use shardwise::exec::{self, RunOptions, RunReport};

/// Arguments of `shardwise run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pipeline file (TOML).
    pipeline: String,
    /// This process's rank (also SHARDWISE_RANK, torchrun, Slurm, MPI, SageMaker...).
    #[arg(long)]
    rank: Option<u32>,
    /// Number of ranks in the job.
    #[arg(long)]
    world_size: Option<u32>,
    /// Write output and work files to this local directory instead.
    #[arg(long)]
    out: Option<String>,
    /// Dry run: read at most N documents per shard and show removed examples.
    #[arg(long)]
    sample: Option<u64>,
    /// Override a pipeline field: `--set stage[1].min_chars=50`.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    overrides: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long, env = "SHARDWISE_THREADS")]
    threads: Option<usize>,
    /// Shards read at the same time (default: the thread count).
    #[arg(long)]
    open_shards: Option<usize>,
    /// Seconds between `shardwise_progress` lines on stderr (0: none).
    #[arg(long, env = "SHARDWISE_PROGRESS_SECS", default_value_t = 30)]
    progress_secs: u64,
    /// Removed documents shown per stage and reason (default: 3 with --sample, else 0).
    #[arg(long)]
    examples: Option<usize>,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut pipeline = config::load_file(&args.pipeline, &args.overrides)?;
    if let Some(dir) = &args.out {
        pipeline.redirect_output(dir);
    } else if args.sample.is_some() {
        anyhow::bail!("a dry run (--sample) writes locally: pass --out DIR");
    }
    let env = |k: &str| std::env::var(k).ok();
    let cluster = cluster::detect(
        args.rank,
        args.world_size,
        &env,
        &cluster::opt_ml_root(&env),
    )?;
    tracing::info!(
        rank = cluster.rank,
        world_size = cluster.world_size,
        source = %cluster.source,
        "rank and world size"
    );
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = RunOptions {
        cluster,
        sample: args.sample,
        threads,
        open_shards: args.open_shards,
        progress_every: Duration::from_secs(args.progress_secs),
        examples_per_reason: args
            .examples
            .unwrap_or(if args.sample.is_some() { 3 } else { 0 }),
    };
    let report = exec::run(&pipeline, &pipeline.stores(), &opts)?;
    print_report(&report, &opts);
    Ok(if report.partial() { EXIT_PARTIAL } else { 0 })
}

fn print_report(r: &RunReport, opts: &RunOptions) {
    println!(
        "rank {} of {}: {} of {} shards ({} already committed, skipped) in {:.1}s",
        opts.cluster.rank,
        opts.cluster.world_size,
        r.shards_mine,
        r.shards_total,
        r.shards_skipped,
        r.wall.as_secs_f64()
    );
    print!("{}", r.stats.table());
    if r.store.requests > 0 {
        println!(
            "object store: {} requests, {} retries, {} broken reads resumed",
            r.store.requests, r.store.retries, r.store.resumed_reads
        );
    }
    if let Some(rss) = shardwise::stats::peak_rss_bytes() {
        println!("peak memory: {:.0} MB", rss as f64 / 1e6);
    }
    if !r.examples.is_empty() {
        println!("\nexamples of removed documents:");
        for e in &r.examples {
            println!(
                "  [stage[{}] {} / {}] {}  {}\n      {:?}",
                e.stage,
                r.stage_names.get(e.stage).map_or("?", |s| s.as_str()),
                e.reason,
                e.id,
                e.url.as_deref().unwrap_or("-"),
                e.head
            );
        }
    }
    if !r.stats.problems.is_empty() {
        println!(
            "\nskipped input ({} records, {} shards quarantined):",
            r.stats.bad_records, r.stats.quarantined
        );
        for p in &r.stats.problems {
            println!("  {p}");
        }
    }
    match &r.index {
        Some((index, all)) => {
            println!(
                "\ndataset complete: {} documents, {} tokens ({}) in {} outputs; index written",
                index.documents,
                index.tokens,
                index.dtype.as_deref().unwrap_or("-"),
                index.outputs.len()
            );
            if !index.quarantined.is_empty() {
                println!("quarantined shards: {}", index.quarantined.len());
                for (s, why) in &index.quarantined {
                    println!("  {s}: {why}");
                }
            }
            if all.partial() {
                println!(
                    "the run is PARTIAL: {} damaged records skipped",
                    all.bad_records
                );
            }
        }
        None => println!(
            "\nother ranks are still running; the last rank to finish writes the dataset index"
        ),
    }
}
