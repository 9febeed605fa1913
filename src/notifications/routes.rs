//! The outbox for people: `/api/v1/emails` and the admin Emails page (filter, read, retry).

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::{NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Serialize};

use crate::auth::roles::Permission;
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::extractors::{
    AdminSession, ApiCaller, ApiQuery, CsrfForm, CsrfProtected, CsrfToken,
};
use crate::http::pages::{render, see_other, Chrome};
use crate::http::{Page, PageQuery};
use crate::notifications::outbox::{self, EmailFilter, EmailKind, EmailRecord, EmailStatus};
use crate::state::AppState;
use crate::values::is_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_emails)
        .service(get_email)
        .service(retry_email);
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(emails_page)
        .service(email_page)
        .service(retry_from_page);
}

fn utc(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailView {
    pub id: String,
    #[schema(example = "invite")]
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub send_after: String,
    #[schema(example = "pending")]
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub meeting_id: Option<String>,
    pub meeting_request_id: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl From<&EmailRecord> for EmailView {
    fn from(email: &EmailRecord) -> Self {
        Self {
            id: email.id.clone(),
            kind: email.kind.clone(),
            to: email.recipient_email.clone(),
            subject: email.subject.clone(),
            send_after: utc(email.send_after),
            status: email.status.clone(),
            attempts: email.attempts,
            last_error: email.last_error.clone(),
            meeting_id: email.meeting_id.clone(),
            meeting_request_id: email.meeting_request_id.clone(),
            created_at: utc(email.created_at),
            sent_at: email.sent_at.map(utc),
        }
    }
}

/// The bodies, which carry the recipient's private links, are for the admin page only.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmailQuery {
    #[param(value_type = Option<crate::http::schemas::IdFilter>)]
    pub meeting_id: Option<String>,
    #[param(value_type = Option<crate::http::schemas::IdFilter>)]
    pub meeting_request_id: Option<String>,
    #[param(value_type = Option<crate::notifications::routes::EmailKindName>)]
    pub kind: Option<String>,
    #[param(value_type = Option<crate::notifications::routes::EmailStatusName>)]
    pub status: Option<String>,
}

impl EmailQuery {
    fn parse(&self) -> Result<EmailFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let present = |raw: &Option<String>| raw.clone().filter(|v| !v.trim().is_empty());
        let kind = present(&self.kind).and_then(|raw| {
            raw.parse::<EmailKind>()
                .map_err(|m| errors.add("kind", m))
                .ok()
        });
        let status = present(&self.status).and_then(|raw| {
            raw.parse::<EmailStatus>()
                .map_err(|m| errors.add("status", m))
                .ok()
        });
        let meeting_id = present(&self.meeting_id);
        let meeting_request_id = present(&self.meeting_request_id);
        for (field, id) in [
            ("meeting_id", &meeting_id),
            ("meeting_request_id", &meeting_request_id),
        ] {
            if id.as_deref().is_some_and(|id| !is_id(id)) {
                errors.add(field, "is not a known id");
            }
        }
        if errors.is_empty() {
            Ok(EmailFilter {
                meeting_id,
                meeting_request_id,
                kind,
                status,
            })
        } else {
            Err(errors)
        }
    }
}

async fn page_of(
    state: &AppState,
    filter: EmailFilter,
    cursor: Option<String>,
    limit: i64,
) -> Result<Page<EmailView>, AppError> {
    if cursor.as_deref().is_some_and(|c| !is_id(c)) {
        return Err(AppError::validation(
            "cursor",
            "is not a cursor this list gave",
        ));
    }
    let rows = state
        .db
        .run(move |conn| outbox::list(conn, &filter, cursor.as_deref(), limit + 1))
        .await?;
    Ok(Page::from_overfetch(
        rows,
        limit,
        |email| email.id.clone(),
        |email| EmailView::from(email),
    ))
}

#[utoipa::path(
    tag = "emails",
    params(EmailQuery, PageQuery),
    responses((status = 200, description = "Newest first", body = crate::http::Page<EmailView>), (status = 422, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/emails")]
pub async fn list_emails(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: ApiQuery<EmailQuery>,
    page: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewEmails)?;
    let (query, page) = (query.take()?, page.take()?);
    let filter = query.parse().map_err(AppError::Validation)?;
    let limit = page.limit()?;
    let found = page_of(&state, filter, page.cursor.clone(), limit).await?;
    Ok(HttpResponse::Ok().json(found))
}

async fn load(state: &AppState, id: String) -> Result<EmailRecord, AppError> {
    if !is_id(&id) {
        return Err(AppError::NotFound("no email with that id".into()));
    }
    state
        .db
        .run(move |conn| outbox::find(conn, &id))
        .await?
        .ok_or_else(|| AppError::NotFound("no email with that id".into()))
}

#[utoipa::path(
    tag = "emails",
    params(("id" = String, Path, description = "Email id")),
    responses((status = 200, body = EmailView), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/emails/{id}")]
pub async fn get_email(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewEmails)?;
    let email = load(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(EmailView::from(&email)))
}

async fn retry(state: &AppState, id: String) -> Result<EmailRecord, AppError> {
    let email = load(state, id).await?;
    let now = state.clock.now();
    let email_id = email.id.clone();
    let queued = state
        .db
        .run(move |conn| outbox::retry(conn, &email_id, now))
        .await?;
    if !queued {
        return Err(AppError::Conflict(format!(
            "only failed emails can be retried; this one is {}",
            email.status
        )));
    }
    state.changes_committed();
    load(state, email.id).await
}

#[utoipa::path(
    tag = "emails",
    params(("id" = String, Path, description = "Email id")),
    responses((status = 200, description = "Queued again", body = EmailView), (status = 409, description = "Not a failed email", body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[post("/api/v1/emails/{id}/retry")]
pub async fn retry_email(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::RetryEmails)?;
    let email = retry(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(EmailView::from(&email)))
}

#[derive(Template)]
#[template(path = "admin/emails.html")]
struct EmailsPage {
    chrome: Chrome,
    emails: Vec<EmailView>,
    /// Each choice with whether it is the current filter.
    kinds: Vec<(&'static str, bool)>,
    statuses: Vec<(&'static str, bool)>,
    next_page: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EmailsPageQuery {
    kind: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
}

#[get("/emails")]
async fn emails_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    query: web::Query<EmailsPageQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewEmails)?;
    let query = query.into_inner();
    let filter = EmailQuery {
        kind: query.kind.clone(),
        status: query.status.clone(),
        ..EmailQuery::default()
    }
    .parse()
    .map_err(|e| PageError(AppError::Validation(e)))?;
    let limit = crate::http::DEFAULT_PAGE_SIZE;
    let found = page_of(&state, filter, query.cursor.clone(), limit).await?;
    let kind = query.kind.unwrap_or_default();
    let status = query.status.unwrap_or_default();
    let next_page = found.next_cursor.as_ref().map(|cursor| {
        let params = [("kind", &kind), ("status", &status), ("cursor", cursor)];
        format!(
            "/admin/emails?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    });
    render(&EmailsPage {
        chrome: Chrome::new(&session, &csrf, "/admin/emails"),
        emails: found.items,
        kinds: EmailKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.as_str() == kind))
            .collect(),
        statuses: EmailStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.as_str() == status))
            .collect(),
        next_page,
    })
}

#[derive(Template)]
#[template(path = "admin/email.html")]
struct EmailPage {
    chrome: Chrome,
    email: EmailView,
    body_text: String,
    ics: Option<String>,
    can_retry: bool,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
struct EmailPageQuery {
    retried: Option<String>,
}

#[get("/emails/{id}")]
async fn email_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<EmailPageQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewEmails)?;
    let email = load(&state, id.into_inner()).await?;
    render(&EmailPage {
        chrome: Chrome::new(&session, &csrf, "/admin/emails"),
        can_retry: email.status == EmailStatus::Failed.as_str()
            && session.principal.role.allows(Permission::RetryEmails),
        body_text: email.body_text.clone(),
        ics: email.ics.clone(),
        email: EmailView::from(&email),
        notice: query
            .retried
            .as_ref()
            .map(|_| "Queued again: the worker sends it on its next round.".to_owned()),
    })
}

#[derive(Deserialize)]
struct RetryForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for RetryForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/emails/{id}/retry")]
async fn retry_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    _form: CsrfForm<RetryForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::RetryEmails)?;
    let email = retry(&state, id.into_inner()).await?;
    Ok(see_other(&format!("/admin/emails/{}?retried=1", email.id)))
}

crate::http::schemas::value_schema!(
    /// An email kind to filter by.
    EmailKindName => crate::http::schemas::filter_of(crate::notifications::outbox::EmailKind::ALL.map(|k| k.as_str()))
);

crate::http::schemas::value_schema!(
    /// An email status to filter by.
    EmailStatusName => crate::http::schemas::filter_of(crate::notifications::outbox::EmailStatus::ALL.map(|s| s.as_str()))
);
