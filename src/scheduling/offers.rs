//! What a meeting type can be booked for right now: the engine's slots over the hosts' own
//! time, Convene's meetings and their connected calendars, and which hosts are free at a time.

use chrono::{DateTime, Duration, Utc};

use crate::calendars::readings::{self as calendar_readings, ReadPolicy};
use crate::db::{DbConnection, StoreError};
use crate::scheduling::availability::{available_slots, Availability, HostMode, Interval};
use crate::scheduling::host_time::{host_calendars, rules_of, CONTEXT};
use crate::scheduling::meeting_types::MeetingType;
use crate::users::model::User;
use crate::users::repo as users_repo;

fn active_hosts(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
) -> Result<Vec<User>, StoreError> {
    let mut hosts = users_repo::find_all(conn, &meeting_type.host_ids)?;
    hosts.retain(|host| host.active);
    Ok(hosts)
}

/// A bookable start and the hosts free for it.
pub struct OpenSlot {
    pub start: DateTime<Utc>,
    pub hosts: Vec<String>,
}

/// The engine's answer with what the hosts' connected calendars contributed.
pub struct Offer {
    pub availability: Availability<String>,
    /// Hosts whose calendars could not be read.
    pub degraded: Vec<String>,
    /// An unreadable calendar was left out rather than blocking its host.
    pub partial: bool,
}

/// The engine's answer for `meeting_type` in `window` at `now`, treating the time of meeting
/// `ignoring` (one being rescheduled) as free and the hosts' calendars as `policy` says;
/// `None` when the hosts the type needs are not all active.
pub fn availability(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    window: Interval,
    now: DateTime<Utc>,
    ignoring: Option<&str>,
    policy: &ReadPolicy,
) -> Result<Option<Offer>, StoreError> {
    let hosts = active_hosts(conn, meeting_type)?;
    if hosts.is_empty()
        || ((meeting_type.host_mode == HostMode::Collective)
            && hosts.len() < meeting_type.host_ids.len())
    {
        return Ok(None);
    }
    let mut calendars = host_calendars(conn, &hosts, window, ignoring)?;
    let host_ids: Vec<&str> = hosts.iter().map(|host| host.id.as_str()).collect();
    let around = Interval {
        start: window.start - CONTEXT,
        end: window.end + CONTEXT,
    };
    let mut readings = calendar_readings::read(conn, &host_ids, around, now, policy)?;
    for calendar in &mut calendars {
        if let Some(busy) = readings.busy.remove(&calendar.host) {
            calendar.busy.extend(busy);
        }
    }
    Ok(Some(Offer {
        availability: available_slots(
            &rules_of(meeting_type),
            meeting_type.host_mode,
            &calendars,
            window,
            now,
        ),
        degraded: readings.degraded,
        partial: readings.partial,
    }))
}

/// Every bookable slot of `meeting_type` in `window` at `now`, treating the time of meeting
/// `ignoring` (one being rescheduled) as free.
pub fn bookable(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    window: Interval,
    now: DateTime<Utc>,
    ignoring: Option<&str>,
    policy: &ReadPolicy,
) -> Result<Vec<OpenSlot>, StoreError> {
    let Some(offer) = availability(conn, meeting_type, window, now, ignoring, policy)? else {
        return Ok(Vec::new());
    };
    let availability = offer.availability;
    Ok(availability
        .slots()
        .iter()
        .map(|slot| OpenSlot {
            start: slot.start,
            hosts: availability.hosts(slot.hosts).cloned().collect(),
        })
        .collect())
}

/// The hosts free to meet at `start` for `meeting_type`, or `None` when it is not bookable.
pub fn free_hosts_at(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &ReadPolicy,
) -> Result<Option<Vec<String>>, StoreError> {
    free_hosts_ignoring(conn, meeting_type, start, now, None, policy)
}

/// Each of the meeting type's hosts who could meet alone at `start`, counting the time of
/// meeting `ignoring` (a held slot being reassigned) as free.
pub fn hosts_free_alone_at(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    ignoring: &str,
    policy: &ReadPolicy,
) -> Result<Vec<String>, StoreError> {
    let mut any_one = meeting_type.clone();
    any_one.host_mode = HostMode::RoundRobin;
    Ok(
        free_hosts_ignoring(conn, &any_one, start, now, Some(ignoring), policy)?
            .unwrap_or_default(),
    )
}

fn free_hosts_ignoring(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    ignoring: Option<&str>,
    policy: &ReadPolicy,
) -> Result<Option<Vec<String>>, StoreError> {
    let end = start + Duration::minutes(i64::from(meeting_type.duration_minutes));
    let around = Interval {
        start: start - Duration::days(1),
        end: end + Duration::days(1),
    };
    let offered = bookable(conn, meeting_type, around, now, ignoring, policy)?;
    Ok(offered
        .into_iter()
        .find(|slot| slot.start == start)
        .map(|slot| slot.hosts))
}
