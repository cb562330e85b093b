//! The dataset index, written once every shard of the run has its marker.
//!
//! `_dataset.json` lists every output prefix with its document and token
//! counts, the tokenizer and the dtype; `megatron-data-paths.txt` is ready for
//! Megatron's `--data-path`; `_SUCCESS` comes last. The content depends only on
//! the markers, so whichever rank writes it (or several at once) writes the same
//! bytes.

use serde::{Deserialize, Serialize};

use super::marker::ShardMarker;
use crate::error::Error;
use crate::stats::ShardStats;
use crate::store::{self, Store};

/// One output prefix in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedOutput {
    pub prefix: String,
    pub shard: String,
    pub documents: u64,
    pub tokens: u64,
    /// The shard's exclusions file, when the run wrote one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusions: Option<crate::writers::OutputFile>,
}

/// `_dataset.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetIndex {
    pub name: Option<String>,
    pub run_id: String,
    pub format: String,
    pub tokenizer: Option<String>,
    pub vocab_size: Option<usize>,
    pub dtype: Option<String>,
    pub shards: usize,
    pub documents: u64,
    pub tokens: u64,
    pub outputs: Vec<IndexedOutput>,
    /// Shards given up on, with the reason.
    pub quarantined: Vec<(String, String)>,
}

/// What the index says about the tokens.
pub struct TokenSummary {
    pub tokenizer: Option<String>,
    pub vocab_size: Option<usize>,
    pub dtype: Option<String>,
}

/// Builds the index from every shard's marker (in shard order) and writes it.
pub fn write_index(
    st: &dyn Store,
    output_uri: &str,
    name: Option<String>,
    run_id: &str,
    tokens: &TokenSummary,
    markers: &[ShardMarker],
) -> Result<(DatasetIndex, ShardStats), Error> {
    let mut stats = ShardStats::default();
    let mut outputs = Vec::new();
    let mut quarantined = Vec::new();
    for m in markers {
        stats.merge(&m.stats);
        match &m.quarantined {
            Some(why) => quarantined.push((m.shard.clone(), why.clone())),
            // Token files, documents or exclusions: every shard that wrote something.
            None if !m.outputs.files.is_empty() => outputs.push(IndexedOutput {
                prefix: m.prefix.clone(),
                shard: m.shard.clone(),
                documents: m.outputs.docs,
                tokens: m.outputs.tokens,
                exclusions: m
                    .outputs
                    .files
                    .iter()
                    .find(|f| f.key.starts_with("exclusions/"))
                    .cloned(),
            }),
            None => {}
        }
    }
    let index = DatasetIndex {
        name,
        run_id: run_id.to_string(),
        format: "megatron".into(),
        tokenizer: tokens.tokenizer.clone(),
        vocab_size: tokens.vocab_size,
        dtype: tokens.dtype.clone(),
        shards: markers.len(),
        documents: outputs.iter().map(|o| o.documents).sum(),
        tokens: outputs.iter().map(|o| o.tokens).sum(),
        outputs,
        quarantined,
    };
    let json = serde_json::to_vec_pretty(&index)
        .map_err(|e| Error::internal(format!("index json: {e}")))?;
    st.put(&store::join(output_uri, "_dataset.json"), &json)?;
    // An empty `.bin` cannot be memory-mapped by Megatron: leave empty shards out.
    let mut paths = String::new();
    for o in index.outputs.iter().filter(|o| o.tokens > 0) {
        paths.push_str(&store::join(output_uri, &o.prefix));
        paths.push('\n');
    }
    st.put(
        &store::join(output_uri, "megatron-data-paths.txt"),
        paths.as_bytes(),
    )?;
    st.put(&store::join(output_uri, "_SUCCESS"), b"")?;
    Ok((index, stats))
}
