//! The served OpenAPI document for `/api/v1`.

use actix_web::{get, HttpResponse};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, ContentBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Type,
};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Convene API", description = "Meeting automation: leads, MQM requests, meetings and reports."),
    paths(
        crate::http::health::healthz,
        crate::users::routes::create_user,
        crate::users::routes::list_users,
        crate::users::routes::get_user,
        crate::users::routes::update_user,
        crate::users::routes::invite_user,
        crate::leads::routes::create_lead,
        crate::leads::routes::import_leads,
        crate::leads::routes::list_leads,
        crate::leads::routes::get_lead,
        crate::scheduling::routes::create_meeting_type,
        crate::scheduling::routes::list_meeting_types,
        crate::scheduling::routes::get_meeting_type,
        crate::scheduling::routes::update_meeting_type,
        crate::workflow::routes::create_request,
        crate::workflow::routes::list_requests,
        crate::workflow::routes::get_request,
        crate::workflow::routes::approve_request,
        crate::workflow::routes::reject_request,
        crate::workflow::routes::request_slots,
        crate::workflow::routes::schedule_request,
        crate::booking::routes::create_booking_link,
        crate::booking::routes::list_booking_links,
        crate::booking::routes::update_booking_link,
        crate::booking::routes::slots_json,
        crate::booking::routes::booking_page,
        crate::booking::routes::book,
        crate::booking::routes::reschedule_meeting,
        crate::booking::routes::cancel_meeting,
        crate::booking::meetings_api::list_meetings,
        crate::booking::meetings_api::get_meeting,
        crate::booking::meetings_api::reschedule,
        crate::booking::meetings_api::cancel,
        crate::notifications::routes::list_emails,
        crate::notifications::routes::get_email,
        crate::notifications::routes::retry_email,
        crate::outcomes::routes::record_outcome,
        crate::outcomes::routes::survey_page,
        crate::outcomes::routes::answer_survey,
        crate::reports::routes::funnel_report,
        crate::reports::routes::pipeline_report,
        crate::reports::routes::routing_report,
        crate::calendars::routes::create_connection,
        crate::calendars::routes::list_connections,
        crate::calendars::routes::delete_connection,
        crate::events::routes::list_events,
        crate::webhooks::routes::create_webhook,
        crate::webhooks::routes::list_webhooks,
        crate::webhooks::routes::get_webhook,
        crate::webhooks::routes::update_webhook,
        crate::webhooks::routes::delete_webhook,
        crate::webhooks::routes::rotate_secret,
        crate::webhooks::routes::test_webhook,
        crate::webhooks::routes::list_deliveries,
        crate::webhooks::routes::redeliver,
        crate::leads::routes::update_lead,
        crate::routing::routes::create_router,
        crate::routing::routes::list_routers,
        crate::routing::routes::get_router,
        crate::routing::routes::update_router,
        crate::routing::routes::delete_router,
        crate::routing::routes::route_with_router,
        crate::routing::routes::replay_router,
        crate::routing::routes::get_routing,
        crate::routing::routes::get_host_weights,
        crate::routing::routes::put_host_weights,
        crate::routing::routes::route_submission,
        crate::crm::routes::crm_overview,
        crate::crm::routes::list_crm_records,
        crate::crm::routes::retry_crm_record,
        crate::crm::routes::refresh_crm_owners,
    ),
    components(schemas(
        crate::error::Problem,
        crate::workflow::requests::RequestStatusName,
        crate::notifications::routes::EmailKindName,
        crate::events::routes::EventTypeName,
        crate::events::routes::EventCursor,
        crate::notifications::routes::EmailStatusName,
        crate::webhooks::model::DeliveryStatusName,
        crate::crm::routes::CrmSyncStatusName,
        crate::leads::model::LeadStageName,
        crate::leads::model::TemperatureName,
        crate::http::schemas::MeetingStatusName,
        crate::reports::model::GroupByName,
        crate::http::schemas::ReportFormat,
        crate::http::schemas::DayOrInstant,
        crate::http::schemas::Day,
        crate::http::schemas::IdFilter,
        crate::http::schemas::IanaTimeZone,
        crate::http::schemas::Id,
        crate::http::schemas::Instant,
    )),
    modifiers(&BearerAuth, &CommonProblems),
    tags(
        (name = "calendars", description = "Hosts' Google and Microsoft 365 calendars: connect, list, disconnect"),
        (name = "events", description = "Every change that matters outside Convene, in commit order"),
        (name = "webhooks", description = "Subscriptions that receive events as signed POSTs (Standard Webhooks), and their deliveries log"),
        (name = "emails", description = "The outbox: every email, its status, and retrying failed ones"),
        (name = "meetings", description = "Scheduled meetings: list, reschedule, cancel, record outcomes"),
        (name = "reports", description = "Funnel and pipeline reports, as JSON or CSV"),
        (name = "public booking", description = "What prospects use: no API key, rate-limited per client IP"),
        (name = "booking links", description = "Shareable links where prospects book"),
        (name = "meeting requests", description = "The MQM workflow: request, approve, reject"),
        (name = "meeting types", description = "Templates meetings are booked from"),
        (name = "leads", description = "Lead intake, CSV import and BANT scoring"),
        (name = "routers", description = "Inbound routers: versioned rules that turn a submission into book, request or disqualify, and their explained decisions"),
        (name = "public routing", description = "Where forms on customers' sites post leads to a router: no API key, rate-limited per client IP"),
        (name = "crm", description = "HubSpot or Salesforce sync: its state, parked pushes and their retry, owners pulled for routing"),
        (name = "users", description = "People on our side: admins, meeting managers, marketers, hosts"),
        (name = "ops", description = "Health and operations"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The problems every operation of a kind can answer, added to each so no operation forgets
/// one; every error answer is declared as a problem document.
struct CommonProblems;

const PROBLEM_JSON: &str = "application/problem+json";

fn problem_content() -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, problem_content())
}

fn add(operation: &mut Operation, status: &str, response: impl FnOnce() -> Response) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::T(response()));
}

fn integer_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some(description))
        .build()
}

impl CommonProblems {
    fn complete(path: &str, operation: &mut Operation) {
        let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
        let has_in = |location: ParameterIn| {
            operation
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == location)
        };
        let (by_path, by_query) = (has_in(ParameterIn::Path), has_in(ParameterIn::Query));
        // Pages answer their own errors as pages; only the rate limit answers them with a problem.
        let page = operation.responses.responses.values().any(|response| {
            matches!(response, RefOr::T(response) if response.content.contains_key("text/html"))
        });
        let json_body = operation
            .request_body
            .as_ref()
            .is_some_and(|body| body.content.contains_key("application/json"));
        if secured {
            let unauthorized = problem("No API key, or one that is not valid")
                .header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(ObjectBuilder::new().schema_type(Type::String))
                        .description(Some("`Bearer`"))
                        .build(),
                )
                .build();
            operation
                .responses
                .responses
                .insert("401".to_owned(), RefOr::T(unauthorized));
        }
        if json_body {
            add(operation, "400", || {
                problem("The body is not JSON, or the address holds a NUL character (%00)").build()
            });
            add(operation, "413", || {
                problem("The body is larger than the server takes").build()
            });
            add(operation, "415", || {
                problem("The body is not sent as application/json").build()
            });
        }
        add(operation, "400", || {
            problem("The address holds a NUL character (%00)").build()
        });
        if json_body || (by_query && !page) {
            add(operation, "422", || {
                problem("Invalid fields; `errors` names each").build()
            });
        }
        if by_path {
            add(operation, "404", || {
                problem("Nothing has this id or token").build()
            });
        }
        if !page {
            for (status, response) in operation.responses.responses.iter_mut() {
                if let (false, RefOr::T(response)) = (status.starts_with('2'), response) {
                    response.content.clear();
                    response
                        .content
                        .insert(PROBLEM_JSON.to_owned(), problem_content());
                }
            }
        }
        if crate::http::middleware::is_rate_limited(path) {
            add(operation, "429", || {
                problem("Too many requests from this client")
                    .header(
                        "Retry-After",
                        integer_header("Seconds to wait before trying again"),
                    )
                    .build()
            });
        }
    }
}

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                Self::complete(path, operation);
            }
        }
    }
}

#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
