//! Inbound routers: rules over lead fields decide book / request / disqualify (`rules`,
//! `evaluation`, pure), hosts are picked by weighted round robin (`assignment`, pure) or
//! account ownership, and every decision is recorded with its explanation.

pub mod assignment;
pub mod booked;
pub mod describe;
pub mod error;
pub mod evaluation;
pub mod follow_up;
pub mod free_mail;
pub mod model;
pub mod pages;
pub mod repo;
pub mod routes;
pub mod rules;
pub mod service;

#[cfg(test)]
mod tests;
