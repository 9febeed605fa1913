//! The meeting changes people ask for over HTTP (the prospect's manage link, the meetings
//! API): reading the hosts' calendars first, then one transaction in `meetings::lifecycle`.

use chrono::{DateTime, Utc};

use crate::audit::Actor;
use crate::booking::rules::PastMeetings;
use crate::calendars::service::refresh_readings;
use crate::db::write_transaction;
use crate::db::StoreError;
use crate::meetings::error::MeetingError;
use crate::meetings::lifecycle::{self, Change};
use crate::meetings::{self, Managed, MeetingQuery};
use crate::state::AppState;

/// The meeting behind a manage token; 404 for anything unknown.
pub async fn find(state: &AppState, token: String) -> Result<Managed, MeetingError> {
    if token.len() > 64 {
        return Err(MeetingError::UnknownManageLink);
    }
    state
        .db
        .run(move |conn| meetings::find_by_manage_token(conn, &token))
        .await?
        .ok_or(MeetingError::UnknownManageLink)
}

/// Moves a scheduled meeting to `start`, keeping its hosts, UID and request; once it has
/// started, only when `past` allows.
pub async fn reschedule(
    state: &AppState,
    managed: Managed,
    start: DateTime<Utc>,
    actor: Actor,
    past: PastMeetings,
) -> Result<Managed, MeetingError> {
    refresh_readings(state, managed.meeting_type.host_ids.clone()).await;
    let policy = state.read_policy();
    let publisher = state.publisher.clone();
    let now = state.clock.now();
    let moved = state
        .db
        .run(move |conn| {
            let change = Change {
                publisher: &publisher,
                actor: &actor,
                past,
                now,
            };
            Ok(write_transaction(conn, |conn| -> Result<_, MeetingError> {
                lifecycle::reschedule(conn, &managed, start, &policy, &change)
            }))
        })
        .await??;
    state.changes_committed();
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
) -> Result<Managed, MeetingError> {
    let publisher = state.publisher.clone();
    let now = state.clock.now();
    let cancelled = state
        .db
        .run(move |conn| {
            let change = Change {
                publisher: &publisher,
                actor: &actor,
                past,
                now,
            };
            Ok(write_transaction(conn, |conn| -> Result<_, MeetingError> {
                lifecycle::cancel(conn, &managed, reason, &change)
            }))
        })
        .await??;
    state.changes_committed();
    Ok(cancelled)
}

/// A meeting by id; `None` when unknown.
pub async fn find_by_id(state: &AppState, id: String) -> Result<Option<Managed>, StoreError> {
    if !crate::values::is_id(&id) {
        return Ok(None);
    }
    state.db.run(move |conn| meetings::find(conn, &id)).await
}

/// Meetings by start time, held slots included only when asked for by status.
pub async fn list(
    state: &AppState,
    query: MeetingQuery,
    limit: i64,
) -> Result<Vec<Managed>, StoreError> {
    state
        .db
        .run(move |conn| meetings::list(conn, query, limit))
        .await
}
