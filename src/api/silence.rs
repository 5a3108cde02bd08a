//! How long a WebSocket client has been silent, counted in the server's own running time.
//!
//! The connection's check loop calls [`Silence::check`] every `step`; each call adds the time since the
//! previous one, but never more than one `step`. When the whole process was stopped (SIGSTOP, a VM
//! paused, a long stall), its check loop did not run either, and the pause counts as one step, not as the
//! client's silence: what the client sent meanwhile waits in the socket and is read right after. A client
//! is silent for `idle` only after the server has been running and checking for about that long without
//! hearing from it. It does not send pings or drop anyone; `ws` does.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct Silence {
    step: Duration,
    since: Instant,
    silent: Duration,
}

impl Silence {
    pub fn new(step: Duration, now: Instant) -> Silence {
        Silence {
            step,
            since: now,
            silent: Duration::ZERO,
        }
    }

    /// Something arrived from the client.
    pub fn heard(&mut self, now: Instant) {
        self.silent = Duration::ZERO;
        self.since = now;
    }

    /// The check loop runs: the silence so far.
    pub fn check(&mut self, now: Instant) -> Duration {
        self.silent += now.saturating_duration_since(self.since).min(self.step);
        self.since = now;
        self.silent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_grows_while_the_server_runs_and_a_pause_counts_as_one_step() {
        let step = Duration::from_secs(1);
        let t0 = Instant::now();
        let mut s = Silence::new(step, t0);
        assert_eq!(s.check(t0 + step), step);
        assert_eq!(s.check(t0 + 2 * step), 2 * step);
        // The process was stopped for a minute: the check after it adds one step.
        assert_eq!(s.check(t0 + 62 * step), 3 * step);
        s.heard(t0 + 62 * step + Duration::from_millis(10));
        assert_eq!(s.check(t0 + 63 * step), Duration::from_millis(990));
    }
}
