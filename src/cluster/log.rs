//! The cluster's event log: one JetStream stream per catalog stream (`NAME_events_<stream>` on subject
//! `NAME.events.<stream>`). An ingest on any node publishes its validated batch there, as Arrow IPC
//! messages that fit the server's `max_payload`, and answers once JetStream has acknowledged every one of
//! them: that acknowledgement is the durability a single node gets from its WAL (docs/cluster.md says
//! what each JetStream storage setting means for loss). Every engine node reads every stream from the
//! start, in stream order, into its own store ([`EventLog::consume`]), so all of them hold the same rows
//! and make the same de-duplication decisions.
//!
//! De-duplication: a stream with an `id` column gets a `Nats-Msg-Id` per message (the stream and a hash
//! of the message), so a batch sent twice within JetStream's duplicate window is stored once; events
//! whose `id` is already held are dropped by each store as on a single node. A stream without `id`s gets
//! no message id: two equal batches are two batches.
//!
//! This module does not decide who evaluates; it moves events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::DeliverPolicy, stream};
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{ClusterError, Names};
use crate::catalog::{Catalog, StreamDef};
use crate::config::Limits;
use crate::ingest::{Accepted, IngestError};
use crate::store::{AppendError, StreamStore};

/// How long an ingest waits for JetStream's acknowledgements before it answers 503.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// A message's share of the server's `max_payload` (headers and framing take the rest).
const PAYLOAD_SHARE: f64 = 0.8;

/// Publishes validated batches to the log, and reads the log into a store.
#[derive(Debug)]
pub struct EventLog {
    js: jetstream::Context,
    names: Names,
    /// Streams with an `id` column.
    with_ids: HashMap<String, bool>,
    max_payload: usize,
    runtime: tokio::runtime::Handle,
    /// Per stream: messages not yet applied to this node's store.
    lag: HashMap<String, Arc<AtomicU64>>,
}

impl EventLog {
    /// Creates (or finds) a JetStream stream per catalog stream, keeping events for the stream's
    /// retention.
    pub async fn open(
        js: jetstream::Context,
        names: Names,
        catalog: &Catalog,
        replicas: usize,
        max_payload: usize,
    ) -> Result<EventLog, ClusterError> {
        for (name, def) in &catalog.streams {
            let config = stream::Config {
                name: names.events_stream(name),
                subjects: vec![names.events_subject(name)],
                max_age: def.retention,
                duplicate_window: Duration::from_secs(120).min(def.retention),
                num_replicas: replicas,
                storage: stream::StorageType::File,
                discard: stream::DiscardPolicy::Old,
                ..Default::default()
            };
            js.get_or_create_stream(config)
                .await
                .map_err(|e| ClusterError::JetStream(format!("stream for `{name}`: {e}")))?;
        }
        Ok(EventLog {
            js,
            names,
            with_ids: catalog
                .streams
                .iter()
                .map(|(n, d)| (n.clone(), d.id.is_some()))
                .collect(),
            max_payload: ((max_payload as f64 * PAYLOAD_SHARE) as usize).max(4096),
            runtime: tokio::runtime::Handle::current(),
            lag: catalog
                .streams
                .keys()
                .map(|n| (n.clone(), Arc::new(AtomicU64::new(0))))
                .collect(),
        })
    }

    /// Per stream, messages this node has not applied yet (as of the last message it read).
    pub fn lags(&self) -> Vec<super::members::StreamLag> {
        let mut lags: Vec<_> = self
            .lag
            .iter()
            .map(|(name, l)| super::members::StreamLag {
                name: name.clone(),
                lag: l.load(Ordering::Relaxed),
            })
            .collect();
        lags.sort_by(|a, b| a.name.cmp(&b.name));
        lags
    }

    /// Publishes `batch` and waits for JetStream's acknowledgement of every message.
    pub async fn publish(&self, stream: &str, batch: &RecordBatch) -> Result<usize, IngestError> {
        let subject = self.names.events_subject(stream);
        let chunks = encode_chunks(batch, self.max_payload).map_err(IngestError::LogUnavailable)?;
        let with_id = self.with_ids.get(stream).copied().unwrap_or(false);
        let mut acks = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let mut headers = async_nats::HeaderMap::new();
            if with_id {
                let id = format!("{stream}-{:016x}", xxhash_rust::xxh3::xxh3_64(&chunk));
                headers.insert("Nats-Msg-Id", id.as_str());
            }
            let ack = self
                .js
                .publish_with_headers(subject.clone(), headers, chunk.into())
                .await
                .map_err(|e| IngestError::LogUnavailable(format!("the cluster's event log refused the batch: {e}")))?;
            acks.push(ack);
        }
        for ack in acks {
            match tokio::time::timeout(ACK_TIMEOUT, ack).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    return Err(IngestError::LogUnavailable(format!(
                        "the cluster's event log did not acknowledge the batch: {e}"
                    )))
                }
                Err(_) => {
                    return Err(IngestError::LogUnavailable(
                        "the cluster's event log did not acknowledge the batch in time".into(),
                    ))
                }
            }
        }
        metrics::counter!("ioc_cluster_published_rows_total", "stream" => stream.to_string())
            .increment(batch.num_rows() as u64);
        Ok(batch.num_rows())
    }

    /// Reads `stream` from the start into `store`, in stream order, until shutdown; reconnects on its own
    /// and carries on after the last message applied.
    pub async fn consume(
        self: Arc<Self>,
        def: Arc<StreamDef>,
        store: Arc<StreamStore>,
        limits: Limits,
        shutdown: CancellationToken,
    ) {
        let name = def.name.clone();
        let lag = self.lag.get(&name).cloned().unwrap_or_default();
        let labels = [("stream", name.clone())];
        let mut applied = 0u64;
        let mut backoff =
            crate::ingest::connectors::batch::Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            let read = self.read_from(&def, &store, &limits, &lag, &mut applied, &shutdown);
            match read.await {
                Ok(()) => return,
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(stream = %name, error = %e, ?delay, "reading the cluster's event log; retrying");
                    metrics::counter!("ioc_cluster_log_errors_total", &labels).increment(1);
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    async fn read_from(
        &self,
        def: &StreamDef,
        store: &StreamStore,
        limits: &Limits,
        lag: &AtomicU64,
        applied: &mut u64,
        shutdown: &CancellationToken,
    ) -> Result<(), String> {
        let deliver_policy = match *applied {
            0 => DeliverPolicy::All,
            n => DeliverPolicy::ByStartSequence { start_sequence: n + 1 },
        };
        let consumer = super::ordered(
            &self.js,
            self.names.events_stream(&def.name),
            self.names.events_subject(&def.name),
            deliver_policy,
        )
        .await?;
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        let labels = [("stream", def.name.clone())];
        loop {
            let next = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                m = messages.next() => m,
            };
            let Some(message) = next else {
                return Err("the consumer ended".into());
            };
            let message = message.map_err(|e| e.to_string())?;
            let (seq, pending) = message
                .info()
                .map(|i| (i.stream_sequence, i.pending))
                .map_err(|e| e.to_string())?;
            match crate::ingest::ipc::decode(def, &message.payload, limits) {
                Ok(batch) => {
                    let mut wait = Duration::from_millis(50);
                    loop {
                        match store.ingest(batch.clone()) {
                            Ok(done) => {
                                metrics::counter!("ioc_ingest_rows_total", &labels).increment(done.accepted as u64);
                                if done.duplicates > 0 {
                                    metrics::counter!("ioc_ingest_duplicates_total", &labels)
                                        .increment(done.duplicates as u64);
                                }
                                break;
                            }
                            // The store is full: this node waits for retention to make room rather than
                            // skip events the other nodes hold.
                            Err(AppendError::Full(full)) => {
                                tracing::warn!(stream = %def.name, error = %full, "store full; waiting to apply the log");
                                tokio::select! {
                                    _ = shutdown.cancelled() => return Ok(()),
                                    _ = tokio::time::sleep(wait) => {}
                                }
                                wait = (wait * 2).min(Duration::from_secs(2));
                            }
                            Err(e) => return Err(e.to_string()),
                        }
                    }
                }
                // Only our own nodes publish here, after validation: a message that does not decode is a
                // bug or a foreign publisher, counted and skipped by every node alike.
                Err(e) => {
                    tracing::error!(stream = %def.name, seq, error = %e, "a message of the event log does not decode; skipped");
                    metrics::counter!("ioc_cluster_log_rejected_total", &labels).increment(1);
                }
            }
            *applied = seq;
            lag.store(pending, Ordering::Relaxed);
            metrics::gauge!("ioc_cluster_stream_lag", &labels).set(pending as f64);
        }
    }
}

impl crate::ingest::Log for EventLog {
    fn append(&self, stream: &str, batch: &RecordBatch) -> Result<Accepted, IngestError> {
        let accepted = self.runtime.block_on(self.publish(stream, batch))?;
        Ok(Accepted {
            accepted,
            duplicates: 0,
        })
    }
}

/// `batch` as Arrow IPC streams of at most `max` bytes each (a single row larger than that is sent
/// alone and left to the server to refuse).
pub fn encode_chunks(batch: &RecordBatch, max: usize) -> Result<Vec<Vec<u8>>, String> {
    let whole = encode(batch)?;
    if whole.len() <= max || batch.num_rows() <= 1 {
        return Ok(vec![whole]);
    }
    let rows = batch.num_rows();
    let per_chunk = ((rows as f64 * max as f64 / whole.len() as f64 * 0.9) as usize).clamp(1, rows - 1);
    let mut out = Vec::new();
    let mut at = 0;
    while at < rows {
        let n = per_chunk.min(rows - at);
        out.extend(encode_chunks(&batch.slice(at, n), max)?);
        at += n;
    }
    Ok(out)
}

fn encode(batch: &RecordBatch) -> Result<Vec<u8>, String> {
    let mut writer = StreamWriter::try_new(Vec::new(), &batch.schema()).map_err(|e| e.to_string())?;
    writer.write(batch).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    writer.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    #[test]
    fn chunks_fit_the_payload_and_keep_every_row_in_order() {
        let n = 10_000;
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("v", DataType::Int64, false),
        ]));
        let ids: Vec<String> = (0..n).map(|i| format!("event-{i:06}")).collect();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(ids.clone())),
                Arc::new(Int64Array::from_iter_values(0..n as i64)),
            ],
        )
        .unwrap();
        let chunks = encode_chunks(&batch, 16 << 10).unwrap();
        assert!(chunks.len() > 5, "{} chunks", chunks.len());
        let mut seen = Vec::new();
        for c in &chunks {
            assert!(c.len() <= 16 << 10, "a chunk of {} bytes", c.len());
            let reader =
                datafusion::arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(c.clone()), None).unwrap();
            for b in reader {
                let b = b.unwrap();
                let col = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
                seen.extend(col.iter().map(|s| s.unwrap().to_string()));
            }
        }
        assert_eq!(seen, ids);
    }
}
