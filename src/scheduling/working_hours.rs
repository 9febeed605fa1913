//! Weekly working hours in a host's own time zone, as the API writes them:
//! `{"mon": [["09:00","17:00"]], "tue": [...], ...}`. A missing day is a day off.

use std::collections::BTreeMap;

use chrono::{NaiveTime, Weekday};
use serde_json::{Map, Value};

pub const DAY_KEYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// A local wall-clock range; `end` of `None` means midnight at the end of the day (24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LocalRange {
    pub start: NaiveTime,
    pub end: Option<NaiveTime>,
}

impl LocalRange {
    fn ends_after(&self, time: NaiveTime) -> bool {
        self.end.is_none_or(|end| end > time)
    }
}

/// Working ranges per weekday, sorted and non-overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours {
    days: BTreeMap<u32, Vec<LocalRange>>,
}

impl WeeklyHours {
    /// Monday to Friday, 09:00 to 17:00.
    pub fn standard() -> Self {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN);
        let five = NaiveTime::from_hms_opt(17, 0, 0);
        let range = LocalRange {
            start: nine,
            end: five,
        };
        let days = (0..5).map(|day| (day, vec![range])).collect();
        Self { days }
    }

    pub fn ranges(&self, day: Weekday) -> &[LocalRange] {
        self.days
            .get(&day.num_days_from_monday())
            .map_or(&[], Vec::as_slice)
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
            if !DAY_KEYS.iter().any(|(day, _)| day == key) {
                problems.push((
                    key.clone(),
                    "is not a day (use mon, tue, wed, thu, fri, sat, sun)".into(),
                ));
            }
        }
        let mut days = BTreeMap::new();
        for (key, weekday) in DAY_KEYS {
            let Some(day_value) = object.get(key) else {
                continue;
            };
            match parse_day(day_value) {
                Ok(ranges) if ranges.is_empty() => {}
                Ok(ranges) => {
                    days.insert(weekday.num_days_from_monday(), ranges);
                }
                Err(message) => problems.push((key.to_owned(), message)),
            }
        }
        if problems.is_empty() {
            Ok(Self { days })
        } else {
            Err(problems)
        }
    }

    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        for (key, weekday) in DAY_KEYS {
            let ranges = self.ranges(weekday);
            if ranges.is_empty() {
                continue;
            }
            let list = ranges
                .iter()
                .map(|range| {
                    let end = range
                        .end
                        .map_or_else(|| "24:00".to_owned(), |t| t.format("%H:%M").to_string());
                    Value::from(vec![
                        Value::from(range.start.format("%H:%M").to_string()),
                        Value::from(end),
                    ])
                })
                .collect::<Vec<_>>();
            object.insert(key.to_owned(), Value::from(list));
        }
        Value::Object(object)
    }
}

fn parse_day(value: &Value) -> Result<Vec<LocalRange>, String> {
    let Some(list) = value.as_array() else {
        return Err("must be a list of [start, end] pairs".into());
    };
    let mut ranges = Vec::with_capacity(list.len());
    for pair in list {
        let Some([start, end]) = pair
            .as_array()
            .map(Vec::as_slice)
            .and_then(|p| <&[Value; 2]>::try_from(p).ok())
        else {
            return Err("each range must be a [\"HH:MM\", \"HH:MM\"] pair".into());
        };
        let start = start
            .as_str()
            .and_then(parse_time)
            .ok_or("times must be HH:MM between 00:00 and 24:00")?;
        let end_text = end
            .as_str()
            .ok_or("times must be HH:MM between 00:00 and 24:00")?;
        let end = if end_text == "24:00" {
            None
        } else {
            Some(parse_time(end_text).ok_or("times must be HH:MM between 00:00 and 24:00")?)
        };
        let range = LocalRange { start, end };
        if !range.ends_after(start) {
            return Err(format!(
                "range {} must end after it starts",
                describe(&range)
            ));
        }
        ranges.push(range);
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        if pair[0].ends_after(pair[1].start) {
            return Err(format!(
                "ranges {} and {} overlap",
                describe(&pair[0]),
                describe(&pair[1])
            ));
        }
    }
    Ok(ranges)
}

fn parse_time(text: &str) -> Option<NaiveTime> {
    if text.len() != 5 {
        return None;
    }
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

fn describe(range: &LocalRange) -> String {
    let end = range
        .end
        .map_or_else(|| "24:00".to_owned(), |t| t.format("%H:%M").to_string());
    format!("{}–{}", range.start.format("%H:%M"), end)
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
    fn several_ranges_and_midnight_end() {
        let hours =
            WeeklyHours::from_json(&json!({"sat": [["20:00", "24:00"], ["08:00", "12:00"]]}))
                .unwrap();
        let sat = hours.ranges(Weekday::Sat);
        assert_eq!(sat.len(), 2);
        assert_eq!(sat[0].start, NaiveTime::from_hms_opt(8, 0, 0).unwrap());
        assert_eq!(sat[1].end, None);
        assert_eq!(
            hours.to_json()["sat"],
            json!([["08:00", "12:00"], ["20:00", "24:00"]])
        );
    }

    #[test]
    fn problems_name_the_day() {
        let problems = WeeklyHours::from_json(&json!({
            "mon": [["17:00", "09:00"]],
            "tue": [["09:00", "12:00"], ["11:00", "13:00"]],
            "wed": [["9am", "5pm"]],
            "funday": [],
            "thu": "09-17",
        }))
        .unwrap_err();
        let days: Vec<&str> = problems.iter().map(|(day, _)| day.as_str()).collect();
        assert_eq!(days, ["funday", "mon", "tue", "wed", "thu"]);
    }

    #[test]
    fn empty_day_is_a_day_off() {
        let hours = WeeklyHours::from_json(&json!({"mon": []})).unwrap();
        assert!(hours.ranges(Weekday::Mon).is_empty());
    }
}
