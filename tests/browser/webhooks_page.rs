use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app_with, TestApp, TEST_PASSWORD};
use crate::webhook_receiver::Receiver;

async fn subscribe(app: &TestApp, url: &str, description: &str) -> String {
    let response = app
        .post_json(
            "/api/v1/webhooks",
            &app.admin_key,
            &json!({"url": url, "events": ["*"], "description": description}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let test = app
        .post_json(
            &format!("/api/v1/webhooks/{id}/test"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(test.status(), 202);
    id
}

/// Runs the app's due background work, after which every delivery of `id` has had an attempt.
async fn attempted(app: &TestApp, id: &str) {
    app.run_pending_jobs().await;
    let page: Value = app
        .get_json(&format!("/api/v1/webhooks/{id}/deliveries"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|delivery| delivery["attempts"].as_i64() > Some(0)));
}

#[tokio::test]
async fn webhooks_pages_fit_a_phone_and_a_desktop() {
    let app = spawn_app_with(|settings| settings.webhooks.allow_private_destinations = true).await;
    app.create_user_with_password("admin@example.com", "admin");
    let working = Receiver::start();
    let failing = Receiver::start();
    failing.answer_always(503);
    let long_url = format!("{}/{}", working.url, "a-very-long-path-segment".repeat(6));
    let first = subscribe(
        &app,
        &long_url,
        "CRM sync for the revenue team's pipeline dashboards",
    )
    .await;
    let second = subscribe(&app, &failing.url, "Data warehouse").await;
    attempted(&app, &first).await;
    attempted(&app, &second).await;

    for (width, height) in [(1280, 900), (390, 844)] {
        let browser = Browser::start(width, height).await;
        let page = &browser.client;
        browser
            .sign_in(&app.address, "admin@example.com", TEST_PASSWORD)
            .await;
        for (path, shot) in [
            ("/admin/webhooks".to_owned(), "webhooks"),
            (format!("/admin/webhooks/{second}"), "webhook-detail"),
        ] {
            page.goto(&app.url(&path)).await.unwrap();
            let html = page.source().await.unwrap();
            assert!(html.contains("badge-status-"), "{path} shows deliveries");
            let fits = browser.fits_width().await;
            browser.screenshot(&format!("{shot}-{width}")).await;
            assert!(
                fits,
                "{path} scrolls sideways at {width} px: {}",
                browser.overflowing_elements().await.join(", ")
            );
            browser.assert_accessible(&path).await;
        }
        browser.close().await;
    }
}
