//! The served OpenAPI document for `/api/v1`.

use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        crate::outcomes::routes::answer_survey,
        crate::reports::routes::funnel_report,
        crate::reports::routes::pipeline_report,
        crate::calendars::routes::create_connection,
        crate::calendars::routes::list_connections,
        crate::calendars::routes::delete_connection,
    ),
    components(schemas(crate::error::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "calendars", description = "Hosts' Google and Microsoft 365 calendars: connect, list, disconnect"),
        (name = "emails", description = "The outbox: every email, its status, and retrying failed ones"),
        (name = "meetings", description = "Scheduled meetings: list, reschedule, cancel, record outcomes"),
        (name = "reports", description = "Funnel and pipeline reports, as JSON or CSV"),
        (name = "public booking", description = "What prospects use: no API key, rate-limited per client IP"),
        (name = "booking links", description = "Shareable links where prospects book"),
        (name = "meeting requests", description = "The MQM workflow: request, approve, reject"),
        (name = "meeting types", description = "Templates meetings are booked from"),
        (name = "leads", description = "Lead intake, CSV import and BANT scoring"),
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

#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
