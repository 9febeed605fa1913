//! Why a survey link cannot be answered, in the survey's own words; the HTTP edge maps each to
//! a problem once.

use crate::db::StoreError;
use crate::events::PublishError;

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
