//! A meeting type's rules, and the limits they and the request put on slot starts, in whole
//! seconds.

use chrono::{DateTime, Duration, Utc};

use super::{Interval, DAY};

/// The scheduling rules of a meeting type. Negative buffers and notice count as zero; a
/// non-positive duration or step yields no slots. `max_days_ahead` counts 24-hour days from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingRules {
    pub duration: Duration,
    pub step: Duration,
    pub buffer_before: Duration,
    pub buffer_after: Duration,
    pub min_notice: Duration,
    pub max_days_ahead: u32,
    pub max_per_day_per_host: Option<u32>,
}

/// The rules and request limits on the engine's whole-second timeline.
pub(super) struct Bounds {
    pub(super) duration: i64,
    pub(super) step: i64,
    pub(super) buffer_before: i64,
    pub(super) buffer_after: i64,
    pub(super) max_per_day: Option<u32>,
    /// Earliest allowed slot start.
    pub(super) first_start: i64,
    /// Every slot start is before this.
    pub(super) start_limit: i64,
}

impl Bounds {
    pub(super) fn new(rules: &MeetingRules, window: Interval, now: DateTime<Utc>) -> Option<Self> {
        let duration = whole_seconds(rules.duration);
        let step = whole_seconds(rules.step);
        if duration <= 0 || step <= 0 {
            return None;
        }
        let now = seconds_ceil(now);
        let first_start =
            seconds_ceil(window.start).max(now + whole_seconds(rules.min_notice).max(0));
        let horizon = now + i64::from(rules.max_days_ahead) * DAY;
        let start_limit = horizon.min(window.end.timestamp() - duration + 1);
        (first_start < start_limit).then_some(Bounds {
            duration,
            step,
            buffer_before: whole_seconds(rules.buffer_before).max(0),
            buffer_after: whole_seconds(rules.buffer_after).max(0),
            max_per_day: rules.max_per_day_per_host,
            first_start,
            start_limit,
        })
    }

    /// The end of the latest possible slot.
    pub(super) fn reach(&self) -> i64 {
        self.start_limit - 1 + self.duration
    }
}

fn whole_seconds(duration: Duration) -> i64 {
    let seconds = duration.num_seconds();
    if duration.subsec_nanos() > 0 {
        seconds + 1
    } else {
        seconds
    }
}

#[inline]
pub(super) fn seconds_ceil(instant: DateTime<Utc>) -> i64 {
    let seconds = instant.timestamp();
    if instant.timestamp_subsec_nanos() > 0 {
        seconds + 1
    } else {
        seconds
    }
}
