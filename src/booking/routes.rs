//! `/api/v1/booking-links`.

use actix_web::http::header::{ContentType, HeaderValue, REFERER, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpMessage as _, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::roles::Permission;
use crate::booking::calendar_links::{CalendarEvent, CalendarLinks};
use crate::booking::links::{self, BookingLinkView, CreateBookingLink, NewLink, UpdateBookingLink};
use crate::booking::manage;
use crate::booking::month_picker::{MonthPicker, PickerLabels};
use crate::booking::picker_page::{
    self, query_pairs, zone_options, Asked, PageLinks, PickerFor, ZoneOption,
};
use crate::booking::prefill::{PageVisit, Prefill};
use crate::booking::public::BookingForm;
use crate::booking::rules::{has_started, PastMeetings};
use crate::booking::service::{
    self, BookingConfirmation, BookingRequest, OpenLink, SlotsQuery, SlotsView,
};
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::embed::{allow_framing, Embedded};
use crate::http::extractors::{
    ApiCaller, ApiJson, ApiQuery, CsrfProtected, CsrfToken, JsonOrForm, PageLanguage,
};
use crate::http::middleware::Throttled;
use crate::http::pages::{render, see_other};
use crate::http::Page;
use crate::i18n::{Language, Texts};
use crate::meetings::Managed;
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
    request: HttpRequest,
    slug: web::Path<String>,
    csrf: CsrfToken,
    embedded: Embedded,
    language: PageLanguage,
    submission: JsonOrForm<BookingRequest, BookingForm>,
) -> Result<HttpResponse, actix_web::Error> {
    match submission {
        JsonOrForm::Json(mut body) => {
            body.settle_language(language.0);
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
            let texts = Texts::new(
                form.lang
                    .as_deref()
                    .and_then(Language::supported)
                    .unwrap_or(language.0),
            );
            let throttled = request.extensions().get::<Throttled>().copied();
            if let Some(Throttled { retry_after_secs }) = throttled {
                let error = AppError::RateLimited { retry_after_secs };
                let seen = Seen {
                    csrf: &csrf,
                    embedded,
                    texts,
                };
                let mut page =
                    refused_booking(&state, page_link, &request, seen, form, error).await?;
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    page.headers_mut().insert(RETRY_AFTER, value);
                }
                return Ok(page);
            }
            let mut body = BookingRequest::from(&form);
            body.settle_language(texts.language());
            match service::book(&state, open, body).await {
                Ok(booked) => Ok(see_other(&embedded.keep(&keep_language(
                    &format!("/m/{}?booked=1", booked.manage_token),
                    texts,
                )))),
                Err(error) => {
                    let seen = Seen {
                        csrf: &csrf,
                        embedded,
                        texts,
                    };
                    Ok(
                        refused_booking(&state, page_link, &request, seen, form, error.into())
                            .await?,
                    )
                }
            }
        }
    }
}

#[derive(Template)]
#[template(path = "public/book.html")]
struct BookingPage {
    t: Texts,
    asset_version: &'static str,
    meeting_name: String,
    duration_minutes: i32,
    location: Option<String>,
    hosts: Vec<String>,
    zone: String,
    /// No zone was asked for: the page's script may switch to the browser's.
    zone_guessed: bool,
    zones: Vec<ZoneOption>,
    /// The parameters the zone picker's form sends back with the zone.
    kept: Vec<(String, String)>,
    zone_action: String,
    picker: MonthPicker,
    csrf_token: String,
    form: BookingForm,
    /// What went wrong with the chosen time (taken, limits): shown next to the times.
    slot_error: Option<String>,
    /// What went wrong with the details: shown above the form.
    form_error: Option<String>,
    timings: Vec<(&'static str, String, bool)>,
    embedded: bool,
    post_url: String,
}

/// The form's buying-timing choices and their texts' keys.
const TIMINGS: [(&str, &str); 5] = [
    ("now", "book-timing-now"),
    ("this_quarter", "book-timing-this-quarter"),
    ("this_year", "book-timing-this-year"),
    ("later", "book-timing-later"),
    ("unknown", "book-timing-unknown"),
];

/// The booking page as one request asks for it.
struct PageRequest {
    texts: Texts,
    zone: TimeZone,
    zone_guessed: bool,
    query: Vec<(String, String)>,
    asked: Asked,
    embedded: Embedded,
}

/// Why a booking page is shown again: the chosen time, or the details.
enum Refusal {
    Time(String),
    Details(String),
}

async fn booking_page_response(
    state: &AppState,
    open: OpenLink,
    page: PageRequest,
    csrf: &CsrfToken,
    form: BookingForm,
    refusal: Option<(StatusCode, Refusal)>,
) -> Result<HttpResponse, PageError> {
    let zone = page.zone;
    let embedded = page.embedded;
    let texts = page.texts;
    let path = format!("/book/{}", open.link.slug);
    let links = PageLinks::new(path.clone(), zone, &page.query, &[], embedded);
    let hosts = service::host_names(state, &open.meeting_type).await?;
    let picker = picker_page::load(
        state,
        PickerFor {
            meeting_type: &open.meeting_type,
            zone,
            asked: &page.asked,
            moving: None,
        },
        &texts,
        &links,
    )
    .await?;
    let (status, slot_error, form_error) = match refusal {
        Some((status, Refusal::Time(message))) => (status, Some(message), None),
        Some((status, Refusal::Details(message))) => (status, None, Some(message)),
        None => (StatusCode::OK, None, None),
    };
    let page = BookingPage {
        t: texts,
        asset_version: crate::http::assets::version(),
        meeting_name: open.meeting_type.name.clone(),
        duration_minutes: open.meeting_type.duration_minutes,
        location: open.meeting_type.location.clone(),
        hosts,
        zone: zone.name().to_owned(),
        zone_guessed: page.zone_guessed,
        zones: zone_options(zone, state.clock.now(), &texts),
        kept: links.kept().to_vec(),
        zone_action: path.clone(),
        picker,
        csrf_token: csrf.0.clone(),
        timings: TIMINGS
            .iter()
            .map(|&(value, key)| (value, texts.get(key), value == form.timing))
            .collect(),
        post_url: links.with_kept(&path),
        embedded: embedded.0,
        form,
        slot_error,
        form_error,
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
        ("month" = Option<String>, Query, description = "The month (YYYY-MM) to show; the first with free times when absent"),
        ("day" = Option<String>, Query, description = "The day (YYYY-MM-DD) whose times to show; the month's first day with times when absent"),
        ("start" = Option<String>, Query, description = "A chosen start (RFC 3339): the form is shown with it"),
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
    state: web::Data<AppState>,
    request: HttpRequest,
    slug: web::Path<String>,
    csrf: CsrfToken,
    embedded: Embedded,
    language: PageLanguage,
) -> Result<HttpResponse, PageError> {
    let open = service::open_link(&state, slug.into_inner()).await?;
    let query = query_pairs(request.query_string());
    let asked_zone = query
        .iter()
        .find(|(key, _)| key == "tz")
        .and_then(|(_, tz)| TimeZone::parse(tz.trim()).ok());
    let zone = asked_zone.unwrap_or_else(utc);
    // Prefilled values are shown only when they would pass as typed in.
    let prefill = |key: &str| {
        let raw = query
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str());
        crate::values::optional_text(raw, 200)
            .ok()
            .flatten()
            .unwrap_or_default()
    };
    let asked = Asked::from_query(&query);
    let form = BookingForm {
        timezone: zone.name().to_owned(),
        name: prefill("name"),
        email: prefill("email"),
        company: prefill("company"),
        start: asked.start.clone(),
        prefill: Prefill::of_page(&PageVisit {
            query: request.query_string(),
            path: request.path(),
            referer: request.headers().get(REFERER).and_then(|r| r.to_str().ok()),
            public_base: state.settings.server.public_base(),
            embedded: embedded.0,
        }),
        ..BookingForm::default()
    };
    booking_page_response(
        &state,
        open,
        PageRequest {
            texts: language.texts(),
            zone,
            zone_guessed: asked_zone.is_none(),
            query,
            asked,
            embedded,
        },
        &csrf,
        form,
        None,
    )
    .await
}

/// `url` with `lang=…` when the page speaks another language than English, so the page it
/// leads to speaks it too.
fn keep_language(url: &str, texts: Texts) -> String {
    if texts.language() == Language::english() {
        return url.to_owned();
    }
    let (address, fragment) = url.split_at(url.find('#').unwrap_or(url.len()));
    let separator = if address.contains('?') { '&' } else { '?' };
    format!("{address}{separator}lang={}{fragment}", texts.lang())
}

fn utc() -> TimeZone {
    TimeZone::parse("UTC").unwrap_or_else(|_| unreachable!("UTC is an IANA zone"))
}

/// How the prospect sees a page shown again: its form's CSRF token, embedded or not, and in
/// which language.
struct Seen<'a> {
    csrf: &'a CsrfToken,
    embedded: Embedded,
    texts: Texts,
}

/// A refused form booking, shown again on the page with what the person typed, the zone and
/// the day they chose, and why next to the times or above the form.
async fn refused_booking(
    state: &AppState,
    open: OpenLink,
    request: &HttpRequest,
    seen: Seen<'_>,
    form: BookingForm,
    error: AppError,
) -> Result<HttpResponse, PageError> {
    let Seen {
        csrf,
        embedded,
        texts,
    } = seen;
    let english = texts.language() == Language::english();
    let in_words = |key: &str, english_detail: String| {
        if english {
            english_detail
        } else {
            texts.get(key)
        }
    };
    let refusal = match &error {
        AppError::Validation(fields) if fields.fields().any(|(field, _)| field == "start") => {
            Refusal::Time(in_words("book-error-pick-time", fields.for_people()))
        }
        AppError::Validation(fields) => Refusal::Details(if english {
            fields.for_people()
        } else {
            format!("{} {}", texts.get("book-error-fields"), fields.for_people())
        }),
        AppError::Conflict(_) => Refusal::Time(texts.get("book-error-taken-kept")),
        AppError::RateLimited { retry_after_secs } => Refusal::Time(texts.get_with(
            "book-error-rate-limited",
            &[("seconds", &retry_after_secs.to_string())],
        )),
        AppError::Gone(_) => {
            Refusal::Details(in_words("book-error-link-used-up", error.to_string()))
        }
        AppError::Forbidden(_) => {
            Refusal::Details(in_words("book-error-qualified-only", error.to_string()))
        }
        AppError::ConflictOf { .. } => Refusal::Details(error.to_string()),
        _ => return Err(PageError(error)),
    };
    let status = actix_web::ResponseError::status_code(&error);
    let zone = TimeZone::parse(&form.timezone).unwrap_or_else(|_| utc());
    let mut asked = Asked {
        start: form.start.clone(),
        ..Asked::default()
    };
    asked.day = asked.day_in(zone);
    booking_page_response(
        state,
        open,
        PageRequest {
            texts,
            zone,
            zone_guessed: false,
            query: query_pairs(request.query_string()),
            asked,
            embedded,
        },
        csrf,
        form,
        Some((status, refusal)),
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
    reschedule: Option<String>,
    cancel: Option<String>,
}

#[derive(Template)]
#[template(path = "public/manage.html")]
struct ManagePage {
    t: Texts,
    asset_version: &'static str,
    meeting_name: String,
    /// What happened, in words that match the status: "You're booked", "Your request is in".
    headline: String,
    /// What happens next.
    next_steps: Option<String>,
    status: String,
    when: String,
    zone: String,
    hosts: Vec<String>,
    location: Option<String>,
    /// The location, when it is a meeting address to join.
    video_url: Option<String>,
    /// Add-to-calendar links, for a scheduled meeting only.
    calendar: Option<CalendarLinks>,
    notice: Option<String>,
    error: Option<String>,
    /// Why the new time was refused, shown next to the times.
    slot_error: Option<String>,
    can_reschedule: bool,
    can_cancel: bool,
    /// A live meeting has started: it stays as it is, and the page says so.
    started: bool,
    /// The reschedule picker, when the prospect asked for it.
    picker: Option<MonthPicker>,
    /// The cancel form, when the prospect asked for it.
    cancelling: bool,
    book_again: Option<String>,
    csrf_token: String,
    embedded: bool,
    page_url: String,
    reschedule_open_url: String,
    cancel_open_url: String,
    ics_url: String,
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

/// What the manage page shows around the meeting.
#[derive(Default)]
struct ManageView {
    texts: Texts,
    notice: Option<String>,
    error: Option<(StatusCode, String)>,
    embedded: Embedded,
    just_booked: bool,
    just_moved: bool,
    /// The reschedule picker is open, at this month, day or time.
    rescheduling: Option<Asked>,
    cancelling: bool,
    query: Vec<(String, String)>,
}

fn describe_time(managed: &Managed, labels: &impl PickerLabels) -> String {
    let zone = managed.zone().tz();
    let start = managed.start().with_timezone(&zone);
    let end = managed.end().with_timezone(&zone);
    format!(
        "{}, {} – {}",
        labels.day_long(start.date_naive()),
        labels.time(start.time()),
        labels.time(end.time())
    )
}

/// Where a cancelled meeting's prospect can book again: the link they used while it still
/// books, else another open link to the same meeting type that is for anyone.
async fn book_again_url(
    state: &AppState,
    managed: &Managed,
    embedded: Embedded,
) -> Result<Option<String>, PageError> {
    let used = managed.meeting.booking_link_id.clone();
    let type_id = managed.meeting_type.id.clone();
    let now = state.clock.now();
    let found = state
        .db
        .run(move |conn| {
            let used = match used {
                Some(id) => links::find(conn, &id)?,
                None => None,
            };
            Ok((used, links::list(conn, Some(&type_id))?))
        })
        .await?;
    let (used, others) = found;
    let open = used.filter(|link| link.bookable(now).is_ok()).or_else(|| {
        others
            .into_iter()
            .find(|link| link.lead_id.is_none() && link.bookable(now).is_ok())
    });
    Ok(open.map(|link| embedded.keep(&format!("/book/{}", link.slug))))
}

async fn manage_page_response(
    state: &AppState,
    token: String,
    managed: Managed,
    csrf: &CsrfToken,
    view: ManageView,
) -> Result<HttpResponse, PageError> {
    let labels = view.texts;
    let t = view.texts;
    let embedded = view.embedded;
    let zone = managed.zone();
    let now = state.clock.now();
    let started = has_started(managed.start(), now);
    let status = managed.meeting.status.as_str();
    let can_reschedule = status == "scheduled" && !started;
    let can_cancel = crate::meetings::changeable(&managed.request) && !started;
    let page_url = format!("/m/{token}");
    let picker = match view.rescheduling.as_ref().filter(|_| can_reschedule) {
        Some(asked) => {
            let links = PageLinks::new(
                page_url.clone(),
                zone,
                &view.query,
                &[("reschedule", "1")],
                embedded,
            );
            Some(
                picker_page::load(
                    state,
                    PickerFor {
                        meeting_type: &managed.meeting_type,
                        zone,
                        asked,
                        moving: Some((managed.meeting.id.clone(), managed.start())),
                    },
                    &labels,
                    &links,
                )
                .await?,
            )
        }
        None => None,
    };
    let booked = (embedded.0 && view.just_booked).then(|| BookedMessage {
        meeting_request_id: managed.request.id.clone(),
        status: managed.request.status.as_str().to_owned(),
        start_utc: managed
            .start()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    let host_names: Vec<String> = managed.hosts.iter().map(|h| h.name.clone()).collect();
    let confirmer = if host_names.is_empty() {
        t.get("manage-our-team")
    } else {
        host_names.join(", ")
    };
    let (headline, next_steps, status_label) = match status {
        "held" => (
            t.get("manage-headline-requested"),
            Some(t.get_with(
                "manage-awaiting-next",
                &[
                    ("host", &confirmer),
                    (
                        "hours",
                        &state.settings.workflow.approval_sla_hours.to_string(),
                    ),
                ],
            )),
            t.get("book-awaiting-title"),
        ),
        "scheduled" => (
            if view.just_booked {
                t.get("book-booked-title")
            } else if view.just_moved {
                t.get("manage-headline-moved")
            } else {
                managed.meeting_type.name.clone()
            },
            Some(t.get_with("manage-booked-next", &[("email", &managed.lead.email)])),
            t.get("manage-status-scheduled"),
        ),
        "cancelled" => (
            match managed.request.status.as_str() {
                "rejected" => t.get("manage-headline-declined"),
                "expired" => t.get("manage-headline-expired"),
                _ => t.get("manage-cancelled-title"),
            },
            None,
            t.get("manage-status-cancelled"),
        ),
        "completed" => (
            t.get("manage-headline-completed"),
            None,
            t.get("manage-status-completed"),
        ),
        _ => (
            managed.meeting_type.name.clone(),
            None,
            t.get("manage-status-closed"),
        ),
    };
    let book_again = if status == "cancelled" {
        book_again_url(state, &managed, embedded).await?
    } else {
        None
    };
    let location = managed.meeting.location.clone();
    let video_url = location
        .as_deref()
        .filter(|location| is_web_address(location))
        .map(str::to_owned);
    let calendar = (status == "scheduled").then(|| {
        CalendarLinks::new(&CalendarEvent {
            title: &managed.meeting_type.name,
            start: managed.start(),
            end: managed.end(),
            location: location.as_deref(),
            details: &t.get_with(
                "manage-calendar-details",
                &[(
                    "url",
                    &format!("{}/m/{token}", state.settings.server.public_base()),
                )],
            ),
        })
    });
    let (status_code, error) = match view.error {
        Some((code, message)) => (code, Some(message)),
        None => (StatusCode::OK, None),
    };
    let (error, slot_error) = if picker.is_some() {
        (None, error)
    } else {
        (error, None)
    };
    let page = ManagePage {
        t,
        asset_version: crate::http::assets::version(),
        meeting_name: managed.meeting_type.name.clone(),
        headline,
        next_steps,
        status: status_label,
        when: describe_time(&managed, &labels),
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
        location,
        video_url,
        calendar,
        notice: view.notice,
        error,
        slot_error,
        can_cancel,
        can_reschedule,
        started: started && matches!(status, "scheduled" | "held"),
        picker,
        cancelling: view.cancelling && can_cancel,
        book_again,
        csrf_token: csrf.0.clone(),
        embedded: embedded.0,
        reschedule_open_url: embedded.keep(&keep_language(
            &format!("/m/{token}?reschedule=1#reschedule"),
            t,
        )),
        cancel_open_url: embedded.keep(&keep_language(&format!("/m/{token}?cancel=1#cancel"), t)),
        ics_url: format!("/m/{token}/invite.ics"),
        reschedule_url: embedded.keep(&keep_language(&format!("/m/{token}/reschedule"), t)),
        cancel_url: embedded.keep(&keep_language(&format!("/m/{token}/cancel"), t)),
        page_url: embedded.keep(&keep_language(&page_url, t)),
        booked,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status_code;
    if embedded.0 {
        allow_framing(&mut response, &state.settings.public.embed_origins);
    }
    Ok(response)
}

/// Whether a meeting's location is an address to open (a video call) rather than a place.
fn is_web_address(location: &str) -> bool {
    url::Url::parse(location.trim())
        .is_ok_and(|url| matches!(url.scheme(), "https" | "http") && url.host().is_some())
}

#[get("/m/{token}")]
async fn manage_page(
    state: web::Data<AppState>,
    request: HttpRequest,
    token: web::Path<String>,
    query: web::Query<ManageQuery>,
    csrf: CsrfToken,
    embedded: Embedded,
    language: PageLanguage,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let managed = manage::find(&state, token.clone()).await?;
    let t = language.texts();
    let notice = if query.rescheduled.is_some() {
        Some(t.get("manage-notice-moved-invite"))
    } else if query.cancelled.is_some() {
        Some(t.get("manage-notice-cancelled-told"))
    } else {
        None
    };
    let pairs = query_pairs(request.query_string());
    let view = ManageView {
        texts: t,
        notice,
        embedded,
        just_booked: query.booked.is_some(),
        just_moved: query.rescheduled.is_some(),
        rescheduling: query
            .reschedule
            .is_some()
            .then(|| Asked::from_query(&pairs)),
        cancelling: query.cancel.is_some(),
        query: pairs,
        ..ManageView::default()
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
    language: PageLanguage,
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
                Ok(_) => Ok(see_other(&embedded.keep(&keep_language(
                    &format!("/m/{token}?rescheduled=1"),
                    language.texts(),
                )))),
                Err(
                    error @ (AppError::Conflict(_)
                    | AppError::ConflictOf { .. }
                    | AppError::Validation(_)),
                ) => {
                    let message = match &error {
                        AppError::Validation(_) => language.texts().get("manage-error-pick-time"),
                        AppError::Conflict(_) => language.texts().get("book-error-taken-kept"),
                        other => other.to_string(),
                    };
                    Ok(refused_change(
                        &state,
                        token,
                        managed,
                        Seen {
                            csrf: &csrf,
                            embedded,
                            texts: language.texts(),
                        },
                        &error,
                        message,
                    )
                    .await?)
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
    language: PageLanguage,
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
                Ok(_) => Ok(see_other(&embedded.keep(&keep_language(
                    &format!("/m/{token}?cancelled=1"),
                    language.texts(),
                )))),
                Err(error @ (AppError::Conflict(_) | AppError::ConflictOf { .. })) => {
                    let message = error.to_string();
                    Ok(refused_change(
                        &state,
                        token,
                        managed,
                        Seen {
                            csrf: &csrf,
                            embedded,
                            texts: language.texts(),
                        },
                        &error,
                        message,
                    )
                    .await?)
                }
                Err(other) => Err(PageError(other).into()),
            }
        }
    }
}

/// A refused reschedule or cancel from the manage page's forms: the page again, with why, and
/// the picker or the cancel form still open.
async fn refused_change(
    state: &AppState,
    token: String,
    managed: Managed,
    seen: Seen<'_>,
    error: &AppError,
    message: String,
) -> Result<HttpResponse, PageError> {
    let status = actix_web::ResponseError::status_code(error);
    let view = ManageView {
        texts: seen.texts,
        error: Some((status, message)),
        embedded: seen.embedded,
        rescheduling: Some(Asked::default()),
        ..ManageView::default()
    };
    manage_page_response(state, token, managed, seen.csrf, view).await
}
