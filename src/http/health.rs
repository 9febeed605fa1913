//! Liveness and readiness: `/healthz` answers 200 only when the database does.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Service and database are up", body = Health),
        (status = 503, description = "The database is unreachable", body = Health),
    )
)]
#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(Health {
            status: "ok",
            database: "ok",
        }),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(Health {
                status: "degraded",
                database: "unreachable",
            })
        }
    }
}
