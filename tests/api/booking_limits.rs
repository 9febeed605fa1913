//! Live-booking limits: one prospect holds only so many upcoming bookings, per link and in
//! all, whatever the case of their email or a +tag, and however many requests they send at once.

use std::sync::Arc;

use chrono::{Duration, Utc};
use convene::clock::{Clock, FixedClock};
use serde_json::{json, Value};

use crate::booking::{always_available_host, book, booking, link_for, slots, tomorrow};
use crate::helpers::{
    assert_problem, csrf_token_in, spawn_app, spawn_app_with, spawn_app_with_clock, TestApp,
};

/// A meeting type bookable all day by anyone, and `links` booking links to it.
async fn open_links(app: &TestApp, overrides: Value, links: usize) -> Vec<Value> {
    let host = always_available_host(app, "dana@example.com").await;
    let mut settings =
        json!({"requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 30});
    settings
        .as_object_mut()
        .unwrap()
        .extend(overrides.as_object().unwrap().clone());
    let meeting_type = app.create_meeting_type("intro", &[host], settings).await;
    let mut made = Vec::new();
    for _ in 0..links {
        made.push(link_for(app, &meeting_type, json!({})).await);
    }
    made
}

/// Tomorrow's free starts (in Berlin), which every link of one meeting type shares.
async fn free_starts(app: &TestApp, link: &Value) -> Vec<String> {
    let slug = link["slug"].as_str().unwrap();
    app.free_starts(slug, &tomorrow(), "Europe/Berlin").await
}

async fn book_as(app: &TestApp, link: &Value, start: &str, email: &str) -> reqwest::Response {
    book(app, link, &booking(start, email)).await
}

async fn assert_limit(response: reqwest::Response, kind: &str) -> String {
    let problem = assert_problem(response, 409).await;
    assert_eq!(problem["type"], format!("/problems/{kind}"), "{problem}");
    assert_eq!(problem["title"], "Booking limit reached");
    problem["detail"].as_str().unwrap().to_owned()
}

fn manage_path(confirmation: &Value) -> String {
    confirmation["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned()
}

#[tokio::test]
async fn one_live_booking_per_link_and_cancelling_frees_it() {
    let app = spawn_app().await;
    let links = open_links(&app, json!({}), 2).await;
    let starts = free_starts(&app, &links[0]).await;
    let first = book_as(&app, &links[0], &starts[0], "pat@bigco.com").await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();

    let detail = assert_limit(
        book_as(&app, &links[0], &starts[2], "PAT+again@BigCo.com").await,
        "booking-limit-per-link",
    )
    .await;
    assert!(
        detail.contains("through this link") && detail.contains("reschedule"),
        "{detail}"
    );
    assert_eq!(
        book_as(&app, &links[0], &starts[2], "sam@bigco.com")
            .await
            .status(),
        201,
        "others book as before"
    );
    assert_eq!(
        book_as(&app, &links[1], &starts[4], "pat@bigco.com")
            .await
            .status(),
        201,
        "another link has its own allowance"
    );

    let path = manage_path(&first);
    let moved = app
        .client
        .post(app.url(&format!("{path}/reschedule")))
        .json(&json!({"start": starts[6]}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200, "rescheduling is not a new booking");
    let cancelled = app
        .client
        .post(app.url(&format!("{path}/cancel")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        book_as(&app, &links[0], &starts[8], "pat@bigco.com")
            .await
            .status(),
        201,
        "a cancelled booking frees its place"
    );
}

#[tokio::test]
async fn the_per_email_limit_counts_every_link() {
    let app = spawn_app_with(|settings| {
        settings.booking.max_live_bookings_per_email = 2;
    })
    .await;
    let links = open_links(&app, json!({}), 3).await;
    let starts = free_starts(&app, &links[0]).await;
    for (n, email) in ["pat@bigco.com", "Pat+work@bigco.com"].iter().enumerate() {
        assert_eq!(
            book_as(&app, &links[n], &starts[n * 2], email)
                .await
                .status(),
            201
        );
    }
    let detail = assert_limit(
        book_as(&app, &links[2], &starts[4], "pat@BIGCO.com").await,
        "booking-limit-per-email",
    )
    .await;
    assert!(detail.contains("2 upcoming meetings"), "{detail}");
}

#[tokio::test]
async fn a_booking_awaiting_approval_counts_until_it_is_rejected() {
    let app = spawn_app().await;
    let links = open_links(&app, json!({"requires_approval": true}), 1).await;
    let starts = free_starts(&app, &links[0]).await;
    let held = book_as(&app, &links[0], &starts[0], "pat@bigco.com").await;
    assert_eq!(held.status(), 201);
    let held: Value = held.json().await.unwrap();
    assert_eq!(held["status"], "pending_approval");
    assert_limit(
        book_as(&app, &links[0], &starts[2], "pat@bigco.com").await,
        "booking-limit-per-link",
    )
    .await;
    let rejected = app
        .post_json(
            &format!(
                "/api/v1/meeting-requests/{}/reject",
                held["meeting_request_id"].as_str().unwrap()
            ),
            &app.admin_key,
            &json!({"reason": "Not a fit yet"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    assert_eq!(
        book_as(&app, &links[0], &starts[2], "pat@bigco.com")
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn the_booking_page_says_which_limit_was_reached() {
    let app = spawn_app().await;
    let links = open_links(&app, json!({}), 1).await;
    let starts = free_starts(&app, &links[0]).await;
    assert_eq!(
        book_as(&app, &links[0], &starts[0], "form@bigco.com")
            .await
            .status(),
        201
    );
    let slug = links[0]["slug"].as_str().unwrap();
    let page = app
        .client
        .get(app.url(&format!(
            "/book/{slug}?tz=Europe/Berlin&from={}",
            tomorrow()
        )))
        .send()
        .await
        .unwrap();
    let csrf = csrf_token_in(&page.text().await.unwrap());
    let fields = serde_urlencoded::to_string([
        ("csrf_token", csrf.as_str()),
        ("start", starts[2].as_str()),
        ("timezone", "Europe/Berlin"),
        ("name", "Form Person"),
        ("email", "Form@BigCo.com"),
        ("timing", "now"),
    ])
    .unwrap();
    let refused = app
        .client
        .post(app.url(&format!("/book/{slug}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("already have an upcoming meeting booked through this link")
            && html.contains("Form Person"),
        "the page says why and keeps the form: {html}"
    );
}

#[tokio::test]
async fn concurrent_bookings_by_one_prospect_share_one_allowance() {
    let app = spawn_app_with(|settings| {
        settings.booking.max_live_bookings_per_email = 2;
    })
    .await;
    let links = open_links(&app, json!({}), 10).await;
    let starts = free_starts(&app, &links[0]).await;
    let bodies: Vec<(usize, Value)> = (0..20)
        .map(|n| {
            let email = if n % 2 == 0 {
                "racer@bigco.com".to_owned()
            } else {
                format!("Racer+{n}@BigCo.com")
            };
            (n % 10, booking(&starts[n * 2], &email))
        })
        .collect();
    let responses = futures_util::future::join_all(
        bodies
            .iter()
            .map(|(link, body)| book(&app, &links[*link], body)),
    )
    .await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        18,
        "{statuses:?}"
    );
    let booked: Value = app
        .get_json("/api/v1/meetings?limit=500", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(booked["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_link_made_for_a_lead_counts_that_lead_whatever_the_form_says() {
    let app = spawn_app().await;
    let links = open_links(&app, json!({}), 1).await;
    let lead = app.create_lead("lee@bigco.com", true).await;
    let meeting_type_id = links[0]["meeting_type_id"].clone();
    let response = app
        .post_json(
            "/api/v1/booking-links",
            &app.admin_key,
            &json!({"meeting_type_id": meeting_type_id, "lead_id": lead["id"]}),
        )
        .await;
    assert_eq!(response.status(), 201);
    let for_lee: Value = response.json().await.unwrap();
    let starts = free_starts(&app, &links[0]).await;
    assert_eq!(
        book_as(&app, &for_lee, &starts[0], "assistant@bigco.com")
            .await
            .status(),
        201
    );
    assert_limit(
        book_as(&app, &for_lee, &starts[2], "someone.else@bigco.com").await,
        "booking-limit-per-link",
    )
    .await;
}

#[tokio::test]
async fn a_meeting_that_has_taken_place_no_longer_counts() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_with_clock(clock.clone()).await;
    let links = open_links(&app, json!({}), 1).await;
    let starts = free_starts(&app, &links[0]).await;
    assert_eq!(
        book_as(&app, &links[0], &starts[0], "pat@bigco.com")
            .await
            .status(),
        201
    );
    clock.advance(Duration::days(2));
    let day = (clock.now() + Duration::days(1)).format("%Y-%m-%d");
    let offered: Value = slots(&app, &links[0], &format!("from={day}&to={day}&tz=UTC"))
        .await
        .json()
        .await
        .unwrap();
    let later = offered["slots"][0]["start"].as_str().unwrap();
    assert_eq!(
        book_as(&app, &links[0], later, "pat@bigco.com")
            .await
            .status(),
        201
    );
}
