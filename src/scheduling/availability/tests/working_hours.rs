//! Working hours: checking typed ranges, the standard week, date overrides and ranges that meet.

use chrono_tz::{Asia, Europe};

use super::*;

#[test]
fn bad_working_hours_are_refused_with_the_reason() {
    let pair = |start: &str, end: &str| [start.to_owned(), end.to_owned()];
    let cases = [
        (
            vec![pair("9:00", "17:00")],
            "mon: `9:00` is not a time of day in HH:MM form",
        ),
        (
            vec![pair("09:00", "17:60")],
            "mon: `17:60` is not a time of day in HH:MM form",
        ),
        (
            vec![pair("24:00", "24:00")],
            "mon: `24:00` is not a time of day in HH:MM form",
        ),
        (
            vec![pair("09:00", "24:01")],
            "mon: `24:01` is not a time of day in HH:MM form",
        ),
        (
            vec![pair("09:0a", "17:00")],
            "mon: `09:0a` is not a time of day in HH:MM form",
        ),
        (
            vec![pair("17:00", "09:00")],
            "mon: 17:00–09:00 does not end after it starts",
        ),
        (
            vec![pair("09:00", "09:00")],
            "mon: 09:00–09:00 does not end after it starts",
        ),
        (
            vec![pair("12:00", "17:00"), pair("09:00", "12:30")],
            "mon: 09:00–12:30 overlaps 12:00–17:00",
        ),
    ];
    for (ranges, message) in cases {
        let refused = parse_ranges("mon", &ranges).unwrap_err();
        assert_eq!(refused.to_string(), message);
    }
    assert_eq!(
        parse_ranges(
            "2026-12-24",
            &[pair("09:00", "12:00"), pair("12:00", "13:00")]
        ),
        Ok(vec![range("09:00", "12:00"), range("12:00", "13:00")])
    );
}

#[test]
fn standard_hours_are_weekdays_nine_to_five() {
    let hours = WorkingHours::standard(Asia::Kolkata);
    for weekday in 0..5 {
        assert_eq!(hours.weekly[weekday], vec![range("09:00", "17:00")]);
    }
    assert!(hours.weekly[5].is_empty() && hours.weekly[6].is_empty());
}

#[test]
fn date_overrides_replace_the_weekday() {
    let mut hours = WorkingHours::standard(Europe::Berlin);
    hours.overrides.insert(day("2026-03-02"), Vec::new());
    hours
        .overrides
        .insert(day("2026-03-07"), vec![range("10:00", "12:00")]);
    let found = collective(
        &rules(60, 60),
        &[calendar("ana", hours)],
        window_for_dates(day("2026-03-02"), day("2026-03-08"), Europe::Berlin),
    );
    let mut expected = Vec::new();
    for date in ["2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"] {
        expected.extend(every(&format!("{date}T08:00:00Z"), 60, 8));
    }
    expected.extend(every("2026-03-07T09:00:00Z", 60, 2));
    assert_eq!(found, expected);
}

#[test]
fn touching_and_overnight_ranges_join_into_one() {
    let mut hours = only_on(Tz::UTC, "2026-03-02", &[("22:00", "00:00")]);
    hours
        .overrides
        .insert(day("2026-03-03"), vec![range("00:00", "01:00")]);
    let window = window_for_dates(day("2026-03-02"), day("2026-03-03"), Tz::UTC);
    assert_eq!(
        collective(&rules(60, 30), &[calendar("ana", hours)], window),
        every("2026-03-02T22:00:00Z", 30, 5)
    );

    let overnight = only_on(Tz::UTC, "2026-03-02", &[("22:00", "02:00")]);
    assert_eq!(
        collective(&rules(60, 30), &[calendar("ana", overnight)], window),
        every("2026-03-02T22:00:00Z", 30, 7)
    );
}

#[test]
fn overlapping_ranges_give_no_duplicate_slots() {
    let hours = only_on(
        Tz::UTC,
        "2026-03-02",
        &[("10:00", "11:00"), ("09:00", "12:00")],
    );
    let found = collective(
        &rules(60, 60),
        &[calendar("ana", hours)],
        local_day(Tz::UTC, "2026-03-02"),
    );
    assert_eq!(found, every("2026-03-02T09:00:00Z", 60, 3));
}
