//! Connecting calendars and keeping their grants alive: the authorization round trip, token
//! refresh (before expiry and after a 401), revocation, and reading free/busy ahead of every
//! availability answer.

use chrono::{DateTime, Duration, Utc};
use futures_util::future::join_all;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::crypto::Binding;
use super::error::{ConnectError, SetupError};
use super::model::{ConnectionRow, ConnectionStatus, ConnectionView, StartedConnection};
use super::oauth::{Grant, GrantError};
use super::providers::{CalendarProvider, ProviderError};
use super::repo::{self, SealedGrant};
use super::Provider;
use crate::audit::{self, Actor, AuditEntry};
use crate::auth::roles::Role;
use crate::auth::tokens::{secret_token, sha256_hex};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::events::{EventType, PublishError};
use crate::notifications::messages::{CalendarNotice, Composer};
use crate::notifications::outbox::{self, EmailKind};
use crate::scheduling::availability::Interval;
use crate::state::AppState;
use crate::users::model::User;
use crate::users::repo as users_repo;

/// How long an authorization may take at the provider.
const AUTHORIZATION_MINUTES: i64 = 10;
/// Access tokens this close to expiry are refreshed before use.
const REFRESH_MARGIN_SECONDS: i64 = 60;

const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";
const CODE_VERIFIER: &str = "code_verifier";

const RECONNECT_NEEDED: &str =
    "the provider no longer accepts Convene's access; connect the calendar again";

/// Who may see and change `user_id`'s connections: admins, and the user themself.
pub fn may_manage(principal: &crate::auth::Principal, user_id: &str) -> bool {
    principal.is_user(user_id)
        || principal
            .role
            .allows(crate::auth::roles::Permission::ManageUsers)
}

/// Starts connecting `user_id`'s calendar at `provider`: a connection (new, or the existing
/// one when reconnecting) and an authorize URL whose `state` works once, for 10 minutes.
pub async fn start(
    state: &AppState,
    user_id: String,
    provider: Provider,
    actor: Actor,
) -> Result<StartedConnection, ConnectError> {
    let oauth = state.calendars.oauth(provider)?;
    let cipher_state = secret_token();
    let now = state.clock.now();
    let user = {
        let user_id = user_id.clone();
        state
            .db
            .run(move |conn| users_repo::find(conn, &user_id))
            .await?
            .ok_or(ConnectError::UnknownUser)?
    };
    if !user.active {
        return Err(ConnectError::InactiveUser);
    }
    let authorization = oauth.authorize(&cipher_state, Some(&user.email));
    let state_hash = sha256_hex(&cipher_state);
    let sealed_verifier = state.calendars.cipher()?.seal(
        authorization.code_verifier.expose_secret(),
        &Binding {
            owner: &state_hash,
            field: CODE_VERIFIER,
        },
    );
    let connection = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let connection = match repo::of_user_for(conn, &user_id, provider)? {
                    // A working connection keeps working until the new grant arrives.
                    Some(existing) if existing.status() == ConnectionStatus::Active => existing,
                    Some(existing) => repo::mark_pending(conn, &existing.id, now)?,
                    None => repo::insert_pending(conn, &user_id, provider, now)?,
                };
                repo::insert_state(
                    conn,
                    &state_hash,
                    &connection.id,
                    &sealed_verifier,
                    now + Duration::minutes(AUTHORIZATION_MINUTES),
                    now,
                )?;
                audit::record(
                    conn,
                    AuditEntry {
                        actor: &actor,
                        action: "calendar.authorize",
                        entity_type: "calendar_connection",
                        entity_id: &connection.id,
                        from_status: None,
                        to_status: Some(&connection.status),
                        note: Some(provider.as_str()),
                    },
                    now,
                )?;
                Ok::<_, StoreError>(connection)
            })
        })
        .await?;
    Ok(StartedConnection {
        connection: connection.view(),
        authorization_url: authorization.url,
    })
}

/// What the provider sends the browser back with.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Completes an authorization: the state is spent, the code exchanged with the PKCE
/// verifier, the account's email looked up, and the sealed tokens stored.
pub async fn complete(
    state: &AppState,
    provider: Provider,
    query: CallbackQuery,
) -> Result<ConnectionView, ConnectError> {
    let raw_state = query
        .state
        .filter(|raw| !raw.is_empty() && raw.len() <= 512)
        .ok_or(ConnectError::NoState)?;
    let state_hash = sha256_hex(&raw_state);
    let now = state.clock.now();
    let taken = {
        let state_hash = state_hash.clone();
        state
            .db
            .run(move |conn| {
                let Some(taken) = repo::take_state(conn, &state_hash)? else {
                    return Ok(None);
                };
                Ok(repo::find(conn, &taken.connection_id)?.map(|row| (taken, row)))
            })
            .await?
    };
    let (taken, connection) = taken.ok_or(ConnectError::UnknownSignIn)?;
    if connection.provider() != provider || taken.expires_at.and_utc() <= now {
        return Err(ConnectError::UnknownSignIn);
    }
    if let Some(error) = query.error {
        let message = match error.as_str() {
            "access_denied" => "access was declined at the provider".to_owned(),
            _ => format!("the provider refused: {}", one_line(&error)),
        };
        record_error(state, &connection.id, &message, now).await;
        return Err(ConnectError::Refused(message));
    }
    let code = query
        .code
        .filter(|code| !code.is_empty())
        .ok_or(ConnectError::NoCode)?;
    let cipher = state.calendars.cipher()?;
    let verifier = cipher
        .open(
            &taken.sealed_verifier,
            &Binding {
                owner: &state_hash,
                field: CODE_VERIFIER,
            },
        )
        .map_err(|_| ConnectError::UnknownSignIn)?;
    let oauth = state.calendars.oauth(provider)?;
    let grant = match oauth.exchange_code(&code, &verifier, now).await {
        Ok(grant) => grant,
        Err(error) => {
            let message = error.to_string();
            record_error(state, &connection.id, &message, now).await;
            return Err(match error {
                GrantError::Unavailable(_) => ConnectError::ProviderUnavailable(message),
                _ => ConnectError::Refused(message),
            });
        }
    };
    if let Err(message) = check_grant(provider, &grant) {
        record_error(state, &connection.id, &message, now).await;
        return Err(ConnectError::Refused(message));
    }
    let account_email = state
        .calendars
        .api(provider)
        .account_email(&grant.access_token)
        .await
        .map_err(|error| {
            ConnectError::ProviderUnavailable(format!(
                "the account could not be looked up: {error}"
            ))
        })?;
    let sealed = seal_grant(state, &connection.id, &grant)?;
    let scopes = grant.scopes.join(" ");
    let id = connection.id.clone();
    let activated = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                repo::activate(conn, &id, &account_email, &sealed, &scopes, now)?;
                super::writes::resume_for(conn, &connection.user_id, provider, now)?;
                audit::record(
                    conn,
                    AuditEntry {
                        actor: &Actor::User(connection.user_id.clone()),
                        action: "calendar.connect",
                        entity_type: "calendar_connection",
                        entity_id: &id,
                        from_status: Some(&connection.status),
                        to_status: Some(ConnectionStatus::Active.as_str()),
                        note: Some(&account_email),
                    },
                    now,
                )?;
                repo::find(conn, &id)
            })
        })
        .await?
        .ok_or(ConnectError::UnknownSignIn)?;
    Ok(activated.view())
}

/// The granted scopes must include calendar access (Google lets users untick it), and the
/// first exchange must yield a refresh token, without which the connection dies within the
/// hour.
fn check_grant(provider: Provider, grant: &Grant) -> Result<(), String> {
    let calendar_scope = match provider {
        Provider::Google => "https://www.googleapis.com/auth/calendar",
        Provider::Microsoft => "calendars.readwrite",
    };
    if !grant.scopes.is_empty()
        && !grant.scopes.iter().any(|scope| {
            scope
                .to_ascii_lowercase()
                .contains(&calendar_scope.to_ascii_lowercase())
        })
    {
        return Err("calendar access was not granted; connect again and allow it".into());
    }
    if grant.refresh_token.is_none() {
        return Err("the provider granted no offline access (no refresh token)".into());
    }
    Ok(())
}

fn one_line(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

fn seal_grant(state: &AppState, id: &str, grant: &Grant) -> Result<SealedGrant, SetupError> {
    let cipher = state.calendars.cipher()?;
    Ok(SealedGrant {
        access_token: cipher.seal(
            grant.access_token.expose_secret(),
            &Binding {
                owner: id,
                field: ACCESS_TOKEN,
            },
        ),
        refresh_token: grant.refresh_token.as_ref().map(|refresh| {
            cipher.seal(
                refresh.expose_secret(),
                &Binding {
                    owner: id,
                    field: REFRESH_TOKEN,
                },
            )
        }),
        expires_at: grant.expires_at,
    })
}

async fn record_error(state: &AppState, id: &str, message: &str, now: DateTime<Utc>) {
    let (id, message) = (id.to_owned(), message.to_owned());
    if let Err(error) = state
        .db
        .run(move |conn| repo::record_error(conn, &id, &message, now))
        .await
    {
        tracing::warn!(%error, "a calendar connection's error could not be recorded");
    }
}

pub async fn list(state: &AppState, user_id: String) -> Result<Vec<ConnectionView>, ConnectError> {
    let rows = state
        .db
        .run(move |conn| {
            if users_repo::find(conn, &user_id)?.is_none() {
                return Ok(None);
            }
            repo::of_user(conn, &user_id).map(Some)
        })
        .await?
        .ok_or(ConnectError::UnknownUser)?;
    Ok(rows.iter().map(ConnectionRow::view).collect())
}

pub async fn find(state: &AppState, id: String) -> Result<ConnectionRow, ConnectError> {
    state
        .db
        .run(move |conn| repo::find(conn, &id))
        .await?
        .ok_or(ConnectError::UnknownConnection)
}

/// Revokes the grant at the provider (Google; Microsoft has no per-grant revocation) and
/// deletes the connection. A failed revocation is logged, never blocks the disconnect.
pub async fn disconnect(
    state: &AppState,
    connection: ConnectionRow,
    actor: Actor,
) -> Result<(), ConnectError> {
    let provider = connection.provider();
    if let (Some(url), Some(sealed)) = (
        state.calendars.revoke_url(provider),
        connection.refresh_token.as_deref(),
    ) {
        let binding = Binding {
            owner: &connection.id,
            field: REFRESH_TOKEN,
        };
        if let Ok(token) = state.calendars.cipher()?.open(sealed, &binding) {
            // The token goes in the form body, never in a URL that could be logged.
            let revoked = state
                .calendars
                .http()
                .post(url)
                .form(&[("token", token.expose_secret())])
                .send()
                .await;
            match revoked {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => tracing::warn!(
                    connection = %connection.id,
                    status = response.status().as_u16(),
                    "the provider refused to revoke a calendar grant"
                ),
                Err(error) => tracing::warn!(
                    connection = %connection.id,
                    error = %error.without_url(),
                    "a calendar grant could not be revoked"
                ),
            }
        }
    }
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                repo::delete(conn, &connection, now)?;
                audit::record(
                    conn,
                    AuditEntry {
                        actor: &actor,
                        action: "calendar.disconnect",
                        entity_type: "calendar_connection",
                        entity_id: &connection.id,
                        from_status: Some(&connection.status),
                        to_status: None,
                        note: Some(&connection.provider),
                    },
                    now,
                )
            })
        })
        .await?;
    Ok(())
}

/// Why no access token could be had.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TokenError {
    #[error("{RECONNECT_NEEDED}")]
    Revoked,
    #[error("{0}")]
    Unavailable(String),
}

/// A usable access token for connection `id`: the stored one while it has over a minute
/// left (unless `force_refresh`, after a 401), else a refreshed one, stored with any rotated
/// refresh token. A refused refresh marks the connection for reconnecting and emails its user.
pub async fn access_token(
    state: &AppState,
    id: &str,
    force_refresh: bool,
) -> Result<(ConnectionRow, SecretString), TokenError> {
    let lock = state.calendar_refresh_locks.for_connection(id);
    let _held = lock.lock().await;
    let row = load(state, id).await?;
    let cipher = state
        .calendars
        .cipher()
        .map_err(|e| TokenError::Unavailable(e.to_string()))?;
    if row.status() != ConnectionStatus::Active {
        return Err(TokenError::Revoked);
    }
    let now = state.clock.now();
    let usable = row.access_token.as_deref().filter(|_| {
        !force_refresh
            && row
                .access_expires_at
                .is_some_and(|at| at.and_utc() - now > Duration::seconds(REFRESH_MARGIN_SECONDS))
    });
    if let Some(sealed) = usable {
        if let Ok(token) = cipher.open(
            sealed,
            &Binding {
                owner: &row.id,
                field: ACCESS_TOKEN,
            },
        ) {
            return Ok((row, token));
        }
    }
    let Some(sealed_refresh) = row.refresh_token.as_deref() else {
        return Err(TokenError::Revoked);
    };
    let refresh = cipher
        .open(
            sealed_refresh,
            &Binding {
                owner: &row.id,
                field: REFRESH_TOKEN,
            },
        )
        .map_err(|e| TokenError::Unavailable(e.to_string()))?;
    let oauth = state
        .calendars
        .oauth(row.provider())
        .map_err(|e| TokenError::Unavailable(e.to_string()))?;
    match oauth.refresh(&refresh, now).await {
        Ok(grant) => {
            let sealed = seal_grant(state, &row.id, &grant)
                .map_err(|e| TokenError::Unavailable(e.to_string()))?;
            let id = row.id.clone();
            state
                .db
                .run(move |conn| repo::save_refreshed(conn, &id, &sealed, now))
                .await
                .map_err(|e| TokenError::Unavailable(e.to_string()))?;
            Ok((row, grant.access_token))
        }
        Err(GrantError::Revoked(reason)) => {
            // Another instance may have rotated the refresh token a moment ago; only a
            // refusal of the token still stored means the grant is dead.
            let current = load(state, id).await?;
            if current.refresh_token != row.refresh_token {
                return Err(TokenError::Unavailable(
                    "the grant was refreshed elsewhere; try again".into(),
                ));
            }
            revoked(state, &current, &reason).await;
            Err(TokenError::Revoked)
        }
        Err(error) => Err(TokenError::Unavailable(error.to_string())),
    }
}

async fn load(state: &AppState, id: &str) -> Result<ConnectionRow, TokenError> {
    let id = id.to_owned();
    state
        .db
        .run(move |conn| repo::find(conn, &id))
        .await
        .map_err(|e| TokenError::Unavailable(e.to_string()))?
        .ok_or(TokenError::Revoked)
}

/// Marks the connection for reconnecting and, the first time, emails its user.
async fn revoked(state: &AppState, connection: &ConnectionRow, reason: &str) {
    let now = state.clock.now();
    let composer = state.composer();
    let publisher = state.publisher.clone();
    let connection = connection.clone();
    let connection_id = connection.id.clone();
    let reason = one_line(reason);
    let message = format!("{RECONNECT_NEEDED} ({reason})");
    let done = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                if !repo::mark_revoked(conn, &connection.id, &message, now)? {
                    return Ok(false);
                }
                let Some(user) = users_repo::find(conn, &connection.user_id)? else {
                    return Ok(false);
                };
                let incident = format!("{}:{}", connection.id, crate::values::new_id());
                let notice = CalendarNotice {
                    kind: EmailKind::CalendarReconnect,
                    host: &user,
                    calendar: connection.provider().label(),
                    reason: &reason,
                    incident: &incident,
                };
                let email = composer
                    .calendar_notice(&notice, (&user.name, &user.email), now)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                outbox::enqueue(conn, &email, now)?;
                if let Some(failed) = repo::find(conn, &connection.id)? {
                    publisher
                        .publish(
                            conn,
                            EventType::CalendarConnectionFailed,
                            &failed.id,
                            &failed.view(),
                            now,
                        )
                        .map_err(|error| match error {
                            PublishError::Store(error) => error,
                            other => StoreError::Corrupt(other.to_string()),
                        })?;
                }
                Ok::<_, StoreError>(true)
            })
        })
        .await;
    match done {
        Ok(true) => {
            tracing::warn!(%connection_id, "a calendar grant was refused; its user was asked to reconnect");
            state.changes_committed();
        }
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "a refused calendar grant could not be recorded"),
    }
}

/// Calls the provider with a fresh token, refreshing once and trying again after a 401;
/// a second 401 means the grant no longer works.
pub async fn with_token<T, F, Fut>(
    state: &AppState,
    connection_id: &str,
    call: F,
) -> Result<T, CallError>
where
    F: Fn(ConnectionRow, SecretString) -> Fut,
    Fut: std::future::Future<Output = Result<T, ProviderError>>,
{
    let (row, token) = access_token(state, connection_id, false).await?;
    match call(row, token).await {
        Err(ProviderError::Unauthorized) => {
            let (row, token) = access_token(state, connection_id, true).await?;
            match call(row.clone(), token).await {
                Err(ProviderError::Unauthorized) => {
                    revoked(state, &row, "the access token was refused after a refresh").await;
                    Err(CallError::Token(TokenError::Revoked))
                }
                other => other.map_err(CallError::Provider),
            }
        }
        other => other.map_err(CallError::Provider),
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Provider(ProviderError),
}

/// Reads the calendars of `host_ids` whose stored busy times are older than the TTL, all at
/// once, each within the timeout. A calendar that fails is recorded as unreadable (its host
/// then counts as busy) and, once per incident, its host and the managers are told.
pub async fn refresh_readings(state: &AppState, host_ids: Vec<String>) {
    if host_ids.is_empty() {
        return;
    }
    refresh_readings_where(state, move |_| Ok(host_ids)).await;
}

/// As [`refresh_readings`], for the hosts `hosts` finds in the same database task.
pub async fn refresh_readings_where<F>(state: &AppState, hosts: F)
where
    F: FnOnce(&mut DbConnection) -> Result<Vec<String>, StoreError> + Send + 'static,
{
    if !state.calendars.enabled() {
        return;
    }
    let now = state.clock.now();
    let ttl =
        Duration::seconds(i64::try_from(state.calendars.settings.freebusy_ttl_secs).unwrap_or(60));
    let span = Interval {
        start: now - Duration::hours(1),
        end: now + Duration::days(i64::from(state.calendars.settings.freebusy_days)),
    };
    let due = state
        .db
        .run(move |conn| {
            let host_ids = hosts(conn)?;
            let ids: Vec<&str> = host_ids.iter().map(String::as_str).collect();
            Ok(repo::granted_of_users(conn, &ids)?
                .into_iter()
                .filter(|c| c.status() == ConnectionStatus::Active)
                .filter(|c| {
                    c.busy_read_at.is_none_or(|at| now - at.and_utc() >= ttl)
                        || c.busy_to
                            .is_none_or(|to| to.and_utc() < span.end - Duration::days(1))
                })
                .collect::<Vec<_>>())
        })
        .await;
    let due = match due {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "calendar connections could not be listed");
            return;
        }
    };
    let timeout = std::time::Duration::from_millis(state.calendars.settings.freebusy_timeout_ms);
    let reads = due.into_iter().map(|connection| async move {
        let read = tokio::time::timeout(timeout, read_busy(state, &connection, span)).await;
        let outcome = match read {
            Ok(outcome) => outcome,
            Err(_) => Err(format!(
                "the calendar did not answer within {} ms",
                timeout.as_millis()
            )),
        };
        store_reading(state, connection, span, outcome, now).await;
    });
    join_all(reads).await;
}

async fn read_busy(
    state: &AppState,
    connection: &ConnectionRow,
    span: Interval,
) -> Result<Vec<Interval>, String> {
    let api = state.calendars.api(connection.provider());
    let api = &api;
    with_token(state, &connection.id, |row, token| async move {
        let email = row.account_email.clone().unwrap_or_default();
        api.busy(&token, &email, span).await
    })
    .await
    .map_err(|error| error.to_string())
}

async fn store_reading(
    state: &AppState,
    connection: ConnectionRow,
    span: Interval,
    outcome: Result<Vec<Interval>, String>,
    now: DateTime<Utc>,
) {
    let composer = state.composer();
    let alerted = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| match outcome {
                Ok(busy) => {
                    repo::record_reading(conn, &connection, span, &busy, now).map(|()| false)
                }
                Err(message) => {
                    if !repo::record_read_failure(conn, &connection.id, &message, now)? {
                        return Ok(false);
                    }
                    alert_unreadable(conn, &composer, &connection, &message, now)?;
                    Ok(true)
                }
            })
        })
        .await;
    match alerted {
        Ok(true) => state.changes_committed(),
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "a calendar reading could not be stored"),
    }
}

/// Tells the host and every meeting manager, once per incident.
fn alert_unreadable(
    conn: &mut DbConnection,
    composer: &Composer,
    connection: &ConnectionRow,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(host) = users_repo::find(conn, &connection.user_id)? else {
        return Ok(());
    };
    tracing::warn!(connection = %connection.id, reason = %message, "a host's calendar cannot be read; the host counts as busy");
    let mut recipients: Vec<User> = users_repo::active_with_role(conn, Role::MeetingManager)?;
    recipients.retain(|manager| manager.id != host.id);
    recipients.insert(0, host.clone());
    let incident = format!("{}:{}", connection.id, crate::values::new_id());
    let notice = CalendarNotice {
        kind: EmailKind::CalendarUnreadable,
        host: &host,
        calendar: connection.provider().label(),
        reason: message,
        incident: &incident,
    };
    for recipient in &recipients {
        let email = composer
            .calendar_notice(&notice, (&recipient.name, &recipient.email), now)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        outbox::enqueue(conn, &email, now)?;
    }
    Ok(())
}

/// What `convene calendars reseal` did.
pub struct ResealSummary {
    pub connections: usize,
    pub resealed: usize,
}

/// Seals every connection's tokens again under the current key; values already under it are
/// left alone. A value no configured key opens is an error, and nothing of that row changes.
pub fn reseal_all(
    conn: &mut DbConnection,
    cipher: &super::crypto::TokenCipher,
) -> Result<ResealSummary, anyhow::Error> {
    let connections = repo::all(conn)?;
    let mut resealed = 0;
    for connection in &connections {
        let fields = [
            (connection.access_token.as_deref(), ACCESS_TOKEN),
            (connection.refresh_token.as_deref(), REFRESH_TOKEN),
        ];
        if fields
            .iter()
            .all(|(sealed, _)| sealed.is_none_or(|sealed| !cipher.is_stale(sealed)))
        {
            continue;
        }
        let mut fresh = Vec::new();
        for (sealed, field) in fields {
            let binding = Binding {
                owner: &connection.id,
                field,
            };
            fresh.push(match sealed {
                Some(sealed) => {
                    let plain = cipher
                        .open(sealed, &binding)
                        .map_err(|e| anyhow::anyhow!("connection {}: {e}", connection.id))?;
                    Some(cipher.seal(plain.expose_secret(), &binding))
                }
                None => None,
            });
        }
        repo::reseal(
            conn,
            &connection.id,
            fresh[0].as_deref(),
            fresh[1].as_deref(),
        )?;
        resealed += 1;
    }
    Ok(ResealSummary {
        connections: connections.len(),
        resealed,
    })
}
