//! `/api/v1/meetings`: scheduled meetings for integrations and managers.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::auth::Principal;
use crate::booking::manage;
use crate::booking::routes::{CancelRequest, RescheduleRequest};
use crate::booking::rules::PastMeetings;
use crate::error::AppError;
use crate::field_errors::FieldErrors;
use crate::http::extractors::{ApiCaller, ApiJson, ApiQuery};
use crate::http::{Page, PageQuery};
use crate::meetings::view::{CalendarEventView, MeetingDetail, MeetingView};
use crate::meetings::{Managed, MeetingQuery};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_meetings)
        .service(get_meeting)
        .service(reschedule)
        .service(cancel);
}

/// Fills in each view's calendar events and CRM state, read in one database task.
async fn with_calendar_events(
    state: &AppState,
    mut views: Vec<MeetingView>,
) -> Result<Vec<MeetingView>, AppError> {
    let ids: Vec<String> = views.iter().map(|view| view.id.clone()).collect();
    let (mut events, mut crm) = state
        .db
        .run(move |conn| {
            Ok((
                crate::calendars::repo::events_of_meetings(conn, &ids)?,
                crate::crm::status::of_records(conn, "meeting", &ids)?,
            ))
        })
        .await?;
    for view in &mut views {
        view.crm = crm.remove(&view.id);
        view.calendar_events = events
            .remove(&view.id)
            .unwrap_or_default()
            .into_iter()
            .map(|(provider, external_id)| CalendarEventView {
                provider,
                external_id,
            })
            .collect();
    }
    Ok(views)
}

async fn view_with_events(state: &AppState, managed: &Managed) -> Result<MeetingView, AppError> {
    let mut views = with_calendar_events(state, vec![MeetingView::from(managed)]).await?;
    Ok(views.remove(0))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingFilter {
    /// Meetings ending after this instant.
    #[param(value_type = Option<crate::http::schemas::Instant>)]
    pub from: Option<String>,
    /// Meetings starting before this instant.
    #[param(value_type = Option<crate::http::schemas::Instant>)]
    pub to: Option<String>,
    /// All but held when absent.
    #[param(value_type = Option<crate::http::schemas::MeetingStatusName>)]
    pub status: Option<String>,
    pub host_id: Option<String>,
}

fn instant(field: &str, raw: Option<&str>, errors: &mut FieldErrors) -> Option<DateTime<Utc>> {
    let raw = raw?;
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| errors.add(field, "must be an RFC 3339 time"))
        .ok()
}

/// Hosts see their own meetings; managers and marketers see all.
fn visible_to(caller: &Principal, managed: &Managed) -> bool {
    caller.role.allows(Permission::ViewAllMeetingRequests)
        || caller
            .user_id
            .as_ref()
            .is_some_and(|user| managed.hosts.iter().any(|host| &host.id == user))
}

#[utoipa::path(
    tag = "meetings",
    params(MeetingFilter, PageQuery),
    responses((status = 200, description = "By start", body = crate::http::Page<MeetingView>), (status = 422, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/meetings")]
pub async fn list_meetings(
    state: web::Data<AppState>,
    caller: ApiCaller,
    filter: ApiQuery<MeetingFilter>,
    page: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, page) = (filter.take()?, page.take()?);
    let mut errors = FieldErrors::new();
    let from = instant("from", filter.from.as_deref(), &mut errors);
    let to = instant("to", filter.to.as_deref(), &mut errors);
    let status = filter.status.clone().filter(|s| !s.is_empty());
    if status
        .as_deref()
        .is_some_and(|s| !["held", "scheduled", "cancelled", "completed", "no_show"].contains(&s))
    {
        errors.add(
            "status",
            "must be held, scheduled, cancelled, completed or no_show",
        );
    }
    errors.into_result()?;
    let limit = page.limit()?;
    let query = MeetingQuery {
        from,
        to,
        status,
        host_id: filter.host_id.clone(),
    };
    let found = manage::list(&state, query, crate::http::MAX_PAGE_SIZE.max(limit)).await?;
    let items: Vec<MeetingView> = found
        .iter()
        .filter(|m| visible_to(&caller.0, m))
        .take(limit as usize)
        .map(MeetingView::from)
        .collect();
    let items = with_calendar_events(&state, items).await?;
    Ok(HttpResponse::Ok().json(Page {
        items,
        next_cursor: None,
    }))
}

async fn load_visible(
    state: &AppState,
    caller: &Principal,
    id: String,
) -> Result<Managed, AppError> {
    manage::find_by_id(state, id)
        .await?
        .filter(|managed| visible_to(caller, managed))
        .ok_or_else(|| AppError::NotFound("no meeting with that id".into()))
}

#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "Meeting id")),
    responses((status = 200, body = MeetingDetail), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/meetings/{id}")]
pub async fn get_meeting(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let managed = load_visible(&state, &caller.0, id.into_inner()).await?;
    let now = state.clock.now();
    let detail = state
        .db
        .run(move |conn| MeetingDetail::read(conn, &managed, now))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Only admins change meetings that have started; for everyone else they stay as they were.
fn past_meetings(caller: &Principal) -> PastMeetings {
    if caller.role.allows(Permission::ChangePastMeetings) {
        PastMeetings::Editable
    } else {
        PastMeetings::Locked
    }
}

#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "Meeting id")),
    request_body = RescheduleRequest,
    responses((status = 200, body = MeetingView), (status = 409, description = "Not free, not a scheduled meeting, or already started (only admins change those)", body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[post("/api/v1/meetings/{id}/reschedule")]
pub async fn reschedule(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<RescheduleRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::DecideMeetingRequests)?;
    let body = body.take()?;
    let managed = load_visible(&state, &caller.0, id.into_inner()).await?;
    let start = DateTime::parse_from_rfc3339(body.start.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| AppError::validation("start", "must be an RFC 3339 time with an offset"))?;
    let past = past_meetings(&caller.0);
    let moved = manage::reschedule(&state, managed, start, caller.0.actor, past).await?;
    Ok(HttpResponse::Ok().json(view_with_events(&state, &moved).await?))
}

#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "Meeting id")),
    request_body = CancelRequest,
    responses((status = 200, body = MeetingView), (status = 409, description = "Not scheduled or held, or already started (only admins change those)", body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[post("/api/v1/meetings/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<CancelRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::DecideMeetingRequests)?;
    let reason = body.take_optional()?.and_then(|b| b.reason);
    let managed = load_visible(&state, &caller.0, id.into_inner()).await?;
    let reason = crate::values::optional_multiline_text(reason.as_deref(), 2000)
        .map_err(|m| AppError::validation("reason", m))?;
    let past = past_meetings(&caller.0);
    let cancelled = manage::cancel(&state, managed, reason, caller.0.actor, past).await?;
    Ok(HttpResponse::Ok().json(view_with_events(&state, &cancelled).await?))
}
