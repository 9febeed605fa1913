//! A time zone's UTC offsets over one request, so wall-clock readings resolve by arithmetic,
//! DST gaps and repeated hours included.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::DAY;

/// The UTC offsets of a zone over the stretch of time one request can touch, read from the zone
/// database once so that the engine's many conversions are arithmetic. Offsets are sampled two
/// days apart and each change is located to the second by bisection; no zone since 1900 has
/// changed its offset twice within six days.
pub(super) struct ZoneTimeline {
    /// `(first instant, offset)` of each stretch with one offset, sorted. The first stretch
    /// also covers the time before it and the last the time after it.
    pub(super) pieces: Vec<(i64, i32)>,
}

#[derive(Clone, Copy)]
pub(super) enum Edge {
    Start,
    End,
}

impl ZoneTimeline {
    pub(super) fn new(tz: Tz, from: i64, until: i64) -> Self {
        const PROBES_APART: i64 = 2 * DAY;
        let from = from.max(DateTime::<Utc>::MIN_UTC.timestamp());
        let until = until.min(DateTime::<Utc>::MAX_UTC.timestamp());
        let offset_on =
            |clock: &NaiveDateTime| tz.offset_from_utc_datetime(clock).fix().local_minus_utc();
        let mut pieces = Vec::new();
        let Some(mut clock) = DateTime::from_timestamp(from, 0).map(|at| at.naive_utc()) else {
            return ZoneTimeline { pieces };
        };
        let mut offset = offset_on(&clock);
        pieces.push((from, offset));
        let mut at = from;
        while at < until {
            // Stepping the probe's calendar date forward is cheaper than rebuilding it.
            let step = PROBES_APART.min(until - at);
            let Some(probe) = clock.checked_add_signed(Duration::seconds(step)) else {
                break;
            };
            if offset_on(&probe) == offset {
                at += step;
                clock = probe;
                continue;
            }
            let (mut same, mut changed) = (at, at + step);
            while changed - same > 1 {
                let middle = same + (changed - same) / 2;
                if offset_at(tz, middle) == Some(offset) {
                    same = middle;
                } else {
                    changed = middle;
                }
            }
            let Some(change) = DateTime::from_timestamp(changed, 0).map(|at| at.naive_utc()) else {
                break;
            };
            offset = offset_on(&change);
            pieces.push((changed, offset));
            at = changed;
            clock = change;
        }
        ZoneTimeline { pieces }
    }

    /// The index of the stretch holding `at`.
    pub(super) fn piece_at(&self, at: i64) -> usize {
        self.pieces
            .partition_point(|&(start, _)| start <= at)
            .saturating_sub(1)
    }

    fn offset_at(&self, at: i64) -> Option<i32> {
        self.pieces
            .get(self.piece_at(at))
            .map(|&(_, offset)| offset)
    }

    /// The local day (days since 1970-01-01 on the wall clock) of `at`.
    pub(super) fn local_day(&self, at: i64) -> Option<i64> {
        Some((at + i64::from(self.offset_at(at)?)).div_euclid(DAY))
    }

    /// The instant at which the wall clock reads `wall` (seconds of a naive clock): the earlier
    /// of two readings for a range start, the later for a range end, and the end of the gap when
    /// the clock skips `wall`.
    pub(super) fn resolve(&self, wall: i64, edge: Edge) -> Option<i64> {
        if let [(_, offset)] = self.pieces[..] {
            return Some(wall - i64::from(offset));
        }
        // Offsets stay within a day of zero, so only stretches near `wall` can hold it.
        let first = self.piece_at(wall - 2 * DAY);
        let nearby = self.pieces.get(first..)?;
        let mut readings = nearby
            .iter()
            .enumerate()
            .take_while(|(_, &(start, _))| start <= wall + 2 * DAY)
            .filter_map(|(index, &(start, offset))| {
                let begins = if first + index == 0 { i64::MIN } else { start };
                let ends = nearby.get(index + 1).map_or(i64::MAX, |next| next.0);
                let at = wall - i64::from(offset);
                (begins <= at && at < ends).then_some(at)
            });
        let reading = match edge {
            Edge::Start => readings.next(),
            Edge::End => readings.last(),
        };
        reading.or_else(|| {
            nearby.windows(2).find_map(|pair| {
                let ((_, before), (change, after)) = (pair[0], pair[1]);
                let skipped =
                    change + i64::from(before) <= wall && wall < change + i64::from(after);
                skipped.then_some(change)
            })
        })
    }
}

fn offset_at(tz: Tz, seconds: i64) -> Option<i32> {
    DateTime::from_timestamp(seconds, 0).map(|instant| {
        tz.offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc()
    })
}
