//! The booking rules a prospect cannot step around, as pure functions: a meeting that has
//! started stays as it was.

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
}
