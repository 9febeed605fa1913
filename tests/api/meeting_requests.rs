use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

async fn request(
    app: &TestApp,
    key: &str,
    lead: &Value,
    meeting_type: &Value,
) -> reqwest::Response {
    app.post_json("/api/v1/meeting-requests", key, &json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"], "notes": "Wants a roadmap session"})).await
}

async fn setup(app: &TestApp, overrides: Value) -> (Value, Value, String) {
    let host = app.create_host("exec@example.com", "Europe/Berlin").await;
    let meeting_type = app
        .create_meeting_type("exec-briefing", std::slice::from_ref(&host), overrides)
        .await;
    let lead = app.create_lead("prospect@bigco.com", true).await;
    (lead, meeting_type, host)
}

#[tokio::test]
async fn requests_needing_approval_wait_and_carry_an_audit_trail() {
    let app = spawn_app().await;
    let (lead, meeting_type, host) = setup(&app, json!({"requires_approval": true})).await;
    let marketer = app.key_for(Role::Marketer);
    let response = request(&app, &marketer, &lead, &meeting_type).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "pending_approval");
    assert_eq!(created["host_ids"], json!([host]));
    let detail: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}",
                created["id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    let trail: Vec<(Value, Value, Value)> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].clone(),
                a["from_status"].clone(),
                a["to_status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            (json!("create"), Value::Null, json!("requested")),
            (
                json!("submit"),
                json!("requested"),
                json!("pending_approval")
            )
        ]
    );
    assert!(detail["audit"][0]["actor"]
        .as_str()
        .unwrap()
        .starts_with("api_key:"));
    let lead_detail: Value = app
        .get_json(
            &format!("/api/v1/leads/{}", lead["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lead_detail["meeting_requests"][0]["id"], created["id"]);
}

#[tokio::test]
async fn requests_are_approved_at_once_when_no_approval_or_the_score_is_high_enough() {
    let app = spawn_app().await;
    let host = app.create_host("exec@example.com", "UTC").await;
    let open_type = app
        .create_meeting_type(
            "open",
            std::slice::from_ref(&host),
            json!({"requires_approval": false}),
        )
        .await;
    let gated_type = app
        .create_meeting_type(
            "gated",
            &[host],
            json!({"requires_approval": true, "auto_approve_min_score": 60}),
        )
        .await;
    let hot = app.create_lead("hot@example.com", true).await;
    let cold = app.create_lead("cold@example.com", false).await;
    let status = |v: Value| v["status"].as_str().unwrap().to_owned();
    assert_eq!(
        status(
            request(&app, &app.admin_key, &cold, &open_type)
                .await
                .json()
                .await
                .unwrap()
        ),
        "approved"
    );
    assert_eq!(
        status(
            request(&app, &app.admin_key, &hot, &gated_type)
                .await
                .json()
                .await
                .unwrap()
        ),
        "approved"
    );
    assert_eq!(
        status(
            request(&app, &app.admin_key, &cold, &gated_type)
                .await
                .json()
                .await
                .unwrap()
        ),
        "pending_approval"
    );
}

#[tokio::test]
async fn leads_under_the_minimum_score_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let (_, meeting_type, _) = setup(&app, json!({"min_lead_score": 50})).await;
    let cold = app.create_lead("cold@example.com", false).await;
    let problem = assert_problem(
        request(&app, &app.admin_key, &cold, &meeting_type).await,
        403,
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("at least 50"),
        "{problem}"
    );
    let list: Value = app
        .get_json("/api/v1/meeting-requests", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn approve_and_reject_follow_the_state_machine() {
    let app = spawn_app().await;
    let (lead, meeting_type, _) = setup(&app, json!({})).await;
    let manager = app.key_for(Role::MeetingManager);
    let first: Value = request(&app, &app.admin_key, &lead, &meeting_type)
        .await
        .json()
        .await
        .unwrap();
    let path = |id: &Value, action: &str| {
        format!("/api/v1/meeting-requests/{}/{action}", id.as_str().unwrap())
    };
    let approved = app
        .post_json(
            &path(&first["id"], "approve"),
            &manager,
            &json!({"note": "Strong fit"}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    assert_eq!(
        approved.json::<Value>().await.unwrap()["status"],
        "approved"
    );
    assert_problem(
        app.post_json(&path(&first["id"], "approve"), &manager, &json!({}))
            .await,
        409,
    )
    .await;
    assert_problem(
        app.post_json(
            &path(&first["id"], "reject"),
            &manager,
            &json!({"reason": "late"}),
        )
        .await,
        409,
    )
    .await;

    let second: Value = request(&app, &app.admin_key, &lead, &meeting_type)
        .await
        .json()
        .await
        .unwrap();
    assert_problem(
        app.post_json(&path(&second["id"], "reject"), &manager, &json!({}))
            .await,
        422,
    )
    .await;
    let rejected: Value = app
        .post_json(
            &path(&second["id"], "reject"),
            &manager,
            &json!({"reason": "Not our segment"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    let detail: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}",
                second["id"].as_str().unwrap()
            ),
            &manager,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["audit"].as_array().unwrap().last().unwrap()["note"],
        "Not our segment"
    );

    let pending: Value = app
        .get_json("/api/v1/meeting-requests?status=pending_approval", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending["items"], json!([]));
    let approved_list: Value = app
        .get_json("/api/v1/meeting-requests?status=approved", &manager)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(approved_list["items"].as_array().unwrap().len(), 1);
    assert_problem(
        app.get_json("/api/v1/meeting-requests?status=maybe", &manager)
            .await,
        422,
    )
    .await;
}

#[tokio::test]
async fn two_managers_deciding_at_once_one_wins_the_other_gets_a_conflict() {
    let app = spawn_app().await;
    let (lead, meeting_type, _) = setup(&app, json!({})).await;
    let manager = app.key_for(Role::MeetingManager);
    for _ in 0..5 {
        let created: Value = request(&app, &app.admin_key, &lead, &meeting_type)
            .await
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().unwrap();
        let (approve_path, reject_path) = (
            format!("/api/v1/meeting-requests/{id}/approve"),
            format!("/api/v1/meeting-requests/{id}/reject"),
        );
        let (empty, reason) = (json!({}), json!({"reason": "No"}));
        let approve = app.post_json(&approve_path, &manager, &empty);
        let reject = app.post_json(&reject_path, &app.admin_key, &reason);
        let (approve, reject) = tokio::join!(approve, reject);
        let mut statuses = [approve.status().as_u16(), reject.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let detail: Value = app
            .get_json(&format!("/api/v1/meeting-requests/{id}"), &app.admin_key)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            detail["audit"].as_array().unwrap().len(),
            3,
            "exactly one decision recorded: {detail}"
        );
    }
}

#[tokio::test]
async fn roles_on_the_workflow() {
    let app = spawn_app().await;
    let (lead, meeting_type, _) = setup(&app, json!({})).await;
    let created: Value = request(
        &app,
        &app.key_for(Role::MeetingManager),
        &lead,
        &meeting_type,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_problem(
        request(&app, &app.key_for(Role::Host), &lead, &meeting_type).await,
        403,
    )
    .await;
    let approve = format!(
        "/api/v1/meeting-requests/{}/approve",
        created["id"].as_str().unwrap()
    );
    assert_problem(
        app.post_json(&approve, &app.key_for(Role::Marketer), &json!({}))
            .await,
        403,
    )
    .await;
    assert_problem(
        app.post_json(&approve, &app.key_for(Role::Host), &json!({}))
            .await,
        403,
    )
    .await;
    let host_view: Value = app
        .get_json("/api/v1/meeting-requests", &app.key_for(Role::Host))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        host_view["items"],
        json!([]),
        "a host key tied to no user sees no one's requests"
    );
}

#[tokio::test]
async fn bad_request_bodies_are_refused() {
    let app = spawn_app().await;
    let (lead, meeting_type, _) = setup(&app, json!({})).await;
    for (body, field) in [
        (
            json!({"lead_id": "nope", "meeting_type_id": meeting_type["id"]}),
            "lead_id",
        ),
        (
            json!({"lead_id": lead["id"], "meeting_type_id": "0f8fad5b-d9cb-469f-a165-70867728950e"}),
            "meeting_type_id",
        ),
        (
            json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"], "host_ids": []}),
            "host_ids",
        ),
        (
            json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"], "notes": "x".repeat(2001)}),
            "notes",
        ),
    ] {
        let problem = assert_problem(
            app.post_json("/api/v1/meeting-requests", &app.admin_key, &body)
                .await,
            422,
        )
        .await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    assert_problem(
        app.get_json("/api/v1/meeting-requests/not-an-id", &app.admin_key)
            .await,
        404,
    )
    .await;
}
