//! Subscription filters: keep the rows whose columns equal the given values (`{"commune_code": "X0107"}`).
//! A row access limit (a viewer token limited to rows) is the same thing, enforced by the server.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ResultView;
use crate::values::{ColumnInfo, Row};

/// Column equality conditions, all of which must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    conditions: BTreeMap<String, Value>,
    /// A stable text of the conditions: subscribers with equal filters share one encoded frame.
    id: String,
}

/// Most conditions one filter may hold.
pub const MAX_CONDITIONS: usize = 16;

/// Why a `filter` (of a `subscribe`, or a token's `rows`) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("a filter has at most {MAX_CONDITIONS} columns")]
    TooMany,
    #[error("filter `{0}`: compare with a string, number, boolean or null")]
    NotScalar(String),
}

impl Filter {
    /// A filter from the `filter` object of a `subscribe`; values must be strings, numbers, booleans or null.
    pub fn new(conditions: serde_json::Map<String, Value>) -> Result<Filter, FilterError> {
        if conditions.len() > MAX_CONDITIONS {
            return Err(FilterError::TooMany);
        }
        if let Some((k, _)) = conditions.iter().find(|(_, v)| v.is_array() || v.is_object()) {
            return Err(FilterError::NotScalar(k.clone()));
        }
        let conditions: BTreeMap<String, Value> = conditions.into_iter().collect();
        let id = serde_json::to_string(&conditions).expect("JSON");
        Ok(Filter { conditions, id })
    }

    /// Both filters at once (a client's filter within its row limit). Conflicting values match nothing.
    pub fn and(&self, other: &Filter) -> Filter {
        let mut conditions = self.conditions.clone();
        let mut conflict = false;
        for (k, v) in &other.conditions {
            match conditions.get(k) {
                Some(mine) if !same(mine, v) => conflict = true,
                _ => {
                    conditions.insert(k.clone(), v.clone());
                }
            }
        }
        if conflict {
            // A column name no result has: nothing matches.
            conditions.insert("\u{0}conflict".into(), Value::Null);
        }
        let id = serde_json::to_string(&conditions).expect("JSON");
        Filter { conditions, id }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The first condition on a column the result does not have.
    pub fn unknown_column(&self, columns: &[ColumnInfo]) -> Option<&str> {
        self.conditions
            .keys()
            .find(|k| !columns.iter().any(|c| &c.name == *k))
            .map(String::as_str)
    }

    pub fn matches_row(&self, columns: &[ColumnInfo], row: &Row) -> bool {
        self.conditions.iter().all(|(k, want)| {
            columns
                .iter()
                .position(|c| &c.name == k)
                .is_some_and(|i| same(&row[i], want))
        })
    }

    /// The rows of a view that match.
    pub fn rows(&self, view: &ResultView) -> Vec<Row> {
        view.rows
            .iter()
            .filter(|r| self.matches_row(&view.columns, r))
            .cloned()
            .collect()
    }
}

/// JSON equality where `1` equals `1.0`.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_on_every_condition() {
        let cols: Vec<ColumnInfo> = ["a", "b"]
            .iter()
            .map(|n| ColumnInfo {
                name: n.to_string(),
                ty: "utf8".into(),
            })
            .collect();
        let f = Filter::new(json!({"a": "x", "b": 1}).as_object().unwrap().clone()).unwrap();
        assert!(f.matches_row(&cols, &vec![json!("x"), json!(1.0)]));
        assert!(!f.matches_row(&cols, &vec![json!("x"), json!(2)]));
        assert!(Filter::new(json!({"a": [1]}).as_object().unwrap().clone()).is_err());
        let other = Filter::new(json!({"b": 1, "a": "x"}).as_object().unwrap().clone()).unwrap();
        assert_eq!(f.id(), other.id());
        assert_eq!(f.unknown_column(&cols[..1]), Some("b"));
    }
}
