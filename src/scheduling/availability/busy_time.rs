//! What keeps a host from a slot inside working hours: busy time and meetings widened by the
//! buffers, and local days already at the daily meeting limit.

use super::rules::{seconds_ceil, Bounds};
use super::spans::{StartSpan, WorkingRange};
use super::zone_timeline::{Edge, ZoneTimeline};
use super::{HostCalendar, DAY};

/// The host's busy time and meetings that can meet a slot, each widened by the buffers (a slot
/// may not start within `buffer_before` after it, nor end within `buffer_after` before it),
/// merged and sorted. Busy time outside every working range (evenings, weekends) cannot block
/// a slot, so it is dropped before the sort rather than sorted.
pub(super) fn blocked_time<H>(
    calendar: &HostCalendar<H>,
    ranges: &[WorkingRange],
    bounds: &Bounds,
) -> Vec<(i64, i64)> {
    let (low, high) = (bounds.first_start, bounds.reach());
    // Busy time arrives unsorted; per UTC day, the first range still open that day lets each
    // interval find its range in a step or two instead of a search.
    let first_day = ranges
        .first()
        .map_or(0, |range| range.start.div_euclid(DAY));
    let mut open_on_day = Vec::new();
    if let Some(last) = ranges.last() {
        for day in first_day..=last.end.div_euclid(DAY) {
            let opening = day * DAY;
            let from = open_on_day.last().copied().unwrap_or(0);
            open_on_day.push(from + ranges[from..].partition_point(|range| range.end <= opening));
        }
    }
    let meets_working_hours = |start: i64, end: i64| {
        let day = usize::try_from(start.div_euclid(DAY) - first_day).unwrap_or(0);
        let Some(&from) = open_on_day.get(day).or(open_on_day.last()) else {
            return false;
        };
        let ahead = &ranges[from..];
        let index = ahead.iter().position(|range| range.end > start);
        index.is_some_and(|index| ahead[index].start < end)
    };
    let mut blocked = Vec::with_capacity(calendar.busy.len() + calendar.meetings.len());
    for intervals in [&calendar.busy, &calendar.meetings] {
        for interval in intervals {
            let start = interval.start.timestamp() - bounds.buffer_after;
            let end = seconds_ceil(interval.end) + bounds.buffer_before;
            if interval.start < interval.end
                && end > low
                && start < high
                && meets_working_hours(start, end)
            {
                blocked.push((start, end));
            }
        }
    }
    blocked.sort_unstable_by_key(|&(start, _)| start);
    blocked.dedup_by(|later, kept| {
        if later.0 > kept.1 {
            return false;
        }
        kept.1 = kept.1.max(later.1);
        true
    });
    blocked
}

/// Local days (as UTC spans) on which the host already has `limit` meetings.
pub(super) fn full_days<H>(
    calendar: &HostCalendar<H>,
    limit: u32,
    zone: &ZoneTimeline,
    bounds: &Bounds,
) -> Vec<(i64, i64)> {
    let (low, high) = (bounds.first_start - 2 * DAY, bounds.reach() + 2 * DAY);
    let mut days: Vec<i64> = calendar
        .meetings
        .iter()
        .map(|meeting| meeting.start.timestamp())
        .filter(|start| (low..high).contains(start))
        .filter_map(|start| zone.local_day(start))
        .collect();
    days.sort_unstable();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    days.chunk_by(|a, b| a == b)
        .filter(|same_day| same_day.len() >= limit)
        .filter_map(|same_day| {
            let day = same_day[0];
            let start = zone.resolve(day * DAY, Edge::Start)?;
            let end = zone.resolve((day + 1) * DAY, Edge::Start)?;
            Some((start, end))
        })
        .collect()
}

/// `spans` minus the starts inside `days` (sorted, disjoint).
pub(super) fn without_days(spans: Vec<StartSpan>, days: &[(i64, i64)]) -> Vec<StartSpan> {
    if days.is_empty() {
        return spans;
    }
    let mut kept = Vec::with_capacity(spans.len());
    let mut next_day = 0;
    for span in spans {
        while days.get(next_day).is_some_and(|&(_, end)| end <= span.from) {
            next_day += 1;
        }
        let mut from = span.from;
        for &(start, end) in &days[next_day..] {
            if start >= span.to || from >= span.to {
                break;
            }
            if from < start {
                kept.push(StartSpan {
                    from,
                    to: start,
                    ..span
                });
            }
            from = from.max(end);
        }
        if from < span.to {
            kept.push(StartSpan { from, ..span });
        }
    }
    kept
}
