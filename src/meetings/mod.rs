//! The meeting lifecycle. A meeting is created (scheduled, or held while its request awaits
//! approval), confirmed, rescheduled, cancelled or released only through `lifecycle`, each
//! change one transaction that also publishes its event; emails, calendar writes and webhooks
//! follow from the event. This file holds the meeting as it is read.

pub mod error;
pub mod lifecycle;
pub mod time;
pub mod view;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::auth::tokens::sha256_hex;
use crate::db::schema::{leads, meeting_hosts, meeting_requests, meeting_types, meetings, users};
use crate::db::{DbConnection, StoreError};
use crate::leads::model::{Lead, LeadRow};
use crate::notifications::ics::{
    render, AttendeeRole, IcsAttendee, IcsEvent, IcsMethod, IcsStatus, Person,
};
use crate::scheduling::meeting_types::MeetingType;
use crate::scheduling::repo::MeetingTypeRow;
use crate::users::model::{User, UserRow};
use crate::values::TimeZone;
use crate::workflow::repo::{self as requests_repo, MeetingRequestRow};
use crate::workflow::requests::MeetingRequest;
use crate::workflow::state::RequestStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingRecord {
    pub id: String,
    pub meeting_request_id: String,
    pub status: String,
    pub start_utc: NaiveDateTime,
    pub end_utc: NaiveDateTime,
    pub prospect_timezone: String,
    pub ics_uid: String,
    pub sequence: i32,
    pub location: Option<String>,
    pub manage_token_hash: Option<String>,
    pub booking_link_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Everything the manage page shows about one meeting.
#[derive(Debug, Clone)]
pub struct Managed {
    pub meeting: MeetingRecord,
    pub request: MeetingRequest,
    pub meeting_type: MeetingType,
    pub lead: Lead,
    pub hosts: Vec<User>,
}

impl Managed {
    pub fn zone(&self) -> TimeZone {
        TimeZone::parse(&self.meeting.prospect_timezone).unwrap_or_else(|_| {
            TimeZone::parse("UTC").unwrap_or_else(|_| unreachable!("UTC is an IANA zone"))
        })
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.meeting.start_utc.and_utc()
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.meeting.end_utc.and_utc()
    }

    /// The meeting as an iCalendar REQUEST (or CANCEL once cancelled), organized by
    /// `organizer` (the address invitations come from), with every host and the prospect
    /// invited.
    pub fn ics(
        &self,
        organizer: Person,
        description: String,
        url: Option<String>,
        stamp: DateTime<Utc>,
    ) -> String {
        let mut attendees: Vec<IcsAttendee> = self
            .hosts
            .iter()
            .enumerate()
            .map(|(n, host)| IcsAttendee {
                name: host.name.clone(),
                email: host.email.clone(),
                role: if n == 0 {
                    AttendeeRole::Chair
                } else {
                    AttendeeRole::Required
                },
            })
            .collect();
        attendees.push(IcsAttendee {
            name: self.lead.name.clone(),
            email: self.lead.email.clone(),
            role: AttendeeRole::Required,
        });
        let cancelled = self.meeting.status == "cancelled";
        render(&IcsEvent {
            uid: self.meeting.ics_uid.clone(),
            sequence: u32::try_from(self.meeting.sequence).unwrap_or(0),
            method: if cancelled {
                IcsMethod::Cancel
            } else {
                IcsMethod::Request
            },
            start: self.start(),
            end: self.end(),
            stamp,
            summary: self.meeting_type.name.clone(),
            description,
            location: self.meeting.location.clone(),
            organizer,
            attendees,
            status: if self.meeting.status == "held" {
                IcsStatus::Tentative
            } else {
                IcsStatus::Confirmed
            },
            url,
        })
    }
}

/// The hosts of each of `meeting_ids`, in one query, by meeting.
fn hosts_of(
    conn: &mut DbConnection,
    meeting_ids: &[&str],
) -> Result<HashMap<String, Vec<User>>, StoreError> {
    let rows: Vec<(String, UserRow)> = meeting_hosts::table
        .inner_join(users::table.on(users::id.eq(meeting_hosts::user_id)))
        .filter(meeting_hosts::meeting_id.eq_any(meeting_ids))
        .order((
            meeting_hosts::meeting_id.asc(),
            meeting_hosts::user_id.asc(),
        ))
        .select((meeting_hosts::meeting_id, UserRow::as_select()))
        .load(conn)?;
    let mut hosts: HashMap<String, Vec<User>> = HashMap::new();
    for (meeting_id, row) in rows {
        hosts
            .entry(meeting_id)
            .or_default()
            .push(User::try_from(row)?);
    }
    Ok(hosts)
}

/// A meeting with its request, meeting type and lead, read in one joined query.
type Joined = (MeetingRecord, MeetingRequestRow, MeetingTypeRow, LeadRow);

/// The joined read every lookup of meetings starts from.
macro_rules! joined_meetings {
    () => {
        meetings::table
            .inner_join(
                meeting_requests::table
                    .inner_join(meeting_types::table)
                    .inner_join(leads::table),
            )
            .select((
                MeetingRecord::as_select(),
                MeetingRequestRow::as_select(),
                MeetingTypeRow::as_select(),
                LeadRow::as_select(),
            ))
    };
}

/// Meetings from their joined rows, with the host lists of meetings, requests and meeting
/// types read in one query each, however many meetings there are.
fn assemble(conn: &mut DbConnection, rows: Vec<Joined>) -> Result<Vec<Managed>, StoreError> {
    let meeting_ids: Vec<&str> = rows.iter().map(|row| row.0.id.as_str()).collect();
    let request_ids: Vec<&str> = rows
        .iter()
        .map(|row| row.0.meeting_request_id.as_str())
        .collect();
    let type_ids: Vec<&str> = rows.iter().map(|row| row.2.id.as_str()).collect();
    let mut hosts = hosts_of(conn, &meeting_ids)?;
    let request_hosts = requests_repo::hosts_of_all(conn, &request_ids)?;
    let type_hosts = crate::scheduling::repo::hosts_of_all(conn, &type_ids)?;
    let mut found = Vec::with_capacity(rows.len());
    for (meeting, request, meeting_type, lead) in rows {
        let request_host_ids = request_hosts.get(&request.id).cloned().unwrap_or_default();
        let type_host_ids = type_hosts
            .get(&meeting_type.id)
            .cloned()
            .unwrap_or_default();
        found.push(Managed {
            hosts: hosts.remove(&meeting.id).unwrap_or_default(),
            request: request.into_request(request_host_ids)?,
            meeting_type: meeting_type.into_meeting_type(type_host_ids)?,
            lead: Lead::try_from(lead)?,
            meeting,
        });
    }
    Ok(found)
}

/// The meeting with id `id` and everything around it.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Managed>, StoreError> {
    let rows: Vec<Joined> = joined_meetings!().filter(meetings::id.eq(id)).load(conn)?;
    Ok(assemble(conn, rows)?.pop())
}

/// The meeting behind a prospect's manage token.
pub fn find_by_manage_token(
    conn: &mut DbConnection,
    token: &str,
) -> Result<Option<Managed>, StoreError> {
    let rows: Vec<Joined> = joined_meetings!()
        .filter(meetings::manage_token_hash.eq(sha256_hex(token)))
        .load(conn)?;
    Ok(assemble(conn, rows)?.pop())
}

/// The meeting (or held slot) of request `request_id`, whatever its status.
pub fn meeting_of_request(
    conn: &mut DbConnection,
    request_id: &str,
) -> Result<Option<MeetingRecord>, StoreError> {
    Ok(meetings::table
        .filter(meetings::meeting_request_id.eq(request_id))
        .select(MeetingRecord::as_select())
        .first(conn)
        .optional()?)
}

/// The held slot of request `request_id`, if it has one.
pub fn held_meeting_of(
    conn: &mut DbConnection,
    request_id: &str,
) -> Result<Option<MeetingRecord>, StoreError> {
    Ok(meetings::table
        .filter(meetings::meeting_request_id.eq(request_id))
        .filter(meetings::status.eq("held"))
        .select(MeetingRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Whether `status` leaves the request open to changes by the prospect.
pub fn changeable(request: &MeetingRequest) -> bool {
    matches!(
        request.status,
        RequestStatus::Scheduled | RequestStatus::PendingApproval
    )
}

/// Filters of the meetings list.
#[derive(Debug, Default, Clone)]
pub struct MeetingQuery {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub status: Option<String>,
    pub host_id: Option<String>,
}

/// Meetings by start time, held slots included only when asked for by status.
pub fn list(
    conn: &mut DbConnection,
    query: MeetingQuery,
    limit: i64,
) -> Result<Vec<Managed>, StoreError> {
    let mut select = joined_meetings!().into_boxed();
    if let Some(from) = query.from {
        select = select.filter(meetings::end_utc.gt(from.naive_utc()));
    }
    if let Some(to) = query.to {
        select = select.filter(meetings::start_utc.lt(to.naive_utc()));
    }
    if let Some(status) = query.status {
        select = select.filter(meetings::status.eq(status));
    } else {
        select = select.filter(meetings::status.ne("held"));
    }
    if let Some(host) = query.host_id {
        let hosted = meeting_hosts::table
            .filter(meeting_hosts::user_id.eq(host))
            .select(meeting_hosts::meeting_id);
        select = select.filter(meetings::id.eq_any(hosted));
    }
    let rows: Vec<Joined> = select
        .order((meetings::start_utc.asc(), meetings::id.asc()))
        .limit(limit)
        .load(conn)?;
    assemble(conn, rows)
}
