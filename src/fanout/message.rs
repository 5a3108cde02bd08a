//! The server-to-client WebSocket messages of PROTOCOL.md, encoded once into shared frames: every frame
//! the server sends is made here (`snapshot`, `delta`, `alert`, `alert_ack`, `heartbeat`, `pong`,
//! `error`, and the subscription `id` added to any of them). The alert messages' shapes live here too,
//! since `GET /api/v1/alerts` answers with the same objects. This module does not decide what to send or
//! to whom (the topics and the engine do).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{Frame, ResultView};
use crate::values::{format_time, ColumnInfo, Row};

fn time(t: &Option<DateTime<Utc>>) -> Option<String> {
    t.map(format_time)
}

fn encode<T: Serialize>(msg: &T) -> Frame {
    // Our message structs hold only strings, numbers and JSON values: serialising cannot fail.
    Frame::from(serde_json::to_string(msg).expect("messages serialise"))
}

#[derive(Serialize)]
struct Snapshot<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    scenario: &'a str,
    epoch: &'a str,
    seq: u64,
    columns: &'a [ColumnInfo],
    key: &'a [String],
    rows: &'a [Row],
    evaluated_at: Option<String>,
    data_time: Option<String>,
}

pub fn snapshot(v: &ResultView) -> Frame {
    snapshot_rows(v, &v.rows)
}

/// A snapshot of `rows` (a filtered subset of the view's rows).
pub fn snapshot_rows(v: &ResultView, rows: &[Row]) -> Frame {
    encode(&Snapshot {
        ty: "snapshot",
        scenario: &v.scenario,
        epoch: &v.epoch,
        seq: v.seq,
        columns: &v.columns,
        key: &v.key,
        rows,
        evaluated_at: time(&v.evaluated_at),
        data_time: time(&v.data_time),
    })
}

#[derive(Serialize)]
struct Delta<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    scenario: &'a str,
    epoch: &'a str,
    seq: u64,
    upsert: &'a [Row],
    delete: &'a [Vec<Value>],
    evaluated_at: Option<String>,
    data_time: Option<String>,
}

pub fn delta(v: &ResultView, upsert: &[Row], delete: &[Vec<Value>]) -> Frame {
    encode(&Delta {
        ty: "delta",
        scenario: &v.scenario,
        epoch: &v.epoch,
        seq: v.seq,
        upsert,
        delete,
        evaluated_at: time(&v.evaluated_at),
        data_time: time(&v.data_time),
    })
}

#[derive(Serialize)]
struct Error<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<&'a str>,
}

pub fn error(code: &str, message: &str, scenario: Option<&str>) -> Frame {
    encode(&Error {
        ty: "error",
        code,
        message,
        scenario,
    })
}

pub fn heartbeat(now: DateTime<Utc>) -> Frame {
    encode(&serde_json::json!({"type": "heartbeat", "server_time": format_time(now)}))
}

/// `frame` (a JSON object) carrying a subscription's `id` as well: `{"id":"left",...}`. The rest of the
/// text is copied as it is, so a frame encoded once serves every subscription of one id.
pub fn with_id(frame: &Frame, id: &str) -> Frame {
    let rest = frame.as_str().strip_prefix('{').unwrap_or(frame.as_str());
    let id = serde_json::to_string(id).expect("a string serialises");
    let sep = if rest.starts_with('}') { "" } else { "," };
    Frame::from(format!("{{\"id\":{id}{sep}{rest}"))
}

pub fn pong() -> Frame {
    Frame::from_static(r#"{"type":"pong"}"#)
}

/// An alert's transition (`"type": "alert"`): on the `alerts` topic and in `GET /api/v1/alerts`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AlertEvent {
    /// Always `alert`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub scenario: String,
    /// `firing` or `resolved`.
    pub state: &'static str,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The row's key values (its position when the scenario has no key).
    pub key: Vec<Value>,
    /// The result row, in column order.
    #[schema(value_type = Vec<Value>)]
    pub row: Row,
    #[serde(serialize_with = "ser_time")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// Who acknowledged this firing alert, and when (`null` until someone does).
    pub acked_by: Option<String>,
    #[serde(serialize_with = "ser_opt_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acked_at: Option<DateTime<Utc>>,
    /// The scenario's result columns, to apply row limits to the alert.
    #[serde(skip)]
    pub columns: Arc<Vec<ColumnInfo>>,
}

/// An acknowledgement of a firing alert (`"type": "alert_ack"`), as answered by
/// `POST /api/v1/alerts/ack` and sent to the `alerts` topic.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ack {
    /// Always `alert_ack`.
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub scenario: String,
    pub key: Vec<Value>,
    pub acked_by: String,
    #[serde(serialize_with = "ser_time")]
    #[schema(value_type = String, format = DateTime)]
    pub acked_at: DateTime<Utc>,
}

fn ser_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*t))
}

fn ser_opt_time<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_time(*t)),
        None => s.serialize_none(),
    }
}

pub fn alert(event: &AlertEvent) -> Frame {
    encode(event)
}

pub fn alert_ack(ack: &Ack) -> Frame {
    encode(ack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_id_adds_the_id_and_keeps_the_rest() {
        let f = with_id(&pong(), "left \"panel\"");
        let v: serde_json::Value = serde_json::from_str(f.as_str()).unwrap();
        assert_eq!(v["id"], "left \"panel\"");
        assert_eq!(v["type"], "pong");
        let empty = with_id(&Frame::from_static("{}"), "x");
        assert_eq!(empty.as_str(), r#"{"id":"x"}"#);
    }
}
