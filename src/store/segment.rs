//! A segment: Arrow batches of one stream with the min/max of their event time, and an identity.
//!
//! Sealed segments never change: a reader holding an `Arc<Segment>` sees the same rows for ever, and the
//! engine keys what it derives from a segment (partial aggregates) by [`Segment::id`]. Ids are unique in
//! the process and never reused. A segment made by compacting smaller ones lists them in
//! [`Segment::parts`] (their ids and row counts, in order: part `i`'s rows are a contiguous slice of the new
//! segment), so what was derived from the parts can be combined instead of read again, and
//! [`Segment::part`] gives back a part that was not.
//!
//! The open segment takes appends. Small appends (one request of a few events each) are concatenated with
//! their neighbours as they come, so the open segment holds a few large batches rather than thousands of
//! tiny ones: cheap to snapshot and fast to scan. This module does not decide when to seal or compact.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use datafusion::arrow::compute::concat_batches;
use datafusion::arrow::record_batch::RecordBatch;

use super::history::HistoryFile;

/// Batches of up to this many rows are concatenated with a neighbour of comparable size.
const MERGE_BELOW_ROWS: usize = 16_384;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A segment that a compaction merged into a larger one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub id: u64,
    pub rows: usize,
}

/// A new segment identity, unique in the process.
pub fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Batches with the min/max event time (epoch ms) of their rows.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Unique in the process; a sealed segment's rows never change under its id.
    pub id: u64,
    /// The sealed segments this one was compacted from, in order (empty for a segment sealed from appends).
    pub parts: Vec<Part>,
    pub batches: Vec<RecordBatch>,
    pub min_ms: i64,
    pub max_ms: i64,
    pub rows: usize,
    /// Bytes its arrays hold in memory (0 for a history file).
    pub bytes: usize,
    /// For a segment of the history: the Parquet file that holds its rows (and `batches` is empty).
    pub file: Option<Arc<HistoryFile>>,
}

impl Segment {
    pub fn empty() -> Segment {
        Segment {
            id: next_id(),
            parts: Vec::new(),
            batches: Vec::new(),
            min_ms: i64::MAX,
            max_ms: i64::MIN,
            rows: 0,
            bytes: 0,
            file: None,
        }
    }

    /// Appends a batch whose event times lie in `[min_ms, max_ms]`. Small batches are merged with the
    /// previous one while the two are of comparable size (a binary counter: each row is copied at most
    /// log2(16k) times, and the segment holds O(log n) small batches).
    pub fn push(&mut self, batch: RecordBatch, min_ms: i64, max_ms: i64) {
        self.min_ms = self.min_ms.min(min_ms);
        self.max_ms = self.max_ms.max(max_ms);
        self.rows += batch.num_rows();
        self.bytes += batch.get_array_memory_size();
        self.batches.push(batch);
        while let [.., prev, last] = self.batches.as_slice() {
            let (p, l) = (prev.num_rows(), last.num_rows());
            if p >= MERGE_BELOW_ROWS || l * 2 < p {
                break;
            }
            let Ok(merged) = concat_batches(&prev.schema(), [prev, last]) else {
                break;
            };
            let freed = prev.get_array_memory_size() + last.get_array_memory_size();
            self.bytes = self.bytes - freed + merged.get_array_memory_size();
            self.batches.truncate(self.batches.len() - 2);
            self.batches.push(merged);
        }
    }

    /// This segment's rows as one sealed segment with a new id: one batch, so scans touch fewer, larger
    /// arrays. (Concatenating batches of one schema cannot fail; the parts are kept if it somehow does.)
    pub fn sealed(self) -> Segment {
        let batches = match self.batches.as_slice() {
            [] | [_] => self.batches,
            many => match concat_batches(&many[0].schema(), many) {
                Ok(b) => vec![b],
                Err(_) => self.batches,
            },
        };
        let bytes = batches.iter().map(|b| b.get_array_memory_size()).sum();
        Segment {
            id: next_id(),
            batches,
            bytes,
            ..self
        }
    }

    /// One sealed segment holding the rows of `parts`, in order, with a new id that remembers theirs.
    pub fn compacted(parts: &[&Segment]) -> Segment {
        let mut out = Segment::empty();
        for p in parts {
            out.min_ms = out.min_ms.min(p.min_ms);
            out.max_ms = out.max_ms.max(p.max_ms);
            out.rows += p.rows;
            out.batches.extend(p.batches.iter().cloned());
        }
        let mut out = out.sealed();
        out.parts = parts.iter().map(|p| Part { id: p.id, rows: p.rows }).collect();
        out
    }

    /// Part `i` of a compacted segment as a segment of its own (same id and rows, as a zero-copy slice;
    /// its time range is the whole segment's, which holds its own). `None` if the rows are not one batch.
    pub fn part(&self, i: usize) -> Option<Segment> {
        let [batch] = self.batches.as_slice() else {
            return None;
        };
        let part = self.parts.get(i)?;
        let offset: usize = self.parts[..i].iter().map(|p| p.rows).sum();
        (offset + part.rows <= batch.num_rows()).then(|| Segment {
            id: part.id,
            parts: Vec::new(),
            batches: vec![batch.slice(offset, part.rows)],
            min_ms: self.min_ms,
            max_ms: self.max_ms,
            rows: part.rows,
            bytes: 0,
            file: None,
        })
    }

    /// Whether the segment may hold a row with event time in `[lo_ms, hi_ms]` (inclusive).
    pub fn overlaps(&self, lo_ms: i64, hi_ms: i64) -> bool {
        self.rows > 0 && self.max_ms >= lo_ms && self.min_ms <= hi_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    fn batch(n: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..n as i64))]).unwrap()
    }

    #[test]
    fn small_appends_are_merged_into_few_batches() {
        let mut s = Segment::empty();
        for i in 0..10_000 {
            s.push(batch(1), i, i);
        }
        assert_eq!(s.rows, 10_000);
        assert_eq!(s.batches.iter().map(|b| b.num_rows()).sum::<usize>(), 10_000);
        assert!(s.batches.len() <= 16, "{} batches", s.batches.len());
        assert_eq!((s.min_ms, s.max_ms), (0, 9_999));
        let bytes: usize = s.batches.iter().map(|b| b.get_array_memory_size()).sum();
        assert_eq!(s.bytes, bytes);
    }

    #[test]
    fn large_batches_stay_whole() {
        let mut s = Segment::empty();
        s.push(batch(50_000), 0, 1);
        s.push(batch(50_000), 2, 3);
        assert_eq!(s.batches.len(), 2);
    }

    #[test]
    fn compaction_keeps_rows_and_lineage() {
        let mut a = Segment::empty();
        a.push(batch(3), 10, 20);
        let a = a.sealed();
        let mut b = Segment::empty();
        b.push(batch(4), 5, 30);
        let b = b.sealed();
        let c = Segment::compacted(&[&a, &b]);
        assert_eq!((c.rows, c.min_ms, c.max_ms), (7, 5, 30));
        assert_eq!(c.parts, vec![Part { id: a.id, rows: 3 }, Part { id: b.id, rows: 4 }]);
        let second = c.part(1).unwrap();
        assert_eq!((second.id, second.rows), (b.id, 4));
        assert_eq!(second.batches[0], b.batches[0]);
        assert_eq!(c.batches.len(), 1);
        assert!(c.id != a.id && c.id != b.id);
    }
}
