//! Progress for long runs: a `shardwise_progress` line every N seconds on stderr.
//!
//! The line is made for log scrapers (SageMaker metric definitions, CloudWatch):
//! `shardwise_progress rank=0 phase=emit shards=3/10 docs=120000 mb=512.3 mb_per_s=85.2`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared counters, updated by shard workers.
#[derive(Clone)]
pub struct Progress {
    inner: Arc<Counters>,
}

struct Counters {
    shards_total: u64,
    shards_done: AtomicU64,
    docs: AtomicU64,
    raw_bytes: AtomicU64,
    started: Instant,
}

/// Stops the reporter thread when dropped or stopped.
pub struct Reporter {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Reporter {
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.halt();
    }
}

impl Progress {
    pub fn new(shards_total: usize) -> Self {
        Self {
            inner: Arc::new(Counters {
                shards_total: shards_total as u64,
                shards_done: AtomicU64::new(0),
                docs: AtomicU64::new(0),
                raw_bytes: AtomicU64::new(0),
                started: Instant::now(),
            }),
        }
    }

    pub fn add_done(&self, n: usize) {
        self.inner
            .shards_done
            .fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn add_read(&self, docs: usize, raw_bytes: u64) {
        self.inner.docs.fetch_add(docs as u64, Ordering::Relaxed);
        self.inner.raw_bytes.fetch_add(raw_bytes, Ordering::Relaxed);
    }

    /// The current line.
    pub fn line(&self, rank: u32) -> String {
        let c = &self.inner;
        let mb = c.raw_bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let secs = c.started.elapsed().as_secs_f64().max(1e-9);
        format!(
            "shardwise_progress rank={rank} phase=emit shards={}/{} docs={} mb={mb:.1} mb_per_s={:.1}",
            c.shards_done.load(Ordering::Relaxed),
            c.shards_total,
            c.docs.load(Ordering::Relaxed),
            mb / secs
        )
    }

    /// Prints a line every `every` until the reporter is stopped (never if zero).
    pub fn start(&self, every: Duration, rank: u32) -> Reporter {
        let stop = Arc::new(AtomicBool::new(false));
        if every.is_zero() {
            return Reporter { stop, handle: None };
        }
        let me = self.clone();
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut next = Instant::now() + every;
            while !flag.load(Ordering::Relaxed) {
                let now = Instant::now();
                if now >= next {
                    eprintln!("{}", me.line(rank));
                    next = now + every;
                }
                std::thread::park_timeout(
                    next.saturating_duration_since(Instant::now())
                        .min(Duration::from_millis(500)),
                );
            }
        });
        Reporter {
            stop,
            handle: Some(handle),
        }
    }
}
