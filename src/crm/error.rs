//! Why a CRM sync action asked for through the API or the admin UI did not happen; the
//! application's error module maps each to a problem.

use crate::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CrmError {
    #[error(
        "no CRM is set up: set crm.provider (CONVENE__CRM__PROVIDER) to hubspot or salesforce"
    )]
    Off,
    #[error("no CRM sync record has this id")]
    NotFound,
    #[error("this record is being pushed right now, or is already in step with the CRM")]
    NotRetryable,
    #[error("the CRM did not answer as expected: {0}")]
    Crm(String),
    #[error("the request has invalid fields")]
    Invalid(crate::field_errors::FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<super::owners::PullError> for CrmError {
    fn from(error: super::owners::PullError) -> Self {
        use super::owners::PullError as E;
        match error {
            E::Off => Self::Off,
            E::Crm(failure) => Self::Crm(failure.to_string()),
            E::Store(failure) => Self::Store(failure),
        }
    }
}
