//! Moving events from memory to a stream's history, as they leave its window.
//!
//! The target watermark is the window's start (`now - retention`) rounded down to the hour, so the move
//! writes a file per day touched about once an hour rather than every second; memory holds up to an hour
//! more than the retention. A move:
//! 1. under the writer lock: seals the open segment if it holds events older than the target, closes the
//!    WAL's current file (every event in memory is now in a file numbered below the next one), and takes
//!    the sealed segments that hold such events;
//! 2. outside the locks: writes those events to Parquet and records the files, the target and that WAL
//!    file number in the manifest ([`super::history`]) — durable before anything leaves memory;
//! 3. swaps, for readers, each taken segment for its younger part (a new segment) and adds the new files,
//!    at one instant, so no query sees an event twice or misses one;
//! 4. forgets the moved events' ids (de-duplication covers the memory window) and deletes the WAL files
//!    whose every event is now in history.
//!
//! An event older than the watermark that arrives later (a late event, or a backfill) goes to memory like
//! any other, and the next move takes it. Then the history's expired files are deleted and one finished
//! day is compacted. A failure leaves everything where it was, logged and counted, for the next pass.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::TimestampMillisecondType;

use super::history::History;
use super::{ids, seal, Segment, StreamStore};

const HOUR_MS: i64 = 3_600_000;

/// The rows of `batch` whose event time (column `time`) is before `before`, and the others.
fn split(batch: &RecordBatch, time: usize, before: i64) -> (RecordBatch, RecordBatch) {
    let times = batch.column(time).as_primitive::<TimestampMillisecondType>();
    let old: BooleanArray = times.values().iter().map(|t| Some(*t < before)).collect();
    let young: BooleanArray = times.values().iter().map(|t| Some(*t >= before)).collect();
    (
        filter_record_batch(batch, &old).expect("a mask of the batch's length"),
        filter_record_batch(batch, &young).expect("a mask of the batch's length"),
    )
}

impl StreamStore {
    /// Moves the events older than the window (rounded down to the hour) to `history`, expires and
    /// compacts it. Returns the events moved.
    pub(super) fn move_to_history(&self, history: &mut History, now_ms: i64) -> usize {
        let window = now_ms.saturating_sub(self.def.retention.as_millis() as i64);
        let target = (window.div_euclid(HOUR_MS) * HOUR_MS).max(history.watermark());
        let moved = match self.move_before(history, target, now_ms) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(stream = %self.def.name, error = %e, "history: moving events failed; they stay in memory");
                metrics::counter!("ioc_history_errors_total").increment(1);
                0
            }
        };
        let expired = history.expire(now_ms).unwrap_or_else(|e| {
            tracing::error!(stream = %self.def.name, error = %e, "history: expiring files failed");
            0
        });
        let compacted = history.compact().unwrap_or_else(|e| {
            tracing::error!(stream = %self.def.name, error = %e, "history: compacting a day failed");
            false
        });
        if expired > 0 || compacted {
            self.segments.write().history = history.segments();
        }
        if moved > 0 {
            metrics::counter!("ioc_history_rows_written_total", "stream" => self.def.name.clone())
                .increment(moved as u64);
        }
        moved
    }

    fn move_before(&self, history: &mut History, target: i64, now_ms: i64) -> Result<usize, String> {
        // 1. What to move, and the WAL file from which nothing is moved.
        let (taken, wal_from) = {
            let mut w = self.writer.lock();
            let mut s = self.segments.write();
            if s.open.rows > 0 && s.open.min_ms < target {
                seal(&mut s);
            }
            let taken: Vec<Arc<Segment>> = s.sealed.iter().filter(|g| g.min_ms < target).cloned().collect();
            if taken.is_empty() && target <= history.watermark() {
                return Ok(0);
            }
            drop(s);
            let wal_from = match w.wal.as_mut() {
                Some(wal) => wal.close_file().map_err(|e| format!("closing the WAL file: {e}"))?,
                None => history.wal_from(),
            };
            (taken, wal_from)
        };
        // 2. The events, durably in history.
        let time = self.def.event_time;
        let mut old = Vec::new();
        let mut young: Vec<(u64, Option<Arc<Segment>>)> = Vec::new();
        for seg in &taken {
            let mut rest = Segment::empty();
            for b in &seg.batches {
                let (o, y) = split(b, time, target);
                if o.num_rows() > 0 {
                    old.push(o);
                }
                if y.num_rows() > 0 {
                    let (lo, hi) = super::event_time_range(&y, time);
                    rest.push(y, lo, hi);
                }
            }
            young.push((seg.id, (rest.rows > 0).then(|| Arc::new(rest.sealed()))));
        }
        let moved = history
            .write(&old, target, wal_from, now_ms)
            .map_err(|e| e.to_string())?;
        // 3. One instant for readers.
        {
            let mut s = self.segments.write();
            let replaced: HashSet<u64> = young.iter().map(|(id, _)| *id).collect();
            let mut sealed = Vec::with_capacity(s.sealed.len());
            for g in std::mem::take(&mut s.sealed) {
                if replaced.contains(&g.id) {
                    if let Some((_, Some(rest))) = young.iter().find(|(id, _)| *id == g.id) {
                        sealed.push(rest.clone());
                    }
                } else {
                    sealed.push(g);
                }
            }
            s.sealed = sealed;
            s.history = history.segments();
            self.account(&s);
        }
        // 4. Ids and WAL files.
        let mut w = self.writer.lock();
        if let Some(col) = self.def.id {
            for b in &old {
                w.ids.remove(&ids::hashes(b.column(col)));
            }
        }
        let (watermark, from) = (history.watermark(), history.wal_from());
        if let Some(wal) = w.wal.as_mut() {
            let deleted = wal.maintain(|f| f.number < from && f.max_ms < watermark);
            if deleted > 0 {
                metrics::counter!("ioc_wal_files_deleted_total").increment(deleted as u64);
            }
        }
        // Events past the history's horizon were left out of the files; they left memory all the same.
        let _ = moved;
        Ok(old.iter().map(|b| b.num_rows()).sum())
    }
}
