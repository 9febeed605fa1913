//! The event stream: every change that matters outside Convene, written in the transaction that
//! makes the change, in commit order. Subscribers (emails, calendar writes, webhooks) hang off
//! `publish`; `GET /api/v1/events` lets integrations read the same stream.

pub mod routes;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::events;
use crate::db::{DbConnection, StoreError};

/// What happened. The names are the contract's (`../API.md`, "Events and webhooks").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    LeadCreated,
    LeadUpdated,
    MeetingRequestCreated,
    MeetingRequestApproved,
    MeetingRequestRejected,
    MeetingRequestExpired,
    MeetingScheduled,
    MeetingRescheduled,
    MeetingCancelled,
    MeetingOutcomeRecorded,
    OpportunityStageChanged,
    SurveyAnswered,
    RoutingDecided,
    CalendarConnectionFailed,
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 15] = [
        Self::LeadCreated,
        Self::LeadUpdated,
        Self::MeetingRequestCreated,
        Self::MeetingRequestApproved,
        Self::MeetingRequestRejected,
        Self::MeetingRequestExpired,
        Self::MeetingScheduled,
        Self::MeetingRescheduled,
        Self::MeetingCancelled,
        Self::MeetingOutcomeRecorded,
        Self::OpportunityStageChanged,
        Self::SurveyAnswered,
        Self::RoutingDecided,
        Self::CalendarConnectionFailed,
        Self::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LeadCreated => "lead.created",
            Self::LeadUpdated => "lead.updated",
            Self::MeetingRequestCreated => "meeting_request.created",
            Self::MeetingRequestApproved => "meeting_request.approved",
            Self::MeetingRequestRejected => "meeting_request.rejected",
            Self::MeetingRequestExpired => "meeting_request.expired",
            Self::MeetingScheduled => "meeting.scheduled",
            Self::MeetingRescheduled => "meeting.rescheduled",
            Self::MeetingCancelled => "meeting.cancelled",
            Self::MeetingOutcomeRecorded => "meeting.outcome_recorded",
            Self::OpportunityStageChanged => "opportunity.stage_changed",
            Self::SurveyAnswered => "survey.answered",
            Self::RoutingDecided => "routing.decided",
            Self::CalendarConnectionFailed => "calendar_connection.failed",
            Self::WebhookTest => "webhook.test",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not an event type"))
    }
}

/// One recorded change, as subscribers and the API see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The position in the stream: later commits have higher numbers.
    pub seq: i64,
    /// `evt_` and 32 hex digits; the `webhook-id` of every delivery of this event.
    pub id: String,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// The event object of the API and of webhook bodies: `{id, type, occurred_at, data}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    #[schema(example = "evt_0193a6f2c1b87d10b2f3c4d5e6f70812")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "meeting.scheduled")]
    pub event_type: String,
    #[schema(value_type = crate::http::schemas::Instant)]
    pub occurred_at: String,
    /// The resource as the API's GET returned it when the change happened.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<&Event> for EventView {
    fn from(event: &Event) -> Self {
        Self {
            id: event.id.clone(),
            event_type: event.event_type.clone(),
            occurred_at: event
                .occurred_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            data: event.data.clone(),
        }
    }
}

impl Event {
    /// The JSON body a webhook receives: exactly the API's event object.
    pub fn body(&self) -> String {
        serde_json::to_string(&EventView::from(self))
            .unwrap_or_else(|_| unreachable!("an event view is always serialisable"))
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events)]
struct EventRow {
    seq: i64,
    id: String,
    event_type: String,
    data: String,
    occurred_at: NaiveDateTime,
}

impl EventRow {
    fn into_event(self) -> Result<Event, StoreError> {
        let data = serde_json::from_str(&self.data).map_err(|error| {
            StoreError::Corrupt(format!("event {} holds unreadable data: {error}", self.id))
        })?;
        Ok(Event {
            seq: self.seq,
            id: self.id,
            event_type: self.event_type,
            occurred_at: self.occurred_at.and_utc(),
            data,
        })
    }
}

/// Advisory lock taken by every transaction that writes events, up to its commit: sequence
/// numbers on PostgreSQL are handed out at insert, not at commit, so without it a reader
/// could pass over an event whose transaction commits after a later-numbered one.
const EVENT_WRITERS: i64 = 0x4556_454E_5453; // "EVENTS"

fn queue_behind_other_writers(conn: &mut DbConnection) -> Result<(), StoreError> {
    if let DbConnection::Postgres(postgres) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(EVENT_WRITERS)
            .execute(postgres)?;
    }
    Ok(())
}

/// Writes one event inside the caller's transaction and returns it as subscribers see it.
/// `subject_id` is the id of the resource the event is about.
pub fn record(
    conn: &mut DbConnection,
    event_type: EventType,
    subject_id: &str,
    data: &impl Serialize,
    now: DateTime<Utc>,
) -> Result<Event, StoreError> {
    queue_behind_other_writers(conn)?;
    let data = serde_json::to_value(data)
        .map_err(|error| StoreError::Corrupt(format!("an event could not be written: {error}")))?;
    let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
    diesel::insert_into(events::table)
        .values((
            events::id.eq(&id),
            events::event_type.eq(event_type.as_str()),
            events::subject_id.eq(subject_id),
            events::data.eq(data.to_string()),
            events::occurred_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    let seq = events::table
        .filter(events::id.eq(&id))
        .select(events::seq)
        .first(conn)?;
    Ok(Event {
        seq,
        id,
        event_type: event_type.as_str().to_owned(),
        occurred_at: now,
        data,
    })
}

/// Why a subscriber could not queue its consequences of an event.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A consequence could not be prepared (an email that does not render); the change is
    /// refused rather than committed without it.
    #[error("{subscriber} could not follow {event_type}: {reason}")]
    Subscriber {
        subscriber: &'static str,
        event_type: String,
        reason: String,
    },
}

impl From<diesel::result::Error> for PublishError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

/// Something that follows events: emails, calendar writes, webhooks. It queues its durable
/// work (outbox rows, calendar writes, deliveries) in the transaction that wrote the event,
/// so a committed change always has its consequences and a rolled-back one never does.
pub trait Subscriber: Send + Sync {
    fn name(&self) -> &'static str;

    fn on_event(&self, conn: &mut DbConnection, event: &Event) -> Result<(), PublishError>;
}

/// Writes events and hands each to every subscriber: the single fan-out point. Adding a
/// consumer means adding a subscriber here, at start-up, never finding every change.
#[derive(Clone, Default)]
pub struct Publisher {
    subscribers: Arc<[Arc<dyn Subscriber>]>,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.subscribers.iter().map(|s| s.name()))
            .finish()
    }
}

impl Publisher {
    pub fn new(subscribers: Vec<Arc<dyn Subscriber>>) -> Self {
        Self {
            subscribers: subscribers.into(),
        }
    }

    /// Writes `event_type` about `subject_id` and hands it to every subscriber, all inside the
    /// caller's transaction.
    pub fn publish(
        &self,
        conn: &mut DbConnection,
        event_type: EventType,
        subject_id: &str,
        data: &impl Serialize,
        now: DateTime<Utc>,
    ) -> Result<Event, PublishError> {
        let event = record(conn, event_type, subject_id, data, now)?;
        for subscriber in self.subscribers.iter() {
            subscriber.on_event(conn, &event)?;
        }
        Ok(event)
    }
}

/// Events after position `after`, oldest first, of `event_type` when given.
pub fn list(
    conn: &mut DbConnection,
    after: Option<i64>,
    event_type: Option<EventType>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    let mut query = events::table.select(EventRow::as_select()).into_boxed();
    if let Some(after) = after {
        query = query.filter(events::seq.gt(after));
    }
    if let Some(event_type) = event_type {
        query = query.filter(events::event_type.eq(event_type.as_str()));
    }
    query
        .order(events::seq.asc())
        .limit(limit)
        .load::<EventRow>(conn)?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
}

/// One event by id.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Event>, StoreError> {
    events::table
        .filter(events::id.eq(id))
        .select(EventRow::as_select())
        .first::<EventRow>(conn)
        .optional()?
        .map(EventRow::into_event)
        .transpose()
}

/// The events with these ids that are still kept, in stream order.
pub fn find_all(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<Event>, StoreError> {
    events::table
        .filter(events::id.eq_any(ids))
        .select(EventRow::as_select())
        .order(events::seq.asc())
        .load::<EventRow>(conn)?
        .into_iter()
        .map(EventRow::into_event)
        .collect()
}

/// Forgets events older than `before`; the contract keeps them at least 30 days.
pub fn purge_older_than(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(events::table.filter(events::occurred_at.lt(before.naive_utc())))
            .execute(conn)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_round_trip_through_their_names() {
        for kind in EventType::ALL {
            assert_eq!(kind.as_str().parse::<EventType>().unwrap(), kind);
        }
        assert!("meeting.exploded".parse::<EventType>().is_err());
    }
}
