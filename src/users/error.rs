//! Why a user could not be created; the HTTP edge maps each to a problem once.

use crate::auth::passwords::PasswordError;
use crate::users::repo::UserStoreError;

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("password hashing was interrupted")]
    HashingInterrupted,
    #[error(transparent)]
    Store(#[from] UserStoreError),
}
