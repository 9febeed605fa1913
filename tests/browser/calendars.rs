//! A host connects, sees and disconnects their calendars on their own admin page, in Chromium,
//! through the whole redirect to the provider (the local fake) and back.

use fantoccini::Locator;
use serde_json::json;

use crate::browser::Browser;
use crate::fake_providers::FakeProviders;
use crate::helpers::{spawn_app_with, TEST_PASSWORD};

/// Waits until an element matching `xpath` (which names the text expected) is on the page.
async fn wait_for(browser: &Browser, xpath: &str) {
    browser
        .client
        .wait()
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap_or_else(|e| panic!("{xpath}: {e}"));
}

/// Waits for the page whose heading is `heading`, so the old page is never read by mistake.
async fn wait_for_heading(browser: &Browser, heading: &str) {
    browser
        .client
        .wait()
        .for_element(Locator::XPath(&format!(
            "//main//h1[normalize-space()=\"{heading}\"]"
        )))
        .await
        .unwrap();
}

async fn click(browser: &Browser, xpath: &str) {
    browser
        .client
        .wait()
        .for_element(Locator::XPath(xpath))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_host_connects_google_and_microsoft_and_disconnects_from_their_page() {
    let fake = FakeProviders::start();
    // The browser follows the provider back to the public URL, so it must be this server's.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(|settings| {
        fake.configure(settings);
        settings.server.bind = format!("127.0.0.1:{port}");
        settings.server.public_url = format!("http://127.0.0.1:{port}");
    })
    .await;
    let host_id = app.create_user_with_password("dana@example.com", "host");
    fake.next_account("google", "dana.work@example.com").await;
    let browser = Browser::start(1280, 900).await;
    browser
        .sign_in(&app.url(""), "dana@example.com", TEST_PASSWORD)
        .await;
    let page = &browser.client;
    page.goto(&app.url(&format!("/admin/users/{host_id}")))
        .await
        .unwrap();
    wait_for(
        &browser,
        "//section//p[contains(., 'No calendar is connected')]",
    )
    .await;
    click(&browser, "//button[normalize-space()='Connect Google']").await;
    wait_for_heading(&browser, "Google Calendar connected").await;
    wait_for(&browser, "//main//p[contains(., 'dana.work@example.com')]").await;

    page.goto(&app.url(&format!("/admin/users/{host_id}")))
        .await
        .unwrap();
    wait_for(
        &browser,
        "//tr[@data-provider='google'][contains(., 'dana.work@example.com')][contains(., 'active')]",
    )
    .await;
    fake.next_account("microsoft", "dana@contoso.com").await;
    click(&browser, "//button[normalize-space()='Connect Microsoft']").await;
    wait_for_heading(&browser, "Microsoft 365 connected").await;
    page.goto(&app.url(&format!("/admin/users/{host_id}")))
        .await
        .unwrap();
    wait_for(
        &browser,
        "//tr[@data-provider='microsoft'][contains(., 'dana@contoso.com')][contains(., 'active')]",
    )
    .await;
    browser.screenshot("calendars-connected-1280").await;
    browser.assert_accessible("calendars-connected-1280").await;

    // A refused grant shows as an error with a Reconnect button, which heals it.
    fake.control("revoke-refresh-tokens", json!({"provider": "microsoft"}))
        .await;
    fake.control("expire-access-tokens", json!({"provider": "microsoft"}))
        .await;
    let meeting_type = app
        .create_meeting_type(
            "intro",
            std::slice::from_ref(&host_id),
            json!({"requires_approval": false, "min_notice_minutes": 0}),
        )
        .await;
    let link: serde_json::Value = app
        .post_json(
            "/api/v1/booking-links",
            &app.admin_key,
            &json!({"meeting_type_id": meeting_type["id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let slots = app
        .client
        .get(app.url(&format!("/book/{}/slots", link["slug"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(slots.status(), 200);
    page.goto(&app.url(&format!("/admin/users/{host_id}")))
        .await
        .unwrap();
    wait_for(
        &browser,
        "//tr[@data-provider='microsoft'][contains(., 'error')][contains(., 'connect the calendar again')]",
    )
    .await;
    browser.screenshot("calendars-error-1280").await;
    browser.assert_accessible("calendars-error-1280").await;
    fake.next_account("microsoft", "dana@contoso.com").await;
    click(
        &browser,
        "//tr[@data-provider='microsoft']//button[normalize-space()='Reconnect']",
    )
    .await;
    wait_for_heading(&browser, "Microsoft 365 connected").await;

    page.goto(&app.url(&format!("/admin/users/{host_id}")))
        .await
        .unwrap();
    click(
        &browser,
        "//tr[@data-provider='google']//button[normalize-space()='Disconnect']",
    )
    .await;
    browser
        .client
        .wait()
        .for_element(Locator::XPath(
            "//p[@class='notice'][normalize-space()='Google Calendar disconnected.']",
        ))
        .await
        .unwrap();
    let rows = page
        .find_all(Locator::Css("tr[data-provider]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only Microsoft is left");
    assert_eq!(fake.requests("/google/revoke").await.len(), 1);
    browser.close().await;
}
