//! Storage of users.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Actor, AuditEntry};
use crate::auth::roles::Role;
use crate::db::schema::{sessions, users};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::users::model::{NewUser, User, UserChanges, UserRow};
use crate::values::new_id;

#[derive(Debug, thiserror::Error)]
pub enum UserStoreError {
    #[error("a user with email {0} already exists")]
    DuplicateEmail(String),
    #[error("no such user")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for UserStoreError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

pub fn insert(
    conn: &mut DbConnection,
    new_user: &NewUser,
    password_hash: Option<String>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<User, UserStoreError> {
    let row = UserRow {
        id: new_id(),
        email: new_user.email.as_str().to_owned(),
        name: new_user.name.clone(),
        role: new_user.role.as_str().to_owned(),
        title: new_user.title.clone(),
        timezone: new_user.timezone.name().to_owned(),
        working_hours: new_user.working_hours.to_json().to_string(),
        password_hash,
        active: true,
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
    };
    write_transaction(conn, |conn| {
        diesel::insert_into(users::table)
            .values(&row)
            .execute(conn)
            .map_err(|e| duplicate_email_or(e, new_user.email.as_str()))?;
        audit::record(
            conn,
            AuditEntry {
                actor,
                action: "user.created",
                entity_type: "user",
                entity_id: &row.id,
                from_status: None,
                to_status: Some(new_user.role.as_str()),
                note: None,
            },
            now,
        )?;
        Ok::<(), UserStoreError>(())
    })?;
    Ok(User::try_from(row)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<User>, StoreError> {
    let row = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(User::try_from).transpose()
}

/// The users with `ids`, in the order of `ids`, read in one query; unknown ids are left out.
pub fn find_all(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<User>, StoreError> {
    let rows: Vec<UserRow> = users::table
        .filter(users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(conn)?;
    let mut found = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    found.sort_by_key(|user| ids.iter().position(|id| *id == user.id));
    Ok(found)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, StoreError> {
    let row = users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    row.map(User::try_from).transpose()
}

/// A page of users ordered by email, starting after `after_email`.
pub fn list(
    conn: &mut DbConnection,
    after_email: Option<&str>,
    limit: i64,
) -> Result<Vec<User>, StoreError> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::email.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_email {
        query = query.filter(users::email.gt(after.to_owned()));
    }
    query.load(conn)?.into_iter().map(User::try_from).collect()
}

/// Active users of `role`, by email.
pub fn active_with_role(conn: &mut DbConnection, role: Role) -> Result<Vec<User>, StoreError> {
    users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq(role.as_str()))
        .order(users::email.asc())
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(User::try_from)
        .collect()
}

pub fn count_by_role(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(users::table
        .filter(users::active.eq(true))
        .group_by(users::role)
        .select((users::role, diesel::dsl::count_star()))
        .load(conn)?)
}

pub fn update(
    conn: &mut DbConnection,
    id: &str,
    changes: &UserChanges,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<User, UserStoreError> {
    write_transaction(conn, |conn| {
        let before = find(conn, id)?.ok_or(UserStoreError::NotFound)?;
        let new_email = changes.email.as_ref().map(|e| e.as_str().to_owned());
        diesel::update(users::table.find(id))
            .set((
                users::email.eq(changes
                    .email
                    .as_ref()
                    .map_or(before.email.clone(), |e| e.as_str().to_owned())),
                users::name.eq(changes.name.clone().unwrap_or(before.name.clone())),
                users::role.eq(changes.role.unwrap_or(before.role).as_str()),
                users::title.eq(changes.title.clone().unwrap_or(before.title.clone())),
                users::timezone.eq(changes.timezone.unwrap_or(before.timezone).name()),
                users::working_hours.eq(changes
                    .working_hours
                    .as_ref()
                    .unwrap_or(&before.working_hours)
                    .to_json()
                    .to_string()),
                users::active.eq(changes.active.unwrap_or(before.active)),
                users::updated_at.eq(now.naive_utc()),
            ))
            .execute(conn)
            .map_err(|e| duplicate_email_or(e, new_email.as_deref().unwrap_or(&before.email)))?;
        let deactivated = before.active && changes.active == Some(false);
        if deactivated {
            // Their open sessions end now, on every instance, not at their next expiry.
            diesel::delete(sessions::table.filter(sessions::user_id.eq(id))).execute(conn)?;
        }
        let role_change = changes.role.filter(|role| *role != before.role);
        audit::record(
            conn,
            AuditEntry {
                actor,
                action: "user.updated",
                entity_type: "user",
                entity_id: id,
                from_status: role_change.map(|_| before.role.as_str()),
                to_status: role_change.map(|role| role.as_str()),
                note: deactivated.then_some("deactivated"),
            },
            now,
        )?;
        Ok::<(), UserStoreError>(())
    })?;
    find(conn, id)?.ok_or(UserStoreError::NotFound)
}

fn duplicate_email_or(error: diesel::result::Error, email: &str) -> UserStoreError {
    let error = StoreError::from(error);
    if error.is_unique_violation() {
        UserStoreError::DuplicateEmail(email.to_owned())
    } else {
        UserStoreError::Store(error)
    }
}

pub fn set_password_hash(
    conn: &mut DbConnection,
    id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(hash),
            users::updated_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets user `id`'s password and records that they changed it.
pub fn change_password(
    conn: &mut DbConnection,
    id: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        set_password_hash(conn, id, hash, now)?;
        audit::record(
            conn,
            AuditEntry {
                actor: &Actor::User(id.to_owned()),
                action: "user.password_changed",
                entity_type: "user",
                entity_id: id,
                from_status: None,
                to_status: None,
                note: None,
            },
            now,
        )
    })
}
