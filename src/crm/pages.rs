//! The admin CRM page: the connection, the backlog, the last errors with a retry button
//! each, and pulling owners now.

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::model::SyncStatus;
use super::repo::SyncRow;
use super::service;
use crate::auth::roles::Permission;
use crate::config::CrmProviderName;
use crate::error::{AppError, PageError};
use crate::http::extractors::{AdminSession, CsrfForm, CsrfProtected, CsrfToken};
use crate::http::pages::{render, see_other, Chrome};
use crate::state::AppState;

/// Failed pushes listed on the page.
const LISTED_FAILURES: i64 = 50;

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(crm_page)
        .service(retry_from_page)
        .service(retry_parked_from_page)
        .service(refresh_owners_from_page);
}

/// A failed push as the page lists it, linked to the Convene record it is about.
struct FailureRow {
    id: String,
    kind: &'static str,
    href: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    updated_at: NaiveDateTime,
}

impl From<&SyncRow> for FailureRow {
    fn from(row: &SyncRow) -> Self {
        let (kind, href) = match row.kind.as_str() {
            "meeting" => ("meeting", format!("/admin/meetings/{}", row.record_id)),
            "deal" => ("outcome", format!("/admin/meetings/{}", row.record_id)),
            "note" => ("survey answer", format!("/admin/leads/{}", row.lead_id)),
            _ => ("lead", format!("/admin/leads/{}", row.record_id)),
        };
        Self {
            id: row.id.clone(),
            kind,
            href,
            status: row.status.clone(),
            attempts: row.attempts,
            last_error: row.last_error.clone(),
            updated_at: row.updated_at,
        }
    }
}

#[derive(Template)]
#[template(path = "admin/crm.html")]
struct CrmPage {
    chrome: Chrome,
    provider: &'static str,
    provider_label: &'static str,
    /// Where the CRM is reached (never a token).
    endpoint: String,
    backlog: i64,
    synced: i64,
    parked_count: i64,
    owners_pulled_at: Option<NaiveDateTime>,
    owners_last_error: Option<String>,
    failures: Vec<FailureRow>,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    notice: Option<String>,
}

/// What a redirect back to the page may say; anything else in the address is ignored.
fn notice_text(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "retried" => "Queued again; the worker pushes it on its next round.",
        "retried-all" => "Every parked push is queued again.",
        "owners" => "Owners pulled from the CRM.",
        _ => return None,
    };
    Some(text.to_owned())
}

#[get("/crm")]
async fn crm_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageCrm)?;
    let overview = service::overview(&state, LISTED_FAILURES)
        .await
        .map_err(|e| PageError(AppError::from(e)))?;
    let settings = &state.settings.crm;
    let (provider_label, endpoint) = match settings.provider {
        CrmProviderName::Off => ("none", String::new()),
        CrmProviderName::Hubspot => ("HubSpot", settings.hubspot.api_base.clone()),
        CrmProviderName::Salesforce => ("Salesforce", settings.salesforce.token_url.clone()),
    };
    render(&CrmPage {
        chrome: Chrome::new(&session, &csrf, "/admin/crm"),
        provider: overview.provider,
        provider_label,
        endpoint,
        backlog: overview.count(SyncStatus::Pending) + overview.count(SyncStatus::Retrying),
        synced: overview.count(SyncStatus::Synced),
        parked_count: overview.count(SyncStatus::Parked),
        owners_pulled_at: overview.owners_pulled_at,
        owners_last_error: overview.owners_last_error.clone(),
        failures: overview.failing.iter().map(FailureRow::from).collect(),
        notice: notice_text(query.notice.as_deref()),
    })
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for ActionForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/crm/records/{id}/retry")]
async fn retry_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    _form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageCrm)?;
    service::retry(&state, &id)
        .await
        .map_err(|e| PageError(AppError::from(e)))?;
    state.crm.changes_queued();
    Ok(see_other("/admin/crm?notice=retried"))
}

#[post("/crm/retry-parked")]
async fn retry_parked_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    _form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageCrm)?;
    service::retry_all_parked(&state)
        .await
        .map_err(|e| PageError(AppError::from(e)))?;
    state.crm.changes_queued();
    Ok(see_other("/admin/crm?notice=retried-all"))
}

#[post("/crm/owners/refresh")]
async fn refresh_owners_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    _form: CsrfForm<ActionForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageCrm)?;
    service::refresh_owners(&state)
        .await
        .map_err(|e| PageError(AppError::from(e)))?;
    Ok(see_other("/admin/crm?notice=owners"))
}
