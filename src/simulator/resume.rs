//! After a restart: the dossiers the WAL brought back that had not completed are taken up again, so the
//! demo's dossiers keep completing (on time, late or never, with the usual odds) instead of turning
//! overdue for ever because the simulator forgot them.
//!
//! It reads the stream's events as stored (every column by name), keeps each dossier's latest status, and
//! hands those still `received` or `processing` to [`super::dossiers::Dossiers::resume`]. It does not look
//! at history files (dossiers older than the window are not the demo's concern) nor at other streams.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::TimestampMillisecondType;

/// What a dossier's latest event says.
#[derive(Debug, Clone)]
pub(super) struct OpenDossier {
    pub id: String,
    pub status: String,
    pub at: i64,
    pub procedure_code: String,
    pub commune_code: String,
    pub channel: String,
    pub full_online: bool,
    pub digitised: bool,
    pub received_at: i64,
    pub due_at: i64,
}

/// The dossiers of `batches` whose latest event is not `completed`, oldest first. Batches without the
/// demo's columns are skipped.
pub(super) fn open_dossiers(batches: &[RecordBatch]) -> Vec<OpenDossier> {
    let mut latest: HashMap<String, OpenDossier> = HashMap::new();
    for b in batches {
        let Some(rows) = rows(b) else { continue };
        for d in rows {
            match latest.get(&d.id) {
                Some(seen) if seen.at > d.at || (seen.at == d.at && rank(&seen.status) >= rank(&d.status)) => {}
                _ => {
                    latest.insert(d.id.clone(), d);
                }
            }
        }
    }
    let mut open: Vec<OpenDossier> = latest.into_values().filter(|d| d.status != "completed").collect();
    open.sort_by(|a, b| (a.received_at, &a.id).cmp(&(b.received_at, &b.id)));
    open
}

fn rank(status: &str) -> u8 {
    match status {
        "received" => 0,
        "processing" => 1,
        _ => 2,
    }
}

fn rows(b: &RecordBatch) -> Option<Vec<OpenDossier>> {
    let col = |name: &str| b.column_by_name(name);
    let text = |name: &str| col(name).and_then(|c| c.as_string_opt::<i32>().cloned());
    let time = |name: &str| col(name).and_then(|c| c.as_primitive_opt::<TimestampMillisecondType>().cloned());
    let flag = |name: &str| col(name).and_then(|c| c.as_boolean_opt().cloned());
    let (id, status, procedure, commune, channel) = (
        text("dossier_id")?,
        text("status")?,
        text("procedure_code")?,
        text("commune_code")?,
        text("channel")?,
    );
    let (at, received, due) = (time("event_time")?, time("received_at")?, time("due_at")?);
    let (online, digitised) = (flag("full_online")?, flag("digitised")?);
    let ok = |a: &dyn Array, i: usize| a.is_valid(i);
    Some(
        (0..b.num_rows())
            .filter(|&i| ok(&id, i) && ok(&status, i) && ok(&at, i) && ok(&received, i) && ok(&due, i))
            .map(|i| OpenDossier {
                id: id.value(i).to_string(),
                status: status.value(i).to_string(),
                at: at.value(i),
                procedure_code: procedure.value(i).to_string(),
                commune_code: commune.value(i).to_string(),
                channel: channel.value(i).to_string(),
                full_online: online.is_valid(i) && online.value(i),
                digitised: digitised.is_valid(i) && digitised.value(i),
                received_at: received.value(i),
                due_at: due.value(i),
            })
            .collect(),
    )
}
