//! Collective and round-robin meetings, and who takes a round-robin booking.

use chrono_tz::{America, Asia, Europe};

use super::*;

#[test]
fn collective_slots_need_every_host() {
    let hosts = [
        calendar("berlin", WorkingHours::standard(Europe::Berlin)),
        calendar("new-york", WorkingHours::standard(America::New_York)),
    ];
    let found = available_slots(
        &rules(30, 15),
        HostMode::Collective,
        &hosts,
        local_day(Tz::UTC, "2026-03-02"),
        at(LONG_AGO),
    );
    // 09:00–17:00 CET is 08:00Z–16:00Z; 09:00–17:00 EST is 14:00Z–22:00Z.
    assert_eq!(starts(&found), every("2026-03-02T14:00:00Z", 15, 7));
    assert!(found
        .slots()
        .iter()
        .all(|slot| found.hosts(slot.hosts).eq(&["berlin", "new-york"])));
}

#[test]
fn round_robin_lists_every_free_host() {
    let hosts = [
        calendar("berlin", WorkingHours::standard(Europe::Berlin)),
        calendar("kolkata", WorkingHours::standard(Asia::Kolkata)),
    ];
    let found = available_slots(
        &rules(60, 60),
        HostMode::RoundRobin,
        &hosts,
        local_day(Tz::UTC, "2026-03-02"),
        at(LONG_AGO),
    );
    let listed: Vec<(DateTime<Utc>, Vec<&str>)> = found
        .slots()
        .iter()
        .map(|slot| (slot.start, found.hosts(slot.hosts).copied().collect()))
        .collect();
    let kolkata = vec!["kolkata"];
    let both = vec!["berlin", "kolkata"];
    let berlin = vec!["berlin"];
    // Kolkata's grid is on the half hour in UTC (03:30Z–11:30Z), Berlin's on the hour
    // (08:00Z–16:00Z); a host free for a start is listed whoever's grid it is on.
    let expected = vec![
        (at("2026-03-02T03:30:00Z"), kolkata.clone()),
        (at("2026-03-02T04:30:00Z"), kolkata.clone()),
        (at("2026-03-02T05:30:00Z"), kolkata.clone()),
        (at("2026-03-02T06:30:00Z"), kolkata.clone()),
        (at("2026-03-02T07:30:00Z"), kolkata),
        (at("2026-03-02T08:00:00Z"), both.clone()),
        (at("2026-03-02T08:30:00Z"), both.clone()),
        (at("2026-03-02T09:00:00Z"), both.clone()),
        (at("2026-03-02T09:30:00Z"), both.clone()),
        (at("2026-03-02T10:00:00Z"), both.clone()),
        (at("2026-03-02T10:30:00Z"), both),
        (at("2026-03-02T11:00:00Z"), berlin.clone()),
        (at("2026-03-02T12:00:00Z"), berlin.clone()),
        (at("2026-03-02T13:00:00Z"), berlin.clone()),
        (at("2026-03-02T14:00:00Z"), berlin.clone()),
        (at("2026-03-02T15:00:00Z"), berlin),
    ];
    assert_eq!(listed, expected);
    assert!(found
        .slots()
        .iter()
        .all(|slot| slot.end - slot.start == minutes(60)));
    let eleven = found.slot_starting_at(at("2026-03-02T11:00:00Z")).unwrap();
    assert!(found.hosts(eleven.hosts).eq(&["berlin"]));
    assert_eq!(found.slot_starting_at(at("2026-03-02T11:30:00Z")), None);
}

#[test]
fn round_robin_tracks_more_hosts_than_one_word_holds() {
    let hosts: Vec<HostCalendar<usize>> = (0..70)
        .map(|host| HostCalendar {
            host,
            working_hours: WorkingHours::standard(Tz::UTC),
            // Even hosts are busy from 09:00 to 10:00, host 69 from 10:00 to 11:00.
            busy: match host {
                69 => vec![interval("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")],
                even if even % 2 == 0 => {
                    vec![interval("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z")]
                }
                _ => Vec::new(),
            },
            meetings: Vec::new(),
        })
        .collect();
    let found = available_slots(
        &rules(60, 60),
        HostMode::RoundRobin,
        &hosts,
        interval("2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z"),
        at(LONG_AGO),
    );
    let listed: Vec<Vec<usize>> = found
        .slots()
        .iter()
        .map(|slot| found.hosts(slot.hosts).copied().collect())
        .collect();
    let odd: Vec<usize> = (1..70).step_by(2).collect();
    let all_but_last: Vec<usize> = (0..69).collect();
    let everyone: Vec<usize> = (0..70).collect();
    assert_eq!(listed, vec![odd, all_but_last, everyone]);
}

#[test]
fn round_robin_host_is_the_least_loaded_then_the_longest_idle() {
    let load = |host: &'static str, meetings: u32, last: Option<&str>| HostLoad {
        host,
        meetings_last_30_days: meetings,
        last_meeting_end: last.map(at),
    };
    let stats = [
        load("ana", 3, Some("2026-03-01T10:00:00Z")),
        load("ben", 2, Some("2026-03-02T10:00:00Z")),
        load("cy", 2, Some("2026-02-20T10:00:00Z")),
        load("dee", 2, None),
        load("eve", 2, None),
    ];
    let cases: [(&[&str], Option<&str>); 6] = [
        (&["ana", "ben"], Some("ben")),
        (&["ana", "ben", "cy"], Some("cy")),
        (&["ben", "cy", "eve", "dee"], Some("dee")),
        (&["ana", "zed"], Some("zed")),
        (&["ana"], Some("ana")),
        (&[], None),
    ];
    for (candidates, chosen) in cases {
        assert_eq!(
            choose_round_robin_host(candidates, &stats),
            chosen,
            "{candidates:?}"
        );
    }
}
