//! Progress for long runs: a progress bar on a terminal, else a
//! `shardwise_progress` line every N seconds on stderr.
//!
//! The line is made for log scrapers (SageMaker metric definitions, CloudWatch):
//! `shardwise_progress rank=0 phase=emit shards=3/10 docs=120000 mb=512.3 mb_per_s=85.2`.
//! A last line is printed when the reporter stops, so even a run shorter than N
//! seconds reports its final numbers. On a terminal an indicatif bar shows the
//! same numbers instead, and [`log_writer`] keeps log lines from tearing it.
//! Workers only bump atomic counters; one reporter thread reads them.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// How often a bar is redrawn from the counters (a bar is cheap; a line is not).
const BAR_REFRESH: Duration = Duration::from_millis(200);

/// The bar being shown, with the id of the reporter that owns it, for [`log_writer`].
static SHOWN_BAR: Mutex<Option<(u64, ProgressBar)>> = Mutex::new(None);
static NEXT_BAR_ID: AtomicU64 = AtomicU64::new(0);

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

/// What a reporter shows.
enum Show {
    /// A `shardwise_progress` line this often.
    Lines(Duration),
    /// A progress bar, redrawn every [`BAR_REFRESH`].
    Bar(ProgressBar),
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
        let s = self.snapshot();
        format!(
            "shardwise_progress rank={rank} phase=emit shards={}/{} docs={} mb={:.1} mb_per_s={:.1}",
            s.shards_done, s.shards_total, s.docs, s.mb, s.mb_per_s
        )
    }

    /// Shows progress until the reporter is stopped: a bar when stderr is a
    /// terminal, else a line every `every`. Nothing at all when `every` is zero.
    pub fn start(&self, every: Duration, rank: u32) -> Reporter {
        if every.is_zero() {
            return Reporter {
                stop: Arc::new(AtomicBool::new(false)),
                handle: None,
            };
        }
        let show = if std::io::stderr().is_terminal() {
            Show::Bar(self.bar(rank, ProgressDrawTarget::stderr()))
        } else {
            Show::Lines(every)
        };
        self.show(show, rank)
    }

    fn show(&self, show: Show, rank: u32) -> Reporter {
        let stop = Arc::new(AtomicBool::new(false));
        let me = self.clone();
        let flag = stop.clone();
        let handle = match show {
            Show::Lines(every) => std::thread::spawn(move || me.print_lines(every, rank, &flag)),
            Show::Bar(bar) => {
                let id = NEXT_BAR_ID.fetch_add(1, Ordering::Relaxed);
                *SHOWN_BAR.lock().unwrap_or_else(|e| e.into_inner()) = Some((id, bar.clone()));
                std::thread::spawn(move || me.draw_bar(&bar, id, &flag))
            }
        };
        Reporter {
            stop,
            handle: Some(handle),
        }
    }

    fn print_lines(&self, every: Duration, rank: u32, stop: &AtomicBool) {
        let mut next = Instant::now() + every;
        while !stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            if now >= next {
                eprintln!("{}", self.line(rank));
                next = now + every;
            }
            std::thread::park_timeout(
                next.saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(500)),
            );
        }
        eprintln!("{}", self.line(rank));
    }

    fn draw_bar(&self, bar: &ProgressBar, id: u64, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            self.update_bar(bar);
            std::thread::park_timeout(BAR_REFRESH);
        }
        self.update_bar(bar);
        {
            let mut shown = SHOWN_BAR.lock().unwrap_or_else(|e| e.into_inner());
            if shown.as_ref().is_some_and(|(i, _)| *i == id) {
                *shown = None;
            }
        }
        // The run's report follows on stdout; a finished bar would only repeat it.
        bar.finish_and_clear();
    }

    /// A bar over this rank's shards, drawn to `target`.
    fn bar(&self, rank: u32, target: ProgressDrawTarget) -> ProgressBar {
        let style = ProgressStyle::with_template(
            "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} shards  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        ProgressBar::with_draw_target(Some(self.inner.shards_total), target)
            .with_style(style)
            .with_prefix(format!("rank {rank}"))
    }

    fn update_bar(&self, bar: &ProgressBar) {
        let s = self.snapshot();
        bar.set_position(s.shards_done);
        bar.set_message(self.bar_message());
    }

    /// What the bar shows beside the shard count.
    fn bar_message(&self) -> String {
        let s = self.snapshot();
        format!("{} docs  {:.1} MB  {:.1} MB/s", s.docs, s.mb, s.mb_per_s)
    }

    fn snapshot(&self) -> Snapshot {
        let c = &self.inner;
        let mb = c.raw_bytes.load(Ordering::Relaxed) as f64 / 1e6;
        let secs = c.started.elapsed().as_secs_f64().max(1e-9);
        Snapshot {
            shards_done: c.shards_done.load(Ordering::Relaxed),
            shards_total: c.shards_total,
            docs: c.docs.load(Ordering::Relaxed),
            mb,
            mb_per_s: mb / secs,
        }
    }
}

struct Snapshot {
    shards_done: u64,
    shards_total: u64,
    docs: u64,
    mb: f64,
    mb_per_s: f64,
}

/// A writer for log lines on stderr: while a progress bar is shown, the bar is
/// cleared for the line and redrawn below it, instead of the two tearing each
/// other. Give it to the log subscriber (`with_writer(progress::log_writer)`).
pub fn log_writer() -> LogWriter {
    LogWriter
}

/// See [`log_writer`].
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Cloned out, so a log line never holds the lock while the bar redraws.
        let bar = SHOWN_BAR
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(_, b)| b.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress() -> Progress {
        let p = Progress::new(10);
        p.add_done(3);
        p.add_read(120_000, 0);
        p.add_read(0, 512_300_000);
        p
    }

    #[test]
    fn the_line_has_every_field_a_scraper_reads() {
        let line = progress().line(2);
        let (head, rate) = line.rsplit_once(" mb_per_s=").unwrap();
        assert_eq!(
            head,
            "shardwise_progress rank=2 phase=emit shards=3/10 docs=120000 mb=512.3"
        );
        // The number the SageMaker metric regex `mb_per_s=([0-9.]+)` captures.
        assert!(!rate.is_empty() && rate.chars().all(|c| c.is_ascii_digit() || c == '.'));
        assert!(rate.parse::<f64>().unwrap() > 0.0, "{line}");
    }

    #[test]
    fn zero_seconds_starts_nothing() {
        let r = progress().start(Duration::ZERO, 0);
        assert!(r.handle.is_none());
        r.stop();
    }

    #[test]
    fn a_bar_follows_the_counters_and_is_released_when_stopped() {
        let p = progress();
        let bar = p.bar(1, ProgressDrawTarget::hidden());
        p.update_bar(&bar);
        assert_eq!(bar.position(), 3);
        p.add_done(2);
        p.update_bar(&bar);
        assert_eq!(bar.position(), 5);
        assert_eq!(bar.length(), Some(10));
        assert_eq!(bar.prefix(), "rank 1");
        let msg = bar.message();
        assert!(msg.starts_with("120000 docs  512.3 MB  "), "{msg}");
        assert!(msg.ends_with(" MB/s"), "{msg}");

        let reporter = p.show(Show::Bar(bar.clone()), 1);
        reporter.stop();
        assert!(bar.is_finished());
        let shown = SHOWN_BAR.lock().unwrap_or_else(|e| e.into_inner());
        assert!(
            shown.as_ref().is_none_or(|(_, b)| !b.is_finished()),
            "a finished bar is no longer given to log lines"
        );
    }
}
