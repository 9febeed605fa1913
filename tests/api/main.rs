mod admin_pages;
mod admin_ui;
mod approvals;
mod attribution;
mod booking;
mod booking_limits;
mod booking_link_pages;
mod booking_page;
mod calendars;
mod crm;
mod emails;
mod embeds;
mod events;
#[path = "../support/fake_crm.rs"]
mod fake_crm;
#[path = "../support/fake_providers.rs"]
#[allow(dead_code)]
mod fake_providers;
mod followups;
mod health;
mod helpers;
mod hostile_text;
mod http_errors;
mod languages;
mod leads;
mod manage;
mod meeting_requests;
mod meeting_types;
mod meetings;
mod no_store;
#[path = "../support/oidc.rs"]
mod oidc;
mod outcomes;
mod passwords;
mod past_meetings;
mod reports;
mod routers;
mod slots_cache;
#[path = "../support/smtp.rs"]
mod smtp;
mod sso;
mod storage;
mod surveys;
mod user_pages;
mod users;
#[path = "../support/webhook_receiver.rs"]
mod webhook_receiver;
mod webhooks;
