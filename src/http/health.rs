//! Liveness and readiness: `/healthz` answers 200 only when the database answers and the
//! background worker, where this instance runs one, keeps completing its rounds.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use crate::jobs::heartbeat::WorkerState;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when the database or the worker is not.
    #[schema(example = "ok")]
    status: &'static str,
    /// `ok` or `unreachable`.
    database: &'static str,
    /// `ok`, `starting` (no round completed yet, within the allowed time), `stalled`, or
    /// `disabled` (this instance runs no worker: `worker.enabled` is off).
    worker: &'static str,
    /// Seconds since the worker last completed a round.
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_seconds_since_round: Option<u64>,
    /// Why the service is degraded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reasons: Vec<String>,
}

#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Service, database and worker are up", body = Health),
        (status = 503, description = "The database is unreachable or the worker has stalled", body = Health),
    )
)]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let mut reasons = Vec::new();
    let database = match state.db.ping().await {
        Ok(()) => "ok",
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            reasons.push("the database is unreachable".to_owned());
            "unreachable"
        }
    };
    let (worker, worker_seconds_since_round) = match state.worker_heartbeat.state() {
        WorkerState::Running {
            seconds_since_round,
        } => ("ok", Some(seconds_since_round)),
        WorkerState::Starting => ("starting", None),
        WorkerState::Disabled => ("disabled", None),
        WorkerState::Stalled { reason } => {
            tracing::warn!(%reason, "health check: worker stalled");
            reasons.push(reason);
            ("stalled", None)
        }
    };
    let health = Health {
        status: if reasons.is_empty() { "ok" } else { "degraded" },
        database,
        worker,
        worker_seconds_since_round,
        reasons,
    };
    if health.reasons.is_empty() {
        HttpResponse::Ok().json(health)
    } else {
        HttpResponse::ServiceUnavailable().json(health)
    }
}
