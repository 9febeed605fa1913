//! What the public booking and manage pages show: slots grouped by the prospect's local day,
//! and the booking form as a browser posts it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::booking::prefill::Prefill;
use crate::booking::service::{BookingRequest, SlotView};
use crate::http::extractors::CsrfProtected;
use crate::leads::model::BantInput;
use crate::values::TimeZone;

/// One local day of the slot picker.
pub struct SlotDay {
    pub label: String,
    pub slots: Vec<SlotChoice>,
}

/// A slot as a radio button: its value is the start with the prospect's offset.
pub struct SlotChoice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// One week of free times as the booking and manage pages show them.
pub struct WeekPicker {
    pub label: String,
    pub days: Vec<SlotDay>,
    pub previous: Option<String>,
    pub next: String,
}

/// The seven local days shown: from `requested` (never before `today`) on.
pub fn week_of(today: NaiveDate, requested: Option<NaiveDate>) -> (NaiveDate, NaiveDate) {
    let from = requested.filter(|from| *from > today).unwrap_or(today);
    (from, from + Duration::days(6))
}

impl WeekPicker {
    /// `week_link` gives the address of the week starting on a date; `chosen` is the start a
    /// form already picked.
    pub fn new(
        (from, to): (NaiveDate, NaiveDate),
        today: NaiveDate,
        slots: &[(DateTime<Utc>, DateTime<Utc>)],
        zone: TimeZone,
        chosen: &str,
        week_link: impl Fn(NaiveDate) -> String,
    ) -> Self {
        Self {
            label: format!(
                "{} – {}",
                from.format("%a %-d %b"),
                to.format("%a %-d %b %Y")
            ),
            days: slot_days(slots, zone, chosen),
            previous: (from > today).then(|| week_link((from - Duration::days(7)).max(today))),
            next: week_link(to + Duration::days(1)),
        }
    }
}

/// Groups slots by the prospect's local date, each labelled like "Tue 1 Dec" / "09:30".
fn slot_days(
    slots: &[(DateTime<Utc>, DateTime<Utc>)],
    zone: TimeZone,
    chosen: &str,
) -> Vec<SlotDay> {
    let mut days: Vec<(NaiveDate, SlotDay)> = Vec::new();
    for (start, end) in slots {
        let local = start.with_timezone(&zone.tz());
        let date = local.date_naive();
        let value = SlotView::new(*start, *end, zone).start;
        let choice = SlotChoice {
            checked: value == chosen,
            value,
            label: local.format("%H:%M").to_string(),
        };
        match days.last_mut() {
            Some((last, day)) if *last == date => day.slots.push(choice),
            _ => days.push((
                date,
                SlotDay {
                    label: local.format("%a %-d %b").to_string(),
                    slots: vec![choice],
                },
            )),
        }
    }
    days.into_iter().map(|(_, day)| day).collect()
}

/// The booking form as posted by the booking page; checkboxes are present or absent.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct BookingForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default)]
    pub start: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub timezone: String,
    pub budget: Option<String>,
    pub authority: Option<String>,
    pub need: Option<String>,
    #[serde(default)]
    pub timing: String,
    #[serde(default)]
    pub notes: String,
    #[serde(flatten)]
    pub prefill: Prefill,
}

impl CsrfProtected for BookingForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl From<&BookingForm> for BookingRequest {
    fn from(form: &BookingForm) -> Self {
        let timing = (!form.timing.is_empty()).then(|| form.timing.clone());
        Self {
            start: form.start.clone(),
            name: form.name.clone(),
            email: form.email.clone(),
            company: (!form.company.trim().is_empty()).then(|| form.company.clone()),
            timezone: form.timezone.clone(),
            bant: Some(BantInput {
                budget: Some(form.budget.is_some()),
                authority: Some(form.authority.is_some()),
                need: Some(form.need.is_some()),
                timing,
            }),
            notes: Some(form.notes.clone()),
            ..BookingRequest::from(&form.prefill)
        }
    }
}

/// The time zones offered in the picker: every IANA zone, by name.
pub fn zone_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    names.sort_unstable();
    names
}
