//! What a prospect sees when Convene says no: a meeting that has started, and a second booking
//! on a link they already hold a meeting on.

use std::sync::Arc;

use chrono::{Duration, Utc};
use convene::clock::FixedClock;
use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app_with_clock, TestApp};

async fn open_link(app: &TestApp) -> Value {
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day});
    let host = app
        .create_user(json!({"email": "dana@example.com", "name": "Dana Exec", "role": "host", "title": "CEO", "timezone": "Europe/Berlin", "working_hours": hours}))
        .await;
    let meeting_type = app
        .create_meeting_type("exec-briefing", &[host["id"].as_str().unwrap().to_owned()], json!({"requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 60, "location": "Video call"}))
        .await;
    app.post_json(
        "/api/v1/booking-links",
        &app.admin_key,
        &json!({"meeting_type_id": meeting_type["id"]}),
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_started_meeting_and_a_booking_over_the_limit_are_explained_on_the_page() {
    let now = Utc::now();
    let clock = Arc::new(FixedClock::new(now));
    let app = spawn_app_with_clock(clock.clone()).await;
    let link = open_link(&app).await;
    let slug = link["slug"].as_str().unwrap();
    let tomorrow = (now + Duration::days(1)).format("%Y-%m-%d").to_string();
    let starts = app.free_starts(slug, &tomorrow, "Europe/Berlin").await;
    let booked: Value = app
        .client
        .post(app.url(&format!("/book/{slug}")))
        .json(&json!({"start": starts[0], "name": "Pat Prospect", "email": "pat@bigco.com", "timezone": "Europe/Berlin"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let manage = booked["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();

    for (width, height) in [(1280, 900), (390, 844)] {
        let browser = Browser::start(width, height).await;
        let page = &browser.client;
        page.goto(&app.url(&format!(
            "/book/{slug}?from={}",
            (now + Duration::days(1)).format("%Y-%m-%d")
        )))
        .await
        .unwrap();
        page.find(Locator::Css(".day-times:not([hidden]) a.time"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        page.find(Locator::Id("name"))
            .await
            .unwrap()
            .send_keys("Pat Prospect")
            .await
            .unwrap();
        page.find(Locator::Id("email"))
            .await
            .unwrap()
            .send_keys("Pat+again@BigCo.com")
            .await
            .unwrap();
        page.find(Locator::Css(".book-button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let refusal = page
            .wait()
            .for_element(Locator::Css("p.alert"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            refusal.contains("already") || refusal.contains("limit"),
            "the page says why: {refusal}"
        );
        assert!(browser.fits_width().await, "{width} px");
        browser.screenshot(&format!("booking-limit-{width}")).await;
        browser
            .assert_accessible(&format!("booking-limit-{width}"))
            .await;
        browser.close().await;
    }

    clock.advance(Duration::days(2));
    for (width, height) in [(1280, 900), (390, 844)] {
        let browser = Browser::start(width, height).await;
        let page = &browser.client;
        page.goto(&app.url(&manage)).await.unwrap();
        let body = page
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("already started"), "{body}");
        assert!(
            page.find(Locator::Css("form[action$='/cancel']"))
                .await
                .is_err(),
            "no cancel form on a started meeting"
        );
        assert!(browser.fits_width().await, "{width} px");
        browser.screenshot(&format!("manage-started-{width}")).await;
        browser
            .assert_accessible(&format!("manage-started-{width}"))
            .await;
        browser.close().await;
    }
}
