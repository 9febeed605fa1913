//! The prospect's private manage link: see the meeting, reschedule it (same UID, SEQUENCE + 1)
//! or cancel it. Each change is one transaction with its audit row.

use crate::calendars::service::refresh_readings;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::audit::Actor;
use crate::auth::tokens::sha256_hex;
use crate::booking::rules::{ensure_not_started, PastMeetings};
use crate::booking::service::{bookable, claim_time, OpenSlot};
use crate::db::schema::{host_time_blocks, meeting_hosts, meetings};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::error::AppError;
use crate::leads::model::Lead;
use crate::notifications::ics::{
    render, AttendeeRole, IcsAttendee, IcsEvent, IcsMethod, IcsStatus, Person,
};
use crate::notifications::messages::MeetingNotice;
use crate::notifications::service::queue_meeting_notice;
use crate::scheduling::availability::Interval;
use crate::scheduling::meeting_types::MeetingType;
use crate::state::AppState;
use crate::users::model::User;
use crate::values::TimeZone;
use crate::workflow::repo::{self as requests_repo, Step};
use crate::workflow::requests::MeetingRequest;
use crate::workflow::state::{transition, RequestStatus, WorkflowAction};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingRecord {
    pub id: String,
    pub meeting_request_id: String,
    pub status: String,
    pub start_utc: NaiveDateTime,
    pub end_utc: NaiveDateTime,
    pub prospect_timezone: String,
    pub ics_uid: String,
    pub sequence: i32,
    pub location: Option<String>,
    pub manage_token_hash: Option<String>,
    pub booking_link_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Everything the manage page shows about one meeting.
#[derive(Debug, Clone)]
pub struct Managed {
    pub meeting: MeetingRecord,
    pub request: MeetingRequest,
    pub meeting_type: MeetingType,
    pub lead: Lead,
    pub hosts: Vec<User>,
}

impl Managed {
    pub fn zone(&self) -> TimeZone {
        TimeZone::parse(&self.meeting.prospect_timezone).unwrap_or_else(|_| {
            TimeZone::parse("UTC").unwrap_or_else(|_| unreachable!("UTC is an IANA zone"))
        })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.meeting.start_utc.and_utc()
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.meeting.end_utc.and_utc()
    }

    /// The meeting as an iCalendar REQUEST (or CANCEL once cancelled), organized by
    /// `organizer` (the address invitations come from), with every host and the prospect
    /// invited.
    pub fn ics(
        &self,
        organizer: Person,
        description: String,
        url: Option<String>,
        stamp: DateTime<Utc>,
    ) -> String {
        let mut attendees: Vec<IcsAttendee> = self
            .hosts
            .iter()
            .enumerate()
            .map(|(n, host)| IcsAttendee {
                name: host.name.clone(),
                email: host.email.clone(),
                role: if n == 0 {
                    AttendeeRole::Chair
                } else {
                    AttendeeRole::Required
                },
            })
            .collect();
        attendees.push(IcsAttendee {
            name: self.lead.name.clone(),
            email: self.lead.email.clone(),
            role: AttendeeRole::Required,
        });
        let cancelled = self.meeting.status == "cancelled";
        render(&IcsEvent {
            uid: self.meeting.ics_uid.clone(),
            sequence: u32::try_from(self.meeting.sequence).unwrap_or(0),
            method: if cancelled {
                IcsMethod::Cancel
            } else {
                IcsMethod::Request
            },
            start: self.start(),
            end: self.end(),
            stamp,
            summary: self.meeting_type.name.clone(),
            description,
            location: self.meeting.location.clone(),
            organizer,
            attendees,
            status: if self.meeting.status == "held" {
                IcsStatus::Tentative
            } else {
                IcsStatus::Confirmed
            },
            url,
        })
    }
}

fn load(conn: &mut DbConnection, meeting: MeetingRecord) -> Result<Option<Managed>, StoreError> {
    let Some(request) = requests_repo::find(conn, &meeting.meeting_request_id)? else {
        return Ok(None);
    };
    let Some(meeting_type) = crate::scheduling::repo::find(conn, &request.meeting_type_id)? else {
        return Ok(None);
    };
    let Some(lead) = crate::leads::repo::find(conn, &request.lead_id)? else {
        return Ok(None);
    };
    let host_ids: Vec<String> = meeting_hosts::table
        .filter(meeting_hosts::meeting_id.eq(&meeting.id))
        .order(meeting_hosts::user_id.asc())
        .select(meeting_hosts::user_id)
        .load(conn)?;
    let mut hosts = Vec::with_capacity(host_ids.len());
    for id in &host_ids {
        if let Some(user) = crate::users::repo::find(conn, id)? {
            hosts.push(user);
        }
    }
    Ok(Some(Managed {
        meeting,
        request,
        meeting_type,
        lead,
        hosts,
    }))
}

/// The meeting behind a manage token; 404 for anything unknown.
pub async fn find(state: &AppState, token: String) -> Result<Managed, AppError> {
    if token.len() > 64 {
        return Err(AppError::NotFound("no meeting at this address".into()));
    }
    state
        .db
        .run(move |conn| {
            let meeting = meetings::table
                .filter(meetings::manage_token_hash.eq(sha256_hex(&token)))
                .select(MeetingRecord::as_select())
                .first(conn)
                .optional()?;
            match meeting {
                Some(meeting) => load(conn, meeting),
                None => Ok(None),
            }
        })
        .await?
        .ok_or_else(|| AppError::NotFound("no meeting at this address".into()))
}

/// The meeting with id `id` and everything around it, inside the caller's transaction.
pub fn reload(conn: &mut DbConnection, id: &str) -> Result<Managed, AppError> {
    let meeting = meetings::table
        .find(id)
        .select(MeetingRecord::as_select())
        .first(conn)?;
    load(conn, meeting)?.ok_or_else(|| AppError::NotFound("no meeting at this address".into()))
}

fn release_time(conn: &mut DbConnection, meeting_id: &str) -> Result<(), StoreError> {
    diesel::delete(host_time_blocks::table.filter(host_time_blocks::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    Ok(())
}

/// Moves a scheduled meeting to `start`, keeping its hosts, UID and request; once it has
/// started, only when `past` allows.
pub async fn reschedule(
    state: &AppState,
    managed: Managed,
    start: DateTime<Utc>,
    actor: Actor,
    past: PastMeetings,
) -> Result<Managed, AppError> {
    let now = state.clock.now();
    ensure_not_started(managed.start(), now, past)?;
    if managed.meeting.status != "scheduled" {
        return Err(AppError::Conflict(match managed.meeting.status.as_str() {
            "held" => {
                "this meeting is still waiting for approval; it can be moved once confirmed".into()
            }
            other => format!("a {other} meeting cannot be rescheduled"),
        }));
    }
    if start == managed.start() {
        return Err(AppError::Conflict(
            "the meeting is already at that time".into(),
        ));
    }
    refresh_readings(state, managed.meeting_type.host_ids.clone()).await;
    let policy = state.read_policy();
    let composer = state.composer();
    let moved = state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let meeting = &managed.meeting;
                let end =
                    start + Duration::minutes(i64::from(managed.meeting_type.duration_minutes));
                let around = Interval {
                    start: start - Duration::days(1),
                    end: end + Duration::days(1),
                };
                let offered = bookable(
                    conn,
                    &managed.meeting_type,
                    around,
                    now,
                    Some(&meeting.id),
                    &policy,
                )?;
                let host_ids: Vec<String> = managed.hosts.iter().map(|h| h.id.clone()).collect();
                let fits = offered.iter().any(|slot: &OpenSlot| {
                    slot.start == start && host_ids.iter().all(|host| slot.hosts.contains(host))
                });
                if !fits {
                    return Err(AppError::Conflict(
                        "that time is not free; please pick another".into(),
                    ));
                }
                release_time(conn, &meeting.id)?;
                let updated = diesel::update(
                    meetings::table
                        .filter(meetings::id.eq(&meeting.id))
                        .filter(meetings::sequence.eq(meeting.sequence)),
                )
                .set((
                    meetings::start_utc.eq(start.naive_utc()),
                    meetings::end_utc.eq(end.naive_utc()),
                    meetings::sequence.eq(meeting.sequence + 1),
                    meetings::updated_at.eq(now.naive_utc()),
                ))
                .execute(conn)?;
                if updated == 0 {
                    return Err(AppError::Conflict(
                        "the meeting changed meanwhile; reload and try again".into(),
                    ));
                }
                claim_time(conn, &meeting.id, &host_ids, start, end).map_err(|e| {
                    if e.is_unique_violation() {
                        AppError::Conflict("that time was just taken; please pick another".into())
                    } else {
                        e.into()
                    }
                })?;
                let action = WorkflowAction::Reschedule;
                let to = transition(managed.request.status, &action)?;
                let note = format!(
                    "{} → {}",
                    meeting.start_utc.and_utc().to_rfc3339(),
                    start.to_rfc3339()
                );
                let step = Step {
                    action: &action,
                    from: Some(managed.request.status),
                    to,
                    note: Some(&note),
                };
                requests_repo::transition(conn, &managed.request.id, &step, None, &actor, now)?;
                let previous_start = meeting.start_utc.and_utc();
                queue_meeting_notice(
                    conn,
                    &composer,
                    &meeting.id,
                    &MeetingNotice::Rescheduled { previous_start },
                    now,
                )
            }))
        })
        .await??;
    state.emails_queued();
    Ok(moved)
}

/// Cancels a scheduled meeting or a held slot and frees the hosts' time; once it has started,
/// only when `past` allows.
pub async fn cancel(
    state: &AppState,
    managed: Managed,
    reason: Option<String>,
    actor: Actor,
    past: PastMeetings,
) -> Result<Managed, AppError> {
    let now = state.clock.now();
    ensure_not_started(managed.start(), now, past)?;
    if !matches!(managed.meeting.status.as_str(), "scheduled" | "held") {
        return Err(AppError::Conflict(format!(
            "a {} meeting cannot be cancelled",
            managed.meeting.status
        )));
    }
    let composer = state.composer();
    let cancelled = state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let meeting = &managed.meeting;
                let updated = diesel::update(
                    meetings::table
                        .filter(meetings::id.eq(&meeting.id))
                        .filter(meetings::status.eq(&meeting.status)),
                )
                .set((
                    meetings::status.eq("cancelled"),
                    meetings::sequence.eq(meeting.sequence + 1),
                    meetings::updated_at.eq(now.naive_utc()),
                ))
                .execute(conn)?;
                if updated == 0 {
                    return Err(AppError::Conflict(
                        "the meeting changed meanwhile; reload and try again".into(),
                    ));
                }
                release_time(conn, &meeting.id)?;
                let action = WorkflowAction::Cancel;
                let to = transition(managed.request.status, &action)?;
                let step = Step {
                    action: &action,
                    from: Some(managed.request.status),
                    to,
                    note: reason.as_deref(),
                };
                requests_repo::transition(conn, &managed.request.id, &step, None, &actor, now)?;
                let notice = MeetingNotice::Cancelled {
                    was_scheduled: meeting.status == "scheduled",
                    reason: reason.clone(),
                };
                queue_meeting_notice(conn, &composer, &meeting.id, &notice, now)
            }))
        })
        .await??;
    state.emails_queued();
    Ok(cancelled)
}

/// Whether `status` leaves the request open to changes by the prospect.
pub fn changeable(request: &MeetingRequest) -> bool {
    matches!(
        request.status,
        RequestStatus::Scheduled | RequestStatus::PendingApproval
    )
}

/// A meeting by id; `None` when unknown.
pub async fn find_by_id(state: &AppState, id: String) -> Result<Option<Managed>, AppError> {
    if !crate::values::is_id(&id) {
        return Ok(None);
    }
    Ok(state
        .db
        .run(move |conn| {
            let meeting = meetings::table
                .find(&id)
                .select(MeetingRecord::as_select())
                .first(conn)
                .optional()?;
            match meeting {
                Some(meeting) => load(conn, meeting),
                None => Ok(None),
            }
        })
        .await?)
}

/// The meeting (or held slot) of request `request_id`, whatever its status.
pub fn meeting_of_request(
    conn: &mut DbConnection,
    request_id: &str,
) -> Result<Option<MeetingRecord>, StoreError> {
    Ok(meetings::table
        .filter(meetings::meeting_request_id.eq(request_id))
        .select(MeetingRecord::as_select())
        .first(conn)
        .optional()?)
}

/// The held slot of request `request_id`, if it has one.
pub fn held_meeting_of(
    conn: &mut DbConnection,
    request_id: &str,
) -> Result<Option<MeetingRecord>, StoreError> {
    Ok(meetings::table
        .filter(meetings::meeting_request_id.eq(request_id))
        .filter(meetings::status.eq("held"))
        .select(MeetingRecord::as_select())
        .first(conn)
        .optional()?)
}

fn settle_held(
    conn: &mut DbConnection,
    held: &MeetingRecord,
    status: &str,
    sequence: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let updated = diesel::update(
        meetings::table
            .filter(meetings::id.eq(&held.id))
            .filter(meetings::status.eq("held")),
    )
    .set((
        meetings::status.eq(status),
        meetings::sequence.eq(sequence),
        meetings::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(AppError::Conflict(
            "the held time changed meanwhile; reload and try again".into(),
        ));
    }
    Ok(())
}

/// An approved request's held slot becomes its meeting, with `hosts` when they differ from
/// the ones holding it (their time is claimed instead, or 409 if taken).
pub fn confirm_held(
    conn: &mut DbConnection,
    held: &MeetingRecord,
    hosts: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(hosts) = hosts {
        release_time(conn, &held.id)?;
        diesel::delete(meeting_hosts::table.filter(meeting_hosts::meeting_id.eq(&held.id)))
            .execute(conn)?;
        for host in hosts {
            diesel::insert_into(meeting_hosts::table)
                .values((
                    meeting_hosts::meeting_id.eq(&held.id),
                    meeting_hosts::user_id.eq(host),
                ))
                .execute(conn)?;
        }
        claim_time(
            conn,
            &held.id,
            hosts,
            held.start_utc.and_utc(),
            held.end_utc.and_utc(),
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                AppError::Conflict("those hosts are not free at the held time".into())
            } else {
                e.into()
            }
        })?;
    }
    settle_held(conn, held, "scheduled", held.sequence, now)
}

/// A rejected request's held slot is let go: cancelled, and its time free for others.
pub fn release_held(
    conn: &mut DbConnection,
    held: &MeetingRecord,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    settle_held(conn, held, "cancelled", held.sequence + 1, now)?;
    release_time(conn, &held.id)?;
    Ok(())
}

/// Filters of the meetings list.
#[derive(Debug, Default, Clone)]
pub struct MeetingQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub status: Option<String>,
    pub host_id: Option<String>,
}

/// Meetings by start time, held slots included only when asked for by status.
pub async fn list(
    state: &AppState,
    query: MeetingQuery,
    limit: i64,
) -> Result<Vec<Managed>, AppError> {
    Ok(state
        .db
        .run(move |conn| {
            let mut select = meetings::table
                .select(MeetingRecord::as_select())
                .into_boxed();
            if let Some(from) = query.from {
                select = select.filter(meetings::end_utc.gt(from.naive_utc()));
            }
            if let Some(to) = query.to {
                select = select.filter(meetings::start_utc.lt(to.naive_utc()));
            }
            if let Some(status) = query.status {
                select = select.filter(meetings::status.eq(status));
            } else {
                select = select.filter(meetings::status.ne("held"));
            }
            if let Some(host) = query.host_id {
                let hosted = meeting_hosts::table
                    .filter(meeting_hosts::user_id.eq(host))
                    .select(meeting_hosts::meeting_id);
                select = select.filter(meetings::id.eq_any(hosted));
            }
            let records: Vec<MeetingRecord> = select
                .order((meetings::start_utc.asc(), meetings::id.asc()))
                .limit(limit)
                .load(conn)?;
            let mut found = Vec::with_capacity(records.len());
            for record in records {
                if let Some(managed) = load(conn, record)? {
                    found.push(managed);
                }
            }
            Ok(found)
        })
        .await?)
}
