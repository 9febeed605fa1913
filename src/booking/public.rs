//! What the public booking and manage pages show: dates and times in the prospect's words, and
//! the booking form as a browser posts it.

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;

use crate::booking::month_picker::PickerLabels;
use crate::booking::prefill::Prefill;
use crate::booking::service::BookingRequest;
use crate::http::extractors::CsrfProtected;
use crate::i18n::Texts;
use crate::leads::model::BantInput;

/// The picker's dates and times in the prospect's language, as its catalogue writes them.
impl PickerLabels for Texts {
    fn month_title(&self, first_of_month: NaiveDate) -> String {
        self.format_month_year(&first_of_month)
    }

    fn weekday_short(&self, weekday: Weekday) -> String {
        self.weekday_short_name(weekday)
    }

    fn day_long(&self, day: NaiveDate) -> String {
        self.format_date_long(&day)
    }

    fn time(&self, time: NaiveTime) -> String {
        self.format_time(&time)
    }
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
    /// The page's language, so the emails that follow speak it too.
    pub lang: Option<String>,
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
            lang: form.lang.clone(),
            ..BookingRequest::from(&form.prefill)
        }
    }
}
