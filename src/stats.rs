//! Counters per stage and per shard, merged from commit markers into reports.
//!
//! A shard's [`ShardStats`] travel inside its commit marker, so a report built
//! from markers counts every shard exactly once however often the run was
//! restarted. Timings are CPU time spent in each step, summed over threads, so
//! `MB/s` in the table is per core. Nothing here does I/O.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::{Deserialize, Serialize};

/// One step of the pipeline (`read`, a stage, `write`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepStats {
    /// `read`, the stage kind, or `write`.
    pub name: String,
    pub docs_in: u64,
    pub docs_out: u64,
    /// UTF-8 text bytes that entered the step.
    pub bytes_in: u64,
    /// CPU nanoseconds spent in the step.
    pub nanos: u64,
    /// Dropped documents per reason.
    pub reasons: BTreeMap<String, u64>,
}

impl StepStats {
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_string(),
            ..Default::default()
        }
    }

    pub fn merge(&mut self, o: &StepStats) {
        self.docs_in += o.docs_in;
        self.docs_out += o.docs_out;
        self.bytes_in += o.bytes_in;
        self.nanos += o.nanos;
        for (k, v) in &o.reasons {
            *self.reasons.entry(k.clone()).or_default() += v;
        }
    }

    /// Text MB per CPU second.
    pub fn mb_per_s(&self) -> f64 {
        if self.nanos == 0 {
            0.0
        } else {
            self.bytes_in as f64 / 1e6 / (self.nanos as f64 / 1e9)
        }
    }
}

/// Everything counted for one shard (or, merged, for many).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardStats {
    pub shards: u64,
    /// Compressed bytes read from the store.
    pub raw_bytes: u64,
    /// `read`, then every stage in pipeline order, then `write`.
    pub steps: Vec<StepStats>,
    pub tokens: u64,
    /// Damaged records skipped.
    pub bad_records: u64,
    /// Shards given up on.
    pub quarantined: u64,
    /// The first problems found, each naming the shard and the location.
    pub problems: Vec<String>,
}

/// How many problem messages a shard's marker keeps (the count is always exact).
pub const MAX_PROBLEMS_KEPT: usize = 50;

impl ShardStats {
    pub fn merge(&mut self, o: &ShardStats) {
        self.shards += o.shards;
        self.raw_bytes += o.raw_bytes;
        self.tokens += o.tokens;
        self.bad_records += o.bad_records;
        self.quarantined += o.quarantined;
        for p in &o.problems {
            if self.problems.len() < MAX_PROBLEMS_KEPT {
                self.problems.push(p.clone());
            }
        }
        if self.steps.is_empty() {
            self.steps = o.steps.clone();
        } else {
            for (a, b) in self.steps.iter_mut().zip(&o.steps) {
                a.merge(b);
            }
        }
    }

    /// Whether anything was skipped.
    pub fn partial(&self) -> bool {
        self.bad_records > 0 || self.quarantined > 0
    }

    /// The per-step table printed after a run.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<18} {:>12} {:>12} {:>10} {:>10}  removed",
            "step", "docs in", "docs out", "MB in", "MB/s/core"
        );
        for st in &self.steps {
            let removed: Vec<String> = st.reasons.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = writeln!(
                s,
                "{:<18} {:>12} {:>12} {:>10.2} {:>10.1}  {}",
                st.name,
                st.docs_in,
                st.docs_out,
                st.bytes_in as f64 / 1e6,
                st.mb_per_s(),
                removed.join(" ")
            );
        }
        let _ = writeln!(
            s,
            "shards: {}  input: {:.2} MB  tokens: {}  bad records skipped: {}  shards quarantined: {}",
            self.shards,
            self.raw_bytes as f64 / 1e6,
            self.tokens,
            self.bad_records,
            self.quarantined
        );
        s
    }
}

/// Peak resident memory of this process (Linux `VmHWM`), if the OS tells.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_adds_counts_and_reasons() {
        let mut a = ShardStats {
            shards: 1,
            steps: vec![StepStats {
                name: "length".into(),
                docs_in: 10,
                docs_out: 7,
                reasons: [("too_short".to_string(), 3)].into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let b = a.clone();
        a.merge(&b);
        assert_eq!(a.shards, 2);
        assert_eq!(a.steps[0].docs_in, 20);
        assert_eq!(a.steps[0].reasons["too_short"], 6);
        assert!(a.table().contains("too_short=6"));
    }
}
