//! What the worker does for the workflow on its own: let held slots go when nobody approved
//! them in time, expire approved requests that were never scheduled, and escalate requests
//! that waited past the approval SLA. Each change is one transaction with its audit row and
//! emails; a request someone decided meanwhile is left alone.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::audit::Actor;
use crate::auth::roles::Role;
use crate::config::WorkflowSettings;
use crate::db::schema::{emails, meeting_requests, meetings};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::events::{EventType, PublishError, Publisher};
use crate::meetings::error::MeetingError;
use crate::meetings::lifecycle::release_held;
use crate::meetings::meeting_of_request;
use crate::notifications::messages::Composer;
use crate::notifications::outbox::{self, EmailKind};
use crate::users::repo as users_repo;
use crate::values::TimeZone;
use crate::workflow::queue::{self, age_in_words};
use crate::workflow::repo::{self, Step, TransitionError};
use crate::workflow::state::{transition, IllegalTransition, RequestStatus, WorkflowAction};

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UpkeepReport {
    pub holds_released: usize,
    pub approvals_expired: usize,
    pub escalated: usize,
    pub digests: usize,
}

impl UpkeepReport {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Why a round stopped early; the worker logs it and the next round starts over.
#[derive(Debug, thiserror::Error)]
pub enum UpkeepError {
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("a held slot could not be released: {0}")]
    Release(#[from] MeetingError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("an email could not be composed: {0}")]
    Composing(#[from] askama::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for UpkeepError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

/// At most this many requests of each kind are handled per round; the rest wait a round.
const ROUND: i64 = 100;

/// Pending requests with a held slot, created before `before`, oldest first.
fn holding_since(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let holds = meetings::table
        .filter(meetings::meeting_request_id.eq(meeting_requests::id))
        .filter(meetings::status.eq("held"));
    Ok(meeting_requests::table
        .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
        .filter(diesel::dsl::exists(holds))
        .filter(meeting_requests::created_at.lt(before.naive_utc()))
        .order(meeting_requests::created_at.asc())
        .limit(ROUND)
        .select(meeting_requests::id)
        .load(conn)?)
}

/// Pending requests created before `before` that have not been escalated yet.
fn overdue_unescalated(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let escalated = emails::table
        .filter(emails::kind.eq(EmailKind::Escalation.as_str()))
        .filter(emails::meeting_request_id.eq(meeting_requests::id.nullable()));
    Ok(meeting_requests::table
        .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
        .filter(meeting_requests::created_at.lt(before.naive_utc()))
        .filter(diesel::dsl::not(diesel::dsl::exists(escalated)))
        .order(meeting_requests::created_at.asc())
        .limit(ROUND)
        .select(meeting_requests::id)
        .load(conn)?)
}

/// Approved requests without a meeting, last changed before `before`.
fn approved_since(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let booked = meetings::table.filter(meetings::meeting_request_id.eq(meeting_requests::id));
    Ok(meeting_requests::table
        .filter(meeting_requests::status.eq(RequestStatus::Approved.as_str()))
        .filter(diesel::dsl::not(diesel::dsl::exists(booked)))
        .filter(meeting_requests::updated_at.lt(before.naive_utc()))
        .order(meeting_requests::updated_at.asc())
        .limit(ROUND)
        .select(meeting_requests::id)
        .load(conn)?)
}

/// Expires request `id` if it is still `from`; false when someone acted on it first.
fn expire(
    conn: &mut DbConnection,
    id: &str,
    from: RequestStatus,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, UpkeepError> {
    let action = WorkflowAction::Expire;
    let to = transition(from, &action)?;
    let step = Step {
        action: &action,
        from: Some(from),
        to,
        note: Some(note),
    };
    match repo::transition(conn, id, &step, None, &Actor::System, now) {
        Ok(_) => Ok(true),
        Err(TransitionError::Changed(_)) => Ok(false),
        Err(other) => Err(other.into()),
    }
}

pub fn run(
    conn: &mut DbConnection,
    composer: &Composer,
    publisher: &Publisher,
    settings: &WorkflowSettings,
    now: DateTime<Utc>,
) -> Result<UpkeepReport, UpkeepError> {
    let mut report = UpkeepReport::default();
    let hold_limit = Duration::hours(i64::from(settings.hold_expiry_hours));
    for id in holding_since(conn, now - hold_limit)? {
        let released = write_transaction(conn, |conn| -> Result<bool, UpkeepError> {
            let Some(held) = meeting_of_request(conn, &id)?.filter(|m| m.status == "held") else {
                return Ok(false);
            };
            let note = format!(
                "the held time was not approved within {} h",
                settings.hold_expiry_hours
            );
            if !expire(conn, &id, RequestStatus::PendingApproval, &note, now)? {
                return Ok(false);
            }
            crate::workflow::events::publish(
                conn,
                publisher,
                EventType::MeetingRequestExpired,
                &id,
                now,
            )?;
            let reason = "We could not confirm the time you picked soon enough, so it has been \
                          released. You are welcome to book another time."
                .to_owned();
            release_held(conn, publisher, &held, reason, now)?;
            Ok(true)
        })?;
        report.holds_released += usize::from(released);
    }

    let approval_limit = Duration::days(i64::from(settings.approved_expiry_days));
    for id in approved_since(conn, now - approval_limit)? {
        let expired = write_transaction(conn, |conn| -> Result<bool, UpkeepError> {
            if meeting_of_request(conn, &id)?.is_some() {
                return Ok(false);
            }
            let note = format!(
                "approved but not scheduled within {} days",
                settings.approved_expiry_days
            );
            if !expire(conn, &id, RequestStatus::Approved, &note, now)? {
                return Ok(false);
            }
            crate::workflow::events::publish(
                conn,
                publisher,
                EventType::MeetingRequestExpired,
                &id,
                now,
            )?;
            Ok(true)
        })?;
        report.approvals_expired += usize::from(expired);
    }

    if settings.approval_digest_minutes > 0 {
        report.digests = send_digests(conn, composer, settings, now)?;
    }

    let sla = Duration::hours(i64::from(settings.approval_sla_hours));
    let overdue = overdue_unescalated(conn, now - sla)?;
    if overdue.is_empty() {
        return Ok(report);
    }
    let recipients = escalation_recipients(conn, settings)?;
    for id in overdue {
        let Some(item) = queue::item(conn, &id, now)? else {
            continue;
        };
        let waited = age_in_words(now - item.request.created_at.and_utc());
        let emails = composer.escalations(&item, &recipients, &waited, now)?;
        let mut written = false;
        for email in &emails {
            written |= outbox::enqueue(conn, email, now)?;
        }
        report.escalated += usize::from(written);
    }
    Ok(report)
}

/// Each manager whose last digest is older than the digest interval gets one, if a request
/// arrived since it.
fn send_digests(
    conn: &mut DbConnection,
    composer: &Composer,
    settings: &WorkflowSettings,
    now: DateTime<Utc>,
) -> Result<usize, UpkeepError> {
    let interval = Duration::minutes(i64::from(settings.approval_digest_minutes));
    let mut managers = users_repo::active_with_role(conn, Role::MeetingManager)?;
    if managers.is_empty() {
        managers = users_repo::active_with_role(conn, Role::Admin)?;
    }
    let mut sent = 0;
    for manager in managers {
        let last: Option<chrono::NaiveDateTime> = emails::table
            .filter(emails::kind.eq(EmailKind::ApprovalDigest.as_str()))
            .filter(emails::recipient_email.eq(&manager.email))
            .select(diesel::dsl::max(emails::created_at))
            .first(conn)?;
        if last.is_some_and(|last| now - last.and_utc() < interval) {
            continue;
        }
        let mut arrived = meeting_requests::table
            .filter(meeting_requests::status.eq(RequestStatus::PendingApproval.as_str()))
            .into_boxed();
        if let Some(last) = last {
            arrived = arrived.filter(meeting_requests::created_at.gt(last));
        }
        let new_requests: i64 = arrived.count().get_result(conn)?;
        if new_requests == 0 {
            continue;
        }
        let pending = queue::pending(conn, now, DIGEST_LINES)?;
        let email = composer.approval_digest(&manager, &pending, now)?;
        sent += usize::from(outbox::enqueue(conn, &email, now)?);
    }
    Ok(sent)
}

/// Requests listed in one digest at most; the queue page has the rest.
const DIGEST_LINES: i64 = 50;

/// The configured backup manager, else every active admin.
fn escalation_recipients(
    conn: &mut DbConnection,
    settings: &WorkflowSettings,
) -> Result<Vec<(String, String, TimeZone)>, StoreError> {
    let configured = settings.escalation_email.trim();
    if !configured.is_empty() {
        if let Some(user) = users_repo::find_by_email(conn, configured)? {
            return Ok(vec![(user.name, user.email, user.timezone)]);
        }
        return Ok(vec![(
            configured.to_owned(),
            configured.to_owned(),
            TimeZone::UTC,
        )]);
    }
    Ok(users_repo::active_with_role(conn, Role::Admin)?
        .into_iter()
        .map(|user| (user.name, user.email, user.timezone))
        .collect())
}
