//! Why a change to a user or to their password could not be made; the HTTP edge maps each to a
//! problem once.

use crate::auth::passwords::PasswordError;
use crate::db::StoreError;
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

/// Why a password link cannot be sent or used.
#[derive(Debug, thiserror::Error)]
pub enum PasswordLinkError {
    #[error("this link is not valid: it was used already, or its account cannot sign in")]
    Invalid,
    #[error("this link has expired; ask for a new one")]
    Expired,
    #[error("the email could not be composed: {0}")]
    Email(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for PasswordLinkError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

/// Why a password could not be set or changed.
#[derive(Debug, thiserror::Error)]
pub enum SetPasswordError {
    #[error("the current password is not right")]
    WrongCurrentPassword,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("password hashing was interrupted")]
    HashingInterrupted,
    #[error(transparent)]
    Link(#[from] PasswordLinkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an invitation could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("no user with that id")]
    UnknownUser,
    #[error("a deactivated user cannot be invited; reactivate them first")]
    Deactivated,
    #[error(transparent)]
    Link(#[from] PasswordLinkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a user could not be deactivated or reactivated.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    #[error("you cannot deactivate yourself: ask another admin")]
    OwnAccount,
    #[error(transparent)]
    Store(#[from] UserStoreError),
}
