//! Calendar connections, authorizations in flight and busy times read from calendars.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::model::{ConnectionRow, ConnectionStatus};
use super::Provider;
use crate::db::schema::{calendar_busy, calendar_connections, calendar_events, oauth_states};
use crate::db::{DbConnection, StoreError};
use crate::scheduling::availability::Interval;
use crate::values::new_id;

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<ConnectionRow>, StoreError> {
    Ok(calendar_connections::table
        .find(id)
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn all(conn: &mut DbConnection) -> Result<Vec<ConnectionRow>, StoreError> {
    Ok(calendar_connections::table
        .select(ConnectionRow::as_select())
        .load(conn)?)
}

pub fn of_user(conn: &mut DbConnection, user_id: &str) -> Result<Vec<ConnectionRow>, StoreError> {
    Ok(calendar_connections::table
        .filter(calendar_connections::user_id.eq(user_id))
        .order(calendar_connections::provider)
        .select(ConnectionRow::as_select())
        .load(conn)?)
}

pub fn of_user_for(
    conn: &mut DbConnection,
    user_id: &str,
    provider: Provider,
) -> Result<Option<ConnectionRow>, StoreError> {
    Ok(calendar_connections::table
        .filter(calendar_connections::user_id.eq(user_id))
        .filter(calendar_connections::provider.eq(provider.as_str()))
        .select(ConnectionRow::as_select())
        .first(conn)
        .optional()?)
}

/// The connections that hold a grant, of any of `user_ids`.
pub fn granted_of_users(
    conn: &mut DbConnection,
    user_ids: &[&str],
) -> Result<Vec<ConnectionRow>, StoreError> {
    Ok(calendar_connections::table
        .filter(calendar_connections::user_id.eq_any(user_ids))
        .filter(calendar_connections::refresh_token.is_not_null())
        .select(ConnectionRow::as_select())
        .load(conn)?)
}

/// A new connection waiting for its user at the provider.
pub fn insert_pending(
    conn: &mut DbConnection,
    user_id: &str,
    provider: Provider,
    now: DateTime<Utc>,
) -> Result<ConnectionRow, StoreError> {
    let row = ConnectionRow {
        id: new_id(),
        user_id: user_id.to_owned(),
        provider: provider.as_str().to_owned(),
        status: ConnectionStatus::Pending.as_str().to_owned(),
        account_email: None,
        access_token: None,
        refresh_token: None,
        access_expires_at: None,
        scopes: String::new(),
        last_synced_at: None,
        last_error: None,
        busy_from: None,
        busy_to: None,
        busy_read_at: None,
        read_error: None,
        alerted_at: None,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    diesel::insert_into(calendar_connections::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// A connection being connected again after its grant died.
pub fn mark_pending(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ConnectionRow, StoreError> {
    diesel::update(calendar_connections::table.find(id))
        .set((
            calendar_connections::status.eq(ConnectionStatus::Pending.as_str()),
            calendar_connections::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(calendar_connections::table
        .find(id)
        .select(ConnectionRow::as_select())
        .first(conn)?)
}

pub fn insert_state(
    conn: &mut DbConnection,
    state_hash: &str,
    connection_id: &str,
    sealed_verifier: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(oauth_states::table)
        .values((
            oauth_states::state_hash.eq(state_hash),
            oauth_states::connection_id.eq(connection_id),
            oauth_states::code_verifier.eq(sealed_verifier),
            oauth_states::expires_at.eq(expires_at.naive_utc()),
            oauth_states::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// An authorization's connection, sealed verifier and expiry.
pub struct TakenState {
    pub connection_id: String,
    pub sealed_verifier: String,
    pub expires_at: NaiveDateTime,
}

/// Removes and answers the authorization `state_hash` names: a state works once.
pub fn take_state(
    conn: &mut DbConnection,
    state_hash: &str,
) -> Result<Option<TakenState>, StoreError> {
    let taken: Option<(String, String, NaiveDateTime)> =
        diesel::delete(oauth_states::table.find(state_hash))
            .returning((
                oauth_states::connection_id,
                oauth_states::code_verifier,
                oauth_states::expires_at,
            ))
            .get_result(conn)
            .optional()?;
    Ok(
        taken.map(|(connection_id, sealed_verifier, expires_at)| TakenState {
            connection_id,
            sealed_verifier,
            expires_at,
        }),
    )
}

/// Authorizations abandoned at the provider.
pub fn purge_expired_states(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(oauth_states::table.filter(oauth_states::expires_at.lt(now.naive_utc())))
            .execute(conn)?,
    )
}

/// Tokens of a completed authorization, sealed.
pub struct SealedGrant {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn activate(
    conn: &mut DbConnection,
    id: &str,
    account_email: &str,
    grant: &SealedGrant,
    scopes: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(calendar_connections::table.find(id))
        .set((
            calendar_connections::status.eq(ConnectionStatus::Active.as_str()),
            calendar_connections::account_email.eq(account_email),
            calendar_connections::access_token.eq(&grant.access_token),
            calendar_connections::refresh_token.eq(&grant.refresh_token),
            calendar_connections::access_expires_at.eq(grant.expires_at.map(|at| at.naive_utc())),
            calendar_connections::scopes.eq(scopes),
            calendar_connections::last_error.eq(None::<String>),
            calendar_connections::read_error.eq(None::<String>),
            calendar_connections::alerted_at.eq(None::<NaiveDateTime>),
            calendar_connections::busy_read_at.eq(None::<NaiveDateTime>),
            calendar_connections::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Stores the tokens of a refresh; a refresh token is replaced only when the provider sent a
/// new one (Microsoft rotates them on every refresh).
pub fn save_refreshed(
    conn: &mut DbConnection,
    id: &str,
    grant: &SealedGrant,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let target = calendar_connections::table.find(id);
    let expires = grant.expires_at.map(|at| at.naive_utc());
    match &grant.refresh_token {
        Some(refresh) => diesel::update(target)
            .set((
                calendar_connections::access_token.eq(&grant.access_token),
                calendar_connections::refresh_token.eq(refresh),
                calendar_connections::access_expires_at.eq(expires),
                calendar_connections::updated_at.eq(now.naive_utc()),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                calendar_connections::access_token.eq(&grant.access_token),
                calendar_connections::access_expires_at.eq(expires),
                calendar_connections::updated_at.eq(now.naive_utc()),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// Seals the tokens again under the current key (after a key rotation).
pub fn reseal(
    conn: &mut DbConnection,
    id: &str,
    access_token: Option<&str>,
    refresh_token: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(calendar_connections::table.find(id))
        .set((
            calendar_connections::access_token.eq(access_token),
            calendar_connections::refresh_token.eq(refresh_token),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the grant dead; answers whether this call made the change (so one caller tells the
/// user).
pub fn mark_revoked(
    conn: &mut DbConnection,
    id: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        calendar_connections::table
            .find(id)
            .filter(calendar_connections::status.ne(ConnectionStatus::Error.as_str())),
    )
    .set((
        calendar_connections::status.eq(ConnectionStatus::Error.as_str()),
        calendar_connections::last_error.eq(message),
        calendar_connections::read_error.eq(message),
        calendar_connections::access_token.eq(None::<String>),
        calendar_connections::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn record_error(
    conn: &mut DbConnection,
    id: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(calendar_connections::table.find(id))
        .set((
            calendar_connections::last_error.eq(message),
            calendar_connections::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces a calendar's stored busy times with a fresh reading of `span`; rows are rewritten
/// only when the busy times changed, so an unchanged calendar leaves cached slots valid.
pub fn record_reading(
    conn: &mut DbConnection,
    connection: &ConnectionRow,
    span: Interval,
    busy: &[Interval],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let stored: Vec<(NaiveDateTime, NaiveDateTime)> = calendar_busy::table
        .filter(calendar_busy::connection_id.eq(&connection.id))
        .order(calendar_busy::start_utc)
        .select((calendar_busy::start_utc, calendar_busy::end_utc))
        .load(conn)?;
    let mut fresh: Vec<(NaiveDateTime, NaiveDateTime)> = busy
        .iter()
        .map(|period| (period.start.naive_utc(), period.end.naive_utc()))
        .collect();
    fresh.sort();
    fresh.dedup();
    if stored != fresh {
        diesel::delete(
            calendar_busy::table.filter(calendar_busy::connection_id.eq(&connection.id)),
        )
        .execute(conn)?;
        for chunk in fresh.chunks(500) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(start, end)| {
                    (
                        calendar_busy::connection_id.eq(&connection.id),
                        calendar_busy::user_id.eq(&connection.user_id),
                        calendar_busy::start_utc.eq(*start),
                        calendar_busy::end_utc.eq(*end),
                    )
                })
                .collect();
            let insert = diesel::insert_into(calendar_busy::table).values(&rows);
            match conn {
                DbConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
                DbConnection::Postgres(postgres) => insert.execute(postgres)?,
            };
        }
    }
    diesel::update(calendar_connections::table.find(&connection.id))
        .set((
            calendar_connections::busy_from.eq(span.start.naive_utc()),
            calendar_connections::busy_to.eq(span.end.naive_utc()),
            calendar_connections::busy_read_at.eq(now.naive_utc()),
            calendar_connections::last_synced_at.eq(now.naive_utc()),
            calendar_connections::read_error.eq(None::<String>),
            calendar_connections::alerted_at.eq(None::<NaiveDateTime>),
            calendar_connections::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records that the calendar could not be read; answers whether nobody has been alerted of
/// it yet, claiming the alert (so across instances it goes out once).
pub fn record_read_failure(
    conn: &mut DbConnection,
    id: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    diesel::update(calendar_connections::table.find(id))
        .set((
            calendar_connections::read_error.eq(message),
            calendar_connections::last_error.eq(message),
            calendar_connections::busy_read_at.eq(now.naive_utc()),
            calendar_connections::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    let claimed = diesel::update(
        calendar_connections::table
            .find(id)
            .filter(calendar_connections::alerted_at.is_null()),
    )
    .set(calendar_connections::alerted_at.eq(now.naive_utc()))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Busy times stored for `user_ids` overlapping `[from, to)`: (user, start, end).
pub fn busy_of_users(
    conn: &mut DbConnection,
    user_ids: &[&str],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<(String, NaiveDateTime, NaiveDateTime)>, StoreError> {
    Ok(calendar_busy::table
        .filter(calendar_busy::user_id.eq_any(user_ids))
        .filter(calendar_busy::start_utc.lt(to))
        .filter(calendar_busy::end_utc.gt(from))
        .select((
            calendar_busy::user_id,
            calendar_busy::start_utc,
            calendar_busy::end_utc,
        ))
        .load(conn)?)
}

/// Deletes the connection with its stored busy times and authorizations; events written
/// for it are left in the calendar and no longer kept in step.
pub fn delete(
    conn: &mut DbConnection,
    connection: &ConnectionRow,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(
        calendar_events::table
            .filter(calendar_events::user_id.eq(&connection.user_id))
            .filter(calendar_events::provider.eq(&connection.provider))
            .filter(calendar_events::next_attempt_at.is_not_null()),
    )
    .set((
        calendar_events::next_attempt_at.eq(None::<NaiveDateTime>),
        calendar_events::last_error.eq("the calendar was disconnected"),
        calendar_events::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    diesel::delete(calendar_connections::table.find(&connection.id)).execute(conn)?;
    Ok(())
}

/// `(provider, external id)` of the events that exist for each of `meeting_ids`.
pub fn events_of_meetings(
    conn: &mut DbConnection,
    meeting_ids: &[String],
) -> Result<std::collections::HashMap<String, Vec<(String, String)>>, StoreError> {
    let rows: Vec<(String, String, Option<String>)> = calendar_events::table
        .filter(calendar_events::meeting_id.eq_any(meeting_ids))
        .filter(calendar_events::removed.eq(false))
        .order(calendar_events::created_at)
        .select((
            calendar_events::meeting_id,
            calendar_events::provider,
            calendar_events::external_id,
        ))
        .load(conn)?;
    let mut events: std::collections::HashMap<String, Vec<(String, String)>> = Default::default();
    for (meeting_id, provider, external_id) in rows {
        if let Some(external_id) = external_id {
            events
                .entry(meeting_id)
                .or_default()
                .push((provider, external_id));
        }
    }
    Ok(events)
}
