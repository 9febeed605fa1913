//! CRM sync as `/metrics` shows it.

use prometheus::{IntGauge, Registry};

/// Changes waiting for the CRM and changes parked, as the shared table holds them after this
/// instance's last round.
#[derive(Clone)]
pub struct CrmMetrics {
    pub backlog: IntGauge,
    pub parked: IntGauge,
}

impl CrmMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let metrics = Self {
            backlog: IntGauge::new(
                "convene_crm_backlog",
                "Records waiting to be pushed to the CRM, first time or retry",
            )?,
            parked: IntGauge::new(
                "convene_crm_failures",
                "Records the CRM refused or that ran out of attempts, waiting for a retry by hand",
            )?,
        };
        registry.register(Box::new(metrics.backlog.clone()))?;
        registry.register(Box::new(metrics.parked.clone()))?;
        Ok(metrics)
    }
}
