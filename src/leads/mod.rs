//! Leads: intake, qualification (BANT scoring) and stages.

pub mod attribution;
pub mod detail;
pub mod error;
pub mod import;
pub mod model;
pub mod repo;
pub mod routes;
pub mod scoring;
pub mod service;
