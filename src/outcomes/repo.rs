//! Storage of outcomes, opportunities and their stage history. Writes run inside the caller's
//! transaction, next to the workflow transition they belong to.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::audit::Actor;
use crate::db::schema::{meeting_outcomes, meetings, opportunities, opportunity_stage_changes};
use crate::db::{DbConnection, StoreError};
use crate::outcomes::model::{
    NewOpportunity, OpportunityView, OutcomeView, RecordOutcome, StageChangeView,
};
use crate::outcomes::money::{format_minor, Currency};
use crate::values::new_id;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meeting_outcomes)]
struct OutcomeRow {
    status: String,
    notes: Option<String>,
    next_step: Option<String>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opportunities)]
struct OpportunityRow {
    id: String,
    amount_minor: i64,
    currency: String,
    stage: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = opportunity_stage_changes)]
struct StageChangeRow {
    stage: String,
    amount_minor: i64,
    currency: String,
    changed_by: String,
    changed_at: NaiveDateTime,
}

fn decimal(minor: i64, currency: &str) -> String {
    let decimals = Currency::parse(currency).map_or(2, |c| c.decimals());
    format_minor(minor, decimals)
}

/// Sets the meeting's status to follow its outcome, if it is still `from`; false when someone
/// changed it meanwhile.
pub fn set_meeting_status(
    conn: &mut DbConnection,
    meeting_id: &str,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let changed = diesel::update(
        meetings::table
            .filter(meetings::id.eq(meeting_id))
            .filter(meetings::status.eq(from)),
    )
    .set((
        meetings::status.eq(to),
        meetings::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Writes the outcome (replacing an earlier one) and, when given, the opportunity.
pub fn save(
    conn: &mut DbConnection,
    meeting_id: &str,
    outcome: &RecordOutcome,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let values = (
        meeting_outcomes::status.eq(outcome.status.as_str()),
        meeting_outcomes::notes.eq(outcome.notes.as_deref()),
        meeting_outcomes::next_step.eq(outcome.next_step.as_deref()),
        meeting_outcomes::recorded_by.eq(actor.label()),
        meeting_outcomes::recorded_at.eq(now.naive_utc()),
    );
    let updated = diesel::update(meeting_outcomes::table.find(meeting_id))
        .set(values.clone())
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(meeting_outcomes::table)
            .values((meeting_outcomes::meeting_id.eq(meeting_id), values))
            .execute(conn)?;
    }
    if let Some(opportunity) = &outcome.opportunity {
        save_opportunity(conn, meeting_id, opportunity, actor, now)?;
    }
    Ok(())
}

/// Creates the meeting's opportunity or moves it on; each change adds a history row, and a
/// repeat of the same values adds none.
fn save_opportunity(
    conn: &mut DbConnection,
    meeting_id: &str,
    opportunity: &NewOpportunity,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let existing: Option<OpportunityRow> = opportunities::table
        .filter(opportunities::meeting_id.eq(meeting_id))
        .select(OpportunityRow::as_select())
        .first(conn)
        .optional()?;
    let amount = opportunity.amount.minor();
    let currency = opportunity.amount.currency().as_str();
    let stage = opportunity.stage.as_str();
    let id = match existing {
        Some(row)
            if row.amount_minor == amount && row.currency == currency && row.stage == stage =>
        {
            return Ok(())
        }
        Some(row) => {
            diesel::update(opportunities::table.find(&row.id))
                .set((
                    opportunities::amount_minor.eq(amount),
                    opportunities::currency.eq(currency),
                    opportunities::stage.eq(stage),
                    opportunities::updated_at.eq(now.naive_utc()),
                ))
                .execute(conn)?;
            row.id
        }
        None => {
            let id = new_id();
            diesel::insert_into(opportunities::table)
                .values((
                    opportunities::id.eq(&id),
                    opportunities::meeting_id.eq(meeting_id),
                    opportunities::amount_minor.eq(amount),
                    opportunities::currency.eq(currency),
                    opportunities::stage.eq(stage),
                    opportunities::created_at.eq(now.naive_utc()),
                    opportunities::updated_at.eq(now.naive_utc()),
                ))
                .execute(conn)?;
            id
        }
    };
    diesel::insert_into(opportunity_stage_changes::table)
        .values((
            opportunity_stage_changes::id.eq(new_id()),
            opportunity_stage_changes::opportunity_id.eq(&id),
            opportunity_stage_changes::stage.eq(stage),
            opportunity_stage_changes::amount_minor.eq(amount),
            opportunity_stage_changes::currency.eq(currency),
            opportunity_stage_changes::changed_by.eq(actor.label()),
            opportunity_stage_changes::changed_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The recorded outcome of a meeting with its opportunity and history; `None` when nothing
/// was recorded.
pub fn find(conn: &mut DbConnection, meeting_id: &str) -> Result<Option<OutcomeView>, StoreError> {
    let Some(outcome) = meeting_outcomes::table
        .find(meeting_id)
        .select(OutcomeRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let opportunity: Option<OpportunityRow> = opportunities::table
        .filter(opportunities::meeting_id.eq(meeting_id))
        .select(OpportunityRow::as_select())
        .first(conn)
        .optional()?;
    let opportunity = match opportunity {
        Some(row) => {
            let history: Vec<StageChangeRow> = opportunity_stage_changes::table
                .filter(opportunity_stage_changes::opportunity_id.eq(&row.id))
                .order((
                    opportunity_stage_changes::changed_at.asc(),
                    opportunity_stage_changes::id.asc(),
                ))
                .select(StageChangeRow::as_select())
                .load(conn)?;
            Some(OpportunityView {
                amount: decimal(row.amount_minor, &row.currency),
                id: row.id,
                currency: row.currency,
                stage: row.stage,
                history: history
                    .into_iter()
                    .map(|change| StageChangeView {
                        amount: decimal(change.amount_minor, &change.currency),
                        stage: change.stage,
                        currency: change.currency,
                        at: change.changed_at,
                        by: change.changed_by,
                    })
                    .collect(),
            })
        }
        None => None,
    };
    let status = match outcome.status.as_str() {
        "held" => "held",
        "no_show" => "no_show",
        other => {
            return Err(StoreError::Corrupt(format!(
                "meeting {meeting_id} has outcome {other:?}"
            )))
        }
    };
    Ok(Some(OutcomeView {
        status,
        notes: outcome.notes,
        next_step: outcome.next_step,
        recorded_at: Some(outcome.recorded_at),
        recorded_by: Some(outcome.recorded_by),
        opportunity,
        crm: crate::crm::status::of_record(conn, "deal", meeting_id)?,
    }))
}
