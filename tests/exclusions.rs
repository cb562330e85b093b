//! `output.exclusions` and `shardwise report`: every document read is either
//! kept or listed once with its stage and reason, the report's counts equal the
//! run's, and the listing is identical for any thread count.

use std::collections::{BTreeMap, HashSet};

use arrow::array::AsArray;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::util;

/// A filter chain over the project's sample shards, with a rewrite (C4) in it.
fn pipeline(dir: &std::path::Path) -> std::path::PathBuf {
    let data = util::repo().join("examples/data");
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!(
            r#"version = 1
[input]
paths = [{wet:?}, {zst:?}]
[[stage]]
kind = "length"
min_chars = 200
[[stage]]
kind = "gopher_repetition"
[[stage]]
kind = "c4_quality"
filter_no_terminal_punct = false
[[stage]]
kind = "fineweb_quality"
[[stage]]
kind = "tokenize"
tokenizer = {tok:?}
[output]
uri = "unused"
documents = true
exclusions = true
"#,
            wet = data.join("*.warc.wet.gz").display().to_string(),
            zst = data.join("*.jsonl.zst").display().to_string(),
            tok = data.join("tokenizer.json").display().to_string(),
        ),
    )
    .unwrap();
    p
}

/// `(id, column)` of every row of the Parquet files under `dir`.
fn rows(dir: &std::path::Path, column: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (rel, bytes) in util::tree(dir) {
        if !rel.ends_with(".parquet") {
            continue;
        }
        let r = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap();
        for b in r {
            let b = b.unwrap();
            let id = b.column_by_name("id").unwrap().as_string::<i32>();
            let c = b.column_by_name(column).unwrap().as_string::<i32>();
            for i in 0..b.num_rows() {
                out.push((id.value(i).to_string(), c.value(i).to_string()));
            }
        }
    }
    out
}

/// Runs pipeline `p` into `out` on `threads` threads; returns stdout.
fn run(dir: &std::path::Path, p: &std::path::Path, out: &std::path::Path, threads: &str) -> String {
    let o = util::run_in(
        dir,
        &[
            "run",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--threads",
            threads,
            "--progress-secs",
            "0",
        ],
    );
    let all = util::text(&o);
    assert!(o.status.success(), "{all}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_removed_document_is_listed_once_and_report_counts_match_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stdout = run(dir.path(), &pipeline(dir.path()), &out, "2");

    let kept: Vec<String> = rows(&out.join("documents"), "text")
        .into_iter()
        .map(|r| r.0)
        .collect();
    let removed = rows(&out.join("exclusions"), "stage");
    let reasons = rows(&out.join("exclusions"), "reason");
    assert!(!kept.is_empty() && !removed.is_empty(), "{stdout}");
    // Kept and removed are disjoint, nothing is listed twice, and together
    // they are every document read.
    let mut seen = HashSet::new();
    for id in kept.iter().chain(removed.iter().map(|r| &r.0)) {
        assert!(seen.insert(id.clone()), "{id} listed twice");
    }
    let read = util::step_docs(&stdout, "read", 1);
    assert_eq!(seen.len() as u64, read, "{stdout}");

    let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    for ((_, stage), (_, reason)) in removed.iter().zip(&reasons) {
        *counts.entry((stage.clone(), reason.clone())).or_default() += 1;
    }
    // Several stages removed something, and the run's table says the same.
    let stages: HashSet<&str> = counts.keys().map(|k| k.0.as_str()).collect();
    assert!(stages.len() >= 2, "{counts:?}");
    for ((_, reason), n) in &counts {
        let cell = format!("{reason}={n}");
        assert!(
            stdout.split_whitespace().any(|t| t == cell),
            "{cell} not in {stdout}"
        );
    }

    let o = util::run_in(dir.path(), &["report", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", util::text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"].as_u64().unwrap(), kept.len() as u64);
    assert_eq!(v["removed_total"].as_u64().unwrap(), removed.len() as u64);
    let reported: BTreeMap<(String, String), u64> = v["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                (
                    r["stage"].as_str().unwrap().to_string(),
                    r["reason"].as_str().unwrap().to_string(),
                ),
                r["documents"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(reported, counts);

    // The text table names the same counts.
    let o = util::run_in(dir.path(), &["report", out.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains(&format!("{} removed", removed.len())),
        "{table}"
    );
}

#[test]
fn exclusions_are_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let p = pipeline(dir.path());
    run(dir.path(), &p, &a, "1");
    run(dir.path(), &p, &b, "2");
    let (ta, tb) = (
        util::tree(&a.join("exclusions")),
        util::tree(&b.join("exclusions")),
    );
    assert!(!ta.is_empty());
    assert!(ta == tb, "exclusions differ between 1 and 2 threads");
}

#[test]
fn report_on_an_unfinished_output_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = util::run_in(dir.path(), &["report", dir.path().to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("_dataset.json: not found"), "{err}");
}

#[test]
fn a_filters_only_run_reports_the_documents_it_kept() {
    // No tokenize stage and no documents output: exclusions alone still give
    // a report whose kept count is right.
    let dir = tempfile::tempdir().unwrap();
    let p = pipeline(dir.path());
    let text = std::fs::read_to_string(&p).unwrap();
    let start = text.find("[[stage]]\nkind = \"tokenize\"").unwrap();
    let end = text.find("[output]").unwrap();
    let text = format!("{}{}", &text[..start], &text[end..]).replace("documents = true\n", "");
    std::fs::write(&p, text).unwrap();
    let out = dir.path().join("out");
    let stdout = run(dir.path(), &p, &out, "2");
    let written = util::step_docs(&stdout, "write", 2);
    assert!(written > 0, "{stdout}");
    let o = util::run_in(dir.path(), &["report", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", util::text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["documents"].as_u64().unwrap(), written);
    let removed = rows(&out.join("exclusions"), "reason").len() as u64;
    assert_eq!(v["removed_total"].as_u64().unwrap(), removed);
    assert!(removed > 0);
}
