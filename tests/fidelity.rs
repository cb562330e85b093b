//! Filter fidelity in CI: every heuristic filter, run alone by the binary, must
//! agree with datatrove 0.10.1's decision on at least 99.5% of a fixed set of
//! real documents (and, for `c4_quality`, keep the same text).
//!
//! The reference decisions (`tests/data/filter_reference.jsonl`: shared-data file,
//! document id, one decision per filter, SHA-1 of the text `c4_quality` keeps)
//! come from `tests/parity/run_parity.py --golden`. The documents themselves are
//! read from `$SHARDWISE_SHARED` with shardwise's own readers; without it the
//! test skips. Disagreements are printed, with the documents' ids; each class is
//! explained in docs/FIDELITY.md.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use arrow::array::{Array, AsArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use sha1::{Digest, Sha1};
use shardwise::document::Columns;
use shardwise::formats::{self, ReadOptions};
use shardwise::store::LocalStore;

use crate::util;

/// The minimum agreement per filter, from issue 4.
const MIN_AGREEMENT: f64 = 0.995;

/// Each checked filter: the golden column and the stage it runs as.
fn filters(shared: &std::path::Path) -> Vec<(&'static str, String)> {
    let model = shared.join("models/lid.176.ftz");
    let words = util::repo().join("tests/data/c4_badwords_en.txt");
    vec![
        ("gopher_repetition", "kind = \"gopher_repetition\"\n".into()),
        ("gopher_quality", "kind = \"gopher_quality\"\n".into()),
        ("c4_quality", "kind = \"c4_quality\"\n".into()),
        (
            "c4_quality_fineweb",
            "kind = \"c4_quality\"\nfilter_no_terminal_punct = false\n".into(),
        ),
        (
            "c4_badwords",
            format!(
                "kind = \"c4_badwords\"\nwords = {:?}\n",
                words.display().to_string()
            ),
        ),
        ("fineweb_quality", "kind = \"fineweb_quality\"\n".into()),
        (
            "language",
            format!(
                "kind = \"language\"\nmodel = {:?}\nlanguages = [\"en\"]\n",
                model.display().to_string()
            ),
        ),
    ]
}

struct Golden {
    file: String,
    id: String,
    want: serde_json::Value,
}

fn golden() -> Vec<Golden> {
    let path = util::repo().join("tests/data/filter_reference.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("golden line");
            Golden {
                file: v["file"].as_str().expect("file").into(),
                id: v["id"].as_str().expect("id").into(),
                want: v,
            }
        })
        .collect()
}

/// The golden documents, read from the shared data by shardwise's readers and
/// written as one JSONL file (`id`, `text`, `url`) in golden order.
fn documents(golden: &[Golden], dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut wanted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for g in golden {
        wanted.entry(&g.file).or_default().push(&g.id);
    }
    let mut found: HashMap<String, serde_json::Value> = HashMap::new();
    for (file, ids) in &wanted {
        let path = util::shared(&format!("data/{file}"))?;
        let mut r = formats::open(
            &LocalStore,
            &path.display().to_string(),
            0,
            &ReadOptions::default(),
        )
        .expect("open a shared file");
        let mut left: std::collections::HashSet<&str> = ids.iter().copied().collect();
        while let Some(b) = r.next_batch().expect("read a shared file") {
            let c = Columns::of(&b);
            for row in 0..b.num_rows() {
                let id = c.id.value(row);
                if left.remove(id) {
                    let url = c.url.filter(|u| u.is_valid(row)).map(|u| u.value(row));
                    found.insert(
                        id.to_string(),
                        serde_json::json!({"id": id, "text": c.text.value(row), "url": url}),
                    );
                }
            }
            if left.is_empty() {
                break;
            }
        }
        assert!(left.is_empty(), "{file}: golden ids not found: {left:?}");
    }
    let out = dir.join("docs.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    for g in golden {
        serde_json::to_writer(&mut f, &found[&g.id]).unwrap();
        f.write_all(b"\n").unwrap();
    }
    f.flush().unwrap();
    Some(out)
}

/// Reads every Parquet file under `dir`, calling `row` with (id, other column).
fn each_row(dir: &std::path::Path, column: &str, row: &mut dyn FnMut(&str, &str)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            each_row(&p, column, row);
            continue;
        }
        let file = std::fs::File::open(&p).unwrap();
        for b in ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
        {
            let b = b.unwrap();
            let ids = b.column_by_name("id").unwrap().as_string::<i32>();
            let other = b.column_by_name(column).unwrap().as_string::<i32>();
            for i in 0..b.num_rows() {
                row(ids.value(i), other.value(i));
            }
        }
    }
}

/// Runs one filter alone over the documents; returns id → "keep" or reason, and
/// id → SHA-1 of the kept text.
fn shardwise_decisions(
    dir: &std::path::Path,
    docs: &std::path::Path,
    name: &str,
    stage: &str,
) -> (HashMap<String, String>, HashMap<String, String>) {
    let out = dir.join(name);
    let toml = dir.join(format!("{name}.toml"));
    std::fs::write(
        &toml,
        format!(
            "version = 1\n[input]\npaths = [{:?}]\n[[stage]]\n{stage}[output]\nuri = {:?}\ndocuments = true\nexclusions = true\n",
            docs.display().to_string(),
            out.display().to_string()
        ),
    )
    .unwrap();
    let run = util::run_in(
        dir,
        &["run", toml.to_str().unwrap(), "--progress-secs", "0"],
    );
    assert!(run.status.success(), "{name}: {}", util::text(&run));
    let mut decisions = HashMap::new();
    let mut hashes = HashMap::new();
    each_row(&out.join("exclusions"), "reason", &mut |id, reason| {
        decisions.insert(id.to_string(), reason.to_string());
    });
    each_row(&out.join("documents"), "text", &mut |id, text| {
        decisions.insert(id.to_string(), "keep".into());
        hashes.insert(
            id.to_string(),
            format!("{:x}", Sha1::digest(text.as_bytes())),
        );
    });
    (decisions, hashes)
}

#[test]
fn heuristic_filters_agree_with_datatrove() {
    let Some(shared) = util::shared("") else {
        eprintln!("SHARDWISE_SHARED unset: skipping the datatrove fidelity check");
        return;
    };
    let golden = golden();
    let tmp = tempfile::tempdir().unwrap();
    let docs = documents(&golden, tmp.path()).expect("shared data");
    let mut failures = Vec::new();
    for (name, stage) in filters(&shared) {
        let (got, hashes) = shardwise_decisions(tmp.path(), &docs, name, stage.as_str());
        let mut agree = 0;
        for g in &golden {
            let want = g.want[name]
                .as_str()
                .unwrap_or_else(|| panic!("golden lacks {name}"));
            let have = got.get(&g.id).map_or("missing", String::as_str);
            // datatrove's LanguageFilter drops without naming a reason.
            let have = if name == "language" && want == "drop" && have != "keep" {
                "drop"
            } else {
                have
            };
            let mut same = want == have;
            if same && want == "keep" && name.starts_with("c4_quality") {
                let want_sha = g.want[format!("{name}_sha1")].as_str();
                same = want_sha == hashes.get(&g.id).map(String::as_str);
                if !same {
                    eprintln!("{name} {} ({}): kept text differs", g.id, g.file);
                }
            } else if !same {
                eprintln!(
                    "{name} {} ({}): datatrove {want}, shardwise {have}",
                    g.id, g.file
                );
            }
            agree += usize::from(same);
        }
        let rate = agree as f64 / golden.len() as f64;
        eprintln!(
            "{name}: {agree}/{} agree ({:.2}%)",
            golden.len(),
            100.0 * rate
        );
        if rate < MIN_AGREEMENT {
            failures.push(format!("{name}: {:.2}%", 100.0 * rate));
        }
    }
    assert!(failures.is_empty(), "below {MIN_AGREEMENT}: {failures:?}");
}
