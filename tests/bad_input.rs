//! Bad input costs only itself: a truncated gzip shard, a corrupt member in the
//! middle, a malformed JSON line and invalid UTF-8 are each reported with the file
//! and the offset or line; every other record and shard completes; the exit code
//! and the report say what was skipped.

use std::path::{Path, PathBuf};

use crate::util;

const GZIP_HEADER: [u8; 4] = [0x1f, 0x8b, 0x08, 0x00];

/// Offsets of gzip members in a per-record gzip file (our fixtures write plain headers).
fn members(bytes: &[u8]) -> Vec<usize> {
    bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == GZIP_HEADER)
        .map(|(i, _)| i)
        .collect()
}

struct Fixture {
    dir: tempfile::TempDir,
    /// Byte offset of the damaged member in `corrupt.warc.wet.gz`.
    corrupt_at: usize,
    /// Conversion records in the undamaged source of the two WET files.
    wet_docs: usize,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let wet = std::fs::read(util::repo().join("examples/data/CC-SAMPLE-2024-22-00002.warc.wet.gz"))
        .unwrap();
    let m = members(&wet);
    let wet_docs = m.len() - 1; // the first member is warcinfo

    // A member in the middle, damaged inside its deflate data.
    let mut corrupt = wet.clone();
    let at = m[m.len() / 2];
    for b in &mut corrupt[at + 12..at + 40] {
        *b = 0xA5;
    }
    std::fs::write(input.join("corrupt.warc.wet.gz"), corrupt).unwrap();

    // Cut in the middle of a member two thirds in.
    let cut = m[2 * m.len() / 3] + 30;
    std::fs::write(input.join("truncated.warc.wet.gz"), &wet[..cut]).unwrap();

    let good = |i: usize| {
        format!(
            "{{\"id\":\"d{i}\",\"text\":\"document number {i} has enough words in it to be kept by every filter here\"}}\n"
        )
    };
    let mut jsonl = Vec::new();
    jsonl.extend(good(0).bytes());
    jsonl.extend(b"{\"id\":\"broken\",\"text\":\"unterminated\n");
    jsonl.extend(good(1).bytes());
    jsonl.extend(b"{\"id\":\"latin1\",\"text\":\"caf\xe9\"}\n");
    jsonl.extend(good(2).bytes());
    std::fs::write(input.join("lines.jsonl"), jsonl).unwrap();

    let clean: String = (10..15).map(good).collect();
    std::fs::write(input.join("clean.jsonl"), clean).unwrap();
    Fixture {
        dir,
        corrupt_at: at,
        wet_docs,
    }
}

fn pipeline(dir: &Path, extra: &str) -> PathBuf {
    let tok = util::repo().join("examples/data/tokenizer.json");
    let text = format!(
        "version = 1\n[input]\npaths = [\"{}/in/\"]\n{extra}\n[[stage]]\nkind = \"tokenize\"\ntokenizer = \"{}\"\n[output]\nuri = \"x\"\n",
        dir.display(),
        tok.display()
    );
    let p = dir.join("p.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn dataset(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("_dataset.json")).unwrap()).unwrap()
}

fn docs_of(index: &serde_json::Value, file: &str) -> u64 {
    index["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["shard"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("{file} has no output: {index:#}"))["documents"]
        .as_u64()
        .unwrap()
}

#[test]
fn damaged_records_are_named_skipped_and_counted_while_the_rest_completes() {
    let f = fixture();
    let p = pipeline(f.dir.path(), "");
    let out = f.dir.path().join("out");
    let o = util::run_pipeline(&p, &out);
    let all = util::text(&o);
    assert_eq!(o.status.code(), Some(3), "partial runs exit 3: {all}");

    let lines = format!("{}/in/lines.jsonl", f.dir.path().display());
    assert!(
        all.contains(&format!("shard {lines}: line 2 (byte 94): invalid JSON")),
        "{all}"
    );
    assert!(
        all.contains(&format!("shard {lines}: line 4 (byte ")) && all.contains("invalid unicode"),
        "{all}"
    );
    let corrupt = format!("{}/in/corrupt.warc.wet.gz", f.dir.path().display());
    assert!(
        all.contains(&format!(
            "shard {corrupt}: compressed byte {}: gzip member is corrupt",
            f.corrupt_at
        )),
        "{all}"
    );
    let truncated = format!("{}/in/truncated.warc.wet.gz", f.dir.path().display());
    assert!(
        all.contains(&format!("shard {truncated}: compressed byte ")) && all.contains("truncated"),
        "{all}"
    );
    assert!(
        all.contains("skipped input ("),
        "the report lists what was skipped: {all}"
    );

    let index = dataset(&out);
    assert_eq!(docs_of(&index, "clean.jsonl"), 5);
    assert_eq!(docs_of(&index, "lines.jsonl"), 3);
    assert_eq!(
        docs_of(&index, "corrupt.warc.wet.gz"),
        f.wet_docs as u64 - 1,
        "only the damaged record is lost"
    );
    let t = docs_of(&index, "truncated.warc.wet.gz");
    assert!(
        t > 0 && (t as usize) < f.wet_docs,
        "records before the cut survive: {t}"
    );
    assert!(index["quarantined"].as_array().unwrap().is_empty());
}

#[test]
fn a_shard_over_its_damage_budget_is_quarantined_and_listed() {
    let f = fixture();
    let p = pipeline(f.dir.path(), "max_bad_records = 1");
    let out = f.dir.path().join("out");
    let o = util::run_pipeline(&p, &out);
    let all = util::text(&o);
    assert_eq!(o.status.code(), Some(3), "{all}");
    let index = dataset(&out);
    let q: Vec<String> = index["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[0].as_str().unwrap().to_string())
        .collect();
    assert!(q.iter().any(|s| s.ends_with("lines.jsonl")), "{index:#}");
    assert!(!q.iter().any(|s| s.ends_with("clean.jsonl")), "{index:#}");
    assert!(
        all.contains("quarantined shards: ") && all.contains("over the budget of 1"),
        "{all}"
    );
    // The other shards are complete.
    assert_eq!(docs_of(&index, "clean.jsonl"), 5);
}
