//! Slots answers served from memory: any change that moves a slot shows in the very next answer.

use std::sync::Arc;

use chrono::{Duration, SecondsFormat, Utc};
use convene::clock::{Clock, FixedClock};
use serde_json::{json, Value};

use crate::booking::{book, booking, link_for, open_type, slots, tomorrow};
use crate::helpers::{assert_problem, spawn_app, spawn_app_on, spawn_app_with, TestApp};

fn tomorrow_in_berlin() -> String {
    format!("from={}&to={}&tz=Europe/Berlin", tomorrow(), tomorrow())
}

/// The slots answer's body as sent, and its starts.
async fn answer(app: &TestApp, link: &Value) -> (String, Vec<String>) {
    let response = slots(app, link, &tomorrow_in_berlin()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body = response.text().await.unwrap();
    let parsed: Value = serde_json::from_str(&body).unwrap();
    let starts = parsed["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start"].as_str().unwrap().to_owned())
        .collect();
    (body, starts)
}

async fn patch(app: &TestApp, path: &str, body: Value) {
    let response = app
        .client
        .patch(app.url(path))
        .bearer_auth(&app.admin_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "PATCH {path}");
}

#[tokio::test]
async fn repeated_identical_requests_get_identical_bodies() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let (first, starts) = answer(&app, &link).await;
    assert_eq!(starts.len(), 48);
    for _ in 0..3 {
        assert_eq!(answer(&app, &link).await.0, first);
    }
    let other_zone = slots(
        &app,
        &link,
        &format!("from={}&to={}&tz=Asia/Kolkata", tomorrow(), tomorrow()),
    )
    .await;
    assert_eq!(other_zone.status(), 200);
    assert_ne!(
        other_zone.text().await.unwrap(),
        first,
        "the zone is part of the question"
    );
}

#[tokio::test]
async fn a_booked_slot_is_gone_from_the_next_answer_and_back_after_a_cancel() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let (before, starts) = answer(&app, &link).await;
    let booked: Value = book(&app, &link, &booking(&starts[0], "pat@bigco.com"))
        .await
        .json()
        .await
        .unwrap();
    let (_, after) = answer(&app, &link).await;
    assert!(!after.contains(&starts[0]), "the booked slot is gone");
    assert_eq!(after.len(), starts.len() - 1);

    let manage = booked["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080");
    let cancelled = app
        .client
        .post(app.url(&format!("{manage}/cancel")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    assert_eq!(
        answer(&app, &link).await.0,
        before,
        "the cancelled slot is offered again"
    );
}

#[tokio::test]
async fn a_hosts_new_working_hours_change_the_answer_at_once() {
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    assert_eq!(answer(&app, &link).await.1.len(), 48);
    let mornings = json!([["09:00", "12:00"]]);
    let host = meeting_type["host_ids"][0].as_str().unwrap();
    patch(
        &app,
        &format!("/api/v1/users/{host}"),
        json!({"working_hours": {"mon": mornings, "tue": mornings, "wed": mornings, "thu": mornings, "fri": mornings, "sat": mornings, "sun": mornings}}),
    )
    .await;
    let (_, starts) = answer(&app, &link).await;
    assert_eq!(starts.len(), 6, "{starts:?}");
    assert!(starts[0].contains("T09:00:00"), "{starts:?}");
}

#[tokio::test]
async fn closed_links_and_meeting_types_answer_gone_at_once() {
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    let other = link_for(&app, &meeting_type, json!({})).await;
    answer(&app, &link).await;
    answer(&app, &other).await;
    patch(
        &app,
        &format!("/api/v1/booking-links/{}", link["id"].as_str().unwrap()),
        json!({"active": false}),
    )
    .await;
    assert_problem(slots(&app, &link, &tomorrow_in_berlin()).await, 410).await;
    answer(&app, &other).await;
    patch(
        &app,
        &format!(
            "/api/v1/meeting-types/{}",
            meeting_type["id"].as_str().unwrap()
        ),
        json!({"active": false}),
    )
    .await;
    assert_problem(slots(&app, &other, &tomorrow_in_berlin()).await, 410).await;
}

#[tokio::test]
async fn a_used_up_link_answers_gone_at_once() {
    let app = spawn_app().await;
    let (meeting_type, _) = open_type(&app, json!({})).await;
    let once = link_for(&app, &meeting_type, json!({"max_uses": 1})).await;
    let (_, starts) = answer(&app, &once).await;
    assert_eq!(
        book(&app, &once, &booking(&starts[0], "pat@bigco.com"))
            .await
            .status(),
        201
    );
    assert_problem(slots(&app, &once, &tomorrow_in_berlin()).await, 410).await;
}

#[tokio::test]
async fn a_link_that_expires_answers_gone_however_long_answers_are_kept() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_on(clock.clone(), |settings| {
        settings.public.slots_cache_ms = 600_000;
    })
    .await;
    let (meeting_type, _) = open_type(&app, json!({})).await;
    let expires_at = clock.now() + Duration::seconds(2);
    let link = link_for(
        &app,
        &meeting_type,
        json!({"expires_at": expires_at.to_rfc3339_opts(SecondsFormat::Millis, true)}),
    )
    .await;
    answer(&app, &link).await;
    clock.advance(Duration::seconds(3));
    assert_problem(slots(&app, &link, &tomorrow_in_berlin()).await, 410).await;
}

#[tokio::test]
async fn with_the_cache_off_answers_follow_changes_too() {
    let app = spawn_app_with(|settings| settings.public.slots_cache_ms = 0).await;
    let (_, link) = open_type(&app, json!({})).await;
    let (first, starts) = answer(&app, &link).await;
    assert_eq!(answer(&app, &link).await.0, first);
    assert_eq!(
        book(&app, &link, &booking(&starts[0], "pat@bigco.com"))
            .await
            .status(),
        201
    );
    assert!(!answer(&app, &link).await.1.contains(&starts[0]));
}
