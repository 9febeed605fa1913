//! The audit log: who did what to which record, written in the same transaction as the change.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::audit_log;
use crate::db::{DbConnection, StoreError};
use crate::values::new_id;

/// Who caused a change, as recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    ApiKey(String),
    Prospect,
    System,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::ApiKey(id) => format!("api_key:{id}"),
            Actor::Prospect => "prospect".into(),
            Actor::System => "system".into(),
        }
    }
}

/// The users an audit trail names, by id.
pub fn user_ids(records: &[AuditRecord]) -> Vec<String> {
    let mut ids: Vec<String> = records
        .iter()
        .filter_map(|record| record.actor.strip_prefix("user:"))
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Who an audit row names, in words: the user's name (looked up in `user_names` by id), an API
/// key, the prospect or Convene itself.
pub fn describe_actor(label: &str, user_names: &HashMap<String, String>) -> String {
    if let Some(id) = label.strip_prefix("user:") {
        return user_names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a removed user".to_owned());
    }
    match label {
        "prospect" => "the prospect".to_owned(),
        "system" => "Convene".to_owned(),
        _ if label.starts_with("api_key:") => "an API key".to_owned(),
        other => other.to_owned(),
    }
}

/// One change to record.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub note: Option<&'a str>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
struct NewAuditRow<'a> {
    id: String,
    at: NaiveDateTime,
    actor: String,
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    from_status: Option<&'a str>,
    to_status: Option<&'a str>,
    note: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    #[serde(skip)]
    pub id: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(serialize_with = "crate::values::serialize_utc")]
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    #[serde(skip)]
    pub entity_type: String,
    #[serde(skip)]
    pub entity_id: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: Option<String>,
}

pub fn record(
    conn: &mut DbConnection,
    entry: AuditEntry<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(audit_log::table)
        .values(NewAuditRow {
            id: new_id(),
            at: at.naive_utc(),
            actor: entry.actor.label(),
            action: entry.action,
            entity_type: entry.entity_type,
            entity_id: entry.entity_id,
            from_status: entry.from_status,
            to_status: entry.to_status,
            note: entry.note,
        })
        .execute(conn)?;
    Ok(())
}

/// The trail of one record, oldest first.
pub fn trail(
    conn: &mut DbConnection,
    entity_type: &str,
    entity_id: &str,
) -> Result<Vec<AuditRecord>, StoreError> {
    Ok(audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq(entity_id))
        .order((audit_log::at.asc(), audit_log::id.asc()))
        .select(AuditRecord::as_select())
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_read_as_people_and_roles() {
        let names = HashMap::from([("u1".to_owned(), "Mira Okafor".to_owned())]);
        assert_eq!(describe_actor("user:u1", &names), "Mira Okafor");
        assert_eq!(describe_actor("user:gone", &names), "a removed user");
        assert_eq!(describe_actor("api_key:k1", &names), "an API key");
        assert_eq!(describe_actor("prospect", &names), "the prospect");
        assert_eq!(describe_actor("system", &names), "Convene");
    }
}
