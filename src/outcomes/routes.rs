//! `PUT /api/v1/meetings/{id}/outcome`, the public survey pages, and the admin meeting page
//! where a host or manager records an outcome.

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::error::{AppError, PageError};
use crate::http::extractors::{
    AdminSession, ApiCaller, ApiJson, CsrfForm, CsrfProtected, CsrfToken, JsonOrForm, PageLanguage,
};
use crate::http::pages::{render, see_other, Chrome};
use crate::i18n::Texts;
use crate::meetings::Managed;
use crate::outcomes::error::SurveyError;
use crate::outcomes::model::{OpportunityInput, OpportunityStage, OutcomeInput, OutcomeView};
use crate::outcomes::service;
use crate::outcomes::surveys::{self, BuyerIntent, OpenSurvey, SurveyAnswer, SurveyAnswerInput};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(record_outcome);
}

pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(survey_page)
        .service(answer_survey)
        .service(outcome_link_form)
        .service(outcome_link_submit);
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(meeting_page).service(record_outcome_from_page);
}

#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "Meeting id")),
    request_body = OutcomeInput,
    responses(
        (status = 200, description = "The recorded outcome with the opportunity's stage history", body = OutcomeView),
        (status = 403, description = "Not a manager, nor a host of this meeting", body = crate::error::Problem),
        (status = 404, body = crate::error::Problem),
        (status = 409, description = "The meeting has not started, or is cancelled or unconfirmed", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[put("/api/v1/meetings/{id}/outcome")]
pub async fn record_outcome(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<OutcomeInput>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::RecordOutcomes)?;
    let outcome = body.take()?.parse().map_err(AppError::Validation)?;
    let managed = service::meeting(&state, id.into_inner()).await?;
    let recorded = service::record(&state, managed, outcome, &caller.0).await?;
    Ok(HttpResponse::Ok().json(recorded))
}

#[derive(Template)]
#[template(path = "public/survey.html")]
struct SurveyPage {
    asset_version: &'static str,
    t: Texts,
    csrf_token: String,
    token: String,
    meeting_name: String,
    meeting_date: String,
    ratings: Vec<(i64, String, bool)>,
    intents: Vec<(&'static str, String, bool)>,
    comments: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "public/survey_message.html")]
struct SurveyMessagePage {
    asset_version: &'static str,
    t: Texts,
    title: String,
    message: String,
}

impl SurveyMessagePage {
    /// A page whose title and text are the catalogue's `{key}-title` and `{key}`.
    fn new(t: Texts, key: &str) -> Self {
        Self {
            asset_version: crate::http::assets::version(),
            t,
            title: t.get(&format!("{key}-title")),
            message: t.get(key),
        }
    }
}

const RATINGS: std::ops::RangeInclusive<i64> = 1..=5;

/// The survey form as a browser posts it.
#[derive(Debug, Default, Deserialize)]
pub struct SurveyForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    buyer_intent: String,
    #[serde(default)]
    comments: String,
}

impl CsrfProtected for SurveyForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn survey_form(
    t: Texts,
    token: String,
    survey: &OpenSurvey,
    csrf: &CsrfToken,
    form: &SurveyForm,
    error: Option<String>,
) -> SurveyPage {
    SurveyPage {
        asset_version: crate::http::assets::version(),
        t,
        csrf_token: csrf.0.clone(),
        token,
        meeting_name: survey.meeting_name.clone(),
        meeting_date: t.format_date_long(&survey.meeting_start),
        ratings: RATINGS
            .map(|value| {
                let label = t.get(&format!("survey-rating-{value}"));
                (value, label, form.rating == value.to_string())
            })
            .collect(),
        intents: BuyerIntent::ALL
            .iter()
            .map(|intent| {
                let label = t.get(&format!("survey-intent-{}", intent.as_str()));
                (intent.as_str(), label, form.buyer_intent == intent.as_str())
            })
            .collect(),
        comments: form.comments.clone(),
        error,
    }
}

/// A survey problem (unknown, expired, answered) as a page a prospect understands.
fn survey_message(t: Texts, error: SurveyError) -> Result<HttpResponse, PageError> {
    let key = match &error {
        SurveyError::UnknownLink => "survey-not-found",
        SurveyError::Expired => "survey-expired",
        SurveyError::Answered => "survey-answered",
        SurveyError::Publish(_) | SurveyError::Store(_) => {
            return Err(PageError(error.into()));
        }
    };
    let page = SurveyMessagePage::new(t, key);
    let status = actix_web::ResponseError::status_code(&AppError::from(error));
    let mut response = render(&page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// The survey page a prospect opens from the email (HTML; not an API for integrations).
#[utoipa::path(
    tag = "public booking",
    params(("token" = String, Path, description = "The survey link's token")),
    responses(
        (status = 200, description = "The form", content_type = "text/html", body = String),
        (status = 404, description = "Unknown or forged token", content_type = "text/html", body = String),
        (status = 409, description = "Already answered", content_type = "text/html", body = String),
        (status = 410, description = "Expired", content_type = "text/html", body = String),
    )
)]
#[get("/survey/{token}")]
pub async fn survey_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
    csrf: CsrfToken,
    language: PageLanguage,
) -> Result<HttpResponse, PageError> {
    let t = language.texts();
    let token = token.into_inner();
    let now = state.clock.now();
    let lookup = token.clone();
    let opened = state
        .db
        .run(move |conn| Ok(surveys::open(conn, &lookup, now)))
        .await?;
    match opened {
        Ok(survey) => render(&survey_form(
            t,
            token,
            &survey,
            &csrf,
            &SurveyForm::default(),
            None,
        )),
        Err(error) => survey_message(t, error),
    }
}

#[utoipa::path(
    tag = "public booking",
    params(("token" = String, Path, description = "The survey link's token")),
    request_body = SurveyAnswerInput,
    responses(
        (status = 201, description = "Answer stored"),
        (status = 404, description = "Unknown or forged token", body = crate::error::Problem),
        (status = 409, description = "Already answered", body = crate::error::Problem),
        (status = 410, description = "Expired", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
#[post("/survey/{token}")]
pub async fn answer_survey(
    state: web::Data<AppState>,
    token: web::Path<String>,
    csrf: CsrfToken,
    language: PageLanguage,
    body: JsonOrForm<SurveyAnswerInput, SurveyForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let t = language.texts();
    let token = token.into_inner();
    let now = state.clock.now();
    let publisher = state.publisher.clone();
    match body {
        JsonOrForm::Json(input) => {
            let answer = SurveyAnswer::parse(
                Some(input.rating),
                &input.buyer_intent,
                input.comments.as_deref(),
            )
            .map_err(AppError::Validation)?;
            state
                .db
                .run(move |conn| Ok(surveys::answer(conn, &publisher, &token, &answer, now)))
                .await
                .map_err(AppError::from)?
                .map_err(AppError::from)?;
            state.changes_committed();
            Ok(HttpResponse::Created().json(serde_json::json!({"status": "answered"})))
        }
        JsonOrForm::Form(form) => {
            let rating = form.rating.trim().parse::<i64>().ok();
            let parsed = SurveyAnswer::parse(rating, &form.buyer_intent, Some(&form.comments));
            let lookup = token.clone();
            let outcome = state
                .db
                .run(move |conn| {
                    Ok(match parsed {
                        Ok(answer) => {
                            surveys::answer(conn, &publisher, &lookup, &answer, now).map(Ok)
                        }
                        Err(errors) => surveys::open(conn, &lookup, now).map(|s| Err((s, errors))),
                    })
                })
                .await
                .map_err(PageError::from)?;
            match outcome {
                Ok(Ok(_)) => {
                    state.changes_committed();
                    let page = SurveyMessagePage::new(t, "survey-thanks");
                    let mut response = render(&page)?;
                    *response.status_mut() = StatusCode::CREATED;
                    Ok(response)
                }
                Ok(Err((survey, errors))) => {
                    // One sentence per field in the prospect's language (`survey-invalid-rating`).
                    let error = errors
                        .fields()
                        .map(|(field, _)| t.get(&format!("survey-invalid-{field}")))
                        .collect::<Vec<_>>()
                        .join(" ");
                    let page = survey_form(t, token, &survey, &csrf, &form, Some(error));
                    let mut response = render(&page)?;
                    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
                    Ok(response)
                }
                Err(error) => Ok(survey_message(t, error)?),
            }
        }
    }
}

#[derive(Template)]
#[template(path = "admin/meeting.html")]
struct MeetingPage {
    chrome: Chrome,
    meeting_id: String,
    meeting_name: String,
    lead_id: String,
    lead_name: String,
    start: chrono::DateTime<chrono::Utc>,
    status: String,
    hosts: String,
    outcome: Option<OutcomeView>,
    /// The meeting in the CRM.
    crm: Option<crate::crm::status::CrmStatus>,
    can_record: bool,
    not_started: bool,
    stages: Vec<(&'static str, bool)>,
    form: OutcomeFormValues,
    notice: Option<String>,
    error: Option<String>,
}

/// What the outcome form shows in its fields.
#[derive(Default)]
struct OutcomeFormValues {
    status: String,
    notes: String,
    next_step: String,
    amount: String,
    currency: String,
    stage: String,
}

#[derive(Debug, Default, Deserialize)]
struct OutcomeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    next_step: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    stage: String,
}

impl CsrfProtected for OutcomeForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl OutcomeForm {
    /// The fields as sent, to show the form again with a refusal.
    fn values(&self) -> OutcomeFormValues {
        OutcomeFormValues {
            status: self.status.clone(),
            notes: self.notes.clone(),
            next_step: self.next_step.clone(),
            amount: self.amount.clone(),
            currency: self.currency.clone(),
            stage: self.stage.clone(),
        }
    }

    /// The JSON body this form stands for: an opportunity only when an amount is filled in.
    fn input(&self) -> OutcomeInput {
        let opportunity = (!self.amount.trim().is_empty()).then(|| OpportunityInput {
            amount: self.amount.clone(),
            currency: self.currency.clone(),
            stage: self.stage.clone(),
        });
        OutcomeInput {
            status: self.status.clone(),
            notes: Some(self.notes.clone()),
            next_step: Some(self.next_step.clone()),
            opportunity,
        }
    }
}

fn form_values(outcome: Option<&OutcomeView>) -> OutcomeFormValues {
    let opportunity = outcome.and_then(|o| o.opportunity.as_ref());
    OutcomeFormValues {
        status: outcome.map(|o| o.status.to_owned()).unwrap_or_default(),
        notes: outcome.and_then(|o| o.notes.clone()).unwrap_or_default(),
        next_step: outcome
            .and_then(|o| o.next_step.clone())
            .unwrap_or_default(),
        amount: opportunity.map(|o| o.amount.clone()).unwrap_or_default(),
        currency: opportunity.map_or_else(|| "EUR".to_owned(), |o| o.currency.clone()),
        stage: opportunity.map(|o| o.stage.clone()).unwrap_or_default(),
    }
}

async fn meeting_page_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    managed: Managed,
    form: Option<OutcomeFormValues>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let outcome = service::outcome_of(state, &managed).await?;
    let meeting_id = managed.meeting.id.clone();
    let crm = state
        .db
        .run(move |conn| crate::crm::status::of_record(conn, "meeting", &meeting_id))
        .await?;
    let form = form.unwrap_or_else(|| form_values(outcome.as_ref()));
    let page = MeetingPage {
        chrome: Chrome::new(session, csrf, "/admin/leads"),
        meeting_id: managed.meeting.id.clone(),
        meeting_name: managed.meeting_type.name.clone(),
        lead_id: managed.lead.id.clone(),
        lead_name: managed.lead.name.clone(),
        start: managed.start(),
        status: managed.meeting.status.replace('_', " "),
        hosts: managed
            .hosts
            .iter()
            .map(|host| host.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        can_record: service::may_record(&session.principal, &managed).is_ok(),
        not_started: managed.start() > state.clock.now(),
        stages: OpportunityStage::ALL
            .iter()
            .map(|stage| (stage.as_str(), form.stage == stage.as_str()))
            .collect(),
        outcome,
        crm,
        form,
        notice,
        error,
    };
    let failed = page.error.is_some();
    let mut response = render(&page)?;
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// Managers and marketers see every meeting; hosts their own.
fn may_view(session: &AdminSession, managed: &Managed) -> Result<(), AppError> {
    let hosts_it = managed
        .hosts
        .iter()
        .any(|host| session.principal.is_user(&host.id));
    if session
        .principal
        .role
        .allows(Permission::ViewAllMeetingRequests)
        || hosts_it
    {
        Ok(())
    } else {
        Err(AppError::NotFound("no meeting with that id".into()))
    }
}

#[derive(Debug, Deserialize)]
struct MeetingPageQuery {
    recorded: Option<String>,
}

#[get("/meetings/{id}")]
async fn meeting_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<MeetingPageQuery>,
) -> Result<HttpResponse, PageError> {
    let managed = service::meeting(&state, id.into_inner()).await?;
    may_view(&session, &managed)?;
    let notice = query
        .into_inner()
        .recorded
        .map(|status| format!("Outcome recorded: {}.", status.replace('_', " ")));
    meeting_page_response(&state, &session, &csrf, managed, None, notice, None).await
}

#[post("/meetings/{id}/outcome")]
async fn record_outcome_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<OutcomeForm>,
) -> Result<HttpResponse, PageError> {
    let managed = service::meeting(&state, id.into_inner()).await?;
    may_view(&session, &managed)?;
    service::may_record(&session.principal, &managed)?;
    let form = form.0;
    let values = form.values();
    let refusal = match form.input().parse() {
        Err(errors) => errors.for_people(),
        Ok(outcome) => {
            let meeting_id = managed.meeting.id.clone();
            match service::record(&state, managed.clone(), outcome, &session.principal)
                .await
                .map_err(AppError::from)
            {
                Ok(recorded) => {
                    return Ok(see_other(&format!(
                        "/admin/meetings/{meeting_id}?recorded={}",
                        recorded.status
                    )))
                }
                Err(error @ AppError::Conflict(_)) => error.to_string(),
                Err(other) => return Err(PageError(other)),
            }
        }
    };
    meeting_page_response(
        &state,
        &session,
        &csrf,
        managed,
        Some(values),
        None,
        Some(refusal),
    )
    .await
}

#[derive(Template)]
#[template(path = "public/outcome.html")]
struct OutcomeLinkPage {
    token: String,
    csrf_token: String,
    meeting_name: String,
    lead_name: String,
    when: String,
    hosts: String,
    stages: Vec<(&'static str, bool)>,
    form: OutcomeFormValues,
    error: Option<String>,
    asset_version: &'static str,
}

#[derive(Template)]
#[template(path = "public/outcome_message.html")]
struct OutcomeMessagePage {
    heading: &'static str,
    message: String,
    ok: bool,
    asset_version: &'static str,
}

fn outcome_message(
    status: StatusCode,
    heading: &'static str,
    message: String,
) -> Result<HttpResponse, PageError> {
    let mut response = render(&OutcomeMessagePage {
        ok: status.is_success(),
        heading,
        message,
        asset_version: crate::http::assets::version(),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// The meeting and host an outcome link is for; the host acts as themself.
async fn outcome_link(
    state: &AppState,
    token: &str,
) -> Result<(Managed, crate::auth::Principal), HttpResponse> {
    use crate::auth::link_keys::{LinkError, LinkPurpose};
    let refused = |status: StatusCode, message: &str| {
        outcome_message(status, "This link does not open", message.to_owned())
            .unwrap_or_else(|_| HttpResponse::build(status).finish())
    };
    let subject = match state
        .link_key
        .verify(LinkPurpose::RecordOutcome, token, state.clock.now())
    {
        Ok(subject) => subject,
        Err(LinkError::Expired) => return Err(refused(
            StatusCode::GONE,
            "This outcome link has expired. Record the outcome from the meeting's page in Convene.",
        )),
        Err(LinkError::Invalid) => {
            return Err(refused(
                StatusCode::NOT_FOUND,
                "This link is not valid; check that it was copied in full.",
            ))
        }
    };
    let invalid = || refused(StatusCode::NOT_FOUND, "This link is not valid.");
    let Some((meeting_id, host_id)) = subject.split_once(':') else {
        return Err(invalid());
    };
    let managed = service::meeting(state, meeting_id.to_owned())
        .await
        .map_err(|_| invalid())?;
    let Some(host) = managed.hosts.iter().find(|h| h.id == host_id && h.active) else {
        return Err(invalid());
    };
    let principal = crate::auth::Principal {
        actor: crate::audit::Actor::User(host.id.clone()),
        role: host.role,
        user_id: Some(host.id.clone()),
    };
    Ok((managed, principal))
}

/// Outcome links are single-use: once something is recorded, later changes belong on the
/// meeting's page in Convene, where the opportunity's history is kept.
async fn already_recorded(state: &AppState, managed: &Managed) -> Result<bool, PageError> {
    let meeting_id = managed.meeting.id.clone();
    let recorded = state
        .db
        .run(move |conn| crate::outcomes::repo::find(conn, &meeting_id))
        .await?;
    Ok(recorded.is_some())
}

fn outcome_link_page(
    token: String,
    csrf: &CsrfToken,
    managed: &Managed,
    form: OutcomeFormValues,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let zone = managed
        .hosts
        .first()
        .map_or_else(|| managed.zone(), |host| host.timezone);
    let failed = error.is_some();
    let mut response = render(&OutcomeLinkPage {
        token,
        csrf_token: csrf.0.clone(),
        meeting_name: managed.meeting_type.name.clone(),
        lead_name: managed.lead.name.clone(),
        when: crate::notifications::messages::when_in(zone, managed.start(), managed.end()),
        hosts: managed
            .hosts
            .iter()
            .map(|host| host.name.clone())
            .collect::<Vec<_>>()
            .join(", "),
        stages: OpportunityStage::ALL
            .iter()
            .map(|stage| (stage.as_str(), form.stage == stage.as_str()))
            .collect(),
        form,
        error,
        asset_version: crate::http::assets::version(),
    })?;
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

#[get("/outcome/{token}")]
async fn outcome_link_form(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let (managed, _) = match outcome_link(&state, &token).await {
        Ok(found) => found,
        Err(refusal) => return Ok(refusal),
    };
    if already_recorded(&state, &managed).await? {
        return outcome_message(
            StatusCode::CONFLICT,
            "Already recorded",
            "An outcome is already recorded for this meeting; change it on the meeting's page in Convene.".into(),
        );
    }
    if managed.start() > state.clock.now() {
        return outcome_message(
            StatusCode::CONFLICT,
            "Not yet",
            "This meeting has not started yet; come back once it has.".into(),
        );
    }
    let form = form_values(None);
    outcome_link_page(token, &csrf, &managed, form, None)
}

#[post("/outcome/{token}")]
async fn outcome_link_submit(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    token: web::Path<String>,
    form: CsrfForm<OutcomeForm>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let (managed, host) = match outcome_link(&state, &token).await {
        Ok(found) => found,
        Err(refusal) => return Ok(refusal),
    };
    if already_recorded(&state, &managed).await? {
        return outcome_message(
            StatusCode::CONFLICT,
            "Already recorded",
            "An outcome is already recorded for this meeting; this link cannot change it.".into(),
        );
    }
    let form = form.0;
    let values = form.values();
    let refusal = match form.input().parse() {
        Err(errors) => errors.for_people(),
        Ok(outcome) => match service::record(&state, managed.clone(), outcome, &host)
            .await
            .map_err(AppError::from)
        {
            Ok(recorded) => {
                return outcome_message(
                    StatusCode::OK,
                    "Thank you",
                    format!(
                        "Recorded: {}. It is in the pipeline reports now.",
                        recorded.status.replace('_', " ")
                    ),
                )
            }
            Err(error @ AppError::Conflict(_)) => error.to_string(),
            Err(other) => return Err(PageError(other)),
        },
    };
    outcome_link_page(token, &csrf, &managed, values, Some(refusal))
}
