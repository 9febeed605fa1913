//! Salesforce: people are the Contact with their email, else the open Lead, else a new Lead;
//! meetings are Events and outcomes Opportunities, upserted on the `Convene_Id__c` external id
//! field; survey answers are Notes on the person, found again by their title. OAuth 2.0
//! client-credentials flow; the access token lives in memory only and is fetched again when
//! Salesforce refuses it.

use chrono::SecondsFormat;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::model::{
    CallError, DealFacts, MeetingFacts, MeetingState, NoteFacts, PersonFacts, PersonRef,
};
use super::provider::{send, shorten, Answer, CrmProvider, OwnerEntry};
use crate::config::SalesforceSettings;

/// The External ID field (text, unique) on Event and Opportunity that holds the Convene id.
pub const CONVENE_ID_FIELD: &str = "Convene_Id__c";
/// Salesforce requires a company on a Lead.
const UNKNOWN_COMPANY: &str = "[not provided]";
/// Pages read per query when pulling owners: up to 2,000 records a page.
const MAX_PAGES: usize = 500;

/// A session: the access token and the instance it is good for.
#[derive(Clone)]
struct Session {
    access_token: SecretString,
    instance_url: String,
}

pub struct Salesforce {
    client: reqwest::Client,
    settings: SalesforceSettings,
    session: Mutex<Option<Session>>,
}

impl Salesforce {
    pub fn new(client: reqwest::Client, settings: &SalesforceSettings) -> Self {
        Self {
            client,
            settings: settings.clone(),
            session: Mutex::new(None),
        }
    }

    /// The current session, asking for a token first when there is none.
    async fn session(&self) -> Result<Session, CallError> {
        let mut session = self.session.lock().await;
        if let Some(current) = session.as_ref() {
            return Ok(current.clone());
        }
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", self.settings.client_secret.expose_secret()),
        ];
        let answer = send(self.client.post(&self.settings.token_url).form(&form)).await?;
        if !answer.status.is_success() {
            return Err(token_error(answer.status, &answer.body));
        }
        let granted: TokenAnswer = answer.json("Salesforce token")?;
        let instance_url = granted
            .instance_url
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| self.settings.instance_url.clone());
        if instance_url.is_empty() {
            return Err(CallError::permanent(
                "Salesforce named no instance: set crm.salesforce.instance_url",
            ));
        }
        let fresh = Session {
            access_token: SecretString::from(granted.access_token),
            instance_url: instance_url.trim_end_matches('/').to_owned(),
        };
        *session = Some(fresh.clone());
        Ok(fresh)
    }

    async fn forget_session(&self) {
        *self.session.lock().await = None;
    }

    /// Calls `path` (under the instance, e.g. `/services/data/v60.0/sobjects/Lead`), fetching
    /// a new token once if Salesforce refuses the one it has.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, CallError> {
        for fresh_token in [false, true] {
            let session = self.session().await?;
            let mut request = self
                .client
                .request(method.clone(), format!("{}{path}", session.instance_url))
                .bearer_auth(session.access_token.expose_secret());
            if let Some(body) = body {
                request = request.json(body);
            }
            let answer = send(request).await?;
            if answer.status == StatusCode::UNAUTHORIZED && !fresh_token {
                self.forget_session().await;
                continue;
            }
            if answer.status.is_success() {
                return Ok(answer);
            }
            return Err(classify(answer.status, &answer.body));
        }
        Err(CallError::permanent(
            "Salesforce refused a freshly issued token",
        ))
    }

    fn data_path(&self, rest: &str) -> String {
        format!("/services/data/{}/{rest}", self.settings.api_version)
    }

    /// Every record a SOQL query selects, following `nextRecordsUrl`.
    async fn query(&self, soql: &str) -> Result<Vec<Value>, CallError> {
        let mut path = self.data_path(&format!("query?q={}", urlencode(soql)));
        let mut records = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: QueryPage = self.call(Method::GET, &path, None).await?.json("SOQL")?;
            records.extend(page.records);
            match page.next_records_url {
                Some(next) if !page.done => path = next,
                _ => break,
            }
        }
        Ok(records)
    }

    async fn first_id(&self, soql: &str) -> Result<Option<String>, CallError> {
        Ok(self
            .query(soql)
            .await?
            .first()
            .and_then(|record| record["Id"].as_str())
            .map(str::to_owned))
    }

    /// Upserts `object` on its Convene id; answers the record's id.
    async fn upsert(
        &self,
        object: &str,
        convene_id: &str,
        fields: &Value,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        let path = self.data_path(&format!(
            "sobjects/{object}/{CONVENE_ID_FIELD}/{}",
            urlencode(convene_id)
        ));
        let answer = self.call(Method::PATCH, &path, Some(fields)).await?;
        if answer.status == StatusCode::NO_CONTENT {
            return known.map(str::to_owned).ok_or_else(|| {
                CallError::permanent(format!("Salesforce upserted the {object} without its id"))
            });
        }
        let saved: SaveResult = answer.json("Salesforce upsert")?;
        saved.id_or_error(object)
    }

    async fn update(&self, object: &str, id: &str, fields: &Value) -> Result<(), CallError> {
        self.call(
            Method::PATCH,
            &self.data_path(&format!("sobjects/{object}/{id}")),
            Some(fields),
        )
        .await?;
        Ok(())
    }

    async fn create(&self, object: &str, fields: &Value) -> Result<String, CallError> {
        let saved: SaveResult = self
            .call(
                Method::POST,
                &self.data_path(&format!("sobjects/{object}")),
                Some(fields),
            )
            .await?
            .json("Salesforce create")?;
        saved.id_or_error(object)
    }
}

impl CrmProvider for Salesforce {
    async fn push_person(
        &self,
        person: &PersonFacts,
        known: Option<&PersonRef>,
    ) -> Result<PersonRef, CallError> {
        if let Some(PersonRef {
            id,
            object_type: Some(object),
        }) = known
        {
            match self
                .update(object, id, &person_fields(person, object))
                .await
            {
                Ok(()) => {
                    return Ok(PersonRef {
                        id: id.clone(),
                        object_type: Some(object.clone()),
                    })
                }
                // Sales converted the Lead: the person is now the Contact it became.
                Err(error) if is_converted_lead(&error) => {}
                Err(error) => return Err(error),
            }
        }
        let email = soql_string(&person.email);
        let contact = self
            .first_id(&format!(
                "SELECT Id FROM Contact WHERE Email = {email} ORDER BY CreatedDate LIMIT 1"
            ))
            .await?;
        let lead = match contact {
            Some(_) => None,
            None => {
                self.first_id(&format!(
                    "SELECT Id FROM Lead WHERE Email = {email} AND IsConverted = false \
                     ORDER BY CreatedDate LIMIT 1"
                ))
                .await?
            }
        };
        let (object, id) = match (contact, lead) {
            (Some(id), _) => ("Contact", id),
            (None, Some(id)) => ("Lead", id),
            (None, None) => {
                let id = self.create("Lead", &person_fields(person, "Lead")).await?;
                return Ok(PersonRef {
                    id,
                    object_type: Some("Lead".into()),
                });
            }
        };
        self.update(object, &id, &person_fields(person, object))
            .await?;
        Ok(PersonRef {
            id,
            object_type: Some(object.into()),
        })
    }

    async fn push_meeting(
        &self,
        meeting: &MeetingFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> Result<String, CallError> {
        self.upsert(
            "Event",
            &meeting.convene_id,
            &event_fields(meeting, &person.id),
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
        self.upsert(
            "Opportunity",
            &deal.convene_id,
            &opportunity_fields(deal, person),
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
        let fields = json!({"ParentId": person.id, "Title": note_title(note), "Body": note.body});
        let existing = match known {
            Some(id) => Some(id.to_owned()),
            None => {
                self.first_id(&format!(
                    "SELECT Id FROM Note WHERE ParentId = {} AND Title = {} LIMIT 1",
                    soql_string(&person.id),
                    soql_string(&note_title(note))
                ))
                .await?
            }
        };
        match existing {
            Some(id) => {
                self.update(
                    "Note",
                    &id,
                    &json!({"Title": note_title(note), "Body": note.body}),
                )
                .await?;
                Ok(id)
            }
            None => self.create("Note", &fields).await,
        }
    }

    async fn pull_owners(&self) -> Result<Vec<OwnerEntry>, CallError> {
        let mut entries = Vec::new();
        let people = [
            "SELECT Email, Owner.Email FROM Contact WHERE Email != null",
            "SELECT Email, Owner.Email FROM Lead WHERE Email != null AND IsConverted = false",
        ];
        for soql in people {
            for record in self.query(soql).await? {
                if let (Some(email), Some(owner)) =
                    (record["Email"].as_str(), record["Owner"]["Email"].as_str())
                {
                    entries.push(OwnerEntry {
                        kind: "email",
                        key: email.trim().to_lowercase(),
                        owner_email: owner.trim().to_lowercase(),
                    });
                }
            }
        }
        for record in self
            .query("SELECT Website, Owner.Email FROM Account WHERE Website != null")
            .await?
        {
            let domain = record["Website"].as_str().and_then(website_domain);
            if let (Some(domain), Some(owner)) = (domain, record["Owner"]["Email"].as_str()) {
                entries.push(OwnerEntry {
                    kind: "domain",
                    key: domain,
                    owner_email: owner.trim().to_lowercase(),
                });
            }
        }
        Ok(entries)
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    instance_url: Option<String>,
}

#[derive(Deserialize)]
struct QueryPage {
    done: bool,
    records: Vec<Value>,
    #[serde(rename = "nextRecordsUrl")]
    next_records_url: Option<String>,
}

#[derive(Deserialize)]
struct SaveResult {
    id: Option<String>,
    success: bool,
    #[serde(default)]
    errors: Vec<Value>,
}

impl SaveResult {
    fn id_or_error(self, object: &str) -> Result<String, CallError> {
        match (self.success, self.id) {
            (true, Some(id)) => Ok(id),
            _ => Err(CallError::permanent(shorten(&format!(
                "Salesforce did not save the {object}: {}",
                Value::from(self.errors)
            )))),
        }
    }
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A SOQL string literal: quoted, with backslashes and quotes escaped.
pub fn soql_string(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("\\'"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// `https://www.BigCo.com/about` → `bigco.com`.
pub fn website_domain(website: &str) -> Option<String> {
    let trimmed = website.trim();
    let without_scheme = trimmed.split_once("://").map_or(trimmed, |(_, rest)| rest);
    let host = without_scheme
        .split(['/', '?', '#', ':'])
        .next()?
        .trim()
        .to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (host.contains('.')).then(|| host.to_owned())
}

/// The fields of a Lead or Contact; a Contact has no `Company` field and keeps its own.
pub fn person_fields(person: &PersonFacts, object: &str) -> Value {
    let mut fields = serde_json::Map::new();
    fields.insert("Email".into(), json!(person.email));
    fields.insert("LastName".into(), json!(person.last_name));
    if let Some(first) = &person.first_name {
        fields.insert("FirstName".into(), json!(first));
    }
    if let Some(title) = &person.title {
        fields.insert("Title".into(), json!(title));
    }
    if let Some(phone) = &person.phone {
        fields.insert("Phone".into(), json!(phone));
    }
    if object == "Lead" {
        fields.insert(
            "Company".into(),
            json!(person.company.as_deref().unwrap_or(UNKNOWN_COMPANY)),
        );
        fields.insert("LeadSource".into(), json!("Convene"));
    }
    Value::Object(fields)
}

/// An Event for the person `who_id`. Events have no status: a cancelled meeting keeps its
/// Event, marked in its subject and shown as free.
pub fn event_fields(meeting: &MeetingFacts, who_id: &str) -> Value {
    let at = |instant: chrono::DateTime<chrono::Utc>| {
        instant.to_rfc3339_opts(SecondsFormat::Millis, true)
    };
    let (subject, show_as) = match meeting.state {
        MeetingState::Cancelled => (format!("Cancelled: {}", meeting.title), "Free"),
        MeetingState::NoShow => (format!("No-show: {}", meeting.title), "Busy"),
        _ => (meeting.title.clone(), "Busy"),
    };
    json!({
        "Subject": subject.chars().take(255).collect::<String>(),
        "StartDateTime": at(meeting.start),
        "EndDateTime": at(meeting.end),
        "Description": meeting.body,
        "Location": meeting.location.clone().unwrap_or_default(),
        "ShowAs": show_as,
        "WhoId": who_id,
    })
}

/// An Opportunity; its contact role is set through `ContactId` when the person is a Contact
/// (a Lead cannot hold one).
pub fn opportunity_fields(deal: &DealFacts, person: &PersonRef) -> Value {
    let amount: Value = deal
        .amount
        .parse::<f64>()
        .map(Value::from)
        .unwrap_or(Value::Null);
    let mut fields = json!({
        "Name": deal.name.chars().take(120).collect::<String>(),
        "Amount": amount,
        "CurrencyIsoCode": deal.currency,
        "StageName": deal.stage,
        "CloseDate": deal.close_date.format("%Y-%m-%d").to_string(),
    });
    if person.object_type.as_deref() == Some("Contact") {
        fields["ContactId"] = json!(person.id);
    }
    fields
}

/// The note's title, which also finds it again: it names the survey answered.
pub fn note_title(note: &NoteFacts) -> String {
    format!("{} [{}]", note.title, note.convene_id)
        .chars()
        .take(80)
        .collect()
}

/// What a failed answer means. Salesforce errors are a JSON array of `{message, errorCode}`:
/// `REQUEST_LIMIT_EXCEEDED` (the org's API limit) and server errors are retried with backoff;
/// any other refusal is parked with its message.
pub fn classify(status: StatusCode, body: &str) -> CallError {
    #[derive(Deserialize)]
    struct ErrorItem {
        message: Option<String>,
        #[serde(rename = "errorCode")]
        error_code: Option<String>,
    }
    let items: Vec<ErrorItem> = serde_json::from_str(body).unwrap_or_default();
    let codes: Vec<&str> = items
        .iter()
        .filter_map(|item| item.error_code.as_deref())
        .collect();
    let detail = items
        .iter()
        .map(|item| {
            format!(
                "{} ({})",
                item.message.as_deref().unwrap_or("no message"),
                item.error_code.as_deref().unwrap_or("no code")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let message = if detail.is_empty() {
        format!("Salesforce answered {}", status.as_u16())
    } else {
        shorten(&format!(
            "Salesforce answered {}: {detail}",
            status.as_u16()
        ))
    };
    let passing = [
        "REQUEST_LIMIT_EXCEEDED",
        "SERVER_UNAVAILABLE",
        "UNABLE_TO_LOCK_ROW",
    ];
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || codes.iter().any(|code| passing.contains(code))
    {
        CallError::transient(message)
    } else {
        CallError::permanent(message)
    }
}

/// Whether Salesforce refused an update because the Lead was converted.
fn is_converted_lead(error: &CallError) -> bool {
    matches!(error, CallError::Permanent { message } if message.contains("(CANNOT_UPDATE_CONVERTED_LEAD)"))
}

/// A refused token request: wrong client credentials stay wrong; a server error may pass.
fn token_error(status: StatusCode, body: &str) -> CallError {
    #[derive(Deserialize)]
    struct OAuthError {
        error: Option<String>,
        error_description: Option<String>,
    }
    let detail = serde_json::from_str::<OAuthError>(body)
        .ok()
        .map(|e| {
            format!(
                ": {} ({})",
                e.error_description.unwrap_or_default(),
                e.error.unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let message = shorten(&format!(
        "Salesforce refused the token request with {}{detail}",
        status.as_u16()
    ));
    if status.is_server_error() {
        CallError::transient(message)
    } else {
        CallError::permanent(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn soql_strings_are_quoted_and_escaped() {
        assert_eq!(soql_string("pat@bigco.com"), "'pat@bigco.com'");
        assert_eq!(soql_string(r"o'hara\x"), r"'o\'hara\\x'");
    }

    #[test]
    fn websites_become_domains() {
        assert_eq!(
            website_domain("https://www.BigCo.com/about"),
            Some("bigco.com".into())
        );
        assert_eq!(website_domain("bigco.io"), Some("bigco.io".into()));
        assert_eq!(website_domain("localhost"), None);
    }

    #[test]
    fn leads_need_a_company_and_contacts_have_none() {
        let person = PersonFacts {
            email: "pat@bigco.com".into(),
            first_name: None,
            last_name: "Lee".into(),
            company: None,
            title: Some("CTO".into()),
            phone: None,
            stage: "new".into(),
        };
        let lead = person_fields(&person, "Lead");
        assert_eq!(lead["Company"], "[not provided]");
        assert_eq!(lead["LeadSource"], "Convene");
        let contact = person_fields(&person, "Contact");
        assert!(contact.get("Company").is_none());
        assert_eq!(contact["Title"], "CTO");
    }

    #[test]
    fn cancelled_events_are_marked_and_free() {
        let start = Utc.with_ymd_and_hms(2026, 12, 9, 14, 0, 0).unwrap();
        let meeting = MeetingFacts {
            convene_id: "m1".into(),
            title: "Intro".into(),
            body: String::new(),
            start,
            end: start + chrono::Duration::minutes(30),
            location: None,
            state: MeetingState::Cancelled,
        };
        let fields = event_fields(&meeting, "00Q1");
        assert_eq!(fields["Subject"], "Cancelled: Intro");
        assert_eq!(fields["ShowAs"], "Free");
        assert_eq!(fields["WhoId"], "00Q1");
        assert_eq!(fields["EndDateTime"], "2026-12-09T14:30:00.000Z");
    }

    #[test]
    fn opportunities_carry_a_numeric_amount_and_a_contact_only_for_contacts() {
        let deal = DealFacts {
            convene_id: "m1".into(),
            name: "BigCo".into(),
            amount: "25000.50".into(),
            currency: "USD".into(),
            stage: "Closed Won".into(),
            close_date: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
        };
        let lead = PersonRef {
            id: "00Q1".into(),
            object_type: Some("Lead".into()),
        };
        let fields = opportunity_fields(&deal, &lead);
        assert_eq!(fields["Amount"], 25000.5);
        assert_eq!(fields["CloseDate"], "2026-12-09");
        assert!(fields.get("ContactId").is_none());
        let contact = PersonRef {
            id: "0031".into(),
            object_type: Some("Contact".into()),
        };
        assert_eq!(opportunity_fields(&deal, &contact)["ContactId"], "0031");
    }

    #[test]
    fn the_request_limit_is_retried_and_a_bad_field_is_parked() {
        let limited = classify(
            StatusCode::FORBIDDEN,
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#,
        );
        assert!(matches!(limited, CallError::Transient { .. }));
        let refused = classify(
            StatusCode::BAD_REQUEST,
            r#"[{"message":"No such column 'Foo' on sobject of type Lead","errorCode":"INVALID_FIELD"}]"#,
        );
        assert_eq!(
            refused,
            CallError::permanent(
                "Salesforce answered 400: No such column 'Foo' on sobject of type Lead (INVALID_FIELD)"
            )
        );
        assert!(matches!(
            classify(StatusCode::SERVICE_UNAVAILABLE, ""),
            CallError::Transient { .. }
        ));
    }
}
