//! Benchmarks of the availability engine on the workloads of issue 4: one busy host (W1), five
//! collective hosts across zones (W2), twenty round-robin hosts (W3), an adversarial calendar at
//! two sizes, and working days that meet DST gaps and repeated hours.

use std::collections::BTreeMap;
use std::hint::black_box;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::{America, Asia, Australia, Europe, Tz};
use convene::scheduling::availability::{
    available_slots, booking_window, window_for_dates, HostCalendar, HostMode, Interval,
    MeetingRules, TimeRange, WorkingHours,
};
use criterion::{criterion_group, criterion_main, Criterion};

/// SplitMix64: reproducible busy calendars without a dependency.
struct Calendars(u64);

impl Calendars {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        mixed ^ (mixed >> 31)
    }

    fn below(&mut self, bound: i64) -> i64 {
        (self.next() % bound.unsigned_abs()) as i64
    }

    /// `count` busy intervals in no particular order: 300 events of 15 minutes to 2 hours on
    /// five-minute marks anywhere in `window` and, past 300, copies of them shifted by up to
    /// half an hour, as when several calendars and holds shadow the same appointments (2,000
    /// events that did not overlap would leave a month with almost no free time).
    fn busy(&mut self, window: Interval, count: usize) -> Vec<Interval> {
        let marks = (window.end - window.start).num_minutes() / 5;
        let mut events: Vec<Interval> = (0..count.min(300))
            .map(|_| {
                let start = window.start + Duration::minutes(5 * self.below(marks));
                Interval {
                    start,
                    end: start + Duration::minutes(15 + 5 * self.below(22)),
                }
            })
            .collect();
        for copy in events.len()..count {
            let original = events[self.below(copy as i64) as usize];
            let shift = Duration::minutes(5 * self.below(13) - 30);
            events.push(Interval {
                start: original.start + shift,
                end: original.end + shift,
            });
        }
        events
    }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("benchmark instants are valid")
}

fn day(text: &str) -> NaiveDate {
    text.parse().expect("benchmark dates are valid")
}

fn hours(start: u32, end: u32) -> TimeRange {
    let minute = |minutes: u32| NaiveTime::MIN + Duration::minutes(i64::from(minutes));
    TimeRange {
        start: minute(start),
        end: minute(end),
    }
}

/// `range` on the weekdays listed (0 = Monday) in `timezone`.
fn weekly(timezone: Tz, days: &[usize], range: TimeRange) -> WorkingHours {
    let mut weekly: [Vec<TimeRange>; 7] = Default::default();
    for &day in days {
        weekly[day] = vec![range];
    }
    WorkingHours {
        timezone,
        weekly,
        overrides: BTreeMap::new(),
    }
}

/// 30-minute meetings on a 15-minute step, 10-minute buffers, 4 hours' notice.
fn sales_call() -> MeetingRules {
    MeetingRules {
        duration: Duration::minutes(30),
        step: Duration::minutes(15),
        buffer_before: Duration::minutes(10),
        buffer_after: Duration::minutes(10),
        min_notice: Duration::hours(4),
        max_days_ahead: 60,
        max_per_day_per_host: None,
    }
}

struct Workload {
    rules: MeetingRules,
    mode: HostMode,
    hosts: Vec<HostCalendar<u32>>,
    window: Interval,
    now: DateTime<Utc>,
}

impl Workload {
    fn run(&self) -> usize {
        available_slots(
            black_box(&self.rules),
            self.mode,
            black_box(&self.hosts),
            self.window,
            self.now,
        )
        .len()
    }
}

/// W1: one Berlin host, 30 days across the spring DST change.
fn one_busy_host(busy: usize) -> Workload {
    let window = booking_window(day("2026-03-16"), day("2026-04-14"), Europe::Berlin)
        .expect("a 30-day window is allowed");
    let mut calendars = Calendars(1);
    Workload {
        rules: sales_call(),
        mode: HostMode::Collective,
        hosts: vec![HostCalendar {
            host: 0,
            working_hours: WorkingHours::standard(Europe::Berlin),
            busy: calendars.busy(window, busy),
            meetings: Vec::new(),
        }],
        window,
        now: at("2026-03-16T06:00:00Z"),
    }
}

/// W2: five collective hosts whose hours share about three hours a weekday (UTC afternoon),
/// over the DST changes of New York and Havana (8 March), Berlin (29 March) and Lord Howe
/// (5 April).
fn five_collective_hosts() -> Workload {
    let window = booking_window(day("2026-03-07"), day("2026-04-05"), Europe::London)
        .expect("a 30-day window is allowed");
    let weekdays = [0, 1, 2, 3, 4];
    let team = [
        weekly(America::New_York, &weekdays, hours(8 * 60, 12 * 60)),
        weekly(Europe::Berlin, &weekdays, hours(13 * 60, 19 * 60)),
        weekly(Asia::Kolkata, &weekdays, hours(17 * 60, 22 * 60 + 30)),
        weekly(Australia::Lord_Howe, &[1, 2, 3, 4, 5], hours(0, 4 * 60)),
        weekly(America::Havana, &weekdays, hours(8 * 60, 13 * 60)),
    ];
    let mut calendars = Calendars(2);
    let hosts = team
        .into_iter()
        .zip(0..)
        .map(|(working_hours, host)| HostCalendar {
            host,
            working_hours,
            busy: calendars.busy(window, if host == 1 { 2_000 } else { 300 }),
            meetings: Vec::new(),
        })
        .collect();
    Workload {
        rules: sales_call(),
        mode: HostMode::Collective,
        hosts,
        window,
        now: at("2026-03-06T12:00:00Z"),
    }
}

/// W3: twenty round-robin hosts in five zones, standard hours, 300 busy intervals each.
fn twenty_round_robin_hosts() -> Workload {
    let window = booking_window(day("2026-03-16"), day("2026-04-14"), Europe::Berlin)
        .expect("a 30-day window is allowed");
    let zones = [
        Europe::Berlin,
        Europe::London,
        America::New_York,
        Asia::Kolkata,
        America::Los_Angeles,
    ];
    let mut calendars = Calendars(3);
    let hosts = (0..20)
        .map(|host| HostCalendar {
            host,
            working_hours: WorkingHours::standard(zones[host as usize % zones.len()]),
            busy: calendars.busy(window, 300),
            meetings: Vec::new(),
        })
        .collect();
    Workload {
        rules: sales_call(),
        mode: HostMode::RoundRobin,
        hosts,
        window,
        now: at("2026-03-16T06:00:00Z"),
    }
}

/// Adversarial: `24 × scale` busy blocks inside Monday's working hours, each leaving a gap too
/// short for a meeting, and `16 × scale` back-to-back meetings on each of 30 days.
fn adversarial(scale: i64) -> Workload {
    let window = booking_window(day("2026-03-02"), day("2026-03-31"), Europe::Berlin)
        .expect("a 30-day window is allowed");
    let office = 8 * 3600;
    let opening = at("2026-03-02T08:00:00Z");
    let blocks = 24 * scale;
    let busy = (0..blocks)
        .map(|index| {
            let start = opening + Duration::seconds(office * index / blocks);
            Interval {
                start,
                end: start + Duration::seconds(office * 3 / (4 * blocks)),
            }
        })
        .collect();
    let per_day = 16 * scale;
    let meetings = (0..30)
        .flat_map(|date| {
            let day_opening = opening + Duration::days(date);
            (0..per_day).map(move |index| Interval {
                start: day_opening + Duration::seconds(office * index / per_day),
                end: day_opening + Duration::seconds(office * (index + 1) / per_day),
            })
        })
        .collect();
    let mut rules = sales_call();
    rules.max_per_day_per_host = Some(u32::try_from(per_day).unwrap_or(u32::MAX) + 4);
    Workload {
        rules,
        mode: HostMode::Collective,
        hosts: vec![HostCalendar {
            host: 0,
            working_hours: WorkingHours::standard(Europe::Berlin),
            busy,
            meetings,
        }],
        window,
        now: at("2026-03-01T00:00:00Z"),
    }
}

/// One host working `range` every day of the 7 local days around `change`, 30-minute slots.
fn edge_zone(timezone: Tz, range: TimeRange, change: &str) -> Workload {
    let change = day(change);
    let window = window_for_dates(
        change - Duration::days(3),
        change + Duration::days(3),
        timezone,
    );
    let mut rules = sales_call();
    rules.step = Duration::minutes(30);
    Workload {
        rules,
        mode: HostMode::Collective,
        hosts: vec![HostCalendar {
            host: 0,
            working_hours: weekly(timezone, &[0, 1, 2, 3, 4, 5, 6], range),
            busy: Vec::new(),
            meetings: Vec::new(),
        }],
        window,
        now: change.and_time(NaiveTime::MIN).and_utc() - Duration::days(5),
    }
}

fn workloads(criterion: &mut Criterion) {
    let cases = [
        ("W1 one host, 300 busy", one_busy_host(300)),
        ("W1 one host, 2000 busy", one_busy_host(2_000)),
        ("W2 five collective hosts", five_collective_hosts()),
        ("W3 twenty round-robin hosts", twenty_round_robin_hosts()),
        ("adversarial x1", adversarial(1)),
        ("adversarial x2", adversarial(2)),
        (
            "edge Havana day starting in a midnight gap",
            edge_zone(America::Havana, hours(0, 8 * 60), "2026-03-08"),
        ),
        (
            "edge Berlin range ending inside the spring gap",
            edge_zone(Europe::Berlin, hours(0, 2 * 60 + 30), "2026-03-29"),
        ),
        (
            "edge Berlin repeated autumn hour",
            edge_zone(Europe::Berlin, hours(60, 4 * 60), "2026-10-25"),
        ),
    ];
    let mut group = criterion.benchmark_group("availability");
    for (name, workload) in &cases {
        group.bench_function(*name, |bencher| bencher.iter(|| workload.run()));
    }
    group.finish();
}

criterion_group!(benches, workloads);
criterion_main!(benches);
