//! Slicing the shard list across ranks: every shard exactly once, the same answer
//! every time, and how well greedy-by-bytes balances; `shardwise plan` end to end.

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shardwise::manifest::{self, Balance, Shard};

use crate::util;

/// Shards with sizes spread over many orders of magnitude (1 B .. 16 GiB), some
/// lists with every size known and some with gaps (manifest lines).
fn shard_lists() -> impl Strategy<Value = Vec<Shard>> {
    let shard = (0u32..34, any::<u64>(), prop::bool::weighted(0.9));
    (any::<bool>(), prop::collection::vec(shard, 0..300)).prop_map(|(all_known, v)| {
        v.into_iter()
            .enumerate()
            .map(|(i, (exp, r, known))| Shard {
                index: i as u32,
                uri: format!("s3://bucket/cc/{i:05}.warc.wet.gz"),
                size: (all_known || known).then(|| (1u64 << exp) + r % (1u64 << exp)),
            })
            .collect()
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn every_shard_is_assigned_exactly_once_and_deterministically() {
    let mut runner = TestRunner::new(Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    });
    // Byte skew (max/mean) of lists with at least 10 shards per rank.
    let skews = RefCell::new(Vec::new());
    runner
        .run(&(shard_lists(), 1u32..=64), |(shards, world)| {
            let slices = manifest::slice(&shards, world);
            prop_assert_eq!(slices.len(), world as usize);

            let mut all: Vec<u32> = slices.concat();
            all.sort_unstable();
            let want: Vec<u32> = (0..shards.len() as u32).collect();
            prop_assert_eq!(&all, &want, "every shard exactly once");
            for list in &slices {
                prop_assert!(list.is_sorted(), "each rank's list is in index order");
            }

            // The same answer again, and whatever order the list arrives in.
            prop_assert_eq!(&manifest::slice(&shards, world), &slices);
            let reversed: Vec<Shard> = shards.iter().rev().cloned().collect();
            prop_assert_eq!(&manifest::slice(&reversed, world), &slices);

            // for_rank agrees with slice.
            for (rank, list) in slices.iter().enumerate() {
                let mine: Vec<u32> = manifest::for_rank(&shards, rank as u32, world)
                    .iter()
                    .map(|s| s.index)
                    .collect();
                prop_assert_eq!(&mine, list);
            }

            match Balance::of(&shards) {
                Balance::Bytes => {
                    // List scheduling never exceeds the mean plus the largest shard.
                    let bytes = manifest::rank_bytes(&shards, &slices);
                    let total: u128 = bytes.iter().map(|&b| u128::from(b)).sum();
                    let largest = shards.iter().filter_map(|s| s.size).max().unwrap_or(0);
                    let max = bytes.iter().copied().max().unwrap_or(0);
                    prop_assert!(
                        u128::from(max) * u128::from(world)
                            <= total + u128::from(largest) * u128::from(world),
                        "max {} > mean {} + largest {}",
                        max,
                        total / u128::from(world),
                        largest
                    );
                    if shards.len() >= 10 * world as usize
                        && let Some(s) = manifest::skew(&bytes)
                    {
                        // No slicing beats max(1, largest / mean): one shard is indivisible.
                        let floor = (largest as f64 * f64::from(world) / total as f64).max(1.0);
                        skews.borrow_mut().push((s, s / floor));
                    }
                }
                Balance::Count => {
                    let lens: Vec<usize> = slices.iter().map(Vec::len).collect();
                    let spread = lens.iter().max().unwrap() - lens.iter().min().unwrap();
                    prop_assert!(spread <= 1, "round-robin counts differ by {}", spread);
                }
            }
            Ok(())
        })
        .unwrap();

    let skews = skews.into_inner();
    if skews.is_empty() {
        eprintln!("slicing: no byte-balanced list had ≥ 10 shards per rank");
        return;
    }
    let summary = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        format!(
            "median {:.3}, p90 {:.3}, worst {:.3}",
            percentile(&v, 0.5),
            percentile(&v, 0.9),
            v[v.len() - 1]
        )
    };
    eprintln!(
        "slicing: byte skew (max/mean) over {} lists with ≥ 10 shards per rank (sizes 1 B..16 GiB): \
         {}; relative to the floor max(1, largest/mean): {}",
        skews.len(),
        summary(skews.iter().map(|s| s.0).collect()),
        summary(skews.iter().map(|s| s.1).collect()),
    );
}

/// The byte skew a round-robin deal would give the same list.
fn round_robin_skew(shards: &[Shard], world: u32) -> f64 {
    let sizeless: Vec<Shard> = shards
        .iter()
        .map(|s| Shard {
            size: None,
            ..s.clone()
        })
        .collect();
    let slices = manifest::slice(&sizeless, world);
    manifest::skew(&manifest::rank_bytes(shards, &slices)).unwrap()
}

#[test]
fn greedy_by_bytes_beats_round_robin_on_skewed_sizes() {
    // Every 4th shard is big: round-robin over 4 ranks stacks them all on rank 0.
    let shards: Vec<Shard> = (0..400u32)
        .map(|i| Shard {
            index: i,
            uri: format!("s3://b/{i:04}.jsonl.zst"),
            size: Some(if i % 4 == 0 { 1 << 30 } else { 1 << 20 }),
        })
        .collect();
    let greedy =
        manifest::skew(&manifest::rank_bytes(&shards, &manifest::slice(&shards, 4))).unwrap();
    let rr = round_robin_skew(&shards, 4);
    eprintln!("slicing: stacked sizes, 4 ranks: greedy skew {greedy:.3}, round-robin {rr:.3}");
    assert!(greedy < 1.01, "greedy skew {greedy}");
    assert!(rr > 3.0, "round-robin skew {rr}");

    // Heavy-tailed sizes (a few huge shards among many small ones), fixed seed.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let shards: Vec<Shard> = (0..2000u32)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Shard {
                index: i,
                uri: format!("s3://b/{i:05}.parquet"),
                size: Some(1 + (x % (1 << 20)) * (1 << (x >> 60))),
            }
        })
        .collect();
    for world in [8, 32, 64] {
        let greedy = manifest::skew(&manifest::rank_bytes(
            &shards,
            &manifest::slice(&shards, world),
        ))
        .unwrap();
        let rr = round_robin_skew(&shards, world);
        eprintln!(
            "slicing: heavy-tailed sizes, {world} ranks: greedy skew {greedy:.3}, \
             round-robin {rr:.3}"
        );
        assert!(
            greedy < rr,
            "world {world}: greedy {greedy} vs round-robin {rr}"
        );
    }
}

/// A directory of shards with known sizes and a pipeline reading it.
fn plan_fixture(dir: &std::path::Path) -> String {
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("more")).unwrap();
    for (name, len) in [
        ("a.jsonl", 3000),
        ("b.jsonl", 1000),
        ("c.jsonl", 1000),
        ("d.jsonl", 1000),
        ("more/e.jsonl", 500),
        ("_SUCCESS", 0),
    ] {
        std::fs::write(data.join(name), vec![b'x'; len]).unwrap();
    }
    let pipeline = dir.join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            "version = 1\nname = \"plan-test\"\n\n[input]\npaths = [\"{}\"]\n\n\
             [output]\nuri = \"{}\"\n",
            data.display(),
            dir.join("out").display()
        ),
    )
    .unwrap();
    pipeline.display().to_string()
}

#[test]
fn plan_prints_each_rank_with_bytes_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = plan_fixture(dir.path());
    let out = util::run_in(dir.path(), &["plan", &pipeline, "--world-size", "2"]);
    let text = util::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in [
        "pipeline plan-test",
        "phases: emit",
        "input: 5 shards, 6.3 KiB",
        "balanced by bytes: byte skew max/mean 1.077",
        // 3000 → rank 0; 1000, 1000, 1000 → rank 1; 500 → rank 0.
        "rank 0: 2 shards, 3.4 KiB",
        "rank 1: 3 shards, 2.9 KiB",
        "/data/more/e.jsonl",
    ] {
        assert!(stdout.contains(want), "missing `{want}`\n{text}");
    }
    assert!(!stdout.contains("_SUCCESS"), "{text}");

    let out = util::run_in(dir.path(), &["plan", &pipeline, "--world-size", "1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  … 2 more"), "{}", util::text(&out));
    let out = util::run_in(
        dir.path(),
        &["plan", &pipeline, "--world-size", "1", "--verbose"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches(".jsonl\n").count(),
        5,
        "{}",
        util::text(&out)
    );
}

#[test]
fn plan_of_a_manifest_balances_by_count() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = plan_fixture(dir.path());
    std::fs::write(
        dir.path().join("list.txt"),
        "# shards\na.jsonl\nb.jsonl\n\nc.jsonl\n",
    )
    .unwrap();
    let out = util::run_in(
        dir.path(),
        &[
            "plan",
            &pipeline,
            "--world-size",
            "3",
            "--set",
            "input.paths=[]",
            "--set",
            "input.manifest=\"list.txt\"",
            "--set",
            "input.base=\"data/\"",
        ],
    );
    let text = util::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for want in [
        "input: 3 shards, size unknown",
        "balanced by count",
        "rank 2: 1 shard, size unknown\n  data/c.jsonl",
    ] {
        assert!(stdout.contains(want), "missing `{want}`\n{text}");
    }
}

#[test]
fn plan_names_an_input_that_matches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = plan_fixture(dir.path());
    let out = util::run_in(
        dir.path(),
        &[
            "plan",
            &pipeline,
            "--world-size",
            "2",
            "--set",
            "input.paths=[\"data/*.parquet\"]",
        ],
    );
    let text = util::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("input path `data/*.parquet` matches no objects"),
        "{text}"
    );
}
