//! What the worker tells `/healthz` and `/metrics` about itself: when it last completed a round,
//! or that this instance runs none.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus::{IntGauge, Registry};

use crate::config::WorkerSettings;

/// The worker's pulse. Measured on the monotonic clock, not the injected one, so a fixed clock
/// in tests or a jump of the wall clock cannot make a stalled worker look alive.
pub struct WorkerHeartbeat {
    /// Off (`worker.enabled = false`), no round is expected here, so none is missed.
    enabled: bool,
    started: Instant,
    /// The last completed round, or the last batch finished inside a long one: a round that
    /// drains a deep outbox may take minutes while the worker is plainly alive.
    last_sign_of_life: Mutex<Option<Instant>>,
    stalled_after: Duration,
    last_round_timestamp: IntGauge,
}

/// The worker as `/healthz` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    /// A round (or a batch of a long one) completed within the allowed time; seconds since.
    Running {
        seconds_since_round: u64,
    },
    /// Still within its first allowed time after start, no round completed yet.
    Starting,
    Stalled {
        reason: String,
    },
    /// This instance runs no worker.
    Disabled,
}

impl WorkerHeartbeat {
    pub fn register(registry: &Registry, settings: &WorkerSettings) -> prometheus::Result<Self> {
        let last_round_timestamp = IntGauge::new(
            "convene_worker_last_round_timestamp",
            "Unix time (seconds) when the background worker last completed a round",
        )?;
        registry.register(Box::new(last_round_timestamp.clone()))?;
        Ok(Self {
            enabled: settings.enabled,
            started: Instant::now(),
            last_sign_of_life: Mutex::new(None),
            stalled_after: Duration::from_secs(settings.stalled_after_secs),
            last_round_timestamp,
        })
    }

    pub fn round_completed(&self, wall_clock_unix_secs: i64) {
        self.alive();
        self.last_round_timestamp.set(wall_clock_unix_secs);
    }

    /// A batch of work finished inside a round that is still going.
    pub fn batch_completed(&self) {
        self.alive();
    }

    fn alive(&self) {
        *self
            .last_sign_of_life
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
    }

    pub fn state(&self) -> WorkerState {
        if !self.enabled {
            return WorkerState::Disabled;
        }
        let last_sign_of_life = *self
            .last_sign_of_life
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        assess(
            self.started.elapsed(),
            last_sign_of_life.map(|at| at.elapsed()),
            self.stalled_after,
        )
    }
}

/// Whether a worker started `since_start` ago, whose last round or batch ended `since_round`
/// ago, is alive when it must complete one at least every `stalled_after`.
fn assess(
    since_start: Duration,
    since_round: Option<Duration>,
    stalled_after: Duration,
) -> WorkerState {
    match since_round {
        Some(since) if since <= stalled_after => WorkerState::Running {
            seconds_since_round: since.as_secs(),
        },
        Some(since) => WorkerState::Stalled {
            reason: format!(
                "the background worker has not completed a round for {} s (allowed: {} s)",
                since.as_secs(),
                stalled_after.as_secs()
            ),
        },
        None if since_start <= stalled_after => WorkerState::Starting,
        None => WorkerState::Stalled {
            reason: format!(
                "the background worker has not completed a round since it started {} s ago",
                since_start.as_secs()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(60);

    #[test]
    fn a_recent_round_is_running() {
        assert_eq!(
            assess(
                Duration::from_secs(500),
                Some(Duration::from_secs(3)),
                LIMIT
            ),
            WorkerState::Running {
                seconds_since_round: 3
            }
        );
    }

    #[test]
    fn an_old_round_is_stalled() {
        assert!(matches!(
            assess(Duration::from_secs(500), Some(Duration::from_secs(61)), LIMIT),
            WorkerState::Stalled { reason } if reason.contains("61 s")
        ));
    }

    #[test]
    fn no_round_yet_is_starting_then_stalled() {
        assert_eq!(
            assess(Duration::from_secs(10), None, LIMIT),
            WorkerState::Starting
        );
        assert!(matches!(
            assess(Duration::from_secs(61), None, LIMIT),
            WorkerState::Stalled { .. }
        ));
    }
}
