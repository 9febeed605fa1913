use chrono::{Duration, Utc};
use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::spawn_app;

#[tokio::test]
async fn prospect_books_reschedules_and_cancels_in_the_browser() {
    let app = spawn_app().await;
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day});
    let host = app
        .create_user(json!({"email": "dana@example.com", "name": "Dana Exec", "role": "host", "title": "CEO", "timezone": "Europe/Berlin", "working_hours": hours}))
        .await;
    let meeting_type = app
        .create_meeting_type("exec-briefing", &[host["id"].as_str().unwrap().to_owned()], json!({"requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 60, "location": "Video call"}))
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
    let tomorrow = (Utc::now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();

    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    page.goto(&app.url(&format!(
        "/book/{}?from={tomorrow}",
        link["slug"].as_str().unwrap()
    )))
    .await
    .unwrap();
    // Switching the zone reloads the times in it (the picker submits itself).
    page.find(Locator::Css("#tz option[value='Asia/Kolkata']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait()
        .for_url(
            &url::Url::parse(&app.url(&format!(
                "/book/{}?tz=Asia%2FKolkata",
                link["slug"].as_str().unwrap()
            )))
            .unwrap(),
        )
        .await
        .ok();
    page.wait()
        .for_element(Locator::Css("input[name=timezone][value='Asia/Kolkata']"))
        .await
        .unwrap();
    let first = page.find(Locator::Css("input[name=start]")).await.unwrap();
    let value = first.attr("value").await.unwrap().unwrap();
    assert!(
        value.ends_with("+05:30"),
        "slots are shown in the chosen zone: {value}"
    );
    browser.screenshot("booking-page-1280").await;
    browser.assert_accessible("booking-page-1280").await;
    page.find(Locator::Css("label.slot span"))
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
        .send_keys("pat@bigco.com")
        .await
        .unwrap();
    page.find(Locator::Id("company"))
        .await
        .unwrap()
        .send_keys("BigCo")
        .await
        .unwrap();
    page.find(Locator::Css("input[name=budget]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.find(Locator::Css(
        "form.booking-form .details button[type=submit]",
    ))
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
        "Thank you! Your booking is in."
    );
    assert_eq!(
        page.find(Locator::Id("meeting-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Confirmed"
    );
    let booked_time = page
        .find(Locator::Id("meeting-time"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(booked_time.contains("Asia/Kolkata"));
    page.find(Locator::LinkText("Add to my calendar (.ics)"))
        .await
        .unwrap();
    browser.screenshot("manage-page-1280").await;
    browser.assert_accessible("manage-page-1280").await;

    page.find(Locator::Css("label.slot span"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.find(Locator::XPath("//button[text()='Move my meeting']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The page before the move has a notice too: wait for the new page's own.
    page.wait()
        .for_element(Locator::XPath(
            "//p[contains(@class, 'notice') and text()='Your meeting has been moved.']",
        ))
        .await
        .unwrap();
    let moved_time = page
        .find(Locator::Id("meeting-time"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_ne!(moved_time, booked_time);

    page.find(Locator::Id("reason"))
        .await
        .unwrap()
        .send_keys("Plans changed")
        .await
        .unwrap();
    page.find(Locator::Css("button.danger"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait()
        .for_element(Locator::XPath(
            "//p[contains(@class, 'notice') and text()='Your meeting has been cancelled.']",
        ))
        .await
        .unwrap();
    assert_eq!(
        page.find(Locator::Id("meeting-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Cancelled"
    );
    browser.screenshot("manage-cancelled-1280").await;
    browser.assert_accessible("manage-cancelled-1280").await;
    browser.close().await;
}

#[tokio::test]
async fn booking_page_fits_a_phone() {
    let app = spawn_app().await;
    let host = app.create_host("dana@example.com", "Europe/Berlin").await;
    let meeting_type = app
        .create_meeting_type(
            "intro",
            &[host],
            json!({"requires_approval": false, "min_notice_minutes": 0}),
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
    let browser = Browser::start(390, 844).await;
    let page = &browser.client;
    page.goto(&app.url(&format!("/book/{}", link["slug"].as_str().unwrap())))
        .await
        .unwrap();
    page.wait()
        .for_element(Locator::Css("form.booking-form"))
        .await
        .unwrap();
    let fits = browser.fits_width().await;
    browser.screenshot("booking-page-390").await;
    browser.assert_accessible("booking-page-390").await;
    assert!(fits, "the booking page scrolls sideways at 390 px");
    browser.close().await;
}
