//! Tests of the availability engine: tables by concern, and properties checked against an
//! independent model.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

use super::*;

mod cost;
mod host_modes;
mod meeting_rules;
mod model;
mod properties;
mod robustness;
mod scenarios;
mod time_zones;
mod window;
mod working_hours;

const LONG_AGO: &str = "2025-01-01T00:00:00Z";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn range(start: &str, end: &str) -> TimeRange {
    TimeRange {
        start: NaiveTime::parse_from_str(start, "%H:%M").unwrap(),
        end: NaiveTime::parse_from_str(end, "%H:%M").unwrap(),
    }
}

fn minutes(count: i64) -> Duration {
    Duration::minutes(count)
}

fn rules(duration: i64, step: i64) -> MeetingRules {
    MeetingRules {
        duration: minutes(duration),
        step: minutes(step),
        buffer_before: Duration::zero(),
        buffer_after: Duration::zero(),
        min_notice: Duration::zero(),
        max_days_ahead: 1000,
        max_per_day_per_host: None,
    }
}

/// Hours only on `date`, as a date override over an empty week.
fn only_on(tz: Tz, date: &str, ranges: &[(&str, &str)]) -> WorkingHours {
    let mut hours = WorkingHours {
        timezone: tz,
        weekly: Default::default(),
        overrides: BTreeMap::new(),
    };
    hours.overrides.insert(
        day(date),
        ranges
            .iter()
            .map(|&(start, end)| range(start, end))
            .collect(),
    );
    hours
}

fn calendar(host: &'static str, working_hours: WorkingHours) -> HostCalendar<&'static str> {
    HostCalendar {
        host,
        working_hours,
        busy: Vec::new(),
        meetings: Vec::new(),
    }
}

fn interval(start: &str, end: &str) -> Interval {
    Interval {
        start: at(start),
        end: at(end),
    }
}

fn local_day(tz: Tz, date: &str) -> Interval {
    window_for_dates(day(date), day(date), tz)
}

fn starts<H>(found: &Availability<H>) -> Vec<DateTime<Utc>> {
    found.slots().iter().map(|slot| slot.start).collect()
}

fn every(first: &str, minutes_apart: i64, count: i64) -> Vec<DateTime<Utc>> {
    (0..count)
        .map(|index| at(first) + minutes(minutes_apart * index))
        .collect()
}

fn collective(
    rules: &MeetingRules,
    hosts: &[HostCalendar<&'static str>],
    window: Interval,
) -> Vec<DateTime<Utc>> {
    starts(&available_slots(
        rules,
        HostMode::Collective,
        hosts,
        window,
        at(LONG_AGO),
    ))
}

fn any_mode() -> impl Strategy<Value = HostMode> {
    prop_oneof![Just(HostMode::Collective), Just(HostMode::RoundRobin)]
}

fn assert_sorted_without_duplicates<H>(found: &Availability<H>) {
    let slots = found.slots();
    assert!(slots.windows(2).all(|pair| pair[0].start < pair[1].start));
}
