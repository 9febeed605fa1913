//! Availability engine: turns a meeting type's rules, each host's working hours and busy time, a
//! booking window and the current instant into the slots a prospect can book.
//!
//! Everything here is a pure function of its arguments (no clock, database or network), so the
//! public slots page, the booking transaction's re-check and the benchmarks all run the same code.
//!
//! # Conventions
//! - Instants are UTC and intervals are half-open `[start, end)`. The arithmetic runs on whole
//!   seconds: rule durations round up to a whole second, busy intervals widen outward to whole
//!   seconds, and sub-second parts of working-hour times are ignored.
//! - Working hours are wall-clock ranges in the host's IANA zone, resolved per local date. A range
//!   boundary inside a DST gap maps to the first instant after the gap (for a range end that is
//!   also the last instant before it: the gap takes no real time). An ambiguous start (the
//!   repeated autumn hour) takes the earlier instant and an ambiguous end the later one, so a
//!   range that covers the repeated hour covers both passes of it. A 09:00–17:00 day on a DST
//!   change therefore lasts exactly 8 real hours.
//! - A [`TimeRange`] whose end is not after its start runs into the next day: `22:00–06:00` is an
//!   overnight range and `09:00–00:00` ends at midnight (the API's `24:00`). Ranges of one host
//!   that overlap or touch, also across midnight, join into one working range.
//! - Slot starts lie on a grid: an instant is on it when the host's wall clock there reads a whole
//!   number of `step`s from the configured start of its working range. Wall-clock times skipped
//!   by a DST gap never start a slot; a repeated wall-clock time can start two.
//! - Host ids are any `H: Clone + Ord` the caller picks; each is cloned once per request. A
//!   [`Slot`] is a small `Copy` value whose hosts are a [`HostGroup`] handle into its
//!   [`Availability`], and consecutive slots with the same free hosts share one group.
//! - Cost: O(n log n) in busy intervals (sort, merge, sweep), linear in days of the window and
//!   in the number of slots emitted; no per-minute bitmaps.
//!
//! # Parts
//! `working_hours` and `window` read what people set; `rules` puts a request on whole seconds;
//! `zone_timeline` turns wall-clock readings into instants; `host_plan` and `busy_time` find the
//! starts each host leaves free; `collective` and `round_robin` combine hosts into the `slots`
//! of the answer.

mod busy_time;
mod collective;
mod host_plan;
mod round_robin;
mod rules;
mod slots;
mod spans;
mod window;
mod working_hours;
mod zone_timeline;

#[cfg(test)]
mod tests;

pub use round_robin::{choose_round_robin_host, HostLoad};
pub use rules::MeetingRules;
pub use slots::{Availability, HostGroup, Slot};
pub use window::{booking_window, window_for_dates, WindowError};
pub use working_hours::{parse_ranges, TimeRange, WorkingHours, WorkingHoursError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use collective::collective_slots;
use round_robin::round_robin_slots;
use rules::Bounds;

const DAY: i64 = 86_400;

/// A half-open stretch of time `[start, end)`; empty when `end <= start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Whether a meeting needs every host (`collective`) or any one of them (`round_robin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostMode {
    Collective,
    RoundRobin,
}

/// What the engine knows about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCalendar<H> {
    pub host: H,
    pub working_hours: WorkingHours,
    /// Busy time from the host's calendars and Convene's holds, in any order, possibly
    /// overlapping.
    pub busy: Vec<Interval>,
    /// The host's Convene meetings: busy as well, and counted against `max_per_day_per_host` on
    /// the host's local date of their start.
    pub meetings: Vec<Interval>,
}

/// Every slot of `rules` inside `window` that can be booked at `now`, sorted by start.
///
/// A slot `[s, e)` is bookable for a host when `[s - buffer_before, e + buffer_after)` meets none
/// of the host's busy time or meetings, `[s, e)` lies inside one working range, `s` is at least
/// `min_notice` after `now` and less than `max_days_ahead` days after it, the host has fewer than
/// `max_per_day_per_host` meetings on the local date of `s`, and `[s, e)` lies inside `window`.
/// Collective slots need every host and follow the first host's grid; round-robin slots need one
/// host and follow each host's own grid, listing every host free for them.
pub fn available_slots<H: Clone + Ord>(
    rules: &MeetingRules,
    mode: HostMode,
    hosts: &[HostCalendar<H>],
    window: Interval,
    now: DateTime<Utc>,
) -> Availability<H> {
    let Some(bounds) = Bounds::new(rules, window, now) else {
        return Availability::new(Vec::new(), 0);
    };
    match mode {
        HostMode::Collective => collective_slots(&bounds, hosts),
        HostMode::RoundRobin => round_robin_slots(&bounds, hosts),
    }
}
