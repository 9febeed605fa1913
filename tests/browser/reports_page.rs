use chrono::{Duration, Utc};
use convene::auth::roles::Role;
use convene::outcomes::surveys::create_survey_invitation;
use convene::values::Email;
use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app, TestApp, TEST_PASSWORD};

/// Logs a past meeting and records `outcome` for it; returns the meeting id.
async fn past_meeting(
    app: &TestApp,
    lead: &Value,
    meeting_type: &Value,
    days_ago: i64,
    outcome: Value,
) -> String {
    let start = (Utc::now() - Duration::days(days_ago))
        .format("%Y-%m-%dT10:00:00Z")
        .to_string();
    let request: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"], "start": start, "log_past": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let meetings: Value = app
        .get_json("/api/v1/meetings?limit=500", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let meeting = meetings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["meeting_request_id"] == request["id"])
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let recorded = app
        .client
        .put(app.url(&format!("/api/v1/meetings/{meeting}/outcome")))
        .bearer_auth(&app.admin_key)
        .json(&outcome)
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), 200);
    meeting
}

#[tokio::test]
async fn the_reports_page_renders_its_charts_and_its_csv_matches_the_json() {
    let app = spawn_app().await;
    app.create_user_with_password("revenue@example.com", "marketer");
    let host = app.create_host("dana@example.com", "Europe/Berlin").await;
    let demo = app
        .create_meeting_type("demo", &[host], json!({"requires_approval": false}))
        .await;
    let mut leads = Vec::new();
    for (email, campaign) in [
        ("a@bigco.com", "spring"),
        ("b@bigco.com", "autumn"),
        ("c@bigco.com", "spring"),
    ] {
        let response = app
            .post_json(
                "/api/v1/leads",
                &app.admin_key,
                &json!({"email": email, "name": "Prospect", "campaign": campaign}),
            )
            .await;
        leads.push(response.json::<Value>().await.unwrap());
    }
    let won = json!({"status": "held", "opportunity": {"amount": "42000.00", "currency": "EUR", "stage": "closed_won"}});
    let open = json!({"status": "held", "opportunity": {"amount": "8000.00", "currency": "EUR", "stage": "proposal"}});
    let first = past_meeting(&app, &leads[0], &demo, 50, won).await;
    past_meeting(&app, &leads[1], &demo, 20, open).await;
    past_meeting(&app, &leads[2], &demo, 10, json!({"status": "no_show"})).await;
    let token = {
        let mut conn = app.db.connection().unwrap();
        create_survey_invitation(
            &mut conn,
            &first,
            &Email::parse("a@bigco.com").unwrap(),
            Utc::now(),
        )
        .unwrap()
    };
    let answered = app
        .client
        .post(app.url(&format!("/survey/{token}")))
        .json(&json!({"rating": 5, "buyer_intent": "high"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 201);

    let browser = Browser::start(1280, 1600).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "revenue@example.com", TEST_PASSWORD)
        .await;
    page.find(Locator::LinkText("Reports"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait()
        .for_element(Locator::Css("svg#funnel-chart"))
        .await
        .unwrap();
    let from = (Utc::now() - Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(
        page.find(Locator::Id("from"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(from.as_str())
    );
    for (chart, marks) in [
        ("funnel-chart", "rect"),
        ("pipeline-chart", "rect"),
        ("no-show-chart", "circle"),
        ("rating-chart", "circle"),
    ] {
        let found = page
            .find_all(Locator::Css(&format!("svg#{chart} {marks}")))
            .await
            .unwrap();
        assert!(!found.is_empty(), "{chart} draws its {marks}s");
        let title = page
            .find(Locator::Css(&format!("svg#{chart} > title")))
            .await
            .unwrap();
        assert!(
            !title.html(true).await.unwrap().is_empty(),
            "{chart} has a title"
        );
    }
    let funnel_bars = page
        .find_all(Locator::Css("svg#funnel-chart rect"))
        .await
        .unwrap();
    assert_eq!(funnel_bars.len(), 9, "leads to won");
    let width = |bar: &fantoccini::elements::Element| {
        let bar = bar.clone();
        async move {
            bar.attr("width")
                .await
                .unwrap()
                .unwrap()
                .parse::<f64>()
                .unwrap()
        }
    };
    assert!(
        width(&funnel_bars[0]).await > width(&funnel_bars[8]).await,
        "three leads outweigh one won deal"
    );
    let pipeline_text = page
        .find(Locator::Css("svg#pipeline-chart"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        pipeline_text.contains("42,000.00 EUR") && pipeline_text.contains("spring"),
        "{pipeline_text}"
    );
    assert!(browser.fits_width().await);
    browser.screenshot("reports-1280").await;
    browser.assert_accessible("reports-1280").await;

    let href = page
        .find(Locator::Id("pipeline-csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let csv = page
        .execute_async(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0]).then(r => r.text()).then(done);",
            vec![json!(href)],
        )
        .await
        .unwrap();
    let query = href.split_once('?').map(|(_, q)| q).unwrap().to_owned();
    let json: Value = app
        .get_json(
            &format!("/api/v1/reports/pipeline?{query}"),
            &app.key_for(Role::Marketer),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut lines = csv.as_str().unwrap().lines();
    assert_eq!(
        lines.next(),
        Some(
            "key,meetings_held,no_shows,opportunities,pipeline_amount,won_amount,avg_survey_rating"
        )
    );
    let rows: Vec<Vec<String>> = lines
        .map(|line| line.split(',').map(str::to_owned).collect())
        .collect();
    let expected: Vec<Vec<String>> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let text = |v: &Value| {
                v.as_str().map_or_else(
                    || {
                        if v.is_null() {
                            String::new()
                        } else {
                            v.to_string()
                        }
                    },
                    str::to_owned,
                )
            };
            [
                "key",
                "meetings_held",
                "no_shows",
                "opportunities",
                "pipeline_amount",
                "won_amount",
                "avg_survey_rating",
            ]
            .iter()
            .map(|field| text(&row[*field]))
            .collect()
        })
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(rows.len(), 2, "spring and autumn");
    assert_eq!(rows[0][0], "spring");

    let phone = Browser::start(390, 844).await;
    phone
        .sign_in(&app.address, "revenue@example.com", TEST_PASSWORD)
        .await;
    phone.client.goto(&app.url("/admin/reports")).await.unwrap();
    phone
        .client
        .wait()
        .for_element(Locator::Css("svg#pipeline-chart"))
        .await
        .unwrap();
    assert!(phone.fits_width().await, "charts shrink to a phone");
    phone.screenshot("reports-390").await;
    phone.assert_accessible("reports-390").await;
    phone.close().await;
    browser.close().await;
}
