mod admin_pages;
mod admin_ui;
mod approvals;
mod booking;
mod emails;
mod health;
mod helpers;
mod http_errors;
mod leads;
mod manage;
mod meeting_requests;
mod meeting_types;
mod meetings;
mod slots_cache;
#[path = "../support/smtp.rs"]
mod smtp;
mod storage;
mod users;
