//! Arrow values as the JSON values of PROTOCOL.md: rows are arrays in column order; timestamps are RFC 3339
//! UTC strings with milliseconds; NaN and infinities are `null`. Used by the engine (results) and the API.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::*;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::Serialize;
use serde_json::Value;

/// A result column as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

/// One result row, in column order.
pub type Row = Vec<Value>;

/// The protocol's name for an Arrow type: the catalog's names where they apply.
pub fn type_name(dt: &DataType) -> String {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "utf8".into(),
        DataType::Boolean => "bool".into(),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => "int32".into(),
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "int64".into(),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => "float64".into(),
        DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..) => {
            "float64".into()
        }
        DataType::Timestamp(..) => "timestamp_ms".into(),
        DataType::Date32 | DataType::Date64 => "date32".into(),
        DataType::Null => "null".into(),
        other => other.to_string().to_lowercase(),
    }
}

pub fn columns_of(schema: &Schema) -> Vec<ColumnInfo> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnInfo {
            name: f.name().clone(),
            ty: type_name(f.data_type()),
        })
        .collect()
}

/// RFC 3339 UTC with milliseconds: `2026-11-23T08:15:00.000Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn float(v: f64) -> Value {
    serde_json::Number::from_f64(v)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn timestamp(ms: i64) -> Value {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(t) => Value::String(format_time(t)),
        None => Value::Null,
    }
}

/// Appends the rows of `batch` to `out`.
pub fn push_rows(batch: &RecordBatch, out: &mut Vec<Row>) {
    let columns: Vec<Vec<Value>> = batch.columns().iter().map(column_values).collect();
    let start = out.len();
    out.extend((0..batch.num_rows()).map(|_| Vec::with_capacity(columns.len())));
    for col in columns {
        for (i, v) in col.into_iter().enumerate() {
            out[start + i].push(v);
        }
    }
}

/// All values of one column.
pub fn column_values(array: &ArrayRef) -> Vec<Value> {
    let n = array.len();
    let nulls = |f: &dyn Fn(usize) -> Value| -> Vec<Value> {
        (0..n)
            .map(|i| if array.is_null(i) { Value::Null } else { f(i) })
            .collect()
    };
    macro_rules! prim {
        ($t:ty, $conv:expr) => {{
            let a = array.as_primitive::<$t>();
            nulls(&|i| $conv(a.value(i)))
        }};
    }
    match array.data_type() {
        DataType::Null => vec![Value::Null; n],
        DataType::Boolean => {
            let a = array.as_boolean();
            nulls(&|i| Value::Bool(a.value(i)))
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            nulls(&|i| Value::String(a.value(i).to_string()))
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            nulls(&|i| Value::String(a.value(i).to_string()))
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            nulls(&|i| Value::String(a.value(i).to_string()))
        }
        DataType::Int8 => prim!(Int8Type, |v: i8| Value::from(v)),
        DataType::Int16 => prim!(Int16Type, |v: i16| Value::from(v)),
        DataType::Int32 => prim!(Int32Type, |v: i32| Value::from(v)),
        DataType::Int64 => prim!(Int64Type, |v: i64| Value::from(v)),
        DataType::UInt8 => prim!(UInt8Type, |v: u8| Value::from(v)),
        DataType::UInt16 => prim!(UInt16Type, |v: u16| Value::from(v)),
        DataType::UInt32 => prim!(UInt32Type, |v: u32| Value::from(v)),
        DataType::UInt64 => prim!(UInt64Type, |v: u64| Value::from(v)),
        DataType::Float32 => prim!(Float32Type, |v: f32| float(v as f64)),
        DataType::Float64 => prim!(Float64Type, float),
        DataType::Timestamp(unit, _) => {
            let div: i64 = match unit {
                TimeUnit::Second => return prim!(TimestampSecondType, |v: i64| timestamp(v.saturating_mul(1000))),
                TimeUnit::Millisecond => 1,
                TimeUnit::Microsecond => 1_000,
                TimeUnit::Nanosecond => 1_000_000,
            };
            let a = datafusion::arrow::compute::cast(array, &DataType::Int64).expect("timestamps cast to int64");
            let a = a.as_primitive::<Int64Type>();
            nulls(&|i| timestamp(a.value(i).div_euclid(div)))
        }
        DataType::Date32 => {
            let a = array.as_primitive::<Date32Type>();
            nulls(&|i| match Date32Type::to_naive_date_opt(a.value(i)) {
                Some(d) => Value::String(d.format("%Y-%m-%d").to_string()),
                None => Value::Null,
            })
        }
        DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..) => {
            match datafusion::arrow::compute::cast(array, &DataType::Float64) {
                Ok(f) => {
                    let a = f.as_primitive::<Float64Type>();
                    nulls(&|i| float(a.value(i)))
                }
                Err(_) => display_values(array),
            }
        }
        _ => display_values(array),
    }
}

/// Anything else (intervals, lists, structs) as its display text, so a result never fails to encode.
fn display_values(array: &ArrayRef) -> Vec<Value> {
    let options = FormatOptions::default();
    match ArrayFormatter::try_new(array.as_ref(), &options) {
        Ok(f) => (0..array.len())
            .map(|i| {
                if array.is_null(i) {
                    Value::Null
                } else {
                    Value::String(f.value(i).to_string())
                }
            })
            .collect(),
        Err(_) => vec![Value::Null; array.len()],
    }
}

/// Rows of several batches.
pub fn rows_of(batches: &[RecordBatch]) -> Vec<Row> {
    let mut rows = Vec::with_capacity(batches.iter().map(|b| b.num_rows()).sum());
    for b in batches {
        push_rows(b, &mut rows);
    }
    rows
}

/// Shared, immutable rows.
pub type Rows = Arc<Vec<Row>>;

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Float64Array, StringArray, TimestampMillisecondArray};

    #[test]
    fn converts_values_as_the_protocol_says() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("f", DataType::Float64, true),
            Field::new(
                "t",
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
                true,
            ),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some("a"), None])),
                Arc::new(Float64Array::from(vec![Some(f64::NAN), Some(1.5)])),
                Arc::new(TimestampMillisecondArray::from(vec![Some(1_763_885_700_000), None]).with_timezone("UTC")),
            ],
        )
        .unwrap();
        let rows = rows_of(&[batch]);
        assert_eq!(
            rows[0],
            vec![Value::from("a"), Value::Null, Value::from("2025-11-23T08:15:00.000Z")]
        );
        assert_eq!(rows[1], vec![Value::Null, Value::from(1.5), Value::Null]);
    }
}
