//! `/api/v1/users`, the admin Users page and each user's page (profile, working hours,
//! calendars, sign-in).

use actix_web::{get, patch, post, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::auth::roles::{Permission, Role};
use crate::calendars::model::ConnectionView;
use crate::calendars::Provider;
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::csp::content_security_policy_with_form_targets;
use crate::http::extractors::{
    AdminSession, ApiCaller, ApiJson, ApiQuery, CsrfForm, CsrfProtected, CsrfToken,
};
use crate::http::pages::{render, see_other, Chrome};
use crate::http::{Page, PageQuery};
use crate::state::AppState;
use crate::users::hours_form::{HoursText, DAY_LABELS};
use crate::users::model::{CreateUserRequest, UpdateUserRequest, User, UserView};
use crate::users::zones::{self, ZoneChoice};
use crate::users::{password_pages, repo, service};
use crate::values::is_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(update_user)
        .service(invite_user);
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(users_page)
        .service(create_user_from_form)
        .service(user_page)
        .service(update_user_from_form)
        .service(set_active_from_page)
        .service(invite_from_page)
        .configure(password_pages::configure_admin);
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
    let user = service::update_user(&state, existing.id, changes, caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&user)))
}

/// Where an invitation went and until when its link works.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub user_id: String,
    pub email: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<Utc>,
}

/// Emails the user a single-use link to set their password, valid for 72 hours.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 202, description = "The invitation email is on its way", body = InvitationView),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "The user is deactivated", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/users/{id}/invite")]
pub async fn invite_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageUsers)?;
    let user = load_user(&state, id.into_inner()).await?;
    let expires_at = service::invite(&state, user.id.clone(), caller.0.actor).await?;
    Ok(HttpResponse::Accepted().json(InvitationView {
        user_id: user.id,
        email: user.email,
        expires_at,
    }))
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
    zones: Vec<ZoneChoice>,
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
        zones: zones::choices(state.clock.now()),
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

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserView,
    connections: Vec<ConnectionView>,
    /// Providers this server can connect, with whether the user has a connection there.
    offered: Vec<(Provider, bool)>,
    can_manage_calendars: bool,
    /// The user themselves, or someone who manages users.
    can_edit: bool,
    /// Role, deactivation and invitations.
    can_administer: bool,
    is_self: bool,
    roles: [Role; 4],
    zones: Vec<ZoneChoice>,
    /// The user's zone's offset from UTC now.
    zone_offset: String,
    form: ProfileForm,
    errors: FieldErrors,
    notice: Option<String>,
}

impl UserPage {
    /// Each weekday's key, name and hours line.
    fn days(&self) -> Vec<(&'static str, &'static str, &str)> {
        DAY_LABELS
            .iter()
            .zip(self.form.day_lines())
            .map(|((key, label), line)| (*key, *label, line))
            .collect()
    }

    /// The date overrides, with two empty rows to add more.
    fn date_rows(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self
            .form
            .override_date
            .iter()
            .cloned()
            .zip(self.form.override_hours.iter().cloned())
            .filter(|(date, _)| !date.trim().is_empty())
            .collect();
        rows.extend([
            (String::new(), String::new()),
            (String::new(), String::new()),
        ]);
        rows
    }
}

/// The profile form: the user's fields, weekly hours per day and date overrides.
#[derive(Debug, Default, Deserialize)]
struct ProfileForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    hours_mon: String,
    #[serde(default)]
    hours_tue: String,
    #[serde(default)]
    hours_wed: String,
    #[serde(default)]
    hours_thu: String,
    #[serde(default)]
    hours_fri: String,
    #[serde(default)]
    hours_sat: String,
    #[serde(default)]
    hours_sun: String,
    #[serde(default)]
    override_date: Vec<String>,
    #[serde(default)]
    override_hours: Vec<String>,
}

impl CsrfProtected for ProfileForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl ProfileForm {
    fn of(user: &User) -> Self {
        let hours = HoursText::of(&user.working_hours);
        let [mon, tue, wed, thu, fri, sat, sun] = hours.weekly;
        let (override_date, override_hours) = hours.dates.into_iter().unzip();
        Self {
            csrf_token: String::new(),
            name: user.name.clone(),
            email: user.email.clone(),
            role: user.role.as_str().to_owned(),
            title: user.title.clone().unwrap_or_default(),
            timezone: user.timezone.name().to_owned(),
            hours_mon: mon,
            hours_tue: tue,
            hours_wed: wed,
            hours_thu: thu,
            hours_fri: fri,
            hours_sat: sat,
            hours_sun: sun,
            override_date,
            override_hours,
        }
    }

    fn day_lines(&self) -> [&str; 7] {
        [
            &self.hours_mon,
            &self.hours_tue,
            &self.hours_wed,
            &self.hours_thu,
            &self.hours_fri,
            &self.hours_sat,
            &self.hours_sun,
        ]
    }

    /// The change the form asks for; the email and role only when the editor may change them.
    fn request(&self, administer: bool) -> Result<UpdateUserRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let hours = HoursText {
            weekly: self.day_lines().map(str::to_owned),
            dates: self
                .override_date
                .iter()
                .cloned()
                .zip(self.override_hours.iter().cloned())
                .collect(),
        };
        let working_hours = hours.to_json(&mut errors);
        let request = UpdateUserRequest {
            name: Some(self.name.clone()),
            email: administer.then(|| self.email.clone()),
            role: administer.then(|| self.role.clone()),
            title: Some(self.title.clone()),
            timezone: Some(self.timezone.clone()),
            working_hours: Some(working_hours),
            ..UpdateUserRequest::default()
        };
        if let Err(more) = request.parse() {
            for (field, messages) in more.fields() {
                for message in messages {
                    errors.add(field, message.clone());
                }
            }
        }
        errors.into_result().map(|()| request)
    }
}

#[derive(Debug, Deserialize)]
struct UserPageQuery {
    notice: Option<String>,
}

async fn user_page_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    user: User,
    form: Option<ProfileForm>,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<HttpResponse, PageError> {
    let connections = crate::calendars::service::list(state, user.id.clone()).await?;
    let offered = Provider::ALL
        .into_iter()
        .filter(|provider| state.calendars.configured(*provider))
        .map(|provider| (provider, connections.iter().any(|c| c.provider == provider)))
        .collect();
    let principal = &session.principal;
    let now = state.clock.now();
    let page = UserPage {
        chrome: Chrome::new(session, csrf, "/admin/users"),
        connections,
        offered,
        can_manage_calendars: crate::calendars::service::may_manage(principal, &user.id),
        can_edit: principal.is_user(&user.id) || principal.role.allows(Permission::ManageUsers),
        can_administer: principal.role.allows(Permission::ManageUsers),
        is_self: principal.is_user(&user.id),
        roles: Role::ALL,
        zones: zones::choices(now),
        zone_offset: zones::utc_offset(user.timezone.tz(), now),
        form: form.unwrap_or_else(|| ProfileForm::of(&user)),
        user: UserView::from(&user),
        errors,
        notice,
    };
    let status = if page.errors.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    let policy = content_security_policy_with_form_targets(&state.calendars.authorize_origins());
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

fn user_page_url(id: &str, notice: &str) -> String {
    format!(
        "/admin/users/{id}?{}",
        serde_urlencoded::to_string([("notice", notice)]).unwrap_or_default()
    )
}

#[get("/users/{id}")]
async fn user_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<UserPageQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    session
        .principal
        .require_self_or(&id, Permission::ViewUsers)?;
    let user = load_user(&state, id).await?;
    let notice = query.into_inner().notice;
    user_page_response(
        &state,
        &session,
        &csrf,
        user,
        None,
        FieldErrors::new(),
        notice,
    )
    .await
}

#[post("/users/{id}")]
async fn update_user_from_form(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<ProfileForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    session
        .principal
        .require_self_or(&id, Permission::ManageUsers)?;
    let user = load_user(&state, id).await?;
    let form = form.0;
    let administer = session.principal.role.allows(Permission::ManageUsers);
    let outcome = match form.request(administer).and_then(|r| r.parse()) {
        Ok(changes) => service::update_user(
            &state,
            user.id.clone(),
            changes,
            session.principal.actor.clone(),
        )
        .await
        .map_err(AppError::from),
        Err(errors) => Err(AppError::Validation(errors)),
    };
    let errors = match outcome {
        Ok(saved) => return Ok(see_other(&user_page_url(&saved.id, "Saved."))),
        Err(AppError::Validation(errors)) => errors,
        Err(AppError::Conflict(message)) => FieldErrors::single("email", message),
        Err(other) => return Err(PageError(other)),
    };
    user_page_response(&state, &session, &csrf, user, Some(form), errors, None).await
}

#[derive(Debug, Deserialize)]
struct ActiveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    active: String,
}

impl CsrfProtected for ActiveForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Deactivates or reactivates a user; a deactivated user keeps their history.
#[post("/users/{id}/active")]
async fn set_active_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    form: CsrfForm<ActiveForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageUsers)?;
    let user = load_user(&state, id.into_inner()).await?;
    let active = form.0.active == "true";
    let saved =
        service::set_active(&state, user.id, active, session.principal.actor.clone()).await?;
    let notice = if active {
        format!("{} is active again.", saved.name)
    } else {
        format!(
            "{} is deactivated: they cannot sign in and are not offered as a host.",
            saved.name
        )
    };
    Ok(see_other(&user_page_url(&saved.id, &notice)))
}

#[derive(Debug, Deserialize)]
struct InviteForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for InviteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/users/{id}/invite")]
async fn invite_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    _form: CsrfForm<InviteForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageUsers)?;
    let user = load_user(&state, id.into_inner()).await?;
    service::invite(&state, user.id.clone(), session.principal.actor.clone()).await?;
    let notice = format!(
        "Invitation sent to {}: the link to set a password works once, for 72 hours.",
        user.email
    );
    Ok(see_other(&user_page_url(&user.id, &notice)))
}
