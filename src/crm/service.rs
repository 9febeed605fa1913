//! What the CRM API and admin page ask of CRM sync: its state, its records, a retry by
//! hand, a pull of owners now.

use chrono::NaiveDateTime;

use super::error::CrmError;
use super::model::SyncStatus;
use super::repo::{self, SyncRow};
use crate::state::AppState;

/// CRM sync at a glance.
pub struct Overview {
    pub provider: &'static str,
    /// Rows per status, in `SyncStatus::ALL` order.
    pub counts: Vec<(SyncStatus, i64)>,
    pub owners_pulled_at: Option<NaiveDateTime>,
    pub owners_last_error: Option<String>,
    /// The most recently changed records whose last push failed, with their errors.
    pub failing: Vec<SyncRow>,
}

impl Overview {
    pub fn count(&self, status: SyncStatus) -> i64 {
        self.counts
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }
}

pub async fn overview(state: &AppState, failing_shown: i64) -> Result<Overview, CrmError> {
    let provider = state.crm.name;
    let (counts, pull, failing) = state
        .db
        .run(move |conn| {
            Ok((
                repo::counts(conn, provider)?,
                repo::last_pull(conn, provider)?,
                repo::failing(conn, provider, failing_shown)?,
            ))
        })
        .await?;
    let counts = SyncStatus::ALL
        .into_iter()
        .map(|status| {
            let count = counts
                .iter()
                .filter(|(s, _)| s == status.as_str())
                .map(|(_, n)| *n)
                .sum();
            (status, count)
        })
        .collect();
    let pull = pull.unwrap_or_default();
    Ok(Overview {
        provider,
        counts,
        owners_pulled_at: pull.pulled_at,
        owners_last_error: pull.last_error,
        failing,
    })
}

pub fn parse_status(raw: Option<&str>) -> Result<Option<SyncStatus>, CrmError> {
    match raw.filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => SyncStatus::parse(raw).map(Some).ok_or_else(|| {
            let mut errors = crate::field_errors::FieldErrors::new();
            errors.add("status", "must be pending, synced, retrying or parked");
            CrmError::Invalid(errors)
        }),
    }
}

/// A page cursor: the id of the last record of the previous page.
pub fn parse_cursor(raw: Option<&str>) -> Result<Option<String>, CrmError> {
    match raw.filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) if crate::values::is_id(raw) => Ok(Some(raw.to_owned())),
        Some(_) => {
            let mut errors = crate::field_errors::FieldErrors::new();
            errors.add("cursor", "must be a next_cursor this list gave");
            Err(CrmError::Invalid(errors))
        }
    }
}

pub async fn records(
    state: &AppState,
    status: Option<SyncStatus>,
    cursor: Option<String>,
    limit: i64,
) -> Result<Vec<SyncRow>, CrmError> {
    let provider = state.crm.name;
    Ok(state
        .db
        .run(move |conn| repo::list(conn, provider, status, cursor.as_deref(), limit))
        .await?)
}

/// Makes a parked or retrying record due now, with a fresh set of attempts.
pub async fn retry(state: &AppState, id: &str) -> Result<SyncRow, CrmError> {
    if !state.crm.enabled() {
        return Err(CrmError::Off);
    }
    if !crate::values::is_id(id) {
        return Err(CrmError::NotFound);
    }
    let id = id.to_owned();
    let now = state.clock.now();
    let provider = state.crm.name;
    let (retried, row) = state
        .db
        .run(move |conn| {
            let retried = repo::retry(conn, &id, now)?;
            Ok((retried, repo::find(conn, &id)?))
        })
        .await?;
    let row = row
        .filter(|row| row.provider == provider)
        .ok_or(CrmError::NotFound)?;
    if !retried {
        return Err(CrmError::NotRetryable);
    }
    state.crm.update_gauges(&state.db).await?;
    Ok(row)
}

/// Every parked record due now again; answers how many.
pub async fn retry_all_parked(state: &AppState) -> Result<usize, CrmError> {
    if !state.crm.enabled() {
        return Err(CrmError::Off);
    }
    let now = state.clock.now();
    let provider = state.crm.name;
    let retried = state
        .db
        .run(move |conn| repo::retry_all_parked(conn, provider, now))
        .await?;
    state.crm.update_gauges(&state.db).await?;
    Ok(retried)
}

/// Pulls the owners now; answers how many.
pub async fn refresh_owners(state: &AppState) -> Result<usize, CrmError> {
    Ok(state
        .crm
        .pull_owners(&state.db, state.clock.as_ref())
        .await?)
}
