//! The transactional outbox: emails are rows written in the same transaction as the change
//! that causes them, and the worker delivers them later. A row's dedupe key makes enqueueing
//! idempotent, so a retried change never produces a second email; claiming takes a lease so
//! several instances never work on the same row at once.

use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::emails;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::notifications::ics::IcsMethod;
use crate::values::new_id;

/// Why an email is sent; the words of API.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// A scheduled meeting's invitation (iTIP REQUEST).
    Invite,
    /// A rescheduled meeting's new invitation (REQUEST with a higher SEQUENCE).
    Update,
    /// A cancelled meeting (iTIP CANCEL).
    Cancel,
    Reminder,
    /// To the prospect: the booking arrived and waits for approval.
    Confirmation,
    /// To meeting managers: a request waits for their decision.
    ApprovalRequest,
    /// To meeting managers: the queue, when requests arrived since the last digest.
    ApprovalDigest,
    /// To the prospect: the request was declined.
    Rejection,
    /// To the backup manager: a request waited longer than the approval SLA.
    Escalation,
    OutcomeRequest,
    Survey,
    /// To a host and the managers: a connected calendar cannot be read, so the host is shown
    /// as busy.
    CalendarUnreadable,
    /// To a host: the calendar provider no longer accepts the grant; connect again.
    CalendarReconnect,
    /// To the admins: a webhook subscription failed for days and was disabled.
    WebhookDisabled,
    /// To a lead a router offered times to: the booking link again, when it has not booked.
    RoutingFollowUp,
    /// To a new user: a link to set their password and sign in.
    UserInvitation,
    /// To a user who asked to reset their password: a link to choose a new one.
    PasswordReset,
    /// To a lead: a booking link someone on our side sent them.
    BookingLink,
}

impl EmailKind {
    pub const ALL: [EmailKind; 18] = [
        EmailKind::Invite,
        EmailKind::Update,
        EmailKind::Cancel,
        EmailKind::Reminder,
        EmailKind::Confirmation,
        EmailKind::ApprovalRequest,
        EmailKind::ApprovalDigest,
        EmailKind::Rejection,
        EmailKind::Escalation,
        EmailKind::OutcomeRequest,
        EmailKind::Survey,
        EmailKind::CalendarUnreadable,
        EmailKind::CalendarReconnect,
        EmailKind::WebhookDisabled,
        EmailKind::RoutingFollowUp,
        EmailKind::UserInvitation,
        EmailKind::PasswordReset,
        EmailKind::BookingLink,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Invite => "invite",
            EmailKind::Update => "update",
            EmailKind::Cancel => "cancel",
            EmailKind::Reminder => "reminder",
            EmailKind::Confirmation => "confirmation",
            EmailKind::ApprovalRequest => "approval_request",
            EmailKind::ApprovalDigest => "approval_digest",
            EmailKind::Rejection => "rejection",
            EmailKind::Escalation => "escalation",
            EmailKind::OutcomeRequest => "outcome_request",
            EmailKind::Survey => "survey",
            EmailKind::CalendarUnreadable => "calendar_unreadable",
            EmailKind::CalendarReconnect => "calendar_reconnect",
            EmailKind::WebhookDisabled => "webhook_disabled",
            EmailKind::RoutingFollowUp => "routing_follow_up",
            EmailKind::UserInvitation => "user_invitation",
            EmailKind::PasswordReset => "password_reset",
            EmailKind::BookingLink => "booking_link",
        }
    }
}

impl fmt::Display for EmailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EmailKind {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| format!("`{raw}` is not an email kind"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Waiting for its `send_after`, being sent, or waiting for a retry.
    Pending,
    Sent,
    /// Every attempt failed, or the receiving server refused it for good.
    Failed,
    /// No longer wanted: a reminder for a meeting that moved, was cancelled or has begun.
    Dropped,
}

impl EmailStatus {
    pub const ALL: [EmailStatus; 4] = [
        EmailStatus::Pending,
        EmailStatus::Sent,
        EmailStatus::Failed,
        EmailStatus::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Pending => "pending",
            EmailStatus::Sent => "sent",
            EmailStatus::Failed => "failed",
            EmailStatus::Dropped => "dropped",
        }
    }
}

impl FromStr for EmailStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| {
                format!("`{raw}` is not an email status (pending, sent, failed, dropped)")
            })
    }
}

/// An email to write into the outbox.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub kind: EmailKind,
    /// Unique per meeting, kind, recipient and meeting version (or reminder offset).
    pub dedupe_key: String,
    pub meeting_id: Option<String>,
    pub meeting_request_id: Option<String>,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// The iTIP document this email carries, with its method.
    pub calendar: Option<(IcsMethod, String)>,
    pub send_after: DateTime<Utc>,
    /// Not worth sending after this instant (a reminder once its meeting has begun).
    pub not_after: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = emails)]
pub struct EmailRecord {
    pub id: String,
    pub kind: String,
    pub dedupe_key: String,
    pub meeting_id: Option<String>,
    pub meeting_request_id: Option<String>,
    pub recipient_email: String,
    pub recipient_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub ics_method: Option<String>,
    pub ics: Option<String>,
    pub status: String,
    pub send_after: NaiveDateTime,
    pub not_after: Option<NaiveDateTime>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

impl EmailRecord {
    pub fn calendar_method(&self) -> Option<IcsMethod> {
        match self.ics_method.as_deref() {
            Some("CANCEL") => Some(IcsMethod::Cancel),
            Some(_) => Some(IcsMethod::Request),
            None => None,
        }
    }
}

/// Writes `email` unless one with its dedupe key exists; true when it was written.
pub fn enqueue(
    conn: &mut DbConnection,
    email: &NewEmail,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let exists = emails::table
        .filter(emails::dedupe_key.eq(&email.dedupe_key))
        .select(emails::id)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if exists {
        return Ok(false);
    }
    let (ics_method, ics) = match &email.calendar {
        Some((method, document)) => (Some(method.as_str()), Some(document.as_str())),
        None => (None, None),
    };
    diesel::insert_into(emails::table)
        .values((
            emails::id.eq(new_id()),
            emails::kind.eq(email.kind.as_str()),
            emails::dedupe_key.eq(&email.dedupe_key),
            emails::meeting_id.eq(email.meeting_id.as_deref()),
            emails::meeting_request_id.eq(email.meeting_request_id.as_deref()),
            emails::recipient_email.eq(&email.recipient_email),
            emails::recipient_name.eq(&email.recipient_name),
            emails::subject.eq(&email.subject),
            emails::body_text.eq(&email.body_text),
            emails::body_html.eq(&email.body_html),
            emails::ics_method.eq(ics_method),
            emails::ics.eq(ics),
            emails::status.eq(EmailStatus::Pending.as_str()),
            emails::send_after.eq(email.send_after.naive_utc()),
            emails::not_after.eq(email.not_after.map(|at| at.naive_utc())),
            emails::attempts.eq(0),
            emails::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Marks the meeting's pending emails of `kinds` dropped (reminders of a moved meeting).
pub fn drop_pending(
    conn: &mut DbConnection,
    meeting_id: &str,
    kinds: &[EmailKind],
) -> Result<usize, StoreError> {
    let kinds: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
    Ok(diesel::update(
        emails::table
            .filter(emails::meeting_id.eq(meeting_id))
            .filter(emails::status.eq(EmailStatus::Pending.as_str()))
            .filter(emails::kind.eq_any(kinds)),
    )
    .set(emails::status.eq(EmailStatus::Dropped.as_str()))
    .execute(conn)?)
}

/// Gives up on emails whose last allowed attempt was claimed but never settled: the process
/// handling them died (perhaps because of them), so claiming them again would repeat that.
/// Marks them failed and answers their ids.
pub fn give_up_abandoned(
    conn: &mut DbConnection,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let now = now.naive_utc();
    let abandoned = || {
        emails::table
            .filter(emails::status.eq(EmailStatus::Pending.as_str()))
            .filter(emails::attempts.ge(max_attempts))
            .filter(emails::locked_until.lt(now))
    };
    write_transaction(conn, |conn| {
        let ids: Vec<String> = abandoned().select(emails::id).load(conn)?;
        if ids.is_empty() {
            return Ok(ids);
        }
        diesel::update(abandoned().filter(emails::id.eq_any(&ids)))
            .set((
                emails::status.eq(EmailStatus::Failed.as_str()),
                emails::last_error.eq(Some(format!(
                    "gave up after {max_attempts} attempts: each ended without a result \
                     (the sending process stopped while handling it)"
                ))),
                emails::locked_by.eq(None::<String>),
                emails::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(ids)
    })
}

/// Takes up to `limit` due emails for `worker` until `now + lease`. On PostgreSQL the rows are
/// picked with `FOR UPDATE SKIP LOCKED`, so instances claiming at once get disjoint batches
/// without waiting on each other; SQLite has one writer at a time, so a plain read and update
/// inside one write transaction is already exclusive. Each claim counts as an attempt.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<EmailRecord>, StoreError> {
    let now_naive = now.naive_utc();
    let until = (now + lease).naive_utc();
    write_transaction(conn, |conn| {
        let ids: Vec<String> = match conn {
            // A CTE is evaluated once, so every row it locks is a row the UPDATE claims.
            DbConnection::Postgres(pg) => crate::db::claim_ids(
                pg,
                "WITH due AS (SELECT id FROM emails WHERE status = 'pending' \
                 AND send_after <= $3 AND (locked_until IS NULL OR locked_until < $3) \
                 ORDER BY send_after LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 UPDATE emails SET locked_by = $1, locked_until = $2, \
                 attempts = emails.attempts + 1 FROM due WHERE emails.id = due.id \
                 RETURNING emails.id",
                worker,
                until,
                now_naive,
                limit,
            )?,
            DbConnection::Sqlite(_) => {
                let ids: Vec<String> = emails::table
                    .filter(emails::status.eq(EmailStatus::Pending.as_str()))
                    .filter(emails::send_after.le(now_naive))
                    .filter(
                        emails::locked_until
                            .is_null()
                            .or(emails::locked_until.lt(now_naive)),
                    )
                    .order(emails::send_after.asc())
                    .limit(limit)
                    .select(emails::id)
                    .load(conn)?;
                diesel::update(emails::table.filter(emails::id.eq_any(&ids)))
                    .set((
                        emails::locked_by.eq(worker),
                        emails::locked_until.eq(until),
                        emails::attempts.eq(emails::attempts + 1),
                    ))
                    .execute(conn)?;
                ids
            }
        };
        let mut claimed: Vec<EmailRecord> = emails::table
            .filter(emails::id.eq_any(&ids))
            .select(EmailRecord::as_select())
            .load(conn)?;
        claimed.sort_by(|a, b| a.send_after.cmp(&b.send_after).then(a.id.cmp(&b.id)));
        Ok(claimed)
    })
}

type LeasedEmail<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<emails::table, diesel::dsl::Eq<emails::id, &'a str>>,
    diesel::dsl::Eq<emails::locked_by, &'a str>,
>;

/// Only the worker holding the lease may settle an email: one whose lease ran out and was
/// taken over is left to the new owner.
fn owned<'a>(id: &'a str, worker: &'a str) -> LeasedEmail<'a> {
    emails::table
        .filter(emails::id.eq(id))
        .filter(emails::locked_by.eq(worker))
}

pub fn mark_sent(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(owned(id, worker))
        .set((
            emails::status.eq(EmailStatus::Sent.as_str()),
            emails::sent_at.eq(Some(now.naive_utc())),
            emails::last_error.eq(None::<String>),
            emails::locked_by.eq(None::<String>),
            emails::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// What happens after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GiveUp,
}

pub fn mark_failed_attempt(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    error: &str,
    after: AfterFailure,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(1000).collect();
    let target = owned(id, worker);
    match after {
        AfterFailure::RetryAt(at) => diesel::update(target)
            .set((
                emails::send_after.eq(at.naive_utc()),
                emails::last_error.eq(Some(error)),
                emails::locked_by.eq(None::<String>),
                emails::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?,
        AfterFailure::GiveUp => diesel::update(target)
            .set((
                emails::status.eq(EmailStatus::Failed.as_str()),
                emails::last_error.eq(Some(error)),
                emails::locked_by.eq(None::<String>),
                emails::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?,
    };
    Ok(())
}

pub fn mark_dropped(conn: &mut DbConnection, id: &str, worker: &str) -> Result<(), StoreError> {
    diesel::update(owned(id, worker))
        .set((
            emails::status.eq(EmailStatus::Dropped.as_str()),
            emails::locked_by.eq(None::<String>),
            emails::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Puts a failed email back in the queue with a fresh set of attempts; false when the email
/// is not failed (a sent email is never sent again from here).
pub fn retry(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let changed = diesel::update(
        emails::table
            .filter(emails::id.eq(id))
            .filter(emails::status.eq(EmailStatus::Failed.as_str())),
    )
    .set((
        emails::status.eq(EmailStatus::Pending.as_str()),
        emails::attempts.eq(0),
        emails::send_after.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The wait before attempt `attempts + 1`: `base · 2^(attempts − 1)`, capped at `max`, then
/// scaled by `jitter` in [0.5, 1.0] so that emails that failed together do not retry together.
pub fn retry_delay(attempts: u32, base: StdDuration, max: StdDuration, jitter: f64) -> StdDuration {
    let doublings = attempts.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << doublings).min(max);
    raw.mul_f64(jitter.clamp(0.5, 1.0))
}

#[derive(Debug, Default, Clone)]
pub struct EmailFilter {
    pub meeting_id: Option<String>,
    pub meeting_request_id: Option<String>,
    pub kind: Option<EmailKind>,
    pub status: Option<EmailStatus>,
}

/// Newest first (ids sort by creation), after the cursor (an email id).
pub fn list(
    conn: &mut DbConnection,
    filter: &EmailFilter,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<EmailRecord>, StoreError> {
    let mut query = emails::table.select(EmailRecord::as_select()).into_boxed();
    if let Some(meeting_id) = &filter.meeting_id {
        query = query.filter(emails::meeting_id.eq(meeting_id.clone()));
    }
    if let Some(request_id) = &filter.meeting_request_id {
        query = query.filter(emails::meeting_request_id.eq(request_id.clone()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(emails::kind.eq(kind.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(emails::status.eq(status.as_str()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(emails::id.lt(cursor.to_owned()));
    }
    Ok(query.order(emails::id.desc()).limit(limit).load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<EmailRecord>, StoreError> {
    Ok(emails::table
        .find(id)
        .select(EmailRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Pending emails, split by whether they are due (for `/metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxDepth {
    pub due: i64,
    pub scheduled: i64,
}

pub fn depth(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<OutboxDepth, StoreError> {
    let now = now.naive_utc();
    let pending = || emails::table.filter(emails::status.eq(EmailStatus::Pending.as_str()));
    let due = pending()
        .filter(emails::send_after.le(now))
        .count()
        .get_result(conn)?;
    let scheduled = pending()
        .filter(emails::send_after.gt(now))
        .count()
        .get_result(conn)?;
    Ok(OutboxDepth { due, scheduled })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_statuses_round_trip_through_text() {
        for kind in EmailKind::ALL {
            assert_eq!(kind.as_str().parse::<EmailKind>().unwrap(), kind);
        }
        for status in EmailStatus::ALL {
            assert_eq!(status.as_str().parse::<EmailStatus>().unwrap(), status);
        }
        assert!("spam".parse::<EmailKind>().is_err());
        assert!("queued".parse::<EmailStatus>().is_err());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let base = StdDuration::from_secs(30);
        let max = StdDuration::from_secs(3600);
        let full = |attempts| retry_delay(attempts, base, max, 1.0);
        assert_eq!(full(1), StdDuration::from_secs(30));
        assert_eq!(full(2), StdDuration::from_secs(60));
        assert_eq!(full(3), StdDuration::from_secs(120));
        assert_eq!(full(7), StdDuration::from_secs(1920));
        assert_eq!(full(8), max);
        assert_eq!(full(u32::MAX), max, "no overflow on absurd attempt counts");
    }

    #[test]
    fn jitter_shortens_the_wait_by_at_most_half() {
        let base = StdDuration::from_secs(40);
        let max = StdDuration::from_secs(3600);
        assert_eq!(retry_delay(1, base, max, 0.5), StdDuration::from_secs(20));
        assert_eq!(retry_delay(1, base, max, 0.0), StdDuration::from_secs(20));
        assert_eq!(retry_delay(1, base, max, 7.0), StdDuration::from_secs(40));
    }
}
