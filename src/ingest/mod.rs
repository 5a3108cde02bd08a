//! Ingest: a request body becomes one validated `RecordBatch` of the stream's schema, or an error that says
//! which lines are wrong and why. Nothing of a rejected request reaches the store.
//!
//! Decoding uses arrow's own readers ([`json`] for NDJSON and JSON arrays, [`ipc`] for Arrow IPC streams).
//! A body is decoded in one pass; only when that pass fails is it decoded again line by line to name every
//! bad line. Fields that are not in the catalog are ignored, so producers can add fields before the catalog
//! does; a missing non-nullable column is an error.

pub mod connectors;
pub mod ipc;
pub mod json;

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, TimestampMillisecondType};
use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::catalog::{Catalog, StreamDef};
use crate::config::Limits;
use crate::store::Store;

/// Earliest timestamp accepted in any timestamp column: 1970-01-01T00:00:00Z.
pub const MIN_TIMESTAMP_MS: i64 = 0;
/// Latest timestamp accepted in any timestamp column: 2200-01-01T00:00:00Z.
pub const MAX_TIMESTAMP_MS: i64 = 7_258_118_400_000;

/// The encodings a producer may send (by `Content-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/x-ndjson`: one JSON object per line.
    Ndjson,
    /// `application/json`: an array of objects.
    JsonArray,
    /// `application/vnd.apache.arrow.stream`: an Arrow IPC stream.
    ArrowIpc,
}

impl Format {
    /// The format for a `Content-Type` header value (parameters such as `charset` are ignored).
    pub fn from_content_type(value: &str) -> Option<Format> {
        let mime = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match mime.as_str() {
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" | "application/x-jsonlines" => {
                Some(Format::Ndjson)
            }
            "application/json" => Some(Format::JsonArray),
            "application/vnd.apache.arrow.stream" => Some(Format::ArrowIpc),
            _ => None,
        }
    }
}

/// One bad line (1-based: the NDJSON line, the JSON array element, or the Arrow row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("unknown stream `{0}`")]
    UnknownStream(String),
    #[error("unsupported content type `{0}`: send application/x-ndjson, application/json or application/vnd.apache.arrow.stream")]
    UnsupportedMediaType(String),
    #[error("{message}")]
    Invalid { message: String, lines: Vec<LineError> },
    #[error(transparent)]
    StoreFull(#[from] crate::store::StoreFull),
    /// The WAL did not take the events (503).
    #[error("the write-ahead log cannot be written ({0}); nothing of this request was stored, retry later")]
    Unavailable(#[source] crate::store::WalAppendError),
    /// Cluster mode: the cluster's event log (JetStream) did not take the batch (503).
    #[error("{0}")]
    LogUnavailable(String),
}

impl IngestError {
    fn invalid(lines: Vec<LineError>, total_bad: usize) -> IngestError {
        let message = match total_bad {
            1 => "1 event is invalid; nothing of this request was stored".to_string(),
            n if n > lines.len() => format!(
                "{n} events are invalid (the first {} are listed); nothing of this request was stored",
                lines.len()
            ),
            n => format!("{n} events are invalid; nothing of this request was stored"),
        };
        IngestError::Invalid { message, lines }
    }

    fn whole(message: impl Into<String>) -> IngestError {
        IngestError::Invalid {
            message: message.into(),
            lines: Vec::new(),
        }
    }
}

/// What an accepted request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// New events stored.
    pub accepted: usize,
    /// Events ignored because their id was already stored.
    pub duplicates: usize,
}

/// Collects line errors up to a limit, counting the rest.
#[derive(Debug)]
pub(crate) struct Errors {
    pub list: Vec<LineError>,
    pub total: usize,
    pub limit: usize,
}

impl Errors {
    pub fn new(limit: usize) -> Errors {
        Errors {
            list: Vec::new(),
            total: 0,
            limit: limit.max(1),
        }
    }

    pub fn push(&mut self, line: usize, message: impl Into<String>) {
        self.total += 1;
        if self.list.len() < self.limit {
            self.list.push(LineError {
                line,
                message: message.into(),
            });
        }
    }

    pub fn into_result<T>(self, ok: T) -> Result<T, IngestError> {
        if self.total == 0 {
            Ok(ok)
        } else {
            Err(IngestError::invalid(self.list, self.total))
        }
    }
}

/// Arrow's error text without its `Json error: ` / `Parser error: ` prefixes.
pub(crate) fn clean(e: &datafusion::arrow::error::ArrowError) -> String {
    let text = e.to_string();
    for prefix in [
        "Json error: ",
        "Parser error: ",
        "Invalid argument error: ",
        "Cast error: ",
    ] {
        if let Some(rest) = text.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    text
}

/// Checks what arrow's decoders do not: required columns have no nulls and timestamps are in range. Rows
/// are numbered from `first_line`; `line_of` maps a row index to its line number.
pub(crate) fn check_batch(def: &StreamDef, batch: &RecordBatch, line_of: &dyn Fn(usize) -> usize, errors: &mut Errors) {
    for (i, col) in def.columns.iter().enumerate() {
        let array = batch.column(i);
        if !col.nullable && array.null_count() > 0 {
            for row in (0..array.len()).filter(|r| array.is_null(*r)) {
                errors.push(
                    line_of(row),
                    format!("missing value for required column `{}`", col.name),
                );
            }
        }
        if let DataType::Timestamp(..) = array.data_type() {
            let times = array.as_primitive::<TimestampMillisecondType>();
            let min = datafusion::arrow::compute::min(times).unwrap_or(MIN_TIMESTAMP_MS);
            let max = datafusion::arrow::compute::max(times).unwrap_or(MAX_TIMESTAMP_MS);
            if min < MIN_TIMESTAMP_MS || max > MAX_TIMESTAMP_MS {
                for row in 0..times.len() {
                    if times.is_valid(row) && !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&times.value(row)) {
                        errors.push(
                            line_of(row),
                            format!(
                                "column `{}`: timestamp out of range (1970-01-01 to 2200-01-01)",
                                col.name
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// Decodes and validates `body` for a stream.
pub fn decode(def: &StreamDef, format: Format, body: &[u8], limits: &Limits) -> Result<RecordBatch, IngestError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::whole("the request body is empty"));
    }
    match format {
        Format::Ndjson => json::decode_ndjson(def, body, limits),
        Format::JsonArray => json::decode_array(def, body, limits),
        Format::ArrowIpc => ipc::decode(def, body, limits),
    }
}

/// Where validated batches go instead of the local store in cluster mode: a replicated log that every
/// engine node reads into its own store (`cluster::log`). Called off the async threads.
pub trait Log: Send + Sync + std::fmt::Debug {
    /// Appends `batch` to `stream`'s log durably; `accepted` counts what the log took (duplicates are
    /// dropped when the log is read).
    fn append(&self, stream: &str, batch: &RecordBatch) -> Result<Accepted, IngestError>;
}

/// Decode, validate, store: the one path every event takes (HTTP, connectors and the simulator).
#[derive(Debug, Clone)]
pub struct Ingestor {
    catalog: Arc<Catalog>,
    store: Arc<Store>,
    limits: Limits,
    /// Cluster mode: batches go to the cluster's log, not straight to the store.
    log: Option<Arc<dyn Log>>,
}

impl Ingestor {
    pub fn new(catalog: Arc<Catalog>, store: Arc<Store>, limits: Limits) -> Ingestor {
        Ingestor {
            catalog,
            store,
            limits,
            log: None,
        }
    }

    /// An ingestor whose batches go to `log` (cluster mode).
    pub fn with_log(mut self, log: Arc<dyn Log>) -> Ingestor {
        self.log = Some(log);
        self
    }

    /// Decodes `body` and appends it to the stream, whole or not at all. CPU-bound: call it off the I/O runtime.
    pub fn ingest(&self, stream: &str, format: Format, body: &[u8]) -> Result<Accepted, IngestError> {
        let labels = [("stream", stream.to_string())];
        let batch = match self.decode(stream, format, body) {
            Ok(batch) => batch,
            Err(e @ IngestError::UnknownStream(_)) => return Err(e),
            Err(e) => {
                metrics::counter!("ioc_ingest_rejected_requests_total", &labels).increment(1);
                return Err(e);
            }
        };
        self.append(stream, batch)
    }

    /// Decodes and validates `body` for a stream without storing it (a connector decodes each message on
    /// its own, then stores a micro-batch of them with [`Ingestor::append`]).
    pub fn decode(&self, stream: &str, format: Format, body: &[u8]) -> Result<RecordBatch, IngestError> {
        let def = self
            .catalog
            .stream(stream)
            .ok_or_else(|| IngestError::UnknownStream(stream.to_string()))?;
        metrics::counter!("ioc_ingest_bytes_total", "stream" => stream.to_string()).increment(body.len() as u64);
        decode(def, format, body, &self.limits)
    }

    /// Stores a batch that [`Ingestor::decode`] produced (or several concatenated): de-duplicated, written
    /// to the WAL per the fsync policy, then visible. Whole or not at all.
    pub fn append(&self, stream: &str, batch: RecordBatch) -> Result<Accepted, IngestError> {
        if let Some(log) = &self.log {
            if self.catalog.stream(stream).is_none() {
                return Err(IngestError::UnknownStream(stream.to_string()));
            }
            return log.append(stream, &batch);
        }
        let store = self
            .store
            .stream(stream)
            .ok_or_else(|| IngestError::UnknownStream(stream.to_string()))?;
        let labels = [("stream", stream.to_string())];
        let done = store.ingest(batch).map_err(|e| match e {
            crate::store::AppendError::Full(full) => IngestError::StoreFull(full),
            crate::store::AppendError::Wal(e) => IngestError::Unavailable(e),
        })?;
        metrics::counter!("ioc_ingest_rows_total", &labels).increment(done.accepted as u64);
        if done.duplicates > 0 {
            metrics::counter!("ioc_ingest_duplicates_total", &labels).increment(done.duplicates as u64);
        }
        Ok(Accepted {
            accepted: done.accepted,
            duplicates: done.duplicates,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(Format::from_content_type("application/x-ndjson"), Some(Format::Ndjson));
        assert_eq!(
            Format::from_content_type("application/json; charset=utf-8"),
            Some(Format::JsonArray)
        );
        assert_eq!(
            Format::from_content_type("APPLICATION/VND.APACHE.ARROW.STREAM"),
            Some(Format::ArrowIpc)
        );
        assert_eq!(Format::from_content_type("text/csv"), None);
    }
}
