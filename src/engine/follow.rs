//! A scenario's `epoch` and `seq` taken from elsewhere (cluster mode, docs/cluster.md):
//!
//! - [`Engine::adopt`]: a node that becomes the leader continues each scenario from the last result the
//!   previous leader published: its next evaluation is diffed against that result and published as the
//!   next `seq` of the same epoch, so screens see neither a new epoch nor a gap.
//! - [`Engine::follow`]: an edge, which never evaluates, feeds a scenario's topic with the results it
//!   rebuilt from the leader's messages.
//!
//! This module does not read NATS; `cluster` hands it finished views.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::diff;
use super::registry::{Running, Status};
use super::Engine;
use crate::fanout::{Change, ResultView};

impl Engine {
    /// Continues `view` (a result another node published) as the scenario's current result. False, and
    /// nothing changes, when the scenario is unknown or broken here, or its columns or key differ (the
    /// definitions differ: the scenario keeps its own epoch, and screens get a snapshot of it).
    pub fn adopt(self: &Arc<Self>, view: Arc<ResultView>) -> bool {
        let Some(old) = self.running(&view.scenario) else {
            return false;
        };
        let Some(planned) = old.planned.clone() else {
            return false;
        };
        if *view.columns != planned.prepared.columns || *view.key != old.def.key {
            return false;
        }
        let positions = view.key_positions();
        let keyed = if positions.is_empty() {
            diff::Keyed::default()
        } else {
            match diff::index(&view.rows, &positions) {
                Ok(k) => k,
                Err(_) => return false,
            }
        };
        let running = Arc::new(Running {
            def: old.def.clone(),
            epoch: view.epoch.clone(),
            topic: old.topic.clone(),
            status: Mutex::new(Status::default()),
            cancel: CancellationToken::new(),
            planned: Some(planned),
            last: Mutex::new(Some((view.clone(), keyed))),
            source: old.source.clone(),
        });
        running.topic.reset(view);
        // The alerts stay as they are: the next evaluation updates them as any other would.
        if let Some(o) = self.scenarios.write().insert(running.def.name.clone(), running.clone()) {
            o.cancel.cancel();
        }
        self.start(running).is_ok()
    }

    /// An edge: `view` becomes the scenario's result. `change` is what its subscribers get: none means
    /// the view starts anew (another epoch, or the first view this edge has): every subscriber gets a
    /// snapshot. False when the scenario is not registered here.
    ///
    /// A change that does not follow the topic's current result (the scenario was registered here after
    /// the edge rebuilt earlier updates, or was registered again with an epoch of its own) resets it.
    pub fn follow(&self, view: Arc<ResultView>, change: Option<Change>) -> bool {
        let Some(sc) = self.running(&view.scenario) else {
            return false;
        };
        let follows = sc
            .topic
            .current()
            .is_some_and(|c| c.epoch == view.epoch && c.seq + 1 == view.seq);
        match change {
            Some(change) if follows => sc.topic.publish(view, &change),
            _ => sc.topic.reset(view),
        }
        true
    }

    /// Whether the scenario's topic holds exactly `view` (an edge checks that what it rebuilt is shown).
    pub fn shows(&self, view: &ResultView) -> bool {
        self.running(&view.scenario)
            .and_then(|sc| sc.topic.current())
            .is_some_and(|c| c.epoch == view.epoch && c.seq == view.seq)
    }

    /// Whether this engine evaluates (false on an edge, whose results come from the cluster).
    pub fn evaluates(&self) -> bool {
        self.evaluate
    }

    /// Every scenario's file text, by name (the cluster shares definitions through it).
    pub fn sources(&self) -> std::collections::BTreeMap<String, String> {
        self.all()
            .iter()
            .filter_map(|sc| Some((sc.def.name.clone(), sc.source.clone()?)))
            .collect()
    }

    /// The folder of the scenario files.
    pub fn queries_dir(&self) -> &std::path::Path {
        &self.queries
    }
}
