//! The prospect's time picker: one month as a calendar with the bookable days marked, and for
//! each bookable day its free times as a short list. Every day and time is also a plain link,
//! so the picker works without JavaScript; the page's script only saves the round trips.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};

use crate::booking::service::SlotView;
use crate::values::TimeZone;

/// How the picker's dates and times read in the prospect's language.
pub trait PickerLabels {
    /// "December 2026".
    fn month_title(&self, first_of_month: NaiveDate) -> String;
    /// "Mon", for the calendar's column heads, Monday first.
    fn weekday_short(&self, weekday: Weekday) -> String;
    /// "Tuesday 8 December 2026", for a day's heading and its calendar button's name.
    fn day_long(&self, day: NaiveDate) -> String;
    /// "9:30 am" or "09:30", as the language writes a time of day.
    fn time(&self, time: NaiveTime) -> String;
}

/// Where the picker's links lead: the same page with another month, day or time chosen.
pub trait PickerLinks {
    fn month(&self, first_of_month: NaiveDate) -> String;
    fn day(&self, day: NaiveDate) -> String;
    fn time(&self, day: NaiveDate, start: &str) -> String;
}

/// One cell of the month grid.
pub struct DayCell {
    /// `YYYY-MM-DD` in the shown zone.
    pub date: String,
    pub number: u32,
    /// Days of the neighbouring months that fill the first and last week are left blank.
    pub in_month: bool,
    pub bookable: bool,
    pub selected: bool,
    pub today: bool,
    pub name: String,
    pub href: String,
}

/// A free time as a link and as the value the form posts.
pub struct TimeChoice {
    /// The start with the prospect's offset, as the form posts it.
    pub start: String,
    pub start_utc: String,
    pub label: String,
    pub end_label: String,
    pub href: String,
    pub chosen: bool,
}

/// The free times of one bookable day.
pub struct DayTimes {
    pub date: String,
    pub heading: String,
    pub times: Vec<TimeChoice>,
    pub selected: bool,
}

/// The time chosen, recapped beside the form.
pub struct ChosenTime {
    pub start: String,
    pub start_utc: String,
    /// "Tuesday 8 December 2026, 9:30 am – 10:00 am".
    pub summary: String,
}

pub struct MonthPicker {
    pub title: String,
    pub weekdays: Vec<String>,
    pub weeks: Vec<Vec<DayCell>>,
    pub previous: Option<String>,
    pub next: Option<String>,
    pub days: Vec<DayTimes>,
    pub chosen: Option<ChosenTime>,
}

/// What the picker shows: the month, the free times in it, the day and time asked for.
pub struct PickerRequest<'a> {
    pub month: NaiveDate,
    pub today: NaiveDate,
    /// The last day that can have times, so the picker offers no month beyond it.
    pub horizon: NaiveDate,
    pub slots: &'a [(DateTime<Utc>, DateTime<Utc>)],
    pub zone: TimeZone,
    pub day: Option<NaiveDate>,
    /// The start a link or a refused form chose, as posted.
    pub chosen: &'a str,
}

/// The first of `day`'s month.
pub fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first_of_month(first + Duration::days(32))
}

fn previous_month(first: NaiveDate) -> NaiveDate {
    first_of_month(first - Duration::days(1))
}

/// The local days of `month` that can still have times: from today (or the month's first day)
/// to the month's last day.
pub fn open_days(month: NaiveDate, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = first_of_month(month);
    (first.max(today), next_month(first) - Duration::days(1))
}

pub fn build(
    request: &PickerRequest<'_>,
    labels: &impl PickerLabels,
    links: &impl PickerLinks,
) -> MonthPicker {
    let month = first_of_month(request.month);
    let days = times_by_day(request, labels, links);
    let selected = request
        .day
        .filter(|day| days.iter().any(|(date, _)| date == day))
        .or_else(|| days.first().map(|(date, _)| *date));
    let chosen = days
        .iter()
        .flat_map(|(date, times)| times.iter().map(move |time| (date, time)))
        .find(|(_, time)| time.chosen)
        .map(|(date, time)| ChosenTime {
            start: time.start.clone(),
            start_utc: time.start_utc.clone(),
            summary: format!(
                "{}, {} – {}",
                labels.day_long(*date),
                time.label,
                time.end_label
            ),
        });
    let bookable: Vec<NaiveDate> = days.iter().map(|(date, _)| *date).collect();
    let grid_start = month - Duration::days(i64::from(month.weekday().num_days_from_monday()));
    let mut weeks = Vec::new();
    let mut day = grid_start;
    while day < next_month(month) {
        let week = (0..7)
            .map(|offset| {
                let date = day + Duration::days(offset);
                DayCell {
                    date: date.format("%Y-%m-%d").to_string(),
                    number: date.day(),
                    in_month: first_of_month(date) == month,
                    bookable: bookable.contains(&date),
                    selected: Some(date) == selected,
                    today: date == request.today,
                    name: labels.day_long(date),
                    href: links.day(date),
                }
            })
            .collect();
        weeks.push(week);
        day += Duration::days(7);
    }
    let previous = previous_month(month);
    let next = next_month(month);
    MonthPicker {
        title: labels.month_title(month),
        weekdays: [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .map(|weekday| labels.weekday_short(weekday))
        .collect(),
        weeks,
        previous: (month > first_of_month(request.today)).then(|| links.month(previous)),
        next: (next <= request.horizon).then(|| links.month(next)),
        days: days
            .into_iter()
            .map(|(date, times)| DayTimes {
                date: date.format("%Y-%m-%d").to_string(),
                heading: labels.day_long(date),
                selected: Some(date) == selected,
                times,
            })
            .collect(),
        chosen,
    }
}

fn times_by_day(
    request: &PickerRequest<'_>,
    labels: &impl PickerLabels,
    links: &impl PickerLinks,
) -> Vec<(NaiveDate, Vec<TimeChoice>)> {
    let zone = request.zone.tz();
    let month = first_of_month(request.month);
    let mut days: Vec<(NaiveDate, Vec<TimeChoice>)> = Vec::new();
    for (start, end) in request.slots {
        let local = start.with_timezone(&zone);
        let date = local.date_naive();
        if first_of_month(date) != month {
            continue;
        }
        let view = SlotView::new(*start, *end, request.zone);
        let choice = TimeChoice {
            href: links.time(date, &view.start),
            chosen: view.start == request.chosen,
            label: labels.time(local.time()),
            end_label: labels.time(end.with_timezone(&zone).time()),
            start: view.start,
            start_utc: view.start_utc,
        };
        match days.last_mut() {
            Some((last, times)) if *last == date => times.push(choice),
            _ => days.push((date, vec![choice])),
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    struct English;

    impl PickerLabels for English {
        fn month_title(&self, first: NaiveDate) -> String {
            first.format("%B %Y").to_string()
        }
        fn weekday_short(&self, weekday: Weekday) -> String {
            weekday.to_string()
        }
        fn day_long(&self, day: NaiveDate) -> String {
            day.format("%A %-d %B %Y").to_string()
        }
        fn time(&self, time: NaiveTime) -> String {
            time.format("%H:%M").to_string()
        }
    }

    struct Query;

    impl PickerLinks for Query {
        fn month(&self, first: NaiveDate) -> String {
            format!("?month={}", first.format("%Y-%m"))
        }
        fn day(&self, day: NaiveDate) -> String {
            format!("?day={day}")
        }
        fn time(&self, day: NaiveDate, start: &str) -> String {
            format!("?day={day}&start={start}")
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn slot(day: u32, hour: u32, minute: u32) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = Utc
            .with_ymd_and_hms(2026, 12, day, hour, minute, 0)
            .unwrap();
        (start, start + Duration::minutes(30))
    }

    fn request<'a>(
        slots: &'a [(DateTime<Utc>, DateTime<Utc>)],
        zone: &str,
        day: Option<NaiveDate>,
        chosen: &'a str,
    ) -> PickerRequest<'a> {
        PickerRequest {
            month: date(2026, 12, 1),
            today: date(2026, 12, 7),
            horizon: date(2027, 2, 28),
            slots,
            zone: TimeZone::parse(zone).unwrap(),
            day,
            chosen,
        }
    }

    #[test]
    fn the_grid_starts_on_monday_and_marks_only_days_with_times() {
        let slots = [slot(8, 9, 0), slot(8, 9, 30), slot(10, 14, 0)];
        let picker = build(&request(&slots, "UTC", None, ""), &English, &Query);
        assert_eq!(picker.title, "December 2026");
        assert_eq!(picker.weekdays[0], "Mon");
        assert_eq!(picker.weeks.len(), 5, "30 Nov to 3 Jan");
        assert!(picker.weeks.iter().all(|week| week.len() == 7));
        assert_eq!(picker.weeks[0][0].date, "2026-11-30");
        assert!(!picker.weeks[0][0].in_month);
        let bookable: Vec<&str> = picker
            .weeks
            .iter()
            .flatten()
            .filter(|cell| cell.bookable)
            .map(|cell| cell.date.as_str())
            .collect();
        assert_eq!(bookable, ["2026-12-08", "2026-12-10"]);
        let today: Vec<&str> = picker
            .weeks
            .iter()
            .flatten()
            .filter(|cell| cell.today)
            .map(|cell| cell.date.as_str())
            .collect();
        assert_eq!(today, ["2026-12-07"]);
    }

    #[test]
    fn the_first_day_with_times_is_selected_unless_another_is_asked_for() {
        let slots = [slot(8, 9, 0), slot(10, 14, 0)];
        let first = build(&request(&slots, "UTC", None, ""), &English, &Query);
        let selected: Vec<&str> = first
            .days
            .iter()
            .filter(|day| day.selected)
            .map(|day| day.date.as_str())
            .collect();
        assert_eq!(selected, ["2026-12-08"]);
        let asked = build(
            &request(&slots, "UTC", Some(date(2026, 12, 10)), ""),
            &English,
            &Query,
        );
        assert!(asked.days[1].selected && !asked.days[0].selected);
        let without_times = build(
            &request(&slots, "UTC", Some(date(2026, 12, 9)), ""),
            &English,
            &Query,
        );
        assert!(
            without_times.days[0].selected,
            "a day without times falls back"
        );
    }

    #[test]
    fn days_and_times_are_those_of_the_shown_zone() {
        let slots = [slot(8, 23, 30)];
        let picker = build(&request(&slots, "Asia/Tokyo", None, ""), &English, &Query);
        assert_eq!(picker.days[0].date, "2026-12-09");
        let time = &picker.days[0].times[0];
        assert_eq!(time.label, "08:30");
        assert_eq!(time.end_label, "09:00");
        assert_eq!(time.start, "2026-12-09T08:30:00+09:00");
        assert_eq!(time.start_utc, "2026-12-08T23:30:00Z");
        assert_eq!(time.href, "?day=2026-12-09&start=2026-12-09T08:30:00+09:00");
    }

    #[test]
    fn a_chosen_time_is_recapped_and_one_no_longer_free_is_not() {
        let slots = [slot(8, 9, 0), slot(8, 9, 30)];
        let chosen = "2026-12-08T10:30:00+01:00";
        let picker = build(
            &request(&slots, "Europe/Berlin", None, chosen),
            &English,
            &Query,
        );
        let recap = picker.chosen.expect("a chosen time");
        assert_eq!(recap.start_utc, "2026-12-08T09:30:00Z");
        assert_eq!(recap.summary, "Tuesday 8 December 2026, 10:30 – 11:00");
        assert!(picker.days[0].times[1].chosen);
        let taken = build(
            &request(&slots, "Europe/Berlin", None, "2026-12-08T12:00:00+01:00"),
            &English,
            &Query,
        );
        assert!(taken.chosen.is_none());
    }

    #[test]
    fn months_go_back_no_further_than_today_and_forward_to_the_horizon() {
        let this_month = build(&request(&[], "UTC", None, ""), &English, &Query);
        assert_eq!(this_month.previous, None);
        assert_eq!(this_month.next.as_deref(), Some("?month=2027-01"));
        assert!(this_month.days.is_empty());
        let mut later = request(&[], "UTC", None, "");
        later.month = date(2027, 2, 1);
        let last = build(&later, &English, &Query);
        assert_eq!(last.previous.as_deref(), Some("?month=2027-01"));
        assert_eq!(last.next, None);
    }

    #[test]
    fn open_days_start_today_within_the_current_month() {
        assert_eq!(
            open_days(date(2026, 12, 20), date(2026, 12, 7)),
            (date(2026, 12, 7), date(2026, 12, 31))
        );
        assert_eq!(
            open_days(date(2027, 2, 1), date(2026, 12, 7)),
            (date(2027, 2, 1), date(2027, 2, 28))
        );
    }
}
