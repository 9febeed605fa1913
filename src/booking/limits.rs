//! The live-booking limits inside the booking transaction: a prospect's bookings queue behind
//! one another, then the prospect's live bookings are counted against the limits, so that
//! concurrent bookings cannot each see room for one more.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Integer;
use sha2::{Digest, Sha256};

use crate::booking::links::BookingLink;
use crate::booking::rules::{LimitReached, LiveBookingLimits, ProspectKey};
use crate::db::schema::meetings;
use crate::db::{DbConnection, StoreError};
use crate::leads::model::LeadIntake;

/// The first key of PostgreSQL advisory locks taken for prospects ("Bkng"), so they never
/// meet locks taken for other purposes.
const PROSPECT_LOCKS: i32 = 0x426b_6e67;

/// Who a booking through `link` is for: the lead the link was made for, whatever the form
/// said, else the email typed in.
pub fn prospect_of(
    conn: &mut DbConnection,
    link: &BookingLink,
    intake: &LeadIntake,
) -> Result<ProspectKey, StoreError> {
    let lead = match &link.lead_id {
        Some(lead_id) => crate::leads::repo::find(conn, lead_id)?,
        None => None,
    };
    Ok(ProspectKey::of(
        lead.as_ref()
            .map_or(intake.email.as_str(), |lead| lead.email.as_str()),
    ))
}

/// Refuses a booking through link `link_id` when `prospect` already holds as many live
/// bookings as `limits` allow: the inner error names the limit reached, the outer one is the
/// store failing. Runs inside the booking transaction, which it holds until commit against
/// every other booking for the same prospect.
pub fn admit_booking(
    conn: &mut DbConnection,
    prospect: &ProspectKey,
    link_id: &str,
    limits: LiveBookingLimits,
    now: DateTime<Utc>,
) -> Result<Result<(), LimitReached>, StoreError> {
    if limits.per_email == 0 && limits.per_email_per_link == 0 {
        return Ok(Ok(()));
    }
    queue_behind_other_bookings(conn, prospect)?;
    let live: Vec<Option<String>> = meetings::table
        .filter(meetings::prospect_key.eq(prospect.as_str()))
        .filter(meetings::start_utc.gt(now.naive_utc()))
        .filter(meetings::status.eq_any(["scheduled", "held"]))
        .select(meetings::booking_link_id)
        .load(conn)?;
    let live: Vec<String> = live.into_iter().flatten().collect();
    Ok(limits.admit(&live, link_id))
}

/// On PostgreSQL, waits for any other booking transaction of the same prospect to finish; the
/// count that follows, a new statement under READ COMMITTED, then sees what it wrote. SQLite
/// needs nothing: booking transactions begin with `BEGIN IMMEDIATE`, one writer at a time.
fn queue_behind_other_bookings(
    conn: &mut DbConnection,
    prospect: &ProspectKey,
) -> Result<(), StoreError> {
    if let DbConnection::Postgres(postgres) = conn {
        let digest = Sha256::digest(prospect.as_str().as_bytes());
        let key = i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
        // Two prospects may share a key; they then merely queue behind each other.
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind::<Integer, _>(PROSPECT_LOCKS)
            .bind::<Integer, _>(key)
            .execute(postgres)?;
    }
    Ok(())
}
