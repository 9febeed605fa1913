//! Round-robin meetings: slots any one host can take, each listing every host free for it, and
//! the choice of who takes a booked one.

use chrono::{DateTime, Utc};

use super::host_plan::{lattice_points, HostPlan};
use super::rules::Bounds;
use super::slots::{Availability, HostGroup, Slot, SlotClock};
use super::HostCalendar;

/// A host's recent load, for choosing among round-robin candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLoad<H> {
    pub host: H,
    pub meetings_last_30_days: u32,
    pub last_meeting_end: Option<DateTime<Utc>>,
}

/// Picks the round-robin host among `candidates`: fewest meetings in the last 30 days, then the
/// longest idle (never having met counts as most idle), then the lowest id so the choice is
/// deterministic. Candidates without `stats` count as having no meetings.
pub fn choose_round_robin_host<H: Clone + Ord>(
    candidates: &[H],
    stats: &[HostLoad<H>],
) -> Option<H> {
    let load = |host: &H| {
        let known = stats.iter().find(|load| &load.host == host);
        (
            known.map_or(0, |load| load.meetings_last_30_days),
            known.and_then(|load| load.last_meeting_end),
        )
    };
    candidates
        .iter()
        .map(|host| (load(host), host))
        .min()
        .map(|(_, host)| host.clone())
}

pub(super) fn round_robin_slots<H: Clone + Ord>(
    bounds: &Bounds,
    hosts: &[HostCalendar<H>],
) -> Availability<H> {
    let plans: Vec<HostPlan> = hosts
        .iter()
        .map(|calendar| HostPlan::new(calendar, bounds))
        .collect();
    // One bit per host and start, set where the start lies in one of the host's spans.
    let words = hosts.len().div_ceil(64).max(1);
    let (starts, free) = shared_grid_starts(&plans, bounds.step, words).unwrap_or_else(|| {
        let starts = round_robin_starts(&plans, bounds.step);
        let mut free = vec![0u64; starts.len() * words];
        for (index, plan) in plans.iter().enumerate() {
            let (word, bit) = (index / 64, 1u64 << (index % 64));
            let mut next = 0;
            for span in &plan.spans {
                next = first_not_before(&starts, next, span.from);
                while starts.get(next).is_some_and(|&start| start < span.to) {
                    free[next * words + word] |= bit;
                    next += 1;
                }
            }
        }
        (starts, free)
    });

    let everyone = hosts.iter().map(|calendar| calendar.host.clone()).collect();
    let mut availability = Availability::new(everyone, starts.len());
    let mut clock = SlotClock::new(bounds.duration);
    let mut previous: Option<(&[u64], HostGroup)> = None;
    for (&start, members) in starts.iter().zip(free.chunks_exact(words)) {
        let group = match previous {
            // An element loop: a slice comparison calls `memcmp` for a word or two.
            Some((earlier, group)) if earlier.iter().zip(members).all(|(a, b)| a == b) => group,
            _ => availability.add_group(members),
        };
        previous = Some((members, group));
        if let Some((start, end)) = clock.slot(start) {
            availability.slots.push(Slot {
                start,
                end,
                hosts: group,
            });
        }
    }
    availability
}

/// Grid points a shared grid may have, at most: beyond this (a step of seconds over weeks) the
/// general path, whose work follows the spans rather than the window, is cheaper.
const MAX_SHARED_GRID_POINTS: i64 = 1 << 18;

/// The round-robin starts and their free hosts (as [`round_robin_slots`] lays them out) when every
/// host's grid has one phase, the usual case: zones differ by whole quarter hours and working
/// hours start on the hour. Starts are then indexes on one grid, so each host marks its spans
/// directly instead of every host's starts being sorted and searched. `None` when the phases
/// differ or the grid would be too large.
fn shared_grid_starts(plans: &[HostPlan], step: i64, words: usize) -> Option<(Vec<i64>, Vec<u64>)> {
    let mut phase = None;
    let mut shared = true;
    let (mut low, mut high) = (i64::MAX, i64::MIN);
    for plan in plans {
        plan.lattice_spans(&plan.spans, step, |piece_phase, from, to| {
            shared &= *phase.get_or_insert(piece_phase) == piece_phase;
            low = low.min(from);
            high = high.max(to);
        });
    }
    let phase = phase.filter(|_| shared)?;
    let origin = low + (phase - low).rem_euclid(step);
    let points = (high - origin).div_euclid(step) + 1;
    if points > MAX_SHARED_GRID_POINTS {
        return None;
    }
    // The grid indexes of the points in `[from, to)`.
    let indexes = |from: i64, to: i64| {
        let first = (from - origin + step - 1).div_euclid(step).max(0);
        let end = (to - origin + step - 1)
            .div_euclid(step)
            .clamp(first, points);
        usize::try_from(first).unwrap_or(0)..usize::try_from(end).unwrap_or(0)
    };
    let mut position = vec![u32::MAX; usize::try_from(points).ok()?];
    for plan in plans {
        for span in &plan.spans {
            position[indexes(span.from, span.to)].fill(0);
        }
    }
    let mut starts = Vec::new();
    for (index, slot) in (0i64..).zip(position.iter_mut()) {
        if *slot == 0 {
            *slot = u32::try_from(starts.len()).ok()?;
            starts.push(origin + index * step);
        }
    }
    let mut free = vec![0u64; starts.len() * words];
    for (host, plan) in plans.iter().enumerate() {
        let (word, bit) = (host / 64, 1u64 << (host % 64));
        for span in &plan.spans {
            for &at in &position[indexes(span.from, span.to)] {
                free[at as usize * words + word] |= bit;
            }
        }
    }
    Some((starts, free))
}

/// The first index from `from` on whose start is not before `target`. Searches outward from
/// `from` (1, 2, 4, … ahead), since one host's spans move through the sorted starts in small
/// steps.
fn first_not_before(starts: &[i64], from: usize, target: i64) -> usize {
    let ahead = starts.get(from..).unwrap_or(&[]);
    let mut reach = 1;
    while ahead.get(reach).is_some_and(|&start| start < target) {
        reach *= 2;
    }
    let low = reach / 2;
    let high = (reach + 1).min(ahead.len()).max(low);
    from + low + ahead[low..high].partition_point(|&start| start < target)
}

/// The union of every host's grid starts, sorted. Spans sharing a grid phase are merged first,
/// so hosts with the same grid cost one pass over their union rather than one per host.
fn round_robin_starts(plans: &[HostPlan], step: i64) -> Vec<i64> {
    let mut lattice = Vec::with_capacity(plans.iter().map(|plan| plan.spans.len()).sum());
    for plan in plans {
        plan.lattice_spans(&plan.spans, step, |phase, from, to| {
            lattice.push((phase, from, to));
        });
    }
    // Each host's spans arrive sorted, so a run-merging sort does little work.
    lattice.sort();

    let mut starts = Vec::new();
    let mut phases = 0;
    for group in lattice.chunk_by(|a, b| a.0 == b.0) {
        phases += 1;
        let phase = group[0].0;
        let mut union = (group[0].1, group[0].2);
        for &(_, from, to) in &group[1..] {
            if from <= union.1 {
                union.1 = union.1.max(to);
            } else {
                lattice_points(phase, union.0, union.1, step, |start| starts.push(start));
                union = (from, to);
            }
        }
        lattice_points(phase, union.0, union.1, step, |start| starts.push(start));
    }
    // Different phases never share a start, so only their interleaving needs sorting.
    if phases > 1 {
        starts.sort_unstable();
    }
    starts
}
