//! The two CRMs behind one trait: HubSpot (CRM v3 objects, associations v4) and Salesforce
//! (REST API and SOQL). Base URLs come from config, so the same code talks to the CRMs or to
//! anything that speaks their formats.

use reqwest::{RequestBuilder, Response, StatusCode};
use std::future::Future;

use super::model::{CallError, DealFacts, MeetingFacts, NoteFacts, PersonFacts, PersonRef};

/// Who owns a person (by email) or a company (by domain) in the CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerEntry {
    /// `email` or `domain`.
    pub kind: &'static str,
    pub key: String,
    pub owner_email: String,
}

/// One CRM account. Every push is idempotent: repeated after a lost answer, it finds what the
/// first one made instead of making another.
pub trait CrmProvider {
    /// Creates or updates the person with `person.email`; `known` is where the last push put it.
    fn push_person(
        &self,
        person: &PersonFacts,
        known: Option<&PersonRef>,
    ) -> impl Future<Output = Result<PersonRef, CallError>> + Send;

    /// Creates the meeting, associated with `person`, or updates it; answers its id.
    fn push_meeting(
        &self,
        meeting: &MeetingFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> impl Future<Output = Result<String, CallError>> + Send;

    fn push_deal(
        &self,
        deal: &DealFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> impl Future<Output = Result<String, CallError>> + Send;

    fn push_note(
        &self,
        note: &NoteFacts,
        person: &PersonRef,
        known: Option<&str>,
    ) -> impl Future<Output = Result<String, CallError>> + Send;

    /// Every owner of a person or company domain the CRM knows.
    fn pull_owners(&self) -> impl Future<Output = Result<Vec<OwnerEntry>, CallError>> + Send;
}

/// An answer read whole: status, the headers that matter for retries, and the body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, CallError> {
        serde_json::from_str(&self.body)
            .map_err(|error| CallError::permanent(format!("{what}: unreadable answer: {error}")))
    }
}

/// Sends `request`; a network failure or timeout is transient. The URL is left out of the
/// error: Salesforce instance URLs are not secret, but query strings may hold personal data.
pub async fn send(request: RequestBuilder) -> Result<Answer, CallError> {
    let response: Response = request.send().await.map_err(|error| {
        let why = if error.is_timeout() {
            "no answer in time"
        } else if error.is_connect() {
            "could not connect"
        } else {
            "the request failed"
        };
        CallError::transient(format!("{why}: {}", innermost(&error)))
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .text()
        .await
        .map_err(|error| CallError::transient(format!("the answer broke off: {error}")))?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn innermost(error: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut text = String::new();
    while let Some(current) = source {
        text = current.to_string();
        source = current.source();
    }
    text.replace(|c: char| c.is_control(), " ")
}

/// Error text kept short, on one line.
pub fn shorten(text: &str) -> String {
    crate::values::one_line(text).chars().take(300).collect()
}
