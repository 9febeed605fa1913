//! HubSpot: people are contacts upserted by email, meetings, deals and notes are CRM v3
//! objects found again by the `convene_id` property and associated with the contact through
//! the associations v4 API, owners come from the owners API. Private-app token auth.

use std::time::Duration;

use chrono::SecondsFormat;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

use super::model::{
    CallError, DealFacts, MeetingFacts, MeetingState, NoteFacts, PersonFacts, PersonRef,
};
use super::provider::{send, shorten, Answer, CrmProvider, OwnerEntry};
use crate::config::HubspotSettings;

/// The custom property (single-line text, unique values) on meetings, deals and notes that
/// holds the Convene id, so a push repeated after a lost answer finds its first result.
pub const CONVENE_ID_PROPERTY: &str = "convene_id";
/// Pages read per list when pulling owners: 100 records a page.
const MAX_PAGES: usize = 500;

pub struct Hubspot {
    client: reqwest::Client,
    base: String,
    token: SecretString,
    pipeline: String,
}

impl Hubspot {
    pub fn new(client: reqwest::Client, settings: &HubspotSettings) -> Self {
        Self {
            client,
            base: settings.api_base.trim_end_matches('/').to_owned(),
            token: settings.token.clone(),
            pipeline: settings.pipeline.clone(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, CallError> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.token.expose_secret());
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = send(request).await?;
        if answer.status.is_success() {
            Ok(answer)
        } else {
            Err(classify(answer.status, &answer.headers, &answer.body))
        }
    }

    /// The id of the `object_type` object whose `convene_id` is `convene_id`.
    async fn find_by_convene_id(
        &self,
        object_type: &str,
        convene_id: &str,
    ) -> Result<Option<String>, CallError> {
        let body = json!({
            "filterGroups": [{"filters": [
                {"propertyName": CONVENE_ID_PROPERTY, "operator": "EQ", "value": convene_id}
            ]}],
            "properties": [CONVENE_ID_PROPERTY],
            "limit": 1,
        });
        let answer = self
            .call(
                Method::POST,
                &format!("/crm/v3/objects/{object_type}/search"),
                Some(&body),
            )
            .await?;
        let found: Page = answer.json("HubSpot search")?;
        Ok(found.results.into_iter().next().map(|object| object.id))
    }

    /// Updates the object when its id is known or found by its Convene id, else creates it;
    /// then associates it with the contact (a repeat of which changes nothing).
    async fn upsert_object(
        &self,
        object_type: &str,
        convene_id: &str,
        properties: Value,
        contact: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        let body = json!({ "properties": properties });
        if let Some(id) = known {
            self.call(
                Method::PATCH,
                &format!("/crm/v3/objects/{object_type}/{id}"),
                Some(&body),
            )
            .await?;
            return Ok(id.to_owned());
        }
        let id = match self.find_by_convene_id(object_type, convene_id).await? {
            Some(id) => {
                self.call(
                    Method::PATCH,
                    &format!("/crm/v3/objects/{object_type}/{id}"),
                    Some(&body),
                )
                .await?;
                id
            }
            None => {
                let created: Object = self
                    .call(
                        Method::POST,
                        &format!("/crm/v3/objects/{object_type}"),
                        Some(&body),
                    )
                    .await?
                    .json("HubSpot create")?;
                created.id
            }
        };
        self.call(
            Method::PUT,
            &format!(
                "/crm/v4/objects/{object_type}/{id}/associations/default/contacts/{}",
                contact.id
            ),
            None,
        )
        .await?;
        Ok(id)
    }

    /// Every page of a list, following `paging.next.after`.
    async fn list_all(&self, path_and_query: &str) -> Result<Vec<Object>, CallError> {
        let mut objects = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let path = match &after {
                Some(after) => format!("{path_and_query}&after={}", urlencode(after)),
                None => path_and_query.to_owned(),
            };
            let page: Page = self
                .call(Method::GET, &path, None)
                .await?
                .json("HubSpot list")?;
            objects.extend(page.results);
            after = page
                .paging
                .and_then(|paging| paging.next)
                .map(|next| next.after);
            if after.is_none() {
                break;
            }
        }
        Ok(objects)
    }
}

impl CrmProvider for Hubspot {
    /// The contact the last push made is updated by its id, so a changed email moves with it;
    /// until then contacts are upserted by email.
    async fn push_person(
        &self,
        person: &PersonFacts,
        known: Option<&PersonRef>,
    ) -> Result<PersonRef, CallError> {
        let input = contact_input(person);
        if let Some(known) = known {
            self.call(
                Method::PATCH,
                &format!("/crm/v3/objects/contacts/{}", known.id),
                Some(&json!({ "properties": input["properties"] })),
            )
            .await?;
            return Ok(known.clone());
        }
        let body = json!({ "inputs": [input] });
        let upserted: BatchResult = self
            .call(
                Method::POST,
                "/crm/v3/objects/contacts/batch/upsert",
                Some(&body),
            )
            .await?
            .json("HubSpot contact upsert")?;
        let contact = upserted
            .results
            .into_iter()
            .next()
            .ok_or_else(|| CallError::permanent("HubSpot upserted no contact"))?;
        Ok(PersonRef {
            id: contact.id,
            object_type: Some("contact".into()),
        })
    }

    async fn push_meeting(
        &self,
        meeting: &MeetingFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        self.upsert_object(
            "meetings",
            &meeting.convene_id,
            meeting_properties(meeting),
            person,
            known,
        )
        .await
    }

    async fn push_deal(
        &self,
        deal: &DealFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        self.upsert_object(
            "deals",
            &deal.convene_id,
            deal_properties(deal, &self.pipeline),
            person,
            known,
        )
        .await
    }

    async fn push_note(
        &self,
        note: &NoteFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        self.upsert_object(
            "notes",
            &note.convene_id,
            note_properties(note),
            person,
            known,
        )
        .await
    }

    async fn pull_owners(&self) -> Result<Vec<OwnerEntry>, CallError> {
        let owners = self.list_all("/crm/v3/owners?limit=100").await?;
        let owner_email = |owner_id: &str| {
            owners
                .iter()
                .find(|owner| owner.id == owner_id)
                .and_then(|owner| owner.email.clone())
        };
        let mut entries = Vec::new();
        let people = self
            .list_all("/crm/v3/objects/contacts?limit=100&properties=email,hubspot_owner_id")
            .await?;
        let companies = self
            .list_all("/crm/v3/objects/companies?limit=100&properties=domain,hubspot_owner_id")
            .await?;
        for (kind, objects, key_property) in
            [("email", people, "email"), ("domain", companies, "domain")]
        {
            for object in objects {
                let key = object.property(key_property);
                let owner = object
                    .property("hubspot_owner_id")
                    .and_then(|id| owner_email(&id));
                if let (Some(key), Some(owner_email)) = (key, owner) {
                    entries.push(OwnerEntry {
                        kind,
                        key: key.to_lowercase(),
                        owner_email: owner_email.to_lowercase(),
                    });
                }
            }
        }
        Ok(entries)
    }
}

/// A CRM v3 object (or an owner, which has the same `id` and an `email`).
#[derive(Debug, Deserialize)]
struct Object {
    id: String,
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
    #[serde(default)]
    email: Option<String>,
}

impl Object {
    fn property(&self, name: &str) -> Option<String> {
        self.properties
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }
}

#[derive(Debug, Deserialize)]
struct Page {
    results: Vec<Object>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
struct Paging {
    next: Option<NextPage>,
}

#[derive(Debug, Deserialize)]
struct NextPage {
    after: String,
}

#[derive(Debug, Deserialize)]
struct BatchResult {
    results: Vec<Object>,
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A contact upsert input, matched on `email`.
pub fn contact_input(person: &PersonFacts) -> Value {
    let mut properties = serde_json::Map::new();
    properties.insert("email".into(), json!(person.email));
    properties.insert("lastname".into(), json!(person.last_name));
    let optional = [
        ("firstname", person.first_name.as_deref()),
        ("company", person.company.as_deref()),
        ("jobtitle", person.title.as_deref()),
        ("phone", person.phone.as_deref()),
        ("lifecyclestage", lifecycle_stage(&person.stage)),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            properties.insert(name.into(), json!(value));
        }
    }
    json!({"idProperty": "email", "id": person.email, "properties": properties})
}

/// HubSpot's lifecycle stage for a Convene lead stage; a disqualified lead keeps its own.
fn lifecycle_stage(stage: &str) -> Option<&'static str> {
    match stage {
        "new" => Some("lead"),
        "mql" => Some("marketingqualifiedlead"),
        "sql" => Some("salesqualifiedlead"),
        "opportunity" => Some("opportunity"),
        "customer" => Some("customer"),
        _ => None,
    }
}

pub fn meeting_properties(meeting: &MeetingFacts) -> Value {
    let at = |instant: chrono::DateTime<chrono::Utc>| {
        instant.to_rfc3339_opts(SecondsFormat::Millis, true)
    };
    let outcome = match meeting.state {
        MeetingState::Scheduled => "SCHEDULED",
        MeetingState::Rescheduled => "RESCHEDULED",
        MeetingState::Cancelled => "CANCELED",
        MeetingState::Completed => "COMPLETED",
        MeetingState::NoShow => "NO_SHOW",
    };
    json!({
        CONVENE_ID_PROPERTY: meeting.convene_id,
        "hs_timestamp": at(meeting.start),
        "hs_meeting_title": meeting.title,
        "hs_meeting_body": meeting.body,
        "hs_meeting_start_time": at(meeting.start),
        "hs_meeting_end_time": at(meeting.end),
        "hs_meeting_location": meeting.location.clone().unwrap_or_default(),
        "hs_meeting_outcome": outcome,
    })
}

pub fn deal_properties(deal: &DealFacts, pipeline: &str) -> Value {
    json!({
        CONVENE_ID_PROPERTY: deal.convene_id,
        "dealname": deal.name,
        "amount": deal.amount,
        "deal_currency_code": deal.currency,
        "pipeline": pipeline,
        "dealstage": deal.stage,
        "closedate": format!("{}T00:00:00.000Z", deal.close_date.format("%Y-%m-%d")),
    })
}

pub fn note_properties(note: &NoteFacts) -> Value {
    json!({
        CONVENE_ID_PROPERTY: note.convene_id,
        "hs_timestamp": note.at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "hs_note_body": format!("{}\n\n{}", note.title, note.body),
    })
}

/// What a failed answer means: 429 waits for `Retry-After` (else, with the window spent, for
/// the window in `X-HubSpot-RateLimit-Interval-Milliseconds`); 5xx and 408 retry with backoff;
/// any other 4xx is HubSpot's refusal, parked with its message.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &str) -> CallError {
    let message = error_message(status, body);
    if status == StatusCode::TOO_MANY_REQUESTS {
        return CallError::Transient {
            message,
            retry_after: rate_limit_wait(headers),
        };
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return CallError::transient(message);
    }
    CallError::permanent(message)
}

/// How long HubSpot asked to wait, from its headers.
pub fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    if let Some(seconds) = header("retry-after").and_then(|value| value.parse::<f64>().ok()) {
        if seconds.is_finite() && seconds >= 0.0 {
            return Some(Duration::from_secs_f64(seconds.min(86_400.0)));
        }
    }
    let spent = header("x-hubspot-ratelimit-remaining") == Some("0");
    let interval = header("x-hubspot-ratelimit-interval-milliseconds")
        .and_then(|value| value.parse::<u64>().ok());
    match (spent, interval) {
        (true, Some(millis)) => Some(Duration::from_millis(millis.min(86_400_000))),
        _ => None,
    }
}

/// `HubSpot answered 400: Property values were not valid (VALIDATION_ERROR)`.
fn error_message(status: StatusCode, body: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: Option<String>,
        category: Option<String>,
    }
    let detail = match serde_json::from_str::<ErrorBody>(body) {
        Ok(ErrorBody {
            message: Some(message),
            category,
        }) => match category {
            Some(category) => format!(": {message} ({category})"),
            None => format!(": {message}"),
        },
        _ => String::new(),
    };
    shorten(&format!("HubSpot answered {}{detail}", status.as_u16()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use reqwest::header::HeaderValue;

    fn person() -> PersonFacts {
        PersonFacts {
            email: "pat@bigco.com".into(),
            first_name: Some("Pat".into()),
            last_name: "Lee".into(),
            company: Some("BigCo".into()),
            title: None,
            phone: None,
            stage: "mql".into(),
        }
    }

    #[test]
    fn contacts_are_upserted_by_email_with_only_known_properties() {
        assert_eq!(
            contact_input(&person()),
            json!({"idProperty": "email", "id": "pat@bigco.com", "properties": {
                "email": "pat@bigco.com", "firstname": "Pat", "lastname": "Lee",
                "company": "BigCo", "lifecyclestage": "marketingqualifiedlead"
            }})
        );
    }

    #[test]
    fn meetings_carry_times_outcome_and_convene_id() {
        let start = Utc.with_ymd_and_hms(2026, 12, 9, 14, 0, 0).unwrap();
        let meeting = MeetingFacts {
            convene_id: "m1".into(),
            title: "Intro".into(),
            body: "With Dana".into(),
            start,
            end: start + chrono::Duration::minutes(30),
            location: None,
            state: MeetingState::Cancelled,
        };
        let properties = meeting_properties(&meeting);
        assert_eq!(properties["hs_timestamp"], "2026-12-09T14:00:00.000Z");
        assert_eq!(
            properties["hs_meeting_end_time"],
            "2026-12-09T14:30:00.000Z"
        );
        assert_eq!(properties["hs_meeting_outcome"], "CANCELED");
        assert_eq!(properties["convene_id"], "m1");
    }

    #[test]
    fn deals_carry_amount_currency_stage_and_pipeline() {
        let deal = DealFacts {
            convene_id: "m1".into(),
            name: "BigCo".into(),
            amount: "25000.00".into(),
            currency: "EUR".into(),
            stage: "closedwon".into(),
            close_date: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
        };
        let properties = deal_properties(&deal, "default");
        assert_eq!(properties["amount"], "25000.00");
        assert_eq!(properties["deal_currency_code"], "EUR");
        assert_eq!(properties["dealstage"], "closedwon");
        assert_eq!(properties["closedate"], "2026-12-09T00:00:00.000Z");
    }

    #[test]
    fn rate_limits_are_read_from_retry_after_then_the_window() {
        let mut headers = HeaderMap::new();
        assert_eq!(rate_limit_wait(&headers), None);
        headers.insert(
            "x-hubspot-ratelimit-remaining",
            HeaderValue::from_static("0"),
        );
        headers.insert(
            "x-hubspot-ratelimit-interval-milliseconds",
            HeaderValue::from_static("10000"),
        );
        assert_eq!(rate_limit_wait(&headers), Some(Duration::from_secs(10)));
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(rate_limit_wait(&headers), Some(Duration::from_secs(2)));
    }

    #[test]
    fn failures_split_into_retryable_and_refused() {
        let headers = HeaderMap::new();
        let refused = classify(
            StatusCode::BAD_REQUEST,
            &headers,
            r#"{"status":"error","message":"Property \"x\" does not exist","correlationId":"c","category":"VALIDATION_ERROR"}"#,
        );
        assert_eq!(
            refused,
            CallError::permanent(
                "HubSpot answered 400: Property \"x\" does not exist (VALIDATION_ERROR)"
            )
        );
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, &headers, "<html>"),
            CallError::Transient { .. }
        ));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, &headers, "{}"),
            CallError::Transient { .. }
        ));
    }
}
