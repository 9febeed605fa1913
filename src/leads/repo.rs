//! Storage of leads: idempotent intake by external id, else email; filtered, paged lists.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use crate::audit::{self, Actor, AuditEntry};
use crate::db::schema::leads;
use crate::db::{DbConnection, StoreError};
use crate::events::{EventType, Publisher};
use crate::leads::attribution::{fill_groups, Attribution};
use crate::leads::error::LeadStoreError;
use crate::leads::model::{Lead, LeadIntake, LeadQuery, LeadRow};
use crate::leads::scoring::{self, advance_stage, LeadFacts, ScoringRules};
use crate::values::new_id;

diesel::define_sql_function! {
    /// SQL `lower()`: case-insensitive search the same way on SQLite and PostgreSQL.
    fn lower(text: Nullable<Text>) -> Nullable<Text>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Created,
    Updated,
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<Lead>, StoreError> {
    let row = leads::table
        .find(id)
        .select(LeadRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Lead::try_from).transpose()
}

fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<Lead>, StoreError> {
    let row = leads::table
        .filter(leads::email.eq(email))
        .select(LeadRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Lead::try_from).transpose()
}

fn find_by_external_id(
    conn: &mut DbConnection,
    external_id: &str,
) -> Result<Option<Lead>, StoreError> {
    let row = leads::table
        .filter(leads::external_id.eq(external_id))
        .select(LeadRow::as_select())
        .first(conn)
        .optional()?;
    row.map(Lead::try_from).transpose()
}

/// Creates the lead or updates the one it matches (by `external_id`, else by email), scores
/// it, and records the change. Runs inside the caller's transaction.
pub fn upsert(
    conn: &mut DbConnection,
    intake: &LeadIntake,
    rules: &ScoringRules,
    change: &LeadChange<'_>,
) -> Result<(Lead, Intake), LeadStoreError> {
    let by_external_id = match &intake.external_id {
        Some(external_id) => find_by_external_id(conn, external_id)?,
        None => None,
    };
    let by_email = find_by_email(conn, intake.email.as_str())?;
    let existing = match (by_external_id, by_email) {
        (Some(a), Some(b)) if a.id != b.id => {
            return Err(LeadStoreError::Conflict(format!(
                "external_id {} belongs to one lead and email {} to another",
                a.external_id.unwrap_or_default(),
                b.email
            )))
        }
        (Some(lead), _) => Some(lead),
        (None, Some(lead)) => {
            // The same external id can show up here too: under READ COMMITTED a concurrent
            // intake may commit between the two lookups above.
            if let (Some(theirs), Some(ours)) = (&lead.external_id, &intake.external_id) {
                if theirs == ours {
                    return save(conn, Some(lead), intake, rules, change);
                }
                return Err(LeadStoreError::Conflict(format!(
                    "email {} belongs to the lead with external_id {theirs}, not {ours}",
                    lead.email
                )));
            }
            Some(lead)
        }
        (None, None) => None,
    };
    save(conn, existing, intake, rules, change)
}

/// The lead an intake would make of the lead it matches (or of nobody), scored, without saving
/// anything: what a dry run decides on.
pub fn preview(
    conn: &mut DbConnection,
    intake: &LeadIntake,
    rules: &ScoringRules,
    now: DateTime<Utc>,
) -> Result<Lead, StoreError> {
    let existing = match &intake.external_id {
        Some(external_id) => find_by_external_id(conn, external_id)?,
        None => None,
    };
    let existing = match existing {
        Some(lead) => Some(lead),
        None => find_by_email(conn, intake.email.as_str())?,
    };
    Ok(merge(existing, intake, rules, now))
}

/// Gives the lead to `owner_id` (or to nobody), with its audit row. `None` when there is no
/// such lead.
pub fn set_owner(
    conn: &mut DbConnection,
    lead_id: &str,
    owner_id: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<Lead>, StoreError> {
    let changed = diesel::update(leads::table.find(lead_id))
        .set(leads::owner_id.eq(owner_id))
        .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: "lead.owner_changed",
            entity_type: "lead",
            entity_id: lead_id,
            from_status: None,
            to_status: None,
            note: owner_id,
        },
        now,
    )?;
    find(conn, lead_id)
}

/// Who changes a lead, when, and where its events go.
pub struct LeadChange<'a> {
    pub actor: &'a Actor,
    pub publisher: &'a Publisher,
    pub now: DateTime<Utc>,
}

/// Updates the lead a booking link was made for with what the prospect typed in. The lead keeps
/// its email and external id: the link, not the form, says who the lead is.
pub fn update_from_booking(
    conn: &mut DbConnection,
    lead_id: &str,
    intake: &LeadIntake,
    rules: &ScoringRules,
    change: &LeadChange<'_>,
) -> Result<Lead, LeadStoreError> {
    let existing = find(conn, lead_id)?
        .ok_or_else(|| LeadStoreError::Conflict("the lead of this link no longer exists".into()))?;
    let email = crate::values::Email::parse(&existing.email)
        .map_err(|e| StoreError::Corrupt(format!("lead {lead_id}: {e}")))?;
    let intake = LeadIntake {
        email,
        external_id: None,
        ..intake.clone()
    };
    Ok(save(conn, Some(existing), &intake, rules, change)?.0)
}

/// Writes `intake` over `existing` (or as a new lead), scored, with its audit row; an updated
/// lead's requests and meetings take its campaign and source, which the reports read from them.
fn save(
    conn: &mut DbConnection,
    existing: Option<Lead>,
    intake: &LeadIntake,
    rules: &ScoringRules,
    change: &LeadChange<'_>,
) -> Result<(Lead, Intake), LeadStoreError> {
    let LeadChange {
        actor,
        publisher,
        now,
    } = *change;
    let outcome = if existing.is_some() {
        Intake::Updated
    } else {
        Intake::Created
    };
    let before_stage = existing.as_ref().map(|lead| lead.stage);
    let before = existing
        .as_ref()
        .map(|lead| (lead.score, lead.temperature, lead.stage));
    let lead = merge(existing, intake, rules, now);
    let row = LeadRow::from(&lead);
    match outcome {
        Intake::Created => {
            diesel::insert_into(leads::table)
                .values(&row)
                .execute(conn)?;
        }
        Intake::Updated => {
            diesel::update(leads::table.find(&lead.id))
                .set(&row)
                .execute(conn)?;
            crate::workflow::repo::follow_lead(
                conn,
                &lead.id,
                lead.campaign.as_deref(),
                lead.source.as_deref(),
            )?;
        }
    }
    let stage_changed = before_stage != Some(lead.stage);
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: if outcome == Intake::Created {
                "lead.created"
            } else {
                "lead.updated"
            },
            entity_type: "lead",
            entity_id: &lead.id,
            from_status: before_stage.filter(|_| stage_changed).map(|s| s.as_str()),
            to_status: Some(lead.stage.as_str()).filter(|_| stage_changed),
            note: None,
        },
        now,
    )?;
    let event = match outcome {
        Intake::Created => Some(EventType::LeadCreated),
        Intake::Updated if before != Some((lead.score, lead.temperature, lead.stage)) => {
            Some(EventType::LeadUpdated)
        }
        Intake::Updated => None,
    };
    if let Some(event) = event {
        let detail = crate::leads::detail::LeadDetail::read(conn, &lead)?;
        publisher.publish(conn, event, &lead.id, &detail, now)?;
    }
    Ok((lead, outcome))
}

/// The lead after intake: sent fields replace stored ones, attributes merge key by key, a touch
/// is recorded (and lends its campaign and source to a lead without), and the score is
/// recomputed. The stage only moves forward.
fn merge(
    existing: Option<Lead>,
    intake: &LeadIntake,
    rules: &ScoringRules,
    now: DateTime<Utc>,
) -> Lead {
    let mut lead = existing.unwrap_or_else(|| Lead {
        id: new_id(),
        email: intake.email.as_str().to_owned(),
        external_id: None,
        name: intake.name.clone(),
        company: None,
        title: None,
        phone: None,
        source: None,
        campaign: None,
        timezone: None,
        bant: scoring::Bant::default(),
        attributes: serde_json::Map::new(),
        score: 0,
        temperature: scoring::Temperature::Cold,
        stage: scoring::Stage::New,
        score_explanation: Vec::new(),
        created_at: now.naive_utc(),
        updated_at: now.naive_utc(),
        owner_id: None,
        attribution: Attribution::default(),
    });
    lead.email = intake.email.as_str().to_owned();
    lead.name = intake.name.clone();
    let replace = |target: &mut Option<String>, sent: &Option<String>| {
        if sent.is_some() {
            target.clone_from(sent);
        }
    };
    replace(&mut lead.external_id, &intake.external_id);
    replace(&mut lead.company, &intake.company);
    replace(&mut lead.title, &intake.title);
    replace(&mut lead.phone, &intake.phone);
    replace(&mut lead.source, &intake.source);
    replace(&mut lead.campaign, &intake.campaign);
    if let Some(zone) = intake.timezone {
        lead.timezone = Some(zone.name().to_owned());
    }
    if let Some(bant) = intake.bant {
        lead.bant = bant;
    }
    if let Some(attributes) = &intake.attributes {
        lead.attributes.extend(attributes.clone());
    }
    if let Some(touch) = &intake.touch {
        lead.attribution.record(touch, now);
        fill_groups(&mut lead.campaign, &mut lead.source, touch);
    }
    let score = scoring::score(
        rules,
        &LeadFacts {
            bant: Some(&lead.bant),
            title: lead.title.as_deref(),
            source: lead.source.as_deref(),
            campaign: lead.campaign.as_deref(),
            attributes: &lead.attributes,
        },
    );
    lead.score = score.points;
    lead.temperature = score.temperature;
    lead.stage = advance_stage(lead.stage, score.qualified_stage);
    lead.score_explanation = score.explanation;
    lead.updated_at = now.naive_utc();
    lead
}

/// Where a page of the leads list starts: after this creation time and id.
pub fn encode_cursor(lead: &Lead) -> String {
    format!(
        "{}_{}",
        lead.created_at.and_utc().timestamp_micros(),
        lead.id
    )
}

fn decode_cursor(cursor: &str) -> Option<(NaiveDateTime, String)> {
    let (micros, id) = cursor.split_once('_')?;
    let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
    Some((at, id.to_owned()))
}

/// Newest first. An unreadable cursor starts from the beginning.
pub fn list(
    conn: &mut DbConnection,
    filter: &LeadQuery,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Vec<Lead>, StoreError> {
    let mut query = leads::table.select(LeadRow::as_select()).into_boxed();
    if let Some(stage) = filter.stage {
        query = query.filter(leads::stage.eq(stage.as_str()));
    }
    if let Some(temperature) = filter.temperature {
        query = query.filter(leads::temperature.eq(temperature.as_str()));
    }
    if let Some(campaign) = &filter.campaign {
        query = query.filter(leads::campaign.eq(campaign.clone()));
    }
    if let Some(search) = &filter.search {
        let escaped = search
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        query = query.filter(
            lower(leads::name.nullable())
                .like(pattern.clone())
                .escape('\\')
                .or(leads::email.like(pattern.clone()).escape('\\'))
                .or(lower(leads::company).like(pattern).escape('\\')),
        );
    }
    if let Some((at, id)) = cursor.and_then(decode_cursor) {
        query = query.filter(
            leads::created_at
                .lt(at)
                .or(leads::created_at.eq(at).and(leads::id.lt(id))),
        );
    }
    query
        .order((leads::created_at.desc(), leads::id.desc()))
        .limit(limit)
        .load(conn)?
        .into_iter()
        .map(Lead::try_from)
        .collect()
}

/// The distinct campaigns, for filter pickers.
pub fn campaigns(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    Ok(leads::table
        .select(leads::campaign)
        .filter(leads::campaign.is_not_null())
        .distinct()
        .order(leads::campaign.asc())
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456)
            .unwrap()
            .naive_utc();
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let cursor = format!("{}_{id}", at.and_utc().timestamp_micros());
        assert_eq!(decode_cursor(&cursor), Some((at, id.to_owned())));
        assert_eq!(decode_cursor("garbage"), None);
    }
}
