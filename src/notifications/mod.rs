//! Notifications: iCalendar invites, the emails each workflow event sends, the outbox they
//! wait in, and the transports that deliver them.

pub mod delivery;
pub mod ics;
pub mod messages;
pub mod metrics;
pub mod outbox;
pub mod routes;
pub mod service;
pub mod transport;
