//! Storage of meeting requests. A status change is a conditional update on the status the
//! caller saw, so of two concurrent decisions exactly one applies.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Actor, AuditEntry};
use crate::db::schema::{leads, meeting_request_hosts, meeting_requests, meetings};
use crate::db::{DbConnection, StoreError};
use crate::i18n::Language;
use crate::leads::attribution::TouchAt;
use crate::values::new_id;
use crate::workflow::requests::MeetingRequest;
use crate::workflow::state::{RequestStatus, WorkflowAction};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meeting_requests)]
pub(crate) struct MeetingRequestRow {
    pub(crate) id: String,
    lead_id: String,
    meeting_type_id: String,
    status: String,
    notes: Option<String>,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    attribution: Option<String>,
    prospect_language: String,
}

impl MeetingRequestRow {
    pub(crate) fn into_request(self, host_ids: Vec<String>) -> Result<MeetingRequest, StoreError> {
        let status =
            self.status
                .parse()
                .map_err(|e: crate::workflow::state::UnknownRequestStatus| {
                    StoreError::Corrupt(format!("request {}: {e}", self.id))
                })?;
        let attribution = self
            .attribution
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("request {}: {e}", self.id)))?;
        Ok(MeetingRequest {
            id: self.id,
            lead_id: self.lead_id,
            meeting_type_id: self.meeting_type_id,
            status,
            notes: self.notes,
            created_by: self.created_by,
            host_ids,
            created_at: self.created_at,
            updated_at: self.updated_at,
            attribution,
            // A language whose catalogue was since removed reads as English.
            prospect_language: Language::supported(&self.prospect_language).unwrap_or_default(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("the request changed meanwhile: it is now {0}")]
    Changed(RequestStatus),
    #[error("no such request")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for TransitionError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

/// One move of a request through the workflow, as the audit log records it.
pub struct Step<'a> {
    pub action: &'a WorkflowAction,
    pub from: Option<RequestStatus>,
    pub to: RequestStatus,
    pub note: Option<&'a str>,
}

fn audit_step(
    conn: &mut DbConnection,
    request_id: &str,
    step: &Step<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: step.action.as_str(),
            entity_type: "meeting_request",
            entity_id: request_id,
            from_status: step.from.map(RequestStatus::as_str),
            to_status: Some(step.to.as_str()),
            note: step.note,
        },
        now,
    )
}

/// Copies an approval step onto the request for the reports, in the step's transaction.
fn record_approval(
    conn: &mut DbConnection,
    request_id: &str,
    step: &Step<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if step.to != RequestStatus::Approved {
        return Ok(());
    }
    diesel::update(meeting_requests::table.find(request_id))
        .set((
            meeting_requests::approved_at.eq(now.naive_utc()),
            meeting_requests::approved_from_pending
                .eq(step.from == Some(RequestStatus::PendingApproval)),
        ))
        .execute(conn)?;
    Ok(())
}

pub struct NewRequest<'a> {
    pub lead_id: &'a str,
    pub meeting_type_id: &'a str,
    pub host_ids: &'a [String],
    pub notes: Option<&'a str>,
    /// The status after submission: `pending_approval` or `approved`.
    pub submitted_status: RequestStatus,
    pub submit: WorkflowAction,
    /// The touch that brought the prospect to ask for this meeting, when known.
    pub attribution: Option<&'a TouchAt>,
    pub prospect_language: Language,
}

/// The campaign and source of a lead, which its requests and their meetings carry for the
/// reports.
pub type LeadGroups = (Option<String>, Option<String>);

/// The lead's campaign and source as a new request or meeting of it must copy them. On
/// PostgreSQL the lead's row is share-locked until the caller's transaction ends: a concurrent
/// change of the lead either committed before (and is read here) or waits, and then finds the
/// new row when it updates the lead's requests and meetings ([`follow_lead`]). SQLite runs one
/// writer at a time.
pub fn lead_groups(conn: &mut DbConnection, lead_id: &str) -> Result<LeadGroups, StoreError> {
    let query = leads::table
        .find(lead_id)
        .select((leads::campaign, leads::source));
    let groups = match conn {
        DbConnection::Postgres(postgres) => query.for_share().first(postgres),
        DbConnection::Sqlite(sqlite) => query.first(sqlite),
    };
    Ok(groups?)
}

/// Copies a lead's campaign and source onto its requests and their meetings, after the lead's
/// row was written in the same transaction; rows that already agree are not rewritten. A lead
/// has a handful of requests, so they are compared here rather than with a null-safe SQL
/// comparison, which the multi-backend query builder does not offer. Rewriting a meeting moves
/// the availability version like any change of a meeting, which costs the slot caches a
/// refill when a lead's campaign or source changes, and nothing otherwise.
pub fn follow_lead(
    conn: &mut DbConnection,
    lead_id: &str,
    campaign: Option<&str>,
    source: Option<&str>,
) -> Result<(), StoreError> {
    let agrees =
        |c: &Option<String>, s: &Option<String>| (c.as_deref(), s.as_deref()) == (campaign, source);
    let requests: Vec<(String, Option<String>, Option<String>)> = meeting_requests::table
        .filter(meeting_requests::lead_id.eq(lead_id))
        .select((
            meeting_requests::id,
            meeting_requests::lead_campaign,
            meeting_requests::lead_source,
        ))
        .load(conn)?;
    let stale: Vec<&String> = requests
        .iter()
        .filter(|(_, c, s)| !agrees(c, s))
        .map(|(id, _, _)| id)
        .collect();
    if !stale.is_empty() {
        diesel::update(meeting_requests::table.filter(meeting_requests::id.eq_any(stale)))
            .set((
                meeting_requests::lead_campaign.eq(campaign),
                meeting_requests::lead_source.eq(source),
            ))
            .execute(conn)?;
    }
    let request_ids: Vec<&String> = requests.iter().map(|(id, _, _)| id).collect();
    let stale: Vec<String> = meetings::table
        .filter(meetings::meeting_request_id.eq_any(request_ids))
        .select((meetings::id, meetings::lead_campaign, meetings::lead_source))
        .load::<(String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .filter(|(_, c, s)| !agrees(c, s))
        .map(|(id, _, _)| id)
        .collect();
    if !stale.is_empty() {
        diesel::update(meetings::table.filter(meetings::id.eq_any(stale)))
            .set((
                meetings::lead_campaign.eq(campaign),
                meetings::lead_source.eq(source),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The language `lead_id` last booked in, for emails that precede any new booking (a booking
/// link, a routing reminder); English for a lead who never booked.
pub fn last_prospect_language(
    conn: &mut DbConnection,
    lead_id: &str,
) -> Result<Language, StoreError> {
    let code: Option<String> = meeting_requests::table
        .filter(meeting_requests::lead_id.eq(lead_id))
        .order((
            meeting_requests::created_at.desc(),
            meeting_requests::id.desc(),
        ))
        .select(meeting_requests::prospect_language)
        .first(conn)
        .optional()?;
    Ok(code
        .as_deref()
        .and_then(Language::supported)
        .unwrap_or_default())
}

/// Creates a request and submits it: two audit rows (created, then routed). Runs inside the
/// caller's transaction.
pub fn insert(
    conn: &mut DbConnection,
    new: &NewRequest<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<MeetingRequest, StoreError> {
    let id = new_id();
    let (campaign, source) = lead_groups(conn, new.lead_id)?;
    diesel::insert_into(meeting_requests::table)
        .values((
            meeting_requests::id.eq(&id),
            meeting_requests::lead_id.eq(new.lead_id),
            meeting_requests::lead_campaign.eq(campaign),
            meeting_requests::lead_source.eq(source),
            meeting_requests::meeting_type_id.eq(new.meeting_type_id),
            meeting_requests::status.eq(new.submitted_status.as_str()),
            meeting_requests::notes.eq(new.notes),
            meeting_requests::prospect_language.eq(new.prospect_language.code()),
            meeting_requests::created_by.eq(actor.label()),
            meeting_requests::created_at.eq(now.naive_utc()),
            meeting_requests::updated_at.eq(now.naive_utc()),
            meeting_requests::attribution.eq(TouchAt::stored(new.attribution)),
        ))
        .execute(conn)?;
    set_hosts(conn, &id, new.host_ids)?;
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: "create",
            entity_type: "meeting_request",
            entity_id: &id,
            from_status: None,
            to_status: Some(RequestStatus::Requested.as_str()),
            note: new.notes,
        },
        now,
    )?;
    let submitted = Step {
        action: &new.submit,
        from: Some(RequestStatus::Requested),
        to: new.submitted_status,
        note: None,
    };
    audit_step(conn, &id, &submitted, actor, now)?;
    record_approval(conn, &id, &submitted, now)?;
    find(conn, &id)?
        .ok_or_else(|| StoreError::Corrupt(format!("request {id} vanished after insert")))
}

fn set_hosts(
    conn: &mut DbConnection,
    request_id: &str,
    host_ids: &[String],
) -> Result<(), StoreError> {
    diesel::delete(
        meeting_request_hosts::table
            .filter(meeting_request_hosts::meeting_request_id.eq(request_id)),
    )
    .execute(conn)?;
    for host_id in host_ids {
        diesel::insert_into(meeting_request_hosts::table)
            .values((
                meeting_request_hosts::meeting_request_id.eq(request_id),
                meeting_request_hosts::user_id.eq(host_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Applies `step` if nobody moved the request first; records the audit row and, when given,
/// the new hosts. Runs inside the caller's transaction.
pub fn transition(
    conn: &mut DbConnection,
    request_id: &str,
    step: &Step<'_>,
    new_hosts: Option<&[String]>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<MeetingRequest, TransitionError> {
    let from = step.from.ok_or(TransitionError::NotFound)?;
    let changed = diesel::update(
        meeting_requests::table
            .filter(meeting_requests::id.eq(request_id))
            .filter(meeting_requests::status.eq(from.as_str())),
    )
    .set((
        meeting_requests::status.eq(step.to.as_str()),
        meeting_requests::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(match find(conn, request_id)? {
            Some(current) => TransitionError::Changed(current.status),
            None => TransitionError::NotFound,
        });
    }
    if let Some(hosts) = new_hosts {
        set_hosts(conn, request_id, hosts)?;
    }
    audit_step(conn, request_id, step, actor, now)?;
    record_approval(conn, request_id, step, now)?;
    find(conn, request_id)?.ok_or(TransitionError::NotFound)
}

/// The hosts of each of `request_ids`, in one query.
pub(crate) fn hosts_of_all(
    conn: &mut DbConnection,
    request_ids: &[&str],
) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
    let rows: Vec<(String, String)> = meeting_request_hosts::table
        .filter(meeting_request_hosts::meeting_request_id.eq_any(request_ids))
        .order((
            meeting_request_hosts::meeting_request_id.asc(),
            meeting_request_hosts::user_id.asc(),
        ))
        .select((
            meeting_request_hosts::meeting_request_id,
            meeting_request_hosts::user_id,
        ))
        .load(conn)?;
    let mut hosts: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (request_id, host) in rows {
        hosts.entry(request_id).or_default().push(host);
    }
    Ok(hosts)
}

fn hosts_of(conn: &mut DbConnection, request_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(meeting_request_hosts::table
        .filter(meeting_request_hosts::meeting_request_id.eq(request_id))
        .order(meeting_request_hosts::user_id.asc())
        .select(meeting_request_hosts::user_id)
        .load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<MeetingRequest>, StoreError> {
    let row: Option<MeetingRequestRow> = meeting_requests::table
        .find(id)
        .select(MeetingRequestRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| {
        let hosts = hosts_of(conn, &row.id)?;
        row.into_request(hosts)
    })
    .transpose()
}

/// Whose requests a list may show.
pub enum Visibility<'a> {
    All,
    HostedBy(&'a str),
}

/// Oldest first (the order a queue is worked in), after the cursor (a request id's creation).
pub fn list(
    conn: &mut DbConnection,
    status: Option<RequestStatus>,
    lead_id: Option<&str>,
    visibility: Visibility<'_>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<MeetingRequest>, StoreError> {
    let mut query = meeting_requests::table
        .select(MeetingRequestRow::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(meeting_requests::status.eq(status.as_str()));
    }
    if let Some(lead_id) = lead_id {
        query = query.filter(meeting_requests::lead_id.eq(lead_id.to_owned()));
    }
    if let Visibility::HostedBy(user_id) = visibility {
        let hosted = meeting_request_hosts::table
            .filter(meeting_request_hosts::user_id.eq(user_id.to_owned()))
            .select(meeting_request_hosts::meeting_request_id);
        query = query.filter(meeting_requests::id.eq_any(hosted));
    }
    if let Some((at, id)) = cursor.and_then(decode_cursor) {
        query = query.filter(
            meeting_requests::created_at
                .gt(at)
                .or(meeting_requests::created_at
                    .eq(at)
                    .and(meeting_requests::id.gt(id))),
        );
    }
    let rows: Vec<MeetingRequestRow> = query
        .order((
            meeting_requests::created_at.asc(),
            meeting_requests::id.asc(),
        ))
        .limit(limit)
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let hosts = hosts_of(conn, &row.id)?;
            row.into_request(hosts)
        })
        .collect()
}

pub fn encode_cursor(request: &MeetingRequest) -> String {
    format!(
        "{}_{}",
        request.created_at.and_utc().timestamp_micros(),
        request.id
    )
}

fn decode_cursor(cursor: &str) -> Option<(NaiveDateTime, String)> {
    let (micros, id) = cursor.split_once('_')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc(),
        id.to_owned(),
    ))
}
