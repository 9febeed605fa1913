//! What availability knows of hosts' connected calendars: the busy times last read, and
//! whether a calendar can be trusted right now. A calendar that cannot be read makes its host
//! busy (fail closed) unless the policy says to fall back on Convene's own data.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::model::{ConnectionRow, ConnectionStatus};
use super::repo;
use crate::config::UnreadableCalendar;
use crate::db::{DbConnection, StoreError};
use crate::scheduling::availability::Interval;

/// How availability treats connected calendars.
#[derive(Debug, Clone, Copy)]
pub struct ReadPolicy {
    /// False when no provider is configured: calendars are not consulted at all.
    pub enabled: bool,
    pub on_unreadable: UnreadableCalendar,
    /// A reading older than this no longer counts.
    pub stale_after: Duration,
}

impl ReadPolicy {
    pub fn from_settings(calendars: &super::Calendars) -> Self {
        let ttl = i64::try_from(calendars.settings.freebusy_ttl_secs).unwrap_or(i64::MAX / 4);
        Self {
            enabled: calendars.enabled(),
            on_unreadable: calendars.settings.on_unreadable,
            // Every path that offers slots reads calendars older than the TTL first; the
            // margin covers a reading taken just before a slow request.
            stale_after: Duration::seconds(ttl) + Duration::minutes(15),
        }
    }

    /// What was last stored, failing closed, for views that only suggest (the hosts a
    /// manager could reassign a request to); the decision itself checks with the configured
    /// policy.
    pub fn stored() -> Self {
        Self {
            enabled: true,
            on_unreadable: UnreadableCalendar::Busy,
            stale_after: Duration::hours(1),
        }
    }
}

/// One connection's state as far as availability is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Busy times are known for `covered`; time outside it is unknown, hence busy.
    Readable {
        covered: Interval,
    },
    Unreadable,
}

/// Judges a connection that holds a grant.
pub fn assess(
    status: ConnectionStatus,
    read_error: Option<&str>,
    read_at: Option<NaiveDateTime>,
    covered: Option<(NaiveDateTime, NaiveDateTime)>,
    now: DateTime<Utc>,
    policy: &ReadPolicy,
) -> Reading {
    let fresh = read_at.is_some_and(|at| now - at.and_utc() <= policy.stale_after);
    match (status, read_error, covered) {
        (ConnectionStatus::Active, None, Some((from, to))) if fresh => Reading::Readable {
            covered: Interval {
                start: from.and_utc(),
                end: to.and_utc(),
            },
        },
        _ => Reading::Unreadable,
    }
}

/// The parts of `window` outside `covered`.
pub fn uncovered(window: Interval, covered: Interval) -> Vec<Interval> {
    let mut gaps = Vec::new();
    if window.start < covered.start {
        gaps.push(Interval {
            start: window.start,
            end: covered.start.min(window.end),
        });
    }
    if covered.end < window.end {
        gaps.push(Interval {
            start: covered.end.max(window.start),
            end: window.end,
        });
    }
    gaps.retain(|gap| gap.start < gap.end);
    gaps
}

/// Calendar busy time per host within a window, and the hosts whose calendars count as
/// unreadable.
#[derive(Debug, Default)]
pub struct Readings {
    pub busy: HashMap<String, Vec<Interval>>,
    /// Hosts whose calendars could not be read, whatever the policy made of it.
    pub degraded: Vec<String>,
    /// True when an unreadable calendar was left out instead of blocking its host.
    pub partial: bool,
}

/// Reads what is stored for `host_ids` over `window`.
pub fn read(
    conn: &mut DbConnection,
    host_ids: &[&str],
    window: Interval,
    now: DateTime<Utc>,
    policy: &ReadPolicy,
) -> Result<Readings, StoreError> {
    let mut readings = Readings::default();
    if !policy.enabled || host_ids.is_empty() {
        return Ok(readings);
    }
    let connections = repo::granted_of_users(conn, host_ids)?;
    if connections.is_empty() {
        return Ok(readings);
    }
    let readable_hosts: Vec<&str> = connections.iter().map(|c| c.user_id.as_str()).collect();
    let stored = repo::busy_of_users(
        conn,
        &readable_hosts,
        window.start.naive_utc(),
        window.end.naive_utc(),
    )?;
    for connection in &connections {
        apply(&mut readings, connection, &stored, window, now, policy);
    }
    readings.degraded.sort();
    readings.degraded.dedup();
    Ok(readings)
}

fn apply(
    readings: &mut Readings,
    connection: &ConnectionRow,
    stored: &[(String, NaiveDateTime, NaiveDateTime)],
    window: Interval,
    now: DateTime<Utc>,
    policy: &ReadPolicy,
) {
    let reading = assess(
        connection.status(),
        connection.read_error.as_deref(),
        connection.busy_read_at,
        connection.busy_from.zip(connection.busy_to),
        now,
        policy,
    );
    let host = &connection.user_id;
    match reading {
        Reading::Readable { covered } => {
            let busy = readings.busy.entry(host.clone()).or_default();
            busy.extend(uncovered(window, covered));
            busy.extend(stored.iter().filter(|(user, _, _)| user == host).map(
                |(_, start, end)| Interval {
                    start: start.and_utc(),
                    end: end.and_utc(),
                },
            ));
        }
        Reading::Unreadable => {
            readings.degraded.push(host.clone());
            match policy.on_unreadable {
                UnreadableCalendar::Busy => {
                    readings.busy.entry(host.clone()).or_default().push(window)
                }
                UnreadableCalendar::ConveneOnly => readings.partial = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn policy() -> ReadPolicy {
        ReadPolicy {
            enabled: true,
            on_unreadable: UnreadableCalendar::Busy,
            stale_after: Duration::minutes(16),
        }
    }

    fn span() -> Option<(NaiveDateTime, NaiveDateTime)> {
        Some((
            at("2026-12-01T00:00:00Z").naive_utc(),
            at("2027-01-30T00:00:00Z").naive_utc(),
        ))
    }

    #[test]
    fn a_fresh_reading_of_an_active_calendar_is_readable() {
        let now = at("2026-12-01T10:00:00Z");
        let read_at = Some(at("2026-12-01T09:50:00Z").naive_utc());
        assert!(matches!(
            assess(
                ConnectionStatus::Active,
                None,
                read_at,
                span(),
                now,
                &policy()
            ),
            Reading::Readable { .. }
        ));
    }

    #[test]
    fn errors_stale_readings_and_dead_grants_are_unreadable() {
        let now = at("2026-12-01T10:00:00Z");
        let recent = Some(at("2026-12-01T09:59:00Z").naive_utc());
        let old = Some(at("2026-12-01T09:30:00Z").naive_utc());
        let cases = [
            (ConnectionStatus::Active, Some("HTTP 500"), recent, span()),
            (ConnectionStatus::Active, None, old, span()),
            (ConnectionStatus::Active, None, None, span()),
            (ConnectionStatus::Active, None, recent, None),
            (ConnectionStatus::Error, None, recent, span()),
            (ConnectionStatus::Pending, None, recent, span()),
        ];
        for (status, error, read_at, covered) in cases {
            assert_eq!(
                assess(status, error, read_at, covered, now, &policy()),
                Reading::Unreadable,
                "{status:?} {error:?} {read_at:?} {covered:?}"
            );
        }
    }

    #[test]
    fn time_outside_the_read_span_is_busy() {
        let window = Interval {
            start: at("2026-12-01T00:00:00Z"),
            end: at("2026-12-10T00:00:00Z"),
        };
        let covered = Interval {
            start: at("2026-12-02T00:00:00Z"),
            end: at("2026-12-05T00:00:00Z"),
        };
        assert_eq!(
            uncovered(window, covered),
            vec![
                Interval {
                    start: at("2026-12-01T00:00:00Z"),
                    end: at("2026-12-02T00:00:00Z")
                },
                Interval {
                    start: at("2026-12-05T00:00:00Z"),
                    end: at("2026-12-10T00:00:00Z")
                },
            ]
        );
        let wide = Interval {
            start: at("2026-11-01T00:00:00Z"),
            end: at("2027-01-01T00:00:00Z"),
        };
        assert!(uncovered(window, wide).is_empty());
        let disjoint = Interval {
            start: at("2026-12-20T00:00:00Z"),
            end: at("2026-12-25T00:00:00Z"),
        };
        assert_eq!(uncovered(window, disjoint), vec![window]);
    }
}
