//! Why a router could not be saved or could not route.

use crate::db::StoreError;
use crate::events::PublishError;
use crate::routing::rules::RuleErrors;
use crate::workflow::state::IllegalTransition;

#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    /// Fields or rules that do not hold, each at its location.
    #[error("the request has invalid fields")]
    Invalid(RuleErrors),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("another router already answers at /route/{0}")]
    SlugTaken(String),
    /// The submission's lead conflicts with stored ones, or a rule names what is gone.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Publish(PublishError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PublishError> for RoutingError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::Store(error) => Self::Store(error),
            other => Self::Publish(other),
        }
    }
}

impl From<diesel::result::Error> for RoutingError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}
