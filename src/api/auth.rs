//! Who may call what. Tokens come from the configuration file, each with a role:
//! `viewer` (read results, subscribe), `ingest` (push events, optionally only to some streams),
//! `analyst` (viewer + scenarios and one-shot queries), `admin` (everything). A viewer token may be limited
//! to rows (`rows = { agency_code = "SO_YT" }`): the server applies that limit to every path that returns
//! result rows (snapshots, deltas, alerts, `/result`); such a viewer cannot run `/query`.
//!
//! Without tokens, the server accepts loopback clients only (and refuses to listen elsewhere; see
//! `server::start`). `Host` and `Origin` are checked before any of this (see `site`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};

use super::error::ApiError;
use crate::fanout::Filter;

pub use crate::config::{Role, TokenConfig};

/// What a request is allowed, once its token (or its loopback address) is known.
#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    pub streams: Option<Vec<String>>,
    pub rows: Option<Arc<Filter>>,
    /// The token, for per-token connection limits (`None` for loopback without tokens).
    pub token: Option<String>,
    /// Who this is in logs and alert acknowledgements: the token's `name` (or its role), `local` for
    /// loopback without tokens. Never the token itself.
    pub name: String,
}

/// What a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read results and subscribe.
    View,
    /// Push events to a stream.
    Ingest,
    /// Write scenarios, run one-shot queries.
    Analyse,
}

impl Caller {
    fn everything() -> Caller {
        Caller {
            role: Role::Admin,
            streams: None,
            rows: None,
            token: None,
            name: "local".into(),
        }
    }

    pub fn allows(&self, need: Need) -> bool {
        matches!(
            (self.role, need),
            (Role::Admin, _)
                | (Role::Analyst, Need::View | Need::Analyse)
                | (Role::Viewer, Need::View)
                | (Role::Ingest, Need::Ingest)
        )
    }

    pub fn require(&self, need: Need) -> Result<(), ApiError> {
        if self.allows(need) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("this token may not {need:?}").to_lowercase(),
            ))
        }
    }

    pub fn may_ingest(&self, stream: &str) -> Result<(), ApiError> {
        self.require(Need::Ingest)?;
        match &self.streams {
            Some(list) if !list.iter().any(|s| s == stream) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("this token may not push to `{stream}`"),
            )),
            _ => Ok(()),
        }
    }
}

/// The configured tokens and the connections each holds.
#[derive(Debug, Default)]
pub struct Auth {
    tokens: HashMap<String, TokenConfig>,
    connections: parking_lot::Mutex<HashMap<String, Arc<AtomicUsize>>>,
    pub max_connections_per_token: usize,
}

impl Auth {
    pub fn new(tokens: Vec<TokenConfig>, max_connections_per_token: usize) -> Result<Auth, String> {
        let mut map = HashMap::new();
        for t in tokens {
            if t.token.len() < 16 {
                return Err(format!(
                    "token {:?}: a token has at least 16 characters",
                    t.name.as_deref().unwrap_or("?")
                ));
            }
            if t.rows.is_some() && t.role != Role::Viewer {
                return Err("`rows` limits apply to viewer tokens only".into());
            }
            if let Some(rows) = &t.rows {
                Filter::new(rows.clone()).map_err(|e| e.to_string())?;
            }
            map.insert(t.token.clone(), t);
        }
        Ok(Auth {
            tokens: map,
            connections: Default::default(),
            max_connections_per_token,
        })
    }

    pub fn enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// The caller of a request: from `Authorization: Bearer` or the `token` query parameter; without
    /// configured tokens, any loopback client.
    pub fn caller(&self, headers: &HeaderMap, query_token: Option<&str>, peer: SocketAddr) -> Result<Caller, ApiError> {
        if !self.enabled() {
            return if peer.ip().is_loopback() {
                Ok(Caller::everything())
            } else {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "without tokens this server serves loopback clients only",
                ))
            };
        }
        let bearer = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let Some(token) = bearer.or(query_token) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a token is required",
            ));
        };
        let Some(t) = self.tokens.get(token) else {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "unknown token"));
        };
        Ok(Caller {
            role: t.role,
            streams: t.streams.clone(),
            rows: t
                .rows
                .clone()
                .map(|r| Arc::new(Filter::new(r).expect("checked at start"))),
            token: Some(t.token.clone()),
            name: t.name.clone().unwrap_or_else(|| format!("{:?}", t.role).to_lowercase()),
        })
    }

    /// Counts a connection against its token's limit; the guard gives it back.
    pub fn connect(&self, caller: &Caller) -> Result<ConnectionGuard, ApiError> {
        let Some(token) = &caller.token else {
            return Ok(ConnectionGuard(None));
        };
        let counter = self.connections.lock().entry(token.clone()).or_default().clone();
        if counter.fetch_add(1, Ordering::AcqRel) >= self.max_connections_per_token {
            counter.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_connections",
                format!(
                    "this token holds {} connections already",
                    self.max_connections_per_token
                ),
            ));
        }
        Ok(ConnectionGuard(Some(counter)))
    }
}

/// Gives a connection slot back when dropped.
#[derive(Debug)]
pub struct ConnectionGuard(Option<Arc<AtomicUsize>>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.fetch_sub(1, Ordering::AcqRel);
        }
    }
}
