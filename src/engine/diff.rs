//! The difference between two results of a scenario, by key.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::fanout::Change;
use crate::values::Row;

/// A result indexed by the JSON text of each row's key.
#[derive(Debug, Default, Clone)]
pub struct Keyed {
    pub index: Arc<HashMap<String, usize>>,
}

pub fn key_of(row: &Row, key: &[usize]) -> Vec<Value> {
    key.iter().map(|&i| row[i].clone()).collect()
}

fn key_text(row: &Row, key: &[usize]) -> String {
    serde_json::to_string(&key_of(row, key)).expect("JSON values serialise")
}

/// Indexes `rows` by key; an error when two rows have the same key.
pub fn index(rows: &[Row], key: &[usize]) -> Result<Keyed, String> {
    let mut index = HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if let Some(prev) = index.insert(key_text(row, key), i) {
            return Err(format!(
                "the key is not unique: rows {} and {} both have key {}",
                prev + 1,
                i + 1,
                key_text(row, key)
            ));
        }
    }
    Ok(Keyed { index: Arc::new(index) })
}

/// What changed from `old` to `new`, or `None` when nothing did. Without a key, any change is a snapshot.
pub fn diff(old: &[Row], old_index: &Keyed, new: &[Row], new_index: &Keyed, key: &[usize]) -> Option<Change> {
    if key.is_empty() {
        return (old != new).then_some(Change::Snapshot);
    }
    let upsert: Vec<Row> = new
        .iter()
        .filter(|row| match old_index.index.get(&key_text(row, key)) {
            Some(&i) => old[i] != **row,
            None => true,
        })
        .cloned()
        .collect();
    let delete: Vec<Vec<Value>> = old
        .iter()
        .filter(|row| !new_index.index.contains_key(&key_text(row, key)))
        .map(|row| key_of(row, key))
        .collect();
    (!upsert.is_empty() || !delete.is_empty()).then_some(Change::Delta { upsert, delete })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(v: Value) -> Vec<Row> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn keyed_diff() {
        let old = rows(json!([["a", 1], ["b", 2], ["c", 3]]));
        let new = rows(json!([["a", 1], ["b", 5], ["d", 4]]));
        let (oi, ni) = (index(&old, &[0]).unwrap(), index(&new, &[0]).unwrap());
        let change = diff(&old, &oi, &new, &ni, &[0]).unwrap();
        assert_eq!(
            change,
            Change::Delta {
                upsert: rows(json!([["b", 5], ["d", 4]])),
                delete: vec![vec![json!("c")]],
            }
        );
        assert_eq!(diff(&new, &ni, &new, &ni, &[0]), None);
        assert!(index(&rows(json!([["a", 1], ["a", 2]])), &[0]).is_err());
    }

    #[test]
    fn unkeyed_diff_is_a_snapshot() {
        let a = rows(json!([[1]]));
        let b = rows(json!([[2]]));
        let k = Keyed::default();
        assert_eq!(diff(&a, &k, &b, &k, &[]), Some(Change::Snapshot));
        assert_eq!(diff(&a, &k, &a, &k, &[]), None);
    }
}
