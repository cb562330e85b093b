//! shardwise: a share-nothing preprocessing engine that turns raw web and book
//! corpora into training-ready token files.
//!
//! Modules follow the data flow, and imports point down this ladder only:
//! 1. [`document`], [`store`], [`cluster`], [`sagemaker`], [`fields`], [`error`]
//! 2. [`formats`], [`stages`], [`tokenizer`], [`writers`], [`manifest`], [`stats`]
//! 3. [`config`]
//! 4. [`exec`]
//! 5. the `cli` of the binary

pub mod cluster;
pub mod config;
pub mod document;
pub mod error;
pub mod exec;
pub mod fields;
pub mod formats;
pub mod manifest;
pub mod sagemaker;
pub mod stages;
pub mod stats;
pub mod store;
pub mod tokenizer;
pub mod writers;
