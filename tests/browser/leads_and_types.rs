use fantoccini::Locator;
use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{spawn_app, TEST_PASSWORD};

#[tokio::test]
async fn admin_creates_a_meeting_type_and_requests_a_meeting_for_a_lead() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    app.create_host("dana@example.com", "America/New_York")
        .await;
    let lead = app.create_lead("casey@bigco.com", true).await;
    app.create_lead("sam@smallco.com", false).await;
    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "admin@example.com", TEST_PASSWORD)
        .await;

    page.goto(&app.url("/admin/meeting-types")).await.unwrap();
    page.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Executive briefing")
        .await
        .unwrap();
    page.find(Locator::Id("slug"))
        .await
        .unwrap()
        .send_keys("exec-briefing")
        .await
        .unwrap();
    page.find(Locator::Css("input[name=host_ids]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.screenshot("meeting-types-form-1280").await;
    browser.assert_accessible("meeting-types-form-1280").await;
    page.find(Locator::Css("form.grid-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let cell = page
        .wait()
        .for_element(Locator::Css("tbody td a"))
        .await
        .unwrap();
    assert_eq!(cell.text().await.unwrap(), "Executive briefing");

    page.goto(&app.url("/admin/leads")).await.unwrap();
    browser.screenshot("leads-1280").await;
    browser.assert_accessible("leads-1280").await;
    page.find(Locator::LinkText("Prospect")).await.unwrap();
    page.goto(&app.url(&format!("/admin/leads/{}", lead["id"].as_str().unwrap())))
        .await
        .unwrap();
    page.find(Locator::Id("notes"))
        .await
        .unwrap()
        .send_keys("Met at the summit")
        .await
        .unwrap();
    page.find(Locator::Css("form.grid-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = page
        .wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert_eq!(
        notice.text().await.unwrap(),
        "Meeting requested: pending approval."
    );
    browser.screenshot("lead-detail-1280").await;
    browser.assert_accessible("lead-detail-1280").await;
    let requests: serde_json::Value = app
        .get_json("/api/v1/meeting-requests", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(requests["items"][0]["status"], json!("pending_approval"));
    browser.close().await;
}

#[tokio::test]
async fn leads_pages_fit_a_phone() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let lead = app.create_lead("casey@bigco.com", true).await;
    let browser = Browser::start(390, 844).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "admin@example.com", TEST_PASSWORD)
        .await;
    for (path, shot) in [
        ("/admin/leads".to_owned(), "leads-390"),
        (
            format!("/admin/leads/{}", lead["id"].as_str().unwrap()),
            "lead-detail-390",
        ),
    ] {
        page.goto(&app.url(&path)).await.unwrap();
        let fits = browser.fits_width().await;
        browser.screenshot(shot).await;
        browser.assert_accessible(shot).await;
        assert!(fits, "{path} scrolls sideways at 390 px");
    }
    browser.close().await;
}
