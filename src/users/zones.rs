//! The time zones people pick from: the canonical IANA names (no deprecated aliases), each
//! with its offset from UTC at the moment.

use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;

const CANONICAL_ZONES: &str = include_str!("time_zones.txt");

/// One zone as the picker offers it.
#[derive(Debug, Clone)]
pub struct ZoneChoice {
    pub name: &'static str,
    /// `UTC+01:00` at the moment of listing.
    pub offset: String,
}

/// The zone's offset from UTC at `now`, as `UTC+05:30`.
pub fn utc_offset(zone: Tz, now: DateTime<Utc>) -> String {
    let seconds = offset_seconds(zone, now);
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The zone's offset from UTC at `now` as people write it: `UTC+1`, `UTC+5:30`, `UTC−3:30`,
/// `UTC`.
pub fn short_utc_offset(zone: Tz, now: DateTime<Utc>) -> String {
    let seconds = offset_seconds(zone, now);
    if seconds == 0 {
        return "UTC".to_owned();
    }
    let sign = if seconds < 0 { '\u{2212}' } else { '+' };
    let minutes = seconds.abs() / 60;
    match minutes % 60 {
        0 => format!("UTC{sign}{}", minutes / 60),
        rest => format!("UTC{sign}{}:{rest:02}", minutes / 60),
    }
}

fn offset_seconds(zone: Tz, now: DateTime<Utc>) -> i32 {
    now.with_timezone(&zone).offset().fix().local_minus_utc()
}

/// Every canonical zone, by name.
pub fn canonical() -> impl Iterator<Item = (&'static str, Tz)> {
    CANONICAL_ZONES
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|name| Some((name, name.parse().ok()?)))
}

/// Every canonical zone with its offset at `now`.
pub fn choices(now: DateTime<Utc>) -> Vec<ZoneChoice> {
    canonical()
        .map(|(name, zone)| ZoneChoice {
            name,
            offset: utc_offset(zone, now),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_listed_zone_is_known_and_aliases_are_left_out() {
        let now = Utc.with_ymd_and_hms(2026, 12, 8, 12, 0, 0).unwrap();
        let listed = CANONICAL_ZONES
            .lines()
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .count();
        let zones = choices(now);
        assert_eq!(zones.len(), listed);
        assert!(zones.len() > 300);
        let names: Vec<&str> = zones.iter().map(|zone| zone.name).collect();
        assert!(names.contains(&"Europe/Berlin"));
        assert!(names.contains(&"Europe/Kyiv"));
        for alias in ["US/Eastern", "Asia/Calcutta", "Europe/Kiev", "GMT"] {
            assert!(!names.contains(&alias), "{alias} is an alias");
        }
    }

    #[test]
    fn offsets_follow_daylight_saving_and_half_hours() {
        let winter = Utc.with_ymd_and_hms(2026, 12, 8, 12, 0, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 7, 8, 12, 0, 0).unwrap();
        assert_eq!(utc_offset(chrono_tz::Europe::Berlin, winter), "UTC+01:00");
        assert_eq!(utc_offset(chrono_tz::Europe::Berlin, summer), "UTC+02:00");
        assert_eq!(utc_offset(chrono_tz::Asia::Kolkata, winter), "UTC+05:30");
        assert_eq!(
            utc_offset(chrono_tz::America::St_Johns, winter),
            "UTC-03:30"
        );
        assert_eq!(utc_offset(chrono_tz::UTC, winter), "UTC+00:00");
        assert_eq!(short_utc_offset(chrono_tz::Europe::Berlin, winter), "UTC+1");
        assert_eq!(
            short_utc_offset(chrono_tz::Asia::Kolkata, winter),
            "UTC+5:30"
        );
        assert_eq!(
            short_utc_offset(chrono_tz::America::St_Johns, winter),
            "UTC\u{2212}3:30"
        );
        assert_eq!(short_utc_offset(chrono_tz::UTC, summer), "UTC");
    }
}
