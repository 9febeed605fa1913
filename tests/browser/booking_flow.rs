//! The prospect's booking page in Chromium: two clicks to a booked meeting in a zone that is not
//! the browser's, a taken time that keeps everything, the calendar's keyboard, and reschedule
//! and cancel from the confirmation.

use chrono::{DateTime, Utc};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app, TestApp};

const FIRST_TIME: &str = ".day-times:not([hidden]) a.time";

pub async fn click(page: &Client, css: &str) {
    page.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} appears"))
        .click()
        .await
        .unwrap();
}

pub async fn fill(page: &Client, css: &str, text: &str) {
    page.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn script(page: &Client, js: &str) -> Value {
    page.execute(js, vec![]).await.unwrap()
}

pub async fn wait_for_text(page: &Client, css: &str, text: &str) {
    for _ in 0..100 {
        if let Ok(element) = page.find(Locator::Css(css)).await {
            if element.text().await.unwrap_or_default().contains(text) {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let source = page.source().await.unwrap_or_default();
    panic!("{css} never said {text:?}: {source}");
}

/// A meeting type whose host is free around the clock, and a link to it.
pub async fn open_link(app: &TestApp) -> String {
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day});
    let host = app
        .create_user(json!({"email": "dana@example.com", "name": "Dana Exec", "role": "host", "title": "CEO", "timezone": "Europe/Berlin", "working_hours": hours}))
        .await;
    let meeting_type = app
        .create_meeting_type("exec-briefing", &[host["id"].as_str().unwrap().to_owned()], json!({"requires_approval": false, "min_notice_minutes": 120, "slot_step_minutes": 60, "location": "https://video.example.com/exec"}))
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
    link["slug"].as_str().unwrap().to_owned()
}

fn local_offset(start: &str) -> String {
    DateTime::parse_from_rfc3339(start)
        .unwrap()
        .offset()
        .to_string()
}

#[tokio::test]
async fn prospect_books_in_two_clicks_in_another_zone_then_reschedules_and_cancels() {
    let app = spawn_app().await;
    let slug = open_link(&app).await;
    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    let browser_zone = script(
        page,
        "return Intl.DateTimeFormat().resolvedOptions().timeZone",
    )
    .await
    .as_str()
    .unwrap_or("UTC")
    .to_owned();
    assert_ne!(
        browser_zone, "Asia/Kolkata",
        "the zone picked is not the browser's"
    );
    page.goto(&app.url(&format!(
        "/book/{slug}?name=Pat%20Prospect&email=pat%40bigco.com"
    )))
    .await
    .unwrap();

    // The zone picker is searched by city and keeps the prefilled details.
    fill(page, "#tz-search", "kolkata").await;
    fill(page, "#tz-search", "\u{E007}").await;
    page.wait()
        .for_element(Locator::Css("input[name=timezone][value='Asia/Kolkata']"))
        .await
        .unwrap();
    let label = script(
        page,
        "return document.querySelector('#tz option:checked').textContent",
    )
    .await;
    assert!(
        label.as_str().unwrap().starts_with("Asia/Kolkata — ")
            && label.as_str().unwrap().ends_with("UTC+5:30"),
        "{label}"
    );
    browser.screenshot("booking-page-1280").await;
    browser.assert_accessible("booking-page-1280").await;
    assert!(browser.fits_width().await);

    // Click one: the first day with times is already chosen, so a time.
    let time = page.find(Locator::Css(FIRST_TIME)).await.unwrap();
    let start_utc = time.attr("data-start-utc").await.unwrap().unwrap();
    time.click().await.unwrap();
    let recap = page.find(Locator::Id("chosen")).await.unwrap();
    assert_eq!(
        recap
            .attr("data-chosen-start-utc")
            .await
            .unwrap()
            .as_deref(),
        Some(start_utc.as_str())
    );
    let posted = page
        .find(Locator::Id("start"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local_offset(&posted), "+05:30", "{posted}");
    assert!(recap.text().await.unwrap().contains("Asia/Kolkata"));
    browser.screenshot("booking-form-1280").await;
    browser.assert_accessible("booking-form-1280").await;

    // Click two.
    click(page, ".book-button").await;
    wait_for_text(page, "main h1", "You're booked").await;
    let status = page.find(Locator::Id("meeting-status")).await.unwrap();
    assert_eq!(status.text().await.unwrap(), "Confirmed");
    let booked_time = page
        .find(Locator::Id("meeting-time"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(booked_time.contains("Asia/Kolkata"), "{booked_time}");
    for name in [
        "Google Calendar",
        "Outlook.com",
        "Office 365",
        "Join video call",
    ] {
        page.find(Locator::LinkText(name)).await.unwrap();
    }
    assert!(
        page.find(Locator::Id("booking-details")).await.is_err(),
        "no picker until asked"
    );
    browser.screenshot("manage-page-1280").await;
    browser.assert_accessible("manage-page-1280").await;

    click(page, "#open-reschedule").await;
    click(page, FIRST_TIME).await;
    click(page, "#booking-details button[type=submit]").await;
    wait_for_text(page, "p.notice", "Your meeting has been moved").await;
    let moved_time = page
        .find(Locator::Id("meeting-time"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_ne!(moved_time, booked_time);

    click(page, "#open-cancel").await;
    fill(page, "#reason", "Plans changed").await;
    click(page, "#cancel button.danger").await;
    wait_for_text(page, "main h1", "This meeting was cancelled").await;
    assert_eq!(
        page.find(Locator::Id("meeting-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "Cancelled"
    );
    page.find(Locator::LinkText("Book another time"))
        .await
        .unwrap();
    assert!(page
        .find(Locator::LinkText("Google Calendar"))
        .await
        .is_err());
    browser.screenshot("manage-cancelled-1280").await;
    browser.assert_accessible("manage-cancelled-1280").await;
    browser.close().await;
}

#[tokio::test]
async fn a_taken_time_keeps_the_zone_the_details_and_the_day_on_a_phone() {
    let app = spawn_app().await;
    let slug = open_link(&app).await;
    let browser = Browser::start(390, 844).await;
    let page = &browser.client;
    page.goto(&app.url(&format!("/book/{slug}?tz=America%2FNew_York")))
        .await
        .unwrap();
    assert!(
        browser.fits_width().await,
        "{:?}",
        browser.overflowing_elements().await
    );
    browser.screenshot("booking-page-390").await;

    // The calendar's keyboard: arrows move between days, Enter shows a day's times.
    let chosen_day = script(
        page,
        "return document.querySelector('a.day.selected').dataset.day",
    )
    .await;
    let chosen_day = chosen_day.as_str().unwrap().to_owned();
    script(page, "document.querySelector('a.day.selected').focus()").await;
    page.active_element()
        .await
        .unwrap()
        .send_keys("\u{E014}")
        .await
        .unwrap();
    let focused = script(
        page,
        "const d = document.activeElement; return d.dataset.day || d.dataset.date",
    )
    .await;
    let next_day = (chrono::NaiveDate::parse_from_str(&chosen_day, "%Y-%m-%d").unwrap()
        + chrono::Duration::days(1))
    .format("%Y-%m-%d")
    .to_string();
    let in_month = script(
        page,
        &format!("return !!document.querySelector('[data-day=\"{next_day}\"], [data-date=\"{next_day}\"]')"),
    )
    .await;
    if in_month.as_bool().unwrap() {
        assert_eq!(focused.as_str(), Some(next_day.as_str()), "→ moves a day");
        page.active_element()
            .await
            .unwrap()
            .send_keys("\u{E007}")
            .await
            .unwrap();
        let shown = script(
            page,
            "return document.querySelector('.day-times:not([hidden])').dataset.timesFor",
        )
        .await;
        assert_eq!(
            shown.as_str(),
            Some(next_day.as_str()),
            "Enter shows its times"
        );
        page.active_element()
            .await
            .unwrap()
            .send_keys("\u{E012}")
            .await
            .unwrap();
        page.active_element()
            .await
            .unwrap()
            .send_keys("\u{E007}")
            .await
            .unwrap();
    }

    let time = page.find(Locator::Css(FIRST_TIME)).await.unwrap();
    let start_utc = time.attr("data-start-utc").await.unwrap().unwrap();
    let day = script(
        page,
        "return document.querySelector('.day-times:not([hidden])').dataset.timesFor",
    )
    .await
    .as_str()
    .unwrap()
    .to_owned();
    time.click().await.unwrap();
    fill(page, "#name", "Ngô Thị Lan 🌸").await;
    fill(page, "#email", "lan@bigco.vn").await;
    fill(page, "#notes", "Pricing for 40 seats").await;
    page.find(Locator::Css("input[name=need]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Someone else takes the time first.
    let start = page
        .find(Locator::Id("start"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let taken = app
        .client
        .post(app.url(&format!("/book/{slug}")))
        .json(&json!({"start": start, "name": "Quick Person", "email": "quick@other.com", "timezone": "UTC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 201);

    click(page, ".book-button").await;
    let error = page
        .wait()
        .for_element(Locator::Id("slot-error"))
        .await
        .unwrap();
    assert!(error.text().await.unwrap().contains("pick another time"));
    let kept = script(
        page,
        "return {
           zone: document.getElementById('tz').value,
           name: document.getElementById('name').value,
           email: document.getElementById('email').value,
           notes: document.getElementById('notes').value,
           need: document.querySelector('input[name=need]').checked,
           day: document.querySelector('a.day.selected').dataset.day,
           shown: document.querySelector('.day-times:not([hidden])').dataset.timesFor,
           formOpen: !document.getElementById('booking-details').hidden,
           times: [...document.querySelectorAll('.day-times:not([hidden]) a.time')].map(a => a.dataset.startUtc)
         }",
    )
    .await;
    assert_eq!(kept["zone"], "America/New_York", "{kept}");
    assert_eq!(kept["name"], "Ngô Thị Lan 🌸");
    assert_eq!(kept["email"], "lan@bigco.vn");
    assert_eq!(kept["notes"], "Pricing for 40 seats");
    assert_eq!(kept["need"], true);
    assert_eq!(kept["day"], day.as_str());
    assert_eq!(kept["shown"], day.as_str());
    assert_eq!(kept["formOpen"], true);
    assert!(!kept["times"]
        .as_array()
        .unwrap()
        .iter()
        .any(|time| time == start_utc.as_str()));
    assert!(
        browser.fits_width().await,
        "{:?}",
        browser.overflowing_elements().await
    );
    browser.screenshot("booking-taken-390").await;
    browser.assert_accessible("booking-taken-390").await;

    click(page, FIRST_TIME).await;
    click(page, ".book-button").await;
    wait_for_text(page, "main h1", "You're booked").await;
    let when = page
        .find(Locator::Id("meeting-time"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(when.contains("America/New_York"), "{when}");
    assert!(browser.fits_width().await);
    browser.screenshot("manage-page-390").await;
    let booked: Value = app
        .get_json("/api/v1/meetings?limit=10", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let starts: Vec<DateTime<Utc>> = booked["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|meeting| meeting["start_utc"].as_str())
        .map(|at| at.parse().unwrap())
        .collect();
    assert_eq!(starts.len(), 2, "both bookings stand: {booked}");
    browser.close().await;
}

#[tokio::test]
async fn at_320_px_nothing_scrolls_sideways_and_every_target_is_44_px() {
    let app = spawn_app().await;
    let slug = open_link(&app).await;
    let browser = Browser::start(320, 700).await;
    let page = &browser.client;
    page.goto(&app.url(&format!("/book/{slug}?tz=Pacific%2FChatham")))
        .await
        .unwrap();
    click(page, FIRST_TIME).await;
    assert!(
        browser.fits_width().await,
        "{:?}",
        browser.overflowing_elements().await
    );
    let small = script(
        page,
        "return [...document.querySelectorAll('a.day, a.time, a.month-step, .book-button, #tz, #tz-search, #name, #email')]
           .filter(e => e.offsetParent !== null)
           .map(e => [e.className || e.id, Math.round(e.getBoundingClientRect().height), Math.round(e.getBoundingClientRect().width)])
           .filter(([, h, w]) => h < 44 || w < 44)",
    )
    .await;
    assert_eq!(small, json!([]), "targets under 44 px");
    browser.screenshot("booking-form-320").await;
    browser.close().await;
}
