//! A meeting type's rules: the grid, busy time and buffers, notice and horizon, the daily limit,
//! and rules that leave nothing to offer.

use chrono_tz::{America, Europe};

use super::*;

#[test]
fn starts_follow_the_local_quarter_hours_after_busy_time() {
    let mut host = calendar("ana", WorkingHours::standard(America::New_York));
    // 10:00–10:40 EST on Monday 2 March 2026.
    host.busy = vec![interval("2026-03-02T15:00:00Z", "2026-03-02T15:40:00Z")];
    let found = collective(
        &rules(30, 15),
        &[host],
        local_day(America::New_York, "2026-03-02"),
    );
    let mut expected = every("2026-03-02T14:00:00Z", 15, 3);
    expected.extend(every("2026-03-02T15:45:00Z", 15, 24));
    assert_eq!(found, expected);
    assert_eq!(found.last(), Some(&at("2026-03-02T21:30:00Z")));
}

#[test]
fn buffers_keep_slots_clear_of_busy_time() {
    let mut host = calendar("ana", WorkingHours::standard(Europe::Berlin));
    // 10:00–11:00 CET.
    host.busy = vec![interval("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z")];
    let mut rules = rules(30, 15);
    rules.buffer_before = minutes(10);
    rules.buffer_after = minutes(10);
    let found = collective(
        &rules,
        &[host],
        interval("2026-03-02T08:00:00Z", "2026-03-02T11:00:00Z"),
    );
    assert_eq!(
        found,
        vec![
            at("2026-03-02T08:00:00Z"),
            at("2026-03-02T08:15:00Z"),
            at("2026-03-02T10:15:00Z"),
            at("2026-03-02T10:30:00Z"),
        ]
    );
}

#[test]
fn notice_and_horizon_bound_the_starts() {
    let host = calendar("ana", WorkingHours::standard(Europe::Berlin));
    let mut rules = rules(30, 15);
    rules.min_notice = minutes(60);
    rules.max_days_ahead = 1;
    let found = available_slots(
        &rules,
        HostMode::Collective,
        &[host],
        window_for_dates(day("2026-03-02"), day("2026-03-03"), Europe::Berlin),
        at("2026-03-02T08:07:30Z"),
    );
    let mut expected = every("2026-03-02T09:15:00Z", 15, 26);
    expected.push(at("2026-03-03T08:00:00Z"));
    assert_eq!(starts(&found), expected);
}

#[test]
fn sub_second_instants_are_handled_exactly() {
    let mut host = calendar("ana", WorkingHours::standard(Europe::Berlin));
    host.busy = vec![Interval {
        start: at("2026-03-02T08:59:59.999Z"),
        end: at("2026-03-02T09:30:00.001Z"),
    }];
    let found = available_slots(
        &rules(30, 30),
        HostMode::Collective,
        &[host],
        interval("2026-03-02T08:00:00Z", "2026-03-02T10:30:00.5Z"),
        at("2026-03-02T07:59:59.5Z"),
    );
    // 08:30 would end after the busy block starts; 09:30 would start before it ends.
    assert_eq!(
        starts(&found),
        vec![at("2026-03-02T08:00:00Z"), at("2026-03-02T10:00:00Z")]
    );
}

#[test]
fn daily_limit_counts_meetings_on_the_hosts_local_date() {
    let mut host = calendar("ana", WorkingHours::standard(America::New_York));
    // 22:00 EST on Monday 2 March, already Tuesday in UTC.
    host.meetings = vec![interval("2026-03-03T03:00:00Z", "2026-03-03T03:30:00Z")];
    let mut rules = rules(60, 60);
    rules.max_per_day_per_host = Some(1);
    let found = collective(
        &rules,
        &[host],
        window_for_dates(day("2026-03-02"), day("2026-03-03"), America::New_York),
    );
    assert_eq!(found, every("2026-03-03T14:00:00Z", 60, 8));
}

#[test]
fn nothing_to_offer_yields_no_slots() {
    let hosts = [calendar("ana", WorkingHours::standard(Europe::Berlin))];
    let day = local_day(Europe::Berlin, "2026-03-02");
    let reversed = Interval {
        start: day.end,
        end: day.start,
    };
    let with = |change: fn(&mut MeetingRules)| {
        let mut rules = rules(30, 15);
        change(&mut rules);
        rules
    };
    let cases: [(&str, MeetingRules, &[HostCalendar<&str>], Interval); 6] = [
        (
            "zero duration",
            with(|rules| rules.duration = Duration::zero()),
            &hosts,
            day,
        ),
        (
            "negative step",
            with(|rules| rules.step = minutes(-15)),
            &hosts,
            day,
        ),
        ("no hosts", with(|_| ()), &[], day),
        ("reversed window", with(|_| ()), &hosts, reversed),
        (
            "no meetings a day",
            with(|rules| rules.max_per_day_per_host = Some(0)),
            &hosts,
            day,
        ),
        (
            "no days ahead",
            with(|rules| rules.max_days_ahead = 0),
            &hosts,
            day,
        ),
    ];
    for (case, rules, hosts, window) in cases {
        for mode in [HostMode::Collective, HostMode::RoundRobin] {
            let found = available_slots(&rules, mode, hosts, window, at(LONG_AGO));
            assert!(found.is_empty(), "{case}, {mode:?}");
        }
    }
}
