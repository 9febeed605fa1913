//! Scheduling: working hours and, with them, when hosts can meet.

pub mod working_hours;
