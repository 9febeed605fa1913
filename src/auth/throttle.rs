//! Login throttling per client IP and per account. Counts live in each instance's memory, so
//! with N instances behind a balancer an attacker gets at most N times the configured rate.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginThrottle {
    per_ip: DefaultKeyedRateLimiter<String>,
    per_account: DefaultKeyedRateLimiter<String>,
}

impl LoginThrottle {
    pub fn new(per_minute_per_ip: u32, per_minute_per_account: u32) -> Self {
        let quota = |per_minute: u32| {
            Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN))
        };
        Self {
            per_ip: RateLimiter::keyed(quota(per_minute_per_ip)),
            per_account: RateLimiter::keyed(quota(per_minute_per_account)),
        }
    }

    /// Counts one attempt; `Err` carries how long the caller must wait.
    pub fn check(&self, client_ip: &str, account: &str) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        let ip_check = self.per_ip.check_key(&client_ip.to_owned());
        let account_check = self.per_account.check_key(&account.trim().to_lowercase());
        for outcome in [ip_check, account_check] {
            if let Err(not_until) = outcome {
                return Err(not_until.wait_time_from(clock.now()));
            }
        }
        Ok(())
    }

    /// Drops counters that have fully recovered, so memory stays bounded.
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_account.retain_recent();
    }
}

/// Requests per client IP on the public booking and manage pages; `None` when turned off.
pub struct PublicThrottle(Option<DefaultKeyedRateLimiter<String>>);

impl PublicThrottle {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let quota = NonZeroU32::new(per_minute).map(|rate| {
            Quota::per_minute(rate).allow_burst(NonZeroU32::new(burst).unwrap_or(rate))
        });
        Self(quota.map(RateLimiter::keyed))
    }

    /// Counts one request; `Err` carries how long the client must wait.
    pub fn check(&self, client_ip: &str) -> Result<(), Duration> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        limiter
            .check_key(&client_ip.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_limit_applies_across_ips() {
        let throttle = LoginThrottle::new(100, 2);
        assert!(throttle.check("10.0.0.1", "ana@example.com").is_ok());
        assert!(throttle.check("10.0.0.2", "ANA@example.com").is_ok());
        assert!(throttle.check("10.0.0.3", "ana@example.com").is_err());
        assert!(throttle.check("10.0.0.3", "bo@example.com").is_ok());
    }

    #[test]
    fn public_limit_allows_the_burst_then_refuses() {
        let throttle = PublicThrottle::new(60, 3);
        for _ in 0..3 {
            assert!(throttle.check("10.0.0.9").is_ok());
        }
        assert!(throttle.check("10.0.0.9").is_err());
        assert!(
            throttle.check("10.0.0.10").is_ok(),
            "other clients are unaffected"
        );
        let off = PublicThrottle::new(0, 0);
        assert!((0..1000).all(|_| off.check("10.0.0.9").is_ok()));
    }

    #[test]
    fn ip_limit_applies_across_accounts() {
        let throttle = LoginThrottle::new(2, 100);
        assert!(throttle.check("10.0.0.1", "a@example.com").is_ok());
        assert!(throttle.check("10.0.0.1", "b@example.com").is_ok());
        let wait = throttle.check("10.0.0.1", "c@example.com").unwrap_err();
        assert!(wait > Duration::ZERO);
    }
}
