//! `/api/v1/crm`: the state of CRM sync, its records, retrying a parked push, pulling owners.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::model::SyncStatus;
use super::repo::SyncRow;
use super::service;
use crate::auth::roles::Permission;
use crate::error::AppError;
use crate::http::extractors::{ApiCaller, ApiQuery};
use crate::http::{Page, PageQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(crm_overview)
        .service(list_crm_records)
        .service(retry_crm_record)
        .service(refresh_crm_owners);
}

crate::http::schemas::value_schema!(
    /// A CRM sync status to filter by.
    CrmSyncStatusName => crate::http::schemas::filter_of(SyncStatus::ALL.map(|s| s.as_str()))
);

/// CRM sync at a glance; never a token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CrmOverviewView {
    /// `hubspot`, `salesforce`, or empty when no CRM is set up.
    pub provider: String,
    pub enabled: bool,
    /// Records waiting for a push, first time or retry.
    pub backlog: i64,
    pub pending: i64,
    pub retrying: i64,
    pub synced: i64,
    /// Records refused or out of attempts, waiting for a retry by hand.
    pub parked: i64,
    /// When owners were last pulled from the CRM.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub owners_pulled_at: Option<NaiveDateTime>,
    /// Why the last pull of owners failed, if it did.
    pub owners_last_error: Option<String>,
}

/// One Convene record's copy in the CRM.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CrmRecordView {
    pub id: String,
    pub provider: String,
    /// `person` (a lead), `meeting`, `deal` (an outcome's opportunity) or `note` (a survey answer).
    #[schema(example = "meeting")]
    pub kind: String,
    /// The Convene id: lead, meeting, meeting (for its outcome) or survey invitation.
    pub record_id: String,
    pub lead_id: String,
    pub external_id: Option<String>,
    /// Salesforce: `Lead` or `Contact` for a person.
    pub external_type: Option<String>,
    #[schema(example = "synced")]
    pub status: String,
    /// Attempts since the last change or retry.
    pub attempts: i32,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub synced_at: Option<NaiveDateTime>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub updated_at: NaiveDateTime,
}

impl From<&SyncRow> for CrmRecordView {
    fn from(row: &SyncRow) -> Self {
        Self {
            id: row.id.clone(),
            provider: row.provider.clone(),
            kind: row.kind.clone(),
            record_id: row.record_id.clone(),
            lead_id: row.lead_id.clone(),
            external_id: row.external_id.clone(),
            external_type: row.external_type.clone(),
            status: row.status.clone(),
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error.clone(),
            synced_at: row.synced_at,
            updated_at: row.updated_at,
        }
    }
}

#[utoipa::path(
    tag = "crm",
    responses(
        (status = 200, body = CrmOverviewView),
        (status = 403, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/crm")]
pub async fn crm_overview(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageCrm)?;
    let overview = service::overview(&state, 0).await?;
    Ok(HttpResponse::Ok().json(CrmOverviewView {
        provider: overview.provider.to_owned(),
        enabled: state.crm.enabled(),
        backlog: overview.count(SyncStatus::Pending) + overview.count(SyncStatus::Retrying),
        pending: overview.count(SyncStatus::Pending),
        retrying: overview.count(SyncStatus::Retrying),
        synced: overview.count(SyncStatus::Synced),
        parked: overview.count(SyncStatus::Parked),
        owners_pulled_at: overview.owners_pulled_at,
        owners_last_error: overview.owners_last_error,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrmRecordQuery {
    /// Only records in this state.
    #[param(value_type = Option<CrmSyncStatusName>)]
    pub status: Option<String>,
    /// Items per page (default 50).
    #[param(value_type = i64, required = false, minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page; blank for the first.
    #[param(value_type = Option<crate::http::schemas::IdFilter>)]
    pub cursor: Option<String>,
}

#[utoipa::path(
    tag = "crm",
    params(CrmRecordQuery),
    responses(
        (status = 200, description = "Newest first", body = crate::http::Page<CrmRecordView>),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/crm/records")]
pub async fn list_crm_records(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: ApiQuery<CrmRecordQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageCrm)?;
    let query = query.take()?;
    let status = service::parse_status(query.status.as_deref())?;
    let cursor = service::parse_cursor(query.cursor.as_deref())?;
    let limit = PageQuery {
        limit: query.limit,
        cursor: None,
    }
    .limit()?;
    let found = service::records(&state, status, cursor, limit + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        found,
        limit,
        |row| row.id.clone(),
        |row| CrmRecordView::from(row),
    )))
}

#[utoipa::path(
    tag = "crm",
    params(("id" = String, Path, description = "CRM sync record id")),
    responses(
        (status = 202, description = "Due now again, with a fresh set of attempts", body = CrmRecordView),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "No CRM is set up, the record is being pushed right now, or it is already in step", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/crm/records/{id}/retry")]
pub async fn retry_crm_record(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageCrm)?;
    let row = service::retry(&state, &id).await?;
    state.crm.changes_queued();
    Ok(HttpResponse::Accepted().json(CrmRecordView::from(&row)))
}

/// How many owners a pull brought back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnersPulled {
    /// People and company domains with an owner in the CRM.
    pub owners: usize,
}

#[utoipa::path(
    tag = "crm",
    responses(
        (status = 200, body = OwnersPulled),
        (status = 403, body = crate::error::Problem),
        (status = 409, description = "No CRM is set up", body = crate::error::Problem),
        (status = 502, description = "The CRM did not answer as expected", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/crm/owners/refresh")]
pub async fn refresh_crm_owners(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageCrm)?;
    let owners = service::refresh_owners(&state).await?;
    Ok(HttpResponse::Ok().json(OwnersPulled { owners }))
}
