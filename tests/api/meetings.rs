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
