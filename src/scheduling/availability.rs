//! Availability engine: turns a meeting type's rules, each host's working hours and busy time, a
//! booking window and the current instant into the slots a prospect can book.
//!
//! Everything here is a pure function of its arguments (no clock, database or network), so the
//! public slots page, the booking transaction's re-check and the benchmarks all run the same code.
//!
//! # Conventions
//! - Instants are UTC and intervals are half-open `[start, end)`. The arithmetic runs on whole
//!   seconds: rule durations round up to a whole second, busy intervals widen outward to whole
//!   seconds, and sub-second parts of working-hour times are ignored.
//! - Working hours are wall-clock ranges in the host's IANA zone, resolved per local date. A range
//!   boundary inside a DST gap maps to the first instant after the gap (for a range end that is
//!   also the last instant before it: the gap takes no real time). An ambiguous start (the
//!   repeated autumn hour) takes the earlier instant and an ambiguous end the later one, so a
//!   range that covers the repeated hour covers both passes of it. A 09:00–17:00 day on a DST
//!   change therefore lasts exactly 8 real hours.
//! - A [`TimeRange`] whose end is not after its start runs into the next day: `22:00–06:00` is an
//!   overnight range and `09:00–00:00` ends at midnight (the API's `24:00`). Ranges of one host
//!   that overlap or touch, also across midnight, join into one working range.
//! - Slot starts lie on a grid: an instant is on it when the host's wall clock there reads a whole
//!   number of `step`s from the configured start of its working range. Wall-clock times skipped
//!   by a DST gap never start a slot; a repeated wall-clock time can start two.
//! - Host ids are any `H: Clone + Ord` the caller picks; each is cloned once per request. A
//!   [`Slot`] is a small `Copy` value whose hosts are a [`HostGroup`] handle into its
//!   [`Availability`], and consecutive slots with the same free hosts share one group.
//! - Cost: O(n log n) in busy intervals (sort, merge, sweep), linear in days of the window and
//!   in the number of slots emitted; no per-minute bitmaps.

use std::collections::BTreeMap;

use chrono::{
    DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The longest booking window, in local days, that one slots request may ask for.
pub const MAX_WINDOW_DAYS: i64 = 62;

const DAY: i64 = 86_400;
const MINUTES_PER_DAY: u32 = 24 * 60;

/// A half-open stretch of time `[start, end)`; empty when `end <= start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A wall-clock range within a local day. An `end` that is not after `start` falls on the next
/// day, so `end == 00:00` means midnight at the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// When a host can meet, in the host's own time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours {
    pub timezone: Tz,
    /// Ranges per weekday, Monday first.
    pub weekly: [Vec<TimeRange>; 7],
    /// Ranges that replace the weekly ones on a local date: empty for a day off (a holiday),
    /// more ranges for extra hours.
    pub overrides: BTreeMap<NaiveDate, Vec<TimeRange>>,
}

/// Why a set of working-hour ranges was refused. `day` names the weekday (`mon`) or the date
/// the ranges belong to.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkingHoursError {
    #[error("{day}: `{value}` is not a time of day in HH:MM form")]
    BadTime { day: String, value: String },
    #[error("{day}: {start}–{end} does not end after it starts")]
    ReversedRange {
        day: String,
        start: String,
        end: String,
    },
    #[error("{day}: {first} overlaps {second}")]
    OverlappingRanges {
        day: String,
        first: String,
        second: String,
    },
}

/// Why a booking window was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WindowError {
    #[error("the window ends on {to}, before it starts on {from}")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("the window spans {days} days; at most {MAX_WINDOW_DAYS} are allowed")]
    TooLong { days: i64 },
}

/// The scheduling rules of a meeting type. Negative buffers and notice count as zero; a
/// non-positive duration or step yields no slots. `max_days_ahead` counts 24-hour days from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingRules {
    pub duration: Duration,
    pub step: Duration,
    pub buffer_before: Duration,
    pub buffer_after: Duration,
    pub min_notice: Duration,
    pub max_days_ahead: u32,
    pub max_per_day_per_host: Option<u32>,
}

/// Whether a meeting needs every host (`collective`) or any one of them (`round_robin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostMode {
    Collective,
    RoundRobin,
}

/// What the engine knows about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCalendar<H> {
    pub host: H,
    pub working_hours: WorkingHours,
    /// Busy time from the host's calendars and Convene's holds, in any order, possibly
    /// overlapping.
    pub busy: Vec<Interval>,
    /// The host's Convene meetings: busy as well, and counted against `max_per_day_per_host` on
    /// the host's local date of their start.
    pub meetings: Vec<Interval>,
}

/// A bookable slot. Its hosts, read with [`Availability::hosts`], are every host for a collective
/// meeting and every free host (in input order) for a round-robin one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub hosts: HostGroup,
}

/// Which hosts can take a slot: a handle into the [`Availability`] the slot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HostGroup(usize);

/// The bookable slots of a request, sorted by start without duplicates, and their hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability<H> {
    slots: Vec<Slot>,
    /// The request's hosts, in input order.
    hosts: Vec<H>,
    /// Each group as one bit per host, `words` words per group.
    groups: Vec<u64>,
    words: usize,
}

impl<H> Availability<H> {
    fn new(hosts: Vec<H>, slots: usize) -> Self {
        Availability {
            slots: Vec::with_capacity(slots),
            words: hosts.len().div_ceil(64).max(1),
            hosts,
            groups: Vec::new(),
        }
    }

    fn add_group(&mut self, members: &[u64]) -> HostGroup {
        self.groups.extend_from_slice(members);
        HostGroup(self.groups.len() / self.words - 1)
    }

    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The hosts of `group`, a handle taken from one of these slots (a handle from another
    /// [`Availability`] reads whichever group holds that place here, or none), in input order.
    pub fn hosts(&self, group: HostGroup) -> impl Iterator<Item = &H> + '_ {
        let members = group
            .0
            .checked_mul(self.words)
            .and_then(|first| self.groups.get(first..first + self.words))
            .unwrap_or(&[]);
        set_bits(members).filter_map(|host| self.hosts.get(host))
    }

    /// The slot starting at `start`, if it can be booked, as the booking transaction re-checks a
    /// prospect's pick.
    pub fn slot_starting_at(&self, start: DateTime<Utc>) -> Option<&Slot> {
        let index = self
            .slots
            .binary_search_by_key(&start, |slot| slot.start)
            .ok()?;
        self.slots.get(index)
    }
}

/// A host's recent load, for choosing among round-robin candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLoad<H> {
    pub host: H,
    pub meetings_last_30_days: u32,
    pub last_meeting_end: Option<DateTime<Utc>>,
}

impl WorkingHours {
    /// Monday to Friday, 09:00–17:00 in `timezone`: the hours of a host who set none.
    pub fn standard(timezone: Tz) -> Self {
        let office = TimeRange {
            start: NaiveTime::MIN + Duration::hours(9),
            end: NaiveTime::MIN + Duration::hours(17),
        };
        let workday = vec![office];
        WorkingHours {
            timezone,
            weekly: [
                workday.clone(),
                workday.clone(),
                workday.clone(),
                workday.clone(),
                workday,
                Vec::new(),
                Vec::new(),
            ],
            overrides: BTreeMap::new(),
        }
    }

    /// The ranges of local day `day` (days since 1970-01-01, a Thursday).
    fn ranges_on(&self, day: i64) -> &[TimeRange] {
        let overridden = if self.overrides.is_empty() {
            None
        } else {
            date_of_day(day).and_then(|date| self.overrides.get(&date))
        };
        let weekday = (day + 3).rem_euclid(7) as usize;
        overridden.map_or(&self.weekly[weekday], Vec::as_slice)
    }
}

/// Validates `[["09:00","12:00"], ["13:00","24:00"]]`-shaped ranges of one day (weekday or date
/// override, named by `day` in errors) and returns them sorted. Ranges may touch but not overlap.
pub fn parse_ranges(
    day: &str,
    ranges: &[[String; 2]],
) -> Result<Vec<TimeRange>, WorkingHoursError> {
    let mut minutes = ranges
        .iter()
        .map(|[start, end]| {
            let from = minute_of_day(day, start, false)?;
            let to = minute_of_day(day, end, true)?;
            if to <= from {
                return Err(WorkingHoursError::ReversedRange {
                    day: day.to_owned(),
                    start: start.clone(),
                    end: end.clone(),
                });
            }
            Ok((from, to))
        })
        .collect::<Result<Vec<_>, _>>()?;
    minutes.sort_unstable();
    if let Some(pair) = minutes.windows(2).find(|pair| pair[1].0 < pair[0].1) {
        return Err(WorkingHoursError::OverlappingRanges {
            day: day.to_owned(),
            first: format_range(pair[0]),
            second: format_range(pair[1]),
        });
    }
    Ok(minutes
        .into_iter()
        .map(|(from, to)| TimeRange {
            start: wall_time(from),
            end: wall_time(to % MINUTES_PER_DAY),
        })
        .collect())
}

fn minute_of_day(day: &str, text: &str, may_be_midnight: bool) -> Result<u32, WorkingHoursError> {
    let bad_time = || WorkingHoursError::BadTime {
        day: day.to_owned(),
        value: text.to_owned(),
    };
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return Err(bad_time());
    }
    let digit = |at: usize| match bytes[at] {
        b @ b'0'..=b'9' => Ok(u32::from(b - b'0')),
        _ => Err(bad_time()),
    };
    let hours = digit(0)? * 10 + digit(1)?;
    let minutes = digit(3)? * 10 + digit(4)?;
    let midnight_end = may_be_midnight && hours == 24 && minutes == 0;
    if (hours > 23 || minutes > 59) && !midnight_end {
        return Err(bad_time());
    }
    Ok(hours * 60 + minutes)
}

fn wall_time(minute_of_day: u32) -> NaiveTime {
    NaiveTime::MIN + Duration::minutes(i64::from(minute_of_day))
}

fn format_range((from, to): (u32, u32)) -> String {
    format!(
        "{:02}:{:02}–{:02}:{:02}",
        from / 60,
        from % 60,
        to / 60,
        to % 60
    )
}

/// The UTC instants covered by the local days `from..=to_inclusive` in `tz`: from the first
/// instant of `from` to the first instant of the day after `to_inclusive`. A midnight inside a
/// DST gap (America/Havana) starts the day at the end of the gap; an ambiguous midnight starts
/// it at the earlier instant. Empty when `to_inclusive` is before `from`.
pub fn window_for_dates(from: NaiveDate, to_inclusive: NaiveDate, tz: Tz) -> Interval {
    let start = first_instant_of(from, tz);
    let end = match to_inclusive.succ_opt() {
        Some(next) => first_instant_of(next, tz),
        None => DateTime::<Utc>::MAX_UTC,
    };
    Interval {
        start,
        end: end.max(start),
    }
}

/// [`window_for_dates`] for a request: refuses reversed windows and windows longer than
/// [`MAX_WINDOW_DAYS`].
pub fn booking_window(
    from: NaiveDate,
    to_inclusive: NaiveDate,
    tz: Tz,
) -> Result<Interval, WindowError> {
    if to_inclusive < from {
        return Err(WindowError::Reversed {
            from,
            to: to_inclusive,
        });
    }
    let days = (to_inclusive - from).num_days() + 1;
    if days > MAX_WINDOW_DAYS {
        return Err(WindowError::TooLong { days });
    }
    Ok(window_for_dates(from, to_inclusive, tz))
}

fn first_instant_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN).and_utc();
    let wall = midnight.timestamp();
    ZoneTimeline::new(tz, wall - 2 * DAY, wall + 2 * DAY)
        .resolve(wall, Edge::Start)
        .and_then(|at| DateTime::from_timestamp(at, 0))
        // Only the last representable days have no zone data; their UTC reading is as close
        // as the calendar allows.
        .unwrap_or(midnight)
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

/// Every slot of `rules` inside `window` that can be booked at `now`, sorted by start.
///
/// A slot `[s, e)` is bookable for a host when `[s - buffer_before, e + buffer_after)` meets none
/// of the host's busy time or meetings, `[s, e)` lies inside one working range, `s` is at least
/// `min_notice` after `now` and less than `max_days_ahead` days after it, the host has fewer than
/// `max_per_day_per_host` meetings on the local date of `s`, and `[s, e)` lies inside `window`.
/// Collective slots need every host and follow the first host's grid; round-robin slots need one
/// host and follow each host's own grid, listing every host free for them.
pub fn available_slots<H: Clone + Ord>(
    rules: &MeetingRules,
    mode: HostMode,
    hosts: &[HostCalendar<H>],
    window: Interval,
    now: DateTime<Utc>,
) -> Availability<H> {
    let Some(bounds) = Bounds::new(rules, window, now) else {
        return Availability::new(Vec::new(), 0);
    };
    match mode {
        HostMode::Collective => collective_slots(&bounds, hosts),
        HostMode::RoundRobin => round_robin_slots(&bounds, hosts),
    }
}

/// The rules and request limits on the engine's whole-second timeline.
struct Bounds {
    duration: i64,
    step: i64,
    buffer_before: i64,
    buffer_after: i64,
    max_per_day: Option<u32>,
    /// Earliest allowed slot start.
    first_start: i64,
    /// Every slot start is before this.
    start_limit: i64,
}

impl Bounds {
    fn new(rules: &MeetingRules, window: Interval, now: DateTime<Utc>) -> Option<Self> {
        let duration = whole_seconds(rules.duration);
        let step = whole_seconds(rules.step);
        if duration <= 0 || step <= 0 {
            return None;
        }
        let now = seconds_ceil(now);
        let first_start =
            seconds_ceil(window.start).max(now + whole_seconds(rules.min_notice).max(0));
        let horizon = now + i64::from(rules.max_days_ahead) * DAY;
        let start_limit = horizon.min(window.end.timestamp() - duration + 1);
        (first_start < start_limit).then_some(Bounds {
            duration,
            step,
            buffer_before: whole_seconds(rules.buffer_before).max(0),
            buffer_after: whole_seconds(rules.buffer_after).max(0),
            max_per_day: rules.max_per_day_per_host,
            first_start,
            start_limit,
        })
    }

    /// The end of the latest possible slot.
    fn reach(&self) -> i64 {
        self.start_limit - 1 + self.duration
    }
}

fn whole_seconds(duration: Duration) -> i64 {
    let seconds = duration.num_seconds();
    if duration.subsec_nanos() > 0 {
        seconds + 1
    } else {
        seconds
    }
}

#[inline]
fn seconds_ceil(instant: DateTime<Utc>) -> i64 {
    let seconds = instant.timestamp();
    if instant.timestamp_subsec_nanos() > 0 {
        seconds + 1
    } else {
        seconds
    }
}

fn collective_slots<H: Clone + Ord>(bounds: &Bounds, hosts: &[HostCalendar<H>]) -> Availability<H> {
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

fn round_robin_slots<H: Clone + Ord>(
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

/// The positions of the bits set in `words`, lowest first.
fn set_bits(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(index, &word)| {
        std::iter::successors((word != 0).then_some(word), |&rest| {
            let rest = rest & (rest - 1);
            (rest != 0).then_some(rest)
        })
        .map(move |rest| index * 64 + rest.trailing_zeros() as usize)
    })
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

/// How many grid starts `spans` can hold at most.
fn grid_capacity(spans: &[StartSpan], step: i64) -> usize {
    spans
        .iter()
        .map(|span| usize::try_from((span.to - span.from) / step + 1).unwrap_or(0))
        .sum()
}

/// Calls `emit` for every `start` in `[from, to)` with `start ≡ phase (mod step)`.
fn lattice_points(phase: i64, from: i64, to: i64, step: i64, mut emit: impl FnMut(i64)) {
    let behind = (from - phase).rem_euclid(step);
    let mut start = if behind == 0 {
        from
    } else {
        from + (step - behind)
    };
    while start < to {
        emit(start);
        start += step;
    }
}

/// Turns second counts into slot instants. Slots arrive in time order, so the calendar date of
/// the current UTC day is kept and moved forward only when a slot falls outside that day.
struct SlotClock {
    duration: i64,
    start_day: CachedDay,
    /// For the rare slot that ends on a later UTC day than it starts.
    end_day: CachedDay,
}

struct CachedDay {
    midnight: i64,
    date: NaiveDate,
}

impl SlotClock {
    fn new(duration: i64) -> Self {
        SlotClock {
            duration,
            start_day: CachedDay::default(),
            end_day: CachedDay::default(),
        }
    }

    #[inline(always)]
    fn slot(&mut self, start: i64) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let start_at = self.start_day.instant(start)?;
        let end = start + self.duration;
        let end_at = match self.start_day.reading(end) {
            Some(end_at) => end_at,
            None => self.end_day.instant(end)?,
        };
        Some((start_at, end_at))
    }
}

impl Default for CachedDay {
    fn default() -> Self {
        CachedDay {
            midnight: i64::MIN,
            date: NaiveDate::MIN,
        }
    }
}

impl CachedDay {
    #[inline(always)]
    fn instant(&mut self, seconds: i64) -> Option<DateTime<Utc>> {
        match self.reading(seconds) {
            Some(instant) => Some(instant),
            None => {
                self.move_to(seconds)?;
                self.reading(seconds)
            }
        }
    }

    /// `seconds` as an instant, if it falls on the kept day.
    #[inline(always)]
    fn reading(&self, seconds: i64) -> Option<DateTime<Utc>> {
        let since_midnight = u32::try_from(seconds.checked_sub(self.midnight)?).ok()?;
        let time = NaiveTime::from_num_seconds_from_midnight_opt(since_midnight, 0)?;
        Some(NaiveDateTime::new(self.date, time).and_utc())
    }

    fn move_to(&mut self, seconds: i64) -> Option<()> {
        let midnight = seconds.div_euclid(DAY) * DAY;
        // Stepping a date forward is cheaper than building it, and slots are at most a weekend
        // apart.
        self.date = match midnight.checked_sub(self.midnight).map(|gap| gap / DAY) {
            Some(days @ 1..=7) => (0..days).try_fold(self.date, |date, _| date.succ_opt())?,
            _ => DateTime::from_timestamp(midnight, 0)?.date_naive(),
        };
        self.midnight = midnight;
        Some(())
    }
}

/// A host's working ranges on the timeline and the slot starts that host allows.
struct HostPlan {
    zone: ZoneTimeline,
    ranges: Vec<WorkingRange>,
    spans: Vec<StartSpan>,
}

/// A working range resolved to UTC seconds. `anchor` is the configured local start as seconds
/// of a naive (zone-less) clock, the origin of the range's slot grid.
#[derive(Debug, Clone, Copy)]
struct WorkingRange {
    start: i64,
    end: i64,
    anchor: i64,
}

/// Slot starts `[from, to)` allowed by one host, inside working range `range` of its plan.
#[derive(Debug, Clone, Copy)]
struct StartSpan {
    from: i64,
    to: i64,
    range: usize,
}

impl HostPlan {
    fn new<H>(calendar: &HostCalendar<H>, bounds: &Bounds) -> Self {
        let hours = &calendar.working_hours;
        // Outside the timeline a reading can be off by an offset change (hours), so a day's
        // margin keeps every instant that can matter to a slot exact.
        let zone = ZoneTimeline::new(
            hours.timezone,
            bounds.first_start - DAY,
            bounds.reach() + DAY,
        );
        let ranges = working_ranges(hours, &zone, bounds.first_start, bounds.reach());
        let blocked = blocked_time(calendar, &ranges, bounds);
        let mut spans = free_starts(&ranges, &blocked, bounds);
        if let Some(limit) = bounds.max_per_day {
            spans = if limit == 0 {
                Vec::new()
            } else {
                without_days(spans, &full_days(calendar, limit, &zone, bounds))
            };
        }
        HostPlan {
            zone,
            ranges,
            spans,
        }
    }

    /// Splits `spans` (sorted, of this plan) where the zone offset changes and reports each part
    /// with its grid phase: the starts on the grid are those `≡ phase (mod step)`.
    fn lattice_spans(&self, spans: &[StartSpan], step: i64, mut report: impl FnMut(i64, i64, i64)) {
        let pieces = &self.zone.pieces;
        for span in spans {
            let anchor = self.ranges[span.range].anchor;
            let mut piece = self.zone.piece_at(span.from);
            while let Some(&(piece_start, offset)) = pieces.get(piece) {
                let piece_end = pieces.get(piece + 1).map_or(i64::MAX, |next| next.0);
                let from = span.from.max(piece_start);
                let to = span.to.min(piece_end);
                if from < to {
                    report((anchor - i64::from(offset)).rem_euclid(step), from, to);
                }
                if piece_end >= span.to {
                    break;
                }
                piece += 1;
            }
        }
    }
}

/// The UTC offsets of a zone over the stretch of time one request can touch, read from the zone
/// database once so that the engine's many conversions are arithmetic. Offsets are sampled two
/// days apart and each change is located to the second by bisection; no zone since 1900 has
/// changed its offset twice within six days.
struct ZoneTimeline {
    /// `(first instant, offset)` of each stretch with one offset, sorted. The first stretch
    /// also covers the time before it and the last the time after it.
    pieces: Vec<(i64, i32)>,
}

#[derive(Clone, Copy)]
enum Edge {
    Start,
    End,
}

impl ZoneTimeline {
    fn new(tz: Tz, from: i64, until: i64) -> Self {
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
    fn piece_at(&self, at: i64) -> usize {
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
    fn local_day(&self, at: i64) -> Option<i64> {
        Some((at + i64::from(self.offset_at(at)?)).div_euclid(DAY))
    }

    /// The instant at which the wall clock reads `wall` (seconds of a naive clock): the earlier
    /// of two readings for a range start, the later for a range end, and the end of the gap when
    /// the clock skips `wall`.
    fn resolve(&self, wall: i64, edge: Edge) -> Option<i64> {
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

/// The host's working ranges that can hold a slot within `[from, until)`, merged and sorted.
fn working_ranges(
    hours: &WorkingHours,
    zone: &ZoneTimeline,
    from: i64,
    until: i64,
) -> Vec<WorkingRange> {
    let (Some(first), Some(last)) = (zone.local_day(from), zone.local_day(until)) else {
        return Vec::new();
    };
    let mut ranges = Vec::new();
    // The day before may run an overnight range into the window, and where a fall-back crosses
    // midnight the local date steps back, so one day more on each side.
    for day in first - 1..=last + 1 {
        for range in hours.ranges_on(day) {
            let start_wall = day * DAY + i64::from(range.start.num_seconds_from_midnight());
            let end_day = if range.end <= range.start {
                day + 1
            } else {
                day
            };
            let end_wall = end_day * DAY + i64::from(range.end.num_seconds_from_midnight());
            let (Some(start), Some(end)) = (
                zone.resolve(start_wall, Edge::Start),
                zone.resolve(end_wall, Edge::End),
            ) else {
                continue;
            };
            if start < end && end > from && start < until {
                ranges.push(WorkingRange {
                    start,
                    end,
                    anchor: start_wall,
                });
            }
        }
    }
    ranges.sort_unstable_by_key(|range| (range.start, range.anchor));
    ranges.dedup_by(|later, kept| {
        if later.start > kept.end {
            return false;
        }
        kept.end = kept.end.max(later.end);
        true
    });
    ranges
}

/// The calendar date `day` days after 1970-01-01.
fn date_of_day(day: i64) -> Option<NaiveDate> {
    const DAYS_BEFORE_1970: i64 = 719_163;
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + DAYS_BEFORE_1970).ok()?)
}

/// The host's busy time and meetings that can meet a slot, each widened by the buffers (a slot
/// may not start within `buffer_before` after it, nor end within `buffer_after` before it),
/// merged and sorted. Busy time outside every working range (evenings, weekends) cannot block
/// a slot, so it is dropped before the sort rather than sorted.
fn blocked_time<H>(
    calendar: &HostCalendar<H>,
    ranges: &[WorkingRange],
    bounds: &Bounds,
) -> Vec<(i64, i64)> {
    let (low, high) = (bounds.first_start, bounds.reach());
    // Busy time arrives unsorted; per UTC day, the first range still open that day lets each
    // interval find its range in a step or two instead of a search.
    let first_day = ranges
        .first()
        .map_or(0, |range| range.start.div_euclid(DAY));
    let mut open_on_day = Vec::new();
    if let Some(last) = ranges.last() {
        for day in first_day..=last.end.div_euclid(DAY) {
            let opening = day * DAY;
            let from = open_on_day.last().copied().unwrap_or(0);
            open_on_day.push(from + ranges[from..].partition_point(|range| range.end <= opening));
        }
    }
    let meets_working_hours = |start: i64, end: i64| {
        let day = usize::try_from(start.div_euclid(DAY) - first_day).unwrap_or(0);
        let Some(&from) = open_on_day.get(day).or(open_on_day.last()) else {
            return false;
        };
        let ahead = &ranges[from..];
        let index = ahead.iter().position(|range| range.end > start);
        index.is_some_and(|index| ahead[index].start < end)
    };
    let mut blocked = Vec::with_capacity(calendar.busy.len() + calendar.meetings.len());
    for intervals in [&calendar.busy, &calendar.meetings] {
        for interval in intervals {
            let start = interval.start.timestamp() - bounds.buffer_after;
            let end = seconds_ceil(interval.end) + bounds.buffer_before;
            if interval.start < interval.end
                && end > low
                && start < high
                && meets_working_hours(start, end)
            {
                blocked.push((start, end));
            }
        }
    }
    blocked.sort_unstable_by_key(|&(start, _)| start);
    blocked.dedup_by(|later, kept| {
        if later.0 > kept.1 {
            return false;
        }
        kept.1 = kept.1.max(later.1);
        true
    });
    blocked
}

/// Slot starts that keep a whole slot inside a working range and clear of `blocked`.
fn free_starts(ranges: &[WorkingRange], blocked: &[(i64, i64)], bounds: &Bounds) -> Vec<StartSpan> {
    let mut spans = Vec::new();
    let mut allow = |from: i64, to: i64, range: usize| {
        let first = from.max(bounds.first_start);
        let limit = (to - bounds.duration + 1).min(bounds.start_limit);
        if first < limit {
            spans.push(StartSpan {
                from: first,
                to: limit,
                range,
            });
        }
    };
    let mut next_block = 0;
    for (index, range) in ranges.iter().enumerate() {
        while blocked
            .get(next_block)
            .is_some_and(|&(_, end)| end <= range.start)
        {
            next_block += 1;
        }
        let mut free_from = range.start;
        for &(start, end) in &blocked[next_block..] {
            if start >= range.end {
                break;
            }
            allow(free_from, start, index);
            free_from = free_from.max(end);
        }
        allow(free_from, range.end, index);
    }
    spans
}

/// Local days (as UTC spans) on which the host already has `limit` meetings.
fn full_days<H>(
    calendar: &HostCalendar<H>,
    limit: u32,
    zone: &ZoneTimeline,
    bounds: &Bounds,
) -> Vec<(i64, i64)> {
    let (low, high) = (bounds.first_start - 2 * DAY, bounds.reach() + 2 * DAY);
    let mut days: Vec<i64> = calendar
        .meetings
        .iter()
        .map(|meeting| meeting.start.timestamp())
        .filter(|start| (low..high).contains(start))
        .filter_map(|start| zone.local_day(start))
        .collect();
    days.sort_unstable();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    days.chunk_by(|a, b| a == b)
        .filter(|same_day| same_day.len() >= limit)
        .filter_map(|same_day| {
            let day = same_day[0];
            let start = zone.resolve(day * DAY, Edge::Start)?;
            let end = zone.resolve((day + 1) * DAY, Edge::Start)?;
            Some((start, end))
        })
        .collect()
}

/// `spans` minus the starts inside `days` (sorted, disjoint).
fn without_days(spans: Vec<StartSpan>, days: &[(i64, i64)]) -> Vec<StartSpan> {
    if days.is_empty() {
        return spans;
    }
    let mut kept = Vec::with_capacity(spans.len());
    let mut next_day = 0;
    for span in spans {
        while days.get(next_day).is_some_and(|&(_, end)| end <= span.from) {
            next_day += 1;
        }
        let mut from = span.from;
        for &(start, end) in &days[next_day..] {
            if start >= span.to || from >= span.to {
                break;
            }
            if from < start {
                kept.push(StartSpan {
                    from,
                    to: start,
                    ..span
                });
            }
            from = from.max(end);
        }
        if from < span.to {
            kept.push(StartSpan { from, ..span });
        }
    }
    kept
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, LocalResult};
    use chrono_tz::{America, Asia, Australia, Europe, Pacific};
    use proptest::prelude::*;

    const LONG_AGO: &str = "2025-01-01T00:00:00Z";

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn range(start: &str, end: &str) -> TimeRange {
        TimeRange {
            start: NaiveTime::parse_from_str(start, "%H:%M").unwrap(),
            end: NaiveTime::parse_from_str(end, "%H:%M").unwrap(),
        }
    }

    fn minutes(count: i64) -> Duration {
        Duration::minutes(count)
    }

    fn rules(duration: i64, step: i64) -> MeetingRules {
        MeetingRules {
            duration: minutes(duration),
            step: minutes(step),
            buffer_before: Duration::zero(),
            buffer_after: Duration::zero(),
            min_notice: Duration::zero(),
            max_days_ahead: 1000,
            max_per_day_per_host: None,
        }
    }

    /// Hours only on `date`, as a date override over an empty week.
    fn only_on(tz: Tz, date: &str, ranges: &[(&str, &str)]) -> WorkingHours {
        let mut hours = WorkingHours {
            timezone: tz,
            weekly: Default::default(),
            overrides: BTreeMap::new(),
        };
        hours.overrides.insert(
            day(date),
            ranges
                .iter()
                .map(|&(start, end)| range(start, end))
                .collect(),
        );
        hours
    }

    fn calendar(host: &'static str, working_hours: WorkingHours) -> HostCalendar<&'static str> {
        HostCalendar {
            host,
            working_hours,
            busy: Vec::new(),
            meetings: Vec::new(),
        }
    }

    fn interval(start: &str, end: &str) -> Interval {
        Interval {
            start: at(start),
            end: at(end),
        }
    }

    fn local_day(tz: Tz, date: &str) -> Interval {
        window_for_dates(day(date), day(date), tz)
    }

    fn starts<H>(found: &Availability<H>) -> Vec<DateTime<Utc>> {
        found.slots().iter().map(|slot| slot.start).collect()
    }

    fn every(first: &str, minutes_apart: i64, count: i64) -> Vec<DateTime<Utc>> {
        (0..count)
            .map(|index| at(first) + minutes(minutes_apart * index))
            .collect()
    }

    fn collective(
        rules: &MeetingRules,
        hosts: &[HostCalendar<&'static str>],
        window: Interval,
    ) -> Vec<DateTime<Utc>> {
        starts(&available_slots(
            rules,
            HostMode::Collective,
            hosts,
            window,
            at(LONG_AGO),
        ))
    }

    #[test]
    fn starts_follow_the_local_quarter_hours_after_busy_time() {
        let mut host = calendar("ana", WorkingHours::standard(America::New_York));
        // 10:00–10:40 EST on Monday 2 March 2026.
        host.busy = vec![interval("2026-03-02T15:00:00Z", "2026-03-02T15:40:00Z")];
        let found = collective(
            &rules(30, 15),
            &[host],
            local_day(America::New_York, "2026-03-02"),
        );
        let mut expected = every("2026-03-02T14:00:00Z", 15, 3);
        expected.extend(every("2026-03-02T15:45:00Z", 15, 24));
        assert_eq!(found, expected);
        assert_eq!(found.last(), Some(&at("2026-03-02T21:30:00Z")));
    }

    #[test]
    fn new_york_spring_forward_skips_the_missing_hour_and_keeps_eight_office_hours() {
        let hours = only_on(
            America::New_York,
            "2026-03-08",
            &[("00:00", "06:00"), ("09:00", "17:00")],
        );
        let found = collective(
            &rules(60, 60),
            &[calendar("ana", hours)],
            local_day(America::New_York, "2026-03-08"),
        );
        let expected = vec![
            at("2026-03-08T05:00:00Z"), // 00:00 EST
            at("2026-03-08T06:00:00Z"), // 01:00 EST; 02:00 does not exist
            at("2026-03-08T07:00:00Z"), // 03:00 EDT
            at("2026-03-08T08:00:00Z"),
            at("2026-03-08T09:00:00Z"), // 05:00 EDT, the last hour before 06:00
            at("2026-03-08T13:00:00Z"), // 09:00 EDT
            at("2026-03-08T14:00:00Z"),
            at("2026-03-08T15:00:00Z"),
            at("2026-03-08T16:00:00Z"),
            at("2026-03-08T17:00:00Z"),
            at("2026-03-08T18:00:00Z"),
            at("2026-03-08T19:00:00Z"),
            at("2026-03-08T20:00:00Z"), // 16:00 EDT: 09:00–17:00 is 8 real hours
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn berlin_range_ending_inside_the_spring_gap_ends_where_the_gap_ends() {
        let hours = only_on(Europe::Berlin, "2026-03-29", &[("00:00", "02:30")]);
        let found = collective(
            &rules(30, 30),
            &[calendar("ana", hours)],
            local_day(Europe::Berlin, "2026-03-29"),
        );
        // 00:00 CET is 23:00Z; the clock jumps from 02:00 CET to 03:00 CEST at 01:00Z.
        assert_eq!(
            found,
            vec![
                at("2026-03-28T23:00:00Z"),
                at("2026-03-28T23:30:00Z"),
                at("2026-03-29T00:00:00Z"),
                at("2026-03-29T00:30:00Z"),
            ]
        );
    }

    #[test]
    fn berlin_range_starting_inside_the_spring_gap_starts_after_it_on_its_own_grid() {
        let hours = only_on(Europe::Berlin, "2026-03-29", &[("02:30", "05:00")]);
        let hosts = [calendar("ana", hours)];
        let window = local_day(Europe::Berlin, "2026-03-29");
        // The range runs 03:00–05:00 CEST (01:00Z–03:00Z); an hourly grid counts from 02:30.
        assert_eq!(
            collective(&rules(30, 60), &hosts, window),
            vec![at("2026-03-29T01:30:00Z"), at("2026-03-29T02:30:00Z")]
        );
        assert_eq!(
            collective(&rules(30, 30), &hosts, window),
            every("2026-03-29T01:00:00Z", 30, 4)
        );
    }

    #[test]
    fn berlin_repeated_autumn_hour_is_offered_in_both_passes() {
        let hours = only_on(Europe::Berlin, "2026-10-25", &[("01:00", "04:00")]);
        let found = collective(
            &rules(30, 30),
            &[calendar("ana", hours)],
            local_day(Europe::Berlin, "2026-10-25"),
        );
        // 01:00 CEST is 23:00Z; 02:00–03:00 runs twice (00:00Z and 01:00Z); 04:00 CET is 03:00Z.
        assert_eq!(found, every("2026-10-24T23:00:00Z", 30, 8));
    }

    #[test]
    fn ambiguous_range_end_takes_the_later_pass() {
        let hours = only_on(Europe::Berlin, "2026-10-25", &[("00:00", "02:30")]);
        let found = collective(
            &rules(30, 30),
            &[calendar("ana", hours)],
            local_day(Europe::Berlin, "2026-10-25"),
        );
        // 00:00 CEST is 22:00Z; the range ends at 02:30 CET, 01:30Z.
        assert_eq!(found, every("2026-10-24T22:00:00Z", 30, 7));
    }

    #[test]
    fn ambiguous_range_start_takes_the_earlier_pass() {
        let hours = only_on(Europe::Berlin, "2026-10-25", &[("02:30", "05:00")]);
        let found = collective(
            &rules(30, 60),
            &[calendar("ana", hours)],
            local_day(Europe::Berlin, "2026-10-25"),
        );
        // 02:30 CEST (00:30Z) to 05:00 CET (04:00Z); 02:00 CET is half a step off the grid.
        assert_eq!(
            found,
            vec![
                at("2026-10-25T00:30:00Z"),
                at("2026-10-25T01:30:00Z"),
                at("2026-10-25T02:30:00Z"),
                at("2026-10-25T03:30:00Z"),
            ]
        );
    }

    #[test]
    fn lord_howe_half_hour_fall_back_repeats_half_an_hour() {
        let hours = only_on(Australia::Lord_Howe, "2026-04-05", &[("00:00", "04:00")]);
        let found = collective(
            &rules(30, 30),
            &[calendar("ana", hours)],
            local_day(Australia::Lord_Howe, "2026-04-05"),
        );
        // 00:00 +11:00 is 13:00Z; at 15:00Z 02:00 +11:00 becomes 01:30 +10:30; 04:00 +10:30 is
        // 17:30Z: four and a half real hours.
        assert_eq!(found, every("2026-04-04T13:00:00Z", 30, 9));
    }

    #[test]
    fn lord_howe_half_hour_spring_forward_skips_a_grid_time() {
        let hours = only_on(Australia::Lord_Howe, "2026-10-04", &[("00:00", "04:00")]);
        let found = collective(
            &rules(60, 60),
            &[calendar("ana", hours)],
            local_day(Australia::Lord_Howe, "2026-10-04"),
        );
        // 00:00 +10:30 is 13:30Z; 02:00–02:30 does not exist; 03:00 +11:00 is 16:00Z.
        assert_eq!(
            found,
            vec![
                at("2026-10-03T13:30:00Z"),
                at("2026-10-03T14:30:00Z"),
                at("2026-10-03T16:00:00Z"),
            ]
        );
    }

    #[test]
    fn kolkata_host_seen_from_a_new_york_sunday() {
        let host = calendar("ana", WorkingHours::standard(Asia::Kolkata));
        // New York's Sunday 1 March ends at 05:00Z, 10:30 IST on Kolkata's Monday.
        let found = collective(
            &rules(30, 30),
            &[host],
            local_day(America::New_York, "2026-03-01"),
        );
        assert_eq!(
            found,
            vec![
                at("2026-03-02T03:30:00Z"),
                at("2026-03-02T04:00:00Z"),
                at("2026-03-02T04:30:00Z"),
            ]
        );
    }

    #[test]
    fn new_york_host_seen_from_a_kolkata_day() {
        let host = calendar("ana", WorkingHours::standard(America::New_York));
        // Kolkata's Monday ends at 18:30Z, 13:30 EST.
        let found = collective(
            &rules(60, 30),
            &[host],
            local_day(Asia::Kolkata, "2026-03-02"),
        );
        assert_eq!(found, every("2026-03-02T14:00:00Z", 30, 8));
    }

    #[test]
    fn havana_day_starting_in_a_midnight_gap_starts_at_one() {
        let hours = only_on(America::Havana, "2026-03-08", &[("00:00", "04:00")]);
        let window = local_day(America::Havana, "2026-03-08");
        assert_eq!(
            window,
            interval("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z")
        );
        assert_eq!(
            collective(&rules(60, 60), &[calendar("ana", hours)], window),
            vec![
                at("2026-03-08T05:00:00Z"),
                at("2026-03-08T06:00:00Z"),
                at("2026-03-08T07:00:00Z"),
            ]
        );
    }

    #[test]
    fn havana_day_with_a_repeated_midnight_hour_lasts_25_hours() {
        assert_eq!(
            local_day(America::Havana, "2026-11-01"),
            interval("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z")
        );
        let hours = only_on(America::Havana, "2026-11-01", &[("00:00", "01:00")]);
        let found = collective(
            &rules(30, 30),
            &[calendar("ana", hours)],
            local_day(America::Havana, "2026-11-01"),
        );
        // 00:00–01:00 CDT (04:00Z–05:00Z), then 00:00–01:00 CST (05:00Z–06:00Z).
        assert_eq!(found, every("2026-11-01T04:00:00Z", 30, 4));
    }

    #[test]
    fn fall_back_across_midnight_keeps_the_next_days_hours() {
        // St. John's fell back at 00:01 NDT on 7 November 2010 (02:31Z) to 23:01 NST on the
        // 6th, so 00:00 on the 7th read first at 02:30Z and again at 03:30Z.
        let hours = only_on(America::St_Johns, "2010-11-07", &[("00:00", "01:00")]);
        let mut rules = rules(15, 30);
        rules.max_days_ahead = 365;
        let found = available_slots(
            &rules,
            HostMode::Collective,
            &[calendar("ana", hours)],
            interval("2010-11-07T02:00:00Z", "2010-11-07T03:15:00Z"),
            at("2010-01-01T00:00:00Z"),
        );
        // The window closes at 23:45 NST on the 6th; 23:30 NST is a step before 00:00.
        assert_eq!(
            starts(&found),
            vec![at("2010-11-07T02:30:00Z"), at("2010-11-07T03:00:00Z")]
        );
    }

    #[test]
    fn windows_of_local_days_follow_each_zone() {
        let cases = [
            (
                Europe::Berlin,
                "2026-03-29",
                "2026-03-28T23:00:00Z",
                "2026-03-29T22:00:00Z",
            ),
            (
                Europe::Berlin,
                "2026-10-25",
                "2026-10-24T22:00:00Z",
                "2026-10-25T23:00:00Z",
            ),
            (
                Australia::Lord_Howe,
                "2026-04-05",
                "2026-04-04T13:00:00Z",
                "2026-04-05T13:30:00Z",
            ),
            (
                Australia::Lord_Howe,
                "2026-10-04",
                "2026-10-03T13:30:00Z",
                "2026-10-04T13:00:00Z",
            ),
            (
                Asia::Kolkata,
                "2026-03-02",
                "2026-03-01T18:30:00Z",
                "2026-03-02T18:30:00Z",
            ),
            (
                America::New_York,
                "2026-03-08",
                "2026-03-08T05:00:00Z",
                "2026-03-09T04:00:00Z",
            ),
        ];
        for (tz, date, start, end) in cases {
            assert_eq!(local_day(tz, date), interval(start, end), "{tz} {date}");
        }
    }

    #[test]
    fn auckland_monday_shows_on_a_los_angeles_sunday() {
        let host = calendar("ana", WorkingHours::standard(Pacific::Auckland));
        let rules = rules(60, 60);
        let hosts = [host];
        let sunday = local_day(America::Los_Angeles, "2026-01-11");
        assert_eq!(
            sunday,
            interval("2026-01-11T08:00:00Z", "2026-01-12T08:00:00Z")
        );
        // 09:00–17:00 NZDT on Monday 12 January is 20:00Z–04:00Z, 12:00–20:00 PST on Sunday.
        assert_eq!(
            collective(&rules, &hosts, sunday),
            every("2026-01-11T20:00:00Z", 60, 8)
        );
        assert_eq!(
            collective(
                &rules,
                &hosts,
                local_day(America::Los_Angeles, "2026-01-15")
            ),
            every("2026-01-15T20:00:00Z", 60, 8)
        );
        assert!(collective(
            &rules,
            &hosts,
            local_day(America::Los_Angeles, "2026-01-16")
        )
        .is_empty());
    }

    #[test]
    fn buffers_keep_slots_clear_of_busy_time() {
        let mut host = calendar("ana", WorkingHours::standard(Europe::Berlin));
        // 10:00–11:00 CET.
        host.busy = vec![interval("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z")];
        let mut rules = rules(30, 15);
        rules.buffer_before = minutes(10);
        rules.buffer_after = minutes(10);
        let found = collective(
            &rules,
            &[host],
            interval("2026-03-02T08:00:00Z", "2026-03-02T11:00:00Z"),
        );
        assert_eq!(
            found,
            vec![
                at("2026-03-02T08:00:00Z"),
                at("2026-03-02T08:15:00Z"),
                at("2026-03-02T10:15:00Z"),
                at("2026-03-02T10:30:00Z"),
            ]
        );
    }

    #[test]
    fn notice_and_horizon_bound_the_starts() {
        let host = calendar("ana", WorkingHours::standard(Europe::Berlin));
        let mut rules = rules(30, 15);
        rules.min_notice = minutes(60);
        rules.max_days_ahead = 1;
        let found = available_slots(
            &rules,
            HostMode::Collective,
            &[host],
            window_for_dates(day("2026-03-02"), day("2026-03-03"), Europe::Berlin),
            at("2026-03-02T08:07:30Z"),
        );
        let mut expected = every("2026-03-02T09:15:00Z", 15, 26);
        expected.push(at("2026-03-03T08:00:00Z"));
        assert_eq!(starts(&found), expected);
    }

    #[test]
    fn sub_second_instants_are_handled_exactly() {
        let mut host = calendar("ana", WorkingHours::standard(Europe::Berlin));
        host.busy = vec![Interval {
            start: at("2026-03-02T08:59:59.999Z"),
            end: at("2026-03-02T09:30:00.001Z"),
        }];
        let found = available_slots(
            &rules(30, 30),
            HostMode::Collective,
            &[host],
            interval("2026-03-02T08:00:00Z", "2026-03-02T10:30:00.5Z"),
            at("2026-03-02T07:59:59.5Z"),
        );
        // 08:30 would end after the busy block starts; 09:30 would start before it ends.
        assert_eq!(
            starts(&found),
            vec![at("2026-03-02T08:00:00Z"), at("2026-03-02T10:00:00Z")]
        );
    }

    #[test]
    fn daily_limit_counts_meetings_on_the_hosts_local_date() {
        let mut host = calendar("ana", WorkingHours::standard(America::New_York));
        // 22:00 EST on Monday 2 March, already Tuesday in UTC.
        host.meetings = vec![interval("2026-03-03T03:00:00Z", "2026-03-03T03:30:00Z")];
        let mut rules = rules(60, 60);
        rules.max_per_day_per_host = Some(1);
        let found = collective(
            &rules,
            &[host],
            window_for_dates(day("2026-03-02"), day("2026-03-03"), America::New_York),
        );
        assert_eq!(found, every("2026-03-03T14:00:00Z", 60, 8));
    }

    #[test]
    fn date_overrides_replace_the_weekday() {
        let mut hours = WorkingHours::standard(Europe::Berlin);
        hours.overrides.insert(day("2026-03-02"), Vec::new());
        hours
            .overrides
            .insert(day("2026-03-07"), vec![range("10:00", "12:00")]);
        let found = collective(
            &rules(60, 60),
            &[calendar("ana", hours)],
            window_for_dates(day("2026-03-02"), day("2026-03-08"), Europe::Berlin),
        );
        let mut expected = Vec::new();
        for date in ["2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"] {
            expected.extend(every(&format!("{date}T08:00:00Z"), 60, 8));
        }
        expected.extend(every("2026-03-07T09:00:00Z", 60, 2));
        assert_eq!(found, expected);
    }

    #[test]
    fn touching_and_overnight_ranges_join_into_one() {
        let mut hours = only_on(Tz::UTC, "2026-03-02", &[("22:00", "00:00")]);
        hours
            .overrides
            .insert(day("2026-03-03"), vec![range("00:00", "01:00")]);
        let window = window_for_dates(day("2026-03-02"), day("2026-03-03"), Tz::UTC);
        assert_eq!(
            collective(&rules(60, 30), &[calendar("ana", hours)], window),
            every("2026-03-02T22:00:00Z", 30, 5)
        );

        let overnight = only_on(Tz::UTC, "2026-03-02", &[("22:00", "02:00")]);
        assert_eq!(
            collective(&rules(60, 30), &[calendar("ana", overnight)], window),
            every("2026-03-02T22:00:00Z", 30, 7)
        );
    }

    #[test]
    fn overlapping_ranges_give_no_duplicate_slots() {
        let hours = only_on(
            Tz::UTC,
            "2026-03-02",
            &[("10:00", "11:00"), ("09:00", "12:00")],
        );
        let found = collective(
            &rules(60, 60),
            &[calendar("ana", hours)],
            local_day(Tz::UTC, "2026-03-02"),
        );
        assert_eq!(found, every("2026-03-02T09:00:00Z", 60, 3));
    }

    #[test]
    fn collective_slots_need_every_host() {
        let hosts = [
            calendar("berlin", WorkingHours::standard(Europe::Berlin)),
            calendar("new-york", WorkingHours::standard(America::New_York)),
        ];
        let found = available_slots(
            &rules(30, 15),
            HostMode::Collective,
            &hosts,
            local_day(Tz::UTC, "2026-03-02"),
            at(LONG_AGO),
        );
        // 09:00–17:00 CET is 08:00Z–16:00Z; 09:00–17:00 EST is 14:00Z–22:00Z.
        assert_eq!(starts(&found), every("2026-03-02T14:00:00Z", 15, 7));
        assert!(found
            .slots()
            .iter()
            .all(|slot| found.hosts(slot.hosts).eq(&["berlin", "new-york"])));
    }

    #[test]
    fn round_robin_lists_every_free_host() {
        let hosts = [
            calendar("berlin", WorkingHours::standard(Europe::Berlin)),
            calendar("kolkata", WorkingHours::standard(Asia::Kolkata)),
        ];
        let found = available_slots(
            &rules(60, 60),
            HostMode::RoundRobin,
            &hosts,
            local_day(Tz::UTC, "2026-03-02"),
            at(LONG_AGO),
        );
        let listed: Vec<(DateTime<Utc>, Vec<&str>)> = found
            .slots()
            .iter()
            .map(|slot| (slot.start, found.hosts(slot.hosts).copied().collect()))
            .collect();
        let kolkata = vec!["kolkata"];
        let both = vec!["berlin", "kolkata"];
        let berlin = vec!["berlin"];
        // Kolkata's grid is on the half hour in UTC (03:30Z–11:30Z), Berlin's on the hour
        // (08:00Z–16:00Z); a host free for a start is listed whoever's grid it is on.
        let expected = vec![
            (at("2026-03-02T03:30:00Z"), kolkata.clone()),
            (at("2026-03-02T04:30:00Z"), kolkata.clone()),
            (at("2026-03-02T05:30:00Z"), kolkata.clone()),
            (at("2026-03-02T06:30:00Z"), kolkata.clone()),
            (at("2026-03-02T07:30:00Z"), kolkata),
            (at("2026-03-02T08:00:00Z"), both.clone()),
            (at("2026-03-02T08:30:00Z"), both.clone()),
            (at("2026-03-02T09:00:00Z"), both.clone()),
            (at("2026-03-02T09:30:00Z"), both.clone()),
            (at("2026-03-02T10:00:00Z"), both.clone()),
            (at("2026-03-02T10:30:00Z"), both),
            (at("2026-03-02T11:00:00Z"), berlin.clone()),
            (at("2026-03-02T12:00:00Z"), berlin.clone()),
            (at("2026-03-02T13:00:00Z"), berlin.clone()),
            (at("2026-03-02T14:00:00Z"), berlin.clone()),
            (at("2026-03-02T15:00:00Z"), berlin),
        ];
        assert_eq!(listed, expected);
        assert!(found
            .slots()
            .iter()
            .all(|slot| slot.end - slot.start == minutes(60)));
        let eleven = found.slot_starting_at(at("2026-03-02T11:00:00Z")).unwrap();
        assert!(found.hosts(eleven.hosts).eq(&["berlin"]));
        assert_eq!(found.slot_starting_at(at("2026-03-02T11:30:00Z")), None);
    }

    #[test]
    fn round_robin_tracks_more_hosts_than_one_word_holds() {
        let hosts: Vec<HostCalendar<usize>> = (0..70)
            .map(|host| HostCalendar {
                host,
                working_hours: WorkingHours::standard(Tz::UTC),
                // Even hosts are busy from 09:00 to 10:00, host 69 from 10:00 to 11:00.
                busy: match host {
                    69 => vec![interval("2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z")],
                    even if even % 2 == 0 => {
                        vec![interval("2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z")]
                    }
                    _ => Vec::new(),
                },
                meetings: Vec::new(),
            })
            .collect();
        let found = available_slots(
            &rules(60, 60),
            HostMode::RoundRobin,
            &hosts,
            interval("2026-03-02T09:00:00Z", "2026-03-02T12:00:00Z"),
            at(LONG_AGO),
        );
        let listed: Vec<Vec<usize>> = found
            .slots()
            .iter()
            .map(|slot| found.hosts(slot.hosts).copied().collect())
            .collect();
        let odd: Vec<usize> = (1..70).step_by(2).collect();
        let all_but_last: Vec<usize> = (0..69).collect();
        let everyone: Vec<usize> = (0..70).collect();
        assert_eq!(listed, vec![odd, all_but_last, everyone]);
    }

    #[test]
    fn nothing_to_offer_yields_no_slots() {
        let hosts = [calendar("ana", WorkingHours::standard(Europe::Berlin))];
        let day = local_day(Europe::Berlin, "2026-03-02");
        let reversed = Interval {
            start: day.end,
            end: day.start,
        };
        let with = |change: fn(&mut MeetingRules)| {
            let mut rules = rules(30, 15);
            change(&mut rules);
            rules
        };
        let cases: [(&str, MeetingRules, &[HostCalendar<&str>], Interval); 6] = [
            (
                "zero duration",
                with(|rules| rules.duration = Duration::zero()),
                &hosts,
                day,
            ),
            (
                "negative step",
                with(|rules| rules.step = minutes(-15)),
                &hosts,
                day,
            ),
            ("no hosts", with(|_| ()), &[], day),
            ("reversed window", with(|_| ()), &hosts, reversed),
            (
                "no meetings a day",
                with(|rules| rules.max_per_day_per_host = Some(0)),
                &hosts,
                day,
            ),
            (
                "no days ahead",
                with(|rules| rules.max_days_ahead = 0),
                &hosts,
                day,
            ),
        ];
        for (case, rules, hosts, window) in cases {
            for mode in [HostMode::Collective, HostMode::RoundRobin] {
                let found = available_slots(&rules, mode, hosts, window, at(LONG_AGO));
                assert!(found.is_empty(), "{case}, {mode:?}");
            }
        }
    }

    #[test]
    fn booking_windows_are_capped_at_62_days() {
        let from = day("2026-03-01");
        assert_eq!(
            booking_window(from, day("2026-05-01"), Europe::Berlin),
            Ok(interval("2026-02-28T23:00:00Z", "2026-05-01T22:00:00Z"))
        );
        assert_eq!(
            booking_window(from, day("2026-05-02"), Europe::Berlin),
            Err(WindowError::TooLong { days: 63 })
        );
        assert_eq!(
            booking_window(from, day("2026-02-28"), Europe::Berlin),
            Err(WindowError::Reversed {
                from,
                to: day("2026-02-28")
            })
        );
        let reversed = window_for_dates(from, day("2026-02-28"), Europe::Berlin);
        assert_eq!(reversed.start, reversed.end);
    }

    #[test]
    fn bad_working_hours_are_refused_with_the_reason() {
        let pair = |start: &str, end: &str| [start.to_owned(), end.to_owned()];
        let cases = [
            (
                vec![pair("9:00", "17:00")],
                "mon: `9:00` is not a time of day in HH:MM form",
            ),
            (
                vec![pair("09:00", "17:60")],
                "mon: `17:60` is not a time of day in HH:MM form",
            ),
            (
                vec![pair("24:00", "24:00")],
                "mon: `24:00` is not a time of day in HH:MM form",
            ),
            (
                vec![pair("09:00", "24:01")],
                "mon: `24:01` is not a time of day in HH:MM form",
            ),
            (
                vec![pair("09:0a", "17:00")],
                "mon: `09:0a` is not a time of day in HH:MM form",
            ),
            (
                vec![pair("17:00", "09:00")],
                "mon: 17:00–09:00 does not end after it starts",
            ),
            (
                vec![pair("09:00", "09:00")],
                "mon: 09:00–09:00 does not end after it starts",
            ),
            (
                vec![pair("12:00", "17:00"), pair("09:00", "12:30")],
                "mon: 09:00–12:30 overlaps 12:00–17:00",
            ),
        ];
        for (ranges, message) in cases {
            let refused = parse_ranges("mon", &ranges).unwrap_err();
            assert_eq!(refused.to_string(), message);
        }
        assert_eq!(
            parse_ranges(
                "2026-12-24",
                &[pair("09:00", "12:00"), pair("12:00", "13:00")]
            ),
            Ok(vec![range("09:00", "12:00"), range("12:00", "13:00")])
        );
    }

    #[test]
    fn standard_hours_are_weekdays_nine_to_five() {
        let hours = WorkingHours::standard(Asia::Kolkata);
        for weekday in 0..5 {
            assert_eq!(hours.weekly[weekday], vec![range("09:00", "17:00")]);
        }
        assert!(hours.weekly[5].is_empty() && hours.weekly[6].is_empty());
    }

    #[test]
    fn round_robin_host_is_the_least_loaded_then_the_longest_idle() {
        let load = |host: &'static str, meetings: u32, last: Option<&str>| HostLoad {
            host,
            meetings_last_30_days: meetings,
            last_meeting_end: last.map(at),
        };
        let stats = [
            load("ana", 3, Some("2026-03-01T10:00:00Z")),
            load("ben", 2, Some("2026-03-02T10:00:00Z")),
            load("cy", 2, Some("2026-02-20T10:00:00Z")),
            load("dee", 2, None),
            load("eve", 2, None),
        ];
        let cases: [(&[&str], Option<&str>); 6] = [
            (&["ana", "ben"], Some("ben")),
            (&["ana", "ben", "cy"], Some("cy")),
            (&["ben", "cy", "eve", "dee"], Some("dee")),
            (&["ana", "zed"], Some("zed")),
            (&["ana"], Some("ana")),
            (&[], None),
        ];
        for (candidates, chosen) in cases {
            assert_eq!(
                choose_round_robin_host(candidates, &stats),
                chosen,
                "{candidates:?}"
            );
        }
    }

    // Property tests. The model below is written independently of the engine: it walks each
    // working range's wall clock step by step, resolves every reading through chrono-tz (a gap
    // end found by scanning minutes), and checks every rule by brute force.

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
    struct Scenario {
        rules: MeetingRules,
        hosts: Vec<HostCalendar<usize>>,
        window: Interval,
        now: DateTime<Utc>,
    }

    impl Scenario {
        fn slots(&self, mode: HostMode) -> Availability<usize> {
            available_slots(&self.rules, mode, &self.hosts, self.window, self.now)
        }

        fn slots_of(&self, host: &HostCalendar<usize>) -> Vec<DateTime<Utc>> {
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
        prop::collection::vec((-DAY..7 * DAY, -600i64..4 * 3600), 0..=count).prop_map(
            move |spans| {
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
            },
        )
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
    fn scenario(max_hosts: usize, shared_grid: bool) -> impl Strategy<Value = Scenario> {
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

    fn any_mode() -> impl Strategy<Value = HostMode> {
        prop_oneof![Just(HostMode::Collective), Just(HostMode::RoundRobin)]
    }

    struct ModelRange {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        anchor: NaiveDateTime,
    }

    fn model_instant(tz: Tz, local: NaiveDateTime, earliest: bool) -> Option<DateTime<Utc>> {
        let in_utc = |instant: DateTime<Tz>| instant.with_timezone(&Utc);
        match tz.from_local_datetime(&local) {
            LocalResult::Single(instant) => Some(in_utc(instant)),
            LocalResult::Ambiguous(first, second) => {
                let (first, second) = (in_utc(first), in_utc(second));
                Some(if earliest {
                    first.min(second)
                } else {
                    first.max(second)
                })
            }
            LocalResult::None => (1..=24 * 60)
                .find_map(|minute| {
                    tz.from_local_datetime(&(local + minutes(minute)))
                        .earliest()
                })
                .map(in_utc),
        }
    }

    fn model_ranges(hours: &WorkingHours, window: Interval) -> Vec<ModelRange> {
        let tz = hours.timezone;
        let first = (window.start - Duration::days(3))
            .with_timezone(&tz)
            .date_naive();
        let last = (window.end + Duration::days(3))
            .with_timezone(&tz)
            .date_naive();
        let mut found = Vec::new();
        for date in first.iter_days().take_while(|date| *date <= last) {
            let weekday = date.weekday().num_days_from_monday() as usize;
            let ranges = hours.overrides.get(&date).unwrap_or(&hours.weekly[weekday]);
            for range in ranges {
                let anchor = date.and_time(range.start);
                let end_date = if range.end <= range.start {
                    date.succ_opt().unwrap()
                } else {
                    date
                };
                let start = model_instant(tz, anchor, true).unwrap();
                let end = model_instant(tz, end_date.and_time(range.end), false).unwrap();
                if start < end {
                    found.push(ModelRange { start, end, anchor });
                }
            }
        }
        found.sort_by_key(|range| (range.start, range.anchor));
        let mut joined: Vec<ModelRange> = Vec::new();
        for range in found {
            match joined.last_mut() {
                Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => joined.push(range),
            }
        }
        joined
    }

    fn model_grid(tz: Tz, range: &ModelRange, step: Duration) -> Vec<DateTime<Utc>> {
        let last_wall = range.end.with_timezone(&tz).naive_local() + Duration::hours(3);
        let mut wall = range.anchor - step * (180 / step.num_minutes() as i32 + 1);
        let mut found = Vec::new();
        while wall <= last_wall {
            let readings: Vec<DateTime<Utc>> = match tz.from_local_datetime(&wall) {
                LocalResult::Single(instant) => vec![instant.with_timezone(&Utc)],
                LocalResult::Ambiguous(first, second) => {
                    vec![first.with_timezone(&Utc), second.with_timezone(&Utc)]
                }
                LocalResult::None => Vec::new(),
            };
            found.extend(
                readings
                    .into_iter()
                    .filter(|instant| range.start <= *instant && *instant < range.end),
            );
            wall += step;
        }
        found
    }

    fn model_bookable(
        host: &HostCalendar<usize>,
        ranges: &[ModelRange],
        scenario: &Scenario,
        start: DateTime<Utc>,
    ) -> bool {
        let rules = &scenario.rules;
        let tz = host.working_hours.timezone;
        let end = start + rules.duration;
        let inside = ranges
            .iter()
            .any(|range| range.start <= start && end <= range.end);
        let clear = host
            .busy
            .iter()
            .chain(&host.meetings)
            .filter(|busy| busy.start < busy.end)
            .all(|busy| {
                !(start - rules.buffer_before < busy.end && end + rules.buffer_after > busy.start)
            });
        let noticed = start >= scenario.now + rules.min_notice;
        let in_horizon = start < scenario.now + Duration::days(i64::from(rules.max_days_ahead));
        let in_window = scenario.window.start <= start && end <= scenario.window.end;
        let under_limit = rules.max_per_day_per_host.is_none_or(|limit| {
            let date = start.with_timezone(&tz).date_naive();
            let held = host
                .meetings
                .iter()
                .filter(|meeting| meeting.start.with_timezone(&tz).date_naive() == date)
                .count();
            held < limit as usize
        });
        inside && clear && noticed && in_horizon && in_window && under_limit
    }

    /// The model's starts for `grid_host`'s grid, bookable for every one of `hosts`.
    fn model_starts(
        scenario: &Scenario,
        grid_host: &HostCalendar<usize>,
        hosts: &[HostCalendar<usize>],
    ) -> Vec<DateTime<Utc>> {
        let tz = grid_host.working_hours.timezone;
        let ranges_of: Vec<Vec<ModelRange>> = hosts
            .iter()
            .map(|host| model_ranges(&host.working_hours, scenario.window))
            .collect();
        let mut found: Vec<DateTime<Utc>> = model_ranges(&grid_host.working_hours, scenario.window)
            .iter()
            .flat_map(|range| model_grid(tz, range, scenario.rules.step))
            .filter(|&start| {
                hosts
                    .iter()
                    .zip(&ranges_of)
                    .all(|(host, ranges)| model_bookable(host, ranges, scenario, start))
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }

    fn assert_sorted_without_duplicates<H>(found: &Availability<H>) {
        let slots = found.slots();
        assert!(slots.windows(2).all(|pair| pair[0].start < pair[1].start));
    }

    fn shuffled<T>(mut items: Vec<T>, mut seed: u64) -> Vec<T> {
        for last in (1..items.len()).rev() {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            items.swap(last, (seed >> 33) as usize % (last + 1));
        }
        items
    }

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
                        let found = available_slots(
                            rules,
                            HostMode::RoundRobin,
                            hosts,
                            *window,
                            at(LONG_AGO),
                        );
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
}
