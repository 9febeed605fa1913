//! The sign-in use case: start at the provider, come back, check, admit, provision, and open
//! a session — one transaction for what it writes, nothing written when any check fails.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::error::SsoError;
use super::policy::Admitted;
use super::repo::{self, PendingSignIn};
use super::Sso;
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::sessions;
use crate::auth::tokens::{constant_time_eq, secret_token, sha256_hex};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::scheduling::working_hours::WeeklyHours;
use crate::state::AppState;
use crate::users::model::{NewUser, User};
use crate::users::repo::{self as users_repo, UserStoreError};
use crate::values::TimeZone;

/// How long a person has to get through the provider's pages.
pub const SIGN_IN_LIFETIME: Duration = Duration::minutes(10);
const NEW_USER_TIMEZONE: &str = "UTC";

impl From<UserStoreError> for SsoError {
    fn from(error: UserStoreError) -> Self {
        match error {
            UserStoreError::DuplicateEmail(_) => Self::Concurrent,
            UserStoreError::NotFound => Self::Store(StoreError::Corrupt(error.to_string())),
            UserStoreError::Store(e) => Self::Store(e),
        }
    }
}

/// A started sign-in: where to send the browser, and the cookie that binds the sign-in to it.
pub struct Started {
    pub provider_url: String,
    pub browser_token: SecretString,
}

fn configured(state: &AppState) -> Result<&Sso, SsoError> {
    state.sso.as_deref().ok_or(SsoError::NotConfigured)
}

pub async fn start(state: &AppState, return_to: String) -> Result<Started, SsoError> {
    let sso = configured(state)?;
    let authorization = sso.client.authorize().await?;
    let browser_token = SecretString::from(secret_token());
    let now = state.clock.now();
    let pending = PendingSignIn {
        state_hash: sha256_hex(authorization.state.expose_secret()),
        browser_hash: sha256_hex(browser_token.expose_secret()),
        nonce: authorization.nonce.expose_secret().to_owned(),
        code_verifier: authorization.code_verifier.expose_secret().to_owned(),
        return_to,
        expires_at: now + SIGN_IN_LIFETIME,
    };
    state
        .db
        .run(move |conn| repo::insert(conn, &pending, now))
        .await?;
    Ok(Started {
        provider_url: authorization.url,
        browser_token,
    })
}

/// What the provider sent the browser back with.
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    /// The value of the cookie set when the sign-in started, if the browser sent it.
    pub browser_token: Option<String>,
}

/// A completed sign-in: the session cookie's value and where to go.
pub struct SignedIn {
    pub user: User,
    pub session_token: SecretString,
    pub return_to: String,
}

pub async fn complete(state: &AppState, callback: Callback) -> Result<SignedIn, SsoError> {
    let sso = configured(state)?;
    let state_hash = sha256_hex(callback.state.as_deref().ok_or(SsoError::UnknownSignIn)?);
    let taken = state
        .db
        .run(move |conn| repo::take(conn, &state_hash))
        .await?
        .ok_or(SsoError::UnknownSignIn)?;
    let now = state.clock.now();
    if taken.expires_at <= now.naive_utc() {
        return Err(SsoError::UnknownSignIn);
    }
    let same_browser = callback
        .browser_token
        .as_deref()
        .is_some_and(|token| constant_time_eq(&sha256_hex(token), &taken.browser_hash));
    if !same_browser {
        return Err(SsoError::OtherBrowser);
    }
    if let Some(error) = callback.error {
        return Err(SsoError::ProviderDeclined(provider_error_words(&error)));
    }
    let code = callback.code.ok_or(SsoError::NoCode)?;
    let identity = sso
        .client
        .redeem(
            &code,
            &SecretString::from(taken.code_verifier),
            &SecretString::from(taken.nonce),
            now,
        )
        .await?;
    let admitted = sso.policy.admit(&identity)?;
    let idle = state.session_idle();
    let (user, session_token) = state
        .db
        .run(move |conn| Ok(sign_in(conn, &admitted, now, idle)))
        .await??;
    Ok(SignedIn {
        user,
        session_token,
        return_to: taken.return_to,
    })
}

/// The provider's `error` code, kept to the characters such codes use, for the page and logs.
fn provider_error_words(error: &str) -> String {
    let words: String = error
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if words.is_empty() {
        "no reason given".into()
    } else {
        words.replace('_', " ")
    }
}

/// Finds the person by email (or provisions them) and opens their session, with the audit rows,
/// in one transaction.
fn sign_in(
    conn: &mut DbConnection,
    admitted: &Admitted,
    now: DateTime<Utc>,
    idle: Duration,
) -> Result<(User, SecretString), SsoError> {
    write_transaction(conn, |conn| {
        let user = match users_repo::find_by_email(conn, admitted.email.as_str())? {
            Some(user) if !user.active => return Err(SsoError::Deactivated),
            Some(user) => user,
            None => provision(conn, admitted, now)?,
        };
        let token = sessions::start(conn, &user.id, now, idle)?;
        audit::record(
            conn,
            AuditEntry {
                actor: &Actor::User(user.id.clone()),
                action: "user.signed_in",
                entity_type: "user",
                entity_id: &user.id,
                from_status: None,
                to_status: None,
                note: Some("through the identity provider"),
            },
            now,
        )?;
        Ok((user, token))
    })
}

fn provision(
    conn: &mut DbConnection,
    admitted: &Admitted,
    now: DateTime<Utc>,
) -> Result<User, SsoError> {
    let new_user = NewUser {
        email: admitted.email.clone(),
        name: admitted.name.clone(),
        role: admitted.role,
        title: None,
        timezone: TimeZone::parse(NEW_USER_TIMEZONE).map_err(StoreError::Corrupt)?,
        working_hours: WeeklyHours::standard(),
    };
    let user = users_repo::insert(conn, &new_user, None, &Actor::System, now)?;
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "user provisioned on first sign-in through the identity provider");
    Ok(user)
}
