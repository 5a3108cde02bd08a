//! The WebSocket endpoint `/ws` (PROTOCOL.md, "WebSocket").
//!
//! Per connection: a reader (this task) that handles `subscribe` / `unsubscribe` / `ping`, and a writer task
//! that drains the client's bounded queue, sends a heartbeat every few seconds, and sends owed snapshots
//! once the queue is empty; frames queued together are written with one flush. Both stop when the peer goes away or the server shuts down (close code 1001).
//! The writer also pings the client; a client silent for the idle timeout (no message, no pong) is dropped,
//! so a dead connection does not hold its queue and subscriptions.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::auth::{self, Caller, Need};
use super::error::ApiError;
use super::AppState;
use crate::fanout::{message, Client, Filter, Frame, Resume as ResumeAt, Topic};

/// Read buffer per connection: clients send only small control messages.
const READ_BUFFER: usize = 4 << 10;
/// Bytes gathered before a write to the socket; frames of one burst are flushed together.
const WRITE_BUFFER: usize = 8 << 10;
/// Frames taken off a client's queue for one flush.
const WRITE_BATCH: u64 = 64;

pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    caller.require(Need::View)?;
    if !auth::origin_allowed(&headers, &state.auth.allowed_origins) {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "forbidden",
            "this Origin may not open the WebSocket (see allowed_origins)",
        ));
    }
    let guard = state.auth.connect(&caller)?;
    let max = state.config.limits.max_ws_message_bytes;
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| {
            let tracker = state.connections.clone();
            tracker.track_future(async move {
                connection(state, socket, caller).await;
                drop(guard);
            })
        }))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Op {
    Subscribe {
        scenario: String,
        #[serde(default)]
        filter: Option<serde_json::Map<String, serde_json::Value>>,
        #[serde(default)]
        resume: Option<Resume>,
    },
    Unsubscribe {
        scenario: String,
    },
    Ping,
}

#[derive(Debug, Deserialize)]
struct Resume {
    epoch: String,
    seq: u64,
}

async fn connection(state: Arc<AppState>, socket: WebSocket, caller: Caller) {
    let limits = &state.config.limits;
    let (client, rx) = state.hub.connect(limits.client_queue_frames, limits.client_queue_bytes);
    metrics::gauge!("ioc_ws_clients").increment(1.0);
    let (sink, mut stream) = socket.split();
    let done = state.shutdown.child_token();
    let last_seen = Arc::new(AtomicI64::new(now_ms()));
    let timing = Timing {
        heartbeat: state.config.heartbeat,
        ping: limits.ping_interval,
        idle: limits.idle_timeout,
    };
    let writer = tokio::spawn(write_loop(
        sink,
        rx,
        client.clone(),
        timing,
        last_seen.clone(),
        done.clone(),
    ));
    let mut subscriptions: HashMap<String, Arc<Topic>> = HashMap::new();
    loop {
        let msg = tokio::select! {
            _ = done.cancelled() => break,
            msg = stream.next() => msg,
        };
        if matches!(msg, Some(Ok(_))) {
            last_seen.store(now_ms(), Ordering::Relaxed);
        }
        match msg {
            Some(Ok(Message::Text(text))) => handle(&state, &caller, &client, &mut subscriptions, &text),
            Some(Ok(Message::Binary(_))) => {
                client.try_send(message::error("bad_request", "send JSON text frames", None));
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {} // ping/pong frames are answered by the library
        }
    }
    done.cancel();
    state.hub.disconnect(&client, subscriptions.into_values());
    let _ = writer.await;
    metrics::gauge!("ioc_ws_clients").decrement(1.0);
}

fn handle(state: &AppState, caller: &Caller, client: &Arc<Client>, subs: &mut HashMap<String, Arc<Topic>>, text: &str) {
    let op = match serde_json::from_str::<Op>(text) {
        Ok(op) => op,
        Err(e) => {
            client.try_send(message::error("bad_request", &format!("bad message: {e}"), None));
            return;
        }
    };
    match op {
        Op::Ping => {
            client.try_send(message::pong());
        }
        Op::Subscribe {
            scenario,
            filter,
            resume,
        } => {
            let filter = match filter.filter(|f| !f.is_empty()).map(Filter::new).transpose() {
                Ok(f) => f,
                Err(e) => {
                    client.try_send(message::error("bad_request", &e, Some(&scenario)));
                    return;
                }
            };
            // A row-limited token sees only its rows, whatever it asks for.
            let filter = match (filter, caller.rows.as_deref()) {
                (Some(f), Some(limit)) => Some(f.and(limit)),
                (None, Some(limit)) => Some(limit.clone()),
                (f, None) => f,
            };
            if scenario == crate::engine::alerts::TOPIC {
                let topic = state.hub.topic(&scenario);
                topic.unsubscribe(client.id);
                // Those firing now first, then every transition.
                for frame in state.engine.alerts().firing_frames(caller.rows.as_deref()) {
                    client.try_send(frame);
                }
                topic.subscribe(client, caller.rows.as_deref().cloned(), None);
                subs.insert(scenario, topic);
                return;
            }
            let Some(topic) = state.engine.get(&scenario).and_then(|_| state.hub.existing(&scenario)) else {
                client.try_send(message::error(
                    "unknown_scenario",
                    &format!("unknown scenario `{scenario}`"),
                    Some(&scenario),
                ));
                return;
            };
            if !subs.contains_key(&scenario) && subs.len() >= state.config.limits.max_subscriptions {
                client.try_send(message::error(
                    "bad_request",
                    &format!(
                        "at most {} subscriptions per connection",
                        state.config.limits.max_subscriptions
                    ),
                    Some(&scenario),
                ));
                return;
            }
            if let (Some(f), Some(view)) = (&filter, topic.current()) {
                if let Some(col) = f.unknown_column(&view.columns) {
                    let text = format!("filter: `{col}` is not a column of `{scenario}`");
                    client.try_send(message::error("bad_request", &text, Some(&scenario)));
                    return;
                }
            }
            // A repeated subscribe starts over.
            topic.unsubscribe(client.id);
            let resume = resume.map(|r| ResumeAt {
                epoch: r.epoch,
                seq: r.seq,
            });
            topic.subscribe(client, filter, resume.as_ref());
            subs.insert(scenario, topic);
        }
        Op::Unsubscribe { scenario } => {
            if let Some(topic) = subs.remove(&scenario) {
                topic.unsubscribe(client.id);
            }
        }
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

struct Timing {
    heartbeat: Duration,
    ping: Duration,
    idle: Duration,
}

async fn write_loop(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Frame>,
    client: Arc<Client>,
    timing: Timing,
    last_seen: Arc<AtomicI64>,
    done: CancellationToken,
) {
    let start = tokio::time::Instant::now();
    let mut beat = tokio::time::interval_at(start + timing.heartbeat, timing.heartbeat);
    let mut ping = tokio::time::interval_at(start + timing.ping, timing.ping);
    loop {
        let frame = tokio::select! {
            biased;
            _ = done.cancelled() => break,
            frame = rx.recv() => match frame {
                Some(f) => {
                    client.sent(f.len());
                    f
                }
                None => break,
            },
            _ = beat.tick() => message::heartbeat(Utc::now()),
            _ = ping.tick() => {
                let silent_ms = now_ms() - last_seen.load(Ordering::Relaxed);
                if silent_ms > timing.idle.as_millis() as i64 {
                    metrics::counter!("ioc_ws_idle_dropped_total").increment(1);
                    done.cancel();
                    return;
                }
                if sink.send(Message::Ping(bytes::Bytes::new())).await.is_err() {
                    done.cancel();
                    return;
                }
                continue;
            }
        };
        // Frames already queued behind this one go out in the same write: one flush for a burst (a wall
        // subscribed to many scenarios gets them all at the same tick).
        let (mut frames, mut bytes) = (1u64, frame.len() as u64);
        let mut failed = sink.feed(Message::Text(frame)).await.is_err();
        while !failed && frames < WRITE_BATCH {
            let Ok(next) = rx.try_recv() else { break };
            client.sent(next.len());
            frames += 1;
            bytes += next.len() as u64;
            failed = sink.feed(Message::Text(next)).await.is_err();
        }
        if failed || sink.flush().await.is_err() {
            done.cancel();
            return;
        }
        metrics::counter!("ioc_ws_messages_sent_total").increment(frames);
        metrics::counter!("ioc_ws_bytes_sent_total").increment(bytes);
        if rx.is_empty() && client.is_owed() {
            for topic in client.take_owed() {
                if let Some(snapshot) = topic.resync(client.id) {
                    if sink.send(Message::Text(snapshot)).await.is_err() {
                        done.cancel();
                        return;
                    }
                }
            }
        }
    }
    // Shutting down (or the reader ended): 1001 tells clients to reconnect, possibly elsewhere.
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: 1001,
            reason: "server going away".into(),
        })))
        .await;
    let _ = sink.close().await;
}
