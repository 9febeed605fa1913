//! Users: the people on our side, their roles, time zones and working hours.

pub mod error;
pub mod model;
pub mod repo;
pub mod routes;
pub mod service;
