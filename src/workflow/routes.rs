//! `/api/v1/meeting-requests`: the MQM workflow over HTTP.

use actix_web::{get, post, web, HttpResponse};

use crate::auth::roles::Permission;
use crate::auth::Principal;
use crate::booking::service::{slot_times, SlotView, SlotsQuery, SlotsView};
use crate::error::AppError;
use crate::http::extractors::{ApiCaller, ApiJson, ApiQuery};
use crate::http::{Page, PageQuery};
use crate::meetings::view::MeetingView;
use crate::state::AppState;
use crate::workflow::repo::{self, Visibility};
use crate::workflow::requests::{
    ApproveRequest, CreateMeetingRequest, MeetingRequest, MeetingRequestDetail, MeetingRequestView,
    RejectRequest, RequestFilter,
};
use crate::workflow::service;
use crate::workflow::state::RequestStatus;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_request)
        .service(list_requests)
        .service(get_request)
        .service(approve_request)
        .service(reject_request)
        .service(request_slots)
        .service(schedule_request);
}

/// Hosts see the requests they host; the other roles that may read requests see them all.
fn may_see(caller: &Principal, request: &MeetingRequest) -> Result<(), AppError> {
    let hosts_it = caller
        .user_id
        .as_ref()
        .is_some_and(|user| request.host_ids.contains(user));
    if hosts_it || caller.role.allows(Permission::ViewAllMeetingRequests) {
        Ok(())
    } else {
        Err(AppError::NotFound("no meeting request with that id".into()))
    }
}

#[utoipa::path(
    tag = "meeting requests",
    request_body = CreateMeetingRequest,
    responses(
        (status = 201, description = "Created and routed: pending_approval or approved", body = MeetingRequestView),
        (status = 403, description = "The lead's score is under the type's min_lead_score, or the role may not request", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/meeting-requests")]
pub async fn create_request(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateMeetingRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::RequestMeetings)?;
    let body = body.take()?;
    let may_log_past = caller.0.role.allows(Permission::DecideMeetingRequests);
    let request = service::create(&state, body, caller.0.actor, may_log_past).await?;
    Ok(HttpResponse::Created().json(MeetingRequestView::from(&request)))
}

#[utoipa::path(
    tag = "meeting requests",
    params(RequestFilter, PageQuery),
    responses((status = 200, description = "Oldest first", body = crate::http::Page<MeetingRequestView>)),
    security(("api_key" = []))
)]
#[get("/api/v1/meeting-requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: ApiCaller,
    filter: ApiQuery<RequestFilter>,
    page: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (filter, page) = (filter.take()?, page.take()?);
    let status = match filter
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(raw) => Some(
            raw.parse::<RequestStatus>()
                .map_err(|e| AppError::validation("status", e.to_string()))?,
        ),
    };
    let limit = page.limit()?;
    let cursor = page.cursor.clone();
    let principal = caller.0;
    let sees_all = principal.role.allows(Permission::ViewAllMeetingRequests);
    let requests = state
        .db
        .run(move |conn| {
            let visibility = match (sees_all, principal.user_id.as_deref()) {
                (true, _) => Visibility::All,
                (false, Some(user)) => Visibility::HostedBy(user),
                (false, None) => return Ok(Vec::new()),
            };
            repo::list(conn, status, None, visibility, cursor.as_deref(), limit + 1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        requests,
        limit,
        repo::encode_cursor,
        |request| MeetingRequestView::from(request),
    )))
}

#[utoipa::path(
    tag = "meeting requests",
    params(("id" = String, Path, description = "Meeting request id")),
    responses((status = 200, description = "The request with its audit trail", body = MeetingRequestDetail), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/meeting-requests/{id}")]
pub async fn get_request(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let request = service::load(&state, id.into_inner()).await?;
    may_see(&caller.0, &request)?;
    let request_id = request.id.clone();
    let audit = state
        .db
        .run(move |conn| crate::audit::trail(conn, "meeting_request", &request_id))
        .await?;
    Ok(HttpResponse::Ok().json(MeetingRequestDetail {
        request: MeetingRequestView::from(&request),
        audit,
    }))
}

#[utoipa::path(
    tag = "meeting requests",
    params(("id" = String, Path, description = "Meeting request id")),
    request_body = ApproveRequest,
    responses(
        (status = 200, body = MeetingRequestView),
        (status = 409, description = "Not pending approval, or decided by someone else first", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/meeting-requests/{id}/approve")]
pub async fn approve_request(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<ApproveRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::DecideMeetingRequests)?;
    let body = body.take_optional()?.unwrap_or_default();
    let request = service::load(&state, id.into_inner()).await?;
    let request = service::approve(&state, request, body, caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(MeetingRequestView::from(&request)))
}

#[utoipa::path(
    tag = "meeting requests",
    params(("id" = String, Path, description = "Meeting request id")),
    request_body = RejectRequest,
    responses(
        (status = 200, body = MeetingRequestView),
        (status = 409, body = crate::error::Problem),
        (status = 422, description = "No reason given", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/meeting-requests/{id}/reject")]
pub async fn reject_request(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<RejectRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::DecideMeetingRequests)?;
    let body = body.take()?;
    let request = service::load(&state, id.into_inner()).await?;
    let request = service::reject(&state, request, body, caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(MeetingRequestView::from(&request)))
}

#[utoipa::path(
    tag = "meeting requests",
    params(("id" = String, Path, description = "Meeting request id"), SlotsQuery),
    responses(
        (status = 200, description = "The times the request's hosts can meet, as the public slots", body = SlotsView),
        (status = 404, body = crate::error::Problem),
        (status = 422, description = "Bad dates or time zone, or more than 62 days", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/meeting-requests/{id}/slots")]
pub async fn request_slots(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    query: ApiQuery<SlotsQuery>,
) -> Result<HttpResponse, AppError> {
    let request = service::load(&state, id.into_inner()).await?;
    may_see(&caller.0, &request)?;
    let window = query
        .take()?
        .parse(state.clock.now().date_naive())
        .map_err(AppError::Validation)?;
    let meeting_type =
        crate::scheduling::service::load(&state, request.meeting_type_id.clone()).await?;
    let own_type = service::type_for_request(&meeting_type, &request);
    let offered = slot_times(&state, own_type, window.window, None).await?;
    Ok(HttpResponse::Ok().json(SlotsView {
        timezone: window.zone.name().to_owned(),
        duration_minutes: meeting_type.duration_minutes,
        slots: offered
            .times
            .into_iter()
            .map(|(start, end)| SlotView::new(start, end, window.zone))
            .collect(),
        degraded_hosts: offered.degraded_hosts,
        partial: offered.partial,
    }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ScheduleRequest {
    /// One of the request's slots.
    #[schema(value_type = crate::http::schemas::Instant)]
    pub start: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ScheduledView {
    #[schema(example = "scheduled")]
    pub status: &'static str,
    pub meeting: MeetingView,
}

#[utoipa::path(
    tag = "meeting requests",
    params(("id" = String, Path, description = "Meeting request id")),
    request_body = ScheduleRequest,
    responses(
        (status = 200, body = ScheduledView),
        (status = 409, description = "Not approved, already has a meeting, or the time is not free", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/meeting-requests/{id}/schedule")]
pub async fn schedule_request(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<ScheduleRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::RequestMeetings)?;
    let body = body.take()?;
    let start = chrono::DateTime::parse_from_rfc3339(body.start.trim())
        .map(|at| at.with_timezone(&chrono::Utc))
        .map_err(|_| AppError::validation("start", "must be an RFC 3339 time with an offset"))?;
    let request = service::load(&state, id.into_inner()).await?;
    let meeting_id = service::schedule(&state, request, start, caller.0.actor).await?;
    let meeting = crate::booking::manage::find_by_id(&state, meeting_id)
        .await?
        .ok_or_else(|| AppError::NotFound("no meeting with that id".into()))?;
    Ok(HttpResponse::Ok().json(ScheduledView {
        status: "scheduled",
        meeting: MeetingView::from(&meeting),
    }))
}
