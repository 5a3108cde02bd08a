//! Which sealed segments to compact: runs of small neighbours become one segment.
//!
//! A quiet stream seals a small segment every `seal_age` (about 7,000 rows a minute at 10M events a day),
//! so a day would be 1,440 segments: many arrays to scan, and many partial aggregates for the engine to
//! merge at every tick. Runs of adjacent small segments are merged into one of at most `max_rows` rows.
//! A run is taken only once it is worth it (8 segments, or half of `max_rows`), so a row is copied a small
//! number of times. This module only chooses; the store does the merge and the swap.

use std::ops::Range;
use std::sync::Arc;

use super::segment::Segment;

/// Segments in a run are each smaller than `max_rows / SMALL`.
const SMALL: usize = 4;
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
        while j < sealed.len() && sealed[j].rows < small && total + sealed[j].rows <= max_rows {
            total += sealed[j].rows;
            j += 1;
        }
        if j - i >= 2 && (j - i >= RUN || total >= max_rows / 2) {
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
        // Half of max_rows in three: one run; a big one breaks runs.
        assert_eq!(plan(&segs(&[200, 200, 200, 900, 10, 10]), 1000), vec![0..3]);
        // Never past max_rows.
        assert_eq!(plan(&segs(&[240; 6]), 1000), vec![0..4]);
    }
}
