//! Sign-ins in flight: kept server-side, keyed by the hash of their `state`, taken once.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::sso_sign_ins;
use crate::db::{DbConnection, StoreError};

/// What a sign-in keeps until the provider sends the browser back.
pub struct PendingSignIn {
    pub state_hash: String,
    /// Hash of the random cookie the sign-in's browser holds: a callback arriving in another
    /// browser (a link an attacker got someone to open) does not complete it.
    pub browser_hash: String,
    pub nonce: String,
    pub code_verifier: String,
    pub return_to: String,
    pub expires_at: DateTime<Utc>,
}

pub struct TakenSignIn {
    pub browser_hash: String,
    pub nonce: String,
    pub code_verifier: String,
    pub return_to: String,
    pub expires_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    pending: &PendingSignIn,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(sso_sign_ins::table)
        .values((
            sso_sign_ins::state_hash.eq(&pending.state_hash),
            sso_sign_ins::browser_hash.eq(&pending.browser_hash),
            sso_sign_ins::nonce.eq(&pending.nonce),
            sso_sign_ins::code_verifier.eq(&pending.code_verifier),
            sso_sign_ins::return_to.eq(&pending.return_to),
            sso_sign_ins::expires_at.eq(pending.expires_at.naive_utc()),
            sso_sign_ins::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes and answers the sign-in `state_hash` names, so that a state works once whatever
/// becomes of it.
pub fn take(conn: &mut DbConnection, state_hash: &str) -> Result<Option<TakenSignIn>, StoreError> {
    let taken: Option<(String, String, String, String, NaiveDateTime)> =
        diesel::delete(sso_sign_ins::table.find(state_hash))
            .returning((
                sso_sign_ins::browser_hash,
                sso_sign_ins::nonce,
                sso_sign_ins::code_verifier,
                sso_sign_ins::return_to,
                sso_sign_ins::expires_at,
            ))
            .get_result(conn)
            .optional()?;
    Ok(taken.map(
        |(browser_hash, nonce, code_verifier, return_to, expires_at)| TakenSignIn {
            browser_hash,
            nonce,
            code_verifier,
            return_to,
            expires_at,
        },
    ))
}

/// Sign-ins abandoned at the provider.
pub fn purge_expired(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize, StoreError> {
    Ok(
        diesel::delete(sso_sign_ins::table.filter(sso_sign_ins::expires_at.lt(now.naive_utc())))
            .execute(conn)?,
    )
}
