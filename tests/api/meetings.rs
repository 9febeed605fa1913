use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::booking::{book, booking, first_slot, open_type, slots, tomorrow};
use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn meetings_are_listed_rescheduled_and_cancelled_through_the_api() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let start = first_slot(&app, &link).await;
    book(&app, &link, &booking(&start, "pat@bigco.com")).await;
    let list: Value = app
        .get_json("/api/v1/meetings", &app.key_for(Role::MeetingManager))
        .await
        .json()
        .await
        .unwrap();
    let meeting = &list["items"][0];
    assert_eq!(meeting["status"], "scheduled");
    assert_eq!(meeting["sequence"], 0);
    assert!(meeting["start_utc"].as_str().unwrap().ends_with('Z'));
    let roles: Vec<&str> = meeting["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["host", "prospect"]);
    let id = meeting["id"].as_str().unwrap();
    assert_eq!(
        app.get_json(&format!("/api/v1/meetings/{id}"), &app.admin_key)
            .await
            .status(),
        200
    );
    assert_problem(
        app.get_json(&format!("/api/v1/meetings/{id}"), &app.key_for(Role::Host))
            .await,
        404,
    )
    .await;

    let offered: Value = slots(
        &app,
        &link,
        &format!("from={}&to={}&tz=UTC", tomorrow(), tomorrow()),
    )
    .await
    .json()
    .await
    .unwrap();
    let later = offered["slots"][3]["start"].as_str().unwrap().to_owned();
    assert_problem(
        app.post_json(
            &format!("/api/v1/meetings/{id}/reschedule"),
            &app.key_for(Role::Marketer),
            &json!({"start": later}),
        )
        .await,
        403,
    )
    .await;
    let moved: Value = app
        .post_json(
            &format!("/api/v1/meetings/{id}/reschedule"),
            &app.admin_key,
            &json!({"start": later}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (moved["sequence"].as_i64(), moved["ics_uid"].clone()),
        (Some(1), meeting["ics_uid"].clone())
    );
    let cancelled: Value = app
        .post_json(
            &format!("/api/v1/meetings/{id}/cancel"),
            &app.admin_key,
            &json!({"reason": "Exec travel"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["sequence"].as_i64()),
        (Some("cancelled"), Some(2))
    );
    let filtered: Value = app
        .get_json("/api/v1/meetings?status=scheduled", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["items"], json!([]));
    assert_problem(
        app.get_json("/api/v1/meetings?from=yesterday", &app.admin_key)
            .await,
        422,
    )
    .await;
}

#[tokio::test]
async fn a_request_with_a_start_is_scheduled_or_held_at_once() {
    let app = spawn_app().await;
    let (open_type, link) = open_type(&app, json!({})).await;
    let lead = app.create_lead("exec@bigco.com", true).await;
    let start = first_slot(&app, &link).await;
    let body = json!({"lead_id": lead["id"], "meeting_type_id": open_type["id"], "start": start});
    let created = app
        .post_json("/api/v1/meeting-requests", &app.admin_key, &body)
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["status"], "scheduled");
    assert_ne!(first_slot(&app, &link).await, start, "the time is taken");
    assert_problem(
        app.post_json("/api/v1/meeting-requests", &app.admin_key, &body)
            .await,
        409,
    )
    .await;

    let host = open_type["host_ids"][0].as_str().unwrap().to_owned();
    let gated = app
        .create_meeting_type(
            "gated",
            &[host],
            json!({"requires_approval": true, "min_notice_minutes": 0}),
        )
        .await;
    let next = first_slot(&app, &link).await;
    let held: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": gated["id"], "start": next}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(held["status"], "pending_approval");
    assert_ne!(
        first_slot(&app, &link).await,
        next,
        "a pending request holds its time"
    );
}

#[tokio::test]
async fn past_meetings_are_logged_only_when_asked_and_allowed() {
    let app = spawn_app().await;
    let (meeting_type, _) = open_type(&app, json!({"requires_approval": true})).await;
    let lead = app.create_lead("past@bigco.com", false).await;
    let past = (chrono::Utc::now() - chrono::Duration::days(10))
        .format("%Y-%m-%dT15:00:00Z")
        .to_string();
    let body = json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"], "start": past});
    let problem = assert_problem(
        app.post_json("/api/v1/meeting-requests", &app.admin_key, &body)
            .await,
        422,
    )
    .await;
    assert!(problem["errors"]["start"].is_array());
    let mut logged = body.clone();
    logged["log_past"] = json!(true);
    assert_problem(
        app.post_json(
            "/api/v1/meeting-requests",
            &app.key_for(Role::Marketer),
            &logged,
        )
        .await,
        403,
    )
    .await;
    let created: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.key_for(Role::MeetingManager),
            &logged,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        created["status"], "scheduled",
        "no approval needed for what already happened"
    );
    let meetings: Value = app
        .get_json(
            &format!("/api/v1/meetings?from={}", urlencode(&past)),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meetings["items"][0]["meeting_request_id"], created["id"]);
    assert_problem(
        app.post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"], "start": "noon"}),
        )
        .await,
        422,
    )
    .await;
}

fn urlencode(value: &str) -> String {
    value.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn the_meetings_page_shows_the_week_in_the_viewers_zone_and_hosts_only_their_own() {
    let app = spawn_app().await;
    let hours = crate::booking::every_day();
    let dana = app.create_user_with_password("dana@example.com", "host");
    let eric = app.create_user_with_password("eric@example.com", "host");
    for host in [&dana, &eric] {
        let patched = app
            .client
            .patch(app.url(&format!("/api/v1/users/{host}")))
            .bearer_auth(&app.admin_key)
            .json(&json!({"working_hours": hours}))
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), 200);
    }
    let settings =
        json!({"requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 30});
    let dana_type = app
        .create_meeting_type("dana-intro", std::slice::from_ref(&dana), settings.clone())
        .await;
    let eric_type = app
        .create_meeting_type("eric-intro", std::slice::from_ref(&eric), settings)
        .await;
    let mut starts = Vec::new();
    for (meeting_type, email) in [(&dana_type, "one@bigco.com"), (&eric_type, "two@bigco.com")] {
        let link = crate::booking::link_for(&app, meeting_type, json!({})).await;
        let start = first_slot(&app, &link).await;
        book(&app, &link, &booking(&start, email)).await;
        starts.push(start);
    }
    let week = tomorrow();

    app.create_user_with_password("mia@example.com", "meeting_manager");
    crate::admin_ui::sign_in(&app, "mia@example.com", crate::helpers::TEST_PASSWORD).await;
    let html = app
        .client
        .get(app.url(&format!("/admin/meetings?week={week}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Meeting dana-intro with") && html.contains("Meeting eric-intro with"),
        "{html}"
    );
    assert!(html.contains("times in Europe/Berlin"), "the viewer's zone");
    let filtered = app
        .client
        .get(app.url(&format!(
            "/admin/meetings?week={week}&host_id={eric}&view=list"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        filtered.contains("Meeting eric-intro with")
            && !filtered.contains("Meeting dana-intro with")
    );
    let bad = app
        .client
        .get(app.url("/admin/meetings?week=someday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    crate::admin_ui::sign_in(&app, "dana@example.com", crate::helpers::TEST_PASSWORD).await;
    let own = app
        .client
        .get(app.url(&format!("/admin/meetings?week={week}&host_id={eric}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        own.contains("Meeting dana-intro with") && !own.contains("Meeting eric-intro with"),
        "a host sees only their own meetings, whatever the filter says"
    );
}
