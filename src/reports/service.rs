//! Assembles reports from the aggregate queries and the pure report maths.

use chrono::{DateTime, Utc};

use crate::db::{Database, DbConnection, StoreError};
use crate::outcomes::money::format_minor;
use crate::reports::maths::{self, summarise};
use crate::reports::model::{
    ConversionView, FunnelReport, GroupBy, PipelineReport, PipelineRow, ReportFilter,
};
use crate::reports::repo;

/// The funnel's seven aggregates are independent, so they run at once on pooled connections:
/// the report takes as long as its slowest query, not their sum.
pub async fn funnel(
    db: &Database,
    filter: &ReportFilter,
    now: DateTime<Utc>,
) -> Result<FunnelReport, StoreError> {
    let each = || filter.clone();
    let (leads, requests, meetings, totals, request_to_meeting, pending_approval, routings) = tokio::try_join!(
        db.run({
            let filter = each();
            move |conn| repo::lead_counts(conn, &filter)
        }),
        db.run({
            let filter = each();
            move |conn| repo::request_counts(conn, &filter)
        }),
        db.run({
            let filter = each();
            move |conn| repo::meeting_counts(conn, &filter, now)
        }),
        db.run({
            let filter = each();
            move |conn| repo::opportunity_totals(conn, &filter)
        }),
        db.run({
            let filter = each();
            move |conn| repo::median_seconds_request_to_meeting(conn, &filter)
        }),
        db.run({
            let filter = each();
            move |conn| repo::median_seconds_pending_approval(conn, &filter)
        }),
        db.run({
            let filter = each();
            move |conn| repo::routing_counts(conn, &filter)
        }),
    )?;
    let opportunities = summarise(&totals, filter.currency.as_ref());
    let conversion = maths::conversion(
        leads.leads,
        meetings.scheduled,
        meetings.held,
        opportunities.opportunities,
        opportunities.won,
    );
    let decimals = opportunities.currency.decimals();
    let (from, to) = FunnelReport::period(filter);
    Ok(FunnelReport {
        from,
        to,
        leads: leads.leads,
        mqls: leads.mqls,
        sqls: leads.sqls,
        routed: routings.routed,
        routed_not_booked: routings.routed_not_booked,
        meetings_requested: requests.requested,
        meetings_approved: requests.approved,
        meetings_scheduled: meetings.scheduled,
        meetings_held: meetings.held,
        no_shows: meetings.no_shows,
        meetings_unconfirmed: meetings.unconfirmed,
        no_show_rate: maths::no_show_rate(meetings.held, meetings.no_shows),
        opportunities: opportunities.opportunities,
        opportunities_won: opportunities.won,
        pipeline_amount: format_minor(opportunities.pipeline_minor, decimals),
        won_amount: format_minor(opportunities.won_minor, decimals),
        currency: opportunities.currency.as_str().to_owned(),
        other_currencies: opportunities.other_currencies,
        conversion: ConversionView {
            lead_to_meeting: conversion.lead_to_meeting,
            meeting_to_opportunity: conversion.meeting_to_opportunity,
            opportunity_to_won: conversion.opportunity_to_won,
        },
        median_hours_request_to_meeting: maths::hours(request_to_meeting),
        median_hours_pending_approval: maths::hours(pending_approval),
    })
}

/// The label of a group whose leads have no campaign or source.
pub const NO_GROUP: &str = "(none)";

pub fn pipeline(
    conn: &mut DbConnection,
    filter: &ReportFilter,
    group_by: GroupBy,
) -> Result<PipelineReport, StoreError> {
    let currency = maths::report_currency(
        &repo::opportunity_totals(conn, filter)?,
        filter.currency.as_ref(),
    );
    let groups = repo::pipeline_groups(conn, filter, group_by, currency.as_str())?;
    let ratings = repo::rating_groups(conn, filter, group_by)?;
    let decimals = currency.decimals();
    let mut rows: Vec<(i64, PipelineRow)> = groups
        .into_iter()
        .map(|group| {
            let rated = ratings.iter().find(|r| r.group_key == group.group_key);
            let row = PipelineRow {
                key: group.group_key.unwrap_or_else(|| NO_GROUP.to_owned()),
                meetings_held: group.held,
                no_shows: group.no_shows,
                opportunities: group.opportunities,
                pipeline_amount: format_minor(group.pipeline_minor, decimals),
                won_amount: format_minor(group.won_minor, decimals),
                avg_survey_rating: rated.and_then(|r| maths::average(r.rating_sum, r.ratings)),
            };
            (group.pipeline_minor, row)
        })
        .collect();
    // Most pipeline first; groups with equal pipeline by name, so the order is stable.
    rows.sort_by(|(a_minor, a), (b_minor, b)| b_minor.cmp(a_minor).then_with(|| a.key.cmp(&b.key)));
    let (from, to) = FunnelReport::period(filter);
    Ok(PipelineReport {
        from,
        to,
        group_by: group_by.as_str(),
        currency: currency.as_str().to_owned(),
        rows: rows.into_iter().map(|(_, row)| row).collect(),
    })
}

/// One month of the trend chart.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthTrend {
    pub month: String,
    pub no_show_rate: Option<f64>,
    pub avg_survey_rating: Option<f64>,
}

/// No-show rate and average survey rating per month of meeting start, and the average
/// rating over the whole period.
pub fn trend(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<(Vec<MonthTrend>, Option<f64>), StoreError> {
    let outcomes = repo::outcomes_by_month(conn, filter)?;
    let ratings = repo::ratings_by_month(conn, filter)?;
    let overall = maths::average(
        ratings.iter().map(|r| r.rating_sum).sum(),
        ratings.iter().map(|r| r.ratings).sum(),
    );
    let mut months: Vec<String> = outcomes
        .iter()
        .map(|o| o.month.clone())
        .chain(ratings.iter().map(|r| r.month.clone()))
        .collect();
    months.sort();
    months.dedup();
    let months = months
        .into_iter()
        .map(|month| {
            let outcome = outcomes.iter().find(|o| o.month == month);
            let rating = ratings.iter().find(|r| r.month == month);
            MonthTrend {
                no_show_rate: outcome.and_then(|o| maths::no_show_rate(o.held, o.no_shows)),
                avg_survey_rating: rating.and_then(|r| maths::average(r.rating_sum, r.ratings)),
                month,
            }
        })
        .collect();
    Ok((months, overall))
}
