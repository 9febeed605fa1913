//! Scheduling: working hours, meeting types and, with them, when hosts can meet.

pub mod availability;
pub mod error;
pub mod host_time;
pub mod meeting_types;
pub mod offers;
pub mod repo;
pub mod routes;
pub mod service;
pub mod working_hours;
