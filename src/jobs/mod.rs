//! The background worker inside `convene serve`: outbox delivery (woken early when a change
//! queues emails), the workflow's expiries and escalations, follow-ups after meetings,
//! calendar writes, webhook deliveries (woken early when a test or redelivery is queued), and
//! periodic upkeep. It stops between batches when the server shuts down.
//!
//! It supervises itself: a task that panics is logged with its name and the loop goes on, so
//! one bad row can delay only itself, never every other email, reminder and calendar write.

pub mod heartbeat;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::sessions;
use crate::calendars::{repo as calendars_repo, sync as calendar_sync};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notifications::delivery::Deliverer;
use crate::notifications::messages::Composer;
use crate::outcomes::followups;
use crate::state::AppState;
use crate::telemetry::panic_message;
use crate::webhooks::delivery::KeepGoing;
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
        let worker_id = crate::values::new_id();
        let handle = tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(UPKEEP_EVERY);
            upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut due = tokio::time::interval(poll);
            due.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let wakeup = state.outbox_wakeup.clone();
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = upkeep.tick() => supervise("upkeep", run_upkeep(&state)).await,
                    _ = due.tick() => {
                        supervise("workflow upkeep", run_workflow_upkeep(&state)).await;
                        supervise("meeting follow-ups", run_follow_ups(&state)).await;
                        supervise("email delivery", deliver_all_due(&state, &deliverer, &shutdown)).await;
                        supervise("calendar sync", sync_calendars(&state, &worker_id, &shutdown)).await;
                        supervise("webhook delivery", deliver_webhooks(&state, &shutdown)).await;
                        state.worker_heartbeat.round_completed(state.clock.now().timestamp());
                    }
                    _ = wakeup.notified() => {
                        supervise("email delivery", deliver_all_due(&state, &deliverer, &shutdown)).await;
                    }
                    _ = state.webhooks.queued() => {
                        supervise("webhook delivery", deliver_webhooks(&state, &shutdown)).await;
                    }
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

/// Runs one task of a round; a panic inside it is logged and ends only that task.
async fn supervise(task: &'static str, work: impl Future<Output = ()>) {
    if let Err(panic) = AssertUnwindSafe(work).catch_unwind().await {
        tracing::error!(
            task,
            panic = panic_message(panic.as_ref()),
            "a worker task panicked; the worker goes on"
        );
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
            Ok(claimed) if claimed >= batch => {
                state.worker_heartbeat.batch_completed();
                continue;
            }
            Ok(_) => break,
            Err(error) => {
                tracing::warn!(%error, "email delivery round failed");
                break;
            }
        }
    }
}

/// Writes meetings into hosts' calendars, batch after batch while full ones keep coming.
async fn sync_calendars(state: &AppState, worker_id: &str, shutdown: &watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        match calendar_sync::run(state, worker_id).await {
            Ok(handled) if handled >= calendar_sync::BATCH => {
                state.worker_heartbeat.batch_completed();
                continue;
            }
            Ok(_) => break,
            Err(error) => {
                tracing::warn!(%error, "calendar sync round failed");
                break;
            }
        }
    }
}

/// The worker's webhook pass: it stops claiming at shutdown, and each settled batch is a sign
/// of life, since draining a deep queue may take longer than a round is allowed.
struct WorkerPass<'a> {
    state: &'a AppState,
    shutdown: &'a watch::Receiver<bool>,
}

impl KeepGoing for WorkerPass<'_> {
    fn keep_going(&self) -> bool {
        !*self.shutdown.borrow()
    }

    fn batch_completed(&self) {
        self.state.worker_heartbeat.batch_completed();
    }
}

/// Sends every due webhook delivery, many at once, until none is left or the server stops.
async fn deliver_webhooks(state: &AppState, shutdown: &watch::Receiver<bool>) {
    let pass = WorkerPass { state, shutdown };
    if let Err(error) = state.webhooks.deliver_due(state, &pass).await {
        tracing::warn!(%error, "webhook delivery round failed");
    }
}

/// What a round that may queue emails did; empty rounds are not logged.
trait RoundReport: std::fmt::Debug + Send + 'static {
    fn is_empty(&self) -> bool;
}

impl RoundReport for upkeep::UpkeepReport {
    fn is_empty(&self) -> bool {
        upkeep::UpkeepReport::is_empty(self)
    }
}

impl RoundReport for followups::FollowUpReport {
    fn is_empty(&self) -> bool {
        followups::FollowUpReport::is_empty(self)
    }
}

/// Runs one such round in its own database task and wakes delivery when it did something.
async fn run_round<R, F>(state: &AppState, round: &'static str, work: F)
where
    R: RoundReport,
    F: FnOnce(&mut DbConnection, &Composer, DateTime<Utc>) -> Result<R, AppError> + Send + 'static,
{
    let now = state.clock.now();
    let composer = state.composer();
    let done = state
        .db
        .run(move |conn| Ok(work(conn, &composer, now)))
        .await;
    match done {
        Ok(Ok(report)) if report.is_empty() => {}
        Ok(Ok(report)) => {
            tracing::info!(?report, "{round}");
            state.emails_queued();
        }
        Ok(Err(error)) => tracing::warn!(%error, "{round} failed"),
        Err(error) => tracing::warn!(%error, "{round} failed"),
    }
}

/// Held slots that were not approved in time, approvals never scheduled, overdue requests.
async fn run_workflow_upkeep(state: &AppState) {
    let settings = state.settings.workflow.clone();
    let publisher = state.publisher.clone();
    run_round(state, "workflow upkeep", move |conn, composer, now| {
        upkeep::run(conn, composer, &publisher, &settings, now)
    })
    .await;
}

/// Outcome requests and reminders to hosts, surveys to prospects.
async fn run_follow_ups(state: &AppState) {
    run_round(state, "meeting follow-ups", followups::run).await;
}

async fn run_upkeep(state: &AppState) {
    let now = state.clock.now();
    match state
        .db
        .run(move |conn| {
            calendars_repo::purge_expired_states(conn, now)?;
            sessions::purge_expired(conn, now)
        })
        .await
    {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "expired sessions removed"),
        Err(error) => tracing::warn!(%error, "session cleanup failed"),
    }
    state.login_throttle.forget_idle();
    state.public_throttle.forget_idle();
}
