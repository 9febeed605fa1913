//! What the booking page and the manage page's reschedule share: which month, day and time the
//! address asks for, the links that keep every other parameter of the address, the free times
//! of that month, and the zone picker's choices.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::booking::month_picker::{
    self, first_of_month, open_days, MonthPicker, PickerLabels, PickerLinks, PickerRequest,
};
use crate::booking::service;
use crate::db::StoreError;
use crate::http::embed::Embedded;
use crate::scheduling::availability::window_for_dates;
use crate::scheduling::meeting_types::MeetingType;
use crate::state::AppState;
use crate::users::zones;
use crate::values::TimeZone;

/// The parameters the picker itself sets; every other one of the address is kept.
const PICKER_PARAMETERS: [&str; 6] = ["tz", "month", "day", "start", "from", "embed"];

/// The month, day and time an address or a refused form asks for.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub month: Option<NaiveDate>,
    pub day: Option<NaiveDate>,
    /// A start as the form posts it (RFC 3339 with the prospect's offset).
    pub start: String,
}

impl Asked {
    /// From the query's `month` (`YYYY-MM`), `day` (`YYYY-MM-DD`; `from` is its older name)
    /// and `start`; anything unreadable is left out.
    pub fn from_query(pairs: &[(String, String)]) -> Self {
        let value = |key: &str| {
            pairs
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.trim())
        };
        let day =
            |raw: Option<&str>| raw.and_then(|raw| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok());
        Self {
            month: value("month")
                .and_then(|raw| NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").ok()),
            day: day(value("day")).or_else(|| day(value("from"))),
            start: value("start")
                .filter(|start| start.len() <= 40)
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// The day of a chosen start in `zone`, when the day was not asked for itself.
    pub fn day_in(&self, zone: TimeZone) -> Option<NaiveDate> {
        self.day.or_else(|| {
            DateTime::parse_from_rfc3339(&self.start)
                .ok()
                .map(|at| at.with_timezone(&zone.tz()).date_naive())
        })
    }
}

/// The query's pairs, decoded, as the page was asked for.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .take(64)
        .collect()
}

/// Links to the same page with another month, day or time, keeping the zone and every
/// parameter the picker does not own (prefill, UTMs, language).
pub struct PageLinks {
    path: String,
    zone: String,
    kept: Vec<(String, String)>,
    embedded: Embedded,
}

impl PageLinks {
    /// `fixed` are parameters of this page that every link repeats (`reschedule=1`).
    pub fn new(
        path: String,
        zone: TimeZone,
        query: &[(String, String)],
        fixed: &[(&str, &str)],
        embedded: Embedded,
    ) -> Self {
        let mut kept: Vec<(String, String)> = fixed
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
            .collect();
        kept.extend(
            query
                .iter()
                .filter(|(key, _)| {
                    !PICKER_PARAMETERS.contains(&key.as_str())
                        && !fixed.iter().any(|(fixed, _)| fixed == key)
                })
                .cloned(),
        );
        Self {
            path,
            zone: zone.name().to_owned(),
            kept,
            embedded,
        }
    }

    /// The kept parameters, for a form that goes back to this page (the zone picker's).
    pub fn kept(&self) -> &[(String, String)] {
        &self.kept
    }

    /// The page's own address with its kept parameters, for a form that posts to it.
    pub fn with_kept(&self, path: &str) -> String {
        self.address(path, &[])
    }

    fn address(&self, path: &str, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .kept
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        pairs.extend(extra.iter().map(|(key, value)| (*key, value.as_str())));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let url = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        self.embedded.keep(&url)
    }

    fn url(&self, extra: &[(&str, String)]) -> String {
        let mut with_zone = vec![("tz", self.zone.clone())];
        with_zone.extend_from_slice(extra);
        self.address(&self.path, &with_zone)
    }
}

impl PickerLinks for PageLinks {
    fn month(&self, first_of_month: NaiveDate) -> String {
        self.url(&[("month", first_of_month.format("%Y-%m").to_string())])
    }

    fn day(&self, day: NaiveDate) -> String {
        self.url(&[("day", day.format("%Y-%m-%d").to_string())]) + "#times"
    }

    fn time(&self, day: NaiveDate, start: &str) -> String {
        self.url(&[
            ("day", day.format("%Y-%m-%d").to_string()),
            ("start", start.to_owned()),
        ]) + "#book-form"
    }
}

/// What the picker is loaded for.
pub struct PickerFor<'a> {
    pub meeting_type: &'a MeetingType,
    pub zone: TimeZone,
    pub asked: &'a Asked,
    /// A meeting being moved: its own time is free for it but not offered.
    pub moving: Option<(String, DateTime<Utc>)>,
}

/// The month asked for (never before this month or past the meeting type's horizon) with its
/// free times; with no month or day asked for and none free this month, the next month.
pub async fn load(
    state: &AppState,
    picker: PickerFor<'_>,
    labels: &impl PickerLabels,
    links: &PageLinks,
) -> Result<MonthPicker, StoreError> {
    let zone = picker.zone;
    let today = state.clock.now().with_timezone(&zone.tz()).date_naive();
    let horizon = today + Duration::days(i64::from(picker.meeting_type.max_days_ahead.max(1)));
    let day = picker.asked.day_in(zone);
    let asked_month = picker.asked.month.or(day);
    let mut month = first_of_month(asked_month.unwrap_or(today))
        .max(first_of_month(today))
        .min(first_of_month(horizon));
    let mut slots = month_slots(state, &picker, month, today, horizon).await?;
    if slots.is_empty() && asked_month.is_none() && first_of_month(horizon) > month {
        month = first_of_month(month + Duration::days(32));
        slots = month_slots(state, &picker, month, today, horizon).await?;
    }
    let request = PickerRequest {
        month,
        today,
        horizon,
        slots: &slots,
        zone,
        day,
        chosen: &picker.asked.start,
    };
    Ok(month_picker::build(&request, labels, links))
}

async fn month_slots(
    state: &AppState,
    picker: &PickerFor<'_>,
    month: NaiveDate,
    today: NaiveDate,
    horizon: NaiveDate,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, StoreError> {
    let (from, to) = open_days(month, today);
    let to = to.min(horizon);
    if to < from {
        return Ok(Vec::new());
    }
    let window = window_for_dates(from, to, picker.zone.tz());
    let moving_id = picker.moving.as_ref().map(|(id, _)| id.clone());
    let times = service::slot_times(state, picker.meeting_type.clone(), window, moving_id)
        .await?
        .times;
    Ok(match picker.moving {
        Some((_, current)) => times
            .into_iter()
            .filter(|(start, _)| *start != current)
            .collect(),
        None => times,
    })
}

/// One zone of the picker: "Europe/Berlin — 3:12 pm, UTC+1".
pub struct ZoneOption {
    pub name: &'static str,
    pub label: String,
    pub selected: bool,
}

/// The canonical zones with their local time and offset now; the shown zone is selected even
/// when it is an alias a browser reported.
pub fn zone_options(
    shown: TimeZone,
    now: DateTime<Utc>,
    labels: &impl PickerLabels,
) -> Vec<ZoneOption> {
    let option = |name: &'static str, tz: chrono_tz::Tz| ZoneOption {
        name,
        label: format!(
            "{} — {}, {}",
            name.replace('_', " "),
            labels.time(now.with_timezone(&tz).time()),
            zones::short_utc_offset(tz, now)
        ),
        selected: name == shown.name(),
    };
    let mut options: Vec<ZoneOption> = zones::canonical()
        .map(|(name, tz)| option(name, tz))
        .collect();
    if !options.iter().any(|option| option.selected) {
        options.insert(0, option(shown.name(), shown.tz()));
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        query_pairs(query)
    }

    #[test]
    fn the_address_asks_for_a_month_a_day_and_a_time() {
        let asked = Asked::from_query(&pairs(
            "month=2027-01&day=2027-01-12&start=2027-01-12T09%3A30%3A00%2B01%3A00",
        ));
        assert_eq!(asked.month, NaiveDate::from_ymd_opt(2027, 1, 1));
        assert_eq!(asked.day, NaiveDate::from_ymd_opt(2027, 1, 12));
        assert_eq!(asked.start, "2027-01-12T09:30:00+01:00");
        let older = Asked::from_query(&pairs("from=2027-01-05&month=13"));
        assert_eq!(older.day, NaiveDate::from_ymd_opt(2027, 1, 5));
        assert_eq!(older.month, None);
        let chosen_only = Asked::from_query(&pairs("start=2027-01-12T23%3A30%3A00Z"));
        let tokyo = TimeZone::parse("Asia/Tokyo").unwrap();
        assert_eq!(
            chosen_only.day_in(tokyo),
            NaiveDate::from_ymd_opt(2027, 1, 13)
        );
        let hostile = Asked::from_query(&pairs(&format!("start={}&day=%00", "9".repeat(10_000))));
        assert_eq!(hostile.start, "");
        assert_eq!(hostile.day, None);
    }

    #[test]
    fn links_keep_prefill_and_campaign_but_replace_the_pickers_own_parameters() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        let query = pairs("name=Ana%20B&utm_source=news&tz=UTC&day=2027-01-01&embed=1");
        let links = PageLinks::new("/book/demo".into(), berlin, &query, &[], Embedded(true));
        let day = NaiveDate::from_ymd_opt(2027, 1, 12).unwrap();
        assert_eq!(
            links.day(day),
            "/book/demo?name=Ana+B&utm_source=news&tz=Europe%2FBerlin&day=2027-01-12&embed=1#times"
        );
        assert_eq!(
            links.with_kept("/book/demo"),
            "/book/demo?name=Ana+B&utm_source=news&embed=1"
        );
        let manage = PageLinks::new(
            "/m/t".into(),
            berlin,
            &pairs("reschedule=1"),
            &[("reschedule", "1")],
            Embedded(false),
        );
        assert_eq!(
            manage.month(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap()),
            "/m/t?reschedule=1&tz=Europe%2FBerlin&month=2027-02"
        );
    }
}
