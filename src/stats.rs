//! Counters per stage and per shard, merged from commit markers into reports. TODO.
