//! The pipeline file (TOML, `version = 1`): schema, overrides and validation.
//!
//! [`load`] parses a file, applies `--set` overrides and validates the structure,
//! reporting every problem at once with `file:line:col`, the field path
//! (`stage[2].min_words`) and, for an unknown `kind`, the valid kinds. Environment
//! checks (files exist, stores reachable) are a separate, skippable pass:
//! [`check_environment`]. This module turns text into configs; it runs nothing.

mod parse;

use serde::{Deserialize, Serialize};

pub use parse::{load, load_file};

use crate::fields::Documented;
use crate::formats::{Format, ReadOptions};
use crate::stages::StageConfig;
use crate::store::{S3Options, Stores};

/// The only pipeline file version this build reads.
pub const VERSION: i64 = 1;

crate::config_struct! {
    /// `[input]`: which shards to read and how to parse them.
    pub struct InputConfig {
        /// Files, globs (`*`, `?`, `[..]`), or prefixes (directories, `s3://b/p/`).
        pub paths: Vec<String> = Vec::new(),
        /// A file listing one shard a line, plain or gzip (Common Crawl's `wet.paths.gz`).
        pub manifest: Option<String> = None,
        /// Prefix for relative lines of the manifest (`s3://commoncrawl/`).
        pub base: Option<String> = None,
        /// `auto`, `wet`, `warc`, `jsonl` or `parquet`.
        pub format: Format = Format::Auto,
        /// JSONL/Parquet field holding the text; dots reach into objects (`meta.text`).
        pub text_field: String = "text".to_string(),
        /// JSONL/Parquet field holding the document id.
        pub id_field: String = "id".to_string(),
        /// Documents per batch (the unit of parallel work).
        pub batch_docs: usize = 1024,
        /// Bytes per batch (text plus metadata), whichever limit comes first.
        pub batch_bytes: usize = 4 << 20,
        /// Records larger than this many bytes are skipped and reported.
        pub max_doc_bytes: usize = 64 << 20,
        /// Damaged records a shard may skip before it is quarantined.
        pub max_bad_records: u64 = 1000,
        /// The input is already split per node (SageMaker `ShardedByS3Key`, a
        /// per-node mount): every rank reads all the shards it lists, and the
        /// ranks' lists together are the dataset. File names must be unique
        /// across the job.
        pub presharded: bool = false,
    }
}

/// Output file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Megatron-LM `MMIDIDX` `.bin` + `.idx`.
    #[default]
    Megatron,
}

crate::config_struct! {
    /// `[output]`: where and how results are written.
    pub struct OutputConfig {
        /// Output root: token files go under `<uri>/tokens/<2 hex>/<shard-stem>`.
        pub uri: String,
        /// Token file format (`megatron`).
        pub format: OutputFormat = OutputFormat::Megatron,
        /// Markers and scratch; default `<uri>/_work/`.
        pub work: Option<String> = None,
        /// Also write the surviving documents as Parquet (zstd) under `documents/`.
        pub documents: bool = false,
        /// Also write every removed document's `id`, `url`, `stage` (its name)
        /// and `reason` as Parquet under `exclusions/`; `shardwise report` counts them.
        pub exclusions: bool = false,
    }
}

impl OutputConfig {
    /// The work URI, defaulted from the output URI.
    pub fn work_uri(&self) -> String {
        self.work
            .clone()
            .unwrap_or_else(|| crate::store::join(&self.uri, "_work/"))
    }
}

crate::config_struct! {
    /// `[storage]`: how object stores are reached. Credentials, region and
    /// endpoint come from the standard AWS configuration (environment, profile,
    /// instance role), never from the pipeline file.
    pub struct StorageConfig {
        /// Address S3 buckets path-style (`endpoint/bucket/key`), as most
        /// S3-compatible servers need. `SHARDWISE_S3_PATH_STYLE=1` also sets it.
        pub s3_path_style: bool = false,
        /// Attempts per S3 request, the first included; 503 SlowDown and
        /// connection errors are retried with capped exponential backoff.
        pub s3_max_attempts: u32 = 10,
    }
}

impl StorageConfig {
    /// The S3 store's options: this section, then the environment on top.
    pub fn s3_options(&self) -> S3Options {
        let env = S3Options::from_env();
        S3Options {
            path_style: self.s3_path_style || env.path_style,
            max_attempts: std::env::var("SHARDWISE_S3_MAX_ATTEMPTS")
                .map(|_| env.max_attempts)
                .unwrap_or(self.s3_max_attempts),
            ..env
        }
    }
}

/// A validated pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pipeline {
    pub version: i64,
    pub name: Option<String>,
    pub input: InputConfig,
    #[serde(rename = "stage")]
    pub stages: Vec<StageConfig>,
    pub output: OutputConfig,
    pub storage: StorageConfig,
}

impl Pipeline {
    /// Reader options from `[input]`.
    pub fn read_options(&self) -> ReadOptions {
        let i = &self.input;
        ReadOptions {
            format: i.format,
            text_field: i.text_field.clone(),
            id_field: i.id_field.clone(),
            batch_docs: i.batch_docs.max(1),
            batch_bytes: i.batch_bytes.max(1),
            max_doc_bytes: i.max_doc_bytes,
            limit: None,
        }
    }

    /// Points output and work at a local directory (`--out DIR`).
    pub fn redirect_output(&mut self, dir: &str) {
        self.output.uri = dir.to_string();
        self.output.work = Some(crate::store::join(dir, "_work/"));
    }

    /// The stores this pipeline's URIs resolve through.
    pub fn stores(&self) -> Stores {
        Stores::with_s3(self.storage.s3_options())
    }

    /// The pipeline as TOML, with every default spelled out.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("pipelines serialize")
    }
}

/// Documentation of the non-stage sections, for `shardwise list`.
pub fn section_docs() -> Vec<(&'static str, String, Vec<crate::fields::FieldDoc>)> {
    vec![
        ("input", InputConfig::doc(), InputConfig::fields()),
        ("output", OutputConfig::doc(), OutputConfig::fields()),
        ("storage", StorageConfig::doc(), StorageConfig::fields()),
    ]
}

/// Checks what needs I/O: every stage builds (tokenizer files load, ...). Returns
/// one message per problem.
pub fn check_environment(p: &Pipeline, stores: &Stores) -> Vec<String> {
    let mut out = Vec::new();
    for (index, s) in p.stages.iter().enumerate() {
        let ctx = crate::stages::StageContext { index, stores };
        if let Err(e) = s.build(&ctx) {
            out.push(format!("{e:#}"));
        }
    }
    out
}
