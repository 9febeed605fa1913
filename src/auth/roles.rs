//! Roles and what each may do: the one place permissions are decided.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    MeetingManager,
    Marketer,
    Host,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::MeetingManager,
        Role::Marketer,
        Role::Host,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::MeetingManager => "meeting_manager",
            Role::Marketer => "marketer",
            Role::Host => "host",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::MeetingManager => "Meeting manager",
            Role::Marketer => "Marketer",
            Role::Host => "Host",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::MeetingManager => matches!(
                permission,
                ViewUsers
                    | UseAdminUi
                    | ViewLeads
                    | ViewMeetingTypes
                    | ManageMeetingTypes
                    | RequestMeetings
                    | ViewAllMeetingRequests
                    | DecideMeetingRequests
                    | ManageBookingLinks
                    | ViewEmails
                    | RetryEmails
                    | RecordOutcomes
                    | RecordAnyOutcome
                    | ViewReports
            ),
            Role::Marketer => matches!(
                permission,
                ManageRouters
                    | ViewUsers
                    | UseAdminUi
                    | ViewLeads
                    | ManageLeads
                    | ViewMeetingTypes
                    | RequestMeetings
                    | ViewAllMeetingRequests
                    | ManageBookingLinks
                    | ViewReports
            ),
            Role::Host => matches!(permission, UseAdminUi | ViewMeetingTypes | RecordOutcomes),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| {
                format!("`{raw}` is not a role (admin, meeting_manager, marketer, host)")
            })
    }
}

/// Actions guarded by role. A host may always read and edit their own user record; that
/// ownership rule lives with the users routes because it depends on the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ManageUsers,
    ViewUsers,
    UseAdminUi,
    /// Create, update and import leads.
    ManageLeads,
    ViewLeads,
    ManageMeetingTypes,
    ViewMeetingTypes,
    /// Create MQM requests.
    RequestMeetings,
    /// See every request, not only those the caller hosts.
    ViewAllMeetingRequests,
    /// Approve, reject and reassign requests.
    DecideMeetingRequests,
    /// Create, list and turn off booking links.
    ManageBookingLinks,
    /// See the outbox: every email, its status and body.
    ViewEmails,
    /// Send a failed email again.
    RetryEmails,
    /// Record what happened at a meeting the caller hosts.
    RecordOutcomes,
    /// Record the outcome of any meeting, hosted or not.
    RecordAnyOutcome,
    /// Read the funnel and pipeline reports.
    ViewReports,
    /// Move or cancel a meeting that has already started, to correct the record.
    ChangePastMeetings,
    /// Read the event stream, which carries leads and meetings of every host.
    ViewEvents,
    /// Create, change, test and replay inbound routers, and read their decisions.
    ManageRouters,
    /// Create, change, test and rotate webhook subscriptions.
    ManageWebhooks,
    /// See CRM sync, retry parked pushes and pull owners from the CRM.
    ManageCrm,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn only_admins_manage_users() {
        assert!(Role::Admin.allows(Permission::ManageUsers));
        for role in [Role::MeetingManager, Role::Marketer, Role::Host] {
            assert!(!role.allows(Permission::ManageUsers), "{role}");
        }
    }

    #[test]
    fn marketers_request_meetings_but_do_not_decide_them() {
        assert!(Role::Marketer.allows(Permission::RequestMeetings));
        assert!(!Role::Marketer.allows(Permission::DecideMeetingRequests));
        assert!(Role::MeetingManager.allows(Permission::DecideMeetingRequests));
        assert!(!Role::MeetingManager.allows(Permission::ManageLeads));
        assert!(!Role::Host.allows(Permission::ViewAllMeetingRequests));
    }

    #[test]
    fn meeting_managers_work_the_outbox_and_marketers_do_not() {
        for permission in [Permission::ViewEmails, Permission::RetryEmails] {
            assert!(Role::Admin.allows(permission));
            assert!(Role::MeetingManager.allows(permission));
            assert!(!Role::Marketer.allows(permission));
            assert!(!Role::Host.allows(permission));
        }
    }

    #[test]
    fn hosts_record_outcomes_of_their_own_meetings_only() {
        assert!(Role::Host.allows(Permission::RecordOutcomes));
        assert!(!Role::Host.allows(Permission::RecordAnyOutcome));
        assert!(Role::MeetingManager.allows(Permission::RecordAnyOutcome));
        assert!(!Role::Marketer.allows(Permission::RecordOutcomes));
    }

    #[test]
    fn revenue_readers_see_reports() {
        for role in [Role::Admin, Role::MeetingManager, Role::Marketer] {
            assert!(role.allows(Permission::ViewReports), "{role}");
        }
        assert!(!Role::Host.allows(Permission::ViewReports));
    }

    #[test]
    fn hosts_cannot_list_users() {
        assert!(!Role::Host.allows(Permission::ViewUsers));
        assert!(Role::Marketer.allows(Permission::ViewUsers));
    }
}
