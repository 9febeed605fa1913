//! Queueing the emails of a workflow event inside the transaction that makes the change, so a
//! committed change always has its emails and a rolled-back one never does.

use chrono::{DateTime, Utc};

use crate::auth::roles::Role;
use crate::booking::manage::{reload, Managed};
use crate::db::DbConnection;
use crate::error::AppError;
use crate::notifications::messages::{Composer, MeetingNotice};
use crate::notifications::outbox::{self, EmailKind, NewEmail};
use crate::users::repo as users_repo;
use crate::workflow::state::RequestStatus;

fn enqueue_all(
    conn: &mut DbConnection,
    emails: Vec<NewEmail>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut written = 0;
    for email in &emails {
        if outbox::enqueue(conn, email, now)? {
            written += 1;
        }
    }
    Ok(written)
}

fn composing_failed(error: askama::Error) -> AppError {
    AppError::Internal(format!("an email could not be composed: {error}"))
}

/// Queues what `notice` tells about meeting `meeting_id` as it now stands. A meeting that
/// moved or ended loses its pending reminders first.
pub fn queue_meeting_notice(
    conn: &mut DbConnection,
    composer: &Composer,
    meeting_id: &str,
    notice: &MeetingNotice,
    now: DateTime<Utc>,
) -> Result<Managed, AppError> {
    if matches!(
        notice,
        MeetingNotice::Rescheduled { .. } | MeetingNotice::Cancelled { .. }
    ) {
        outbox::drop_pending(conn, meeting_id, &[EmailKind::Reminder])?;
    }
    let managed = reload(conn, meeting_id)?;
    if matches!(
        notice,
        MeetingNotice::Scheduled
            | MeetingNotice::Rescheduled { .. }
            | MeetingNotice::Cancelled { .. }
    ) {
        crate::calendars::sync::queue_for_meeting(conn, &managed, now)?;
    }
    let emails = composer
        .meeting_notices(&managed, notice, now)
        .map_err(composing_failed)?;
    enqueue_all(conn, emails, now)?;
    Ok(managed)
}

/// Queues the emails of a meeting just booked: invitations when its request is `scheduled`, a
/// confirmation to the prospect and a request to the managers when it waits for approval.
pub fn queue_new_meeting(
    conn: &mut DbConnection,
    composer: &Composer,
    meeting_id: &str,
    request_status: RequestStatus,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    match request_status {
        RequestStatus::Scheduled => {
            queue_meeting_notice(conn, composer, meeting_id, &MeetingNotice::Scheduled, now)?;
        }
        RequestStatus::PendingApproval => {
            queue_meeting_notice(
                conn,
                composer,
                meeting_id,
                &MeetingNotice::AwaitingApproval,
                now,
            )?;
            if !composer.approval_digest {
                queue_approval_request(conn, composer, meeting_id, now)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Asks the meeting managers (or, when there are none, the admins) to decide on the request
/// of the held meeting `meeting_id`.
pub fn queue_approval_request(
    conn: &mut DbConnection,
    composer: &Composer,
    meeting_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut managers = users_repo::active_with_role(conn, Role::MeetingManager)?;
    if managers.is_empty() {
        managers = users_repo::active_with_role(conn, Role::Admin)?;
    }
    let managed = reload(conn, meeting_id)?;
    let emails = composer
        .approval_requests(&managed, &managers, now)
        .map_err(composing_failed)?;
    enqueue_all(conn, emails, now)?;
    Ok(())
}
