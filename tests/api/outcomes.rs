//! Outcomes through the API and the admin meeting page: who may record them, when, and the
//! workflow and opportunity history they leave.

use chrono::{DateTime, Duration, Utc};
use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::booking::{first_slot, open_type};
use crate::helpers::{assert_problem, csrf_token_in, spawn_app, TestApp, TEST_PASSWORD};

pub async fn put_json(app: &TestApp, path: &str, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// Logs a meeting that started at `start` (in the past) and returns its id.
pub async fn log_meeting(
    app: &TestApp,
    lead_id: &Value,
    meeting_type_id: &Value,
    start: DateTime<Utc>,
) -> String {
    let start = start.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let response = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead_id, "meeting_type_id": meeting_type_id, "start": start, "log_past": true}),
        )
        .await;
    assert_eq!(response.status(), 201, "log a past meeting");
    let request: Value = response.json().await.expect("json");
    meeting_of(app, request["id"].as_str().expect("id")).await
}

/// The id of the meeting booked for a request.
pub async fn meeting_of(app: &TestApp, request_id: &str) -> String {
    let meetings: Value = app
        .get_json("/api/v1/meetings?limit=500", &app.admin_key)
        .await
        .json()
        .await
        .expect("json");
    meetings["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["meeting_request_id"] == request_id)
        .and_then(|m| m["id"].as_str())
        .expect("the request has a meeting")
        .to_owned()
}

async fn request_of(app: &TestApp, meeting_id: &str) -> Value {
    let meeting: Value = app
        .get_json(&format!("/api/v1/meetings/{meeting_id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    app.get_json(
        &format!(
            "/api/v1/meeting-requests/{}",
            meeting["meeting_request_id"].as_str().unwrap()
        ),
        &app.admin_key,
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn outcomes_move_the_request_and_keep_the_opportunity_history() {
    let app = spawn_app().await;
    let (meeting_type, _) = open_type(&app, json!({})).await;
    let lead = app.create_lead("held@bigco.com", true).await;
    let meeting = log_meeting(
        &app,
        &lead["id"],
        &meeting_type["id"],
        Utc::now() - Duration::days(2),
    )
    .await;
    let path = format!("/api/v1/meetings/{meeting}/outcome");

    let detail: Value = app
        .get_json(&format!("/api/v1/meetings/{meeting}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["outcome"]["status"], "unconfirmed",
        "a past meeting is never assumed held"
    );

    let manager = app.key_for(Role::MeetingManager);
    let response = put_json(
        &app,
        &path,
        &manager,
        &json!({
            "status": "held", "notes": "Strong interest", "next_step": "Send proposal",
            "opportunity": {"amount": "25000.00", "currency": "EUR", "stage": "proposal"}
        }),
    )
    .await;
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["status"], "held");
    assert_eq!(outcome["opportunity"]["amount"], "25000.00");
    assert_eq!(request_of(&app, &meeting).await["status"], "completed");

    let won: Value = put_json(
        &app,
        &path,
        &app.admin_key,
        &json!({
            "status": "held",
            "opportunity": {"amount": "30000", "currency": "EUR", "stage": "closed_won"}
        }),
    )
    .await
    .json()
    .await
    .unwrap();
    let history: Vec<(&str, &str)> = won["opportunity"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["stage"].as_str().unwrap(), h["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(
        history,
        [("proposal", "25000.00"), ("closed_won", "30000.00")]
    );
    assert!(won["opportunity"]["history"][1]["at"]
        .as_str()
        .unwrap()
        .ends_with('Z'));

    let again: Value = put_json(&app, &path, &app.admin_key, &json!({"status": "held"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["opportunity"]["stage"], "closed_won",
        "an outcome without an opportunity keeps it"
    );
    assert_eq!(again["opportunity"]["history"].as_array().unwrap().len(), 2);

    let corrected: Value = put_json(&app, &path, &app.admin_key, &json!({"status": "no_show"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(corrected["status"], "no_show");
    let request = request_of(&app, &meeting).await;
    assert_eq!(request["status"], "no_show");
    let actions: Vec<&str> = request["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "create",
            "submit",
            "schedule",
            "record_held",
            "record_held",
            "record_held",
            "record_no_show"
        ]
    );
    let detail: Value = app
        .get_json(&format!("/api/v1/meetings/{meeting}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            detail["status"].as_str(),
            detail["outcome"]["status"].as_str()
        ),
        (Some("no_show"), Some("no_show"))
    );
}

#[tokio::test]
async fn outcomes_wait_for_the_meeting_and_follow_roles() {
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    let start = first_slot(&app, &link).await;
    let lead = app.create_lead("future@bigco.com", true).await;
    let request: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"], "start": start}),
        )
        .await
        .json()
        .await
        .unwrap();
    let upcoming = meeting_of(&app, request["id"].as_str().unwrap()).await;
    let detail: Value = app
        .get_json(&format!("/api/v1/meetings/{upcoming}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        detail["outcome"].is_null(),
        "no outcome is due before the meeting"
    );
    assert_problem(
        put_json(
            &app,
            &format!("/api/v1/meetings/{upcoming}/outcome"),
            &app.admin_key,
            &json!({"status": "held"}),
        )
        .await,
        409,
    )
    .await;

    let past = log_meeting(
        &app,
        &lead["id"],
        &meeting_type["id"],
        Utc::now() - Duration::hours(3),
    )
    .await;
    let path = format!("/api/v1/meetings/{past}/outcome");
    for role in [Role::Marketer, Role::Host] {
        assert_problem(
            put_json(&app, &path, &app.key_for(role), &json!({"status": "held"})).await,
            403,
        )
        .await;
    }
    assert_problem(
        put_json(
            &app,
            "/api/v1/meetings/00000000-0000-7000-8000-000000000000/outcome",
            &app.admin_key,
            &json!({"status": "held"}),
        )
        .await,
        404,
    )
    .await;
    let cases = [
        (json!({"status": "maybe"}), "status"),
        (
            json!({"status": "held", "opportunity": {"amount": "-5", "currency": "EUR", "stage": "proposal"}}),
            "opportunity.amount",
        ),
        (
            json!({"status": "held", "opportunity": {"amount": "5.123", "currency": "EUR", "stage": "proposal"}}),
            "opportunity.amount",
        ),
        (
            json!({"status": "held", "opportunity": {"amount": "5", "currency": "euro", "stage": "proposal"}}),
            "opportunity.currency",
        ),
        (
            json!({"status": "held", "opportunity": {"amount": "5", "currency": "EUR", "stage": "won"}}),
            "opportunity.stage",
        ),
        (
            json!({"status": "no_show", "opportunity": {"amount": "5", "currency": "EUR", "stage": "proposal"}}),
            "opportunity",
        ),
    ];
    for (body, field) in cases {
        let problem = assert_problem(put_json(&app, &path, &app.admin_key, &body).await, 422).await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    assert_problem(
        put_json(&app, &path, &app.admin_key, &json!({"notes": "no status"})).await,
        422,
    )
    .await;

    let cancelled: Value = app
        .post_json(
            &format!("/api/v1/meetings/{upcoming}/cancel"),
            &app.admin_key,
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
}

#[tokio::test]
async fn hosts_record_outcomes_of_their_own_meetings_from_the_meeting_page() {
    let app = spawn_app().await;
    let host_id = app.create_user_with_password("host@example.com", "host");
    let other_id = app.create_user_with_password("other@example.com", "host");
    let mine = app
        .create_meeting_type("mine", &[host_id], json!({"requires_approval": false}))
        .await;
    let theirs = app
        .create_meeting_type("theirs", &[other_id], json!({"requires_approval": false}))
        .await;
    let lead = app.create_lead("page@bigco.com", true).await;
    let when = Utc::now() - Duration::days(1);
    let meeting = log_meeting(&app, &lead["id"], &mine["id"], when).await;
    let not_mine = log_meeting(&app, &lead["id"], &theirs["id"], when).await;

    assert_eq!(
        sign_in(&app, "host@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
    let page = app
        .client
        .get(app.url(&format!("/admin/meetings/{meeting}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("unconfirmed"), "{html}");
    let token = csrf_token_in(&html);
    assert_eq!(
        app.client
            .get(app.url(&format!("/admin/meetings/{not_mine}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let form = |csrf: &str, amount: &str| {
        vec![
            ("csrf_token", csrf.to_owned()),
            ("status", "held".to_owned()),
            ("notes", "Went well".to_owned()),
            ("next_step", "Demo for the team".to_owned()),
            ("amount", amount.to_owned()),
            ("currency", "EUR".to_owned()),
            ("stage", "qualification".to_owned()),
        ]
    };
    let forged = app
        .client
        .post(app.url(&format!("/admin/meetings/{meeting}/outcome")))
        .form(&form("forged-token-forged-token-forged-token-xxxxx", "100"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let refused = app
        .client
        .post(app.url(&format!("/admin/meetings/{meeting}/outcome")))
        .form(&form(&token, "12,50"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("opportunity amount"));
    let saved = app
        .client
        .post(app.url(&format!("/admin/meetings/{meeting}/outcome")))
        .form(&form(&token, "12500.50"))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    let html = app
        .client
        .get(app.url(saved.headers().get("location").unwrap().to_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Outcome recorded: held."), "{html}");
    assert!(html.contains("12500.50 EUR"));
    let stolen = app
        .client
        .post(app.url(&format!("/admin/meetings/{not_mine}/outcome")))
        .form(&form(&token, "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 404);
}
