//! The engine's work grows in proportion to the calendar it reads.

use chrono_tz::Europe;

use super::*;

#[test]
fn doubling_an_adversarial_calendar_about_doubles_the_work() {
    fn adversarial(scale: i64) -> (MeetingRules, Vec<HostCalendar<&'static str>>, Interval) {
        let window = window_for_dates(day("2026-03-02"), day("2026-03-31"), Europe::Berlin);
        let office = 8 * 3600;
        let mut host = calendar("ana", WorkingHours::standard(Europe::Berlin));
        // Short blocks with gaps too small for a meeting, all in Monday's hours.
        let blocks = 24 * scale;
        let first = at("2026-03-02T08:00:00Z");
        host.busy = (0..blocks)
            .rev()
            .map(|index| {
                let start = first + Duration::seconds(office * index / blocks);
                Interval {
                    start,
                    end: start + Duration::seconds(office * 3 / (4 * blocks)),
                }
            })
            .collect();
        // Back-to-back meetings filling each working day.
        let per_day = 16 * scale;
        for date in 0..30 {
            let opening = at("2026-03-02T08:00:00Z") + Duration::days(date);
            host.meetings.extend((0..per_day).map(|index| Interval {
                start: opening + Duration::seconds(office * index / per_day),
                end: opening + Duration::seconds(office * (index + 1) / per_day),
            }));
        }
        let mut rules = rules(30, 15);
        rules.buffer_before = minutes(10);
        rules.buffer_after = minutes(10);
        rules.max_per_day_per_host = Some(u32::try_from(per_day + 1).unwrap());
        (rules, vec![host], window)
    }
    /// CPU time this thread has run, so that time spent waiting for other work on a busy
    /// machine does not count; wall time where the kernel does not report it.
    fn cost_of(work: impl FnOnce()) -> std::time::Duration {
        fn thread_cpu_time() -> Option<std::time::Duration> {
            let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
            let nanos = stat.split_whitespace().next()?.parse().ok()?;
            Some(std::time::Duration::from_nanos(nanos))
        }
        let (cpu, wall) = (thread_cpu_time(), std::time::Instant::now());
        work();
        match (cpu, thread_cpu_time()) {
            (Some(before), Some(after)) => after - before,
            _ => wall.elapsed(),
        }
    }
    let inputs = [adversarial(40), adversarial(80)];
    let mut cheapest = [std::time::Duration::MAX; 2];
    for _ in 0..5 {
        for ((rules, hosts, window), cheapest) in inputs.iter().zip(&mut cheapest) {
            // Several runs per reading: the kernel updates a thread's CPU time every few
            // milliseconds, so a reading must span many of them to be precise.
            let cost = cost_of(|| {
                for _ in 0..8 {
                    let found =
                        available_slots(rules, HostMode::RoundRobin, hosts, *window, at(LONG_AGO));
                    assert!(found
                        .slots()
                        .iter()
                        .all(|slot| slot.start >= at("2026-03-02T16:00:00Z")));
                }
            });
            *cheapest = (*cheapest).min(cost);
        }
    }
    let [single, double] = cheapest;
    let ratio = double.as_secs_f64() / single.as_secs_f64();
    assert!(
        ratio < 3.0,
        "2x input took {ratio:.2}x ({single:?} vs {double:?})"
    );
}
