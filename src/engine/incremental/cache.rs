//! Partial aggregates of sealed segments, kept between ticks, and the byte budget they share.
//!
//! One [`PartialCache`] belongs to one cached aggregate of one prepared query (a new definition makes a
//! new plan, and so a new, empty cache). Entries are keyed by segment id; a segment's rows never change,
//! so its entry stays right until the segment is dropped or compacted, and the engine then drops the
//! entry ([`PartialCache::retain`]). All caches share one [`CacheBudget`]: an entry that would pass it is
//! not kept (the segment is read again next tick; the result is the same, only slower), and every refusal
//! is counted. Entries are whole Arrow batches, counted by the bytes their arrays hold.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use datafusion::arrow::record_batch::RecordBatch;
use parking_lot::Mutex;

/// Bytes all partial aggregates together may hold.
#[derive(Debug)]
pub struct CacheBudget {
    limit: usize,
    used: AtomicUsize,
    entries: AtomicUsize,
    refused: AtomicU64,
}

/// What the budget holds, for `/metrics` and the scenario list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheUsage {
    pub limit_bytes: usize,
    pub used_bytes: usize,
    pub entries: usize,
    pub refused: u64,
}

impl CacheBudget {
    pub fn new(limit: usize) -> Arc<CacheBudget> {
        Arc::new(CacheBudget {
            limit,
            used: AtomicUsize::new(0),
            entries: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
        })
    }

    fn reserve(&self, bytes: usize) -> bool {
        let mut used = self.used.load(Ordering::Acquire);
        loop {
            if used.saturating_add(bytes) > self.limit {
                self.refused.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            match self
                .used
                .compare_exchange_weak(used, used + bytes, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    self.entries.fetch_add(1, Ordering::Relaxed);
                    return true;
                }
                Err(now) => used = now,
            }
        }
    }

    fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
        self.entries.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn usage(&self) -> CacheUsage {
        CacheUsage {
            limit_bytes: self.limit,
            used_bytes: self.used.load(Ordering::Acquire),
            entries: self.entries.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug)]
struct Entry {
    state: RecordBatch,
    bytes: usize,
}

/// Partial aggregate states of sealed segments, by segment id, and combined states of blocks of them, by
/// their members' ids.
#[derive(Debug)]
pub struct PartialCache {
    budget: Arc<CacheBudget>,
    entries: Mutex<HashMap<u64, Entry>>,
    blocks: Mutex<HashMap<Vec<u64>, Entry>>,
    /// The covered segments of the last run and the states assembled for them (the same batches as the
    /// entries and blocks, shared, so not counted again).
    last: Mutex<Option<(Vec<u64>, Vec<RecordBatch>)>>,
    /// Sealed segments cut by the time bounds: the state of the rows the bounds kept, with the bounds'
    /// values it was computed for. A bound that stands still for a while ("since 1 January", "today")
    /// cuts the same segment the same way at every tick, so it is read once, not at every tick.
    cut: Mutex<HashMap<u64, (String, Entry)>>,
}

impl PartialCache {
    pub fn new(budget: Arc<CacheBudget>) -> PartialCache {
        PartialCache {
            budget,
            entries: Mutex::new(HashMap::new()),
            blocks: Mutex::new(HashMap::new()),
            last: Mutex::new(None),
            cut: Mutex::new(HashMap::new()),
        }
    }

    /// The state of `segment` as the bounds `key` cut it, when it was computed for those bounds.
    pub fn cut(&self, segment: u64, key: &str) -> Option<RecordBatch> {
        match self.cut.lock().get(&segment) {
            Some((k, e)) if k == key => Some(e.state.clone()),
            _ => None,
        }
    }

    /// Keeps the state of `segment` cut by the bounds `key` (replacing the one for other bounds).
    pub fn insert_cut(&self, segment: u64, key: String, state: RecordBatch) -> bool {
        let bytes = state.get_array_memory_size();
        let old = self.cut.lock().remove(&segment);
        if let Some((_, old)) = old {
            self.budget.release(old.bytes);
        }
        if !self.budget.reserve(bytes) {
            return false;
        }
        self.cut.lock().insert(segment, (key, Entry { state, bytes }));
        true
    }

    /// Drops the cut states of segments not in `keep`.
    pub fn retain_cut(&self, keep: &HashSet<u64>) {
        self.cut.lock().retain(|id, (_, e)| {
            let kept = keep.contains(id);
            if !kept {
                self.budget.release(e.bytes);
            }
            kept
        });
    }

    /// The states assembled for exactly the covered segments `ids`, when the last run had the same.
    pub fn assembled(&self, ids: &[u64]) -> Option<Vec<RecordBatch>> {
        match &*self.last.lock() {
            Some((last, states)) if last.as_slice() == ids => Some(states.clone()),
            _ => None,
        }
    }

    /// Remembers the states assembled for the covered segments `ids`.
    pub fn remember(&self, ids: Vec<u64>, states: Vec<RecordBatch>) {
        *self.last.lock() = Some((ids, states));
    }

    /// The combined state of the segments `members`, in this order.
    pub fn block(&self, members: &[u64]) -> Option<RecordBatch> {
        self.blocks.lock().get(members).map(|e| e.state.clone())
    }

    /// Keeps the combined state of `members` if the budget allows.
    pub fn insert_block(&self, members: Vec<u64>, state: RecordBatch) -> bool {
        let bytes = state.get_array_memory_size();
        if !self.budget.reserve(bytes) {
            return false;
        }
        if let Some(old) = self.blocks.lock().insert(members, Entry { state, bytes }) {
            self.budget.release(old.bytes);
        }
        true
    }

    /// Drops every block not in `keep`.
    pub fn retain_blocks(&self, keep: &HashSet<Vec<u64>>) {
        self.blocks.lock().retain(|members, e| {
            let kept = keep.contains(members);
            if !kept {
                self.budget.release(e.bytes);
            }
            kept
        });
    }

    pub fn get(&self, segment: u64) -> Option<RecordBatch> {
        self.entries.lock().get(&segment).map(|e| e.state.clone())
    }

    /// Keeps `state` for `segment` if the budget allows; false when it does not.
    pub fn insert(&self, segment: u64, state: RecordBatch) -> bool {
        let bytes = state.get_array_memory_size();
        if !self.budget.reserve(bytes) {
            return false;
        }
        if let Some(old) = self.entries.lock().insert(segment, Entry { state, bytes }) {
            self.budget.release(old.bytes);
        }
        true
    }

    /// Drops every entry whose segment is not in `keep`.
    pub fn retain(&self, keep: &HashSet<u64>) {
        let mut entries = self.entries.lock();
        entries.retain(|id, e| {
            let kept = keep.contains(id);
            if !kept {
                self.budget.release(e.bytes);
            }
            kept
        });
    }

    /// Bytes this cache holds.
    pub fn bytes(&self) -> usize {
        self.entries.lock().values().map(|e| e.bytes).sum::<usize>()
            + self.blocks.lock().values().map(|e| e.bytes).sum::<usize>()
            + self.cut.lock().values().map(|(_, e)| e.bytes).sum::<usize>()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for PartialCache {
    fn drop(&mut self) {
        for e in self.entries.get_mut().values().chain(self.blocks.get_mut().values()) {
            self.budget.release(e.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;

    fn state(n: i64) -> RecordBatch {
        RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from_iter_values(0..n)) as _)]).unwrap()
    }

    #[test]
    fn holds_to_its_budget_and_gives_bytes_back() {
        let one = state(100).get_array_memory_size();
        let budget = CacheBudget::new(2 * one + one / 2);
        let a = PartialCache::new(budget.clone());
        let b = PartialCache::new(budget.clone());
        assert!(a.insert(1, state(100)));
        assert!(b.insert(1, state(100)));
        assert!(!a.insert(2, state(100)), "past the budget");
        assert_eq!(budget.usage().refused, 1);
        assert_eq!(budget.usage().used_bytes, 2 * one);
        a.retain(&HashSet::new());
        assert!(a.is_empty());
        assert!(a.insert(2, state(100)));
        drop(b);
        assert_eq!(budget.usage().used_bytes, one);
        assert_eq!(budget.usage().entries, 1);
    }
}
