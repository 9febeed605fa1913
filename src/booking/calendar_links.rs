//! "Add to calendar" links for the confirmation page: Google Calendar's event template and
//! Outlook's compose deep links (Outlook.com for personal accounts, Office 365 for work ones).
//! They carry only what the prospect already sees on the page.

use chrono::{DateTime, SecondsFormat, Utc};

/// The meeting as the links describe it.
pub struct CalendarEvent<'a> {
    pub title: &'a str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub location: Option<&'a str>,
    pub details: &'a str,
}

pub struct CalendarLinks {
    pub google: String,
    pub outlook_com: String,
    pub office_365: String,
}

impl CalendarLinks {
    pub fn new(event: &CalendarEvent<'_>) -> Self {
        let location = event.location.unwrap_or_default();
        let compact = |at: DateTime<Utc>| at.format("%Y%m%dT%H%M%SZ").to_string();
        let google = query(&[
            ("action", "TEMPLATE"),
            ("text", event.title),
            (
                "dates",
                &format!("{}/{}", compact(event.start), compact(event.end)),
            ),
            ("details", event.details),
            ("location", location),
        ]);
        let start = event.start.to_rfc3339_opts(SecondsFormat::Secs, true);
        let end = event.end.to_rfc3339_opts(SecondsFormat::Secs, true);
        let outlook = query(&[
            ("path", "/calendar/action/compose"),
            ("rru", "addevent"),
            ("subject", event.title),
            ("startdt", &start),
            ("enddt", &end),
            ("body", event.details),
            ("location", location),
        ]);
        Self {
            google: format!("https://calendar.google.com/calendar/render?{google}"),
            outlook_com: format!("https://outlook.live.com/calendar/0/action/compose?{outlook}"),
            office_365: format!("https://outlook.office.com/calendar/0/action/compose?{outlook}"),
        }
    }
}

fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn each_calendar_gets_the_times_in_utc_and_the_text_encoded() {
        let start = Utc.with_ymd_and_hms(2026, 12, 8, 9, 30, 0).unwrap();
        let links = CalendarLinks::new(&CalendarEvent {
            title: "Intro & demo · Ngô",
            start,
            end: start + chrono::Duration::minutes(30),
            location: Some("https://meet.example/abc?x=1"),
            details: "Manage: https://convene.example/m/t\nline two",
        });
        assert!(links.google.starts_with(
            "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Intro+%26+demo+%C2%B7+Ng%C3%B4&dates=20261208T093000Z%2F20261208T100000Z"
        ));
        assert!(links
            .google
            .contains("&location=https%3A%2F%2Fmeet.example%2Fabc%3Fx%3D1"));
        assert!(links.google.contains("line+two"));
        assert!(links.outlook_com.starts_with("https://outlook.live.com/calendar/0/action/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject=Intro"));
        assert!(links
            .outlook_com
            .contains("&startdt=2026-12-08T09%3A30%3A00Z&enddt=2026-12-08T10%3A00%3A00Z"));
        assert!(links
            .office_365
            .starts_with("https://outlook.office.com/calendar/0/action/compose?"));
        assert!(!links.google.contains('\n'));
    }
}
