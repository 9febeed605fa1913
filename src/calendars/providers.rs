//! The two calendar APIs behind one trait: Google Calendar v3 and Microsoft Graph, each read
//! for free/busy and written for events, in the wire formats of provider-contracts.md. Base
//! URLs come from config, so the same code talks to the providers or to anything that speaks
//! their formats.

use std::future::Future;
use std::time::Duration as StdDuration;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use reqwest::{RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

use super::Provider;
use crate::scheduling::availability::Interval;
use crate::values::TimeZone;

/// Why a provider call did not do what was asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// The access token was refused: refresh it and try once more.
    #[error("the provider refused the access token")]
    Unauthorized,
    /// Too many requests: wait `retry_after` when the provider said how long.
    #[error("the provider asked to slow down")]
    Throttled { retry_after: Option<StdDuration> },
    /// A network failure, a timeout or a server error: worth retrying later.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The event is not there (deleted, or never existed).
    #[error("the event is gone")]
    Gone,
    /// An insert with a client-chosen id that already exists: the earlier attempt landed.
    #[error("the event already exists")]
    Duplicate,
    /// The calendar answered, but not with this calendar's busy times.
    #[error("the calendar could not be read: {0}")]
    Unreadable(String),
    /// Refused for a reason a retry will not fix.
    #[error("the provider refused the request: {0}")]
    Refused(String),
}

/// A meeting as written into one host's calendar.
#[derive(Debug, Clone)]
pub struct EventDetails {
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The host's zone, which Google shows the event in.
    pub zone: TimeZone,
    /// (name, email) of everyone else at the meeting.
    pub attendees: Vec<(String, String)>,
    pub meeting_id: String,
    /// Stable across retries of the same write, so a repeated insert is recognised.
    pub idempotency_key: String,
}

/// One calendar account, through its access token.
pub trait CalendarProvider {
    /// The account's email address.
    fn account_email(
        &self,
        token: &SecretString,
    ) -> impl Future<Output = Result<String, ProviderError>> + Send;

    /// Busy periods of the account's main calendar within `window`.
    fn busy(
        &self,
        token: &SecretString,
        account_email: &str,
        window: Interval,
    ) -> impl Future<Output = Result<Vec<Interval>, ProviderError>> + Send;

    /// Creates the event; answers its id.
    fn create_event(
        &self,
        token: &SecretString,
        event: &EventDetails,
    ) -> impl Future<Output = Result<String, ProviderError>> + Send;

    fn update_event(
        &self,
        token: &SecretString,
        event_id: &str,
        event: &EventDetails,
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;

    fn delete_event(
        &self,
        token: &SecretString,
        event_id: &str,
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;
}

/// Google Calendar v3 at `api_base`.
pub struct GoogleCalendar {
    pub http: reqwest::Client,
    pub api_base: String,
}

/// Microsoft Graph v1.0 at `api_base`.
pub struct MicrosoftCalendar {
    pub http: reqwest::Client,
    pub api_base: String,
    pub tentative_is_busy: bool,
    /// Whether events carry attendees (Outlook then invites them itself).
    pub event_attendees: bool,
}

/// Either provider, chosen by a connection's `provider`.
pub enum ProviderApi {
    Google(GoogleCalendar),
    Microsoft(MicrosoftCalendar),
}

impl ProviderApi {
    pub fn provider(&self) -> Provider {
        match self {
            ProviderApi::Google(_) => Provider::Google,
            ProviderApi::Microsoft(_) => Provider::Microsoft,
        }
    }
}

impl CalendarProvider for ProviderApi {
    async fn account_email(&self, token: &SecretString) -> Result<String, ProviderError> {
        match self {
            ProviderApi::Google(api) => api.account_email(token).await,
            ProviderApi::Microsoft(api) => api.account_email(token).await,
        }
    }

    async fn busy(
        &self,
        token: &SecretString,
        account_email: &str,
        window: Interval,
    ) -> Result<Vec<Interval>, ProviderError> {
        match self {
            ProviderApi::Google(api) => api.busy(token, account_email, window).await,
            ProviderApi::Microsoft(api) => api.busy(token, account_email, window).await,
        }
    }

    async fn create_event(
        &self,
        token: &SecretString,
        event: &EventDetails,
    ) -> Result<String, ProviderError> {
        match self {
            ProviderApi::Google(api) => api.create_event(token, event).await,
            ProviderApi::Microsoft(api) => api.create_event(token, event).await,
        }
    }

    async fn update_event(
        &self,
        token: &SecretString,
        event_id: &str,
        event: &EventDetails,
    ) -> Result<(), ProviderError> {
        match self {
            ProviderApi::Google(api) => api.update_event(token, event_id, event).await,
            ProviderApi::Microsoft(api) => api.update_event(token, event_id, event).await,
        }
    }

    async fn delete_event(
        &self,
        token: &SecretString,
        event_id: &str,
    ) -> Result<(), ProviderError> {
        match self {
            ProviderApi::Google(api) => api.delete_event(token, event_id).await,
            ProviderApi::Microsoft(api) => api.delete_event(token, event_id).await,
        }
    }
}

fn authorized(request: RequestBuilder, token: &SecretString) -> RequestBuilder {
    request.bearer_auth(token.expose_secret())
}

/// Sends `request` and sorts the answer: a success, or the error its status means. Error texts
/// carry the provider's message but never a URL, header or token.
async fn send(request: RequestBuilder) -> Result<Response, ProviderError> {
    let response = request
        .send()
        .await
        .map_err(|error| ProviderError::Unavailable(error.without_url().to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(&response);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let message = body["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    let reasons: Vec<&str> = body["error"]["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["reason"].as_str()).collect())
        .unwrap_or_default();
    Err(match status {
        StatusCode::UNAUTHORIZED => ProviderError::Unauthorized,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            ProviderError::Throttled { retry_after }
        }
        StatusCode::FORBIDDEN
            if reasons.iter().any(|reason| {
                matches!(
                    *reason,
                    "rateLimitExceeded" | "userRateLimitExceeded" | "quotaExceeded"
                )
            }) =>
        {
            ProviderError::Throttled { retry_after }
        }
        StatusCode::NOT_FOUND | StatusCode::GONE => ProviderError::Gone,
        StatusCode::CONFLICT if reasons.contains(&"duplicate") => ProviderError::Duplicate,
        status if status.is_server_error() => {
            ProviderError::Unavailable(format!("HTTP {}: {message}", status.as_u16()))
        }
        status => ProviderError::Refused(format!("HTTP {}: {message}", status.as_u16())),
    })
}

/// `Retry-After` as seconds (Graph sends fractions) or as an HTTP date.
fn retry_after(response: &Response) -> Option<StdDuration> {
    let raw = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(raw, Utc::now())
}

pub fn parse_retry_after(raw: &str, now: DateTime<Utc>) -> Option<StdDuration> {
    let raw = raw.trim();
    if let Ok(seconds) = raw.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| StdDuration::from_secs_f64(seconds));
    }
    let at = DateTime::parse_from_rfc2822(raw).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or_default())
}

async fn json_of<T: for<'de> Deserialize<'de>>(response: Response) -> Result<T, ProviderError> {
    response
        .json()
        .await
        .map_err(|_| ProviderError::Unavailable("the provider's answer could not be read".into()))
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Deserialize)]
struct GoogleBusy {
    start: DateTime<chrono::FixedOffset>,
    end: DateTime<chrono::FixedOffset>,
}

#[derive(Deserialize)]
struct GoogleCalendarBusy {
    #[serde(default)]
    busy: Vec<GoogleBusy>,
    #[serde(default)]
    errors: Vec<Value>,
}

#[derive(Deserialize)]
struct GoogleFreeBusy {
    #[serde(default)]
    calendars: std::collections::HashMap<String, GoogleCalendarBusy>,
}

impl GoogleCalendar {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }

    fn event_body(event: &EventDetails, with_id: bool) -> Value {
        let local = |at: DateTime<Utc>| {
            at.with_timezone(&event.zone.tz())
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        };
        let mut body = json!({
            "summary": event.summary,
            "description": event.description,
            "start": {"dateTime": local(event.start), "timeZone": event.zone.name()},
            "end": {"dateTime": local(event.end), "timeZone": event.zone.name()},
            "attendees": event.attendees.iter().map(|(name, email)| json!({
                "email": email, "displayName": name, "responseStatus": "needsAction"
            })).collect::<Vec<_>>(),
            "extendedProperties": {"private": {"convene_meeting_id": event.meeting_id}},
        });
        if let Some(location) = &event.location {
            body["location"] = json!(location);
        }
        if with_id {
            body["id"] = json!(event.idempotency_key);
        }
        body
    }
}

impl CalendarProvider for GoogleCalendar {
    async fn account_email(&self, token: &SecretString) -> Result<String, ProviderError> {
        let response = send(authorized(
            self.http.get(self.url("/calendars/primary")),
            token,
        ))
        .await?;
        let calendar: Value = json_of(response).await?;
        calendar["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ProviderError::Refused("the primary calendar has no id".into()))
    }

    async fn busy(
        &self,
        token: &SecretString,
        _account_email: &str,
        window: Interval,
    ) -> Result<Vec<Interval>, ProviderError> {
        let request = json!({
            "timeMin": rfc3339(window.start),
            "timeMax": rfc3339(window.end),
            "timeZone": "UTC",
            "items": [{"id": "primary"}],
        });
        let response = send(authorized(
            self.http.post(self.url("/freeBusy")).json(&request),
            token,
        ))
        .await?;
        let answer: GoogleFreeBusy = json_of(response).await?;
        let calendar = answer
            .calendars
            .get("primary")
            .ok_or_else(|| ProviderError::Unreadable("the answer left the calendar out".into()))?;
        if let Some(error) = calendar.errors.first() {
            return Err(ProviderError::Unreadable(
                error["reason"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_owned(),
            ));
        }
        Ok(calendar
            .busy
            .iter()
            .map(|busy| Interval {
                start: busy.start.with_timezone(&Utc),
                end: busy.end.with_timezone(&Utc),
            })
            .filter(|busy| busy.start < busy.end)
            .collect())
    }

    async fn create_event(
        &self,
        token: &SecretString,
        event: &EventDetails,
    ) -> Result<String, ProviderError> {
        // Convene sends its own invitations, so Google must not.
        let request = self
            .http
            .post(self.url("/calendars/primary/events"))
            .query(&[("sendUpdates", "none")])
            .json(&Self::event_body(event, true));
        match send(authorized(request, token)).await {
            Ok(response) => {
                let created: Value = json_of(response).await?;
                Ok(created["id"]
                    .as_str()
                    .unwrap_or(&event.idempotency_key)
                    .to_owned())
            }
            Err(ProviderError::Duplicate) => Ok(event.idempotency_key.clone()),
            Err(error) => Err(error),
        }
    }

    async fn update_event(
        &self,
        token: &SecretString,
        event_id: &str,
        event: &EventDetails,
    ) -> Result<(), ProviderError> {
        let request = self
            .http
            .patch(self.url(&format!("/calendars/primary/events/{event_id}")))
            .query(&[("sendUpdates", "none")])
            .json(&Self::event_body(event, false));
        send(authorized(request, token)).await.map(drop)
    }

    async fn delete_event(
        &self,
        token: &SecretString,
        event_id: &str,
    ) -> Result<(), ProviderError> {
        let request = self
            .http
            .delete(self.url(&format!("/calendars/primary/events/{event_id}")))
            .query(&[("sendUpdates", "none")]);
        match send(authorized(request, token)).await {
            Ok(_) | Err(ProviderError::Gone) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

#[derive(Deserialize)]
struct GraphDateTime {
    #[serde(rename = "dateTime")]
    date_time: String,
    #[serde(rename = "timeZone", default)]
    time_zone: String,
}

#[derive(Deserialize)]
struct GraphScheduleItem {
    status: String,
    start: GraphDateTime,
    end: GraphDateTime,
}

#[derive(Deserialize)]
struct GraphSchedule {
    #[serde(rename = "scheduleItems", default)]
    schedule_items: Vec<GraphScheduleItem>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct GraphSchedules {
    #[serde(default)]
    value: Vec<GraphSchedule>,
}

/// A Graph `dateTimeTimeZone`, which has no offset: the time is in its `timeZone`, UTC when
/// asked for with `Prefer: outlook.timezone="UTC"`.
fn graph_instant(at: &GraphDateTime) -> Result<DateTime<Utc>, ProviderError> {
    let unreadable = || ProviderError::Unreadable(format!("unreadable time `{}`", at.date_time));
    let trimmed = at.date_time.trim_end_matches('Z');
    let naive =
        NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| unreadable())?;
    match at.time_zone.as_str() {
        "" | "UTC" | "Etc/UTC" => Ok(naive.and_utc()),
        zone => {
            let zone = TimeZone::parse(zone).map_err(|_| unreadable())?;
            naive
                .and_local_timezone(zone.tz())
                .earliest()
                .map(|at| at.with_timezone(&Utc))
                .ok_or_else(unreadable)
        }
    }
}

fn graph_utc(at: DateTime<Utc>) -> Value {
    json!({"dateTime": at.format("%Y-%m-%dT%H:%M:%S").to_string(), "timeZone": "UTC"})
}

impl MicrosoftCalendar {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }

    fn event_body(&self, event: &EventDetails) -> Value {
        let html = html_escape(&event.description).replace('\n', "<br>");
        let mut body = json!({
            "subject": event.summary,
            "body": {"contentType": "HTML", "content": html},
            "start": graph_utc(event.start),
            "end": graph_utc(event.end),
            "transactionId": event.idempotency_key,
        });
        if let Some(location) = &event.location {
            body["location"] = json!({"displayName": location});
        }
        if self.event_attendees {
            body["attendees"] = event
                .attendees
                .iter()
                .map(|(name, email)| {
                    json!({"emailAddress": {"address": email, "name": name}, "type": "required"})
                })
                .collect();
        }
        body
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl CalendarProvider for MicrosoftCalendar {
    async fn account_email(&self, token: &SecretString) -> Result<String, ProviderError> {
        let response = send(authorized(self.http.get(self.url("/me")), token)).await?;
        let me: Value = json_of(response).await?;
        me["mail"]
            .as_str()
            .filter(|mail| !mail.is_empty())
            .or_else(|| me["userPrincipalName"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| ProviderError::Refused("the account has no email address".into()))
    }

    async fn busy(
        &self,
        token: &SecretString,
        account_email: &str,
        window: Interval,
    ) -> Result<Vec<Interval>, ProviderError> {
        let request = json!({
            "schedules": [account_email],
            "startTime": graph_utc(window.start),
            "endTime": graph_utc(window.end),
            "availabilityViewInterval": 30,
        });
        let response = send(authorized(
            self.http
                .post(self.url("/me/calendar/getSchedule"))
                .header("Prefer", "outlook.timezone=\"UTC\"")
                .json(&request),
            token,
        ))
        .await?;
        let answer: GraphSchedules = json_of(response).await?;
        let schedule =
            answer.value.into_iter().next().ok_or_else(|| {
                ProviderError::Unreadable("the answer left the calendar out".into())
            })?;
        if let Some(error) = schedule.error {
            return Err(ProviderError::Unreadable(
                error["responseCode"]
                    .as_str()
                    .or_else(|| error["message"].as_str())
                    .unwrap_or("unknown error")
                    .to_owned(),
            ));
        }
        let mut busy = Vec::new();
        for item in schedule.schedule_items {
            let blocks = match item.status.as_str() {
                "free" => false,
                "tentative" => self.tentative_is_busy,
                _ => true,
            };
            if blocks {
                let period = Interval {
                    start: graph_instant(&item.start)?,
                    end: graph_instant(&item.end)?,
                };
                if period.start < period.end {
                    busy.push(period);
                }
            }
        }
        Ok(busy)
    }

    async fn create_event(
        &self,
        token: &SecretString,
        event: &EventDetails,
    ) -> Result<String, ProviderError> {
        let request = self
            .http
            .post(self.url("/me/events"))
            .json(&self.event_body(event));
        let created: Value = json_of(send(authorized(request, token)).await?).await?;
        created["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ProviderError::Refused("the created event has no id".into()))
    }

    async fn update_event(
        &self,
        token: &SecretString,
        event_id: &str,
        event: &EventDetails,
    ) -> Result<(), ProviderError> {
        let mut body = self.event_body(event);
        if let Some(fields) = body.as_object_mut() {
            fields.remove("transactionId");
        }
        let request = self
            .http
            .patch(self.url(&format!("/me/events/{event_id}")))
            .json(&body);
        send(authorized(request, token)).await.map(drop)
    }

    async fn delete_event(
        &self,
        token: &SecretString,
        event_id: &str,
    ) -> Result<(), ProviderError> {
        let request = self
            .http
            .delete(self.url(&format!("/me/events/{event_id}")));
        match send(authorized(request, token)).await {
            Ok(_) | Err(ProviderError::Gone) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_fractional_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(StdDuration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("120", now),
            Some(StdDuration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Tue, 01 Dec 2026 10:00:30 GMT", now),
            Some(StdDuration::from_secs(30))
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn graph_times_without_offset_are_read_in_their_zone() {
        let utc = GraphDateTime {
            date_time: "2025-03-10T12:00:00.0000000".into(),
            time_zone: "UTC".into(),
        };
        assert_eq!(
            graph_instant(&utc).unwrap(),
            DateTime::parse_from_rfc3339("2025-03-10T12:00:00Z").unwrap()
        );
        let berlin = GraphDateTime {
            date_time: "2025-03-10T12:00:00".into(),
            time_zone: "Europe/Berlin".into(),
        };
        assert_eq!(
            graph_instant(&berlin).unwrap(),
            DateTime::parse_from_rfc3339("2025-03-10T11:00:00Z").unwrap()
        );
        let windows_zone = GraphDateTime {
            date_time: "2025-03-10T12:00:00".into(),
            time_zone: "Pacific Standard Time".into(),
        };
        assert!(graph_instant(&windows_zone).is_err());
    }
}
