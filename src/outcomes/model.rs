//! Outcomes and opportunities as the API takes and shows them, parsed once at the edge.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::field_errors::FieldErrors;
use crate::outcomes::money::{Currency, Money};
use crate::values::{optional_multiline_text, optional_text};

pub const MAX_NOTES_CHARS: usize = 4000;
pub const MAX_NEXT_STEP_CHARS: usize = 500;

/// What happened at a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    Held,
    NoShow,
}

impl OutcomeStatus {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "held" => Ok(Self::Held),
            "no_show" => Ok(Self::NoShow),
            _ => Err("must be held or no_show".into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::NoShow => "no_show",
        }
    }

    /// The meeting's status once this outcome is recorded (its request's status too).
    pub fn meeting_status(self) -> &'static str {
        match self {
            Self::Held => "completed",
            Self::NoShow => "no_show",
        }
    }
}

/// Where an opportunity stands in the sales process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunityStage {
    Qualification,
    Proposal,
    Negotiation,
    ClosedWon,
    ClosedLost,
}

impl OpportunityStage {
    pub const ALL: [OpportunityStage; 5] = [
        Self::Qualification,
        Self::Proposal,
        Self::Negotiation,
        Self::ClosedWon,
        Self::ClosedLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qualification => "qualification",
            Self::Proposal => "proposal",
            Self::Negotiation => "negotiation",
            Self::ClosedWon => "closed_won",
            Self::ClosedLost => "closed_lost",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|stage| stage.as_str() == raw.trim())
            .ok_or_else(|| {
                "must be qualification, proposal, negotiation, closed_won or closed_lost".into()
            })
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct OpportunityInput {
    /// A non-negative decimal string with at most the currency's decimals, e.g. "25000.00".
    #[schema(pattern = r"^\s*[0-9]+(\.[0-9]+)?\s*$", example = "25000.00")]
    pub amount: String,
    /// ISO 4217 code.
    #[schema(pattern = r"^\s*[A-Z]{3}\s*$", example = "EUR")]
    pub currency: String,
    #[schema(value_type = crate::outcomes::model::OpportunityStageName)]
    pub stage: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct OutcomeInput {
    #[schema(value_type = crate::http::schemas::OutcomeStatusName)]
    pub status: String,
    #[schema(value_type = Option<crate::http::schemas::LongNote>)]
    pub notes: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::MediumText>)]
    pub next_step: Option<String>,
    /// Sent to create the meeting's opportunity or move it on; when absent an existing
    /// opportunity stays as it is.
    pub opportunity: Option<OpportunityInput>,
}

/// An opportunity as parsed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOpportunity {
    pub amount: Money,
    pub stage: OpportunityStage,
}

/// An outcome ready to store.
#[derive(Debug, Clone)]
pub struct RecordOutcome {
    pub status: OutcomeStatus,
    pub notes: Option<String>,
    pub next_step: Option<String>,
    pub opportunity: Option<NewOpportunity>,
}

impl OutcomeInput {
    pub fn parse(&self) -> Result<RecordOutcome, FieldErrors> {
        let mut errors = FieldErrors::new();
        let status = OutcomeStatus::parse(&self.status)
            .map_err(|m| errors.add("status", m))
            .ok();
        let notes = optional_multiline_text(self.notes.as_deref(), MAX_NOTES_CHARS)
            .map_err(|m| errors.add("notes", m))
            .ok()
            .flatten();
        let next_step = optional_text(self.next_step.as_deref(), MAX_NEXT_STEP_CHARS)
            .map_err(|m| errors.add("next_step", m))
            .ok()
            .flatten();
        let opportunity = self
            .opportunity
            .as_ref()
            .and_then(|input| input.parse(&mut errors));
        if status == Some(OutcomeStatus::NoShow) && opportunity.is_some() {
            errors.add(
                "opportunity",
                "cannot come from a meeting that did not take place",
            );
        }
        match status {
            Some(status) if errors.is_empty() => Ok(RecordOutcome {
                status,
                notes,
                next_step,
                opportunity,
            }),
            _ => Err(errors),
        }
    }
}

impl OpportunityInput {
    fn parse(&self, errors: &mut FieldErrors) -> Option<NewOpportunity> {
        let currency = Currency::parse(&self.currency)
            .map_err(|m| errors.add("opportunity.currency", m))
            .ok();
        let stage = OpportunityStage::parse(&self.stage)
            .map_err(|m| errors.add("opportunity.stage", m))
            .ok();
        let amount = currency.and_then(|currency| {
            Money::parse(&self.amount, currency)
                .map_err(|m| errors.add("opportunity.amount", m))
                .ok()
        });
        Some(NewOpportunity {
            amount: amount?,
            stage: stage?,
        })
    }
}

/// One stage an opportunity was in, from when.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageChangeView {
    pub stage: String,
    pub amount: String,
    pub currency: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub at: NaiveDateTime,
    pub by: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpportunityView {
    pub id: String,
    #[schema(example = "25000.00")]
    pub amount: String,
    pub currency: String,
    pub stage: String,
    /// Every stage it has had, oldest first.
    pub history: Vec<StageChangeView>,
}

/// A meeting's outcome: `held` or `no_show` once recorded; `unconfirmed` for a meeting that
/// has started with nothing recorded yet (reports count those apart, never as held).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OutcomeView {
    #[schema(example = "held")]
    pub status: &'static str,
    pub notes: Option<String>,
    pub next_step: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub recorded_at: Option<NaiveDateTime>,
    pub recorded_by: Option<String>,
    pub opportunity: Option<OpportunityView>,
    /// The opportunity in the CRM (HubSpot deal, Salesforce Opportunity).
    pub crm: Option<crate::crm::status::CrmStatus>,
}

impl OutcomeView {
    pub fn unconfirmed() -> Self {
        Self {
            status: "unconfirmed",
            notes: None,
            next_step: None,
            recorded_at: None,
            recorded_by: None,
            opportunity: None,
            crm: None,
        }
    }
}

crate::http::schemas::value_schema!(
    /// Where an opportunity stands.
    OpportunityStageName => crate::http::schemas::one_of(crate::outcomes::model::OpportunityStage::ALL.map(|s| s.as_str()))
);

/// Meeting statuses an outcome can be recorded for, once the meeting has started.
pub const RECORDABLE: [&str; 3] = ["scheduled", "completed", "no_show"];

#[cfg(test)]
mod tests {
    use super::*;

    fn input(status: &str, opportunity: Option<(&str, &str, &str)>) -> OutcomeInput {
        OutcomeInput {
            status: status.into(),
            notes: Some("  Good call ".into()),
            next_step: None,
            opportunity: opportunity.map(|(amount, currency, stage)| OpportunityInput {
                amount: amount.into(),
                currency: currency.into(),
                stage: stage.into(),
            }),
        }
    }

    #[test]
    fn a_held_meeting_with_an_opportunity_parses() {
        let parsed = input("held", Some(("25000.00", "EUR", "proposal")))
            .parse()
            .unwrap();
        assert_eq!(parsed.status, OutcomeStatus::Held);
        assert_eq!(parsed.notes.as_deref(), Some("Good call"));
        let opportunity = parsed.opportunity.unwrap();
        assert_eq!(opportunity.amount.minor(), 2_500_000);
        assert_eq!(opportunity.stage, OpportunityStage::Proposal);
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = input("maybe", Some(("-3", "eur", "won")))
            .parse()
            .unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            ["opportunity.currency", "opportunity.stage", "status"]
        );
        let errors = input("held", Some(("-3", "EUR", "proposal")))
            .parse()
            .unwrap_err();
        assert_eq!(
            errors.fields().next().map(|(field, _)| field),
            Some("opportunity.amount")
        );
    }

    #[test]
    fn a_no_show_creates_no_opportunity() {
        assert!(input("no_show", None).parse().is_ok());
        assert!(input("no_show", Some(("1", "EUR", "proposal")))
            .parse()
            .is_err());
    }

    #[test]
    fn stages_round_trip() {
        for stage in OpportunityStage::ALL {
            assert_eq!(OpportunityStage::parse(stage.as_str()), Ok(stage));
        }
    }
}
