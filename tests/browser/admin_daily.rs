//! A team's day in the admin UI: editing a user's hours and zone, deactivating and inviting;
//! booking links (create, copy, turn off); the approval queue's filters and bulk decisions.

use chrono::{Duration, Utc};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app, TestApp, TEST_PASSWORD};

async fn fill(page: &Client, css: &str, text: &str) {
    let field = page.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(page: &Client, css: &str) {
    page.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .click()
        .await
        .unwrap();
}

async fn wait_for_text(page: &Client, css: &str, text: &str) -> String {
    let found = page
        .wait()
        .for_element(Locator::XPath(&format!(
            "//*[@id='{css}' and contains(normalize-space(), \"{text}\")]"
        )))
        .await
        .unwrap_or_else(|_| panic!("#{css} never said {text:?}"));
    found.text().await.unwrap()
}

/// The number the navigation shows beside Approvals.
async fn nav_count(page: &Client) -> String {
    let text = page
        .find(Locator::Id("nav-pending-count"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn api(app: &TestApp, path: &str) -> Value {
    app.get_json(path, &app.admin_key)
        .await
        .json()
        .await
        .unwrap()
}

/// Looks at `path` on a phone: it fits the width and passes axe; saves a screenshot.
async fn check_on_phone(app: &TestApp, email: &str, path: &str, name: &str) {
    let phone = Browser::start(390, 844).await;
    phone.sign_in(&app.address, email, TEST_PASSWORD).await;
    phone.client.goto(&app.url(path)).await.unwrap();
    phone
        .client
        .wait()
        .for_element(Locator::Css("main h1"))
        .await
        .unwrap();
    phone.screenshot(&format!("{name}-390")).await;
    assert!(
        phone.fits_width().await,
        "{path} scrolls sideways at 390 px: {:?}",
        phone.overflowing_elements().await
    );
    phone.assert_accessible(&format!("{name}-390")).await;
    phone.close().await;
}

#[tokio::test]
async fn an_admin_edits_hours_and_zone_invites_and_deactivates_a_user() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let host = app.create_host("dana@example.com", "Europe/Berlin").await;
    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "admin@example.com", TEST_PASSWORD)
        .await;
    page.goto(&app.url(&format!("/admin/users/{host}")))
        .await
        .unwrap();
    browser.wait_for_heading("dana").await;
    let zones = page
        .find_all(Locator::Css("#time-zones option"))
        .await
        .unwrap();
    assert!(zones.len() > 300, "the picker offers the canonical zones");

    fill(page, "#timezone", "Asia/Tokyo").await;
    fill(page, "#title", "Head of Sales").await;
    fill(page, "#hours_mon", "08:00-12:00, 13:00-17:00").await;
    fill(page, "#hours_fri", "").await;
    fill(page, "#hours_sat", "10:00-14:00").await;
    page.execute(
        "document.getElementById('override-date-1').value = '2026-12-24';",
        vec![],
    )
    .await
    .unwrap();
    fill(page, "#override-hours-1", "off").await;
    browser.screenshot("user-edit-1280").await;
    click(page, ".profile-form button[type=submit]").await;
    wait_for_text(page, "user-notice", "Saved.").await;
    let saved = api(&app, &format!("/api/v1/users/{host}")).await;
    assert_eq!(saved["timezone"], "Asia/Tokyo");
    assert_eq!(saved["title"], "Head of Sales");
    assert_eq!(
        saved["working_hours"],
        json!({
            "mon": [["08:00", "12:00"], ["13:00", "17:00"]],
            "tue": [["09:00", "17:00"]],
            "wed": [["09:00", "17:00"]],
            "thu": [["09:00", "17:00"]],
            "sat": [["10:00", "14:00"]],
            "dates": {"2026-12-24": []}
        })
    );
    assert!(page
        .source()
        .await
        .unwrap()
        .contains("Asia/Tokyo (UTC+09:00)"));

    click(page, "#invite").await;
    wait_for_text(page, "user-notice", "Invitation sent to dana@example.com").await;
    let invitations = api(&app, "/api/v1/emails?kind=user_invitation").await;
    assert_eq!(invitations["items"][0]["to"], "dana@example.com");

    click(page, "#deactivate").await;
    wait_for_text(page, "user-notice", "is deactivated").await;
    assert_eq!(
        api(&app, &format!("/api/v1/users/{host}")).await["active"],
        false
    );
    browser.screenshot("user-deactivated-1280").await;
    browser.assert_accessible("user-deactivated-1280").await;
    click(page, "#reactivate").await;
    wait_for_text(page, "user-notice", "is active again").await;
    browser.close().await;

    check_on_phone(
        &app,
        "admin@example.com",
        &format!("/admin/users/{host}"),
        "user",
    )
    .await;
}

#[tokio::test]
async fn a_marketer_creates_copies_and_turns_off_a_booking_link() {
    let app = spawn_app().await;
    app.create_user_with_password("marketer@example.com", "marketer");
    let host = app.create_host("dana@example.com", "Europe/Berlin").await;
    let meeting_type = app
        .create_meeting_type("intro", &[host], json!({"requires_approval": false}))
        .await;
    let type_page = format!(
        "/admin/meeting-types/{}",
        meeting_type["id"].as_str().unwrap()
    );
    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "marketer@example.com", TEST_PASSWORD)
        .await;
    page.goto(&app.url(&type_page)).await.unwrap();
    fill(page, ".new-link input[name=max_uses]", "5").await;
    click(page, ".new-link button[type=submit]").await;
    wait_for_text(page, "links-notice", "Link created").await;
    let links = api(&app, "/api/v1/booking-links").await;
    let link = links["items"][0].clone();
    assert_eq!(link["max_uses"], 5);

    click(page, "button.copy-link").await;
    let status = page
        .wait()
        .for_element(Locator::XPath(
            "//span[contains(@class, 'copy-status') and normalize-space() != '']",
        ))
        .await
        .expect("the copy button answers")
        .text()
        .await
        .unwrap();
    assert!(status == "Copied" || status.contains("Ctrl+C"), "{status}");
    let address = page
        .find(Locator::Css("input.link-address"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(address, link["url"].as_str().unwrap());
    browser.screenshot("booking-links-1280").await;
    browser.assert_accessible("booking-links-1280").await;

    click(page, "button.deactivate-link").await;
    wait_for_text(page, "links-notice", "turned off").await;
    let links = api(&app, "/api/v1/booking-links").await;
    assert_eq!(links["items"][0]["active"], false);

    let lead = app.create_lead("jane@prospect.test", true).await;
    let lead_page = format!("/admin/leads/{}", lead["id"].as_str().unwrap());
    page.goto(&app.url(&lead_page)).await.unwrap();
    click(page, ".new-link button[type=submit]").await;
    wait_for_text(page, "links-notice", "Link created").await;
    click(page, "button.email-link").await;
    wait_for_text(page, "links-notice", "on its way to the lead").await;
    let sent = api(&app, "/api/v1/emails?kind=booking_link").await;
    assert_eq!(sent["items"][0]["to"], "jane@prospect.test");
    browser.screenshot("lead-booking-links-1280").await;
    browser.assert_accessible("lead-booking-links-1280").await;
    browser.close().await;

    check_on_phone(&app, "marketer@example.com", &type_page, "booking-links").await;
}

async fn always_free_host(app: &TestApp, email: &str) -> String {
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day});
    app.create_user(json!({"email": email, "name": "Dana Exec", "role": "host", "timezone": "Europe/Berlin", "working_hours": hours}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn book(app: &TestApp, slug: &str, start: &str, email: &str, campaign: &str) -> String {
    app.post_json(
        "/api/v1/leads",
        &app.admin_key,
        &json!({"email": email, "name": format!("Lead {campaign}"), "campaign": campaign}),
    )
    .await;
    let response = app
        .client
        .post(app.url(&format!("/book/{slug}")))
        .json(&json!({"start": start, "name": "Pat Prospect", "email": email, "timezone": "Asia/Kolkata"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["meeting_request_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_manager_filters_the_queue_and_declines_in_bulk_with_reasons() {
    let app = spawn_app().await;
    app.create_user_with_password("mia@example.com", "meeting_manager");
    let host = always_free_host(&app, "dana@example.com").await;
    let meeting_type = app
        .create_meeting_type(
            "exec",
            &[host],
            json!({"requires_approval": true, "min_notice_minutes": 0, "slot_step_minutes": 60}),
        )
        .await;
    let link: Value = app
        .post_json(
            "/api/v1/booking-links",
            &app.admin_key,
            &json!({"meeting_type_id": meeting_type["id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let slug = link["slug"].as_str().unwrap();
    let day = (Utc::now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let offered: Value = app
        .client
        .get(app.url(&format!(
            "/book/{slug}/slots?from={day}&to={day}&tz=Asia/Kolkata"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let starts: Vec<&str> = offered["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start"].as_str().unwrap())
        .collect();
    let spring_a = book(&app, slug, starts[0], "a@prospect.test", "spring").await;
    let spring_b = book(&app, slug, starts[1], "b@prospect.test", "spring").await;
    let autumn = book(&app, slug, starts[2], "c@prospect.test", "autumn").await;

    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "mia@example.com", TEST_PASSWORD)
        .await;
    assert_eq!(nav_count(page).await, "3");
    page.find(Locator::Css("select[name=campaign]"))
        .await
        .unwrap()
        .select_by_value("spring")
        .await
        .unwrap();
    page.find(Locator::Css("select[name=sort]"))
        .await
        .unwrap()
        .select_by_value("newest")
        .await
        .unwrap();
    click(page, "#queue-filters button[type=submit]").await;
    page.wait()
        .for_element(Locator::XPath("//p[contains(., '2 of 3 match')]"))
        .await
        .unwrap();
    let source = page.source().await.unwrap();
    assert!(source.contains(&format!("request-{spring_a}")));
    assert!(!source.contains(&format!("request-{autumn}")));
    browser.screenshot("approvals-filtered-1280").await;

    click(page, "#select-all").await;
    let reason = format!("#request-{spring_a} input[name=reasons]");
    fill(page, &reason, "Not our market").await;
    fill(page, "#bulk input[name=reason]", "Fully booked").await;
    click(page, "#bulk button[value=reject]").await;
    let notice = wait_for_text(page, "decision-notice", "Declined 2 requests").await;
    assert!(notice.contains("Pat Prospect — Meeting exec"), "{notice}");
    let url = page.current_url().await.unwrap();
    assert!(
        url.query()
            .unwrap_or_default()
            .starts_with("campaign=spring&sort=newest"),
        "the same view: {url}"
    );
    for id in [&spring_a, &spring_b] {
        let request = api(&app, &format!("/api/v1/meeting-requests/{id}")).await;
        assert_eq!(request["status"], "rejected");
    }
    let campaign = page
        .find(Locator::Css("select[name=campaign]"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        campaign.as_deref(),
        Some("spring"),
        "the filter stays chosen"
    );
    let request = api(&app, &format!("/api/v1/meeting-requests/{autumn}")).await;
    assert_eq!(request["status"], "pending_approval");
    assert_eq!(nav_count(page).await, "1");
    browser.screenshot("approvals-bulk-done-1280").await;
    browser.assert_accessible("approvals-bulk-done-1280").await;
    browser.close().await;

    check_on_phone(
        &app,
        "mia@example.com",
        "/admin/approvals?sort=due&overdue=",
        "approvals-filters",
    )
    .await;
}
