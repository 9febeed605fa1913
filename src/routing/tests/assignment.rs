use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use crate::routing::assignment::*;

fn host(id: &str, weight: u8, assigned: u32) -> Candidate {
    Candidate {
        host_id: id.into(),
        weight,
        priority: DEFAULT_PRIORITY,
        assigned_in_window: assigned,
        last_assigned_at: None,
        free: true,
    }
}

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, hour, 0, 0).unwrap()
}

fn chosen(candidates: &[Candidate]) -> Option<&str> {
    choose(candidates).map(|index| candidates[index].host_id.as_str())
}

#[test]
fn the_host_furthest_below_its_share_wins() {
    // 10 assignments so far; a's share is 75 %, b's 25 %.
    let candidates = [host("a", 75, 7), host("b", 25, 3)];
    assert_eq!(chosen(&candidates), Some("a"));
    let candidates = [host("a", 75, 9), host("b", 25, 1)];
    assert_eq!(chosen(&candidates), Some("b"));
}

#[test]
fn busy_and_weightless_hosts_are_passed_over() {
    let mut busy = host("a", 90, 0);
    busy.free = false;
    assert_eq!(chosen(&[busy.clone(), host("b", 10, 5)]), Some("b"));
    assert_eq!(chosen(&[busy, host("z", 0, 0)]), None);
    assert_eq!(chosen(&[]), None);
}

#[test]
fn ties_go_to_priority_then_the_longest_idle_then_the_lower_id() {
    let mut high = host("b", 50, 0);
    high.priority = 3;
    assert_eq!(chosen(&[host("a", 50, 0), high]), Some("b"));

    let mut recent = host("a", 50, 1);
    recent.last_assigned_at = Some(at(12));
    let mut earlier = host("b", 50, 1);
    earlier.last_assigned_at = Some(at(9));
    assert_eq!(chosen(&[recent.clone(), earlier]), Some("b"));
    let never = host("c", 50, 1);
    assert_eq!(chosen(&[recent, never]), Some("c"));

    assert_eq!(chosen(&[host("b", 50, 0), host("a", 50, 0)]), Some("a"));
}

/// Assigns `rounds` meetings one after another, every host free, and returns each host's count.
fn run(weights: &[u8], rounds: u32) -> Vec<u32> {
    let mut candidates: Vec<Candidate> = weights
        .iter()
        .enumerate()
        .map(|(index, weight)| host(&format!("h{index}"), *weight, 0))
        .collect();
    for round in 0..rounds {
        let index = choose(&candidates).expect("someone is free");
        candidates[index].assigned_in_window += 1;
        candidates[index].last_assigned_at = Some(at(0) + Duration::minutes(i64::from(round)));
    }
    candidates.iter().map(|c| c.assigned_in_window).collect()
}

#[test]
fn a_thousand_assignments_over_40_30_20_10_keep_every_share_within_two_points() {
    let counts = run(&[40, 30, 20, 10], 1000);
    for (count, weight) in counts.iter().zip([40.0, 30.0, 20.0, 10.0]) {
        let share = f64::from(*count) / 10.0;
        assert!((share - weight).abs() <= 2.0, "{counts:?}");
    }
}

#[test]
fn the_sequence_is_deterministic() {
    assert_eq!(run(&[40, 30, 20, 10], 37), run(&[40, 30, 20, 10], 37));
}

proptest! {
    #[test]
    fn shares_follow_weights_at_every_step(
        weights in proptest::collection::vec(1u8..=100, 1..8),
        rounds in 1u32..400,
    ) {
        let counts = run(&weights, rounds);
        let total_weight: f64 = weights.iter().map(|w| f64::from(*w)).sum();
        for (count, weight) in counts.iter().zip(&weights) {
            let expected = f64::from(rounds) * f64::from(*weight) / total_weight;
            // Never more than one assignment away from the exact share, in either direction,
            // give or take the number of hosts sharing the rounding.
            let slack = weights.len() as f64;
            prop_assert!((f64::from(*count) - expected).abs() <= slack, "{counts:?} {weights:?}");
        }
        prop_assert_eq!(counts.iter().sum::<u32>(), rounds);
    }

    #[test]
    fn only_free_weighted_hosts_are_chosen(
        hosts in proptest::collection::vec((0u8..=100, 0u8..=3, 0u32..50, any::<bool>()), 0..10),
    ) {
        let candidates: Vec<Candidate> = hosts
            .iter()
            .enumerate()
            .map(|(index, (weight, priority, assigned, free))| Candidate {
                priority: *priority,
                free: *free,
                ..host(&format!("h{index}"), *weight, *assigned)
            })
            .collect();
        match choose(&candidates) {
            Some(index) => prop_assert!(candidates[index].free && candidates[index].weight > 0),
            None => prop_assert!(candidates.iter().all(|c| !c.free || c.weight == 0)),
        }
    }
}
