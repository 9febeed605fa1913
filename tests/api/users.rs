use convene::auth::roles::Role;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn admin_creates_a_host_with_default_working_hours() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"email": "Dana@Example.com", "name": "Dana Exec", "role": "host", "title": "VP Sales", "timezone": "America/New_York"}))
        .await;
    assert_eq!(user["email"], "dana@example.com");
    assert_eq!(user["role"], "host");
    assert_eq!(user["timezone"], "America/New_York");
    assert_eq!(user["working_hours"]["mon"], json!([["09:00", "17:00"]]));
    assert!(user["working_hours"]["sat"].is_null());
    assert!(user.get("password_hash").is_none());
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));

    let fetched: serde_json::Value = app
        .get_json(
            &format!("/api/v1/users/{}", user["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, user);
}

#[tokio::test]
async fn custom_working_hours_are_kept() {
    let app = spawn_app().await;
    let hours =
        json!({"tue": [["13:00", "17:00"], ["08:00", "12:00"]], "sat": [["10:00", "24:00"]]});
    let user = app.create_user(json!({"email": "e@example.com", "name": "E", "role": "host", "timezone": "Asia/Kolkata", "working_hours": hours})).await;
    assert_eq!(
        user["working_hours"],
        json!({"tue": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": [["10:00", "24:00"]]})
    );
}

#[tokio::test]
async fn duplicate_email_is_409_case_insensitively() {
    let app = spawn_app().await;
    app.create_user(json!({"email": "a@example.com", "name": "A", "role": "host"}))
        .await;
    let response = app
        .post_json(
            "/api/v1/users",
            &app.admin_key,
            &json!({"email": "A@EXAMPLE.com", "name": "B", "role": "marketer"}),
        )
        .await;
    assert_problem(response, 409).await;
}

#[tokio::test]
async fn invalid_fields_are_listed() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/users",
            &app.admin_key,
            &json!({"email": "not-an-email", "name": "", "role": "emperor", "timezone": "Mars/Base", "working_hours": {"mon": [["17:00", "09:00"]]}}),
        )
        .await;
    let problem = assert_problem(response, 422).await;
    for field in ["email", "name", "role", "timezone", "working_hours.mon"] {
        assert!(
            problem["errors"][field].is_array(),
            "{field} missing in {problem}"
        );
    }
    let list: serde_json::Value = app
        .get_json("/api/v1/users", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]), "nothing half-saved");
}

#[tokio::test]
async fn roles_are_enforced() {
    let app = spawn_app().await;
    let marketer = app.key_for(Role::Marketer);
    let host = app.key_for(Role::Host);
    let body = json!({"email": "x@example.com", "name": "X", "role": "host"});
    assert_problem(app.post_json("/api/v1/users", &marketer, &body).await, 403).await;
    assert_problem(app.post_json("/api/v1/users", &host, &body).await, 403).await;
    assert_eq!(app.get_json("/api/v1/users", &marketer).await.status(), 200);
    assert_problem(app.get_json("/api/v1/users", &host).await, 403).await;
}

#[tokio::test]
async fn list_pages_with_a_cursor() {
    let app = spawn_app().await;
    for n in 0..5 {
        app.create_user(json!({"email": format!("user{n}@example.com"), "name": format!("User {n}"), "role": "host"})).await;
    }
    let first: serde_json::Value = app
        .get_json("/api/v1/users?limit=2", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let mut seen: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    let mut next = Some(cursor.to_owned());
    while let Some(cursor) = next {
        let page: serde_json::Value = app
            .get_json(
                &format!("/api/v1/users?limit=2&cursor={cursor}"),
                &app.admin_key,
            )
            .await
            .json()
            .await
            .unwrap();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        next = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        (0..5)
            .map(|n| format!("user{n}@example.com"))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn patch_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let user = app
        .create_user(
            json!({"email": "p@example.com", "name": "P", "role": "host", "title": "Director"}),
        )
        .await;
    let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
    let response = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&app.admin_key)
        .json(&json!({"timezone": "Australia/Lord_Howe", "working_hours": {"fri": [["10:00", "14:00"]]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated: serde_json::Value = response.json().await.unwrap();
    assert_eq!(updated["timezone"], "Australia/Lord_Howe");
    assert_eq!(updated["title"], "Director");
    assert_eq!(
        updated["working_hours"],
        json!({"fri": [["10:00", "14:00"]]})
    );

    let bad = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&app.admin_key)
        .json(&json!({"timezone": "Nowhere/Land"}))
        .send()
        .await
        .unwrap();
    assert_problem(bad, 422).await;
    let marketer = app.key_for(Role::Marketer);
    let forbidden = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&marketer)
        .json(&json!({"name": "Q"}))
        .send()
        .await
        .unwrap();
    assert_problem(forbidden, 403).await;
}

#[tokio::test]
async fn concurrent_creation_of_one_email_makes_one_user() {
    let app = spawn_app().await;
    let body = json!({"email": "race@example.com", "name": "Race", "role": "host"});
    let attempts = (0..10).map(|_| app.post_json("/api/v1/users", &app.admin_key, &body));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        9,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_deactivated_host_is_no_longer_offered_and_keeps_their_record() {
    use crate::booking::{open_type, tomorrow};
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    let host_id = meeting_type["host_ids"][0].as_str().unwrap().to_owned();
    assert!(!app
        .free_starts(slug, &tomorrow(), "Europe/Berlin")
        .await
        .is_empty());

    let response = app
        .patch_json(
            &format!("/api/v1/users/{host_id}"),
            &app.admin_key,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        app.free_starts(slug, &tomorrow(), "Europe/Berlin")
            .await
            .is_empty(),
        "a deactivated host is not offered"
    );
    let kept: serde_json::Value = app
        .get_json(&format!("/api/v1/users/{host_id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["active"], false);
    assert_eq!(kept["email"], "dana@example.com");
}

#[tokio::test]
async fn round_robin_books_only_the_active_hosts_once_one_is_deactivated() {
    use crate::booking::{always_available_host, link_for, tomorrow};
    let app = spawn_app().await;
    let dana = always_available_host(&app, "dana@example.com").await;
    let eric = always_available_host(&app, "eric@example.com").await;
    let meeting_type = app
        .create_meeting_type(
            "rotation",
            &[dana.clone(), eric.clone()],
            json!({"host_mode": "round_robin", "requires_approval": false, "min_notice_minutes": 0}),
        )
        .await;
    let link = link_for(&app, &meeting_type, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    app.patch_json(
        &format!("/api/v1/users/{dana}"),
        &app.admin_key,
        &json!({"active": false}),
    )
    .await;
    let starts = app.free_starts(slug, &tomorrow(), "Europe/Berlin").await;
    assert!(!starts.is_empty(), "the active host is still offered");
    // Hours apart, so the one active host is free for each.
    for (n, start) in starts.iter().step_by(8).take(3).enumerate() {
        let booked: serde_json::Value = app
            .client
            .post(app.url(&format!("/book/{slug}")))
            .json(&json!({"start": start, "name": "Pat", "email": format!("p{n}@prospect.test"), "timezone": "Europe/Berlin"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let request_id = booked["meeting_request_id"]
            .as_str()
            .unwrap_or_else(|| panic!("not booked: {booked}"));
        let request: serde_json::Value = app
            .get_json(
                &format!("/api/v1/meeting-requests/{request_id}"),
                &app.admin_key,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            request["host_ids"],
            json!([eric]),
            "never the deactivated host"
        );
    }
}
