//! Leader election by a lease in a JetStream key-value bucket (`NAME_lease`, whose entries expire after
//! the lease's length): the node that creates the key `leader` leads and renews it every third of the
//! lease; the others try to create it at the same pace, which succeeds only once it has expired. A leader
//! whose renewal fails (or does not answer within its period) steps down at once and stops publishing,
//! so two leaders publish at the same time for at most one renewal period, and only if NATS acknowledged
//! a renewal that it then lost. On shutdown the leader deletes the key, so a standby takes over without
//! waiting for the lease to run out.
//!
//! This module decides who leads; [`super::leader`] does the leading.

use std::sync::Arc;

use bytes::Bytes;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{leader, Node, Role};
use crate::engine::Engine;
use crate::fanout::Hub;

const KEY: &str = "leader";

/// A term as leader: the lease's revision, and the task that leads.
struct Term {
    revision: u64,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Term {
    async fn end(self, node: &Node) {
        self.stop.cancel();
        let _ = self.task.await;
        node.set_role(Role::Standby);
    }
}

pub async fn run(node: Arc<Node>, engine: Arc<Engine>, hub: Arc<Hub>, shutdown: CancellationToken) {
    let every = node.config.lease / 3;
    let mut term: Option<Term> = None;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        let value = Bytes::from(node.id.clone());
        term = match term.take() {
            Some(mut t) => match tokio::time::timeout(every, node.lease.update(KEY, value, t.revision)).await {
                Ok(Ok(revision)) => {
                    t.revision = revision;
                    Some(t)
                }
                outcome => {
                    let why = match outcome {
                        Ok(Err(e)) => e.to_string(),
                        _ => "no answer in time".into(),
                    };
                    tracing::warn!(node = %node.id, reason = %why, "lost the leader lease; standing by");
                    t.end(&node).await;
                    *node.leader.write() = None;
                    None
                }
            },
            None => match tokio::time::timeout(every, node.lease.create(KEY, value)).await {
                Ok(Ok(revision)) => {
                    let previous = node.leader.read().clone();
                    tracing::info!(node = %node.id, ?previous, "leading the cluster");
                    if previous.is_some() {
                        metrics::counter!("ioc_cluster_failovers_total").increment(1);
                    }
                    node.set_role(Role::Leader);
                    *node.leader.write() = Some(node.id.clone());
                    let stop = shutdown.child_token();
                    let task = tokio::spawn(leader::lead(node.clone(), engine.clone(), hub.clone(), stop.clone()));
                    Some(Term { revision, stop, task })
                }
                _ => {
                    // Someone holds it (or NATS is away): note who, for `GET /api/v1/cluster`.
                    if let Ok(Ok(Some(holder))) = tokio::time::timeout(every, node.lease.get(KEY)).await {
                        *node.leader.write() = Some(String::from_utf8_lossy(&holder).into_owned());
                    }
                    None
                }
            },
        };
    }
    if let Some(t) = term {
        let revision = t.revision;
        t.end(&node).await;
        let handover = node.lease.delete_expect_revision(KEY, Some(revision));
        let _ = tokio::time::timeout(every, handover).await;
    }
}
