//! The `crm` field of leads, meetings and outcomes in the API: where a record's sync stands.
//! Kept apart from the sync itself so the views that show it depend on nothing else of it.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::crm_records;
use crate::db::{DbConnection, StoreError};

/// A record's copy in the CRM: `null` in the API while no CRM is set up or the record was
/// never queued.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CrmStatus {
    /// `hubspot` or `salesforce`.
    #[schema(example = "hubspot")]
    pub provider: String,
    /// The record's id in the CRM, once created there.
    pub external_id: Option<String>,
    /// When the CRM last took a push of this record.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_optional_utc")]
    pub synced_at: Option<NaiveDateTime>,
    /// `pending`, `synced`, `retrying` or `parked` (refused or out of attempts; retry by hand).
    #[schema(example = "synced")]
    pub status: String,
    /// Why the last push failed; never holds a token.
    pub last_error: Option<String>,
}

#[derive(Queryable)]
struct StatusRow {
    record_id: String,
    provider: String,
    external_id: Option<String>,
    synced_at: Option<NaiveDateTime>,
    status: String,
    last_error: Option<String>,
}

/// The sync state of `kind` records (`person`, `meeting`, `deal`, `note`) with these Convene
/// ids, by id; records never queued are absent. With several CRMs over time, the latest
/// change wins.
pub fn of_records(
    conn: &mut DbConnection,
    kind: &str,
    record_ids: &[String],
) -> Result<HashMap<String, CrmStatus>, StoreError> {
    if record_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<StatusRow> = crm_records::table
        .filter(crm_records::kind.eq(kind))
        .filter(crm_records::record_id.eq_any(record_ids))
        .order(crm_records::updated_at.asc())
        .select((
            crm_records::record_id,
            crm_records::provider,
            crm_records::external_id,
            crm_records::synced_at,
            crm_records::status,
            crm_records::last_error,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.record_id,
                CrmStatus {
                    provider: row.provider,
                    external_id: row.external_id,
                    synced_at: row.synced_at,
                    status: row.status,
                    last_error: row.last_error,
                },
            )
        })
        .collect())
}

/// The sync state of one record.
pub fn of_record(
    conn: &mut DbConnection,
    kind: &str,
    record_id: &str,
) -> Result<Option<CrmStatus>, StoreError> {
    Ok(of_records(conn, kind, &[record_id.to_owned()])?.remove(record_id))
}
