//! Read-only reports for revenue leaders: the funnel and pipeline by group, as JSON, CSV and
//! hand-built SVG charts.

pub mod charts;
pub mod display;
pub mod maths;
pub mod model;
pub mod repo;
pub mod routes;
pub mod service;
