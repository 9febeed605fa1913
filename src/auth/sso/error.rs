//! What can go wrong when someone signs in through the identity provider, each in words the
//! sign-in page can show: no part of a token, code or secret ever appears in them.

use crate::db::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("sign-in with an identity provider is not set up on this server")]
    NotConfigured,
    #[error("this sign-in is unknown, was already used or has expired; start again from the sign-in page")]
    UnknownSignIn,
    #[error("this sign-in was started in another browser; start again from the sign-in page")]
    OtherBrowser,
    #[error(
        "the identity provider answered without a sign-in code; start again from the sign-in page"
    )]
    NoCode,
    #[error("the identity provider did not sign you in ({0}); start again from the sign-in page")]
    ProviderDeclined(String),
    #[error(transparent)]
    Oidc(#[from] OidcError),
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("this account has been deactivated; ask an admin of Convene")]
    Deactivated,
    /// Two first sign-ins of one person raced; the other one created the account.
    #[error("this account was being set up by another sign-in at the same moment; try again")]
    Concurrent,
    #[error("password sign-in is turned off on this server; sign in with the identity provider")]
    PasswordSignInOff,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for SsoError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached or answered unexpectedly: {0}")]
    ProviderUnavailable(String),
    #[error("the identity provider refused to complete the sign-in ({0})")]
    CodeRefused(String),
    #[error("the identity provider's answer carried no ID token")]
    NoIdToken,
    #[error("the identity provider's ID token was not accepted: {0}")]
    TokenRejected(TokenRejection),
}

/// Why an ID token failed its checks; worded without any part of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    #[error("it is malformed")]
    Malformed,
    #[error("it is not signed with an accepted algorithm and key")]
    Signature,
    #[error("it was issued for another application")]
    Audience,
    #[error("it was issued by another provider")]
    Issuer,
    #[error("it has expired")]
    Expired,
    #[error("its issue time is not plausible")]
    IssueTime,
    #[error("it belongs to another sign-in")]
    Nonce,
    #[error("it does not meet the sign-in's requirements")]
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the identity provider did not share an email address for this account")]
    NoEmail,
    #[error("the identity provider has not verified this account's email address")]
    UnverifiedEmail,
    #[error("accounts of {0} may not sign in to Convene")]
    DomainNotAllowed(String),
}
