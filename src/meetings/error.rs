//! Why a meeting change was refused, in the meeting's own words; the HTTP edge maps each to a
//! problem once.

use crate::booking::rules::MeetingStarted;
use crate::db::StoreError;
use crate::events::PublishError;
use crate::workflow::repo::TransitionError;
use crate::workflow::state::IllegalTransition;

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("no meeting at this address")]
    UnknownManageLink,
    #[error("that time was just taken; please pick another")]
    SlotTaken,
    #[error("that time is not free; please pick another")]
    TimeNotFree,
    #[error("those hosts are not free at the held time")]
    HostsNotFree,
    #[error("the meeting is already at that time")]
    AlreadyThere,
    /// The meeting is in a status the change does not apply to; the text says which.
    #[error("{0}")]
    WrongStatus(String),
    #[error("{0} changed meanwhile; reload and try again")]
    ChangedMeanwhile(&'static str),
    #[error(transparent)]
    Started(#[from] MeetingStarted),
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Request(#[from] TransitionError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for MeetingError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

impl MeetingError {
    /// The storage failure underneath, wherever in the change it surfaced.
    pub fn store_failure(&self) -> Option<&StoreError> {
        match self {
            Self::Store(failure)
            | Self::Request(TransitionError::Store(failure))
            | Self::Publish(PublishError::Store(failure)) => Some(failure),
            _ => None,
        }
    }

    /// A unique violation while claiming time means another booking took it first.
    pub fn from_claim(error: StoreError) -> Self {
        if error.is_unique_violation() {
            Self::SlotTaken
        } else {
            Self::Store(error)
        }
    }
}
