//! Working hours as the admin form writes them: per weekday a line of ranges
//! (`09:00-12:00, 13:00-17:00`, empty for a day off), and date overrides as a date with such a
//! line (or `off`). Converts to and from the API's JSON shape, which validates the times.

use serde_json::{Map, Value};

use crate::field_errors::FieldErrors;
use crate::scheduling::working_hours::{WeeklyHours, DAY_KEYS};

/// Weekday keys with the names people read.
pub const DAY_LABELS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

const OFF: &str = "off";

/// The form's text for each weekday (in [`DAY_KEYS`] order) and each date override.
#[derive(Debug, Clone, Default)]
pub struct HoursText {
    pub weekly: [String; 7],
    pub dates: Vec<(String, String)>,
}

fn ranges_text(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_array)
        .map(|ranges| {
            ranges
                .iter()
                .filter_map(|pair| match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(start), Value::String(end)]) => {
                        Some(format!("{start}-{end}"))
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

impl HoursText {
    pub fn of(hours: &WeeklyHours) -> Self {
        let json = hours.to_json();
        let mut text = Self::default();
        for (index, (key, _)) in DAY_KEYS.iter().enumerate() {
            text.weekly[index] = ranges_text(json.get(*key));
        }
        if let Some(Value::Object(dates)) = json.get("dates") {
            text.dates = dates
                .iter()
                .map(|(date, ranges)| {
                    let line = ranges_text(Some(ranges));
                    (
                        date.clone(),
                        if line.is_empty() {
                            OFF.to_owned()
                        } else {
                            line
                        },
                    )
                })
                .collect();
        }
        text
    }

    /// The API's JSON shape; lines that are not ranges at all are reported under the field
    /// the API would use (`working_hours.mon`, `working_hours.dates.2026-12-24`).
    pub fn to_json(&self, errors: &mut FieldErrors) -> Value {
        let mut object = Map::new();
        for (index, (key, _)) in DAY_KEYS.iter().enumerate() {
            match parse_line(&self.weekly[index]) {
                Ok(ranges) if ranges.is_empty() => {}
                Ok(ranges) => {
                    object.insert((*key).to_owned(), Value::Array(ranges));
                }
                Err(message) => errors.add(format!("working_hours.{key}"), message),
            }
        }
        let mut dates = Map::new();
        for (date, line) in &self.dates {
            let date = date.trim();
            if date.is_empty() {
                continue;
            }
            match parse_line(line) {
                Ok(ranges) => {
                    dates.insert(date.to_owned(), Value::Array(ranges));
                }
                Err(message) => errors.add(format!("working_hours.dates.{date}"), message),
            }
        }
        if !dates.is_empty() {
            object.insert("dates".into(), Value::Object(dates));
        }
        Value::Object(object)
    }
}

/// `09:00-12:00, 13:00-17:00` as `[["09:00","12:00"],["13:00","17:00"]]`; empty or `off` is
/// no ranges at all.
fn parse_line(line: &str) -> Result<Vec<Value>, String> {
    let line = line.trim();
    if line.is_empty() || line.eq_ignore_ascii_case(OFF) {
        return Ok(Vec::new());
    }
    line.split(',')
        .map(|range| {
            let range = range.trim().replace('–', "-");
            match range.split_once('-') {
                Some((start, end)) => Ok(Value::from(vec![
                    Value::from(start.trim()),
                    Value::from(end.trim()),
                ])),
                None => Err(format!(
                    "`{range}` is not a range: write ranges like 09:00-12:00, 13:00-17:00"
                )),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_round_trips_through_the_api_shape() {
        let hours = WeeklyHours::from_json(&json!({
            "mon": [["09:00", "12:00"], ["13:00", "17:00"]],
            "sat": [["10:00", "24:00"]],
            "dates": {"2026-12-24": [["09:00", "12:00"]], "2026-12-25": []}
        }))
        .unwrap();
        let text = HoursText::of(&hours);
        assert_eq!(text.weekly[0], "09:00-12:00, 13:00-17:00");
        assert_eq!(text.weekly[1], "");
        assert_eq!(text.weekly[5], "10:00-24:00");
        assert_eq!(
            text.dates,
            [
                ("2026-12-24".to_owned(), "09:00-12:00".to_owned()),
                ("2026-12-25".to_owned(), "off".to_owned())
            ]
        );
        let mut errors = FieldErrors::new();
        let json = text.to_json(&mut errors);
        assert!(errors.is_empty());
        assert_eq!(WeeklyHours::from_json(&json).unwrap(), hours);
    }

    #[test]
    fn lines_that_are_not_ranges_are_reported_by_field() {
        let mut text = HoursText::default();
        text.weekly[2] = "all day".into();
        text.dates = vec![
            ("2026-12-31".into(), "noon".into()),
            (String::new(), "ignored".into()),
        ];
        let mut errors = FieldErrors::new();
        text.to_json(&mut errors);
        let fields: Vec<&str> = errors.fields().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            ["working_hours.dates.2026-12-31", "working_hours.wed"]
        );
    }
}
