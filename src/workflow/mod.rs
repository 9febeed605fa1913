//! The meeting request (MQM) workflow.

pub mod error;
pub mod events;
pub mod pages;
pub mod queue;
pub mod repo;
pub mod requests;
pub mod routes;
pub mod service;
pub mod state;
pub mod upkeep;
