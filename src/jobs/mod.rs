//! The background work inside `convene serve`: outbox delivery (woken early when a change
//! queues emails), the workflow's expiries and escalations, follow-ups after meetings, calendar
//! writes, webhook deliveries (woken early when a test or redelivery is queued), CRM pushes
//! and owner pulls, and periodic upkeep. The [`Runner`] knows the tasks and their order; the
//! [`Worker`] runs them on its timers and stops between batches when the server shuts down.
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
use crate::notifications::delivery::Deliverer;
use crate::notifications::messages::Composer;
use crate::outcomes::followups;
use crate::state::AppState;
use crate::telemetry::panic_message;
use crate::webhooks::delivery::KeepGoing;
use crate::workflow::upkeep;

/// How often upkeep (expired sessions, idle throttle counters) runs.
const UPKEEP_EVERY: Duration = Duration::from_secs(60);

/// Every background task of one instance, and the order a round runs them in.
pub struct Runner {
    state: Arc<AppState>,
    deliverer: Deliverer,
    /// Names this instance's claims on calendar writes.
    calendar_worker_id: String,
}

/// Who runs a round, which decides when it stops and whether it counts as the worker's pulse.
#[derive(Clone, Copy)]
enum Pass<'a> {
    /// The worker: it stops between batches once the server shuts down, and each batch it
    /// finishes is a sign of life for `/healthz`.
    Worker(&'a watch::Receiver<bool>),
    /// A caller that wants everything due done now, whether or not a worker runs.
    ToCompletion,
}

impl Pass<'_> {
    fn stopping(self) -> bool {
        matches!(self, Pass::Worker(shutdown) if *shutdown.borrow())
    }

    fn batch_completed(self, state: &AppState) {
        if let Pass::Worker(_) = self {
            state.worker_heartbeat.batch_completed();
        }
    }
}

impl Runner {
    pub fn new(state: Arc<AppState>, deliverer: Deliverer) -> Self {
        Self {
            state,
            deliverer,
            calendar_worker_id: crate::values::new_id(),
        }
    }

    /// Runs every background task once, to completion, at the app's clock: upkeep, then a
    /// round exactly as the worker runs it, each delivery draining every due batch. Returns
    /// when all of it is done.
    pub async fn run_pending(&self) {
        self.upkeep().await;
        self.round(Pass::ToCompletion).await;
    }

    /// The workflow and follow-ups come before delivery, so the emails they queue go out in
    /// the same round.
    async fn round(&self, pass: Pass<'_>) {
        supervise("workflow upkeep", run_workflow_upkeep(&self.state)).await;
        supervise("meeting follow-ups", run_follow_ups(&self.state)).await;
        supervise(
            "routed lead follow-ups",
            run_routing_follow_ups(&self.state),
        )
        .await;
        self.deliver_emails(pass).await;
        supervise(
            "calendar sync",
            sync_calendars(&self.state, &self.calendar_worker_id, pass),
        )
        .await;
        self.deliver_webhooks(pass).await;
        self.push_to_crm(pass).await;
        supervise("CRM owner refresh", refresh_crm_owners(&self.state)).await;
    }

    async fn push_to_crm(&self, pass: Pass<'_>) {
        supervise("CRM push", push_to_crm(&self.state, pass)).await;
    }

    async fn deliver_webhooks(&self, pass: Pass<'_>) {
        supervise("webhook delivery", deliver_webhooks(&self.state, pass)).await;
    }

    async fn deliver_emails(&self, pass: Pass<'_>) {
        supervise(
            "email delivery",
            deliver_all_due(&self.state, &self.deliverer, pass),
        )
        .await;
    }

    async fn upkeep(&self) {
        supervise("upkeep", run_upkeep(&self.state)).await;
    }
}

pub struct Worker {
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(runner: Arc<Runner>, mut shutdown: watch::Receiver<bool>) -> Self {
        let state = runner.state.clone();
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
                    _ = upkeep.tick() => runner.upkeep().await,
                    _ = due.tick() => {
                        runner.round(Pass::Worker(&shutdown)).await;
                        state.worker_heartbeat.round_completed(state.clock.now().timestamp());
                    }
                    _ = wakeup.notified() => runner.deliver_emails(Pass::Worker(&shutdown)).await,
                    _ = state.webhooks.queued() => runner.deliver_webhooks(Pass::Worker(&shutdown)).await,
                    _ = state.crm.queued() => runner.push_to_crm(Pass::Worker(&shutdown)).await,
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
async fn deliver_all_due(state: &AppState, deliverer: &Deliverer, pass: Pass<'_>) {
    let batch = usize::try_from(state.settings.email.batch_size).unwrap_or(1);
    while !pass.stopping() {
        match deliverer.deliver_batch(state).await {
            Ok(claimed) if claimed >= batch => {
                pass.batch_completed(state);
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
async fn sync_calendars(state: &AppState, worker_id: &str, pass: Pass<'_>) {
    while !pass.stopping() {
        match calendar_sync::run(state, worker_id).await {
            Ok(handled) if handled >= calendar_sync::BATCH => {
                pass.batch_completed(state);
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

/// Pushes due changes to the CRM, batch after batch while full ones keep coming.
async fn push_to_crm(state: &AppState, pass: Pass<'_>) {
    while !pass.stopping() {
        match state.crm.push_due(&state.db, state.clock.as_ref()).await {
            Ok(handled) if handled >= crate::crm::repo::BATCH as usize => {
                pass.batch_completed(state);
                continue;
            }
            Ok(_) => break,
            Err(error) => {
                tracing::warn!(%error, "CRM push round failed");
                break;
            }
        }
    }
}

/// Pulls CRM owners when the last pull is older than `crm.owner_refresh_minutes`.
async fn refresh_crm_owners(state: &AppState) {
    if let Err(error) = state
        .crm
        .refresh_owners_when_due(&state.db, state.clock.as_ref())
        .await
    {
        tracing::warn!(%error, "CRM owners could not be pulled");
    }
}

/// A webhook delivery pass: the worker's stops claiming at shutdown, and each batch it settles
/// is a sign of life, since draining a deep queue may take longer than a round is allowed.
struct WebhookPass<'a> {
    state: &'a AppState,
    pass: Pass<'a>,
}

impl KeepGoing for WebhookPass<'_> {
    fn keep_going(&self) -> bool {
        !self.pass.stopping()
    }

    fn batch_completed(&self) {
        self.pass.batch_completed(self.state);
    }
}

/// Sends every due webhook delivery, many at once, until none is left or the server stops.
async fn deliver_webhooks(state: &AppState, pass: Pass<'_>) {
    let pass = WebhookPass { state, pass };
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

impl RoundReport for crate::routing::follow_up::RoutingFollowUps {
    fn is_empty(&self) -> bool {
        crate::routing::follow_up::RoutingFollowUps::is_empty(self)
    }
}

impl RoundReport for followups::FollowUpReport {
    fn is_empty(&self) -> bool {
        followups::FollowUpReport::is_empty(self)
    }
}

/// Runs one such round in its own database task and wakes delivery when it did something.
/// Each round has its own error; here it is only logged.
async fn run_round<R, E, F>(state: &AppState, round: &'static str, work: F)
where
    R: RoundReport,
    E: std::fmt::Display + Send + 'static,
    F: FnOnce(&mut DbConnection, &Composer, DateTime<Utc>) -> Result<R, E> + Send + 'static,
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
            state.changes_committed();
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

async fn run_routing_follow_ups(state: &AppState) {
    run_round(
        state,
        "routed lead follow-ups",
        crate::routing::follow_up::run,
    )
    .await;
}

async fn run_upkeep(state: &AppState) {
    let now = state.clock.now();
    let kept_from = now - chrono::Duration::days(i64::from(state.settings.events.retention_days));
    match state
        .db
        .run(move |conn| {
            calendars_repo::purge_expired_states(conn, now)?;
            crate::auth::sso::repo::purge_expired(conn, now)?;
            let events = crate::events::purge_older_than(conn, kept_from)?;
            Ok((sessions::purge_expired(conn, now)?, events))
        })
        .await
    {
        Ok((0, 0)) => {}
        Ok((sessions, events)) => {
            tracing::info!(sessions, events, "expired sessions and old events removed")
        }
        Err(error) => tracing::warn!(%error, "session and event cleanup failed"),
    }
    state.login_throttle.forget_idle();
    state.public_throttle.forget_idle();
}
