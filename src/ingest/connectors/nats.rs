//! A NATS JetStream source: a durable pull consumer on one stream and filter subject. Messages are taken
//! in micro-batches (a count, bytes and a linger time), stored through [`Batcher`], and only then
//! acknowledged; a message that cannot be decoded or validated is terminated (`AckKind::Term`) so the
//! broker never delivers it again. A crash between the WAL append and the ack means a redelivery, which
//! the stream's `id` de-duplication absorbs. The broker being unreachable (at start or later) is retried
//! with backoff and jitter; the consumer's durable position makes the source catch up. This module does
//! not publish results (see `crate::publish`).

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, AckKind};
use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::batch::{Backoff, Batcher, Verdict};
use super::config::{NatsAuth, NatsSource};
use super::status::{SourceStatus, State};
use super::{secret, SourceError};

/// How often the consumer's lag is asked for.
const INFO_EVERY: Duration = Duration::from_secs(2);

/// Runs the source until shutdown, reconnecting with backoff.
pub async fn run(def: NatsSource, batcher: Batcher, shutdown: CancellationToken) {
    let status = batcher.status.clone();
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    loop {
        status.set(State::Connecting, None);
        // Connecting and binding may wait on the broker: shutdown does not wait for them. Dropping a
        // session between a store and its acks only means a redelivery.
        let result = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = session(&def, &batcher, &mut backoff, &shutdown) => r,
        };
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(stream = %status.stream, source = %status.name, error = %e, "JetStream source failed; retrying");
                status.set(State::Error, Some(e.to_string()));
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff.next_delay()) => {}
        }
    }
}

/// Connects with the source's credentials and TLS settings. Reconnection after a drop is the client's
/// own (it keeps trying); the status follows its events.
pub async fn connect(
    url: &str,
    name: &str,
    auth: &NatsAuth,
    status: Option<Arc<SourceStatus>>,
) -> Result<async_nats::Client, SourceError> {
    let mut opts = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(Duration::from_secs(5))
        .event_callback(move |event| {
            let status = status.clone();
            async move {
                let Some(status) = status else { return };
                match event {
                    async_nats::Event::Connected => status.set(State::Connected, None),
                    async_nats::Event::Disconnected => {
                        status.set(State::Connecting, Some("disconnected from the broker".into()))
                    }
                    _ => {}
                }
            }
        });
    if let (Some(user), Some(var)) = (&auth.user, &auth.password_env) {
        opts = opts.user_and_password(user.clone(), secret(var)?);
    }
    if let Some(var) = &auth.token_env {
        opts = opts.token(secret(var)?);
    }
    if let Some(path) = &auth.creds_file {
        opts = opts
            .credentials_file(path)
            .await
            .map_err(|e| SourceError::Config(format!("creds_file {}: {e}", path.display())))?;
    }
    if let Some(ca) = &auth.tls.ca_file {
        opts = opts.add_root_certificates(ca.clone());
    }
    if let (Some(cert), Some(key)) = (&auth.tls.cert_file, &auth.tls.key_file) {
        opts = opts.add_client_certificate(cert.clone(), key.clone());
    }
    if auth.tls_required {
        opts = opts.require_tls(true);
    }
    let servers: Vec<&str> = url.split(',').map(str::trim).collect();
    opts.connect(servers).await.map_err(|e| SourceError::Connect {
        url: url.to_string(),
        message: e.to_string(),
    })
}

fn js_err(e: impl std::fmt::Display) -> SourceError {
    SourceError::Broker(e.to_string())
}

/// One connection: bind the stream and consumer, then take batches until shutdown (Ok) or an error.
async fn session(
    def: &NatsSource,
    batcher: &Batcher,
    backoff: &mut Backoff,
    shutdown: &CancellationToken,
) -> Result<(), SourceError> {
    let status = &batcher.status;
    let client = connect(
        &def.url,
        &format!("ioc-stream {}", def.durable),
        &def.auth(),
        Some(status.clone()),
    )
    .await?;
    let js = jetstream::new(client.clone());
    let stream = if def.create {
        js.get_or_create_stream(jetstream::stream::Config {
            name: def.stream.clone(),
            subjects: vec![def.subject.clone()],
            ..Default::default()
        })
        .await
        .map_err(js_err)?
    } else {
        js.get_stream(&def.stream).await.map_err(js_err)?
    };
    let bounds = def.batch;
    let consumer: jetstream::consumer::PullConsumer = stream
        .get_or_create_consumer(
            &def.durable,
            pull::Config {
                durable_name: Some(def.durable.clone()),
                filter_subject: def.subject.clone(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(def.ack_wait_s),
                max_ack_pending: (bounds.max_messages * 4).max(1000) as i64,
                ..Default::default()
            },
        )
        .await
        .map_err(js_err)?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(bounds.max_messages)
        .max_bytes_per_batch(bounds.max_bytes)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
        .map_err(js_err)?;
    status.set(State::Connected, None);
    backoff.reset();
    tracing::info!(stream = %status.stream, source = %status.name, "JetStream source connected");
    let mut next_info = Instant::now();
    loop {
        if Instant::now() >= next_info {
            if let Ok(info) = consumer.get_info().await {
                status.set_pending(info.num_pending);
            }
            next_info = Instant::now() + INFO_EVERY;
        }
        let first = tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep_until(next_info) => continue,
            m = messages.next() => m,
        };
        let mut batch = Vec::new();
        let mut bytes = 0;
        match first {
            None => return Err(SourceError::Broker("the consumer's message stream ended".into())),
            Some(Err(e)) => {
                use jetstream::consumer::pull::MessagesErrorKind as K;
                match e.kind() {
                    // The client reconnects by itself and the stream resumes.
                    K::MissingHeartbeat => {
                        status.set(status.state(), Some(format!("JetStream: {e}")));
                        continue;
                    }
                    _ => return Err(js_err(e)),
                }
            }
            Some(Ok(m)) => {
                bytes += m.payload.len();
                batch.push(m);
            }
        }
        let deadline = Instant::now() + bounds.linger();
        while batch.len() < bounds.max_messages && bytes < bounds.max_bytes {
            match tokio::time::timeout_at(deadline, messages.next()).await {
                Ok(Some(Ok(m))) => {
                    bytes += m.payload.len();
                    batch.push(m);
                }
                Ok(Some(Err(e))) => {
                    tracing::debug!(error = %e, "JetStream message stream error while batching");
                    break;
                }
                Ok(None) | Err(_) => break,
            }
        }
        let payloads = batch
            .iter()
            .map(|m| (m.payload.clone(), m.subject.to_string()))
            .collect();
        let Ok(verdicts) = batcher.store(payloads, shutdown).await else {
            // Shutting down before the batch was stored: leave it unacknowledged, it is delivered again.
            return Ok(());
        };
        acknowledge(&batch, &verdicts, status).await;
    }
}

/// Acknowledges what was stored and terminates what was rejected.
async fn acknowledge(batch: &[jetstream::Message], verdicts: &[Verdict], status: &SourceStatus) {
    use std::sync::atomic::Ordering;
    for (m, v) in batch.iter().zip(verdicts) {
        let result = match v {
            Verdict::Stored => m.ack().await,
            Verdict::Rejected(_) => m.ack_with(AckKind::Term).await,
        };
        match result {
            Ok(()) if *v == Verdict::Stored => {
                status.acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(()) => {}
            // The message is delivered again after ack_wait; the id de-duplication absorbs it.
            Err(e) => tracing::debug!(error = %e, "JetStream ack failed"),
        }
    }
}
