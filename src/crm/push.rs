//! Pushing changes: claim due rows, read each record as it now is, hand it to the CRM, and
//! settle the row with the CRM's id, a retry time or a parked error. Rows of one record are
//! one row, so a push always carries the latest state and never overtakes an earlier one.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::model::{
    crm_stage, next_step, CallError, DealFacts, MeetingFacts, MeetingState, NextStep, NoteFacts,
    PersonFacts, PersonRef, RecordKind,
};
use super::provider::CrmProvider;
use super::repo::{self, Settlement, SyncRow};
use super::Crm;
use crate::clock::Clock;
use crate::db::schema::{opportunities, survey_responses};
use crate::db::{DbConnection, StoreError};
use crate::outcomes::money::format_minor;
use crate::outcomes::money::Currency;

/// A record as the CRM gets it, read when its row is pushed.
enum Facts {
    Person(PersonFacts),
    Meeting(MeetingFacts),
    Deal(DealFacts),
    Note(NoteFacts),
}

/// What a claimed row needs: the record, and (for all but people) where its person is.
struct Loaded {
    facts: Facts,
    person: Option<PersonRef>,
}

impl Crm {
    /// One round: parks rows abandoned mid-push, claims due rows and pushes each. Answers how
    /// many rows it handled.
    pub async fn push_due(
        &self,
        db: &crate::db::Database,
        clock: &dyn Clock,
    ) -> Result<usize, StoreError> {
        let Some(provider) = self.provider.as_ref() else {
            return Ok(0);
        };
        let now = clock.now();
        let name = self.name;
        let worker = self.worker_id.clone();
        let lease = Duration::seconds(i64::try_from(self.settings.lease_secs).unwrap_or(120));
        let max_attempts = i32::try_from(self.settings.max_attempts).unwrap_or(i32::MAX);
        let rows = db
            .run(move |conn| {
                repo::park_abandoned(conn, now, max_attempts)?;
                repo::claim_due(conn, name, &worker, now, lease)
            })
            .await?;
        let handled = rows.len();
        for row in rows {
            let row_for_load = row.clone();
            let stage_map = self.settings.stage_map.clone();
            let provider_name = self.settings.provider;
            let loaded = db
                .run(move |conn| load(conn, &row_for_load, provider_name, &stage_map))
                .await?;
            let settlement = match loaded {
                Some(loaded) => {
                    let pushed = push(provider, &row, loaded).await;
                    self.settlement(&row, pushed, clock.now())
                }
                None => Settlement::Park {
                    error: "the Convene record is gone".into(),
                },
            };
            match &settlement {
                Settlement::Pushed { .. } => {}
                Settlement::Retry { error, at } => {
                    tracing::info!(row = %row.id, kind = %row.kind, %error, %at, "a CRM push will be retried");
                }
                Settlement::Park { error } => {
                    tracing::warn!(row = %row.id, kind = %row.kind, %error, "a CRM push was parked");
                }
            }
            let worker = self.worker_id.clone();
            let id = row.id.clone();
            let settled_at = clock.now();
            db.run(move |conn| repo::settle(conn, &id, &worker, settlement, settled_at))
                .await?;
        }
        self.update_gauges(db).await?;
        Ok(handled)
    }

    fn settlement(
        &self,
        row: &SyncRow,
        pushed: Result<PersonOrId, CallError>,
        now: DateTime<Utc>,
    ) -> Settlement {
        match pushed {
            Ok(PersonOrId::Person(person)) => Settlement::Pushed {
                version: row.version,
                external_id: person.id,
                external_type: person.object_type,
            },
            Ok(PersonOrId::Id(id)) => Settlement::Pushed {
                version: row.version,
                external_id: id,
                external_type: None,
            },
            Err(error) => {
                let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
                let step = next_step(
                    &error,
                    attempts,
                    self.settings.max_attempts,
                    std::time::Duration::from_secs(self.settings.retry_base_secs),
                    std::time::Duration::from_secs(self.settings.retry_max_secs),
                );
                match step {
                    NextStep::RetryAfter(wait) => Settlement::Retry {
                        at: now + Duration::from_std(wait).unwrap_or(Duration::hours(1)),
                        error: error.to_string(),
                    },
                    NextStep::Park => Settlement::Park {
                        error: match error {
                            CallError::Transient { message, .. } => {
                                format!("gave up after {attempts} attempts: {message}")
                            }
                            CallError::Permanent { message } => message,
                        },
                    },
                }
            }
        }
    }

    /// Sets the backlog and failure gauges from the table, which all instances share.
    pub async fn update_gauges(&self, db: &crate::db::Database) -> Result<(), StoreError> {
        let name = self.name;
        let counts = db.run(move |conn| repo::counts(conn, name)).await?;
        let count_of = |status: &str| {
            counts
                .iter()
                .filter(|(s, _)| s == status)
                .map(|(_, n)| *n)
                .sum::<i64>()
        };
        self.metrics
            .backlog
            .set(count_of("pending") + count_of("retrying"));
        self.metrics.parked.set(count_of("parked"));
        Ok(())
    }
}

enum PersonOrId {
    Person(PersonRef),
    Id(String),
}

async fn push(
    provider: &impl CrmProvider,
    row: &SyncRow,
    loaded: Loaded,
) -> Result<PersonOrId, CallError> {
    let known = row.external_id.as_deref();
    let person = loaded.person.as_ref();
    let needs_person =
        || person.ok_or_else(|| CallError::transient("the person is not in the CRM yet"));
    match loaded.facts {
        Facts::Person(facts) => {
            let known = row.external_id.clone().map(|id| PersonRef {
                id,
                object_type: row.external_type.clone(),
            });
            provider
                .push_person(&facts, known.as_ref())
                .await
                .map(PersonOrId::Person)
        }
        Facts::Meeting(facts) => provider
            .push_meeting(&facts, needs_person()?, known)
            .await
            .map(PersonOrId::Id),
        Facts::Deal(facts) => provider
            .push_deal(&facts, needs_person()?, known)
            .await
            .map(PersonOrId::Id),
        Facts::Note(facts) => provider
            .push_note(&facts, needs_person()?, known)
            .await
            .map(PersonOrId::Id),
    }
}

/// Reads the record of `row` as it now is; `None` when it is gone.
fn load(
    conn: &mut DbConnection,
    row: &SyncRow,
    provider: crate::config::CrmProviderName,
    stage_map: &std::collections::BTreeMap<String, String>,
) -> Result<Option<Loaded>, StoreError> {
    let Some(kind) = row.kind() else {
        return Ok(None);
    };
    let person = match kind {
        RecordKind::Person => None,
        _ => repo::person_of(conn, &row.provider, &row.lead_id)?.and_then(|person| {
            person.external_id.map(|id| PersonRef {
                id,
                object_type: person.external_type,
            })
        }),
    };
    let facts = match kind {
        RecordKind::Person => crate::leads::repo::find(conn, &row.record_id)?.map(|lead| {
            let (first_name, last_name) = PersonFacts::names(&lead.name, &lead.email);
            Facts::Person(PersonFacts {
                email: lead.email.clone(),
                first_name,
                last_name,
                company: lead.company.clone(),
                title: lead.title.clone(),
                phone: lead.phone.clone(),
                stage: lead.stage.as_str().to_owned(),
            })
        }),
        RecordKind::Meeting => crate::meetings::find(conn, &row.record_id)?.map(|managed| {
            let hosts: Vec<String> = managed
                .hosts
                .iter()
                .map(|host| format!("{} <{}>", host.name, host.email))
                .collect();
            Facts::Meeting(MeetingFacts {
                convene_id: managed.meeting.id.clone(),
                title: format!("{} with {}", managed.meeting_type.name, managed.lead.name),
                body: format!("Booked in Convene. Hosts: {}.", hosts.join(", ")),
                start: managed.start(),
                end: managed.end(),
                location: managed.meeting.location.clone(),
                state: MeetingState::of(&managed.meeting.status, managed.meeting.sequence > 0),
            })
        }),
        RecordKind::Deal => {
            let opportunity: Option<(i64, String, String, chrono::NaiveDateTime)> =
                opportunities::table
                    .filter(opportunities::meeting_id.eq(&row.record_id))
                    .select((
                        opportunities::amount_minor,
                        opportunities::currency,
                        opportunities::stage,
                        opportunities::updated_at,
                    ))
                    .first(conn)
                    .optional()?;
            let managed = crate::meetings::find(conn, &row.record_id)?;
            match (opportunity, managed) {
                (Some((amount_minor, currency, stage, updated_at)), Some(managed)) => {
                    let decimals = Currency::parse(&currency)
                        .map(|currency| currency.decimals())
                        .unwrap_or(2);
                    let company = managed
                        .lead
                        .company
                        .clone()
                        .unwrap_or_else(|| managed.lead.name.clone());
                    Some(Facts::Deal(DealFacts {
                        convene_id: row.record_id.clone(),
                        name: format!("{company} – {}", managed.meeting_type.name),
                        amount: format_minor(amount_minor, decimals),
                        currency,
                        stage: crm_stage(provider, &stage, stage_map),
                        close_date: close_date(&stage, managed.start(), updated_at.and_utc()),
                    }))
                }
                _ => None,
            }
        }
        RecordKind::Note => {
            let answer: Option<(String, i32, String, Option<String>, chrono::NaiveDateTime)> =
                survey_responses::table
                    .find(&row.record_id)
                    .select((
                        survey_responses::meeting_id,
                        survey_responses::rating,
                        survey_responses::buyer_intent,
                        survey_responses::comments,
                        survey_responses::answered_at,
                    ))
                    .first(conn)
                    .optional()?;
            match answer {
                Some((meeting_id, rating, buyer_intent, comments, answered_at)) => {
                    let meeting_type = crate::meetings::find(conn, &meeting_id)?
                        .map(|managed| managed.meeting_type.name)
                        .unwrap_or_else(|| "meeting".into());
                    let mut body = format!("Rating: {rating}/5\nBuyer intent: {buyer_intent}");
                    if let Some(comments) = comments.filter(|c| !c.trim().is_empty()) {
                        body.push_str(&format!("\nComments: {comments}"));
                    }
                    Some(Facts::Note(NoteFacts {
                        convene_id: row.record_id.clone(),
                        title: format!("Survey after {meeting_type}"),
                        body,
                        at: answered_at.and_utc(),
                    }))
                }
                None => None,
            }
        }
    };
    Ok(facts.map(|facts| Loaded { facts, person }))
}

/// A closed opportunity closed when it last changed; an open one is expected to close a
/// quarter after its meeting.
fn close_date(
    stage: &str,
    meeting_start: DateTime<Utc>,
    changed_at: DateTime<Utc>,
) -> chrono::NaiveDate {
    if stage.starts_with("closed_") {
        changed_at.date_naive()
    } else {
        (meeting_start + Duration::days(90)).date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn open_deals_close_a_quarter_after_the_meeting_and_closed_ones_when_closed() {
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let changed = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap();
        assert_eq!(
            close_date("proposal", start, changed).to_string(),
            "2027-03-01"
        );
        assert_eq!(
            close_date("closed_won", start, changed).to_string(),
            "2026-12-05"
        );
    }
}
