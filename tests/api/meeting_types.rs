use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn create_list_get_and_patch_a_meeting_type() {
    let app = spawn_app().await;
    let ceo = app.create_host("ceo@example.com", "America/New_York").await;
    let cto = app.create_host("cto@example.com", "Europe/Berlin").await;
    let created = app
        .create_meeting_type("exec-briefing", &[ceo.clone(), cto.clone()], json!({"buffer_before_minutes": 10, "buffer_after_minutes": 10, "min_lead_score": 40, "location": "https://meet.example.com/exec"}))
        .await;
    assert_eq!(created["host_ids"], json!([ceo, cto]));
    assert_eq!(created["min_notice_minutes"], 240);
    assert_eq!(created["active"], true);
    let id = created["id"].as_str().unwrap();

    let list: Value = app
        .get_json("/api/v1/meeting-types", &app.key_for(Role::Host))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let patched: Value = app
        .client
        .patch(app.url(&format!("/api/v1/meeting-types/{id}")))
        .bearer_auth(&app.admin_key)
        .json(&json!({"host_mode": "round_robin", "host_ids": [cto], "duration_minutes": 45}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            patched["host_mode"].as_str(),
            patched["duration_minutes"].as_i64()
        ),
        (Some("round_robin"), Some(45))
    );
    assert_eq!(patched["host_ids"], json!([cto]));
    assert_eq!(
        patched["buffer_before_minutes"], 10,
        "untouched fields stay"
    );
    let fetched: Value = app
        .get_json(&format!("/api/v1/meeting-types/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, patched);
}

#[tokio::test]
async fn hosts_must_exist_be_active_and_able_to_host() {
    let app = spawn_app().await;
    let marketer = app
        .create_user(json!({"email": "m@example.com", "name": "M", "role": "marketer"}))
        .await;
    let body = |hosts: Value| json!({"slug": "intro", "name": "Intro", "duration_minutes": 30, "host_ids": hosts, "host_mode": "collective", "requires_approval": false, "survey": false});
    for hosts in [
        json!([]),
        json!(["0f8fad5b-d9cb-469f-a165-70867728950e"]),
        json!([marketer["id"]]),
        json!(["not-an-id"]),
    ] {
        let problem = assert_problem(
            app.post_json(
                "/api/v1/meeting-types",
                &app.admin_key,
                &body(hosts.clone()),
            )
            .await,
            422,
        )
        .await;
        assert!(
            problem["errors"]["host_ids"].is_array(),
            "{hosts}: {problem}"
        );
    }
}

#[tokio::test]
async fn invalid_settings_are_listed_and_duplicate_slugs_conflict() {
    let app = spawn_app().await;
    let host = app.create_host("h@example.com", "UTC").await;
    let problem = assert_problem(
        app.post_json(
            "/api/v1/meeting-types",
            &app.admin_key,
            &json!({"slug": "No Good", "name": "", "duration_minutes": 3, "host_ids": [host], "host_mode": "everyone", "requires_approval": true, "buffer_after_minutes": -1, "slot_step_minutes": 7}),
        )
        .await,
        422,
    )
    .await;
    for field in [
        "slug",
        "name",
        "duration_minutes",
        "host_mode",
        "buffer_after_minutes",
        "slot_step_minutes",
    ] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    app.create_meeting_type("intro", std::slice::from_ref(&host), json!({}))
        .await;
    let again = app
        .post_json("/api/v1/meeting-types", &app.admin_key, &json!({"slug": "intro", "name": "Other", "duration_minutes": 30, "host_ids": [host], "host_mode": "collective", "requires_approval": true}))
        .await;
    assert_problem(again, 409).await;
}

#[tokio::test]
async fn only_admins_and_meeting_managers_change_meeting_types() {
    let app = spawn_app().await;
    let host = app.create_host("h@example.com", "UTC").await;
    let body = json!({"slug": "intro", "name": "Intro", "duration_minutes": 30, "host_ids": [host], "host_mode": "collective", "requires_approval": true});
    assert_problem(
        app.post_json("/api/v1/meeting-types", &app.key_for(Role::Marketer), &body)
            .await,
        403,
    )
    .await;
    assert_problem(
        app.post_json("/api/v1/meeting-types", &app.key_for(Role::Host), &body)
            .await,
        403,
    )
    .await;
    assert_eq!(
        app.post_json(
            "/api/v1/meeting-types",
            &app.key_for(Role::MeetingManager),
            &body
        )
        .await
        .status(),
        201
    );
}
