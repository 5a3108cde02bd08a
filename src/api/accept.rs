//! The HTTP server's accept loop: axum's router on hyper, with what `axum::serve` does not offer:
//! - a deadline for a request's headers (slow-loris clients are dropped);
//! - caps on open connections, in all and per peer IP address ([`ConnectionLimits`]), kept below the
//!   process's open-file limit so the server always has a descriptor to accept, answer and close with.
//!   Past a cap the client gets a fixed answer at once (`503 server_busy` past the total,
//!   `429 too_many_connections` past its address's share, both with `Retry-After: 5`) and the connection
//!   is closed without its request being read;
//! - each request carries the peer's address (`ConnectInfo`) and its connection's [`Permit`], which an
//!   upgraded WebSocket keeps for as long as it lives (the hyper connection ends at the upgrade).
//!
//! It does not route, authenticate or read bodies: that is `api::router`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Descriptors kept free for everything but client connections: the listener, the WAL files, refusals
/// in progress, the runtime's own. Two more per stream are added by the caller.
pub const FD_RESERVE: usize = 256;
/// Refusals answered at once; past that many, a connection over a cap is closed without an answer.
const REFUSING_MAX: usize = 64;
/// Time a refusal may take (its write, then waiting for the client to close).
const REFUSAL_TIME: Duration = Duration::from_secs(2);

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds `max_connections` already.
    Busy,
    /// The peer's address holds `max_connections_per_ip` already.
    PerIp,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Open connections, in all and per peer address, and their caps.
#[derive(Debug)]
pub struct ConnectionLimits {
    pub max_total: usize,
    pub max_per_ip: usize,
    open: Mutex<Open>,
}

/// One open connection's place under the caps; given back when the last holder drops it.
#[derive(Debug)]
pub struct Permit {
    limits: Arc<ConnectionLimits>,
    ip: IpAddr,
}

impl ConnectionLimits {
    pub fn new(max_total: usize, max_per_ip: usize) -> Arc<ConnectionLimits> {
        Arc::new(ConnectionLimits {
            max_total: max_total.max(1),
            max_per_ip: max_per_ip.max(1),
            open: Mutex::new(Open::default()),
        })
    }

    /// A place for a new connection from `ip`, or why there is none.
    pub fn try_open(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Refusal> {
        let mut open = self.open.lock();
        if open.total >= self.max_total {
            return Err(Refusal::Busy);
        }
        let n = open.per_ip.entry(ip).or_default();
        if *n >= self.max_per_ip {
            return Err(Refusal::PerIp);
        }
        *n += 1;
        open.total += 1;
        metrics::gauge!("ioc_http_connections").set(open.total as f64);
        Ok(Permit {
            limits: self.clone(),
            ip,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().total
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock();
        open.total -= 1;
        if let Some(n) = open.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
        metrics::gauge!("ioc_http_connections").set(open.total as f64);
    }
}

/// The soft limit on open files of this process (Linux: `/proc/self/limits`); `None` when unknown or
/// unlimited.
pub fn open_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// `configured`, lowered so that `reserve` descriptors stay free under `fd_limit`.
pub fn effective_max_connections(configured: usize, fd_limit: Option<usize>, reserve: usize) -> usize {
    match fd_limit {
        Some(limit) => configured.min(limit.saturating_sub(reserve).max(limit / 4).max(1)),
        None => configured,
    }
}

/// Serves `app` on `listener` until `stop`; then stops accepting and lets requests in flight finish
/// (bounded by the caller). Upgraded WebSockets are tracked and closed by their own tasks.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    header_timeout: Duration,
    limits: Arc<ConnectionLimits>,
    stop: CancellationToken,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;
    let connections = TaskTracker::new();
    let refusing = Arc::new(tokio::sync::Semaphore::new(REFUSING_MAX));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(64 << 10);
    let builder = builder.http1_only();
    loop {
        let (socket, peer) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors despite the caps (something else holds them): wait a
                    // moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let permit = match limits.try_open(peer.ip()) {
            Ok(p) => Arc::new(p),
            Err(refusal) => {
                let reason = match refusal {
                    Refusal::Busy => "busy",
                    Refusal::PerIp => "per_ip",
                };
                metrics::counter!("ioc_http_connections_refused_total", "reason" => reason).increment(1);
                if let Ok(slot) = refusing.clone().try_acquire_owned() {
                    connections.spawn(async move {
                        refuse(socket, refusal).await;
                        drop(slot);
                    });
                }
                continue;
            }
        };
        let _ = socket.set_nodelay(true);
        let app = app.clone();
        let for_requests = permit.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            request.extensions_mut().insert(for_requests.clone());
            app.clone().oneshot(request.map(axum::body::Body::new))
        });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(socket), service)
            .into_owned();
        let stop = stop.clone();
        connections.spawn(async move {
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                ended = conn.as_mut() => ended,
                _ = stop.cancelled() => {
                    // Finish the request in flight (if any), then close.
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::trace!(error = %e, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// The fixed answer to a connection over a cap, written without reading the request.
fn refusal_response(refusal: Refusal) -> Vec<u8> {
    let (status, code, message) = match refusal {
        Refusal::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            "the server holds as many connections as it may (max_connections); retry later",
        ),
        Refusal::PerIp => (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            "this address holds as many connections as it may (max_connections_per_ip); close some or retry later",
        ),
    };
    let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\nretry-after: 5\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes()
}

/// Answers a connection over a cap and closes it. The client's request is read and thrown away until it
/// closes (bounded in time and bytes), so the kernel does not reset the connection, losing the answer,
/// because of bytes left unread.
async fn refuse(mut socket: TcpStream, refusal: Refusal) {
    let answer = refusal_response(refusal);
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        socket.write_all(&answer).await?;
        socket.shutdown().await?;
        let mut buf = [0u8; 4096];
        let mut read = 0;
        while read < 64 << 10 {
            match socket.read(&mut buf).await? {
                0 => break,
                n => read += n,
            }
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_in_all_and_per_address_and_places_come_back() {
        let limits = ConnectionLimits::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = limits.try_open(a).unwrap();
        let _a2 = limits.try_open(a).unwrap();
        assert_eq!(limits.try_open(a).unwrap_err(), Refusal::PerIp);
        let _b1 = limits.try_open(b).unwrap();
        assert_eq!(limits.try_open(b).unwrap_err(), Refusal::Busy);
        drop(a1);
        assert_eq!(limits.open(), 2);
        let _b2 = limits.try_open(b).unwrap();
        assert_eq!(limits.open(), 3);
    }

    #[test]
    fn the_cap_stays_below_the_open_file_limit() {
        assert_eq!(effective_max_connections(20_000, None, 300), 20_000);
        assert_eq!(effective_max_connections(20_000, Some(1024), 300), 724);
        assert_eq!(effective_max_connections(100, Some(1024), 300), 100);
        // A tiny limit still leaves room for some clients.
        assert_eq!(effective_max_connections(20_000, Some(256), 300), 64);
    }
}
