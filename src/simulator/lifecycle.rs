//! Things that change status over time (dossiers, feedback tickets): each is planned in full when it appears (its
//! statuses and when each happens) and its events are released as simulated time reaches them.
//!
//! Planning ahead keeps the generators simple and makes the outcome (on time, late, never finished) a decision
//! taken once, with the odds the scenario needs. Memory is bounded: past `cap` open items the oldest is dropped
//! (it simply never finishes, like a dossier that stays overdue).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// One planned status change.
#[derive(Debug, Clone, Copy)]
pub(super) struct Step {
    pub status: &'static str,
    /// When it happens: the event time.
    pub at: i64,
    /// When its event reaches the IOC: `at`, or later for a late event.
    pub arrives: i64,
}

struct Entry<T> {
    item: T,
    steps: VecDeque<Step>,
}

pub(super) struct Lifecycles<T> {
    cap: usize,
    /// Insertion order, so the first entry is the oldest.
    next_seq: u64,
    entries: BTreeMap<u64, Entry<T>>,
    /// `(arrives, seq)` of each entry's next step.
    queue: BTreeSet<(i64, u64)>,
}

impl<T> Lifecycles<T> {
    pub fn new(cap: usize) -> Self {
        Lifecycles {
            cap: cap.max(1),
            next_seq: 0,
            entries: BTreeMap::new(),
            queue: BTreeSet::new(),
        }
    }

    /// Open items: those with steps still to come.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds an item with its planned steps (the first is its appearance).
    pub fn insert(&mut self, item: T, steps: Vec<Step>) {
        let Some(first) = steps.first() else {
            return;
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.insert((first.arrives, seq));
        self.entries.insert(
            seq,
            Entry {
                item,
                steps: steps.into(),
            },
        );
        if self.entries.len() > self.cap {
            self.drop_oldest();
        }
    }

    /// Calls `emit` for every step that has arrived by `now`, in arrival order.
    pub fn release(&mut self, now: i64, mut emit: impl FnMut(&T, &Step)) {
        while let Some(&(arrives, seq)) = self.queue.first() {
            if arrives > now {
                break;
            }
            self.queue.pop_first();
            let Some(entry) = self.entries.get_mut(&seq) else {
                continue;
            };
            if let Some(step) = entry.steps.pop_front() {
                emit(&entry.item, &step);
            }
            match entry.steps.front() {
                Some(next) => {
                    self.queue.insert((next.arrives, seq));
                }
                None => {
                    self.entries.remove(&seq);
                }
            }
        }
    }

    fn drop_oldest(&mut self) {
        if let Some((seq, entry)) = self.entries.pop_first() {
            if let Some(next) = entry.steps.front() {
                self.queue.remove(&(next.arrives, seq));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(status: &'static str, at: i64) -> Step {
        Step {
            status,
            at,
            arrives: at,
        }
    }

    #[test]
    fn releases_steps_in_arrival_order_and_forgets_finished_items() {
        let mut l = Lifecycles::new(10);
        l.insert("a", vec![step("open", 0), step("done", 50)]);
        l.insert("b", vec![step("open", 10), step("done", 20)]);
        let mut seen = Vec::new();
        l.release(30, |item, s| seen.push((*item, s.status)));
        assert_eq!(seen, [("a", "open"), ("b", "open"), ("b", "done")]);
        assert_eq!(l.len(), 1);
        l.release(100, |item, s| seen.push((*item, s.status)));
        assert_eq!(seen.last(), Some(&("a", "done")));
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn drops_the_oldest_past_the_cap() {
        let mut l = Lifecycles::new(2);
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            l.insert(name, vec![step("open", i as i64)]);
        }
        assert_eq!(l.len(), 2);
        let mut seen = Vec::new();
        l.release(10, |item, _| seen.push(*item));
        assert_eq!(seen, ["b", "c"]);
    }
}
