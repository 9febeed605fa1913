//! Booking windows: the UTC stretch a range of local days covers, and the longest one a request
//! may ask for.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use thiserror::Error;

use super::zone_timeline::{Edge, ZoneTimeline};
use super::{Interval, DAY};

/// The longest booking window, in local days, that one slots request may ask for.
const MAX_WINDOW_DAYS: i64 = 62;

/// Why a booking window was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WindowError {
    #[error("the window ends on {to}, before it starts on {from}")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("the window spans {days} days; at most {MAX_WINDOW_DAYS} are allowed")]
    TooLong { days: i64 },
}

/// The UTC instants covered by the local days `from..=to_inclusive` in `tz`: from the first
/// instant of `from` to the first instant of the day after `to_inclusive`. A midnight inside a
/// DST gap (America/Havana) starts the day at the end of the gap; an ambiguous midnight starts
/// it at the earlier instant. Empty when `to_inclusive` is before `from`.
pub fn window_for_dates(from: NaiveDate, to_inclusive: NaiveDate, tz: Tz) -> Interval {
    let start = first_instant_of(from, tz);
    let end = match to_inclusive.succ_opt() {
        Some(next) => first_instant_of(next, tz),
        None => DateTime::<Utc>::MAX_UTC,
    };
    Interval {
        start,
        end: end.max(start),
    }
}

/// [`window_for_dates`] for a request: refuses reversed windows and windows longer than
/// `MAX_WINDOW_DAYS`.
pub fn booking_window(
    from: NaiveDate,
    to_inclusive: NaiveDate,
    tz: Tz,
) -> Result<Interval, WindowError> {
    if to_inclusive < from {
        return Err(WindowError::Reversed {
            from,
            to: to_inclusive,
        });
    }
    let days = (to_inclusive - from).num_days() + 1;
    if days > MAX_WINDOW_DAYS {
        return Err(WindowError::TooLong { days });
    }
    Ok(window_for_dates(from, to_inclusive, tz))
}

fn first_instant_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN).and_utc();
    let wall = midnight.timestamp();
    ZoneTimeline::new(tz, wall - 2 * DAY, wall + 2 * DAY)
        .resolve(wall, Edge::Start)
        .and_then(|at| DateTime::from_timestamp(at, 0))
        // Only the last representable days have no zone data; their UTC reading is as close
        // as the calendar allows.
        .unwrap_or(midnight)
}
