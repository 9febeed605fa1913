//! Leads: intake, qualification (BANT scoring) and stages.

pub mod scoring;
