//! Routers and routings as the API receives and shows them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::leads::model::LeadInput;
use crate::routing::evaluation::RuleEvaluation;

/// `POST /api/v1/routers`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CreateRouter {
    /// Lower-case letters, digits and dashes; the public address is `/route/{slug}`.
    #[schema(value_type = String, example = "website-demo", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")]
    pub slug: Option<String>,
    #[schema(value_type = crate::http::schemas::Name)]
    pub name: Option<String>,
    /// `[{when, then}]`, tried in order; see `docs/routers.md`.
    #[schema(value_type = Vec<Object>, example = json!([{"when": {"all": [{"field": "score", "op": "gte", "value": 70}]}, "then": {"book": {"meeting_type_id": "…"}}}]))]
    pub rules: Option<Value>,
    /// The action when no rule matches: `{"book": …}`, `{"request": …}` or `{"disqualify": …}`.
    #[schema(value_type = Object, example = json!({"disqualify": {"message": "Thanks! We will be in touch."}}))]
    pub fallback: Option<Value>,
}

/// `PATCH /api/v1/routers/{id}`: what is sent replaces what the router had.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateRouter {
    #[schema(value_type = Option<String>, pattern = "^[a-z0-9][a-z0-9-]{0,62}$")]
    pub slug: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::Name>)]
    pub name: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub rules: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub fallback: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Router {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub version: i32,
    pub rules: Value,
    pub fallback: Value,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RouterView {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// One more with every change; each decision records the version it used.
    pub version: i32,
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
    #[schema(value_type = Object)]
    pub fallback: Value,
    /// Where forms post: `{public_url}/route/{slug}`.
    pub route_url: String,
    #[schema(value_type = crate::http::schemas::Instant)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
    #[schema(value_type = crate::http::schemas::Instant)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub updated_at: NaiveDateTime,
}

impl RouterView {
    pub fn new(router: &Router, public_base: &str) -> Self {
        Self {
            id: router.id.clone(),
            slug: router.slug.clone(),
            name: router.name.clone(),
            version: router.version,
            rules: router.rules.clone(),
            fallback: router.fallback.clone(),
            route_url: format!("{public_base}/route/{}", router.slug),
            created_at: router.created_at,
            updated_at: router.updated_at,
        }
    }
}

/// A submission to a router: the lead's fields as `POST /api/v1/leads` takes them, plus the
/// UTMs of the page the form was on.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct RouteRequest {
    #[serde(flatten)]
    pub lead: LeadInput,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_source: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_medium: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_campaign: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_term: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::ShortText>)]
    pub utm_content: Option<String>,
    /// Decide and explain without writing anything (authenticated endpoint only).
    pub dry_run: Option<bool>,
    /// Left empty by people; forms hide it (`route.js` adds it). A filled one is refused.
    #[schema(value_type = Option<String>, max_length = 0)]
    pub convene_trap: Option<String>,
}

/// What a router decided for a submission.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RouteAnswer {
    /// `null` for a dry run, which records nothing.
    pub routing_id: Option<String>,
    #[schema(value_type = String, example = "book")]
    pub decision: crate::routing::rules::DecisionKind,
    /// A single-use booking link for the lead, limited to `host_ids`, prefilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booking_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meeting_request_id: Option<String>,
}

/// The answer of the authenticated endpoint: the decision and its whole explanation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExplainedRouteAnswer {
    #[serde(flatten)]
    pub answer: RouteAnswer,
    pub dry_run: bool,
    pub lead_id: Option<String>,
    pub router_version: i32,
    #[schema(value_type = Object, example = 0)]
    pub matched_rule: Value,
    pub evaluations: Vec<RuleEvaluation>,
    pub candidates: Vec<StoredCandidate>,
    pub reason: String,
}

/// Why a routing decided as it did: stored with it as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Explanation {
    pub evaluations: Vec<StoredEvaluation>,
    pub candidates: Vec<StoredCandidate>,
    pub reason: String,
    /// The lead went to its account's owner rather than the round robin.
    pub owner_routed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEvaluation {
    pub rule: usize,
    pub matched: bool,
    pub conditions: Vec<Value>,
}

/// A host considered for a booking decision.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredCandidate {
    pub host_id: String,
    pub weight: u8,
    pub priority: u8,
    pub assigned_in_window: u32,
    pub free: bool,
    pub chosen: bool,
}

/// `GET /api/v1/routings/{id}`, and the data of `routing.decided`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoutingView {
    pub id: String,
    pub router_id: String,
    pub router_version: i32,
    pub lead_id: String,
    #[schema(example = "book")]
    pub decision: String,
    /// The index of the rule that matched (from 0), or `"fallback"`.
    #[schema(value_type = Object, example = 0)]
    pub matched_rule: Value,
    /// The rules tried, in order, up to the one that matched, each condition with the lead's
    /// value and the verdict.
    #[schema(value_type = Vec<Object>, example = json!([{"rule": 0, "matched": true, "conditions": [{"field": "score", "op": "gte", "value": 70, "actual": 82, "result": true}]}]))]
    pub evaluations: Vec<StoredEvaluation>,
    /// Every host considered, with weight, load in the window, freedom and who was chosen.
    #[schema(value_type = Vec<Object>, example = json!([{"host_id": "…", "weight": 40, "priority": 1, "assigned_in_window": 3, "free": true, "chosen": true}]))]
    pub candidates: Vec<StoredCandidate>,
    pub reason: String,
    pub meeting_type_id: Option<String>,
    pub host_ids: Vec<String>,
    pub meeting_request_id: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::Instant>)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub booked_at: Option<NaiveDateTime>,
    #[schema(value_type = crate::http::schemas::Instant)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub created_at: NaiveDateTime,
}

/// `PUT /api/v1/meeting-types/{id}/hosts`: one host's share of round-robin meetings.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct HostWeight {
    #[schema(value_type = crate::http::schemas::Id)]
    pub user_id: String,
    #[schema(minimum = 0, maximum = 100)]
    #[serde(deserialize_with = "crate::http::numbers::whole")]
    pub weight: i32,
    #[schema(minimum = 0, maximum = 3)]
    #[serde(deserialize_with = "crate::http::numbers::whole")]
    pub priority: i32,
}

/// `POST /api/v1/routers/{id}/replay`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ReplayRequest {
    /// An RFC 3339 time, or a date (its start, UTC).
    #[schema(value_type = String, example = "2026-11-01")]
    pub from: Option<String>,
    /// An RFC 3339 time, or a date (its end, UTC).
    #[schema(value_type = String, example = "2026-11-30")]
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct DecisionCounts {
    pub book: u32,
    pub request: u32,
    pub disqualified: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HostCount {
    pub host_id: String,
    pub count: u32,
}

/// What the router's current rules would have made of past leads.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReplayReport {
    pub leads: u32,
    pub decisions: DecisionCounts,
    pub by_host: Vec<HostCount>,
}

/// What routers decided in a period, and which hosts took the routed meetings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoutingOutcomes {
    pub routers: Vec<RouterOutcome>,
    pub hosts: Vec<HostOutcome>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RouterOutcome {
    pub router_id: String,
    /// The router's name, or "a deleted router".
    pub name: String,
    pub decisions: DecisionCounts,
    /// Decisions that offered times and were booked.
    pub booked: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HostOutcome {
    pub host_id: String,
    pub name: String,
    /// Routed meetings the host took in the period.
    pub meetings: u32,
    /// Of those, the ones that went to the host as the account's owner.
    pub as_owner: u32,
}
