//! The WebSocket endpoint `/ws` (PROTOCOL.md, "WebSocket").
//!
//! Per connection: a reader (this task) that handles `subscribe` / `unsubscribe` / `ping` and watches the
//! client's silence, and a writer task that drains the client's bounded queue, sends a heartbeat every few
//! seconds, pings the client, and sends owed snapshots once the queue is empty; frames queued together are
//! written with one flush. Both stop when the peer goes away or the server shuts down (close code 1001).
//!
//! Dropping clients: one from which nothing (no message, no pong) arrived for the idle timeout, counted in
//! the server's running time ([`super::silence`]), is dropped by the reader, so the check runs even while
//! the writer is blocked on that socket; and a write (a frame, a flush, a ping) that the socket does not
//! take within `ws_write_timeout` drops the client (a client that never reads). Bytes taken off the queue
//! stay counted against `client_queue_bytes` until they are written, so a client's queue and what sits in
//! its socket writer together stay within that bound (plus the 8 KiB write buffer and an owed snapshot).
//!
//! Memory per idle connection (`benches/fanout_load` prints it; target 8 KiB): the reader's and the
//! writer's tasks, the socket's read buffer ([`READ_BUFFER`]), the client's queue, three timers.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::accept::Permit;
use super::auth::{Caller, Need};
use super::error::ApiError;
use super::silence::Silence;
use super::AppState;
use crate::fanout::{message, Client, Filter, Frame, Resume as ResumeAt, Topic};

/// Longest subscription `id`, in bytes.
const MAX_ID_BYTES: usize = 64;

/// A connection's subscriptions: by scenario and the subscription's id.
type Subscriptions = HashMap<(String, Option<Arc<str>>), Arc<Topic>>;

/// Read buffer per connection, allocated when the connection opens and kept while it lives: clients send
/// only small control messages (a `subscribe` with a filter is ~200 bytes; a larger message still arrives,
/// the frame buffer grows for it). 1 KiB instead of 4 KiB is most of what an idle connection costs less.
const READ_BUFFER: usize = 1 << 10;
/// Bytes gathered before a write to the socket; frames of one burst are flushed together.
const WRITE_BUFFER: usize = 8 << 10;
/// Frames taken off a client's queue for one flush.
const WRITE_BATCH: u64 = 64;
/// Time the close frame may take when the connection ends.
const CLOSE_TIME: Duration = Duration::from_secs(2);

/// `GET /ws`: the WebSocket upgrade. The messages are beyond OpenAPI: docs/protocol.md, "WebSocket".
#[utoipa::path(
    get,
    path = "/ws",
    tag = "websocket",
    params(("token" = Option<String>, Query, description = "The token, when tokens are configured (browsers cannot set headers on a WebSocket)")),
    responses(
        (status = 101, description = "Switching Protocols: then JSON text frames, docs/protocol.md \"WebSocket\""),
        (status = 400, description = "Not a WebSocket upgrade request"),
        (status = 403, description = "An origin that is not allowed, or a token that may not view", body = super::error::ErrorBody),
        (status = "4XX", description = "No token, or too many connections", body = super::error::ErrorBody),
    )
)]
pub async fn upgrade(
    State(state): State<Arc<AppState>>,
    axum::Extension(caller): axum::Extension<Caller>,
    permit: Option<axum::Extension<Arc<Permit>>>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    caller.require(Need::View)?;
    if !state.site.origin_allowed(&headers) {
        return Err(super::site::origin_refused());
    }
    let guard = state.auth.connect(&caller)?;
    // The connection's place under the caps goes with the socket, which outlives the HTTP connection.
    let permit = permit.map(|p| p.0);
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
                drop(permit);
            })
        }))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Op {
    Subscribe {
        scenario: String,
        /// The client's name for this subscription: one connection may follow one scenario several times.
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        filter: Option<serde_json::Map<String, serde_json::Value>>,
        #[serde(default)]
        resume: Option<Resume>,
    },
    Unsubscribe {
        scenario: String,
        #[serde(default)]
        id: Option<String>,
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
    let timing = Timing {
        heartbeat: state.config.heartbeat,
        ping: limits.ping_interval,
        write: limits.ws_write_timeout,
    };
    let writer = tokio::spawn(write_loop(sink, rx, client.clone(), timing, done.clone()));
    let mut subscriptions = Subscriptions::new();
    // The idle check runs here, beside the reads, never behind a write.
    let step = limits
        .ping_interval
        .min(limits.idle_timeout / 4)
        .max(Duration::from_millis(10));
    let mut check = tokio::time::interval_at(tokio::time::Instant::now() + step, step);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut silence = Silence::new(step, tokio::time::Instant::now());
    loop {
        let msg = tokio::select! {
            _ = done.cancelled() => break,
            _ = check.tick() => {
                if silence.check(tokio::time::Instant::now()) > limits.idle_timeout {
                    metrics::counter!("ioc_ws_idle_dropped_total").increment(1);
                    break;
                }
                continue;
            }
            msg = stream.next() => msg,
        };
        if matches!(msg, Some(Ok(_))) {
            silence.heard(tokio::time::Instant::now());
        }
        match msg {
            Some(Ok(Message::Text(text))) => {
                // An edge first brings the scenario's results in from the cluster (docs/cluster.md).
                if let Some(cluster) = state.cluster.as_ref().filter(|c| c.is_edge()) {
                    if let Ok(Op::Subscribe { scenario, .. }) = serde_json::from_str::<Op>(&text) {
                        cluster.wanted(&scenario).await;
                    }
                }
                handle(&state, &caller, &client, &mut subscriptions, &text)
            }
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

fn handle(state: &AppState, caller: &Caller, client: &Arc<Client>, subs: &mut Subscriptions, text: &str) {
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
            id,
            filter,
            resume,
        } => {
            let id: Option<Arc<str>> = id.map(Arc::from);
            // Errors about this subscription carry its id, so the client knows which one failed.
            let refuse = |code: &str, text: &str| {
                let frame = message::error(code, text, Some(&scenario));
                client.try_send(match &id {
                    Some(id) => message::with_id(&frame, id),
                    None => frame,
                });
            };
            if id.as_ref().is_some_and(|i| i.is_empty() || i.len() > MAX_ID_BYTES) {
                refuse("bad_request", &format!("`id` is 1 to {MAX_ID_BYTES} bytes"));
                return;
            }
            let filter = match filter.filter(|f| !f.is_empty()).map(Filter::new).transpose() {
                Ok(f) => f,
                Err(e) => {
                    refuse("bad_request", &e.to_string());
                    return;
                }
            };
            // A row-limited token sees only its rows, whatever it asks for.
            let filter = match (filter, caller.rows.as_deref()) {
                (Some(f), Some(limit)) => Some(f.and(limit)),
                (None, Some(limit)) => Some(limit.clone()),
                (f, None) => f,
            };
            let key = (scenario.clone(), id.clone());
            if !subs.contains_key(&key) && subs.len() >= state.config.limits.max_subscriptions {
                let max = state.config.limits.max_subscriptions;
                refuse("bad_request", &format!("at most {max} subscriptions per connection"));
                return;
            }
            if scenario == crate::engine::alerts::TOPIC {
                let topic = state.hub.topic(&scenario);
                topic.unsubscribe(client.id, id.as_deref());
                // Those firing now first, then every transition.
                for frame in state.engine.alerts().firing_frames(caller.rows.as_deref()) {
                    client.try_send(match &id {
                        Some(id) => message::with_id(&frame, id),
                        None => frame,
                    });
                }
                topic.subscribe(client, id, caller.rows.as_deref().cloned(), None);
                subs.insert(key, topic);
                return;
            }
            let Some(topic) = state.engine.get(&scenario).and_then(|_| state.hub.existing(&scenario)) else {
                refuse("unknown_scenario", &format!("unknown scenario `{scenario}`"));
                return;
            };
            if let (Some(f), Some(view)) = (&filter, topic.current()) {
                if let Some(col) = f.unknown_column(&view.columns) {
                    refuse(
                        "bad_request",
                        &format!("filter: `{col}` is not a column of `{scenario}`"),
                    );
                    return;
                }
            }
            // A repeated subscribe (same scenario, same id) starts over.
            topic.unsubscribe(client.id, id.as_deref());
            let resume = resume.map(|r| ResumeAt {
                epoch: r.epoch,
                seq: r.seq,
            });
            topic.subscribe(client, id, filter, resume.as_ref());
            subs.insert(key, topic);
        }
        Op::Unsubscribe { scenario, id } => {
            if let Some(topic) = subs.remove(&(scenario, id.as_deref().map(Arc::from))) {
                topic.unsubscribe(client.id, id.as_deref());
            }
        }
    }
}

struct Timing {
    heartbeat: Duration,
    ping: Duration,
    /// Time one write may take.
    write: Duration,
}

/// Why the writer stopped writing.
enum Stop {
    /// The connection is ending (shutdown, the reader ended, the client was idle): say goodbye.
    Done,
    /// The socket failed, or did not take a write in time: nothing more can be sent.
    Broken,
}

type Sink = futures::stream::SplitSink<WebSocket, Message>;

/// Runs one write on the socket within the write deadline, unless the connection ends first.
async fn within<F>(done: &CancellationToken, deadline: Duration, write: F) -> Result<(), Stop>
where
    F: std::future::Future<Output = Result<(), axum::Error>>,
{
    tokio::select! {
        _ = done.cancelled() => Err(Stop::Done),
        written = tokio::time::timeout(deadline, write) => match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(Stop::Broken),
            Err(_) => {
                metrics::counter!("ioc_ws_write_timeout_total").increment(1);
                Err(Stop::Broken)
            }
        },
    }
}

/// A fan-out frame as axum's text message: the same bytes, not a copy. axum checks the UTF-8 again, once
/// per frame: every other client of the frame shares the result (`fanout::frame`).
fn text(frame: Frame) -> Message {
    Message::Text(frame.edge(|bytes| Utf8Bytes::try_from(bytes).expect("frames are UTF-8")))
}

async fn write_loop(
    mut sink: Sink,
    mut rx: mpsc::Receiver<Frame>,
    client: Arc<Client>,
    timing: Timing,
    done: CancellationToken,
) {
    let stop = write_frames(&mut sink, &mut rx, &client, &timing, &done).await;
    done.cancel();
    if let Stop::Done = stop {
        // Shutting down (or the reader ended): 1001 tells clients to reconnect, possibly elsewhere.
        let close = Message::Close(Some(CloseFrame {
            code: 1001,
            reason: "server going away".into(),
        }));
        let _ = tokio::time::timeout(CLOSE_TIME, async {
            let _ = sink.send(close).await;
            let _ = sink.close().await;
        })
        .await;
    }
}

async fn write_frames(
    sink: &mut Sink,
    rx: &mut mpsc::Receiver<Frame>,
    client: &Arc<Client>,
    timing: &Timing,
    done: &CancellationToken,
) -> Stop {
    let start = tokio::time::Instant::now();
    let mut beat = tokio::time::interval_at(start + timing.heartbeat, timing.heartbeat);
    // After a stall or a pause of the process: one heartbeat, not one per missed tick.
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ping = tokio::time::interval_at(start + timing.ping, timing.ping);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let w = timing.write;
    loop {
        // Bytes taken off the queue stay counted against the client's queue until they are written.
        let (first, mut taken) = tokio::select! {
            biased;
            _ = done.cancelled() => return Stop::Done,
            frame = rx.recv() => match frame {
                Some(f) => {
                    let len = f.len();
                    (f, len)
                }
                None => return Stop::Done,
            },
            _ = beat.tick() => (message::heartbeat(Utc::now()), 0),
            _ = ping.tick() => {
                if let Err(stop) = within(done, w, sink.send(Message::Ping(bytes::Bytes::new()))).await {
                    return stop;
                }
                continue;
            }
        };
        // Frames already queued behind this one go out in the same write: one flush for a burst (a wall
        // subscribed to many scenarios gets them all at the same tick).
        let (mut frames, mut bytes) = (1u64, first.len() as u64);
        let mut next = Some(first);
        while let Some(frame) = next.take() {
            if let Err(stop) = within(done, w, sink.feed(text(frame))).await {
                client.sent(taken);
                return stop;
            }
            if frames < WRITE_BATCH {
                if let Ok(f) = rx.try_recv() {
                    taken += f.len();
                    frames += 1;
                    bytes += f.len() as u64;
                    next = Some(f);
                }
            }
        }
        let flushed = within(done, w, sink.flush()).await;
        client.sent(taken);
        if let Err(stop) = flushed {
            return stop;
        }
        metrics::counter!("ioc_ws_messages_sent_total").increment(frames);
        metrics::counter!("ioc_ws_bytes_sent_total").increment(bytes);
        if rx.is_empty() && client.is_owed() {
            for owed in client.take_owed() {
                if let Some(snapshot) = owed.resync(client.id) {
                    if let Err(stop) = within(done, w, sink.send(text(snapshot))).await {
                        return stop;
                    }
                }
            }
        }
    }
}
