//! Storage of meeting types and their hosts.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Actor, AuditEntry};
use crate::db::schema::{meeting_type_hosts, meeting_types};
use crate::db::{DbConnection, StoreError};
use crate::scheduling::meeting_types::{HostMode, MeetingType, MeetingTypeSettings};
use crate::values::new_id;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = meeting_types, treat_none_as_null = true)]
pub(crate) struct MeetingTypeRow {
    pub(crate) id: String,
    slug: String,
    name: String,
    duration_minutes: i32,
    host_mode: String,
    buffer_before_minutes: i32,
    buffer_after_minutes: i32,
    min_notice_minutes: i32,
    max_days_ahead: i32,
    slot_step_minutes: i32,
    max_per_day_per_host: Option<i32>,
    requires_approval: bool,
    auto_approve_min_score: Option<i32>,
    min_lead_score: Option<i32>,
    location: Option<String>,
    survey: bool,
    active: bool,
    round_robin_window_days: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl MeetingTypeRow {
    fn new(
        id: String,
        s: &MeetingTypeSettings,
        created_at: NaiveDateTime,
        updated_at: NaiveDateTime,
    ) -> Self {
        Self {
            id,
            slug: s.slug.clone(),
            name: s.name.clone(),
            duration_minutes: s.duration_minutes,
            host_mode: s.host_mode.as_str().to_owned(),
            buffer_before_minutes: s.buffer_before_minutes,
            buffer_after_minutes: s.buffer_after_minutes,
            min_notice_minutes: s.min_notice_minutes,
            max_days_ahead: s.max_days_ahead,
            slot_step_minutes: s.slot_step_minutes,
            max_per_day_per_host: s.max_per_day_per_host,
            requires_approval: s.requires_approval,
            auto_approve_min_score: s.auto_approve_min_score,
            min_lead_score: s.min_lead_score,
            location: s.location.clone(),
            survey: s.survey,
            active: s.active,
            round_robin_window_days: s.round_robin_window_days,
            created_at,
            updated_at,
        }
    }

    pub(crate) fn into_meeting_type(
        self,
        host_ids: Vec<String>,
    ) -> Result<MeetingType, StoreError> {
        let host_mode = HostMode::parse(&self.host_mode)
            .map_err(|e| StoreError::Corrupt(format!("meeting type {}: {e}", self.id)))?;
        Ok(MeetingType {
            id: self.id,
            slug: self.slug,
            name: self.name,
            duration_minutes: self.duration_minutes,
            host_ids,
            host_mode,
            buffer_before_minutes: self.buffer_before_minutes,
            buffer_after_minutes: self.buffer_after_minutes,
            min_notice_minutes: self.min_notice_minutes,
            max_days_ahead: self.max_days_ahead,
            slot_step_minutes: self.slot_step_minutes,
            max_per_day_per_host: self.max_per_day_per_host,
            requires_approval: self.requires_approval,
            auto_approve_min_score: self.auto_approve_min_score,
            min_lead_score: self.min_lead_score,
            location: self.location,
            survey: self.survey,
            active: self.active,
            round_robin_window_days: self.round_robin_window_days,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn replace_hosts(
    conn: &mut DbConnection,
    meeting_type_id: &str,
    host_ids: &[String],
) -> Result<(), StoreError> {
    diesel::delete(
        meeting_type_hosts::table.filter(meeting_type_hosts::meeting_type_id.eq(meeting_type_id)),
    )
    .execute(conn)?;
    for (position, host_id) in host_ids.iter().enumerate() {
        diesel::insert_into(meeting_type_hosts::table)
            .values((
                meeting_type_hosts::meeting_type_id.eq(meeting_type_id),
                meeting_type_hosts::user_id.eq(host_id),
                meeting_type_hosts::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The hosts of each of `type_ids`, in one query, in their configured order.
pub(crate) fn hosts_of_all(
    conn: &mut DbConnection,
    type_ids: &[&str],
) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
    let rows: Vec<(String, String)> = meeting_type_hosts::table
        .filter(meeting_type_hosts::meeting_type_id.eq_any(type_ids))
        .order((
            meeting_type_hosts::meeting_type_id.asc(),
            meeting_type_hosts::position.asc(),
        ))
        .select((
            meeting_type_hosts::meeting_type_id,
            meeting_type_hosts::user_id,
        ))
        .load(conn)?;
    let mut hosts: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (type_id, host) in rows {
        hosts.entry(type_id).or_default().push(host);
    }
    Ok(hosts)
}

fn hosts_of(conn: &mut DbConnection, meeting_type_id: &str) -> Result<Vec<String>, StoreError> {
    Ok(meeting_type_hosts::table
        .filter(meeting_type_hosts::meeting_type_id.eq(meeting_type_id))
        .order(meeting_type_hosts::position.asc())
        .select(meeting_type_hosts::user_id)
        .load(conn)?)
}

/// Inserts a meeting type with its hosts; runs inside the caller's transaction.
pub fn insert(
    conn: &mut DbConnection,
    settings: &MeetingTypeSettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<MeetingType, StoreError> {
    let row = MeetingTypeRow::new(new_id(), settings, now.naive_utc(), now.naive_utc());
    diesel::insert_into(meeting_types::table)
        .values(&row)
        .execute(conn)?;
    replace_hosts(conn, &row.id, &settings.host_ids)?;
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: "meeting_type.created",
            entity_type: "meeting_type",
            entity_id: &row.id,
            from_status: None,
            to_status: None,
            note: Some(&row.slug),
        },
        now,
    )?;
    row.into_meeting_type(settings.host_ids.clone())
}

/// Replaces a meeting type's settings and hosts; runs inside the caller's transaction.
pub fn update(
    conn: &mut DbConnection,
    existing: &MeetingType,
    settings: &MeetingTypeSettings,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<MeetingType, StoreError> {
    let row = MeetingTypeRow::new(
        existing.id.clone(),
        settings,
        existing.created_at,
        now.naive_utc(),
    );
    diesel::update(meeting_types::table.find(&existing.id))
        .set(&row)
        .execute(conn)?;
    replace_hosts(conn, &row.id, &settings.host_ids)?;
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: "meeting_type.updated",
            entity_type: "meeting_type",
            entity_id: &row.id,
            from_status: None,
            to_status: None,
            note: None,
        },
        now,
    )?;
    row.into_meeting_type(settings.host_ids.clone())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<MeetingType>, StoreError> {
    // By primary key; `first` would add a bound `LIMIT ?`, for which SQLite prepares the
    // statement again on every run.
    let row: Option<MeetingTypeRow> = meeting_types::table
        .find(id)
        .select(MeetingTypeRow::as_select())
        .get_result(conn)
        .optional()?;
    row.map(|row| {
        let hosts = hosts_of(conn, &row.id)?;
        row.into_meeting_type(hosts)
    })
    .transpose()
}

/// All meeting types ordered by name.
pub fn list(conn: &mut DbConnection) -> Result<Vec<MeetingType>, StoreError> {
    let rows: Vec<MeetingTypeRow> = meeting_types::table
        .order((meeting_types::name.asc(), meeting_types::id.asc()))
        .select(MeetingTypeRow::as_select())
        .load(conn)?;
    let hosts: Vec<(String, String)> = meeting_type_hosts::table
        .order((
            meeting_type_hosts::meeting_type_id.asc(),
            meeting_type_hosts::position.asc(),
        ))
        .select((
            meeting_type_hosts::meeting_type_id,
            meeting_type_hosts::user_id,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let host_ids = hosts
                .iter()
                .filter(|(type_id, _)| *type_id == row.id)
                .map(|(_, user)| user.clone())
                .collect();
            row.into_meeting_type(host_ids)
        })
        .collect()
}
