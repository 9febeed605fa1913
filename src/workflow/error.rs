//! Why a meeting request could not be created, decided or scheduled, in the workflow's own
//! words; the HTTP edge maps each to a problem once.

use crate::db::StoreError;
use crate::events::PublishError;
use crate::field_errors::FieldErrors;
use crate::meetings::error::MeetingError;
use crate::workflow::repo::TransitionError;
use crate::workflow::state::IllegalTransition;

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("no meeting request with that id")]
    NotFound,
    /// A record the request points at is gone; the text names it.
    #[error("no such {0}")]
    Missing(&'static str),
    #[error("the request has invalid fields")]
    Invalid(FieldErrors),
    #[error("only admins and meeting managers may log past meetings")]
    MayNotLogPast,
    #[error("{meeting_type} needs a lead score of at least {minimum}; this lead scores {score}")]
    Unqualified {
        meeting_type: String,
        minimum: i32,
        score: u8,
    },
    #[error("that time was just taken; please pick another")]
    SlotTaken,
    #[error("not every chosen host is free at the held time")]
    HostsNotFreeAtHeldTime,
    #[error("this request already has a meeting")]
    AlreadyScheduled,
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Meeting(#[from] MeetingError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RequestError {
    /// A unique index refused a write: another change took the time first.
    pub fn is_unique_violation(&self) -> bool {
        let failure = match self {
            Self::Store(failure)
            | Self::Transition(TransitionError::Store(failure))
            | Self::Publish(PublishError::Store(failure)) => Some(failure),
            Self::Meeting(error) => error.store_failure(),
            _ => None,
        };
        failure.is_some_and(StoreError::is_unique_violation)
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(FieldErrors::single(field, message))
    }
}

impl From<FieldErrors> for RequestError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl From<diesel::result::Error> for RequestError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}
