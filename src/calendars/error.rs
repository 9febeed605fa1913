//! Why a calendar cannot be connected or used, in the calendars' own words; the HTTP edge maps
//! each to a problem once.

use super::Provider;
use crate::db::StoreError;

/// Why a calendar provider cannot be used on this server.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "this calendar provider is not configured on this server (set its client_id, \
         client_secret and calendars.token_key)"
    )]
    NotConfigured,
    /// The provider's settings passed validation yet make no OAuth client.
    #[error("{provider} OAuth client: {reason}")]
    OAuthClient { provider: Provider, reason: String },
}

/// Why connecting, listing or disconnecting a calendar failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no user has this id")]
    UnknownUser,
    #[error("this user is inactive")]
    InactiveUser,
    #[error("no calendar connection has this id")]
    UnknownConnection,
    #[error("the callback has no state")]
    NoState,
    #[error("the callback has no code")]
    NoCode,
    /// The callback's state was never handed out, was spent already or ran out.
    #[error(
        "this sign-in link is unknown, was already used or has expired; start connecting again"
    )]
    UnknownSignIn,
    /// The provider, or the grant it gave, refused the connection; the text says why.
    #[error("{0}")]
    Refused(String),
    /// The provider could not be reached or asked; the text says for what.
    #[error("{0}")]
    ProviderUnavailable(String),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
