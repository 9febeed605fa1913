//! Creating users: validation, optional password, the audit row.

use secrecy::SecretString;

use crate::audit::Actor;
use crate::auth::passwords::{hash_password, PasswordError};
use crate::error::{AppError, FieldErrors};
use crate::state::AppState;
use crate::users::model::{NewUser, User};
use crate::users::repo::{self, UserStoreError};

impl From<UserStoreError> for AppError {
    fn from(error: UserStoreError) -> Self {
        match error {
            UserStoreError::DuplicateEmail(email) => {
                AppError::Conflict(format!("a user with email {email} already exists"))
            }
            UserStoreError::NotFound => AppError::NotFound("no user with that id".into()),
            UserStoreError::Store(e) => AppError::Store(e),
        }
    }
}

pub async fn create_user(
    state: &AppState,
    new_user: NewUser,
    password: Option<SecretString>,
    actor: Actor,
) -> Result<User, AppError> {
    let password_hash = match password {
        None => None,
        Some(password) => Some(
            tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| match e {
                    PasswordError::Length => {
                        AppError::Validation(FieldErrors::single("password", e.to_string()))
                    }
                    PasswordError::Hashing(reason) => AppError::Internal(reason),
                })?,
        ),
    };
    let now = state.clock.now();
    Ok(state
        .db
        .run(move |conn| Ok(repo::insert(conn, &new_user, password_hash, &actor, now)))
        .await??)
}
