//! Single-use links that let a user choose a password: an invitation (valid 72 h) or a reset
//! (valid 1 h). Only the token's SHA-256 is stored; the email carrying the link is written to
//! the outbox in the transaction that stores the link and its audit row.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::tokens::{secret_token, sha256_hex};
use crate::db::schema::{password_links, sessions, users};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::notifications::messages::Composer;
use crate::notifications::outbox::{self, EmailKind};
use crate::users::error::PasswordLinkError;
use crate::users::model::User;
use crate::users::repo;
use crate::values::new_id;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordLinkPurpose {
    /// A new user's first password.
    Invitation,
    /// A forgotten password.
    Reset,
}

impl PasswordLinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            PasswordLinkPurpose::Invitation => "invitation",
            PasswordLinkPurpose::Reset => "reset",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [PasswordLinkPurpose::Invitation, PasswordLinkPurpose::Reset]
            .into_iter()
            .find(|purpose| purpose.as_str() == raw)
    }

    pub fn valid_for(self) -> Duration {
        match self {
            PasswordLinkPurpose::Invitation => Duration::hours(72),
            PasswordLinkPurpose::Reset => Duration::hours(1),
        }
    }

    fn email_kind(self) -> EmailKind {
        match self {
            PasswordLinkPurpose::Invitation => EmailKind::UserInvitation,
            PasswordLinkPurpose::Reset => EmailKind::PasswordReset,
        }
    }

    fn audit_action(self) -> &'static str {
        match self {
            PasswordLinkPurpose::Invitation => "user.invited",
            PasswordLinkPurpose::Reset => "user.password_reset_requested",
        }
    }
}

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = password_links)]
struct PasswordLinkRow {
    id: String,
    user_id: String,
    purpose: String,
    token_hash: String,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

/// A link that may still be used, and whose it is.
#[derive(Debug, Clone)]
pub struct OpenPasswordLink {
    pub id: String,
    pub purpose: PasswordLinkPurpose,
    pub user: User,
}

/// Where a link's token is opened in the admin UI.
pub fn link_url(public_base: &str, token: &str) -> String {
    format!("{public_base}/admin/password/reset/{token}")
}

/// Stores a new link for `user` and writes the email that carries it; returns when it expires.
pub fn issue(
    conn: &mut DbConnection,
    user: &User,
    purpose: PasswordLinkPurpose,
    composer: &Composer,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, PasswordLinkError> {
    let token = secret_token();
    let expires_at = now + purpose.valid_for();
    let row = PasswordLinkRow {
        id: new_id(),
        user_id: user.id.clone(),
        purpose: purpose.as_str().to_owned(),
        token_hash: sha256_hex(&token),
        expires_at: expires_at.naive_utc(),
        used_at: None,
        created_at: now.naive_utc(),
    };
    let email = composer
        .password_link(
            purpose.email_kind(),
            user,
            &row.id,
            link_url(&composer.public_base, &token),
            purpose.valid_for().num_hours(),
            now,
        )
        .map_err(|e| PasswordLinkError::Email(e.to_string()))?;
    write_transaction(conn, |conn| {
        diesel::insert_into(password_links::table)
            .values(&row)
            .execute(conn)?;
        outbox::enqueue(conn, &email, now)?;
        audit::record(
            conn,
            AuditEntry {
                actor,
                action: purpose.audit_action(),
                entity_type: "user",
                entity_id: &user.id,
                from_status: None,
                to_status: None,
                note: None,
            },
            now,
        )?;
        Ok::<(), PasswordLinkError>(())
    })?;
    Ok(expires_at)
}

/// The link behind `token` when it can still be used by an active user.
pub fn open(
    conn: &mut DbConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<OpenPasswordLink, PasswordLinkError> {
    let row = password_links::table
        .filter(password_links::token_hash.eq(sha256_hex(token)))
        .select(PasswordLinkRow::as_select())
        .get_result(conn)
        .optional()
        .map_err(StoreError::from)?
        .ok_or(PasswordLinkError::Invalid)?;
    if row.used_at.is_some() {
        return Err(PasswordLinkError::Invalid);
    }
    if row.expires_at <= now.naive_utc() {
        return Err(PasswordLinkError::Expired);
    }
    let purpose = PasswordLinkPurpose::parse(&row.purpose)
        .ok_or_else(|| StoreError::Corrupt(format!("password link {}: unknown purpose", row.id)))?;
    let user = repo::find(conn, &row.user_id)?
        .filter(|user| user.active)
        .ok_or(PasswordLinkError::Invalid)?;
    Ok(OpenPasswordLink {
        id: row.id,
        purpose,
        user,
    })
}

/// Uses the link behind `token` to set the user's password to `password_hash`, once: the link
/// is spent and every session of the user ends, so a reset locks out whoever knew the old one.
pub fn redeem(
    conn: &mut DbConnection,
    token: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<User, PasswordLinkError> {
    write_transaction(conn, |conn| {
        let link = open(conn, token, now)?;
        let spent = diesel::update(
            password_links::table
                .filter(password_links::id.eq(&link.id))
                .filter(password_links::used_at.is_null()),
        )
        .set(password_links::used_at.eq(now.naive_utc()))
        .execute(conn)?;
        if spent != 1 {
            return Err(PasswordLinkError::Invalid);
        }
        diesel::update(users::table.find(&link.user.id))
            .set((
                users::password_hash.eq(password_hash),
                users::updated_at.eq(now.naive_utc()),
            ))
            .execute(conn)?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq(&link.user.id)))
            .execute(conn)?;
        let actor = Actor::User(link.user.id.clone());
        audit::record(
            conn,
            AuditEntry {
                actor: &actor,
                action: "user.password_set",
                entity_type: "user",
                entity_id: &link.user.id,
                from_status: None,
                to_status: None,
                note: Some(link.purpose.as_str()),
            },
            now,
        )?;
        Ok(link.user)
    })
}
