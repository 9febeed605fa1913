mod admin_ui;
mod health;
mod helpers;
mod http_errors;
mod storage;
mod users;
