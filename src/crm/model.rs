//! What CRM sync moves, in plain types: the records, their sync states, the facts pushed for
//! each, the stage mapping and the retry schedule. No database, HTTP or clock.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::CrmProviderName;

/// The kind of Convene record a CRM record mirrors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A lead: a HubSpot contact, a Salesforce Lead or Contact.
    Person,
    Meeting,
    /// An outcome's opportunity: a HubSpot deal, a Salesforce Opportunity.
    Deal,
    /// A survey answer, as a note on the person.
    Note,
}

impl RecordKind {
    pub const ALL: [RecordKind; 4] = [Self::Person, Self::Meeting, Self::Deal, Self::Note];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Meeting => "meeting",
            Self::Deal => "deal",
            Self::Note => "note",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// Where a record's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatus {
    /// Changed and waiting for its push.
    Pending,
    /// The CRM holds the record as it now is.
    Synced,
    /// The last push failed for a reason that may pass; another is scheduled.
    Retrying,
    /// The CRM refused the push, or every attempt failed: it waits for a retry by hand.
    Parked,
}

impl SyncStatus {
    pub const ALL: [SyncStatus; 4] = [Self::Pending, Self::Synced, Self::Retrying, Self::Parked];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Synced => "synced",
            Self::Retrying => "retrying",
            Self::Parked => "parked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// A person's record in the CRM: its id and, in Salesforce, whether it is a Lead or a Contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRef {
    pub id: String,
    pub object_type: Option<String>,
}

/// A lead as the CRM gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFacts {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    /// Convene's lead stage (`new`, `mql`, …).
    pub stage: String,
}

impl PersonFacts {
    /// CRMs keep first and last names apart: the last word is the last name, the rest the
    /// first; a single word is a last name (Salesforce requires one).
    pub fn names(full_name: &str, email: &str) -> (Option<String>, String) {
        let trimmed = full_name.trim();
        match trimmed.rsplit_once(char::is_whitespace) {
            Some((first, last)) => (Some(first.trim().to_owned()), last.to_owned()),
            None if !trimmed.is_empty() => (None, trimmed.to_owned()),
            None => (None, email.split('@').next().unwrap_or(email).to_owned()),
        }
    }
}

/// Where a meeting stands, in the words CRMs use for meeting outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingState {
    Scheduled,
    Rescheduled,
    Cancelled,
    Completed,
    NoShow,
}

impl MeetingState {
    /// The state of a meeting with Convene status `status` that has been moved `sequence` times
    /// or cancelled (every change adds one to the sequence).
    pub fn of(status: &str, rescheduled: bool) -> Self {
        match status {
            "cancelled" => Self::Cancelled,
            "completed" => Self::Completed,
            "no_show" => Self::NoShow,
            _ if rescheduled => Self::Rescheduled,
            _ => Self::Scheduled,
        }
    }
}

/// A meeting as the CRM gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingFacts {
    pub convene_id: String,
    pub title: String,
    pub body: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub location: Option<String>,
    pub state: MeetingState,
}

/// An outcome's opportunity as the CRM gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct DealFacts {
    /// The meeting the opportunity came out of.
    pub convene_id: String,
    pub name: String,
    /// The amount as a decimal string in `currency`'s units (`"25000.00"`).
    pub amount: String,
    pub currency: String,
    /// The CRM's stage, already mapped.
    pub stage: String,
    pub close_date: chrono::NaiveDate,
}

/// A survey answer as a note on the person.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteFacts {
    /// The survey invitation answered.
    pub convene_id: String,
    pub title: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

/// The CRM stage for Convene opportunity stage `stage`: the configured one, else the
/// provider's stock stage (HubSpot's default pipeline, Salesforce's standard picklist).
pub fn crm_stage(
    provider: CrmProviderName,
    stage: &str,
    configured: &BTreeMap<String, String>,
) -> String {
    if let Some(mapped) = configured.get(stage) {
        return mapped.clone();
    }
    let stock = match (provider, stage) {
        (CrmProviderName::Salesforce, "qualification") => "Qualification",
        (CrmProviderName::Salesforce, "proposal") => "Proposal/Price Quote",
        (CrmProviderName::Salesforce, "negotiation") => "Negotiation/Review",
        (CrmProviderName::Salesforce, "closed_won") => "Closed Won",
        (CrmProviderName::Salesforce, "closed_lost") => "Closed Lost",
        (_, "qualification") => "qualifiedtobuy",
        (_, "proposal") => "presentationscheduled",
        (_, "negotiation") => "contractsent",
        (_, "closed_won") => "closedwon",
        (_, "closed_lost") => "closedlost",
        (_, other) => other,
    };
    stock.to_owned()
}

/// Checks that `crm.stage_map` names only Convene opportunity stages.
pub fn check_stage_map(configured: &BTreeMap<String, String>) -> Result<(), String> {
    for (stage, mapped) in configured {
        crate::outcomes::model::OpportunityStage::parse(stage)
            .map_err(|_| format!("crm.stage_map: `{stage}` is not an opportunity stage"))?;
        if mapped.trim().is_empty() {
            return Err(format!("crm.stage_map: `{stage}` maps to nothing"));
        }
    }
    Ok(())
}

/// Why a call to the CRM did not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// It may work later: a rate limit, a server error, no answer. `retry_after` is the
    /// CRM's own word on when.
    #[error("{message}")]
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Trying again will not help until someone changes something (a field the CRM refuses,
    /// a token without the scope).
    #[error("{message}")]
    Permanent { message: String },
}

impl CallError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent {
            message: message.into(),
        }
    }
}

/// What the worker does after a failed push: retry at a time, or park.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    RetryAfter(Duration),
    Park,
}

/// The retry schedule: after attempt `attempts` (1 for the first) failed with `error`, the CRM's
/// `Retry-After` when it gave one (never less than the backoff's first step), else
/// `base · 2^(attempts-1)` capped at `max`; parked once `max_attempts` are spent or the error
/// is permanent.
pub fn next_step(
    error: &CallError,
    attempts: u32,
    max_attempts: u32,
    base: Duration,
    max: Duration,
) -> NextStep {
    let CallError::Transient { retry_after, .. } = error else {
        return NextStep::Park;
    };
    if attempts >= max_attempts {
        return NextStep::Park;
    }
    let exponent = attempts.saturating_sub(1).min(20);
    let backoff = base.saturating_mul(1 << exponent).min(max);
    NextStep::RetryAfter(match retry_after {
        Some(wait) => (*wait).max(base).min(max.max(*wait)),
        None => backoff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_the_last_word() {
        assert_eq!(
            PersonFacts::names("Ada King Lovelace", "a@x.io"),
            (Some("Ada King".into()), "Lovelace".into())
        );
        assert_eq!(
            PersonFacts::names(" Prince ", "p@x.io"),
            (None, "Prince".into())
        );
        assert_eq!(PersonFacts::names("", "pat@x.io"), (None, "pat".into()));
    }

    #[test]
    fn stages_map_to_configured_then_stock_names() {
        let none = BTreeMap::new();
        assert_eq!(
            crm_stage(CrmProviderName::Hubspot, "closed_won", &none),
            "closedwon"
        );
        assert_eq!(
            crm_stage(CrmProviderName::Salesforce, "negotiation", &none),
            "Negotiation/Review"
        );
        let configured = BTreeMap::from([("proposal".to_owned(), "12345".to_owned())]);
        assert_eq!(
            crm_stage(CrmProviderName::Hubspot, "proposal", &configured),
            "12345"
        );
        assert_eq!(
            crm_stage(CrmProviderName::Hubspot, "qualification", &configured),
            "qualifiedtobuy"
        );
    }

    #[test]
    fn the_stage_map_names_only_opportunity_stages() {
        let good = BTreeMap::from([("closed_won".to_owned(), "Won".to_owned())]);
        assert_eq!(check_stage_map(&good), Ok(()));
        let unknown = BTreeMap::from([("won".to_owned(), "Won".to_owned())]);
        assert!(check_stage_map(&unknown).is_err());
        let empty = BTreeMap::from([("proposal".to_owned(), " ".to_owned())]);
        assert!(check_stage_map(&empty).is_err());
    }

    #[test]
    fn meeting_states_follow_status_and_moves() {
        assert_eq!(
            MeetingState::of("scheduled", false),
            MeetingState::Scheduled
        );
        assert_eq!(
            MeetingState::of("scheduled", true),
            MeetingState::Rescheduled
        );
        assert_eq!(MeetingState::of("cancelled", true), MeetingState::Cancelled);
        assert_eq!(MeetingState::of("no_show", false), MeetingState::NoShow);
    }

    #[test]
    fn retries_double_up_to_the_cap_then_park() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(60);
        let failed = CallError::transient("503");
        let step = |attempts| next_step(&failed, attempts, 5, base, max);
        assert_eq!(step(1), NextStep::RetryAfter(Duration::from_secs(10)));
        assert_eq!(step(2), NextStep::RetryAfter(Duration::from_secs(20)));
        assert_eq!(step(3), NextStep::RetryAfter(Duration::from_secs(40)));
        assert_eq!(step(4), NextStep::RetryAfter(Duration::from_secs(60)));
        assert_eq!(step(5), NextStep::Park);
        assert_eq!(
            next_step(&CallError::permanent("400"), 1, 5, base, max),
            NextStep::Park
        );
    }

    #[test]
    fn a_crm_wait_is_honoured_but_never_shorter_than_the_first_step() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(60);
        let limited = |secs| CallError::Transient {
            message: "429".into(),
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(
            next_step(&limited(30), 1, 5, base, max),
            NextStep::RetryAfter(Duration::from_secs(30))
        );
        assert_eq!(
            next_step(&limited(1), 1, 5, base, max),
            NextStep::RetryAfter(base)
        );
        assert_eq!(
            next_step(&limited(600), 1, 5, base, max),
            NextStep::RetryAfter(Duration::from_secs(600))
        );
    }
}
