//! Collective meetings: slots every host can take, on the first host's grid.

use super::host_plan::{lattice_points, HostPlan};
use super::rules::Bounds;
use super::slots::{Availability, Slot, SlotClock};
use super::spans::StartSpan;
use super::HostCalendar;

pub(super) fn collective_slots<H: Clone + Ord>(
    bounds: &Bounds,
    hosts: &[HostCalendar<H>],
) -> Availability<H> {
    let everyone: Vec<H> = hosts.iter().map(|calendar| calendar.host.clone()).collect();
    let Some((first, others)) = hosts.split_first() else {
        return Availability::new(everyone, 0);
    };
    let lead = HostPlan::new(first, bounds);
    let mut spans = lead.spans.clone();
    for host in others {
        if spans.is_empty() {
            break;
        }
        spans = intersect(&spans, &HostPlan::new(host, bounds).spans);
    }
    let mut availability = Availability::new(everyone, grid_capacity(&spans, bounds.step));
    if spans.is_empty() {
        return availability;
    }
    let mut all = vec![0u64; availability.words];
    for host in 0..hosts.len() {
        all[host / 64] |= 1 << (host % 64);
    }
    let everyone = availability.add_group(&all);
    let mut clock = SlotClock::new(bounds.duration);
    lead.lattice_spans(&spans, bounds.step, |phase, from, to| {
        lattice_points(phase, from, to, bounds.step, |start| {
            if let Some((start, end)) = clock.slot(start) {
                availability.slots.push(Slot {
                    start,
                    end,
                    hosts: everyone,
                });
            }
        });
    });
    availability
}

/// The starts allowed by both lists (each sorted and disjoint); grid ranges come from `kept`.
fn intersect(kept: &[StartSpan], other: &[StartSpan]) -> Vec<StartSpan> {
    let mut both = Vec::new();
    let (mut i, mut j) = (0, 0);
    while let (Some(a), Some(b)) = (kept.get(i), other.get(j)) {
        let from = a.from.max(b.from);
        let to = a.to.min(b.to);
        if from < to {
            both.push(StartSpan {
                from,
                to,
                range: a.range,
            });
        }
        if a.to <= b.to {
            i += 1;
        } else {
            j += 1;
        }
    }
    both
}

/// How many grid starts `spans` can hold at most.
fn grid_capacity(spans: &[StartSpan], step: i64) -> usize {
    spans
        .iter()
        .map(|span| usize::try_from((span.to - span.from) / step + 1).unwrap_or(0))
        .sum()
}
