//! Hosts' time as the database guards it: a meeting claims one row per host and five-minute
//! block, and the primary key on (host, block) refuses any overlap on every backend and
//! instance.

use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;

use crate::db::schema::host_time_blocks;
use crate::db::{DbConnection, StoreError};

/// Host time is claimed in blocks of this many minutes; meeting types keep every time on it.
pub const BLOCK_MINUTES: i64 = 5;

/// The time blocks `[start, end)` covers, on the block grid.
pub fn blocks(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let block = Duration::minutes(BLOCK_MINUTES);
    let mut at = start.duration_trunc(block).unwrap_or(start);
    let mut covered = Vec::new();
    while at < end {
        covered.push(at);
        at += block;
    }
    covered
}

/// Claims the hosts' time for a meeting. The primary key on (host, block) refuses any overlap,
/// whatever else is happening on other connections or instances.
pub fn claim_time(
    conn: &mut DbConnection,
    meeting_id: &str,
    host_ids: &[String],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows: Vec<_> = host_ids
        .iter()
        .flat_map(|host| {
            blocks(start, end).into_iter().map(move |block| {
                (
                    host_time_blocks::user_id.eq(host.clone()),
                    host_time_blocks::block_start.eq(block.naive_utc()),
                    host_time_blocks::meeting_id.eq(meeting_id.to_owned()),
                )
            })
        })
        .collect();
    // One multi-row insert; the multi-backend connection only inserts row by row, and on
    // PostgreSQL every row would be a round trip.
    let insert = diesel::insert_into(host_time_blocks::table).values(&rows);
    match conn {
        DbConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
        DbConnection::Postgres(postgres) => insert.execute(postgres)?,
    };
    Ok(())
}

/// Frees the hosts' time that meeting `meeting_id` held.
pub fn release_time(conn: &mut DbConnection, meeting_id: &str) -> Result<(), StoreError> {
    diesel::delete(host_time_blocks::table.filter(host_time_blocks::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    Ok(())
}
