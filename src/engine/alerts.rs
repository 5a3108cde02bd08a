//! Alerts: a scenario's `-- alert: <condition> AS <severity>` is evaluated over each new result. A row
//! whose condition becomes true fires once; when it stops holding (or the row goes away) it resolves once.
//! Rows are told apart by the scenario's key (by position when it has none). Both transitions go to the
//! `alerts` topic and to a bounded history for `GET /api/v1/alerts?since=`. The messages' shapes and their
//! encoding are the fan-out's (`fanout::message`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::physical_expr::PhysicalExpr;
use parking_lot::Mutex;
use serde_json::Value;

use super::scenario::AlertDef;
use crate::fanout::message::{self, Ack, AlertEvent};
use crate::fanout::{Filter, Frame, Topic};
use crate::values::{ColumnInfo, Row};

/// The name of the topic that carries alerts; no scenario may take it.
pub const TOPIC: &str = "alerts";
/// Alert events kept for `GET /api/v1/alerts`.
pub const HISTORY: usize = 10_000;

/// Which rows of `batches` meet `condition` (an alert's `when`, planned over the result's columns), in
/// row order. The error says what is wrong with the condition (callers say it is the alert's).
pub fn matching(
    condition: &Arc<dyn PhysicalExpr>,
    alert: &AlertDef,
    batches: &[RecordBatch],
) -> Result<Vec<bool>, String> {
    let mut out = Vec::new();
    for b in batches {
        let value = condition.evaluate(b).map_err(|e| e.to_string())?;
        let array = value.into_array(b.num_rows()).map_err(|e| e.to_string())?;
        let Some(bools) = array.as_boolean_opt() else {
            return Err(format!("`{}` is not true/false", alert.when));
        };
        out.extend((0..bools.len()).map(|i| bools.is_valid(i) && bools.value(i)));
    }
    Ok(out)
}

/// Firing state per scenario and the history of transitions.
#[derive(Debug)]
pub struct Alerts {
    firing: Mutex<BTreeMap<(String, String), AlertEvent>>,
    history: Mutex<VecDeque<AlertEvent>>,
    topic: Arc<Topic>,
}

impl Alerts {
    pub fn new(topic: Arc<Topic>) -> Alerts {
        Alerts {
            firing: Mutex::new(BTreeMap::new()),
            history: Mutex::new(VecDeque::new()),
            topic,
        }
    }

    /// Applies one evaluation: `rows` with their keys and whether each meets the condition.
    pub fn update(
        &self,
        scenario: &str,
        severity: &str,
        columns: &Arc<Vec<ColumnInfo>>,
        rows: &[(Vec<Value>, &Row, bool)],
    ) {
        let now = Utc::now();
        let mut firing = self.firing.lock();
        let mut events = Vec::new();
        let mut holding = std::collections::BTreeSet::new();
        for (key, row, meets) in rows {
            let id = (scenario.to_string(), serde_json::to_string(key).expect("JSON"));
            if *meets {
                holding.insert(id.1.clone());
                if let std::collections::btree_map::Entry::Vacant(slot) = firing.entry(id) {
                    let mut e = event(scenario, "firing", severity, key.clone(), (*row).clone(), now);
                    e.columns = columns.clone();
                    slot.insert(e.clone());
                    events.push(e);
                }
            }
        }
        let gone: Vec<(String, String)> = firing
            .keys()
            .filter(|(s, k)| s == scenario && !holding.contains(k))
            .cloned()
            .collect();
        for id in gone {
            if let Some(was) = firing.remove(&id) {
                let row = rows
                    .iter()
                    .find(|(k, _, _)| serde_json::to_string(k).expect("JSON") == id.1)
                    .map_or(was.row.clone(), |(_, r, _)| (*r).clone());
                let mut e = event(scenario, "resolved", &was.severity, was.key, row, now);
                e.columns = was.columns;
                events.push(e);
            }
        }
        drop(firing);
        self.record(events);
    }

    /// Resolves everything a scenario has firing (it was removed or changed).
    pub fn clear(&self, scenario: &str) {
        self.update(scenario, "info", &Arc::new(Vec::new()), &[]);
    }

    fn record(&self, events: Vec<AlertEvent>) {
        if events.is_empty() {
            return;
        }
        let mut history = self.history.lock();
        for e in events {
            metrics::counter!("ioc_alerts_total", "state" => e.state).increment(1);
            self.topic
                .broadcast(&message::alert(&e), Some((e.columns.as_slice(), &e.row)));
            history.push_back(e);
            if history.len() > HISTORY {
                history.pop_front();
            }
        }
    }

    /// Acknowledges the alert of `scenario` firing for `key`: remembered on the firing alert (and its
    /// entry in the history) and sent to every subscriber of the `alerts` topic that may see the row.
    /// `None` when no such alert is firing, or the caller may not see its row.
    pub fn ack(&self, scenario: &str, key: &[Value], by: &str, rows: Option<&Filter>) -> Option<Ack> {
        let id = (scenario.to_string(), serde_json::to_string(key).ok()?);
        let now = Utc::now();
        let mut firing = self.firing.lock();
        let alert = firing.get_mut(&id)?;
        if rows.is_some_and(|f| !f.matches_row(&alert.columns, &alert.row)) {
            return None;
        }
        alert.acked_by = Some(by.to_string());
        alert.acked_at = Some(now);
        let (columns, row, at) = (alert.columns.clone(), alert.row.clone(), alert.at);
        drop(firing);
        if let Some(e) = self
            .history
            .lock()
            .iter_mut()
            .rev()
            .find(|e| e.state == "firing" && e.at == at && e.scenario == scenario && e.key == key)
        {
            e.acked_by = Some(by.to_string());
            e.acked_at = Some(now);
        }
        let ack = Ack {
            ty: "alert_ack",
            scenario: scenario.to_string(),
            key: key.to_vec(),
            acked_by: by.to_string(),
            acked_at: now,
        };
        self.topic
            .broadcast(&message::alert_ack(&ack), Some((columns.as_slice(), &row)));
        metrics::counter!("ioc_alerts_acked_total").increment(1);
        Some(ack)
    }

    /// Transitions at or after `since`, oldest first.
    pub fn since(&self, since: Option<DateTime<Utc>>, rows: Option<&Filter>) -> Vec<AlertEvent> {
        self.history
            .lock()
            .iter()
            .filter(|e| since.is_none_or(|t| e.at >= t))
            .filter(|e| rows.is_none_or(|f| f.matches_row(&e.columns, &e.row)))
            .cloned()
            .collect()
    }

    /// The alerts firing now (within a row limit), as frames for a new subscriber of the `alerts` topic.
    pub fn firing_frames(&self, rows: Option<&Filter>) -> Vec<Frame> {
        self.firing
            .lock()
            .values()
            .filter(|e| rows.is_none_or(|f| f.matches_row(&e.columns, &e.row)))
            .map(message::alert)
            .collect()
    }
}

fn event(
    scenario: &str,
    state: &'static str,
    severity: &str,
    key: Vec<Value>,
    row: Row,
    at: DateTime<Utc>,
) -> AlertEvent {
    AlertEvent {
        ty: "alert",
        scenario: scenario.to_string(),
        state,
        severity: severity.to_string(),
        key,
        row,
        at,
        acked_by: None,
        acked_at: None,
        columns: Arc::new(Vec::new()),
    }
}
