//! The background jobs, run every `MCPSERVER_WORKER_INTERVAL_SECS` until shutdown: the
//! refresh pass ([`refresh`]), hub event delivery ([`events`]) and the sweep ([`sweep`]).
//! Each job is a `run_once(&state, now)` that tests call directly. (The audit writer is the
//! store's own: it starts and closes with the pool, see `store/audit.rs`.)

pub mod events;
pub mod refresh;
pub mod sweep;

use crate::app::AppState;
use tokio_util::sync::CancellationToken;

/// Runs the jobs until `stop` is cancelled; a pass under way finishes first (a refresh
/// runs to its commit).
pub async fn run(state: AppState, stop: CancellationToken) {
    let mut ticker = tokio::time::interval(state.config.worker_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = stop.cancelled() => return,
        }
        run_once(&state, state.clock.now()).await;
    }
}

/// One round of every job at time `now`; a job's failure is logged and the others still run.
pub async fn run_once(state: &AppState, now: i64) {
    match refresh::run_once(state, now).await {
        Ok(report) if report.refreshed + report.failed > 0 => {
            tracing::info!(refreshed = report.refreshed, failed = report.failed, "background refresh pass")
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "background refresh pass failed"),
    }
    if let Err(e) = events::run_once(state, now).await {
        tracing::error!(error = %e, "event delivery pass failed");
    }
    if let Err(e) = sweep::run_once(state, now).await {
        tracing::error!(error = %e, "sweep failed");
    }
}
