//! The `[[streams.NAME.sources]]` entries of the catalog: what each kind of source needs, and the checks
//! that make a bad entry fail at load time (and in `ioc-stream check`) with a clear message.
//!
//! Secrets are never written in the catalog: `password_env` and `token_env` name an environment variable
//! that holds the secret, read when the source starts (a missing variable stops the server's start with
//! its name). Credential files (`creds_file`) and TLS files are paths. This module does not connect.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::ingest::Format;

/// One source of a stream.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceDef {
    /// A NATS JetStream durable pull consumer.
    Nats(NatsSource),
    /// An MQTT 3.1.1 subscription with a persistent session.
    Mqtt(MqttSource),
}

/// How a message's payload is encoded; one message holds one or more events.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PayloadFormat {
    /// One JSON object per line.
    #[default]
    Ndjson,
    /// A JSON array of objects.
    Json,
    /// An Arrow IPC stream.
    Arrow,
}

impl PayloadFormat {
    pub fn format(self) -> Format {
        match self {
            PayloadFormat::Ndjson => Format::Ndjson,
            PayloadFormat::Json => Format::JsonArray,
            PayloadFormat::Arrow => Format::ArrowIpc,
        }
    }
}

pub use crate::config::Tls;

/// Micro-batch bounds: messages are stored together (one WAL append) until one bound is reached.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BatchBounds {
    /// Messages in one append.
    #[serde(default = "default_batch_messages")]
    pub max_messages: usize,
    /// Payload bytes in one append.
    #[serde(default = "default_batch_bytes")]
    pub max_bytes: usize,
    /// How long the first message of a batch waits for more, in milliseconds.
    #[serde(default = "default_linger_ms")]
    pub linger_ms: u64,
}

fn default_batch_messages() -> usize {
    500
}
fn default_batch_bytes() -> usize {
    16 << 20
}
fn default_linger_ms() -> u64 {
    10
}

impl Default for BatchBounds {
    fn default() -> Self {
        BatchBounds {
            max_messages: default_batch_messages(),
            max_bytes: default_batch_bytes(),
            linger_ms: default_linger_ms(),
        }
    }
}

impl BatchBounds {
    pub fn linger(&self) -> Duration {
        Duration::from_millis(self.linger_ms)
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NatsSource {
    /// `nats://host:port` (or `tls://host:port`); several servers separated by commas.
    pub url: String,
    /// The JetStream stream to bind to.
    pub stream: String,
    /// Create the stream (file storage, this one subject) when it does not exist.
    #[serde(default)]
    pub create: bool,
    /// The filter subject of the consumer.
    pub subject: String,
    /// The durable consumer's name: its position survives restarts of this server.
    pub durable: String,
    #[serde(default)]
    pub format: PayloadFormat,
    pub user: Option<String>,
    /// Environment variable holding the password (with `user`).
    pub password_env: Option<String>,
    /// Environment variable holding a token.
    pub token_env: Option<String>,
    /// A `.creds` file (JWT and NKey seed).
    pub creds_file: Option<PathBuf>,
    #[serde(default)]
    pub tls: Tls,
    /// Require TLS even when the URL says `nats://`.
    #[serde(default)]
    pub tls_required: bool,
    #[serde(default)]
    pub batch: BatchBounds,
    /// Seconds the broker waits for an acknowledgement before delivering a message again.
    #[serde(default = "default_ack_wait_s")]
    pub ack_wait_s: u64,
}

fn default_ack_wait_s() -> u64 {
    30
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MqttSource {
    /// `mqtt://host:port` or `mqtts://host:port` (TLS).
    pub url: String,
    /// Topic filters (`+` and `#` wildcards).
    pub topics: Vec<String>,
    /// 0 (at most once) or 1 (at least once, acknowledged after the WAL).
    #[serde(default = "default_qos")]
    pub qos: u8,
    /// The session's client id; the session persists (clean_session = false).
    pub client_id: String,
    #[serde(default)]
    pub format: PayloadFormat,
    pub user: Option<String>,
    pub password_env: Option<String>,
    #[serde(default)]
    pub tls: Tls,
    /// Seconds between keep-alive pings.
    #[serde(default = "default_keep_alive_s")]
    pub keep_alive_s: u64,
    #[serde(default)]
    pub batch: BatchBounds,
}

fn default_qos() -> u8 {
    1
}
fn default_keep_alive_s() -> u64 {
    30
}

/// How to authenticate to a NATS server (a source's settings, or `[publish]`'s).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NatsAuth {
    pub user: Option<String>,
    pub password_env: Option<String>,
    pub token_env: Option<String>,
    pub creds_file: Option<PathBuf>,
    pub tls: Tls,
    pub tls_required: bool,
}

impl NatsSource {
    pub fn auth(&self) -> NatsAuth {
        NatsAuth {
            user: self.user.clone(),
            password_env: self.password_env.clone(),
            token_env: self.token_env.clone(),
            creds_file: self.creds_file.clone(),
            tls: self.tls.clone(),
            tls_required: self.tls_required,
        }
    }
}

/// Longest client id, durable name or stream name we accept.
const MAX_IDENT: usize = 128;

impl SourceDef {
    pub fn kind(&self) -> &'static str {
        match self {
            SourceDef::Nats(_) => "nats",
            SourceDef::Mqtt(_) => "mqtt",
        }
    }

    /// A short name for the API, logs and metrics: the durable consumer or the MQTT client id.
    pub fn name(&self) -> &str {
        match self {
            SourceDef::Nats(n) => &n.durable,
            SourceDef::Mqtt(m) => &m.client_id,
        }
    }

    pub fn batch(&self) -> BatchBounds {
        match self {
            SourceDef::Nats(n) => n.batch,
            SourceDef::Mqtt(m) => m.batch,
        }
    }

    pub fn format(&self) -> PayloadFormat {
        match self {
            SourceDef::Nats(n) => n.format,
            SourceDef::Mqtt(m) => m.format,
        }
    }

    /// Checks what serde cannot: URLs, names, bounds, pairs of settings. Files and environment variables
    /// are checked by [`SourceDef::check_environment`].
    pub fn validate(&self) -> Result<(), String> {
        let b = self.batch();
        if b.max_messages == 0 || b.max_messages > 100_000 {
            return Err("batch.max_messages must be between 1 and 100000".into());
        }
        if b.max_bytes < 1024 || b.max_bytes > 256 << 20 {
            return Err("batch.max_bytes must be between 1 KiB and 256 MiB".into());
        }
        if b.linger_ms > 10_000 {
            return Err("batch.linger_ms must be at most 10000".into());
        }
        match self {
            SourceDef::Nats(n) => validate_nats(n),
            SourceDef::Mqtt(m) => validate_mqtt(m),
        }
    }

    /// Checks that named files exist and environment variables are set (at start; `check` reports these
    /// as warnings, since a CI machine may not hold the secrets).
    pub fn check_environment(&self) -> Vec<String> {
        let (tls, envs, creds): (&Tls, Vec<&String>, Option<&PathBuf>) = match self {
            SourceDef::Nats(n) => (
                &n.tls,
                n.password_env.iter().chain(n.token_env.iter()).collect(),
                n.creds_file.as_ref(),
            ),
            SourceDef::Mqtt(m) => (&m.tls, m.password_env.iter().collect(), None),
        };
        let mut problems = Vec::new();
        for var in envs {
            if std::env::var_os(var).is_none() {
                problems.push(format!("environment variable `{var}` is not set"));
            }
        }
        let files = [&tls.ca_file, &tls.cert_file, &tls.key_file];
        for path in files.into_iter().flatten().chain(creds) {
            if !path.is_file() {
                problems.push(format!("file `{}` does not exist", path.display()));
            }
        }
        problems
    }
}

/// Host and port of a broker URL with one of `schemes`; the scheme's default port when none is given.
pub fn host_port(url: &str, schemes: &[(&str, u16)]) -> Result<(String, u16, String), String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| format!("url `{url}`: {e}"))?;
    let scheme = parsed.scheme().to_string();
    let default_port = schemes
        .iter()
        .find(|(s, _)| *s == scheme)
        .map(|(_, p)| *p)
        .ok_or_else(|| {
            let names: Vec<&str> = schemes.iter().map(|(s, _)| *s).collect();
            format!("url `{url}`: the scheme must be one of {}", names.join(", "))
        })?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("url `{url}` names no host"))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "url `{url}`: put no credentials in the URL; use `user` and `password_env`"
        ));
    }
    Ok((host.to_string(), parsed.port().unwrap_or(default_port), scheme))
}

fn ident(what: &str, value: &str, extra: &[char]) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= MAX_IDENT
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || extra.contains(&c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} `{value}` must be 1 to {MAX_IDENT} letters, digits, `-` or `_`"
        ))
    }
}

fn validate_tls(tls: &Tls) -> Result<(), String> {
    if tls.cert_file.is_some() != tls.key_file.is_some() {
        return Err("tls.cert_file and tls.key_file go together".into());
    }
    Ok(())
}

/// Checks NATS server URLs and the authentication settings.
pub fn validate_nats_auth(url: &str, a: &NatsAuth) -> Result<(), String> {
    for server in url.split(',') {
        host_port(server, &[("nats", 4222), ("tls", 4222)])?;
    }
    let auths = [a.password_env.is_some(), a.token_env.is_some(), a.creds_file.is_some()];
    if auths.iter().filter(|a| **a).count() > 1 {
        return Err("use one of password_env (with user), token_env or creds_file".into());
    }
    if a.user.is_some() != a.password_env.is_some() {
        return Err("user and password_env go together".into());
    }
    validate_tls(&a.tls)
}

fn validate_nats(n: &NatsSource) -> Result<(), String> {
    validate_nats_auth(&n.url, &n.auth())?;
    ident("stream", &n.stream, &[])?;
    ident("durable", &n.durable, &[])?;
    let subject_ok = !n.subject.is_empty()
        && n.subject.len() <= 256
        && n.subject
            .split('.')
            .all(|t| !t.is_empty() && !t.contains(char::is_whitespace))
        && n.subject.split('.').rev().skip(1).all(|t| t != ">");
    if !subject_ok {
        return Err(format!(
            "subject `{}` is not a NATS subject (dot-separated tokens, `*` and a final `>` as wildcards)",
            n.subject
        ));
    }
    if n.ack_wait_s == 0 || n.ack_wait_s > 3600 {
        return Err("ack_wait_s must be between 1 and 3600".into());
    }
    Ok(())
}

fn validate_mqtt(m: &MqttSource) -> Result<(), String> {
    host_port(&m.url, &[("mqtt", 1883), ("mqtts", 8883), ("tcp", 1883), ("ssl", 8883)])?;
    ident("client_id", &m.client_id, &['.'])?;
    if m.topics.is_empty() {
        return Err("topics must name at least one topic filter".into());
    }
    for t in &m.topics {
        let levels: Vec<&str> = t.split('/').collect();
        let hash_ok = levels.iter().enumerate().all(|(i, l)| {
            (*l != "#" || i == levels.len() - 1) && (!l.contains('#') || *l == "#") && (!l.contains('+') || *l == "+")
        });
        if t.is_empty() || t.len() > 1024 || !hash_ok {
            return Err(format!(
                "topic `{t}` is not an MQTT topic filter (`+` for one level, `#` last)"
            ));
        }
    }
    if m.qos > 1 {
        return Err(format!("qos {} is not supported: use 0 or 1", m.qos));
    }
    if m.user.is_some() != m.password_env.is_some() {
        return Err("user and password_env go together".into());
    }
    if m.keep_alive_s < 5 || m.keep_alive_s > 3600 {
        return Err("keep_alive_s must be between 5 and 3600".into());
    }
    validate_tls(&m.tls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SourceDef, String> {
        let def: SourceDef = toml::from_str(text).map_err(|e| e.to_string())?;
        def.validate()?;
        Ok(def)
    }

    #[test]
    fn good_and_bad_sources() {
        let nats = r#"kind = "nats"
url = "nats://127.0.0.1:4222"
stream = "IOC_SENSORS"
subject = "ioc.sensors.>"
durable = "ioc-stream-sensors""#;
        assert_eq!(parse(nats).unwrap().kind(), "nats");
        let mqtt = r#"kind = "mqtt"
url = "mqtt://127.0.0.1"
topics = ["ioc/stations/#"]
client_id = "ioc-stream-stations""#;
        assert_eq!(parse(mqtt).unwrap().name(), "ioc-stream-stations");
        let bad = [
            nats.replace("nats://", "http://"),
            nats.replace("ioc.sensors.>", "ioc.>.x"),
            format!("{nats}\nuser = \"u\""),
            format!("{nats}\npassword = \"secret\""),
            nats.replace("127.0.0.1", "u:p@127.0.0.1"),
            mqtt.replace("ioc/stations/#", "ioc/#/x"),
            format!("{mqtt}\nqos = 2"),
            mqtt.replace("mqtt", "kafka"),
        ];
        for text in bad {
            assert!(parse(&text).is_err(), "{text}");
        }
    }
}
