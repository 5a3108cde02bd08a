//! A scenario file: SQL with a header of `-- name: value` comments.
//!
//! ```sql
//! -- title: Overdue dossiers by agency
//! -- every: 2s
//! -- key: agency_code
//! -- view: ranking
//! SELECT agency_code, count(*) AS overdue FROM dossiers WHERE ... GROUP BY agency_code
//! ```
//!
//! The header is the run of comment lines before the first line of SQL. Known names: `title`, `every`
//! (100ms to 1h, default 2s), `on` (`change`: evaluate as soon as an input stream receives data, with
//! `every` as the least time between two evaluations: 10ms to 1h, default 25ms), `key` (comma-separated result columns that identify a row; without it, every change is
//! sent as a whole snapshot), `view` (how screens draw it: `kpi`, `ranking`, `timeseries`, `table`;
//! default `table`), `alert` (`<condition over result columns> AS <info|warning|critical>`). Other
//! comment lines are comments. The name is the file stem.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::catalog::{parse_duration, valid_name};

pub const DEFAULT_EVERY: Duration = Duration::from_secs(2);
pub const MIN_EVERY: Duration = Duration::from_millis(100);
pub const MAX_EVERY: Duration = Duration::from_secs(3600);
/// For `on: change`: the least time between two evaluations, by default and at least.
pub const CHANGE_EVERY: Duration = Duration::from_millis(25);
pub const MIN_CHANGE_EVERY: Duration = Duration::from_millis(10);
/// Longest title, in bytes.
pub const MAX_TITLE_BYTES: usize = 200;
/// Longest SQL text accepted, in bytes.
pub const MAX_SQL_BYTES: usize = 64 << 10;
pub const VIEWS: [&str; 4] = ["kpi", "ranking", "timeseries", "table"];
pub const SEVERITIES: [&str; 3] = ["info", "warning", "critical"];

/// When a scenario is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Every `every`.
    Interval,
    /// As soon as a stream it reads receives data, at most once per `every`; bursts are coalesced.
    Change,
}

impl Trigger {
    /// `every` when none is given.
    pub fn default_every(self) -> Duration {
        match self {
            Trigger::Interval => DEFAULT_EVERY,
            Trigger::Change => CHANGE_EVERY,
        }
    }

    /// The shortest `every` allowed.
    pub fn min_every(self) -> Duration {
        match self {
            Trigger::Interval => MIN_EVERY,
            Trigger::Change => MIN_CHANGE_EVERY,
        }
    }
}

/// `-- alert: overdue >= 20 AS warning`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AlertDef {
    pub when: String,
    pub severity: String,
}

impl AlertDef {
    /// Parses `<condition> AS <severity>`.
    pub fn parse(text: &str) -> Result<AlertDef, RuleError> {
        let lower = text.to_ascii_lowercase();
        let at = lower.rfind(" as ").ok_or(RuleError::AlertShape)?;
        let alert = AlertDef {
            when: text[..at].trim().to_string(),
            severity: lower[at + 4..].trim().to_string(),
        };
        alert.check()?;
        Ok(alert)
    }

    pub fn check(&self) -> Result<(), RuleError> {
        if self.when.trim().is_empty() {
            return Err(RuleError::AlertCondition);
        }
        if !SEVERITIES.contains(&self.severity.as_str()) {
            return Err(RuleError::AlertSeverity(self.severity.clone()));
        }
        Ok(())
    }
}

/// A rule of [`Scenario::check`] that a definition breaks. The API answers 400 with the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("a scenario name is lower-case letters, digits and `_`, starting with a letter (at most 64)")]
    Name,
    #[error("every must be from {} ms to {} ms{}", .lo.as_millis(), .hi.as_millis(), for_change(.on_change))]
    Every {
        lo: Duration,
        hi: Duration,
        on_change: bool,
    },
    #[error("view `{0}` is not one of {views}", views = VIEWS.join(", "))]
    View(String),
    #[error("key: `{0}` is not a column name")]
    Key(String),
    #[error("the title is longer than {MAX_TITLE_BYTES} bytes")]
    TitleTooLong,
    #[error("the SQL is longer than {MAX_SQL_BYTES} bytes")]
    SqlTooLong,
    #[error("the scenario has no SQL")]
    NoSql,
    #[error("an alert is `<condition> AS <info|warning|critical>`")]
    AlertShape,
    #[error("the alert has no condition")]
    AlertCondition,
    #[error("alert severity `{0}` is not one of {severities}", severities = SEVERITIES.join(", "))]
    AlertSeverity(String),
}

/// A parsed scenario definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub name: String,
    pub title: String,
    #[serde(skip)]
    pub every: Duration,
    #[serde(rename = "on")]
    pub trigger: Trigger,
    pub key: Vec<String>,
    pub view: String,
    pub alert: Option<AlertDef>,
    pub sql: String,
    /// The 1-based line of the file where the SQL starts (for `file:line` messages).
    #[serde(skip)]
    pub sql_line: usize,
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Scenario {
    /// A scenario with every default: titled by its name, every 2 s, unkeyed, a table, no alert, no SQL.
    pub fn named(name: &str) -> Scenario {
        Scenario {
            name: name.to_string(),
            title: name.to_string(),
            every: DEFAULT_EVERY,
            trigger: Trigger::Interval,
            key: Vec::new(),
            view: "table".into(),
            alert: None,
            sql: String::new(),
            sql_line: 1,
            path: None,
        }
    }
}

impl Scenario {
    /// The rules every definition follows, from a file or from the API: a valid name, `every` within the
    /// trigger's range, a known view, key columns that are names, a title and SQL within their limits, and
    /// an alert with a condition and a known severity. (Whether the SQL plans is the engine's check.)
    pub fn check(&self) -> Result<(), RuleError> {
        if !valid_name(&self.name) {
            return Err(RuleError::Name);
        }
        let (lo, hi) = (self.trigger.min_every(), MAX_EVERY);
        if !(lo..=hi).contains(&self.every) {
            let on_change = self.trigger == Trigger::Change;
            return Err(RuleError::Every { lo, hi, on_change });
        }
        if !VIEWS.contains(&self.view.as_str()) {
            return Err(RuleError::View(self.view.clone()));
        }
        if let Some(k) = self.key.iter().find(|k| !valid_name(k)) {
            return Err(RuleError::Key(k.clone()));
        }
        if self.title.len() > MAX_TITLE_BYTES {
            return Err(RuleError::TitleTooLong);
        }
        if self.sql.len() > MAX_SQL_BYTES {
            return Err(RuleError::SqlTooLong);
        }
        if self.sql.trim().is_empty() {
            return Err(RuleError::NoSql);
        }
        if let Some(alert) = &self.alert {
            alert.check()?;
        }
        Ok(())
    }
}

fn for_change(on_change: &bool) -> &'static str {
    if *on_change {
        " for an on-change scenario"
    } else {
        ""
    }
}

/// A problem with a scenario file, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {message}")]
pub struct ScenarioError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        line,
        message: message.into(),
    }
}

/// Parses the text of `NAME.sql`.
pub fn parse(name: &str, text: &str) -> Result<Scenario, ScenarioError> {
    if !valid_name(name) {
        return Err(err(
            1,
            "a scenario name is lower-case letters, digits and `_`, starting with a letter",
        ));
    }
    if text.len() > MAX_SQL_BYTES {
        return Err(err(1, format!("the scenario is longer than {MAX_SQL_BYTES} bytes")));
    }
    let mut s = Scenario::named(name);
    let mut every = None;
    let mut sql_start = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some(comment) = trimmed.strip_prefix("--") else {
            sql_start = Some(i);
            break;
        };
        let Some((field, value)) = comment.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match field.trim() {
            "title" => s.title = value.to_string(),
            "every" => {
                let d = parse_duration(value)
                    .filter(|d| (MIN_CHANGE_EVERY..=MAX_EVERY).contains(d))
                    .ok_or_else(|| err(i + 1, format!("every: `{value}` is not a duration from 10ms to 1h")))?;
                every = Some((d, i + 1));
            }
            "key" => {
                s.key = value
                    .split(',')
                    .map(|k| k.trim().to_string())
                    .filter(|k| !k.is_empty())
                    .collect();
            }
            "on" => match value {
                "change" => s.trigger = Trigger::Change,
                "interval" => s.trigger = Trigger::Interval,
                _ => return Err(err(i + 1, format!("on: `{value}` is not `change` or `interval`"))),
            },
            "alert" => s.alert = Some(AlertDef::parse(value).map_err(|e| err(i + 1, e.to_string()))?),
            "view" => {
                if !VIEWS.contains(&value) {
                    return Err(err(
                        i + 1,
                        format!("view: `{value}` is not one of {}", VIEWS.join(", ")),
                    ));
                }
                s.view = value.to_string();
            }
            _ => {}
        }
    }
    let Some(start) = sql_start else {
        return Err(err(1, "the file has no SQL"));
    };
    s.every = match every {
        Some((d, line)) if d < s.trigger.min_every() => {
            return Err(err(
                line,
                format!(
                    "every: below {} ms, which only an on-change scenario may use",
                    MIN_EVERY.as_millis()
                ),
            ))
        }
        Some((d, _)) => d,
        None => s.trigger.default_every(),
    };
    s.sql_line = start + 1;
    s.sql = text
        .lines()
        .skip(start)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string();
    s.check().map_err(|e| err(1, e.to_string()))?;
    Ok(s)
}

/// The file text of a scenario: its header, then its SQL. [`parse`] reads it back to the same scenario.
pub fn to_file_text(s: &Scenario) -> String {
    let mut out = String::new();
    let one_line = |t: &str| t.replace(['\n', '\r'], " ");
    out.push_str(&format!("-- title: {}\n", one_line(&s.title)));
    out.push_str(&format!("-- every: {}ms\n", s.every.as_millis()));
    if s.trigger == Trigger::Change {
        out.push_str("-- on: change\n");
    }
    if !s.key.is_empty() {
        out.push_str(&format!("-- key: {}\n", s.key.join(", ")));
    }
    out.push_str(&format!("-- view: {}\n", s.view));
    if let Some(a) = &s.alert {
        out.push_str(&format!("-- alert: {} AS {}\n", one_line(&a.when), a.severity));
    }
    out.push_str(s.sql.trim());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_header() {
        let s = parse(
            "overdue",
            "-- title: Overdue\n-- every: 500ms\n-- key: a, b\n-- view: ranking\n-- a comment\n\nSELECT 1\nFROM t",
        )
        .unwrap();
        assert_eq!(s.title, "Overdue");
        assert_eq!(s.every, Duration::from_millis(500));
        assert_eq!(s.key, vec!["a", "b"]);
        assert_eq!(s.view, "ranking");
        assert_eq!(s.sql, "SELECT 1\nFROM t");
    }

    #[test]
    fn round_trips_through_the_file_text() {
        let s = parse(
            "x",
            "-- title: T\n-- every: 3s\n-- on: change\n-- key: a\n-- view: kpi\n-- alert: n >= 3 AS critical\nSELECT 1 AS a, 2 AS n",
        )
        .unwrap();
        assert_eq!(
            s.alert,
            Some(AlertDef {
                when: "n >= 3".into(),
                severity: "critical".into()
            })
        );
        assert_eq!(s.trigger, Trigger::Change);
        let again = parse("x", &to_file_text(&s)).unwrap();
        assert_eq!(
            Scenario {
                sql_line: s.sql_line,
                ..again
            },
            s
        );
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(parse("x", "-- alert: n > 1 AS loud\nSELECT 1").unwrap_err().line, 1);
        assert_eq!(
            parse("x", "-- title: t\n-- on: sometimes\nSELECT 1").unwrap_err().line,
            2
        );
        assert_eq!(parse("x", "-- every: 10ms\nSELECT 1").unwrap_err().line, 1);
        assert_eq!(parse("x", "\n-- view: pie\nSELECT 1").unwrap_err().line, 2);
        assert!(parse("x", "-- title: nothing").is_err());
        assert!(parse("Bad-Name", "SELECT 1").is_err());
    }

    #[test]
    fn on_change_scenarios_default_to_a_short_gap() {
        let s = parse("x", "-- on: change\nSELECT 1").unwrap();
        assert_eq!(s.every, CHANGE_EVERY);
        let s = parse("x", "-- every: 10ms\n-- on: change\nSELECT 1").unwrap();
        assert_eq!(s.every, Duration::from_millis(10));
        assert_eq!(parse("x", "SELECT 1").unwrap().every, DEFAULT_EVERY);
        assert_eq!(parse("x", "-- every: 50ms\nSELECT 1").unwrap_err().line, 1);
    }
}
