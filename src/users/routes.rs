//! `/api/v1/users` and the admin Users page.

use actix_web::{get, patch, post, web, HttpResponse};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::roles::{Permission, Role};
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::extractors::{
    AdminSession, ApiCaller, ApiJson, ApiQuery, CsrfForm, CsrfProtected, CsrfToken,
};
use crate::http::pages::{render, see_other, Chrome};
use crate::http::{Page, PageQuery};
use crate::state::AppState;
use crate::users::model::{CreateUserRequest, UpdateUserRequest, User, UserView};
use crate::users::{repo, service};
use crate::values::is_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(update_user);
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(users_page).service(create_user_from_form);
}

#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 409, description = "Email already used", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateUserRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageUsers)?;
    let new_user = body.take()?.parse().map_err(AppError::Validation)?;
    let user = service::create_user(&state, new_user, None, caller.0.actor).await?;
    Ok(HttpResponse::Created().json(UserView::from(&user)))
}

#[utoipa::path(
    tag = "users",
    params(PageQuery),
    responses((status = 200, description = "A page of users ordered by email", body = crate::http::Page<UserView>)),
    security(("api_key" = []))
)]
#[get("/api/v1/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewUsers)?;
    let query = query.take()?;
    let limit = query.limit()?;
    let after = query.cursor.clone();
    let users = state
        .db
        .run(move |conn| repo::list(conn, after.as_deref(), limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        users,
        limit,
        |user| user.email.clone(),
        |user| UserView::from(user),
    )))
}

async fn load_user(state: &AppState, id: String) -> Result<User, AppError> {
    if !is_id(&id) {
        return Err(AppError::NotFound("no user with that id".into()));
    }
    state
        .db
        .run(move |conn| repo::find(conn, &id))
        .await?
        .ok_or_else(|| AppError::NotFound("no user with that id".into()))
}

/// Hosts may read and edit their own record; reading others needs `ViewUsers`.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, body = UserView), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require_self_or(&id, Permission::ViewUsers)?;
    let user = load_user(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses(
        (status = 200, body = UserView), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[patch("/api/v1/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<UpdateUserRequest>,
) -> Result<HttpResponse, AppError> {
    caller.0.require_self_or(&id, Permission::ManageUsers)?;
    let changes = body.take()?.parse().map_err(AppError::Validation)?;
    if changes.needs_admin() {
        caller.0.require(Permission::ManageUsers)?;
    }
    let existing = load_user(&state, id.into_inner()).await?;
    let now = state.clock.now();
    let actor = caller.0.actor;
    let user = state
        .db
        .run(move |conn| Ok(repo::update(conn, &existing.id, &changes, &actor, now)))
        .await??;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserView>,
    can_manage: bool,
    roles: [Role; 4],
    form: UserForm,
    errors: FieldErrors,
    created: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct UserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    password: String,
}

impl CsrfProtected for UserForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Debug, Deserialize)]
struct UsersPageQuery {
    created: Option<String>,
}

async fn users_page_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    form: UserForm,
    errors: FieldErrors,
    created: Option<String>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewUsers)?;
    let users = state
        .db
        .run(|conn| repo::list(conn, None, crate::http::MAX_PAGE_SIZE))
        .await?;
    let page = UsersPage {
        chrome: Chrome::new(session, csrf, "/admin/users"),
        users: users.iter().map(UserView::from).collect(),
        can_manage: session.principal.role.allows(Permission::ManageUsers),
        roles: Role::ALL,
        form,
        errors,
        created,
    };
    let status = if page.errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[get("/users")]
async fn users_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    query: web::Query<UsersPageQuery>,
) -> Result<HttpResponse, PageError> {
    let form = UserForm {
        timezone: "UTC".into(),
        role: Role::Host.as_str().into(),
        ..UserForm::default()
    };
    users_page_response(
        &state,
        &session,
        &csrf,
        form,
        FieldErrors::new(),
        query.into_inner().created,
    )
    .await
}

#[post("/users")]
async fn create_user_from_form(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    form: CsrfForm<UserForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageUsers)?;
    let form = form.0;
    let request = CreateUserRequest {
        email: form.email.clone(),
        name: form.name.clone(),
        role: form.role.clone(),
        title: Some(form.title.clone()),
        timezone: Some(form.timezone.clone()),
        working_hours: None,
    };
    let password = (!form.password.is_empty()).then(|| SecretString::from(form.password.clone()));
    let outcome = match request.parse() {
        Ok(new_user) => {
            service::create_user(&state, new_user, password, session.principal.actor.clone())
                .await
                .map_err(AppError::from)
        }
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match outcome {
        Ok(user) => Ok(see_other(&format!(
            "/admin/users?{}",
            serde_urlencoded::to_string([("created", &user.email)]).unwrap_or_default()
        ))),
        Err(AppError::Validation(errors)) => {
            let form = UserForm {
                password: String::new(),
                ..form
            };
            users_page_response(&state, &session, &csrf, form, errors, None).await
        }
        Err(AppError::Conflict(message)) => {
            let form = UserForm {
                password: String::new(),
                ..form
            };
            users_page_response(
                &state,
                &session,
                &csrf,
                form,
                FieldErrors::single("email", message),
                None,
            )
            .await
        }
        Err(other) => Err(PageError(other)),
    }
}
