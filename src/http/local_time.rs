//! Instants as the person reading a page sees them: in their own zone, with the zone named, and
//! how far they are from now.

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

use crate::values::TimeZone;

/// Anything a page shows as a moment; stored instants are naive UTC.
pub trait Moment {
    fn utc(&self) -> Option<DateTime<Utc>>;
}

impl Moment for DateTime<Utc> {
    fn utc(&self) -> Option<DateTime<Utc>> {
        Some(*self)
    }
}

impl Moment for NaiveDateTime {
    fn utc(&self) -> Option<DateTime<Utc>> {
        Some(self.and_utc())
    }
}

/// An RFC 3339 instant, as the API views carry them.
impl Moment for String {
    fn utc(&self) -> Option<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(self)
            .ok()
            .map(|at| at.with_timezone(&Utc))
    }
}

impl<T: Moment> Moment for &T {
    fn utc(&self) -> Option<DateTime<Utc>> {
        (*self).utc()
    }
}

/// Who is reading, for times: their zone and the current instant.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    zone: TimeZone,
    now: DateTime<Utc>,
}

impl Viewer {
    pub fn new(zone: TimeZone, now: DateTime<Utc>) -> Self {
        Self { zone, now }
    }

    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }

    /// `Mon 7 Dec, 14:30 CET`, with the year when it is not this year's.
    pub fn local(&self, at: impl Moment) -> String {
        let Some(at) = at.utc() else {
            return String::new();
        };
        let local = at.with_timezone(&self.zone.tz());
        let this_year = self.now.with_timezone(&self.zone.tz()).year();
        let pattern = if local.year() == this_year {
            "%a %-d %b, %H:%M %Z"
        } else {
            "%a %-d %b %Y, %H:%M %Z"
        };
        local.format(pattern).to_string()
    }

    /// How far from now, coarsely: `just now`, `in 5 min`, `3 h ago`, `in 2 d`.
    pub fn relative(&self, at: impl Moment) -> String {
        let Some(at) = at.utc() else {
            return String::new();
        };
        let seconds = (at - self.now).num_seconds();
        let distance = seconds.unsigned_abs();
        let amount = match distance {
            0..=59 => return "just now".to_owned(),
            60..=3_599 => format!("{} min", distance / 60),
            3_600..=172_799 => format!("{} h", distance / 3_600),
            _ => format!("{} d", distance / 86_400),
        };
        if seconds > 0 {
            format!("in {amount}")
        } else {
            format!("{amount} ago")
        }
    }

    /// The instant in UTC for a `<time datetime>` attribute.
    pub fn machine(&self, at: impl Moment) -> String {
        at.utc()
            .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn viewer(zone: &str) -> Viewer {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
        Viewer::new(TimeZone::parse(zone).unwrap(), now)
    }

    #[test]
    fn local_times_carry_the_viewers_zone_and_its_daylight_saving() {
        let winter = Utc.with_ymd_and_hms(2026, 12, 7, 13, 30, 0).unwrap();
        assert_eq!(
            viewer("Europe/Berlin").local(winter),
            "Mon 7 Dec, 14:30 CET"
        );
        let summer = Utc.with_ymd_and_hms(2026, 7, 7, 13, 30, 0).unwrap();
        assert_eq!(
            viewer("Europe/Berlin").local(summer),
            "Tue 7 Jul, 15:30 CEST"
        );
        assert_eq!(
            viewer("America/Los_Angeles").local(winter),
            "Mon 7 Dec, 05:30 PST"
        );
    }

    #[test]
    fn another_years_time_names_its_year_in_the_viewers_calendar() {
        let new_year_in_tokyo = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(
            viewer("Asia/Tokyo").local(new_year_in_tokyo),
            "Fri 1 Jan 2027, 01:00 JST"
        );
        assert_eq!(
            viewer("UTC").local(new_year_in_tokyo),
            "Thu 31 Dec, 16:00 UTC"
        );
    }

    #[test]
    fn relative_times_round_down_to_their_unit() {
        let v = viewer("UTC");
        let at = |minutes: i64| v.now + chrono::Duration::minutes(minutes);
        assert_eq!(v.relative(at(0)), "just now");
        assert_eq!(v.relative(at(5)), "in 5 min");
        assert_eq!(v.relative(at(-59)), "59 min ago");
        assert_eq!(v.relative(at(-180)), "3 h ago");
        assert_eq!(v.relative(at(47 * 60)), "in 47 h");
        assert_eq!(v.relative(at(2 * 24 * 60 + 30)), "in 2 d");
    }

    #[test]
    fn stored_and_api_instants_read_the_same_and_garbage_reads_as_nothing() {
        let v = viewer("Europe/Berlin");
        let naive = Utc
            .with_ymd_and_hms(2026, 12, 7, 13, 30, 0)
            .unwrap()
            .naive_utc();
        let text = "2026-12-07T13:30:00Z".to_owned();
        assert_eq!(v.local(naive), v.local(&text));
        assert_eq!(v.machine(naive), text);
        assert_eq!(v.local("not a time".to_owned()), "");
    }
}
