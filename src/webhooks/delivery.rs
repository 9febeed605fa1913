//! Sending deliveries: claim due rows under a lease, POST each event signed as Standard
//! Webhooks asks, many at once over one keep-alive client, and record what came back.
//!
//! Delivery is at least once: an instance that dies after the destination answered but before
//! the answer was recorded leaves the row to be sent again once its lease runs out. Every
//! attempt of an event carries the same `webhook-id`, so receivers can drop repeats.

use std::collections::HashSet;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use rand::Rng;
use secrecy::SecretString;

use crate::auth::roles::Role;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::notifications::messages::Composer;
use crate::notifications::outbox;
use crate::state::AppState;
use crate::users::repo as users_repo;
use crate::webhooks::destination::{Destination, DestinationError, ATTEMPT_TIMEOUT};
use crate::webhooks::model::Subscription;
use crate::webhooks::repo::{self, Attempt, Claimed};
use crate::webhooks::sealing::{SecretField, SecretSealer};
use crate::webhooks::{signing, Webhooks};

/// The waits before the second to eighth attempts; after the eighth the delivery fails.
pub const RETRY_DELAYS: [StdDuration; 7] = [
    StdDuration::from_secs(5),
    StdDuration::from_secs(5 * 60),
    StdDuration::from_secs(30 * 60),
    StdDuration::from_secs(2 * 3600),
    StdDuration::from_secs(5 * 3600),
    StdDuration::from_secs(10 * 3600),
    StdDuration::from_secs(10 * 3600),
];
/// A subscription whose deliveries have failed this long without one success is disabled.
pub const DISABLE_AFTER_DAYS: i64 = 5;
/// How much of an answer's body is read (and dropped) so its connection can be used again.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
const MAX_ERROR_CHARS: usize = 300;
/// How long finished attempts wait for others to be recorded with them.
const SETTLE_GATHER: StdDuration = StdDuration::from_millis(20);

/// The wait after a failed attempt number `attempts` (1 for the first), scaled by `jitter`
/// (kept within ±10 %) so that deliveries that failed together do not retry together; `None`
/// once the schedule is spent.
pub fn retry_delay(attempts: u32, jitter: f64) -> Option<StdDuration> {
    let index = usize::try_from(attempts.checked_sub(1)?).ok()?;
    RETRY_DELAYS
        .get(index)
        .map(|delay| delay.mul_f64(jitter.clamp(0.9, 1.1)))
}

/// Who runs a delivery pass: the worker stops claiming once the server shuts down and counts
/// each settled batch as a sign of life.
pub trait KeepGoing {
    fn keep_going(&self) -> bool;

    fn batch_completed(&self);
}

impl Webhooks {
    /// Sends every due delivery, up to `webhooks.max_in_flight` at once: as attempts finish,
    /// their outcomes are recorded together and their places refilled, until no due row is
    /// left (or `pass` says stop) and nothing is in flight. Returns how many were attempted.
    pub async fn deliver_due(
        &self,
        state: &AppState,
        pass: &impl KeepGoing,
    ) -> Result<usize, StoreError> {
        let sealer = self.sealer(&state.db, state.clock.now()).await?;
        let capacity = usize::try_from(self.settings.max_in_flight)
            .unwrap_or(1)
            .max(1);
        // Claiming a few rows at a time as single attempts finish would cost a write each.
        let refill_at = capacity.div_ceil(4);
        let mut in_flight = FuturesUnordered::new();
        let mut more_due = true;
        let mut attempted = 0;
        loop {
            let free = capacity - in_flight.len();
            if more_due && pass.keep_going() && (in_flight.is_empty() || free >= refill_at) {
                let claimed = self.claim(state, free).await?;
                more_due = claimed.len() == free;
                for row in claimed {
                    in_flight.push(self.attempt(state, sealer, row));
                }
            }
            let Some(first) = in_flight.next().await else {
                break;
            };
            // Each settlement is a transaction (a disk flush on PostgreSQL), so outcomes are
            // gathered for a moment while others are still arriving.
            let mut finished = vec![first];
            let gathering = tokio::time::Instant::now() + SETTLE_GATHER;
            while finished.len() < refill_at {
                match tokio::time::timeout_at(gathering, in_flight.next()).await {
                    Ok(Some(next)) => finished.push(next),
                    Ok(None) | Err(_) => break,
                }
            }
            while let Some(Some(next)) = in_flight.next().now_or_never() {
                finished.push(next);
            }
            attempted += finished.len();
            self.settle(state, finished).await?;
            pass.batch_completed();
        }
        let waiting = state.db.run(repo::waiting_count).await?;
        self.metrics.waiting.set(waiting);
        Ok(attempted)
    }

    async fn claim(&self, state: &AppState, limit: usize) -> Result<Vec<Claimed>, StoreError> {
        let worker = self.worker_id.clone();
        let now = state.clock.now();
        let lease = Duration::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(60));
        let limit = i64::try_from(limit).unwrap_or(1);
        state
            .db
            .run(move |conn| repo::claim_due(conn, &worker, now, lease, limit))
            .await
    }

    /// One attempt, never failing itself: whatever goes wrong is the attempt's outcome.
    async fn attempt(&self, state: &AppState, sealer: &SecretSealer, claimed: Claimed) -> Attempt {
        let Claimed {
            delivery,
            subscription,
            event,
        } = claimed;
        let at = state.clock.now();
        let started = Instant::now();
        let sent = self.send(sealer, &subscription, &event, at).await;
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (status_code, error) = match sent {
            Ok(status) if status.is_success() => (Some(i32::from(status.as_u16())), None),
            Ok(status) => (
                Some(i32::from(status.as_u16())),
                Some(format!("answered {status}")),
            ),
            Err(error) => (None, Some(shorten(&error))),
        };
        let attempts = u32::try_from(delivery.attempts).unwrap_or(u32::MAX);
        let retry_at = error.as_ref().and_then(|_| {
            let wait = retry_delay(attempts, rand::thread_rng().gen_range(0.9..=1.1))?;
            Duration::from_std(wait).ok().map(|wait| at + wait)
        });
        Attempt {
            delivery_id: delivery.id,
            subscription_id: subscription.id,
            at,
            status_code,
            duration_ms,
            error,
            retry_at,
        }
    }

    /// POSTs `event` to the subscription's destination, checked again first; the answer's
    /// status, or why there was none.
    async fn send(
        &self,
        sealer: &SecretSealer,
        subscription: &Subscription,
        event: &crate::events::Event,
        at: DateTime<Utc>,
    ) -> Result<reqwest::StatusCode, String> {
        let destination = Destination::parse(&subscription.url, self.allow_private())
            .map_err(|refused| format!("destination refused: url {refused}"))?;
        let secrets = signing_secrets(sealer, subscription, at)?;
        let body = event.body();
        let timestamp = at.timestamp();
        let secrets: Vec<&SecretString> = secrets.iter().collect();
        let signature = signing::signature_header(&secrets, &event.id, timestamp, &body);
        let mut response = self
            .client
            .post(destination.url().clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|error| describe(&error))?;
        let status = response.status();
        let mut read = 0;
        while read < MAX_ANSWER_BYTES {
            match response.chunk().await.map_err(|error| describe(&error))? {
                Some(chunk) => read += chunk.len(),
                None => break,
            }
        }
        Ok(status)
    }

    /// Records finished attempts in one transaction; a subscription they disable is
    /// announced to the admins in the same transaction.
    async fn settle(&self, state: &AppState, attempts: Vec<Attempt>) -> Result<(), StoreError> {
        let worker = self.worker_id.clone();
        let composer = state.composer();
        let settled = state
            .db
            .run(move |conn| {
                write_transaction(conn, |conn| settle_all(conn, &worker, &composer, attempts))
            })
            .await?;
        for attempt in &settled.recorded {
            match (&attempt.error, attempt.retry_at) {
                (None, _) => self.metrics.delivered.inc(),
                (Some(error), Some(retry_at)) => {
                    self.metrics.failed_attempts.inc();
                    tracing::info!(delivery_id = %attempt.delivery_id, %error, %retry_at, "webhook delivery will be retried");
                }
                (Some(error), None) => {
                    self.metrics.failed_attempts.inc();
                    self.metrics.failed.inc();
                    tracing::warn!(delivery_id = %attempt.delivery_id, %error, "webhook delivery failed for good");
                }
            }
        }
        for subscription in &settled.disabled {
            tracing::warn!(
                subscription_id = %subscription.id,
                "webhook subscription disabled after {DISABLE_AFTER_DAYS} days without a successful delivery"
            );
        }
        if !settled.disabled.is_empty() {
            state.changes_committed();
        }
        Ok(())
    }
}

/// The current secret, and the previous one while it still signs.
fn signing_secrets(
    sealer: &SecretSealer,
    subscription: &Subscription,
    at: DateTime<Utc>,
) -> Result<Vec<SecretString>, String> {
    let unreadable = |_| {
        "the signing secret does not open (was webhooks.secret_key changed without keeping the \
         old key in previous_secret_keys?)"
            .to_owned()
    };
    let mut secrets = vec![sealer
        .open(&subscription.secret, &subscription.id, SecretField::Current)
        .map_err(unreadable)?];
    if let (Some(previous), Some(until)) = (
        &subscription.previous_secret,
        subscription.previous_secret_expires_at,
    ) {
        if until.and_utc() > at {
            secrets.push(
                sealer
                    .open(previous, &subscription.id, SecretField::Previous)
                    .map_err(unreadable)?,
            );
        }
    }
    Ok(secrets)
}

struct Settled {
    recorded: Vec<Attempt>,
    disabled: Vec<Subscription>,
}

fn settle_all(
    conn: &mut DbConnection,
    worker: &str,
    composer: &Composer,
    attempts: Vec<Attempt>,
) -> Result<Settled, StoreError> {
    let mut settled = Settled {
        recorded: Vec::with_capacity(attempts.len()),
        disabled: Vec::new(),
    };
    let recorded: HashSet<String> = repo::record_attempts(conn, worker, &attempts)?
        .into_iter()
        .collect();
    let mut succeeded: Vec<String> = Vec::new();
    for attempt in attempts {
        if !recorded.contains(&attempt.delivery_id) {
            continue;
        }
        if attempt.error.is_none() {
            if !succeeded.contains(&attempt.subscription_id) {
                succeeded.push(attempt.subscription_id.clone());
            }
        } else if let Some(disabled) = repo::note_failure(
            conn,
            &attempt.subscription_id,
            attempt.at,
            Duration::days(DISABLE_AFTER_DAYS),
        )? {
            tell_admins(conn, composer, &disabled, attempt.at)?;
            settled.disabled.push(disabled);
        }
        settled.recorded.push(attempt);
    }
    repo::note_successes(conn, &succeeded)?;
    Ok(settled)
}

/// One email to each active admin about a subscription Convene disabled.
fn tell_admins(
    conn: &mut DbConnection,
    composer: &Composer,
    subscription: &Subscription,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for admin in users_repo::active_with_role(conn, Role::Admin)? {
        let email = composer
            .webhook_disabled(&admin, subscription, now)
            .map_err(|e| StoreError::Corrupt(format!("an email could not be composed: {e}")))?;
        outbox::enqueue(conn, &email, now)?;
    }
    Ok(())
}

/// Why a request got no answer, in a few words that carry no URL or secret.
fn describe(error: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut innermost = error.to_string();
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<DestinationError>() {
            return format!("destination refused: the host {refused}");
        }
        innermost = current.to_string();
        source = current.source();
    }
    if error.is_timeout() {
        format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())
    } else if error.is_connect() {
        format!("could not connect: {innermost}")
    } else {
        format!("the request failed: {innermost}")
    }
}

fn shorten(text: &str) -> String {
    crate::values::one_line(text)
        .chars()
        .take(MAX_ERROR_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let minutes = |attempts| retry_delay(attempts, 1.0).map(|d| d.as_secs() / 60);
        assert_eq!(retry_delay(1, 1.0), Some(StdDuration::from_secs(5)));
        assert_eq!(minutes(2), Some(5));
        assert_eq!(minutes(3), Some(30));
        assert_eq!(minutes(4), Some(120));
        assert_eq!(minutes(5), Some(300));
        assert_eq!(minutes(6), Some(600));
        assert_eq!(minutes(7), Some(600));
        assert_eq!(retry_delay(8, 1.0), None, "eight attempts in all");
        assert_eq!(retry_delay(0, 1.0), None);
        assert_eq!(retry_delay(u32::MAX, 1.0), None);
    }

    #[test]
    fn jitter_moves_a_retry_by_at_most_a_tenth() {
        assert_eq!(retry_delay(2, 0.0), Some(StdDuration::from_secs(270)));
        assert_eq!(retry_delay(2, 5.0), Some(StdDuration::from_secs(330)));
    }
}
