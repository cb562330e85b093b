//! Megatron token files: the writer against an independent Python reader of the
//! published layout, writer-then-reader properties, and `shardwise inspect`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use arrow::array::{ListBuilder, RecordBatch, UInt32Builder};
use arrow::datatypes::{DataType, Field, Schema};
use proptest::prelude::*;
use shardwise::store::{LocalStore, Store};
use shardwise::writers::ShardWriter;
use shardwise::writers::megatron::{self, DType, MegatronWriter};

use crate::util;

/// A batch holding only a `tokens` column, as the tokenize stage shapes it.
fn batch(docs: &[Vec<u32>]) -> RecordBatch {
    let item = Arc::new(Field::new_list_field(DataType::UInt32, false));
    let mut b = ListBuilder::new(UInt32Builder::new()).with_field(item.clone());
    for d in docs {
        b.values().append_slice(d);
        b.append(true);
    }
    let schema = Schema::new(vec![Field::new(
        shardwise::document::TOKENS,
        DataType::List(item),
        false,
    )]);
    RecordBatch::try_new(Arc::new(schema), vec![Arc::new(b.finish())]).unwrap()
}

/// Writes `docs` in batches of `batch_docs` under `out/<prefix>`; returns the full prefix.
fn write(out: &Path, prefix: &str, dtype: DType, docs: &[Vec<u32>], batch_docs: usize) -> String {
    let out = out.display().to_string();
    let mut w =
        Box::new(MegatronWriter::create(Arc::new(LocalStore), &out, prefix, dtype).unwrap());
    for chunk in docs.chunks(batch_docs.max(1)) {
        w.write(&batch(chunk)).unwrap();
    }
    let summary = w.finish().unwrap();
    assert_eq!(summary.docs, docs.len() as u64);
    assert_eq!(
        summary.tokens,
        docs.iter().map(|d| d.len() as u64).sum::<u64>()
    );
    shardwise::store::join(&out, prefix)
}

/// Deterministic documents: empty ones, the dtype's max id and 0, random lengths and ids.
fn random_docs(seed: u64, dtype: DType, n: usize) -> Vec<Vec<u32>> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let max = dtype.max_id();
    let mut docs = vec![vec![], vec![max], vec![0, max, 0], vec![]];
    for _ in 0..n {
        let len = match next() % 10 {
            0 => 0,
            1 => (next() % 5000) as usize,
            _ => (next() % 60) as usize,
        };
        docs.push(
            (0..len)
                .map(|_| match next() % 50 {
                    0 => max,
                    _ => (next() % (u64::from(max) + 1)) as u32,
                })
                .collect(),
        );
    }
    docs
}

/// Runs `tests/megatron_reader.py` and returns each document's tokens.
fn python_read(py: &str, prefix: &str) -> (Vec<Vec<u32>>, serde_json::Value) {
    let out = Command::new(py)
        .arg(util::repo().join("tests/megatron_reader.py"))
        .arg(prefix)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "megatron_reader.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut docs = Vec::new();
    let mut summary = serde_json::Value::Null;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        match v.get("doc") {
            Some(d) => {
                assert_eq!(d.as_u64().unwrap() as usize, docs.len());
                docs.push(serde_json::from_value(v["tokens"].clone()).unwrap());
            }
            None => summary = v,
        }
    }
    (docs, summary)
}

/// Index of the first differing document, with both versions, for a readable failure.
fn first_difference(got: &[Vec<u32>], want: &[Vec<u32>]) -> String {
    match got.iter().zip(want).position(|(g, w)| g != w) {
        Some(i) => format!(
            "document {i} differs:\n  got  {:?}\n  want {:?}",
            got[i], want[i]
        ),
        None => format!("{} documents read, {} written", got.len(), want.len()),
    }
}

#[test]
fn python_reader_of_the_published_layout_reads_what_we_write() {
    let Some(py) = util::python_with(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (seed, dtype, batch_docs) in [
        (1, DType::U16, 7),
        (2, DType::I32, 1000),
        (3, DType::U16, 1),
    ] {
        let docs = random_docs(seed, dtype, 300);
        let prefix = write(
            dir.path(),
            &format!("tokens/{seed:02x}/stem"),
            dtype,
            &docs,
            batch_docs,
        );
        let (got, summary) = python_read(&py, &prefix);
        assert!(got == docs, "{dtype}: {}", first_difference(&got, &docs));
        assert_eq!(summary["dtype"], dtype.name());
        assert_eq!(summary["docs"], docs.len());
        // The .bin path names the pair too.
        let (again, _) = python_read(&py, &format!("{prefix}.bin"));
        assert_eq!(again.len(), docs.len());
    }
}

#[test]
fn python_reader_reads_an_empty_shard() {
    let Some(py) = util::python_with(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = write(dir.path(), "tokens/00/empty", DType::U16, &[], 1);
    let (got, summary) = python_read(&py, &prefix);
    assert!(got.is_empty());
    assert_eq!(summary["docs"], 0);
}

#[test]
fn python_reader_rejects_a_corrupt_index() {
    let Some(py) = util::python_with(&[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let prefix = write(dir.path(), "t/s", DType::U16, &[vec![1, 2]], 1);
    let idx = format!("{prefix}.idx");
    let mut bytes = std::fs::read(&idx).unwrap();
    bytes[0] = b'X';
    std::fs::write(&idx, bytes).unwrap();
    let out = Command::new(&py)
        .arg(util::repo().join("tests/megatron_reader.py"))
        .arg(&prefix)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad magic"));
    let err = megatron::read_all(&LocalStore, &prefix)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a Megatron MMIDIDX index"), "{err}");
}

fn docs_strategy() -> impl Strategy<Value = (DType, Vec<Vec<u32>>, usize)> {
    prop_oneof![Just(DType::U16), Just(DType::I32)].prop_flat_map(|dtype| {
        let id = prop_oneof![
            4 => 0..=dtype.max_id(),
            1 => Just(dtype.max_id()),
            1 => Just(0u32),
        ];
        (
            Just(dtype),
            proptest::collection::vec(proptest::collection::vec(id, 0..40), 0..40),
            1usize..10,
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Writer then reader returns the same tokens, whatever the batching.
    #[test]
    fn writer_then_reader_returns_the_same_tokens((dtype, docs, batch_docs) in docs_strategy()) {
        let dir = tempfile::tempdir().unwrap();
        let prefix = write(dir.path(), "tokens/ab/doc", dtype, &docs, batch_docs);
        let (index, got) = megatron::read_all(&LocalStore, &prefix).unwrap();
        prop_assert_eq!(index.dtype, dtype);
        prop_assert_eq!(index.num_docs(), docs.len());
        prop_assert_eq!(&got, &docs);
        // Output depends only on the documents, never on how they were batched.
        let again = write(dir.path(), "tokens/ab/one", dtype, &docs, usize::MAX);
        for ext in ["bin", "idx"] {
            let a = LocalStore.get(&format!("{prefix}.{ext}")).unwrap();
            let b = LocalStore.get(&format!("{again}.{ext}")).unwrap();
            prop_assert!(a == b, "{} differs between batchings", ext);
        }
    }
}

/// A tokenizer trained on the spot, so nothing is downloaded.
fn tokenizer(dir: &Path) -> (std::path::PathBuf, shardwise::tokenizer::HfTokenizer) {
    let texts = [
        "the quick brown fox jumps over the lazy dog",
        "hello world, hello shardwise",
    ];
    let json = shardwise::tokenizer::train::train_bpe(
        texts.iter().cycle().take(50).map(|s| s.to_string()),
        300,
        1,
    )
    .unwrap();
    let path = dir.join("tokenizer.json");
    std::fs::write(&path, &json).unwrap();
    let tok = shardwise::tokenizer::HfTokenizer::from_bytes("test", json.as_bytes()).unwrap();
    (path, tok)
}

#[test]
fn inspect_decodes_with_the_tokenizer_named_in_the_dataset_index() {
    use shardwise::tokenizer::Encoder;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (tok_path, tok) = tokenizer(dir.path());
    let texts = ["hello world", "", "the lazy dog jumps"];
    let docs: Vec<Vec<u32>> = texts
        .iter()
        .map(|t| {
            let mut ids = Vec::new();
            tok.encode(t, true, &mut ids).unwrap();
            ids
        })
        .collect();
    let prefix = write(&out, "tokens/3f/stem", DType::U16, &docs, 2);
    std::fs::write(
        out.join("_dataset.json"),
        serde_json::json!({ "tokenizer": tok_path.display().to_string() }).to_string(),
    )
    .unwrap();

    let run = util::run_in(
        dir.path(),
        &["inspect", "out/tokens/3f/stem.idx", "--docs", "2"],
    );
    let text = util::text(&run);
    assert_eq!(run.status.code(), Some(0), "{text}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("documents: 3"), "{text}");
    assert!(stdout.contains("dtype:     uint16"), "{text}");
    assert!(stdout.contains("min 0,"), "{text}");
    assert!(
        stdout.contains("--- document 0 (") && stdout.contains("\nhello world\n"),
        "{text}"
    );
    assert!(stdout.contains("--- document 1 (0 tokens)"), "{text}");
    assert!(!stdout.contains("--- document 2"), "{text}");

    let run = util::run_in(
        dir.path(),
        &["inspect", &prefix, "--max-chars", "5", "--docs", "1"],
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("\nhello… [6 more characters]\n"),
        "{}",
        util::text(&run)
    );

    // A relative tokenizer path that is not there from the working directory is
    // looked up next to the dataset index.
    std::fs::copy(&tok_path, out.join("beside.json")).unwrap();
    std::fs::write(out.join("_dataset.json"), r#"{"tokenizer": "beside.json"}"#).unwrap();
    let run = util::run_in(
        dir.path(),
        &["inspect", "out/tokens/3f/stem", "--docs", "1"],
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("\nhello world\n"), "{}", util::text(&run));
}

#[test]
fn inspect_without_a_tokenizer_asks_for_one_or_prints_ids() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tokens/00/s", DType::I32, &[vec![7, 8, 9]], 1);

    let run = util::run_in(dir.path(), &["inspect", "tokens/00/s"]);
    assert_eq!(run.status.code(), Some(2), "{}", util::text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("no _dataset.json found above tokens/00/s"),
        "{stderr}"
    );
    assert!(stderr.contains("--tokenizer PATH"), "{stderr}");

    let run = util::run_in(dir.path(), &["inspect", "tokens/00/s", "--ids"]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{}", util::text(&run));
    assert!(stdout.contains("dtype:     int32"), "{stdout}");
    assert!(
        stdout.contains("--- document 0 (3 tokens)\n[7, 8, 9]\n"),
        "{stdout}"
    );
}

#[test]
fn inspect_reports_a_corrupt_index_as_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = write(dir.path(), "t/s", DType::U16, &[vec![1]], 1);
    let idx = format!("{prefix}.idx");
    let bytes = std::fs::read(&idx).unwrap();
    std::fs::write(&idx, &bytes[..bytes.len() - 1]).unwrap();
    let run = util::run_in(dir.path(), &["inspect", &prefix, "--ids"]);
    assert_eq!(run.status.code(), Some(5), "{}", util::text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("s.idx: megatron index: truncated"),
        "{stderr}"
    );
}
