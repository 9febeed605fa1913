//! `GET /api/v1/events`: the event stream for integrations that poll or catch up.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::error::AppError;
use crate::events::{self, EventType, EventView};
use crate::field_errors::FieldErrors;
use crate::http::extractors::{ApiCaller, ApiQuery};
use crate::http::Page;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_events);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// The `next_cursor` of the previous page, or the id of the last event already read: only
    /// later events are listed.
    #[param(value_type = Option<EventCursor>)]
    pub after: Option<String>,
    /// Only events of this type.
    #[param(value_type = Option<crate::events::routes::EventTypeName>)]
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Events per page (default 50).
    #[param(value_type = i64, required = false, minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Where the list starts: after a position, or after the event with an id.
enum After {
    Position(i64),
    Event(String),
}

struct EventFilter {
    after: Option<After>,
    event_type: Option<EventType>,
    limit: i64,
}

impl EventQuery {
    fn parse(&self) -> Result<EventFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let present = |raw: &Option<String>| raw.clone().filter(|v| !v.trim().is_empty());
        let after = present(&self.after).and_then(|raw| {
            if let Some(seq) = raw
                .parse::<i64>()
                .ok()
                .filter(|seq| *seq >= 0 && raw.len() <= CURSOR_DIGITS)
            {
                Some(After::Position(seq))
            } else if is_event_id(&raw) {
                Some(After::Event(raw))
            } else {
                errors.add(
                    "after",
                    "is neither a cursor this list gave nor an event id",
                );
                None
            }
        });
        let event_type = present(&self.event_type)
            .and_then(|raw| raw.parse().map_err(|m| errors.add("type", m)).ok());
        let limit = match self.limit {
            None => crate::http::DEFAULT_PAGE_SIZE,
            Some(limit) if (1..=crate::http::MAX_PAGE_SIZE).contains(&limit) => limit,
            Some(_) => {
                errors.add("limit", "must be between 1 and 500");
                0
            }
        };
        if errors.is_empty() {
            Ok(EventFilter {
                after,
                event_type,
                limit,
            })
        } else {
            Err(errors)
        }
    }
}

/// Positions are written with at most this many digits, so every cursor the schema allows
/// parses.
const CURSOR_DIGITS: usize = 18;

crate::http::schemas::value_schema!(
    /// Where the events list starts: a `next_cursor`, or an event id; blank means the start.
    EventCursor => utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(r"^([0-9]{1,18}|evt_[0-9a-f]{32})?$"))
        .build()
);

fn is_event_id(raw: &str) -> bool {
    raw.strip_prefix("evt_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[utoipa::path(
    tag = "events",
    params(EventQuery),
    responses(
        (status = 200, description = "Oldest first. `next_cursor` is `null` once no more events follow; a poller then asks again later with the last event's id as `after`", body = crate::http::Page<EventView>),
        (status = 422, body = crate::error::Problem)
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: ApiQuery<EventQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewEvents)?;
    let filter = query.take()?.parse().map_err(AppError::Validation)?;
    let EventFilter {
        after,
        event_type,
        limit,
    } = filter;
    let found = state
        .db
        .run(move |conn| {
            let after = match after {
                None => None,
                Some(After::Position(seq)) => Some(seq),
                Some(After::Event(id)) => match events::find(conn, &id)? {
                    Some(event) => Some(event.seq),
                    None => return Ok(None),
                },
            };
            events::list(conn, after, event_type, limit + 1).map(Some)
        })
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "after",
                "names no event kept (events are kept 30 days or more)",
            )
        })?;
    Ok(HttpResponse::Ok().json(Page::from_overfetch(
        found,
        limit,
        |event| event.seq.to_string(),
        |event| EventView::from(event),
    )))
}

crate::http::schemas::value_schema!(
    /// An event type to filter by.
    EventTypeName => crate::http::schemas::filter_of(crate::events::EventType::ALL.map(|t| t.as_str()))
);
