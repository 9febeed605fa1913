//! `/api/v1/booking-links`.

use std::future::Future;
use std::pin::Pin;

use actix_web::{get, patch, post, web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::booking::links::{self, BookingLinkView, CreateBookingLink, NewLink, UpdateBookingLink};
use crate::booking::public::BookingForm;
use crate::booking::service::{self, BookingConfirmation, BookingRequest, SlotsQuery, SlotsView};
use crate::db::write_transaction;
use crate::error::{AppError, FieldErrors, PageError};
use crate::http::extractors::{ApiCaller, CsrfForm};
use crate::http::pages::see_other;
use crate::http::Page;
use crate::state::AppState;
use crate::values::is_id;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_booking_link)
        .service(list_booking_links)
        .service(update_booking_link);
}

#[utoipa::path(
    tag = "booking links",
    request_body = CreateBookingLink,
    responses((status = 201, body = BookingLinkView), (status = 422, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[post("/api/v1/booking-links")]
pub async fn create_booking_link(
    state: web::Data<AppState>,
    caller: ApiCaller,
    body: web::Json<CreateBookingLink>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageBookingLinks)?;
    let now = state.clock.now();
    let mut errors = FieldErrors::new();
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(raw) => match DateTime::parse_from_rfc3339(raw) {
            Ok(at) if at.with_timezone(&Utc) > now => Some(at.with_timezone(&Utc)),
            Ok(_) => {
                errors.add("expires_at", "must be in the future");
                None
            }
            Err(_) => {
                errors.add(
                    "expires_at",
                    "must be an RFC 3339 time like 2026-12-31T17:00:00Z",
                );
                None
            }
        },
    };
    if body
        .max_uses
        .is_some_and(|uses| !(1..=100_000).contains(&uses))
    {
        errors.add("max_uses", "must be between 1 and 100000");
    }
    if !is_id(&body.meeting_type_id) {
        errors.add("meeting_type_id", "is not a known meeting type");
    }
    if body.lead_id.as_deref().is_some_and(|id| !is_id(id)) {
        errors.add("lead_id", "is not a known lead");
    }
    errors.into_result()?;
    let body = body.into_inner();
    let actor = caller.0.actor;
    let link = state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                crate::scheduling::repo::find(conn, &body.meeting_type_id)?
                    .filter(|t| t.active)
                    .ok_or_else(|| {
                        AppError::validation("meeting_type_id", "is not an active meeting type")
                    })?;
                if let Some(lead_id) = &body.lead_id {
                    crate::leads::repo::find(conn, lead_id)?
                        .ok_or_else(|| AppError::validation("lead_id", "is not a known lead"))?;
                }
                let new = NewLink {
                    meeting_type_id: &body.meeting_type_id,
                    lead_id: body.lead_id.as_deref(),
                    expires_at,
                    max_uses: body.max_uses,
                };
                Ok::<_, AppError>(links::insert(conn, &new, &actor, now)?)
            }))
        })
        .await??;
    Ok(HttpResponse::Created().json(BookingLinkView::new(
        &link,
        state.settings.server.public_base(),
    )))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LinkFilter {
    /// Only links of this meeting type.
    pub meeting_type_id: Option<String>,
}

#[utoipa::path(
    tag = "booking links",
    params(LinkFilter),
    responses((status = 200, description = "Newest first: {items, next_cursor}")),
    security(("api_key" = []))
)]
#[get("/api/v1/booking-links")]
pub async fn list_booking_links(
    state: web::Data<AppState>,
    caller: ApiCaller,
    filter: web::Query<LinkFilter>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageBookingLinks)?;
    let type_id = filter.into_inner().meeting_type_id;
    let found = state
        .db
        .run(move |conn| links::list(conn, type_id.as_deref()))
        .await?;
    let base = state.settings.server.public_base();
    Ok(HttpResponse::Ok().json(Page {
        items: found
            .iter()
            .map(|link| BookingLinkView::new(link, base))
            .collect::<Vec<_>>(),
        next_cursor: None,
    }))
}

#[utoipa::path(
    tag = "booking links",
    params(("id" = String, Path, description = "Booking link id")),
    request_body = UpdateBookingLink,
    responses((status = 200, body = BookingLinkView), (status = 404, body = crate::error::Problem)),
    security(("api_key" = []))
)]
#[patch("/api/v1/booking-links/{id}")]
pub async fn update_booking_link(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<String>,
    body: web::Json<UpdateBookingLink>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ManageBookingLinks)?;
    let id = id.into_inner();
    if !is_id(&id) {
        return Err(AppError::NotFound("no booking link with that id".into()));
    }
    let (now, actor, active) = (state.clock.now(), caller.0.actor, body.active);
    let link = state
        .db
        .run(move |conn| links::set_active(conn, &id, active, &actor, now))
        .await?
        .ok_or_else(|| AppError::NotFound("no booking link with that id".into()))?;
    Ok(HttpResponse::Ok().json(BookingLinkView::new(
        &link,
        state.settings.server.public_base(),
    )))
}

pub fn configure_public(cfg: &mut web::ServiceConfig) {
    cfg.service(slots_json).service(book);
}

#[utoipa::path(
    tag = "public booking",
    params(("slug" = String, Path, description = "Booking link slug"), SlotsQuery),
    responses(
        (status = 200, body = SlotsView),
        (status = 404, body = crate::error::Problem), (status = 410, body = crate::error::Problem),
        (status = 422, description = "Bad dates or time zone, or more than 62 days", body = crate::error::Problem),
    )
)]
#[get("/book/{slug}/slots")]
pub async fn slots_json(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    query: web::Query<SlotsQuery>,
) -> Result<HttpResponse, AppError> {
    let open = service::open_link(&state, slug.into_inner()).await?;
    let today = state.clock.now().date_naive();
    let window = query.parse(today).map_err(AppError::Validation)?;
    let view = service::slots(&state, open.meeting_type, window).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A booking as JSON (integrations) or as the booking page's form (people).
pub enum Submission {
    Json(BookingRequest),
    Form(BookingForm),
}

impl FromRequest for Submission {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        if req.content_type() == "application/x-www-form-urlencoded" {
            let form = CsrfForm::<BookingForm>::from_request(req, payload);
            Box::pin(async move { Ok(Submission::Form(form.await?.0)) })
        } else {
            let json = web::Json::<BookingRequest>::from_request(req, payload);
            Box::pin(async move { Ok(Submission::Json(json.await?.into_inner())) })
        }
    }
}

fn manage_url(state: &AppState, token: &str) -> String {
    format!("{}/m/{token}", state.settings.server.public_base())
}

#[utoipa::path(
    tag = "public booking",
    params(("slug" = String, Path, description = "Booking link slug")),
    request_body = BookingRequest,
    responses(
        (status = 201, body = BookingConfirmation),
        (status = 403, description = "The lead's score is under the meeting type's minimum", body = crate::error::Problem),
        (status = 409, description = "The slot is no longer free", body = crate::error::Problem),
        (status = 410, description = "The link expired or is used up", body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    )
)]
#[post("/book/{slug}")]
pub async fn book(
    state: web::Data<AppState>,
    slug: web::Path<String>,
    submission: Submission,
) -> Result<HttpResponse, actix_web::Error> {
    match submission {
        Submission::Json(body) => {
            let open = service::open_link(&state, slug.into_inner()).await?;
            let booked = service::book(&state, open, body).await?;
            Ok(HttpResponse::Created().json(BookingConfirmation {
                manage_url: manage_url(&state, &booked.manage_token),
                meeting_request_id: booked.meeting_request_id,
                status: booked.status.as_str().to_owned(),
            }))
        }
        Submission::Form(form) => {
            let open = service::open_link(&state, slug.into_inner())
                .await
                .map_err(PageError)?;
            match service::book(&state, open, BookingRequest::from(&form)).await {
                Ok(booked) => Ok(see_other(&format!("/m/{}?booked=1", booked.manage_token))),
                Err(error) => Err(PageError(error).into()),
            }
        }
    }
}
