//! Weighted, deterministic round robin: among the hosts free for the chosen time, the one
//! furthest below its weighted share of the assignments in the window wins; ties go to the
//! higher priority, then to the host idle longest, then to the lower id.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub const MAX_WEIGHT: u8 = 100;
pub const MAX_PRIORITY: u8 = 3;
/// What a host of a meeting type counts for until someone sets its weight and priority.
pub const DEFAULT_WEIGHT: u8 = 50;
pub const DEFAULT_PRIORITY: u8 = 1;

/// One host that could take the meeting, as the explanation shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub host_id: String,
    #[schema(minimum = 0, maximum = 100)]
    pub weight: u8,
    #[schema(minimum = 0, maximum = 3)]
    pub priority: u8,
    /// Assignments of this meeting type the host took within the window.
    pub assigned_in_window: u32,
    #[serde(skip)]
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Whether the host is free for the time (or, before a time is picked, has any free time).
    pub free: bool,
}

/// The index of the candidate that takes the meeting, or `None` when nobody free has a weight.
/// Shares are measured against all candidates, busy ones too, so a host's absence does not
/// reset the balance.
pub fn choose(candidates: &[Candidate]) -> Option<usize> {
    let total_weight: i64 = candidates.iter().map(|c| i64::from(c.weight)).sum();
    let total_assigned: i64 = candidates
        .iter()
        .map(|c| i64::from(c.assigned_in_window))
        .sum();
    // How far below its share a host would be after this assignment, scaled by the total
    // weight so the comparison stays in integers: weight·(n+1) − assigned·Σweight.
    let shortfall = |c: &Candidate| {
        i64::from(c.weight) * (total_assigned + 1) - i64::from(c.assigned_in_window) * total_weight
    };
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.free && c.weight > 0)
        .max_by(|(_, a), (_, b)| {
            shortfall(a)
                .cmp(&shortfall(b))
                .then(a.priority.cmp(&b.priority))
                .then_with(|| longer_idle(a.last_assigned_at, b.last_assigned_at))
                .then_with(|| b.host_id.cmp(&a.host_id))
        })
        .map(|(index, _)| index)
}

/// `Greater` when `a` has been idle longer than `b`; never assigned is the most idle.
fn longer_idle(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => b.cmp(&a),
    }
}
