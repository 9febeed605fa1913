//! `/api/v1/leads`: intake, import, list and detail.

use actix_web::http::header::CONTENT_LENGTH;
use actix_web::{get, patch, post, web, HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::booking::link_pages::{self, LinkForm, LinkPanel, PanelFor, PanelQuery, PanelState};
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::body_reader::{self, Upload};
use crate::http::extractors::{
    AdminSession, ApiCaller, ApiJson, ApiQuery, CsrfForm, CsrfProtected, CsrfToken,
};
use crate::http::pages::{render, see_other, Chrome};
use crate::http::MAX_PAGE_SIZE;
use crate::http::{Page, PageQuery};
use crate::leads::detail::LeadDetail;
use crate::leads::import::{self, ImportError, ImportSettings, ImportSummary};
use crate::leads::model::{Lead, LeadFilter, LeadInput, LeadView};
use crate::leads::repo::{self, Intake};
use crate::leads::scoring::{ScoreContribution, Stage, Temperature};
use crate::leads::service;
use crate::state::AppState;
use crate::values::is_id;
use crate::workflow;
use crate::workflow::repo::Visibility;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_lead)
        .service(import_leads)
        .service(list_leads)
        .service(get_lead)
        .service(update_lead);
}

#[utoipa::path(
    tag = "leads",
    request_body = LeadInput,
    responses(
        (status = 201, description = "A new lead", body = LeadView),
        (status = 200, description = "The same lead (matched by external_id, else email), updated", body = LeadView),
        (status = 409, description = "external_id and email point at different leads", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/leads")]
pub async fn create_lead(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: ApiJson<LeadInput>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageLeads)?;
    let intake = body.take()?.parse().map_err(AppError::Validation)?;
    let (lead, outcome) = service::intake(&state, intake, caller.0.actor).await?;
    let mut response = match outcome {
        Intake::Created => HttpResponse::Created(),
        Intake::Updated => HttpResponse::Ok(),
    };
    Ok(response.json(with_crm_status(&state, &lead).await?))
}

/// The lead as the API shows it, with where its copy in the CRM stands.
async fn with_crm_status(state: &AppState, lead: &Lead) -> Result<LeadView, AppError> {
    let lead_id = lead.id.clone();
    let crm = state
        .db
        .run(move |conn| crate::crm::status::of_record(conn, "person", &lead_id))
        .await?;
    Ok(LeadView {
        crm,
        ..LeadView::from(lead)
    })
}

#[utoipa::path(
    tag = "leads",
    request_body(content = String, content_type = "text/csv",
        description = "Header row of lead fields (email, name, external_id, company, title, phone, source, campaign, timezone, bant_budget, bant_authority, bant_need, bant_timing); other columns become attributes"),
    responses(
        (status = 200, description = "Counts, and every rejected row with its line and reasons", body = ImportSummary),
        (status = 400, description = "The file is not readable CSV, or the upload broke off", body = crate::error::Problem),
        (status = 413, body = crate::error::Problem), (status = 415, body = crate::error::Problem),
        (status = 422, description = "The header row lacks a required column", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[post("/api/v1/leads/import")]
pub async fn import_leads(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageLeads)?;
    if !matches!(req.content_type(), "text/csv" | "application/csv") {
        return Err(AppError::UnsupportedMediaType(
            "send the file as text/csv".into(),
        ));
    }
    let limit = state.settings.leads.import_max_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    let (body, feed) = body_reader::stream(payload, limit);
    let worker_state = state.clone();
    let actor = caller.0.actor;
    let importing = tokio::spawn(async move {
        let state = worker_state.clone();
        worker_state
            .db
            .run(move |conn| {
                let clock = state.clock.clone();
                let now = move || clock.now();
                let settings = ImportSettings {
                    rules: &state.scoring_rules,
                    actor: &actor,
                    publisher: &state.publisher,
                    batch_size: state.settings.leads.import_batch_size,
                    now: &now,
                };
                Ok(import::import(conn, body, &settings, |_| {}))
            })
            .await
    });
    let upload = feed.await;
    let outcome = importing
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    state.changes_committed();
    match (upload, outcome) {
        (Upload::TooLarge, _) => Err(AppError::PayloadTooLarge { limit }),
        (Upload::Broken, _) => Err(AppError::BadRequest("the upload was interrupted".into())),
        (Upload::Complete, Ok(summary)) => Ok(HttpResponse::Ok().json(summary)),
        (Upload::Complete, Err(error)) => Err(error.into()),
    }
}

impl From<ImportError> for AppError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Malformed(message) => AppError::BadRequest(message),
            ImportError::MissingColumn(column) => AppError::Validation(FieldErrors::single(
                "header",
                format!("needs a `{column}` column"),
            )),
            ImportError::Store(e) => AppError::Store(e),
        }
    }
}

#[utoipa::path(
    tag = "leads",
    params(LeadFilter, PageQuery),
    responses((status = 200, description = "Newest first", body = crate::http::Page<LeadView>)),
    security(("api_key" = []))
)]
#[get("/api/v1/leads")]
pub async fn list_leads(
    state: web::Data<AppState>,
    caller: ApiCaller,
    filter: ApiQuery<LeadFilter>,
    page: ApiQuery<PageQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewLeads)?;
    let (filter, page) = (filter.take()?, page.take()?);
    let query = filter.parse().map_err(AppError::Validation)?;
    let limit = page.limit()?;
    let cursor = page.cursor.clone();
    let (leads, crm) = state
        .db
        .run(move |conn| {
            let leads = repo::list(conn, &query, cursor.as_deref(), limit + 1)?;
            let ids: Vec<String> = leads.iter().map(|lead| lead.id.clone()).collect();
            let crm = crate::crm::status::of_records(conn, "person", &ids)?;
            Ok((leads, crm))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        leads,
        limit,
        repo::encode_cursor,
        |lead| LeadView {
            crm: crm.get(&lead.id).cloned(),
            ..LeadView::from(lead)
        },
    )))
}

pub async fn load_lead(state: &AppState, id: String) -> Result<Lead, AppError> {
    if !is_id(&id) {
        return Err(AppError::NotFound("no lead with that id".into()));
    }
    state
        .db
        .run(move |conn| repo::find(conn, &id))
        .await?
        .ok_or_else(|| AppError::NotFound("no lead with that id".into()))
}

#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    responses((status = 200, body = LeadDetail), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[get("/api/v1/leads/{id:[0-9a-fA-F-]+}")]
pub async fn get_lead(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewLeads)?;
    let lead = load_lead(&state, id.into_inner()).await?;
    let detail = state
        .db
        .run(move |conn| LeadDetail::read(conn, &lead))
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// `PATCH /api/v1/leads/{id}`: who owns the lead (and so its company's account).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UpdateLead {
    /// An active user, or `null` for nobody.
    #[schema(value_type = Option<crate::http::schemas::Id>)]
    pub owner_id: Option<String>,
}

#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    request_body = UpdateLead,
    responses(
        (status = 200, body = LeadView),
        (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 422, description = "The owner is not an active user", body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[patch("/api/v1/leads/{id:[0-9a-fA-F-]+}")]
pub async fn update_lead(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<UpdateLead>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageLeads)?;
    let body = body.take()?;
    let id = id.into_inner();
    if !is_id(&id) {
        return Err(AppError::NotFound("no lead with that id".into()));
    }
    let actor = caller.0.actor;
    let now = state.clock.now();
    let lead = state
        .db
        .run(move |conn| {
            Ok(crate::db::write_transaction(conn, |conn| {
                if let Some(owner) = &body.owner_id {
                    let active = is_id(owner)
                        && crate::users::repo::find_all(conn, std::slice::from_ref(owner))?
                            .iter()
                            .any(|user| user.active);
                    if !active {
                        return Err(AppError::validation("owner_id", "is not an active user"));
                    }
                }
                repo::set_owner(conn, &id, body.owner_id.as_deref(), &actor, now)?
                    .ok_or_else(|| AppError::NotFound("no lead with that id".into()))
            }))
        })
        .await??;
    Ok(HttpResponse::Ok().json(with_crm_status(&state, &lead).await?))
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(leads_page)
        .service(lead_page)
        .service(request_meeting_from_page)
        .service(create_link_from_form);
}

/// One row of the leads table.
struct LeadRowView {
    lead: LeadView,
    bant_summary: String,
}

fn bant_summary(lead: &Lead) -> String {
    let facts: Vec<&str> = [
        (lead.bant.budget, "Budget"),
        (lead.bant.authority, "Authority"),
        (lead.bant.need, "Need"),
    ]
    .iter()
    .filter(|(confirmed, _)| *confirmed)
    .map(|(_, label)| *label)
    .collect();
    let timing = lead.bant.timing.as_str().replace('_', " ");
    if facts.is_empty() {
        format!("timing: {timing}")
    } else {
        format!("{} · timing: {timing}", facts.join(", "))
    }
}

#[derive(Template)]
#[template(path = "admin/leads.html")]
struct LeadsPage {
    chrome: Chrome,
    rows: Vec<LeadRowView>,
    filter: LeadFilter,
    stages: Vec<&'static str>,
    temperatures: Vec<&'static str>,
    campaigns: Vec<String>,
    next_page: Option<String>,
}

#[get("/leads")]
async fn leads_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    filter: web::Query<LeadFilter>,
    page: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewLeads)?;
    let filter = filter.into_inner();
    let query = filter
        .parse()
        .map_err(|e| PageError(AppError::Validation(e)))?;
    let cursor = page.cursor.clone();
    let limit = crate::http::DEFAULT_PAGE_SIZE;
    let (mut leads, campaigns) = state
        .db
        .run(move |conn| {
            Ok((
                repo::list(conn, &query, cursor.as_deref(), limit + 1)?,
                repo::campaigns(conn)?,
            ))
        })
        .await?;
    let next_page = if leads.len() as i64 > limit {
        leads.truncate(limit as usize);
        leads.last().map(|last| {
            let mut params: Vec<(&str, String)> = vec![("cursor", repo::encode_cursor(last))];
            for (key, value) in [
                ("stage", &filter.stage),
                ("temperature", &filter.temperature),
                ("campaign", &filter.campaign),
                ("q", &filter.q),
            ] {
                if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                    params.push((key, value.clone()));
                }
            }
            format!(
                "/admin/leads?{}",
                serde_urlencoded::to_string(params).unwrap_or_default()
            )
        })
    } else {
        None
    };
    render(&LeadsPage {
        chrome: Chrome::new(&session, &csrf, "/admin/leads"),
        rows: leads
            .iter()
            .map(|lead| LeadRowView {
                lead: LeadView::from(lead),
                bant_summary: bant_summary(lead),
            })
            .collect(),
        filter,
        stages: Stage::ALL.iter().map(|s| s.as_str()).collect(),
        temperatures: Temperature::ALL.iter().map(|t| t.as_str()).collect(),
        campaigns,
        next_page,
    })
}

/// A meeting request as the lead page lists it.
struct RequestLine {
    meeting_type: String,
    status: &'static str,
    created_at: String,
    /// The request's meeting, once one is booked: its page records the outcome.
    meeting_id: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/lead.html")]
struct LeadPage {
    chrome: Chrome,
    lead: LeadView,
    bant_summary: String,
    explanation: Vec<ScoreContribution>,
    attributes: Vec<(String, String)>,
    requests: Vec<RequestLine>,
    meeting_types: Vec<(String, String)>,
    can_request: bool,
    notice: Option<String>,
    error: Option<String>,
    /// The booking links made for this lead.
    links: LinkPanel,
}

#[derive(Debug, Deserialize)]
struct LeadPageQuery {
    requested: Option<String>,
}

async fn lead_page_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    lead: Lead,
    notice: Option<String>,
    error: Option<String>,
    links: PanelState,
) -> Result<HttpResponse, PageError> {
    let links = link_pages::panel(state, session, PanelFor::Lead(lead.id.clone()), links).await?;
    let lead_id = lead.id.clone();
    let (requests, types, meetings, crm) = state
        .db
        .run(move |conn| {
            use crate::db::schema::meetings;
            use diesel::prelude::*;
            let requests = workflow::repo::list(
                conn,
                None,
                Some(&lead_id),
                Visibility::All,
                None,
                MAX_PAGE_SIZE,
            )?;
            let request_ids: Vec<&str> = requests.iter().map(|r| r.id.as_str()).collect();
            let meetings: Vec<(String, String)> = meetings::table
                .filter(meetings::meeting_request_id.eq_any(&request_ids))
                .select((meetings::meeting_request_id, meetings::id))
                .load(conn)?;
            let crm = crate::crm::status::of_record(conn, "person", &lead_id)?;
            Ok((
                requests,
                crate::scheduling::repo::list(conn)?,
                meetings,
                crm,
            ))
        })
        .await?;
    let type_name = |id: &str| {
        types
            .iter()
            .find(|t| t.id == id)
            .map_or_else(|| id.to_owned(), |t| t.name.clone())
    };
    let page = LeadPage {
        chrome: Chrome::new(session, csrf, "/admin/leads"),
        bant_summary: bant_summary(&lead),
        explanation: lead.score_explanation.clone(),
        attributes: lead
            .attributes
            .iter()
            .map(|(key, value)| {
                (
                    key.clone(),
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned),
                )
            })
            .collect(),
        requests: requests
            .iter()
            .map(|r| RequestLine {
                meeting_type: type_name(&r.meeting_type_id),
                status: r.status.as_str(),
                created_at: r.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                meeting_id: meetings
                    .iter()
                    .find(|(request_id, _)| request_id == &r.id)
                    .map(|(_, meeting_id)| meeting_id.clone()),
            })
            .collect(),
        meeting_types: types
            .iter()
            .filter(|t| t.active)
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect(),
        can_request: session.principal.role.allows(Permission::RequestMeetings),
        lead: LeadView {
            crm,
            ..LeadView::from(&lead)
        },
        notice,
        error,
        links,
    };
    let failed = page.error.is_some();
    let mut response = render(&page)?;
    if failed {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[get("/leads/{id}")]
async fn lead_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<LeadPageQuery>,
    panel: web::Query<PanelQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewLeads)?;
    let lead = load_lead(&state, id.into_inner()).await?;
    let notice = query
        .into_inner()
        .requested
        .map(|status| format!("Meeting requested: {}.", status.replace('_', " ")));
    let links = panel.into_inner().state();
    lead_page_response(&state, &session, &csrf, lead, notice, None, links).await
}

#[derive(Deserialize)]
struct RequestMeetingForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    meeting_type_id: String,
    #[serde(default)]
    notes: String,
}

impl CsrfProtected for RequestMeetingForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/leads/{id}/meeting-requests")]
async fn request_meeting_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<RequestMeetingForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::RequestMeetings)?;
    let lead = load_lead(&state, id.into_inner()).await?;
    let form = form.0;
    let body = workflow::requests::CreateMeetingRequest {
        lead_id: lead.id.clone(),
        meeting_type_id: form.meeting_type_id,
        host_ids: None,
        notes: Some(form.notes),
        start: None,
        log_past: None,
    };
    match workflow::service::create(&state, body, session.principal.actor.clone(), false)
        .await
        .map_err(AppError::from)
    {
        Ok(request) => Ok(see_other(&format!(
            "/admin/leads/{}?requested={}",
            lead.id,
            request.status.as_str()
        ))),
        Err(error @ (AppError::Validation(_) | AppError::Forbidden(_) | AppError::Conflict(_))) => {
            let message = match &error {
                AppError::Validation(fields) => fields.for_people(),
                other => other.to_string(),
            };
            let links = PanelState::default();
            lead_page_response(&state, &session, &csrf, lead, None, Some(message), links).await
        }
        Err(other) => Err(PageError(other)),
    }
}

/// Creates a booking link for this lead from its page's panel.
#[post("/leads/{id}/links")]
async fn create_link_from_form(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<LinkForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewLeads)?;
    let lead = load_lead(&state, id.into_inner()).await?;
    let form = form.0;
    let meeting_type_id = form.meeting_type_id.clone();
    let lead_id = Some(lead.id.clone());
    match link_pages::create_from_form(&state, &session, meeting_type_id, lead_id, &form).await {
        Ok(_) => Ok(see_other(&link_pages::back_to(
            &format!("/admin/leads/{}", lead.id),
            "links_notice",
            "Link created: copy it, or email it to the lead.",
        ))),
        Err(AppError::Validation(errors)) => {
            let shown = PanelState {
                form,
                errors,
                ..PanelState::default()
            };
            let mut response =
                lead_page_response(&state, &session, &csrf, lead, None, None, shown).await?;
            *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(other) => Err(PageError(other)),
    }
}
