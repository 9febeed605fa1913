//! `/api/v1/calendar-connections`, the OAuth callback, and the calendar buttons of a user's
//! admin page.

use actix_web::{delete, get, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::model::{ConnectionView, StartedConnection};
use super::service::{self, CallbackQuery};
use super::Provider;
use crate::auth::Principal;
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::extractors::{AdminSession, ApiCaller, ApiJson, CsrfForm, CsrfProtected};
use crate::http::pages::{render, see_other};
use crate::http::Page;
use crate::state::AppState;
use crate::values::is_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_connection)
        .service(list_connections)
        .service(delete_connection)
        .service(oauth_callback);
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(connect_from_page).service(disconnect_from_page);
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateConnectionRequest {
    #[schema(value_type = crate::http::schemas::Id)]
    pub user_id: String,
    #[schema(value_type = crate::calendars::routes::ProviderName)]
    pub provider: String,
}

fn parse_provider(raw: &str) -> Result<Provider, AppError> {
    raw.trim()
        .parse()
        .map_err(|message: String| AppError::validation("provider", message))
}

fn require_manage(principal: &Principal, user_id: &str) -> Result<(), AppError> {
    if service::may_manage(principal, user_id) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only admins and the user themself manage a user's calendars".into(),
        ))
    }
}

#[utoipa::path(
    tag = "calendars",
    request_body = CreateConnectionRequest,
    responses(
        (status = 201, description = "Pending; send the user to authorization_url", body = StartedConnection),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/calendar-connections")]
pub async fn create_connection(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateConnectionRequest>,
) -> Result<HttpResponse, AppError> {
    // Users manage their own calendars; API keys belong to no user and need the permission.
    if caller.0.user_id.is_none() {
        caller
            .0
            .require(crate::auth::roles::Permission::ManageUsers)?;
    }
    let body = body.take()?;
    let mut errors = FieldErrors::new();
    if !is_id(body.user_id.trim()) {
        errors.add("user_id", "must be a user id");
    }
    let provider = match parse_provider(&body.provider) {
        Ok(provider) => Some(provider),
        Err(_) => {
            errors.add("provider", "must be google or microsoft");
            None
        }
    };
    let (Some(provider), true) = (provider, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let user_id = body.user_id.trim().to_owned();
    require_manage(&caller.0, &user_id)?;
    let started = service::start(&state, user_id, provider, caller.0.actor.clone()).await?;
    Ok(HttpResponse::Created().json(started))
}

#[utoipa::path(
    tag = "calendars",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "Every connection; never tokens", body = crate::http::Page<ConnectionView>), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/users/{id}/calendar-connections")]
pub async fn list_connections(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user_id = id.into_inner();
    caller
        .0
        .require_self_or(&user_id, crate::auth::roles::Permission::ViewUsers)?;
    if !is_id(&user_id) {
        return Err(AppError::NotFound("no user has this id".into()));
    }
    let items = service::list(&state, user_id).await?;
    Ok(HttpResponse::Ok().json(Page::<ConnectionView> {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(
    tag = "calendars",
    params(("id" = String, Path, description = "Connection id")),
    responses((status = 204, description = "Revoked at the provider and deleted"), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[delete("/api/v1/calendar-connections/{id}")]
pub async fn delete_connection(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    if !is_id(&id) {
        return Err(AppError::NotFound(
            "no calendar connection has this id".into(),
        ));
    }
    let connection = service::find(&state, id).await?;
    require_manage(&caller.0, &connection.user_id)?;
    service::disconnect(&state, connection, caller.0.actor.clone()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Template)]
#[template(path = "public/calendar_connected.html")]
struct ConnectedPage {
    title: String,
    message: String,
    ok: bool,
    asset_version: &'static str,
}

/// Where the provider sends the browser back. A page either way, since a person reads it; an
/// unknown, reused or expired state is a 400 and stores nothing.
#[get("/oauth/{provider}/callback")]
pub async fn oauth_callback(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let provider = provider
        .parse::<Provider>()
        .map_err(|_| AppError::NotFound("no such calendar provider".into()))?;
    let outcome = service::complete(&state, provider, query.into_inner())
        .await
        .map_err(AppError::from);
    let (status, page) = match outcome {
        Ok(connection) => (
            actix_web::http::StatusCode::OK,
            ConnectedPage {
                title: format!("{} connected", provider.label()),
                message: format!(
                    "Convene now reads {} for busy times and adds your meetings to it. You can close this page.",
                    connection.account_email.as_deref().unwrap_or("your calendar")
                ),
                ok: true,
                asset_version: crate::http::assets::version(),
            },
        ),
        Err(error) => {
            let status = actix_web::ResponseError::status_code(&error);
            (
                status,
                ConnectedPage {
                    title: format!("{} was not connected", provider.label()),
                    message: error.problem().detail,
                    ok: false,
                    asset_version: crate::http::assets::version(),
                },
            )
        }
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct ConnectForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    provider: String,
}

impl CsrfProtected for ConnectForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// "Connect Google" / "Connect Microsoft" (and "Reconnect"): straight on to the provider.
#[post("/users/{id}/calendars")]
async fn connect_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    form: CsrfForm<ConnectForm>,
) -> Result<HttpResponse, PageError> {
    let user_id = id.into_inner();
    require_manage(&session.principal, &user_id)?;
    if !is_id(&user_id) {
        return Err(AppError::NotFound("no user has this id".into()).into());
    }
    let provider = parse_provider(&form.0.provider)?;
    let started =
        service::start(&state, user_id, provider, session.principal.actor.clone()).await?;
    Ok(see_other(&started.authorization_url))
}

#[derive(Debug, Deserialize)]
struct DisconnectForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for DisconnectForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/users/{id}/calendars/{connection_id}/disconnect")]
async fn disconnect_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<(String, String)>,
    _form: CsrfForm<DisconnectForm>,
) -> Result<HttpResponse, PageError> {
    let (user_id, connection_id) = path.into_inner();
    if !is_id(&connection_id) {
        return Err(AppError::NotFound("no calendar connection has this id".into()).into());
    }
    let connection = service::find(&state, connection_id).await?;
    if connection.user_id != user_id {
        return Err(AppError::NotFound("no calendar connection has this id".into()).into());
    }
    require_manage(&session.principal, &user_id)?;
    let label = connection.provider().label();
    service::disconnect(&state, connection, session.principal.actor.clone()).await?;
    Ok(see_other(&format!(
        "/admin/users/{user_id}?{}",
        serde_urlencoded::to_string([("notice", format!("{label} disconnected."))])
            .unwrap_or_default()
    )))
}

crate::http::schemas::value_schema!(
    /// A calendar provider.
    ProviderName => crate::http::schemas::one_of(crate::calendars::Provider::ALL.map(|p| p.as_str()))
);
