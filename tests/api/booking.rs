//! Booking links and public booking through the JSON contract.

use chrono::{Duration, Utc};
use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// Hours every day of the week, so tests do not depend on today's weekday.
pub fn every_day() -> Value {
    let all_day = json!([["00:00", "24:00"]]);
    json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day})
}

pub async fn always_available_host(app: &TestApp, email: &str) -> String {
    let user = app
        .create_user(json!({"email": email, "name": "Dana Exec", "role": "host", "title": "CEO", "timezone": "Europe/Berlin", "working_hours": every_day()}))
        .await;
    user["id"].as_str().unwrap().to_owned()
}

pub async fn link_for(app: &TestApp, meeting_type: &Value, extra: Value) -> Value {
    let mut body = json!({"meeting_type_id": meeting_type["id"]});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let response = app
        .post_json("/api/v1/booking-links", &app.admin_key, &body)
        .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

pub async fn open_type(app: &TestApp, overrides: Value) -> (Value, Value) {
    let host = always_available_host(app, "dana@example.com").await;
    let mut settings =
        json!({"requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 30});
    settings
        .as_object_mut()
        .unwrap()
        .extend(overrides.as_object().unwrap().clone());
    let meeting_type = app.create_meeting_type("intro", &[host], settings).await;
    let link = link_for(app, &meeting_type, json!({})).await;
    (meeting_type, link)
}

pub fn tomorrow() -> String {
    (Utc::now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

pub async fn slots(app: &TestApp, link: &Value, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!(
            "/book/{}/slots?{query}",
            link["slug"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap()
}

pub async fn first_slot(app: &TestApp, link: &Value) -> String {
    let body: Value = slots(
        app,
        link,
        &format!("from={}&to={}&tz=Europe/Berlin", tomorrow(), tomorrow()),
    )
    .await
    .json()
    .await
    .unwrap();
    body["slots"][0]["start"]
        .as_str()
        .expect("a free slot tomorrow")
        .to_owned()
}

pub fn booking(start: &str, email: &str) -> Value {
    json!({"start": start, "name": "Pat Prospect", "email": email, "company": "BigCo", "timezone": "America/New_York",
           "bant": {"budget": true, "authority": true, "need": true, "timing": "now"}, "notes": "Pricing questions"})
}

pub async fn book(app: &TestApp, link: &Value, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/book/{}", link["slug"].as_str().unwrap())))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn links_have_unguessable_slugs_and_public_urls() {
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    assert!(slug.len() >= 22, "at least 128 bits");
    assert_eq!(link["url"], format!("http://127.0.0.1:8080/book/{slug}"));
    let other = link_for(&app, &meeting_type, json!({"max_uses": 3})).await;
    assert_ne!(other["slug"], link["slug"]);
    let list: Value = app
        .get_json(
            &format!(
                "/api/v1/booking-links?meeting_type_id={}",
                meeting_type["id"].as_str().unwrap()
            ),
            &app.key_for(Role::Marketer),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_problem(
        app.post_json(
            "/api/v1/booking-links",
            &app.key_for(Role::Host),
            &json!({"meeting_type_id": meeting_type["id"]}),
        )
        .await,
        403,
    )
    .await;
    for bad in [
        json!({"meeting_type_id": "nope"}),
        json!({"meeting_type_id": meeting_type["id"], "expires_at": "tomorrow"}),
        json!({"meeting_type_id": meeting_type["id"], "max_uses": 0}),
    ] {
        assert_problem(
            app.post_json("/api/v1/booking-links", &app.admin_key, &bad)
                .await,
            422,
        )
        .await;
    }
}

#[tokio::test]
async fn slots_are_in_the_asked_zone_and_validated() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    // Two days ahead in UTC is a whole future day in Kolkata whatever the hour (tomorrow in
    // UTC has already begun there in the evening).
    let day = (Utc::now() + Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let response = slots(&app, &link, &format!("from={day}&to={day}&tz=Asia/Kolkata")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (body["timezone"].as_str(), body["duration_minutes"].as_i64()),
        (Some("Asia/Kolkata"), Some(30))
    );
    assert_eq!(body["degraded_hosts"], json!([]));
    let first = &body["slots"][0];
    assert!(
        first["start"].as_str().unwrap().ends_with("+05:30"),
        "{first}"
    );
    assert!(first["start_utc"].as_str().unwrap().ends_with('Z'));
    let count = body["slots"].as_array().unwrap().len();
    assert_eq!(
        count, 48,
        "a whole free day of 30-minute slots on a 30-minute grid"
    );

    let far = (Utc::now() + Duration::days(70))
        .format("%Y-%m-%d")
        .to_string();
    for query in [
        format!("from={}&to={far}&tz=UTC", tomorrow()),
        "tz=Mars/Base".to_owned(),
        "from=2026-13-01".to_owned(),
        format!("from={}&to=2020-01-01", tomorrow()),
    ] {
        assert_problem(slots(&app, &link, &query).await, 422).await;
    }
    let unknown = app
        .client
        .get(app.url("/book/not-a-real-slug-at-all/slots"))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, 404).await;
}

#[tokio::test]
async fn booking_schedules_the_meeting_and_the_slot_disappears() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let start = first_slot(&app, &link).await;
    let response = book(&app, &link, &booking(&start, "pat@bigco.com")).await;
    assert_eq!(response.status(), 201);
    let confirmation: Value = response.json().await.unwrap();
    assert_eq!(confirmation["status"], "scheduled");
    assert!(confirmation["manage_url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:8080/m/"));
    assert_ne!(
        first_slot(&app, &link).await,
        start,
        "the booked slot is no longer offered"
    );
    assert_problem(
        book(&app, &link, &booking(&start, "other@bigco.com")).await,
        409,
    )
    .await;

    let request: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}",
                confirmation["meeting_request_id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(request["status"], "scheduled");
    let actions: Vec<&str> = request["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "submit", "schedule"]);
    let leads: Value = app
        .get_json("/api/v1/leads?q=pat@bigco.com", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        leads["items"][0]["stage"], "sql",
        "the booking's BANT answers scored the lead"
    );
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_slot_one_wins() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let start = first_slot(&app, &link).await;
    let bodies: Vec<Value> = (0..50)
        .map(|n| booking(&start, &format!("racer{n}@example.com")))
        .collect();
    let responses =
        futures_util::future::join_all(bodies.iter().map(|body| book(&app, &link, body))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        49,
        "{statuses:?}"
    );
    let requests: Value = app
        .get_json("/api/v1/meeting-requests?status=scheduled", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        requests["items"].as_array().unwrap().len(),
        1,
        "losers leave nothing half-written"
    );
}

#[tokio::test]
async fn approval_holds_the_slot_and_links_run_out() {
    let app = spawn_app().await;
    let (meeting_type, _) = open_type(&app, json!({"requires_approval": true})).await;
    let once = link_for(&app, &meeting_type, json!({"max_uses": 1})).await;
    let start = first_slot(&app, &once).await;
    let confirmation: Value = book(&app, &once, &booking(&start, "held@bigco.com"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(confirmation["status"], "pending_approval");
    let other = link_for(&app, &meeting_type, json!({})).await;
    assert_ne!(
        first_slot(&app, &other).await,
        start,
        "a held slot is not offered to others"
    );
    assert_problem(slots(&app, &once, "").await, 410).await;
    let start2 = first_slot(&app, &other).await;
    assert_problem(
        book(&app, &once, &booking(&start2, "late@bigco.com")).await,
        410,
    )
    .await;

    let patched = app
        .client
        .patch(app.url(&format!(
            "/api/v1/booking-links/{}",
            other["id"].as_str().unwrap()
        )))
        .bearer_auth(&app.admin_key)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_problem(
        book(&app, &other, &booking(&start2, "late@bigco.com")).await,
        410,
    )
    .await;
}

#[tokio::test]
async fn unqualified_prospects_and_bad_bookings_are_refused() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({"min_lead_score": 50})).await;
    let start = first_slot(&app, &link).await;
    let mut cold = booking(&start, "cold@example.com");
    cold["bant"] = json!({});
    assert_problem(book(&app, &link, &cold).await, 403).await;
    assert_eq!(
        first_slot(&app, &link).await,
        start,
        "a refused booking holds nothing"
    );

    let mut bad = booking("next tuesday", "not-an-email");
    bad["timezone"] = json!("Nowhere/City");
    let problem = assert_problem(book(&app, &link, &bad).await, 422).await;
    for field in ["start", "email", "timezone"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let off_grid = (Utc::now() + Duration::days(1))
        .format("%Y-%m-%dT10:07:00Z")
        .to_string();
    assert_problem(
        book(&app, &link, &booking(&off_grid, "grid@example.com")).await,
        409,
    )
    .await;
    let past = (Utc::now() - Duration::days(1))
        .format("%Y-%m-%dT10:00:00Z")
        .to_string();
    assert_problem(
        book(&app, &link, &booking(&past, "past@example.com")).await,
        409,
    )
    .await;
}

#[tokio::test]
async fn public_pages_are_rate_limited_per_client() {
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.public.requests_per_minute = 60;
        settings.public.burst = 5;
    })
    .await;
    let (_, link) = open_type(&app, json!({})).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(slots(&app, &link, "").await);
    }
    assert!(statuses[..5].iter().all(|r| r.status() == 200));
    let limited = statuses.pop().unwrap();
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_problem(limited, 429).await;
    assert_eq!(
        app.get_json("/api/v1/users", &app.admin_key).await.status(),
        200,
        "the API is not limited"
    );
}

/// Inserts a held meeting of `host` for `[start, end)` (UTC, `YYYY-MM-DD HH:MM:SS[.f]`), as a
/// calendar hold that arrived with sub-second times.
fn hold(app: &TestApp, meeting_type: &Value, lead: &Value, host: &str, start: &str, end: &str) {
    use diesel::RunQueryDsl;
    let mut conn = app.db.connection().unwrap();
    let (request_id, meeting_id) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let statements = [
        format!(
            "INSERT INTO meeting_requests (id, lead_id, meeting_type_id, status, notes, created_by, created_at, updated_at, \
             lead_campaign, lead_source) SELECT '{request_id}', l.id, '{}', 'pending_approval', NULL, 'system', '{start}', \
             '{start}', l.campaign, l.source FROM leads l WHERE l.id = '{}'",
            meeting_type["id"].as_str().unwrap(),
            lead["id"].as_str().unwrap()
        ),
        format!(
            "INSERT INTO meetings (id, meeting_request_id, status, start_utc, end_utc, prospect_timezone, ics_uid, sequence, \
             location, manage_token_hash, booking_link_id, created_at, updated_at, requested_at, meeting_type_id, \
             lead_campaign, lead_source) SELECT '{meeting_id}', r.id, 'held', '{start}', '{end}', 'UTC', '{meeting_id}@test', \
             0, NULL, NULL, NULL, '{start}', '{start}', r.created_at, r.meeting_type_id, r.lead_campaign, r.lead_source \
             FROM meeting_requests r WHERE r.id = '{request_id}'"
        ),
        format!("INSERT INTO meeting_hosts (meeting_id, user_id) VALUES ('{meeting_id}', '{host}')"),
    ];
    for statement in statements {
        diesel::sql_query(statement).execute(&mut *conn).unwrap();
    }
}

#[tokio::test]
async fn busy_time_ending_past_a_whole_second_blocks_the_next_slot() {
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    let host = meeting_type["host_ids"][0].as_str().unwrap();
    let lead = app.create_lead("held@example.com", false).await;
    let day = tomorrow();
    hold(
        &app,
        &meeting_type,
        &lead,
        host,
        &format!("{day} 09:00:00"),
        &format!("{day} 10:00:00.5"),
    );
    hold(
        &app,
        &meeting_type,
        &lead,
        host,
        &format!("{day} 13:00:00"),
        &format!("{day} 14:00:00"),
    );
    let body: Value = slots(&app, &link, &format!("from={day}&to={day}&tz=UTC"))
        .await
        .json()
        .await
        .unwrap();
    let starts: Vec<&str> = body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start_utc"].as_str().unwrap())
        .collect();
    let at = |time: &str| format!("{day}T{time}Z");
    assert!(
        starts.contains(&at("08:30:00").as_str()),
        "a slot may end where busy time starts"
    );
    assert!(!starts.contains(&at("09:30:00").as_str()));
    assert!(
        !starts.contains(&at("10:00:00").as_str()),
        "busy until 10:00:00.5 overlaps the 10:00 slot: {starts:?}"
    );
    assert!(starts.contains(&at("10:30:00").as_str()));
    assert!(
        starts.contains(&at("14:00:00").as_str()),
        "busy until 14:00:00 leaves 14:00 free"
    );
}
