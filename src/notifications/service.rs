//! Emails follow the event stream: a meeting scheduled, moved, cancelled or declined, or a
//! booking awaiting approval, queues its emails in the transaction that changed it, so a
//! committed change always has its emails and a rolled-back one never does.

use chrono::{DateTime, Utc};

use crate::auth::roles::Role;
use crate::db::DbConnection;
use crate::events::{Event, EventType, PublishError, Subscriber};
use crate::meetings::view::MeetingEventFacts;
use crate::meetings::{self, Managed};
use crate::notifications::messages::{Composer, MeetingNotice};
use crate::notifications::outbox::{self, EmailKind, NewEmail};
use crate::users::repo as users_repo;
use crate::workflow::repo as requests_repo;
use crate::workflow::state::RequestStatus;

/// The email subscriber.
pub struct EmailNotices {
    pub composer: Composer,
}

impl Subscriber for EmailNotices {
    fn name(&self) -> &'static str {
        "emails"
    }

    fn on_event(&self, conn: &mut DbConnection, event: &Event) -> Result<(), PublishError> {
        let Ok(kind) = event.event_type.parse::<EventType>() else {
            return Ok(());
        };
        let now = event.occurred_at;
        match kind {
            EventType::MeetingScheduled
            | EventType::MeetingRescheduled
            | EventType::MeetingCancelled => {
                let facts: MeetingEventFacts = serde_json::from_value(event.data.clone())
                    .map_err(|e| self.failed(event, e.to_string()))?;
                if facts.change.logged_after_the_fact {
                    return Ok(());
                }
                let Some(managed) = meetings::find(conn, &facts.id)? else {
                    return Ok(());
                };
                let change = facts.change;
                let notice = match kind {
                    EventType::MeetingScheduled => MeetingNotice::Scheduled,
                    EventType::MeetingRescheduled => MeetingNotice::Rescheduled {
                        previous_start: change.previous_start_utc.unwrap_or(now),
                    },
                    _ if change.declined => MeetingNotice::Rejected {
                        reason: change.reason.unwrap_or_default(),
                    },
                    _ => MeetingNotice::Cancelled {
                        was_scheduled: change.previous_status.as_deref() == Some("scheduled"),
                        reason: change.reason,
                    },
                };
                self.queue_notice(conn, &managed, &notice, now)
                    .map_err(|e| self.failed(event, e))
            }
            EventType::MeetingRequestCreated => {
                let Some(request_id) = event.data.get("id").and_then(|id| id.as_str()) else {
                    return Ok(());
                };
                self.queue_awaiting_approval(conn, request_id, now)
                    .map_err(|e| self.failed(event, e))
            }
            _ => Ok(()),
        }
    }
}

/// Why an email could not be queued.
enum NoticeError {
    Store(crate::db::StoreError),
    Composing(askama::Error),
}

impl From<crate::db::StoreError> for NoticeError {
    fn from(error: crate::db::StoreError) -> Self {
        Self::Store(error)
    }
}

impl EmailNotices {
    fn failed(&self, event: &Event, reason: impl Into<FailureReason>) -> PublishError {
        match reason.into() {
            FailureReason::Store(error) => PublishError::Store(error),
            FailureReason::Text(reason) => PublishError::Subscriber {
                subscriber: self.name(),
                event_type: event.event_type.clone(),
                reason,
            },
        }
    }

    /// Queues what `notice` tells about `managed`. A meeting that moved or ended loses its
    /// pending reminders first.
    fn queue_notice(
        &self,
        conn: &mut DbConnection,
        managed: &Managed,
        notice: &MeetingNotice,
        now: DateTime<Utc>,
    ) -> Result<(), NoticeError> {
        if matches!(
            notice,
            MeetingNotice::Rescheduled { .. }
                | MeetingNotice::Cancelled { .. }
                | MeetingNotice::Rejected { .. }
        ) {
            outbox::drop_pending(conn, &managed.meeting.id, &[EmailKind::Reminder])?;
        }
        let emails = self
            .composer
            .meeting_notices(managed, notice, now)
            .map_err(NoticeError::Composing)?;
        enqueue_all(conn, &emails, now)?;
        Ok(())
    }

    /// A booking whose slot is held for approval: the prospect hears it arrived, and the
    /// meeting managers (or, when there are none, the admins) are asked to decide unless they
    /// get digests instead.
    fn queue_awaiting_approval(
        &self,
        conn: &mut DbConnection,
        request_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), NoticeError> {
        let Some(request) = requests_repo::find(conn, request_id)? else {
            return Ok(());
        };
        if request.status != RequestStatus::PendingApproval {
            return Ok(());
        }
        let Some(held) = meetings::held_meeting_of(conn, request_id)? else {
            return Ok(());
        };
        let Some(managed) = meetings::find(conn, &held.id)? else {
            return Ok(());
        };
        self.queue_notice(conn, &managed, &MeetingNotice::AwaitingApproval, now)?;
        if self.composer.approval_digest {
            return Ok(());
        }
        let mut managers = users_repo::active_with_role(conn, Role::MeetingManager)?;
        if managers.is_empty() {
            managers = users_repo::active_with_role(conn, Role::Admin)?;
        }
        let emails = self
            .composer
            .approval_requests(&managed, &managers, now)
            .map_err(NoticeError::Composing)?;
        enqueue_all(conn, &emails, now)?;
        Ok(())
    }
}

/// What a failure is reported as: store failures stay what they are.
enum FailureReason {
    Store(crate::db::StoreError),
    Text(String),
}

impl From<String> for FailureReason {
    fn from(reason: String) -> Self {
        Self::Text(reason)
    }
}

impl From<NoticeError> for FailureReason {
    fn from(error: NoticeError) -> Self {
        match error {
            NoticeError::Store(error) => Self::Store(error),
            NoticeError::Composing(error) => {
                Self::Text(format!("an email could not be composed: {error}"))
            }
        }
    }
}

fn enqueue_all(
    conn: &mut DbConnection,
    emails: &[NewEmail],
    now: DateTime<Utc>,
) -> Result<(), crate::db::StoreError> {
    for email in emails {
        outbox::enqueue(conn, email, now)?;
    }
    Ok(())
}
