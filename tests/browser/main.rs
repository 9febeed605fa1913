//! The admin UI and public pages in a real headless Chromium.

#[path = "../support/browser.rs"]
mod browser;
#[path = "../support/fake_providers.rs"]
#[allow(dead_code)]
mod fake_providers;
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod admin_daily;
mod admin_login;
mod admin_pages;
mod approvals;
mod booking_flow;
mod calendars;
mod languages;
mod leads_and_types;
#[path = "../support/oidc.rs"]
#[allow(dead_code)]
mod oidc;
mod prospect_limits;
mod reports_page;
mod route_embed;
#[path = "../support/smtp.rs"]
#[allow(dead_code)]
mod smtp;
mod sso;
#[path = "../support/webhook_receiver.rs"]
#[allow(dead_code)]
mod webhook_receiver;
mod webhooks_page;
