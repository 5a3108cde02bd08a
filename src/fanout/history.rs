//! A topic's history: its last updates, as sent to unfiltered subscribers, kept so a client that
//! reconnects with `resume` gets what it missed.
//!
//! Bounded three ways (docs/protocol.md, "WebSocket details"): at most `updates` updates, `bytes` bytes
//! and `age` old. A snapshot supersedes everything before it, so pushing one drops the older updates: an
//! unkeyed scenario (every update a snapshot) keeps one frame, shared with the topic's current snapshot.
//! Bytes held are counted in a gauge shared by every topic of a hub (`ioc_fanout_history_bytes`).
//! This module does not decide what to send; a resume it cannot serve falls back to a snapshot upstream.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Frame;

/// How much history each topic may keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Updates kept (0 keeps none).
    pub updates: usize,
    /// Bytes of frames kept.
    pub bytes: usize,
    /// Updates older than this are dropped.
    pub age: Duration,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        HistoryLimits {
            updates: 256,
            bytes: 1 << 20,
            age: Duration::from_secs(300),
        }
    }
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    frame: Frame,
    snapshot: bool,
    at: Instant,
}

/// The kept updates of one topic, oldest first.
#[derive(Debug)]
pub struct History {
    limits: HistoryLimits,
    entries: VecDeque<Entry>,
    bytes: usize,
    /// Bytes held by every topic of the hub.
    total: Arc<AtomicUsize>,
}

impl History {
    pub fn new(limits: HistoryLimits, total: Arc<AtomicUsize>) -> History {
        History {
            limits,
            entries: VecDeque::new(),
            bytes: 0,
            total,
        }
    }

    /// Keeps the update `seq` (a snapshot or a delta), then drops what the limits no longer allow.
    pub fn push(&mut self, seq: u64, frame: &Frame, snapshot: bool, now: Instant) {
        if self.limits.updates == 0 {
            return;
        }
        if snapshot {
            self.clear();
        }
        self.bytes += frame.len();
        self.total.fetch_add(frame.len(), Ordering::Relaxed);
        self.entries.push_back(Entry {
            seq,
            frame: frame.clone(),
            snapshot,
            at: now,
        });
        while let Some(front) = self.entries.front() {
            let too_old = now.saturating_duration_since(front.at) > self.limits.age;
            if self.entries.len() > self.limits.updates || self.bytes > self.limits.bytes || too_old {
                self.pop();
            } else {
                break;
            }
        }
    }

    fn pop(&mut self) {
        if let Some(e) = self.entries.pop_front() {
            self.bytes -= e.frame.len();
            self.total.fetch_sub(e.frame.len(), Ordering::Relaxed);
        }
    }

    pub fn clear(&mut self) {
        while !self.entries.is_empty() {
            self.pop();
        }
    }

    /// The frames that bring a client at `seq` up to date, when the history holds them: the updates after
    /// `seq`, or a kept snapshot (always the oldest entry, since it dropped what came before) and the
    /// updates after it. `None` when it cannot.
    pub fn after(&self, seq: u64) -> Option<Vec<Frame>> {
        let front = self.entries.front()?;
        let from = if front.seq <= seq + 1 {
            seq
        } else if front.snapshot {
            0
        } else {
            return None;
        };
        Some(
            self.entries
                .iter()
                .filter(|e| e.seq > from)
                .map(|e| e.frame.clone())
                .collect(),
        )
    }

    /// Bytes this topic keeps.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Drop for History {
    fn drop(&mut self) {
        self.total.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Frame {
        Frame::from("x".repeat(n))
    }

    fn history(updates: usize, bytes: usize) -> (History, Arc<AtomicUsize>) {
        let total = Arc::new(AtomicUsize::new(0));
        let limits = HistoryLimits {
            updates,
            bytes,
            age: Duration::from_secs(60),
        };
        (History::new(limits, total.clone()), total)
    }

    #[test]
    fn bounded_by_bytes_and_counted() {
        let (mut h, total) = history(256, 1000);
        let now = Instant::now();
        for seq in 1..=10 {
            h.push(seq, &frame(300), false, now);
        }
        assert_eq!((h.len(), h.bytes()), (3, 900));
        assert_eq!(total.load(Ordering::Relaxed), 900);
        // The history reaches back to seq 8: a client at 7 can be served, one at 6 cannot.
        assert_eq!(h.after(7).map(|f| f.len()), Some(3));
        assert_eq!(h.after(6), None);
        drop(h);
        assert_eq!(total.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_snapshot_supersedes_what_came_before() {
        let (mut h, total) = history(256, 1 << 20);
        let now = Instant::now();
        for seq in 1..=100 {
            h.push(seq, &frame(1000), true, now);
        }
        assert_eq!((h.len(), total.load(Ordering::Relaxed)), (1, 1000));
        h.push(101, &frame(10), false, now);
        // A client far behind gets the snapshot and the delta after it.
        assert_eq!(h.after(3).map(|f| f.len()), Some(2));
        assert_eq!(h.after(100).map(|f| f.len()), Some(1));
    }

    #[test]
    fn old_updates_are_dropped() {
        let (mut h, _) = history(256, 1 << 20);
        let t0 = Instant::now();
        h.push(1, &frame(10), false, t0);
        h.push(2, &frame(10), false, t0 + Duration::from_secs(61));
        assert_eq!(h.len(), 1);
        assert_eq!(h.after(0), None);
    }
}
