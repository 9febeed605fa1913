//! One host's plan for a request: working ranges on the timeline, the slot starts left free, and
//! the grid those starts lie on.

use chrono::Timelike;

use super::busy_time::{blocked_time, full_days, without_days};
use super::rules::Bounds;
use super::spans::{StartSpan, WorkingRange};
use super::working_hours::WorkingHours;
use super::zone_timeline::{Edge, ZoneTimeline};
use super::{HostCalendar, DAY};

/// A host's working ranges on the timeline and the slot starts that host allows.
pub(super) struct HostPlan {
    zone: ZoneTimeline,
    ranges: Vec<WorkingRange>,
    pub(super) spans: Vec<StartSpan>,
}

impl HostPlan {
    pub(super) fn new<H>(calendar: &HostCalendar<H>, bounds: &Bounds) -> Self {
        let hours = &calendar.working_hours;
        // Outside the timeline a reading can be off by an offset change (hours), so a day's
        // margin keeps every instant that can matter to a slot exact.
        let zone = ZoneTimeline::new(
            hours.timezone,
            bounds.first_start - DAY,
            bounds.reach() + DAY,
        );
        let ranges = working_ranges(hours, &zone, bounds.first_start, bounds.reach());
        let blocked = blocked_time(calendar, &ranges, bounds);
        let mut spans = free_starts(&ranges, &blocked, bounds);
        if let Some(limit) = bounds.max_per_day {
            spans = if limit == 0 {
                Vec::new()
            } else {
                without_days(spans, &full_days(calendar, limit, &zone, bounds))
            };
        }
        HostPlan {
            zone,
            ranges,
            spans,
        }
    }

    /// Splits `spans` (sorted, of this plan) where the zone offset changes and reports each part
    /// with its grid phase: the starts on the grid are those `≡ phase (mod step)`.
    pub(super) fn lattice_spans(
        &self,
        spans: &[StartSpan],
        step: i64,
        mut report: impl FnMut(i64, i64, i64),
    ) {
        let pieces = &self.zone.pieces;
        for span in spans {
            let anchor = self.ranges[span.range].anchor;
            let mut piece = self.zone.piece_at(span.from);
            while let Some(&(piece_start, offset)) = pieces.get(piece) {
                let piece_end = pieces.get(piece + 1).map_or(i64::MAX, |next| next.0);
                let from = span.from.max(piece_start);
                let to = span.to.min(piece_end);
                if from < to {
                    report((anchor - i64::from(offset)).rem_euclid(step), from, to);
                }
                if piece_end >= span.to {
                    break;
                }
                piece += 1;
            }
        }
    }
}

/// The host's working ranges that can hold a slot within `[from, until)`, merged and sorted.
fn working_ranges(
    hours: &WorkingHours,
    zone: &ZoneTimeline,
    from: i64,
    until: i64,
) -> Vec<WorkingRange> {
    let (Some(first), Some(last)) = (zone.local_day(from), zone.local_day(until)) else {
        return Vec::new();
    };
    let mut ranges = Vec::new();
    // The day before may run an overnight range into the window, and where a fall-back crosses
    // midnight the local date steps back, so one day more on each side.
    for day in first - 1..=last + 1 {
        for range in hours.ranges_on(day) {
            let start_wall = day * DAY + i64::from(range.start.num_seconds_from_midnight());
            let end_day = if range.end <= range.start {
                day + 1
            } else {
                day
            };
            let end_wall = end_day * DAY + i64::from(range.end.num_seconds_from_midnight());
            let (Some(start), Some(end)) = (
                zone.resolve(start_wall, Edge::Start),
                zone.resolve(end_wall, Edge::End),
            ) else {
                continue;
            };
            if start < end && end > from && start < until {
                ranges.push(WorkingRange {
                    start,
                    end,
                    anchor: start_wall,
                });
            }
        }
    }
    ranges.sort_unstable_by_key(|range| (range.start, range.anchor));
    ranges.dedup_by(|later, kept| {
        if later.start > kept.end {
            return false;
        }
        kept.end = kept.end.max(later.end);
        true
    });
    ranges
}

/// Slot starts that keep a whole slot inside a working range and clear of `blocked`.
fn free_starts(ranges: &[WorkingRange], blocked: &[(i64, i64)], bounds: &Bounds) -> Vec<StartSpan> {
    let mut spans = Vec::new();
    let mut allow = |from: i64, to: i64, range: usize| {
        let first = from.max(bounds.first_start);
        let limit = (to - bounds.duration + 1).min(bounds.start_limit);
        if first < limit {
            spans.push(StartSpan {
                from: first,
                to: limit,
                range,
            });
        }
    };
    let mut next_block = 0;
    for (index, range) in ranges.iter().enumerate() {
        while blocked
            .get(next_block)
            .is_some_and(|&(_, end)| end <= range.start)
        {
            next_block += 1;
        }
        let mut free_from = range.start;
        for &(start, end) in &blocked[next_block..] {
            if start >= range.end {
                break;
            }
            allow(free_from, start, index);
            free_from = free_from.max(end);
        }
        allow(free_from, range.end, index);
    }
    spans
}

/// Calls `emit` for every `start` in `[from, to)` with `start ≡ phase (mod step)`.
pub(super) fn lattice_points(phase: i64, from: i64, to: i64, step: i64, mut emit: impl FnMut(i64)) {
    let behind = (from - phase).rem_euclid(step);
    let mut start = if behind == 0 {
        from
    } else {
        from + (step - behind)
    };
    while start < to {
        emit(start);
        start += step;
    }
}
