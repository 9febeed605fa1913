//! Working hours: a host's weekly wall-clock ranges and date overrides, and checking the ranges
//! people type.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use thiserror::Error;

const MINUTES_PER_DAY: u32 = 24 * 60;

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
    pub(super) fn ranges_on(&self, day: i64) -> &[TimeRange] {
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

pub(super) fn wall_time(minute_of_day: u32) -> NaiveTime {
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

/// The calendar date `day` days after 1970-01-01.
fn date_of_day(day: i64) -> Option<NaiveDate> {
    const DAYS_BEFORE_1970: i64 = 719_163;
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day + DAYS_BEFORE_1970).ok()?)
}
