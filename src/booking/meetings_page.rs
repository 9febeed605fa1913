//! The admin Meetings view: a week (or list) of meetings in the viewer's own time zone,
//! filtered by host, meeting type and status. Hosts see only the meetings they host.

use actix_web::{get, web, HttpResponse};
use askama::Template;
use chrono::Timelike;
use chrono::{Datelike, Duration, NaiveDate, TimeZone as _};
use serde::Deserialize;

use crate::auth::roles::{Permission, Role};
use crate::booking::manage;
use crate::booking::week_grid::{clusters, Hours, Minute};
use crate::error::{AppError, PageError};
use crate::http::extractors::{AdminSession, CsrfToken};
use crate::http::pages::{render, Chrome};
use crate::meetings::{Managed, MeetingQuery};
use crate::outcomes::followups::OUTCOME_OVERDUE;
use crate::state::AppState;
use crate::values::TimeZone;

/// More meetings than this in one week are cut, with a note.
const WEEK_LIMIT: i64 = 500;
const STATUSES: [&str; 5] = ["scheduled", "held", "completed", "no_show", "cancelled"];

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(meetings_page);
}

#[derive(Debug, Default, Deserialize)]
struct MeetingsFilter {
    /// Any day of the week to show, YYYY-MM-DD in the viewer's zone.
    week: Option<String>,
    host_id: Option<String>,
    meeting_type_id: Option<String>,
    status: Option<String>,
    /// `week` (default) or `list`.
    view: Option<String>,
}

#[derive(Clone)]
struct MeetingLine {
    id: String,
    time: String,
    title: String,
    hosts: String,
    status: String,
    /// Ended more than 48 h ago with nothing recorded.
    outcome_overdue: bool,
}

struct Day {
    label: String,
    today: bool,
    meetings: Vec<MeetingLine>,
    /// Each meeting's local start and end in minutes since midnight, cut at midnight.
    spans: Vec<(Minute, Minute)>,
}

/// A block of the time grid: one meeting, or several that overlap, side by side.
struct Block {
    row: u32,
    span: u32,
    meetings: Vec<MeetingLine>,
}

/// One day's column of the time grid.
struct GridDay {
    column: usize,
    label: String,
    today: bool,
    blocks: Vec<Block>,
}

/// The week as a time grid: hour labels by row, and each day's blocks.
struct Grid {
    rows: u32,
    hour_rows: Vec<(String, u32)>,
    days: Vec<GridDay>,
}

fn grid_of(days: &[Day]) -> Grid {
    let hours = Hours::covering(days.iter().flat_map(|day| day.spans.iter().copied()));
    Grid {
        rows: hours.rows(),
        hour_rows: (hours.first..hours.last)
            .map(|hour| (format!("{hour:02}:00"), hours.row_of(hour * 60)))
            .collect(),
        days: days
            .iter()
            .enumerate()
            .map(|(index, day)| GridDay {
                column: index + 2,
                label: day.label.clone(),
                today: day.today,
                blocks: clusters(&day.spans)
                    .into_iter()
                    .map(|cluster| Block {
                        row: hours.row_of(cluster.start),
                        span: hours.span_of(cluster.start, cluster.end),
                        meetings: cluster
                            .members
                            .iter()
                            .map(|&member| day.meetings[member].clone())
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "admin/meetings.html")]
struct MeetingsPage {
    chrome: Chrome,
    zone: &'static str,
    week_label: String,
    days: Vec<Day>,
    grid: Grid,
    list: bool,
    previous: String,
    next: String,
    hosts: Vec<(String, String, bool)>,
    types: Vec<(String, String, bool)>,
    statuses: Vec<(&'static str, bool)>,
    query_without_view: String,
    truncated: bool,
    total: usize,
}

fn present(raw: &Option<String>) -> Option<String> {
    raw.as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[get("/meetings")]
async fn meetings_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    filter: web::Query<MeetingsFilter>,
) -> Result<HttpResponse, PageError> {
    let filter = filter.into_inner();
    let zone: TimeZone = session.user.timezone;
    let now = state.clock.now();
    let today = now.with_timezone(&zone.tz()).date_naive();
    let day = match present(&filter.week) {
        Some(raw) => NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_err(|_| {
            PageError(AppError::validation(
                "week",
                "must be a date in YYYY-MM-DD form",
            ))
        })?,
        None => today,
    };
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    let local_midnight = |date: NaiveDate| {
        zone.tz()
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|at| at.with_timezone(&chrono::Utc))
    };
    let (Some(from), Some(to)) = (
        local_midnight(monday),
        local_midnight(monday + Duration::days(7)),
    ) else {
        return Err(PageError(AppError::validation("week", "is out of range")));
    };
    let status = present(&filter.status);
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        return Err(PageError(AppError::validation(
            "status",
            "must be scheduled, held, completed, no_show or cancelled",
        )));
    }
    // Hosts only ever see their own meetings, whatever the filter says.
    let sees_all = session
        .principal
        .role
        .allows(Permission::ViewAllMeetingRequests);
    let host_id = if sees_all {
        present(&filter.host_id)
    } else {
        Some(session.user.id.clone())
    };
    let query = MeetingQuery {
        from: Some(from),
        to: Some(to),
        status: status.clone(),
        host_id: host_id.clone(),
    };
    let mut found: Vec<Managed> = manage::list(&state, query, WEEK_LIMIT + 1).await?;
    let truncated = found.len() as i64 > WEEK_LIMIT;
    found.truncate(WEEK_LIMIT as usize);
    let type_id = present(&filter.meeting_type_id);
    if let Some(type_id) = &type_id {
        found.retain(|managed| &managed.meeting_type.id == type_id);
    }
    let (types, users) = state
        .db
        .run(|conn| {
            Ok((
                crate::scheduling::repo::list(conn)?,
                crate::users::repo::list(conn, None, 500)?,
            ))
        })
        .await?;

    // Cancelled meetings only show when asked for.
    if status.is_none() {
        found.retain(|managed| managed.meeting.status != "cancelled");
    }
    let mut days: Vec<Day> = (0..7)
        .map(|offset| {
            let date = monday + Duration::days(offset);
            Day {
                label: date.format("%a %-d %b").to_string(),
                today: date == today,
                meetings: Vec::new(),
                spans: Vec::new(),
            }
        })
        .collect();
    for managed in &found {
        let start = managed.start().with_timezone(&zone.tz());
        let end = managed.end().with_timezone(&zone.tz());
        let index = (start.date_naive() - monday).num_days().clamp(0, 6) as usize;
        let minute_of = |at: chrono::DateTime<chrono_tz::Tz>| at.hour() * 60 + at.minute();
        let end_minute = if end.date_naive() > start.date_naive() {
            24 * 60
        } else {
            minute_of(end)
        };
        days[index].spans.push((minute_of(start), end_minute));
        days[index].meetings.push(MeetingLine {
            id: managed.meeting.id.clone(),
            time: format!("{}–{}", start.format("%H:%M"), end.format("%H:%M")),
            title: format!("{} with {}", managed.meeting_type.name, managed.lead.name),
            hosts: managed
                .hosts
                .iter()
                .map(|h| h.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            status: managed.meeting.status.replace('_', " "),
            outcome_overdue: managed.meeting.status == "scheduled"
                && managed.end() + OUTCOME_OVERDUE < now,
        });
    }
    let list = filter.view.as_deref() == Some("list");
    let params = |week: NaiveDate, view: Option<&str>| {
        let mut pairs: Vec<(&str, String)> = vec![("week", week.format("%Y-%m-%d").to_string())];
        for (key, value) in [
            ("host_id", &host_id.clone().filter(|_| sees_all)),
            ("meeting_type_id", &type_id),
            ("status", &status),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        if let Some(view) = view {
            pairs.push(("view", view.to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    };
    let view = list.then_some("list");
    render(&MeetingsPage {
        chrome: Chrome::new(&session, &csrf, "/admin/meetings"),
        zone: zone.name(),
        week_label: format!(
            "{} – {}",
            monday.format("%a %-d %b"),
            (monday + Duration::days(6)).format("%a %-d %b %Y")
        ),
        total: found.len(),
        grid: grid_of(&days),
        days,
        list,
        previous: params(monday - Duration::days(7), view),
        next: params(monday + Duration::days(7), view),
        hosts: if sees_all {
            users
                .iter()
                .filter(|user| matches!(user.role, Role::Host | Role::Admin | Role::MeetingManager))
                .map(|user| {
                    (
                        user.id.clone(),
                        user.name.clone(),
                        host_id.as_deref() == Some(user.id.as_str()),
                    )
                })
                .collect()
        } else {
            Vec::new()
        },
        types: types
            .iter()
            .map(|t| {
                (
                    t.id.clone(),
                    t.name.clone(),
                    type_id.as_deref() == Some(t.id.as_str()),
                )
            })
            .collect(),
        statuses: STATUSES
            .iter()
            .map(|s| (*s, status.as_deref() == Some(*s)))
            .collect(),
        query_without_view: params(monday, None),
        truncated,
    })
}
