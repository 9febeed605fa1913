//! Admin UI sessions: a random cookie token, stored hashed with a sliding expiry, so logout and
//! account deactivation take effect at once on every instance.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use secrecy::SecretString;

use crate::auth::tokens::{secret_token, sha256_hex};
use crate::db::schema::{sessions, users};
use crate::db::{DbConnection, StoreError};
use crate::users::model::{User, UserRow};

pub const SESSION_COOKIE: &str = "convene_session";

/// Starts a session for `user_id` and returns the cookie value.
pub fn start(
    conn: &mut DbConnection,
    user_id: &str,
    now: DateTime<Utc>,
    idle: Duration,
) -> Result<SecretString, StoreError> {
    let token = secret_token();
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(sha256_hex(&token)),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now.naive_utc()),
            sessions::expires_at.eq((now + idle).naive_utc()),
        ))
        .execute(conn)?;
    Ok(SecretString::from(token))
}

/// The active user behind a session cookie, extending the session's idle expiry.
pub fn resume(
    conn: &mut DbConnection,
    token: &str,
    now: DateTime<Utc>,
    idle: Duration,
) -> Result<Option<User>, StoreError> {
    let token_hash = sha256_hex(token);
    let found: Option<(chrono::NaiveDateTime, UserRow)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(&token_hash))
        .filter(sessions::expires_at.gt(now.naive_utc()))
        .filter(users::active.eq(true))
        .select((sessions::expires_at, UserRow::as_select()))
        .first(conn)
        .optional()?;
    let Some((expires_at, row)) = found else {
        return Ok(None);
    };
    // Extending on every request would turn each page view into a write; a minute of slack is
    // invisible to people.
    let renewed = (now + idle).naive_utc();
    if renewed - expires_at > Duration::minutes(1) {
        diesel::update(sessions::table.find(&token_hash))
            .set(sessions::expires_at.eq(renewed))
            .execute(conn)?;
    }
    Ok(Some(User::try_from(row)?))
}

pub fn end(conn: &mut DbConnection, token: &str) -> Result<(), StoreError> {
    diesel::delete(sessions::table.find(sha256_hex(token))).execute(conn)?;
    Ok(())
}

/// Removes sessions past their expiry; run periodically by the worker.
pub fn purge_expired(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(sessions::table.filter(sessions::expires_at.le(now.naive_utc())))
            .execute(conn)?,
    )
}
