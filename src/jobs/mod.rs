//! The background worker inside `convene serve`: periodic upkeep now, outbox delivery and
//! reminders as they arrive. It stops between tasks when the server shuts down.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::sessions;
use crate::state::AppState;

/// How often upkeep (expired sessions, idle throttle counters) runs.
const UPKEEP_EVERY: Duration = Duration::from_secs(60);

pub struct Worker {
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn spawn(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) -> Self {
        let handle = tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(UPKEEP_EVERY);
            upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    _ = upkeep.tick() => run_upkeep(&state).await,
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
