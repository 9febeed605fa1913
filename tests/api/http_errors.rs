//! Malformed and hostile input always gets a 4xx problem document.

use convene::auth::roles::Role;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn missing_api_key_is_401_with_challenge() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn wrong_api_key_is_401() {
    let app = spawn_app().await;
    for key in ["cvk_not-a-real-key", "garbage", "", &"x".repeat(5000)] {
        let response = app.get_json("/api/v1/users", key).await;
        assert_problem(response, 401).await;
    }
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(response, 400).await;
}

#[tokio::test]
async fn wrong_json_types_are_422() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/users",
            &app.admin_key,
            &json!({"email": 5, "name": [], "role": "host"}),
        )
        .await;
    assert_problem(response, 422).await;
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/users"))
        .bearer_auth(&app.admin_key)
        .header("content-type", "text/plain")
        .body("email=a@b.c")
        .send()
        .await
        .unwrap();
    assert_problem(response, 415).await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_app().await;
    let huge = json!({"email": "a@example.com", "name": "x".repeat(400_000), "role": "host"});
    let response = app.post_json("/api/v1/users", &app.admin_key, &huge).await;
    assert_problem(response, 413).await;
}

#[tokio::test]
async fn unknown_route_is_404_problem() {
    let app = spawn_app().await;
    let response = app.get_json("/api/v1/nothing-here", &app.admin_key).await;
    assert_problem(response, 404).await;
}

#[tokio::test]
async fn unknown_route_from_a_browser_is_an_html_page() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/nothing-here"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn malformed_id_in_path_is_404_problem() {
    let app = spawn_app().await;
    for id in [
        "not-a-uuid",
        "1%27%20OR%201=1",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let response = app
            .get_json(&format!("/api/v1/users/{id}"), &app.admin_key)
            .await;
        assert_problem(response, 404).await;
    }
}

#[tokio::test]
async fn bad_query_parameters_are_422() {
    let app = spawn_app().await;
    for query in ["limit=abc", "limit=0", "limit=501"] {
        let response = app
            .get_json(&format!("/api/v1/users?{query}"), &app.admin_key)
            .await;
        assert_problem(response, 422).await;
    }
}

/// PostgreSQL cannot store or compare a NUL character; SQLite can. Either way a NUL in a filter,
/// a cursor, an id or a body is the caller's mistake, answered with a 4xx, never a 500.
#[tokio::test]
async fn a_nul_anywhere_is_a_client_error_on_every_backend() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/leads?q=%00",
        "/api/v1/leads?campaign=a%00b",
        "/api/v1/leads?cursor=%00",
        "/api/v1/users?cursor=%00",
        "/api/v1/meeting-requests?cursor=%00",
        "/api/v1/meetings?cursor=%00",
        "/api/v1/emails?cursor=%00",
        "/api/v1/booking-links?cursor=%00",
        "/api/v1/meeting-types?cursor=%00",
        "/api/v1/leads/%00",
        "/api/v1/users/a%00b",
    ] {
        let response = app.get_json(path, &app.admin_key).await;
        let status = response.status().as_u16();
        assert!(
            (400..500).contains(&status) || status == 200,
            "{path}: {status}"
        );
    }
    for (path, body) in [
        (
            "/api/v1/leads",
            json!({"email": "a@example.com", "name": "A", "attributes": {"k\u{0}": "v\u{0}"}}),
        ),
        (
            "/api/v1/leads",
            json!({"email": "a@example.com", "name": "A", "external_id": "x\u{0}"}),
        ),
        (
            "/api/v1/leads",
            json!({"email": "a\u{0}@example.com", "name": "A"}),
        ),
        (
            "/api/v1/users",
            json!({"email": "u@example.com", "name": "U", "role": "host", "timezone": "UTC\u{0}"}),
        ),
    ] {
        let response = app.post_json(path, &app.admin_key, &body).await;
        let status = response.status().as_u16();
        assert!(
            (200..300).contains(&status) || (400..500).contains(&status),
            "{path} {body}: {status}"
        );
    }
    let slug = app.client.get(app.url("/book/a%00b")).send().await.unwrap();
    assert!(slug.status().is_client_error(), "{}", slug.status());
}

#[tokio::test]
async fn a_role_without_the_permission_learns_403_whatever_body_it_sent() {
    let app = spawn_app().await;
    let host_key = app.key_for(Role::Host);
    let bodies: [(&str, &str); 4] = [
        ("application/json", "{\"email\": "),
        ("application/json", "{\"email\": 5, \"name\": []}"),
        ("text/plain", "email=a@b.c"),
        ("application/json", ""),
    ];
    for (content_type, body) in bodies {
        let response = app
            .client
            .post(app.url("/api/v1/users"))
            .bearer_auth(&host_key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 403).await;
    }
    let huge = json!({"email": "a@example.com", "name": "x".repeat(400_000), "role": "host"});
    let marketer_key = app.key_for(Role::Marketer);
    let response = app.post_json("/api/v1/users", &marketer_key, &huge).await;
    assert_problem(response, 403).await;
    let response = app
        .get_json("/api/v1/emails?limit=many&status=7", &marketer_key)
        .await;
    assert_problem(response, 403).await;
}

#[tokio::test]
async fn a_bad_body_without_a_valid_key_is_401() {
    let app = spawn_app().await;
    for key in [None, Some("cvk_not-a-real-key")] {
        let mut request = app
            .client
            .post(app.url("/api/v1/users"))
            .header("content-type", "application/json")
            .body("{\"email\": ");
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        assert_problem(request.send().await.unwrap(), 401).await;
    }
}

#[tokio::test]
async fn a_method_a_route_does_not_take_is_405_with_allow() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::DELETE, "/api/v1/users", "GET, POST"),
        (
            reqwest::Method::PUT,
            "/api/v1/leads/0190c0de-0000-7000-8000-000000000000",
            "GET, PATCH",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/meetings/some-id/cancel",
            "POST",
        ),
        (reqwest::Method::POST, "/api/openapi.json", "GET"),
    ];
    for (method, path, allowed) in cases {
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&app.admin_key)
            .send()
            .await
            .unwrap();
        let mut allow: Vec<String> = response.headers()["allow"]
            .to_str()
            .unwrap()
            .split(',')
            .map(|m| m.trim().to_owned())
            .collect();
        allow.sort();
        let mut expected: Vec<&str> = allowed.split(", ").collect();
        expected.sort();
        assert_eq!(allow, expected, "{method} {path}");
        let problem = assert_problem(response, 405).await;
        assert_eq!(problem["type"], "/problems/method-not-allowed");
    }
}

#[tokio::test]
async fn a_method_a_page_does_not_take_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(app.url("/admin/login"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn a_prospects_error_page_does_not_send_them_to_the_admin_sign_in() {
    let app = spawn_app().await;
    for path in ["/book/no-such-link", "/m/no-such-token", "/no/such/page"] {
        let response = app
            .client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("/admin"), "{path}: {html}");
    }
}

#[tokio::test]
async fn an_error_page_in_the_admin_ui_leads_back_into_it() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    crate::admin_ui::sign_in(&app, "admin@example.com", crate::helpers::TEST_PASSWORD).await;
    let response = app
        .client
        .get(app.url("/admin/leads/no-such-lead"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("x-request-id"));
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<a href=\"/admin\">Back to Convene</a>"),
        "{html}"
    );
}
