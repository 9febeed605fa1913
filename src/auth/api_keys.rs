//! API keys: issued once, stored only as a SHA-256 hash, each with a role.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use secrecy::SecretString;

use crate::auth::roles::Role;
use crate::auth::tokens::{secret_token, sha256_hex};
use crate::db::schema::api_keys;
use crate::db::{DbConnection, StoreError};
use crate::values::new_id;

const KEY_PREFIX: &str = "cvk_";
/// Writing `last_used_at` on every request would make each API call a write; a minute's
/// precision is plenty for spotting unused keys.
const LAST_USED_PRECISION_SECS: i64 = 60;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    pub role: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// A freshly created key; `secret` exists only here, never in storage.
pub struct IssuedApiKey {
    pub id: String,
    pub secret: SecretString,
}

/// An authenticated key.
#[derive(Debug, Clone)]
pub struct ApiKeyIdentity {
    pub id: String,
    pub role: Role,
}

pub fn create(
    conn: &mut DbConnection,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<IssuedApiKey, StoreError> {
    let secret = format!("{KEY_PREFIX}{}", secret_token());
    let id = new_id();
    diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(&id),
            api_keys::name.eq(name),
            api_keys::role.eq(role.as_str()),
            api_keys::key_prefix.eq(&secret[..KEY_PREFIX.len() + 6]),
            api_keys::key_hash.eq(sha256_hex(&secret)),
            api_keys::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(IssuedApiKey {
        id,
        secret: SecretString::from(secret),
    })
}

/// Finds the live key matching `presented`, noting its use.
pub fn authenticate(
    conn: &mut DbConnection,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApiKeyIdentity>, StoreError> {
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 128 {
        return Ok(None);
    }
    let found: Option<ApiKeyRecord> = api_keys::table
        .filter(api_keys::key_hash.eq(sha256_hex(presented)))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKeyRecord::as_select())
        .first(conn)
        .optional()?;
    let Some(record) = found else {
        return Ok(None);
    };
    let role: Role = record
        .role
        .parse()
        .map_err(|e: String| StoreError::Corrupt(format!("api key {}: {e}", record.id)))?;
    let stale_before = (now - Duration::seconds(LAST_USED_PRECISION_SECS)).naive_utc();
    if record.last_used_at.is_none_or(|used| used < stale_before) {
        diesel::update(api_keys::table.find(&record.id))
            .set(api_keys::last_used_at.eq(now.naive_utc()))
            .execute(conn)?;
    }
    Ok(Some(ApiKeyIdentity {
        id: record.id,
        role,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefix_is_shorter_than_the_key() {
        let secret = format!("{KEY_PREFIX}{}", secret_token());
        assert!(secret.len() > KEY_PREFIX.len() + 40);
    }
}
