//! Booking links in the admin UI: the panel on a meeting type's page and on a lead's page
//! (list with uses, create, copy), and turning a link off or on, or emailing it to its lead.

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone as _, Utc};
use serde::Deserialize;

use crate::auth::roles::Permission;
use crate::booking::error::BookingError;
use crate::booking::links::{self, BookingLink, NewLink};
use crate::error::{AppError, PageError};
use crate::field_errors::FieldErrors;
use crate::http::extractors::{AdminSession, CsrfForm, CsrfProtected};
use crate::http::pages::see_other;
use crate::state::AppState;
use crate::values::{is_id, TimeZone};

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(set_active).service(email_to_lead);
}

/// One link as the panel lists it.
pub struct LinkRow {
    pub id: String,
    pub url: String,
    pub meeting_type: String,
    pub lead: Option<(String, String)>,
    pub expires_at: Option<NaiveDateTime>,
    pub uses: i32,
    pub max_uses: Option<i32>,
    pub active: bool,
    /// Why it cannot be booked now, when it cannot.
    pub closed: Option<&'static str>,
}

/// What the panel's create form holds: an expiry date (the link works to the end of that day
/// in the viewer's zone) and a most-uses count, both optional.
#[derive(Debug, Default, Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    pub meeting_type_id: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub max_uses: String,
}

impl CsrfProtected for LinkForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl LinkForm {
    /// The expiry and most uses; the meeting type is checked when the link is created.
    fn parse(
        &self,
        zone: TimeZone,
        now: DateTime<Utc>,
    ) -> Result<(Option<DateTime<Utc>>, Option<i32>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let expires_at = match self.expires_on.trim() {
            "" => None,
            raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(day) => {
                    let end = (day + Duration::days(1)).and_time(chrono::NaiveTime::MIN);
                    let at = zone
                        .tz()
                        .from_local_datetime(&end)
                        .earliest()
                        .map(|at| at.with_timezone(&Utc));
                    match at {
                        Some(at) if at > now => Some(at),
                        _ => {
                            errors.add("expires_on", "must be today or later");
                            None
                        }
                    }
                }
                Err(_) => {
                    errors.add("expires_on", "is not a date (YYYY-MM-DD)");
                    None
                }
            },
        };
        let max_uses = match self.max_uses.trim() {
            "" => None,
            raw => match raw.parse::<i32>() {
                Ok(uses) if (1..=100_000).contains(&uses) => Some(uses),
                _ => {
                    errors.add("max_uses", "must be a whole number from 1 to 100000");
                    None
                }
            },
        };
        errors.into_result().map(|()| (expires_at, max_uses))
    }
}

/// The booking links panel of a page.
pub struct LinkPanel {
    pub rows: Vec<LinkRow>,
    /// Where the create form posts.
    pub create_action: String,
    /// Active meeting types to choose from, on a lead's page; empty on a meeting type's.
    pub meeting_types: Vec<(String, String)>,
    pub can_manage: bool,
    /// This page, where the panel's buttons come back to.
    pub back: String,
    pub form: LinkForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// What the page tells the panel: the form shown again with its errors, or a notice or error
/// from a button that came back here.
#[derive(Default)]
pub struct PanelState {
    pub form: LinkForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// A notice or error a panel button sends back in the page's query.
#[derive(Debug, Default, Deserialize)]
pub struct PanelQuery {
    pub links_notice: Option<String>,
    pub links_error: Option<String>,
}

impl PanelQuery {
    pub fn state(self) -> PanelState {
        PanelState {
            notice: self.links_notice,
            error: self.links_error,
            ..PanelState::default()
        }
    }
}

/// Which links a panel lists.
pub enum PanelFor {
    MeetingType(String),
    Lead(String),
}

pub async fn panel(
    state: &AppState,
    session: &AdminSession,
    of: PanelFor,
    shown: PanelState,
) -> Result<LinkPanel, PageError> {
    let (create_action, back) = match &of {
        PanelFor::MeetingType(id) => (
            format!("/admin/meeting-types/{id}/links"),
            format!("/admin/meeting-types/{id}"),
        ),
        PanelFor::Lead(id) => (
            format!("/admin/leads/{id}/links"),
            format!("/admin/leads/{id}"),
        ),
    };
    let for_lead = matches!(of, PanelFor::Lead(_));
    let (found, types, leads) = state
        .db
        .run(move |conn| {
            let found = match &of {
                PanelFor::MeetingType(id) => links::list(conn, Some(id))?,
                PanelFor::Lead(id) => links::list_for_lead(conn, id)?,
            };
            let types = crate::scheduling::repo::list(conn)?;
            let mut lead_ids: Vec<String> = found
                .iter()
                .filter_map(|link| link.lead_id.clone())
                .collect();
            lead_ids.sort();
            lead_ids.dedup();
            let mut leads = Vec::with_capacity(lead_ids.len());
            for id in lead_ids {
                if let Some(lead) = crate::leads::repo::find(conn, &id)? {
                    leads.push((lead.id, lead.name));
                }
            }
            Ok((found, types, leads))
        })
        .await?;
    let now = state.clock.now();
    let base = state.settings.server.public_base();
    let rows = found
        .iter()
        .map(|link| LinkRow {
            id: link.id.clone(),
            url: links::url_for(link, base, None),
            meeting_type: types
                .iter()
                .find(|meeting_type| meeting_type.id == link.meeting_type_id)
                .map_or_else(String::new, |meeting_type| meeting_type.name.clone()),
            lead: link
                .lead_id
                .as_ref()
                .and_then(|id| leads.iter().find(|(lead_id, _)| lead_id == id).cloned()),
            expires_at: link.expires_at,
            uses: link.uses,
            max_uses: link.max_uses,
            active: link.active,
            closed: link.bookable(now).err().map(|refusal| refusal.explain()),
        })
        .collect();
    Ok(LinkPanel {
        rows,
        create_action,
        meeting_types: if for_lead {
            types
                .into_iter()
                .filter(|meeting_type| meeting_type.active)
                .map(|meeting_type| (meeting_type.id, meeting_type.name))
                .collect()
        } else {
            Vec::new()
        },
        can_manage: session
            .principal
            .role
            .allows(Permission::ManageBookingLinks),
        back,
        form: shown.form,
        errors: shown.errors,
        notice: shown.notice,
        error: shown.error,
    })
}

/// Creates a link from a panel's form: to `meeting_type_id`, for `lead_id` when given.
pub async fn create_from_form(
    state: &AppState,
    session: &AdminSession,
    meeting_type_id: String,
    lead_id: Option<String>,
    form: &LinkForm,
) -> Result<BookingLink, AppError> {
    session.principal.require(Permission::ManageBookingLinks)?;
    let now = state.clock.now();
    let (expires_at, max_uses) = form.parse(session.user.timezone, now)?;
    if !is_id(&meeting_type_id) {
        return Err(AppError::validation(
            "meeting_type_id",
            "pick an active meeting type",
        ));
    }
    let actor = session.principal.actor.clone();
    Ok(state
        .db
        .run(move |conn| {
            let new = NewLink {
                meeting_type_id: &meeting_type_id,
                lead_id: lead_id.as_deref(),
                expires_at,
                max_uses,
            };
            Ok(links::create(conn, &new, &actor, now))
        })
        .await??)
}

/// The page `back` (a local admin path) with a notice or error for the panel.
pub fn back_to(back: &str, key: &str, message: &str) -> String {
    let page = crate::auth::routes::safe_next(Some(back));
    format!(
        "{page}?{}#booking-links",
        serde_urlencoded::to_string([(key, message)]).unwrap_or_default()
    )
}

#[derive(Debug, Deserialize)]
struct LinkButtonForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    active: String,
}

impl CsrfProtected for LinkButtonForm {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

fn unknown_link() -> PageError {
    PageError(AppError::NotFound("no booking link with that id".into()))
}

/// Turns a link off (its address stops working) or on again.
#[post("/booking-links/{id}/active")]
async fn set_active(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    form: CsrfForm<LinkButtonForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageBookingLinks)?;
    let id = id.into_inner();
    if !is_id(&id) {
        return Err(unknown_link());
    }
    let form = form.0;
    let active = form.active == "true";
    let (now, actor) = (state.clock.now(), session.principal.actor.clone());
    state
        .db
        .run(move |conn| links::set_active(conn, &id, active, &actor, now))
        .await?
        .ok_or_else(unknown_link)?;
    let notice = if active {
        "The link works again."
    } else {
        "The link is turned off: its address no longer books."
    };
    Ok(see_other(&back_to(&form.back, "links_notice", notice)))
}

/// Emails the link to the lead it is for.
#[post("/booking-links/{id}/email")]
async fn email_to_lead(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    form: CsrfForm<LinkButtonForm>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ManageBookingLinks)?;
    let id = id.into_inner();
    if !is_id(&id) {
        return Err(unknown_link());
    }
    let form = form.0;
    let composer = state.composer();
    let (now, actor) = (state.clock.now(), session.principal.actor.clone());
    let sender = session.user.name.clone();
    let outcome = state
        .db
        .run(move |conn| {
            Ok(links::email_to_lead(
                conn, &id, &composer, &sender, &actor, now,
            ))
        })
        .await?;
    match outcome {
        Ok(_) => {
            state.outbox_wakeup.notify_one();
            Ok(see_other(&back_to(
                &form.back,
                "links_notice",
                "The link is on its way to the lead.",
            )))
        }
        Err(BookingError::UnknownLink) => Err(unknown_link()),
        Err(refusal @ (BookingError::LinkClosed(_) | BookingError::Invalid(_))) => {
            let message = match &refusal {
                BookingError::Invalid(fields) => fields.for_people(),
                other => other.to_string(),
            };
            Ok(see_other(&back_to(&form.back, "links_error", &message)))
        }
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(expires_on: &str, max_uses: &str) -> LinkForm {
        LinkForm {
            expires_on: expires_on.into(),
            max_uses: max_uses.into(),
            ..LinkForm::default()
        }
    }

    #[test]
    fn a_link_works_to_the_end_of_its_day_in_the_viewers_zone() {
        let now = Utc.with_ymd_and_hms(2026, 12, 8, 12, 0, 0).unwrap();
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        let (expires_at, max_uses) = form("2026-12-31", "5").parse(berlin, now).unwrap();
        assert_eq!(
            expires_at,
            Some(Utc.with_ymd_and_hms(2026, 12, 31, 23, 0, 0).unwrap())
        );
        assert_eq!(max_uses, Some(5));
        assert_eq!(form("", " ").parse(berlin, now).unwrap(), (None, None));
        let today = form("2026-12-08", "").parse(berlin, now).unwrap();
        assert!(today.0.is_some(), "today still counts");
    }

    #[test]
    fn past_days_odd_dates_and_counts_are_field_errors() {
        let now = Utc.with_ymd_and_hms(2026, 12, 8, 12, 0, 0).unwrap();
        let utc = TimeZone::parse("UTC").unwrap();
        for (expires_on, max_uses, field) in [
            ("2026-12-07", "", "expires_on"),
            ("31/12/2026", "", "expires_on"),
            ("", "0", "max_uses"),
            ("", "100001", "max_uses"),
            ("", "many", "max_uses"),
        ] {
            let errors = form(expires_on, max_uses).parse(utc, now).unwrap_err();
            let fields: Vec<&str> = errors.fields().map(|(field, _)| field).collect();
            assert_eq!(fields, [field], "{expires_on:?} {max_uses:?}");
        }
    }
}
