//! `documents`: the cleaned documents as Parquet (zstd).
//!
//! TODO(helper)
