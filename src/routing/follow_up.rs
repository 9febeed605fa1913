//! The one reminder a routed lead gets when it was offered times and has not booked within
//! `routers.follow_up_after_minutes`: its booking link again.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::booking::links;
use crate::db::schema::routings;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::leads::repo as leads_repo;
use crate::notifications::messages::{Addressee, Composer};
use crate::notifications::outbox;
use crate::routing::service::prefilled_url;
use crate::scheduling::repo as types_repo;

/// Routings handled per round; the rest wait a round.
const ROUND: i64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum RoutingFollowUpError {
    #[error("an email could not be composed: {0}")]
    Composing(#[from] askama::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for RoutingFollowUpError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Store(error.into())
    }
}

/// How many routed leads were reminded in a round.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoutingFollowUps {
    pub reminded: usize,
}

impl RoutingFollowUps {
    pub fn is_empty(&self) -> bool {
        self.reminded == 0
    }
}

pub fn run(
    conn: &mut DbConnection,
    composer: &Composer,
    now: DateTime<Utc>,
) -> Result<RoutingFollowUps, RoutingFollowUpError> {
    let due: Vec<String> = routings::table
        .filter(routings::follow_up_due_at.le(now.naive_utc()))
        .filter(routings::follow_up_sent_at.is_null())
        .filter(routings::booked_at.is_null())
        .order(routings::follow_up_due_at.asc())
        .limit(ROUND)
        .select(routings::id)
        .load(conn)?;
    let mut report = RoutingFollowUps::default();
    for id in due {
        report.reminded += usize::from(remind(conn, composer, &id, now)?);
    }
    Ok(report)
}

/// Claims the reminder by marking it sent, and queues it, in one transaction: another
/// instance's claim of the same routing finds it marked and does nothing.
fn remind(
    conn: &mut DbConnection,
    composer: &Composer,
    routing_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, RoutingFollowUpError> {
    write_transaction(conn, |conn| {
        let claimed = diesel::update(
            routings::table
                .find(routing_id)
                .filter(routings::follow_up_sent_at.is_null())
                .filter(routings::booked_at.is_null()),
        )
        .set(routings::follow_up_sent_at.eq(now.naive_utc()))
        .execute(conn)?;
        if claimed == 0 {
            return Ok(false);
        }
        let (lead_id, link_id): (String, Option<String>) = routings::table
            .find(routing_id)
            .select((routings::lead_id, routings::booking_link_id))
            .first(conn)?;
        let Some(link) = link_id
            .map(|id| links::find(conn, &id))
            .transpose()?
            .flatten()
        else {
            return Ok(false);
        };
        // A link that no longer books (used, expired, turned off) is not worth a reminder.
        if link.bookable(now).is_err() {
            return Ok(false);
        }
        let (Some(lead), Some(meeting_type)) = (
            leads_repo::find(conn, &lead_id)?,
            types_repo::find(conn, &link.meeting_type_id)?,
        ) else {
            return Ok(false);
        };
        let url = prefilled_url(&composer.public_base, &link.slug, &lead);
        let language = crate::workflow::repo::last_prospect_language(conn, &lead.id)?;
        let to = Addressee {
            lead: &lead,
            language,
        };
        let email = composer.routing_follow_up(routing_id, to, &meeting_type, url, now)?;
        Ok(outbox::enqueue(conn, &email, now)?)
    })
}
