//! Commit markers and run identity: what makes re-runs exactly-once.
//!
//! A shard is done when its marker exists. The marker is written last, after
//! every output object of the shard is committed, and holds the output keys,
//! sizes, checksums and the shard's statistics. A re-run skips shards with
//! markers and merges their statistics from the markers, so nothing is counted
//! twice. `_run.json` in the work prefix records the run identity (a hash of the
//! effective pipeline and the shard list); a different pipeline over the same
//! work prefix is refused instead of mixed in.

use serde::{Deserialize, Serialize};

use crate::error::{ConfigError, Error, StoreError};
use crate::stats::ShardStats;
use crate::store::{self, Store};
use crate::writers::WriterSummary;

/// Format version of markers and `_run.json`.
pub const MARKER_VERSION: u32 = 1;

/// The commit record of one shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardMarker {
    pub version: u32,
    pub run_id: String,
    pub shard: String,
    pub index: u32,
    /// Output prefix relative to the output URI (`tokens/3f/stem`).
    pub prefix: String,
    pub outputs: WriterSummary,
    /// Why the shard was given up on, if it was.
    pub quarantined: Option<String>,
    pub stats: ShardStats,
}

/// Where a shard's marker lives under the work URI.
pub fn marker_uri(work: &str, prefix: &str) -> String {
    let rel = prefix.strip_prefix("tokens/").unwrap_or(prefix);
    store::join(work, &format!("markers/{rel}.json"))
}

/// Reads a shard's marker if it exists and belongs to this run.
pub fn read_marker(st: &dyn Store, uri: &str, run_id: &str) -> Result<Option<ShardMarker>, Error> {
    if !st.exists(uri)? {
        return Ok(None);
    }
    let bytes = st.get(uri)?;
    let m: ShardMarker = serde_json::from_slice(&bytes).map_err(|e| StoreError::Other {
        uri: uri.to_string(),
        message: format!("commit marker is unreadable ({e}); delete it to redo the shard"),
    })?;
    if m.run_id != run_id {
        return Err(ConfigError::msg(format!(
            "{uri}: marker belongs to run {} but this run is {run_id}",
            m.run_id
        ))
        .into());
    }
    Ok(Some(m))
}

/// Writes a marker: the last write of a shard.
pub fn write_marker(st: &dyn Store, uri: &str, m: &ShardMarker) -> Result<(), Error> {
    let bytes =
        serde_json::to_vec_pretty(m).map_err(|e| Error::internal(format!("marker json: {e}")))?;
    Ok(st.put(uri, &bytes)?)
}

/// The identity of a run, stored as `<work>/_run.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunIdentity {
    pub version: u32,
    pub run_id: String,
    pub name: Option<String>,
    pub shards: usize,
}

/// Records the run identity, or checks it against the one already there.
pub fn claim_work_prefix(st: &dyn Store, work: &str, ident: &RunIdentity) -> Result<(), Error> {
    let uri = store::join(work, "_run.json");
    if st.exists(&uri)? {
        let old: RunIdentity =
            serde_json::from_slice(&st.get(&uri)?).map_err(|e| StoreError::Other {
                uri: uri.clone(),
                message: format!("unreadable run identity ({e})"),
            })?;
        if old.run_id != ident.run_id {
            return Err(ConfigError::msg(format!(
                "work prefix {work} holds run {} (pipeline {:?}, {} shards), not this run {} ({} shards): \
                 the pipeline or its input changed; use another output.work, or delete the old work prefix \
                 and its outputs to start over",
                old.run_id,
                old.name.as_deref().unwrap_or("unnamed"),
                old.shards,
                ident.run_id,
                ident.shards
            ))
            .into());
        }
        return Ok(());
    }
    let bytes =
        serde_json::to_vec_pretty(ident).map_err(|e| Error::internal(format!("run json: {e}")))?;
    Ok(st.put(&uri, &bytes)?)
}
