//! Crash injection for the kill-and-resume tests.
//!
//! `SHARDWISE_FAILPOINT=before_marker:N` kills the process with SIGKILL just
//! before the N-th commit marker of this process is written (the shard's outputs
//! are committed, its marker is not); `after_marker:N` just after it. Unset, this
//! costs one relaxed atomic load per shard.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    BeforeMarker,
    AfterMarker,
}

fn armed() -> Option<(Point, u64)> {
    static ARMED: OnceLock<Option<(Point, u64)>> = OnceLock::new();
    *ARMED.get_or_init(|| {
        let v = std::env::var("SHARDWISE_FAILPOINT").ok()?;
        let (name, n) = v.split_once(':')?;
        let point = match name {
            "before_marker" => Point::BeforeMarker,
            "after_marker" => Point::AfterMarker,
            _ => return None,
        };
        Some((point, n.parse().ok()?))
    })
}

static SEEN: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Kills the process when the armed point is reached for the N-th time.
pub fn hit(point: Point) {
    let Some((armed, n)) = armed() else { return };
    if armed != point {
        return;
    }
    let seen = SEEN[point as usize].fetch_add(1, Ordering::SeqCst) + 1;
    if seen == n {
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
