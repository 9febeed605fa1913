//! The background worker inside `convene serve`: outbox delivery (woken early when a change
//! queues emails), the workflow's expiries and escalations, and periodic upkeep. It stops
//! between batches when the server shuts down.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::sessions;
use crate::notifications::delivery::Deliverer;
use crate::outcomes::followups;
use crate::state::AppState;
use crate::workflow::upkeep;

/// How often upkeep (expired sessions, idle throttle counters) runs.
const UPKEEP_EVERY: Duration = Duration::from_secs(60);

pub struct Worker {
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(
        state: Arc<AppState>,
        deliverer: Deliverer,
        mut shutdown: watch::Receiver<bool>,
    ) -> Self {
        let poll = Duration::from_millis(state.settings.worker.poll_ms);
        let handle = tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(UPKEEP_EVERY);
            upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut due = tokio::time::interval(poll);
            due.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let wakeup = state.outbox_wakeup.clone();
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = upkeep.tick() => run_upkeep(&state).await,
                    _ = due.tick() => {
                        run_workflow_upkeep(&state).await;
                        run_follow_ups(&state).await;
                        deliver_all_due(&state, &deliverer, &shutdown).await;
                    }
                    _ = wakeup.notified() => deliver_all_due(&state, &deliverer, &shutdown).await,
                }
            }
            tracing::info!("worker stopped");
        });
        Self { handle }
    }

    pub async fn finished(self) {
        if let Err(error) = self.handle.await {
            tracing::error!(%error, "worker ended abnormally");
        }
    }
}

/// Batch after batch while full ones keep coming, checking for shutdown between them.
async fn deliver_all_due(
    state: &AppState,
    deliverer: &Deliverer,
    shutdown: &watch::Receiver<bool>,
) {
    let batch = usize::try_from(state.settings.email.batch_size).unwrap_or(1);
    while !*shutdown.borrow() {
        match deliverer.deliver_batch(state).await {
            Ok(claimed) if claimed >= batch => continue,
            Ok(_) => break,
            Err(error) => {
                tracing::warn!(%error, "email delivery round failed");
                break;
            }
        }
    }
}

/// Held slots that were not approved in time, approvals never scheduled, overdue requests.
async fn run_workflow_upkeep(state: &AppState) {
    let now = state.clock.now();
    let composer = state.composer();
    let settings = state.settings.workflow.clone();
    let done = state
        .db
        .run(move |conn| Ok(upkeep::run(conn, &composer, &settings, now)))
        .await;
    match done {
        Ok(Ok(report)) if report.is_empty() => {}
        Ok(Ok(report)) => {
            tracing::info!(
                holds_released = report.holds_released,
                approvals_expired = report.approvals_expired,
                escalated = report.escalated,
                "workflow upkeep"
            );
            state.emails_queued();
        }
        Ok(Err(error)) => tracing::warn!(%error, "workflow upkeep failed"),
        Err(error) => tracing::warn!(%error, "workflow upkeep failed"),
    }
}

/// Outcome requests and reminders to hosts, surveys to prospects.
async fn run_follow_ups(state: &AppState) {
    let now = state.clock.now();
    let composer = state.composer();
    let done = state
        .db
        .run(move |conn| Ok(followups::run(conn, &composer, now)))
        .await;
    match done {
        Ok(Ok(report)) if report.is_empty() => {}
        Ok(Ok(report)) => {
            tracing::info!(
                outcome_requests = report.outcome_requests,
                outcome_reminders = report.outcome_reminders,
                surveys = report.surveys,
                "meeting follow-ups queued"
            );
            state.emails_queued();
        }
        Ok(Err(error)) => tracing::warn!(%error, "meeting follow-ups failed"),
        Err(error) => tracing::warn!(%error, "meeting follow-ups failed"),
    }
}

async fn run_upkeep(state: &AppState) {
    let now = state.clock.now();
    match state
        .db
        .run(move |conn| sessions::purge_expired(conn, now))
        .await
    {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "expired sessions removed"),
        Err(error) => tracing::warn!(%error, "session cleanup failed"),
    }
    state.login_throttle.forget_idle();
    state.public_throttle.forget_idle();
}
