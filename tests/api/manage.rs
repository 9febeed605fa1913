//! The prospect's manage link: view, calendar file, reschedule and cancel.

use serde_json::{json, Value};

use crate::booking::{book, booking, first_slot, open_type, slots, tomorrow};
use crate::helpers::{assert_problem, csrf_token_in, spawn_app, TestApp};

async fn booked(app: &TestApp, overrides: Value) -> (Value, String, String) {
    let (_, link) = open_type(app, overrides).await;
    let start = first_slot(app, &link).await;
    let confirmation: Value = book(app, &link, &booking(&start, "pat@bigco.com"))
        .await
        .json()
        .await
        .unwrap();
    let path = confirmation["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();
    (link, start, path)
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_manage_page_shows_the_meeting_and_a_calendar_file() {
    let app = spawn_app().await;
    let (_, _, path) = booked(&app, json!({"location": "https://video.example.com/room"})).await;
    let page = app
        .client
        .get(app.url(&format!("{path}?booked=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("You&#x27;re booked")
            && html.contains("Confirmed")
            && html.contains("America/New_York"),
        "{html}"
    );
    assert!(
        html.contains(
            "href=\"https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text="
        ) && html.contains("href=\"https://outlook.live.com/calendar/0/action/compose?")
            && html.contains("href=\"https://outlook.office.com/calendar/0/action/compose?")
            && html.contains("Join video call")
            && html.contains("href=\"https://video.example.com/room\""),
        "calendar links and the video link: {html}"
    );
    assert!(
        !html.contains("name=\"start\"") && html.contains("?reschedule=1#reschedule"),
        "the picker opens only when asked: {html}"
    );
    let ics = app
        .client
        .get(app.url(&format!("{path}/invite.ics")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let text = ics.text().await.unwrap();
    for needle in [
        "METHOD:REQUEST",
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        "pat@bigco.com",
        "LOCATION:https://video.example.com/room",
    ] {
        assert!(text.contains(needle), "{needle} missing in {text}");
    }
    let unknown = app
        .client
        .get(app.url("/m/not-a-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("no meeting at this address"));
}

#[tokio::test]
async fn rescheduling_keeps_the_uid_bumps_the_sequence_and_moves_the_hold() {
    let app = spawn_app().await;
    let (link, start, path) = booked(&app, json!({"duration_minutes": 60})).await;
    let uid_before = app
        .client
        .get(app.url(&format!("{path}/invite.ics")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let uid_line = |ics: &str| {
        ics.lines()
            .find(|l| l.starts_with("UID:"))
            .unwrap()
            .to_owned()
    };
    let offered: Value = slots(
        &app,
        &link,
        &format!("from={}&to={}&tz=Europe/Berlin", tomorrow(), tomorrow()),
    )
    .await
    .json()
    .await
    .unwrap();
    let overlapping = offered["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"].as_str().unwrap() > start.as_str())
        .unwrap()["start"]
        .as_str()
        .unwrap()
        .to_owned();

    let moved = post(
        &app,
        &format!("{path}/reschedule"),
        json!({"start": overlapping}),
    )
    .await;
    assert_eq!(
        moved.status(),
        200,
        "a meeting may move onto part of its own time"
    );
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(
        (moved["sequence"].as_i64(), moved["status"].as_str()),
        (Some(1), Some("scheduled"))
    );
    let ics = app
        .client
        .get(app.url(&format!("{path}/invite.ics")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(uid_line(&ics), uid_line(&uid_before));
    assert!(ics.contains("SEQUENCE:1"));
    assert_eq!(
        first_slot(&app, &link).await,
        start,
        "the old time is free again"
    );

    assert_problem(
        post(
            &app,
            &format!("{path}/reschedule"),
            json!({"start": "soon"}),
        )
        .await,
        422,
    )
    .await;
    let past = "2020-01-01T10:00:00Z";
    assert_problem(
        post(&app, &format!("{path}/reschedule"), json!({"start": past})).await,
        409,
    )
    .await;
    let request: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}",
                moved["meeting_request_id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        request["audit"].as_array().unwrap().last().unwrap()["action"],
        "reschedule"
    );
}

#[tokio::test]
async fn cancelling_frees_the_time_and_cannot_happen_twice() {
    let app = spawn_app().await;
    let (link, start, path) = booked(&app, json!({})).await;
    let cancelled = post(
        &app,
        &format!("{path}/cancel"),
        json!({"reason": "Travel came up"}),
    )
    .await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["sequence"].as_i64()),
        (Some("cancelled"), Some(1))
    );
    assert_eq!(first_slot(&app, &link).await, start);
    let ics = app
        .client
        .get(app.url(&format!("{path}/invite.ics")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED"),
        "{ics}"
    );
    assert_problem(post(&app, &format!("{path}/cancel"), json!({})).await, 409).await;
    assert_problem(
        post(&app, &format!("{path}/reschedule"), json!({"start": start})).await,
        409,
    )
    .await;
    let request: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}",
                cancelled["meeting_request_id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(request["status"], "cancelled");
    assert_eq!(
        request["audit"].as_array().unwrap().last().unwrap()["note"],
        "Travel came up"
    );
}

#[tokio::test]
async fn the_booking_page_books_through_its_form_with_a_csrf_token() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let page_path = format!(
        "/book/{}?tz=Europe/Berlin&from={}",
        link["slug"].as_str().unwrap(),
        tomorrow()
    );
    let page = app.client.get(app.url(&page_path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Meeting intro")
            && html.contains("Dana Exec, CEO")
            && html.contains("name=\"start\"")
    );
    let token = csrf_token_in(&html);
    let start = first_slot(&app, &link).await;
    let fields = |csrf: &str, email: &str| {
        serde_urlencoded::to_string([
            ("csrf_token", csrf),
            ("start", start.as_str()),
            ("timezone", "Europe/Berlin"),
            ("name", "Form Person"),
            ("email", email),
            ("company", "BigCo"),
            ("budget", "on"),
            ("timing", "this_quarter"),
            ("notes", ""),
        ])
        .unwrap()
    };
    let send = |body: String| {
        app.client
            .post(app.url(&format!("/book/{}", link["slug"].as_str().unwrap())))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(
        send(fields("forged", "form@bigco.com"))
            .await
            .unwrap()
            .status(),
        403
    );
    let done = send(fields(&token, "form@bigco.com")).await.unwrap();
    assert_eq!(done.status(), 303);
    assert!(done.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/m/"));
    let again = send(fields(&token, "other@bigco.com")).await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(
        again.text().await.unwrap().contains("just taken"),
        "the page says why and keeps the form"
    );
}
