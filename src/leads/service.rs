//! Lead intake: validation, scoring and the idempotent save, retried once when a concurrent
//! intake of the same lead wins the race to insert it.

use crate::audit::Actor;
use crate::db::write_transaction;
use crate::leads::error::LeadStoreError;
use crate::leads::model::{Lead, LeadIntake};
use crate::leads::repo::{self, Intake};
use crate::state::AppState;

pub async fn intake(
    state: &AppState,
    intake: LeadIntake,
    actor: Actor,
) -> Result<(Lead, Intake), LeadStoreError> {
    let rules = state.scoring_rules.clone();
    let publisher = state.publisher.clone();
    let now = state.clock.now();
    let saved = state
        .db
        .run(move |conn| {
            let attempt = |conn: &mut _| {
                write_transaction(conn, |conn| {
                    let change = repo::LeadChange {
                        actor: &actor,
                        publisher: &publisher,
                        now,
                    };
                    repo::upsert(conn, &intake, &rules, &change)
                })
            };
            // Two first intakes of one lead can both find nothing and both insert; the loser
            // sees the unique index refuse it and, retrying, finds the winner's row to update.
            Ok(match attempt(conn) {
                Err(LeadStoreError::Store(error)) if error.is_unique_violation() => attempt(conn),
                other => other,
            })
        })
        .await??;
    state.changes_committed();
    Ok(saved)
}
