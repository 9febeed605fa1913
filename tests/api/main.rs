mod admin_ui;
mod health;
mod helpers;
mod http_errors;
mod leads;
mod storage;
mod users;
