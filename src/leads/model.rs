//! Leads as stored and as the API shows them, and the validated shape of lead intake.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::db::schema::leads;
use crate::db::StoreError;
use crate::field_errors::FieldErrors;
use crate::leads::attribution::{Attribution, Touch, TouchAt};
use crate::leads::scoring::{Bant, ScoreContribution, Stage, Temperature, Timing};
use crate::values::{optional_text, required_text, Email, TimeZone};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_FIELD_CHARS: usize = 200;
pub const MAX_EXTERNAL_ID_CHARS: usize = 128;
pub const MAX_PHONE_CHARS: usize = 40;
pub const MAX_ATTRIBUTES_BYTES: usize = 8192;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = leads, treat_none_as_null = true)]
pub struct LeadRow {
    pub id: String,
    pub email: String,
    pub external_id: Option<String>,
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub timezone: Option<String>,
    pub bant_budget: bool,
    pub bant_authority: bool,
    pub bant_need: bool,
    pub bant_timing: String,
    pub attributes: String,
    pub score: i32,
    pub temperature: String,
    pub stage: String,
    pub score_explanation: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub owner_id: Option<String>,
    /// JSON of the [`TouchAt`]s.
    pub first_touch: Option<String>,
    pub last_touch: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub id: String,
    pub email: String,
    pub external_id: Option<String>,
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub timezone: Option<String>,
    pub bant: Bant,
    pub attributes: Map<String, Value>,
    pub score: u8,
    pub temperature: Temperature,
    pub stage: Stage,
    pub score_explanation: Vec<ScoreContribution>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub owner_id: Option<String>,
    pub attribution: Attribution,
}

impl TryFrom<LeadRow> for Lead {
    type Error = StoreError;

    fn try_from(row: LeadRow) -> Result<Self, Self::Error> {
        let corrupt = |what: String| StoreError::Corrupt(format!("lead {}: {what}", row.id));
        let touch = |stored: &Option<String>| {
            stored
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))
        };
        let attribution = Attribution {
            first_touch: touch(&row.first_touch)?,
            last_touch: touch(&row.last_touch)?,
        };
        Ok(Self {
            bant: Bant {
                budget: row.bant_budget,
                authority: row.bant_authority,
                need: row.bant_need,
                timing: row
                    .bant_timing
                    .parse()
                    .map_err(|e: crate::leads::scoring::UnknownTiming| corrupt(e.to_string()))?,
            },
            attributes: serde_json::from_str(&row.attributes)
                .map_err(|e| corrupt(e.to_string()))?,
            score: u8::try_from(row.score).map_err(|e| corrupt(e.to_string()))?,
            temperature: row
                .temperature
                .parse()
                .map_err(|e: crate::leads::scoring::UnknownTemperature| corrupt(e.to_string()))?,
            stage: row
                .stage
                .parse()
                .map_err(|e: crate::leads::scoring::UnknownStage| corrupt(e.to_string()))?,
            score_explanation: serde_json::from_str(&row.score_explanation)
                .map_err(|e| corrupt(e.to_string()))?,
            id: row.id,
            email: row.email,
            external_id: row.external_id,
            name: row.name,
            company: row.company,
            title: row.title,
            phone: row.phone,
            source: row.source,
            campaign: row.campaign,
            timezone: row.timezone,
            created_at: row.created_at,
            updated_at: row.updated_at,
            owner_id: row.owner_id,
            attribution,
        })
    }
}

impl From<&Lead> for LeadRow {
    fn from(lead: &Lead) -> Self {
        Self {
            id: lead.id.clone(),
            email: lead.email.clone(),
            external_id: lead.external_id.clone(),
            name: lead.name.clone(),
            company: lead.company.clone(),
            title: lead.title.clone(),
            phone: lead.phone.clone(),
            source: lead.source.clone(),
            campaign: lead.campaign.clone(),
            timezone: lead.timezone.clone(),
            bant_budget: lead.bant.budget,
            bant_authority: lead.bant.authority,
            bant_need: lead.bant.need,
            bant_timing: lead.bant.timing.as_str().to_owned(),
            attributes: Value::Object(lead.attributes.clone()).to_string(),
            score: i32::from(lead.score),
            temperature: lead.temperature.as_str().to_owned(),
            stage: lead.stage.as_str().to_owned(),
            score_explanation: serde_json::to_string(&lead.score_explanation)
                .unwrap_or_else(|_| "[]".into()),
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            owner_id: lead.owner_id.clone(),
            first_touch: TouchAt::stored(lead.attribution.first_touch.as_ref()),
            last_touch: TouchAt::stored(lead.attribution.last_touch.as_ref()),
        }
    }
}

/// A lead as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LeadView {
    pub id: String,
    pub email: String,
    pub external_id: Option<String>,
    pub name: String,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub timezone: Option<String>,
    #[schema(value_type = Object, example = json!({"budget": true, "authority": true, "need": true, "timing": "now"}))]
    pub bant: Bant,
    #[schema(value_type = Object)]
    pub attributes: Map<String, Value>,
    #[schema(minimum = 0, maximum = 100)]
    pub score: u8,
    #[schema(value_type = String, example = "hot")]
    pub temperature: Temperature,
    #[schema(value_type = String, example = "sql")]
    pub stage: Stage,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub updated_at: NaiveDateTime,
    /// The user who owns the lead and its company's account; routers may prefer them.
    pub owner_id: Option<String>,
    /// The lead's person (HubSpot contact, Salesforce Lead or Contact) in the CRM.
    pub crm: Option<crate::crm::status::CrmStatus>,
    /// Where the lead came from; always present, with `null` touches when unknown.
    pub attribution: Attribution,
}

impl From<&Lead> for LeadView {
    fn from(lead: &Lead) -> Self {
        Self {
            id: lead.id.clone(),
            email: lead.email.clone(),
            external_id: lead.external_id.clone(),
            name: lead.name.clone(),
            company: lead.company.clone(),
            title: lead.title.clone(),
            phone: lead.phone.clone(),
            source: lead.source.clone(),
            campaign: lead.campaign.clone(),
            timezone: lead.timezone.clone(),
            bant: lead.bant,
            attributes: lead.attributes.clone(),
            score: lead.score,
            temperature: lead.temperature,
            stage: lead.stage,
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            owner_id: lead.owner_id.clone(),
            crm: None,
            attribution: lead.attribution.clone(),
        }
    }
}

/// BANT as sent: every part optional, timing as text so a bad value names its field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct BantInput {
    pub budget: Option<bool>,
    pub authority: Option<bool>,
    pub need: Option<bool>,
    /// `unknown` when absent or blank.
    #[schema(value_type = Option<String>, pattern = r"^\s*(now|this_quarter|this_year|later|unknown)?\s*$", example = "this_quarter")]
    pub timing: Option<String>,
}

/// The body of `POST /api/v1/leads`, and one row of a CSV import.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct LeadInput {
    #[schema(value_type = crate::http::schemas::EmailAddress)]
    pub email: String,
    #[schema(value_type = crate::http::schemas::Name)]
    pub name: String,
    #[schema(value_type = Option<crate::http::schemas::ExternalId>)]
    pub external_id: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub company: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub title: Option<String>,
    /// Digits, spaces and `+ - ( ) . x`.
    #[schema(value_type = Option<String>, max_length = 40, pattern = r"^[0-9 +\-().x]*$")]
    pub phone: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub source: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub campaign: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::IanaTimeZone>)]
    pub timezone: Option<String>,
    pub bant: Option<BantInput>,
    /// Any JSON object, up to 8192 bytes.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
}

/// Validated lead intake. `None` fields were not sent: an update keeps what the lead had.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadIntake {
    pub email: Email,
    pub name: String,
    pub external_id: Option<String>,
    pub company: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub timezone: Option<TimeZone>,
    pub bant: Option<Bant>,
    pub attributes: Option<Map<String, Value>>,
    /// Where this visit came from, when a page or form knows: it becomes the lead's last
    /// touch (and its first, if it has none).
    pub touch: Option<Touch>,
}

impl LeadInput {
    pub fn parse(&self) -> Result<LeadIntake, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut text = |field: &str, value: Option<&str>, max: usize| {
            optional_text(value, max)
                .map_err(|m| errors.add(field, m))
                .ok()
                .flatten()
        };
        let external_id = text(
            "external_id",
            self.external_id.as_deref(),
            MAX_EXTERNAL_ID_CHARS,
        );
        let company = text("company", self.company.as_deref(), MAX_FIELD_CHARS);
        let title = text("title", self.title.as_deref(), MAX_FIELD_CHARS);
        let source = text("source", self.source.as_deref(), MAX_FIELD_CHARS);
        let campaign = text("campaign", self.campaign.as_deref(), MAX_FIELD_CHARS);
        let phone = parse_phone(self.phone.as_deref())
            .map_err(|m| errors.add("phone", m))
            .ok()
            .flatten();
        let email = Email::parse(&self.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        let name = required_text(&self.name, MAX_NAME_CHARS)
            .map_err(|m| errors.add("name", m))
            .ok();
        let timezone = match self.timezone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(zone) => TimeZone::parse(zone)
                .map_err(|m| errors.add("timezone", m))
                .ok(),
        };
        let bant = self.bant.as_ref().and_then(|input| {
            let timing = match input.timing.as_deref().map(str::trim) {
                None | Some("") => Some(Timing::Unknown),
                Some(raw) => raw
                    .parse::<Timing>()
                    .map_err(|e| errors.add("bant.timing", e.to_string()))
                    .ok(),
            };
            timing.map(|timing| Bant {
                budget: input.budget.unwrap_or(false),
                authority: input.authority.unwrap_or(false),
                need: input.need.unwrap_or(false),
                timing,
            })
        });
        if let Some(attributes) = &self.attributes {
            if Value::Object(attributes.clone()).to_string().len() > MAX_ATTRIBUTES_BYTES {
                errors.add(
                    "attributes",
                    format!("must be at most {MAX_ATTRIBUTES_BYTES} bytes of JSON"),
                );
            }
        }
        match (email, name) {
            (Some(email), Some(name)) if errors.is_empty() => Ok(LeadIntake {
                email,
                name,
                external_id,
                company,
                title,
                phone,
                source,
                campaign,
                timezone,
                bant,
                attributes: self.attributes.clone(),
                touch: None,
            }),
            _ => Err(errors),
        }
    }
}

/// A phone number as a lead keeps it: up to 40 digits, spaces and `+ - ( ) . x`; `None` when
/// absent or blank.
pub fn parse_phone(raw: Option<&str>) -> Result<Option<String>, String> {
    let phone = optional_text(raw, MAX_PHONE_CHARS)?;
    if phone.as_deref().is_some_and(|phone| {
        !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().x".contains(c))
    }) {
        return Err("may contain only digits, spaces and + - ( ) . x".into());
    }
    Ok(phone)
}

/// Filters of the leads list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadFilter {
    #[param(value_type = Option<crate::leads::model::LeadStageName>)]
    pub stage: Option<String>,
    #[param(value_type = Option<crate::leads::model::TemperatureName>)]
    pub temperature: Option<String>,
    pub campaign: Option<String>,
    /// Matches name, email or company.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

/// A validated [`LeadFilter`].
#[derive(Debug, Clone, Default)]
pub struct LeadQuery {
    pub stage: Option<Stage>,
    pub temperature: Option<Temperature>,
    pub campaign: Option<String>,
    pub search: Option<String>,
}

impl LeadFilter {
    pub fn parse(&self) -> Result<LeadQuery, FieldErrors> {
        let mut errors = FieldErrors::new();
        let blank_to_none = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let stage = blank_to_none(&self.stage).and_then(|s| {
            s.parse::<Stage>()
                .map_err(|e| errors.add("stage", e.to_string()))
                .ok()
        });
        let temperature = blank_to_none(&self.temperature).and_then(|t| {
            t.parse::<Temperature>()
                .map_err(|e| errors.add("temperature", e.to_string()))
                .ok()
        });
        let search = blank_to_none(&self.q);
        if search.as_ref().is_some_and(|q| q.chars().count() > 200) {
            errors.add("q", "must be at most 200 characters");
        }
        if errors.is_empty() {
            Ok(LeadQuery {
                stage,
                temperature,
                campaign: blank_to_none(&self.campaign),
                search,
            })
        } else {
            Err(errors)
        }
    }
}

crate::http::schemas::value_schema!(
    /// A lead stage to filter by.
    LeadStageName => crate::http::schemas::filter_of(crate::leads::scoring::Stage::ALL.map(|s| s.as_str()))
);

crate::http::schemas::value_schema!(
    /// A lead temperature to filter by.
    TemperatureName => crate::http::schemas::filter_of(crate::leads::scoring::Temperature::ALL.map(|t| t.as_str()))
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: Value) -> LeadInput {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn minimal_lead_parses() {
        let intake = input(json!({"email": "Ana@Example.com", "name": "Ana"}))
            .parse()
            .unwrap();
        assert_eq!(intake.email.as_str(), "ana@example.com");
        assert_eq!(intake.bant, None);
        assert_eq!(intake.timezone, None);
    }

    #[test]
    fn bant_defaults_unsent_facts_to_unconfirmed() {
        let intake =
            input(json!({"email": "a@example.com", "name": "A", "bant": {"budget": true}}))
                .parse()
                .unwrap();
        assert_eq!(
            intake.bant,
            Some(Bant {
                budget: true,
                authority: false,
                need: false,
                timing: Timing::Unknown
            })
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = input(json!({
            "email": "nope", "name": "", "timezone": "Mars/Base", "phone": "call me",
            "bant": {"timing": "someday"}, "company": "x".repeat(201)
        }))
        .parse()
        .unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "bant.timing",
                "company",
                "email",
                "name",
                "phone",
                "timezone"
            ]
        );
    }

    #[test]
    fn filters_are_validated() {
        let filter = LeadFilter {
            stage: Some("sql".into()),
            temperature: Some("".into()),
            ..Default::default()
        };
        let query = filter.parse().unwrap();
        assert_eq!(query.stage, Some(Stage::Sql));
        assert_eq!(query.temperature, None);
        assert!(LeadFilter {
            stage: Some("lukewarm".into()),
            ..Default::default()
        }
        .parse()
        .is_err());
    }
}
