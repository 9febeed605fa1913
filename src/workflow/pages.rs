//! The meeting managers' screens: the approval queue (single and bulk decisions), a request's
//! detail page with its audit trail and emails, and the approve/reject links from approval
//! emails, which open a confirm page and never change anything on a GET.

use std::collections::HashMap;

use actix_web::{get, post, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

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
use crate::workflow::queue::{self, age_in_words, QueueFilter, QueueItem, QueueOrder, SlaStanding};
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
    /// The row after this one in the queue, where the page returns after a decision.
    pub next_id: String,
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
            next_id: String::new(),
        }
    }
}

/// A request in a notice: `Jane Doe — Intro call, Tue 8 Dec 10:00 CET`.
fn describe(item: &QueueItem, zone: TimeZone) -> String {
    let what = format!("{} — {}", item.lead.name, item.meeting_type.name);
    match &item.held {
        Some(held) => format!(
            "{what}, {}",
            held.start_utc
                .and_utc()
                .with_timezone(&zone.tz())
                .format("%a %-d %b %H:%M %Z")
        ),
        None => what,
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
    /// Every pending request, and those the filters let through.
    pending: i64,
    matching: i64,
    /// More match than the page lists.
    truncated: bool,
    sla_hours: u32,
    view: QueueView,
    /// The view as a query string, carried by every decision so the page comes back to it.
    view_query: String,
    meeting_types: Vec<(String, String)>,
    hosts: Vec<(String, String)>,
    campaigns: Vec<String>,
    orders: [QueueOrder; 3],
    notice: Option<String>,
    error: Option<String>,
}

/// The queue's filters and order, as GET parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct QueueView {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    meeting_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    host: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    campaign: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    overdue: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    sort: String,
}

impl QueueView {
    /// The view a decision form carried back; anything unreadable is the plain queue.
    fn carried(query: &str) -> Self {
        serde_urlencoded::from_str(query).unwrap_or_default()
    }

    fn filter(&self) -> QueueFilter {
        let id = |raw: &str| Some(raw.to_owned()).filter(|id| is_id(id));
        QueueFilter {
            meeting_type_id: id(&self.meeting_type),
            host_id: id(&self.host),
            campaign: Some(self.campaign.trim().to_owned()).filter(|c| !c.is_empty()),
            overdue_only: !self.overdue.is_empty(),
            order: QueueOrder::parse(&self.sort).unwrap_or_default(),
        }
    }

    fn order(&self) -> QueueOrder {
        QueueOrder::parse(&self.sort).unwrap_or_default()
    }

    fn query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// The queue in this view, with `done` as its notice, scrolled to request `anchor`.
    fn url(&self, done: Option<&str>, anchor: Option<&str>) -> String {
        let mut query = self.query();
        if let Some(done) = done {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&serde_urlencoded::to_string([("done", done)]).unwrap_or_default());
        }
        let mut url = "/admin/approvals".to_owned();
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        if let Some(id) = anchor.filter(|id| is_id(id)) {
            url.push_str("#request-");
            url.push_str(id);
        }
        url
    }
}

#[derive(Debug, Deserialize)]
struct QueueQuery {
    #[serde(flatten)]
    view: QueueView,
    done: Option<String>,
}

async fn queue_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    view: QueueView,
    notice: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let sla = sla(state);
    let filter = view.filter();
    let (items, matching, pending, meeting_types, hosts, campaigns) = state
        .db
        .run(move |conn| {
            let (items, matching) = queue::pending_matching(conn, &filter, sla, now, QUEUE_PAGE)?;
            let meeting_types: Vec<(String, String)> = crate::scheduling::repo::list(conn)?
                .into_iter()
                .map(|meeting_type| (meeting_type.id, meeting_type.name))
                .collect();
            let mut hosts: Vec<(String, String)> = crate::users::repo::list(conn, None, 500)?
                .into_iter()
                .filter(|user| crate::scheduling::service::can_host(user.role))
                .map(|user| (user.id, user.name))
                .collect();
            hosts.sort_by(|a, b| a.1.cmp(&b.1));
            Ok((
                items,
                matching,
                queue::pending_count(conn)?,
                meeting_types,
                hosts,
                queue::pending_campaigns(conn)?,
            ))
        })
        .await?;
    let mut campaigns = campaigns;
    let chosen = view.campaign.trim();
    // A campaign whose last request was just decided stays chosen, so the view is the same.
    if !chosen.is_empty() && !campaigns.iter().any(|campaign| campaign == chosen) {
        campaigns.push(chosen.to_owned());
        campaigns.sort();
    }
    let zone = session.user.timezone;
    let mut rows: Vec<QueueRow> = items
        .iter()
        .map(|item| QueueRow::new(item, zone, now, sla))
        .collect();
    let following: Vec<String> = rows.iter().skip(1).map(|row| row.id.clone()).collect();
    for (row, next) in rows.iter_mut().zip(following) {
        row.next_id = next;
    }
    let mut response = render(&QueuePage {
        chrome: Chrome::new(session, csrf, "/admin/approvals"),
        rows,
        pending,
        truncated: matching > QUEUE_PAGE,
        matching,
        sla_hours: state.settings.workflow.approval_sla_hours,
        view_query: view.query(),
        view,
        meeting_types,
        hosts,
        campaigns,
        orders: QueueOrder::ALL,
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
    let QueueQuery { view, done } = query.into_inner();
    queue_response(&state, &session, &csrf, view, done, None).await
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
    /// The queue view to return to, and the request to scroll to.
    #[serde(default)]
    view: String,
    #[serde(default)]
    next: String,
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
    #[serde(default)]
    view: String,
    #[serde(default)]
    next: String,
}

impl CsrfProtected for RejectForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// A decision's outcome on a page: back to the queue as it was, with the message, or the
/// queue with the error that kept it from happening (a conflict, a missing reason).
async fn decided(
    outcome: Result<String, AppError>,
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    view: QueueView,
    next: &str,
) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(done) => Ok(see_other(&view.url(Some(&done), Some(next)))),
        Err(error @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let message = match &error {
                AppError::Validation(fields) => fields.for_people(),
                other => other.to_string(),
            };
            queue_response(state, session, csrf, view, None, Some(message)).await
        }
        Err(other) => Err(PageError(other)),
    }
}

/// The request `id` and how a notice names it.
async fn named(state: &AppState, id: String, zone: TimeZone) -> Result<String, AppError> {
    let now = state.clock.now();
    let item = state
        .db
        .run(move |conn| queue::item(conn, &id, now))
        .await?
        .ok_or_else(|| AppError::NotFound("no meeting request with that id".into()))?;
    Ok(describe(&item, zone))
}

/// A decision made: how notices name the request, and the sentence saying what happened.
struct Decided {
    name: String,
    message: String,
}

async fn approve_one(
    state: &AppState,
    id: String,
    hosts: Vec<String>,
    note: String,
    actor: Actor,
    zone: TimeZone,
) -> Result<Decided, AppError> {
    let name = named(state, id.clone(), zone).await?;
    let request = service::load(state, id).await?;
    let hosts = (!hosts.is_empty() && hosts != request.host_ids).then_some(hosts);
    let body = ApproveRequest {
        host_ids: hosts,
        note: Some(note).filter(|n| !n.trim().is_empty()),
    };
    let approved = service::approve(state, request, body, actor).await?;
    let message = format!(
        "Approved: {name} (now {}).",
        approved.status.as_str().replace('_', " ")
    );
    Ok(Decided { name, message })
}

async fn reject_one(
    state: &AppState,
    id: String,
    reason: String,
    actor: Actor,
    zone: TimeZone,
) -> Result<Decided, AppError> {
    let name = named(state, id.clone(), zone).await?;
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
    let message =
        format!("Declined: {name}. The prospect has been told and the held time released.");
    Ok(Decided { name, message })
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
    let zone = session.user.timezone;
    let outcome = approve_one(
        &state,
        id.into_inner(),
        form.host_ids,
        form.note,
        actor,
        zone,
    )
    .await
    .map(|decided| decided.message);
    let view = QueueView::carried(&form.view);
    decided(outcome, &state, &session, &csrf, view, &form.next).await
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
    let form = form.0;
    let actor = session.principal.actor.clone();
    let zone = session.user.timezone;
    let outcome = reject_one(&state, id.into_inner(), form.reason, actor, zone)
        .await
        .map(|decided| decided.message);
    let view = QueueView::carried(&form.view);
    decided(outcome, &state, &session, &csrf, view, &form.next).await
}

/// The bulk form: the checked `ids`, and for every row on the page its id (`reason_for`) and
/// its own reason (`reasons`), in the same order; `reason` applies where a row has none.
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
    #[serde(default)]
    reason_for: Vec<String>,
    #[serde(default)]
    reasons: Vec<String>,
    #[serde(default)]
    view: String,
}

impl CsrfProtected for BulkForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl BulkForm {
    /// Request `id`'s own reason, else the common one.
    fn reason_of(&self, id: &str) -> String {
        self.reason_for
            .iter()
            .zip(&self.reasons)
            .find(|(row, reason)| *row == id && !reason.trim().is_empty())
            .map_or_else(|| self.reason.clone(), |(_, reason)| reason.clone())
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
    let view = QueueView::carried(&form.view);
    let approve = match form.action.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let unknown = AppError::validation("action", "must be approve or reject");
            return decided(Err(unknown), &state, &session, &csrf, view, "").await;
        }
    };
    if form.ids.is_empty() {
        let none = AppError::validation("ids", "pick at least one request");
        return decided(Err(none), &state, &session, &csrf, view, "").await;
    }
    if !approve {
        let unexplained = form
            .ids
            .iter()
            .filter(|id| form.reason_of(id).trim().is_empty())
            .count();
        if unexplained > 0 {
            let missing = AppError::validation(
                "reason",
                format!(
                    "is required to decline: {unexplained} of the checked requests have none; \
                     give each its own or one for all"
                ),
            );
            return decided(Err(missing), &state, &session, &csrf, view, "").await;
        }
    }
    let zone = session.user.timezone;
    let (mut done, mut refused) = (Vec::new(), Vec::new());
    for id in &form.ids {
        let actor = session.principal.actor.clone();
        let reason = form.reason_of(id);
        let outcome = if approve {
            approve_one(&state, id.clone(), Vec::new(), reason, actor, zone).await
        } else {
            reject_one(&state, id.clone(), reason, actor, zone).await
        };
        match outcome {
            Ok(decided) => done.push(decided.name),
            Err(error @ (AppError::Conflict(_) | AppError::NotFound(_))) => {
                refused.push(error.to_string());
            }
            Err(other) => return Err(PageError(other)),
        }
    }
    let verb = if approve { "Approved" } else { "Declined" };
    let summary = if done.is_empty() {
        format!("{verb} nothing.")
    } else {
        let plural = if done.len() == 1 { "" } else { "s" };
        format!(
            "{verb} {} request{plural}: {}.",
            done.len(),
            done.join("; ")
        )
    };
    if refused.is_empty() {
        decided(Ok(summary), &state, &session, &csrf, view, "").await
    } else {
        let message = format!("{summary} Not decided: {}", refused.join("; "));
        queue_response(&state, &session, &csrf, view, None, Some(message)).await
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
    /// The decision forms return to the plain queue from here.
    view_query: String,
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
        view_query: String::new(),
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
    let zone = manager.timezone;
    decided_page(
        approve_one(
            &state,
            item.request.id,
            form.host_ids,
            form.note,
            actor,
            zone,
        )
        .await
        .map(|decided| decided.message),
    )
}

#[post("/decide/{token}/reject")]
async fn reject_from_email(
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: CsrfForm<RejectForm>,
) -> Result<HttpResponse, PageError> {
    let (item, manager) = decision_link(&state, &token.into_inner()).await?;
    let actor = Actor::User(manager.id);
    let zone = manager.timezone;
    decided_page(
        reject_one(&state, item.request.id, form.0.reason, actor, zone)
            .await
            .map(|decided| decided.message),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_carries_its_filters_and_comes_back_to_the_next_request() {
        let view = QueueView::carried("campaign=spring&sort=newest&host=x");
        assert_eq!(view.query(), "host=x&campaign=spring&sort=newest");
        let filter = view.filter();
        assert_eq!(filter.host_id, None, "not an id, so no host filter");
        assert_eq!(filter.campaign.as_deref(), Some("spring"));
        assert_eq!(filter.order, QueueOrder::NewestFirst);
        let next = "0190f5a2-0000-7000-8000-000000000001";
        assert_eq!(
            view.url(Some("Approved: Jo"), Some(next)),
            format!(
                "/admin/approvals?host=x&campaign=spring&sort=newest&done=Approved%3A+Jo#request-{next}"
            )
        );
        assert_eq!(
            QueueView::default().url(None, Some("not an id")),
            "/admin/approvals"
        );
        assert_eq!(
            QueueView::carried("%%%").url(None, None),
            "/admin/approvals",
            "an unreadable view is the plain queue"
        );
    }
}
