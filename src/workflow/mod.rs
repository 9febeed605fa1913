//! The meeting request (MQM) workflow.

pub mod state;
