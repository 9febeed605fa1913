//! The MQM workflow's use cases: create and route a request, approve, reject. Each is one
//! transaction that writes the change and its audit rows together.

use crate::audit::Actor;
use crate::calendars::readings::ReadPolicy;
use crate::calendars::service::refresh_readings;
use crate::db::write_transaction;
use crate::db::DbConnection;
use crate::events::EventType;
use crate::field_errors::FieldErrors;
use crate::leads::repo as leads_repo;
use crate::meetings::lifecycle::{self, confirm_held, release_held, Placement};
use crate::meetings::{held_meeting_of, MeetingRecord};
use crate::scheduling::availability::{choose_round_robin_host, HostMode};
use crate::scheduling::host_time::host_loads;
use crate::scheduling::meeting_types::MeetingType;
use crate::scheduling::offers::{free_hosts_at, hosts_free_alone_at};
use crate::scheduling::{repo as types_repo, service::check_hosts};
use crate::state::AppState;
use crate::values::{is_id, optional_multiline_text, TimeZone};
use crate::workflow::error::RequestError;
use crate::workflow::repo::{self, NewRequest, Step};
use crate::workflow::requests::{
    ApproveRequest, CreateMeetingRequest, MeetingRequest, RejectRequest,
};
use crate::workflow::state::{needs_approval, transition, RequestStatus, WorkflowAction};
use chrono::{DateTime, Utc};

pub const MAX_NOTE_CHARS: usize = 2000;

fn parse_hosts(
    field: &str,
    hosts: &Option<Vec<String>>,
    errors: &mut FieldErrors,
) -> Option<Vec<String>> {
    let hosts = hosts.as_ref()?;
    let mut cleaned: Vec<String> = hosts.iter().map(|h| h.trim().to_owned()).collect();
    cleaned.sort();
    cleaned.dedup();
    if cleaned.is_empty() {
        errors.add(field, "needs at least one host when sent");
    }
    Some(cleaned)
}

pub async fn create(
    state: &AppState,
    body: CreateMeetingRequest,
    actor: Actor,
    may_log_past: bool,
) -> Result<MeetingRequest, RequestError> {
    let mut errors = FieldErrors::new();
    let notes = optional_multiline_text(body.notes.as_deref(), MAX_NOTE_CHARS)
        .map_err(|m| errors.add("notes", m))
        .ok()
        .flatten();
    let hosts = parse_hosts("host_ids", &body.host_ids, &mut errors);
    let now = state.clock.now();
    let start = match body.start.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|at| at.with_timezone(&Utc))
            .map_err(|_| errors.add("start", "must be an RFC 3339 time with an offset"))
            .ok(),
    };
    let logged_after_the_fact = start.is_some_and(|start| start < now);
    if logged_after_the_fact && body.log_past != Some(true) {
        errors.add(
            "start",
            "is in the past; send \"log_past\": true to record a meeting that already happened",
        );
    }
    for (field, id) in [
        ("lead_id", &body.lead_id),
        ("meeting_type_id", &body.meeting_type_id),
    ] {
        if !is_id(id) {
            errors.add(field, "is not a known id");
        }
    }
    errors.into_result()?;
    if logged_after_the_fact && !may_log_past {
        return Err(RequestError::MayNotLogPast);
    }
    if start.is_some() && !logged_after_the_fact {
        let type_id = body.meeting_type_id.clone();
        let requested = hosts.clone();
        crate::calendars::service::refresh_readings_where(state, move |conn| {
            Ok(match requested {
                Some(requested) => requested,
                None => types_repo::find(conn, &type_id)?
                    .map(|meeting_type| meeting_type.host_ids)
                    .unwrap_or_default(),
            })
        })
        .await;
    }
    let policy = state.read_policy();
    let uid_domain = crate::booking::service::uid_domain(state);
    let link_key = state.link_key.clone();
    let publisher = state.publisher.clone();
    let created = state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let lead = leads_repo::find(conn, &body.lead_id)?
                    .ok_or_else(|| RequestError::invalid("lead_id", "is not a known lead"))?;
                let meeting_type = types_repo::find(conn, &body.meeting_type_id)?
                    .filter(|t| t.active)
                    .ok_or_else(|| {
                        RequestError::invalid("meeting_type_id", "is not an active meeting type")
                    })?;
                if let Some(minimum) = meeting_type.min_lead_score {
                    if i32::from(lead.score) < minimum {
                        return Err(RequestError::Unqualified {
                            meeting_type: meeting_type.name,
                            minimum,
                            score: lead.score,
                        });
                    }
                }
                let requested_hosts = hosts.clone();
                let mut host_ids = hosts.unwrap_or_else(|| meeting_type.host_ids.clone());
                check_hosts(conn, &host_ids)??;
                if let Some(start) = start.filter(|_| !logged_after_the_fact) {
                    host_ids =
                        hosts_free_at(conn, &meeting_type, requested_hosts, start, now, &policy)?;
                }
                let auto_approve = meeting_type
                    .auto_approve_min_score
                    .map(|s| u8::try_from(s.clamp(0, 100)).unwrap_or(100));
                // A meeting that already happened needs no one's approval.
                let submit = WorkflowAction::Submit {
                    needs_approval: !logged_after_the_fact
                        && needs_approval(meeting_type.requires_approval, auto_approve, lead.score),
                };
                let submitted_status = transition(RequestStatus::Requested, &submit)?;
                let new = NewRequest {
                    lead_id: &lead.id,
                    meeting_type_id: &meeting_type.id,
                    host_ids: &host_ids,
                    notes: notes.as_deref(),
                    submitted_status,
                    submit,
                    attribution: None,
                    prospect_language: crate::i18n::Language::default(),
                };
                let request = repo::insert(conn, &new, &actor, now)?;
                let Some(start) = start else {
                    crate::workflow::events::publish(
                        conn,
                        &publisher,
                        EventType::MeetingRequestCreated,
                        &request.id,
                        now,
                    )?;
                    return Ok(request);
                };
                let zone = lead_zone(&lead);
                let placed = lifecycle::place(
                    conn,
                    &Placement {
                        meeting_type: &meeting_type,
                        request: &request,
                        host_ids: &host_ids,
                        start,
                        zone,
                        status: if submitted_status == RequestStatus::Approved {
                            "scheduled"
                        } else {
                            "held"
                        },
                        booking_link_id: None,
                        prospect_key: None,
                        uid_domain: &uid_domain,
                        link_key: &link_key,
                        claim_time: !logged_after_the_fact,
                        now,
                    },
                )?;
                let status = lifecycle::schedule_if_approved(
                    conn,
                    &request.id,
                    submitted_status,
                    &actor,
                    now,
                )?;
                crate::workflow::events::publish(
                    conn,
                    &publisher,
                    EventType::MeetingRequestCreated,
                    &request.id,
                    now,
                )?;
                lifecycle::announce_created(
                    conn,
                    &publisher,
                    &placed.meeting_id,
                    status,
                    logged_after_the_fact,
                    now,
                )?;
                repo::find(conn, &request.id)?.ok_or(RequestError::NotFound)
            }))
        })
        .await??;
    state.changes_committed();
    Ok(created)
}

/// The hosts to book at `start`: the requested ones if all are free then, else the meeting
/// type's free hosts (all of them for a collective meeting, the round-robin pick otherwise).
fn hosts_free_at(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    requested: Option<Vec<String>>,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &ReadPolicy,
) -> Result<Vec<String>, RequestError> {
    let free =
        free_hosts_at(conn, meeting_type, start, now, policy)?.ok_or(RequestError::SlotTaken)?;
    match requested {
        Some(requested) if requested.iter().all(|host| free.contains(host)) => Ok(requested),
        Some(_) => Err(RequestError::SlotTaken),
        None if meeting_type.host_mode == HostMode::Collective => Ok(free),
        None => {
            let loads = host_loads(conn, &free, now)?;
            Ok(choose_round_robin_host(&free, &loads).into_iter().collect())
        }
    }
}

pub async fn load(state: &AppState, id: String) -> Result<MeetingRequest, RequestError> {
    if !is_id(&id) {
        return Err(RequestError::NotFound);
    }
    state
        .db
        .run(move |conn| repo::find(conn, &id))
        .await?
        .ok_or(RequestError::NotFound)
}

/// Applies `action` to the request as it was loaded; a concurrent change makes this a 409.
/// Approving a request with a held slot schedules the meeting and sends the invitations;
/// rejecting one releases the slot and tells the prospect. All in one transaction.
async fn decide(
    state: &AppState,
    request: MeetingRequest,
    action: WorkflowAction,
    new_hosts: Option<Vec<String>>,
    note: Option<String>,
    actor: Actor,
) -> Result<MeetingRequest, RequestError> {
    let to = transition(request.status, &action)?;
    let mut involved = request.host_ids.clone();
    involved.extend(new_hosts.iter().flatten().cloned());
    refresh_readings(state, involved).await;
    let policy = state.read_policy();
    let now = state.clock.now();
    let publisher = state.publisher.clone();
    let decided = state
        .db
        .run(move |conn| {
            Ok(write_transaction(
                conn,
                |conn| -> Result<MeetingRequest, RequestError> {
                    if let Some(hosts) = &new_hosts {
                        check_hosts(conn, hosts)??;
                    }
                    let step = Step {
                        action: &action,
                        from: Some(request.status),
                        to,
                        note: note.as_deref(),
                    };
                    let decided = repo::transition(
                        conn,
                        &request.id,
                        &step,
                        new_hosts.as_deref(),
                        &actor,
                        now,
                    )?;
                    let event_type = match action {
                        WorkflowAction::Approve => EventType::MeetingRequestApproved,
                        _ => EventType::MeetingRequestRejected,
                    };
                    crate::workflow::events::publish(
                        conn,
                        &publisher,
                        event_type,
                        &request.id,
                        now,
                    )?;
                    let Some(held) = held_meeting_of(conn, &request.id)? else {
                        return Ok(decided);
                    };
                    match action {
                        WorkflowAction::Approve => {
                            if let Some(hosts) = &new_hosts {
                                check_free_at_held_time(
                                    conn, &request, &held, hosts, now, &policy,
                                )?;
                            }
                            lifecycle::schedule_if_approved(conn, &request.id, to, &actor, now)?;
                            confirm_held(conn, &publisher, &held, new_hosts.as_deref(), now)?;
                        }
                        WorkflowAction::Reject => {
                            let reason = note.clone().unwrap_or_default();
                            release_held(conn, &publisher, &held, reason, now)?;
                        }
                        _ => {}
                    }
                    repo::find(conn, &request.id)?.ok_or(RequestError::NotFound)
                },
            ))
        })
        .await??;
    state.changes_committed();
    Ok(decided)
}

/// Approving with other hosts: each must be free, on their own, at the held time.
fn check_free_at_held_time(
    conn: &mut DbConnection,
    request: &MeetingRequest,
    held: &MeetingRecord,
    hosts: &[String],
    now: DateTime<Utc>,
    policy: &ReadPolicy,
) -> Result<(), RequestError> {
    let meeting_type = types_repo::find(conn, &request.meeting_type_id)?
        .ok_or(RequestError::Missing("meeting type"))?;
    let free = hosts_free_alone_at(
        conn,
        &meeting_type,
        held.start_utc.and_utc(),
        now,
        &held.id,
        policy,
    )?;
    if hosts.iter().all(|host| free.contains(host)) {
        Ok(())
    } else {
        Err(RequestError::HostsNotFreeAtHeldTime)
    }
}

pub async fn approve(
    state: &AppState,
    request: MeetingRequest,
    body: ApproveRequest,
    actor: Actor,
) -> Result<MeetingRequest, RequestError> {
    let mut errors = FieldErrors::new();
    let note = optional_multiline_text(body.note.as_deref(), MAX_NOTE_CHARS)
        .map_err(|m| errors.add("note", m))
        .ok()
        .flatten();
    let hosts = parse_hosts("host_ids", &body.host_ids, &mut errors);
    errors.into_result()?;
    decide(state, request, WorkflowAction::Approve, hosts, note, actor).await
}

pub async fn reject(
    state: &AppState,
    request: MeetingRequest,
    body: RejectRequest,
    actor: Actor,
) -> Result<MeetingRequest, RequestError> {
    let reason = match optional_multiline_text(body.reason.as_deref(), MAX_NOTE_CHARS) {
        Ok(Some(reason)) => reason,
        Ok(None) => {
            return Err(RequestError::invalid(
                "reason",
                "is required: tell the prospect why",
            ))
        }
        Err(message) => return Err(RequestError::invalid("reason", message)),
    };
    decide(
        state,
        request,
        WorkflowAction::Reject,
        None,
        Some(reason),
        actor,
    )
    .await
}

/// The zone a lead's meeting is shown in: theirs when known, else UTC.
fn lead_zone(lead: &crate::leads::model::Lead) -> TimeZone {
    lead.timezone
        .as_deref()
        .and_then(|zone| TimeZone::parse(zone).ok())
        .unwrap_or(TimeZone::UTC)
}

/// The request's own hosts as the meeting type to find times with.
pub fn type_for_request(meeting_type: &MeetingType, request: &MeetingRequest) -> MeetingType {
    let mut for_request = meeting_type.clone();
    for_request.host_ids.clone_from(&request.host_ids);
    for_request
}

/// Schedules an approved request that has no time yet at `start`: one transaction that checks
/// the time, places the meeting, moves the request to `scheduled` and queues the invitations.
/// Returns the new meeting's id.
pub async fn schedule(
    state: &AppState,
    request: MeetingRequest,
    start: DateTime<Utc>,
    actor: Actor,
) -> Result<String, RequestError> {
    let schedule = WorkflowAction::Schedule;
    let to = transition(request.status, &schedule)?;
    refresh_readings(state, request.host_ids.clone()).await;
    let policy = state.read_policy();
    let now = state.clock.now();
    if start <= now {
        return Err(RequestError::invalid("start", "must be in the future"));
    }
    let uid_domain = crate::booking::service::uid_domain(state);
    let link_key = state.link_key.clone();
    let publisher = state.publisher.clone();
    let meeting_id = state
        .db
        .run(move |conn| {
            Ok(
                write_transaction(conn, |conn| -> Result<String, RequestError> {
                    if crate::meetings::meeting_of_request(conn, &request.id)?.is_some() {
                        return Err(RequestError::AlreadyScheduled);
                    }
                    let meeting_type = types_repo::find(conn, &request.meeting_type_id)?
                        .ok_or(RequestError::Missing("meeting type"))?;
                    let lead = leads_repo::find(conn, &request.lead_id)?
                        .ok_or(RequestError::Missing("lead"))?;
                    let own_type = type_for_request(&meeting_type, &request);
                    let hosts = hosts_free_at(conn, &own_type, None, start, now, &policy)?;
                    let placed = lifecycle::place(
                        conn,
                        &Placement {
                            meeting_type: &meeting_type,
                            request: &request,
                            host_ids: &hosts,
                            start,
                            zone: lead_zone(&lead),
                            status: "scheduled",
                            booking_link_id: None,
                            prospect_key: None,
                            uid_domain: &uid_domain,
                            link_key: &link_key,
                            claim_time: true,
                            now,
                        },
                    )?;
                    let step = Step {
                        action: &schedule,
                        from: Some(request.status),
                        to,
                        note: None,
                    };
                    let new_hosts = (hosts != request.host_ids).then_some(hosts.as_slice());
                    repo::transition(conn, &request.id, &step, new_hosts, &actor, now)?;
                    lifecycle::announce_created(
                        conn,
                        &publisher,
                        &placed.meeting_id,
                        to,
                        false,
                        now,
                    )?;
                    Ok(placed.meeting_id)
                })
                .map_err(|error| {
                    if error.is_unique_violation() {
                        RequestError::SlotTaken
                    } else {
                        error
                    }
                }),
            )
        })
        .await??;
    state.changes_committed();
    Ok(meeting_id)
}
