//! The meeting request workflow: which status each action leads to, and which actions are allowed
//! in each status.
//!
//! A pure function of status and action, so the routes, the approval queue, the worker and the
//! UI's buttons all follow one table, and every transition can be tested without a database.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a meeting request is in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Requested,
    PendingApproval,
    Approved,
    Scheduled,
    Completed,
    NoShow,
    Rejected,
    Expired,
    Cancelled,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 9] = [
        RequestStatus::Requested,
        RequestStatus::PendingApproval,
        RequestStatus::Approved,
        RequestStatus::Scheduled,
        RequestStatus::Completed,
        RequestStatus::NoShow,
        RequestStatus::Rejected,
        RequestStatus::Expired,
        RequestStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Requested => "requested",
            RequestStatus::PendingApproval => "pending_approval",
            RequestStatus::Approved => "approved",
            RequestStatus::Scheduled => "scheduled",
            RequestStatus::Completed => "completed",
            RequestStatus::NoShow => "no_show",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Expired => "expired",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    fn in_words(self) -> &'static str {
        match self {
            RequestStatus::Requested => "not yet submitted",
            RequestStatus::PendingApproval => "pending approval",
            RequestStatus::Approved => "approved",
            RequestStatus::Scheduled => "scheduled",
            RequestStatus::Completed => "completed",
            RequestStatus::NoShow => "a no-show",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Expired => "expired",
            RequestStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestStatus {
    type Err = UnknownRequestStatus;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownRequestStatus(text.to_owned()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown meeting request status {0:?}: expected requested, pending_approval, approved, \
     scheduled, completed, no_show, rejected, expired or cancelled"
)]
pub struct UnknownRequestStatus(pub String);

/// Something that happens to a meeting request: a person's decision, a booking, the worker's
/// expiry, or a host recording the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowAction {
    /// Routes a new request: to the approval queue, or straight to approved.
    Submit {
        needs_approval: bool,
    },
    Approve,
    Reject,
    Schedule,
    Reschedule,
    Cancel,
    /// Sent by the worker when an approved request was never scheduled, or a held slot was not
    /// approved, in time.
    Expire,
    RecordHeld,
    RecordNoShow,
}

impl WorkflowAction {
    pub const ALL: [WorkflowAction; 10] = [
        WorkflowAction::Submit {
            needs_approval: true,
        },
        WorkflowAction::Submit {
            needs_approval: false,
        },
        WorkflowAction::Approve,
        WorkflowAction::Reject,
        WorkflowAction::Schedule,
        WorkflowAction::Reschedule,
        WorkflowAction::Cancel,
        WorkflowAction::Expire,
        WorkflowAction::RecordHeld,
        WorkflowAction::RecordNoShow,
    ];

    /// The action's name in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowAction::Submit { .. } => "submit",
            WorkflowAction::Approve => "approve",
            WorkflowAction::Reject => "reject",
            WorkflowAction::Schedule => "schedule",
            WorkflowAction::Reschedule => "reschedule",
            WorkflowAction::Cancel => "cancel",
            WorkflowAction::Expire => "expire",
            WorkflowAction::RecordHeld => "record_held",
            WorkflowAction::RecordNoShow => "record_no_show",
        }
    }

    /// Completes "a meeting request … cannot be …".
    fn in_words(self) -> &'static str {
        match self {
            WorkflowAction::Submit { .. } => "submitted",
            WorkflowAction::Approve => "approved",
            WorkflowAction::Reject => "rejected",
            WorkflowAction::Schedule => "scheduled",
            WorkflowAction::Reschedule => "rescheduled",
            WorkflowAction::Cancel => "cancelled",
            WorkflowAction::Expire => "expired",
            WorkflowAction::RecordHeld => "recorded as held",
            WorkflowAction::RecordNoShow => "recorded as a no-show",
        }
    }
}

impl fmt::Display for WorkflowAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action the workflow does not allow in the request's current status (HTTP 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a meeting request that is {} cannot be {}", from.in_words(), action.in_words())]
pub struct IllegalTransition {
    pub from: RequestStatus,
    pub action: WorkflowAction,
}

/// The status a meeting request moves to when `action` happens to it in status `from`.
pub fn transition(
    from: RequestStatus,
    action: &WorkflowAction,
) -> Result<RequestStatus, IllegalTransition> {
    use RequestStatus as S;
    use WorkflowAction as A;

    let to = match (from, *action) {
        (S::Requested, A::Submit { needs_approval }) => {
            if needs_approval {
                S::PendingApproval
            } else {
                S::Approved
            }
        }
        (S::Requested | S::PendingApproval, A::Reject) => S::Rejected,
        (S::PendingApproval, A::Approve) => S::Approved,
        (S::PendingApproval | S::Approved, A::Expire) => S::Expired,
        (S::PendingApproval | S::Approved | S::Scheduled, A::Cancel) => S::Cancelled,
        (S::Approved, A::Schedule) => S::Scheduled,
        // A reschedule keeps the request scheduled; the meeting's SEQUENCE records the change.
        (S::Scheduled, A::Reschedule) => S::Scheduled,
        // An outcome may be recorded again to correct it, so held and no-show swap freely.
        (S::Scheduled | S::Completed | S::NoShow, A::RecordHeld) => S::Completed,
        (S::Scheduled | S::Completed | S::NoShow, A::RecordNoShow) => S::NoShow,
        _ => {
            return Err(IllegalTransition {
                from,
                action: *action,
            })
        }
    };
    Ok(to)
}

/// Whether a new request waits for a meeting manager. A lead scoring at or above the meeting
/// type's `auto_approve_min_score` skips the queue even when the type requires approval.
pub fn needs_approval(
    requires_approval: bool,
    auto_approve_min_score: Option<u8>,
    lead_score: u8,
) -> bool {
    let approved_by_score = auto_approve_min_score.is_some_and(|minimum| lead_score >= minimum);
    requires_approval && !approved_by_score
}

/// Whether no action can ever change the request again.
pub fn is_terminal(status: RequestStatus) -> bool {
    matches!(
        status,
        RequestStatus::Rejected | RequestStatus::Expired | RequestStatus::Cancelled
    )
}

/// The actions allowed in `status`, in the order of [`WorkflowAction::ALL`].
pub fn allowed_actions(status: RequestStatus) -> Vec<WorkflowAction> {
    WorkflowAction::ALL
        .into_iter()
        .filter(|action| transition(status, action).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RequestStatus::*;
    use super::WorkflowAction::*;
    use super::*;

    const NEEDING_APPROVAL: WorkflowAction = Submit {
        needs_approval: true,
    };
    const NOT_NEEDING_APPROVAL: WorkflowAction = Submit {
        needs_approval: false,
    };

    /// Writes the whole (status, action) matrix out by hand: one named test per pair, plus
    /// `EXPECTED` so the completeness test can check that no pair is missing or listed twice.
    macro_rules! expected_transitions {
        ($($test:ident: $from:ident, $action:expr => $to:expr;)*) => {
            const EXPECTED: &[(RequestStatus, WorkflowAction, Option<RequestStatus>)] =
                &[$(($from, $action, $to)),*];

            $(
                #[test]
                fn $test() {
                    assert_eq!(transition($from, &$action).ok(), $to);
                }
            )*
        };
    }

    expected_transitions! {
        requested_submit_needing_approval: Requested, NEEDING_APPROVAL => Some(PendingApproval);
        requested_submit_not_needing_approval: Requested, NOT_NEEDING_APPROVAL => Some(Approved);
        requested_approve: Requested, Approve => None;
        requested_reject: Requested, Reject => Some(Rejected);
        requested_schedule: Requested, Schedule => None;
        requested_reschedule: Requested, Reschedule => None;
        requested_cancel: Requested, Cancel => None;
        requested_expire: Requested, Expire => None;
        requested_record_held: Requested, RecordHeld => None;
        requested_record_no_show: Requested, RecordNoShow => None;

        pending_submit_needing_approval: PendingApproval, NEEDING_APPROVAL => None;
        pending_submit_not_needing_approval: PendingApproval, NOT_NEEDING_APPROVAL => None;
        pending_approve: PendingApproval, Approve => Some(Approved);
        pending_reject: PendingApproval, Reject => Some(Rejected);
        pending_schedule: PendingApproval, Schedule => None;
        pending_reschedule: PendingApproval, Reschedule => None;
        pending_cancel: PendingApproval, Cancel => Some(Cancelled);
        pending_expire: PendingApproval, Expire => Some(Expired);
        pending_record_held: PendingApproval, RecordHeld => None;
        pending_record_no_show: PendingApproval, RecordNoShow => None;

        approved_submit_needing_approval: Approved, NEEDING_APPROVAL => None;
        approved_submit_not_needing_approval: Approved, NOT_NEEDING_APPROVAL => None;
        approved_approve: Approved, Approve => None;
        approved_reject: Approved, Reject => None;
        approved_schedule: Approved, Schedule => Some(Scheduled);
        approved_reschedule: Approved, Reschedule => None;
        approved_cancel: Approved, Cancel => Some(Cancelled);
        approved_expire: Approved, Expire => Some(Expired);
        approved_record_held: Approved, RecordHeld => None;
        approved_record_no_show: Approved, RecordNoShow => None;

        scheduled_submit_needing_approval: Scheduled, NEEDING_APPROVAL => None;
        scheduled_submit_not_needing_approval: Scheduled, NOT_NEEDING_APPROVAL => None;
        scheduled_approve: Scheduled, Approve => None;
        scheduled_reject: Scheduled, Reject => None;
        scheduled_schedule: Scheduled, Schedule => None;
        scheduled_reschedule: Scheduled, Reschedule => Some(Scheduled);
        scheduled_cancel: Scheduled, Cancel => Some(Cancelled);
        scheduled_expire: Scheduled, Expire => None;
        scheduled_record_held: Scheduled, RecordHeld => Some(Completed);
        scheduled_record_no_show: Scheduled, RecordNoShow => Some(NoShow);

        completed_submit_needing_approval: Completed, NEEDING_APPROVAL => None;
        completed_submit_not_needing_approval: Completed, NOT_NEEDING_APPROVAL => None;
        completed_approve: Completed, Approve => None;
        completed_reject: Completed, Reject => None;
        completed_schedule: Completed, Schedule => None;
        completed_reschedule: Completed, Reschedule => None;
        completed_cancel: Completed, Cancel => None;
        completed_expire: Completed, Expire => None;
        completed_record_held: Completed, RecordHeld => Some(Completed);
        completed_record_no_show: Completed, RecordNoShow => Some(NoShow);

        no_show_submit_needing_approval: NoShow, NEEDING_APPROVAL => None;
        no_show_submit_not_needing_approval: NoShow, NOT_NEEDING_APPROVAL => None;
        no_show_approve: NoShow, Approve => None;
        no_show_reject: NoShow, Reject => None;
        no_show_schedule: NoShow, Schedule => None;
        no_show_reschedule: NoShow, Reschedule => None;
        no_show_cancel: NoShow, Cancel => None;
        no_show_expire: NoShow, Expire => None;
        no_show_record_held: NoShow, RecordHeld => Some(Completed);
        no_show_record_no_show: NoShow, RecordNoShow => Some(NoShow);

        rejected_submit_needing_approval: Rejected, NEEDING_APPROVAL => None;
        rejected_submit_not_needing_approval: Rejected, NOT_NEEDING_APPROVAL => None;
        rejected_approve: Rejected, Approve => None;
        rejected_reject: Rejected, Reject => None;
        rejected_schedule: Rejected, Schedule => None;
        rejected_reschedule: Rejected, Reschedule => None;
        rejected_cancel: Rejected, Cancel => None;
        rejected_expire: Rejected, Expire => None;
        rejected_record_held: Rejected, RecordHeld => None;
        rejected_record_no_show: Rejected, RecordNoShow => None;

        expired_submit_needing_approval: Expired, NEEDING_APPROVAL => None;
        expired_submit_not_needing_approval: Expired, NOT_NEEDING_APPROVAL => None;
        expired_approve: Expired, Approve => None;
        expired_reject: Expired, Reject => None;
        expired_schedule: Expired, Schedule => None;
        expired_reschedule: Expired, Reschedule => None;
        expired_cancel: Expired, Cancel => None;
        expired_expire: Expired, Expire => None;
        expired_record_held: Expired, RecordHeld => None;
        expired_record_no_show: Expired, RecordNoShow => None;

        cancelled_submit_needing_approval: Cancelled, NEEDING_APPROVAL => None;
        cancelled_submit_not_needing_approval: Cancelled, NOT_NEEDING_APPROVAL => None;
        cancelled_approve: Cancelled, Approve => None;
        cancelled_reject: Cancelled, Reject => None;
        cancelled_schedule: Cancelled, Schedule => None;
        cancelled_reschedule: Cancelled, Reschedule => None;
        cancelled_cancel: Cancelled, Cancel => None;
        cancelled_expire: Cancelled, Expire => None;
        cancelled_record_held: Cancelled, RecordHeld => None;
        cancelled_record_no_show: Cancelled, RecordNoShow => None;
    }

    #[test]
    fn expected_table_covers_every_status_and_action_once() {
        for from in RequestStatus::ALL {
            for action in WorkflowAction::ALL {
                let listed = EXPECTED
                    .iter()
                    .filter(|(status, listed_action, _)| {
                        *status == from && *listed_action == action
                    })
                    .count();
                assert_eq!(listed, 1, "{from} {action:?} is listed {listed} times");
            }
        }
        assert_eq!(
            EXPECTED.len(),
            RequestStatus::ALL.len() * WorkflowAction::ALL.len()
        );
    }

    #[test]
    fn allowed_actions_are_the_legal_transitions() {
        for status in RequestStatus::ALL {
            let expected: Vec<WorkflowAction> = EXPECTED
                .iter()
                .filter(|(from, _, to)| *from == status && to.is_some())
                .map(|(_, action, _)| *action)
                .collect();
            assert_eq!(allowed_actions(status), expected, "{status}");
        }
    }

    #[test]
    fn terminal_statuses_allow_no_action() {
        for status in RequestStatus::ALL {
            assert_eq!(
                is_terminal(status),
                allowed_actions(status).is_empty(),
                "{status}"
            );
        }
        assert!(is_terminal(Rejected));
        assert!(is_terminal(Expired));
        assert!(is_terminal(Cancelled));
        assert!(!is_terminal(Completed));
        assert!(!is_terminal(NoShow));
    }

    #[test]
    fn no_transition_leads_back_to_requested() {
        for (_, _, to) in EXPECTED {
            assert_ne!(*to, Some(Requested));
        }
    }

    #[test]
    fn illegal_transition_says_status_and_action_in_words() {
        let cases = [
            (
                PendingApproval,
                Schedule,
                "a meeting request that is pending approval cannot be scheduled",
            ),
            (
                Cancelled,
                RecordHeld,
                "a meeting request that is cancelled cannot be recorded as held",
            ),
            (
                NoShow,
                Cancel,
                "a meeting request that is a no-show cannot be cancelled",
            ),
            (
                Approved,
                NOT_NEEDING_APPROVAL,
                "a meeting request that is approved cannot be submitted",
            ),
            (
                Requested,
                Approve,
                "a meeting request that is not yet submitted cannot be approved",
            ),
            (
                Rejected,
                RecordNoShow,
                "a meeting request that is rejected cannot be recorded as a no-show",
            ),
        ];
        for (from, action, message) in cases {
            let error = transition(from, &action).err();
            assert_eq!(error, Some(IllegalTransition { from, action }));
            assert_eq!(
                error.map(|error| error.to_string()).as_deref(),
                Some(message)
            );
        }
    }

    #[test]
    fn approval_follows_the_meeting_type_and_the_lead_score() {
        let cases = [
            (false, None, 0, false),
            (false, Some(80), 10, false),
            (true, None, 100, true),
            (true, Some(80), 79, true),
            (true, Some(80), 80, false),
            (true, Some(80), 95, false),
            (true, Some(0), 0, false),
        ];
        for (requires_approval, auto_approve_min_score, lead_score, expected) in cases {
            assert_eq!(
                needs_approval(requires_approval, auto_approve_min_score, lead_score),
                expected,
                "requires_approval={requires_approval} auto_approve_min_score=\
                 {auto_approve_min_score:?} lead_score={lead_score}"
            );
        }
    }

    #[test]
    fn status_text_matches_serde_and_parses_back() {
        for status in RequestStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).ok(),
                Some(serde_json::Value::from(status.as_str()))
            );
        }
        assert_eq!(
            "pending".parse::<RequestStatus>(),
            Err(UnknownRequestStatus("pending".to_owned()))
        );
    }

    #[test]
    fn action_names_for_the_audit_log() {
        let names: Vec<&str> = WorkflowAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            names,
            [
                "submit",
                "submit",
                "approve",
                "reject",
                "schedule",
                "reschedule",
                "cancel",
                "expire",
                "record_held",
                "record_no_show"
            ]
        );
    }
}
