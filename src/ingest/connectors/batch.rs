//! The micro-batch step shared by every kind of source: each message of a batch is decoded and validated
//! on its own (exactly as an HTTP request body), the good ones are stored together as one append (one WAL
//! record, one fsync under `always`), and the caller learns which messages to acknowledge and which to
//! reject. A store that refuses for a while (full, WAL unwritable) is retried with backoff until it takes
//! the batch or the server shuts down; nothing is acknowledged before that. Also the reconnect backoff.
//! This module does not talk to brokers.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use datafusion::arrow::record_batch::RecordBatch;
use rand::Rng;
use tokio_util::sync::CancellationToken;

use super::status::SourceStatus;
use crate::ingest::{Format, IngestError, Ingestor};

/// What became of one message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its events are in the WAL and the store (or were already there): acknowledge it.
    Stored,
    /// It cannot be decoded or fails validation: reject it, never deliver it again.
    Rejected(String),
}

/// The batch was not stored because the server is shutting down: acknowledge nothing.
#[derive(Debug, thiserror::Error)]
#[error("shutting down before the batch was stored")]
pub struct Cancelled;

/// Stores micro-batches of one stream's messages.
#[derive(Debug, Clone)]
pub struct Batcher {
    pub ingestor: Arc<Ingestor>,
    pub stream: String,
    pub format: Format,
    pub status: Arc<SourceStatus>,
    /// Largest message accepted (the HTTP body limit).
    pub max_message_bytes: usize,
}

impl Batcher {
    /// Decodes, validates and stores `payloads` (with the subject each came on); one verdict per payload,
    /// in order. Rejections are recorded in the source's status.
    pub async fn store(
        &self,
        payloads: Vec<(Bytes, String)>,
        shutdown: &CancellationToken,
    ) -> Result<Vec<Verdict>, Cancelled> {
        let received = payloads.len() as u64;
        self.status.received.fetch_add(received, Ordering::Relaxed);
        let this = self.clone();
        let decoded = tokio::task::spawn_blocking(move || this.decode_all(payloads))
            .await
            .map_err(|_| Cancelled)?;
        let (batch, verdicts) = decoded;
        if let Some(batch) = batch {
            self.append(batch, shutdown).await?;
        }
        Ok(verdicts)
    }

    fn decode_all(&self, payloads: Vec<(Bytes, String)>) -> (Option<RecordBatch>, Vec<Verdict>) {
        let mut good = Vec::new();
        let mut verdicts = Vec::with_capacity(payloads.len());
        for (payload, subject) in &payloads {
            let outcome = if payload.len() > self.max_message_bytes {
                Err(format!("the message is larger than {} bytes", self.max_message_bytes))
            } else {
                self.ingestor
                    .decode(&self.stream, self.format, payload)
                    .map_err(|e| describe(&e))
            };
            match outcome {
                Ok(batch) => {
                    good.push(batch);
                    verdicts.push(Verdict::Stored);
                }
                Err(reason) => {
                    self.status.reject(subject, payload, reason.clone());
                    metrics::counter!("ioc_ingest_rejected_requests_total", "stream" => self.stream.clone())
                        .increment(1);
                    verdicts.push(Verdict::Rejected(reason));
                }
            }
        }
        let batch = match good.len() {
            0 => None,
            1 => good.pop(),
            _ => {
                let schema = good[0].schema();
                // Every batch has the stream's schema: concatenation cannot fail.
                Some(datafusion::arrow::compute::concat_batches(&schema, &good).expect("batches of one schema"))
            }
        };
        (batch, verdicts)
    }

    /// Appends until the store takes the batch (retrying a full store or an unwritable WAL) or shutdown.
    async fn append(&self, batch: RecordBatch, shutdown: &CancellationToken) -> Result<(), Cancelled> {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        loop {
            let (ingestor, stream, b) = (self.ingestor.clone(), self.stream.clone(), batch.clone());
            let result = tokio::task::spawn_blocking(move || ingestor.append(&stream, b))
                .await
                .map_err(|_| Cancelled)?;
            match result {
                Ok(done) => {
                    self.status.events.fetch_add(done.accepted as u64, Ordering::Relaxed);
                    self.status
                        .duplicates
                        .fetch_add(done.duplicates as u64, Ordering::Relaxed);
                    return Ok(());
                }
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(stream = %self.stream, source = %self.status.name, error = %e, ?delay, "cannot store a batch; retrying");
                    self.status.set(self.status.state(), Some(format!("cannot store: {e}")));
                    tokio::select! {
                        _ = shutdown.cancelled() => return Err(Cancelled),
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
}

/// A decoding or validation error as one line for the operator.
fn describe(e: &IngestError) -> String {
    match e {
        IngestError::Invalid { message, lines } if !lines.is_empty() => {
            let first: Vec<String> = lines
                .iter()
                .take(5)
                .map(|l| format!("line {}: {}", l.line, l.message))
                .collect();
            format!("{message}: {}", first.join("; "))
        }
        other => other.to_string(),
    }
}

/// Exponential backoff with full jitter: each delay is random in [base, cap'] where cap' doubles from
/// `base` up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff {
            base,
            max,
            current: base,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let upper = self.current;
        self.current = (self.current * 2).min(self.max);
        let ms = rand::rng()
            .random_range(self.base.as_millis() as u64..=upper.as_millis().max(self.base.as_millis()) as u64);
        Duration::from_millis(ms)
    }

    pub fn reset(&mut self) {
        self.current = self.base;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_within_bounds() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        for _ in 0..20 {
            let d = b.next_delay();
            assert!(d >= Duration::from_millis(100) && d <= Duration::from_secs(2), "{d:?}");
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
