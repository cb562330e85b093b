//! `shardwise plan`: which shards each rank gets, the bytes per rank and the phases
//! that will run, without reading any shard.
//!
//! Uses the same [`manifest::expand`] and [`manifest::slice`] as `run`, so what it
//! prints is what every rank will do. Listed shards carry their sizes (the listing
//! has them); manifest lines do not, and are not stat'ed, so such plans balance by
//! count.

use std::fmt::Write as _;

use shardwise::manifest::{self, Balance, Shard};

/// Arguments of `shardwise plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pipeline file.
    pub file: String,
    /// Number of ranks (nodes) to plan for.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub world_size: u32,
    /// Override a field by its dotted path, e.g. `--set input.paths=["data/*.jsonl"]`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Local output and work directory, as for `run`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<String>,
    /// List every shard of every rank (default: the first 3).
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let mut pipeline = shardwise::config::load_file(&args.file, &args.set)
        .map_err(shardwise::error::Error::from)?;
    if let Some(dir) = &args.out {
        pipeline.redirect_output(dir);
    }
    let input = &pipeline.input;
    let shards = manifest::expand(
        &pipeline.stores(),
        &input.paths,
        input.manifest.as_deref(),
        input.base.as_deref(),
    )?;
    let slices = manifest::slice(&shards, args.world_size);

    let mut out = String::new();
    let name = pipeline.name.as_deref().unwrap_or("(unnamed)");
    let _ = writeln!(out, "pipeline {name} ({})", args.file);
    let _ = writeln!(
        out,
        "output {} (work {})",
        pipeline.output.uri,
        pipeline.output.work_uri()
    );
    let kinds: Vec<&str> = pipeline.stages.iter().map(|s| s.kind()).collect();
    let _ = writeln!(out, "phases: {}", phases(&kinds));
    out.push_str(&render(&shards, &slices, args.verbose));
    print!("{out}");
    Ok(0)
}

/// The phases a pipeline runs, with the stages of each (DESIGN.md §3): one `emit`
/// phase, or, with a `dedup_*` stage, scan → match → resolve → emit split there.
fn phases(kinds: &[&str]) -> String {
    let list = |ks: &[&str]| {
        if ks.is_empty() {
            String::new()
        } else {
            format!(" [{}]", ks.join(", "))
        }
    };
    match kinds.iter().position(|k| k.starts_with("dedup")) {
        None => format!("emit{}", list(kinds)),
        Some(d) => format!(
            "scan{} → match → resolve{} → emit{}",
            list(&kinds[..d]),
            list(&kinds[d..=d]),
            list(&kinds[d + 1..])
        ),
    }
}

/// The per-rank part of the plan: totals, balance and skew, then each rank.
fn render(shards: &[Shard], slices: &[Vec<u32>], verbose: bool) -> String {
    let mut out = String::new();
    let world = slices.len();
    let unknown = shards.iter().filter(|s| s.size.is_none()).count();
    let total: u64 = shards.iter().filter_map(|s| s.size).sum();
    let total = match unknown {
        0 => human_bytes(total),
        n if n == shards.len() => "size unknown".to_string(),
        n => format!("{} known, {n} shards of unknown size", human_bytes(total)),
    };
    let _ = writeln!(out, "input: {} shards, {total}", shards.len());

    let counts: Vec<u64> = slices.iter().map(|l| l.len() as u64).collect();
    let bytes = manifest::rank_bytes(shards, slices);
    let ratio = |s: Option<f64>| s.map_or_else(|| "n/a".to_string(), |s| format!("{s:.3}"));
    match Balance::of(shards) {
        Balance::Bytes => {
            let _ = writeln!(
                out,
                "world size {world}, balanced by bytes: byte skew max/mean {}, shards per rank \
                 max/mean {}",
                ratio(manifest::skew(&bytes)),
                ratio(manifest::skew(&counts))
            );
        }
        Balance::Count => {
            let _ = writeln!(
                out,
                "world size {world}, balanced by count ({unknown} shards of unknown size, \
                 e.g. manifest lines): shards per rank max/mean {}",
                ratio(manifest::skew(&counts))
            );
        }
    }
    let idle = counts.iter().filter(|&&c| c == 0).count();
    if idle > 0 {
        let _ = writeln!(
            out,
            "note: {idle} of {world} ranks get no shards (more ranks than shards)"
        );
    }

    let by_index: std::collections::HashMap<u32, &Shard> =
        shards.iter().map(|s| (s.index, s)).collect();
    for (rank, list) in slices.iter().enumerate() {
        let known = list
            .iter()
            .all(|i| by_index.get(i).is_some_and(|s| s.size.is_some()));
        let size = if known {
            human_bytes(bytes[rank])
        } else {
            "size unknown".to_string()
        };
        let plural = if list.len() == 1 { "" } else { "s" };
        let _ = writeln!(out, "\nrank {rank}: {} shard{plural}, {size}", list.len());
        let shown = if verbose {
            list.len()
        } else {
            list.len().min(3)
        };
        for i in &list[..shown] {
            let uri = by_index.get(i).map_or("?", |s| s.uri.as_str());
            let _ = writeln!(out, "  {uri}");
        }
        if shown < list.len() {
            let _ = writeln!(out, "  … {} more", list.len() - shown);
        }
    }
    out
}

/// `1536` → `1.5 KiB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards(sizes: &[Option<u64>]) -> Vec<Shard> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| Shard {
                index: i as u32,
                uri: format!("s3://b/cc/{i:03}.warc.wet.gz"),
                size,
            })
            .collect()
    }

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
    }

    #[test]
    fn plans_by_bytes_show_skew_and_the_first_three_shards() {
        let s = shards(&[
            Some(100),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(50),
            Some(50),
        ]);
        let text = render(&s, &manifest::slice(&s, 2), false);
        assert!(text.contains("input: 8 shards, 205 B"), "{text}");
        assert!(
            text.contains("world size 2, balanced by bytes: byte skew max/mean 1.005"),
            "{text}"
        );
        // 100 → rank 0, both 50s → rank 1, then the 1s alternate from rank 0.
        assert!(text.contains("rank 0: 4 shards, 103 B"), "{text}");
        assert!(text.contains("rank 1: 4 shards, 102 B"), "{text}");
        assert_eq!(text.matches("  … 1 more").count(), 2, "{text}");
        assert!(!text.contains("007.warc.wet.gz"), "{text}");

        let verbose = render(&s, &manifest::slice(&s, 2), true);
        assert!(!verbose.contains("more"), "{verbose}");
        assert_eq!(verbose.matches("  s3://").count(), 8, "{verbose}");
        assert!(verbose.contains("  s3://b/cc/007.warc.wet.gz"), "{verbose}");
    }

    #[test]
    fn plans_without_sizes_balance_by_count() {
        let s = shards(&[None, Some(5), None]);
        let text = render(&s, &manifest::slice(&s, 4), false);
        assert!(
            text.contains("input: 3 shards, 5 B known, 2 shards of unknown size"),
            "{text}"
        );
        assert!(
            text.contains("balanced by count (2 shards of unknown size"),
            "{text}"
        );
        assert!(text.contains("note: 1 of 4 ranks get no shards"), "{text}");
        assert!(text.contains("rank 0: 1 shard, size unknown"), "{text}");
        assert!(text.contains("rank 1: 1 shard, 5 B"), "{text}");
        assert!(text.contains("rank 3: 0 shards, 0 B"), "{text}");
    }

    #[test]
    fn phases_split_at_the_first_dedup_stage() {
        assert_eq!(phases(&[]), "emit");
        assert_eq!(phases(&["length", "tokenize"]), "emit [length, tokenize]");
        assert_eq!(
            phases(&["language", "dedup_minhash", "tokenize"]),
            "scan [language] → match → resolve [dedup_minhash] → emit [tokenize]"
        );
    }
}
