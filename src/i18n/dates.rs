//! Dates and times as a language writes them. The names (weekdays, months), the order of a
//! date's parts and whether the clock has 12 or 24 hours all come from the catalogue, so a new
//! language brings its own. Every function takes a local date or time already in the
//! prospect's zone.

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};

use crate::i18n::Texts;
use crate::values::TimeZone;

impl Texts {
    /// "Tuesday" (`weekday-2`).
    pub fn weekday_name(&self, weekday: Weekday) -> String {
        self.get(&format!("weekday-{}", weekday.number_from_monday()))
    }

    /// "Tue" (`weekday-short-2`), for a calendar's column head.
    pub fn weekday_short_name(&self, weekday: Weekday) -> String {
        self.get(&format!("weekday-short-{}", weekday.number_from_monday()))
    }

    /// The short weekday names, Monday first, for a calendar's header row.
    pub fn weekday_short_names(&self) -> Vec<String> {
        std::iter::successors(Some(Weekday::Mon), |day| Some(day.succ()))
            .take(7)
            .map(|day| self.weekday_short_name(day))
            .collect()
    }

    /// "December" (`month-12`).
    pub fn month_name(&self, month: u32) -> String {
        self.get(&format!("month-{month}"))
    }

    /// "Tuesday 8 December 2026".
    pub fn format_date_long(&self, date: &impl Datelike) -> String {
        self.get_with(
            "date-long",
            &[
                ("weekday", &self.weekday_name(date.weekday())),
                ("day", &date.day().to_string()),
                ("month", &self.month_name(date.month())),
                ("year", &date.year().to_string()),
            ],
        )
    }

    /// "Tue 8 Dec", for a day's heading among others.
    pub fn format_day_short(&self, date: &impl Datelike) -> String {
        self.get_with(
            "date-short",
            &[
                ("weekday", &self.weekday_short_name(date.weekday())),
                ("day", &date.day().to_string()),
                ("month", &self.get(&format!("month-short-{}", date.month()))),
            ],
        )
    }

    /// "December 2026", for a month calendar's title.
    pub fn format_month_year(&self, date: &impl Datelike) -> String {
        self.get_with(
            "month-year",
            &[
                ("month", &self.month_name(date.month())),
                ("year", &date.year().to_string()),
            ],
        )
    }

    /// "2:30 pm" or "14:30", as the catalogue's `clock` (`12h` or `24h`) says.
    pub fn format_time(&self, time: &impl Timelike) -> String {
        let minute = format!("{:02}", time.minute());
        if self.get("clock") == "12h" {
            let (pm, hour) = time.hour12();
            let key = if pm { "time-pm" } else { "time-am" };
            self.get_with(key, &[("hour", &hour.to_string()), ("minute", &minute)])
        } else {
            let hour = format!("{:02}", time.hour());
            self.get_with("time-24h", &[("hour", &hour), ("minute", &minute)])
        }
    }

    /// A meeting's time for the prospect: "Tuesday 8 December 2026, 2:00 pm–2:30 pm
    /// Europe/Berlin (UTC+01:00)"; an end on a later day names that day too.
    pub fn format_meeting_time(
        &self,
        zone: TimeZone,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> String {
        let start = start.with_timezone(&zone.tz());
        let end = end.with_timezone(&zone.tz());
        let end_text = if end.date_naive() == start.date_naive() {
            self.format_time(&end)
        } else {
            self.get_with(
                "day-and-time",
                &[
                    ("day", &self.format_day_short(&end)),
                    ("time", &self.format_time(&end)),
                ],
            )
        };
        self.get_with(
            "meeting-time",
            &[
                ("date", &self.format_date_long(&start)),
                ("start", &self.format_time(&start)),
                ("end", &end_text),
                ("zone", zone.name()),
                ("offset", &start.format("%:z").to_string()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate, TimeZone as _};

    use super::*;
    use crate::i18n::Language;

    fn texts(code: &str) -> Texts {
        Texts::new(Language::supported(code).unwrap())
    }

    fn tuesday() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
    }

    #[test]
    fn long_dates_follow_each_language() {
        assert_eq!(
            texts("en").format_date_long(&tuesday()),
            "Tuesday 8 December 2026"
        );
        assert_eq!(
            texts("vi").format_date_long(&tuesday()),
            "Thứ Ba, 8 tháng 12, 2026"
        );
        assert_eq!(
            texts("km").format_date_long(&tuesday()),
            "ថ្ងៃអង្គារ ទី8 ខែធ្នូ ឆ្នាំ2026"
        );
    }

    #[test]
    fn short_days_and_month_titles() {
        assert_eq!(texts("en").format_day_short(&tuesday()), "Tue 8 Dec");
        assert_eq!(texts("vi").format_day_short(&tuesday()), "Th 3, 8 thg 12");
        assert_eq!(texts("km").format_day_short(&tuesday()), "អង្គារ 8 ធ្នូ");
        assert_eq!(texts("en").format_month_year(&tuesday()), "December 2026");
        assert_eq!(
            texts("vi").format_month_year(&tuesday()),
            "tháng 12 năm 2026"
        );
        assert_eq!(texts("km").format_month_year(&tuesday()), "ខែធ្នូ ឆ្នាំ2026");
    }

    #[test]
    fn calendar_headers_start_on_monday() {
        assert_eq!(
            texts("en").weekday_short_names(),
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        );
        assert_eq!(texts("vi").weekday_short_names()[6], "CN");
        assert_eq!(texts("km").weekday_short_names().len(), 7);
    }

    #[test]
    fn english_and_khmer_use_twelve_hours_vietnamese_twenty_four() {
        let afternoon = tuesday().and_hms_opt(14, 30, 0).unwrap();
        let morning = tuesday().and_hms_opt(9, 5, 0).unwrap();
        let midnight = tuesday().and_hms_opt(0, 0, 0).unwrap();
        assert_eq!(texts("en").format_time(&afternoon), "2:30 pm");
        assert_eq!(texts("en").format_time(&morning), "9:05 am");
        assert_eq!(texts("en").format_time(&midnight), "12:00 am");
        assert_eq!(texts("vi").format_time(&afternoon), "14:30");
        assert_eq!(texts("vi").format_time(&morning), "09:05");
        assert_eq!(texts("km").format_time(&afternoon), "2:30 PM");
    }

    #[test]
    fn a_time_on_a_daylight_saving_day_reads_on_the_local_clock() {
        // Berlin's clocks jump from 02:00 to 03:00 on 29 March 2026: 01:30 UTC is 03:30 there.
        let berlin = chrono_tz::Europe::Berlin;
        let after_the_jump = Utc
            .with_ymd_and_hms(2026, 3, 29, 1, 30, 0)
            .unwrap()
            .with_timezone(&berlin);
        assert_eq!(texts("en").format_time(&after_the_jump), "3:30 am");
        assert_eq!(texts("vi").format_time(&after_the_jump), "03:30");
        assert_eq!(
            texts("en").format_date_long(&after_the_jump),
            "Sunday 29 March 2026"
        );
    }

    #[test]
    fn meeting_times_carry_the_zone_and_a_later_end_day() {
        let zone = TimeZone::parse("Europe/Berlin").unwrap();
        let start = Utc.with_ymd_and_hms(2026, 12, 8, 13, 0, 0).unwrap();
        assert_eq!(
            texts("en").format_meeting_time(zone, start, start + Duration::minutes(30)),
            "Tuesday 8 December 2026, 2:00 pm–2:30 pm Europe/Berlin (UTC+01:00)"
        );
        assert_eq!(
            texts("vi").format_meeting_time(zone, start, start + Duration::minutes(30)),
            "Thứ Ba, 8 tháng 12, 2026, 14:00–14:30 Europe/Berlin (UTC+01:00)"
        );
        let late = Utc.with_ymd_and_hms(2026, 12, 8, 22, 45, 0).unwrap();
        assert_eq!(
            texts("en").format_meeting_time(zone, late, late + Duration::minutes(30)),
            "Tuesday 8 December 2026, 11:45 pm–Wed 9 Dec, 12:15 am Europe/Berlin (UTC+01:00)"
        );
    }
}
