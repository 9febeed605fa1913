//! Public booking: the slots a link offers, and booking one of them in a single transaction that
//! re-checks the slot and claims the hosts' time blocks, so a slot is sold exactly once.

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::Actor;
use crate::auth::link_keys::LinkKey;
use crate::booking::error::BookingError;
use crate::booking::limits as booking_limits;
use crate::booking::links::{self, BookingLink};
use crate::booking::rules::LiveBookingLimits;
use crate::booking::slots_cache::{CachedSlots, SlotsKey};
use crate::calendars::readings::ReadPolicy;
use crate::calendars::service::{refresh_readings, refresh_readings_where};
use crate::db::StoreError;
use crate::db::{write_transaction, DbConnection};
use crate::events::{EventType, Publisher};
use crate::field_errors::FieldErrors;
use crate::i18n::Language;
use crate::leads::attribution::{Touch, TouchAt};
use crate::leads::model::{BantInput, LeadInput, LeadIntake};
use crate::leads::repo as leads_repo;
use crate::leads::scoring::ScoringRules;
use crate::meetings::lifecycle::{self, Placement};
use crate::routing::booked as routed;
use crate::routing::repo::{self as routing_repo, StoredRouting};
use crate::scheduling::availability::{
    booking_window, choose_round_robin_host, HostMode, Interval,
};
use crate::scheduling::host_time::{availability_version, host_loads};
use crate::scheduling::meeting_types::MeetingType;
use crate::scheduling::offers::{availability, free_hosts_at};
use crate::scheduling::repo as types_repo;
use crate::state::AppState;
use crate::users::repo as users_repo;
use crate::values::{optional_multiline_text, TimeZone};
use crate::workflow::repo::{self as requests_repo, NewRequest};
use crate::workflow::state::{needs_approval, transition, RequestStatus, WorkflowAction};

/// A link that can be booked through, with its meeting type.
#[derive(Clone)]
pub struct OpenLink {
    pub link: BookingLink,
    /// Narrowed to the routed hosts when a router made the link.
    pub meeting_type: MeetingType,
    /// The routing that made the link, when a router did.
    pub routing: Option<StoredRouting>,
}

/// The link behind `slug`: 404 when unknown, 410 when off, expired or used up.
pub async fn open_link(state: &AppState, slug: String) -> Result<OpenLink, BookingError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| Ok(find_open_link(conn, &slug, now)))
        .await?
}

/// [`open_link`] on a connection the caller holds, so that a request needs one database task.
fn find_open_link(
    conn: &mut DbConnection,
    slug: &str,
    now: DateTime<Utc>,
) -> Result<OpenLink, BookingError> {
    if slug.len() > 64 {
        return Err(BookingError::UnknownLink);
    }
    let link = links::find_by_slug(conn, slug)?.ok_or(BookingError::UnknownLink)?;
    let mut meeting_type =
        types_repo::find(conn, &link.meeting_type_id)?.ok_or(BookingError::UnknownLink)?;
    let routing = routing_repo::routing_of_link(conn, &link.id)?;
    if let Some(routing) = &routing {
        meeting_type = routed::narrowed(meeting_type, routing);
    }
    link.bookable(now)
        .map_err(|why| BookingError::LinkClosed(why.explain()))?;
    if !meeting_type.active {
        return Err(BookingError::LinkClosed(
            "this meeting is no longer offered",
        ));
    }
    Ok(OpenLink {
        link,
        meeting_type,
        routing,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotsQuery {
    /// First local day.
    #[param(value_type = Option<crate::http::schemas::Day>)]
    pub from: Option<String>,
    /// Last local day (inclusive); at most 62 days after `from`.
    #[param(value_type = Option<crate::http::schemas::Day>)]
    pub to: Option<String>,
    /// The zone the days and the answer's times are in (UTC when absent).
    #[param(value_type = Option<crate::http::schemas::IanaTimeZone>)]
    pub tz: Option<String>,
}

/// A parsed [`SlotsQuery`].
pub struct SlotWindow {
    pub window: Interval,
    pub zone: TimeZone,
}

impl SlotsQuery {
    pub fn parse(&self, today: NaiveDate) -> Result<SlotWindow, FieldErrors> {
        let mut errors = FieldErrors::new();
        let zone = TimeZone::parse(self.tz.as_deref().unwrap_or("UTC"))
            .map_err(|m| errors.add("tz", m))
            .ok();
        let date = |field: &str,
                    raw: Option<&str>,
                    default: NaiveDate,
                    errors: &mut FieldErrors| match raw {
            None => Some(default),
            Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| errors.add(field, "must be a date in YYYY-MM-DD form"))
                .ok(),
        };
        let from = date("from", self.from.as_deref(), today, &mut errors);
        let to = from.and_then(|from| {
            date(
                "to",
                self.to.as_deref(),
                from + Duration::days(6),
                &mut errors,
            )
        });
        let (Some(zone), Some(from), Some(to)) = (zone, from, to) else {
            return Err(errors);
        };
        match booking_window(from, to, zone.tz()) {
            Ok(window) if errors.is_empty() => Ok(SlotWindow { window, zone }),
            Ok(_) => Err(errors),
            Err(e) => {
                errors.add("to", e.to_string());
                Err(errors)
            }
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    /// In the requested time zone, with its offset.
    pub start: String,
    pub end: String,
    pub start_utc: String,
    pub end_utc: String,
}

impl SlotView {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, zone: TimeZone) -> Self {
        let local = |at: DateTime<Utc>| {
            at.with_timezone(&zone.tz())
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        };
        let utc = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
        Self {
            start: local(start),
            end: local(end),
            start_utc: utc(start),
            end_utc: utc(end),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SlotsView {
    pub timezone: String,
    pub duration_minutes: i32,
    pub slots: Vec<SlotView>,
    /// Hosts (user ids) whose calendars could not be read; they count as busy.
    pub degraded_hosts: Vec<String>,
    /// True when `calendars.on_unreadable = "convene_only"` offered a host whose calendar
    /// could not be read on Convene's own data.
    pub partial: bool,
}

/// computed or a slot is booked.
async fn refresh_link_calendars(state: &AppState, slug: &str, now: DateTime<Utc>) {
    if !state.calendars.enabled() {
        return;
    }
    let slug = slug.to_owned();
    refresh_readings_where(state, move |conn| {
        Ok(find_open_link(conn, &slug, now)
            .map(|open| open.meeting_type.host_ids)
            .unwrap_or_default())
    })
    .await;
}

/// `GET /book/{slug}/slots` as its JSON body: the version, link, meeting type, hosts and busy
/// time are read in one database task, and an answer kept in memory at the current version is
/// served without reading the rest. An unknown or closed link is reported before a bad query;
/// only successful answers are kept, so a closed link is always looked up.
pub async fn public_slots(
    state: &AppState,
    slug: String,
    query: SlotsQuery,
) -> Result<Bytes, BookingError> {
    let now = state.clock.now();
    refresh_link_calendars(state, &slug, now).await;
    let window = query.parse(now.date_naive());
    let cache = state.slots_cache.clone();
    let policy = state.read_policy();
    state
        .db
        .run(move |conn| {
            let cached_under = match &window {
                Ok(asked) if cache.enabled() => {
                    let key = SlotsKey {
                        slug: slug.clone(),
                        window: asked.window,
                        zone: asked.zone.name(),
                    };
                    let version = availability_version(conn)?;
                    if let Some(body) = cache.get(&key, version, now) {
                        return Ok(Ok(body));
                    }
                    Some((key, version))
                }
                _ => None,
            };
            let found = find_open_link(conn, &slug, now).and_then(|open| {
                let window = window?;
                let offer =
                    availability(conn, &open.meeting_type, window.window, now, None, &policy)?;
                let view = SlotsView {
                    timezone: window.zone.name().to_owned(),
                    duration_minutes: open.meeting_type.duration_minutes,
                    slots: offer
                        .iter()
                        .flat_map(|offer| offer.availability.slots())
                        .map(|slot| SlotView::new(slot.start, slot.end, window.zone))
                        .collect(),
                    degraded_hosts: offer
                        .as_ref()
                        .map(|offer| offer.degraded.clone())
                        .unwrap_or_default(),
                    partial: offer.as_ref().is_some_and(|offer| offer.partial),
                };
                Ok((view, open.link.expires_at))
            });
            Ok(found.and_then(|(view, link_expires_at)| {
                let body = Bytes::from(serde_json::to_vec(&view)?);
                if let Some((key, version)) = cached_under {
                    cache.put(
                        key,
                        CachedSlots {
                            body: body.clone(),
                            version,
                            computed_at: now,
                            link_expires_at: link_expires_at.map(|at| at.and_utc()),
                        },
                    );
                }
                Ok(body)
            }))
        })
        .await?
}

/// `POST /book/{slug}` as JSON or as the booking page's form.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct BookingRequest {
    /// The slot's start.
    #[schema(value_type = crate::http::schemas::Instant)]
    pub start: String,
    #[schema(value_type = crate::http::schemas::Name)]
    pub name: String,
    #[schema(value_type = crate::http::schemas::EmailAddress)]
    pub email: String,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub company: Option<String>,
    /// The prospect's time zone.
    #[schema(value_type = crate::http::schemas::IanaTimeZone)]
    pub timezone: String,
    pub bant: Option<BantInput>,
    #[schema(value_type = Option<crate::http::schemas::Note>)]
    pub notes: Option<String>,
    /// Digits, spaces and `+ - ( ) . x`.
    #[schema(value_type = Option<String>, max_length = 40, pattern = r"^[0-9 +\-().x]*$")]
    pub phone: Option<String>,
    /// The prospect's job title.
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub title: Option<String>,
    /// Lead attributes to merge, as `POST /api/v1/leads` takes them: any JSON object, up to
    /// 8192 bytes.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// Where the prospect came from: it becomes the lead's last touch (and first, if it has
    /// none) and the meeting request's attribution. A lead without a campaign or source takes
    /// `utm_campaign` and `utm_source`.
    pub attribution: Option<Touch>,
    /// The language the prospect's emails are written in (`en`, `vi`, `km`, …); one without a
    /// catalogue gives way to the browser's `Accept-Language`, then English.
    #[serde(default)]
    #[schema(example = "vi")]
    pub lang: Option<String>,
}

impl BookingRequest {
    /// Keeps `lang` if it names a language with a catalogue, else puts `page_language` there.
    pub fn settle_language(&mut self, page_language: Language) {
        let language = self
            .lang
            .as_deref()
            .and_then(Language::supported)
            .unwrap_or(page_language);
        self.lang = Some(language.code());
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookingConfirmation {
    pub meeting_request_id: String,
    #[schema(example = "scheduled")]
    pub status: String,
    /// The prospect's private page to see, reschedule or cancel the meeting.
    pub manage_url: String,
}

/// A booking's outcome with the secret manage token, which exists only here.
pub struct Booked {
    pub meeting_request_id: String,
    pub status: RequestStatus,
    pub manage_token: String,
}

struct BookingInput {
    start: DateTime<Utc>,
    zone: TimeZone,
    lead: LeadInput,
    notes: Option<String>,
    touch: Option<Touch>,
    language: Language,
}

fn parse_booking(body: &BookingRequest) -> Result<BookingInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let start = DateTime::parse_from_rfc3339(body.start.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            errors.add(
                "start",
                "must be an RFC 3339 time with an offset, like 2026-12-01T09:30:00+01:00",
            )
        })
        .ok();
    let zone = TimeZone::parse(&body.timezone)
        .map_err(|m| errors.add("timezone", m))
        .ok();
    let notes = optional_multiline_text(body.notes.as_deref(), 2000)
        .map_err(|m| errors.add("notes", m))
        .ok()
        .flatten();
    let touch = match body.attribution.as_ref().map(Touch::parse).transpose() {
        Ok(touch) => touch.filter(|touch| !touch.is_empty()),
        Err(touch_errors) => {
            for (field, messages) in touch_errors.fields() {
                for message in messages {
                    errors.add(field, message.clone());
                }
            }
            None
        }
    };
    // A booking names its source only when the visit has none of its own: a lead without a
    // source then takes `utm_source` instead.
    let source = touch
        .as_ref()
        .is_none_or(|touch| touch.utm_source.is_none())
        .then(|| "booking_link".to_owned());
    let lead = LeadInput {
        email: body.email.clone(),
        name: body.name.clone(),
        company: body.company.clone(),
        phone: body.phone.clone(),
        title: body.title.clone(),
        attributes: body.attributes.clone(),
        timezone: Some(body.timezone.clone()),
        bant: body.bant.clone(),
        source,
        ..LeadInput::default()
    };
    if let Err(lead_errors) = lead.parse() {
        for (field, messages) in lead_errors.fields() {
            if field != "timezone" {
                for message in messages {
                    errors.add(field, message.clone());
                }
            }
        }
    }
    match (start, zone) {
        (Some(start), Some(zone)) if errors.is_empty() => Ok(BookingInput {
            start,
            zone,
            lead,
            notes,
            touch,
            language: body
                .lang
                .as_deref()
                .and_then(Language::supported)
                .unwrap_or_default(),
        }),
        _ => Err(errors),
    }
}

/// The domain in meeting UIDs: the host people reach Convene at.
pub fn uid_domain(state: &AppState) -> String {
    uid_domain_of(&state.settings)
}

/// The domain in meeting UIDs and Message-IDs.
pub fn uid_domain_of(settings: &crate::config::Settings) -> String {
    settings.server.public_url().map_or_else(
        |_| "convene".to_owned(),
        |url| url.host_str().unwrap_or("convene").to_owned(),
    )
}

/// A booking's input once parsed: the slot, the prospect's zone and lead facts.
struct ParsedBooking {
    input: BookingInput,
    intake: LeadIntake,
}

fn parse_submission(body: &BookingRequest) -> Result<ParsedBooking, FieldErrors> {
    let input = parse_booking(body)?;
    let intake = LeadIntake {
        touch: input.touch.clone(),
        ..input.lead.parse()?
    };
    Ok(ParsedBooking { input, intake })
}

/// What the booking transaction needs besides the link and the submission.
struct BookingContext {
    rules: std::sync::Arc<ScoringRules>,
    publisher: Publisher,
    link_key: LinkKey,
    uid_domain: String,
    now: DateTime<Utc>,
    policy: ReadPolicy,
    limits: LiveBookingLimits,
    routers: crate::config::RouterSettings,
}

impl BookingContext {
    fn of(state: &AppState, now: DateTime<Utc>) -> Self {
        Self {
            rules: state.scoring_rules.clone(),
            publisher: state.publisher.clone(),
            link_key: state.link_key.clone(),
            uid_domain: uid_domain(state),
            now,
            policy: state.read_policy(),
            limits: state.settings.booking.live_booking_limits(),
            routers: state.settings.routers.clone(),
        }
    }
}

/// Books through a link already opened (the booking page's form, which shows the page again on
/// a refusal).
pub async fn book(
    state: &AppState,
    open: OpenLink,
    body: BookingRequest,
) -> Result<Booked, BookingError> {
    let parsed = parse_submission(&body)?;
    refresh_readings(state, open.meeting_type.host_ids.clone()).await;
    let context = BookingContext::of(state, state.clock.now());
    let booked = state
        .db
        .run(move |conn| Ok(book_on(conn, open, parsed, &context)))
        .await??;
    state.changes_committed();
    Ok(booked)
}

/// `POST /book/{slug}` as JSON: the link is opened and booked in one database task. An unknown
/// or closed link is reported before a bad body.
pub async fn book_by_slug(
    state: &AppState,
    slug: String,
    body: BookingRequest,
) -> Result<Booked, BookingError> {
    let parsed = parse_submission(&body);
    let now = state.clock.now();
    refresh_link_calendars(state, &slug, now).await;
    let context = BookingContext::of(state, now);
    let booked = state
        .db
        .run(move |conn| {
            Ok(find_open_link(conn, &slug, now)
                .and_then(|open| book_on(conn, open, parsed?, &context)))
        })
        .await??;
    state.changes_committed();
    Ok(booked)
}

/// The booking transaction: re-checks the slot, records the lead, request and meeting, and
/// claims the hosts' time.
fn book_on(
    conn: &mut DbConnection,
    open: OpenLink,
    parsed: ParsedBooking,
    context: &BookingContext,
) -> Result<Booked, BookingError> {
    let BookingContext {
        rules,
        publisher,
        link_key,
        uid_domain,
        now,
        policy,
        limits,
        routers,
    } = context;
    let now = *now;
    let OpenLink {
        link,
        meeting_type,
        routing,
    } = open;
    let ParsedBooking { input, intake } = parsed;
    let outcome = write_transaction(conn, |conn| {
        let prospect = booking_limits::prospect_of(conn, &link, &intake)?;
        booking_limits::admit_booking(conn, &prospect, &link.id, *limits, now)??;
        let Some(free_hosts) = free_hosts_at(conn, &meeting_type, input.start, now, policy)? else {
            return Err(BookingError::SlotTaken);
        };
        let mut routed_choice = None;
        let host_ids = if meeting_type.host_mode == HostMode::Collective {
            free_hosts
        } else if let Some(routing) = routing.clone() {
            // A routed link: the weighted round robin decides, and its ledger remembers.
            let choice = routed::choose_host(
                conn,
                &meeting_type,
                &free_hosts,
                routing,
                now,
                policy,
                routers,
            )?
            .ok_or(BookingError::SlotTaken)?;
            let host_ids = vec![choice.host_id.clone()];
            routed_choice = Some(choice);
            host_ids
        } else {
            let loads = host_loads(conn, &free_hosts, now)?;
            choose_round_robin_host(&free_hosts, &loads)
                .into_iter()
                .collect()
        };
        if !links::take_use(conn, &link)? {
            return Err(BookingError::LinkUsedUp);
        }
        let actor = Actor::Prospect;
        let lead_change = leads_repo::LeadChange {
            actor: &actor,
            publisher,
            now,
        };
        let lead = match &link.lead_id {
            Some(lead_id) => {
                leads_repo::update_from_booking(conn, lead_id, &intake, rules, &lead_change)?
            }
            None => leads_repo::upsert(conn, &intake, rules, &lead_change)?.0,
        };
        if let Some(minimum) = meeting_type
            .min_lead_score
            .filter(|min| i32::from(lead.score) < *min)
        {
            return Err(BookingError::Unqualified { minimum });
        }
        let auto_approve = meeting_type
            .auto_approve_min_score
            .and_then(|s| u8::try_from(s.clamp(0, 100)).ok());
        let submit = WorkflowAction::Submit {
            needs_approval: needs_approval(
                meeting_type.requires_approval,
                auto_approve,
                lead.score,
            ),
        };
        let submitted = transition(RequestStatus::Requested, &submit)?;
        let booked_by = input.touch.clone().map(|touch| TouchAt::new(touch, now));
        let request = requests_repo::insert(
            conn,
            &NewRequest {
                lead_id: &lead.id,
                meeting_type_id: &meeting_type.id,
                host_ids: &host_ids,
                notes: input.notes.as_deref(),
                submitted_status: submitted,
                submit,
                attribution: booked_by.as_ref(),
                prospect_language: input.language,
            },
            &actor,
            now,
        )?;
        match (&routed_choice, &routing) {
            (Some(choice), _) => {
                routed::record(conn, choice, &meeting_type.id, &request.id, now)?;
            }
            (None, Some(routing)) => routed::record_collective(conn, routing, &request.id, now)?,
            (None, None) => {}
        }
        let meeting_status = if submitted == RequestStatus::Approved {
            "scheduled"
        } else {
            "held"
        };
        let placed = lifecycle::place(
            conn,
            &Placement {
                meeting_type: &meeting_type,
                request: &request,
                host_ids: &host_ids,
                start: input.start,
                zone: input.zone,
                status: meeting_status,
                booking_link_id: Some(&link.id),
                prospect_key: Some(&prospect),
                uid_domain,
                link_key,
                claim_time: true,
                now,
            },
        )?;
        let status = lifecycle::schedule_if_approved(conn, &request.id, submitted, &actor, now)?;
        crate::workflow::events::publish(
            conn,
            publisher,
            EventType::MeetingRequestCreated,
            &request.id,
            now,
        )?;
        lifecycle::announce_created(conn, publisher, &placed.meeting_id, status, false, now)?;
        Ok(Booked {
            meeting_request_id: request.id,
            status,
            manage_token: placed.manage_token,
        })
    });
    // A concurrent booking of the same slot can also surface as a unique violation at
    // commit or as a serialization failure; either way the slot is gone.
    outcome.map_err(|error| {
        if error.is_unique_violation() {
            BookingError::SlotTaken
        } else {
            error
        }
    })
}

/// Bookable times with what the hosts' calendars contributed.
pub struct OfferedTimes {
    pub times: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Hosts whose calendars could not be read.
    pub degraded_hosts: Vec<String>,
    pub partial: bool,
}

/// The bookable slots of `meeting_type` in `window`, as start and end; the time of meeting
/// `ignoring` counts as free.
pub async fn slot_times(
    state: &AppState,
    meeting_type: MeetingType,
    window: Interval,
    ignoring: Option<String>,
) -> Result<OfferedTimes, StoreError> {
    refresh_readings(state, meeting_type.host_ids.clone()).await;
    let now = state.clock.now();
    let policy = state.read_policy();
    let offer = state
        .db
        .run(move |conn| {
            availability(
                conn,
                &meeting_type,
                window,
                now,
                ignoring.as_deref(),
                &policy,
            )
        })
        .await?;
    Ok(match offer {
        Some(offer) => OfferedTimes {
            times: offer
                .availability
                .slots()
                .iter()
                .map(|slot| (slot.start, slot.end))
                .collect(),
            degraded_hosts: offer.degraded,
            partial: offer.partial,
        },
        None => OfferedTimes {
            times: Vec::new(),
            degraded_hosts: Vec::new(),
            partial: false,
        },
    })
}

/// The names and titles of a meeting type's hosts, for the public page.
pub async fn host_names(
    state: &AppState,
    meeting_type: &MeetingType,
) -> Result<Vec<String>, StoreError> {
    let ids = meeting_type.host_ids.clone();
    let hosts = state
        .db
        .run(move |conn| users_repo::find_all(conn, &ids))
        .await?;
    Ok(hosts
        .into_iter()
        .filter(|host| host.active)
        .map(|host| match &host.title {
            Some(title) => format!("{}, {title}", host.name),
            None => host.name,
        })
        .collect())
}
