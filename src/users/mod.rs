//! Users: the people on our side, their roles, time zones and working hours.

pub mod error;
pub mod hours_form;
pub mod model;
pub mod password_links;
pub mod password_pages;
pub mod repo;
pub mod routes;
pub mod service;
pub mod zones;
