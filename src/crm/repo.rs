//! Storing CRM sync: one row per record and CRM, marked on every change, claimed under a
//! lease, settled with the push's result; and the owners pulled from the CRM.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::model::{RecordKind, SyncStatus};
use super::provider::OwnerEntry;
use crate::db::schema::{crm_owner_pulls, crm_owners, crm_records};
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::values::new_id;

/// Rows considered per claim; the ones whose person is not in the CRM yet wait.
pub const BATCH: i64 = 20;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crm_records)]
pub struct SyncRow {
    pub id: String,
    pub provider: String,
    pub kind: String,
    pub record_id: String,
    pub lead_id: String,
    pub external_id: Option<String>,
    pub external_type: Option<String>,
    pub status: String,
    pub version: i32,
    pub synced_version: i32,
    pub attempts: i32,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub synced_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

impl SyncRow {
    pub fn kind(&self) -> Option<RecordKind> {
        RecordKind::parse(&self.kind)
    }
}

/// Marks `record_id` changed: due now, one version further, with a fresh set of attempts.
pub fn mark_changed(
    conn: &mut DbConnection,
    provider: &str,
    kind: RecordKind,
    record_id: &str,
    lead_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    mark(conn, provider, kind, record_id, lead_id, now, false)
}

/// Marks `record_id` changed when it has been queued before; a record the CRM was never told
/// about stays unknown to it.
pub fn mark_changed_if_known(
    conn: &mut DbConnection,
    provider: &str,
    kind: RecordKind,
    record_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    mark(conn, provider, kind, record_id, "", now, true)
}

fn mark(
    conn: &mut DbConnection,
    provider: &str,
    kind: RecordKind,
    record_id: &str,
    lead_id: &str,
    now: DateTime<Utc>,
    only_if_known: bool,
) -> Result<(), StoreError> {
    let now = now.naive_utc();
    let changed = diesel::update(
        crm_records::table
            .filter(crm_records::provider.eq(provider))
            .filter(crm_records::kind.eq(kind.as_str()))
            .filter(crm_records::record_id.eq(record_id)),
    )
    .set((
        crm_records::version.eq(crm_records::version + 1),
        crm_records::status.eq(SyncStatus::Pending.as_str()),
        crm_records::attempts.eq(0),
        crm_records::next_attempt_at.eq(Some(now)),
        crm_records::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 && !only_if_known {
        insert(conn, provider, kind, record_id, lead_id, now)?;
    }
    Ok(())
}

/// Makes sure `record_id` has a row, leaving an existing one as it is.
pub fn ensure(
    conn: &mut DbConnection,
    provider: &str,
    kind: RecordKind,
    record_id: &str,
    lead_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let exists = crm_records::table
        .filter(crm_records::provider.eq(provider))
        .filter(crm_records::kind.eq(kind.as_str()))
        .filter(crm_records::record_id.eq(record_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if !exists {
        insert(conn, provider, kind, record_id, lead_id, now.naive_utc())?;
    }
    Ok(())
}

fn insert(
    conn: &mut DbConnection,
    provider: &str,
    kind: RecordKind,
    record_id: &str,
    lead_id: &str,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::insert_into(crm_records::table)
        .values((
            crm_records::id.eq(new_id()),
            crm_records::provider.eq(provider),
            crm_records::kind.eq(kind.as_str()),
            crm_records::record_id.eq(record_id),
            crm_records::lead_id.eq(lead_id),
            crm_records::status.eq(SyncStatus::Pending.as_str()),
            crm_records::version.eq(1),
            crm_records::synced_version.eq(0),
            crm_records::attempts.eq(0),
            crm_records::next_attempt_at.eq(Some(now)),
            crm_records::created_at.eq(now),
            crm_records::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims due rows of `provider`, each by a conditional update so two instances never hold
/// the same one, counting the claim as an attempt. A meeting, deal or note waits until its
/// person is in the CRM, and is left out of the query meanwhile, so waiting rows never crowd
/// out the ones that can go.
pub fn claim_due(
    conn: &mut DbConnection,
    provider: &str,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<Vec<SyncRow>, StoreError> {
    let now = now.naive_utc();
    let people = diesel::alias!(crm_records as people);
    let people_in_crm = people
        .filter(people.field(crm_records::provider).eq(provider))
        .filter(
            people
                .field(crm_records::kind)
                .eq(RecordKind::Person.as_str()),
        )
        .filter(people.field(crm_records::external_id).is_not_null())
        .select(people.field(crm_records::lead_id));
    let due: Vec<SyncRow> = crm_records::table
        .filter(crm_records::provider.eq(provider))
        .filter(crm_records::next_attempt_at.le(now))
        .filter(
            crm_records::locked_until
                .is_null()
                .or(crm_records::locked_until.lt(now)),
        )
        .filter(
            crm_records::kind
                .eq(RecordKind::Person.as_str())
                .or(crm_records::lead_id.eq_any(people_in_crm)),
        )
        .order((crm_records::next_attempt_at.asc(), crm_records::id.asc()))
        .limit(BATCH)
        .select(SyncRow::as_select())
        .load(conn)?;
    let mut claimed = Vec::new();
    for row in due {
        let taken = diesel::update(
            crm_records::table.find(&row.id).filter(
                crm_records::locked_until
                    .is_null()
                    .or(crm_records::locked_until.lt(now)),
            ),
        )
        .set((
            crm_records::locked_by.eq(worker),
            crm_records::locked_until.eq(now + lease),
            crm_records::attempts.eq(crm_records::attempts + 1),
        ))
        .execute(conn)?;
        if taken == 1 {
            claimed.push(
                crm_records::table
                    .find(&row.id)
                    .select(SyncRow::as_select())
                    .first(conn)?,
            );
        }
    }
    Ok(claimed)
}

/// The person row of `lead_id` in `provider`.
pub fn person_of(
    conn: &mut DbConnection,
    provider: &str,
    lead_id: &str,
) -> Result<Option<SyncRow>, StoreError> {
    Ok(crm_records::table
        .filter(crm_records::provider.eq(provider))
        .filter(crm_records::kind.eq(RecordKind::Person.as_str()))
        .filter(crm_records::record_id.eq(lead_id))
        .select(SyncRow::as_select())
        .first(conn)
        .optional()?)
}

/// What one push came to.
pub enum Settlement {
    /// The CRM holds version `version` of the record under this id.
    Pushed {
        version: i32,
        external_id: String,
        external_type: Option<String>,
    },
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Park {
        error: String,
    },
}

/// Records a push's result, if `worker` still holds the row. A row changed while it was being
/// pushed stays due, so its newer version follows.
pub fn settle(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    settlement: Settlement,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let now = now.naive_utc();
    write_transaction(conn, |conn| {
        let held = crm_records::table
            .find(id)
            .filter(crm_records::locked_by.eq(worker));
        let unlock = (
            crm_records::locked_by.eq(None::<String>),
            crm_records::locked_until.eq(None::<NaiveDateTime>),
            crm_records::updated_at.eq(now),
        );
        let settled = match settlement {
            Settlement::Pushed {
                version,
                external_id,
                external_type,
            } => {
                let done = diesel::update(held)
                    .set((
                        unlock,
                        crm_records::external_id.eq(Some(external_id)),
                        crm_records::external_type.eq(external_type),
                        crm_records::synced_version.eq(version),
                        crm_records::synced_at.eq(Some(now)),
                        crm_records::last_error.eq(None::<String>),
                    ))
                    .execute(conn)?;
                diesel::update(
                    crm_records::table
                        .find(id)
                        .filter(crm_records::version.eq(crm_records::synced_version)),
                )
                .set((
                    crm_records::status.eq(SyncStatus::Synced.as_str()),
                    crm_records::attempts.eq(0),
                    crm_records::next_attempt_at.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
                done
            }
            Settlement::Retry { at, error } => diesel::update(held)
                .set((
                    unlock,
                    crm_records::status.eq(SyncStatus::Retrying.as_str()),
                    crm_records::next_attempt_at.eq(Some(at.naive_utc())),
                    crm_records::last_error.eq(Some(error)),
                ))
                .execute(conn)?,
            Settlement::Park { error } => diesel::update(held)
                .set((
                    unlock,
                    crm_records::status.eq(SyncStatus::Parked.as_str()),
                    crm_records::next_attempt_at.eq(None::<NaiveDateTime>),
                    crm_records::last_error.eq(Some(error)),
                ))
                .execute(conn)?,
        };
        Ok(settled == 1)
    })
}

/// Rows claimed as often as allowed whose last claim never settled (the pushing process
/// stopped): parked, so they wait for a person instead of being claimed for ever.
pub fn park_abandoned(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<usize, StoreError> {
    let now = now.naive_utc();
    Ok(diesel::update(
        crm_records::table
            .filter(crm_records::next_attempt_at.le(now))
            .filter(crm_records::locked_until.lt(now))
            .filter(crm_records::attempts.ge(max_attempts)),
    )
    .set((
        crm_records::status.eq(SyncStatus::Parked.as_str()),
        crm_records::next_attempt_at.eq(None::<NaiveDateTime>),
        crm_records::last_error.eq(format!(
            "gave up after {max_attempts} attempts: each ended without a result \
             (the pushing process stopped while handling it)"
        )),
        crm_records::locked_by.eq(None::<String>),
        crm_records::locked_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<SyncRow>, StoreError> {
    Ok(crm_records::table
        .find(id)
        .select(SyncRow::as_select())
        .first(conn)
        .optional()?)
}

/// Rows of `provider`, of `status` when given, most recently changed first, after the cursor
/// (a row id, with the rows of the same change time ordered by id).
pub fn list(
    conn: &mut DbConnection,
    provider: &str,
    status: Option<SyncStatus>,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<SyncRow>, StoreError> {
    let mut query = crm_records::table
        .filter(crm_records::provider.eq(provider.to_owned()))
        .select(SyncRow::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(crm_records::status.eq(status.as_str()));
    }
    if let Some(cursor) = cursor {
        query = query.filter(crm_records::id.lt(cursor.to_owned()));
    }
    Ok(query
        .order(crm_records::id.desc())
        .limit(limit)
        .load(conn)?)
}

/// Makes a parked or retrying row due now with a fresh set of attempts; false while an
/// instance is pushing it, or when it is already in step.
pub fn retry(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let now = now.naive_utc();
    let changed = diesel::update(
        crm_records::table
            .find(id)
            .filter(crm_records::status.ne(SyncStatus::Synced.as_str()))
            .filter(
                crm_records::locked_until
                    .is_null()
                    .or(crm_records::locked_until.lt(now)),
            ),
    )
    .set((
        crm_records::status.eq(SyncStatus::Pending.as_str()),
        crm_records::attempts.eq(0),
        crm_records::next_attempt_at.eq(Some(now)),
        crm_records::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Every parked row of `provider` due now again; answers how many.
pub fn retry_all_parked(
    conn: &mut DbConnection,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let now = now.naive_utc();
    Ok(diesel::update(
        crm_records::table
            .filter(crm_records::provider.eq(provider))
            .filter(crm_records::status.eq(SyncStatus::Parked.as_str())),
    )
    .set((
        crm_records::status.eq(SyncStatus::Pending.as_str()),
        crm_records::attempts.eq(0),
        crm_records::next_attempt_at.eq(Some(now)),
        crm_records::updated_at.eq(now),
    ))
    .execute(conn)?)
}

/// How many rows of `provider` are in each status.
pub fn counts(conn: &mut DbConnection, provider: &str) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(crm_records::table
        .filter(crm_records::provider.eq(provider))
        .group_by(crm_records::status)
        .select((crm_records::status, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Replaces the owners of `provider` with those just pulled, and notes the pull.
pub fn replace_owners(
    conn: &mut DbConnection,
    provider: &str,
    owners: &[OwnerEntry],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = now.naive_utc();
    write_transaction(conn, |conn| {
        diesel::delete(crm_owners::table.filter(crm_owners::provider.eq(provider)))
            .execute(conn)?;
        let mut seen = std::collections::HashSet::new();
        for owner in owners {
            if !seen.insert((owner.kind, owner.key.as_str())) {
                continue;
            }
            diesel::insert_into(crm_owners::table)
                .values((
                    crm_owners::provider.eq(provider),
                    crm_owners::kind.eq(owner.kind),
                    crm_owners::match_key.eq(&owner.key),
                    crm_owners::owner_email.eq(&owner.owner_email),
                    crm_owners::refreshed_at.eq(now),
                ))
                .execute(conn)?;
        }
        note_pull(conn, provider, Some(now), None, now)
    })
}

/// Records a pull: its time when it worked, its error when it did not.
pub fn note_pull(
    conn: &mut DbConnection,
    provider: &str,
    pulled_at: Option<NaiveDateTime>,
    error: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let updated = match pulled_at {
        Some(at) => diesel::update(crm_owner_pulls::table.find(provider))
            .set((
                crm_owner_pulls::pulled_at.eq(Some(at)),
                crm_owner_pulls::last_error.eq(None::<String>),
                crm_owner_pulls::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(crm_owner_pulls::table.find(provider))
            .set((
                crm_owner_pulls::last_error.eq(error),
                crm_owner_pulls::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    if updated == 0 {
        diesel::insert_into(crm_owner_pulls::table)
            .values((
                crm_owner_pulls::provider.eq(provider),
                crm_owner_pulls::pulled_at.eq(pulled_at),
                crm_owner_pulls::last_error.eq(error),
                crm_owner_pulls::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The last pull of owners: when one last worked, and the error of the last that failed.
#[derive(Debug, Default, Queryable)]
pub struct OwnerPull {
    pub pulled_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn last_pull(conn: &mut DbConnection, provider: &str) -> Result<Option<OwnerPull>, StoreError> {
    Ok(crm_owner_pulls::table
        .find(provider)
        .select((crm_owner_pulls::pulled_at, crm_owner_pulls::last_error))
        .first(conn)
        .optional()?)
}

/// The CRM owner's email of the person `email`, else of the company `domain`.
pub fn owner_email(
    conn: &mut DbConnection,
    provider: &str,
    email: &str,
    domain: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let by_email = crm_owners::table
        .filter(crm_owners::provider.eq(provider))
        .filter(crm_owners::kind.eq("email"))
        .filter(crm_owners::match_key.eq(email.to_lowercase()))
        .select(crm_owners::owner_email)
        .first::<String>(conn)
        .optional()?;
    if by_email.is_some() {
        return Ok(by_email);
    }
    let Some(domain) = domain else {
        return Ok(None);
    };
    Ok(crm_owners::table
        .filter(crm_owners::provider.eq(provider))
        .filter(crm_owners::kind.eq("domain"))
        .filter(crm_owners::match_key.eq(domain.to_lowercase()))
        .select(crm_owners::owner_email)
        .first::<String>(conn)
        .optional()?)
}

/// When owners of `provider` were last pulled or tried.
pub fn last_pull_times(
    conn: &mut DbConnection,
    provider: &str,
) -> Result<Option<NaiveDateTime>, StoreError> {
    Ok(crm_owner_pulls::table
        .find(provider)
        .select(crm_owner_pulls::updated_at)
        .first(conn)
        .optional()?)
}

/// The rows of `provider` whose last push failed (parked or waiting for a retry), most
/// recently changed first.
pub fn failing(
    conn: &mut DbConnection,
    provider: &str,
    limit: i64,
) -> Result<Vec<SyncRow>, StoreError> {
    Ok(crm_records::table
        .filter(crm_records::provider.eq(provider))
        .filter(
            crm_records::status
                .eq_any([SyncStatus::Parked.as_str(), SyncStatus::Retrying.as_str()]),
        )
        .order((crm_records::updated_at.desc(), crm_records::id.desc()))
        .limit(limit)
        .select(SyncRow::as_select())
        .load(conn)?)
}
