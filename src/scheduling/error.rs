//! Why a meeting type could not be saved or found; the HTTP edge maps each to a problem once.

use crate::db::StoreError;
use crate::field_errors::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum MeetingTypeError {
    #[error("no meeting type with that id")]
    NotFound,
    #[error("the slug `{0}` is already used by another meeting type")]
    SlugTaken(String),
    #[error("the request has invalid fields")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldErrors> for MeetingTypeError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl From<diesel::result::Error> for MeetingTypeError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}
