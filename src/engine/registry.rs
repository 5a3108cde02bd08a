//! The scenarios registered: each one's definition, its planned query, its topic, its status, and the task
//! that evaluates it.
//!
//! A scenario is registered by [`Engine::add`] with a query already planned ([`Planned`]); a scenario whose
//! file does not parse or plan is registered *broken*: listed with its error, never evaluated, its
//! screens keeping the last result they had. Registering a name again replaces the scenario (a new
//! epoch) and stops the old task. This module does not read files or evaluate.

use std::collections::VecDeque;
use std::sync::Arc;

use datafusion::physical_expr::PhysicalExpr;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::diff::Keyed;
use super::prepared::Prepared;
use super::{alerts, Engine, EngineError, Scenario};
use crate::fanout::{ResultView, Topic};
use crate::store::table::ScanTotals;

/// Evaluation times kept for the p50 and p99.
const EVAL_TIMES: usize = 256;

/// A definition's query, planned, and its alert condition planned over the query's result.
#[derive(Debug, Clone)]
pub struct Planned {
    pub prepared: Arc<Prepared>,
    pub alert: Option<Arc<dyn PhysicalExpr>>,
}

#[derive(Debug, Default)]
pub struct Status {
    pub last_error: Option<String>,
    /// The first evaluations over a long history: they ran out of time but filled the cache (this many
    /// segments so far); the next ones carry on. Not an error.
    pub warming: Option<usize>,
    /// The file went bad on disk (or never planned): the scenario does not evaluate; this says why.
    pub broken: Option<String>,
    pub last_eval_ms: Option<f64>,
    pub times_ms: VecDeque<f64>,
    pub evaluations: u64,
    pub errors: u64,
    /// What the last evaluation read from the store.
    pub scanned: ScanTotals,
    pub result_rows: usize,
    /// Its evaluations are slow: it runs on the lower-priority runtime.
    pub heavy: bool,
}

impl Status {
    /// The q-th percentile (0..=100) of the recent evaluation times.
    pub fn percentile(&self, q: f64) -> Option<f64> {
        let mut t: Vec<f64> = self.times_ms.iter().copied().collect();
        if t.is_empty() {
            return None;
        }
        t.sort_by(f64::total_cmp);
        Some(t[((t.len() - 1) as f64 * q / 100.0).round() as usize])
    }

    /// Records one evaluation's time.
    pub fn timed(&mut self, ms: f64) {
        self.evaluations += 1;
        self.last_eval_ms = Some(ms);
        self.times_ms.push_back(ms);
        if self.times_ms.len() > EVAL_TIMES {
            self.times_ms.pop_front();
        }
    }
}

/// A registered scenario.
#[derive(Debug)]
pub struct Running {
    pub def: Scenario,
    pub epoch: Arc<str>,
    pub topic: Arc<Topic>,
    pub status: Mutex<Status>,
    pub cancel: CancellationToken,
    /// `None` for a broken scenario.
    pub planned: Option<Planned>,
    /// The last result published, and its index by key.
    pub last: Mutex<Option<(Arc<ResultView>, Keyed)>>,
    /// The file text it was loaded from (or written as), to tell whether the file changed on disk.
    pub source: Option<String>,
}

impl Engine {
    /// Registers a planned scenario (replacing one of the same name, with a new epoch) and starts
    /// evaluating it.
    pub fn add(self: &Arc<Self>, def: Scenario, planned: Planned, source: Option<String>) -> Result<(), EngineError> {
        reserved(&def.name)?;
        let running = Arc::new(Running {
            epoch: format!("e{:08x}", rand::random::<u32>()).into(),
            topic: self.hub.topic(&def.name),
            def,
            status: Mutex::new(Status::default()),
            cancel: CancellationToken::new(),
            planned: Some(planned),
            last: Mutex::new(None),
            source,
        });
        running.topic.set_epoch(running.epoch.clone());
        self.replace(running.clone());
        self.start(running)
    }

    /// Registers a scenario that cannot run, with `message`. A scenario of that name that was running
    /// stops, and its screens keep its last result (same topic, same epoch).
    pub fn add_broken(&self, def: Scenario, message: String, source: Option<String>) {
        let old = self.scenarios.read().get(&def.name).cloned();
        let (epoch, last) = match &old {
            Some(o) => (o.epoch.clone(), o.last.lock().take()),
            None => ("e0".into(), None),
        };
        let running = Arc::new(Running {
            epoch,
            topic: self.hub.topic(&def.name),
            def: match &old {
                // Keep showing what was running, with the error beside it.
                Some(o) => o.def.clone(),
                None => def,
            },
            status: Mutex::new(Status {
                broken: Some(message),
                ..Status::default()
            }),
            cancel: CancellationToken::new(),
            planned: None,
            last: Mutex::new(last),
            source,
        });
        if let Some(o) = self.scenarios.write().insert(running.def.name.clone(), running) {
            o.cancel.cancel();
        }
    }

    fn replace(&self, running: Arc<Running>) {
        if let Some(old) = self.scenarios.write().insert(running.def.name.clone(), running) {
            old.cancel.cancel();
            self.alerts.clear(&old.def.name);
        }
    }

    /// Stops and forgets a scenario; its subscribers are told (`scenario_removed`). False if unknown.
    pub(super) fn remove(&self, name: &str) -> bool {
        let Some(sc) = self.scenarios.write().remove(name) else {
            return false;
        };
        sc.cancel.cancel();
        self.hub.remove(name);
        self.alerts.clear(name);
        true
    }

    pub(super) fn running(&self, name: &str) -> Option<Arc<Running>> {
        self.scenarios.read().get(name).cloned()
    }

    pub(super) fn names(&self) -> Vec<String> {
        self.scenarios.read().keys().cloned().collect()
    }

    pub(super) fn all(&self) -> Vec<Arc<Running>> {
        self.scenarios.read().values().cloned().collect()
    }
}

/// `alerts` names the alerts topic; no scenario may take it.
pub fn reserved(name: &str) -> Result<(), EngineError> {
    if name == alerts::TOPIC {
        return Err(EngineError::Reserved(alerts::TOPIC.to_string()));
    }
    Ok(())
}
