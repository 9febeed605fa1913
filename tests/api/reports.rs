//! The funnel and pipeline reports on a small data set whose numbers are worked out by hand
//! below, on whichever backend the suite runs.

use chrono::{Duration, Utc};
use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::booking::{book, booking, first_slot, open_type};
use crate::helpers::{assert_problem, spawn_app, TestApp, TEST_PASSWORD};
use crate::outcomes::{log_meeting, meeting_of, put_json};
use crate::surveys::invite;

async fn lead(
    app: &TestApp,
    email: &str,
    campaign: Option<&str>,
    source: Option<&str>,
    bant: Value,
) -> Value {
    let response = app
        .post_json(
            "/api/v1/leads",
            &app.admin_key,
            &json!({"email": email, "name": "Prospect", "campaign": campaign, "source": source, "bant": bant}),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn outcome(app: &TestApp, meeting: &str, body: Value) {
    let response = put_json(
        app,
        &format!("/api/v1/meetings/{meeting}/outcome"),
        &app.admin_key,
        &body,
    )
    .await;
    assert_eq!(response.status(), 200, "record outcome");
}

async fn answer(app: &TestApp, meeting: &str, recipient: &str, rating: i64) {
    let token = invite(app, meeting, recipient, Utc::now());
    let response = app
        .client
        .post(app.url(&format!("/survey/{token}")))
        .json(&json!({"rating": rating, "buyer_intent": "medium"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

fn opportunity(amount: &str, currency: &str, stage: &str) -> Value {
    json!({"status": "held", "opportunity": {"amount": amount, "currency": currency, "stage": stage}})
}

/// The data set:
///
/// | meeting | lead (campaign, source) | type · host   | start   | outcome  | opportunity             | ratings |
/// |---------|-------------------------|---------------|---------|----------|-------------------------|---------|
/// | M1      | L1 (spring, webinar)    | intro · Dana  | −10 d   | held     | 10000.00 EUR closed_won | 5, 4    |
/// | M2      | L2 (spring, ads)        | intro · Dana  | −9 d    | held     | 5000.50 EUR proposal    |         |
/// | M3      | L3 (autumn, webinar)    | exec · Blake  | −8 d    | no_show  |                         |         |
/// | M4      | L4 (none, none)         | exec · Blake  | −7 d    | held     |                         | 2       |
/// | M5      | L1                      | exec · Blake  | −6 d    | —        | (unconfirmed)           |         |
/// | M6      | L2                      | intro · Dana  | −5 d    | held     | 2000.00 USD negotiation |         |
/// | M7      | L3                      | intro · Dana  | −40 d   | held     | 999.00 EUR proposal     | 1       |
/// | M8      | L4                      | intro · Dana  | tomorrow| —        | (upcoming)              |         |
///
/// plus L5 (autumn) with two requests of a type needing approval: one approved, one rejected.
/// The period runs from 30 days ago to tomorrow, so M7 starts outside it (its request was
/// created today, inside it).
struct DataSet {
    from: String,
    to: String,
    blake: String,
    m8_start: chrono::DateTime<Utc>,
}

async fn data_set(app: &TestApp) -> DataSet {
    let (intro, link) = open_type(app, json!({})).await;
    let blake = app
        .create_host("blake@example.com", "America/New_York")
        .await;
    let exec = app
        .create_meeting_type(
            "exec",
            std::slice::from_ref(&blake),
            json!({"requires_approval": false}),
        )
        .await;
    let gated = app
        .create_meeting_type(
            "gated",
            std::slice::from_ref(&blake),
            json!({"requires_approval": true}),
        )
        .await;
    let hot = json!({"budget": true, "authority": true, "need": true, "timing": "now"});
    let l1 = lead(
        app,
        "l1@bigco.com",
        Some("spring"),
        Some("webinar"),
        hot.clone(),
    )
    .await;
    let l2 = lead(
        app,
        "l2@bigco.com",
        Some("spring"),
        Some("ads"),
        hot.clone(),
    )
    .await;
    let l3 = lead(
        app,
        "l3@bigco.com",
        Some("autumn"),
        Some("webinar"),
        json!({"budget": true, "authority": true, "need": true, "timing": "later"}),
    )
    .await;
    let l4 = lead(app, "l4@bigco.com", None, None, json!({})).await;
    let l5 = lead(app, "l5@bigco.com", Some("autumn"), None, hot).await;
    let stages: Vec<&str> = [&l1, &l2, &l3, &l4, &l5]
        .iter()
        .map(|l| l["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["sql", "sql", "mql", "new", "sql"]);

    let now = Utc::now();
    let day = |n: i64| now - Duration::days(n);
    let m1 = log_meeting(app, &l1["id"], &intro["id"], day(10)).await;
    let m2 = log_meeting(app, &l2["id"], &intro["id"], day(9)).await;
    let m3 = log_meeting(app, &l3["id"], &exec["id"], day(8)).await;
    let m4 = log_meeting(app, &l4["id"], &exec["id"], day(7)).await;
    log_meeting(app, &l1["id"], &exec["id"], day(6)).await;
    let m6 = log_meeting(app, &l2["id"], &intro["id"], day(5)).await;
    let m7 = log_meeting(app, &l3["id"], &intro["id"], day(40)).await;
    let start = first_slot(app, &link).await;
    let m8_request: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": l4["id"], "meeting_type_id": intro["id"], "start": start}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(m8_request["status"], "scheduled");
    meeting_of(app, m8_request["id"].as_str().unwrap()).await;

    outcome(app, &m1, opportunity("10000.00", "EUR", "proposal")).await;
    outcome(app, &m1, opportunity("10000.00", "EUR", "closed_won")).await;
    outcome(app, &m2, opportunity("5000.50", "EUR", "proposal")).await;
    outcome(app, &m3, json!({"status": "no_show"})).await;
    outcome(app, &m4, json!({"status": "held"})).await;
    outcome(app, &m6, opportunity("2000", "USD", "negotiation")).await;
    outcome(app, &m7, opportunity("999.00", "EUR", "proposal")).await;
    answer(app, &m1, "l1@bigco.com", 5).await;
    answer(app, &m1, "dana@example.com", 4).await;
    answer(app, &m4, "l4@bigco.com", 2).await;
    answer(app, &m7, "l3@bigco.com", 1).await;

    for decision in [json!({}), json!({"reason": "Not a fit"})] {
        let request: Value = app
            .post_json(
                "/api/v1/meeting-requests",
                &app.admin_key,
                &json!({"lead_id": l5["id"], "meeting_type_id": gated["id"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(request["status"], "pending_approval");
        let action = if decision.get("reason").is_some() {
            "reject"
        } else {
            "approve"
        };
        let response = app
            .post_json(
                &format!(
                    "/api/v1/meeting-requests/{}/{action}",
                    request["id"].as_str().unwrap()
                ),
                &app.admin_key,
                &decision,
            )
            .await;
        assert_eq!(response.status(), 200, "{action}");
    }
    DataSet {
        from: day(30).format("%Y-%m-%d").to_string(),
        to: (now + Duration::days(1)).format("%Y-%m-%d").to_string(),
        blake,
        m8_start: chrono::DateTime::parse_from_rfc3339(&start)
            .unwrap()
            .with_timezone(&Utc),
    }
}

async fn report(app: &TestApp, path: &str, key: &str) -> Value {
    let response = app.get_json(path, key).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn funnel_and_pipeline_count_the_hand_built_data_set() {
    let app = spawn_app().await;
    let data = data_set(&app).await;
    let period = format!("from={}&to={}", data.from, data.to);
    let marketer = app.key_for(Role::Marketer);

    let funnel = report(&app, &format!("/api/v1/reports/funnel?{period}"), &marketer).await;
    // Five leads today: L1, L2, L5 are sales-qualified, L3 marketing-qualified, L4 new.
    assert_eq!(
        (
            funnel["leads"].as_i64(),
            funnel["mqls"].as_i64(),
            funnel["sqls"].as_i64()
        ),
        (Some(5), Some(4), Some(3))
    );
    // Ten requests created today (M1–M8 and L5's two); all but the rejected one approved.
    assert_eq!(
        (
            funnel["meetings_requested"].as_i64(),
            funnel["meetings_approved"].as_i64()
        ),
        (Some(10), Some(9))
    );
    // M1–M6 and M8 start in the period; M7 (40 days ago) does not.
    assert_eq!(funnel["meetings_scheduled"], 7);
    assert_eq!(
        (
            funnel["meetings_held"].as_i64(),
            funnel["no_shows"].as_i64()
        ),
        (Some(4), Some(1))
    );
    assert_eq!(
        funnel["meetings_unconfirmed"], 1,
        "M5 is neither held nor a no-show"
    );
    assert_eq!(funnel["no_show_rate"], 0.2);
    // M1, M2 and M6 created opportunities; EUR is the most common currency, USD is left out.
    assert_eq!(
        (
            funnel["opportunities"].as_i64(),
            funnel["opportunities_won"].as_i64()
        ),
        (Some(3), Some(1))
    );
    assert_eq!(funnel["currency"], "EUR");
    assert_eq!(funnel["other_currencies"], json!(["USD"]));
    assert_eq!(funnel["pipeline_amount"], "15000.50");
    assert_eq!(funnel["won_amount"], "10000.00");
    assert_eq!(
        funnel["conversion"],
        json!({"lead_to_meeting": 1.4, "meeting_to_opportunity": 0.75, "opportunity_to_won": 0.3333})
    );
    // Only M8 was requested before it started; the approved gated request waited seconds.
    let expected_hours = (data.m8_start - Utc::now()).num_seconds() as f64 / 3600.0;
    let median = funnel["median_hours_request_to_meeting"].as_f64().unwrap();
    assert!(
        (median - expected_hours).abs() < 0.2,
        "{median} vs {expected_hours}"
    );
    assert_eq!(funnel["median_hours_pending_approval"], 0.0);

    let in_usd = report(
        &app,
        &format!("/api/v1/reports/funnel?{period}&currency=USD"),
        &marketer,
    )
    .await;
    assert_eq!(
        (
            in_usd["pipeline_amount"].as_str(),
            in_usd["won_amount"].as_str()
        ),
        (Some("2000.00"), Some("0.00"))
    );

    let spring = report(
        &app,
        &format!("/api/v1/reports/funnel?{period}&campaign=spring"),
        &marketer,
    )
    .await;
    // L1 and L2; their meetings M1, M2, M5, M6.
    assert_eq!(
        (
            spring["leads"].as_i64(),
            spring["meetings_scheduled"].as_i64()
        ),
        (Some(2), Some(4))
    );
    assert_eq!(
        (
            spring["meetings_held"].as_i64(),
            spring["meetings_unconfirmed"].as_i64()
        ),
        (Some(3), Some(1))
    );
    let blake = report(
        &app,
        &format!("/api/v1/reports/funnel?{period}&host_id={}", data.blake),
        &marketer,
    )
    .await;
    // M3, M4, M5; and the two gated requests Blake hosts.
    assert_eq!(
        (
            blake["meetings_scheduled"].as_i64(),
            blake["meetings_held"].as_i64(),
            blake["no_shows"].as_i64()
        ),
        (Some(3), Some(1), Some(1))
    );
    assert_eq!(
        (
            blake["meetings_requested"].as_i64(),
            blake["pipeline_amount"].as_str()
        ),
        (Some(5), Some("0.00"))
    );

    let by_campaign = report(
        &app,
        &format!("/api/v1/reports/pipeline?{period}&group_by=campaign"),
        &app.key_for(Role::MeetingManager),
    )
    .await;
    assert_eq!(by_campaign["currency"], "EUR");
    assert_eq!(
        by_campaign["rows"],
        json!([
            {"key": "spring", "meetings_held": 3, "no_shows": 0, "opportunities": 3, "pipeline_amount": "15000.50", "won_amount": "10000.00", "avg_survey_rating": 4.5},
            {"key": "(none)", "meetings_held": 1, "no_shows": 0, "opportunities": 0, "pipeline_amount": "0.00", "won_amount": "0.00", "avg_survey_rating": 2.0},
            {"key": "autumn", "meetings_held": 0, "no_shows": 1, "opportunities": 0, "pipeline_amount": "0.00", "won_amount": "0.00", "avg_survey_rating": null},
        ])
    );
    let by_source = report(
        &app,
        &format!("/api/v1/reports/pipeline?{period}&group_by=source"),
        &marketer,
    )
    .await;
    let keys: Vec<(&str, &str)> = by_source["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap(),
                r["pipeline_amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("webinar", "10000.00"),
            ("ads", "5000.50"),
            ("(none)", "0.00")
        ]
    );
    for (group, dana, blake) in [
        ("host", "Dana Exec", "blake"),
        ("meeting_type", "Meeting intro", "Meeting exec"),
    ] {
        let rows = report(
            &app,
            &format!("/api/v1/reports/pipeline?{period}&group_by={group}"),
            &marketer,
        )
        .await["rows"]
            .clone();
        assert_eq!(
            rows,
            json!([
                {"key": dana, "meetings_held": 3, "no_shows": 0, "opportunities": 3, "pipeline_amount": "15000.50", "won_amount": "10000.00", "avg_survey_rating": 4.5},
                {"key": blake, "meetings_held": 1, "no_shows": 1, "opportunities": 0, "pipeline_amount": "0.00", "won_amount": "0.00", "avg_survey_rating": 2.0},
            ]),
            "{group}"
        );
    }
    let usd = report(
        &app,
        &format!("/api/v1/reports/pipeline?{period}&currency=USD"),
        &marketer,
    )
    .await;
    assert_eq!(usd["rows"][0]["key"], "spring");
    assert_eq!(usd["rows"][0]["pipeline_amount"], "2000.00");

    let csv = app
        .client
        .get(app.url(&format!("/api/v1/reports/pipeline?{period}&format=csv")))
        .bearer_auth(&marketer)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "key,meetings_held,no_shows,opportunities,pipeline_amount,won_amount,avg_survey_rating",
            "spring,3,0,3,15000.50,10000.00,4.5",
            "(none),1,0,0,0.00,0.00,2.0",
            "autumn,0,1,0,0.00,0.00,",
        ]
    );
    let funnel_csv = app
        .client
        .get(app.url(&format!("/api/v1/reports/funnel?{period}")))
        .bearer_auth(&marketer)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(funnel_csv.starts_with("metric,value\n"));
    assert!(
        funnel_csv.contains("\nleads,5\n") && funnel_csv.contains("\npipeline_amount,15000.50\n")
    );
}

/// The rows of a pipeline report as (key, meetings held).
async fn held_by(app: &TestApp, query: &str) -> Vec<(String, i64)> {
    report(
        app,
        &format!("/api/v1/reports/pipeline?{query}"),
        &app.admin_key,
    )
    .await["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["key"].as_str().unwrap().to_owned(),
                row["meetings_held"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn meetings_count_under_their_leads_campaign_and_source_as_they_are_now() {
    let app = spawn_app().await;
    let (intro, link) = open_type(&app, json!({})).await;
    let l1 = lead(
        &app,
        "moves@bigco.com",
        Some("spring"),
        Some("webinar"),
        json!({}),
    )
    .await;
    let held = log_meeting(
        &app,
        &l1["id"],
        &intro["id"],
        Utc::now() - Duration::days(2),
    )
    .await;
    outcome(&app, &held, json!({"status": "held"})).await;
    let now = Utc::now();
    let period = format!(
        "from={}&to={}",
        (now - Duration::days(30)).format("%Y-%m-%d"),
        (now + Duration::days(2)).format("%Y-%m-%d")
    );
    // A request made through the API carries the lead's campaign and source.
    assert_eq!(
        held_by(&app, &format!("{period}&group_by=campaign")).await,
        [("spring".to_owned(), 1)]
    );
    assert_eq!(
        held_by(&app, &format!("{period}&group_by=source")).await,
        [("webinar".to_owned(), 1)]
    );

    // Booking on the public link updates the lead (its source becomes the link) and makes a
    // second request, which carries the updated lead's groups; the first one follows.
    let start = first_slot(&app, &link).await;
    let booked = book(&app, &link, &booking(&start, "moves@bigco.com")).await;
    assert_eq!(booked.status(), 201);
    let spring = report(
        &app,
        &format!("/api/v1/reports/funnel?{period}&campaign=spring"),
        &app.admin_key,
    )
    .await;
    assert_eq!(
        (
            spring["meetings_requested"].as_i64(),
            spring["meetings_scheduled"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(
        held_by(&app, &format!("{period}&group_by=source")).await,
        [("booking_link".to_owned(), 1)]
    );

    // A later change of the lead's campaign moves both meetings with it.
    let moved = app
        .post_json(
            "/api/v1/leads",
            &app.admin_key,
            &json!({"email": "moves@bigco.com", "name": "Prospect", "campaign": "summer"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(
        held_by(&app, &format!("{period}&group_by=campaign")).await,
        [("summer".to_owned(), 1)]
    );
    for (campaign, expected) in [("summer", 2), ("spring", 0)] {
        let funnel = report(
            &app,
            &format!("/api/v1/reports/funnel?{period}&campaign={campaign}"),
            &app.admin_key,
        )
        .await;
        assert_eq!(
            (
                funnel["leads"].as_i64(),
                funnel["meetings_requested"].as_i64(),
                funnel["meetings_scheduled"].as_i64(),
                funnel["meetings_held"].as_i64()
            ),
            (
                Some(expected / 2),
                Some(expected),
                Some(expected),
                Some(expected / 2)
            ),
            "{campaign}"
        );
    }
    let webinar = report(
        &app,
        &format!("/api/v1/reports/pipeline?{period}&group_by=campaign&source=webinar"),
        &app.admin_key,
    )
    .await;
    assert_eq!(
        webinar["rows"],
        json!([]),
        "no meeting is left under the old source"
    );
}

#[tokio::test]
async fn reports_refuse_bad_queries_and_other_roles() {
    let app = spawn_app().await;
    let marketer = app.key_for(Role::Marketer);
    let empty = report(&app, "/api/v1/reports/funnel", &marketer).await;
    assert_eq!(
        (empty["leads"].as_i64(), empty["currency"].as_str()),
        (Some(0), Some("EUR"))
    );
    assert!(empty["conversion"]["lead_to_meeting"].is_null());
    assert!(empty["median_hours_request_to_meeting"].is_null());
    assert_eq!(
        report(&app, "/api/v1/reports/pipeline", &marketer).await["rows"],
        json!([])
    );
    for query in [
        "/api/v1/reports/funnel?from=2026-13-01",
        "/api/v1/reports/funnel?from=2026-12-10&to=2026-12-01",
        "/api/v1/reports/funnel?currency=euro",
        "/api/v1/reports/funnel?format=xml",
        "/api/v1/reports/pipeline?group_by=weekday",
        "/api/v1/reports/pipeline?host_id=bob",
    ] {
        assert_problem(app.get_json(query, &marketer).await, 422).await;
    }
    assert_problem(
        app.get_json("/api/v1/reports/funnel", &app.key_for(Role::Host))
            .await,
        403,
    )
    .await;
    let anonymous = app
        .client
        .get(app.url("/api/v1/reports/pipeline"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401).await;
}

#[tokio::test]
async fn the_reports_page_draws_its_charts_and_offers_the_same_csv() {
    let app = spawn_app().await;
    let data = data_set(&app).await;
    app.create_user_with_password("marketer@example.com", "marketer");
    app.create_user_with_password("host@example.com", "host");
    assert_eq!(
        sign_in(&app, "marketer@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
    let home = app
        .client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Revenue from meetings, last 90 days"),
        "{home}"
    );
    assert!(home.contains(r#"href="/admin/reports""#));

    let query = format!("from={}&to={}&group_by=host", data.from, data.to);
    let page = app
        .client
        .get(app.url(&format!("/admin/reports?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for chart in [
        "funnel-chart",
        "pipeline-chart",
        "no-show-chart",
        "rating-chart",
    ] {
        assert!(
            html.contains(&format!(r#"<title id="{chart}-title">"#)),
            "{chart}"
        );
    }
    assert!(
        html.contains("Dana Exec: 15,000.50 EUR"),
        "values are printed"
    );
    assert!(html.contains(">Pipeline by host<"));
    let csv_link = html
        .split(r#"id="pipeline-csv""#)
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .map(|href| href.trim_end_matches("\" ").replace("&amp;", "&"))
        .unwrap();
    let downloaded = app
        .client
        .get(app.url(&csv_link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let api = app
        .client
        .get(app.url(&format!("/api/v1/reports/pipeline?{query}&format=csv")))
        .bearer_auth(app.key_for(Role::Marketer))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(downloaded, api);

    let bad = app
        .client
        .get(app.url("/admin/reports?from=someday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 200);
    assert!(bad.text().await.unwrap().contains("from must be a date"));

    // Signing in again replaces the session cookie: now a host.
    assert_eq!(
        sign_in(&app, "host@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
    let refused = app
        .client
        .get(app.url("/admin/reports"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let home = app
        .client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("Revenue from meetings") && !home.contains(r#"href="/admin/reports""#));
}

#[tokio::test]
async fn the_openapi_document_describes_outcomes_surveys_and_reports() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/meetings/{id}/outcome"]["put"].is_object());
    assert!(doc["paths"]["/survey/{token}"]["post"].is_object());
    for path in ["/api/v1/reports/funnel", "/api/v1/reports/pipeline"] {
        let parameters: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("missing {path}"))
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            ["from", "to", "campaign", "host_id", "group_by", "format"]
                .iter()
                .all(|p| parameters.contains(p)),
            "{path}: {parameters:?}"
        );
    }
    for schema in [
        "FunnelReport",
        "PipelineReport",
        "OutcomeInput",
        "OutcomeView",
        "MeetingDetail",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "missing schema {schema}"
        );
    }
}
