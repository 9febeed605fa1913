//! What every request handler can reach.

use std::sync::Arc;

use crate::auth::throttle::{LoginThrottle, PublicThrottle};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::Database;
use crate::leads::scoring::ScoringRules;

pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub login_throttle: LoginThrottle,
    pub public_throttle: PublicThrottle,
    pub scoring_rules: Arc<ScoringRules>,
}

impl AppState {
    pub fn new(
        db: Database,
        settings: Arc<Settings>,
        clock: Arc<dyn Clock>,
        scoring_rules: Arc<ScoringRules>,
    ) -> Self {
        let login_throttle = LoginThrottle::new(
            settings.security.login_attempts_per_minute_per_ip,
            settings.security.login_attempts_per_minute_per_account,
        );
        let public_throttle =
            PublicThrottle::new(settings.public.requests_per_minute, settings.public.burst);
        Self {
            db,
            settings,
            clock,
            login_throttle,
            public_throttle,
            scoring_rules,
        }
    }

    pub fn session_idle(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.settings.security.session_idle_minutes)
    }
}
