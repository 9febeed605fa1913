//! `/api/v1/reports/*` (JSON or CSV) and the admin reports page with its charts and CSV links.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Datelike, Duration, Utc};

use crate::auth::roles::Permission;
use crate::error::{AppError, PageError};
use crate::http::extractors::{AdminSession, ApiCaller, ApiQuery, CsrfToken};
use crate::http::pages::{render, Chrome};
use crate::reports::charts::{bar_chart, line_chart, Bar, Point};
use crate::reports::display::grouped;
use crate::reports::model::{
    FunnelReport, GroupBy, PipelineReport, ReportFilter, ReportQuery, DEFAULT_DAYS,
    PIPELINE_CSV_HEADER,
};
use crate::reports::service::{self, MonthTrend};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(funnel_report)
        .service(pipeline_report)
        .service(routing_report);
}

pub fn configure_admin(cfg: &mut web::ServiceConfig) {
    cfg.service(reports_page)
        .service(funnel_csv_download)
        .service(pipeline_csv_download);
}

fn accept(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
}

/// A cell a spreadsheet shows as text. Campaign, source, meeting type and host names come from
/// outside; one starting with `=`, `+`, `-` or `@` (or a tab or carriage return) would be read
/// as a formula, so it is led by an apostrophe. Numbers, negative amounts included, stay numbers.
fn spreadsheet_safe(cell: String) -> String {
    let formula_like = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula_like && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

fn csv_response(name: &str, records: Vec<Vec<String>>) -> Result<HttpResponse, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record.into_iter().map(spreadsheet_safe))
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body))
}

fn funnel_csv(report: &FunnelReport) -> Result<HttpResponse, AppError> {
    let mut records = vec![vec!["metric".to_owned(), "value".to_owned()]];
    records.extend(
        report
            .csv_rows()
            .into_iter()
            .map(|(metric, value)| vec![metric.to_owned(), value]),
    );
    csv_response("funnel", records)
}

fn pipeline_csv(report: &PipelineReport) -> Result<HttpResponse, AppError> {
    let mut records = vec![PIPELINE_CSV_HEADER.map(str::to_owned).to_vec()];
    records.extend(report.rows.iter().map(|row| row.csv_record().to_vec()));
    csv_response(&format!("pipeline-by-{}", report.group_by), records)
}

async fn funnel_for(
    state: &AppState,
    filter: ReportFilter,
    now: DateTime<Utc>,
) -> Result<FunnelReport, AppError> {
    Ok(service::funnel(&state.db, &filter, now).await?)
}

async fn pipeline_for(
    state: &AppState,
    filter: ReportFilter,
    group_by: GroupBy,
) -> Result<PipelineReport, AppError> {
    Ok(state
        .db
        .run(move |conn| service::pipeline(conn, &filter, group_by))
        .await?)
}

#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "The funnel as JSON, or as `metric,value` CSV", content(
            (FunnelReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/reports/funnel")]
pub async fn funnel_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: ApiQuery<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewReports)?;
    let query = query.take()?;
    let now = state.clock.now();
    let filter = query.filter(now).map_err(AppError::Validation)?;
    // Both reports take the same parameters and check them alike; the funnel has no groups.
    query.group_by().map_err(AppError::Validation)?;
    let csv = query
        .wants_csv(accept(&req))
        .map_err(AppError::Validation)?;
    let report = funnel_for(&state, filter, now).await?;
    if csv {
        funnel_csv(&report)
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}

/// The period of the routing report; the other reports' filters do not apply to routings.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoutingReportQuery {
    /// First day (YYYY-MM-DD, UTC) or instant (RFC 3339) covered; 90 days before `to` by default.
    #[param(value_type = Option<crate::http::schemas::DayOrInstant>)]
    pub from: Option<String>,
    /// Last day covered (YYYY-MM-DD, inclusive) or an instant (RFC 3339, exclusive); now by
    /// default.
    #[param(value_type = Option<crate::http::schemas::DayOrInstant>)]
    pub to: Option<String>,
}

#[utoipa::path(
    tag = "reports",
    params(RoutingReportQuery),
    responses(
        (status = 200, description = "Per router, the decisions made in the period and how many booked; per host, the routed meetings taken (round robin and as the account's owner)", body = crate::routing::model::RoutingOutcomes),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/reports/routing")]
pub async fn routing_report(
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: ApiQuery<RoutingReportQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewReports)?;
    let query = query.take()?;
    let period = ReportQuery {
        from: query.from,
        to: query.to,
        ..ReportQuery::default()
    };
    let filter = period
        .filter(state.clock.now())
        .map_err(AppError::Validation)?;
    let outcomes = crate::routing::service::outcomes(&state, filter.from, filter.to).await?;
    Ok(HttpResponse::Ok().json(outcomes))
}

#[utoipa::path(
    tag = "reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "Pipeline per group as JSON, or as CSV with the row fields as columns", content(
            (PipelineReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem),
    ),
    security(("api_key" = []))
)]
#[get("/api/v1/reports/pipeline")]
pub async fn pipeline_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiCaller,
    query: ApiQuery<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    caller.0.require(Permission::ViewReports)?;
    let query = query.take()?;
    let filter = query
        .filter(state.clock.now())
        .map_err(AppError::Validation)?;
    let group_by = query.group_by().map_err(AppError::Validation)?;
    let csv = query
        .wants_csv(accept(&req))
        .map_err(AppError::Validation)?;
    let report = pipeline_for(&state, filter, group_by).await?;
    if csv {
        pipeline_csv(&report)
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}

/// A headline number of the dashboard.
pub struct Headline {
    pub label: &'static str,
    pub value: String,
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn headlines(funnel: &FunnelReport, rating: Option<f64>) -> Vec<Headline> {
    let money = |amount: &str| format!("{} {}", grouped(amount), funnel.currency);
    vec![
        Headline {
            label: "meetings held",
            value: funnel.meetings_held.to_string(),
        },
        Headline {
            label: "no-show rate",
            value: percent(funnel.no_show_rate),
        },
        Headline {
            label: "awaiting an outcome",
            value: funnel.meetings_unconfirmed.to_string(),
        },
        Headline {
            label: "pipeline",
            value: money(&funnel.pipeline_amount),
        },
        Headline {
            label: "won",
            value: money(&funnel.won_amount),
        },
        Headline {
            label: "average survey rating",
            value: rating.map_or_else(|| "–".to_owned(), |r| format!("{r:.2} / 5")),
        },
    ]
}

/// The revenue dashboard's headline numbers over the default period, for the admin home.
pub async fn dashboard(state: &AppState) -> Result<Vec<Headline>, AppError> {
    let now = state.clock.now();
    let filter = ReportQuery::default()
        .filter(now)
        .map_err(AppError::Validation)?;
    let funnel = service::funnel(&state.db, &filter, now).await?;
    let (_, rating) = state
        .db
        .run(move |conn| service::trend(conn, &filter))
        .await?;
    Ok(headlines(&funnel, rating))
}

#[derive(Template)]
#[template(path = "admin/reports.html")]
struct ReportsPage {
    chrome: Chrome,
    from: String,
    to: String,
    groups: Vec<(&'static str, &'static str, bool)>,
    group_label: &'static str,
    headlines: Vec<Headline>,
    funnel: FunnelReport,
    pipeline: PipelineReport,
    funnel_chart: String,
    pipeline_chart: String,
    no_show_chart: String,
    rating_chart: String,
    csv_query: String,
    error: Option<String>,
    routing: crate::routing::model::RoutingOutcomes,
}

impl ReportsPage {
    fn grouped(amount: &str) -> String {
        grouped(amount)
    }

    fn booked_share(booked: &u32, offered: &u32) -> String {
        crate::reports::display::share_of(*booked, *offered)
    }
}

fn funnel_bars(funnel: &FunnelReport) -> Vec<Bar> {
    [
        ("Leads", funnel.leads),
        ("MQLs", funnel.mqls),
        ("SQLs", funnel.sqls),
        ("Meetings requested", funnel.meetings_requested),
        ("Meetings approved", funnel.meetings_approved),
        ("Meetings scheduled", funnel.meetings_scheduled),
        ("Meetings held", funnel.meetings_held),
        ("Opportunities", funnel.opportunities),
        ("Won", funnel.opportunities_won),
    ]
    .into_iter()
    .map(|(label, count)| Bar {
        label: label.into(),
        value: count as f64,
        shown: count.to_string(),
    })
    .collect()
}

fn pipeline_bars(pipeline: &PipelineReport) -> Vec<Bar> {
    pipeline
        .rows
        .iter()
        .map(|row| Bar {
            label: row.key.clone(),
            value: row.pipeline_amount.parse().unwrap_or(0.0),
            shown: format!("{} {}", grouped(&row.pipeline_amount), pipeline.currency),
        })
        .collect()
}

/// A month's label on the trend charts; a month the period covers only in part says so, so
/// that its figures are not read as the whole month's.
fn month_label(month: &str, period: (DateTime<Utc>, DateTime<Utc>)) -> String {
    let (from, to) = period;
    let key = |at: DateTime<Utc>| at.format("%Y-%m").to_string();
    let last_moment = to - Duration::seconds(1);
    let starts_inside = key(from) == month && from.day() != 1;
    let ends_inside = key(last_moment) == month && (last_moment + Duration::days(1)).day() != 1;
    if starts_inside || ends_inside {
        format!("{month} (part)")
    } else {
        month.to_owned()
    }
}

fn trend_charts(trend: &[MonthTrend], period: (DateTime<Utc>, DateTime<Utc>)) -> (String, String) {
    let no_shows: Vec<Point> = trend
        .iter()
        .map(|month| Point {
            label: month_label(&month.month, period),
            value: month.no_show_rate,
        })
        .collect();
    let ratings: Vec<Point> = trend
        .iter()
        .map(|month| Point {
            label: month_label(&month.month, period),
            value: month.avg_survey_rating,
        })
        .collect();
    (
        line_chart(
            "no-show-chart",
            "No-show rate by month",
            &no_shows,
            1.0,
            |v| format!("{:.0}%", v * 100.0),
        ),
        line_chart(
            "rating-chart",
            "Average survey rating by month",
            &ratings,
            5.0,
            |v| format!("{v:.1}"),
        ),
    )
}

/// The page works in whole days, so the period it shows is exactly what its CSV links (which
/// carry the days) download: by default the 90 days before today, and today.
fn whole_days(mut query: ReportQuery, now: DateTime<Utc>) -> ReportQuery {
    let today = now.date_naive();
    let blank = |value: &Option<String>| value.as_deref().is_none_or(|v| v.trim().is_empty());
    if blank(&query.to) {
        query.to = Some(today.to_string());
    }
    if blank(&query.from) {
        query.from = Some((today - Duration::days(DEFAULT_DAYS)).to_string());
    }
    query
}

#[get("/reports")]
async fn reports_page(
    state: web::Data<AppState>,
    session: AdminSession,
    csrf: CsrfToken,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewReports)?;
    let now = state.clock.now();
    let query = whole_days(query.into_inner(), now);
    let mut error = None;
    let (filter, group_by) = match (query.filter(now), query.group_by()) {
        (Ok(filter), Ok(group_by)) => (filter, group_by),
        (filter, group_by) => {
            let mut messages = Vec::new();
            for errors in [filter.err(), group_by.err()].into_iter().flatten() {
                messages.push(errors.for_people());
            }
            error = Some(messages.join("; "));
            let fallback = whole_days(ReportQuery::default(), now)
                .filter(now)
                .map_err(|e| PageError(AppError::Validation(e)))?;
            (fallback, GroupBy::Campaign)
        }
    };
    let period = (filter.from, filter.to);
    let last_day = (filter.to - Duration::seconds(1)).date_naive();
    let (from, to) = (filter.from.date_naive().to_string(), last_day.to_string());
    let funnel = service::funnel(&state.db, &filter, now)
        .await
        .map_err(AppError::from)?;
    let (pipeline, (trend, rating)) = state
        .db
        .run(move |conn| {
            Ok((
                service::pipeline(conn, &filter, group_by)?,
                service::trend(conn, &filter)?,
            ))
        })
        .await?;
    let (no_show_chart, rating_chart) = trend_charts(&trend, period);
    let routing = crate::routing::service::outcomes(&state, period.0, period.1)
        .await
        .map_err(AppError::from)?;
    let csv_query = serde_urlencoded::to_string([
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("group_by", group_by.as_str()),
    ])
    .unwrap_or_default();
    let page = ReportsPage {
        chrome: Chrome::new(&session, &csrf, "/admin/reports"),
        groups: GroupBy::ALL
            .iter()
            .map(|g| (g.as_str(), g.label(), *g == group_by))
            .collect(),
        group_label: group_by.label(),
        headlines: headlines(&funnel, rating),
        funnel_chart: bar_chart(
            "funnel-chart",
            "Funnel: leads to won deals",
            &funnel_bars(&funnel),
        ),
        pipeline_chart: bar_chart(
            "pipeline-chart",
            &format!("Pipeline by {}", group_by.label().to_lowercase()),
            &pipeline_bars(&pipeline),
        ),
        no_show_chart,
        rating_chart,
        from,
        to,
        funnel,
        pipeline,
        csv_query,
        error,
        routing,
    };
    render(&page)
}

#[get("/reports/funnel.csv")]
async fn funnel_csv_download(
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewReports)?;
    let now = state.clock.now();
    let filter = query.filter(now).map_err(AppError::Validation)?;
    Ok(funnel_csv(&funnel_for(&state, filter, now).await?)?)
}

#[get("/reports/pipeline.csv")]
async fn pipeline_csv_download(
    state: web::Data<AppState>,
    session: AdminSession,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    session.principal.require(Permission::ViewReports)?;
    let filter = query
        .filter(state.clock.now())
        .map_err(AppError::Validation)?;
    let group_by = query.group_by().map_err(AppError::Validation)?;
    Ok(pipeline_csv(
        &pipeline_for(&state, filter, group_by).await?,
    )?)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn formulas_become_text_and_numbers_stay_numbers() {
        for (cell, shown) in [
            (
                "=HYPERLINK(\"http://evil\")",
                "'=HYPERLINK(\"http://evil\")",
            ),
            ("+1+1", "'+1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("-cmd", "'-cmd"),
            ("\t=1", "'\t=1"),
            ("-1250.50", "-1250.50"),
            ("+44", "+44"),
            ("spring-launch", "spring-launch"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(cell.to_owned()), shown, "{cell}");
        }
    }

    #[test]
    fn months_the_period_covers_in_part_are_labelled_so() {
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
        let period = (at(2026, 9, 7), at(2026, 12, 7));
        assert_eq!(month_label("2026-09", period), "2026-09 (part)");
        assert_eq!(month_label("2026-10", period), "2026-10");
        assert_eq!(month_label("2026-12", period), "2026-12 (part)");
        let whole = (at(2026, 9, 1), at(2026, 12, 1));
        assert_eq!(month_label("2026-09", whole), "2026-09");
        assert_eq!(month_label("2026-11", whole), "2026-11");
    }
}
