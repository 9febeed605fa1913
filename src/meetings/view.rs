//! A meeting as the API shows it, and as its events carry it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{DbConnection, StoreError};
use crate::leads::model::LeadView;
use crate::meetings::Managed;
use crate::outcomes::model::{OutcomeView, RECORDABLE};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttendeeView {
    pub email: String,
    pub name: String,
    /// `host` or `prospect`.
    pub role: &'static str,
    pub response_status: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: String,
    pub meeting_request_id: String,
    pub meeting_type_id: String,
    pub lead_id: String,
    pub status: String,
    pub start_utc: String,
    pub end_utc: String,
    pub prospect_timezone: String,
    pub location: Option<String>,
    pub attendees: Vec<AttendeeView>,
    pub ics_uid: String,
    pub sequence: i32,
    /// The meeting's events in hosts' connected calendars, once written.
    pub calendar_events: Vec<CalendarEventView>,
    /// The meeting in the CRM (HubSpot meeting, Salesforce Event).
    pub crm: Option<crate::crm::status::CrmStatus>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarEventView {
    /// `google` or `microsoft`.
    pub provider: String,
    pub external_id: String,
}

impl From<&Managed> for MeetingView {
    fn from(managed: &Managed) -> Self {
        let utc = |at: DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut attendees: Vec<AttendeeView> = managed
            .hosts
            .iter()
            .map(|host| AttendeeView {
                email: host.email.clone(),
                name: host.name.clone(),
                role: "host",
                response_status: "needs_action",
            })
            .collect();
        attendees.push(AttendeeView {
            email: managed.lead.email.clone(),
            name: managed.lead.name.clone(),
            role: "prospect",
            response_status: "needs_action",
        });
        Self {
            id: managed.meeting.id.clone(),
            meeting_request_id: managed.request.id.clone(),
            meeting_type_id: managed.meeting_type.id.clone(),
            lead_id: managed.lead.id.clone(),
            status: managed.meeting.status.clone(),
            start_utc: utc(managed.start()),
            end_utc: utc(managed.end()),
            prospect_timezone: managed.meeting.prospect_timezone.clone(),
            location: managed.meeting.location.clone(),
            attendees,
            ics_uid: managed.meeting.ics_uid.clone(),
            sequence: managed.meeting.sequence,
            calendar_events: Vec::new(),
            crm: None,
        }
    }
}

/// One meeting with its outcome: `null` before it starts, `unconfirmed` after until recorded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    #[serde(flatten)]
    pub meeting: MeetingView,
    pub outcome: Option<crate::outcomes::model::OutcomeView>,
}

impl MeetingDetail {
    /// Meeting `managed` as `GET /api/v1/meetings/{id}` answers at `now`: its calendar events
    /// and its outcome (`unconfirmed` once it has started, until recorded).
    pub fn read(
        conn: &mut DbConnection,
        managed: &Managed,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let mut meeting = MeetingView::from(managed);
        let mut events = crate::calendars::repo::events_of_meetings(
            conn,
            std::slice::from_ref(&managed.meeting.id),
        )?;
        meeting.calendar_events = events
            .remove(&managed.meeting.id)
            .unwrap_or_default()
            .into_iter()
            .map(|(provider, external_id)| CalendarEventView {
                provider,
                external_id,
            })
            .collect();
        meeting.crm = crate::crm::status::of_record(conn, "meeting", &managed.meeting.id)?;
        let recorded = crate::outcomes::repo::find(conn, &managed.meeting.id)?;
        let started =
            managed.start() <= now && RECORDABLE.contains(&managed.meeting.status.as_str());
        let outcome = recorded.or_else(|| started.then(OutcomeView::unconfirmed));
        Ok(Self { meeting, outcome })
    }
}

/// The `data` of a `meeting.*` event: the meeting as its GET answers, with its lead, and
/// what the change was when the meeting alone cannot tell.
#[derive(Debug, Serialize)]
pub struct MeetingEvent {
    #[serde(flatten)]
    pub meeting: MeetingDetail,
    pub lead: LeadView,
    #[serde(flatten)]
    pub change: MeetingChange,
}

/// What a change was, beyond the meeting as it now is.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct MeetingChange {
    /// The start before a reschedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_start_utc: Option<DateTime<Utc>>,
    /// The status before a cancellation: `held` when a slot awaiting approval was let go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<String>,
    /// Why it was cancelled or declined, when someone said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The request was declined or expired, and its held time let go.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declined: bool,
    /// Recorded after it happened: nobody is invited or reminded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub logged_after_the_fact: bool,
}

/// What subscribers read back from a meeting event.
#[derive(Debug, Deserialize)]
pub struct MeetingEventFacts {
    pub id: String,
    #[serde(flatten)]
    pub change: MeetingChange,
}

impl MeetingEvent {
    pub fn read(
        conn: &mut DbConnection,
        managed: &Managed,
        change: MeetingChange,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            meeting: MeetingDetail::read(conn, managed, now)?,
            lead: LeadView::from(&managed.lead),
            change,
        })
    }
}
