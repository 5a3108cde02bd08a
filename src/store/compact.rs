//! Which sealed segments to compact: runs of small neighbours become one segment.
//!
//! A quiet stream seals a small segment every `seal_age` (about 7,000 rows a minute at 10M events a day),
//! and a busy one every `seal_rows` (kept small, because every tick reads the open segment again), so a
//! day would be hundreds or thousands of segments: many arrays to scan, and many partial aggregates for the
//! engine to merge at every tick. Runs of adjacent small segments are merged into one of at most
//! `max_rows` rows ([`GROWTH`] times `seal_rows`). A run is taken only once it is worth it (8 segments, or
//! three quarters of `max_rows`), so a row is copied a small number of times. Segments are not made larger
//! than that: the oldest segment of a sliding window is cut by the window's bound and read at every tick.
//! This module only chooses; the store does the merge and the swap.

use std::ops::Range;
use std::sync::Arc;

use super::segment::Segment;

/// Compacted segments hold up to this many times `seal_rows`.
pub const GROWTH: usize = 4;
/// Segments in a run each hold at most `max_rows / SMALL` rows.
const SMALL: usize = 2;
/// A run of this many small segments is merged even when it totals less than half of `max_rows`.
const RUN: usize = 8;

/// Ranges of `sealed` (oldest first) to merge, oldest first and not overlapping.
pub fn plan(sealed: &[Arc<Segment>], max_rows: usize) -> Vec<Range<usize>> {
    let small = (max_rows / SMALL).max(1);
    let mut runs = Vec::new();
    let mut i = 0;
    while i < sealed.len() {
        let mut j = i;
        let mut total = 0;
        while j < sealed.len() && sealed[j].rows <= small && total + sealed[j].rows <= max_rows {
            total += sealed[j].rows;
            j += 1;
        }
        if j - i >= 2 && (j - i >= RUN || total >= max_rows / 4 * 3) {
            runs.push(i..j);
            i = j;
        } else {
            i = j.max(i + 1);
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(rows: &[usize]) -> Vec<Arc<Segment>> {
        rows.iter()
            .map(|&r| {
                Arc::new(Segment {
                    rows: r,
                    ..Segment::empty()
                })
            })
            .collect()
    }

    #[test]
    fn merges_runs_of_small_segments_once_they_are_worth_it() {
        // Seven small ones: not yet.
        assert!(plan(&segs(&[10; 7]), 1000).is_empty());
        // Eight: one run.
        assert_eq!(plan(&segs(&[10; 8]), 1000), vec![0..8]);
        // Three quarters of max_rows in three: one run; a big one breaks runs.
        assert_eq!(plan(&segs(&[250, 250, 250, 900, 10, 10]), 1000), vec![0..3]);
        // Four segments sealed by rows (a quarter each) make one; never past max_rows.
        assert_eq!(plan(&segs(&[250; 6]), 1000), vec![0..4]);
        assert!(plan(&segs(&[250, 250]), 1000).is_empty());
    }
}
