//! The answer to a request: bookable slots, the groups of hosts that can take them, and the
//! clock that turns grid seconds into slot instants.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::DAY;

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
    pub(super) slots: Vec<Slot>,
    /// The request's hosts, in input order.
    hosts: Vec<H>,
    /// Each group as one bit per host, `words` words per group.
    groups: Vec<u64>,
    pub(super) words: usize,
}

impl<H> Availability<H> {
    pub(super) fn new(hosts: Vec<H>, slots: usize) -> Self {
        Availability {
            slots: Vec::with_capacity(slots),
            words: hosts.len().div_ceil(64).max(1),
            hosts,
            groups: Vec::new(),
        }
    }

    pub(super) fn add_group(&mut self, members: &[u64]) -> HostGroup {
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

/// Turns second counts into slot instants. Slots arrive in time order, so the calendar date of
/// the current UTC day is kept and moved forward only when a slot falls outside that day.
pub(super) struct SlotClock {
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
    pub(super) fn new(duration: i64) -> Self {
        SlotClock {
            duration,
            start_day: CachedDay::default(),
            end_day: CachedDay::default(),
        }
    }

    #[inline(always)]
    pub(super) fn slot(&mut self, start: i64) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
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
