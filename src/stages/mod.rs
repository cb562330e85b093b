//! Stages: one file per kind, each holding its `FooConfig` and its runtime `Foo`.
//!
//! A stage takes a batch and either judges its rows ([`Output::Verdicts`]: keep, or
//! drop for one of the stage's named reasons) or returns a new batch with the same
//! rows ([`Output::Batch`], e.g. `tokenize` adding a `tokens` column). Stages are
//! synchronous and stateless across batches, so the runner may apply them to many
//! batches at once. Per-document filters implement [`doc::DocFilter`] instead,
//! so the runner can run consecutive ones as one chain over a shared analysis
//! ([`doc`]), and may rewrite text there. Registration is the one [`stages!`] list below: adding a stage
//! is a file plus a line there. Stages must not know where batches come from or go.

pub mod c4_badwords;
pub mod c4_quality;
pub mod doc;
pub mod fineweb_quality;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod language;
pub mod length;
pub mod ngrams;
pub mod regex;
pub mod sql;
pub mod text;
pub mod tokenize;
pub mod url_filter;

use arrow::array::RecordBatch;
use serde::Serialize;

use crate::error::{ConfigError, Error};
use crate::fields::{Documented, FieldDoc};
use crate::store::Stores;

/// What a stage did to a batch.
pub enum Output {
    /// One code per row: `0` keeps the row, `k > 0` drops it for
    /// `reasons()[k - 1]`.
    Verdicts(Vec<u8>),
    /// The same rows with new or changed columns.
    Batch(RecordBatch),
    /// The same rows with new or changed columns, then judged as by `Verdicts`
    /// (e.g. `language` adding a score and dropping other languages).
    Judged(RecordBatch, Vec<u8>),
}

/// The runtime side of a stage.
pub trait Stage: Send + Sync {
    /// Why rows get dropped; `Output::Verdicts` codes index into this.
    fn reasons(&self) -> &'static [&'static str] {
        &[]
    }

    /// Applies the stage to one batch. Stages that are [`doc::DocFilter`]s need
    /// not implement it: the runner runs them through [`doc::run_chain`],
    /// which keeps rewritten text; this default only judges (tests, tools).
    fn apply(&self, batch: &RecordBatch) -> Result<Output, Error> {
        match self.doc_filter() {
            Some(f) => Ok(Output::Verdicts(doc::verdicts(f, batch))),
            None => Err(Error::internal("stage has neither apply nor doc_filter")),
        }
    }

    /// Set by per-document filters, which the runner fuses into chains that
    /// share one text analysis per document.
    fn doc_filter(&self) -> Option<&dyn doc::DocFilter> {
        None
    }

    /// Set by stages that produce the `tokens` column.
    fn token_info(&self) -> Option<tokenize::TokenInfo> {
        None
    }
}

/// What a stage's `build` may use.
pub struct StageContext<'a> {
    /// Where `stage[index]` sits in the pipeline, for messages.
    pub index: usize,
    /// Resolves URIs of files a stage loads (tokenizers, models, lists).
    pub stores: &'a Stores,
}

impl StageContext<'_> {
    /// A config error about field `field` of this stage.
    pub fn invalid(&self, field: &str, msg: impl std::fmt::Display) -> Error {
        ConfigError::msg(format!("stage[{}].{field}: {msg}", self.index)).into()
    }

    /// The bytes of the file at `uri` (a path or URI) named by field `field`;
    /// a missing or unreadable file is a config error about that field.
    pub fn read(&self, field: &str, uri: &str) -> Result<Vec<u8>, Error> {
        let store = self
            .stores
            .for_uri(uri)
            .map_err(|e| self.invalid(field, e))?;
        store.get(uri).map_err(|e| self.invalid(field, e))
    }

    /// The UTF-8 text of the file at `uri`, as [`StageContext::read`].
    pub fn read_text(&self, field: &str, uri: &str) -> Result<String, Error> {
        String::from_utf8(self.read(field, uri)?)
            .map_err(|e| self.invalid(field, format!("{uri}: not UTF-8 text ({e})")))
    }
}

/// The config side of a stage.
pub trait StageConfigure: Documented {
    /// The `kind = "..."` string.
    const KIND: &'static str;

    /// Problems that need no I/O, as `(field, message)` pairs.
    fn check(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Builds the runtime, loading whatever files it needs.
    fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error>;
}

/// A stage kind's documentation, for `shardwise list`.
pub struct StageDoc {
    pub kind: &'static str,
    pub doc: String,
    pub fields: Vec<FieldDoc>,
}

macro_rules! stages {
    ($($variant:ident($config:ty)),* $(,)?) => {
        /// Every stage kind's config, tagged by `kind`.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        pub enum StageConfig {
            $($variant($config),)*
        }

        /// Every valid `kind`, in registration order.
        pub const KINDS: &[&str] = &[$(<$config as StageConfigure>::KIND),*];

        impl StageConfig {
            /// Deserializes the fields of a stage of kind `kind` (without the
            /// `kind` key); `None` for an unknown kind.
            pub fn deserialize_kind<'de, D: serde::Deserializer<'de>>(
                kind: &str,
                fields: D,
            ) -> Option<Result<Self, D::Error>> {
                use serde::Deserialize;
                match kind {
                    $(k if k == <$config as StageConfigure>::KIND => {
                        Some(<$config>::deserialize(fields).map(StageConfig::$variant))
                    })*
                    _ => None,
                }
            }

            pub fn kind(&self) -> &'static str {
                match self {
                    $(StageConfig::$variant(_) => <$config as StageConfigure>::KIND,)*
                }
            }

            pub fn check(&self) -> Vec<(String, String)> {
                match self {
                    $(StageConfig::$variant(c) => c.check(),)*
                }
            }

            pub fn build(&self, ctx: &StageContext) -> Result<Box<dyn Stage>, Error> {
                match self {
                    $(StageConfig::$variant(c) => c.build(ctx),)*
                }
            }

            /// Documentation of every stage kind.
            pub fn docs() -> Vec<StageDoc> {
                vec![$(StageDoc {
                    kind: <$config as StageConfigure>::KIND,
                    doc: <$config as Documented>::doc(),
                    fields: <$config as Documented>::fields(),
                }),*]
            }
        }
    };
}

stages! {
    C4Badwords(c4_badwords::C4BadwordsConfig),
    C4Quality(c4_quality::C4QualityConfig),
    FinewebQuality(fineweb_quality::FineWebQualityConfig),
    GopherQuality(gopher_quality::GopherQualityConfig),
    GopherRepetition(gopher_repetition::GopherRepetitionConfig),
    Language(language::LanguageConfig),
    Length(length::LengthConfig),
    Regex(regex::RegexConfig),
    Sql(sql::SqlConfig),
    Tokenize(tokenize::TokenizeConfig),
    UrlFilter(url_filter::UrlFilterConfig),
}
