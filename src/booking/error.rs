//! Why a booking was refused, in the booking's own words; the HTTP edge maps each to a problem,
//! or to the booking page shown again, once.

use crate::booking::rules::LimitReached;
use crate::db::StoreError;
use crate::events::PublishError;
use crate::field_errors::FieldErrors;
use crate::leads::error::LeadStoreError;
use crate::meetings::error::MeetingError;
use crate::workflow::repo::TransitionError;
use crate::workflow::state::IllegalTransition;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("no booking link at this address")]
    UnknownLink,
    /// The link exists but cannot be booked through any more; the text says why.
    #[error("{0}")]
    LinkClosed(&'static str),
    #[error("the request has invalid fields")]
    Invalid(FieldErrors),
    #[error("that time was just taken; please pick another")]
    SlotTaken,
    #[error("this booking link has been used as often as it allows")]
    LinkUsedUp,
    #[error("this meeting is offered to qualified prospects only (a score of at least {minimum} is needed)")]
    Unqualified { minimum: i32 },
    #[error(transparent)]
    Limit(#[from] LimitReached),
    #[error(transparent)]
    Meeting(#[from] MeetingError),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Lead(#[from] LeadStoreError),
    #[error(transparent)]
    Request(#[from] TransitionError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("cannot encode the slots answer: {0}")]
    Encoding(#[from] serde_json::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BookingError {
    /// A unique index refused a write: another booking took the slot (or the prospect's lead
    /// record) first.
    pub fn is_unique_violation(&self) -> bool {
        let failure = match self {
            Self::Store(failure)
            | Self::Lead(LeadStoreError::Store(failure))
            | Self::Request(TransitionError::Store(failure))
            | Self::Publish(PublishError::Store(failure)) => Some(failure),
            Self::Meeting(error) => error.store_failure(),
            _ => None,
        };
        failure.is_some_and(StoreError::is_unique_violation)
    }
}

impl From<FieldErrors> for BookingError {
    fn from(errors: FieldErrors) -> Self {
        Self::Invalid(errors)
    }
}

impl From<diesel::result::Error> for BookingError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}
