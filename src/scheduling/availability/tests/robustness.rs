//! No input, however extreme, makes the engine panic or answer outside the window.

use super::*;

fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    let earliest = DateTime::<Utc>::MIN_UTC.timestamp();
    let latest = DateTime::<Utc>::MAX_UTC.timestamp();
    prop_oneof![
        (earliest..=latest, 0u32..1_000_000_000),
        (1_700_000_000i64..1_900_000_000, 0u32..1_000_000_000),
    ]
    .prop_map(|(seconds, nanos)| DateTime::from_timestamp(seconds, nanos).unwrap())
}

fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (-100_000i64..100_000).prop_map(Duration::seconds),
        any::<i64>().prop_map(|ms| Duration::try_milliseconds(ms).unwrap_or(Duration::MAX)),
        Just(Duration::MAX),
        Just(Duration::MIN),
        Just(Duration::zero()),
    ]
}

/// Steps of at least a minute, or none at all, so a case stays small enough to check.
fn any_step() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (60i64..100_000).prop_map(Duration::seconds),
        (-100i64..=0).prop_map(Duration::seconds),
        Just(Duration::MAX),
    ]
}

fn any_time() -> impl Strategy<Value = NaiveTime> {
    (0u32..86_400, 0u32..2_000_000_000).prop_map(|(second, nano)| {
        NaiveTime::from_num_seconds_from_midnight_opt(second, nano).unwrap_or(NaiveTime::MIN)
    })
}

fn any_ranges() -> impl Strategy<Value = Vec<TimeRange>> {
    prop::collection::vec(
        (any_time(), any_time()).prop_map(|(start, end)| TimeRange { start, end }),
        0..3,
    )
}

fn any_host(near: DateTime<Utc>) -> impl Strategy<Value = HostCalendar<usize>> {
    let busy = prop::collection::vec(
        prop_oneof![
            (-3 * DAY..3 * DAY, -DAY..DAY).prop_map(move |(offset, length)| {
                let start = near
                    .checked_add_signed(Duration::seconds(offset))
                    .unwrap_or(near);
                (
                    start,
                    start
                        .checked_add_signed(Duration::seconds(length))
                        .unwrap_or(start),
                )
            }),
            (any_instant(), any_instant()),
        ]
        .prop_map(|(start, end)| Interval { start, end }),
        0..8,
    );
    (
        0..chrono_tz::TZ_VARIANTS.len(),
        prop::array::uniform7(any_ranges()),
        prop::collection::btree_map(
            (-3i64..3).prop_map(move |offset| near.date_naive() + Duration::days(offset)),
            any_ranges(),
            0..3,
        ),
        busy.clone(),
        busy,
    )
        .prop_map(|(zone, weekly, overrides, busy, meetings)| HostCalendar {
            host: zone,
            working_hours: WorkingHours {
                timezone: chrono_tz::TZ_VARIANTS[zone],
                weekly,
                overrides,
            },
            busy,
            meetings,
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_input_makes_the_engine_panic(
        (window, now, hosts) in any_instant().prop_flat_map(|start| {
            (
                (-DAY..2 * DAY).prop_map(move |length| Interval {
                    start,
                    end: start.checked_add_signed(Duration::seconds(length)).unwrap_or(start),
                }),
                prop_oneof![any_instant(), (-3 * DAY..DAY).prop_map(move |offset| {
                    start.checked_add_signed(Duration::seconds(offset)).unwrap_or(start)
                })],
                prop::collection::vec(any_host(start), 0..=3),
            )
        }),
        (duration, step, buffer_before, buffer_after, min_notice) in
            (any_duration(), any_step(), any_duration(), any_duration(), any_duration()),
        max_days_ahead in any::<u32>(),
        max_per_day_per_host in any::<Option<u32>>(),
        mode in any_mode(),
    ) {
        let rules = MeetingRules {
            duration,
            step,
            buffer_before,
            buffer_after,
            min_notice,
            max_days_ahead,
            max_per_day_per_host,
        };
        let found = available_slots(&rules, mode, &hosts, window, now);
        assert_sorted_without_duplicates(&found);
        for slot in found.slots() {
            prop_assert!(window.start <= slot.start && slot.end <= window.end);
            prop_assert!(found.hosts(slot.hosts).count() <= hosts.len());
        }
        let date = window.start.date_naive();
        let _ = window_for_dates(date, date, hosts.first().map_or(Tz::UTC, |host| host.working_hours.timezone));
    }
}
