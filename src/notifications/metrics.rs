//! The outbox as `/metrics` shows it.

use prometheus::{IntCounter, IntGauge, Registry};

/// The outbox as `/metrics` shows it: emails waiting, and emails this instance handed over or
/// gave up on since it started.
#[derive(Clone)]
pub struct OutboxMetrics {
    /// Emails due now (or overdue) and not yet sent.
    pub pending: IntGauge,
    /// Emails waiting for a later `send_after`: reminders, digests, retries.
    pub scheduled: IntGauge,
    pub sent: IntCounter,
    pub failed: IntCounter,
}

impl OutboxMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            pending: IntGauge::new(
                "convene_outbox_pending",
                "Emails due to be sent now and not yet sent",
            )?,
            scheduled: IntGauge::new(
                "convene_outbox_scheduled",
                "Emails waiting for a later send time (reminders, retries)",
            )?,
            sent: IntCounter::new(
                "convene_emails_sent_total",
                "Emails handed to the transport",
            )?,
            failed: IntCounter::new(
                "convene_emails_failed_total",
                "Emails given up on after their last attempt",
            )?,
        };
        registry.register(Box::new(metrics.pending.clone()))?;
        registry.register(Box::new(metrics.scheduled.clone()))?;
        registry.register(Box::new(metrics.sent.clone()))?;
        registry.register(Box::new(metrics.failed.clone()))?;
        Ok(metrics)
    }
}
