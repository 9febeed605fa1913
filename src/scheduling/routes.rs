//! `/api/v1/meeting-types`.

use actix_web::{get, patch, post, web, HttpResponse};

use crate::auth::roles::Permission;
use crate::error::AppError;
use crate::http::extractors::ApiCaller;
use crate::http::Page;
use crate::scheduling::meeting_types::{MeetingTypeInput, MeetingTypeView};
use crate::scheduling::{repo, service};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_meeting_type)
        .service(list_meeting_types)
        .service(get_meeting_type)
        .service(update_meeting_type);
}

#[utoipa::path(
    tag = "meeting types",
    request_body = MeetingTypeInput,
    responses(
        (status = 201, body = MeetingTypeView),
        (status = 409, description = "The slug is already used", body = crate::error::Problem),
        (status = 422, description = "Invalid fields or hosts", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/meeting-types")]
pub async fn create_meeting_type(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<MeetingTypeInput>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageMeetingTypes)?;
    let settings = body.parse_new().map_err(AppError::Validation)?;
    let meeting_type = service::create(&state, settings, caller.0.actor).await?;
    Ok(HttpResponse::Created().json(MeetingTypeView::from(&meeting_type)))
}

#[utoipa::path(
    tag = "meeting types",
    responses((status = 200, description = "Every meeting type, by name: {items, next_cursor}")),
    security(("api_key" = []))
)]
#[get("/api/v1/meeting-types")]
pub async fn list_meeting_types(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewMeetingTypes)?;
    let types = state.db.run(repo::list).await?;
    Ok(HttpResponse::Ok().json(Page {
        items: types.iter().map(MeetingTypeView::from).collect::<Vec<_>>(),
        next_cursor: None,
    }))
}

#[utoipa::path(
    tag = "meeting types",
    params(("id" = String, Path, description = "Meeting type id")),
    responses((status = 200, body = MeetingTypeView), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/meeting-types/{id}")]
pub async fn get_meeting_type(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewMeetingTypes)?;
    let meeting_type = service::load(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(MeetingTypeView::from(&meeting_type)))
}

#[utoipa::path(
    tag = "meeting types",
    params(("id" = String, Path, description = "Meeting type id")),
    request_body = MeetingTypeInput,
    responses((status = 200, body = MeetingTypeView), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[patch("/api/v1/meeting-types/{id}")]
pub async fn update_meeting_type(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Json<MeetingTypeInput>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageMeetingTypes)?;
    let existing = service::load(&state, id.into_inner()).await?;
    let settings = body
        .apply_to(existing.settings())
        .map_err(AppError::Validation)?;
    let meeting_type = service::update(&state, existing, settings, caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(MeetingTypeView::from(&meeting_type)))
}
