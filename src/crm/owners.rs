//! Owners pulled from the CRM: who owns each person and each company domain there, cached in
//! a table, refreshed on a schedule and on demand, and read by routers that prefer the owner.

use chrono::Duration;

use super::model::CallError;
use super::provider::CrmProvider;
use super::{repo, Crm};
use crate::clock::Clock;
use crate::db::{Database, DbConnection, StoreError};

/// Why owners could not be pulled.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("no CRM is set up (crm.provider)")]
    Off,
    #[error(transparent)]
    Crm(#[from] CallError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Crm {
    /// Pulls every owner now and replaces the cached ones; answers how many were pulled. A
    /// failed pull keeps the cache and records its error.
    pub async fn pull_owners(&self, db: &Database, clock: &dyn Clock) -> Result<usize, PullError> {
        let Some(provider) = self.provider.as_ref() else {
            return Err(PullError::Off);
        };
        let _one_at_a_time = self.pulling.lock().await;
        let name = self.name;
        match provider.pull_owners().await {
            Ok(owners) => {
                let count = owners.len();
                let now = clock.now();
                db.run(move |conn| repo::replace_owners(conn, name, &owners, now))
                    .await?;
                Ok(count)
            }
            Err(error) => {
                let message = error.to_string();
                let now = clock.now().naive_utc();
                db.run(move |conn| repo::note_pull(conn, name, None, Some(&message), now))
                    .await?;
                Err(error.into())
            }
        }
    }

    /// Pulls owners when the last successful pull is older than `crm.owner_refresh_minutes`.
    /// A failed pull is tried again at the next refresh time, not at every round.
    pub async fn refresh_owners_when_due(
        &self,
        db: &Database,
        clock: &dyn Clock,
    ) -> Result<(), PullError> {
        if !self.enabled() || self.settings.owner_refresh_minutes == 0 {
            return Ok(());
        }
        let name = self.name;
        let last = db
            .run(move |conn| repo::last_pull_times(conn, name))
            .await?;
        let every = Duration::minutes(i64::from(self.settings.owner_refresh_minutes));
        let due = match last {
            Some(tried_at) => tried_at.and_utc() + every <= clock.now(),
            None => true,
        };
        if due {
            self.pull_owners(db, clock).await?;
        }
        Ok(())
    }
}

/// The active Convene user who owns `email`'s person in the CRM, else the owner of its
/// company `domain` (for a domain that names a company), matched by email address.
pub fn owner_user(
    conn: &mut DbConnection,
    provider: &str,
    email: &str,
    domain: Option<&str>,
) -> Result<Option<String>, StoreError> {
    if provider.is_empty() {
        return Ok(None);
    }
    let Some(owner_email) = repo::owner_email(conn, provider, email, domain)? else {
        return Ok(None);
    };
    Ok(crate::users::repo::find_by_email(conn, &owner_email)?
        .filter(|user| user.active)
        .map(|user| user.id))
}
