//! Rendering admin and public pages: the shared page chrome and the HTML response.

use actix_web::HttpResponse;
use askama::Template;

use crate::auth::roles::{Permission, Role};
use crate::error::{AppError, PageError};
use crate::http::extractors::{AdminSession, CsrfToken};
use crate::http::local_time::Viewer;

/// A section of the admin UI, listed in the navigation for roles that may use it.
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub permission: Permission,
}

const SECTIONS: &[NavItem] = &[
    NavItem {
        label: "Home",
        href: "/admin",
        permission: Permission::UseAdminUi,
    },
    NavItem {
        label: "Approvals",
        href: APPROVALS,
        permission: Permission::DecideMeetingRequests,
    },
    NavItem {
        label: "Meetings",
        href: "/admin/meetings",
        permission: Permission::UseAdminUi,
    },
    NavItem {
        label: "Leads",
        href: "/admin/leads",
        permission: Permission::ViewLeads,
    },
    NavItem {
        label: "Meeting types",
        href: "/admin/meeting-types",
        permission: Permission::ViewMeetingTypes,
    },
    NavItem {
        label: "Emails",
        href: "/admin/emails",
        permission: Permission::ViewEmails,
    },
    NavItem {
        label: "Reports",
        href: "/admin/reports",
        permission: Permission::ViewReports,
    },
    NavItem {
        label: "Routers",
        href: "/admin/routers",
        permission: Permission::ManageRouters,
    },
    NavItem {
        label: "Users",
        href: "/admin/users",
        permission: Permission::ViewUsers,
    },
    NavItem {
        label: "Webhooks",
        href: "/admin/webhooks",
        permission: Permission::ManageWebhooks,
    },
    NavItem {
        label: "CRM",
        href: "/admin/crm",
        permission: Permission::ManageCrm,
    },
];

/// One link of the navigation.
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
    /// A count shown beside the label (requests waiting for approval), when there is any.
    pub count: Option<i64>,
}

/// What the logged-in layout needs: who is signed in, the CSRF token, the navigation.
pub struct Chrome {
    pub user_id: String,
    pub user_name: String,
    pub role_label: &'static str,
    pub csrf_token: String,
    pub nav: Vec<NavLink>,
    pub asset_version: &'static str,
    pub viewer: Viewer,
}

impl Chrome {
    pub fn new(session: &AdminSession, csrf: &CsrfToken, current: &str) -> Self {
        Self {
            user_id: session.user.id.clone(),
            user_name: session.user.name.clone(),
            role_label: session.user.role.label(),
            csrf_token: csrf.0.clone(),
            nav: nav_for(session.user.role, current, session.pending_approvals),
            asset_version: crate::http::assets::version(),
            viewer: session.viewer,
        }
    }
}

const APPROVALS: &str = "/admin/approvals";

fn nav_for(role: Role, current: &str, pending_approvals: Option<i64>) -> Vec<NavLink> {
    SECTIONS
        .iter()
        .filter(|item| role.allows(item.permission))
        .map(|item| NavLink {
            label: item.label,
            href: item.href,
            current: item.href == current,
            count: pending_approvals.filter(|count| *count > 0 && item.href == APPROVALS),
        })
        .collect()
}

pub fn render(page: &impl Template) -> Result<HttpResponse, PageError> {
    let html = page
        .render()
        .map_err(|e| PageError(AppError::Internal(format!("template failed: {e}"))))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// Redirect after a successful form post (post/redirect/get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}
