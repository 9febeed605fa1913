//! The booking rules a prospect cannot step around, as pure functions: a meeting that has
//! started stays as it was, and one prospect holds only so many live bookings at a time.

use chrono::{DateTime, Utc};

/// Whether a change may still touch a meeting whose start has passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PastMeetings {
    /// Prospects and meeting managers: what happened stays recorded as it happened.
    Locked,
    /// Admins, who correct the record.
    Editable,
}

/// A change refused because the meeting has already started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this meeting started at {} and can no longer be moved or cancelled",
    start.format("%Y-%m-%d %H:%M UTC")
)]
pub struct MeetingStarted {
    pub start: DateTime<Utc>,
}

/// Whether a meeting starting at `start` has started by `now`; one under way has.
pub fn has_started(start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    start <= now
}

/// Refuses a change to a meeting starting at `start` once it has started, unless `past`
/// allows it.
pub fn ensure_not_started(
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    past: PastMeetings,
) -> Result<(), MeetingStarted> {
    if past == PastMeetings::Locked && has_started(start, now) {
        Err(MeetingStarted { start })
    } else {
        Ok(())
    }
}

/// Who a booking is for, as the live-booking limits count it: the email address in lower
/// case, without a `+tag` after its local part (`Pat+1@Example.com` is `pat@example.com`), so
/// that subaddresses, which reach the same mailbox, share one allowance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProspectKey(String);

impl ProspectKey {
    pub fn of(email: &str) -> Self {
        let email = email.trim().to_lowercase();
        let key = match email.rsplit_once('@') {
            Some((local, domain)) => match local.split_once('+') {
                Some((base, _)) if !base.is_empty() => format!("{base}@{domain}"),
                _ => email.clone(),
            },
            None => email.clone(),
        };
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many live bookings (upcoming, scheduled or awaiting approval) one prospect may hold;
/// 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveBookingLimits {
    pub per_email: u32,
    pub per_email_per_link: u32,
}

/// Which live-booking limit a booking would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveBookingLimit {
    PerEmail,
    PerEmailPerLink,
}

/// A booking refused because the prospect already holds `max` live bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct LimitReached {
    pub limit: LiveBookingLimit,
    pub max: u32,
}

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let meetings = |n: u32| {
            if n == 1 {
                "an upcoming meeting".to_owned()
            } else {
                format!("{n} upcoming meetings")
            }
        };
        match self.limit {
            LiveBookingLimit::PerEmailPerLink if self.max == 1 => f.write_str(
                "You already have an upcoming meeting booked through this link. To reschedule \
                 it, use the link in your confirmation email.",
            ),
            LiveBookingLimit::PerEmailPerLink => write!(
                f,
                "You already have {} booked through this link, the most one person can hold \
                 here. To reschedule one, use the link in its confirmation email.",
                meetings(self.max)
            ),
            LiveBookingLimit::PerEmail => write!(
                f,
                "You already have {} booked with us, the most one person can hold. Cancel or \
                 reschedule one from its confirmation email, or book again once one has taken \
                 place.",
                meetings(self.max)
            ),
        }
    }
}

impl LiveBookingLimits {
    /// Whether one more booking through link `link_id` fits next to the prospect's live
    /// bookings, given by the links they were made through. The per-link limit is checked
    /// first: it names the remedy closest at hand.
    pub fn admit(&self, live: &[String], link_id: &str) -> Result<(), LimitReached> {
        let reached = |max: u32, held: usize| max > 0 && held >= max as usize;
        let on_link = live.iter().filter(|link| link.as_str() == link_id).count();
        if reached(self.per_email_per_link, on_link) {
            return Err(LimitReached {
                limit: LiveBookingLimit::PerEmailPerLink,
                max: self.per_email_per_link,
            });
        }
        if reached(self.per_email, live.len()) {
            return Err(LimitReached {
                limit: LiveBookingLimit::PerEmail,
                max: self.per_email,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(hour: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .map(|t| t.and_utc())
            .unwrap()
    }

    #[test]
    fn a_started_meeting_is_locked_unless_past_meetings_are_editable() {
        let start = at(10);
        let before = start - Duration::seconds(1);
        assert_eq!(
            ensure_not_started(start, before, PastMeetings::Locked),
            Ok(())
        );
        assert_eq!(
            ensure_not_started(start, start, PastMeetings::Locked),
            Err(MeetingStarted { start })
        );
        assert!(ensure_not_started(start, at(12), PastMeetings::Locked).is_err());
        assert_eq!(
            ensure_not_started(start, at(12), PastMeetings::Editable),
            Ok(())
        );
    }

    #[test]
    fn the_refusal_says_when_the_meeting_started() {
        let message = MeetingStarted { start: at(10) }.to_string();
        assert!(message.contains("2026-12-01 10:00 UTC"), "{message}");
        assert!(message.contains("can no longer be moved or cancelled"));
    }

    #[test]
    fn prospect_keys_ignore_case_and_plus_tags() {
        for email in [
            "pat@example.com",
            " Pat@Example.COM ",
            "pat+1@example.com",
            "PAT+news+x@example.com",
        ] {
            assert_eq!(
                ProspectKey::of(email).as_str(),
                "pat@example.com",
                "{email}"
            );
        }
        assert_eq!(
            ProspectKey::of("+tag@example.com").as_str(),
            "+tag@example.com",
            "an address that is all tag keeps it"
        );
        assert_ne!(
            ProspectKey::of("pat.x@example.com"),
            ProspectKey::of("patx@example.com"),
            "dots are part of the address"
        );
    }

    fn links(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn limits_count_live_bookings_per_link_then_in_all() {
        let limits = LiveBookingLimits {
            per_email: 3,
            per_email_per_link: 1,
        };
        assert_eq!(limits.admit(&[], "a"), Ok(()));
        assert_eq!(limits.admit(&links(&["a"]), "b"), Ok(()));
        assert_eq!(
            limits.admit(&links(&["a"]), "a"),
            Err(LimitReached {
                limit: LiveBookingLimit::PerEmailPerLink,
                max: 1
            })
        );
        assert_eq!(limits.admit(&links(&["a", "b"]), "c"), Ok(()));
        assert_eq!(
            limits.admit(&links(&["a", "b", "c"]), "d"),
            Err(LimitReached {
                limit: LiveBookingLimit::PerEmail,
                max: 3
            })
        );
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let off = LiveBookingLimits {
            per_email: 0,
            per_email_per_link: 0,
        };
        assert_eq!(off.admit(&links(&["a"; 50]), "a"), Ok(()));
        let per_link_only = LiveBookingLimits {
            per_email: 0,
            per_email_per_link: 2,
        };
        assert_eq!(per_link_only.admit(&links(&["a", "b", "c"]), "a"), Ok(()));
        assert!(per_link_only.admit(&links(&["a", "a"]), "a").is_err());
    }

    #[test]
    fn refusals_name_their_limit_and_the_remedy() {
        let per_link = LimitReached {
            limit: LiveBookingLimit::PerEmailPerLink,
            max: 1,
        }
        .to_string();
        assert!(
            per_link.contains("an upcoming meeting booked through this link")
                && per_link.contains("reschedule"),
            "{per_link}"
        );
        let per_email = LimitReached {
            limit: LiveBookingLimit::PerEmail,
            max: 3,
        }
        .to_string();
        assert!(
            per_email.contains("3 upcoming meetings booked with us"),
            "{per_email}"
        );
    }
}
