//! Token ids equal those of the Python `tokenizers` package (the reference) for
//! the real GPT-2, Llama (with BOS) and Llama 3 tokenizers on every document of
//! the real JSONL samples and the WET sample, end to end through `shardwise run`
//! and the Megatron files it writes.

use std::collections::HashMap;
use std::path::Path;

use shardwise::store::LocalStore;
use shardwise::writers::megatron;

use crate::util;

const INPUTS: &[&str] = &[
    "data/jsonl/dolma-cc-main-2019-30-00140.jsonl.gz",
    "data/jsonl/dolma-cc-main-2019-30-00140.jsonl.zst",
    "data/jsonl/dolma-ccnet-cc_en_head-0091.jsonl.gz",
    "data/wet/cc-main-2024-22-whirlwind.warc.wet.gz",
];

/// Python's ids per input file.
fn reference(py: &str, tokenizer: &Path, files: &[String]) -> HashMap<String, Vec<Vec<u32>>> {
    let script = util::repo().join("tests/tokenizer_reference.py");
    let out = std::process::Command::new(py)
        .arg(&script)
        .arg(tokenizer)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "reference script failed: {}",
        util::text(&out)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let ids = serde_json::from_value(v["ids"].clone()).unwrap();
            (v["file"].as_str().unwrap().to_string(), ids)
        })
        .collect()
}

fn check(tokenizer_name: &str) {
    let Some(tokenizer) = util::shared(&format!("tokenizers/{tokenizer_name}.tokenizer.json"))
    else {
        eprintln!("skipped: SHARDWISE_SHARED is not set");
        return;
    };
    let Some(py) = util::python_with(&["tokenizers", "warcio", "zstandard"]) else {
        return;
    };
    let files: Vec<String> = INPUTS
        .iter()
        .map(|f| util::shared(f).unwrap().display().to_string())
        .collect();
    let expected = reference(&py, &tokenizer, &files);

    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<String> = files.iter().map(|f| format!("{f:?}")).collect();
    let pipeline = format!(
        "version = 1\n[input]\npaths = [{}]\n[[stage]]\nkind = \"tokenize\"\ntokenizer = {:?}\n[output]\nuri = \"x\"\n",
        paths.join(", "),
        tokenizer.display().to_string()
    );
    let p = dir.path().join("p.toml");
    std::fs::write(&p, pipeline).unwrap();
    let out = dir.path().join("out");
    let o = util::run_pipeline(&p, &out);
    assert!(o.status.success(), "{}", util::text(&o));

    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_dataset.json")).unwrap()).unwrap();
    let mut docs = 0;
    let mut tokens = 0;
    for entry in index["outputs"].as_array().unwrap() {
        let shard = entry["shard"].as_str().unwrap();
        let prefix = out.join(entry["prefix"].as_str().unwrap());
        let (_, got) = megatron::read_all(&LocalStore, prefix.to_str().unwrap()).unwrap();
        let want = &expected[shard];
        assert_eq!(
            got.len(),
            want.len(),
            "{tokenizer_name}: {shard}: document count"
        );
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                g == w,
                "{tokenizer_name}: {shard}: document {i} differs at token {}",
                g.iter()
                    .zip(w)
                    .position(|(a, b)| a != b)
                    .unwrap_or(g.len().min(w.len()))
            );
            tokens += g.len();
        }
        docs += got.len();
    }
    assert_eq!(index["outputs"].as_array().unwrap().len(), files.len());
    eprintln!("{tokenizer_name}: {docs} documents, {tokens} tokens identical to Python tokenizers");
}

#[test]
fn gpt2_ids_match_python_tokenizers() {
    check("gpt2");
}

#[test]
fn llama_test_ids_with_bos_match_python_tokenizers() {
    check("llama-test");
}

#[test]
fn llama3_ids_match_python_tokenizers() {
    check("llama3");
}
