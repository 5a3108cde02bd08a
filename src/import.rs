//! `ioc-stream import`: loads Parquet, CSV or NDJSON files into a stream through a running server's ingest
//! API, in chunks, with a progress bar.
//!
//! The files go through `POST /api/v1/streams/{stream}/events` like any producer's events: the same
//! validation, de-duplication by id, and WAL durability; events older than the stream's window go to its
//! history. Parquet and CSV rows are read in the stream's schema (taken from `GET /api/v1/streams`; columns
//! matched by name and cast, a missing nullable column null) and sent as Arrow IPC; NDJSON lines are sent
//! as they are. A request refused for its content (422) stops the import; one refused for load or trouble
//! (429, 503, a dropped connection) is retried with backoff. On a stop, the summary says how far the import
//! got and the exact command that resumes it (`--skip ROWS` on the file where it stopped).
//!
//! Plain HTTP only: run it on the server's machine, or through a tunnel, for a server behind TLS.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use datafusion::arrow::array::{new_null_array, ArrayRef, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::ipc::writer::StreamWriter;
use serde::Deserialize;

use crate::catalog::ColumnDef;

/// What to import and where.
#[derive(Debug, Clone)]
pub struct Import {
    pub url: String,
    pub stream: String,
    pub token: Option<String>,
    /// Rows (or NDJSON lines) per request.
    pub chunk: usize,
    /// Rows of the first file already imported (from a summary).
    pub skip: usize,
    pub files: Vec<PathBuf>,
    pub progress: bool,
}

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub rows: usize,
    pub accepted: usize,
    pub duplicates: usize,
}

#[derive(Deserialize)]
struct StreamInfo {
    name: String,
    columns: Vec<ColumnDef>,
}

#[derive(Deserialize)]
struct Answer {
    accepted: usize,
    duplicates: usize,
}

/// Where an import stopped.
#[derive(Debug)]
pub struct Stopped {
    pub summary: Summary,
    /// The file it stopped in, its index, and the rows of it that were imported.
    pub file: PathBuf,
    pub index: usize,
    pub done_in_file: usize,
    pub error: anyhow::Error,
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: Option<String>,
}

impl Client {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self
            .http
            .request(method, format!("{}{path}", self.url.trim_end_matches('/')));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn schema(&self, stream: &str) -> anyhow::Result<SchemaRef> {
        let streams: Vec<StreamInfo> = self
            .request(reqwest::Method::GET, "/api/v1/streams")
            .send()
            .await
            .context("cannot reach the server")?
            .error_for_status()?
            .json()
            .await?;
        let s = streams
            .into_iter()
            .find(|s| s.name == stream)
            .with_context(|| format!("the server has no stream `{stream}`"))?;
        let fields: Vec<_> = s
            .columns
            .iter()
            .map(|c| datafusion::arrow::datatypes::Field::new(&c.name, c.ty.data_type(), c.nullable))
            .collect();
        Ok(Arc::new(Schema::new(fields)))
    }

    /// Sends one chunk; retries what load or trouble refused. Answers what the server stored.
    async fn send(&self, stream: &str, content_type: &str, body: Vec<u8>) -> anyhow::Result<Answer> {
        let path = format!("/api/v1/streams/{stream}/events");
        let mut wait = Duration::from_millis(200);
        for attempt in 0.. {
            let sent = self
                .request(reqwest::Method::POST, &path)
                .header("content-type", content_type)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => return Ok(r.json().await?),
                Ok(r) if attempt < 10 && matches!(r.status().as_u16(), 408 | 429 | 502 | 503 | 504) => {}
                Ok(r) => {
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    bail!(
                        "the server refused the chunk ({status}): {}",
                        text.chars().take(2_000).collect::<String>()
                    );
                }
                Err(e) if attempt < 10 => tracing::warn!(error = %e, "retrying"),
                Err(e) => return Err(e.into()),
            }
            tokio::time::sleep(wait + Duration::from_millis(rand::random::<u64>() % 200)).await;
            wait = (wait * 2).min(Duration::from_secs(10));
        }
        unreachable!("the loop returns")
    }
}

/// `batch` in `schema`: columns by name, cast; a column the file lacks is null when it may be.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> anyhow::Result<RecordBatch> {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match batch.column_by_name(f.name()) {
            Some(c) if c.data_type() == f.data_type() => Ok(c.clone()),
            Some(c) => cast(c, f.data_type()).with_context(|| format!("column `{}`", f.name())),
            None if f.is_nullable() => Ok(new_null_array(f.data_type(), batch.num_rows())),
            None => bail!("the file has no column `{}`, which the stream requires", f.name()),
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

fn ipc(batch: &RecordBatch) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut w = StreamWriter::try_new(&mut out, batch.schema_ref())?;
    w.write(batch)?;
    w.finish()?;
    drop(w);
    Ok(out)
}

/// One request's worth of a file: `(rows, content type, body)`.
type Chunks = Box<dyn Iterator<Item = anyhow::Result<(usize, &'static str, Vec<u8>)>>>;

/// The chunks of one file, skipping the first `skip` rows, and its row count when known.
fn chunks(path: &Path, schema: &SchemaRef, chunk: usize, skip: usize) -> anyhow::Result<(Option<usize>, Chunks)> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    match ext.as_str() {
        "parquet" => {
            let builder = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?;
            let total = builder.metadata().file_metadata().num_rows() as usize;
            let reader = builder.with_batch_size(chunk).with_offset(skip).build()?;
            let schema = schema.clone();
            let it = reader.map(move |b| {
                let b = conform(&b?, &schema)?;
                Ok((b.num_rows(), "application/vnd.apache.arrow.stream", ipc(&b)?))
            });
            Ok((Some(total), Box::new(it)))
        }
        "csv" => {
            // The file's own columns, in its order (the header), typed as the stream's where it has them.
            let mut header = String::new();
            BufReader::new(&file).read_line(&mut header)?;
            use std::io::Seek;
            let mut file = file;
            file.rewind()?;
            let fields: Vec<_> = header
                .trim_end_matches(['\r', '\n'])
                .split(',')
                .map(|name| {
                    let name = name.trim().trim_matches('"');
                    match schema.field_with_name(name) {
                        Ok(f) => datafusion::arrow::datatypes::Field::new(name, f.data_type().clone(), true),
                        Err(_) => datafusion::arrow::datatypes::Field::new(
                            name,
                            datafusion::arrow::datatypes::DataType::Utf8,
                            true,
                        ),
                    }
                })
                .collect();
            let file_schema = Arc::new(Schema::new(fields));
            let mut builder = datafusion::arrow::csv::ReaderBuilder::new(file_schema)
                .with_header(true)
                .with_batch_size(chunk);
            if skip > 0 {
                builder = builder.with_bounds(skip, usize::MAX / 2);
            }
            let reader = builder.build(file)?;
            let schema = schema.clone();
            let it = reader.map(move |b| {
                let b = conform(&b?, &schema)?;
                Ok((b.num_rows(), "application/vnd.apache.arrow.stream", ipc(&b)?))
            });
            Ok((None, Box::new(it)))
        }
        "ndjson" | "jsonl" | "json" => {
            let mut lines = BufReader::new(file).lines().skip(skip);
            let it = std::iter::from_fn(move || {
                let mut body = Vec::new();
                let mut n = 0;
                for line in lines.by_ref() {
                    match line {
                        Ok(l) => {
                            body.extend_from_slice(l.as_bytes());
                            body.push(b'\n');
                            n += 1;
                        }
                        Err(e) => return Some(Err(e.into())),
                    }
                    if n == chunk {
                        break;
                    }
                }
                (n > 0).then_some(Ok((n, "application/x-ndjson", body)))
            });
            Ok((None, Box::new(it)))
        }
        other => bail!(
            "{}: `.{other}` is not a file this can read (.parquet, .csv, .ndjson)",
            path.display()
        ),
    }
}

/// Imports every file in order. On a stop, says where.
pub async fn run(import: &Import) -> Result<Summary, Box<Stopped>> {
    let client = Client {
        http: reqwest::Client::new(),
        url: import.url.clone(),
        token: import.token.clone(),
    };
    let mut summary = Summary::default();
    let stop = |summary: Summary, index: usize, done: usize, error: anyhow::Error| {
        Box::new(Stopped {
            summary,
            file: import.files.get(index).cloned().unwrap_or_default(),
            index,
            done_in_file: done,
            error,
        })
    };
    let schema = client
        .schema(&import.stream)
        .await
        .map_err(|e| stop(summary, 0, import.skip, e))?;
    for (index, path) in import.files.iter().enumerate() {
        let skip = if index == 0 { import.skip } else { 0 };
        let mut done = skip;
        let (total, parts) =
            chunks(path, &schema, import.chunk.max(1), skip).map_err(|e| stop(summary, index, done, e))?;
        let bar = if import.progress {
            let bar = match total {
                Some(t) => indicatif::ProgressBar::new(t as u64),
                None => indicatif::ProgressBar::new_spinner(),
            };
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} rows {per_sec} {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(path.display().to_string());
            bar.set_position(done as u64);
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        for part in parts {
            let (rows, content_type, body) = part.map_err(|e| stop(summary, index, done, e))?;
            let answer = client
                .send(&import.stream, content_type, body)
                .await
                .map_err(|e| stop(summary, index, done, e))?;
            done += rows;
            summary.rows += rows;
            summary.accepted += answer.accepted;
            summary.duplicates += answer.duplicates;
            bar.set_position(done as u64);
        }
        bar.finish();
        summary.files += 1;
    }
    Ok(summary)
}

/// The command line that resumes an import where it stopped.
pub fn resume_command(import: &Import, stopped: &Stopped) -> String {
    let mut cmd = format!(
        "ioc-stream import --url {} --stream {} --chunk {} --skip {}",
        import.url, import.stream, import.chunk, stopped.done_in_file
    );
    if import.token.is_some() {
        cmd.push_str(" --token ...");
    }
    for f in &import.files[stopped.index..] {
        cmd.push(' ');
        cmd.push_str(&f.display().to_string());
    }
    cmd
}
