//! A routed lead books: the weighted round robin picks among the routed hosts free at the
//! chosen time, and the pick goes into the ledger and the routing's record.

use chrono::{DateTime, Utc};

use crate::calendars::readings::ReadPolicy;
use crate::config::RouterSettings;
use crate::db::{DbConnection, StoreError};
use crate::routing::assignment;
use crate::routing::repo::{self, Assignment, StoredRouting};
use crate::routing::service::{candidates_for, stored_candidate};
use crate::scheduling::meeting_types::MeetingType;

/// The meeting type as a routed link offers it: only the hosts the routing chose.
pub fn narrowed(mut meeting_type: MeetingType, routing: &StoredRouting) -> MeetingType {
    meeting_type
        .host_ids
        .retain(|host| routing.view.host_ids.contains(host));
    meeting_type
}

/// The weighted choice among `free_hosts` for a routed booking, with the routing's candidates
/// as they stand for the picked time.
pub struct RoutedChoice {
    pub host_id: String,
    routing: StoredRouting,
}

pub fn choose_host(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    free_hosts: &[String],
    mut routing: StoredRouting,
    now: DateTime<Utc>,
    policy: &ReadPolicy,
    settings: &RouterSettings,
) -> Result<Option<RoutedChoice>, StoreError> {
    let candidates = candidates_for(
        conn,
        meeting_type,
        &meeting_type.host_ids,
        Some(free_hosts),
        now,
        policy,
        settings,
    )?;
    let Some(index) = assignment::choose(&candidates) else {
        return Ok(None);
    };
    routing.view.candidates = candidates
        .iter()
        .enumerate()
        .map(|(at, candidate)| stored_candidate(candidate, at == index))
        .collect();
    Ok(Some(RoutedChoice {
        host_id: candidates[index].host_id.clone(),
        routing,
    }))
}

/// Writes the choice to the ledger and the routing's record, once the request exists.
pub fn record(
    conn: &mut DbConnection,
    choice: &RoutedChoice,
    meeting_type_id: &str,
    meeting_request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    repo::record_assignment(
        conn,
        &Assignment {
            meeting_type_id,
            host_id: &choice.host_id,
            routing_id: &choice.routing.view.id,
            meeting_request_id,
            owner_routed: choice.routing.owner_routed,
        },
        now,
    )?;
    repo::mark_booked(conn, &choice.routing, meeting_request_id, now)
}

/// Marks a routed collective booking as booked; nobody is picked, so the ledger is untouched.
pub fn record_collective(
    conn: &mut DbConnection,
    routing: &StoredRouting,
    meeting_request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    repo::mark_booked(conn, routing, meeting_request_id, now)
}
