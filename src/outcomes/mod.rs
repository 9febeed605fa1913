//! After the meeting: outcomes (held / no-show), opportunities with their stage history, and
//! post-meeting surveys.

pub mod error;
pub mod followups;
pub mod model;
pub mod money;
pub mod repo;
pub mod routes;
pub mod service;
pub mod surveys;
