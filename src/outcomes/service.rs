//! Recording what happened at a meeting: who may, when, and the one transaction that moves the
//! request through the workflow, writes its audit row, the outcome and the opportunity.

use chrono::{DateTime, Utc};

use crate::auth::roles::Permission;
use crate::auth::Principal;
use crate::booking::manage;
use crate::db::write_transaction;
use crate::db::StoreError;
use crate::meetings::Managed;
use crate::outcomes::error::OutcomeError;
use crate::outcomes::model::{OutcomeView, RecordOutcome};
use crate::outcomes::repo;
use crate::state::AppState;

use crate::meetings::lifecycle::{record_outcome, RecordedMeeting};
use crate::outcomes::model::RECORDABLE;

/// Whether `caller` may record the outcome of `managed`: managers any meeting, hosts their own.
pub fn may_record(caller: &Principal, managed: &Managed) -> Result<(), OutcomeError> {
    caller.require(Permission::RecordOutcomes)?;
    let hosts_it = managed.hosts.iter().any(|host| caller.is_user(&host.id));
    if caller.role.allows(Permission::RecordAnyOutcome) || hosts_it {
        Ok(())
    } else {
        Err(OutcomeError::NotTheirMeeting)
    }
}

/// The meeting's outcome as the API shows it: recorded, `unconfirmed` once it has started
/// with nothing recorded, `None` before that.
pub fn view_of(
    recorded: Option<OutcomeView>,
    managed: &Managed,
    now: DateTime<Utc>,
) -> Option<OutcomeView> {
    let started = managed.start() <= now && RECORDABLE.contains(&managed.meeting.status.as_str());
    recorded.or_else(|| started.then(OutcomeView::unconfirmed))
}

pub async fn outcome_of(
    state: &AppState,
    managed: &Managed,
) -> Result<Option<OutcomeView>, StoreError> {
    let meeting_id = managed.meeting.id.clone();
    let recorded = state
        .db
        .run(move |conn| repo::find(conn, &meeting_id))
        .await?;
    Ok(view_of(recorded, managed, state.clock.now()))
}

/// Records (or corrects) the outcome of a meeting that has started.
pub async fn record(
    state: &AppState,
    managed: Managed,
    outcome: RecordOutcome,
    caller: &Principal,
) -> Result<OutcomeView, OutcomeError> {
    may_record(caller, &managed)?;
    let now = state.clock.now();
    if managed.start() > now {
        return Err(OutcomeError::NotStarted);
    }
    let from_meeting_status = managed.meeting.status.clone();
    if !RECORDABLE.contains(&from_meeting_status.as_str()) {
        return Err(match from_meeting_status.as_str() {
            // A held slot is a booking still waiting for a manager's approval.
            "held" => OutcomeError::AwaitingApproval,
            _ => OutcomeError::NothingToRecord(from_meeting_status),
        });
    }
    let actor = caller.actor.clone();
    let publisher = state.publisher.clone();
    let meeting = RecordedMeeting {
        meeting_id: managed.meeting.id.clone(),
        meeting_status: from_meeting_status,
        request_id: managed.request.id.clone(),
        request_status: managed.request.status,
    };
    let recorded = state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                record_outcome(conn, &publisher, &meeting, &outcome, &actor, now)
            }))
        })
        .await??;
    state.changes_committed();
    Ok(recorded)
}

/// The meeting by id, 404 when unknown.
pub async fn meeting(state: &AppState, id: String) -> Result<Managed, OutcomeError> {
    manage::find_by_id(state, id)
        .await?
        .ok_or(OutcomeError::UnknownMeeting)
}
