//! What a report is asked for (parsed once) and what it answers.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::field_errors::FieldErrors;
use crate::outcomes::money::Currency;
use crate::values::is_id;

/// The period reports cover when none is given.
pub const DEFAULT_DAYS: i64 = 90;

/// What the pipeline report groups meetings by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Campaign,
    Source,
    MeetingType,
    Host,
}

impl GroupBy {
    pub const ALL: [GroupBy; 4] = [Self::Campaign, Self::Source, Self::MeetingType, Self::Host];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Campaign => "campaign",
            Self::Source => "source",
            Self::MeetingType => "meeting_type",
            Self::Host => "host",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Campaign => "Campaign",
            Self::Source => "Source",
            Self::MeetingType => "Meeting type",
            Self::Host => "Host",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|group| group.as_str() == raw.trim())
            .ok_or_else(|| "must be campaign, source, meeting_type or host".into())
    }
}

/// The query string every report takes.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day (YYYY-MM-DD, UTC) or instant (RFC 3339) covered; 90 days before `to` by default.
    #[param(value_type = Option<crate::http::schemas::DayOrInstant>)]
    pub from: Option<String>,
    /// Last day covered (YYYY-MM-DD, inclusive) or an instant (RFC 3339, exclusive); now by
    /// default.
    #[param(value_type = Option<crate::http::schemas::DayOrInstant>)]
    pub to: Option<String>,
    /// Only leads of this campaign.
    pub campaign: Option<String>,
    /// Only leads from this source.
    pub source: Option<String>,
    /// Only meetings of this meeting type (id).
    #[param(value_type = Option<crate::http::schemas::IdFilter>)]
    pub meeting_type_id: Option<String>,
    /// Only meetings this host (user id) hosts.
    #[param(value_type = Option<crate::http::schemas::IdFilter>)]
    pub host_id: Option<String>,
    /// The currency money is summed in; by default the one most opportunities use, else EUR.
    #[param(pattern = r"^\s*([A-Z]{3})?\s*$")]
    pub currency: Option<String>,
    /// Pipeline only: campaign, source, meeting_type or host (default campaign).
    #[param(value_type = Option<crate::reports::model::GroupByName>)]
    pub group_by: Option<String>,
    /// json (default) or csv; `Accept: text/csv` also asks for CSV.
    #[param(value_type = Option<crate::http::schemas::ReportFormat>)]
    pub format: Option<String>,
}

/// A parsed report request: a half-open period `[from, to)` and optional filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFilter {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub campaign: Option<String>,
    pub source: Option<String>,
    pub meeting_type_id: Option<String>,
    pub host_id: Option<String>,
    pub currency: Option<Currency>,
}

fn present(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A day is read as UTC midnight; an `end` day covers the whole day.
fn instant(raw: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end { day.succ_opt()? } else { day };
        return Some(day.and_time(NaiveTime::MIN).and_utc());
    }
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

impl ReportQuery {
    pub fn filter(&self, now: DateTime<Utc>) -> Result<ReportFilter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut bound = |field: &str, raw: &Option<String>, end: bool| match present(raw) {
            None => None,
            Some(raw) => instant(raw, end).or_else(|| {
                errors.add(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time");
                None
            }),
        };
        let to = bound("to", &self.to, true);
        let from = bound("from", &self.from, false);
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
        if from >= to {
            errors.add("from", "must be before to");
        }
        for (field, raw) in [
            ("meeting_type_id", &self.meeting_type_id),
            ("host_id", &self.host_id),
        ] {
            if present(raw).is_some_and(|id| !is_id(id)) {
                errors.add(field, "is not a known id");
            }
        }
        let currency = present(&self.currency).and_then(|raw| {
            Currency::parse(raw)
                .map_err(|m| errors.add("currency", m))
                .ok()
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ReportFilter {
            from,
            to,
            campaign: present(&self.campaign).map(str::to_owned),
            source: present(&self.source).map(str::to_owned),
            meeting_type_id: present(&self.meeting_type_id).map(str::to_owned),
            host_id: present(&self.host_id).map(str::to_owned),
            currency,
        })
    }

    pub fn group_by(&self) -> Result<GroupBy, FieldErrors> {
        match present(&self.group_by) {
            None => Ok(GroupBy::Campaign),
            Some(raw) => GroupBy::parse(raw).map_err(|m| FieldErrors::single("group_by", m)),
        }
    }

    /// Whether CSV was asked for, by `format` or by the `Accept` header.
    pub fn wants_csv(&self, accept: Option<&str>) -> Result<bool, FieldErrors> {
        match present(&self.format) {
            Some("csv") => Ok(true),
            Some("json") => Ok(false),
            Some(_) => Err(FieldErrors::single("format", "must be json or csv")),
            None => Ok(accept.is_some_and(|accept| accept.contains("text/csv"))),
        }
    }
}

/// A decimal as the JSON report writes it (`2.0`, `0.3333`), so CSV and JSON read the same;
/// empty when there is none.
fn json_number(value: Option<f64>) -> String {
    value
        .and_then(serde_json::Number::from_f64)
        .map(|n| n.to_string())
        .unwrap_or_default()
}

fn utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversionView {
    /// Scheduled meetings per lead.
    pub lead_to_meeting: Option<f64>,
    /// Opportunities per held meeting.
    pub meeting_to_opportunity: Option<f64>,
    /// Won opportunities per opportunity.
    pub opportunity_to_won: Option<f64>,
}

/// The funnel lead → MQL → MQM → held → opportunity → won. See docs/reports.md for how each
/// number is counted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelReport {
    pub from: String,
    pub to: String,
    pub leads: i64,
    pub mqls: i64,
    pub sqls: i64,
    /// Router decisions made in the period.
    pub routed: i64,
    /// Of those, the ones that offered times which have not been booked.
    pub routed_not_booked: i64,
    pub meetings_requested: i64,
    pub meetings_approved: i64,
    pub meetings_scheduled: i64,
    pub meetings_held: i64,
    pub no_shows: i64,
    /// Meetings that have started with no outcome recorded: neither held nor no-shows.
    pub meetings_unconfirmed: i64,
    pub no_show_rate: Option<f64>,
    pub opportunities: i64,
    pub opportunities_won: i64,
    #[schema(example = "25000.00")]
    pub pipeline_amount: String,
    #[schema(example = "5000.00")]
    pub won_amount: String,
    pub currency: String,
    /// Currencies of opportunities left out of the amounts.
    pub other_currencies: Vec<String>,
    pub conversion: ConversionView,
    pub median_hours_request_to_meeting: Option<f64>,
    pub median_hours_pending_approval: Option<f64>,
}

impl FunnelReport {
    pub fn period(filter: &ReportFilter) -> (String, String) {
        (utc(filter.from), utc(filter.to))
    }

    /// The report as `metric,value` lines.
    pub fn csv_rows(&self) -> Vec<(&'static str, String)> {
        vec![
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("leads", self.leads.to_string()),
            ("mqls", self.mqls.to_string()),
            ("sqls", self.sqls.to_string()),
            ("routed", self.routed.to_string()),
            ("routed_not_booked", self.routed_not_booked.to_string()),
            ("meetings_requested", self.meetings_requested.to_string()),
            ("meetings_approved", self.meetings_approved.to_string()),
            ("meetings_scheduled", self.meetings_scheduled.to_string()),
            ("meetings_held", self.meetings_held.to_string()),
            ("no_shows", self.no_shows.to_string()),
            (
                "meetings_unconfirmed",
                self.meetings_unconfirmed.to_string(),
            ),
            ("no_show_rate", json_number(self.no_show_rate)),
            ("opportunities", self.opportunities.to_string()),
            ("opportunities_won", self.opportunities_won.to_string()),
            ("pipeline_amount", self.pipeline_amount.clone()),
            ("won_amount", self.won_amount.clone()),
            ("currency", self.currency.clone()),
            (
                "conversion.lead_to_meeting",
                json_number(self.conversion.lead_to_meeting),
            ),
            (
                "conversion.meeting_to_opportunity",
                json_number(self.conversion.meeting_to_opportunity),
            ),
            (
                "conversion.opportunity_to_won",
                json_number(self.conversion.opportunity_to_won),
            ),
            (
                "median_hours_request_to_meeting",
                json_number(self.median_hours_request_to_meeting),
            ),
            (
                "median_hours_pending_approval",
                json_number(self.median_hours_pending_approval),
            ),
        ]
    }
}

/// One group of the pipeline report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PipelineRow {
    /// The campaign, source, meeting type name or host name; "(none)" for leads without one.
    pub key: String,
    pub meetings_held: i64,
    pub no_shows: i64,
    pub opportunities: i64,
    pub pipeline_amount: String,
    pub won_amount: String,
    pub avg_survey_rating: Option<f64>,
}

pub const PIPELINE_CSV_HEADER: [&str; 7] = [
    "key",
    "meetings_held",
    "no_shows",
    "opportunities",
    "pipeline_amount",
    "won_amount",
    "avg_survey_rating",
];

impl PipelineRow {
    pub fn csv_record(&self) -> [String; 7] {
        [
            self.key.clone(),
            self.meetings_held.to_string(),
            self.no_shows.to_string(),
            self.opportunities.to_string(),
            self.pipeline_amount.clone(),
            self.won_amount.clone(),
            json_number(self.avg_survey_rating),
        ]
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PipelineReport {
    pub from: String,
    pub to: String,
    #[schema(example = "campaign")]
    pub group_by: &'static str,
    pub currency: String,
    pub rows: Vec<PipelineRow>,
}

crate::http::schemas::value_schema!(
    /// What the pipeline report groups by.
    GroupByName => crate::http::schemas::filter_of(crate::reports::model::GroupBy::ALL.map(|g| g.as_str()))
);

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn days_cover_whole_days_and_the_default_is_ninety_days_to_now() {
        let query = ReportQuery {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            ..Default::default()
        };
        let filter = query.filter(now()).unwrap();
        assert_eq!(utc(filter.from), "2026-11-01T00:00:00Z");
        assert_eq!(utc(filter.to), "2026-12-01T00:00:00Z");
        let filter = ReportQuery::default().filter(now()).unwrap();
        assert_eq!(filter.to, now());
        assert_eq!(filter.from, now() - Duration::days(90));
    }

    #[test]
    fn bad_periods_ids_and_currencies_are_named() {
        let query = ReportQuery {
            from: Some("2026-12-05".into()),
            to: Some("2026-12-01".into()),
            host_id: Some("nobody".into()),
            currency: Some("euro".into()),
            ..Default::default()
        };
        let errors = query.filter(now()).unwrap_err();
        let fields: Vec<&str> = errors.fields().map(|(f, _)| f).collect();
        assert_eq!(fields, ["currency", "from", "host_id"]);
        let query = ReportQuery {
            to: Some("yesterday".into()),
            ..Default::default()
        };
        assert!(query.filter(now()).is_err());
    }

    #[test]
    fn csv_is_asked_for_by_format_or_accept() {
        let csv = ReportQuery {
            format: Some("csv".into()),
            ..Default::default()
        };
        assert_eq!(csv.wants_csv(None), Ok(true));
        assert_eq!(ReportQuery::default().wants_csv(Some("text/csv")), Ok(true));
        assert_eq!(ReportQuery::default().wants_csv(Some("*/*")), Ok(false));
        let bad = ReportQuery {
            format: Some("xml".into()),
            ..Default::default()
        };
        assert!(bad.wants_csv(None).is_err());
    }

    #[test]
    fn group_by_defaults_to_campaign() {
        assert_eq!(ReportQuery::default().group_by(), Ok(GroupBy::Campaign));
        for group in GroupBy::ALL {
            assert_eq!(GroupBy::parse(group.as_str()), Ok(group));
        }
    }
}
