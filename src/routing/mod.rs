//! Inbound routers: rules over lead fields decide book / request / disqualify (`rules`,
//! `evaluation`, pure), hosts are picked by weighted round robin (`assignment`, pure) or
//! account ownership, and every decision is recorded with its explanation.

pub mod assignment;
pub mod evaluation;
pub mod free_mail;
pub mod rules;

#[cfg(test)]
mod tests;
