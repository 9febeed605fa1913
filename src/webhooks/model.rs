//! Webhook subscriptions and deliveries as stored and as the API shows them, and the parsing of
//! what callers send.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{webhook_deliveries, webhook_subscriptions};
use crate::events::EventType;
use crate::field_errors::FieldErrors;
use crate::values::{optional_text, serialize_optional_utc, serialize_utc};
use crate::webhooks::destination::Destination;

/// The longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// More entries than there are event types can only be repeats.
const MAX_EVENT_ENTRIES: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Active,
    /// Receives nothing; its pending deliveries wait until it is active again.
    Disabled,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 2] = [Self::Active, Self::Disabled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

impl FromStr for SubscriptionStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| "must be `active` or `disabled`".to_owned())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Queued and not yet attempted (or queued again by a redelivery).
    Pending,
    Delivered,
    /// At least one attempt failed; another follows at `next_attempt_at`.
    Retrying,
    /// Every attempt of the schedule failed.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 4] =
        [Self::Pending, Self::Delivered, Self::Retrying, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for DeliveryStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| "must be one of pending, delivered, retrying, failed".to_owned())
    }
}

/// The event types a subscription wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSelection {
    /// `["*"]`: every type, including those added later.
    All,
    Only(BTreeSet<&'static str>),
}

impl EventSelection {
    /// Reads a subscription's `events`; each problem is recorded under `events`.
    pub fn parse(raw: &[String], errors: &mut FieldErrors) -> Option<Self> {
        if raw.is_empty() {
            errors.add("events", "must name at least one event type, or be [\"*\"]");
            return None;
        }
        if raw.len() > MAX_EVENT_ENTRIES {
            errors.add(
                "events",
                format!("must have at most {MAX_EVENT_ENTRIES} entries"),
            );
            return None;
        }
        if raw.iter().any(|entry| entry == "*") {
            if raw.iter().all(|entry| entry == "*") {
                return Some(Self::All);
            }
            errors.add(
                "events",
                "`*` already means every event type, so it comes alone",
            );
            return None;
        }
        let mut types = BTreeSet::new();
        let mut valid = true;
        for (position, entry) in raw.iter().enumerate() {
            match entry.parse::<EventType>() {
                Ok(kind) => {
                    types.insert(kind.as_str());
                }
                Err(_) => {
                    valid = false;
                    errors.add(
                        "events",
                        format!("entry {position} (`{}`) is not an event type", shown(entry)),
                    );
                }
            }
        }
        valid.then_some(Self::Only(types))
    }

    /// Reads the stored JSON; a row that is not readable selects nothing.
    pub fn from_stored(stored: &str) -> Self {
        let names: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
        if names.iter().any(|name| name == "*") {
            return Self::All;
        }
        Self::Only(
            names
                .iter()
                .filter_map(|name| name.parse::<EventType>().ok())
                .map(EventType::as_str)
                .collect(),
        )
    }

    pub fn names(&self) -> Vec<String> {
        match self {
            Self::All => vec!["*".to_owned()],
            Self::Only(types) => types.iter().map(|name| (*name).to_owned()).collect(),
        }
    }

    pub fn to_stored(&self) -> String {
        serde_json::Value::from(self.names()).to_string()
    }

    pub fn wants(&self, event_type: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(types) => types.contains(event_type),
        }
    }
}

/// At most 40 characters of what a caller sent, on one line, for an error message.
fn shown(raw: &str) -> String {
    crate::values::one_line(raw).chars().take(40).collect()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_subscriptions)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    pub events: String,
    pub description: Option<String>,
    pub status: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    pub failing_since: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Subscription {
    pub fn is_active(&self) -> bool {
        self.status == SubscriptionStatus::Active.as_str()
    }

    pub fn selection(&self) -> EventSelection {
        EventSelection::from_stored(&self.events)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: String,
    pub subscription_id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub delivered_at: Option<NaiveDateTime>,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// A subscription as the API shows it; never its secret.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    #[schema(value_type = crate::http::schemas::Id)]
    pub id: String,
    #[schema(example = "https://hooks.example.com/convene")]
    pub url: String,
    /// Event type names, or `["*"]` for every type.
    #[schema(value_type = Vec<String>, example = json!(["meeting.scheduled", "meeting.cancelled"]))]
    pub events: Vec<String>,
    /// `active` or `disabled`.
    #[schema(example = "active")]
    pub status: &'static str,
    pub description: Option<String>,
    /// Why Convene disabled it (no successful delivery for 5 days); `null` otherwise.
    pub disabled_reason: Option<String>,
    #[serde(serialize_with = "serialize_utc")]
    #[schema(value_type = crate::http::schemas::Instant)]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "serialize_utc")]
    #[schema(value_type = crate::http::schemas::Instant)]
    pub updated_at: NaiveDateTime,
}

impl From<&Subscription> for SubscriptionView {
    fn from(subscription: &Subscription) -> Self {
        Self {
            id: subscription.id.clone(),
            url: subscription.url.clone(),
            events: subscription.selection().names(),
            status: if subscription.is_active() {
                SubscriptionStatus::Active.as_str()
            } else {
                SubscriptionStatus::Disabled.as_str()
            },
            description: subscription.description.clone(),
            disabled_reason: subscription.disabled_reason.clone(),
            created_at: subscription.created_at,
            updated_at: subscription.updated_at,
        }
    }
}

/// A new subscription, with the signing secret it is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    /// `whsec_` and base64 of the key: verify deliveries with it. Shown only now.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJ9ZUaVhTqTw=")]
    pub secret: String,
}

/// The new secret after a rotation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RotatedSecret {
    /// Signs every delivery from now on; the previous secret signs them too for 24 hours.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwJ9ZUaVhTqTw=")]
    pub secret: String,
}

/// One delivery of one event to one subscription.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    #[schema(value_type = crate::http::schemas::Id)]
    pub id: String,
    /// The event delivered; also the `webhook-id` header of every attempt.
    #[schema(example = "evt_0193a6f2c1b87d10b2f3c4d5e6f70812")]
    pub event_id: String,
    #[schema(example = "meeting.scheduled")]
    pub event_type: String,
    /// `pending`, `delivered`, `retrying` or `failed`.
    #[schema(example = "delivered")]
    pub status: String,
    pub attempts: i32,
    /// The HTTP status of the last answer; `null` when none came.
    pub last_status_code: Option<i32>,
    /// What went wrong in the last attempt.
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    #[serde(serialize_with = "serialize_optional_utc")]
    #[schema(value_type = Option<crate::http::schemas::Instant>)]
    pub next_attempt_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "serialize_optional_utc")]
    #[schema(value_type = Option<crate::http::schemas::Instant>)]
    pub delivered_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "serialize_utc")]
    #[schema(value_type = crate::http::schemas::Instant)]
    pub created_at: NaiveDateTime,
}

impl From<&Delivery> for DeliveryView {
    fn from(delivery: &Delivery) -> Self {
        Self {
            id: delivery.id.clone(),
            event_id: delivery.event_id.clone(),
            event_type: delivery.event_type.clone(),
            status: delivery.status.clone(),
            attempts: delivery.attempts,
            last_status_code: delivery.last_status_code,
            last_error: delivery.last_error.clone(),
            last_duration_ms: delivery.last_duration_ms,
            next_attempt_at: delivery.next_attempt_at,
            delivered_at: delivery.delivered_at,
            created_at: delivery.created_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateSubscriptionRequest {
    /// An `https` URL whose host resolves to public addresses only.
    #[schema(value_type = WebhookUrl)]
    pub url: String,
    /// Event type names, or `["*"]` for every type.
    #[schema(value_type = Vec<WebhookEventName>, min_items = 1, max_items = 100)]
    pub events: Vec<String>,
    #[schema(value_type = Option<crate::http::schemas::MediumText>)]
    pub description: Option<String>,
}

/// Every field optional; an empty `description` clears it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UpdateSubscriptionRequest {
    #[schema(value_type = Option<WebhookUrl>)]
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<WebhookEventName>>, min_items = 1, max_items = 100)]
    pub events: Option<Vec<String>>,
    /// `disabled` stops deliveries; `active` resumes them, pending ones included.
    #[schema(value_type = Option<SubscriptionStatusName>)]
    pub status: Option<String>,
    #[schema(value_type = Option<crate::http::schemas::MediumText>)]
    pub description: Option<String>,
}

/// A validated new subscription (its destination not yet resolved).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub destination: Destination,
    pub events: EventSelection,
    pub description: Option<String>,
}

/// A validated change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    pub destination: Option<Destination>,
    pub events: Option<EventSelection>,
    pub status: Option<SubscriptionStatus>,
    pub description: Option<Option<String>>,
}

fn parse_destination(
    raw: &str,
    allow_private: bool,
    errors: &mut FieldErrors,
) -> Option<Destination> {
    Destination::parse(raw, allow_private)
        .map_err(|error| errors.add("url", error.to_string()))
        .ok()
}

fn parse_description(raw: Option<&str>, errors: &mut FieldErrors) -> Option<Option<String>> {
    optional_text(raw, MAX_DESCRIPTION_CHARS)
        .map_err(|message| errors.add("description", message))
        .ok()
}

impl CreateSubscriptionRequest {
    pub fn parse(&self, allow_private: bool) -> Result<NewSubscription, FieldErrors> {
        let mut errors = FieldErrors::new();
        let destination = parse_destination(&self.url, allow_private, &mut errors);
        let events = EventSelection::parse(&self.events, &mut errors);
        let description = parse_description(self.description.as_deref(), &mut errors);
        match (destination, events, description) {
            (Some(destination), Some(events), Some(description)) if errors.is_empty() => {
                Ok(NewSubscription {
                    destination,
                    events,
                    description,
                })
            }
            _ => Err(errors),
        }
    }
}

impl UpdateSubscriptionRequest {
    pub fn parse(&self, allow_private: bool) -> Result<SubscriptionChanges, FieldErrors> {
        let mut errors = FieldErrors::new();
        let changes = SubscriptionChanges {
            destination: self
                .url
                .as_deref()
                .and_then(|raw| parse_destination(raw, allow_private, &mut errors)),
            events: self
                .events
                .as_deref()
                .and_then(|raw| EventSelection::parse(raw, &mut errors)),
            status: self.status.as_deref().and_then(|raw| {
                raw.parse()
                    .map_err(|message: String| errors.add("status", message))
                    .ok()
            }),
            description: match &self.description {
                None => None,
                Some(raw) => parse_description(Some(raw), &mut errors),
            },
        };
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }
}

crate::http::schemas::value_schema!(
    /// An event type a webhook subscribes to, or `*` for every type.
    WebhookEventName => crate::http::schemas::one_of(
        std::iter::once("*").chain(EventType::ALL.map(|t| t.as_str()))
    )
);
crate::http::schemas::value_schema!(
    /// Whether a webhook subscription receives events.
    SubscriptionStatusName => crate::http::schemas::one_of(SubscriptionStatus::ALL.map(|s| s.as_str()))
);
crate::http::schemas::value_schema!(
    /// A webhook delivery status to filter by.
    DeliveryStatusName => crate::http::schemas::filter_of(DeliveryStatus::ALL.map(|s| s.as_str()))
);
crate::http::schemas::value_schema!(
    /// A webhook destination: an `https` URL.
    WebhookUrl => utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .format(Some(utoipa::openapi::schema::SchemaFormat::Custom("uri".into())))
        .max_length(Some(crate::webhooks::destination::MAX_URL_CHARS))
        .pattern(Some(r"^https://[^\s/@]+"))
        .description(Some("An https URL (http only where the server allows private destinations) whose host resolves to public addresses; no user name or password"))
        .examples([serde_json::json!("https://hooks.example.com/convene")])
        .build()
);

#[cfg(test)]
mod tests {
    use super::*;

    fn selection(raw: &[&str]) -> Result<EventSelection, FieldErrors> {
        let raw: Vec<String> = raw.iter().map(|s| (*s).to_owned()).collect();
        let mut errors = FieldErrors::new();
        EventSelection::parse(&raw, &mut errors).ok_or(errors)
    }

    #[test]
    fn event_selections_are_known_types_or_everything() {
        assert_eq!(selection(&["*"]).unwrap(), EventSelection::All);
        let some = selection(&["meeting.scheduled", "lead.created", "meeting.scheduled"]).unwrap();
        assert_eq!(some.names(), ["lead.created", "meeting.scheduled"]);
        assert!(some.wants("lead.created") && !some.wants("lead.updated"));
        assert_eq!(EventSelection::from_stored(&some.to_stored()), some);
        assert!(EventSelection::All.wants("webhook.test"));
        for bad in [
            &[][..],
            &["*", "lead.created"],
            &["meeting.exploded"],
            &["\u{0}"],
        ] {
            let errors = selection(bad).unwrap_err();
            assert!(
                errors.fields().any(|(field, _)| field == "events"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn statuses_read_their_names() {
        for status in DeliveryStatus::ALL {
            assert_eq!(status.as_str().parse::<DeliveryStatus>(), Ok(status));
        }
        assert!("queued".parse::<DeliveryStatus>().is_err());
        assert_eq!(
            "disabled".parse::<SubscriptionStatus>(),
            Ok(SubscriptionStatus::Disabled)
        );
    }
}
