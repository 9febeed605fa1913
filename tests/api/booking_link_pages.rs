//! Booking links in the admin UI: created from a meeting type's or a lead's page, listed with
//! their uses, turned off, and emailed to their lead.

use convene::notifications::outbox::{self, EmailFilter, EmailKind};
use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::helpers::{csrf_token_in, spawn_app, TestApp, TEST_PASSWORD};

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let (_, body) = html(app, "/admin/meeting-types").await;
    let token = csrf_token_in(&body);
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    app.client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn links(app: &TestApp) -> Vec<Value> {
    let list: Value = app
        .get_json("/api/v1/booking-links", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().clone()
}

async fn set_up(app: &TestApp) -> (String, String) {
    app.create_user_with_password("marketer@example.com", "marketer");
    let host = app.create_host("dana@example.com", "Europe/Berlin").await;
    let meeting_type = app
        .create_meeting_type("intro", &[host], json!({"requires_approval": false}))
        .await;
    let lead = app.create_lead("jane@prospect.test", true).await;
    assert_eq!(
        sign_in(app, "marketer@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
    (
        meeting_type["id"].as_str().unwrap().to_owned(),
        lead["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_meeting_types_page_creates_and_lists_links_with_expiry_and_most_uses() {
    let app = spawn_app().await;
    let (type_id, _) = set_up(&app).await;
    let page = format!("/admin/meeting-types/{type_id}");
    let (status, body) = html(&app, &page).await;
    assert_eq!(status, 200);
    assert!(body.contains("No booking links yet."));

    let refused = post(
        &app,
        &format!("{page}/links"),
        &[("expires_on", "2001-01-01"), ("max_uses", "0")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let body = refused.text().await.unwrap();
    assert!(body.contains("expires on must be today or later"), "{body}");
    assert!(body.contains("max uses must be a whole number"));
    assert!(links(&app).await.is_empty());

    let created = post(
        &app,
        &format!("{page}/links"),
        &[("expires_on", "2099-12-31"), ("max_uses", "3")],
    )
    .await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&format!("{page}?links_notice=")));
    let all = links(&app).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["max_uses"], 3);
    assert_eq!(all[0]["meeting_type_id"], type_id.as_str());
    assert!(all[0]["lead_id"].is_null());
    assert!(
        all[0]["expires_at"]
            .as_str()
            .unwrap()
            .starts_with("2099-12-31T23:00:00"),
        "the end of that day in the marketer's zone (Berlin): {}",
        all[0]["expires_at"]
    );

    let (_, body) = html(&app, &location).await;
    assert!(body.contains("Link created"));
    let url = all[0]["url"].as_str().unwrap();
    assert!(
        body.contains(&format!("value=\"{url}\"")),
        "the address to copy"
    );
    assert!(body.contains("data-copy="), "a copy button");
    assert!(body.contains("used 0 of 3 times"));
    assert!(body.contains("/static/booking_links.js"));
    assert!(!body.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn a_leads_page_makes_a_link_for_the_lead_emails_it_and_turns_it_off() {
    let app = spawn_app().await;
    let (type_id, lead_id) = set_up(&app).await;
    let page = format!("/admin/leads/{lead_id}");
    let created = post(
        &app,
        &format!("{page}/links"),
        &[("meeting_type_id", type_id.as_str()), ("max_uses", "1")],
    )
    .await;
    assert_eq!(created.status(), 303);
    let link = links(&app).await[0].clone();
    assert_eq!(link["lead_id"], lead_id.as_str());
    let id = link["id"].as_str().unwrap().to_owned();
    let (_, body) = html(&app, &page).await;
    assert!(body.contains("Email it to the lead"));

    let emailed = post(
        &app,
        &format!("/admin/booking-links/{id}/email"),
        &[("back", page.as_str())],
    )
    .await;
    assert_eq!(emailed.status(), 303);
    let location = emailed.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{page}?links_notice=")),
        "{location}"
    );
    let sent = {
        let mut conn = app.db.connection().unwrap();
        let filter = EmailFilter {
            kind: Some(EmailKind::BookingLink),
            ..EmailFilter::default()
        };
        outbox::list(&mut conn, &filter, None, 10).unwrap()
    };
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient_email, "jane@prospect.test");
    let url = link["url"].as_str().unwrap();
    assert!(
        sent[0].body_text.contains(&format!("{url}?name=")),
        "{}",
        sent[0].body_text
    );
    assert!(sent[0].body_text.contains("Test marketer invites you"));
    let trail: Vec<String> = {
        use convene::db::schema::audit_log;
        use diesel::prelude::*;
        let mut conn = app.db.connection().unwrap();
        audit_log::table
            .filter(audit_log::entity_id.eq(&id))
            .select(audit_log::action)
            .load(&mut *conn)
            .unwrap()
    };
    assert!(
        trail.contains(&"booking_link.emailed".to_owned()),
        "{trail:?}"
    );

    let off = post(
        &app,
        &format!("/admin/booking-links/{id}/active"),
        &[("back", page.as_str()), ("active", "false")],
    )
    .await;
    assert_eq!(off.status(), 303);
    assert_eq!(links(&app).await[0]["active"], false);
    let slug = link["slug"].as_str().unwrap();
    let public = app
        .client
        .get(app.url(&format!("/book/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 410, "a turned-off link no longer books");
    let (_, body) = html(&app, &page).await;
    assert!(body.contains("this booking link has been turned off"));
    assert!(!body.contains("Email it to the lead"));

    let refused = post(
        &app,
        &format!("/admin/booking-links/{id}/email"),
        &[("back", "https://evil.example/")],
    )
    .await;
    assert_eq!(refused.status(), 303);
    let location = refused.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/admin?links_error="), "{location}");
}

#[tokio::test]
async fn hosts_see_links_but_cannot_make_them() {
    let app = spawn_app().await;
    let (type_id, lead_id) = set_up(&app).await;
    app.create_user_with_password("host@example.com", "host");
    sign_in(&app, "host@example.com", TEST_PASSWORD).await;
    let response = post(
        &app,
        &format!("/admin/leads/{lead_id}/links"),
        &[("meeting_type_id", type_id.as_str())],
    )
    .await;
    assert_eq!(response.status(), 403);
    assert!(links(&app).await.is_empty());
}
