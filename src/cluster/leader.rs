//! What the leader does: first it continues every scenario from the last result the results stream holds
//! (the previous leader's), so screens keep their epoch and see the next `seq`; then it publishes every
//! update to that stream ([`crate::publish::relay`], with JetStream acknowledgements) until its term
//! ends. A scenario the stream holds nothing of, or whose published columns or key differ from the
//! definition here, keeps this node's own epoch: its first message is a snapshot.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::DeliverPolicy;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::replica::Replica;
use super::{Node, SNAPSHOT_EVERY};
use crate::engine::Engine;
use crate::fanout::{Hub, ResultView};

/// How long a new leader reads the results stream before it gives up continuing and starts new epochs.
const READ_LIMIT: Duration = Duration::from_secs(5);

pub async fn lead(node: Arc<Node>, engine: Arc<Engine>, hub: Arc<Hub>, stop: CancellationToken) {
    let started = Instant::now();
    match last_results(&node).await {
        Ok(views) => {
            let (mut continued, mut anew) = (0, 0);
            for view in views {
                if engine.adopt(view) {
                    continued += 1;
                } else {
                    anew += 1;
                }
            }
            tracing::info!(
                continued,
                anew,
                ms = started.elapsed().as_millis() as u64,
                "took over the scenarios' results"
            );
        }
        Err(e) => tracing::warn!(error = %e, "cannot read the last results; every scenario starts a new epoch"),
    }
    metrics::histogram!("ioc_cluster_takeover_seconds").record(started.elapsed().as_secs_f64());
    let config = crate::publish::PublishConfig {
        url: node.config.url.clone(),
        prefix: node.names.results_prefix(),
        snapshot_every: SNAPSHOT_EVERY,
        user: None,
        password_env: None,
        token_env: None,
        creds_file: None,
        tls: Default::default(),
        tls_required: false,
    };
    crate::publish::relay(config, node.client.clone(), Some(node.js.clone()), hub, stop).await;
}

/// The last result of every scenario, rebuilt from the results stream.
pub async fn last_results(node: &Node) -> Result<Vec<Arc<ResultView>>, String> {
    let prefix = format!("{}.", node.names.results_prefix());
    let consumer = super::ordered(
        &node.js,
        node.names.results_stream(),
        format!("{prefix}>"),
        DeliverPolicy::All,
    )
    .await?;
    let mut replicas: HashMap<String, Replica> = HashMap::new();
    if consumer.cached_info().num_pending > 0 {
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + READ_LIMIT;
        loop {
            let next = tokio::time::timeout_at(deadline, messages.next())
                .await
                .map_err(|_| "reading the results stream took too long".to_string())?;
            let Some(message) = next else { break };
            let message = message.map_err(|e| e.to_string())?;
            let pending = message.info().map(|i| i.pending).unwrap_or(0);
            if let Some(scenario) = message.subject.as_str().strip_prefix(&prefix) {
                if scenario != crate::engine::alerts::TOPIC {
                    // A message that does not apply (a gap before a snapshot) is skipped, as on an edge.
                    let _ = replicas
                        .entry(scenario.to_string())
                        .or_default()
                        .apply(&message.payload);
                }
            }
            if pending == 0 {
                break;
            }
        }
    }
    Ok(replicas.into_values().filter_map(|r| r.view().cloned()).collect())
}
