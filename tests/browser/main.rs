//! The admin UI and public pages in a real headless Chromium.

#[path = "../support/browser.rs"]
mod browser;
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod admin_login;
mod approvals;
mod booking_flow;
mod leads_and_types;
mod reports_page;
