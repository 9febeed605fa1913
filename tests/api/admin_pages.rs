//! The leads and meeting-type pages of the admin UI, over plain HTTP.

use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::helpers::{csrf_token_in, spawn_app, TestApp, TEST_PASSWORD};

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn marketers_browse_filter_and_request_meetings_for_leads() {
    let app = spawn_app().await;
    let host = app.create_host("exec@example.com", "Europe/Berlin").await;
    app.create_meeting_type(
        "exec-briefing",
        std::slice::from_ref(&host),
        json!({"requires_approval": true}),
    )
    .await;
    app.create_meeting_type("gated", &[host], json!({"min_lead_score": 90}))
        .await;
    let hot = app.create_lead("hot@bigco.com", true).await;
    app.create_lead("cold@smallco.com", false).await;
    app.create_user_with_password("mkt@example.com", "marketer");
    sign_in(&app, "mkt@example.com", TEST_PASSWORD).await;

    let (status, html) = page(&app, "/admin/leads").await;
    assert_eq!(status, 200);
    assert!(html.contains("hot@bigco.com") && html.contains("cold@smallco.com"));
    let (_, filtered) = page(&app, "/admin/leads?temperature=hot").await;
    assert!(filtered.contains("hot@bigco.com") && !filtered.contains("cold@smallco.com"));

    let lead_path = format!("/admin/leads/{}", hot["id"].as_str().unwrap());
    let (status, detail) = page(&app, &lead_path).await;
    assert_eq!(status, 200);
    assert!(
        detail.contains("bant.budget") && detail.contains("Request meeting"),
        "score explanation and action shown"
    );
    let token = csrf_token_in(&detail);
    let types: Value = app
        .get_json("/api/v1/meeting-types", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let type_id = |slug: &str| {
        types["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["slug"] == slug)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    let requested = post_form(
        &app,
        &format!("{lead_path}/meeting-requests"),
        &[
            ("csrf_token", &token),
            ("meeting_type_id", &type_id("exec-briefing")),
            ("notes", "Asked at the booth"),
        ],
    )
    .await;
    assert_eq!(requested.status(), 303);
    let (_, after) = page(&app, requested.headers()["location"].to_str().unwrap()).await;
    assert!(
        after.contains("Meeting requested: pending approval")
            && after.contains("Meeting exec-briefing"),
        "{after}"
    );

    let refused = post_form(
        &app,
        &format!("{lead_path}/meeting-requests"),
        &[
            ("csrf_token", &token),
            ("meeting_type_id", &type_id("gated")),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("at least 90"));
}

#[tokio::test]
async fn meeting_managers_create_and_edit_meeting_types_from_the_form() {
    let app = spawn_app().await;
    let ceo = app.create_host("ceo@example.com", "America/New_York").await;
    let cto = app.create_host("cto@example.com", "Europe/Berlin").await;
    app.create_user_with_password("mm@example.com", "meeting_manager");
    sign_in(&app, "mm@example.com", TEST_PASSWORD).await;
    let (status, html) = page(&app, "/admin/meeting-types").await;
    assert_eq!(status, 200);
    let token = csrf_token_in(&html);
    let base = [
        ("csrf_token", token.as_str()),
        ("name", "Executive briefing"),
        ("slug", "exec-briefing"),
        ("duration_minutes", "45"),
        ("host_ids", ceo.as_str()),
        ("host_ids", cto.as_str()),
        ("host_mode", "collective"),
        ("buffer_before_minutes", "10"),
        ("buffer_after_minutes", "10"),
        ("min_notice_minutes", "240"),
        ("max_days_ahead", "30"),
        ("slot_step_minutes", "15"),
        ("max_per_day_per_host", ""),
        ("auto_approve_min_score", "80"),
        ("min_lead_score", ""),
        ("location", "Zoom"),
        ("requires_approval", "on"),
        ("active", "on"),
    ];
    let invalid: Vec<(&str, &str)> = base
        .iter()
        .map(|&(k, v)| {
            if k == "duration_minutes" {
                (k, "forty")
            } else {
                (k, v)
            }
        })
        .collect();
    let refused = post_form(&app, "/admin/meeting-types", &invalid).await;
    assert_eq!(refused.status(), 422);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("duration minutes must be a whole number"),
        "{text}"
    );
    assert!(
        text.contains("value=\"Executive briefing\""),
        "the form keeps what was typed"
    );

    assert_eq!(
        post_form(&app, "/admin/meeting-types", &base)
            .await
            .status(),
        303
    );
    let types: Value = app
        .get_json("/api/v1/meeting-types", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let created = &types["items"][0];
    assert_eq!(created["host_ids"], json!([ceo, cto]));
    assert_eq!(
        (
            created["duration_minutes"].as_i64(),
            created["auto_approve_min_score"].as_i64()
        ),
        (Some(45), Some(80))
    );
    assert_eq!(created["survey"], false);

    let edit_path = format!("/admin/meeting-types/{}", created["id"].as_str().unwrap());
    let (_, edit_page) = page(&app, &edit_path).await;
    assert!(edit_page.contains("Save changes") && edit_page.contains("value=\"exec-briefing\""));
    let edited: Vec<(&str, &str)> = base
        .iter()
        .filter(|(k, v)| {
            !(*k == "host_ids" && *v == ceo.as_str())
                && *k != "active"
                && *k != "auto_approve_min_score"
        })
        .copied()
        .collect();
    assert_eq!(post_form(&app, &edit_path, &edited).await.status(), 303);
    let after: Value = app
        .get_json(
            &format!("/api/v1/meeting-types/{}", created["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["host_ids"], json!([cto]));
    assert_eq!(after["active"], false);
    assert!(
        after["auto_approve_min_score"].is_null(),
        "an emptied optional number is cleared"
    );
}

#[tokio::test]
async fn hosts_see_meeting_types_but_cannot_change_them_or_see_leads() {
    let app = spawn_app().await;
    app.create_user_with_password("host@example.com", "host");
    sign_in(&app, "host@example.com", TEST_PASSWORD).await;
    let (status, html) = page(&app, "/admin/meeting-types").await;
    assert_eq!(status, 200);
    assert!(!html.contains("New meeting type"));
    assert!(
        !html.contains("href=\"/admin/leads\""),
        "no Leads entry in the navigation"
    );
    assert_eq!(page(&app, "/admin/leads").await.0, 403);
    let token = csrf_token_in(&html);
    let response = post_form(
        &app,
        "/admin/meeting-types",
        &[("csrf_token", &token), ("name", "x")],
    )
    .await;
    assert_eq!(response.status(), 403);
}
