//! Answers that carry a token or a person's data are never kept by browsers or proxies:
//! `Cache-Control: no-store` on every page and answer of those kinds, set in one place.

use serde_json::{json, Value};

use crate::booking::{book, booking, first_slot, open_type};
use crate::emails::emails;
use crate::helpers::{spawn_app, TestApp};
use crate::outcomes::log_meeting;

fn cache_control(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("cache-control")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn assert_no_store(app: &TestApp, path: &str, expected_status: u16) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), expected_status, "{path}");
    assert_eq!(cache_control(&response), "no-store", "{path}");
}

/// The path of the first link starting with `prefix` in the email `email_id`, sent now.
async fn link_in_email(app: &TestApp, email_id: &str, prefix: &str) -> String {
    app.run_pending_jobs().await;
    let file = app.mail_dir.path().join(format!("{email_id}.eml"));
    let raw = std::fs::read(&file).unwrap_or_else(|e| panic!("email {email_id} not written: {e}"));
    let text = String::from_utf8_lossy(&raw).replace("=\r\n", "");
    let start = text.find(prefix).expect("the link is in the email");
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_.".contains(*c))
        .collect()
}

#[tokio::test]
async fn token_pages_admin_and_api_answers_are_not_stored() {
    let app = spawn_app().await;
    app.create_user(json!({"email": "mia@example.com", "name": "Mia Manager", "role": "meeting_manager", "timezone": "America/New_York"}))
        .await;
    let (meeting_type, link) = open_type(&app, json!({"requires_approval": true})).await;
    let start = first_slot(&app, &link).await;
    let booked = book(&app, &link, &booking(&start, "pat@bigco.com")).await;
    assert_eq!(booked.status(), 201);
    assert_eq!(
        cache_control(&booked),
        "no-store",
        "the booking answer carries the manage link"
    );
    let confirmation: Value = booked.json().await.unwrap();
    let manage = confirmation["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();
    assert_no_store(&app, &manage, 200).await;
    assert_no_store(&app, &format!("{manage}/invite.ics"), 200).await;
    assert_no_store(
        &app,
        &format!("/book/{}", link["slug"].as_str().unwrap()),
        200,
    )
    .await;

    let approval = emails(&app, "kind=approval_request").await;
    let decide = link_in_email(&app, approval[0]["id"].as_str().unwrap(), "/decide/").await;
    assert_no_store(&app, &decide, 200).await;

    let lead = app.create_lead("survey@bigco.com", true).await;
    let past = chrono::Utc::now() - chrono::Duration::days(1);
    let meeting = log_meeting(&app, &lead["id"], &meeting_type["id"], past).await;
    let survey = crate::surveys::invite(&app, &meeting, "survey@bigco.com", chrono::Utc::now());
    assert_no_store(&app, &format!("/survey/{survey}"), 200).await;
    assert_no_store(&app, "/outcome/not-a-real-token", 404).await;

    assert_no_store(&app, "/admin/login", 200).await;
    let api = app.get_json("/api/v1/leads", &app.admin_key).await;
    assert_eq!(api.status(), 200);
    assert_eq!(cache_control(&api), "no-store");
}

#[tokio::test]
async fn static_assets_and_health_keep_their_own_caching() {
    let app = spawn_app().await;
    let css = app
        .client
        .get(app.url("/static/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(cache_control(&css).contains("immutable"));
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(cache_control(&health), "no-store");
}

#[tokio::test]
async fn the_icon_every_page_names_is_served() {
    let app = spawn_app().await;
    let login = app
        .client
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap();
    assert!(login
        .text()
        .await
        .unwrap()
        .contains(r#"<link rel="icon" href="/favicon.ico">"#));
    let redirect = app
        .client
        .get(app.url("/favicon.ico"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 301);
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/static/favicon.svg?v="), "{location}");
    let icon = app.client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(icon.status(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    assert!(cache_control(&icon).contains("immutable"));
    assert!(icon.text().await.unwrap().starts_with("<svg"));
}
