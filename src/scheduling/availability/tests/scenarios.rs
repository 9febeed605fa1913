//! Random requests for the properties: hosts in zones with DST changes, rules and windows near
//! the days those zones change their clocks.

use chrono_tz::{America, Asia, Australia, Europe, Pacific};

use super::*;
use crate::scheduling::availability::working_hours::wall_time;

const ZONES: [Tz; 9] = [
    America::New_York,
    Europe::Berlin,
    Australia::Lord_Howe,
    Asia::Kolkata,
    America::Havana,
    Pacific::Auckland,
    America::Los_Angeles,
    Asia::Kathmandu,
    Tz::UTC,
];

/// Days with a DST change in at least one of `ZONES`, and one quiet day.
const CHANGE_DAYS: [&str; 8] = [
    "2026-03-08",
    "2026-03-29",
    "2026-04-05",
    "2026-09-27",
    "2026-10-04",
    "2026-10-25",
    "2026-11-01",
    "2026-06-15",
];

#[derive(Debug, Clone)]
pub(super) struct Scenario {
    pub(super) rules: MeetingRules,
    pub(super) hosts: Vec<HostCalendar<usize>>,
    pub(super) window: Interval,
    pub(super) now: DateTime<Utc>,
}

impl Scenario {
    pub(super) fn slots(&self, mode: HostMode) -> Availability<usize> {
        available_slots(&self.rules, mode, &self.hosts, self.window, self.now)
    }

    pub(super) fn slots_of(&self, host: &HostCalendar<usize>) -> Vec<DateTime<Utc>> {
        let alone = std::slice::from_ref(host);
        starts(&available_slots(
            &self.rules,
            HostMode::RoundRobin,
            alone,
            self.window,
            self.now,
        ))
    }
}

/// Up to two ranges on quarter hours, apart from each other, ending by 23:45. Half the
/// boundaries fall before 04:00, where the zones above change their clocks.
fn day_ranges() -> impl Strategy<Value = Vec<TimeRange>> {
    let quarter = prop_oneof![0u32..96, 0u32..16];
    prop::collection::btree_set(quarter, 0..=4).prop_map(|marks| {
        let marks: Vec<u32> = marks.into_iter().collect();
        marks
            .chunks_exact(2)
            .map(|pair| TimeRange {
                start: wall_time(pair[0] * 15),
                end: wall_time(pair[1] * 15),
            })
            .collect()
    })
}

fn intervals_near(base: DateTime<Utc>, count: usize) -> impl Strategy<Value = Vec<Interval>> {
    prop::collection::vec((-DAY..7 * DAY, -600i64..4 * 3600), 0..=count).prop_map(move |spans| {
        spans
            .into_iter()
            .map(|(offset, length)| {
                let start = base + Duration::seconds(offset);
                Interval {
                    start,
                    end: start + Duration::seconds(length),
                }
            })
            .collect()
    })
}

fn host_near(base: NaiveDate) -> impl Strategy<Value = HostCalendar<usize>> {
    let midnight = base.and_time(NaiveTime::MIN).and_utc();
    (0..ZONES.len()).prop_flat_map(move |zone| {
        (
            prop::array::uniform7(day_ranges()),
            prop::option::of((0i64..6, day_ranges())),
            intervals_near(midnight, 12),
            intervals_near(midnight, 6),
        )
            .prop_map(move |(weekly, extra, busy, meetings)| {
                let mut overrides = BTreeMap::new();
                if let Some((offset, ranges)) = extra {
                    overrides.insert(base + Duration::days(offset), ranges);
                }
                HostCalendar {
                    host: 0,
                    working_hours: WorkingHours {
                        timezone: ZONES[zone],
                        weekly,
                        overrides,
                    },
                    busy,
                    meetings,
                }
            })
    })
}

fn meeting_rules(steps: &'static [i64]) -> impl Strategy<Value = MeetingRules> {
    (
        1i64..=24,
        prop::sample::select(steps),
        0i64..=30,
        0i64..=30,
        0i64..=3000,
        0u32..=10,
        prop::option::of(0u32..=3),
    )
        .prop_map(
            |(fives, step, before, after, notice, days, per_day)| MeetingRules {
                duration: minutes(fives * 5),
                step: minutes(step),
                buffer_before: minutes(before),
                buffer_after: minutes(after),
                min_notice: minutes(notice),
                max_days_ahead: days,
                max_per_day_per_host: per_day,
            },
        )
}

/// Hosts, rules and a window of up to four days around a random date of 2026, often one
/// with a DST change. With `shared_grid` every host's grid is the same quarter-hour lattice.
pub(super) fn scenario(max_hosts: usize, shared_grid: bool) -> impl Strategy<Value = Scenario> {
    const ANY_STEP: &[i64] = &[5, 10, 15, 20, 25, 30, 45, 60, 90];
    const QUARTER_STEP: &[i64] = &[5, 15];
    let base = prop_oneof![
        (0i64..365).prop_map(|offset| day("2026-01-01") + Duration::days(offset)),
        (0..CHANGE_DAYS.len(), -2i64..=1)
            .prop_map(|(index, shift)| day(CHANGE_DAYS[index]) + Duration::days(shift)),
    ];
    let steps = if shared_grid { QUARTER_STEP } else { ANY_STEP };
    (base, meeting_rules(steps), 1..=max_hosts)
        .prop_flat_map(|(base, rules, count)| {
            (
                Just(base),
                Just(rules),
                prop::collection::vec(host_near(base), count),
                0i64..2 * DAY,
                0i64..=4 * DAY,
                -3 * DAY..DAY,
            )
        })
        .prop_map(|(base, rules, mut hosts, offset, length, since)| {
            for (index, host) in hosts.iter_mut().enumerate() {
                host.host = index;
            }
            let start = base.and_time(NaiveTime::MIN).and_utc() + Duration::seconds(offset);
            Scenario {
                rules,
                hosts,
                window: Interval {
                    start,
                    end: start + Duration::seconds(length),
                },
                now: start + Duration::seconds(since),
            }
        })
}

pub(super) fn shuffled<T>(mut items: Vec<T>, mut seed: u64) -> Vec<T> {
    for last in (1..items.len()).rev() {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        items.swap(last, (seed >> 33) as usize % (last + 1));
    }
    items
}
