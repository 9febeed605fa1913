//! A model of availability written independently of the engine: it walks each working range's
//! wall clock step by step, resolves every reading through chrono-tz (a gap end found by
//! scanning minutes), and checks every rule by brute force.

use chrono::{Datelike, LocalResult, NaiveDateTime, TimeZone};

use super::scenarios::Scenario;
use super::*;

pub(super) struct ModelRange {
    pub(super) start: DateTime<Utc>,
    pub(super) end: DateTime<Utc>,
    anchor: NaiveDateTime,
}

fn model_instant(tz: Tz, local: NaiveDateTime, earliest: bool) -> Option<DateTime<Utc>> {
    let in_utc = |instant: DateTime<Tz>| instant.with_timezone(&Utc);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => Some(in_utc(instant)),
        LocalResult::Ambiguous(first, second) => {
            let (first, second) = (in_utc(first), in_utc(second));
            Some(if earliest {
                first.min(second)
            } else {
                first.max(second)
            })
        }
        LocalResult::None => (1..=24 * 60)
            .find_map(|minute| {
                tz.from_local_datetime(&(local + minutes(minute)))
                    .earliest()
            })
            .map(in_utc),
    }
}

pub(super) fn model_ranges(hours: &WorkingHours, window: Interval) -> Vec<ModelRange> {
    let tz = hours.timezone;
    let first = (window.start - Duration::days(3))
        .with_timezone(&tz)
        .date_naive();
    let last = (window.end + Duration::days(3))
        .with_timezone(&tz)
        .date_naive();
    let mut found = Vec::new();
    for date in first.iter_days().take_while(|date| *date <= last) {
        let weekday = date.weekday().num_days_from_monday() as usize;
        let ranges = hours.overrides.get(&date).unwrap_or(&hours.weekly[weekday]);
        for range in ranges {
            let anchor = date.and_time(range.start);
            let end_date = if range.end <= range.start {
                date.succ_opt().unwrap()
            } else {
                date
            };
            let start = model_instant(tz, anchor, true).unwrap();
            let end = model_instant(tz, end_date.and_time(range.end), false).unwrap();
            if start < end {
                found.push(ModelRange { start, end, anchor });
            }
        }
    }
    found.sort_by_key(|range| (range.start, range.anchor));
    let mut joined: Vec<ModelRange> = Vec::new();
    for range in found {
        match joined.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => joined.push(range),
        }
    }
    joined
}

fn model_grid(tz: Tz, range: &ModelRange, step: Duration) -> Vec<DateTime<Utc>> {
    let last_wall = range.end.with_timezone(&tz).naive_local() + Duration::hours(3);
    let mut wall = range.anchor - step * (180 / step.num_minutes() as i32 + 1);
    let mut found = Vec::new();
    while wall <= last_wall {
        let readings: Vec<DateTime<Utc>> = match tz.from_local_datetime(&wall) {
            LocalResult::Single(instant) => vec![instant.with_timezone(&Utc)],
            LocalResult::Ambiguous(first, second) => {
                vec![first.with_timezone(&Utc), second.with_timezone(&Utc)]
            }
            LocalResult::None => Vec::new(),
        };
        found.extend(
            readings
                .into_iter()
                .filter(|instant| range.start <= *instant && *instant < range.end),
        );
        wall += step;
    }
    found
}

pub(super) fn model_bookable(
    host: &HostCalendar<usize>,
    ranges: &[ModelRange],
    scenario: &Scenario,
    start: DateTime<Utc>,
) -> bool {
    let rules = &scenario.rules;
    let tz = host.working_hours.timezone;
    let end = start + rules.duration;
    let inside = ranges
        .iter()
        .any(|range| range.start <= start && end <= range.end);
    let clear = host
        .busy
        .iter()
        .chain(&host.meetings)
        .filter(|busy| busy.start < busy.end)
        .all(|busy| {
            !(start - rules.buffer_before < busy.end && end + rules.buffer_after > busy.start)
        });
    let noticed = start >= scenario.now + rules.min_notice;
    let in_horizon = start < scenario.now + Duration::days(i64::from(rules.max_days_ahead));
    let in_window = scenario.window.start <= start && end <= scenario.window.end;
    let under_limit = rules.max_per_day_per_host.is_none_or(|limit| {
        let date = start.with_timezone(&tz).date_naive();
        let held = host
            .meetings
            .iter()
            .filter(|meeting| meeting.start.with_timezone(&tz).date_naive() == date)
            .count();
        held < limit as usize
    });
    inside && clear && noticed && in_horizon && in_window && under_limit
}

/// The model's starts for `grid_host`'s grid, bookable for every one of `hosts`.
pub(super) fn model_starts(
    scenario: &Scenario,
    grid_host: &HostCalendar<usize>,
    hosts: &[HostCalendar<usize>],
) -> Vec<DateTime<Utc>> {
    let tz = grid_host.working_hours.timezone;
    let ranges_of: Vec<Vec<ModelRange>> = hosts
        .iter()
        .map(|host| model_ranges(&host.working_hours, scenario.window))
        .collect();
    let mut found: Vec<DateTime<Utc>> = model_ranges(&grid_host.working_hours, scenario.window)
        .iter()
        .flat_map(|range| model_grid(tz, range, scenario.rules.step))
        .filter(|&start| {
            hosts
                .iter()
                .zip(&ranges_of)
                .all(|(host, ranges)| model_bookable(host, ranges, scenario, start))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}
