//! De-duplication by a stream's `id` column: the ids stored within retention, as 128-bit XXH3 hashes of
//! their values (16 bytes per id, and a chance of two different ids colliding below 10^-20 for 10^9
//! ids). A request's events whose id is already stored, or appears earlier in the same request, are
//! dropped before the WAL and the store see them (a request that then fails gives its ids back); retention removes the ids of the segments it drops, so
//! an id is remembered exactly as long as its event is.

use std::collections::HashSet;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int32Type, Int64Type};
use xxhash_rust::xxh3::xxh3_128;

/// The hashes of an id column's values, in row order.
pub fn hashes(column: &ArrayRef) -> Vec<u128> {
    match column.data_type() {
        DataType::Utf8 => column
            .as_string::<i32>()
            .iter()
            .map(|v| hash_bytes(v.unwrap_or("").as_bytes()))
            .collect(),
        DataType::Int64 => column
            .as_primitive::<Int64Type>()
            .values()
            .iter()
            .map(|v| hash_bytes(&v.to_le_bytes()))
            .collect(),
        DataType::Int32 => column
            .as_primitive::<Int32Type>()
            .values()
            .iter()
            .map(|v| hash_bytes(&(*v as i64).to_le_bytes()))
            .collect(),
        _ => match cast(column, &DataType::Utf8) {
            Ok(text) => hashes(&text),
            Err(_) => (0..column.len()).map(|i| i as u128).collect(),
        },
    }
}

fn hash_bytes(b: &[u8]) -> u128 {
    xxh3_128(b)
}

/// The ids a stream holds.
#[derive(Debug, Default)]
pub struct Ids {
    seen: HashSet<u128>,
}

impl Ids {
    /// Claims the ids of a request: answers which rows to keep (those whose id is neither stored nor
    /// earlier in `hashes`; `None` when all are new, the common case). The kept ids count as stored from
    /// now on; if the request then fails, [`Ids::remove`] gives them back.
    pub fn claim(&mut self, hashes: &[u128]) -> Option<BooleanArray> {
        let mut keep: Option<Vec<bool>> = None;
        for (i, h) in hashes.iter().enumerate() {
            if !self.seen.insert(*h) {
                keep.get_or_insert_with(|| vec![true; hashes.len()])[i] = false;
            }
        }
        keep.map(BooleanArray::from)
    }

    pub fn remove(&mut self, hashes: &[u128]) {
        for h in hashes {
            self.seen.remove(h);
        }
        if self.seen.capacity() > 4 * self.seen.len().max(1024) {
            self.seen.shrink_to_fit();
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use std::sync::Arc;

    #[test]
    fn stored_and_repeated_ids_are_dropped() {
        let mut ids = Ids::default();
        let first: ArrayRef = Arc::new(StringArray::from(vec!["a", "b"]));
        assert!(ids.claim(&hashes(&first)).is_none());
        let next: ArrayRef = Arc::new(StringArray::from(vec!["b", "c", "c", "d"]));
        let keep = ids.claim(&hashes(&next)).unwrap();
        assert_eq!(keep, BooleanArray::from(vec![false, true, false, true]));
        assert_eq!(ids.len(), 4);
        ids.remove(&hashes(&first));
        assert!(ids.claim(&hashes(&first)).is_none(), "forgotten with their segment");
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 1]));
        assert_eq!(
            ids.claim(&hashes(&ints)).unwrap(),
            BooleanArray::from(vec![true, true, false])
        );
    }
}
