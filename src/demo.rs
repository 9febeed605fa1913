//! `convene demo`: a realistic data set — hosts in several time zones, about 2,000 leads across
//! campaigns and sources, about 600 meetings over the past six months with outcomes,
//! opportunities and survey answers — written through the same repositories the service uses,
//! so scores, audit trails and workflow states are what real use would leave.
//!
//! Users are found or created first (each in its own transaction, as the users repository
//! works); everything else is one transaction, and its first meeting type says it is there: a
//! second run changes nothing, an interrupted one leaves no half data set behind.

use anyhow::anyhow;
use chrono::{DateTime, Datelike, Duration, TimeZone as _, Utc, Weekday};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::audit::Actor;
use crate::auth::link_keys::LinkKey;
use crate::db::schema::{meeting_types, meetings};
use crate::db::{write_transaction, DbConnection};
use crate::leads::model::{BantInput, LeadInput};
use crate::leads::scoring::ScoringRules;
use crate::meetings::lifecycle::{place as place_meeting, schedule_if_approved, Placement};
use crate::meetings::lifecycle::{record_outcome, RecordedMeeting};
use crate::outcomes::followups::OUTCOME_OVERDUE;
use crate::outcomes::model::{NewOpportunity, OpportunityStage, OutcomeStatus, RecordOutcome};
use crate::outcomes::money::{Currency, Money};
use crate::outcomes::surveys::{self, BuyerIntent, SurveyAnswer};
use crate::scheduling::meeting_types::{MeetingType, MeetingTypeInput};
use crate::users::model::CreateUserRequest;
use crate::values::{Email, TimeZone};
use crate::workflow::repo::{self as requests_repo, NewRequest, Step};
use crate::workflow::state::{transition, RequestStatus, WorkflowAction};

pub const LEADS: usize = 2000;
pub const MEETINGS: usize = 640;
/// The first demo meeting type: present means the demo data is loaded.
const MARKER_SLUG: &str = "executive-briefing";
/// The same data set on every run.
const SEED: u64 = 0x00C0_FFEE;

const HOSTS: [(&str, &str, &str, &str); 6] = [
    (
        "Amira Haddad",
        "amira.haddad@demo.convene.example",
        "CEO",
        "Europe/Berlin",
    ),
    (
        "Ben Carter",
        "ben.carter@demo.convene.example",
        "VP Sales",
        "America/New_York",
    ),
    (
        "Chen Wei",
        "chen.wei@demo.convene.example",
        "Solutions Architect",
        "Asia/Singapore",
    ),
    (
        "Diego Alvarez",
        "diego.alvarez@demo.convene.example",
        "Account Executive",
        "America/Los_Angeles",
    ),
    (
        "Elena Rossi",
        "elena.rossi@demo.convene.example",
        "CTO",
        "Europe/Rome",
    ),
    (
        "Farah Khan",
        "farah.khan@demo.convene.example",
        "Head of Customer Success",
        "Asia/Kolkata",
    ),
];
const STAFF: [(&str, &str, &str); 2] = [
    (
        "Morgan Lee",
        "morgan.lee@demo.convene.example",
        "meeting_manager",
    ),
    ("Riley Park", "riley.park@demo.convene.example", "marketer"),
];
/// A demo meeting type; hosts are indexes into [`HOSTS`].
struct DemoType {
    slug: &'static str,
    name: &'static str,
    minutes: i32,
    hosts: &'static [usize],
    host_mode: &'static str,
    requires_approval: bool,
    survey: bool,
}

const TYPES: [DemoType; 4] = [
    DemoType {
        slug: MARKER_SLUG,
        name: "Executive briefing",
        minutes: 45,
        hosts: &[0, 4],
        host_mode: "collective",
        requires_approval: true,
        survey: true,
    },
    DemoType {
        slug: "product-demo",
        name: "Product demo",
        minutes: 30,
        hosts: &[1, 2, 3],
        host_mode: "round_robin",
        requires_approval: false,
        survey: true,
    },
    DemoType {
        slug: "technical-deep-dive",
        name: "Technical deep dive",
        minutes: 60,
        hosts: &[2, 4],
        host_mode: "round_robin",
        requires_approval: false,
        survey: true,
    },
    DemoType {
        slug: "success-review",
        name: "Success review",
        minutes: 30,
        hosts: &[5],
        host_mode: "collective",
        requires_approval: false,
        survey: false,
    },
];
const CAMPAIGNS: [&str; 6] = [
    "spring-launch",
    "webinar-series",
    "partner-referrals",
    "trade-show-berlin",
    "paid-search-q3",
    "content-syndication",
];
const SOURCES: [&str; 6] = [
    "webinar",
    "referral",
    "event",
    "paid_search",
    "content_download",
    "website",
];
const FIRST: [&str; 16] = [
    "Alex", "Sam", "Jordan", "Taylor", "Priya", "Mateo", "Yuki", "Lena", "Omar", "Sofia", "Noah",
    "Ines", "Kofi", "Hana", "Lucas", "Maya",
];
const LAST: [&str; 16] = [
    "Schmidt", "Nguyen", "Garcia", "Kowalski", "Okafor", "Silva", "Tanaka", "Dubois", "Novak",
    "Haddad", "Larsen", "Moreau", "Patel", "Rossi", "Brown", "Kim",
];
const COMPANIES: [&str; 12] = [
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Logistics",
    "Wayne Foods",
    "Acme Health",
    "Tyrell Energy",
    "Soylent Retail",
    "Cyberdyne Bank",
    "Hooli Media",
    "Vandelay Imports",
];
const TITLES: [&str; 8] = [
    "CEO",
    "VP Marketing",
    "Director of IT",
    "Head of Operations",
    "Procurement Manager",
    "Engineer",
    "CFO",
    "Office Manager",
];
const ZONES: [&str; 6] = [
    "Europe/London",
    "Europe/Paris",
    "America/Chicago",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
];
const TIMINGS: [&str; 5] = ["now", "this_quarter", "this_year", "later", "unknown"];

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub already_loaded: bool,
    pub leads: usize,
    pub meetings: usize,
    /// Who can sign in: name, email and role, staff first.
    pub personas: Vec<(String, String, String)>,
}

/// The number of progress steps a run reports: one per lead and one per meeting.
pub fn steps() -> u64 {
    (LEADS + MEETINGS) as u64
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// A working hour in the host's zone on the weekday nearest before `days_ago` days before
/// `now`, as UTC; `None` only inside a daylight-saving gap.
fn working_hour(
    rng: &mut StdRng,
    zone: TimeZone,
    now: DateTime<Utc>,
    days_ago: i64,
) -> Option<DateTime<Utc>> {
    let mut day = (now - Duration::days(days_ago))
        .with_timezone(&zone.tz())
        .date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.pred_opt()?;
    }
    let hour = rng.gen_range(9..17);
    let minute = if rng.gen_bool(0.5) { 0 } else { 30 };
    zone.tz()
        .with_ymd_and_hms(day.year(), day.month(), day.day(), hour, minute, 0)
        .single()
        .map(|at| at.with_timezone(&Utc))
}

/// Loads the demo data set unless it is there already. The personas it creates sign in with
/// the password `password_hash` was made from; without one they can only be given a password
/// later.
pub fn load(
    conn: &mut DbConnection,
    rules: &ScoringRules,
    now: DateTime<Utc>,
    password_hash: Option<&str>,
    progress: &dyn Fn(u64),
) -> anyhow::Result<DemoSummary> {
    let start = now - Duration::days(200);
    let mut hosts = Vec::new();
    let mut personas = Vec::new();
    for (name, email, title, zone) in HOSTS {
        let persona = Persona {
            name,
            email,
            role: "host",
            title: Some(title),
            zone,
        };
        hosts.push(user(conn, &persona, password_hash, start)?);
        personas.push(persona);
    }
    let mut staff = Vec::new();
    for (name, email, role) in STAFF {
        let persona = Persona {
            name,
            email,
            role,
            title: None,
            zone: "Europe/Berlin",
        };
        staff.push(user(conn, &persona, password_hash, start)?.0);
        personas.push(persona);
    }
    let personas: Vec<(String, String, String)> = personas
        .iter()
        .rev()
        .map(|p| (p.name.to_owned(), p.email.to_owned(), p.role.to_owned()))
        .collect();
    let manager = Actor::User(staff[0].clone());
    let link_key = LinkKey::load_or_create(conn, now)?;
    write_transaction(conn, |conn| {
        let loaded: i64 = meeting_types::table
            .filter(meeting_types::slug.eq(MARKER_SLUG))
            .count()
            .get_result(conn)?;
        if loaded > 0 {
            return Ok(DemoSummary {
                already_loaded: true,
                personas: personas.clone(),
                ..DemoSummary::default()
            });
        }
        let mut rng = StdRng::seed_from_u64(SEED);
        let actor = Actor::System;
        let mut types = Vec::new();
        for demo_type in &TYPES {
            let input = MeetingTypeInput {
                slug: Some(demo_type.slug.into()),
                name: Some(demo_type.name.into()),
                duration_minutes: Some(demo_type.minutes),
                host_ids: Some(
                    demo_type
                        .hosts
                        .iter()
                        .map(|&i| hosts[i].0.clone())
                        .collect(),
                ),
                host_mode: Some(demo_type.host_mode.into()),
                requires_approval: Some(demo_type.requires_approval),
                survey: Some(demo_type.survey),
                location: Some("Video call".into()),
                ..MeetingTypeInput::default()
            };
            let settings = input.parse_new().map_err(|e| anyhow!(e.for_people()))?;
            types.push(crate::scheduling::repo::insert(
                conn, &settings, &actor, start,
            )?);
        }
        let mut leads = Vec::with_capacity(LEADS);
        for n in 0..LEADS {
            leads.push(lead(conn, &mut rng, rules, n, now)?);
            progress(1);
        }
        let mut meetings = 0;
        for n in 0..MEETINGS {
            let world = World {
                hosts: &hosts,
                types: &types,
                leads: &leads,
                manager: &manager,
                link_key: &link_key,
                now,
            };
            if meeting(conn, &mut rng, &world, n)? {
                meetings += 1;
            }
            progress(1);
        }
        Ok(DemoSummary {
            already_loaded: false,
            leads: leads.len(),
            meetings,
            personas: personas.clone(),
        })
    })
}

/// A user's id and time zone.
type Host = (String, TimeZone);

/// A demo user as it is created.
struct Persona {
    name: &'static str,
    email: &'static str,
    role: &'static str,
    title: Option<&'static str>,
    zone: &'static str,
}

/// The persona's user: found when it is there already (its password left as it is), or
/// created with the demo password.
fn user(
    conn: &mut DbConnection,
    persona: &Persona,
    password_hash: Option<&str>,
    at: DateTime<Utc>,
) -> anyhow::Result<Host> {
    if let Some(user) = crate::users::repo::find_by_email(conn, persona.email)? {
        return Ok((user.id, user.timezone));
    }
    let request = CreateUserRequest {
        email: persona.email.into(),
        name: persona.name.into(),
        role: persona.role.into(),
        title: persona.title.map(str::to_owned),
        timezone: Some(persona.zone.into()),
        working_hours: None,
    };
    let new_user = request.parse().map_err(|e| anyhow!(e.for_people()))?;
    let user = crate::users::repo::insert(
        conn,
        &new_user,
        password_hash.map(str::to_owned),
        &Actor::System,
        at,
    )?;
    Ok((user.id, user.timezone))
}

/// A lead: its id, email, score and when it arrived.
struct DemoLead {
    id: String,
    email: Email,
    score: u8,
    zone: TimeZone,
    created_at: DateTime<Utc>,
}

fn lead(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    rules: &ScoringRules,
    n: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<DemoLead> {
    let first = pick(rng, &FIRST);
    let last = pick(rng, &LAST);
    let company = pick(rng, &COMPANIES);
    let domain: String = company
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    // Keen leads confirm more of BANT; the mix gives every stage of the funnel.
    let keen = rng.gen_bool(0.45);
    let confirmed = |rng: &mut StdRng| rng.gen_bool(if keen { 0.85 } else { 0.25 });
    let input = LeadInput {
        email: format!(
            "{}.{}{n}@{domain}.example",
            first.to_lowercase(),
            last.to_lowercase()
        ),
        name: format!("{first} {last}"),
        company: Some((*company).to_owned()),
        title: Some((*pick(rng, &TITLES)).to_owned()),
        source: Some((*pick(rng, &SOURCES)).to_owned()),
        campaign: Some((*pick(rng, &CAMPAIGNS)).to_owned()),
        timezone: Some((*pick(rng, &ZONES)).to_owned()),
        bant: Some(BantInput {
            budget: Some(confirmed(rng)),
            authority: Some(confirmed(rng)),
            need: Some(confirmed(rng)),
            timing: Some((*pick(rng, &TIMINGS)).to_owned()),
        }),
        ..LeadInput::default()
    };
    let intake = input.parse().map_err(|e| anyhow!(e.for_people()))?;
    let created_at = now - Duration::minutes(rng.gen_range(60..(183 * 24 * 60)));
    let quiet = quiet_publisher();
    let change = crate::leads::repo::LeadChange {
        actor: &Actor::System,
        publisher: &quiet,
        now: created_at,
    };
    let (lead, _) = crate::leads::repo::upsert(conn, &intake, rules, &change)?;
    let zone = intake.timezone;
    Ok(DemoLead {
        id: lead.id,
        email: intake.email,
        score: lead.score,
        zone: zone
            .or_else(|| TimeZone::parse("UTC").ok())
            .ok_or_else(|| anyhow!("UTC is a time zone"))?,
        created_at,
    })
}

/// What meetings are made from.
struct World<'a> {
    hosts: &'a [Host],
    types: &'a [MeetingType],
    leads: &'a [DemoLead],
    manager: &'a Actor,
    link_key: &'a LinkKey,
    now: DateTime<Utc>,
}

/// One meeting request with, usually, its meeting, outcome, opportunity and survey; true
/// when a meeting was placed (some requests stay pending or are rejected).
fn meeting(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    world: &World<'_>,
    n: usize,
) -> anyhow::Result<bool> {
    let (hosts, types, now) = (world.hosts, world.types, world.now);
    let meeting_type = pick(rng, types);
    let host_ids: Vec<String> =
        if meeting_type.host_mode == crate::scheduling::availability::HostMode::Collective {
            meeting_type.host_ids.clone()
        } else {
            vec![pick(rng, &meeting_type.host_ids).clone()]
        };
    let zone = hosts
        .iter()
        .find(|(id, _)| id == &host_ids[0])
        .map(|(_, zone)| *zone)
        .ok_or_else(|| anyhow!("demo host missing"))?;
    // Every eighth request for a type that needs approval came in during the last hours and
    // waits in the queue, most within the approval SLA; all others were decided long ago.
    let fresh = meeting_type.requires_approval && n % 8 == 3;
    // A few meetings lie ahead, the rest spread over the past six months.
    let days_ago = if fresh || n % 25 == 0 {
        -rng.gen_range(1..15)
    } else {
        rng.gen_range(1..182)
    };
    let Some(start) = working_hour(rng, zone, now, days_ago) else {
        return Ok(false);
    };
    let requested_at = if fresh {
        now - Duration::minutes(rng.gen_range(20..(30 * 60)))
    } else {
        (start - Duration::hours(rng.gen_range(20..(16 * 24))))
            .min(now - Duration::hours(rng.gen_range(2..72)))
    };
    // Meetings go mostly to qualified leads, as a meeting manager would have it, and only to
    // leads that had arrived by then.
    let Some(lead) = (0..500)
        .map(|_| pick(rng, world.leads))
        .find(|lead| lead.created_at < requested_at && (lead.score >= 40 || lead.score % 7 == 0))
    else {
        return Ok(false);
    };
    let actor = Actor::System;
    let needs_approval = meeting_type.requires_approval;
    let submit = WorkflowAction::Submit { needs_approval };
    let submitted = transition(RequestStatus::Requested, &submit)?;
    let request = requests_repo::insert(
        conn,
        &NewRequest {
            lead_id: &lead.id,
            meeting_type_id: &meeting_type.id,
            host_ids: &host_ids,
            notes: None,
            submitted_status: submitted,
            submit,
            attribution: None,
            prospect_language: crate::i18n::Language::default(),
        },
        &actor,
        requested_at,
    )?;
    if fresh {
        return Ok(false);
    }
    // Managers decide within the day, and always before the meeting and before today.
    let approved_at = (requested_at + Duration::minutes(rng.gen_range(20..(20 * 60))))
        .min(start - Duration::hours(1))
        .min(now - Duration::minutes(5));
    if needs_approval {
        if approved_at <= requested_at {
            return Ok(false);
        }
        let (action, to) = if rng.gen_bool(0.15) {
            (WorkflowAction::Reject, RequestStatus::Rejected)
        } else {
            (WorkflowAction::Approve, RequestStatus::Approved)
        };
        let step = Step {
            action: &action,
            from: Some(RequestStatus::PendingApproval),
            to,
            note: (to == RequestStatus::Rejected)
                .then_some("Not a fit for an executive briefing yet"),
        };
        requests_repo::transition(conn, &request.id, &step, None, world.manager, approved_at)?;
        if to == RequestStatus::Rejected {
            return Ok(false);
        }
    }
    let scheduled_at = if needs_approval {
        approved_at
    } else {
        requested_at
    };
    place_meeting(
        conn,
        &Placement {
            meeting_type,
            request: &request,
            host_ids: &host_ids,
            start,
            zone: lead.zone,
            status: "scheduled",
            booking_link_id: None,
            prospect_key: None,
            uid_domain: "demo.convene.example",
            link_key: world.link_key,
            // Generated times may overlap; the availability engine still sees these meetings
            // as busy time through the meetings table.
            claim_time: false,
            now: scheduled_at,
        },
    )?;
    schedule_if_approved(
        conn,
        &request.id,
        RequestStatus::Approved,
        &actor,
        scheduled_at,
    )?;
    let meeting_id: String = meetings::table
        .filter(meetings::meeting_request_id.eq(&request.id))
        .select(meetings::id)
        .first(conn)?;
    let end = start + Duration::minutes(i64::from(meeting_type.duration_minutes));
    if end > now {
        return Ok(true);
    }
    let roll = rng.gen_range(0..100);
    if roll < 3 {
        cancel(conn, &meeting_id, &request.id, start - Duration::hours(3))?;
        return Ok(true);
    }
    // Meetings of the last two days may still wait for their outcome; the hosts of older
    // ones have recorded theirs, as they were asked to.
    let unconfirmed_odds = if end > now - OUTCOME_OVERDUE { 50 } else { 0 };
    if roll < 3 + unconfirmed_odds {
        return Ok(true);
    }
    let held = rng.gen_range(0..100) >= 13;
    let recorded_at = (end + Duration::hours(rng.gen_range(1..30))).min(now);
    let opportunity =
        (held && rng.gen_bool(0.45)).then(|| opportunity(rng, OpportunityStage::Qualification));
    let outcome = RecordOutcome {
        status: if held {
            OutcomeStatus::Held
        } else {
            OutcomeStatus::NoShow
        },
        notes: held.then(|| "Walked through their goals and our approach.".to_owned()),
        next_step: held.then(|| {
            (*pick(
                rng,
                &[
                    "Send proposal",
                    "Technical follow-up",
                    "Intro to procurement",
                    "Share case studies",
                ],
            ))
            .to_owned()
        }),
        opportunity: opportunity.clone(),
    };
    let mut recorded = RecordedMeeting {
        meeting_id: meeting_id.clone(),
        meeting_status: "scheduled".into(),
        request_id: request.id.clone(),
        request_status: RequestStatus::Scheduled,
    };
    record_outcome(
        conn,
        &quiet_publisher(),
        &recorded,
        &outcome,
        &actor,
        recorded_at,
    )
    .map_err(|e| anyhow!(e.to_string()))?;
    recorded.meeting_status = outcome.status.meeting_status().into();
    recorded.request_status = if held {
        RequestStatus::Completed
    } else {
        RequestStatus::NoShow
    };
    // Older opportunities have moved on through the stages since.
    if let Some(first) = opportunity {
        let mut at = recorded_at;
        for stage in later_stages(rng) {
            at += Duration::days(rng.gen_range(5..25));
            if at > now {
                break;
            }
            let moved = RecordOutcome {
                opportunity: Some(NewOpportunity {
                    amount: first.amount.clone(),
                    stage,
                }),
                ..outcome.clone()
            };
            record_outcome(conn, &quiet_publisher(), &recorded, &moved, &actor, at)
                .map_err(|e| anyhow!(e.to_string()))?;
        }
    }
    // Every held meeting of a surveyed type had its invitation; most prospects answered.
    if held && types_survey(types, &meeting_type.id) {
        if rng.gen_bool(0.6) {
            let answered_at = (recorded_at + Duration::hours(rng.gen_range(1..72))).min(now);
            survey(
                conn,
                rng,
                &meeting_id,
                &lead.email,
                (recorded_at, answered_at),
                outcome.opportunity.is_some(),
            )?;
        } else {
            surveys::create_survey_invitation(conn, &meeting_id, &lead.email, recorded_at)?;
        }
    }
    Ok(true)
}

fn types_survey(types: &[MeetingType], id: &str) -> bool {
    types.iter().any(|t| t.id == id && t.survey)
}

fn opportunity(rng: &mut StdRng, stage: OpportunityStage) -> NewOpportunity {
    let code = if rng.gen_bool(0.12) { "USD" } else { "EUR" };
    let currency = Currency::parse(code).unwrap_or_else(|_| unreachable!("a listed currency"));
    let hundreds: i64 = rng.gen_range(50..1500);
    NewOpportunity {
        amount: Money::from_minor(hundreds * 100 * 100, currency),
        stage,
    }
}

/// The stages an opportunity passes after qualification: on to proposal and negotiation, and
/// for some a close.
fn later_stages(rng: &mut StdRng) -> Vec<OpportunityStage> {
    use OpportunityStage::*;
    let mut stages = vec![Proposal];
    if rng.gen_bool(0.7) {
        stages.push(Negotiation);
        if rng.gen_bool(0.6) {
            stages.push(if rng.gen_bool(0.55) {
                ClosedWon
            } else {
                ClosedLost
            });
        }
    } else if rng.gen_bool(0.3) {
        stages.push(ClosedLost);
    }
    stages
}

fn cancel(
    conn: &mut DbConnection,
    meeting_id: &str,
    request_id: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    diesel::update(meetings::table.find(meeting_id))
        .set((
            meetings::status.eq("cancelled"),
            meetings::updated_at.eq(at.naive_utc()),
        ))
        .execute(conn)?;
    let action = WorkflowAction::Cancel;
    let step = Step {
        action: &action,
        from: Some(RequestStatus::Scheduled),
        to: transition(RequestStatus::Scheduled, &action)?,
        note: Some("The prospect had a conflict"),
    };
    requests_repo::transition(conn, request_id, &step, None, &Actor::Prospect, at)?;
    Ok(())
}

fn survey(
    conn: &mut DbConnection,
    rng: &mut StdRng,
    meeting_id: &str,
    recipient: &Email,
    (sent_at, answered_at): (DateTime<Utc>, DateTime<Utc>),
    opportunity: bool,
) -> anyhow::Result<()> {
    let token = surveys::create_survey_invitation(conn, meeting_id, recipient, sent_at)?;
    let rating = if opportunity {
        rng.gen_range(3..6)
    } else {
        rng.gen_range(2..6)
    };
    let buyer_intent = match (opportunity, rng.gen_range(0..3)) {
        (true, 0) => BuyerIntent::Medium,
        (true, _) => BuyerIntent::High,
        (false, 0) => BuyerIntent::None,
        (false, 1) => BuyerIntent::Low,
        (false, _) => BuyerIntent::Medium,
    };
    let answer = SurveyAnswer {
        rating,
        buyer_intent,
        comments: (rating >= 4 && rng.gen_bool(0.4))
            .then(|| "Clear, well prepared and to the point.".to_owned()),
    };
    surveys::answer(conn, &quiet_publisher(), &token, &answer, answered_at)
        .map_err(|e| anyhow!(e.to_string()))?;
    Ok(())
}

/// Demo history is recorded as it happened, events included; nobody is emailed, invited or
/// called back about it.
fn quiet_publisher() -> crate::events::Publisher {
    crate::events::Publisher::default()
}
