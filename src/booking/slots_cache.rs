//! Public slots answers kept in memory between requests. An answer is served again only while
//! the database's availability version (bumped by triggers on every change that can move a
//! slot, on any instance) is the one it was computed at, and for a short time at most: the
//! time limit bounds how late minimum notice and the booking horizon follow the clock.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};

use crate::scheduling::availability::Interval;

/// More distinct answers than this within one time limit is a scan, not a crowd on a few links:
/// the cache starts over rather than grow.
const MAX_ENTRIES: usize = 1000;

/// What makes two slots requests the same question.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotsKey {
    pub slug: String,
    pub window: Interval,
    pub zone: &'static str,
}

/// A serialized answer and what it was computed from.
#[derive(Debug, Clone)]
pub struct CachedSlots {
    pub body: Bytes,
    pub version: i64,
    pub computed_at: DateTime<Utc>,
    /// The link's own expiry, which no write announces: checked on every use.
    pub link_expires_at: Option<DateTime<Utc>>,
}

impl CachedSlots {
    fn fresh(&self, version: i64, now: DateTime<Utc>, ttl: Duration) -> bool {
        self.version == version
            && now >= self.computed_at
            && now - self.computed_at < ttl
            && self.link_expires_at.is_none_or(|at| now < at)
    }
}

pub struct SlotsCache {
    /// `None` when the cache is off.
    ttl: Option<Duration>,
    entries: Mutex<HashMap<SlotsKey, CachedSlots>>,
}

impl SlotsCache {
    /// A cache keeping answers up to `ttl_ms` milliseconds; 0 turns it off.
    pub fn new(ttl_ms: u64) -> Self {
        let ttl = i64::try_from(ttl_ms)
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::milliseconds);
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.ttl.is_some()
    }

    /// The body answered for `key` at `version` if it may still be served at `now`.
    pub fn get(&self, key: &SlotsKey, version: i64, now: DateTime<Utc>) -> Option<Bytes> {
        let ttl = self.ttl?;
        let entries = self.lock();
        entries
            .get(key)
            .filter(|cached| cached.fresh(version, now, ttl))
            .map(|cached| cached.body.clone())
    }

    /// Keeps `answer` for `key`, unless an answer of a later version is already there (a
    /// slower request finishing after a quicker one that saw a newer change).
    pub fn put(&self, key: SlotsKey, answer: CachedSlots) {
        if self.ttl.is_none() {
            return;
        }
        let mut entries = self.lock();
        if entries
            .get(&key)
            .is_some_and(|kept| kept.version > answer.version)
        {
            return;
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, answer);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SlotsKey, CachedSlots>> {
        // The map holds no invariant a panicking holder could break halfway.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, minute, 0)
            .single()
            .unwrap_or_default()
    }

    fn key(slug: &str) -> SlotsKey {
        SlotsKey {
            slug: slug.into(),
            window: Interval {
                start: at(0),
                end: at(0) + Duration::days(7),
            },
            zone: "Europe/Berlin",
        }
    }

    fn answer(body: &'static str, version: i64, computed_at: DateTime<Utc>) -> CachedSlots {
        CachedSlots {
            body: Bytes::from_static(body.as_bytes()),
            version,
            computed_at,
            link_expires_at: None,
        }
    }

    #[test]
    fn serves_an_answer_while_its_version_holds_and_it_is_young() {
        let cache = SlotsCache::new(2000);
        cache.put(key("a"), answer("one", 7, at(0)));
        assert_eq!(cache.get(&key("a"), 7, at(0)).as_deref(), Some(&b"one"[..]));
        assert_eq!(cache.get(&key("a"), 8, at(0)), None, "a change since");
        assert_eq!(cache.get(&key("b"), 7, at(0)), None, "another link");
        assert_eq!(
            cache.get(&key("a"), 7, at(0) + Duration::seconds(2)),
            None,
            "older than the time limit"
        );
        assert_eq!(
            cache.get(&key("a"), 7, at(0) - Duration::seconds(1)),
            None,
            "the clock went back"
        );
    }

    #[test]
    fn an_expired_link_is_never_served_from_memory() {
        let cache = SlotsCache::new(60_000);
        let mut expiring = answer("one", 1, at(0));
        expiring.link_expires_at = Some(at(1));
        cache.put(key("a"), expiring);
        assert!(cache.get(&key("a"), 1, at(0)).is_some());
        assert_eq!(cache.get(&key("a"), 1, at(1)), None);
    }

    #[test]
    fn an_older_answer_does_not_replace_a_newer_one() {
        let cache = SlotsCache::new(2000);
        cache.put(key("a"), answer("new", 9, at(0)));
        cache.put(key("a"), answer("old", 8, at(0)));
        assert_eq!(cache.get(&key("a"), 9, at(0)).as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn zero_turns_the_cache_off() {
        let cache = SlotsCache::new(0);
        assert!(!cache.enabled());
        cache.put(key("a"), answer("one", 1, at(0)));
        assert_eq!(cache.get(&key("a"), 1, at(0)), None);
    }

    #[test]
    fn starts_over_rather_than_grow_past_its_bound() {
        let cache = SlotsCache::new(2000);
        for n in 0..MAX_ENTRIES {
            cache.put(key(&n.to_string()), answer("x", 1, at(0)));
        }
        assert!(cache.get(&key("0"), 1, at(0)).is_some());
        cache.put(key("one more"), answer("y", 1, at(0)));
        assert_eq!(cache.get(&key("0"), 1, at(0)), None);
        assert!(cache.get(&key("one more"), 1, at(0)).is_some());
        assert_eq!(cache.lock().len(), 1);
    }
}
