//! The admin Routers pages: the routers with their rules in words, a form to add or edit one,
//! a test with a sample lead (a dry run, with the whole explanation), a replay over past leads
//! with the distribution per host, the latest decisions, and the snippet for the website.

use std::collections::HashMap;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::roles::Permission;
use crate::error::{AppError, PageError};
use crate::http::extractors::{AdminSession, CsrfForm, CsrfProtected, CsrfToken};
use crate::http::pages::{render, see_other, Chrome};
use crate::routing::error::RoutingError;
use crate::routing::model::{
    CreateRouter, ExplainedRouteAnswer, ReplayReport, Router, RoutingView, UpdateRouter,
};
use crate::routing::routes::{explained, form_submission};
use crate::routing::service::{self, RouterAddress};
use crate::state::AppState;

const LISTED_ROUTERS: i64 = 200;
const RECENT_DECISIONS: i64 = 20;

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(routers_page)
        .service(create_from_page)
        .service(test_router)
        .service(replay_router)
        .service(router_page)
        .service(update_from_page)
        .service(delete_from_page);
}

/// The router form as typed: rules and fallback are JSON text.
#[derive(Debug, Default, Deserialize)]
struct RouterForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    fallback: String,
}

impl CsrfProtected for RouterForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl RouterForm {
    fn of(router: &Router) -> Self {
        let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
        Self {
            csrf_token: String::new(),
            slug: router.slug.clone(),
            name: router.name.clone(),
            rules: pretty(&router.rules),
            fallback: pretty(&router.fallback),
        }
    }

    /// The JSON fields read, or the places where the text is not JSON.
    fn parsed(&self) -> Result<(Value, Value), Vec<(String, String)>> {
        let read = |field: &str, text: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|e| (field.to_owned(), format!("is not valid JSON: {e}")))
        };
        match (read("rules", &self.rules), read("fallback", &self.fallback)) {
            (Ok(rules), Ok(fallback)) => Ok((rules, fallback)),
            (rules, fallback) => Err([rules.err(), fallback.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }
}

/// Why a save was refused, as `(where, what)` pairs, or the error a page cannot show in place.
fn form_problems(error: RoutingError) -> Result<Vec<(String, String)>, PageError> {
    match error {
        RoutingError::Invalid(errors) => Ok(errors
            .iter()
            .map(|(at, message)| (at.to_owned(), message.to_owned()))
            .collect()),
        RoutingError::SlugTaken(_) => Ok(vec![("slug".into(), error.to_string())]),
        other => Err(other.into()),
    }
}

struct RouterRow {
    router: Router,
    rules: usize,
}

#[derive(Template)]
#[template(path = "admin/routers.html")]
struct RoutersPage {
    chrome: Chrome,
    routers: Vec<RouterRow>,
    form: RouterForm,
    problems: Vec<(String, String)>,
    example_rules: &'static str,
    example_fallback: &'static str,
}

const EXAMPLE_RULES: &str = r#"[
  {"when": {"all": [{"field": "score", "op": "gte", "value": 60},
                    {"field": "country", "op": "in", "value": ["DE", "AT", "CH"]}]},
   "then": {"book": {"meeting_type_id": "…", "prefer_owner": true}}}
]"#;
const EXAMPLE_FALLBACK: &str =
    r#"{"disqualify": {"message": "Thank you! We will be in touch by email."}}"#;

async fn list_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    form: RouterForm,
    problems: Vec<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let routers = service::list_routers(state, None, LISTED_ROUTERS).await?;
    let rows = routers
        .into_iter()
        .map(|router| RouterRow {
            rules: router.rules.as_array().map_or(0, Vec::len),
            router,
        })
        .collect();
    render(&RoutersPage {
        chrome: Chrome::new(session, csrf, "/admin/routers"),
        routers: rows,
        form,
        problems,
        example_rules: EXAMPLE_RULES,
        example_fallback: EXAMPLE_FALLBACK,
    })
}

#[get("/routers")]
async fn routers_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageRouters)?;
    let form = RouterForm {
        rules: EXAMPLE_RULES.replace("\"…\"", "\"\""),
        fallback: EXAMPLE_FALLBACK.to_owned(),
        ..RouterForm::default()
    };
    list_response(&state, &session, &csrf, form, Vec::new()).await
}

#[post("/routers")]
async fn create_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    form: CsrfForm<RouterForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageRouters)?;
    let form = form.0;
    let (rules, fallback) = match form.parsed() {
        Ok(parsed) => parsed,
        Err(problems) => return list_response(&state, &session, &csrf, form, problems).await,
    };
    let request = CreateRouter {
        slug: Some(form.slug.clone()),
        name: Some(form.name.clone()),
        rules: Some(rules),
        fallback: Some(fallback),
    };
    match service::create_router(&state, request, session.principal.actor.clone()).await {
        Ok(router) => Ok(see_other(&format!("/admin/routers/{}?saved=1", router.id))),
        Err(error) => {
            let problems = form_problems(error)?;
            list_response(&state, &session, &csrf, form, problems).await
        }
    }
}

/// One line of a rule's explanation as the test shows it.
struct TestResult {
    answer: ExplainedRouteAnswer,
    matched: String,
}

#[derive(Template)]
#[template(path = "admin/router.html")]
struct RouterPage {
    chrome: Chrome,
    router: Router,
    route_url: String,
    script_url: String,
    rules_in_words: Vec<(String, String)>,
    fallback_in_words: String,
    form: RouterForm,
    problems: Vec<(String, String)>,
    notice: Option<&'static str>,
    names: HashMap<String, String>,
    recent: Vec<RoutingView>,
    sample: SampleLead,
    test: Option<TestResult>,
    test_problem: Option<String>,
    replay_span: ReplaySpan,
    replay: Option<ReplayReport>,
    replay_problem: Option<String>,
}

impl RouterPage {
    fn name_of<'a>(&'a self, id: &'a str) -> &'a str {
        self.names.get(id).map_or(id, String::as_str)
    }

    fn share(count: &u32, total: &u32) -> String {
        crate::reports::display::share_of(*count, *total)
    }

    fn shown(value: &Value) -> String {
        match value {
            Value::Null => "—".to_owned(),
            Value::String(text) => text.clone(),
            Value::Array(values) => values
                .iter()
                .map(Self::shown)
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
}

/// The sample lead of the test form, as typed (CSV names, as a website form sends them).
#[derive(Debug, Default, Deserialize)]
struct SampleLead {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    a_country: String,
    #[serde(default)]
    a_company_size: String,
    #[serde(default)]
    utm_source: String,
    #[serde(default)]
    bant_budget: Option<String>,
    #[serde(default)]
    bant_authority: Option<String>,
    #[serde(default)]
    bant_need: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ReplaySpan {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// What the detail page shows besides the router itself.
#[derive(Default)]
struct Extras {
    form: Option<RouterForm>,
    problems: Vec<(String, String)>,
    notice: Option<&'static str>,
    sample: SampleLead,
    test: Option<TestResult>,
    test_problem: Option<String>,
    replay_span: ReplaySpan,
    replay: Option<ReplayReport>,
    replay_problem: Option<String>,
}

async fn detail_response(
    state: &AppState,
    session: &AdminSession,
    csrf: &CsrfToken,
    id: String,
    extras: Extras,
) -> Result<HttpResponse, PageError> {
    let router = service::find_router(state, id.clone()).await?;
    let names = service::names(state).await?;
    let (rules_in_words, fallback_in_words) = service::rules_in_words(&router, &names)?;
    let recent = service::recent_routings(state, id, RECENT_DECISIONS).await?;
    let base = state.settings.server.public_base();
    let today = state.clock.now().date_naive();
    let replay_span = ReplaySpan {
        from: if extras.replay_span.from.is_empty() {
            (today - chrono::Duration::days(30)).to_string()
        } else {
            extras.replay_span.from
        },
        to: if extras.replay_span.to.is_empty() {
            today.to_string()
        } else {
            extras.replay_span.to
        },
    };
    render(&RouterPage {
        chrome: Chrome::new(session, csrf, "/admin/routers"),
        route_url: format!("{base}/route/{}", router.slug),
        script_url: format!("{base}/route.js"),
        rules_in_words,
        fallback_in_words,
        form: extras.form.unwrap_or_else(|| RouterForm::of(&router)),
        problems: extras.problems,
        notice: extras.notice,
        names,
        recent,
        sample: extras.sample,
        test: extras.test,
        test_problem: extras.test_problem,
        replay_span,
        replay: extras.replay,
        replay_problem: extras.replay_problem,
        router,
    })
}

#[derive(Debug, Deserialize)]
struct DetailQuery {
    saved: Option<String>,
}

#[get("/routers/{id}")]
async fn router_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<DetailQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageRouters)?;
    let extras = Extras {
        notice: query
            .saved
            .as_ref()
            .map(|_| "Saved. New decisions use this version; earlier ones keep theirs."),
        ..Extras::default()
    };
    detail_response(&state, &session, &csrf, id.into_inner(), extras).await
}

/// A dry run with a sample lead: decides and explains, writing nothing.
#[get("/routers/{id}/test")]
async fn test_router(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageRouters)?;
    let id = id.into_inner();
    let raw = request.query_string().as_bytes();
    let sample: SampleLead = serde_urlencoded::from_bytes(raw).unwrap_or_default();
    let outcome = async {
        let mut body = form_submission(raw)?;
        body.dry_run = Some(true);
        let submission = service::parse_submission(body)?;
        let decided = service::route(
            &state,
            RouterAddress::Id(id.clone()),
            submission,
            session.principal.actor.clone(),
        )
        .await?;
        Ok::<_, AppError>(explained(decided, true))
    }
    .await;
    let mut extras = Extras {
        sample,
        ..Extras::default()
    };
    match outcome {
        Ok(answer) => {
            let matched = match &answer.matched_rule {
                Value::String(_) => "the fallback".to_owned(),
                index => format!("rule {}", RouterPage::shown(index)),
            };
            extras.test = Some(TestResult { answer, matched });
        }
        Err(AppError::Validation(fields)) => extras.test_problem = Some(fields.for_people()),
        Err(AppError::BadRequest(message)) => extras.test_problem = Some(message),
        Err(other) => return Err(other.into()),
    }
    detail_response(&state, &session, &csrf, id, extras).await
}

#[get("/routers/{id}/replay")]
async fn replay_router(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    span: web::Query<ReplaySpan>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageRouters)?;
    let id = id.into_inner();
    let span = span.into_inner();
    let outcome = service::replay(
        &state,
        id.clone(),
        Some(span.from.clone()),
        Some(span.to.clone()),
    )
    .await;
    let mut extras = Extras {
        replay_span: span,
        ..Extras::default()
    };
    match outcome {
        Ok(report) => extras.replay = Some(report),
        Err(RoutingError::Invalid(errors)) => {
            extras.replay_problem = Some(
                errors
                    .iter()
                    .map(|(at, message)| format!("{at} {message}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
        Err(other) => return Err(other.into()),
    }
    detail_response(&state, &session, &csrf, id, extras).await
}

#[post("/routers/{id}")]
async fn update_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: CsrfForm<RouterForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageRouters)?;
    let id = id.into_inner();
    let form = form.0;
    let refused = |form: RouterForm, problems| Extras {
        form: Some(form),
        problems,
        ..Extras::default()
    };
    let (rules, fallback) = match form.parsed() {
        Ok(parsed) => parsed,
        Err(problems) => {
            return detail_response(&state, &session, &csrf, id, refused(form, problems)).await
        }
    };
    let request = UpdateRouter {
        slug: Some(form.slug.clone()),
        name: Some(form.name.clone()),
        rules: Some(rules),
        fallback: Some(fallback),
    };
    match service::update_router(&state, id.clone(), request, session.principal.actor.clone()).await
    {
        Ok(router) => Ok(see_other(&format!("/admin/routers/{}?saved=1", router.id))),
        Err(error) => {
            let problems = form_problems(error)?;
            detail_response(&state, &session, &csrf, id, refused(form, problems)).await
        }
    }
}

#[derive(Debug, Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf_token: String,
}

impl CsrfProtected for DeleteForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

#[post("/routers/{id}/delete")]
async fn delete_from_page(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    _form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageRouters)?;
    service::delete_router(&state, id.into_inner(), session.principal.actor.clone()).await?;
    Ok(see_other("/admin/routers"))
}
