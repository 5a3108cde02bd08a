//! When each scenario runs, and where.
//!
//! Every scenario has one task, owned by the engine (shutdown waits for it). An `interval` scenario runs
//! every `every`; a tick that comes while the last evaluation still runs is skipped. An `on: change`
//! scenario runs as soon as a stream it reads receives data, and then not again before `every` has passed
//! since the last one started: a burst of appends leads to one evaluation running and at most one pending.
//!
//! Evaluations run on two runtimes of `threads` threads each, apart from the network runtime. Scenarios
//! start on the *light* one; a scenario whose recent evaluations are slow moves to the *heavy* one, whose
//! threads have a lower scheduling priority (nice 10) so the operating system lets a cheap KPI run while a
//! costly one computes. Both have large thread stacks, for deep but legal queries.

use std::sync::Arc;

use futures::future::select_all;
use parking_lot::Mutex;
use tokio::runtime::{Handle, Runtime};
use tokio::sync::watch;

use super::registry::Running;
use super::{Engine, EngineError, Trigger};

/// Stack of every evaluation thread: planning and running recurse over the expression tree.
const STACK_BYTES: usize = 16 << 20;
/// The scheduling priority of the heavy runtime's threads (higher is lower priority).
const HEAVY_NICE: i32 = 10;

/// The two evaluation runtimes; shut down without blocking, so they may be dropped from async code.
#[derive(Debug)]
pub struct EvalRuntimes {
    light: Mutex<Option<Runtime>>,
    heavy: Mutex<Option<Runtime>>,
}

impl EvalRuntimes {
    pub fn new(threads: usize) -> std::io::Result<EvalRuntimes> {
        let build = |name: &'static str, nice: i32| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.max(1))
                .thread_name(name)
                .thread_stack_size(STACK_BYTES)
                .on_thread_start(move || lower_priority(nice))
                .enable_all()
                .build()
        };
        Ok(EvalRuntimes {
            light: Mutex::new(Some(build("ioc-eval", 0)?)),
            heavy: Mutex::new(Some(build("ioc-eval-heavy", HEAVY_NICE)?)),
        })
    }

    pub fn light(&self) -> Option<Handle> {
        self.light.lock().as_ref().map(|rt| rt.handle().clone())
    }

    fn handle(&self, heavy: bool) -> Option<Handle> {
        let rt = if heavy { &self.heavy } else { &self.light };
        rt.lock().as_ref().map(|rt| rt.handle().clone())
    }

    pub fn shutdown(&self) {
        for rt in [&self.light, &self.heavy] {
            if let Some(rt) = rt.lock().take() {
                rt.shutdown_background();
            }
        }
    }
}

impl Drop for EvalRuntimes {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Lowers the calling thread's scheduling priority by `nice`, from the process's (Linux keeps one per
/// thread).
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        // SAFETY: gettid, getpriority and setpriority only read their arguments; a failure leaves the
        // priority as it was.
        unsafe {
            let tid = libc::gettid() as libc::id_t;
            let current = libc::getpriority(libc::PRIO_PROCESS, tid);
            libc::setpriority(libc::PRIO_PROCESS, tid, (current + nice).min(19));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

impl Engine {
    /// Starts the task that evaluates `sc` on its trigger.
    pub(super) fn start(self: &Arc<Self>, sc: Arc<Running>) -> Result<(), EngineError> {
        if !self.evaluate {
            return Ok(());
        }
        let handle = self.runtimes.light().ok_or(EngineError::ShuttingDown)?;
        self.tasks.spawn_on(self.clone().drive(sc), &handle);
        Ok(())
    }

    async fn drive(self: Arc<Self>, sc: Arc<Running>) {
        match sc.def.trigger {
            Trigger::Interval => {
                let mut tick = tokio::time::interval(sc.def.every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                loop {
                    tokio::select! {
                        _ = sc.cancel.cancelled() => return,
                        _ = tick.tick() => {}
                    }
                    self.tick(&sc).await;
                }
            }
            Trigger::Change => {
                let mut changes: Vec<watch::Receiver<u64>> = sc
                    .planned
                    .iter()
                    .flat_map(|p| p.prepared.streams().map(|s| s.changes()).collect::<Vec<_>>())
                    .collect();
                for c in &mut changes {
                    c.mark_unchanged();
                }
                loop {
                    let started = tokio::time::Instant::now();
                    self.tick(&sc).await;
                    tokio::select! {
                        _ = sc.cancel.cancelled() => return,
                        _ = changed(&mut changes) => {}
                    }
                    tokio::select! {
                        _ = sc.cancel.cancelled() => return,
                        _ = tokio::time::sleep_until(started + sc.def.every) => {}
                    }
                }
            }
        }
    }

    /// One evaluation on the runtime that fits the scenario's cost; stopped if the scenario is.
    async fn tick(self: &Arc<Self>, sc: &Arc<Running>) {
        let heavy = sc.status.lock().heavy;
        let Some(handle) = self.runtimes.handle(heavy) else {
            return;
        };
        let mut task = handle.spawn(self.clone().evaluate(sc.clone()));
        tokio::select! {
            _ = sc.cancel.cancelled() => task.abort(),
            _ = &mut task => {}
        }
    }
}

/// Waits until one of `streams` has received data since it was last seen (for ever, if none can).
async fn changed(streams: &mut [watch::Receiver<u64>]) {
    if streams.is_empty() {
        return std::future::pending().await;
    }
    let (result, _, _) = select_all(streams.iter_mut().map(|s| Box::pin(s.changed()))).await;
    if result.is_err() {
        // The stream is gone (shutdown): nothing will change again.
        std::future::pending::<()>().await;
    }
    for s in streams.iter_mut() {
        s.mark_unchanged();
    }
}
