//! The shard list and its deterministic, size-balanced slicing across ranks.
//!
//! TODO(helper)
