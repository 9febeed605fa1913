//! The MQM workflow's use cases: create and route a request, approve, reject. Each is one
//! transaction that writes the change and its audit rows together.

use crate::audit::Actor;
use crate::db::write_transaction;
use crate::error::{AppError, FieldErrors};
use crate::leads::repo as leads_repo;
use crate::scheduling::{repo as types_repo, service::check_hosts};
use crate::state::AppState;
use crate::values::{is_id, optional_text};
use crate::workflow::repo::{self, NewRequest, Step, TransitionError};
use crate::workflow::requests::{
    ApproveRequest, CreateMeetingRequest, MeetingRequest, RejectRequest,
};
use crate::workflow::state::{needs_approval, transition, RequestStatus, WorkflowAction};

pub const MAX_NOTE_CHARS: usize = 2000;

impl From<TransitionError> for AppError {
    fn from(error: TransitionError) -> Self {
        match error {
            TransitionError::Changed(now) => AppError::Conflict(format!(
                "someone else acted on this request first; it is now {now}"
            )),
            TransitionError::NotFound => {
                AppError::NotFound("no meeting request with that id".into())
            }
            TransitionError::Store(e) => AppError::Store(e),
        }
    }
}

impl From<crate::workflow::state::IllegalTransition> for AppError {
    fn from(error: crate::workflow::state::IllegalTransition) -> Self {
        AppError::Conflict(error.to_string())
    }
}

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
) -> Result<MeetingRequest, AppError> {
    let mut errors = FieldErrors::new();
    let notes = optional_text(body.notes.as_deref(), MAX_NOTE_CHARS)
        .map_err(|m| errors.add("notes", m))
        .ok()
        .flatten();
    let hosts = parse_hosts("host_ids", &body.host_ids, &mut errors);
    if body.start.is_some() {
        errors.add(
            "start",
            "is not supported yet: create the request without a start time",
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
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let lead = leads_repo::find(conn, &body.lead_id)?
                    .ok_or_else(|| AppError::validation("lead_id", "is not a known lead"))?;
                let meeting_type = types_repo::find(conn, &body.meeting_type_id)?
                    .filter(|t| t.active)
                    .ok_or_else(|| {
                        AppError::validation("meeting_type_id", "is not an active meeting type")
                    })?;
                if let Some(minimum) = meeting_type.min_lead_score {
                    if i32::from(lead.score) < minimum {
                        return Err(AppError::Forbidden(format!(
                            "{} needs a lead score of at least {minimum}; this lead scores {}",
                            meeting_type.name, lead.score
                        )));
                    }
                }
                let host_ids = hosts.unwrap_or_else(|| meeting_type.host_ids.clone());
                check_hosts(conn, &host_ids)?.map_err(AppError::Validation)?;
                let auto_approve = meeting_type
                    .auto_approve_min_score
                    .map(|s| u8::try_from(s.clamp(0, 100)).unwrap_or(100));
                let submit = WorkflowAction::Submit {
                    needs_approval: needs_approval(
                        meeting_type.requires_approval,
                        auto_approve,
                        lead.score,
                    ),
                };
                let submitted_status = transition(RequestStatus::Requested, &submit)?;
                let new = NewRequest {
                    lead_id: &lead.id,
                    meeting_type_id: &meeting_type.id,
                    host_ids: &host_ids,
                    notes: notes.as_deref(),
                    submitted_status,
                    submit,
                };
                Ok(repo::insert(conn, &new, &actor, now)?)
            }))
        })
        .await?
}

pub async fn load(state: &AppState, id: String) -> Result<MeetingRequest, AppError> {
    if !is_id(&id) {
        return Err(AppError::NotFound("no meeting request with that id".into()));
    }
    state
        .db
        .run(move |conn| repo::find(conn, &id))
        .await?
        .ok_or_else(|| AppError::NotFound("no meeting request with that id".into()))
}

/// Applies `action` to the request as it was loaded; a concurrent change makes this a 409.
async fn decide(
    state: &AppState,
    request: MeetingRequest,
    action: WorkflowAction,
    new_hosts: Option<Vec<String>>,
    note: Option<String>,
    actor: Actor,
) -> Result<MeetingRequest, AppError> {
    let to = transition(request.status, &action)?;
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                if let Some(hosts) = &new_hosts {
                    check_hosts(conn, hosts)?.map_err(AppError::Validation)?;
                }
                let step = Step {
                    action: &action,
                    from: Some(request.status),
                    to,
                    note: note.as_deref(),
                };
                Ok(repo::transition(
                    conn,
                    &request.id,
                    &step,
                    new_hosts.as_deref(),
                    &actor,
                    now,
                )?)
            }))
        })
        .await?
}

pub async fn approve(
    state: &AppState,
    request: MeetingRequest,
    body: ApproveRequest,
    actor: Actor,
) -> Result<MeetingRequest, AppError> {
    let mut errors = FieldErrors::new();
    let note = optional_text(body.note.as_deref(), MAX_NOTE_CHARS)
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
) -> Result<MeetingRequest, AppError> {
    let reason = match optional_text(body.reason.as_deref(), MAX_NOTE_CHARS) {
        Ok(Some(reason)) => reason,
        Ok(None) => {
            return Err(AppError::validation(
                "reason",
                "is required: tell the prospect why",
            ))
        }
        Err(message) => return Err(AppError::validation("reason", message)),
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
