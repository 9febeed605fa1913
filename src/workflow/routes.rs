//! `/api/v1/meeting-requests`: the MQM workflow over HTTP.

use actix_web::{get, post, web, HttpResponse};

use crate::auth::roles::Permission;
use crate::auth::Principal;
use crate::error::AppError;
use crate::http::extractors::ApiCaller;
use crate::http::{Page, PageQuery};
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
        .service(reject_request);
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
    body: web::Json<CreateMeetingRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::RequestMeetings)?;
    let may_log_past = caller.0.role.allows(Permission::DecideMeetingRequests);
    let request = service::create(&state, body.into_inner(), caller.0.actor, may_log_past).await?;
    Ok(HttpResponse::Created().json(MeetingRequestView::from(&request)))
}

#[utoipa::path(
    tag = "meeting requests",
    params(RequestFilter, PageQuery),
    responses((status = 200, description = "Oldest first: {items, next_cursor}")),
    security(("api_key" = []))
)]
#[get("/api/v1/meeting-requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: ApiCaller,
    filter: web::Query<RequestFilter>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
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
    body: Option<web::Json<ApproveRequest>>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::DecideMeetingRequests)?;
    let request = service::load(&state, id.into_inner()).await?;
    let body = body.map(web::Json::into_inner).unwrap_or_default();
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
    body: web::Json<RejectRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::DecideMeetingRequests)?;
    let request = service::load(&state, id.into_inner()).await?;
    let request = service::reject(&state, request, body.into_inner(), caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(MeetingRequestView::from(&request)))
}
