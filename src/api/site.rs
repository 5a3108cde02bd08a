//! Which sites may talk to this server: defences against DNS rebinding and cross-site requests (CSRF),
//! which matter most without tokens, where being on the loopback address is all a caller needs.
//!
//! - `Host` must name this server: the listen address (any loopback address or `localhost` when it is
//!   a loopback address; any address literal when it listens on all addresses) or one of
//!   `allowed_hosts` (`"*"`: any). A page on `rebind.evil.example`, made to resolve to 127.0.0.1, sends
//!   that name and is refused (403 `host_not_allowed`). With tokens configured the token is the
//!   credential, and `Host` is checked only when `allowed_hosts` is set. A request without `Host` (not a
//!   browser) passes.
//! - `Origin`, when present, must be allowed on every request that may change something (any method
//!   but `GET`, `HEAD`, `OPTIONS`) and on the WebSocket upgrade: in `allowed_origins`, or, when that list
//!   is empty, the host the request was sent to (403 `forbidden`).
//!
//! Roles and tokens are `auth`'s; content types and bodies are `body`'s.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;

/// The names and origins this server answers to.
#[derive(Debug, Clone)]
pub struct Site {
    listen: IpAddr,
    /// Lower-case, without a trailing dot.
    allowed_hosts: Vec<String>,
    allowed_origins: Vec<String>,
    check_host: bool,
}

impl Site {
    pub fn new(listen: SocketAddr, allowed_hosts: &[String], allowed_origins: &[String], tokens: bool) -> Site {
        Site {
            listen: listen.ip(),
            allowed_hosts: allowed_hosts.iter().map(|h| normalise(h)).collect(),
            allowed_origins: allowed_origins.to_vec(),
            check_host: !tokens || !allowed_hosts.is_empty(),
        }
    }

    /// Whether the request's `Host` names this server (see the module's notes).
    pub fn host_allowed(&self, headers: &HeaderMap) -> bool {
        if !self.check_host {
            return true;
        }
        let Some(value) = headers.get(header::HOST) else {
            return true;
        };
        let Some(name) = value.to_str().ok().and_then(host_name) else {
            return false;
        };
        if self.allowed_hosts.iter().any(|h| h == "*" || *h == name) {
            return true;
        }
        let bare = name.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(ip) => {
                ip == self.listen || self.listen.is_unspecified() || (self.listen.is_loopback() && ip.is_loopback())
            }
            Err(_) => name == "localhost" && (self.listen.is_loopback() || self.listen.is_unspecified()),
        }
    }

    /// Whether the request's `Origin` may make it: absent (not a browser), in `allowed_origins`, or,
    /// without that list, the same host the request was sent to.
    pub fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        if !self.allowed_origins.is_empty() {
            return self.allowed_origins.iter().any(|a| a == origin || a == "*");
        }
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/').eq_ignore_ascii_case(host))
    }
}

/// The host name of a `Host` value (`name`, `name:port`, `[v6]`, `[v6]:port`), normalised.
fn host_name(value: &str) -> Option<String> {
    let value = value.trim();
    let name = if value.starts_with('[') {
        &value[..=value.find(']')?]
    } else {
        match value.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => return None,
            None => value,
        }
    };
    (!name.is_empty()).then(|| normalise(name))
}

fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The middleware for every route: `Host` always, `Origin` on requests that may change something.
pub async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if !state.site.host_allowed(request.headers()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "this server does not answer to that Host; add the name to allowed_hosts if it is one of its names",
        )
        .into_response();
    }
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !state.site.origin_allowed(request.headers()) {
        return origin_refused().into_response();
    }
    next.run(request).await
}

pub fn origin_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "requests from this Origin are not allowed (see allowed_origins)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn host_names_this_server_or_a_configured_name() {
        let loopback = Site::new(
            "127.0.0.1:8080".parse().unwrap(),
            &["IOC.example.gov.vn".into()],
            &[],
            false,
        );
        for (host, ok) in [
            ("127.0.0.1:8080", true),
            ("127.0.0.2", true),
            ("localhost:8080", true),
            ("LOCALHOST.", true),
            ("[::1]:8080", true),
            ("ioc.example.gov.vn", true),
            ("rebind.evil.example:8080", false),
            ("10.0.0.5:8080", false),
            ("localhost:80x", false),
            ("", false),
        ] {
            assert_eq!(loopback.host_allowed(&headers(&[("host", host)])), ok, "{host}");
        }
        assert!(loopback.host_allowed(&HeaderMap::new()), "no Host: not a browser");
        let everywhere = Site::new("0.0.0.0:8080".parse().unwrap(), &[], &[], false);
        assert!(everywhere.host_allowed(&headers(&[("host", "10.0.0.5:8080")])));
        assert!(!everywhere.host_allowed(&headers(&[("host", "evil.example")])));
        // With tokens, Host is checked only when names are configured.
        let tokens = Site::new("0.0.0.0:8080".parse().unwrap(), &[], &[], true);
        assert!(tokens.host_allowed(&headers(&[("host", "ioc.province.example")])));
        let named = Site::new(
            "0.0.0.0:8080".parse().unwrap(),
            &["ioc.province.example".into()],
            &[],
            true,
        );
        assert!(!named.host_allowed(&headers(&[("host", "evil.example")])));
    }

    #[test]
    fn origin_is_absent_listed_or_the_same_host() {
        let site = Site::new("127.0.0.1:8080".parse().unwrap(), &[], &[], false);
        assert!(site.origin_allowed(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(site.origin_allowed(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(!site.origin_allowed(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://evil.example")
        ])));
        assert!(!site.origin_allowed(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")])));
        let listed = Site::new(
            "127.0.0.1:8080".parse().unwrap(),
            &[],
            &["https://ioc.example".into()],
            false,
        );
        assert!(listed.origin_allowed(&headers(&[("host", "x"), ("origin", "https://ioc.example")])));
        assert!(!listed.origin_allowed(&headers(&[("host", "x"), ("origin", "http://x")])));
    }
}
