//! `/api/v1/routers`, `/api/v1/routings`, host weights, and the public `/route/{slug}`.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, put, web, HttpMessage, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use crate::audit::Actor;
use crate::auth::roles::Permission;
use crate::error::AppError;
use crate::http::extractors::{ApiCaller, ApiJson, ApiQuery};
use crate::http::{Page, PageQuery};
use crate::leads::model::{BantInput, LeadInput};
use crate::routing::model::{
    CreateRouter, ExplainedRouteAnswer, HostWeight, ReplayReport, ReplayRequest, RouteAnswer,
    RouteRequest, RouterView, RoutingView, UpdateRouter,
};
use crate::routing::service::{self, Decided, RouterAddress};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_router)
        .service(list_routers)
        .service(get_router)
        .service(update_router)
        .service(delete_router)
        .service(route_with_router)
        .service(replay_router)
        .service(get_routing)
        .service(get_host_weights)
        .service(put_host_weights);
}

pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(route_submission).service(route_preflight);
}

fn view(state: &AppState, router: &crate::routing::model::Router) -> RouterView {
    RouterView::new(router, state.settings.server.public_base())
}

#[utoipa::path(
    tag = "routers",
    request_body = CreateRouter,
    responses(
        (status = 201, body = RouterView),
        (status = 403, body = crate::error::Problem),
        (status = 409, description = "Another router has the slug", body = crate::error::Problem),
        (status = 422, description = "Invalid fields or rules; `errors` names each place, like `rules[1].when.all[0].field`", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/routers")]
pub async fn create_router(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateRouter>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    let router = service::create_router(&state, body.take()?, caller.0.actor).await?;
    Ok(HttpResponse::Created().json(view(&state, &router)))
}

#[utoipa::path(
    tag = "routers",
    params(PageQuery),
    responses(
        (status = 200, description = "By slug", body = crate::http::Page<RouterView>),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/routers")]
pub async fn list_routers(
    state: web::Data<AppState>,
    caller: ApiCaller,
    page: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    let page = page.take()?;
    let limit = page.limit()?;
    let routers = service::list_routers(&state, page.cursor.clone(), limit + 1).await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        routers,
        limit,
        |router| router.slug.clone(),
        |router| view(&state, router),
    )))
}

#[utoipa::path(
    tag = "routers",
    params(("id" = String, Path, description = "Router id")),
    responses((status = 200, body = RouterView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/routers/{id}")]
pub async fn get_router(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    let router = service::find_router(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view(&state, &router)))
}

#[utoipa::path(
    tag = "routers",
    params(("id" = String, Path, description = "Router id")),
    request_body = UpdateRouter,
    responses(
        (status = 200, description = "The router's new version", body = RouterView),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[patch("/api/v1/routers/{id}")]
pub async fn update_router(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<UpdateRouter>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    let router =
        service::update_router(&state, id.into_inner(), body.take()?, caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(view(&state, &router)))
}

#[utoipa::path(
    tag = "routers",
    params(("id" = String, Path, description = "Router id")),
    responses((status = 204, description = "Retired; its decisions stay readable"), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[delete("/api/v1/routers/{id}")]
pub async fn delete_router(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    service::delete_router(&state, id.into_inner(), caller.0.actor).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(super) fn explained(decided: Decided, dry_run: bool) -> ExplainedRouteAnswer {
    ExplainedRouteAnswer {
        dry_run,
        lead_id: decided.lead_id,
        router_version: decided.router_version,
        matched_rule: decided.matched_rule,
        evaluations: decided.evaluations,
        candidates: decided
            .candidates
            .iter()
            .map(|(candidate, chosen)| service::stored_candidate(candidate, *chosen))
            .collect(),
        reason: decided.reason,
        answer: decided.answer,
    }
}

#[utoipa::path(
    tag = "routers",
    params(("id" = String, Path, description = "Router id")),
    request_body = RouteRequest,
    responses(
        (status = 200, description = "The decision with its explanation; with `dry_run` nothing is written", body = ExplainedRouteAnswer),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/routers/{id}/route")]
pub async fn route_with_router(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<RouteRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    let submission = service::parse_submission(body.take()?)?;
    let dry_run = submission.dry_run;
    let decided = service::route(
        &state,
        RouterAddress::Id(id.into_inner()),
        submission,
        caller.0.actor,
    )
    .await?;
    Ok(HttpResponse::Ok().json(explained(decided, dry_run)))
}

#[utoipa::path(
    tag = "routers",
    params(("id" = String, Path, description = "Router id")),
    request_body = ReplayRequest,
    responses(
        (status = 200, description = "The current rules over the leads created in [from, to]; nothing is written", body = ReplayReport),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/routers/{id}/replay")]
pub async fn replay_router(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<ReplayRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    let body = body.take()?;
    let report = service::replay(&state, id.into_inner(), body.from, body.to).await?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(
    tag = "routers",
    params(("id" = String, Path, description = "Routing id")),
    responses((status = 200, body = RoutingView), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/routings/{id}")]
pub async fn get_routing(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageRouters)?;
    let routing = service::find_routing(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(routing))
}

#[utoipa::path(
    tag = "meeting types",
    params(("id" = String, Path, description = "Meeting type id")),
    responses((status = 200, description = "Every host with its weight and priority", body = Vec<HostWeight>), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/meeting-types/{id}/hosts")]
pub async fn get_host_weights(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewMeetingTypes)?;
    let weights = service::host_weights(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(weights))
}

#[utoipa::path(
    tag = "meeting types",
    params(("id" = String, Path, description = "Meeting type id")),
    request_body = Vec<HostWeight>,
    responses(
        (status = 200, description = "Every host with its weight and priority; hosts not sent have the defaults (50, 1)", body = Vec<HostWeight>),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[put("/api/v1/meeting-types/{id}/hosts")]
pub async fn put_host_weights(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<Vec<HostWeight>>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageMeetingTypes)?;
    let weights =
        service::set_host_weights(&state, id.into_inner(), body.take()?, caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(weights))
}

/// A form post as the CSV import names its fields: `bant_*` flags as true/false, attributes as
/// `a_<name>`; other fields of the customer's form are not the lead's and are left out.
pub(super) fn form_submission(body: &[u8]) -> Result<RouteRequest, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::BadRequest("the form is not readable".into()))?;
    let mut request = RouteRequest::default();
    let mut lead = LeadInput::default();
    let mut bant = BantInput::default();
    let mut attributes = Map::new();
    let mut errors = crate::field_errors::FieldErrors::new();
    for (field, value) in pairs {
        let text = (!value.trim().is_empty()).then(|| value.clone());
        match field.as_str() {
            "email" => lead.email = value,
            "name" => lead.name = value,
            "external_id" => lead.external_id = text,
            "company" => lead.company = text,
            "title" => lead.title = text,
            "phone" => lead.phone = text,
            "source" => lead.source = text,
            "campaign" => lead.campaign = text,
            "timezone" => lead.timezone = text,
            "utm_source" => request.utm_source = text,
            "utm_medium" => request.utm_medium = text,
            "utm_campaign" => request.utm_campaign = text,
            "utm_term" => request.utm_term = text,
            "utm_content" => request.utm_content = text,
            "convene_trap" => request.convene_trap = Some(value),
            "bant_timing" => bant.timing = text,
            "bant_budget" | "bant_authority" | "bant_need" => {
                let flag = match value.trim().to_ascii_lowercase().as_str() {
                    "" => None,
                    "true" | "yes" | "1" | "on" => Some(true),
                    "false" | "no" | "0" | "off" => Some(false),
                    _ => {
                        errors.add(field.clone(), "must be true or false");
                        None
                    }
                };
                match field.as_str() {
                    "bant_budget" => bant.budget = flag,
                    "bant_authority" => bant.authority = flag,
                    _ => bant.need = flag,
                }
            }
            other => {
                if let Some(name) = other.strip_prefix("a_").filter(|name| !name.is_empty()) {
                    if let Some(text) = text {
                        attributes.insert(name.to_owned(), Value::String(text));
                    }
                }
            }
        }
    }
    errors.into_result()?;
    if bant.budget.is_some()
        || bant.authority.is_some()
        || bant.need.is_some()
        || bant.timing.is_some()
    {
        lead.bant = Some(bant);
    }
    lead.attributes = (!attributes.is_empty()).then_some(attributes);
    request.lead = lead;
    Ok(request)
}

/// Forms on any site may post here and read the answer; nothing here relies on cookies.
fn open_to_any_origin(mut response: HttpResponse) -> HttpResponse {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

#[utoipa::path(
    tag = "public routing",
    params(("router_slug" = String, Path, description = "Router slug")),
    request_body(content = RouteRequest, description = "JSON as `POST /api/v1/leads` takes a lead (plus UTMs), or a form with the CSV import's field names (`bant_budget`, …, attributes as `a_<name>`)",
        content_type = "application/json"),
    responses(
        (status = 200, description = "The decision", body = RouteAnswer),
        (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem),
        (status = 413, body = crate::error::Problem),
        (status = 415, description = "Neither JSON nor a form", body = crate::error::Problem),
        (status = 422, description = "Invalid lead fields, or a filled `convene_trap`", body = crate::error::Problem),
        (status = 429, body = crate::error::Problem),
    )
)]
#[post("/route/{router_slug}")]
pub async fn route_submission(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let request = match req.content_type() {
        "application/x-www-form-urlencoded" => form_submission(&body)?,
        "application/json" | "" => serde_json::from_slice::<RouteRequest>(&body)
            .map_err(|e| AppError::BadRequest(format!("the body is not a lead as JSON: {e}")))?,
        other => {
            return Err(AppError::UnsupportedMediaType(format!(
                "send JSON or a form, not {other}"
            )))
        }
    };
    let mut submission = service::parse_submission(request)?;
    submission.dry_run = false;
    submission.posted_from(
        req.headers()
            .get(header::REFERER)
            .and_then(|page| page.to_str().ok()),
    );
    let decided = service::route(
        &state,
        RouterAddress::Slug(slug.into_inner()),
        submission,
        Actor::Prospect,
    )
    .await?;
    Ok(open_to_any_origin(HttpResponse::Ok().json(decided.answer)))
}

/// The CORS preflight of a JSON post from another site.
#[actix_web::route("/route/{router_slug}", method = "OPTIONS")]
pub async fn route_preflight() -> HttpResponse {
    open_to_any_origin(
        HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
            .finish(),
    )
}
