//! Meetings in the past stay in the past: once a meeting has started, its manage link can
//! neither move nor cancel it, nor can anyone on the API but an admin.

use std::sync::Arc;

use chrono::{Duration, Utc};
use convene::auth::roles::Role;
use convene::clock::{Clock, FixedClock};
use serde_json::{json, Value};

use crate::booking::{book, booking, first_slot, open_type, slots};
use crate::emails::emails;
use crate::helpers::{assert_problem, csrf_token_in, spawn_app_with_clock, TestApp};
use crate::outcomes::put_json;

/// A meeting booked through a link tomorrow: the link, the manage page's path and the
/// meeting's id.
struct Booked {
    link: Value,
    path: String,
    meeting_id: String,
}

async fn book_tomorrow(app: &TestApp, overrides: Value) -> Booked {
    let (_, link) = open_type(app, overrides).await;
    let start = first_slot(app, &link).await;
    let response = book(app, &link, &booking(&start, "pat@bigco.com")).await;
    assert_eq!(response.status(), 201);
    let confirmation: Value = response.json().await.unwrap();
    let path = confirmation["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();
    let meeting_id = meeting_of(app, confirmation["meeting_request_id"].as_str().unwrap()).await;
    Booked {
        link,
        path,
        meeting_id,
    }
}

/// The meeting (or held slot) of request `request_id`.
async fn meeting_of(app: &TestApp, request_id: &str) -> String {
    for query in ["limit=500", "status=held&limit=500"] {
        let listed: Value = app
            .get_json(&format!("/api/v1/meetings?{query}"), &app.admin_key)
            .await
            .json()
            .await
            .unwrap();
        let found = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["meeting_request_id"] == request_id);
        if let Some(meeting) = found {
            return meeting["id"].as_str().unwrap().to_owned();
        }
    }
    panic!("request {request_id} has no meeting");
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

/// The first slot offered on the day after the app's clock, in UTC.
async fn slot_after(app: &TestApp, clock: &FixedClock, link: &Value) -> String {
    let day = (clock.now() + Duration::days(1)).format("%Y-%m-%d");
    let body: Value = slots(app, link, &format!("from={day}&to={day}&tz=UTC"))
        .await
        .json()
        .await
        .unwrap();
    body["slots"][0]["start"]
        .as_str()
        .expect("a free slot")
        .to_owned()
}

async fn meeting(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/api/v1/meetings/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap()
}

/// Changes leave emails behind; refused ones must not.
async fn change_emails(app: &TestApp, meeting_id: &str) -> usize {
    let mut count = 0;
    for kind in ["update", "cancel"] {
        count += emails(app, &format!("meeting_id={meeting_id}&kind={kind}"))
            .await
            .len();
    }
    count
}

async fn assert_started(response: reqwest::Response) {
    let problem = assert_problem(response, 409).await;
    assert_eq!(problem["type"], "/problems/meeting-started", "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("can no longer be moved or cancelled"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_started_meeting_cannot_be_moved_or_cancelled_from_its_manage_link() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_with_clock(clock.clone()).await;
    let booked = book_tomorrow(&app, json!({})).await;
    let path = &booked.path;
    let page = app
        .client
        .get(app.url(&format!("{path}?cancel=1")))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("action=\"{path}/cancel\"")));
    let csrf = csrf_token_in(&html);

    clock.advance(Duration::days(2));
    let later = slot_after(&app, &clock, &booked.link).await;
    assert_started(post(&app, &format!("{path}/cancel"), json!({})).await).await;
    assert_started(post(&app, &format!("{path}/reschedule"), json!({"start": later})).await).await;

    for (action, fields) in [
        (
            "cancel",
            vec![("csrf_token", csrf.as_str()), ("reason", "")],
        ),
        (
            "reschedule",
            vec![("csrf_token", csrf.as_str()), ("start", later.as_str())],
        ),
    ] {
        let refused = post_form(&app, &format!("{path}/{action}"), &fields).await;
        assert_eq!(refused.status(), 409, "{action} from the page's form");
        let html = refused.text().await.unwrap();
        assert!(
            html.contains("can no longer be moved or cancelled") && html.contains("Confirmed"),
            "the manage page says why: {html}"
        );
    }

    let unchanged = meeting(&app, &booked.meeting_id).await;
    assert_eq!(
        (unchanged["status"].as_str(), unchanged["sequence"].as_i64()),
        (Some("scheduled"), Some(0))
    );
    assert_eq!(change_emails(&app, &booked.meeting_id).await, 0);

    let page = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("already started"), "{html}");
    assert!(
        !html.contains(&format!("action=\"{path}/cancel\""))
            && !html.contains(&format!("action=\"{path}/reschedule\""))
            && !html.contains("open-reschedule")
            && !html.contains("open-cancel"),
        "the page offers no change: {html}"
    );
}

#[tokio::test]
async fn held_and_recorded_meetings_in_the_past_stay_as_they_are() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_with_clock(clock.clone()).await;
    let awaiting = book_tomorrow(&app, json!({"requires_approval": true})).await;
    clock.advance(Duration::days(2));
    assert_started(post(&app, &format!("{}/cancel", awaiting.path), json!({})).await).await;
    assert_eq!(meeting(&app, &awaiting.meeting_id).await["status"], "held");

    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_with_clock(clock.clone()).await;
    let recorded = book_tomorrow(&app, json!({})).await;
    clock.advance(Duration::days(2));
    let outcome = put_json(
        &app,
        &format!("/api/v1/meetings/{}/outcome", recorded.meeting_id),
        &app.admin_key,
        &json!({"status": "held"}),
    )
    .await;
    assert_eq!(outcome.status(), 200);
    assert_started(post(&app, &format!("{}/cancel", recorded.path), json!({})).await).await;
    assert_eq!(change_emails(&app, &recorded.meeting_id).await, 0);
}

#[tokio::test]
async fn only_admins_change_started_meetings_through_the_api() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_with_clock(clock.clone()).await;
    let booked = book_tomorrow(&app, json!({})).await;
    clock.advance(Duration::days(2));
    let later = slot_after(&app, &clock, &booked.link).await;
    let manager = app.key_for(Role::MeetingManager);
    let path = format!("/api/v1/meetings/{}", booked.meeting_id);

    assert_started(
        app.post_json(
            &format!("{path}/reschedule"),
            &manager,
            &json!({"start": later}),
        )
        .await,
    )
    .await;
    assert_started(
        app.post_json(&format!("{path}/cancel"), &manager, &json!({}))
            .await,
    )
    .await;
    assert_eq!(change_emails(&app, &booked.meeting_id).await, 0);

    let moved = app
        .post_json(
            &format!("{path}/reschedule"),
            &app.admin_key,
            &json!({"start": later}),
        )
        .await;
    assert_eq!(moved.status(), 200, "admins correct the record");
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["sequence"], 1);
    clock.advance(Duration::days(3));
    let cancelled = app
        .post_json(&format!("{path}/cancel"), &app.admin_key, &json!({}))
        .await;
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
}
