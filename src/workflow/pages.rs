//! The meeting managers' screens: the approval queue (single and bulk decisions), a request's
//! detail page with its audit trail and emails, and the approve/reject links from approval
//! emails, which open a confirm page and never change anything on a GET.

use std::collections::HashMap;

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::audit::{self, Actor, AuditRecord};
use crate::auth::link_keys::{LinkError, LinkPurpose};
use crate::auth::roles::Permission;
use crate::error::{AppError, PageError};
use crate::http::extractors::{AdminSession, CsrfForm, CsrfProtected, CsrfToken};
use crate::http::pages::{render, see_other, Chrome};
use crate::notifications::messages::when_in;
use crate::notifications::outbox::{self, EmailFilter};
use crate::state::AppState;
use crate::users::model::User;
use crate::values::{is_id, TimeZone};
use crate::workflow::queue::{self, age_in_words, QueueItem, SlaStanding};
use crate::workflow::requests::{ApproveRequest, RejectRequest};
use crate::workflow::service;
use crate::workflow::state::RequestStatus;

/// The most requests the queue page shows at once.
const QUEUE_PAGE: i64 = 200;

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(queue_page)
        .service(pending_count)
        .service(approve_from_queue)
        .service(reject_from_queue)
        .service(bulk_decision)
        .service(request_page);
}

pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(decision_page)
        .service(approve_from_email)
        .service(reject_from_email);
}

/// A queue row as the page shows it.
pub struct QueueRow {
    pub id: String,
    pub lead_id: String,
    pub lead_name: String,
    pub company: String,
    pub title: String,
    pub score: u8,
    pub temperature: &'static str,
    pub bant: String,
    pub campaign: String,
    pub meeting_type: String,
    pub hosts: String,
    pub host_ids: Vec<String>,
    /// The held time in the viewer's zone, and in the prospect's.
    pub held_for_viewer: String,
    pub held_for_prospect: String,
    pub notes: String,
    pub age: String,
    pub sla: SlaStanding,
    /// Hosts free at the held time, with whether they hold it now.
    pub host_choices: Vec<(String, String, bool)>,
}

fn names(users: &[User]) -> String {
    users
        .iter()
        .map(|user| match &user.title {
            Some(title) => format!("{} ({title})", user.name),
            None => user.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn bant_summary(item: &QueueItem) -> String {
    let bant = &item.lead.bant;
    let confirmed: Vec<&str> = [
        (bant.budget, "Budget"),
        (bant.authority, "Authority"),
        (bant.need, "Need"),
    ]
    .iter()
    .filter(|(yes, _)| *yes)
    .map(|(_, label)| *label)
    .collect();
    let timing = bant.timing.as_str().replace('_', " ");
    if confirmed.is_empty() {
        format!("timing: {timing}")
    } else {
        format!("{} · timing: {timing}", confirmed.join(", "))
    }
}

impl QueueRow {
    fn new(item: &QueueItem, viewer_zone: TimeZone, now: DateTime<Utc>, sla: Duration) -> Self {
        let age = now - item.request.created_at.and_utc();
        let (held_for_viewer, held_for_prospect) = match &item.held {
            Some(held) => {
                let (start, end) = (held.start_utc.and_utc(), held.end_utc.and_utc());
                let prospect_zone = TimeZone::parse(&held.prospect_timezone).unwrap_or(viewer_zone);
                (
                    when_in(viewer_zone, start, end),
                    when_in(prospect_zone, start, end),
                )
            }
            None => (String::new(), String::new()),
        };
        Self {
            id: item.request.id.clone(),
            lead_id: item.lead.id.clone(),
            lead_name: item.lead.name.clone(),
            company: item.lead.company.clone().unwrap_or_default(),
            title: item.lead.title.clone().unwrap_or_default(),
            score: item.lead.score,
            temperature: item.lead.temperature.as_str(),
            bant: bant_summary(item),
            campaign: [item.lead.campaign.as_deref(), item.lead.source.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            meeting_type: item.meeting_type.name.clone(),
            hosts: names(&item.hosts),
            host_ids: item.request.host_ids.clone(),
            held_for_viewer,
            held_for_prospect,
            notes: item.request.notes.clone().unwrap_or_default(),
            age: age_in_words(age),
            sla: SlaStanding::of(age, sla),
            host_choices: item
                .free_hosts
                .iter()
                .map(|host| {
                    (
                        host.id.clone(),
                        names(std::slice::from_ref(host)),
                        item.request.host_ids.contains(&host.id),
                    )
                })
                .collect(),
        }
    }
}

fn sla(state: &AppState) -> Duration {
    Duration::hours(i64::from(state.settings.workflow.approval_sla_hours))
}

#[derive(Template)]
#[template(path = "admin/approvals.html")]
struct QueuePage {
    chrome: Chrome,
    rows: Vec<QueueRow>,
    pending: i64,
    sla_hours: u32,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct QueueQuery {
    done: Option<String>,
}

async fn queue_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let (items, pending) = state
        .db
        .run(move |conn| {
            Ok((
                queue::pending(conn, now, QUEUE_PAGE)?,
                queue::pending_count(conn)?,
            ))
        })
        .await?;
    let zone = session.user.timezone;
    let sla = sla(state);
    let mut response = render(&QueuePage {
        chrome: Chrome::new(session, csrf, "/admin/approvals"),
        rows: items
            .iter()
            .map(|item| QueueRow::new(item, zone, now, sla))
            .collect(),
        pending,
        sla_hours: state.settings.workflow.approval_sla_hours,
        notice,
        error: error.clone(),
    })?;
    if error.is_some() {
        *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
    }
    Ok(response)
}

#[get("/approvals")]
async fn queue_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, PageError> {
    session
        .principal
        .require(Permission::DecideMeetingRequests)?;
    let notice = query.into_inner().done;
    queue_response(&state, &session, &csrf, notice, None).await
}

#[get("/approvals/count")]
async fn pending_count(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, PageError> {
    session
        .principal
        .require(Permission::DecideMeetingRequests)?;
    let pending = state.db.run(queue::pending_count).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "pending": pending })))
}

#[derive(Deserialize)]
struct ApproveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    host_ids: Vec<String>,
    #[serde(default)]
    note: String,
}

impl CsrfProtected for ApproveForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Deserialize)]
struct RejectForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

impl CsrfProtected for RejectForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// A decision's outcome on a page: the message to show, or the error that keeps it from
/// happening (a conflict, a missing reason) for the person to read.
async fn decided(
    outcome: Result<String, AppError>,
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(done) => Ok(see_other(&format!(
            "/admin/approvals?{}",
            serde_urlencoded::to_string([("done", done)]).unwrap_or_default()
        ))),
        Err(error @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let message = match &error {
                AppError::Validation(fields) => fields.for_people(),
                other => other.to_string(),
            };
            queue_response(state, session, csrf, None, Some(message)).await
        }
        Err(other) => Err(PageError(other)),
    }
}

async fn approve_one(
    state: &AppState,
    id: String,
    hosts: Vec<String>,
    note: String,
    actor: Actor,
) -> Result<String, AppError> {
    let request = service::load(state, id).await?;
    let hosts = (!hosts.is_empty() && hosts != request.host_ids).then_some(hosts);
    let body = ApproveRequest {
        host_ids: hosts,
        note: Some(note).filter(|n| !n.trim().is_empty()),
    };
    let approved = service::approve(state, request, body, actor).await?;
    Ok(format!(
        "Approved: the request is now {}.",
        approved.status.as_str().replace('_', " ")
    ))
}

async fn reject_one(
    state: &AppState,
    id: String,
    reason: String,
    actor: Actor,
) -> Result<String, AppError> {
    let request = service::load(state, id).await?;
    service::reject(
        state,
        request,
        RejectRequest {
            reason: Some(reason),
        },
        actor,
    )
    .await?;
    Ok("Rejected: the prospect has been told and the held time released.".into())
}

#[post("/approvals/{id}/approve")]
async fn approve_from_queue(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<ApproveForm>,
) -> Result<HttpResponse, PageError> {
    session
        .principal
        .require(Permission::DecideMeetingRequests)?;
    let form = form.0;
    let actor = session.principal.actor.clone();
    let outcome = approve_one(&state, id.into_inner(), form.host_ids, form.note, actor).await;
    decided(outcome, &state, &session, &csrf).await
}

#[post("/approvals/{id}/reject")]
async fn reject_from_queue(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<RejectForm>,
) -> Result<HttpResponse, PageError> {
    session
        .principal
        .require(Permission::DecideMeetingRequests)?;
    let actor = session.principal.actor.clone();
    let outcome = reject_one(&state, id.into_inner(), form.0.reason, actor).await;
    decided(outcome, &state, &session, &csrf).await
}

#[derive(Deserialize)]
struct BulkForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    reason: String,
}

impl CsrfProtected for BulkForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Decides every checked request; each is its own transaction, so one that someone else
/// decided meanwhile is reported and does not undo the others.
#[post("/approvals/bulk")]
async fn bulk_decision(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    form: CsrfForm<BulkForm>,
) -> Result<HttpResponse, PageError> {
    session
        .principal
        .require(Permission::DecideMeetingRequests)?;
    let form = form.0;
    let approve = match form.action.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return decided(
                Err(AppError::validation("action", "must be approve or reject")),
                &state,
                &session,
                &csrf,
            )
            .await
        }
    };
    if form.ids.is_empty() {
        let none = AppError::validation("ids", "pick at least one request");
        return decided(Err(none), &state, &session, &csrf).await;
    }
    if !approve && form.reason.trim().is_empty() {
        let none = AppError::validation("reason", "is required: tell the prospects why");
        return decided(Err(none), &state, &session, &csrf).await;
    }
    let (mut done, mut refused) = (0, Vec::new());
    for id in form.ids {
        let actor = session.principal.actor.clone();
        let outcome = if approve {
            approve_one(&state, id, Vec::new(), String::new(), actor).await
        } else {
            reject_one(&state, id, form.reason.clone(), actor).await
        };
        match outcome {
            Ok(_) => done += 1,
            Err(error @ (AppError::Conflict(_) | AppError::NotFound(_))) => {
                refused.push(error.to_string());
            }
            Err(other) => return Err(PageError(other)),
        }
    }
    let verb = if approve { "Approved" } else { "Rejected" };
    let summary = format!("{verb} {done} request{}.", if done == 1 { "" } else { "s" });
    if refused.is_empty() {
        decided(Ok(summary), &state, &session, &csrf).await
    } else {
        let message = format!("{summary} Not decided: {}", refused.join("; "));
        queue_response(&state, &session, &csrf, None, Some(message)).await
    }
}

/// One email as the request page lists it.
struct EmailLine {
    id: String,
    kind: String,
    to: String,
    status: String,
    when: chrono::NaiveDateTime,
}

/// An audit row with its actor in words.
struct TrailLine {
    record: AuditRecord,
    who: String,
}

#[derive(Template)]
#[template(path = "admin/request.html")]
struct RequestPage {
    chrome: Chrome,
    row: QueueRow,
    status: &'static str,
    pending: bool,
    meeting_status: String,
    /// The meeting's page, where its outcome is shown and recorded.
    meeting_id: String,
    audit: Vec<TrailLine>,
    emails: Vec<EmailLine>,
    can_decide: bool,
    can_see_emails: bool,
}

#[get("/requests/{id}")]
async fn request_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let unknown = || PageError(AppError::NotFound("no meeting request with that id".into()));
    if !is_id(&id) {
        return Err(unknown());
    }
    let now = state.clock.now();
    let (item, trail, emails, meeting) = state
        .db
        .run(move |conn| {
            let item = queue::item(conn, &id, now)?;
            let trail = audit::trail(conn, "meeting_request", &id)?;
            let user_names: HashMap<String, String> =
                crate::users::repo::find_all(conn, &audit::user_ids(&trail))?
                    .into_iter()
                    .map(|user| (user.id, user.name))
                    .collect();
            let trail: Vec<TrailLine> = trail
                .into_iter()
                .map(|record| TrailLine {
                    who: audit::describe_actor(&record.actor, &user_names),
                    record,
                })
                .collect();
            let filter = EmailFilter {
                meeting_request_id: Some(id.clone()),
                ..EmailFilter::default()
            };
            let emails = outbox::list(conn, &filter, None, 200)?;
            let meeting = crate::meetings::meeting_of_request(conn, &id)?;
            Ok((item, trail, emails, meeting))
        })
        .await?;
    let item = item.ok_or_else(unknown)?;
    let principal = &session.principal;
    let hosts_it = item.request.host_ids.contains(&session.user.id);
    if !principal.role.allows(Permission::ViewAllMeetingRequests) && !hosts_it {
        return Err(unknown());
    }
    let mut row = QueueRow::new(&item, session.user.timezone, now, sla(&state));
    if let (Some(meeting), true) = (&meeting, row.held_for_viewer.is_empty()) {
        let (start, end) = (meeting.start_utc.and_utc(), meeting.end_utc.and_utc());
        row.held_for_viewer = when_in(session.user.timezone, start, end);
        let zone = TimeZone::parse(&meeting.prospect_timezone).unwrap_or(session.user.timezone);
        row.held_for_prospect = when_in(zone, start, end);
    }
    render(&RequestPage {
        chrome: Chrome::new(&session, &csrf, "/admin/approvals"),
        status: item.request.status.as_str(),
        pending: item.request.status == RequestStatus::PendingApproval,
        meeting_id: meeting.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
        meeting_status: meeting.map(|m| m.status).unwrap_or_default(),
        audit: trail,
        emails: emails
            .iter()
            .map(|email| EmailLine {
                id: email.id.clone(),
                kind: email.kind.replace('_', " "),
                to: email.recipient_email.clone(),
                status: email.status.clone(),
                when: email.sent_at.unwrap_or(email.send_after),
            })
            .collect(),
        can_decide: principal.role.allows(Permission::DecideMeetingRequests),
        can_see_emails: principal.role.allows(Permission::ViewEmails),
        row,
    })
}

/// The request and manager a decision link is for, or a page saying why it does not open.
async fn decision_link(state: &AppState, token: &str) -> Result<(QueueItem, User), PageError> {
    let now = state.clock.now();
    let subject = state
        .link_key
        .verify(LinkPurpose::DecideRequest, token, now)
        .map_err(|error| match error {
            LinkError::Expired => PageError(AppError::Gone(
                "this approval link has expired; open the approval queue instead".into(),
            )),
            LinkError::Invalid => PageError(AppError::NotFound("this link is not valid".into())),
        })?;
    let invalid = || PageError(AppError::NotFound("this link is not valid".into()));
    let (request_id, manager_id) = subject.split_once(':').ok_or_else(invalid)?;
    let (request_id, manager_id) = (request_id.to_owned(), manager_id.to_owned());
    let (item, manager) = state
        .db
        .run(move |conn| {
            Ok((
                queue::item(conn, &request_id, now)?,
                crate::users::repo::find(conn, &manager_id)?,
            ))
        })
        .await?;
    let manager = manager
        .filter(|m| m.active && m.role.allows(Permission::DecideMeetingRequests))
        .ok_or_else(|| {
            PageError(AppError::Forbidden(
                "this link's owner may no longer decide requests".into(),
            ))
        })?;
    Ok((item.ok_or_else(invalid)?, manager))
}

#[derive(Template)]
#[template(path = "public/decision.html")]
struct DecisionPage {
    row: QueueRow,
    token: String,
    csrf_token: String,
    decided: Option<String>,
    asset_version: &'static str,
}

/// The confirm page behind an approval email's link. Looking never decides anything: the
/// decision is a POST from this page, and once made the link only shows the outcome.
#[get("/decide/{token}")]
async fn decision_page(
    state: web::Data<AppState>,
    csrf: CsrfToken,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let (item, manager) = decision_link(&state, &token).await?;
    let decided = (item.request.status != RequestStatus::PendingApproval).then(|| {
        format!(
            "This request has already been decided: it is {}.",
            item.request.status.as_str().replace('_', " ")
        )
    });
    let row = QueueRow::new(&item, manager.timezone, state.clock.now(), sla(&state));
    render(&DecisionPage {
        row,
        token,
        csrf_token: csrf.0.clone(),
        decided,
        asset_version: crate::http::assets::version(),
    })
}

#[derive(Template)]
#[template(path = "public/decided.html")]
struct DecidedPage {
    message: String,
    asset_version: &'static str,
}

fn decided_page(outcome: Result<String, AppError>) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(message) => render(&DecidedPage {
            message,
            asset_version: crate::http::assets::version(),
        }),
        Err(error) => Err(PageError(error)),
    }
}

#[post("/decide/{token}/approve")]
async fn approve_from_email(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<ApproveForm>,
) -> Result<HttpResponse, PageError> {
    let (item, manager) = decision_link(&state, &token.into_inner()).await?;
    let form = form.0;
    let actor = Actor::User(manager.id);
    decided_page(approve_one(&state, item.request.id, form.host_ids, form.note, actor).await)
}

#[post("/decide/{token}/reject")]
async fn reject_from_email(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<RejectForm>,
) -> Result<HttpResponse, PageError> {
    let (item, manager) = decision_link(&state, &token.into_inner()).await?;
    let actor = Actor::User(manager.id);
    decided_page(reject_one(&state, item.request.id, form.0.reason, actor).await)
}
