//! Storing subscriptions and deliveries: queueing, claiming under a lease, settling attempts.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhook_subscriptions};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::events::{self, Event};
use crate::values::new_id;
use crate::webhooks::model::{
    Delivery, DeliveryStatus, NewSubscription, Subscription, SubscriptionChanges,
    SubscriptionStatus,
};

/// The sealed secrets a new or rotated subscription signs with.
pub struct SealedSecrets {
    pub current: String,
    pub previous: Option<(String, DateTime<Utc>)>,
}

pub fn insert_subscription(
    conn: &mut DbConnection,
    id: &str,
    new: &NewSubscription,
    sealed_secret: &str,
    now: DateTime<Utc>,
) -> Result<Subscription, StoreError> {
    diesel::insert_into(webhook_subscriptions::table)
        .values((
            webhook_subscriptions::id.eq(id),
            webhook_subscriptions::url.eq(new.destination.as_str()),
            webhook_subscriptions::events.eq(new.events.to_stored()),
            webhook_subscriptions::description.eq(new.description.as_deref()),
            webhook_subscriptions::status.eq(SubscriptionStatus::Active.as_str()),
            webhook_subscriptions::secret.eq(sealed_secret),
            webhook_subscriptions::created_at.eq(now.naive_utc()),
            webhook_subscriptions::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    find_subscription(conn, id)?
        .ok_or_else(|| StoreError::Corrupt("a webhook subscription was not stored".into()))
}

pub fn find_subscription(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<Subscription>, StoreError> {
    Ok(webhook_subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .first(conn)
        .optional()?)
}

/// Newest first, after the cursor (a subscription id).
pub fn list_subscriptions(
    conn: &mut DbConnection,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<Subscription>, StoreError> {
    let mut query = webhook_subscriptions::table
        .select(Subscription::as_select())
        .into_boxed();
    if let Some(cursor) = cursor {
        query = query.filter(webhook_subscriptions::id.lt(cursor.to_owned()));
    }
    Ok(query
        .order(webhook_subscriptions::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// Applies `changes`; false when no subscription has this id. Turning a subscription on
/// again gives it a fresh five days before failures disable it.
pub fn update_subscription(
    conn: &mut DbConnection,
    id: &str,
    changes: &SubscriptionChanges,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let target = webhook_subscriptions::table.find(id);
    let touched = diesel::update(target)
        .set(webhook_subscriptions::updated_at.eq(now.naive_utc()))
        .execute(conn)?;
    if touched == 0 {
        return Ok(false);
    }
    if let Some(destination) = &changes.destination {
        diesel::update(target)
            .set(webhook_subscriptions::url.eq(destination.as_str()))
            .execute(conn)?;
    }
    if let Some(events) = &changes.events {
        diesel::update(target)
            .set(webhook_subscriptions::events.eq(events.to_stored()))
            .execute(conn)?;
    }
    if let Some(description) = &changes.description {
        diesel::update(target)
            .set(webhook_subscriptions::description.eq(description.as_deref()))
            .execute(conn)?;
    }
    match changes.status {
        Some(SubscriptionStatus::Active) => {
            diesel::update(
                target
                    .filter(webhook_subscriptions::status.ne(SubscriptionStatus::Active.as_str())),
            )
            .set((
                webhook_subscriptions::status.eq(SubscriptionStatus::Active.as_str()),
                webhook_subscriptions::failing_since.eq(None::<NaiveDateTime>),
                webhook_subscriptions::disabled_reason.eq(None::<String>),
            ))
            .execute(conn)?;
        }
        Some(SubscriptionStatus::Disabled) => {
            diesel::update(
                target.filter(
                    webhook_subscriptions::status.ne(SubscriptionStatus::Disabled.as_str()),
                ),
            )
            .set(webhook_subscriptions::status.eq(SubscriptionStatus::Disabled.as_str()))
            .execute(conn)?;
        }
        None => {}
    }
    Ok(true)
}

pub fn set_secrets(
    conn: &mut DbConnection,
    id: &str,
    secrets: &SealedSecrets,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (previous, expires) = match &secrets.previous {
        Some((sealed, expires)) => (Some(sealed.as_str()), Some(expires.naive_utc())),
        None => (None, None),
    };
    let changed = diesel::update(webhook_subscriptions::table.find(id))
        .set((
            webhook_subscriptions::secret.eq(&secrets.current),
            webhook_subscriptions::previous_secret.eq(previous),
            webhook_subscriptions::previous_secret_expires_at.eq(expires),
            webhook_subscriptions::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Deletes a subscription and its deliveries; false when none has this id.
pub fn delete_subscription(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    write_transaction(conn, |conn| {
        diesel::delete(
            webhook_deliveries::table.filter(webhook_deliveries::subscription_id.eq(id)),
        )
        .execute(conn)?;
        Ok(diesel::delete(webhook_subscriptions::table.find(id)).execute(conn)? == 1)
    })
}

/// Every active subscription, for matching a new event.
pub fn active_subscriptions(conn: &mut DbConnection) -> Result<Vec<Subscription>, StoreError> {
    Ok(webhook_subscriptions::table
        .filter(webhook_subscriptions::status.eq(SubscriptionStatus::Active.as_str()))
        .select(Subscription::as_select())
        .load(conn)?)
}

/// Queues `event` for `subscription_id`, due now. The pair is unique, so queueing it twice
/// leaves the first delivery.
pub fn queue(
    conn: &mut DbConnection,
    subscription_id: &str,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let id = new_id();
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::id.eq(&id),
            webhook_deliveries::subscription_id.eq(subscription_id),
            webhook_deliveries::event_id.eq(&event.id),
            webhook_deliveries::event_type.eq(&event.event_type),
            webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(Some(now.naive_utc())),
            webhook_deliveries::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn find_delivery(
    conn: &mut DbConnection,
    subscription_id: &str,
    id: &str,
) -> Result<Option<Delivery>, StoreError> {
    Ok(webhook_deliveries::table
        .find(id)
        .filter(webhook_deliveries::subscription_id.eq(subscription_id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()?)
}

/// A subscription's deliveries, newest first, after the cursor (a delivery id).
pub fn list_deliveries(
    conn: &mut DbConnection,
    subscription_id: &str,
    status: Option<DeliveryStatus>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, StoreError> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription_id.to_owned()))
        .select(Delivery::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(webhook_deliveries::status.eq(status.as_str()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(webhook_deliveries::id.lt(cursor.to_owned()));
    }
    Ok(query
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// Queues a delivery again, due now, with a fresh set of attempts; false while an instance is
/// sending it.
pub fn redeliver(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = now.naive_utc();
    let changed = diesel::update(
        webhook_deliveries::table.find(id).filter(
            webhook_deliveries::locked_until
                .is_null()
                .or(webhook_deliveries::locked_until.lt(now)),
        ),
    )
    .set((
        webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
        webhook_deliveries::attempts.eq(0),
        webhook_deliveries::next_attempt_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// A claimed delivery with what sending it needs.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: Delivery,
    pub subscription: Subscription,
    pub event: Event,
}

/// Takes up to `limit` due deliveries of active subscriptions for `worker` until
/// `now + lease`, counting an attempt on each. On PostgreSQL the rows are picked with
/// `FOR UPDATE SKIP LOCKED`, so instances claiming at once get disjoint batches without
/// waiting on each other; SQLite has one writer at a time, so a read and update inside one
/// write transaction is already exclusive.
pub fn claim_due(
    conn: &mut DbConnection,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    let now_naive = now.naive_utc();
    let until = (now + lease).naive_utc();
    let waiting = [
        DeliveryStatus::Pending.as_str(),
        DeliveryStatus::Retrying.as_str(),
    ];
    write_transaction(conn, |conn| {
        let ids: Vec<String> = match conn {
            // A CTE is evaluated once, so every row it locks is a row the UPDATE claims.
            DbConnection::Postgres(pg) => crate::db::claim_ids(
                pg,
                "WITH due AS (SELECT d.id FROM webhook_deliveries d \
                 JOIN webhook_subscriptions s ON s.id = d.subscription_id \
                 WHERE s.status = 'active' AND d.status IN ('pending', 'retrying') \
                 AND d.next_attempt_at <= $3 \
                 AND (d.locked_until IS NULL OR d.locked_until < $3) \
                 ORDER BY d.next_attempt_at LIMIT $4 FOR UPDATE OF d SKIP LOCKED) \
                 UPDATE webhook_deliveries SET locked_by = $1, locked_until = $2, \
                 attempts = webhook_deliveries.attempts + 1 \
                 FROM due WHERE webhook_deliveries.id = due.id \
                 RETURNING webhook_deliveries.id",
                worker,
                until,
                now_naive,
                limit,
            )?,
            DbConnection::Sqlite(_) => {
                let ids: Vec<String> = webhook_deliveries::table
                    .inner_join(webhook_subscriptions::table)
                    .filter(webhook_subscriptions::status.eq(SubscriptionStatus::Active.as_str()))
                    .filter(webhook_deliveries::status.eq_any(waiting))
                    .filter(webhook_deliveries::next_attempt_at.le(now_naive))
                    .filter(
                        webhook_deliveries::locked_until
                            .is_null()
                            .or(webhook_deliveries::locked_until.lt(now_naive)),
                    )
                    .order(webhook_deliveries::next_attempt_at.asc())
                    .limit(limit)
                    .select(webhook_deliveries::id)
                    .load(conn)?;
                diesel::update(
                    webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)),
                )
                .set((
                    webhook_deliveries::locked_by.eq(worker),
                    webhook_deliveries::locked_until.eq(until),
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                ))
                .execute(conn)?;
                ids
            }
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(Delivery, Subscription)> = webhook_deliveries::table
            .inner_join(webhook_subscriptions::table)
            .filter(webhook_deliveries::id.eq_any(&ids))
            .select((Delivery::as_select(), Subscription::as_select()))
            .load(conn)?;
        let event_ids: Vec<String> = rows.iter().map(|(d, _)| d.event_id.clone()).collect();
        let found = events::find_all(conn, &event_ids)?;
        Ok(rows
            .into_iter()
            .filter_map(|(delivery, subscription)| {
                let event = found.iter().find(|e| e.id == delivery.event_id)?.clone();
                Some(Claimed {
                    delivery,
                    subscription,
                    event,
                })
            })
            .collect())
    })
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: String,
    pub subscription_id: String,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub duration_ms: i32,
    /// `None` when the destination took it (a 2xx answer).
    pub error: Option<String>,
    /// When to try again after a failure; `None` gives up.
    pub retry_at: Option<DateTime<Utc>>,
}

/// Records each of `attempts` whose delivery `worker` still holds; answers the ids recorded
/// (a delivery whose lease ran out and was taken over is left to its new owner). PostgreSQL
/// records the whole batch in one statement, since every round trip there counts at a thousand
/// deliveries a second; SQLite, in-process, takes them one by one.
pub fn record_attempts(
    conn: &mut DbConnection,
    worker: &str,
    attempts: &[Attempt],
) -> Result<Vec<String>, StoreError> {
    if let DbConnection::Postgres(pg) = conn {
        use diesel::sql_types::{Array, Integer, Nullable, Text, Timestamp};
        #[derive(QueryableByName)]
        struct Recorded {
            #[diesel(sql_type = Text)]
            id: String,
        }
        let ids: Vec<&str> = attempts.iter().map(|a| a.delivery_id.as_str()).collect();
        let statuses: Vec<&str> = attempts.iter().map(|a| a.outcome().0.as_str()).collect();
        let next: Vec<Option<NaiveDateTime>> = attempts.iter().map(|a| a.outcome().1).collect();
        let at: Vec<NaiveDateTime> = attempts.iter().map(|a| a.at.naive_utc()).collect();
        let codes: Vec<Option<i32>> = attempts.iter().map(|a| a.status_code).collect();
        let errors: Vec<Option<&str>> = attempts.iter().map(|a| a.error.as_deref()).collect();
        let durations: Vec<i32> = attempts.iter().map(|a| a.duration_ms).collect();
        let recorded = diesel::sql_query(
            "UPDATE webhook_deliveries AS d SET status = v.status, \
             next_attempt_at = v.next_attempt_at, last_attempt_at = v.attempted_at, \
             last_status_code = v.status_code, last_error = v.error, \
             last_duration_ms = v.duration_ms, \
             delivered_at = CASE WHEN v.status = 'delivered' THEN v.attempted_at \
             ELSE d.delivered_at END, locked_by = NULL, locked_until = NULL \
             FROM unnest($2, $3, $4, $5, $6, $7, $8) \
             AS v(id, status, next_attempt_at, attempted_at, status_code, error, duration_ms) \
             WHERE d.id = v.id AND d.locked_by = $1 RETURNING d.id",
        )
        .bind::<Text, _>(worker)
        .bind::<Array<Text>, _>(ids)
        .bind::<Array<Text>, _>(statuses)
        .bind::<Array<Nullable<Timestamp>>, _>(next)
        .bind::<Array<Timestamp>, _>(at)
        .bind::<Array<Nullable<Integer>>, _>(codes)
        .bind::<Array<Nullable<Text>>, _>(errors)
        .bind::<Array<Integer>, _>(durations)
        .load::<Recorded>(pg)?;
        return Ok(recorded.into_iter().map(|row| row.id).collect());
    }
    let mut recorded = Vec::with_capacity(attempts.len());
    for attempt in attempts {
        if record_attempt(conn, worker, attempt)? {
            recorded.push(attempt.delivery_id.clone());
        }
    }
    Ok(recorded)
}

impl Attempt {
    /// The delivery's state after this attempt, and when it is tried next.
    fn outcome(&self) -> (DeliveryStatus, Option<NaiveDateTime>) {
        match (&self.error, self.retry_at) {
            (None, _) => (DeliveryStatus::Delivered, None),
            (Some(_), Some(retry_at)) => (DeliveryStatus::Retrying, Some(retry_at.naive_utc())),
            (Some(_), None) => (DeliveryStatus::Failed, None),
        }
    }
}

fn record_attempt(
    conn: &mut DbConnection,
    worker: &str,
    attempt: &Attempt,
) -> Result<bool, StoreError> {
    let target = || {
        webhook_deliveries::table
            .find(&attempt.delivery_id)
            .filter(webhook_deliveries::locked_by.eq(worker))
    };
    let at = attempt.at.naive_utc();
    let (status, next) = attempt.outcome();
    let outcome = (
        webhook_deliveries::status.eq(status.as_str()),
        webhook_deliveries::next_attempt_at.eq(next),
        webhook_deliveries::last_attempt_at.eq(Some(at)),
        webhook_deliveries::last_status_code.eq(attempt.status_code),
        webhook_deliveries::last_error.eq(attempt.error.as_deref()),
        webhook_deliveries::last_duration_ms.eq(Some(attempt.duration_ms)),
        webhook_deliveries::locked_by.eq(None::<String>),
        webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
    );
    // A failed redelivery keeps the time of the earlier success.
    let changed = if status == DeliveryStatus::Delivered {
        diesel::update(target())
            .set((outcome, webhook_deliveries::delivered_at.eq(Some(at))))
            .execute(conn)?
    } else {
        diesel::update(target()).set(outcome).execute(conn)?
    };
    Ok(changed == 1)
}

/// A success ends its subscription's failing streak.
pub fn note_successes(
    conn: &mut DbConnection,
    subscription_ids: &[String],
) -> Result<(), StoreError> {
    if subscription_ids.is_empty() {
        return Ok(());
    }
    diesel::update(
        webhook_subscriptions::table
            .filter(webhook_subscriptions::id.eq_any(subscription_ids))
            .filter(webhook_subscriptions::failing_since.is_not_null()),
    )
    .set(webhook_subscriptions::failing_since.eq(None::<NaiveDateTime>))
    .execute(conn)?;
    Ok(())
}

/// A failure starts the failing streak, or, once the streak has lasted `disable_after`,
/// disables the subscription. Returns the subscription when this call disabled it, so that
/// exactly one caller tells the admins.
pub fn note_failure(
    conn: &mut DbConnection,
    subscription_id: &str,
    at: DateTime<Utc>,
    disable_after: Duration,
) -> Result<Option<Subscription>, StoreError> {
    let at_naive = at.naive_utc();
    diesel::update(
        webhook_subscriptions::table
            .find(subscription_id)
            .filter(webhook_subscriptions::failing_since.is_null()),
    )
    .set(webhook_subscriptions::failing_since.eq(Some(at_naive)))
    .execute(conn)?;
    let Some(subscription) = find_subscription(conn, subscription_id)? else {
        return Ok(None);
    };
    let Some(since) = subscription.failing_since else {
        return Ok(None);
    };
    if !subscription.is_active() || at_naive - since < disable_after {
        return Ok(None);
    }
    let reason = format!(
        "no successful delivery since {} UTC (failing for {} days)",
        since.format("%Y-%m-%d %H:%M"),
        disable_after.num_days()
    );
    let disabled = diesel::update(
        webhook_subscriptions::table
            .find(subscription_id)
            .filter(webhook_subscriptions::status.eq(SubscriptionStatus::Active.as_str())),
    )
    .set((
        webhook_subscriptions::status.eq(SubscriptionStatus::Disabled.as_str()),
        webhook_subscriptions::disabled_reason.eq(Some(&reason)),
        webhook_subscriptions::updated_at.eq(at_naive),
    ))
    .execute(conn)?;
    if disabled == 1 {
        find_subscription(conn, subscription_id)
    } else {
        Ok(None)
    }
}

/// Deliveries waiting for an attempt (pending or retrying), for `/metrics`.
pub fn waiting_count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::status.eq_any([
            DeliveryStatus::Pending.as_str(),
            DeliveryStatus::Retrying.as_str(),
        ]))
        .count()
        .get_result(conn)?)
}
