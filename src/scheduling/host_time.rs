//! What Convene knows about its hosts' time, shaped for the availability engine: working hours
//! from their user record and busy time from Convene's own held and scheduled meetings.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::connection::DefaultLoadingMode;
use diesel::dsl::max;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

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

/// The engine's view of each host in `hosts` for `window`. Held slots are busy time; scheduled
/// (and completed or no-show) meetings are busy and count toward the per-day limit. `ignoring`
/// leaves one meeting out: the one being rescheduled, whose own time is free for it.
///
/// One read of the host rows, which carry their meeting's status and times as whole seconds
/// (the `meeting_host_busy` migration), so neither the meetings nor a timestamp is read.
pub fn host_calendars(
    conn: &mut DbConnection,
    hosts: &[User],
    window: Interval,
    ignoring: Option<&str>,
) -> Result<Vec<HostCalendar<String>>, StoreError> {
    let ids: Vec<&str> = hosts.iter().map(|h| h.id.as_str()).collect();
    // `window ± CONTEXT` widened outward to whole seconds, like the copied times.
    let from = (window.start - CONTEXT).timestamp();
    let to =
        (window.end + CONTEXT).timestamp() + i64::from(window.end.timestamp_subsec_nanos() > 0);
    // A meeting ending after `from` started after `from` less the longest meeting: with that
    // lower bound the index scan reads the starts near the window only.
    let longest = diesel::alias!(meeting_hosts as longest);
    let longest_meeting = longest
        .select(max(
            longest.field(meeting_hosts::end_second) - longest.field(meeting_hosts::start_second)
        ))
        .single_value();
    let mut calendars: Vec<HostCalendar<String>> = hosts
        .iter()
        .map(|host| HostCalendar {
            host: host.id.clone(),
            working_hours: host.working_hours.for_engine(host.timezone.tz()),
            busy: Vec::new(),
            meetings: Vec::new(),
        })
        .collect();
    // (host, booked, start, end): booked is a meeting rather than a held slot.
    let rows = meeting_hosts::table
        .filter(meeting_hosts::user_id.eq_any(&ids))
        .filter(meeting_hosts::start_second.lt(to))
        .filter(
            meeting_hosts::start_second
                .nullable()
                .gt(from.into_sql::<Nullable<BigInt>>() - longest_meeting),
        )
        .filter(meeting_hosts::end_second.gt(from))
        .filter(meeting_hosts::meeting_status.eq_any(OCCUPYING))
        .filter(meeting_hosts::meeting_id.ne(ignoring.unwrap_or_default()))
        .select((
            meeting_hosts::user_id,
            meeting_hosts::meeting_status.ne("held"),
            meeting_hosts::start_second,
            meeting_hosts::end_second,
        ))
        .load_iter::<(String, bool, i64, i64), DefaultLoadingMode>(conn)?;
    for row in rows {
        let (user_id, booked, start, end) = row?;
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
    // The table has one row; `first` would add a bound `LIMIT ?`, for which SQLite prepares the
    // statement again on every run.
    Ok(availability_version::table
        .select(availability_version::version)
        .get_result(conn)?)
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
