//! A scenario's result rebuilt from its published messages (the JSON of `snapshot` and `delta` frames, as
//! the leader publishes them on `NAME.results.<scenario>`): a snapshot replaces it, a delta of the same
//! epoch with the next `seq` is applied by key. What cannot be applied (a delta after a gap, an older
//! message) is reported, never guessed at.
//!
//! Used by an edge, whose topics are fed from what it rebuilds, and by a node that becomes leader, which
//! continues each scenario's `epoch` and `seq` from it. This module does not read NATS.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::engine::diff;
use crate::fanout::{Change, ResultView};
use crate::values::{ColumnInfo, Row};

/// A published message, whichever type it is.
#[derive(Debug, Deserialize)]
struct Message {
    #[serde(rename = "type")]
    ty: String,
    scenario: Option<String>,
    epoch: Option<String>,
    seq: Option<u64>,
    columns: Option<Vec<ColumnInfo>>,
    key: Option<Vec<String>>,
    rows: Option<Vec<Row>>,
    upsert: Option<Vec<Row>>,
    delete: Option<Vec<Vec<Value>>>,
    evaluated_at: Option<String>,
    data_time: Option<String>,
}

/// What one message did to the replica.
#[derive(Debug)]
pub enum Applied {
    /// A snapshot: the view is replaced (a new epoch, or a jump within one).
    Snapshot(Arc<ResultView>),
    /// The next update of the same epoch.
    Delta(Arc<ResultView>, Change),
    /// Already applied (or older than the view): nothing to do.
    Stale,
    /// A delta that does not follow the view (a gap, or another epoch): the replica waits for a snapshot.
    Gap,
    /// Not a result update (an error frame, an alert).
    Other,
}

/// The last result rebuilt for one scenario.
#[derive(Debug, Default)]
pub struct Replica {
    view: Option<Arc<ResultView>>,
}

fn time(t: &Option<String>) -> Option<DateTime<Utc>> {
    t.as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Replica {
    pub fn view(&self) -> Option<&Arc<ResultView>> {
        self.view.as_ref()
    }

    /// Applies one published message.
    pub fn apply(&mut self, payload: &[u8]) -> Result<Applied, String> {
        let m: Message = serde_json::from_slice(payload).map_err(|e| format!("not a result message: {e}"))?;
        match m.ty.as_str() {
            "snapshot" => self.snapshot(m),
            "delta" => self.delta(m),
            _ => Ok(Applied::Other),
        }
    }

    fn snapshot(&mut self, m: Message) -> Result<Applied, String> {
        let (Some(scenario), Some(epoch), Some(seq), Some(columns), Some(key), Some(rows)) =
            (m.scenario, m.epoch, m.seq, m.columns, m.key, m.rows)
        else {
            return Err("a snapshot without scenario, epoch, seq, columns, key or rows".into());
        };
        if let Some(v) = &self.view {
            if *v.epoch == *epoch && seq <= v.seq {
                return Ok(Applied::Stale);
            }
        }
        let positions = positions(&columns, &key)?;
        let index = if positions.is_empty() {
            diff::Keyed::default()
        } else {
            diff::index(&rows, &positions)?
        };
        let view = Arc::new(ResultView {
            scenario: scenario.into(),
            epoch: epoch.into(),
            seq,
            columns: Arc::new(columns),
            key: Arc::new(key),
            rows: Arc::new(rows),
            index: index.index,
            evaluated_at: time(&m.evaluated_at),
            data_time: time(&m.data_time),
        });
        self.view = Some(view.clone());
        Ok(Applied::Snapshot(view))
    }

    fn delta(&mut self, m: Message) -> Result<Applied, String> {
        let (Some(epoch), Some(seq)) = (m.epoch, m.seq) else {
            return Err("a delta without epoch or seq".into());
        };
        let Some(old) = &self.view else {
            return Ok(Applied::Gap);
        };
        if *old.epoch != *epoch {
            return Ok(Applied::Gap);
        }
        if seq <= old.seq {
            return Ok(Applied::Stale);
        }
        if seq != old.seq + 1 {
            return Ok(Applied::Gap);
        }
        let upsert = m.upsert.unwrap_or_default();
        let delete = m.delete.unwrap_or_default();
        let positions = old.key_positions();
        if positions.is_empty() {
            return Err("a delta for a scenario without a key".into());
        }
        let text = |k: &[Value]| serde_json::to_string(k).expect("JSON values serialise");
        let mut rows: Vec<Option<Row>> = old.rows.iter().cloned().map(Some).collect();
        let mut index = (*old.index).clone();
        for k in &delete {
            if let Some(i) = index.remove(&text(k)) {
                rows[i] = None;
            }
        }
        for row in &upsert {
            if row.len() != old.columns.len() {
                return Err(format!(
                    "an upserted row has {} values for {} columns",
                    row.len(),
                    old.columns.len()
                ));
            }
            let k = text(&diff::key_of(row, &positions));
            match index.get(&k) {
                Some(&i) => rows[i] = Some(row.clone()),
                None => {
                    index.insert(k, rows.len());
                    rows.push(Some(row.clone()));
                }
            }
        }
        let rows: Vec<Row> = rows.into_iter().flatten().collect();
        let keyed = diff::index(&rows, &positions)?;
        let view = Arc::new(ResultView {
            scenario: old.scenario.clone(),
            epoch: old.epoch.clone(),
            seq,
            columns: old.columns.clone(),
            key: old.key.clone(),
            rows: Arc::new(rows),
            index: keyed.index,
            evaluated_at: time(&m.evaluated_at),
            data_time: time(&m.data_time),
        });
        self.view = Some(view.clone());
        Ok(Applied::Delta(view, Change::Delta { upsert, delete }))
    }
}

fn positions(columns: &[ColumnInfo], key: &[String]) -> Result<Vec<usize>, String> {
    key.iter()
        .map(|k| {
            columns
                .iter()
                .position(|c| &c.name == k)
                .ok_or_else(|| format!("key column `{k}` is not a column"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fanout::{message, Frame};
    use serde_json::json;

    fn view(seq: u64, rows: Vec<Row>) -> ResultView {
        let positions = [0];
        ResultView {
            scenario: "s".into(),
            epoch: "e1".into(),
            seq,
            columns: Arc::new(vec![
                ColumnInfo {
                    name: "k".into(),
                    ty: "utf8".into(),
                },
                ColumnInfo {
                    name: "n".into(),
                    ty: "int64".into(),
                },
            ]),
            key: Arc::new(vec!["k".into()]),
            index: diff::index(&rows, &positions).unwrap().index,
            rows: Arc::new(rows),
            evaluated_at: None,
            data_time: None,
        }
    }

    fn sorted(v: &ResultView) -> Vec<Row> {
        let mut r = (*v.rows).clone();
        r.sort_by_key(|r| r[0].to_string());
        r
    }

    #[test]
    fn snapshots_and_deltas_rebuild_the_published_result() {
        let mut r = Replica::default();
        let v1 = view(1, vec![vec![json!("a"), json!(1)], vec![json!("b"), json!(2)]]);
        assert!(matches!(
            r.apply(message::snapshot(&v1).as_str().as_bytes()).unwrap(),
            Applied::Snapshot(_)
        ));
        let v2 = view(2, vec![vec![json!("b"), json!(3)], vec![json!("c"), json!(1)]]);
        let d2 = message::delta(
            &v2,
            &[vec![json!("b"), json!(3)], vec![json!("c"), json!(1)]],
            &[vec![json!("a")]],
        );
        let Applied::Delta(got, _) = r.apply(d2.as_str().as_bytes()).unwrap() else {
            panic!("the next delta applies")
        };
        assert_eq!(sorted(&got), sorted(&v2));
        assert_eq!(got.seq, 2);
        // The same delta again is stale; one that skips a seq is a gap; a snapshot heals it.
        assert!(matches!(r.apply(d2.as_str().as_bytes()).unwrap(), Applied::Stale));
        let v4 = view(4, vec![vec![json!("d"), json!(9)]]);
        let d4 = message::delta(&v4, &[vec![json!("d"), json!(9)]], &[]);
        assert!(matches!(r.apply(d4.as_str().as_bytes()).unwrap(), Applied::Gap));
        assert!(matches!(
            r.apply(message::snapshot(&v4).as_str().as_bytes()).unwrap(),
            Applied::Snapshot(_)
        ));
        assert_eq!(sorted(r.view().unwrap()), sorted(&v4));
        assert!(matches!(r.apply(br#"{"type":"alert"}"#).unwrap(), Applied::Other));
        assert!(r.apply(b"not json").is_err());
    }

    /// Property: a replica fed the frames the engine's diff produces holds, after every update, exactly
    /// the result the engine published (random keyed results, random changes, random snapshots between).
    #[test]
    fn a_replica_of_random_updates_equals_the_published_results() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        for _ in 0..200 {
            let mut r = Replica::default();
            let mut published: Option<ResultView> = None;
            for seq in 1..40u64 {
                let n = rng.random_range(0..12);
                let rows: Vec<Row> = (0..n)
                    .map(|_| {
                        vec![
                            json!(format!("k{}", rng.random_range(0..20))),
                            json!(rng.random_range(-5..5)),
                        ]
                    })
                    .collect();
                let mut seen = std::collections::HashSet::new();
                let rows: Vec<Row> = rows.into_iter().filter(|row| seen.insert(row[0].to_string())).collect();
                let new = view(seq, rows);
                let frame = match &published {
                    Some(old) if rng.random_range(0..10) > 0 => {
                        let keyed = |v: &ResultView| diff::Keyed { index: v.index.clone() };
                        match diff::diff(&old.rows, &keyed(old), &new.rows, &keyed(&new), &[0]) {
                            Some(Change::Delta { upsert, delete }) => message::delta(&new, &upsert, &delete),
                            Some(Change::Snapshot) => message::snapshot(&new),
                            None => continue,
                        }
                    }
                    _ => message::snapshot(&new),
                };
                let new = ResultView {
                    seq: published.as_ref().map_or(1, |p| p.seq + 1),
                    ..new
                };
                let frame: Frame = {
                    // Re-number: only published updates take a seq.
                    let mut v: Value = serde_json::from_str(frame.as_str()).unwrap();
                    v["seq"] = json!(new.seq);
                    Frame::from(v.to_string())
                };
                match r.apply(frame.as_str().as_bytes()).unwrap() {
                    Applied::Snapshot(_) | Applied::Delta(..) => {}
                    other => panic!("an update in order must apply: {other:?}"),
                }
                assert_eq!(sorted(r.view().unwrap()), sorted(&new));
                assert_eq!(r.view().unwrap().seq, new.seq);
                published = Some(new);
            }
        }
    }
}
