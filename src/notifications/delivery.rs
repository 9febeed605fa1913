//! Delivering the outbox: claim due emails under a lease, send them, record the outcome.
//!
//! Delivery is at least once. The one window for a repeat is between the transport accepting
//! an email and the `sent` mark being written: if the process dies there, the lease runs out
//! and another worker sends the email again. The dedupe key keeps that to the email in flight
//! (never a second row), and the repeat carries the same Message-ID, so the receiving side
//! can recognise it.

use std::time::Duration as StdDuration;

use std::panic::AssertUnwindSafe;

use chrono::Duration;
use futures_util::stream::{self, StreamExt};
use futures_util::FutureExt;
use lettre::message::Mailbox;
use rand::Rng;

use crate::config::EmailSettings;
use crate::db::StoreError;
use crate::notifications::outbox::{self, retry_delay, AfterFailure, EmailRecord};
use crate::notifications::transport::{build_message, SendError, Transport};
use crate::state::AppState;
use crate::telemetry::panic_message;
use crate::values::new_id;

pub struct Deliverer {
    transport: Transport,
    from: Mailbox,
    message_id_domain: String,
    /// Names this process's leases.
    worker_id: String,
    settings: EmailSettings,
}

impl Deliverer {
    pub fn new(
        transport: Transport,
        settings: &EmailSettings,
        message_id_domain: String,
    ) -> Result<Self, crate::config::ConfigError> {
        Ok(Self {
            transport,
            from: settings.from_mailbox()?,
            message_id_domain,
            worker_id: new_id(),
            settings: settings.clone(),
        })
    }

    /// Sends one batch of due emails; returns how many were claimed, so the caller knows
    /// whether more may be waiting.
    pub async fn deliver_batch(&self, state: &AppState) -> Result<usize, StoreError> {
        let now = state.clock.now();
        let worker = self.worker_id.clone();
        let lease = Duration::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(120));
        let limit = i64::from(self.settings.batch_size);
        let max_attempts = i32::try_from(self.settings.max_attempts).unwrap_or(i32::MAX);
        let (abandoned, claimed) = state
            .db
            .run(move |conn| {
                let abandoned = outbox::give_up_abandoned(conn, max_attempts, now)?;
                let claimed = outbox::claim_due(conn, &worker, now, lease, limit)?;
                Ok((abandoned, claimed))
            })
            .await?;
        for id in &abandoned {
            state.outbox_metrics.failed.inc();
            tracing::warn!(email_id = %id, max_attempts, "email failed for good: every attempt ended without an answer");
        }
        let count = claimed.len();
        let parallelism = self.transport.parallelism();
        let results: Vec<Result<(), StoreError>> = stream::iter(claimed)
            .map(|email| self.deliver_one(state, email))
            .buffer_unordered(parallelism)
            .collect()
            .await;
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        let now = state.clock.now();
        let depth = state.db.run(move |conn| outbox::depth(conn, now)).await?;
        state.outbox_metrics.pending.set(depth.due);
        state.outbox_metrics.scheduled.set(depth.scheduled);
        Ok(count)
    }

    async fn deliver_one(&self, state: &AppState, email: EmailRecord) -> Result<(), StoreError> {
        let worker = self.worker_id.clone();
        let id = email.id.clone();
        let now = state.clock.now();
        if email.not_after.is_some_and(|limit| limit.and_utc() <= now) {
            tracing::info!(email_id = %id, kind = %email.kind, "email no longer timely, dropped");
            return state
                .db
                .run(move |conn| outbox::mark_dropped(conn, &id, &worker))
                .await;
        }
        let sending = async {
            let message = build_message(&email, &self.from, &self.message_id_domain)?;
            self.transport.send(&email.id, &message).await
        };
        let sent = AssertUnwindSafe(sending)
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                Err(SendError::Permanent(format!(
                    "the email could not be sent: {}",
                    panic_message(panic.as_ref())
                )))
            });
        let now = state.clock.now();
        match sent {
            Ok(()) => {
                state.outbox_metrics.sent.inc();
                state
                    .db
                    .run(move |conn| outbox::mark_sent(conn, &id, &worker, now))
                    .await
            }
            Err(error) => {
                let attempts = u32::try_from(email.attempts).unwrap_or(u32::MAX);
                let after = match &error {
                    SendError::Temporary(_) if attempts < self.settings.max_attempts => {
                        let wait = retry_delay(
                            attempts,
                            StdDuration::from_secs(self.settings.retry_base_secs),
                            StdDuration::from_secs(self.settings.retry_max_secs),
                            rand::thread_rng().gen_range(0.5..=1.0),
                        );
                        AfterFailure::RetryAt(
                            now + Duration::from_std(wait).unwrap_or(Duration::hours(1)),
                        )
                    }
                    _ => AfterFailure::GiveUp,
                };
                if after == AfterFailure::GiveUp {
                    state.outbox_metrics.failed.inc();
                    tracing::warn!(email_id = %id, kind = %email.kind, attempts, %error, "email failed for good");
                } else {
                    tracing::info!(email_id = %id, kind = %email.kind, attempts, %error, "email will be retried");
                }
                let message = error.to_string();
                state
                    .db
                    .run(move |conn| {
                        outbox::mark_failed_attempt(conn, &id, &worker, &message, after)
                    })
                    .await
            }
        }
    }
}
