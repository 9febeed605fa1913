//! What Convene knows about its hosts' time, shaped for the availability engine: working hours
//! from their user record and busy time from Convene's own held and scheduled meetings.

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::schema::{availability_version, meeting_hosts, meetings};
use crate::db::{DbConnection, StoreError};
use crate::scheduling::availability::{HostCalendar, HostLoad, Interval, MeetingRules};
use crate::scheduling::meeting_types::MeetingType;
use crate::users::model::User;

/// Meeting statuses that occupy a host's time. A meeting whose outcome is recorded keeps its
/// time: an outcome may be recorded as soon as the meeting starts.
pub const OCCUPYING: [&str; 4] = ["held", "scheduled", "completed", "no_show"];

/// How far around a window busy time still matters: buffers reach at most four hours, and the
/// per-day limit counts meetings on the host's whole local day.
pub const CONTEXT: Duration = Duration::days(2);

pub fn rules_of(meeting_type: &MeetingType) -> MeetingRules {
    let minutes = |m: i32| Duration::minutes(i64::from(m));
    MeetingRules {
        duration: minutes(meeting_type.duration_minutes),
        step: minutes(meeting_type.slot_step_minutes),
        buffer_before: minutes(meeting_type.buffer_before_minutes),
        buffer_after: minutes(meeting_type.buffer_after_minutes),
        min_notice: minutes(meeting_type.min_notice_minutes),
        max_days_ahead: u32::try_from(meeting_type.max_days_ahead).unwrap_or(0),
        max_per_day_per_host: meeting_type
            .max_per_day_per_host
            .and_then(|n| u32::try_from(n).ok()),
    }
}

/// SQLite keeps timestamps as text (`YYYY-MM-DD HH:MM:SS[.fraction]`): its C date parser turns
/// them into the engine's whole seconds several times faster than decoding each one into a
/// `NaiveDateTime` in Rust. The start rounds down and the end up (a non-zero fraction adds a
/// second), as the engine reads them.
const SQLITE_START_SECONDS: &str = "unixepoch(meetings.start_utc)";
const SQLITE_END_SECONDS: &str = "unixepoch(meetings.end_utc) + (length(meetings.end_utc) > 19 \
     AND CAST(substr(meetings.end_utc, 21) AS INTEGER) > 0)";

/// The held and scheduled meetings of hosts `$ids` that can meet `[$from, $to)`, other than
/// meeting `$ignoring`, before their `select`: each backend reads the times its cheapest way.
macro_rules! occupying_meetings {
    ($ids:expr, $from:expr, $to:expr, $ignoring:expr) => {
        meetings::table
            .inner_join(meeting_hosts::table)
            .filter(meeting_hosts::user_id.eq_any($ids))
            .filter(meetings::status.eq_any(OCCUPYING))
            .filter(meetings::start_utc.lt($to))
            .filter(meetings::end_utc.gt($from))
            .filter(meetings::id.ne($ignoring))
    };
}

/// The engine's view of each host in `hosts` for `window`. Held slots are busy time; scheduled
/// (and completed or no-show) meetings are busy and count toward the per-day limit. `ignoring`
/// leaves one meeting out: the one being rescheduled, whose own time is free for it.
pub fn host_calendars(
    conn: &mut DbConnection,
    hosts: &[User],
    window: Interval,
    ignoring: Option<&str>,
) -> Result<Vec<HostCalendar<String>>, StoreError> {
    let ids: Vec<&str> = hosts.iter().map(|h| h.id.as_str()).collect();
    let from = (window.start - CONTEXT).naive_utc();
    let to = (window.end + CONTEXT).naive_utc();
    let ignoring = ignoring.unwrap_or_default();
    // (host, booked, start, end): booked is a meeting rather than a held slot; the times are
    // whole UTC seconds.
    let rows: Vec<(String, bool, i64, i64)> = match conn {
        DbConnection::Sqlite(_) => occupying_meetings!(&ids, from, to, ignoring)
            .select((
                meeting_hosts::user_id,
                meetings::status.ne("held"),
                sql::<BigInt>(SQLITE_START_SECONDS),
                sql::<BigInt>(SQLITE_END_SECONDS),
            ))
            .load(conn)?,
        // PostgreSQL sends timestamps as binary integers, cheaper to decode than to convert.
        DbConnection::Postgres(_) => occupying_meetings!(&ids, from, to, ignoring)
            .select((
                meeting_hosts::user_id,
                meetings::status.ne("held"),
                meetings::start_utc,
                meetings::end_utc,
            ))
            .load::<(String, bool, NaiveDateTime, NaiveDateTime)>(conn)?
            .into_iter()
            .map(|(host, booked, start, end)| {
                let end_seconds = end.and_utc().timestamp() + i64::from(end.nanosecond() > 0);
                (host, booked, start.and_utc().timestamp(), end_seconds)
            })
            .collect(),
    };
    let mut calendars: Vec<HostCalendar<String>> = hosts
        .iter()
        .map(|host| HostCalendar {
            host: host.id.clone(),
            working_hours: host.working_hours.for_engine(host.timezone.tz()),
            busy: Vec::new(),
            meetings: Vec::new(),
        })
        .collect();
    for (user_id, booked, start, end) in rows {
        let (Some(calendar), Some(start), Some(end)) = (
            calendars
                .iter_mut()
                .find(|calendar| calendar.host == user_id),
            DateTime::from_timestamp(start, 0),
            DateTime::from_timestamp(end, 0),
        ) else {
            continue;
        };
        let interval = Interval { start, end };
        if booked {
            calendar.meetings.push(interval);
        } else {
            calendar.busy.push(interval);
        }
    }
    Ok(calendars)
}

/// The database's count of changes that can move a slot (see the `availability_version`
/// migration). Read before the data an answer is computed from, it can only be older than that
/// data, never newer, so an answer kept under it is never served after a change it missed.
pub fn availability_version(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(availability_version::table
        .select(availability_version::version)
        .first(conn)?)
}

/// Each candidate's meetings in the 30 days before `now` and when the last one ended, for
/// choosing a round-robin host.
pub fn host_loads(
    conn: &mut DbConnection,
    candidates: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<HostLoad<String>>, StoreError> {
    let since = (now - Duration::days(30)).naive_utc();
    let rows: Vec<(String, NaiveDateTime)> = meetings::table
        .inner_join(meeting_hosts::table)
        .filter(meeting_hosts::user_id.eq_any(candidates))
        .filter(meetings::status.ne_all(["cancelled", "released"]))
        .filter(meetings::end_utc.le(now.naive_utc()))
        .select((meeting_hosts::user_id, meetings::end_utc))
        .load(conn)?;
    Ok(candidates
        .iter()
        .map(|host| {
            let ends: Vec<NaiveDateTime> = rows
                .iter()
                .filter(|(id, _)| id == host)
                .map(|(_, end)| *end)
                .collect();
            HostLoad {
                host: host.clone(),
                meetings_last_30_days: u32::try_from(
                    ends.iter().filter(|end| **end >= since).count(),
                )
                .unwrap_or(u32::MAX),
                last_meeting_end: ends.iter().max().map(|end| end.and_utc()),
            }
        })
        .collect())
}
