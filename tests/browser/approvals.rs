use chrono::{Duration, Utc};
use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app, TestApp, TEST_PASSWORD};

async fn book(app: &TestApp, slug: &str, start: &str, email: &str, name: &str) -> String {
    let response = app
        .client
        .post(app.url(&format!("/book/{slug}")))
        .json(&json!({"start": start, "name": name, "email": email, "timezone": "Asia/Kolkata", "company": "Prospect Inc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["meeting_request_id"].as_str().unwrap().to_owned()
}

async fn status_of(app: &TestApp, id: &str) -> String {
    let body: Value = app
        .get_json(&format!("/api/v1/meeting-requests/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    body["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_manager_works_the_queue_and_a_host_sees_no_approval_actions() {
    let app = spawn_app().await;
    app.create_user_with_password("mia@example.com", "meeting_manager");
    let host_id = app.create_user_with_password("dana@example.com", "host");
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day});
    let patched = app
        .client
        .patch(app.url(&format!("/api/v1/users/{host_id}")))
        .bearer_auth(&app.admin_key)
        .json(&json!({"working_hours": hours}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let meeting_type = app
        .create_meeting_type(
            "exec-briefing",
            std::slice::from_ref(&host_id),
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
    let starts: Vec<String> = offered["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start"].as_str().unwrap().to_owned())
        .collect();
    let first = book(&app, slug, &starts[0], "ana@prospect.test", "Ana Prospect").await;
    let second = book(&app, slug, &starts[1], "bo@prospect.test", "Bo Prospect").await;

    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "mia@example.com", TEST_PASSWORD)
        .await;
    assert_eq!(
        page.current_url().await.unwrap().path(),
        "/admin/approvals",
        "managers land on the queue"
    );
    let source = page.source().await.unwrap();
    assert!(source.contains("Ana Prospect") && source.contains("Bo Prospect"));
    browser.screenshot("approvals-queue-1280").await;
    browser.assert_accessible("approvals-queue-1280").await;

    let late = book(&app, slug, &starts[2], "cy@prospect.test", "Cy Prospect").await;
    let banner = page
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("#queue-updates:not([hidden])"))
        .await
        .expect("the queue announces the new request without a reload");
    assert!(banner.text().await.unwrap().contains("New requests"));

    page.find(Locator::Css(&format!(
        "#request-{first} form[action$='/approve'] button[type=submit]"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    page.wait()
        .for_element(Locator::XPath(
            "//p[@id='decision-notice' and starts-with(text(), 'Approved')]",
        ))
        .await
        .unwrap();
    assert_eq!(status_of(&app, &first).await, "scheduled");
    let invites: Value = app
        .get_json(
            &format!("/api/v1/emails?meeting_request_id={first}&kind=invite"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        invites["items"].as_array().unwrap().len(),
        2,
        "invitations are in the outbox"
    );

    page.find(Locator::Css(&format!(
        "#request-{second} input[name=reason]"
    )))
    .await
    .unwrap()
    .send_keys("We only meet companies in the EU for now.")
    .await
    .unwrap();
    page.find(Locator::Css(&format!(
        "#request-{second} form[action$='/reject'] button[type=submit]"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    // The page before has the approval's notice: wait for the decline's own.
    page.wait()
        .for_element(Locator::XPath(
            "//p[@id='decision-notice' and starts-with(text(), 'Declined')]",
        ))
        .await
        .unwrap();
    assert_eq!(status_of(&app, &second).await, "rejected");
    let source = page.source().await.unwrap();
    assert!(
        source.contains(&format!("request-{late}")),
        "the late request waits"
    );
    assert!(!source.contains(&format!("request-{first}")));
    browser.screenshot("approvals-decided-1280").await;
    browser.assert_accessible("approvals-decided-1280").await;

    page.goto(&app.url(&format!("/admin/requests/{second}")))
        .await
        .unwrap();
    let detail = page.source().await.unwrap();
    assert!(detail.contains("We only meet companies in the EU for now."));
    browser.screenshot("approvals-request-1280").await;
    browser.assert_accessible("approvals-request-1280").await;
    browser.close().await;

    let narrow = Browser::start(390, 844).await;
    narrow
        .sign_in(&app.address, "mia@example.com", TEST_PASSWORD)
        .await;
    assert!(narrow.fits_width().await, "the queue fits a phone");
    narrow.screenshot("approvals-queue-390").await;
    narrow.assert_accessible("approvals-queue-390").await;
    narrow.close().await;

    let host = Browser::start(1280, 900).await;
    host.sign_in(&app.address, "dana@example.com", TEST_PASSWORD)
        .await;
    let nav = host
        .client
        .find(Locator::Css("ul.nav"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!nav.contains("Approvals"), "hosts have no queue: {nav}");
    host.client
        .goto(&app.url("/admin/approvals"))
        .await
        .unwrap();
    let heading = host.client.find(Locator::Css("main h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Not allowed");
    assert!(host
        .client
        .find(Locator::Css("form[action*='/approve']"))
        .await
        .is_err());
    host.screenshot("approvals-host-refused-1280").await;
    host.assert_accessible("approvals-host-refused-1280").await;
    host.close().await;
}
