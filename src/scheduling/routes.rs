//! `/api/v1/meeting-types` and the admin Meeting types pages (with each type's booking links).

use actix_web::{get, patch, post, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::booking::link_pages::{self, LinkForm, LinkPanel, PanelFor, PanelQuery, PanelState};
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::extractors::{
    AdminSession, ApiCaller, ApiJson, CsrfForm, CsrfProtected, CsrfToken,
};
use crate::http::pages::{render, see_other, Chrome};
use crate::http::Page;
use crate::scheduling::error::MeetingTypeError;
use crate::scheduling::meeting_types::{MeetingTypeInput, MeetingTypeSettings, MeetingTypeView};
use crate::scheduling::service::can_host;
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
    body: ApiJson<MeetingTypeInput>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageMeetingTypes)?;
    let settings = body.take()?.parse_new().map_err(AppError::Validation)?;
    let meeting_type = service::create(&state, settings, caller.0.actor).await?;
    Ok(HttpResponse::Created().json(MeetingTypeView::from(&meeting_type)))
}

#[utoipa::path(
    tag = "meeting types",
    responses((status = 200, description = "Every meeting type, by name", body = crate::http::Page<MeetingTypeView>)),
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
    body: ApiJson<MeetingTypeInput>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageMeetingTypes)?;
    let body = body.take()?;
    let existing = service::load(&state, id.into_inner()).await?;
    let settings = body
        .apply_to(existing.settings())
        .map_err(AppError::Validation)?;
    let meeting_type = service::update(&state, existing, settings, caller.0.actor).await?;
    Ok(HttpResponse::Ok().json(MeetingTypeView::from(&meeting_type)))
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(meeting_types_page)
        .service(create_meeting_type_from_form)
        .service(meeting_type_page)
        .service(update_meeting_type_from_form)
        .service(create_link_from_form)
        .configure(link_pages::configure_admin);
}

/// The meeting type form as a browser posts it: numbers as text, checkboxes present or absent.
#[derive(Debug, Default, Deserialize)]
struct MeetingTypeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    duration_minutes: String,
    #[serde(default)]
    host_ids: Vec<String>,
    #[serde(default)]
    host_mode: String,
    #[serde(default)]
    buffer_before_minutes: String,
    #[serde(default)]
    buffer_after_minutes: String,
    #[serde(default)]
    min_notice_minutes: String,
    #[serde(default)]
    max_days_ahead: String,
    #[serde(default)]
    slot_step_minutes: String,
    #[serde(default)]
    max_per_day_per_host: String,
    #[serde(default)]
    round_robin_window_days: String,
    #[serde(default)]
    auto_approve_min_score: String,
    #[serde(default)]
    min_lead_score: String,
    #[serde(default)]
    location: String,
    requires_approval: Option<String>,
    survey: Option<String>,
    active: Option<String>,
}

impl CsrfProtected for MeetingTypeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl MeetingTypeForm {
    fn from_settings(settings: &MeetingTypeSettings) -> Self {
        let optional = |value: Option<i32>| value.map(|v| v.to_string()).unwrap_or_default();
        Self {
            csrf_token: String::new(),
            slug: settings.slug.clone(),
            name: settings.name.clone(),
            duration_minutes: settings.duration_minutes.to_string(),
            host_ids: settings.host_ids.clone(),
            host_mode: settings.host_mode.as_str().to_owned(),
            buffer_before_minutes: settings.buffer_before_minutes.to_string(),
            buffer_after_minutes: settings.buffer_after_minutes.to_string(),
            min_notice_minutes: settings.min_notice_minutes.to_string(),
            max_days_ahead: settings.max_days_ahead.to_string(),
            slot_step_minutes: settings.slot_step_minutes.to_string(),
            max_per_day_per_host: optional(settings.max_per_day_per_host),
            round_robin_window_days: settings.round_robin_window_days.to_string(),
            auto_approve_min_score: optional(settings.auto_approve_min_score),
            min_lead_score: optional(settings.min_lead_score),
            location: settings.location.clone().unwrap_or_default(),
            requires_approval: settings.requires_approval.then(|| "on".into()),
            survey: settings.survey.then(|| "on".into()),
            active: settings.active.then(|| "on".into()),
        }
    }

    fn blank() -> Self {
        Self {
            duration_minutes: "30".into(),
            host_mode: "collective".into(),
            buffer_before_minutes: "0".into(),
            buffer_after_minutes: "0".into(),
            min_notice_minutes: "240".into(),
            max_days_ahead: "60".into(),
            slot_step_minutes: "15".into(),
            round_robin_window_days: "30".into(),
            requires_approval: Some("on".into()),
            active: Some("on".into()),
            ..Self::default()
        }
    }

    /// The API input this form means; numbers that do not parse are field errors.
    fn to_input(&self) -> Result<MeetingTypeInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut number = |field: &str, text: &str| -> Option<i32> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            text.parse()
                .map_err(|_| errors.add(field, "must be a whole number"))
                .ok()
        };
        let input = MeetingTypeInput {
            slug: Some(self.slug.clone()),
            name: Some(self.name.clone()),
            duration_minutes: number("duration_minutes", &self.duration_minutes),
            host_ids: Some(self.host_ids.clone()),
            host_mode: Some(self.host_mode.clone()),
            buffer_before_minutes: number("buffer_before_minutes", &self.buffer_before_minutes),
            buffer_after_minutes: number("buffer_after_minutes", &self.buffer_after_minutes),
            min_notice_minutes: number("min_notice_minutes", &self.min_notice_minutes),
            max_days_ahead: number("max_days_ahead", &self.max_days_ahead),
            slot_step_minutes: number("slot_step_minutes", &self.slot_step_minutes),
            max_per_day_per_host: number("max_per_day_per_host", &self.max_per_day_per_host),
            round_robin_window_days: number(
                "round_robin_window_days",
                &self.round_robin_window_days,
            ),
            auto_approve_min_score: number("auto_approve_min_score", &self.auto_approve_min_score),
            min_lead_score: number("min_lead_score", &self.min_lead_score),
            location: Some(self.location.clone()),
            requires_approval: Some(self.requires_approval.is_some()),
            survey: Some(self.survey.is_some()),
            active: Some(self.active.is_some()),
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }

    /// Clears optional numbers the form left empty (the API treats absent as "keep").
    fn clear_emptied(&self, settings: &mut MeetingTypeSettings) {
        if self.max_per_day_per_host.trim().is_empty() {
            settings.max_per_day_per_host = None;
        }
        if self.auto_approve_min_score.trim().is_empty() {
            settings.auto_approve_min_score = None;
        }
        if self.min_lead_score.trim().is_empty() {
            settings.min_lead_score = None;
        }
    }
}

/// A user that may be picked as a host, and whether the form has them ticked.
struct HostChoice {
    id: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "admin/meeting_types.html")]
struct MeetingTypesPage {
    chrome: Chrome,
    types: Vec<(MeetingTypeView, String)>,
    can_manage: bool,
    editing: Option<String>,
    form: MeetingTypeForm,
    hosts: Vec<HostChoice>,
    errors: FieldErrors,
    /// The booking links of the type being edited.
    links: Option<LinkPanel>,
}

async fn meeting_types_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    editing: Option<String>,
    form: MeetingTypeForm,
    errors: FieldErrors,
    links: PanelState,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewMeetingTypes)?;
    let links = match &editing {
        Some(id) => {
            Some(link_pages::panel(state, session, PanelFor::MeetingType(id.clone()), links).await?)
        }
        None => None,
    };
    let (types, users) = state
        .db
        .run(|conn| {
            Ok((
                repo::list(conn)?,
                crate::users::repo::list(conn, None, crate::http::MAX_PAGE_SIZE)?,
            ))
        })
        .await?;
    let name_of = |id: &String| {
        users
            .iter()
            .find(|u| &u.id == id)
            .map_or_else(|| id.clone(), |u| u.name.clone())
    };
    let hosts = users
        .iter()
        .filter(|u| u.active && can_host(u.role))
        .map(|u| HostChoice {
            id: u.id.clone(),
            label: format!(
                "{} ({})",
                u.name,
                u.title.clone().unwrap_or_else(|| u.role.label().to_owned())
            ),
            checked: form.host_ids.contains(&u.id),
        })
        .collect();
    let page = MeetingTypesPage {
        chrome: Chrome::new(session, csrf, "/admin/meeting-types"),
        types: types
            .iter()
            .map(|t| {
                (
                    MeetingTypeView::from(t),
                    t.host_ids
                        .iter()
                        .map(name_of)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect(),
        can_manage: session
            .principal
            .role
            .allows(Permission::ManageMeetingTypes),
        editing,
        form,
        hosts,
        errors,
        links,
    };
    let failed = !page.errors.is_empty();
    let mut response = render(&page)?;
    if failed {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[get("/meeting-types")]
async fn meeting_types_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    meeting_types_response(
        &state,
        &session,
        &csrf,
        None,
        MeetingTypeForm::blank(),
        FieldErrors::new(),
        PanelState::default(),
    )
    .await
}

#[get("/meeting-types/{id}")]
async fn meeting_type_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<PanelQuery>,
) -> Result<HttpResponse, PageError> {
    let existing = service::load(&state, id.into_inner()).await?;
    let form = MeetingTypeForm::from_settings(&existing.settings());
    meeting_types_response(
        &state,
        &session,
        &csrf,
        Some(existing.id),
        form,
        FieldErrors::new(),
        query.into_inner().state(),
    )
    .await
}

/// Creates a booking link to this meeting type from its page's panel.
#[post("/meeting-types/{id}/links")]
async fn create_link_from_form(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<LinkForm>,
) -> Result<HttpResponse, PageError> {
    let existing = service::load(&state, id.into_inner()).await?;
    let form = form.0;
    let created =
        link_pages::create_from_form(&state, &session, existing.id.clone(), None, &form).await;
    match created {
        Ok(_) => Ok(see_other(&link_pages::back_to(
            &format!("/admin/meeting-types/{}", existing.id),
            "links_notice",
            "Link created: copy it and share it.",
        ))),
        Err(AppError::Validation(errors)) => {
            let type_form = MeetingTypeForm::from_settings(&existing.settings());
            let shown = PanelState {
                form,
                errors,
                ..PanelState::default()
            };
            let mut response = meeting_types_response(
                &state,
                &session,
                &csrf,
                Some(existing.id),
                type_form,
                FieldErrors::new(),
                shown,
            )
            .await?;
            *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(PageError(other)),
    }
}

/// A refusal the form can show beside its fields; anything else is an error page.
fn conflict_as_field(error: MeetingTypeError) -> Result<FieldErrors, PageError> {
    match error {
        MeetingTypeError::Invalid(errors) => Ok(errors),
        MeetingTypeError::SlugTaken(_) => Ok(FieldErrors::single("slug", error.to_string())),
        other => Err(other.into()),
    }
}

#[post("/meeting-types")]
async fn create_meeting_type_from_form(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    form: CsrfForm<MeetingTypeForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageMeetingTypes)?;
    let form = form.0;
    let saved = match form.to_input().and_then(|input| input.parse_new()) {
        Err(errors) => Err(errors),
        Ok(mut settings) => {
            form.clear_emptied(&mut settings);
            match service::create(&state, settings, session.principal.actor.clone()).await {
                Ok(_) => Ok(()),
                Err(error) => Err(conflict_as_field(error)?),
            }
        }
    };
    match saved {
        Ok(()) => Ok(see_other("/admin/meeting-types")),
        Err(errors) => {
            let links = PanelState::default();
            meeting_types_response(&state, &session, &csrf, None, form, errors, links).await
        }
    }
}

#[post("/meeting-types/{id}")]
async fn update_meeting_type_from_form(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<MeetingTypeForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageMeetingTypes)?;
    let existing = service::load(&state, id.into_inner()).await?;
    let form = form.0;
    let existing_id = existing.id.clone();
    let saved = match form
        .to_input()
        .and_then(|input| input.apply_to(existing.settings()))
    {
        Err(errors) => Err(errors),
        Ok(mut settings) => {
            form.clear_emptied(&mut settings);
            match service::update(&state, existing, settings, session.principal.actor.clone()).await
            {
                Ok(_) => Ok(()),
                Err(error) => Err(conflict_as_field(error)?),
            }
        }
    };
    match saved {
        Ok(()) => Ok(see_other("/admin/meeting-types")),
        Err(errors) => {
            let editing = Some(existing_id);
            let links = PanelState::default();
            meeting_types_response(&state, &session, &csrf, editing, form, errors, links).await
        }
    }
}
