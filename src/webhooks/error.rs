//! Why a webhook action did not happen, in the webhooks' own words; the HTTP edge
//! (`routes.rs`) maps each to a problem once.

use crate::calendars::crypto::CryptoError;
use crate::db::StoreError;
use crate::field_errors::FieldErrors;

/// Why a webhook action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the request has invalid fields")]
    Invalid(FieldErrors),
    #[error("no webhook subscription has this id")]
    NotFound,
    #[error("this webhook subscription has no delivery with this id")]
    DeliveryNotFound,
    #[error("the webhook subscription is disabled; enable it first")]
    Disabled,
    #[error("this delivery is being sent right now; try again in a minute")]
    InFlight,
    #[error("a webhook signing secret does not open: {0}")]
    Secret(#[from] CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
