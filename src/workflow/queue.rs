//! The meeting managers' approval queue: the pending requests, filtered and ordered as the
//! manager asks, each with what it takes to decide it — the lead, the type, the hosts, the held slot and who else is free then.

use crate::calendars::readings::ReadPolicy;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::{meeting_request_hosts, meeting_requests};
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

/// How the queue is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueOrder {
    #[default]
    OldestFirst,
    NewestFirst,
    /// The decision due soonest: at the end of the SLA or, when earlier, at the held time.
    DueSoonest,
}

impl QueueOrder {
    pub const ALL: [QueueOrder; 3] = [
        QueueOrder::OldestFirst,
        QueueOrder::NewestFirst,
        QueueOrder::DueSoonest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueOrder::OldestFirst => "oldest",
            QueueOrder::NewestFirst => "newest",
            QueueOrder::DueSoonest => "due",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueOrder::OldestFirst => "Oldest first",
            QueueOrder::NewestFirst => "Newest first",
            QueueOrder::DueSoonest => "SLA due soonest",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|order| order.as_str() == raw)
    }
}

/// Which pending requests the queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub meeting_type_id: Option<String>,
    pub host_id: Option<String>,
    pub campaign: Option<String>,
    /// Only requests waiting longer than the SLA.
    pub overdue_only: bool,
    pub order: QueueOrder,
}

/// When the decision on `item` is due: the end of the SLA, or the held time when earlier.
pub fn due_at(item: &QueueItem, sla: Duration) -> DateTime<Utc> {
    let sla_end = item.request.created_at.and_utc() + sla;
    match &item.held {
        Some(held) => sla_end.min(held.start_utc.and_utc()),
        None => sla_end,
    }
}

/// Up to `limit` pending requests that `filter` lets through, in its order, and how many
/// match in all.
pub fn pending_matching(
    conn: &mut DbConnection,
    filter: &QueueFilter,
    sla: Duration,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<(Vec<QueueItem>, i64), StoreError> {
    let matching = || {
        let mut query = meeting_requests::table
            .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
            .into_boxed();
        if let Some(type_id) = &filter.meeting_type_id {
            query = query.filter(meeting_requests::meeting_type_id.eq(type_id.clone()));
        }
        if let Some(campaign) = &filter.campaign {
            query = query.filter(meeting_requests::lead_campaign.eq(campaign.clone()));
        }
        if let Some(host_id) = &filter.host_id {
            query = query.filter(
                meeting_requests::id.eq_any(
                    meeting_request_hosts::table
                        .filter(meeting_request_hosts::user_id.eq(host_id.clone()))
                        .select(meeting_request_hosts::meeting_request_id),
                ),
            );
        }
        if filter.overdue_only {
            query = query.filter(meeting_requests::created_at.le((now - sla).naive_utc()));
        }
        query
    };
    let total: i64 = matching().count().get_result(conn)?;
    let ordered = match filter.order {
        QueueOrder::NewestFirst => matching().order((
            meeting_requests::created_at.desc(),
            meeting_requests::id.desc(),
        )),
        QueueOrder::OldestFirst | QueueOrder::DueSoonest => matching().order((
            meeting_requests::created_at.asc(),
            meeting_requests::id.asc(),
        )),
    };
    let ids: Vec<String> = ordered
        .limit(limit)
        .select(meeting_requests::id)
        .load(conn)?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(item) = item(conn, &id, now)? {
            items.push(item);
        }
    }
    if filter.order == QueueOrder::DueSoonest {
        items.sort_by_key(|item| due_at(item, sla));
    }
    Ok((items, total))
}

/// Up to `limit` pending requests, oldest first.
pub fn pending(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<QueueItem>, StoreError> {
    let everything = QueueFilter::default();
    Ok(pending_matching(conn, &everything, Duration::zero(), now, limit)?.0)
}

/// How many requests wait for a decision (the navigation shows it; the queue page polls it).
pub fn pending_count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(meeting_requests::table
        .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
        .count()
        .get_result(conn)?)
}

/// The campaigns of pending requests, for the queue's filter.
pub fn pending_campaigns(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    Ok(meeting_requests::table
        .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
        .filter(meeting_requests::lead_campaign.is_not_null())
        .select(meeting_requests::lead_campaign.assume_not_null())
        .distinct()
        .order(meeting_requests::lead_campaign.asc())
        .load(conn)?)
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
