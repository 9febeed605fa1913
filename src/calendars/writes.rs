//! Which calendar writes a meeting needs. Calendar writes follow the event stream: every
//! change to a meeting marks its `calendar_events` rows in the change's own transaction, and
//! the worker (`sync`) then brings each host's event in step.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::repo;
use super::Provider;
use crate::db::schema::{calendar_events, meeting_hosts, meetings as meeting_rows};
use crate::db::{DbConnection, StoreError};
use crate::events::{Event, EventType, PublishError, Subscriber};
use crate::meetings::view::MeetingEventFacts;
use crate::meetings::{self, Managed};
use crate::values::new_id;

/// Follows `meeting.scheduled`, `meeting.rescheduled` and `meeting.cancelled`.
pub struct CalendarWrites;

impl Subscriber for CalendarWrites {
    fn name(&self) -> &'static str {
        "calendar writes"
    }

    fn on_event(&self, conn: &mut DbConnection, event: &Event) -> Result<(), PublishError> {
        let follows = [
            EventType::MeetingScheduled,
            EventType::MeetingRescheduled,
            EventType::MeetingCancelled,
        ];
        if !follows.iter().any(|kind| kind.as_str() == event.event_type) {
            return Ok(());
        }
        let facts: MeetingEventFacts =
            serde_json::from_value(event.data.clone()).map_err(|e| PublishError::Subscriber {
                subscriber: self.name(),
                event_type: event.event_type.clone(),
                reason: e.to_string(),
            })?;
        if facts.change.logged_after_the_fact {
            return Ok(());
        }
        if let Some(managed) = meetings::find(conn, &facts.id)? {
            queue_for_meeting(conn, &managed, event.occurred_at)?;
        }
        Ok(())
    }
}

/// Marks the calendar events of `managed` to be brought in step with it: every existing row,
/// and, while the meeting is scheduled, a new row for each host calendar that has none.
pub fn queue_for_meeting(
    conn: &mut DbConnection,
    managed: &Managed,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let meeting_id = &managed.meeting.id;
    diesel::update(calendar_events::table.filter(calendar_events::meeting_id.eq(meeting_id)))
        .set((
            calendar_events::version.eq(calendar_events::version + 1),
            calendar_events::next_attempt_at.eq(now.naive_utc()),
            calendar_events::attempts.eq(0),
            calendar_events::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    if managed.meeting.status != "scheduled" {
        return Ok(());
    }
    let host_ids: Vec<&str> = managed.hosts.iter().map(|host| host.id.as_str()).collect();
    let existing: Vec<(String, String)> = calendar_events::table
        .filter(calendar_events::meeting_id.eq(meeting_id))
        .select((calendar_events::user_id, calendar_events::provider))
        .load(conn)?;
    for connection in repo::granted_of_users(conn, &host_ids)? {
        let known = existing.iter().any(|(user, provider)| {
            *user == connection.user_id && *provider == connection.provider
        });
        if !known {
            insert_row(
                conn,
                meeting_id,
                &connection.user_id,
                &connection.provider,
                now,
            )?;
        }
    }
    Ok(())
}

fn insert_row(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(calendar_events::table)
        .values((
            calendar_events::id.eq(new_id()),
            calendar_events::meeting_id.eq(meeting_id),
            calendar_events::user_id.eq(user_id),
            calendar_events::provider.eq(provider),
            calendar_events::version.eq(1),
            calendar_events::next_attempt_at.eq(now.naive_utc()),
            calendar_events::created_at.eq(now.naive_utc()),
            calendar_events::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// After `user_id` (re)connects `provider`: writes that waited for the connection go ahead,
/// and the user's upcoming scheduled meetings get their events.
pub fn resume_for(
    conn: &mut DbConnection,
    user_id: &str,
    provider: Provider,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(
        calendar_events::table
            .filter(calendar_events::user_id.eq(user_id))
            .filter(calendar_events::provider.eq(provider.as_str()))
            .filter(calendar_events::synced_version.lt(calendar_events::version)),
    )
    .set((
        calendar_events::next_attempt_at.eq(now.naive_utc()),
        calendar_events::attempts.eq(0),
        calendar_events::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    let upcoming: Vec<String> = meeting_rows::table
        .inner_join(meeting_hosts::table)
        .filter(meeting_hosts::user_id.eq(user_id))
        .filter(meeting_rows::status.eq("scheduled"))
        .filter(meeting_rows::end_utc.gt(now.naive_utc()))
        .select(meeting_rows::id)
        .load(conn)?;
    let covered: Vec<String> = calendar_events::table
        .filter(calendar_events::user_id.eq(user_id))
        .filter(calendar_events::provider.eq(provider.as_str()))
        .filter(calendar_events::meeting_id.eq_any(&upcoming))
        .select(calendar_events::meeting_id)
        .load(conn)?;
    for meeting_id in upcoming.iter().filter(|id| !covered.contains(id)) {
        insert_row(conn, meeting_id, user_id, provider.as_str(), now)?;
    }
    Ok(())
}
