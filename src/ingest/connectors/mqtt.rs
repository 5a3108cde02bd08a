//! An MQTT source: a persistent session (clean_session = false) subscribed to topic filters at QoS 0 or 1.
//! With QoS 1, acknowledgements are manual and sent only after the messages' events are stored (the
//! broker delivers an unacknowledged message again after a reconnect, and the `id` de-duplication absorbs
//! it). When the broker reports that it lost the session (`session_present = false`), the topics are
//! subscribed again. Messages are stored in micro-batches through [`Batcher`]; a bad message is counted
//! and kept with its reason, and acknowledged so it never blocks the session (MQTT has no "reject").
//! A message larger than the client's packet limit is a protocol error that drops the connection; keep
//! the broker's `message_size_limit` at or below the ingest body limit. This module does not publish.

use std::sync::atomic::Ordering;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS, SubscribeFilter, TlsConfiguration, Transport};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::batch::{Backoff, Batcher, Verdict};
use super::config::{host_port, MqttSource};
use super::status::State;
use super::{secret, SourceError};

/// Builds the client options: address, session, credentials, TLS.
pub fn options(def: &MqttSource, max_packet: usize) -> Result<MqttOptions, SourceError> {
    let (host, port, scheme) = host_port(
        &def.url,
        &[("mqtt", 1883), ("mqtts", 8883), ("tcp", 1883), ("ssl", 8883)],
    )
    .map_err(SourceError::Config)?;
    let mut o = MqttOptions::new(def.client_id.clone(), host, port);
    o.set_clean_session(false)
        .set_manual_acks(true)
        .set_keep_alive(Duration::from_secs(def.keep_alive_s))
        .set_max_packet_size(max_packet, 1 << 20)
        // Acks are queued without waiting (`try_ack`): room for a whole batch of them, and more.
        .set_request_channel_capacity(def.batch.max_messages * 2 + 64);
    if let (Some(user), Some(var)) = (&def.user, &def.password_env) {
        o.set_credentials(user.clone(), secret(var)?);
    }
    if scheme == "mqtts" || scheme == "ssl" || def.tls.ca_file.is_some() {
        let read =
            |p: &std::path::PathBuf| std::fs::read(p).map_err(|e| SourceError::Config(format!("{}: {e}", p.display())));
        let ca = match &def.tls.ca_file {
            Some(p) => read(p)?,
            None => {
                return Err(SourceError::Config(
                    "TLS needs tls.ca_file (the broker's CA, PEM)".into(),
                ))
            }
        };
        let client_auth = match (&def.tls.cert_file, &def.tls.key_file) {
            (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
            _ => None,
        };
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
            ca,
            alpn: None,
            client_auth,
        }));
    }
    Ok(o)
}

/// Runs the source until shutdown; the event loop reconnects, with backoff between failed attempts.
pub async fn run(def: MqttSource, batcher: Batcher, shutdown: CancellationToken) {
    let status = batcher.status.clone();
    let opts = match options(&def, batcher.max_message_bytes.saturating_add(1024)) {
        Ok(o) => o,
        Err(e) => {
            status.set(State::Error, Some(e.to_string()));
            tracing::error!(stream = %status.stream, source = %status.name, error = %e, "MQTT source cannot start");
            return;
        }
    };
    let qos = if def.qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    };
    let (client, mut events) = AsyncClient::new(opts, def.batch.max_messages.max(10));
    let filters: Vec<SubscribeFilter> = def
        .topics
        .iter()
        .map(|t| SubscribeFilter::new(t.clone(), qos))
        .collect();
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    let bounds = def.batch;
    let mut pending: Vec<Publish> = Vec::new();
    let mut bytes = 0usize;
    let mut deadline = Instant::now();
    loop {
        let flush_now = !pending.is_empty() && (pending.len() >= bounds.max_messages || bytes >= bounds.max_bytes);
        if flush_now {
            if flush(&client, &batcher, &mut pending, &shutdown).await.is_err() {
                break;
            }
            bytes = 0;
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(deadline), if !pending.is_empty() => {
                if flush(&client, &batcher, &mut pending, &shutdown).await.is_err() {
                    break;
                }
                bytes = 0;
            }
            event = events.poll() => match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    status.set(State::Connected, None);
                    backoff.reset();
                    tracing::info!(stream = %status.stream, source = %status.name, session_present = ack.session_present, "MQTT source connected");
                    if !ack.session_present {
                        // A new or lost session: subscribe (again).
                        if let Err(e) = client.try_subscribe_many(filters.clone()) {
                            status.set(State::Error, Some(format!("cannot subscribe: {e}")));
                        }
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    let failed = ack.return_codes.iter().any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure));
                    if failed {
                        status.set(State::Error, Some("the broker refused a subscription (check the topics and the ACL)".into()));
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    if pending.is_empty() {
                        deadline = Instant::now() + bounds.linger();
                    }
                    bytes += p.payload.len();
                    pending.push(p);
                }
                Ok(_) => {}
                Err(e) => {
                    let delay = backoff.next_delay();
                    status.set(State::Error, Some(format!("MQTT: {e}")));
                    tracing::warn!(stream = %status.stream, source = %status.name, error = %e, ?delay, "MQTT connection failed; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(delay) => {}
                    }
                    status.set(State::Connecting, None);
                }
            }
        }
    }
    // Leave the session to the broker; what was not acknowledged comes again on the next start.
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Ok(ev) = events.poll().await {
            if matches!(ev, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
    })
    .await;
}

/// Stores the pending messages and acknowledges them (QoS 1). Err when shutting down before storing.
async fn flush(
    client: &AsyncClient,
    batcher: &Batcher,
    pending: &mut Vec<Publish>,
    shutdown: &CancellationToken,
) -> Result<(), SourceError> {
    let batch = std::mem::take(pending);
    let payloads = batch.iter().map(|p| (p.payload.clone(), p.topic.clone())).collect();
    let verdicts = batcher
        .store(payloads, shutdown)
        .await
        .map_err(|_| SourceError::ShuttingDown)?;
    for (p, v) in batch.iter().zip(&verdicts) {
        if p.qos == QoS::AtMostOnce {
            // Nothing to acknowledge: `acked` counts it as stored.
            if *v == Verdict::Stored {
                batcher.status.acked.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        match client.try_ack(p) {
            Ok(()) if *v == Verdict::Stored => {
                batcher.status.acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(()) => {}
            Err(e) => tracing::debug!(error = %e, "MQTT ack not queued; the broker delivers the message again"),
        }
    }
    Ok(())
}
