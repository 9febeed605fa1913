//! What people and integrations do with webhooks: subscribe, change, rotate the secret, send a
//! test, read the deliveries log and redeliver. The API and the admin pages both call these.

use chrono::{DateTime, Duration, Utc};
use secrecy::ExposeSecret;

use crate::db::{write_transaction, StoreError};
use crate::events::{self, EventType};
use crate::field_errors::FieldErrors;
use crate::state::AppState;
use crate::values::{is_id, new_id};
use crate::webhooks::destination::Destination;
use crate::webhooks::model::{
    CreateSubscriptionRequest, CreatedSubscription, Delivery, DeliveryStatus, RotatedSecret,
    Subscription, SubscriptionStatus, SubscriptionView, UpdateSubscriptionRequest,
};
use crate::webhooks::repo::{self, SealedSecrets};
use crate::webhooks::sealing::SecretField;
use crate::webhooks::{signing, WebhookError};

/// How long the previous secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Refuses a destination whose host resolves to a non-public address.
async fn check_resolves(state: &AppState, destination: &Destination) -> Result<(), WebhookError> {
    destination
        .check_resolves_publicly(state.webhooks.allow_private())
        .await
        .map_err(|refused| WebhookError::Invalid(FieldErrors::single("url", refused.to_string())))
}

pub async fn create(
    state: &AppState,
    request: &CreateSubscriptionRequest,
) -> Result<CreatedSubscription, WebhookError> {
    let new = request
        .parse(state.webhooks.allow_private())
        .map_err(WebhookError::Invalid)?;
    check_resolves(state, &new.destination).await?;
    let now = state.clock.now();
    let sealer = state.webhooks.sealer(&state.db, now).await?;
    let id = new_id();
    let secret = signing::new_secret();
    let sealed = sealer.seal(&secret, &id, SecretField::Current);
    let subscription = state
        .db
        .run(move |conn| repo::insert_subscription(conn, &id, &new, &sealed, now))
        .await?;
    Ok(CreatedSubscription {
        subscription: SubscriptionView::from(&subscription),
        secret: secret.expose_secret().to_owned(),
    })
}

pub async fn find(state: &AppState, id: &str) -> Result<Subscription, WebhookError> {
    if !is_id(id) {
        return Err(WebhookError::NotFound);
    }
    let id = id.to_owned();
    state
        .db
        .run(move |conn| repo::find_subscription(conn, &id))
        .await?
        .ok_or(WebhookError::NotFound)
}

/// Newest first; `cursor` is the last id of the previous page.
pub async fn list(
    state: &AppState,
    cursor: Option<String>,
    limit: i64,
) -> Result<Vec<Subscription>, WebhookError> {
    if cursor.as_deref().is_some_and(|cursor| !is_id(cursor)) {
        return Err(WebhookError::Invalid(FieldErrors::single(
            "cursor",
            "is not a cursor this list gave",
        )));
    }
    Ok(state
        .db
        .run(move |conn| repo::list_subscriptions(conn, cursor.as_deref(), limit))
        .await?)
}

pub async fn update(
    state: &AppState,
    id: &str,
    request: &UpdateSubscriptionRequest,
) -> Result<Subscription, WebhookError> {
    let changes = request
        .parse(state.webhooks.allow_private())
        .map_err(WebhookError::Invalid)?;
    let subscription = find(state, id).await?;
    if let Some(destination) = &changes.destination {
        check_resolves(state, destination).await?;
    }
    let now = state.clock.now();
    let resumed = changes.status == Some(SubscriptionStatus::Active) && !subscription.is_active();
    let target = subscription.id.clone();
    let found = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                repo::update_subscription(conn, &target, &changes, now)
            })
        })
        .await?;
    if !found {
        return Err(WebhookError::NotFound);
    }
    if resumed {
        state.webhooks.deliveries_queued();
    }
    find(state, &subscription.id).await
}

pub async fn delete(state: &AppState, id: &str) -> Result<(), WebhookError> {
    let subscription = find(state, id).await?;
    let deleted = state
        .db
        .run(move |conn| repo::delete_subscription(conn, &subscription.id))
        .await?;
    if deleted {
        Ok(())
    } else {
        Err(WebhookError::NotFound)
    }
}

/// A new secret; the one it replaces keeps signing for [`ROTATION_OVERLAP_HOURS`] so that
/// receivers can switch without missing a delivery. A secret replaced earlier stops at once.
pub async fn rotate_secret(state: &AppState, id: &str) -> Result<RotatedSecret, WebhookError> {
    let subscription = find(state, id).await?;
    let now = state.clock.now();
    let sealer = state.webhooks.sealer(&state.db, now).await?;
    let replaced = sealer.open(&subscription.secret, &subscription.id, SecretField::Current)?;
    let secret = signing::new_secret();
    let sealed = SealedSecrets {
        current: sealer.seal(&secret, &subscription.id, SecretField::Current),
        previous: Some((
            sealer.seal(&replaced, &subscription.id, SecretField::Previous),
            now + Duration::hours(ROTATION_OVERLAP_HOURS),
        )),
    };
    let target = subscription.id;
    let rotated = state
        .db
        .run(move |conn| repo::set_secrets(conn, &target, &sealed, now))
        .await?;
    if !rotated {
        return Err(WebhookError::NotFound);
    }
    Ok(RotatedSecret {
        secret: secret.expose_secret().to_owned(),
    })
}

/// Records a `webhook.test` event (which no other subscription receives) and queues its
/// delivery to this subscription alone.
pub async fn send_test(state: &AppState, id: &str) -> Result<Delivery, WebhookError> {
    let subscription = find(state, id).await?;
    if !subscription.is_active() {
        return Err(WebhookError::Disabled);
    }
    let now = state.clock.now();
    let data = SubscriptionView::from(&subscription);
    let delivery = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let event =
                    events::record(conn, EventType::WebhookTest, &subscription.id, &data, now)?;
                let delivery_id = repo::queue(conn, &subscription.id, &event, now)?;
                repo::find_delivery(conn, &subscription.id, &delivery_id)?.ok_or_else(|| {
                    StoreError::Corrupt("a queued webhook delivery was not stored".into())
                })
            })
        })
        .await?;
    state.webhooks.deliveries_queued();
    Ok(delivery)
}

/// Reads a `status` filter of the deliveries log; blank means every status.
pub fn parse_status(raw: Option<&str>) -> Result<Option<DeliveryStatus>, WebhookError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|message: String| {
            WebhookError::Invalid(FieldErrors::single("status", message))
        }),
    }
}

/// A subscription's deliveries, newest first; `cursor` is the last id of the previous page.
pub async fn deliveries(
    state: &AppState,
    id: &str,
    status: Option<DeliveryStatus>,
    cursor: Option<String>,
    limit: i64,
) -> Result<Vec<Delivery>, WebhookError> {
    if cursor.as_deref().is_some_and(|cursor| !is_id(cursor)) {
        return Err(WebhookError::Invalid(FieldErrors::single(
            "cursor",
            "is not a cursor this list gave",
        )));
    }
    let subscription = find(state, id).await?;
    Ok(state
        .db
        .run(move |conn| {
            repo::list_deliveries(conn, &subscription.id, status, cursor.as_deref(), limit)
        })
        .await?)
}

/// Queues a delivery again, due now, with the same `webhook-id` and a fresh set of attempts.
pub async fn redeliver(
    state: &AppState,
    id: &str,
    delivery_id: &str,
) -> Result<Delivery, WebhookError> {
    let subscription = find(state, id).await?;
    if !is_id(delivery_id) {
        return Err(WebhookError::DeliveryNotFound);
    }
    if !subscription.is_active() {
        return Err(WebhookError::Disabled);
    }
    let now = state.clock.now();
    let delivery_id = delivery_id.to_owned();
    let outcome = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                if repo::find_delivery(conn, &subscription.id, &delivery_id)?.is_none() {
                    return Ok(None);
                }
                let queued = repo::redeliver(conn, &delivery_id, now)?;
                let delivery = repo::find_delivery(conn, &subscription.id, &delivery_id)?;
                Ok(delivery.map(|delivery| (queued, delivery)))
            })
        })
        .await?;
    match outcome {
        None => Err(WebhookError::DeliveryNotFound),
        Some((false, _)) => Err(WebhookError::InFlight),
        Some((true, delivery)) => {
            state.webhooks.deliveries_queued();
            Ok(delivery)
        }
    }
}

/// Whether the previous secret still signs at `now`.
pub fn in_rotation(subscription: &Subscription, now: DateTime<Utc>) -> bool {
    subscription
        .previous_secret_expires_at
        .is_some_and(|until| until.and_utc() > now)
}
