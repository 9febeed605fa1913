//! Working hours in a host's own time zone, as the API writes them:
//! `{"mon": [["09:00","17:00"]], ..., "dates": {"2026-12-24": [["09:00","12:00"]], "2026-12-25": []}}`.
//! A missing weekday is a day off; a date listed under `dates` replaces that day's weekly hours
//! (an empty list is a holiday).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, Timelike, Weekday};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use crate::scheduling::availability::{parse_ranges, TimeRange, WorkingHours};

pub const DAY_KEYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

const DATES_KEY: &str = "dates";
/// Enough for a few years of holidays; more is a mistake, not a calendar.
const MAX_DATES: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours {
    weekly: [Vec<TimeRange>; 7],
    dates: BTreeMap<NaiveDate, Vec<TimeRange>>,
}

impl WeeklyHours {
    /// Monday to Friday, 09:00 to 17:00.
    pub fn standard() -> Self {
        let nine_to_five = TimeRange {
            start: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
        };
        let mut weekly: [Vec<TimeRange>; 7] = Default::default();
        for day in weekly.iter_mut().take(5) {
            day.push(nine_to_five);
        }
        Self {
            weekly,
            dates: BTreeMap::new(),
        }
    }

    pub fn ranges(&self, day: Weekday) -> &[TimeRange] {
        &self.weekly[day.num_days_from_monday() as usize]
    }

    /// The engine's working hours for a host in `timezone`.
    pub fn for_engine(&self, timezone: Tz) -> WorkingHours {
        WorkingHours {
            timezone,
            weekly: self.weekly.clone(),
            overrides: self.dates.clone(),
        }
    }

    /// Parses the API shape; every problem is reported as `(path, message)`.
    pub fn from_json(value: &Value) -> Result<Self, Vec<(String, String)>> {
        let Some(object) = value.as_object() else {
            return Err(vec![(
                String::new(),
                "must be an object of days, like {\"mon\": [[\"09:00\",\"17:00\"]]}".into(),
            )]);
        };
        let mut problems = Vec::new();
        for key in object.keys() {
            if key != DATES_KEY && !DAY_KEYS.iter().any(|(day, _)| day == key) {
                problems.push((
                    key.clone(),
                    "is not a day (use mon, tue, wed, thu, fri, sat, sun, or dates)".into(),
                ));
            }
        }
        let mut weekly: [Vec<TimeRange>; 7] = Default::default();
        for (key, weekday) in DAY_KEYS {
            if let Some(day_value) = object.get(key) {
                match day_ranges(key, day_value) {
                    Ok(ranges) => weekly[weekday.num_days_from_monday() as usize] = ranges,
                    Err(message) => problems.push((key.to_owned(), message)),
                }
            }
        }
        let mut dates = BTreeMap::new();
        match object.get(DATES_KEY) {
            None => {}
            Some(Value::Object(by_date)) if by_date.len() <= MAX_DATES => {
                for (date_text, day_value) in by_date {
                    let path = format!("{DATES_KEY}.{date_text}");
                    let Ok(date) = NaiveDate::parse_from_str(date_text, "%Y-%m-%d") else {
                        problems.push((path, "is not a date in YYYY-MM-DD form".into()));
                        continue;
                    };
                    match day_ranges(date_text, day_value) {
                        Ok(ranges) => {
                            dates.insert(date, ranges);
                        }
                        Err(message) => problems.push((path, message)),
                    }
                }
            }
            Some(Value::Object(_)) => problems.push((
                DATES_KEY.into(),
                format!("may list at most {MAX_DATES} dates"),
            )),
            Some(_) => problems.push((
                DATES_KEY.into(),
                "must be an object of dates, like {\"2026-12-25\": []}".into(),
            )),
        }
        if problems.is_empty() {
            Ok(Self { weekly, dates })
        } else {
            Err(problems)
        }
    }

    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        for (key, weekday) in DAY_KEYS {
            let ranges = self.ranges(weekday);
            if !ranges.is_empty() {
                object.insert(key.to_owned(), ranges_json(ranges));
            }
        }
        if !self.dates.is_empty() {
            let dates = self
                .dates
                .iter()
                .map(|(date, ranges)| (date.format("%Y-%m-%d").to_string(), ranges_json(ranges)));
            object.insert(DATES_KEY.into(), Value::Object(dates.collect()));
        }
        Value::Object(object)
    }
}

fn day_ranges(day: &str, value: &Value) -> Result<Vec<TimeRange>, String> {
    let shape_error = || "must be a list of [\"HH:MM\", \"HH:MM\"] pairs".to_owned();
    let list = value.as_array().ok_or_else(shape_error)?;
    let pairs = list
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([Value::String(start), Value::String(end)]) => Ok([start.clone(), end.clone()]),
            _ => Err(shape_error()),
        })
        .collect::<Result<Vec<[String; 2]>, String>>()?;
    let ranges = parse_ranges(day, &pairs).map_err(|e| e.to_string())?;
    // Bookings claim host time in five-minute blocks; hours on the same grid keep adjacent
    // meetings from sharing a block.
    let off_grid = ranges
        .iter()
        .flat_map(|r| [r.start, r.end])
        .find(|t| t.minute() % 5 != 0);
    match off_grid {
        Some(time) => Err(format!(
            "{} is not on a five-minute mark",
            time.format("%H:%M")
        )),
        None => Ok(ranges),
    }
}

fn ranges_json(ranges: &[TimeRange]) -> Value {
    let clock = |time: NaiveTime, is_end: bool| {
        if is_end && time == NaiveTime::MIN {
            "24:00".to_owned()
        } else {
            time.format("%H:%M").to_string()
        }
    };
    Value::from(
        ranges
            .iter()
            .map(|r| {
                Value::from(vec![
                    Value::from(clock(r.start, false)),
                    Value::from(clock(r.end, true)),
                ])
            })
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn standard_week_round_trips() {
        let standard = WeeklyHours::standard();
        let json = standard.to_json();
        assert_eq!(json["mon"], json!([["09:00", "17:00"]]));
        assert!(json.get("sat").is_none());
        assert_eq!(WeeklyHours::from_json(&json).unwrap(), standard);
    }

    #[test]
    fn several_ranges_midnight_end_and_dates() {
        let value = json!({"sat": [["20:00", "24:00"], ["08:00", "12:00"]], "dates": {"2026-12-25": [], "2026-12-24": [["09:00", "12:00"]]}});
        let hours = WeeklyHours::from_json(&value).unwrap();
        assert_eq!(hours.ranges(Weekday::Sat).len(), 2);
        let json = hours.to_json();
        assert_eq!(json["sat"], json!([["08:00", "12:00"], ["20:00", "24:00"]]));
        assert_eq!(
            json["dates"],
            json!({"2026-12-24": [["09:00", "12:00"]], "2026-12-25": []})
        );
        let engine = hours.for_engine(chrono_tz::Europe::Berlin);
        assert_eq!(engine.overrides.len(), 2);
    }

    #[test]
    fn problems_name_the_day() {
        let problems = WeeklyHours::from_json(&json!({
            "mon": [["17:00", "09:00"]],
            "tue": [["09:00", "12:00"], ["11:00", "13:00"]],
            "wed": [["9am", "5pm"]],
            "funday": [],
            "thu": "09-17",
            "dates": {"25/12/2026": [], "2026-12-31": [["10:00"]]},
        }))
        .unwrap_err();
        let days: Vec<&str> = problems.iter().map(|(day, _)| day.as_str()).collect();
        assert_eq!(
            days,
            [
                "funday",
                "mon",
                "tue",
                "wed",
                "thu",
                "dates.2026-12-31",
                "dates.25/12/2026"
            ]
        );
    }

    #[test]
    fn hours_sit_on_five_minute_marks() {
        let problems = WeeklyHours::from_json(&json!({"mon": [["09:07", "17:00"]]})).unwrap_err();
        assert_eq!(
            problems,
            [(
                "mon".to_owned(),
                "09:07 is not on a five-minute mark".to_owned()
            )]
        );
        assert!(WeeklyHours::from_json(&json!({"mon": [["09:05", "17:55"]]})).is_ok());
    }

    #[test]
    fn empty_day_is_a_day_off() {
        let hours = WeeklyHours::from_json(&json!({"mon": []})).unwrap();
        assert!(hours.ranges(Weekday::Mon).is_empty());
    }
}
