//! Booking windows: local days in each zone, and the cap on their length.

use chrono_tz::{America, Asia, Australia, Europe};

use super::*;

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
