//! Creating users, inviting them, and setting, resetting and changing their passwords.

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::audit::Actor;
use crate::auth::passwords::{hash_password, verify_password};
use crate::state::AppState;
use crate::users::error::{
    ActivationError, CreateUserError, InviteError, PasswordLinkError, SetPasswordError,
};
use crate::users::model::{NewUser, User, UserChanges};
use crate::users::password_links::{self, OpenPasswordLink, PasswordLinkPurpose};
use crate::users::repo::{self, UserStoreError};

pub async fn create_user(
    state: &AppState,
    new_user: NewUser,
    password: Option<SecretString>,
    actor: Actor,
) -> Result<User, CreateUserError> {
    let password_hash = match password {
        None => None,
        Some(password) => Some(
            tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|_| CreateUserError::HashingInterrupted)??,
        ),
    };
    let now = state.clock.now();
    Ok(state
        .db
        .run(move |conn| Ok(repo::insert(conn, &new_user, password_hash, &actor, now)))
        .await
        .map_err(UserStoreError::from)??)
}

/// Applies `changes` to user `id`, with its audit row.
pub async fn update_user(
    state: &AppState,
    id: String,
    changes: UserChanges,
    actor: Actor,
) -> Result<User, UserStoreError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| Ok(repo::update(conn, &id, &changes, &actor, now)))
        .await?
}

/// Deactivates or reactivates user `id`. Nobody deactivates themselves, so an admin cannot
/// lock themselves out by a slip.
pub async fn set_active(
    state: &AppState,
    id: String,
    active: bool,
    actor: Actor,
) -> Result<User, ActivationError> {
    if !active && actor == Actor::User(id.clone()) {
        return Err(ActivationError::OwnAccount);
    }
    let changes = UserChanges {
        active: Some(active),
        ..UserChanges::default()
    };
    Ok(update_user(state, id, changes, actor).await?)
}

async fn hash(password: SecretString) -> Result<String, SetPasswordError> {
    Ok(
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| SetPasswordError::HashingInterrupted)??,
    )
}

/// Emails user `id` a link to set their password; returns when the link expires.
pub async fn invite(
    state: &AppState,
    id: String,
    actor: Actor,
) -> Result<DateTime<Utc>, InviteError> {
    let composer = state.composer();
    let now = state.clock.now();
    let expires_at = state
        .db
        .run(move |conn| {
            let outcome = match repo::find(conn, &id)? {
                None => Err(InviteError::UnknownUser),
                Some(user) if !user.active => Err(InviteError::Deactivated),
                Some(user) => password_links::issue(
                    conn,
                    &user,
                    PasswordLinkPurpose::Invitation,
                    &composer,
                    &actor,
                    now,
                )
                .map_err(InviteError::from),
            };
            Ok(outcome)
        })
        .await??;
    state.outbox_wakeup.notify_one();
    Ok(expires_at)
}

/// Emails a reset link when `email` belongs to an active user, and does nothing otherwise: the
/// caller answers the same either way, so nobody learns which addresses have accounts. With
/// password sign-in turned off (`sso.only`) a password would open nothing, so none is sent.
pub async fn request_password_reset(
    state: &AppState,
    email: String,
) -> Result<(), PasswordLinkError> {
    if state.sso.as_deref().is_some_and(|sso| sso.only) {
        return Ok(());
    }
    let composer = state.composer();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let outcome = match repo::find_by_email(conn, &email)? {
                Some(user) if user.active => password_links::issue(
                    conn,
                    &user,
                    PasswordLinkPurpose::Reset,
                    &composer,
                    &Actor::System,
                    now,
                )
                .map(|_| ()),
                _ => Ok(()),
            };
            Ok(outcome)
        })
        .await??;
    state.outbox_wakeup.notify_one();
    Ok(())
}

/// The link behind `token`, when it can still be used.
pub async fn open_password_link(
    state: &AppState,
    token: String,
) -> Result<OpenPasswordLink, PasswordLinkError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| Ok(password_links::open(conn, &token, now)))
        .await?
}

/// Sets a password through the link behind `token`, which then no longer works.
pub async fn set_password_with_link(
    state: &AppState,
    token: String,
    password: SecretString,
) -> Result<User, SetPasswordError> {
    // Checked before the slow hashing, so a dead link is refused at once.
    open_password_link(state, token.clone()).await?;
    let password_hash = hash(password).await?;
    let now = state.clock.now();
    Ok(state
        .db
        .run(move |conn| Ok(password_links::redeem(conn, &token, &password_hash, now)))
        .await??)
}

/// Changes `user`'s password when `current` is their password now.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: SecretString,
    new: SecretString,
) -> Result<(), SetPasswordError> {
    let stored = user.password_hash.clone();
    let verified =
        tokio::task::spawn_blocking(move || verify_password(stored.as_deref(), &current))
            .await
            .map_err(|_| SetPasswordError::HashingInterrupted)?;
    if !verified {
        return Err(SetPasswordError::WrongCurrentPassword);
    }
    let password_hash = hash(new).await?;
    let now = state.clock.now();
    let id = user.id.clone();
    state
        .db
        .run(move |conn| repo::change_password(conn, &id, &password_hash, now))
        .await?;
    Ok(())
}
