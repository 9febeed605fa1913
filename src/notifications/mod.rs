//! Notifications: iCalendar invites for now; email delivery builds on them.

pub mod ics;
