//! CRM sync follows the event stream: each change to a lead, a meeting, an outcome or a
//! survey marks the records it touches, in the change's own transaction, and the worker
//! pushes them. With no CRM set up nothing is marked.

use diesel::prelude::*;
use serde::Deserialize;

use super::model::RecordKind;
use super::repo;
use crate::db::schema::opportunities;
use crate::db::DbConnection;
use crate::events::{Event, EventType, PublishError, Subscriber};

pub struct CrmSync {
    /// `hubspot` or `salesforce`.
    pub provider: &'static str,
}

/// The few fields of an event's `data` that say which records it touches.
#[derive(Deserialize)]
struct Touched {
    id: String,
    lead_id: Option<String>,
    meeting_id: Option<String>,
}

impl CrmSync {
    fn unreadable(&self, event: &Event, error: serde_json::Error) -> PublishError {
        PublishError::Subscriber {
            subscriber: self.name(),
            event_type: event.event_type.clone(),
            reason: error.to_string(),
        }
    }
}

impl Subscriber for CrmSync {
    fn name(&self) -> &'static str {
        "crm sync"
    }

    fn on_event(&self, conn: &mut DbConnection, event: &Event) -> Result<(), PublishError> {
        let Ok(kind) = event.event_type.parse::<EventType>() else {
            return Ok(());
        };
        let follows = matches!(
            kind,
            EventType::LeadCreated
                | EventType::LeadUpdated
                | EventType::MeetingScheduled
                | EventType::MeetingRescheduled
                | EventType::MeetingCancelled
                | EventType::MeetingOutcomeRecorded
                | EventType::OpportunityStageChanged
                | EventType::SurveyAnswered
        );
        if !follows {
            return Ok(());
        }
        let touched: Touched = serde_json::from_value(event.data.clone())
            .map_err(|error| self.unreadable(event, error))?;
        let provider = self.provider;
        let now = event.occurred_at;
        if matches!(kind, EventType::LeadCreated | EventType::LeadUpdated) {
            repo::mark_changed(
                conn,
                provider,
                RecordKind::Person,
                &touched.id,
                &touched.id,
                now,
            )?;
            return Ok(());
        }
        let Some(lead_id) = touched.lead_id.as_deref() else {
            return Ok(());
        };
        if kind == EventType::MeetingScheduled {
            // A booking may have filled in the lead's name, company or title.
            repo::mark_changed(conn, provider, RecordKind::Person, lead_id, lead_id, now)?;
        } else {
            repo::ensure(conn, provider, RecordKind::Person, lead_id, lead_id, now)?;
        }
        match kind {
            EventType::MeetingScheduled | EventType::MeetingRescheduled => {
                repo::mark_changed(
                    conn,
                    provider,
                    RecordKind::Meeting,
                    &touched.id,
                    lead_id,
                    now,
                )?;
            }
            // A held slot that was let go never became a meeting in the CRM: only meetings
            // it knows are cancelled there.
            EventType::MeetingCancelled => {
                repo::mark_changed_if_known(conn, provider, RecordKind::Meeting, &touched.id, now)?;
            }
            EventType::MeetingOutcomeRecorded | EventType::OpportunityStageChanged => {
                let meeting_id = touched.meeting_id.as_deref().unwrap_or(&touched.id);
                let has_opportunity = opportunities::table
                    .filter(opportunities::meeting_id.eq(meeting_id))
                    .count()
                    .get_result::<i64>(conn)
                    .map_err(crate::db::StoreError::from)?
                    > 0;
                if has_opportunity {
                    repo::mark_changed(conn, provider, RecordKind::Deal, meeting_id, lead_id, now)?;
                }
            }
            EventType::SurveyAnswered => {
                repo::mark_changed(conn, provider, RecordKind::Note, &touched.id, lead_id, now)?;
            }
            _ => {}
        }
        Ok(())
    }
}
