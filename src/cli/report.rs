//! `shardwise report`: what a finished run removed, per stage and reason.
//!
//! Reads `_dataset.json` at the output root and, for every shard it lists with
//! an exclusions file (written with `output.exclusions = true`), that file,
//! counting removed documents by `stage` and `reason`. Only the files the
//! indexed run wrote are read (with their sizes checked), so leftovers of
//! earlier runs in the same place are not counted.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;
use arrow::array::{Array, AsArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use shardwise::error::{Error, StoreError};
use shardwise::exec::finalize::DatasetIndex;
use shardwise::store::{self, Stores};

/// Arguments of `shardwise report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run's output root (`output.uri`): a directory or an `s3://` URI.
    pub output: String,
    /// Print JSON (`{"documents", "removed": [{"stage", "reason", "documents"}]}`).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> anyhow::Result<i32> {
    let stores = Stores::new();
    let st = stores.for_uri(&args.output).map_err(Error::from)?;
    let index_uri = store::join(&args.output, "_dataset.json");
    let bytes = st.get(&index_uri).map_err(|e| match e {
        StoreError::NotFound { .. } => anyhow::anyhow!(
            "{index_uri}: not found; `report` reads finished runs (every rank done)"
        ),
        e => Error::from(e).into(),
    })?;
    let index: DatasetIndex = serde_json::from_slice(&bytes)
        .with_context(|| format!("{index_uri}: not a dataset index"))?;

    let mut removed: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut files = 0;
    for file in index.outputs.iter().filter_map(|o| o.exclusions.as_ref()) {
        let uri = store::join(&args.output, &file.key);
        let bytes = st.get(&uri).map_err(Error::from)?;
        anyhow::ensure!(
            bytes.len() as u64 == file.bytes,
            "{uri}: {} bytes where the run wrote {}; the output was changed since",
            bytes.len(),
            file.bytes
        );
        files += 1;
        count(&uri, bytes, &mut removed)?;
    }
    if files == 0 && !index.outputs.is_empty() {
        eprintln!(
            "{}: no exclusions files; run with `output.exclusions = true` to list removed documents",
            args.output
        );
    }
    let total: u64 = removed.values().sum();
    let mut out = std::io::stdout().lock();
    if args.json {
        let rows: Vec<_> = removed
            .iter()
            .map(|((stage, reason), n)| {
                serde_json::json!({"stage": stage, "reason": reason, "documents": n})
            })
            .collect();
        let v = serde_json::json!({
            "documents": index.documents,
            "removed_total": total,
            "removed": rows,
        });
        writeln!(out, "{v}")?;
        return Ok(0);
    }
    writeln!(
        out,
        "{}: {} documents kept, {} removed ({} shards)",
        args.output, index.documents, total, index.shards
    )?;
    if total > 0 {
        writeln!(
            out,
            "{:<24} {:<32} {:>12} {:>7}",
            "stage", "reason", "documents", "share"
        )?;
        for ((stage, reason), n) in &removed {
            let share = 100.0 * *n as f64 / (index.documents + total) as f64;
            writeln!(out, "{stage:<24} {reason:<32} {n:>12} {share:>6.2}%")?;
        }
    }
    for (shard, why) in &index.quarantined {
        writeln!(out, "quarantined: {shard}: {why}")?;
    }
    Ok(0)
}

/// Adds the rows of one exclusions file to `removed`, by stage and reason.
fn count(
    uri: &str,
    bytes: Vec<u8>,
    removed: &mut BTreeMap<(String, String), u64>,
) -> anyhow::Result<()> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .with_context(|| format!("{uri}: not a Parquet file"))?;
    let schema = builder.parquet_schema();
    let cols: Vec<usize> = ["stage", "reason"]
        .iter()
        .map(|name| {
            schema
                .columns()
                .iter()
                .position(|c| c.name() == *name)
                .with_context(|| format!("{uri}: no `{name}` column; not an exclusions file"))
        })
        .collect::<anyhow::Result<_>>()?;
    let mask = ProjectionMask::leaves(schema, cols);
    for batch in builder.with_projection(mask).build()? {
        let batch = batch.with_context(|| format!("{uri}: unreadable"))?;
        let (stage, reason) = (
            batch.column(0).as_string::<i32>(),
            batch.column(1).as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            if stage.is_valid(row) && reason.is_valid(row) {
                *removed
                    .entry((stage.value(row).to_string(), reason.value(row).to_string()))
                    .or_default() += 1;
            }
        }
    }
    Ok(())
}
