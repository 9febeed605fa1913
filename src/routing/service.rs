//! Routers' use cases: saving versioned rules, routing a submission (lead intake, rules, host
//! candidates, the booking link or meeting request, the record and its event, in one
//! transaction), dry runs and replays that write nothing, and host weights.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use crate::audit::Actor;
use crate::booking::links::{self, NewLink};
use crate::calendars::readings::ReadPolicy;
use crate::db::{write_transaction, DbConnection, StoreError};
use crate::events::{EventType, Publisher};
use crate::field_errors::FieldErrors;
use crate::leads::attribution::{Touch, TouchAt, TouchField};
use crate::leads::error::LeadStoreError;
use crate::leads::model::{Lead, LeadIntake};
use crate::leads::repo::{self as leads_repo, LeadChange};
use crate::leads::scoring::ScoringRules;
use crate::routing::assignment::{self, Candidate, MAX_PRIORITY, MAX_WEIGHT};
use crate::routing::error::RoutingError;
use crate::routing::evaluation::{email_domain, evaluate, LeadFields, RuleEvaluation};
use crate::routing::free_mail::is_free_mail;
use crate::routing::model::{
    CreateRouter, DecisionCounts, Explanation, HostCount, HostOutcome, HostWeight, ReplayReport,
    RouteAnswer, RouteRequest, Router, RouterOutcome, RoutingOutcomes, RoutingView,
    StoredCandidate, StoredEvaluation, UpdateRouter,
};
use crate::routing::repo::{self, NewRouting};
use crate::routing::rules::{
    action_to_json, parse_rule_set, rules_to_json, Action, AlreadyChecked, DecisionKind,
    MeetingTypeCatalogue, RuleErrors, RuleSet,
};
use crate::scheduling::availability::{HostMode, Interval};
use crate::scheduling::meeting_types::{parse_slug, MeetingType};
use crate::scheduling::offers::bookable;
use crate::scheduling::repo as types_repo;
use crate::state::AppState;
use crate::users::repo as users_repo;
use crate::values::{new_id, required_text};
use crate::workflow::repo::{self as requests_repo, NewRequest};
use crate::workflow::state::{needs_approval, transition, RequestStatus, WorkflowAction};

/// How far ahead a candidate host's free time is looked for when a router decides.
const FREE_TIME_HORIZON_DAYS: i64 = 14;
/// The most leads one replay reads.
pub const MAX_REPLAY_LEADS: i64 = 10_000;

pub use crate::config::RouterSettings;

fn settings_of(state: &AppState) -> RouterSettings {
    state.settings.routers.clone()
}

fn invalid_fields(errors: &FieldErrors) -> RoutingError {
    let mut located = RuleErrors::default();
    for (field, messages) in errors.fields() {
        for message in messages {
            located.add(field, message.clone());
        }
    }
    RoutingError::Invalid(located)
}

fn invalid(field: &str, message: impl Into<String>) -> RoutingError {
    let mut errors = RuleErrors::default();
    errors.add(field, message);
    RoutingError::Invalid(errors)
}

impl From<LeadStoreError> for RoutingError {
    fn from(error: LeadStoreError) -> Self {
        match error {
            LeadStoreError::Conflict(message) => Self::Conflict(message),
            LeadStoreError::Store(error) => Self::Store(error),
            LeadStoreError::Publish(error) => error.into(),
        }
    }
}

/// The active meeting types, as rules on save may name them.
struct ActiveTypes(HashMap<String, Vec<String>>);

impl ActiveTypes {
    fn load(conn: &mut DbConnection) -> Result<Self, StoreError> {
        Ok(Self(
            types_repo::list(conn)?
                .into_iter()
                .filter(|meeting_type| meeting_type.active)
                .map(|meeting_type| (meeting_type.id, meeting_type.host_ids))
                .collect(),
        ))
    }
}

impl MeetingTypeCatalogue for ActiveTypes {
    fn hosts_of(&self, id: &str) -> Option<Vec<String>> {
        self.0.get(id).cloned()
    }
}

struct RouterDraft {
    slug: String,
    name: String,
    rules: Value,
    fallback: Value,
}

fn check_draft(
    conn: &mut DbConnection,
    slug: Option<&str>,
    name: Option<&str>,
    rules: Option<&Value>,
    fallback: Option<&Value>,
) -> Result<RouterDraft, RoutingError> {
    let mut errors = RuleErrors::default();
    let slug = match slug {
        Some(raw) => parse_slug(raw).map_err(|m| errors.add("slug", m)).ok(),
        None => {
            errors.add("slug", "is required");
            None
        }
    };
    let name = match name {
        Some(raw) => required_text(raw, 200)
            .map_err(|m| errors.add("name", m))
            .ok(),
        None => {
            errors.add("name", "is required");
            None
        }
    };
    let rule_set = match (rules, fallback) {
        (Some(rules), Some(fallback)) => {
            match parse_rule_set(rules, fallback, &ActiveTypes::load(conn)?) {
                Ok(rule_set) => Some(rule_set),
                Err(rule_errors) => {
                    for (at, message) in rule_errors.iter() {
                        errors.add(at, message);
                    }
                    None
                }
            }
        }
        (rules, fallback) => {
            if rules.is_none() {
                errors.add("rules", "is required (an array, possibly empty)");
            }
            if fallback.is_none() {
                errors.add("fallback", "is required");
            }
            None
        }
    };
    match (slug, name, rule_set) {
        (Some(slug), Some(name), Some(rule_set)) if errors.is_empty() => Ok(RouterDraft {
            slug,
            name,
            rules: rules_to_json(&rule_set.rules),
            fallback: action_to_json(&rule_set.fallback),
        }),
        _ => Err(RoutingError::Invalid(errors)),
    }
}

fn slug_taken(error: StoreError, slug: &str) -> RoutingError {
    if error.is_unique_violation() {
        RoutingError::SlugTaken(slug.to_owned())
    } else {
        RoutingError::Store(error)
    }
}

pub async fn create_router(
    state: &AppState,
    body: CreateRouter,
    actor: Actor,
) -> Result<Router, RoutingError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let draft = check_draft(
                    conn,
                    body.slug.as_deref(),
                    body.name.as_deref(),
                    body.rules.as_ref(),
                    body.fallback.as_ref(),
                )?;
                let router = Router {
                    id: new_id(),
                    slug: draft.slug,
                    name: draft.name,
                    version: 1,
                    rules: draft.rules,
                    fallback: draft.fallback,
                    created_at: now.naive_utc(),
                    updated_at: now.naive_utc(),
                };
                repo::save_router(conn, &router, &actor, now)
                    .map_err(|e| slug_taken(e, &router.slug))?;
                Ok(router)
            }))
        })
        .await?
}

pub async fn update_router(
    state: &AppState,
    id: String,
    body: UpdateRouter,
    actor: Actor,
) -> Result<Router, RoutingError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let current = repo::find_router(conn, &id)?
                    .ok_or(RoutingError::NotFound("no router with that id"))?;
                let draft = check_draft(
                    conn,
                    Some(body.slug.as_deref().unwrap_or(&current.slug)),
                    Some(body.name.as_deref().unwrap_or(&current.name)),
                    Some(body.rules.as_ref().unwrap_or(&current.rules)),
                    Some(body.fallback.as_ref().unwrap_or(&current.fallback)),
                )?;
                let router = Router {
                    slug: draft.slug,
                    name: draft.name,
                    version: current.version + 1,
                    rules: draft.rules,
                    fallback: draft.fallback,
                    updated_at: now.naive_utc(),
                    ..current
                };
                repo::save_router(conn, &router, &actor, now)
                    .map_err(|e| slug_taken(e, &router.slug))?;
                Ok(router)
            }))
        })
        .await?
}

pub async fn delete_router(state: &AppState, id: String, actor: Actor) -> Result<(), RoutingError> {
    let now = state.clock.now();
    let deleted = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| repo::delete_router(conn, &id, &actor, now))
        })
        .await?;
    if deleted {
        Ok(())
    } else {
        Err(RoutingError::NotFound("no router with that id"))
    }
}

pub async fn find_router(state: &AppState, id: String) -> Result<Router, RoutingError> {
    state
        .db
        .run(move |conn| repo::find_router(conn, &id))
        .await?
        .ok_or(RoutingError::NotFound("no router with that id"))
}

pub async fn list_routers(
    state: &AppState,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<Router>, RoutingError> {
    Ok(state
        .db
        .run(move |conn| repo::list_routers(conn, after.as_deref(), limit))
        .await?)
}

pub async fn find_routing(state: &AppState, id: String) -> Result<RoutingView, RoutingError> {
    state
        .db
        .run(move |conn| repo::find_routing(conn, &id))
        .await?
        .map(|stored| stored.view)
        .ok_or(RoutingError::NotFound("no routing with that id"))
}

/// Which router a submission goes to.
pub enum RouterAddress {
    Id(String),
    Slug(String),
}

/// A submission parsed: the lead intake and whether to write nothing.
pub struct Submission {
    pub intake: LeadIntake,
    pub dry_run: bool,
}

impl Submission {
    /// Records the page the form was on (its post's `Referer`) as the touch's landing page.
    pub fn posted_from(&mut self, page: Option<&str>) {
        let Some(page) = page else { return };
        let mut touch = self.intake.touch.take().unwrap_or_default();
        touch.set_if_valid(TouchField::LandingPage, page);
        self.intake.touch = (!touch.is_empty()).then_some(touch);
    }
}

/// Checks a submission's fields with the same text safety as every lead intake; the page's
/// UTMs become the lead's attributes of the same names, and its touch.
pub fn parse_submission(body: RouteRequest) -> Result<Submission, RoutingError> {
    if body
        .convene_trap
        .as_deref()
        .is_some_and(|trap| !trap.is_empty())
    {
        return Err(invalid("convene_trap", "must be left empty"));
    }
    let mut lead = body.lead;
    let mut errors = FieldErrors::new();
    let mut touch = Touch::default();
    let utms = [
        (TouchField::UtmSource, body.utm_source),
        (TouchField::UtmMedium, body.utm_medium),
        (TouchField::UtmCampaign, body.utm_campaign),
        (TouchField::UtmTerm, body.utm_term),
        (TouchField::UtmContent, body.utm_content),
    ];
    for (field, value) in utms {
        let name = field.name();
        match crate::values::optional_text(value.as_deref(), 200) {
            Ok(Some(text)) => {
                touch.set_if_valid(field, &text);
                lead.attributes
                    .get_or_insert_with(Default::default)
                    .insert(name.to_owned(), Value::String(text));
            }
            Ok(None) => {}
            Err(message) => errors.add(name, message),
        }
    }
    let intake = lead.parse();
    match intake {
        Ok(intake) if errors.is_empty() => Ok(Submission {
            intake: LeadIntake {
                touch: (!touch.is_empty()).then_some(touch),
                ..intake
            },
            dry_run: body.dry_run == Some(true),
        }),
        Ok(_) => Err(invalid_fields(&errors)),
        Err(lead_errors) => {
            for (field, messages) in lead_errors.fields() {
                for message in messages {
                    errors.add(field, message.clone());
                }
            }
            Err(invalid_fields(&errors))
        }
    }
}

/// What a routing decided, before and after it is recorded.
#[derive(Debug, Clone)]
pub struct Decided {
    pub answer: RouteAnswer,
    pub lead_id: Option<String>,
    pub router_version: i32,
    pub meeting_type_id: Option<String>,
    pub matched_rule: Value,
    pub evaluations: Vec<RuleEvaluation>,
    pub candidates: Vec<(Candidate, bool)>,
    pub reason: String,
    pub owner_routed: bool,
}

struct RouteContext {
    rules: Arc<ScoringRules>,
    publisher: Publisher,
    public_base: String,
    policy: ReadPolicy,
    settings: RouterSettings,
    /// The CRM whose owners are preferred; empty when none is set up.
    crm_provider: &'static str,
    now: DateTime<Utc>,
}

/// Routes one submission: records the lead, decides, and (unless a dry run) records the
/// decision with its booking link or meeting request and publishes `routing.decided`.
pub async fn route(
    state: &AppState,
    address: RouterAddress,
    submission: Submission,
    actor: Actor,
) -> Result<Decided, RoutingError> {
    let context = RouteContext {
        rules: state.scoring_rules.clone(),
        publisher: state.publisher.clone(),
        public_base: state.settings.server.public_base().to_owned(),
        policy: state.read_policy(),
        settings: settings_of(state),
        crm_provider: state.crm.name,
        now: state.clock.now(),
    };
    let decided = state
        .db
        .run(move |conn| {
            Ok(if submission.dry_run {
                route_dry(conn, &address, &submission.intake, &context)
            } else {
                write_transaction(conn, |conn| {
                    route_for_real(conn, &address, &submission.intake, &actor, &context)
                })
            })
        })
        .await??;
    state.changes_committed();
    Ok(decided)
}

fn load_router(conn: &mut DbConnection, address: &RouterAddress) -> Result<Router, RoutingError> {
    let found = match address {
        RouterAddress::Id(id) => repo::find_router(conn, id)?,
        RouterAddress::Slug(slug) if slug.len() <= 64 => repo::find_router_by_slug(conn, slug)?,
        RouterAddress::Slug(_) => None,
    };
    found.ok_or(RoutingError::NotFound("no router at this address"))
}

fn rule_set_of(router: &Router) -> Result<RuleSet, RoutingError> {
    parse_rule_set(&router.rules, &router.fallback, &AlreadyChecked).map_err(|_| {
        RoutingError::Store(StoreError::Corrupt(format!(
            "router {} holds rules that no longer parse",
            router.id
        )))
    })
}

fn route_dry(
    conn: &mut DbConnection,
    address: &RouterAddress,
    intake: &LeadIntake,
    context: &RouteContext,
) -> Result<Decided, RoutingError> {
    let router = load_router(conn, address)?;
    let lead = leads_repo::preview(conn, intake, &context.rules, context.now)?;
    let known = leads_repo::find(conn, &lead.id)?.is_some();
    let mut decided = decide(conn, &router, &lead, context)?;
    decided.lead_id = known.then(|| lead.id.clone());
    Ok(decided)
}

fn route_for_real(
    conn: &mut DbConnection,
    address: &RouterAddress,
    intake: &LeadIntake,
    actor: &Actor,
    context: &RouteContext,
) -> Result<Decided, RoutingError> {
    let router = load_router(conn, address)?;
    let change = LeadChange {
        actor,
        publisher: &context.publisher,
        now: context.now,
    };
    let (lead, _) = leads_repo::upsert(conn, intake, &context.rules, &change)?;
    let mut decided = decide(conn, &router, &lead, context)?;
    let routing_id = new_id();
    let now = context.now;
    let meeting_type_id = decided.meeting_type_id.clone();
    let mut booking_link_id = None;
    match decided.answer.decision {
        DecisionKind::Book => {
            let link = links::insert(
                conn,
                &NewLink {
                    meeting_type_id: meeting_type_id.as_deref().unwrap_or_default(),
                    lead_id: Some(&lead.id),
                    expires_at: Some(
                        now + Duration::days(i64::from(context.settings.link_valid_days)),
                    ),
                    max_uses: Some(1),
                },
                actor,
                now,
            )?;
            decided.answer.booking_url =
                Some(prefilled_url(&context.public_base, &link.slug, &lead));
            booking_link_id = Some(link.id);
        }
        DecisionKind::Request => {
            let touch = intake.touch.as_ref();
            let request_id = request_meeting(conn, &lead, &decided, touch, actor, context)?;
            decided.answer.meeting_request_id = Some(request_id);
        }
        DecisionKind::Disqualified => {}
    }
    let explanation = explanation_of(&decided);
    let host_ids = decided.answer.host_ids.clone().unwrap_or_default();
    let follow_up_due_at = booking_link_id
        .as_ref()
        .map(|_| now + Duration::minutes(i64::from(context.settings.follow_up_after_minutes)));
    repo::insert_routing(
        conn,
        &NewRouting {
            id: &routing_id,
            router: &router,
            lead_id: &lead.id,
            decision: decided.answer.decision.as_str(),
            matched_rule: &decided.matched_rule,
            explanation: &explanation,
            meeting_type_id: meeting_type_id.as_deref(),
            host_ids: &host_ids,
            booking_link_id: booking_link_id.as_deref(),
            meeting_request_id: decided.answer.meeting_request_id.as_deref(),
            follow_up_due_at,
        },
        actor,
        now,
    )?;
    let view = repo::find_routing(conn, &routing_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("routing {routing_id} vanished after insert")))?
        .view;
    context
        .publisher
        .publish(conn, EventType::RoutingDecided, &routing_id, &view, now)?;
    decided.answer.routing_id = Some(routing_id);
    decided.lead_id = Some(lead.id);
    Ok(decided)
}

/// `{public_url}/book/{slug}` with the lead's name, email and company filled in.
pub fn prefilled_url(public_base: &str, slug: &str, lead: &Lead) -> String {
    let mut query = vec![("name", lead.name.clone()), ("email", lead.email.clone())];
    if let Some(company) = &lead.company {
        query.push(("company", company.clone()));
    }
    if let Some(zone) = &lead.timezone {
        query.push(("tz", zone.clone()));
    }
    let query = serde_urlencoded::to_string(query).unwrap_or_default();
    format!("{public_base}/book/{slug}?{query}")
}

fn explanation_of(decided: &Decided) -> Explanation {
    Explanation {
        evaluations: decided.evaluations.iter().map(stored_evaluation).collect(),
        candidates: decided
            .candidates
            .iter()
            .map(|(candidate, chosen)| stored_candidate(candidate, *chosen))
            .collect(),
        reason: decided.reason.clone(),
        owner_routed: decided.owner_routed,
    }
}

fn stored_evaluation(evaluation: &RuleEvaluation) -> StoredEvaluation {
    StoredEvaluation {
        rule: evaluation.rule,
        matched: evaluation.matched,
        conditions: evaluation
            .conditions
            .iter()
            .map(|condition| serde_json::to_value(condition).unwrap_or(Value::Null))
            .collect(),
    }
}

pub fn stored_candidate(candidate: &Candidate, chosen: bool) -> StoredCandidate {
    StoredCandidate {
        host_id: candidate.host_id.clone(),
        weight: candidate.weight,
        priority: candidate.priority,
        assigned_in_window: candidate.assigned_in_window,
        free: candidate.free,
        chosen,
    }
}

/// A meeting request of the rule's meeting type, for the managers to approve, attributed to
/// the submission's touch.
fn request_meeting(
    conn: &mut DbConnection,
    lead: &Lead,
    decided: &Decided,
    touch: Option<&Touch>,
    actor: &Actor,
    context: &RouteContext,
) -> Result<String, RoutingError> {
    let type_id = decided.meeting_type_id.as_deref().unwrap_or_default();
    let meeting_type = types_repo::find(conn, type_id)?
        .filter(|t| t.active)
        .ok_or_else(|| {
            RoutingError::Conflict("the router's meeting type is no longer offered".into())
        })?;
    let auto_approve = meeting_type
        .auto_approve_min_score
        .map(|s| u8::try_from(s.clamp(0, 100)).unwrap_or(100));
    let submit = WorkflowAction::Submit {
        needs_approval: needs_approval(meeting_type.requires_approval, auto_approve, lead.score),
    };
    let submitted_status = transition(RequestStatus::Requested, &submit)?;
    let host_ids = decided.answer.host_ids.clone().unwrap_or_default();
    let attribution = touch.map(|touch| TouchAt::new(touch.clone(), context.now));
    let request = requests_repo::insert(
        conn,
        &NewRequest {
            lead_id: &lead.id,
            meeting_type_id: &meeting_type.id,
            host_ids: &host_ids,
            notes: None,
            submitted_status,
            submit,
            attribution: attribution.as_ref(),
            prospect_language: crate::i18n::Language::default(),
        },
        actor,
        context.now,
    )?;
    crate::workflow::events::publish(
        conn,
        &context.publisher,
        EventType::MeetingRequestCreated,
        &request.id,
        context.now,
    )?;
    Ok(request.id)
}

/// The rules' verdict on `lead` and, for a booking, the hosts it may book with. Reads only.
fn decide(
    conn: &mut DbConnection,
    router: &Router,
    lead: &Lead,
    context: &RouteContext,
) -> Result<Decided, RoutingError> {
    let rule_set = rule_set_of(router)?;
    let verdict = evaluate(&rule_set, &LeadFields::of(lead));
    let mut decided = Decided {
        answer: RouteAnswer {
            routing_id: None,
            decision: verdict.action.kind(),
            booking_url: None,
            host_ids: None,
            message: None,
            redirect_url: None,
            meeting_request_id: None,
        },
        lead_id: None,
        router_version: router.version,
        meeting_type_id: None,
        matched_rule: verdict.matched_rule.to_json(),
        evaluations: verdict.evaluations.clone(),
        candidates: Vec::new(),
        reason: String::new(),
        owner_routed: false,
    };
    let rule_name = match verdict.matched_rule.to_json() {
        Value::String(_) => "the fallback".to_owned(),
        index => format!("rule {index}"),
    };
    match verdict.action {
        Action::Disqualify {
            message,
            redirect_url,
        } => {
            decided.answer.message = Some(message.clone());
            decided.answer.redirect_url = redirect_url.clone();
            decided.reason = format!("{rule_name} disqualifies");
        }
        Action::Request { meeting_type_id } => {
            let meeting_type = active_type(conn, meeting_type_id)?;
            decided.answer.host_ids = Some(meeting_type.host_ids.clone());
            decided.meeting_type_id = Some(meeting_type.id);
            decided.reason = format!("{rule_name} asks for a meeting request");
        }
        Action::Book {
            meeting_type_id,
            host_ids,
            prefer_owner,
        } => {
            let meeting_type = active_type(conn, meeting_type_id)?;
            let mut hosts =
                active_hosts(conn, host_ids.as_ref().unwrap_or(&meeting_type.host_ids))?;
            let owner = if *prefer_owner {
                owner_of(conn, lead, context.crm_provider)?.filter(|owner| hosts.contains(owner))
            } else {
                None
            };
            if let Some(owner) = &owner {
                hosts = vec![owner.clone()];
                decided.owner_routed = true;
            }
            let candidates = candidates_for(
                conn,
                &meeting_type,
                &hosts,
                None,
                context.now,
                &context.policy,
                &context.settings,
            )?;
            let next = match meeting_type.host_mode {
                HostMode::RoundRobin => assignment::choose(&candidates),
                HostMode::Collective => None,
            };
            decided.reason = match (&owner, meeting_type.host_mode) {
                (Some(owner), _) => {
                    format!("account owner {owner} hosts {rule_name}'s meeting type")
                }
                (None, HostMode::RoundRobin) => format!(
                    "{rule_name} books; weighted round robin picks among the free hosts when a time is chosen"
                ),
                (None, HostMode::Collective) => format!("{rule_name} books with every host"),
            };
            decided.candidates = candidates
                .into_iter()
                .enumerate()
                .map(|(index, candidate)| {
                    let chosen = match meeting_type.host_mode {
                        HostMode::RoundRobin => next == Some(index),
                        HostMode::Collective => candidate.free,
                    };
                    (candidate, chosen)
                })
                .collect();
            decided.answer.host_ids = Some(hosts);
            decided.meeting_type_id = Some(meeting_type.id);
        }
    }
    Ok(decided)
}

fn active_type(conn: &mut DbConnection, id: &str) -> Result<MeetingType, RoutingError> {
    types_repo::find(conn, id)?
        .filter(|meeting_type| meeting_type.active)
        .ok_or_else(|| {
            RoutingError::Conflict(
                "the router's rule names a meeting type that is no longer offered".into(),
            )
        })
}

fn active_hosts(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<String>, StoreError> {
    let active: Vec<String> = users_repo::find_all(conn, ids)?
        .into_iter()
        .filter(|user| user.active)
        .map(|user| user.id)
        .collect();
    Ok(ids
        .iter()
        .filter(|id| active.contains(id))
        .cloned()
        .collect())
}

/// The owner the CRM names for the lead or its company, when that owner is a Convene user;
/// else the lead's own owner, else the owner of its company's account (by a non-free-mail
/// domain).
fn owner_of(
    conn: &mut DbConnection,
    lead: &Lead,
    crm_provider: &str,
) -> Result<Option<String>, StoreError> {
    let company_domain = email_domain(&lead.email).filter(|domain| !is_free_mail(domain));
    let crm_owner =
        crate::crm::owners::owner_user(conn, crm_provider, &lead.email, company_domain)?;
    if crm_owner.is_some() {
        return Ok(crm_owner);
    }
    if lead.owner_id.is_some() {
        return Ok(lead.owner_id.clone());
    }
    match company_domain {
        Some(domain) => repo::account_owner(conn, domain, Some(&lead.id)),
        None => Ok(None),
    }
}

/// Each host with its weight, load in the window and freedom: free at `at` when a time was
/// picked, else free for some time within the next days.
pub fn candidates_for(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
    hosts: &[String],
    free_at: Option<&[String]>,
    now: DateTime<Utc>,
    policy: &ReadPolicy,
    settings: &RouterSettings,
) -> Result<Vec<Candidate>, StoreError> {
    let free: Vec<String> = match free_at {
        Some(free) => free.to_vec(),
        None => {
            let mut any_one = meeting_type.clone();
            any_one.host_ids = hosts.to_vec();
            any_one.host_mode = HostMode::RoundRobin;
            let window = Interval {
                start: now,
                end: now + Duration::days(FREE_TIME_HORIZON_DAYS),
            };
            let mut free: Vec<String> = Vec::new();
            for slot in bookable(conn, &any_one, window, now, None, policy)? {
                for host in slot.hosts {
                    if !free.contains(&host) {
                        free.push(host);
                    }
                }
                if free.len() == hosts.len() {
                    break;
                }
            }
            free
        }
    };
    let since = now - Duration::days(i64::from(meeting_type.round_robin_window_days));
    let loads = repo::ledger_loads(
        conn,
        &meeting_type.id,
        since,
        repo::LedgerCounts {
            owner_routed: settings.ledger_counts_owner_routed,
            no_shows: settings.ledger_counts_no_shows,
        },
    )?;
    Ok(repo::weights_of(conn, &meeting_type.id, hosts)?
        .into_iter()
        .map(|(host_id, weight, priority)| {
            let (assigned_in_window, last_assigned_at) =
                loads.get(&host_id).copied().unwrap_or_default();
            Candidate {
                free: free.contains(&host_id),
                host_id,
                weight,
                priority,
                assigned_in_window,
                last_assigned_at,
            }
        })
        .collect())
}

/// Host weights of a meeting type, every host listed (defaults where none was set).
pub async fn host_weights(
    state: &AppState,
    meeting_type_id: String,
) -> Result<Vec<HostWeight>, RoutingError> {
    state
        .db
        .run(move |conn| {
            let Some(meeting_type) = types_repo::find(conn, &meeting_type_id)? else {
                return Ok(Err(RoutingError::NotFound("no meeting type with that id")));
            };
            Ok(Ok(weights_view(conn, &meeting_type)?))
        })
        .await?
}

fn weights_view(
    conn: &mut DbConnection,
    meeting_type: &MeetingType,
) -> Result<Vec<HostWeight>, StoreError> {
    Ok(
        repo::weights_of(conn, &meeting_type.id, &meeting_type.host_ids)?
            .into_iter()
            .map(|(user_id, weight, priority)| HostWeight {
                user_id,
                weight: i32::from(weight),
                priority: i32::from(priority),
            })
            .collect(),
    )
}

/// Sets the weights and priorities of a meeting type's hosts; hosts not listed go back to the
/// defaults.
pub async fn set_host_weights(
    state: &AppState,
    meeting_type_id: String,
    weights: Vec<HostWeight>,
    actor: Actor,
) -> Result<Vec<HostWeight>, RoutingError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let meeting_type = types_repo::find(conn, &meeting_type_id)?
                    .ok_or(RoutingError::NotFound("no meeting type with that id"))?;
                let mut errors = RuleErrors::default();
                let mut seen: Vec<&str> = Vec::new();
                for (index, weight) in weights.iter().enumerate() {
                    if !meeting_type.host_ids.contains(&weight.user_id) {
                        errors.add(
                            format!("[{index}].user_id"),
                            "is not a host of the meeting type",
                        );
                    } else if seen.contains(&weight.user_id.as_str()) {
                        errors.add(format!("[{index}].user_id"), "is listed twice");
                    }
                    seen.push(&weight.user_id);
                    if !(0..=i32::from(MAX_WEIGHT)).contains(&weight.weight) {
                        errors.add(
                            format!("[{index}].weight"),
                            format!("must be 0 to {MAX_WEIGHT}"),
                        );
                    }
                    if !(0..=i32::from(MAX_PRIORITY)).contains(&weight.priority) {
                        errors.add(
                            format!("[{index}].priority"),
                            format!("must be 0 to {MAX_PRIORITY}"),
                        );
                    }
                }
                if !errors.is_empty() {
                    return Err(RoutingError::Invalid(errors));
                }
                let rows: Vec<(String, i32, i32)> = weights
                    .iter()
                    .map(|w| (w.user_id.clone(), w.weight, w.priority))
                    .collect();
                repo::replace_weights(conn, &meeting_type.id, &rows, &actor, now)?;
                Ok(weights_view(conn, &meeting_type)?)
            }))
        })
        .await?
}

/// Parses a replay bound: an RFC 3339 time, or a date (its first or last instant, UTC).
fn parse_bound(
    raw: Option<&str>,
    field: &str,
    end_of_day: bool,
) -> Result<DateTime<Utc>, RoutingError> {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(invalid(field, "is required"));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|day| {
            if end_of_day {
                day.and_hms_milli_opt(23, 59, 59, 999)
            } else {
                day.and_hms_opt(0, 0, 0)
            }
        })
        .map(|at| at.and_utc())
        .ok_or_else(|| invalid(field, "must be an RFC 3339 time or a date (YYYY-MM-DD)"))
}

/// The router's current rules applied to the leads created in `[from, to]`, writing nothing.
/// Hosts are counted as the weighted round robin would assign them over that run, each free,
/// starting from an empty ledger; owners take their accounts' leads where the rule says so.
pub async fn replay(
    state: &AppState,
    router_id: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<ReplayReport, RoutingError> {
    let from = parse_bound(from.as_deref(), "from", false)?;
    let to = parse_bound(to.as_deref(), "to", true)?;
    if to < from {
        return Err(invalid("to", "must not be before from"));
    }
    let crm_provider = state.crm.name;
    state
        .db
        .run(move |conn| Ok(replay_on(conn, &router_id, from, to, crm_provider)))
        .await?
}

fn replay_on(
    conn: &mut DbConnection,
    router_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    crm_provider: &str,
) -> Result<ReplayReport, RoutingError> {
    let router = repo::find_router(conn, router_id)?
        .ok_or(RoutingError::NotFound("no router with that id"))?;
    let rule_set = rule_set_of(&router)?;
    let leads = repo::leads_created_between(conn, from, to, MAX_REPLAY_LEADS)?;
    let mut decisions = DecisionCounts::default();
    let mut by_host: Vec<HostCount> = Vec::new();
    let mut pools: HashMap<String, Vec<Candidate>> = HashMap::new();
    let mut types: HashMap<String, Option<MeetingType>> = HashMap::new();
    for lead in &leads {
        let verdict = evaluate(&rule_set, &LeadFields::of(lead));
        match verdict.action {
            Action::Disqualify { .. } => decisions.disqualified += 1,
            Action::Request { .. } => decisions.request += 1,
            Action::Book {
                meeting_type_id,
                host_ids,
                prefer_owner,
            } => {
                decisions.book += 1;
                if !types.contains_key(meeting_type_id) {
                    let found = types_repo::find(conn, meeting_type_id)?.filter(|t| t.active);
                    types.insert(meeting_type_id.clone(), found);
                }
                let Some(Some(meeting_type)) = types.get(meeting_type_id) else {
                    continue;
                };
                let hosts = host_ids
                    .clone()
                    .unwrap_or_else(|| meeting_type.host_ids.clone());
                let owner = if *prefer_owner {
                    owner_of(conn, lead, crm_provider)?.filter(|owner| hosts.contains(owner))
                } else {
                    None
                };
                let assigned: Vec<String> = match (owner, meeting_type.host_mode) {
                    (Some(owner), _) => vec![owner],
                    (None, HostMode::Collective) => hosts,
                    (None, HostMode::RoundRobin) => {
                        let key = format!("{meeting_type_id}:{}", hosts.join(","));
                        if !pools.contains_key(&key) {
                            let pool = repo::weights_of(conn, meeting_type_id, &hosts)?
                                .into_iter()
                                .map(|(host_id, weight, priority)| Candidate {
                                    host_id,
                                    weight,
                                    priority,
                                    assigned_in_window: 0,
                                    last_assigned_at: None,
                                    free: true,
                                })
                                .collect();
                            pools.insert(key.clone(), pool);
                        }
                        let pool = pools
                            .get_mut(&key)
                            .map(Vec::as_mut_slice)
                            .unwrap_or_default();
                        match assignment::choose(pool) {
                            Some(index) => {
                                pool[index].assigned_in_window += 1;
                                pool[index].last_assigned_at = Some(lead.created_at.and_utc());
                                vec![pool[index].host_id.clone()]
                            }
                            None => Vec::new(),
                        }
                    }
                };
                for host in assigned {
                    match by_host.iter_mut().find(|count| count.host_id == host) {
                        Some(count) => count.count += 1,
                        None => by_host.push(HostCount {
                            host_id: host,
                            count: 1,
                        }),
                    }
                }
            }
        }
    }
    by_host.sort_by(|a, b| b.count.cmp(&a.count).then(a.host_id.cmp(&b.host_id)));
    Ok(ReplayReport {
        leads: u32::try_from(leads.len()).unwrap_or(u32::MAX),
        decisions,
        by_host,
    })
}

/// Names of every meeting type and user by id, for pages that show rules and hosts.
pub async fn names(state: &AppState) -> Result<HashMap<String, String>, RoutingError> {
    Ok(state
        .db
        .run(move |conn| -> Result<_, StoreError> {
            let mut names: HashMap<String, String> = types_repo::list(conn)?
                .into_iter()
                .map(|meeting_type| (meeting_type.id, meeting_type.name))
                .collect();
            let mut after: Option<String> = None;
            loop {
                let page = users_repo::list(conn, after.as_deref(), 500)?;
                after = page.last().map(|user| user.email.clone());
                let full = page.len() == 500;
                names.extend(page.into_iter().map(|user| (user.id, user.name)));
                if !full {
                    return Ok(names);
                }
            }
        })
        .await?)
}

/// The router's rules and fallback as people read them: `(condition, action)` per rule.
pub fn rules_in_words(
    router: &Router,
    names: &HashMap<String, String>,
) -> Result<(Vec<(String, String)>, String), RoutingError> {
    use crate::routing::describe::{describe_action, describe_when};
    let rule_set = rule_set_of(router)?;
    let rules = rule_set
        .rules
        .iter()
        .map(|rule| {
            (
                describe_when(&rule.when),
                describe_action(&rule.then, names),
            )
        })
        .collect();
    Ok((rules, describe_action(&rule_set.fallback, names)))
}

pub async fn recent_routings(
    state: &AppState,
    router_id: String,
    limit: i64,
) -> Result<Vec<RoutingView>, RoutingError> {
    Ok(state
        .db
        .run(move |conn| repo::recent_routings(conn, &router_id, limit))
        .await?
        .into_iter()
        .map(|stored| stored.view)
        .collect())
}

/// What every router decided in `[from, to)` and which hosts took the routed meetings.
pub async fn outcomes(
    state: &AppState,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<RoutingOutcomes, RoutingError> {
    let names = names(state).await?;
    let (counts, hosts, routers) = state
        .db
        .run(move |conn| -> Result<_, StoreError> {
            let counts = repo::decision_counts(conn, from.naive_utc(), to.naive_utc())?;
            let hosts = repo::routed_meetings_by_host(conn, from.naive_utc(), to.naive_utc())?;
            let routers = repo::list_routers(conn, None, 1000)?;
            Ok((counts, hosts, routers))
        })
        .await?;
    let as_count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    let mut outcomes: Vec<RouterOutcome> = Vec::new();
    for (router_id, decision, decided, booked) in counts {
        let index = match outcomes.iter().position(|o| o.router_id == router_id) {
            Some(index) => index,
            None => {
                let name = routers
                    .iter()
                    .find(|router| router.id == router_id)
                    .map_or_else(|| "a deleted router".to_owned(), |r| r.name.clone());
                outcomes.push(RouterOutcome {
                    router_id,
                    name,
                    decisions: DecisionCounts::default(),
                    booked: 0,
                });
                outcomes.len() - 1
            }
        };
        let outcome = &mut outcomes[index];
        match decision.as_str() {
            "book" => outcome.decisions.book += as_count(decided),
            "request" => outcome.decisions.request += as_count(decided),
            _ => outcome.decisions.disqualified += as_count(decided),
        }
        outcome.booked += as_count(booked);
    }
    outcomes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(RoutingOutcomes {
        routers: outcomes,
        hosts: hosts
            .into_iter()
            .map(|(host_id, meetings, as_owner)| HostOutcome {
                name: names
                    .get(&host_id)
                    .cloned()
                    .unwrap_or_else(|| "a removed user".to_owned()),
                host_id,
                meetings: as_count(meetings),
                as_owner: as_count(as_owner),
            })
            .collect(),
    })
}
