//! What the worker does after meetings: ask each host what happened once a meeting has ended,
//! ask once more 48 hours later if nothing was recorded, and invite the prospect to the survey
//! once a meeting of a surveyed type is recorded as held. Each is one transaction with its
//! email, and each happens once per meeting (an email already queued for it is the record).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::auth::link_keys::LinkPurpose;
use crate::db::schema::{emails, meeting_types, meetings, survey_invitations};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::notifications::messages::Composer;
use crate::notifications::outbox::{self, EmailKind};
use crate::outcomes::surveys::create_survey_invitation;
use crate::values::Email;

/// Meetings further back than this get no follow-ups: they were logged after the fact or long
/// forgotten, and an email about them would only confuse.
const LOOK_BACK: Duration = Duration::days(30);
/// How long after its end an unrecorded meeting is flagged and its hosts asked again.
pub const OUTCOME_OVERDUE: Duration = Duration::hours(48);
/// How long an outcome link works.
const OUTCOME_LINK_DAYS: i64 = 14;
/// Meetings handled per kind per round; the rest wait a round.
const ROUND: i64 = 100;

/// Why a round stopped early; the worker logs it and the next round starts over.
#[derive(Debug, thiserror::Error)]
pub enum FollowUpError {
    #[error("an email could not be composed: {0}")]
    Composing(#[from] askama::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for FollowUpError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpReport {
    pub outcome_requests: usize,
    pub outcome_reminders: usize,
    pub surveys: usize,
}

impl FollowUpReport {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A host's link to the outcome form of `meeting_id`.
pub fn outcome_url(
    composer: &Composer,
    meeting_id: &str,
    host_id: &str,
    now: DateTime<Utc>,
) -> String {
    let token = composer.link_key.signed(
        LinkPurpose::RecordOutcome,
        &format!("{meeting_id}:{host_id}"),
        now + Duration::days(OUTCOME_LINK_DAYS),
    );
    format!("{}/outcome/{token}", composer.public_base)
}

/// Scheduled meetings that ended in `[since, before)` and were booked before they happened,
/// without an email whose dedupe key starts with `step`.
fn ended_without(
    conn: &mut DbConnection,
    step: &str,
    since: DateTime<Utc>,
    before: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let asked = emails::table
        .filter(emails::meeting_id.eq(meetings::id.nullable()))
        .filter(emails::kind.eq(EmailKind::OutcomeRequest.as_str()))
        .filter(emails::dedupe_key.like(format!("{step}:%")));
    Ok(meetings::table
        .filter(meetings::status.eq("scheduled"))
        .filter(meetings::end_utc.ge(since.naive_utc()))
        .filter(meetings::end_utc.lt(before.naive_utc()))
        .filter(meetings::created_at.lt(meetings::end_utc))
        .filter(diesel::dsl::not(diesel::dsl::exists(asked)))
        .order(meetings::end_utc.asc())
        .limit(ROUND)
        .select(meetings::id)
        .load(conn)?)
}

/// Whether the hosts were first asked a day or more ago, so a reminder is not the second email
/// of one round (after the worker was down, say).
fn asked_long_ago(
    conn: &mut DbConnection,
    meeting_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let asked: i64 = emails::table
        .filter(emails::meeting_id.eq(meeting_id))
        .filter(emails::dedupe_key.like("outcome_request:%"))
        .filter(emails::created_at.le((now - Duration::hours(24)).naive_utc()))
        .count()
        .get_result(conn)?;
    Ok(asked > 0)
}

fn ask_hosts(
    conn: &mut DbConnection,
    composer: &Composer,
    meeting_id: &str,
    reminder: bool,
    now: DateTime<Utc>,
) -> Result<bool, FollowUpError> {
    write_transaction(conn, |conn| {
        let Some(managed) = crate::meetings::find(conn, meeting_id)? else {
            return Ok(false);
        };
        let mut written = false;
        for host in &managed.hosts {
            let url = outcome_url(composer, meeting_id, &host.id, now);
            let email = composer.outcome_request(&managed, host, url, reminder, now)?;
            written |= outbox::enqueue(conn, &email, now)?;
        }
        Ok(written)
    })
}

/// Held meetings of surveyed types, ended since `since`, with no survey invitation yet.
fn held_without_survey(
    conn: &mut DbConnection,
    since: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    // An invitation, however it was made, means the prospect was already asked.
    let surveyed =
        survey_invitations::table.filter(survey_invitations::meeting_id.eq(meetings::id));
    let survey_types = meeting_types::table
        .filter(meeting_types::survey.eq(true))
        .select(meeting_types::id);
    let requests_of_survey_types = crate::db::schema::meeting_requests::table
        .filter(crate::db::schema::meeting_requests::meeting_type_id.eq_any(survey_types))
        .select(crate::db::schema::meeting_requests::id);
    Ok(meetings::table
        .filter(meetings::status.eq("completed"))
        .filter(meetings::end_utc.ge(since.naive_utc()))
        .filter(meetings::meeting_request_id.eq_any(requests_of_survey_types))
        .filter(diesel::dsl::not(diesel::dsl::exists(surveyed)))
        .order(meetings::end_utc.asc())
        .limit(ROUND)
        .select(meetings::id)
        .load(conn)?)
}

fn invite_to_survey(
    conn: &mut DbConnection,
    composer: &Composer,
    meeting_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, FollowUpError> {
    write_transaction(conn, |conn| {
        let Some(managed) = crate::meetings::find(conn, meeting_id)? else {
            return Ok(false);
        };
        let recipient = Email::parse(&managed.lead.email).map_err(|reason| {
            StoreError::Corrupt(format!("lead {}: email {reason}", managed.lead.id))
        })?;
        let token = create_survey_invitation(conn, meeting_id, &recipient, now)?;
        let url = format!("{}/survey/{token}", composer.public_base);
        let email = composer.survey(&managed, url, now)?;
        Ok(outbox::enqueue(conn, &email, now)?)
    })
}

pub fn run(
    conn: &mut DbConnection,
    composer: &Composer,
    now: DateTime<Utc>,
) -> Result<FollowUpReport, FollowUpError> {
    let mut report = FollowUpReport::default();
    for id in ended_without(conn, "outcome_request", now - LOOK_BACK, now)? {
        report.outcome_requests += usize::from(ask_hosts(conn, composer, &id, false, now)?);
    }
    for id in ended_without(
        conn,
        "outcome_reminder",
        now - LOOK_BACK,
        now - OUTCOME_OVERDUE,
    )? {
        if asked_long_ago(conn, &id, now)? {
            report.outcome_reminders += usize::from(ask_hosts(conn, composer, &id, true, now)?);
        }
    }
    for id in held_without_survey(conn, now - LOOK_BACK)? {
        report.surveys += usize::from(invite_to_survey(conn, composer, &id, now)?);
    }
    Ok(report)
}
