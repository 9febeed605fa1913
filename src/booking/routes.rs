//! `/api/v1/booking-links`.

use actix_web::http::header::ContentType;
use actix_web::http::header::REFERER;
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::roles::Permission;
use crate::booking::links::{self, BookingLinkView, CreateBookingLink, NewLink, UpdateBookingLink};
use crate::booking::manage;
use crate::booking::prefill::{PageVisit, Prefill};
use crate::booking::public::{week_of, zone_names, BookingForm, WeekPicker};
use crate::booking::rules::{has_started, PastMeetings};
use crate::booking::service::{
    self, BookingConfirmation, BookingRequest, OpenLink, SlotsQuery, SlotsView,
};
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::embed::{allow_framing, Embedded};
use crate::http::extractors::{ApiCaller, ApiJson, ApiQuery, CsrfProtected, CsrfToken, JsonOrForm};
use crate::http::pages::{render, see_other};
use crate::http::Page;
use crate::meetings::Managed;
use crate::scheduling::availability::window_for_dates;
use crate::state::AppState;
use crate::values::is_id;
use crate::values::TimeZone;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_booking_link)
        .service(list_booking_links)
        .service(update_booking_link);
}

#[utoipa::path(
    tag = "booking links",
    request_body = CreateBookingLink,
    responses((status = 201, body = BookingLinkView), (status = 422, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[post("/api/v1/booking-links")]
pub async fn create_booking_link(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: ApiJson<CreateBookingLink>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageBookingLinks)?;
    let body = body.take()?;
    let now = state.clock.now();
    let mut errors = FieldErrors::new();
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(raw) => match DateTime::parse_from_rfc3339(raw) {
            Ok(at) if at.with_timezone(&Utc) > now => Some(at.with_timezone(&Utc)),
            Ok(_) => {
                errors.add("expires_at", "must be in the future");
                None
            }
            Err(_) => {
                errors.add(
                    "expires_at",
                    "must be an RFC 3339 time like 2026-12-31T17:00:00Z",
                );
                None
            }
        },
    };
    if body
        .max_uses
        .is_some_and(|uses| !(1..=100_000).contains(&uses))
    {
        errors.add("max_uses", "must be between 1 and 100000");
    }
    if !is_id(&body.meeting_type_id) {
        errors.add("meeting_type_id", "is not a known meeting type");
    }
    if body.lead_id.as_deref().is_some_and(|id| !is_id(id)) {
        errors.add("lead_id", "is not a known lead");
    }
    errors.into_result()?;
    let actor = caller.0.actor;
    let link = state
        .db
        .run(move |conn| {
            let new = NewLink {
                meeting_type_id: &body.meeting_type_id,
                lead_id: body.lead_id.as_deref(),
                expires_at,
                max_uses: body.max_uses,
            };
            Ok(links::create(conn, &new, &actor, now))
        })
        .await??;
    Ok(HttpResponse::Created().json(BookingLinkView::new(
        &link,
        state.settings.server.public_base(),
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkFilter {
    /// Only links of this meeting type.
    pub meeting_type_id: Option<String>,
}

#[utoipa::path(
    tag = "booking links",
    params(LinkFilter),
    responses((status = 200, description = "Newest first", body = crate::http::Page<BookingLinkView>)),
    security(("api_key" = []))
)]
#[get("/api/v1/booking-links")]
pub async fn list_booking_links(
    state: web::Data<AppState>,
    caller: ApiCaller,
    filter: ApiQuery<LinkFilter>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageBookingLinks)?;
    let type_id = filter.take()?.meeting_type_id;
    let found = state
        .db
        .run(move |conn| links::list(conn, type_id.as_deref()))
        .await?;
    let base = state.settings.server.public_base();
    Ok(HttpResponse::Ok().json(Page {
        items: found
            .iter()
            .map(|link| BookingLinkView::new(link, base))
            .collect::<Vec<_>>(),
        next_cursor: None,
    }))
}

#[utoipa::path(
    tag = "booking links",
    params(("id" = String, Path, description = "Booking link id")),
    request_body = UpdateBookingLink,
    responses((status = 200, body = BookingLinkView), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[patch("/api/v1/booking-links/{id}")]
pub async fn update_booking_link(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: ApiJson<UpdateBookingLink>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageBookingLinks)?;
    let body = body.take()?;
    let id = id.into_inner();
    if !is_id(&id) {
        return Err(AppError::NotFound("no booking link with that id".into()));
    }
    let (now, actor, active) = (state.clock.now(), caller.0.actor, body.active);
    let link = state
        .db
        .run(move |conn| links::set_active(conn, &id, active, &actor, now))
        .await?
        .ok_or_else(|| AppError::NotFound("no booking link with that id".into()))?;
    Ok(HttpResponse::Ok().json(BookingLinkView::new(
        &link,
        state.settings.server.public_base(),
    )))
}

pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(slots_json).service(booking_page).service(book);
}

#[utoipa::path(
    tag = "public booking",
    params(("slug" = String, Path, description = "Booking link slug"), SlotsQuery),
    responses(
        (status = 200, body = SlotsView),
        (status = 404, body = crate::error::Problem), (status = 410, body = crate::error::Problem),
        (status = 422, description = "Bad dates or time zone, or more than 62 days", body = crate::error::Problem),
    )
)]
#[get("/book/{slug}/slots")]
pub async fn slots_json(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<SlotsQuery>,
) -> Result<HttpResponse, AppError> {
    let body = service::public_slots(&state, slug.into_inner(), query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}

fn manage_url(state: &AppState, token: &str) -> String {
    format!("{}/m/{token}", state.settings.server.public_base())
}

#[utoipa::path(
    tag = "public booking",
    params(("slug" = String, Path, description = "Booking link slug")),
    request_body = BookingRequest,
    responses(
        (status = 201, body = BookingConfirmation),
        (status = 403, description = "The lead's score is under the meeting type's minimum", body = crate::error::Problem),
        (status = 409, description = "The slot is no longer free, or the prospect already holds as many live bookings as allowed (`/problems/booking-limit-per-link`, `/problems/booking-limit-per-email`)", body = crate::error::Problem),
        (status = 410, description = "The link expired or is used up", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
#[post("/book/{slug}")]
pub async fn book(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    csrf: CsrfToken,
    embedded: Embedded,
    submission: JsonOrForm<BookingRequest, BookingForm>,
) -> Result<HttpResponse, actix_web::Error> {
    match submission {
        JsonOrForm::Json(body) => {
            let booked = service::book_by_slug(&state, slug.into_inner(), body)
                .await
                .map_err(AppError::from)?;
            Ok(HttpResponse::Created().json(BookingConfirmation {
                manage_url: manage_url(&state, &booked.manage_token),
                meeting_request_id: booked.meeting_request_id,
                status: booked.status.as_str().to_owned(),
            }))
        }
        JsonOrForm::Form(form) => {
            let open = service::open_link(&state, slug.into_inner())
                .await
                .map_err(PageError::from)?;
            let page_link = open.clone();
            match service::book(&state, open, BookingRequest::from(&form)).await {
                Ok(booked) => Ok(see_other(
                    &embedded.keep(&format!("/m/{}?booked=1", booked.manage_token)),
                )),
                Err(error) => {
                    Ok(
                        refused_booking(&state, page_link, &csrf, embedded, form, error.into())
                            .await?,
                    )
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct BookingPageQuery {
    tz: Option<String>,
    from: Option<String>,
    name: Option<String>,
    email: Option<String>,
    company: Option<String>,
}

#[derive(Template)]
#[template(path = "public/book.html")]
struct BookingPage {
    asset_version: &'static str,
    slug: String,
    meeting_name: String,
    duration_minutes: i32,
    location: Option<String>,
    hosts: Vec<String>,
    zone: String,
    zones: Vec<(&'static str, bool)>,
    picker: WeekPicker,
    csrf_token: String,
    form: BookingForm,
    error: Option<String>,
    timings: Vec<(&'static str, &'static str, bool)>,
    embedded: bool,
    post_url: String,
}

const TIMINGS: [(&str, &str); 5] = [
    ("now", "Right away"),
    ("this_quarter", "This quarter"),
    ("this_year", "This year"),
    ("later", "Later"),
    ("unknown", "Not sure yet"),
];

struct PageRequest {
    zone: TimeZone,
    from: Option<NaiveDate>,
    embedded: Embedded,
}

async fn booking_page_response(
    state: &AppState,
    open: OpenLink,
    page: PageRequest,
    csrf: &CsrfToken,
    form: BookingForm,
    error: Option<(StatusCode, String)>,
) -> Result<HttpResponse, PageError> {
    let zone = page.zone;
    let embedded = page.embedded;
    let today = state.clock.now().with_timezone(&zone.tz()).date_naive();
    let (from, to) = week_of(today, page.from);
    let window = window_for_dates(from, to, zone.tz());
    let hosts = service::host_names(state, &open.meeting_type).await?;
    let times = service::slot_times(state, open.meeting_type.clone(), window, None)
        .await?
        .times;
    let picker = WeekPicker::new((from, to), today, &times, zone, &form.start, |date| {
        let query = serde_urlencoded::to_string([
            ("tz", zone.name().to_owned()),
            ("from", date.format("%Y-%m-%d").to_string()),
        ])
        .unwrap_or_default();
        embedded.keep(&format!("/book/{}?{query}", open.link.slug))
    });
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let page = BookingPage {
        asset_version: crate::http::assets::version(),
        slug: open.link.slug.clone(),
        meeting_name: open.meeting_type.name.clone(),
        duration_minutes: open.meeting_type.duration_minutes,
        location: open.meeting_type.location.clone(),
        hosts,
        zone: zone.name().to_owned(),
        zones: zone_names()
            .into_iter()
            .map(|name| (name, name == zone.name()))
            .collect(),
        picker,
        csrf_token: csrf.0.clone(),
        timings: TIMINGS
            .iter()
            .map(|&(value, label)| (value, label, value == form.timing))
            .collect(),
        post_url: embedded.keep(&format!("/book/{}", open.link.slug)),
        embedded: embedded.0,
        form,
        error,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    if embedded.0 {
        allow_framing(&mut response, &state.settings.public.embed_origins);
    }
    Ok(response)
}

/// The booking page people open from a link (HTML; not an API for integrations). Besides the
/// parameters below, any `a_<name>` prefills the lead attribute `<name>`; values that would not
/// pass as typed in are left out.
#[utoipa::path(
    tag = "public booking",
    params(
        ("slug" = String, Path, description = "Booking link slug"),
        ("tz" = Option<String>, Query, description = "IANA zone to show times in; UTC when absent or unknown"),
        ("from" = Option<String>, Query, description = "A day (YYYY-MM-DD) of the week to show; this week when absent or not a day"),
        ("name" = Option<String>, Query, description = "Fills in the form's name"),
        ("email" = Option<String>, Query, description = "Fills in the form's email"),
        ("company" = Option<String>, Query, description = "Fills in the form's company"),
        ("phone" = Option<String>, Query, description = "Fills in the form's phone"),
        ("title" = Option<String>, Query, description = "Fills in the form's job title"),
        ("utm_source" = Option<String>, Query, description = "Recorded as the booking's touch; also the lead's source when it has none"),
        ("utm_medium" = Option<String>, Query, description = "Recorded as the booking's touch"),
        ("utm_campaign" = Option<String>, Query, description = "Recorded as the booking's touch; also the lead's campaign when it has none"),
        ("utm_term" = Option<String>, Query, description = "Recorded as the booking's touch"),
        ("utm_content" = Option<String>, Query, description = "Recorded as the booking's touch"),
        ("referrer" = Option<String>, Query, description = "With `embed=1` only: the page that sent the visitor to the embedding page (`embed.js` passes it)"),
        ("landing_page" = Option<String>, Query, description = "With `embed=1` only: the embedding page's address (`embed.js` passes it)"),
    ),
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 404, description = "Unknown link", content_type = "text/html", body = String),
        (status = 410, description = "The link expired or is used up", content_type = "text/html", body = String),
    )
)]
#[get("/book/{slug}")]
pub async fn booking_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<BookingPageQuery>,
    csrf: CsrfToken,
    embedded: Embedded,
) -> Result<HttpResponse, PageError> {
    let open = service::open_link(&state, slug.into_inner()).await?;
    let zone = query
        .tz
        .as_deref()
        .and_then(|tz| TimeZone::parse(tz).ok())
        .unwrap_or_else(utc);
    let from = query
        .from
        .as_deref()
        .and_then(|from| NaiveDate::parse_from_str(from, "%Y-%m-%d").ok());
    // Prefilled values are shown only when they would pass as typed in.
    let prefill = |raw: &Option<String>| {
        crate::values::optional_text(raw.as_deref(), 200)
            .ok()
            .flatten()
            .unwrap_or_default()
    };
    let form = BookingForm {
        timezone: zone.name().to_owned(),
        name: prefill(&query.name),
        email: prefill(&query.email),
        company: prefill(&query.company),
        prefill: Prefill::of_page(&PageVisit {
            query: req.query_string(),
            path: req.path(),
            referer: req.headers().get(REFERER).and_then(|r| r.to_str().ok()),
            public_base: state.settings.server.public_base(),
            embedded: embedded.0,
        }),
        ..BookingForm::default()
    };
    booking_page_response(
        &state,
        open,
        PageRequest {
            zone,
            from,
            embedded,
        },
        &csrf,
        form,
        None,
    )
    .await
}

fn utc() -> TimeZone {
    TimeZone::parse("UTC").unwrap_or_else(|_| unreachable!("UTC is an IANA zone"))
}

/// A refused form booking, shown again on the page with what the person typed.
async fn refused_booking(
    state: &AppState,
    open: OpenLink,
    csrf: &CsrfToken,
    embedded: Embedded,
    form: BookingForm,
    error: AppError,
) -> Result<HttpResponse, PageError> {
    let message = match &error {
        AppError::Validation(fields) => fields.for_people(),
        AppError::Conflict(_)
        | AppError::ConflictOf { .. }
        | AppError::Forbidden(_)
        | AppError::Gone(_) => error.to_string(),
        _ => return Err(PageError(error)),
    };
    let status = actix_web::ResponseError::status_code(&error);
    let zone = TimeZone::parse(&form.timezone).unwrap_or_else(|_| utc());
    let from = DateTime::parse_from_rfc3339(&form.start)
        .ok()
        .map(|at| at.with_timezone(&zone.tz()).date_naive());
    booking_page_response(
        state,
        open,
        PageRequest {
            zone,
            from,
            embedded,
        },
        csrf,
        form,
        Some((status, message)),
    )
    .await
}

pub fn configure_manage(cfg: &mut web::ServiceConfig) {
    cfg.service(manage_page)
        .service(invite_ics)
        .service(reschedule_meeting)
        .service(cancel_meeting);
}

#[derive(Debug, Deserialize)]
struct ManageQuery {
    booked: Option<String>,
    rescheduled: Option<String>,
    cancelled: Option<String>,
    from: Option<String>,
}

#[derive(Template)]
#[template(path = "public/manage.html")]
struct ManagePage {
    asset_version: &'static str,
    token: String,
    meeting_name: String,
    status: String,
    when: String,
    zone: String,
    hosts: Vec<String>,
    location: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    can_reschedule: bool,
    can_cancel: bool,
    /// A live meeting has started: it stays as it is, and the page says so.
    started: bool,
    picker: WeekPicker,
    csrf_token: String,
    embedded: bool,
    reschedule_url: String,
    cancel_url: String,
    /// What an embedding page hears when the booking was just made (`convene:booked`).
    booked: Option<BookedMessage>,
}

/// The `detail` of the `convene:booked` event an embedded confirmation sends to its page.
#[derive(Debug, serde::Serialize)]
struct BookedMessage {
    meeting_request_id: String,
    status: String,
    start_utc: String,
}

impl BookedMessage {
    fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What the manage page shows around the meeting: a notice, an error, the week asked for.
struct ManageView {
    from: Option<NaiveDate>,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
    embedded: Embedded,
    just_booked: bool,
}

fn describe_time(managed: &Managed) -> String {
    let zone = managed.zone().tz();
    let start = managed.start().with_timezone(&zone);
    let end = managed.end().with_timezone(&zone);
    format!(
        "{}–{}",
        start.format("%A %-d %B %Y, %H:%M"),
        end.format("%H:%M")
    )
}

async fn manage_page_response(
    state: &AppState,
    token: String,
    managed: Managed,
    csrf: &CsrfToken,
    view: ManageView,
) -> Result<HttpResponse, PageError> {
    let ManageView {
        from,
        notice,
        error,
        embedded,
        just_booked,
    } = view;
    let zone = managed.zone();
    let now = state.clock.now();
    let today = now.with_timezone(&zone.tz()).date_naive();
    let (from, to) = week_of(today, from);
    let started = has_started(managed.start(), now);
    let can_reschedule = managed.meeting.status == "scheduled" && !started;
    let times = if can_reschedule {
        let window = window_for_dates(from, to, zone.tz());
        service::slot_times(
            state,
            managed.meeting_type.clone(),
            window,
            Some(managed.meeting.id.clone()),
        )
        .await?
        .times
        .into_iter()
        .filter(|(start, _)| *start != managed.start())
        .collect()
    } else {
        Vec::new()
    };
    let picker = WeekPicker::new((from, to), today, &times, zone, "", |date| {
        embedded.keep(&format!("/m/{token}?from={}", date.format("%Y-%m-%d")))
    });
    let booked = (embedded.0 && just_booked).then(|| BookedMessage {
        meeting_request_id: managed.request.id.clone(),
        status: managed.request.status.as_str().to_owned(),
        start_utc: managed
            .start()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    let page = ManagePage {
        asset_version: crate::http::assets::version(),
        meeting_name: managed.meeting_type.name.clone(),
        status: match managed.meeting.status.as_str() {
            "held" => "Requested: we will confirm it by email shortly".into(),
            "scheduled" => "Confirmed".into(),
            other => other[..1].to_uppercase() + &other[1..],
        },
        when: describe_time(&managed),
        zone: zone.name().to_owned(),
        hosts: managed
            .hosts
            .iter()
            .map(|h| {
                h.title
                    .as_ref()
                    .map_or_else(|| h.name.clone(), |t| format!("{}, {t}", h.name))
            })
            .collect(),
        location: managed.meeting.location.clone(),
        notice,
        error,
        can_cancel: crate::meetings::changeable(&managed.request) && !started,
        can_reschedule,
        started: started && matches!(managed.meeting.status.as_str(), "scheduled" | "held"),
        picker,
        csrf_token: csrf.0.clone(),
        embedded: embedded.0,
        reschedule_url: embedded.keep(&format!("/m/{token}/reschedule")),
        cancel_url: embedded.keep(&format!("/m/{token}/cancel")),
        booked,
        token,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    if embedded.0 {
        allow_framing(&mut response, &state.settings.public.embed_origins);
    }
    Ok(response)
}

#[get("/m/{token}")]
async fn manage_page(
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<ManageQuery>,
    csrf: CsrfToken,
    embedded: Embedded,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let managed = manage::find(&state, token.clone()).await?;
    let notice = if query.booked.is_some() {
        Some("Thank you! Your booking is in.".to_owned())
    } else if query.rescheduled.is_some() {
        Some("Your meeting has been moved.".to_owned())
    } else if query.cancelled.is_some() {
        Some("Your meeting has been cancelled.".to_owned())
    } else {
        None
    };
    let from = query
        .from
        .as_deref()
        .and_then(|from| NaiveDate::parse_from_str(from, "%Y-%m-%d").ok());
    let view = ManageView {
        from,
        notice,
        error: None,
        embedded,
        just_booked: query.booked.is_some(),
    };
    manage_page_response(&state, token, managed, &csrf, view).await
}

#[get("/m/{token}/invite.ics")]
async fn invite_ics(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let managed = manage::find(&state, token.into_inner()).await?;
    let ics = state
        .composer()
        .prospect_calendar(&managed, state.clock.now());
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Content-Disposition", "attachment; filename=\"invite.ics\""))
        .body(ics))
}

/// A meeting as the manage endpoints answer JSON callers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ManagedMeetingView {
    pub meeting_request_id: String,
    pub status: String,
    pub start: String,
    pub end: String,
    pub start_utc: String,
    pub end_utc: String,
    pub sequence: i32,
}

impl From<&Managed> for ManagedMeetingView {
    fn from(managed: &Managed) -> Self {
        let slot = service::SlotView::new(managed.start(), managed.end(), managed.zone());
        Self {
            meeting_request_id: managed.request.id.clone(),
            status: managed.meeting.status.clone(),
            start: slot.start,
            end: slot.end,
            start_utc: slot.start_utc,
            end_utc: slot.end_utc,
            sequence: managed.meeting.sequence,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RescheduleRequest {
    /// The new start.
    #[schema(value_type = crate::http::schemas::Instant)]
    pub start: String,
}

#[derive(Debug, Deserialize)]
struct RescheduleForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    start: String,
}

impl CsrfProtected for RescheduleForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CancelRequest {
    #[schema(value_type = Option<crate::http::schemas::Note>)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CancelForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

impl CsrfProtected for CancelForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn parse_start(raw: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| AppError::validation("start", "must be an RFC 3339 time with an offset"))
}

fn parse_reason(raw: Option<&str>) -> Result<Option<String>, AppError> {
    crate::values::optional_multiline_text(raw, 2000).map_err(|m| AppError::validation("reason", m))
}

#[utoipa::path(
    tag = "public booking",
    params(("token" = String, Path, description = "The manage token from manage_url")),
    request_body = RescheduleRequest,
    responses((status = 200, body = ManagedMeetingView), (status = 404, body = crate::error::Problem), (status = 409, description = "The meeting cannot change now; `/problems/meeting-started` once it has started", body = crate::error::Problem)),
)]
#[post("/m/{token}/reschedule")]
pub async fn reschedule_meeting(
    state: web::Data<AppState>,
    token: web::Path<String>,
    csrf: CsrfToken,
    embedded: Embedded,
    body: JsonOrForm<RescheduleRequest, RescheduleForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let token = token.into_inner();
    match body {
        JsonOrForm::Json(body) => {
            let managed = manage::find(&state, token).await.map_err(AppError::from)?;
            let moved = manage::reschedule(
                &state,
                managed,
                parse_start(&body.start)?,
                Actor::Prospect,
                PastMeetings::Locked,
            )
            .await
            .map_err(AppError::from)?;
            Ok(HttpResponse::Ok().json(ManagedMeetingView::from(&moved)))
        }
        JsonOrForm::Form(form) => {
            let managed = manage::find(&state, token.clone())
                .await
                .map_err(PageError::from)?;
            let outcome = match parse_start(&form.start) {
                Ok(start) => manage::reschedule(
                    &state,
                    managed.clone(),
                    start,
                    Actor::Prospect,
                    PastMeetings::Locked,
                )
                .await
                .map_err(AppError::from),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(_) => Ok(see_other(
                    &embedded.keep(&format!("/m/{token}?rescheduled=1")),
                )),
                Err(
                    error @ (AppError::Conflict(_)
                    | AppError::ConflictOf { .. }
                    | AppError::Validation(_)),
                ) => {
                    let message = match &error {
                        AppError::Validation(_) => "Please pick a new time first.".to_owned(),
                        other => other.to_string(),
                    };
                    Ok(
                        refused_change(&state, token, managed, &csrf, embedded, &error, message)
                            .await?,
                    )
                }
                Err(other) => Err(PageError(other).into()),
            }
        }
    }
}

#[utoipa::path(
    tag = "public booking",
    params(("token" = String, Path, description = "The manage token from manage_url")),
    request_body = CancelRequest,
    responses((status = 200, body = ManagedMeetingView), (status = 404, body = crate::error::Problem), (status = 409, description = "The meeting cannot change now; `/problems/meeting-started` once it has started", body = crate::error::Problem)),
)]
#[post("/m/{token}/cancel")]
pub async fn cancel_meeting(
    state: web::Data<AppState>,
    token: web::Path<String>,
    csrf: CsrfToken,
    embedded: Embedded,
    body: JsonOrForm<CancelRequest, CancelForm>,
) -> Result<HttpResponse, actix_web::Error> {
    let token = token.into_inner();
    match body {
        JsonOrForm::Json(body) => {
            let managed = manage::find(&state, token).await.map_err(AppError::from)?;
            let reason = parse_reason(body.reason.as_deref())?;
            let cancelled = manage::cancel(
                &state,
                managed,
                reason,
                Actor::Prospect,
                PastMeetings::Locked,
            )
            .await
            .map_err(AppError::from)?;
            Ok(HttpResponse::Ok().json(ManagedMeetingView::from(&cancelled)))
        }
        JsonOrForm::Form(form) => {
            let managed = manage::find(&state, token.clone())
                .await
                .map_err(PageError::from)?;
            let reason = parse_reason(Some(&form.reason)).map_err(PageError::from)?;
            let outcome = manage::cancel(
                &state,
                managed.clone(),
                reason,
                Actor::Prospect,
                PastMeetings::Locked,
            )
            .await
            .map_err(AppError::from);
            match outcome {
                Ok(_) => Ok(see_other(
                    &embedded.keep(&format!("/m/{token}?cancelled=1")),
                )),
                Err(error @ (AppError::Conflict(_) | AppError::ConflictOf { .. })) => {
                    let message = error.to_string();
                    Ok(
                        refused_change(&state, token, managed, &csrf, embedded, &error, message)
                            .await?,
                    )
                }
                Err(other) => Err(PageError(other).into()),
            }
        }
    }
}

/// A refused reschedule or cancel from the manage page's forms: the page again, with why.
async fn refused_change(
    state: &AppState,
    token: String,
    managed: Managed,
    csrf: &CsrfToken,
    embedded: Embedded,
    error: &AppError,
    message: String,
) -> Result<HttpResponse, PageError> {
    let status = actix_web::ResponseError::status_code(error);
    let view = ManageView {
        from: None,
        notice: None,
        error: Some((status, message)),
        embedded,
        just_booked: false,
    };
    manage_page_response(state, token, managed, csrf, view).await
}
