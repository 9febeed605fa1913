//! Properties of the engine on random requests: the model's slots exactly, every rule kept, and
//! the host modes as unions and intersections of single hosts.

use super::model::{model_bookable, model_ranges, model_starts, ModelRange};
use super::scenarios::{scenario, shuffled};
use super::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn one_host_gets_exactly_the_model_slots(scenario in scenario(1, false)) {
        let host = &scenario.hosts[0];
        let found = scenario.slots(HostMode::Collective);
        assert_sorted_without_duplicates(&found);
        prop_assert_eq!(starts(&found), model_starts(&scenario, host, &scenario.hosts));
        for slot in found.slots() {
            prop_assert_eq!(slot.end - slot.start, scenario.rules.duration);
            prop_assert!(found.hosts(slot.hosts).eq(&[0]));
        }
        prop_assert_eq!(scenario.slots_of(host), starts(&found));
    }

    #[test]
    fn slots_keep_clear_of_busy_time_widened_by_buffers(scenario in scenario(3, false), mode in any_mode()) {
        let rules = &scenario.rules;
        let found = scenario.slots(mode);
        for slot in found.slots() {
            let guarded = Interval {
                start: slot.start - rules.buffer_before,
                end: slot.end + rules.buffer_after,
            };
            for &host in found.hosts(slot.hosts) {
                let calendar = &scenario.hosts[host];
                for busy in calendar.busy.iter().chain(&calendar.meetings).filter(|busy| busy.start < busy.end) {
                    prop_assert!(
                        guarded.end <= busy.start || busy.end <= guarded.start,
                        "{slot:?} meets {busy:?} of host {host}"
                    );
                }
            }
        }
    }

    #[test]
    fn slots_lie_inside_working_hours_of_every_required_host(scenario in scenario(3, false), mode in any_mode()) {
        let ranges: Vec<Vec<ModelRange>> = scenario
            .hosts
            .iter()
            .map(|host| model_ranges(&host.working_hours, scenario.window))
            .collect();
        let found = scenario.slots(mode);
        for slot in found.slots() {
            if mode == HostMode::Collective {
                prop_assert_eq!(found.hosts(slot.hosts).count(), scenario.hosts.len());
            }
            for &host in found.hosts(slot.hosts) {
                prop_assert!(
                    ranges[host].iter().any(|range| range.start <= slot.start && slot.end <= range.end),
                    "{slot:?} outside the hours of host {host}"
                );
            }
        }
    }

    #[test]
    fn slots_respect_notice_horizon_and_window(scenario in scenario(3, false), mode in any_mode()) {
        let rules = &scenario.rules;
        let horizon = scenario.now + Duration::days(i64::from(rules.max_days_ahead));
        for slot in scenario.slots(mode).slots() {
            prop_assert!(slot.start >= scenario.now + rules.min_notice);
            prop_assert!(slot.start < horizon);
            prop_assert!(scenario.window.start <= slot.start && slot.end <= scenario.window.end);
        }
    }

    #[test]
    fn busy_input_order_does_not_matter(scenario in scenario(3, false), mode in any_mode(), seed in any::<u64>()) {
        let mut reordered = scenario.clone();
        for host in &mut reordered.hosts {
            host.busy = shuffled(std::mem::take(&mut host.busy), seed);
            host.meetings = shuffled(std::mem::take(&mut host.meetings), seed ^ 0x9e37);
        }
        prop_assert_eq!(scenario.slots(mode), reordered.slots(mode));
    }

    #[test]
    fn round_robin_is_the_union_of_single_host_results(scenario in scenario(3, false)) {
        let found = scenario.slots(HostMode::RoundRobin);
        assert_sorted_without_duplicates(&found);
        let mut union: Vec<DateTime<Utc>> = scenario.hosts.iter().flat_map(|host| scenario.slots_of(host)).collect();
        union.sort();
        union.dedup();
        prop_assert_eq!(starts(&found), union);
        let ranges: Vec<Vec<ModelRange>> = scenario
            .hosts
            .iter()
            .map(|host| model_ranges(&host.working_hours, scenario.window))
            .collect();
        for slot in found.slots() {
            let free: Vec<usize> = scenario
                .hosts
                .iter()
                .filter(|host| model_bookable(host, &ranges[host.host], &scenario, slot.start))
                .map(|host| host.host)
                .collect();
            prop_assert_eq!(found.hosts(slot.hosts).copied().collect::<Vec<_>>(), free);
        }
    }

    #[test]
    fn collective_is_the_intersection_of_single_host_results(scenario in scenario(3, true)) {
        let found = scenario.slots(HostMode::Collective);
        let mut intersection = scenario.slots_of(&scenario.hosts[0]);
        for host in &scenario.hosts[1..] {
            let theirs = scenario.slots_of(host);
            intersection.retain(|start| theirs.binary_search(start).is_ok());
        }
        prop_assert_eq!(starts(&found), intersection);
    }

    #[test]
    fn collective_follows_the_first_hosts_grid(scenario in scenario(3, false)) {
        let found = scenario.slots(HostMode::Collective);
        assert_sorted_without_duplicates(&found);
        prop_assert_eq!(starts(&found), model_starts(&scenario, &scenario.hosts[0], &scenario.hosts));
    }
}
