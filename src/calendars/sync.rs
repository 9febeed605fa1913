//! Writing meetings into hosts' calendars. Every change to a scheduled meeting marks its
//! `calendar_events` rows, in the change's own transaction; the worker then creates, patches
//! or deletes each host's event and records the version it wrote. A provider outage or a
//! throttle delays the write (honouring `Retry-After`) but never loses it.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;

use super::providers::{CalendarProvider, EventDetails, ProviderError};
use super::repo;
use super::service::{with_token, CallError, TokenError};
use super::Provider;
use crate::auth::tokens::sha256_hex;
use crate::db::schema::calendar_events;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::meetings::Managed;
use crate::notifications::messages::Composer;
use crate::state::AppState;

/// Rows claimed per round.
pub const BATCH: usize = 20;
/// How long a worker owns the rows it claimed.
const LEASE_SECONDS: i64 = 120;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calendar_events)]
struct EventRow {
    id: String,
    meeting_id: String,
    user_id: String,
    provider: String,
    external_id: Option<String>,
    removed: bool,
    version: i32,
    attempts: i32,
}

/// Claims due rows: each is taken by a conditional update, so two workers never hold one.
/// Every claim counts as an attempt, so a row whose write kills the process still reaches
/// `max_attempts`; such a row, claimed for the last time and never settled, is parked.
fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<Vec<EventRow>, StoreError> {
    let now_naive = now.naive_utc();
    diesel::update(
        calendar_events::table
            .filter(calendar_events::next_attempt_at.le(now_naive))
            .filter(calendar_events::locked_until.lt(now_naive))
            .filter(calendar_events::attempts.ge(max_attempts)),
    )
    .set((
        calendar_events::next_attempt_at.eq(None::<NaiveDateTime>),
        calendar_events::last_error.eq(format!(
            "gave up after {max_attempts} attempts: each ended without a result \
             (the writing process stopped while handling it)"
        )),
        calendar_events::locked_by.eq(None::<String>),
        calendar_events::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    let due: Vec<String> = calendar_events::table
        .filter(calendar_events::next_attempt_at.le(now_naive))
        .filter(
            calendar_events::locked_until
                .is_null()
                .or(calendar_events::locked_until.lt(now_naive)),
        )
        .order(calendar_events::next_attempt_at)
        .limit(BATCH as i64)
        .select(calendar_events::id)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in due {
        let taken = diesel::update(
            calendar_events::table.find(&id).filter(
                calendar_events::locked_until
                    .is_null()
                    .or(calendar_events::locked_until.lt(now_naive)),
            ),
        )
        .set((
            calendar_events::locked_by.eq(worker),
            calendar_events::locked_until.eq(now_naive + Duration::seconds(LEASE_SECONDS)),
            calendar_events::attempts.eq(calendar_events::attempts + 1),
        ))
        .execute(conn)?;
        if taken == 1 {
            claimed.push(
                calendar_events::table
                    .find(&id)
                    .select(EventRow::as_select())
                    .first(conn)?,
            );
        }
    }
    Ok(claimed)
}

/// What one write did.
enum Written {
    /// The calendar now matches the meeting.
    InStep {
        external_id: Option<String>,
        removed: bool,
    },
    /// Try again at this time.
    Later { at: DateTime<Utc>, error: String },
    /// Nothing more can be done until someone acts (reconnects, or the write is refused).
    Parked { error: String },
}

/// One round: claims due rows and brings each calendar in step. Answers how many rows it
/// handled.
pub async fn run(state: &AppState, worker: &str) -> Result<usize, StoreError> {
    if !state.calendars.enabled() {
        return Ok(0);
    }
    let now = state.clock.now();
    let worker_id = worker.to_owned();
    let max_attempts =
        i32::try_from(state.calendars.settings.sync_max_attempts).unwrap_or(i32::MAX);
    let rows = state
        .db
        .run(move |conn| claim(conn, &worker_id, now, max_attempts))
        .await?;
    let count = rows.len();
    for row in rows {
        let meeting_id = row.meeting_id.clone();
        let managed = state
            .db
            .run(move |conn| crate::meetings::find(conn, &meeting_id))
            .await?;
        let written = write(state, &row, managed.as_ref()).await;
        let attempts = row.attempts;
        let written = match written {
            Written::Later { error, .. } if attempts >= max_attempts => Written::Parked {
                error: format!("gave up after {attempts} attempts: {error}"),
            },
            other => other,
        };
        if let Written::Later { error, .. } | Written::Parked { error } = &written {
            tracing::warn!(event = %row.id, %error, "a calendar event could not be written");
        }
        let now = state.clock.now();
        state
            .db
            .run(move |conn| record(conn, &row, written, attempts, now))
            .await?;
    }
    Ok(count)
}

async fn write(state: &AppState, row: &EventRow, managed: Option<&Managed>) -> Written {
    let now = state.clock.now();
    let Ok(provider) = row.provider.parse::<Provider>() else {
        return Written::Parked {
            error: "unknown provider".into(),
        };
    };
    let user_id = row.user_id.clone();
    let connection = state
        .db
        .run(move |conn| repo::of_user_for(conn, &user_id, provider))
        .await;
    let connection = match connection {
        Ok(Some(connection)) if connection.has_grant() => connection,
        Ok(_) => {
            return Written::Parked {
                error: "the calendar is not connected".into(),
            }
        }
        Err(error) => {
            return Written::Later {
                at: now + Duration::seconds(30),
                error: error.to_string(),
            }
        }
    };
    let wanted = managed.filter(|managed| {
        managed.meeting.status == "scheduled"
            && managed.hosts.iter().any(|host| host.id == row.user_id)
    });
    let api = state.calendars.api(provider);
    let api = &api;
    let outcome = match (wanted, &row.external_id) {
        (Some(managed), existing) => {
            let details = event_details(managed, row);
            let details = &details;
            match existing.as_deref().filter(|_| !row.removed) {
                Some(event_id) => {
                    let updated = with_token(state, &connection.id, |_, token| async move {
                        api.update_event(&token, event_id, details).await
                    })
                    .await;
                    match updated {
                        Ok(()) => Ok((Some(event_id.to_owned()), false)),
                        // Deleted in the calendar by hand: put it back.
                        Err(CallError::Provider(ProviderError::Gone)) => {
                            create(state, &connection.id, api, details).await
                        }
                        Err(error) => Err(error),
                    }
                }
                None => create(state, &connection.id, api, details).await,
            }
        }
        (None, Some(event_id)) if !row.removed => {
            with_token(state, &connection.id, |_, token| async move {
                api.delete_event(&token, event_id).await
            })
            .await
            .map(|()| (Some(event_id.clone()), true))
        }
        (None, external_id) => Ok((external_id.clone(), row.removed || external_id.is_some())),
    };
    match outcome {
        Ok((external_id, removed)) => Written::InStep {
            external_id,
            removed,
        },
        Err(error) => retry_or_park(state, row, error, now),
    }
}

async fn create(
    state: &AppState,
    connection_id: &str,
    api: &super::providers::ProviderApi,
    details: &EventDetails,
) -> Result<(Option<String>, bool), CallError> {
    with_token(state, connection_id, |_, token| async move {
        api.create_event(&token, details).await
    })
    .await
    .map(|id| (Some(id), false))
}

fn retry_or_park(
    state: &AppState,
    row: &EventRow,
    error: CallError,
    now: DateTime<Utc>,
) -> Written {
    let settings = &state.calendars.settings;
    let backoff = || {
        let base = settings.sync_retry_base_secs.max(1) as f64;
        let exponent = (row.attempts - 1).clamp(0, 20);
        let capped = (base * 2f64.powi(exponent)).min(settings.sync_retry_max_secs.max(1) as f64);
        let jittered = capped * rand::thread_rng().gen_range(0.5..=1.0);
        Duration::milliseconds((jittered * 1000.0) as i64)
    };
    match error {
        CallError::Token(TokenError::Revoked) => Written::Parked {
            error: "the calendar must be connected again".into(),
        },
        CallError::Token(TokenError::Unavailable(message)) => Written::Later {
            at: now + backoff(),
            error: message,
        },
        CallError::Provider(ProviderError::Throttled { retry_after }) => {
            let wait = retry_after
                .and_then(|wait| Duration::from_std(wait).ok())
                .unwrap_or_else(backoff);
            Written::Later {
                at: now + wait,
                error: "the provider asked to slow down".into(),
            }
        }
        CallError::Provider(
            error @ (ProviderError::Unavailable(_) | ProviderError::Unauthorized),
        ) => Written::Later {
            at: now + backoff(),
            error: error.to_string(),
        },
        CallError::Provider(error) => Written::Parked {
            error: error.to_string(),
        },
    }
}

fn record(
    conn: &mut DbConnection,
    row: &EventRow,
    written: Written,
    attempts: i32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let target = calendar_events::table.find(&row.id);
    let now_naive = now.naive_utc();
    write_transaction(conn, |conn| {
        match written {
            Written::InStep {
                external_id,
                removed,
            } => {
                diesel::update(target)
                    .set((
                        calendar_events::external_id.eq(external_id),
                        calendar_events::removed.eq(removed),
                        calendar_events::synced_version.eq(row.version),
                        calendar_events::attempts.eq(0),
                        calendar_events::last_error.eq(None::<String>),
                        calendar_events::synced_at.eq(now_naive),
                    ))
                    .execute(conn)?;
                // A change made while this write ran bumped the version: keep it due.
                diesel::update(target.filter(calendar_events::version.eq(row.version)))
                    .set(calendar_events::next_attempt_at.eq(None::<NaiveDateTime>))
                    .execute(conn)?;
            }
            Written::Later { at, error } => {
                diesel::update(target)
                    .set((
                        calendar_events::attempts.eq(attempts),
                        calendar_events::last_error.eq(error),
                        calendar_events::next_attempt_at.eq(at.naive_utc()),
                    ))
                    .execute(conn)?;
            }
            Written::Parked { error } => {
                diesel::update(target.filter(calendar_events::version.eq(row.version)))
                    .set(calendar_events::next_attempt_at.eq(None::<NaiveDateTime>))
                    .execute(conn)?;
                diesel::update(target)
                    .set((
                        calendar_events::attempts.eq(attempts),
                        calendar_events::last_error.eq(error),
                    ))
                    .execute(conn)?;
            }
        }
        diesel::update(target)
            .set((
                calendar_events::locked_by.eq(None::<String>),
                calendar_events::locked_until.eq(None::<NaiveDateTime>),
                calendar_events::updated_at.eq(now_naive),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The event for one host: the meeting's name and time, the prospect and other hosts as
/// attendees, and the lead's context as the description.
fn event_details(managed: &Managed, row: &EventRow) -> EventDetails {
    let host = managed.hosts.iter().find(|host| host.id == row.user_id);
    let zone = host.map_or_else(|| managed.zone(), |host| host.timezone);
    let mut attendees = vec![(managed.lead.name.clone(), managed.lead.email.clone())];
    attendees.extend(
        managed
            .hosts
            .iter()
            .filter(|other| other.id != row.user_id)
            .map(|other| (other.name.clone(), other.email.clone())),
    );
    let mut description = vec![format!("Agenda: {}", managed.meeting_type.name)];
    description.extend(Composer::lead_context(
        &managed.lead,
        managed.request.notes.as_deref(),
    ));
    description.push("Scheduled by Convene; invitations were sent by Convene.".into());
    // A re-created event (after one was deleted by hand) needs an id of its own: Google keeps
    // deleted ids reserved.
    let seed = match &row.external_id {
        Some(previous) => format!("{}:{previous}", row.id),
        None => row.id.clone(),
    };
    EventDetails {
        summary: format!("{} with {}", managed.meeting_type.name, managed.lead.name),
        description: description.join("\n"),
        location: managed.meeting.location.clone(),
        start: managed.start(),
        end: managed.end(),
        zone,
        attendees,
        meeting_id: managed.meeting.id.clone(),
        // Hex is within Google's base32hex id alphabet.
        idempotency_key: format!("cv{}", &sha256_hex(&seed)[..40]),
    }
}
