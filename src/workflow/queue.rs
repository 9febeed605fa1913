//! The meeting managers' approval queue: every pending request, oldest first, with what it
//! takes to decide it — the lead, the type, the hosts, the held slot and who else is free then.

use crate::calendars::readings::ReadPolicy;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::meeting_requests;
use crate::db::{DbConnection, StoreError};
use crate::leads::model::Lead;
use crate::leads::repo as leads_repo;
use crate::meetings::{held_meeting_of, MeetingRecord};
use crate::scheduling::meeting_types::MeetingType;
use crate::scheduling::offers::hosts_free_alone_at;
use crate::scheduling::repo as types_repo;
use crate::users::model::User;
use crate::users::repo as users_repo;
use crate::workflow::repo;
use crate::workflow::requests::MeetingRequest;
use crate::workflow::state::RequestStatus;

/// How a pending request stands against the approval SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaStanding {
    OnTime,
    /// In the last quarter of the SLA.
    DueSoon,
    Overdue,
}

impl SlaStanding {
    pub fn of(age: Duration, sla: Duration) -> Self {
        if age >= sla {
            SlaStanding::Overdue
        } else if age * 4 >= sla * 3 {
            SlaStanding::DueSoon
        } else {
            SlaStanding::OnTime
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SlaStanding::OnTime => "on_time",
            SlaStanding::DueSoon => "due_soon",
            SlaStanding::Overdue => "overdue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SlaStanding::OnTime => "On time",
            SlaStanding::DueSoon => "Due soon",
            SlaStanding::Overdue => "Overdue",
        }
    }
}

/// A request's age in words: `3 h 20 min`, `2 d 4 h`.
pub fn age_in_words(age: Duration) -> String {
    let minutes = age.num_minutes().max(0);
    match (minutes / 1440, (minutes % 1440) / 60, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// One pending request and its context.
pub struct QueueItem {
    pub request: MeetingRequest,
    pub lead: Lead,
    pub meeting_type: MeetingType,
    pub hosts: Vec<User>,
    pub held: Option<MeetingRecord>,
    /// The type's hosts free, on their own, at the held time: the choices for "approve with
    /// other hosts".
    pub free_hosts: Vec<User>,
}

/// Up to `limit` pending requests, oldest first.
pub fn pending(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<QueueItem>, StoreError> {
    let ids: Vec<String> = meeting_requests::table
        .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
        .order((
            meeting_requests::created_at.asc(),
            meeting_requests::id.asc(),
        ))
        .limit(limit)
        .select(meeting_requests::id)
        .load(conn)?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(item) = item(conn, &id, now)? {
            items.push(item);
        }
    }
    Ok(items)
}

/// How many requests wait for a decision (the queue page polls it).
pub fn pending_count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(meeting_requests::table
        .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
        .count()
        .get_result(conn)?)
}

fn users(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<User>, StoreError> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(user) = users_repo::find(conn, id)? {
            found.push(user);
        }
    }
    Ok(found)
}

/// The request `id` with its context, whatever its status.
pub fn item(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<QueueItem>, StoreError> {
    let Some(request) = repo::find(conn, id)? else {
        return Ok(None);
    };
    let Some(lead) = leads_repo::find(conn, &request.lead_id)? else {
        return Ok(None);
    };
    let Some(meeting_type) = types_repo::find(conn, &request.meeting_type_id)? else {
        return Ok(None);
    };
    let hosts = users(conn, &request.host_ids)?;
    let held = held_meeting_of(conn, &request.id)?;
    let free_hosts = match &held {
        Some(held) if request.status == RequestStatus::PendingApproval => {
            let free = hosts_free_alone_at(
                conn,
                &meeting_type,
                held.start_utc.and_utc(),
                now,
                &held.id,
                &ReadPolicy::stored(),
            )?;
            users(conn, &free)?
        }
        _ => Vec::new(),
    };
    Ok(Some(QueueItem {
        request,
        lead,
        meeting_type,
        hosts,
        held,
        free_hosts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sla_badge_turns_in_the_last_quarter_and_at_the_limit() {
        let sla = Duration::hours(24);
        assert_eq!(
            SlaStanding::of(Duration::hours(0), sla),
            SlaStanding::OnTime
        );
        assert_eq!(
            SlaStanding::of(Duration::hours(17) + Duration::minutes(59), sla),
            SlaStanding::OnTime
        );
        assert_eq!(
            SlaStanding::of(Duration::hours(18), sla),
            SlaStanding::DueSoon
        );
        assert_eq!(
            SlaStanding::of(Duration::hours(24) - Duration::seconds(1), sla),
            SlaStanding::DueSoon
        );
        assert_eq!(
            SlaStanding::of(Duration::hours(24), sla),
            SlaStanding::Overdue
        );
        assert_eq!(
            SlaStanding::of(Duration::days(9), sla),
            SlaStanding::Overdue
        );
    }

    #[test]
    fn ages_read_in_days_hours_and_minutes() {
        assert_eq!(age_in_words(Duration::minutes(7)), "7 min");
        assert_eq!(age_in_words(Duration::minutes(200)), "3 h 20 min");
        assert_eq!(age_in_words(Duration::minutes(3120)), "2 d 4 h");
        assert_eq!(age_in_words(Duration::minutes(-5)), "0 min");
    }
}
