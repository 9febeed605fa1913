//! Creating users: validation, optional password, the audit row.

use secrecy::SecretString;

use crate::audit::Actor;
use crate::auth::passwords::hash_password;
use crate::state::AppState;
use crate::users::error::CreateUserError;
use crate::users::model::{NewUser, User};
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
