//! The meeting request (MQM) workflow.

pub mod repo;
pub mod requests;
pub mod routes;
pub mod service;
pub mod state;
