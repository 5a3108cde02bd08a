//! The stream catalog and the reference tables, read from the `--queries` folder.
//!
//! `streams.toml` declares each stream's columns (with Arrow types), its event-time column, its retention
//! (kept in memory), an optional history (kept in Parquet files beyond the retention) and an optional id
//! column. `reference/*.csv` are small, static lookup tables (communes, agencies,
//! procedures) registered under their file stem. This module only reads and checks; it stores nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use serde::Deserialize;

/// The time zone every stored timestamp carries: UTC instants.
pub const UTC: &str = "UTC";

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{path}: stream `{stream}`: {message}")]
    Stream {
        path: PathBuf,
        stream: String,
        message: String,
    },
}

/// One column as the catalog declares it.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnDef {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
    #[serde(default)]
    pub nullable: bool,
}

/// The column types a stream may declare (PROTOCOL.md, "Stream catalog").
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Utf8,
    Bool,
    Int32,
    Int64,
    Float64,
    TimestampMs,
    Date32,
}

impl ColumnType {
    pub fn data_type(self) -> DataType {
        match self {
            ColumnType::Utf8 => DataType::Utf8,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Int32 => DataType::Int32,
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::TimestampMs => DataType::Timestamp(TimeUnit::Millisecond, Some(UTC.into())),
            ColumnType::Date32 => DataType::Date32,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamToml {
    event_time: String,
    #[serde(default)]
    id: Option<String>,
    retention: String,
    #[serde(default)]
    history: Option<String>,
    columns: Vec<ColumnDef>,
    #[serde(default)]
    sources: Vec<crate::ingest::connectors::SourceDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogToml {
    #[serde(default)]
    streams: BTreeMap<String, StreamToml>,
}

/// A stream: a named, typed, time-ordered table that producers append to.
#[derive(Debug, Clone)]
pub struct StreamDef {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    pub schema: SchemaRef,
    /// Index of the event-time column in `schema`.
    pub event_time: usize,
    /// Index of the de-duplication id column in `schema`, when declared.
    pub id: Option<usize>,
    pub retention: Duration,
    /// The retention as written in the catalog (`24h`), for display.
    pub retention_text: String,
    /// How long events are kept in Parquet files beyond the in-memory window (`history = "400d"`), with
    /// its text; `None` when the stream keeps only its retention.
    pub history: Option<(Duration, String)>,
    /// Brokers the stream's events come from besides HTTP (`[[streams.NAME.sources]]`).
    pub sources: Vec<crate::ingest::connectors::SourceDef>,
}

impl StreamDef {
    pub fn event_time_name(&self) -> &str {
        &self.columns[self.event_time].name
    }
}

/// A static lookup table (CSV under `reference/`).
#[derive(Debug, Clone)]
pub struct ReferenceTable {
    pub name: String,
    pub batch: RecordBatch,
}

impl ReferenceTable {
    /// The values of a text column, for the simulator and tests; `None` if there is no such text column.
    pub fn strings(&self, column: &str) -> Option<Vec<String>> {
        use datafusion::arrow::array::{Array, AsArray};
        let col = self.batch.column_by_name(column)?;
        let col = datafusion::arrow::compute::cast(col, &DataType::Utf8).ok()?;
        let arr = col.as_string::<i32>();
        Some(
            (0..arr.len())
                .map(|i| {
                    if arr.is_null(i) {
                        String::new()
                    } else {
                        arr.value(i).to_string()
                    }
                })
                .collect(),
        )
    }

    /// The values of a numeric column as f64 (nulls as NaN).
    pub fn floats(&self, column: &str) -> Option<Vec<f64>> {
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::Float64Type;
        let col = self.batch.column_by_name(column)?;
        let col = datafusion::arrow::compute::cast(col, &DataType::Float64).ok()?;
        let arr = col.as_primitive::<Float64Type>();
        Some(
            (0..arr.len())
                .map(|i| if arr.is_null(i) { f64::NAN } else { arr.value(i) })
                .collect(),
        )
    }
}

/// Everything under `--queries` that describes data (not the scenarios).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub streams: BTreeMap<String, Arc<StreamDef>>,
    pub reference: BTreeMap<String, Arc<ReferenceTable>>,
}

/// Longest identifier we accept for streams, columns and scenarios.
pub const MAX_NAME_LEN: usize = 64;

/// `[a-z_][a-z0-9_]*`, at most [`MAX_NAME_LEN`] characters: safe as a SQL identifier, a file stem and a URL segment.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= MAX_NAME_LEN
}

/// Parses `500ms`, `2s`, `10m`, `24h`, `7d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = text.split_at(split);
    let n: u64 = num.parse().ok()?;
    let ms = match unit.trim() {
        "ms" => n,
        "s" => n.checked_mul(1_000)?,
        "m" | "min" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        "d" => n.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}

impl Catalog {
    /// Reads `DIR/streams.toml` and `DIR/reference/*.csv`.
    pub fn load(dir: &Path) -> Result<Catalog, CatalogError> {
        let path = dir.join("streams.toml");
        let text = fs::read_to_string(&path).map_err(|e| CatalogError::File {
            path: path.clone(),
            message: format!("cannot read the stream catalog: {e}"),
        })?;
        let mut catalog = Catalog::parse(&path, &text)?;
        catalog.reference = load_reference(&dir.join("reference"))?;
        for name in catalog.reference.keys() {
            if catalog.streams.contains_key(name) {
                return Err(CatalogError::File {
                    path: dir.join("reference").join(format!("{name}.csv")),
                    message: format!("reference table `{name}` has the name of a stream"),
                });
            }
        }
        Ok(catalog)
    }

    /// Parses the text of a `streams.toml`; `path` only names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Catalog, CatalogError> {
        let parsed: CatalogToml = toml::from_str(text).map_err(|e| CatalogError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut streams = BTreeMap::new();
        for (name, s) in parsed.streams {
            let def = stream_def(&name, s).map_err(|message| CatalogError::Stream {
                path: path.to_path_buf(),
                stream: name.clone(),
                message,
            })?;
            streams.insert(name, Arc::new(def));
        }
        let mut names = std::collections::BTreeSet::new();
        for (stream, def) in &streams {
            for source in &def.sources {
                if !names.insert((source.kind(), source.name().to_string())) {
                    return Err(CatalogError::Stream {
                        path: path.to_path_buf(),
                        stream: stream.clone(),
                        message: format!(
                            "{} source `{}` is declared twice: each needs its own durable / client_id",
                            source.kind(),
                            source.name()
                        ),
                    });
                }
            }
        }
        Ok(Catalog {
            streams,
            reference: BTreeMap::new(),
        })
    }

    pub fn stream(&self, name: &str) -> Option<&Arc<StreamDef>> {
        self.streams.get(name)
    }
}

fn stream_def(name: &str, s: StreamToml) -> Result<StreamDef, String> {
    if !valid_name(name) {
        return Err("a stream name is lower-case letters, digits and `_`, starting with a letter".into());
    }
    if s.columns.is_empty() {
        return Err("a stream needs at least one column".into());
    }
    let mut fields = Vec::with_capacity(s.columns.len());
    for (i, c) in s.columns.iter().enumerate() {
        if !valid_name(&c.name) {
            return Err(format!(
                "column `{}`: a column name is lower-case letters, digits and `_`",
                c.name
            ));
        }
        if s.columns[..i].iter().any(|o| o.name == c.name) {
            return Err(format!("column `{}` is declared twice", c.name));
        }
        fields.push(Field::new(&c.name, c.ty.data_type(), c.nullable));
    }
    let position = |col: &str| s.columns.iter().position(|c| c.name == col);
    let event_time = position(&s.event_time).ok_or_else(|| format!("event_time `{}` is not a column", s.event_time))?;
    if s.columns[event_time].ty != ColumnType::TimestampMs || s.columns[event_time].nullable {
        return Err(format!(
            "event_time `{}` must be a non-nullable timestamp_ms column",
            s.event_time
        ));
    }
    let id = match &s.id {
        None => None,
        Some(col) => {
            let i = position(col).ok_or_else(|| format!("id `{col}` is not a column"))?;
            if s.columns[i].nullable {
                return Err(format!("id `{col}` must not be nullable"));
            }
            Some(i)
        }
    };
    let retention = parse_duration(&s.retention)
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("retention `{}` is not a duration like 30m, 24h or 7d", s.retention))?;
    let history = match s.history {
        None => None,
        Some(text) => {
            let d = parse_duration(&text)
                .filter(|d| *d > retention)
                .ok_or_else(|| format!("history `{text}` is not a duration longer than the retention, like 400d"))?;
            Some((d, text))
        }
    };
    for (i, source) in s.sources.iter().enumerate() {
        source
            .validate()
            .map_err(|e| format!("sources[{i}] ({}): {e}", source.kind()))?;
    }
    Ok(StreamDef {
        sources: s.sources,
        name: name.to_string(),
        schema: Arc::new(Schema::new(fields)),
        columns: s.columns,
        event_time,
        id,
        retention,
        retention_text: s.retention,
        history,
    })
}

/// Reads every `*.csv` in `dir` (a missing folder means no reference tables). The schema is inferred from
/// the file; the first line is the header.
fn load_reference(dir: &Path) -> Result<BTreeMap<String, Arc<ReferenceTable>>, CatalogError> {
    use datafusion::arrow::csv::reader::{Format, ReaderBuilder};
    let mut tables = BTreeMap::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(tables),
        Err(e) => {
            return Err(CatalogError::File {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    paths.sort();
    for path in paths {
        let err = |message: String| CatalogError::File {
            path: path.clone(),
            message,
        };
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if !valid_name(&name) {
            return Err(err(
                "a reference table's file name must be lower-case letters, digits and `_`".into(),
            ));
        }
        let format = Format::default().with_header(true);
        let mut file = fs::File::open(&path).map_err(|e| err(e.to_string()))?;
        let (schema, _) = format.infer_schema(&mut file, None).map_err(|e| err(e.to_string()))?;
        let file = fs::File::open(&path).map_err(|e| err(e.to_string()))?;
        let schema = Arc::new(schema);
        let reader = ReaderBuilder::new(schema.clone())
            .with_format(format)
            .with_batch_size(1 << 20)
            .build(file)
            .map_err(|e| err(e.to_string()))?;
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().map_err(|e| err(e.to_string()))?;
        let batch = datafusion::arrow::compute::concat_batches(&schema, &batches).map_err(|e| err(e.to_string()))?;
        tables.insert(name.clone(), Arc::new(ReferenceTable { name, batch }));
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("2 weeks"), None);
        assert_eq!(parse_duration("h"), None);
    }

    #[test]
    fn rejects_bad_catalogs() {
        let p = Path::new("streams.toml");
        let bad = [
            r#"[streams.a]
event_time = "t"
retention = "1h"
columns = [{ name = "x", type = "utf8" }]"#,
            r#"[streams.a]
event_time = "t"
retention = "forever"
columns = [{ name = "t", type = "timestamp_ms" }]"#,
            r#"[streams.a]
event_time = "t"
retention = "1h"
columns = [{ name = "t", type = "timestamp_ms" }, { name = "t", type = "utf8" }]"#,
            r#"[streams.a]
event_time = "t"
retention = "1h"
columns = [{ name = "t", type = "varchar" }]"#,
        ];
        for text in bad {
            assert!(Catalog::parse(p, text).is_err(), "{text}");
        }
        let good = r#"[streams.a]
event_time = "t"
id = "k"
retention = "1h"
columns = [{ name = "t", type = "timestamp_ms" }, { name = "k", type = "utf8" }]"#;
        let c = Catalog::parse(p, good).unwrap();
        assert_eq!(c.streams["a"].id, Some(1));
    }

    #[test]
    fn sources_are_checked_with_the_catalog() {
        let p = Path::new("streams.toml");
        let stream = |name: &str, durable: &str, subject: &str| {
            format!(
                r#"[streams.{name}]
event_time = "t"
retention = "1h"
columns = [{{ name = "t", type = "timestamp_ms" }}]
[[streams.{name}.sources]]
kind = "nats"
url = "nats://127.0.0.1:4222"
stream = "S"
subject = "{subject}"
durable = "{durable}"
"#
            )
        };
        let c = Catalog::parse(p, &stream("a", "d1", "x.>")).unwrap();
        assert_eq!(c.streams["a"].sources.len(), 1);
        let twice = format!("{}{}", stream("a", "d1", "x.a"), stream("b", "d1", "x.b"));
        let e = Catalog::parse(p, &twice).unwrap_err().to_string();
        assert!(e.contains("declared twice"), "{e}");
        let e = Catalog::parse(p, &stream("a", "d1", "x..y")).unwrap_err().to_string();
        assert!(e.contains("sources[0] (nats): subject"), "{e}");
    }
}
