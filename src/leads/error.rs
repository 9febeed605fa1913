//! Why a lead could not be saved; the HTTP edge maps each to a problem once.

use crate::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LeadStoreError {
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Publish(crate::events::PublishError),
}

impl From<crate::events::PublishError> for LeadStoreError {
    fn from(error: crate::events::PublishError) -> Self {
        match error {
            crate::events::PublishError::Store(error) => Self::Store(error),
            other => Self::Publish(other),
        }
    }
}

impl From<diesel::result::Error> for LeadStoreError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}
