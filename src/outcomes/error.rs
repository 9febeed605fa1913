//! Why a survey link cannot be answered, in the survey's own words; the HTTP edge maps each to
//! a problem once.

use crate::auth::Denied;
use crate::db::StoreError;
use crate::events::PublishError;
use crate::meetings::error::MeetingError;

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("this survey link is not valid; check that it was copied in full")]
    UnknownLink,
    #[error("this survey has already been answered; thank you")]
    Answered,
    #[error("this survey link has expired; thank you all the same")]
    Expired,
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for SurveyError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

/// Why an outcome cannot be recorded.
#[derive(Debug, thiserror::Error)]
pub enum OutcomeError {
    #[error("no meeting with that id")]
    UnknownMeeting,
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("hosts may record the outcomes of their own meetings only")]
    NotTheirMeeting,
    #[error("the meeting has not started yet; record its outcome once it has")]
    NotStarted,
    #[error("the meeting is still waiting for approval; it has no outcome yet")]
    AwaitingApproval,
    #[error("a {0} meeting has no outcome to record")]
    NothingToRecord(String),
    #[error(transparent)]
    Meeting(#[from] MeetingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
