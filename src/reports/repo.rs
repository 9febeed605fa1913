//! The report queries: every count, sum and median is computed by the database (GROUP BY,
//! COUNT, SUM, window functions) so no report loads the rows it counts. The SQL is the same
//! on both backends except for placeholders, the seconds between two instants and the month
//! of an instant, which [`Sql`] writes per backend.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};
use diesel::{QueryableByName, RunQueryDsl};

use crate::db::{Backend, DbConnection, MultiBackend, StoreError};
use crate::reports::maths::CurrencyTotals;
use crate::reports::model::{GroupBy, ReportFilter};

enum Bind {
    Text(String),
    Time(NaiveDateTime),
}

/// A query being written, with its bind values in order.
struct Sql {
    backend: Backend,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn new(conn: &DbConnection) -> Self {
        let backend = match conn {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Postgres(_) => Backend::Postgres,
        };
        Self {
            backend,
            text: String::new(),
            binds: Vec::new(),
        }
    }

    fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        match self.backend {
            Backend::Sqlite => self.text.push('?'),
            Backend::Postgres => self.text.push_str(&format!("${}", self.binds.len())),
        }
        self
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.bind(Bind::Text(value.to_owned()))
    }

    fn time(&mut self, value: DateTime<Utc>) -> &mut Self {
        self.bind(Bind::Time(value.naive_utc()))
    }

    /// Seconds from instant `earlier` to instant `later`, as a double.
    fn seconds_between(&mut self, later: &str, earlier: &str) -> &mut Self {
        let expression = match self.backend {
            Backend::Sqlite => format!("((julianday({later}) - julianday({earlier})) * 86400.0)"),
            Backend::Postgres => {
                format!("CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)")
            }
        };
        self.push(&expression)
    }

    /// The `YYYY-MM` month of an instant column.
    fn month_of(&mut self, column: &str) -> &mut Self {
        let expression = match self.backend {
            // SQLite keeps timestamps as `YYYY-MM-DD HH:MM:SS` text.
            Backend::Sqlite => format!("substr({column}, 1, 7)"),
            Backend::Postgres => format!("to_char({column}, 'YYYY-MM')"),
        };
        self.push(&expression)
    }

    fn load<T>(self, conn: &mut DbConnection) -> Result<Vec<T>, StoreError>
    where
        T: QueryableByName<MultiBackend> + 'static,
    {
        let mut query = diesel::sql_query(self.text).into_boxed::<MultiBackend>();
        for bind in self.binds {
            query = match bind {
                Bind::Text(value) => query.bind::<Text, _>(value),
                Bind::Time(value) => query.bind::<Timestamp, _>(value),
            };
        }
        Ok(query.load(conn)?)
    }

    fn one<T>(self, conn: &mut DbConnection) -> Result<T, StoreError>
    where
        T: QueryableByName<MultiBackend> + 'static,
    {
        self.load(conn)?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("an aggregate query returned no row".into()))
    }
}

const COUNT_MQL: &str = "COALESCE(SUM(CASE WHEN l.stage IN ('mql', 'sql', 'opportunity', 'customer') THEN 1 ELSE 0 END), 0)";
const COUNT_SQL: &str =
    "COALESCE(SUM(CASE WHEN l.stage IN ('sql', 'opportunity', 'customer') THEN 1 ELSE 0 END), 0)";
const COUNT_HELD: &str = "COALESCE(SUM(CASE WHEN m.status = 'completed' THEN 1 ELSE 0 END), 0)";
const COUNT_NO_SHOWS: &str = "COALESCE(SUM(CASE WHEN m.status = 'no_show' THEN 1 ELSE 0 END), 0)";
/// Meetings that took (or will take) place: booked and confirmed, not held slots or
/// cancelled ones.
const BOOKED: &str = "('scheduled', 'completed', 'no_show')";

/// Where a query reads a lead's campaign and source: the lead's own columns, or the copies
/// its requests and meetings keep.
type GroupColumns = (&'static str, &'static str);
const OF_LEAD: GroupColumns = ("l.campaign", "l.source");
const OF_REQUEST: GroupColumns = ("r.lead_campaign", "r.lead_source");
const OF_MEETING: GroupColumns = ("m.lead_campaign", "m.lead_source");

fn lead_filters(sql: &mut Sql, filter: &ReportFilter, (campaign, source): GroupColumns) {
    if let Some(value) = &filter.campaign {
        sql.push(&format!(" AND {campaign} = ")).text(value);
    }
    if let Some(value) = &filter.source {
        sql.push(&format!(" AND {source} = ")).text(value);
    }
}

/// `FROM meetings m`, then `joins`, and the WHERE clause of the period (on the meeting's
/// start) and filters. What the reports read of a meeting's request and lead is copied onto
/// the meeting, so no meeting report joins the requests or the leads, by far the largest
/// table.
fn meetings_in_scope(sql: &mut Sql, filter: &ReportFilter, joins: &str) {
    sql.push(" FROM meetings m");
    sql.push(joins);
    sql.push(" WHERE m.start_utc >= ")
        .time(filter.from)
        .push(" AND m.start_utc < ")
        .time(filter.to);
    if let Some(meeting_type_id) = &filter.meeting_type_id {
        sql.push(" AND m.meeting_type_id = ").text(meeting_type_id);
    }
    if let Some(host_id) = &filter.host_id {
        sql.push(
            " AND EXISTS (SELECT 1 FROM meeting_hosts fh WHERE fh.meeting_id = m.id AND fh.user_id = ",
        )
        .text(host_id)
        .push(")");
    }
    lead_filters(sql, filter, OF_MEETING);
}

/// `FROM meeting_requests r …` for requests created in the period.
fn requests_in_scope(sql: &mut Sql, filter: &ReportFilter, joins: &str) {
    sql.push(" FROM meeting_requests r");
    sql.push(joins);
    sql.push(" WHERE r.created_at >= ")
        .time(filter.from)
        .push(" AND r.created_at < ")
        .time(filter.to);
    if let Some(meeting_type_id) = &filter.meeting_type_id {
        sql.push(" AND r.meeting_type_id = ").text(meeting_type_id);
    }
    if let Some(host_id) = &filter.host_id {
        sql.push(" AND EXISTS (SELECT 1 FROM meeting_request_hosts fh WHERE fh.meeting_request_id = r.id AND fh.user_id = ")
            .text(host_id)
            .push(")");
    }
    lead_filters(sql, filter, OF_REQUEST);
}

#[derive(Debug, QueryableByName)]
pub struct LeadCounts {
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
    #[diesel(sql_type = BigInt)]
    pub mqls: i64,
    #[diesel(sql_type = BigInt)]
    pub sqls: i64,
}

/// Leads created in the period, and how many of them are at or past MQL and SQL now.
pub fn lead_counts(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<LeadCounts, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push(&format!(
        "SELECT COUNT(*) AS leads, {COUNT_MQL} AS mqls, {COUNT_SQL} AS sqls FROM leads l WHERE l.created_at >= "
    ))
    .time(filter.from)
    .push(" AND l.created_at < ")
    .time(filter.to);
    lead_filters(&mut sql, filter, OF_LEAD);
    sql.one(conn)
}

#[derive(Debug, QueryableByName)]
pub struct RoutingCounts {
    #[diesel(sql_type = BigInt)]
    pub routed: i64,
    #[diesel(sql_type = BigInt)]
    pub routed_not_booked: i64,
}

/// Router decisions made in the period, and how many of those that offered times have not
/// been booked through.
pub fn routing_counts(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<RoutingCounts, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT COUNT(*) AS routed, \
         COALESCE(SUM(CASE WHEN g.decision = 'book' AND g.booked_at IS NULL THEN 1 ELSE 0 END), 0) AS routed_not_booked \
         FROM routings g JOIN leads l ON l.id = g.lead_id WHERE g.created_at >= ",
    )
    .time(filter.from)
    .push(" AND g.created_at < ")
    .time(filter.to);
    lead_filters(&mut sql, filter, OF_LEAD);
    sql.one(conn)
}

#[derive(Debug, QueryableByName)]
pub struct RequestCounts {
    #[diesel(sql_type = BigInt)]
    pub requested: i64,
    #[diesel(sql_type = BigInt)]
    pub approved: i64,
}

/// Requests created in the period, and how many of them were ever approved (by a manager or
/// automatically), whatever happened to them later.
pub fn request_counts(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<RequestCounts, StoreError> {
    let mut sql = Sql::new(conn);
    // A request reaches `approved` at most once, and the step stamps `approved_at`.
    sql.push("SELECT COUNT(*) AS requested, COUNT(r.approved_at) AS approved");
    requests_in_scope(&mut sql, filter, "");
    sql.one(conn)
}

#[derive(Debug, QueryableByName)]
pub struct MeetingCounts {
    #[diesel(sql_type = BigInt)]
    pub scheduled: i64,
    #[diesel(sql_type = BigInt)]
    pub held: i64,
    #[diesel(sql_type = BigInt)]
    pub no_shows: i64,
    #[diesel(sql_type = BigInt)]
    pub unconfirmed: i64,
}

/// Meetings starting in the period by what is known of them at `now`.
pub fn meeting_counts(
    conn: &mut DbConnection,
    filter: &ReportFilter,
    now: DateTime<Utc>,
) -> Result<MeetingCounts, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push(&format!(
        "SELECT COALESCE(SUM(CASE WHEN m.status IN {BOOKED} THEN 1 ELSE 0 END), 0) AS scheduled, \
         {COUNT_HELD} AS held, {COUNT_NO_SHOWS} AS no_shows, \
         COALESCE(SUM(CASE WHEN m.status = 'scheduled' AND m.start_utc <= "
    ))
    .time(now)
    .push(" THEN 1 ELSE 0 END), 0) AS unconfirmed");
    meetings_in_scope(&mut sql, filter, "");
    sql.one(conn)
}

#[derive(Debug, QueryableByName)]
struct CurrencyRow {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    opportunities: i64,
    #[diesel(sql_type = BigInt)]
    won: i64,
    #[diesel(sql_type = BigInt)]
    pipeline_minor: i64,
    #[diesel(sql_type = BigInt)]
    won_minor: i64,
}

/// Opportunities of held meetings starting in the period, summed per currency.
pub fn opportunity_totals(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<Vec<CurrencyTotals>, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT o.currency AS currency, COUNT(*) AS opportunities, \
         COALESCE(SUM(CASE WHEN o.stage = 'closed_won' THEN 1 ELSE 0 END), 0) AS won, \
         CAST(COALESCE(SUM(o.amount_minor), 0) AS BIGINT) AS pipeline_minor, \
         CAST(COALESCE(SUM(CASE WHEN o.stage = 'closed_won' THEN o.amount_minor ELSE 0 END), 0) AS BIGINT) AS won_minor",
    );
    meetings_in_scope(
        &mut sql,
        filter,
        " JOIN opportunities o ON o.meeting_id = m.id",
    );
    sql.push(" AND m.status = 'completed' GROUP BY o.currency");
    Ok(sql
        .load::<CurrencyRow>(conn)?
        .into_iter()
        .map(|row| CurrencyTotals {
            currency: row.currency,
            opportunities: row.opportunities,
            won: row.won,
            pipeline_minor: row.pipeline_minor,
            won_minor: row.won_minor,
        })
        .collect())
}

#[derive(Debug, QueryableByName)]
struct Median {
    #[diesel(sql_type = Nullable<Double>)]
    median: Option<f64>,
}

/// The median of the `s` column of the `d` CTE written before: the middle value, or the mean
/// of the two middle ones. PostgreSQL has the aggregate, `percentile_cont(0.5)`, which sorts
/// the values once; SQLite has none, so they are numbered with window functions, which on
/// PostgreSQL cost half as much again (docs/benchmarks.md).
fn median_of_d(mut sql: Sql, conn: &mut DbConnection) -> Result<Option<f64>, StoreError> {
    sql.push(match sql.backend {
        Backend::Postgres => {
            ") SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS median FROM d"
        }
        Backend::Sqlite => {
            "), o AS (SELECT s, ROW_NUMBER() OVER (ORDER BY s) AS rn, COUNT(*) OVER () AS n FROM d) \
             SELECT AVG(s) AS median FROM o WHERE rn IN ((n + 1) / 2, (n + 2) / 2)"
        }
    });
    Ok(sql.one::<Median>(conn)?.median)
}

/// Median seconds from a request's creation to its meeting's start, over booked meetings
/// starting in the period. Meetings logged after the fact (starting before their request)
/// are left out.
pub fn median_seconds_request_to_meeting(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<Option<f64>, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push("WITH d AS (SELECT ")
        .seconds_between("m.start_utc", "m.requested_at")
        .push(" AS s");
    meetings_in_scope(&mut sql, filter, "");
    sql.push(&format!(
        " AND m.status IN {BOOKED} AND m.start_utc >= m.requested_at"
    ));
    median_of_d(sql, conn)
}

/// Median seconds requests created in the period waited for a manager's approval: the step
/// from pending approval to approved, which only a manager's approval makes.
pub fn median_seconds_pending_approval(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<Option<f64>, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push("WITH d AS (SELECT ")
        .seconds_between("r.approved_at", "r.created_at")
        .push(" AS s");
    requests_in_scope(&mut sql, filter, "");
    sql.push(" AND r.approved_from_pending = TRUE");
    median_of_d(sql, conn)
}

/// The SELECT expression naming a group, and the joins it needs.
fn group_key(group_by: GroupBy) -> (&'static str, &'static str, &'static str) {
    match group_by {
        GroupBy::Campaign => ("m.lead_campaign", "", "m.lead_campaign"),
        GroupBy::Source => ("m.lead_source", "", "m.lead_source"),
        GroupBy::MeetingType => (
            "t.name",
            " JOIN meeting_types t ON t.id = m.meeting_type_id",
            "t.id, t.name",
        ),
        // A meeting with two hosts counts once for each of them.
        GroupBy::Host => (
            "u.name",
            " JOIN meeting_hosts h ON h.meeting_id = m.id JOIN users u ON u.id = h.user_id",
            "u.id, u.name",
        ),
    }
}

#[derive(Debug, QueryableByName)]
pub struct GroupCounts {
    #[diesel(sql_type = Nullable<Text>)]
    pub group_key: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub held: i64,
    #[diesel(sql_type = BigInt)]
    pub no_shows: i64,
    #[diesel(sql_type = BigInt)]
    pub opportunities: i64,
    #[diesel(sql_type = BigInt)]
    pub pipeline_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub won_minor: i64,
}

/// Meetings starting in the period per group: outcomes, and opportunities of held meetings
/// with their money in `currency`.
pub fn pipeline_groups(
    conn: &mut DbConnection,
    filter: &ReportFilter,
    group_by: GroupBy,
    currency: &str,
) -> Result<Vec<GroupCounts>, StoreError> {
    let (key, joins, group) = group_key(group_by);
    let mut sql = Sql::new(conn);
    sql.push(&format!(
        "SELECT {key} AS group_key, {COUNT_HELD} AS held, {COUNT_NO_SHOWS} AS no_shows, \
         COUNT(o.id) AS opportunities, \
         CAST(COALESCE(SUM(CASE WHEN o.currency = "
    ))
    .text(currency)
    .push(
        " THEN o.amount_minor ELSE 0 END), 0) AS BIGINT) AS pipeline_minor, \
         CAST(COALESCE(SUM(CASE WHEN o.stage = 'closed_won' AND o.currency = ",
    )
    .text(currency)
    .push(" THEN o.amount_minor ELSE 0 END), 0) AS BIGINT) AS won_minor");
    let joins = format!(
        "{joins} LEFT JOIN opportunities o ON o.meeting_id = m.id AND m.status = 'completed'"
    );
    meetings_in_scope(&mut sql, filter, &joins);
    sql.push(&format!(" GROUP BY {group}"));
    sql.load(conn)
}

#[derive(Debug, QueryableByName)]
pub struct GroupRatings {
    #[diesel(sql_type = Nullable<Text>)]
    pub group_key: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub rating_sum: i64,
    #[diesel(sql_type = BigInt)]
    pub ratings: i64,
}

/// Survey ratings about meetings starting in the period, per group. Kept apart from
/// [`pipeline_groups`] so several answers about one meeting do not repeat its opportunity.
pub fn rating_groups(
    conn: &mut DbConnection,
    filter: &ReportFilter,
    group_by: GroupBy,
) -> Result<Vec<GroupRatings>, StoreError> {
    let (key, joins, group) = group_key(group_by);
    let mut sql = Sql::new(conn);
    sql.push(&format!(
        "SELECT {key} AS group_key, COALESCE(SUM(s.rating), 0) AS rating_sum, COUNT(s.rating) AS ratings"
    ));
    let joins = format!("{joins} JOIN survey_responses s ON s.meeting_id = m.id");
    meetings_in_scope(&mut sql, filter, &joins);
    sql.push(&format!(" GROUP BY {group}"));
    sql.load(conn)
}

#[derive(Debug, QueryableByName)]
pub struct MonthOutcomes {
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub held: i64,
    #[diesel(sql_type = BigInt)]
    pub no_shows: i64,
}

/// Held meetings and no-shows per month of the meeting's start.
pub fn outcomes_by_month(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<Vec<MonthOutcomes>, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT ").month_of("m.start_utc").push(&format!(
        " AS month, {COUNT_HELD} AS held, {COUNT_NO_SHOWS} AS no_shows"
    ));
    meetings_in_scope(&mut sql, filter, "");
    sql.push(" GROUP BY 1 ORDER BY 1");
    sql.load(conn)
}

#[derive(Debug, QueryableByName)]
pub struct MonthRatings {
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub rating_sum: i64,
    #[diesel(sql_type = BigInt)]
    pub ratings: i64,
}

/// Survey ratings per month of the meeting's start.
pub fn ratings_by_month(
    conn: &mut DbConnection,
    filter: &ReportFilter,
) -> Result<Vec<MonthRatings>, StoreError> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT ")
        .month_of("m.start_utc")
        .push(" AS month, COALESCE(SUM(s.rating), 0) AS rating_sum, COUNT(s.rating) AS ratings");
    meetings_in_scope(
        &mut sql,
        filter,
        " JOIN survey_responses s ON s.meeting_id = m.id",
    );
    sql.push(" GROUP BY 1 ORDER BY 1");
    sql.load(conn)
}
