//! Results out on NATS (`[publish]` in the configuration file): every scenario update is published as the
//! same JSON as on the WebSocket (`snapshot` / `delta` with epoch and seq) on `PREFIX.<scenario>`, and
//! every alert on `PREFIX.alerts`. A fresh snapshot is also published every `snapshot_every` updates of a
//! scenario and at every new epoch, so a consumer that joins late can start from it.
//!
//! The publisher is a subscriber of the fan-out like any screen (one bounded queue): if NATS is slow or
//! away, it falls behind like a slow client and gets one fresh snapshot instead of a backlog, so the
//! messages it publishes stay applicable (a consumer that sees a `seq` gap waits for the next snapshot).
//! Plain NATS subjects (not JetStream): a consumer that was away takes the next snapshot. This module
//! does not evaluate and does not consume events.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use crate::fanout::{message, Frame, Hub, Topic};
use crate::ingest::connectors::batch::Backoff;
use crate::ingest::connectors::config::{validate_nats_auth, NatsAuth};

pub use crate::config::PublishConfig;

/// Frames the publisher's queue holds, and its bytes, before it is treated as a slow client.
const QUEUE_FRAMES: usize = 4096;
const QUEUE_BYTES: usize = 64 << 20;

impl PublishConfig {
    pub fn auth(&self) -> NatsAuth {
        NatsAuth {
            user: self.user.clone(),
            password_env: self.password_env.clone(),
            token_env: self.token_env.clone(),
            creds_file: self.creds_file.clone(),
            tls: self.tls.clone(),
            tls_required: self.tls_required,
        }
    }

    pub fn validate(&self) -> Result<(), String> {
        validate_nats_auth(&self.url, &self.auth())?;
        let ok = !self.prefix.is_empty()
            && self.prefix.len() <= 200
            && self
                .prefix
                .split('.')
                .all(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        if !ok {
            return Err(format!(
                "publish.prefix `{}` must be dot-separated tokens of letters, digits, `-` and `_`",
                self.prefix
            ));
        }
        if self.snapshot_every == 0 {
            return Err("publish.snapshot_every must be at least 1".into());
        }
        Ok(())
    }
}

/// The head of a fan-out frame: enough to route it and count updates.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    ty: String,
    scenario: Option<String>,
    epoch: Option<String>,
    seq: Option<u64>,
}

#[derive(Default)]
struct Progress {
    epoch: String,
    since_snapshot: u64,
}

/// Publishes until shutdown; connects (and reconnects) with backoff.
pub async fn run(config: PublishConfig, hub: Arc<Hub>, shutdown: CancellationToken) {
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    let auth = config.auth();
    let nats = loop {
        let connecting = crate::ingest::connectors::nats::connect(&config.url, "ioc-stream publish", &auth, None);
        let result = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = connecting => r,
        };
        match result {
            Ok(client) => break client,
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(error = %e, ?delay, "cannot connect to NATS to publish results; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    };
    tracing::info!(url = %config.url, prefix = %config.prefix, "publishing results on NATS");
    relay(config, nats, None, hub, shutdown).await;
}

/// Publishes `hub`'s updates and alerts with `nats` until `shutdown`. With `jetstream`, every message is
/// published to JetStream and its acknowledgement awaited (a cluster's leader, whose results stream
/// must hold every update in order); a message JetStream did not take is followed by a snapshot.
pub async fn relay(
    config: PublishConfig,
    nats: async_nats::Client,
    jetstream: Option<async_nats::jetstream::Context>,
    hub: Arc<Hub>,
    shutdown: CancellationToken,
) {
    let mut publisher = Publisher {
        config,
        nats,
        jetstream,
        hub: hub.clone(),
        topics: HashMap::new(),
        progress: HashMap::new(),
    };
    let (client, mut rx) = hub.connect(QUEUE_FRAMES, QUEUE_BYTES);
    // Topics are known before the first frame, so every current result goes out first as a snapshot.
    publisher.sync_topics(&client);
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => publisher.sync_topics(&client),
            frame = rx.recv() => {
                let Some(frame) = frame else { break };
                client.sent(frame.len());
                publisher.relay(&frame).await;
                if rx.is_empty() && client.is_owed() {
                    for topic in client.take_owed() {
                        if let Some(snapshot) = topic.resync(client.id) {
                            publisher.relay(&snapshot).await;
                        }
                    }
                }
            }
        }
    }
    hub.disconnect(&client, publisher.topics.values().cloned());
    let _ = tokio::time::timeout(Duration::from_secs(2), publisher.nats.flush()).await;
}

struct Publisher {
    config: PublishConfig,
    nats: async_nats::Client,
    jetstream: Option<async_nats::jetstream::Context>,
    hub: Arc<Hub>,
    topics: HashMap<String, Arc<Topic>>,
    progress: HashMap<String, Progress>,
}

impl Publisher {
    /// Subscribes to topics that appeared (new scenarios) and forgets those removed.
    fn sync_topics(&mut self, client: &Arc<crate::fanout::Client>) {
        let names = self.hub.names();
        for name in &names {
            if !self.topics.contains_key(name) {
                let topic = self.hub.topic(name);
                topic.subscribe(client, None, None, None);
                self.topics.insert(name.clone(), topic);
            }
        }
        self.topics.retain(|name, topic| {
            let keep = names.contains(name);
            if !keep {
                topic.unsubscribe(client.id, None);
            }
            keep
        });
        self.progress.retain(|name, _| names.contains(name));
    }

    /// Publishes one message; false when it was not taken.
    async fn publish(&self, subject: String, frame: &Frame) -> bool {
        let payload = frame.bytes();
        let sent = match &self.jetstream {
            None => self.nats.publish(subject, payload).await.map_err(|e| e.to_string()),
            Some(js) => match js.publish(subject, payload).await {
                Ok(ack) => match tokio::time::timeout(Duration::from_secs(5), ack).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no acknowledgement in time".into()),
                },
                Err(e) => Err(e.to_string()),
            },
        };
        match sent {
            Ok(()) => {
                metrics::counter!("ioc_publish_messages_total").increment(1);
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "publish to NATS failed");
                metrics::counter!("ioc_publish_errors_total").increment(1);
                false
            }
        }
    }

    /// Publishes one fan-out frame on its subject, then a snapshot when one is due.
    async fn relay(&mut self, frame: &Frame) {
        let Ok(head) = serde_json::from_str::<Head>(frame.as_str()) else {
            return;
        };
        let prefix = &self.config.prefix;
        match head.ty.as_str() {
            "alert" => {
                self.publish(format!("{prefix}.alerts"), frame).await;
            }
            "snapshot" | "delta" | "error" => {
                let Some(scenario) = head.scenario else { return };
                let taken = self.publish(format!("{prefix}.{scenario}"), frame).await;
                let (Some(epoch), Some(seq)) = (head.epoch, head.seq) else {
                    return;
                };
                let p = self.progress.entry(scenario.clone()).or_default();
                // A message that was not taken leaves a gap: the next snapshot closes it.
                let new_epoch = p.epoch != epoch || !taken;
                if !taken {
                    p.epoch.clear();
                    return;
                }
                p.epoch = epoch.clone();
                if head.ty == "snapshot" {
                    p.since_snapshot = 0;
                    return;
                }
                p.since_snapshot += 1;
                if new_epoch || p.since_snapshot >= self.config.snapshot_every {
                    // Only a snapshot of exactly this update keeps the messages contiguous; a newer view
                    // means more updates are queued behind this one, and the snapshot waits for them.
                    let view = self.topics.get(&scenario).and_then(|t| t.current());
                    if let Some(view) = view.filter(|v| v.seq == seq && *v.epoch == *epoch) {
                        p.since_snapshot = 0;
                        let snapshot = message::snapshot(&view);
                        self.publish(format!("{prefix}.{scenario}"), &snapshot).await;
                    }
                }
            }
            _ => {}
        }
    }
}
