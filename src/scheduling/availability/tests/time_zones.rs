//! Working days that meet DST gaps, repeated hours and zones far from the viewer's.

use chrono_tz::{America, Asia, Australia, Europe, Pacific};

use super::*;

#[test]
fn new_york_spring_forward_skips_the_missing_hour_and_keeps_eight_office_hours() {
    let hours = only_on(
        America::New_York,
        "2026-03-08",
        &[("00:00", "06:00"), ("09:00", "17:00")],
    );
    let found = collective(
        &rules(60, 60),
        &[calendar("ana", hours)],
        local_day(America::New_York, "2026-03-08"),
    );
    let expected = vec![
        at("2026-03-08T05:00:00Z"), // 00:00 EST
        at("2026-03-08T06:00:00Z"), // 01:00 EST; 02:00 does not exist
        at("2026-03-08T07:00:00Z"), // 03:00 EDT
        at("2026-03-08T08:00:00Z"),
        at("2026-03-08T09:00:00Z"), // 05:00 EDT, the last hour before 06:00
        at("2026-03-08T13:00:00Z"), // 09:00 EDT
        at("2026-03-08T14:00:00Z"),
        at("2026-03-08T15:00:00Z"),
        at("2026-03-08T16:00:00Z"),
        at("2026-03-08T17:00:00Z"),
        at("2026-03-08T18:00:00Z"),
        at("2026-03-08T19:00:00Z"),
        at("2026-03-08T20:00:00Z"), // 16:00 EDT: 09:00–17:00 is 8 real hours
    ];
    assert_eq!(found, expected);
}

#[test]
fn berlin_range_ending_inside_the_spring_gap_ends_where_the_gap_ends() {
    let hours = only_on(Europe::Berlin, "2026-03-29", &[("00:00", "02:30")]);
    let found = collective(
        &rules(30, 30),
        &[calendar("ana", hours)],
        local_day(Europe::Berlin, "2026-03-29"),
    );
    // 00:00 CET is 23:00Z; the clock jumps from 02:00 CET to 03:00 CEST at 01:00Z.
    assert_eq!(
        found,
        vec![
            at("2026-03-28T23:00:00Z"),
            at("2026-03-28T23:30:00Z"),
            at("2026-03-29T00:00:00Z"),
            at("2026-03-29T00:30:00Z"),
        ]
    );
}

#[test]
fn berlin_range_starting_inside_the_spring_gap_starts_after_it_on_its_own_grid() {
    let hours = only_on(Europe::Berlin, "2026-03-29", &[("02:30", "05:00")]);
    let hosts = [calendar("ana", hours)];
    let window = local_day(Europe::Berlin, "2026-03-29");
    // The range runs 03:00–05:00 CEST (01:00Z–03:00Z); an hourly grid counts from 02:30.
    assert_eq!(
        collective(&rules(30, 60), &hosts, window),
        vec![at("2026-03-29T01:30:00Z"), at("2026-03-29T02:30:00Z")]
    );
    assert_eq!(
        collective(&rules(30, 30), &hosts, window),
        every("2026-03-29T01:00:00Z", 30, 4)
    );
}

#[test]
fn berlin_repeated_autumn_hour_is_offered_in_both_passes() {
    let hours = only_on(Europe::Berlin, "2026-10-25", &[("01:00", "04:00")]);
    let found = collective(
        &rules(30, 30),
        &[calendar("ana", hours)],
        local_day(Europe::Berlin, "2026-10-25"),
    );
    // 01:00 CEST is 23:00Z; 02:00–03:00 runs twice (00:00Z and 01:00Z); 04:00 CET is 03:00Z.
    assert_eq!(found, every("2026-10-24T23:00:00Z", 30, 8));
}

#[test]
fn ambiguous_range_end_takes_the_later_pass() {
    let hours = only_on(Europe::Berlin, "2026-10-25", &[("00:00", "02:30")]);
    let found = collective(
        &rules(30, 30),
        &[calendar("ana", hours)],
        local_day(Europe::Berlin, "2026-10-25"),
    );
    // 00:00 CEST is 22:00Z; the range ends at 02:30 CET, 01:30Z.
    assert_eq!(found, every("2026-10-24T22:00:00Z", 30, 7));
}

#[test]
fn ambiguous_range_start_takes_the_earlier_pass() {
    let hours = only_on(Europe::Berlin, "2026-10-25", &[("02:30", "05:00")]);
    let found = collective(
        &rules(30, 60),
        &[calendar("ana", hours)],
        local_day(Europe::Berlin, "2026-10-25"),
    );
    // 02:30 CEST (00:30Z) to 05:00 CET (04:00Z); 02:00 CET is half a step off the grid.
    assert_eq!(
        found,
        vec![
            at("2026-10-25T00:30:00Z"),
            at("2026-10-25T01:30:00Z"),
            at("2026-10-25T02:30:00Z"),
            at("2026-10-25T03:30:00Z"),
        ]
    );
}

#[test]
fn lord_howe_half_hour_fall_back_repeats_half_an_hour() {
    let hours = only_on(Australia::Lord_Howe, "2026-04-05", &[("00:00", "04:00")]);
    let found = collective(
        &rules(30, 30),
        &[calendar("ana", hours)],
        local_day(Australia::Lord_Howe, "2026-04-05"),
    );
    // 00:00 +11:00 is 13:00Z; at 15:00Z 02:00 +11:00 becomes 01:30 +10:30; 04:00 +10:30 is
    // 17:30Z: four and a half real hours.
    assert_eq!(found, every("2026-04-04T13:00:00Z", 30, 9));
}

#[test]
fn lord_howe_half_hour_spring_forward_skips_a_grid_time() {
    let hours = only_on(Australia::Lord_Howe, "2026-10-04", &[("00:00", "04:00")]);
    let found = collective(
        &rules(60, 60),
        &[calendar("ana", hours)],
        local_day(Australia::Lord_Howe, "2026-10-04"),
    );
    // 00:00 +10:30 is 13:30Z; 02:00–02:30 does not exist; 03:00 +11:00 is 16:00Z.
    assert_eq!(
        found,
        vec![
            at("2026-10-03T13:30:00Z"),
            at("2026-10-03T14:30:00Z"),
            at("2026-10-03T16:00:00Z"),
        ]
    );
}

#[test]
fn kolkata_host_seen_from_a_new_york_sunday() {
    let host = calendar("ana", WorkingHours::standard(Asia::Kolkata));
    // New York's Sunday 1 March ends at 05:00Z, 10:30 IST on Kolkata's Monday.
    let found = collective(
        &rules(30, 30),
        &[host],
        local_day(America::New_York, "2026-03-01"),
    );
    assert_eq!(
        found,
        vec![
            at("2026-03-02T03:30:00Z"),
            at("2026-03-02T04:00:00Z"),
            at("2026-03-02T04:30:00Z"),
        ]
    );
}

#[test]
fn new_york_host_seen_from_a_kolkata_day() {
    let host = calendar("ana", WorkingHours::standard(America::New_York));
    // Kolkata's Monday ends at 18:30Z, 13:30 EST.
    let found = collective(
        &rules(60, 30),
        &[host],
        local_day(Asia::Kolkata, "2026-03-02"),
    );
    assert_eq!(found, every("2026-03-02T14:00:00Z", 30, 8));
}

#[test]
fn havana_day_starting_in_a_midnight_gap_starts_at_one() {
    let hours = only_on(America::Havana, "2026-03-08", &[("00:00", "04:00")]);
    let window = local_day(America::Havana, "2026-03-08");
    assert_eq!(
        window,
        interval("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z")
    );
    assert_eq!(
        collective(&rules(60, 60), &[calendar("ana", hours)], window),
        vec![
            at("2026-03-08T05:00:00Z"),
            at("2026-03-08T06:00:00Z"),
            at("2026-03-08T07:00:00Z"),
        ]
    );
}

#[test]
fn havana_day_with_a_repeated_midnight_hour_lasts_25_hours() {
    assert_eq!(
        local_day(America::Havana, "2026-11-01"),
        interval("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z")
    );
    let hours = only_on(America::Havana, "2026-11-01", &[("00:00", "01:00")]);
    let found = collective(
        &rules(30, 30),
        &[calendar("ana", hours)],
        local_day(America::Havana, "2026-11-01"),
    );
    // 00:00–01:00 CDT (04:00Z–05:00Z), then 00:00–01:00 CST (05:00Z–06:00Z).
    assert_eq!(found, every("2026-11-01T04:00:00Z", 30, 4));
}

#[test]
fn fall_back_across_midnight_keeps_the_next_days_hours() {
    // St. John's fell back at 00:01 NDT on 7 November 2010 (02:31Z) to 23:01 NST on the
    // 6th, so 00:00 on the 7th read first at 02:30Z and again at 03:30Z.
    let hours = only_on(America::St_Johns, "2010-11-07", &[("00:00", "01:00")]);
    let mut rules = rules(15, 30);
    rules.max_days_ahead = 365;
    let found = available_slots(
        &rules,
        HostMode::Collective,
        &[calendar("ana", hours)],
        interval("2010-11-07T02:00:00Z", "2010-11-07T03:15:00Z"),
        at("2010-01-01T00:00:00Z"),
    );
    // The window closes at 23:45 NST on the 6th; 23:30 NST is a step before 00:00.
    assert_eq!(
        starts(&found),
        vec![at("2010-11-07T02:30:00Z"), at("2010-11-07T03:00:00Z")]
    );
}

#[test]
fn auckland_monday_shows_on_a_los_angeles_sunday() {
    let host = calendar("ana", WorkingHours::standard(Pacific::Auckland));
    let rules = rules(60, 60);
    let hosts = [host];
    let sunday = local_day(America::Los_Angeles, "2026-01-11");
    assert_eq!(
        sunday,
        interval("2026-01-11T08:00:00Z", "2026-01-12T08:00:00Z")
    );
    // 09:00–17:00 NZDT on Monday 12 January is 20:00Z–04:00Z, 12:00–20:00 PST on Sunday.
    assert_eq!(
        collective(&rules, &hosts, sunday),
        every("2026-01-11T20:00:00Z", 60, 8)
    );
    assert_eq!(
        collective(
            &rules,
            &hosts,
            local_day(America::Los_Angeles, "2026-01-15")
        ),
        every("2026-01-15T20:00:00Z", 60, 8)
    );
    assert!(collective(
        &rules,
        &hosts,
        local_day(America::Los_Angeles, "2026-01-16")
    )
    .is_empty());
}
