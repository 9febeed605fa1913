//! Storage of routers (with their versions), host weights, routings and the assignment ledger.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use crate::audit::{self, Actor, AuditEntry};
use crate::db::schema::{
    leads, meeting_type_host_weights, meetings, round_robin_assignments, router_versions, routers,
    routings,
};
use crate::db::{DbConnection, StoreError};
use crate::leads::model::{Lead, LeadRow};
use crate::routing::assignment::{DEFAULT_PRIORITY, DEFAULT_WEIGHT};
use crate::routing::model::{Explanation, Router, RoutingView};
use crate::values::new_id;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = routers)]
struct RouterRow {
    id: String,
    slug: String,
    name: String,
    version: i32,
    rules: String,
    fallback: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl RouterRow {
    fn into_router(self) -> Result<Router, StoreError> {
        let corrupt =
            |e: serde_json::Error| StoreError::Corrupt(format!("router {}: {e}", self.id));
        Ok(Router {
            rules: serde_json::from_str(&self.rules).map_err(corrupt)?,
            fallback: serde_json::from_str(&self.fallback).map_err(corrupt)?,
            id: self.id,
            slug: self.slug,
            name: self.name,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Records `router` as its version `router.version`: inserted when it is the first.
pub fn save_router(
    conn: &mut DbConnection,
    router: &Router,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rules = router.rules.to_string();
    let fallback = router.fallback.to_string();
    if router.version == 1 {
        diesel::insert_into(routers::table)
            .values((
                routers::id.eq(&router.id),
                routers::slug.eq(&router.slug),
                routers::name.eq(&router.name),
                routers::version.eq(router.version),
                routers::rules.eq(&rules),
                routers::fallback.eq(&fallback),
                routers::created_at.eq(router.created_at),
                routers::updated_at.eq(router.updated_at),
            ))
            .execute(conn)?;
    } else {
        diesel::update(routers::table.find(&router.id))
            .set((
                routers::slug.eq(&router.slug),
                routers::name.eq(&router.name),
                routers::version.eq(router.version),
                routers::rules.eq(&rules),
                routers::fallback.eq(&fallback),
                routers::updated_at.eq(router.updated_at),
            ))
            .execute(conn)?;
    }
    diesel::insert_into(router_versions::table)
        .values((
            router_versions::router_id.eq(&router.id),
            router_versions::version.eq(router.version),
            router_versions::name.eq(&router.name),
            router_versions::rules.eq(&rules),
            router_versions::fallback.eq(&fallback),
            router_versions::created_by.eq(actor.label()),
            router_versions::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    let version = router.version.to_string();
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: if router.version == 1 {
                "router.created"
            } else {
                "router.updated"
            },
            entity_type: "router",
            entity_id: &router.id,
            from_status: None,
            to_status: Some(&version),
            note: None,
        },
        now,
    )
}

/// Retires a router: it stops routing and frees its slug; its decisions stay readable.
pub fn delete_router(
    conn: &mut DbConnection,
    id: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let deleted = diesel::update(
        routers::table
            .find(id)
            .filter(routers::deleted_at.is_null()),
    )
    .set(routers::deleted_at.eq(now.naive_utc()))
    .execute(conn)?;
    if deleted == 1 {
        audit::record(
            conn,
            AuditEntry {
                actor,
                action: "router.deleted",
                entity_type: "router",
                entity_id: id,
                from_status: None,
                to_status: None,
                note: None,
            },
            now,
        )?;
    }
    Ok(deleted == 1)
}

pub fn find_router(conn: &mut DbConnection, id: &str) -> Result<Option<Router>, StoreError> {
    routers::table
        .find(id)
        .filter(routers::deleted_at.is_null())
        .select(RouterRow::as_select())
        .first(conn)
        .optional()?
        .map(RouterRow::into_router)
        .transpose()
}

pub fn find_router_by_slug(
    conn: &mut DbConnection,
    slug: &str,
) -> Result<Option<Router>, StoreError> {
    routers::table
        .filter(routers::slug.eq(slug))
        .filter(routers::deleted_at.is_null())
        .select(RouterRow::as_select())
        .first(conn)
        .optional()?
        .map(RouterRow::into_router)
        .transpose()
}

/// Live routers by slug, after the slug `after`.
pub fn list_routers(
    conn: &mut DbConnection,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Router>, StoreError> {
    let mut query = routers::table
        .filter(routers::deleted_at.is_null())
        .select(RouterRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(routers::slug.gt(after.to_owned()));
    }
    query
        .order(routers::slug.asc())
        .limit(limit)
        .load::<RouterRow>(conn)?
        .into_iter()
        .map(RouterRow::into_router)
        .collect()
}

/// Each host's `(weight, priority)` for a meeting type, the defaults where none was set.
pub fn weights_of(
    conn: &mut DbConnection,
    meeting_type_id: &str,
    hosts: &[String],
) -> Result<Vec<(String, u8, u8)>, StoreError> {
    let set: HashMap<String, (i32, i32)> = meeting_type_host_weights::table
        .filter(meeting_type_host_weights::meeting_type_id.eq(meeting_type_id))
        .select((
            meeting_type_host_weights::user_id,
            meeting_type_host_weights::weight,
            meeting_type_host_weights::priority,
        ))
        .load::<(String, i32, i32)>(conn)?
        .into_iter()
        .map(|(user, weight, priority)| (user, (weight, priority)))
        .collect();
    Ok(hosts
        .iter()
        .map(|host| {
            let (weight, priority) =
                set.get(host)
                    .map_or((DEFAULT_WEIGHT, DEFAULT_PRIORITY), |(w, p)| {
                        (
                            u8::try_from(*w).unwrap_or(DEFAULT_WEIGHT),
                            u8::try_from(*p).unwrap_or(DEFAULT_PRIORITY),
                        )
                    });
            (host.clone(), weight, priority)
        })
        .collect())
}

/// Replaces a meeting type's weights with `weights` (user, weight, priority).
pub fn replace_weights(
    conn: &mut DbConnection,
    meeting_type_id: &str,
    weights: &[(String, i32, i32)],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::delete(
        meeting_type_host_weights::table
            .filter(meeting_type_host_weights::meeting_type_id.eq(meeting_type_id)),
    )
    .execute(conn)?;
    for (user_id, weight, priority) in weights {
        diesel::insert_into(meeting_type_host_weights::table)
            .values((
                meeting_type_host_weights::meeting_type_id.eq(meeting_type_id),
                meeting_type_host_weights::user_id.eq(user_id),
                meeting_type_host_weights::weight.eq(weight),
                meeting_type_host_weights::priority.eq(priority),
            ))
            .execute(conn)?;
    }
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: "meeting_type.host_weights_set",
            entity_type: "meeting_type",
            entity_id: meeting_type_id,
            from_status: None,
            to_status: None,
            note: None,
        },
        now,
    )
}

/// A host's assignments of a meeting type within the window, and when it last got one.
pub type HostLedger = (u32, Option<DateTime<Utc>>);

/// Which assignments count toward a host's share.
#[derive(Debug, Clone, Copy)]
pub struct LedgerCounts {
    pub owner_routed: bool,
    pub no_shows: bool,
}

/// Per host: assignments of the meeting type since `since` and the latest one ever.
pub fn ledger_loads(
    conn: &mut DbConnection,
    meeting_type_id: &str,
    since: DateTime<Utc>,
    counts: LedgerCounts,
) -> Result<HashMap<String, HostLedger>, StoreError> {
    let mut query = round_robin_assignments::table
        .filter(round_robin_assignments::meeting_type_id.eq(meeting_type_id))
        .select((
            round_robin_assignments::host_id,
            round_robin_assignments::assigned_at,
            round_robin_assignments::meeting_request_id,
        ))
        .into_boxed();
    if !counts.owner_routed {
        query = query.filter(round_robin_assignments::owner_routed.eq(false));
    }
    let mut rows: Vec<(String, NaiveDateTime, Option<String>)> = query.load(conn)?;
    if !counts.no_shows {
        let requests: Vec<String> = rows.iter().filter_map(|row| row.2.clone()).collect();
        let mut no_shows = std::collections::HashSet::new();
        // In chunks: SQLite limits the parameters of one statement.
        for chunk in requests.chunks(500) {
            no_shows.extend(
                meetings::table
                    .filter(meetings::status.eq("no_show"))
                    .filter(meetings::meeting_request_id.eq_any(chunk))
                    .select(meetings::meeting_request_id)
                    .load::<String>(conn)?,
            );
        }
        rows.retain(|row| !row.2.as_ref().is_some_and(|id| no_shows.contains(id)));
    }
    let since = since.naive_utc();
    let mut loads: HashMap<String, HostLedger> = HashMap::new();
    for (host, at, _) in rows {
        let entry = loads.entry(host).or_default();
        if at >= since {
            entry.0 += 1;
        }
        entry.1 = entry.1.max(Some(at.and_utc()));
    }
    Ok(loads)
}

pub struct Assignment<'a> {
    pub meeting_type_id: &'a str,
    pub host_id: &'a str,
    pub routing_id: &'a str,
    pub meeting_request_id: &'a str,
    pub owner_routed: bool,
}

pub fn record_assignment(
    conn: &mut DbConnection,
    assignment: &Assignment<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(round_robin_assignments::table)
        .values((
            round_robin_assignments::id.eq(new_id()),
            round_robin_assignments::meeting_type_id.eq(assignment.meeting_type_id),
            round_robin_assignments::host_id.eq(assignment.host_id),
            round_robin_assignments::routing_id.eq(assignment.routing_id),
            round_robin_assignments::meeting_request_id.eq(assignment.meeting_request_id),
            round_robin_assignments::owner_routed.eq(assignment.owner_routed),
            round_robin_assignments::assigned_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The owner of another lead of the same (company) email domain, the most recently updated.
pub fn account_owner(
    conn: &mut DbConnection,
    domain: &str,
    except_lead: Option<&str>,
) -> Result<Option<String>, StoreError> {
    let pattern = format!("%@{}", domain.replace(['%', '_', '\\'], ""));
    let mut query = leads::table
        .filter(leads::email.like(pattern))
        .filter(leads::owner_id.is_not_null())
        .select(leads::owner_id)
        .order(leads::updated_at.desc())
        .into_boxed();
    if let Some(lead_id) = except_lead {
        query = query.filter(leads::id.ne(lead_id.to_owned()));
    }
    Ok(query.first::<Option<String>>(conn).optional()?.flatten())
}

/// Leads created within `[from, to]`, oldest first, at most `limit`.
pub fn leads_created_between(
    conn: &mut DbConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Lead>, StoreError> {
    leads::table
        .filter(leads::created_at.ge(from.naive_utc()))
        .filter(leads::created_at.le(to.naive_utc()))
        .order((leads::created_at.asc(), leads::id.asc()))
        .limit(limit)
        .select(LeadRow::as_select())
        .load::<LeadRow>(conn)?
        .into_iter()
        .map(Lead::try_from)
        .collect()
}

pub struct NewRouting<'a> {
    pub id: &'a str,
    pub router: &'a Router,
    pub lead_id: &'a str,
    pub decision: &'a str,
    pub matched_rule: &'a Value,
    pub explanation: &'a Explanation,
    pub meeting_type_id: Option<&'a str>,
    pub host_ids: &'a [String],
    pub booking_link_id: Option<&'a str>,
    pub meeting_request_id: Option<&'a str>,
    pub follow_up_due_at: Option<DateTime<Utc>>,
}

pub fn insert_routing(
    conn: &mut DbConnection,
    new: &NewRouting<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let explanation = serde_json::to_string(new.explanation)
        .map_err(|e| StoreError::Corrupt(format!("an explanation could not be written: {e}")))?;
    diesel::insert_into(routings::table)
        .values((
            routings::id.eq(new.id),
            routings::router_id.eq(&new.router.id),
            routings::router_version.eq(new.router.version),
            routings::lead_id.eq(new.lead_id),
            routings::decision.eq(new.decision),
            routings::matched_rule.eq(matched_rule_text(new.matched_rule)),
            routings::explanation.eq(explanation),
            routings::meeting_type_id.eq(new.meeting_type_id),
            routings::host_ids.eq(serde_json::json!(new.host_ids).to_string()),
            routings::booking_link_id.eq(new.booking_link_id),
            routings::meeting_request_id.eq(new.meeting_request_id),
            routings::follow_up_due_at.eq(new.follow_up_due_at.map(|at| at.naive_utc())),
            routings::created_at.eq(now.naive_utc()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        AuditEntry {
            actor,
            action: "routing.decided",
            entity_type: "routing",
            entity_id: new.id,
            from_status: None,
            to_status: Some(new.decision),
            note: None,
        },
        now,
    )
}

fn matched_rule_text(matched: &Value) -> String {
    match matched {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = routings)]
struct RoutingRow {
    id: String,
    router_id: String,
    router_version: i32,
    lead_id: String,
    decision: String,
    matched_rule: String,
    explanation: String,
    meeting_type_id: Option<String>,
    host_ids: String,
    meeting_request_id: Option<String>,
    booked_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

/// A routing with what the booking flow needs besides its view.
#[derive(Debug, Clone)]
pub struct StoredRouting {
    pub view: RoutingView,
    pub owner_routed: bool,
}

impl RoutingRow {
    fn into_stored(self) -> Result<StoredRouting, StoreError> {
        let corrupt =
            |e: serde_json::Error| StoreError::Corrupt(format!("routing {}: {e}", self.id));
        let explanation: Explanation = serde_json::from_str(&self.explanation).map_err(corrupt)?;
        let host_ids: Vec<String> = serde_json::from_str(&self.host_ids).map_err(corrupt)?;
        let matched_rule = self
            .matched_rule
            .parse::<u64>()
            .map_or_else(|_| Value::String(self.matched_rule.clone()), Value::from);
        Ok(StoredRouting {
            owner_routed: explanation.owner_routed,
            view: RoutingView {
                id: self.id,
                router_id: self.router_id,
                router_version: self.router_version,
                lead_id: self.lead_id,
                decision: self.decision,
                matched_rule,
                evaluations: explanation.evaluations,
                candidates: explanation.candidates,
                reason: explanation.reason,
                meeting_type_id: self.meeting_type_id,
                host_ids,
                meeting_request_id: self.meeting_request_id,
                booked_at: self.booked_at,
                created_at: self.created_at,
            },
        })
    }
}

pub fn find_routing(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<StoredRouting>, StoreError> {
    routings::table
        .find(id)
        .select(RoutingRow::as_select())
        .first(conn)
        .optional()?
        .map(RoutingRow::into_stored)
        .transpose()
}

/// The routing that made booking link `link_id`, if a router made it.
pub fn routing_of_link(
    conn: &mut DbConnection,
    link_id: &str,
) -> Result<Option<StoredRouting>, StoreError> {
    routings::table
        .filter(routings::booking_link_id.eq(link_id))
        .select(RoutingRow::as_select())
        .first(conn)
        .optional()?
        .map(RoutingRow::into_stored)
        .transpose()
}

/// Records that the routed lead booked: the request, when, and the candidates as they stood
/// for the picked time.
pub fn mark_booked(
    conn: &mut DbConnection,
    routing: &StoredRouting,
    meeting_request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let explanation = Explanation {
        evaluations: routing.view.evaluations.clone(),
        candidates: routing.view.candidates.clone(),
        reason: routing.view.reason.clone(),
        owner_routed: routing.owner_routed,
    };
    let routing = &routing.view;
    let explanation = serde_json::to_string(&explanation)
        .map_err(|e| StoreError::Corrupt(format!("an explanation could not be written: {e}")))?;
    diesel::update(routings::table.find(&routing.id))
        .set((
            routings::meeting_request_id.eq(meeting_request_id),
            routings::booked_at.eq(now.naive_utc()),
            routings::explanation.eq(explanation),
        ))
        .execute(conn)?;
    Ok(())
}

/// A router's latest decisions, newest first.
pub fn recent_routings(
    conn: &mut DbConnection,
    router_id: &str,
    limit: i64,
) -> Result<Vec<StoredRouting>, StoreError> {
    routings::table
        .filter(routings::router_id.eq(router_id))
        .order((routings::created_at.desc(), routings::id.desc()))
        .limit(limit)
        .select(RoutingRow::as_select())
        .load(conn)?
        .into_iter()
        .map(RoutingRow::into_stored)
        .collect()
}

/// Decisions made in `[from, to)`: per router and decision, how many and how many booked.
pub fn decision_counts(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<(String, String, i64, i64)>, StoreError> {
    Ok(routings::table
        .filter(routings::created_at.ge(from))
        .filter(routings::created_at.lt(to))
        .group_by((routings::router_id, routings::decision))
        .select((
            routings::router_id,
            routings::decision,
            diesel::dsl::count_star(),
            diesel::dsl::count(routings::booked_at),
        ))
        .load(conn)?)
}

/// Routed meetings each host took in `[from, to)`, and how many of them as an account's owner.
pub fn routed_meetings_by_host(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let rows: Vec<(String, bool)> = round_robin_assignments::table
        .filter(round_robin_assignments::assigned_at.ge(from))
        .filter(round_robin_assignments::assigned_at.lt(to))
        .filter(round_robin_assignments::routing_id.is_not_null())
        .select((
            round_robin_assignments::host_id,
            round_robin_assignments::owner_routed,
        ))
        .load(conn)?;
    let mut counts: HashMap<String, (i64, i64)> = HashMap::new();
    for (host_id, owner_routed) in rows {
        let count = counts.entry(host_id).or_default();
        count.0 += 1;
        count.1 += i64::from(owner_routed);
    }
    let mut by_host: Vec<(String, i64, i64)> = counts
        .into_iter()
        .map(|(host, (all, owned))| (host, all, owned))
        .collect();
    by_host.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(by_host)
}
