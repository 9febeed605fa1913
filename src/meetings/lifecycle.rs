//! Every change a meeting goes through, each inside the caller's transaction and each ending
//! with its event: create (scheduled, or held while its request awaits approval), confirm a
//! hold, release a hold, reschedule, cancel. What follows a change (emails, calendar writes,
//! webhooks) subscribes to the event; nothing here knows of it.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::audit::Actor;
use crate::auth::link_keys::{LinkKey, LinkPurpose};
use crate::auth::tokens::sha256_hex;
use crate::booking::rules::{ensure_not_started, PastMeetings, ProspectKey};
use crate::calendars::readings::ReadPolicy;
use crate::db::schema::{meeting_hosts, meetings};
use crate::db::{DbConnection, StoreError};
use crate::events::{EventType, Publisher};
use crate::meetings::error::MeetingError;
use crate::meetings::time::{claim_time, release_time};
use crate::meetings::view::{MeetingChange, MeetingEvent};
use crate::meetings::{self as store, Managed, MeetingRecord};
use crate::outcomes::model::{OpportunityView, OutcomeStatus, OutcomeView, RecordOutcome};
use crate::outcomes::repo as outcomes_repo;
use crate::scheduling::availability::Interval;
use crate::scheduling::meeting_types::MeetingType;
use crate::scheduling::offers::bookable;
use crate::values::{new_id, TimeZone};
use crate::workflow::repo::{self as requests_repo, Step};
use crate::workflow::requests::MeetingRequest;
use crate::workflow::state::{transition, RequestStatus, WorkflowAction};

/// Writes the event of a change to meeting `meeting_id`, as the meeting now stands, and hands
/// it to the subscribers; returns the meeting.
pub fn publish(
    conn: &mut DbConnection,
    publisher: &Publisher,
    event_type: EventType,
    meeting_id: &str,
    change: MeetingChange,
    now: DateTime<Utc>,
) -> Result<Managed, MeetingError> {
    let managed =
        store::find(conn, meeting_id)?.ok_or(MeetingError::ChangedMeanwhile("the meeting"))?;
    let data = MeetingEvent::read(conn, &managed, change, now)?;
    publisher.publish(conn, event_type, meeting_id, &data, now)?;
    Ok(managed)
}

/// A new meeting whose request, hosts and time are settled.
pub struct Placement<'a> {
    pub meeting_type: &'a MeetingType,
    pub request: &'a MeetingRequest,
    pub host_ids: &'a [String],
    pub start: DateTime<Utc>,
    pub zone: TimeZone,
    /// `held` while its request awaits approval, `scheduled` otherwise.
    pub status: &'static str,
    pub booking_link_id: Option<&'a str>,
    /// Who a booking through a link is for, as the live-booking limits count it.
    pub prospect_key: Option<&'a ProspectKey>,
    pub uid_domain: &'a str,
    pub link_key: &'a LinkKey,
    /// Whether the meeting occupies its hosts' time; false only for meetings logged after
    /// the fact.
    pub claim_time: bool,
    pub now: DateTime<Utc>,
}

/// A meeting just inserted, with the prospect's manage token.
pub struct Placed {
    pub meeting_id: String,
    pub manage_token: String,
}

/// Inserts the meeting, with the copies of its request's and lead's fields that the reports
/// read, and its hosts, and claims the hosts' time. Runs inside the caller's transaction.
pub fn place(conn: &mut DbConnection, placement: &Placement<'_>) -> Result<Placed, MeetingError> {
    let meeting_id = new_id();
    let manage_token = placement
        .link_key
        .token(LinkPurpose::ManageMeeting, &meeting_id);
    let end =
        placement.start + Duration::minutes(i64::from(placement.meeting_type.duration_minutes));
    let now = placement.now.naive_utc();
    let (campaign, source) = requests_repo::lead_groups(conn, &placement.request.lead_id)?;
    diesel::insert_into(meetings::table)
        .values((
            meetings::id.eq(&meeting_id),
            meetings::meeting_request_id.eq(&placement.request.id),
            meetings::requested_at.eq(Some(placement.request.created_at)),
            meetings::meeting_type_id.eq(Some(&placement.request.meeting_type_id)),
            meetings::lead_campaign.eq(campaign),
            meetings::lead_source.eq(source),
            meetings::status.eq(placement.status),
            meetings::start_utc.eq(placement.start.naive_utc()),
            meetings::end_utc.eq(end.naive_utc()),
            meetings::prospect_timezone.eq(placement.zone.name()),
            meetings::ics_uid.eq(format!("{meeting_id}@{}", placement.uid_domain)),
            meetings::sequence.eq(0),
            meetings::location.eq(placement.meeting_type.location.clone()),
            meetings::manage_token_hash.eq(sha256_hex(&manage_token)),
            meetings::booking_link_id.eq(placement.booking_link_id),
            meetings::prospect_key.eq(placement.prospect_key.map(ProspectKey::as_str)),
            meetings::created_at.eq(now),
            meetings::updated_at.eq(now),
        ))
        .execute(conn)?;
    for host in placement.host_ids {
        diesel::insert_into(meeting_hosts::table)
            .values((
                meeting_hosts::meeting_id.eq(&meeting_id),
                meeting_hosts::user_id.eq(host),
            ))
            .execute(conn)?;
    }
    if placement.claim_time {
        claim_time(conn, &meeting_id, placement.host_ids, placement.start, end)
            .map_err(MeetingError::from_claim)?;
    }
    Ok(Placed {
        meeting_id,
        manage_token,
    })
}

/// Moves an approved request on to `scheduled` (its meeting exists); other statuses stay.
pub fn schedule_if_approved(
    conn: &mut DbConnection,
    request_id: &str,
    submitted: RequestStatus,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<RequestStatus, MeetingError> {
    if submitted != RequestStatus::Approved {
        return Ok(submitted);
    }
    let schedule = WorkflowAction::Schedule;
    let to = transition(submitted, &schedule)?;
    let step = Step {
        action: &schedule,
        from: Some(submitted),
        to,
        note: None,
    };
    requests_repo::transition(conn, request_id, &step, None, actor, now)?;
    Ok(to)
}

/// Announces a meeting just created: `meeting.scheduled` once its request is scheduled (a held
/// slot is announced by its request's event, and by `meeting.scheduled` when approved).
pub fn announce_created(
    conn: &mut DbConnection,
    publisher: &Publisher,
    meeting_id: &str,
    request_status: RequestStatus,
    logged_after_the_fact: bool,
    now: DateTime<Utc>,
) -> Result<(), MeetingError> {
    if request_status == RequestStatus::Scheduled {
        let change = MeetingChange {
            logged_after_the_fact,
            ..MeetingChange::default()
        };
        publish(
            conn,
            publisher,
            EventType::MeetingScheduled,
            meeting_id,
            change,
            now,
        )?;
    }
    Ok(())
}

fn settle_held(
    conn: &mut DbConnection,
    held: &MeetingRecord,
    status: &str,
    sequence: i32,
    now: DateTime<Utc>,
) -> Result<(), MeetingError> {
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
        return Err(MeetingError::ChangedMeanwhile("the held time"));
    }
    Ok(())
}

/// An approved request's held slot becomes its meeting, with `hosts` when they differ from
/// the ones holding it (their time is claimed instead, or refused if taken).
pub fn confirm_held(
    conn: &mut DbConnection,
    publisher: &Publisher,
    held: &MeetingRecord,
    hosts: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<Managed, MeetingError> {
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
                MeetingError::HostsNotFree
            } else {
                e.into()
            }
        })?;
    }
    settle_held(conn, held, "scheduled", held.sequence, now)?;
    publish(
        conn,
        publisher,
        EventType::MeetingScheduled,
        &held.id,
        MeetingChange::default(),
        now,
    )
}

/// A declined or expired request's held slot is let go: cancelled, and its time free for
/// others; `reason` is what the prospect is told.
pub fn release_held(
    conn: &mut DbConnection,
    publisher: &Publisher,
    held: &MeetingRecord,
    reason: String,
    now: DateTime<Utc>,
) -> Result<Managed, MeetingError> {
    settle_held(conn, held, "cancelled", held.sequence + 1, now)?;
    release_time(conn, &held.id)?;
    let change = MeetingChange {
        previous_status: Some("held".into()),
        reason: Some(reason),
        declined: true,
        ..MeetingChange::default()
    };
    publish(
        conn,
        publisher,
        EventType::MeetingCancelled,
        &held.id,
        change,
        now,
    )
}

/// What moving or cancelling a meeting needs besides the meeting.
pub struct Change<'a> {
    pub publisher: &'a Publisher,
    pub actor: &'a Actor,
    /// Whether a meeting that has started may still change (admins correcting the record).
    pub past: PastMeetings,
    pub now: DateTime<Utc>,
}

/// Moves a scheduled meeting to `start`, keeping its hosts, UID and request (SEQUENCE + 1),
/// if every host is free then.
pub fn reschedule(
    conn: &mut DbConnection,
    managed: &Managed,
    start: DateTime<Utc>,
    policy: &ReadPolicy,
    change: &Change<'_>,
) -> Result<Managed, MeetingError> {
    let now = change.now;
    ensure_not_started(managed.start(), now, change.past)?;
    if managed.meeting.status != "scheduled" {
        return Err(MeetingError::WrongStatus(
            match managed.meeting.status.as_str() {
                "held" => "this meeting is still waiting for approval; it can be moved once \
                           confirmed"
                    .into(),
                other => format!("a {other} meeting cannot be rescheduled"),
            },
        ));
    }
    if start == managed.start() {
        return Err(MeetingError::AlreadyThere);
    }
    let meeting = &managed.meeting;
    let end = start + Duration::minutes(i64::from(managed.meeting_type.duration_minutes));
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
        policy,
    )?;
    let host_ids: Vec<String> = managed.hosts.iter().map(|h| h.id.clone()).collect();
    let fits = offered
        .iter()
        .any(|slot| slot.start == start && host_ids.iter().all(|host| slot.hosts.contains(host)));
    if !fits {
        return Err(MeetingError::TimeNotFree);
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
        return Err(MeetingError::ChangedMeanwhile("the meeting"));
    }
    claim_time(conn, &meeting.id, &host_ids, start, end).map_err(MeetingError::from_claim)?;
    let action = WorkflowAction::Reschedule;
    let to = transition(managed.request.status, &action)?;
    let previous_start = meeting.start_utc.and_utc();
    let note = format!("{} → {}", previous_start.to_rfc3339(), start.to_rfc3339());
    let step = Step {
        action: &action,
        from: Some(managed.request.status),
        to,
        note: Some(&note),
    };
    requests_repo::transition(conn, &managed.request.id, &step, None, change.actor, now)?;
    let what = MeetingChange {
        previous_start_utc: Some(previous_start),
        ..MeetingChange::default()
    };
    publish(
        conn,
        change.publisher,
        EventType::MeetingRescheduled,
        &meeting.id,
        what,
        now,
    )
}

/// Cancels a scheduled meeting or a held slot and frees the hosts' time.
pub fn cancel(
    conn: &mut DbConnection,
    managed: &Managed,
    reason: Option<String>,
    change: &Change<'_>,
) -> Result<Managed, MeetingError> {
    let now = change.now;
    ensure_not_started(managed.start(), now, change.past)?;
    let meeting = &managed.meeting;
    if !matches!(meeting.status.as_str(), "scheduled" | "held") {
        return Err(MeetingError::WrongStatus(format!(
            "a {} meeting cannot be cancelled",
            meeting.status
        )));
    }
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
        return Err(MeetingError::ChangedMeanwhile("the meeting"));
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
    requests_repo::transition(conn, &managed.request.id, &step, None, change.actor, now)?;
    let what = MeetingChange {
        previous_status: Some(meeting.status.clone()),
        reason,
        ..MeetingChange::default()
    };
    publish(
        conn,
        change.publisher,
        EventType::MeetingCancelled,
        &meeting.id,
        what,
        now,
    )
}

/// The meeting an outcome is recorded for, as its recorder last saw it.
pub struct RecordedMeeting {
    pub meeting_id: String,
    pub meeting_status: String,
    pub request_id: String,
    pub request_status: RequestStatus,
}

/// What happened at a meeting: moves the meeting and its request on, stores the outcome and
/// the opportunity, and publishes `meeting.outcome_recorded` (and `opportunity.stage_changed`
/// when the opportunity is new or moved). A meeting or request changed meanwhile is refused.
pub fn record_outcome(
    conn: &mut DbConnection,
    publisher: &Publisher,
    meeting: &RecordedMeeting,
    outcome: &RecordOutcome,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<OutcomeView, MeetingError> {
    let action = match outcome.status {
        OutcomeStatus::Held => WorkflowAction::RecordHeld,
        OutcomeStatus::NoShow => WorkflowAction::RecordNoShow,
    };
    let to = transition(meeting.request_status, &action)?;
    let before = outcomes_repo::find(conn, &meeting.meeting_id)?
        .and_then(|recorded| recorded.opportunity)
        .map(|opportunity| opportunity.stage);
    let moved = outcomes_repo::set_meeting_status(
        conn,
        &meeting.meeting_id,
        &meeting.meeting_status,
        outcome.status.meeting_status(),
        now,
    )?;
    if !moved {
        return Err(MeetingError::ChangedMeanwhile("the meeting"));
    }
    let step = Step {
        action: &action,
        from: Some(meeting.request_status),
        to,
        note: outcome.next_step.as_deref(),
    };
    requests_repo::transition(conn, &meeting.request_id, &step, None, actor, now)?;
    outcomes_repo::save(conn, &meeting.meeting_id, outcome, actor, now)?;
    let recorded = outcomes_repo::find(conn, &meeting.meeting_id)?.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "outcome of {} vanished after saving",
            meeting.meeting_id
        ))
    })?;
    let managed = publish(
        conn,
        publisher,
        EventType::MeetingOutcomeRecorded,
        &meeting.meeting_id,
        MeetingChange::default(),
        now,
    )?;
    if let Some(opportunity) = recorded
        .opportunity
        .as_ref()
        .filter(|opportunity| before.as_deref() != Some(opportunity.stage.as_str()))
    {
        let data = OpportunityEvent {
            meeting_id: &meeting.meeting_id,
            meeting_request_id: &meeting.request_id,
            lead_id: &managed.lead.id,
            previous_stage: before.as_deref(),
            opportunity,
        };
        publisher.publish(
            conn,
            EventType::OpportunityStageChanged,
            &opportunity.id,
            &data,
            now,
        )?;
    }
    Ok(recorded)
}

/// The `data` of `opportunity.stage_changed`: the opportunity with its stage history, where it
/// came from, and the stage it left (`null` for a new one).
#[derive(serde::Serialize)]
struct OpportunityEvent<'a> {
    meeting_id: &'a str,
    meeting_request_id: &'a str,
    lead_id: &'a str,
    previous_stage: Option<&'a str>,
    #[serde(flatten)]
    opportunity: &'a OpportunityView,
}
