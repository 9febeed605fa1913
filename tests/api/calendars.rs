//! Google and Microsoft 365 calendars, end to end against `fake_providers.py`: the OAuth
//! redirect flow with PKCE, busy times removed from public slots, events written, patched and
//! deleted by the worker, token refresh and rotation, refused grants, throttling and outages.

use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, Utc};
use convene::config::{Settings, UnreadableCalendar};
use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::booking::{book, booking, every_day, link_for, slots};
use crate::emails::emails;
use crate::fake_providers::FakeProviders;
use crate::helpers::{
    assert_problem, csrf_token_in, spawn_app, spawn_app_with, TestApp, TEST_PASSWORD,
};

async fn app_with(fake: &FakeProviders, more: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(|settings| {
        fake.configure(settings);
        more(settings);
    })
    .await
}

/// A host working every hour of every day in UTC, so times in tests are plain.
async fn host(app: &TestApp, email: &str, name: &str) -> String {
    let user = app
        .create_user(json!({"email": email, "name": name, "role": "host", "title": "VP", "timezone": "UTC", "working_hours": every_day()}))
        .await;
    user["id"].as_str().unwrap().to_owned()
}

async fn link_over(app: &TestApp, slug: &str, hosts: &[String]) -> Value {
    let meeting_type = app
        .create_meeting_type(
            slug,
            hosts,
            json!({"requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 30}),
        )
        .await;
    link_for(app, &meeting_type, json!({})).await
}

/// A day far enough ahead that minimum notice and "now" never matter.
fn day() -> String {
    (Utc::now() + ChronoDuration::days(3))
        .format("%Y-%m-%d")
        .to_string()
}

fn at(hour_minute: &str) -> String {
    format!("{}T{hour_minute}:00Z", day())
}

/// A host (see [`host`]) whose `provider` calendar, as `account`, is connected.
async fn connected_host(
    app: &TestApp,
    fake: &FakeProviders,
    email: &str,
    provider: &str,
    account: &str,
) -> String {
    let id = host(app, email, email).await;
    let callback = connect(app, fake, &id, provider, account).await;
    assert_eq!(callback.status(), 200);
    id
}

/// Starts connecting `user_id`'s calendar over the API; answers the pending connection.
async fn start_connection(app: &TestApp, user_id: &str, provider: &str) -> Value {
    let started = app
        .post_json(
            "/api/v1/calendar-connections",
            &app.admin_key,
            &json!({"user_id": user_id, "provider": provider}),
        )
        .await;
    assert_eq!(started.status(), 201);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["status"], "pending");
    started
}

/// Runs the whole redirect flow for `user_id` as the browser would; answers the callback.
async fn connect(
    app: &TestApp,
    fake: &FakeProviders,
    user_id: &str,
    provider: &str,
    account: &str,
) -> reqwest::Response {
    let started = start_connection(app, user_id, provider).await;
    fake.next_account(provider, account).await;
    follow_authorization(app, started["authorization_url"].as_str().unwrap()).await
}

/// The browser at the provider's authorize URL, sent back to Convene's callback.
async fn follow_authorization(app: &TestApp, authorization_url: &str) -> reqwest::Response {
    let consent = app.client.get(authorization_url).send().await.unwrap();
    assert_eq!(consent.status(), 302, "the provider sends the browser back");
    let location = consent.headers()["location"].to_str().unwrap().to_owned();
    let callback = url::Url::parse(&location).unwrap();
    assert_eq!(callback.path().split('/').nth(1), Some("oauth"));
    let path = format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    );
    app.client.get(app.url(&path)).send().await.unwrap()
}

async fn connections(app: &TestApp, user_id: &str) -> Vec<Value> {
    let body: Value = app
        .get_json(
            &format!("/api/v1/users/{user_id}/calendar-connections"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    body["items"].as_array().unwrap().clone()
}

async fn slot_starts(app: &TestApp, link: &Value) -> (Vec<String>, Value) {
    let body: Value = slots(app, link, &format!("from={}&to={}&tz=UTC", day(), day()))
        .await
        .json()
        .await
        .unwrap();
    let starts = body["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start_utc"].as_str().unwrap().to_owned())
        .collect();
    (starts, body)
}

/// Polls `check` until it answers something, while a running worker gets there (for at most
/// 30 s: generous, for slow machines).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn live_events(fake: &FakeProviders, provider: &str, email: &str) -> Vec<Value> {
    fake.events(provider, email)
        .await
        .into_iter()
        .filter(|event| event["deleted"] != true)
        .collect()
}

#[tokio::test]
async fn google_and_microsoft_hosts_connect_block_slots_and_get_events_written() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |_| {}).await;
    let grace = host(&app, "grace@example.com", "Grace Google").await;
    let mike = host(&app, "mike@example.com", "Mike Microsoft").await;

    let started = start_connection(&app, &grace, "google").await;
    let authorize = url::Url::parse(started["authorization_url"].as_str().unwrap()).unwrap();
    assert_eq!(authorize.path(), "/google/o/oauth2/v2/auth");
    let query: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["code_challenge"].len(), 43);
    assert_eq!(query["access_type"], "offline");
    assert_eq!(query["prompt"], "consent");
    assert_eq!(query["login_hint"], "grace@example.com");
    assert!(query["state"].len() >= 43, "state carries 256 bits");
    assert!(query["redirect_uri"].ends_with("/oauth/google/callback"));
    fake.next_account("google", "grace.work@example.com").await;
    let callback = follow_authorization(&app, started["authorization_url"].as_str().unwrap()).await;
    assert_eq!(callback.status(), 200);
    assert!(callback
        .text()
        .await
        .unwrap()
        .contains("grace.work@example.com"));
    let google = connections(&app, &grace).await;
    assert_eq!(google.len(), 1);
    assert_eq!(google[0]["status"], "active");
    assert_eq!(google[0]["account_email"], "grace.work@example.com");
    let token_requests = fake.requests("/google/token").await;
    assert_eq!(token_requests.len(), 1);
    assert_eq!(
        token_requests[0]["form"]["grant_type"],
        "authorization_code"
    );
    assert_eq!(
        token_requests[0]["form"]["code_verifier"]
            .as_str()
            .unwrap()
            .len(),
        43
    );

    // The state worked once: the same callback again is refused and stores nothing.
    let reused = app
        .client
        .get(app.url(&format!(
            "/oauth/google/callback?code=x&state={}",
            query["state"]
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 400);

    let microsoft = connect(&app, &fake, &mike, "microsoft", "mike@contoso.com").await;
    assert_eq!(microsoft.status(), 200);
    let listed = connections(&app, &mike).await;
    assert_eq!(listed[0]["status"], "active");
    assert_eq!(listed[0]["account_email"], "mike@contoso.com");
    let authorize_requests = fake
        .requests("/microsoft/contoso-tenant/oauth2/v2.0/authorize")
        .await;
    assert_eq!(authorize_requests.len(), 1, "the tenant comes from config");
    for listing in [&google, &listed] {
        let text = serde_json::to_string(listing).unwrap();
        assert!(
            !text.contains("token"),
            "connections never show tokens: {text}"
        );
    }

    fake.set_busy(
        "google",
        "grace.work@example.com",
        &[(&at("10:00"), &at("11:00"))],
    )
    .await;
    fake.set_busy(
        "microsoft",
        "mike@contoso.com",
        &[(&at("14:00"), &at("15:00"))],
    )
    .await;
    let link = link_over(&app, "both", &[grace.clone(), mike.clone()]).await;
    let (starts, body) = slot_starts(&app, &link).await;
    assert_eq!(body["degraded_hosts"], json!([]));
    for busy in ["10:00", "10:30", "14:00", "14:30"] {
        assert!(!starts.contains(&at(busy)), "{busy} is busy in a calendar");
    }
    for free in ["09:30", "11:00", "13:30", "15:00"] {
        assert!(starts.contains(&at(free)), "{free} is free everywhere");
    }
    assert!(!fake
        .requests("/microsoft/graph/v1.0/me/calendar/getSchedule")
        .await[0]["headers"]["prefer"]
        .is_null());

    // A booking over a calendar's busy time is refused; a free one is written to both.
    let refused = book(&app, &link, &booking(&at("10:00"), "pat@prospect.example")).await;
    assert_eq!(refused.status(), 409);
    let booked = book(&app, &link, &booking(&at("09:00"), "pat@prospect.example")).await;
    assert_eq!(booked.status(), 201);
    app.run_pending_jobs().await;
    let google_event = live_events(&fake, "google", "grace.work@example.com")
        .await
        .pop()
        .expect("the Google event");
    assert_eq!(google_event["query"]["sendUpdates"], "none");
    assert_eq!(
        google_event["start"]["dateTime"],
        format!("{}T09:00:00+00:00", day())
    );
    assert_eq!(
        google_event["end"]["dateTime"],
        format!("{}T09:30:00+00:00", day())
    );
    let attendees: Vec<&str> = google_event["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert!(attendees.contains(&"pat@prospect.example"));
    assert!(attendees.contains(&"mike@example.com"));
    assert!(google_event["description"]
        .as_str()
        .unwrap()
        .contains("BigCo"));
    let graph_event = live_events(&fake, "microsoft", "mike@contoso.com")
        .await
        .pop()
        .expect("the Microsoft event");
    assert!(graph_event["start"]["dateTime"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}T09:00:00", day())));
    assert_eq!(graph_event["start"]["timeZone"], "UTC");
    assert!(
        graph_event["attendees"].is_null() || graph_event["attendees"] == json!([]),
        "Outlook would invite attendees itself"
    );

    let meetings: Value = app
        .get_json("/api/v1/meetings", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let meeting_id = meetings["items"][0]["id"].as_str().unwrap().to_owned();
    let detail: Value = app
        .get_json(&format!("/api/v1/meetings/{meeting_id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let mut written: Vec<(String, String)> = detail["calendar_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["provider"].as_str().unwrap().to_owned(),
                e["external_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    written.sort();
    assert_eq!(
        written,
        vec![
            (
                "google".to_owned(),
                google_event["id"].as_str().unwrap().to_owned()
            ),
            (
                "microsoft".to_owned(),
                graph_event["id"].as_str().unwrap().to_owned()
            ),
        ]
    );

    let moved = app
        .post_json(
            &format!("/api/v1/meetings/{meeting_id}/reschedule"),
            &app.admin_key,
            &json!({"start": at("11:30")}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    app.run_pending_jobs().await;
    let google = live_events(&fake, "google", "grace.work@example.com").await;
    let graph = live_events(&fake, "microsoft", "mike@contoso.com").await;
    assert_eq!((google.len(), graph.len()), (1, 1), "one event each");
    assert_eq!(
        google[0]["start"]["dateTime"],
        format!("{}T11:30:00+00:00", day()),
        "the Google event moved"
    );
    assert!(
        graph[0]["start"]["dateTime"]
            .as_str()
            .is_some_and(|at| at.starts_with(&format!("{}T11:30:00", day()))),
        "the Microsoft event moved: {}",
        graph[0]
    );
    let google_history = &fake.events("google", "grace.work@example.com").await[0]["history"];
    assert!(
        google_history
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["op"] == "patch" || h == "patch"),
        "moved by a patch, not a new event: {google_history}"
    );

    let cancelled = app
        .post_json(
            &format!("/api/v1/meetings/{meeting_id}/cancel"),
            &app.admin_key,
            &json!({"reason": "conflict"}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    app.run_pending_jobs().await;
    assert!(
        live_events(&fake, "google", "grace.work@example.com")
            .await
            .is_empty()
            && live_events(&fake, "microsoft", "mike@contoso.com")
                .await
                .is_empty(),
        "both events deleted"
    );
    assert_eq!(
        fake.events("google", "grace.work@example.com").await.len(),
        1
    );
}

#[tokio::test]
async fn connecting_refuses_bad_input_and_unconfigured_providers() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |_| {}).await;
    let grace = host(&app, "grace@example.com", "Grace").await;
    let bad = app
        .post_json(
            "/api/v1/calendar-connections",
            &app.admin_key,
            &json!({"user_id": grace, "provider": "yahoo"}),
        )
        .await;
    assert_problem(bad, 422).await;
    let unknown = app
        .post_json(
            "/api/v1/calendar-connections",
            &app.admin_key,
            &json!({"user_id": uuid::Uuid::new_v4().to_string(), "provider": "google"}),
        )
        .await;
    assert_problem(unknown, 404).await;
    let hostile = app
        .client
        .get(app.url("/oauth/google/callback?code=abc&state=%00%27%22<script>"))
        .send()
        .await
        .unwrap();
    assert_eq!(hostile.status(), 400);
    let no_state = app
        .client
        .get(app.url("/oauth/google/callback?code=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_state.status(), 400);

    // The user declines at the provider: nothing is connected.
    let started = start_connection(&app, &grace, "google").await;
    fake.control("deny-next", json!({"provider": "google"}))
        .await;
    let declined = follow_authorization(&app, started["authorization_url"].as_str().unwrap()).await;
    assert_eq!(declined.status(), 400);
    let listed = connections(&app, &grace).await;
    assert_eq!(listed[0]["status"], "pending");
    assert!(listed[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("declined"));

    let plain = spawn_app().await;
    let someone = host(&plain, "someone@example.com", "Someone").await;
    let unconfigured = plain
        .post_json(
            "/api/v1/calendar-connections",
            &plain.admin_key,
            &json!({"user_id": someone, "provider": "microsoft"}),
        )
        .await;
    let problem = assert_problem(unconfigured, 422).await;
    assert!(problem["errors"]["provider"][0]
        .as_str()
        .unwrap()
        .contains("not configured"));
}

#[tokio::test]
async fn unreadable_calendars_make_their_host_busy_and_alert_once() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |settings| {
        settings.calendars.freebusy_timeout_ms = 700
    })
    .await;
    let manager = app
        .create_user(json!({"email": "mona@example.com", "name": "Mona Manager", "role": "meeting_manager", "timezone": "UTC"}))
        .await;
    let grace = connected_host(
        &app,
        &fake,
        "grace@example.com",
        "google",
        "grace@example.com",
    )
    .await;
    let link = link_over(&app, "solo", std::slice::from_ref(&grace)).await;
    let (open, _) = slot_starts(&app, &link).await;
    assert!(!open.is_empty());

    fake.fail("/google/calendar/v3/freeBusy", 500, -1, None, 0)
        .await;
    for _ in 0..3 {
        let (starts, body) = slot_starts(&app, &link).await;
        assert!(
            starts.is_empty(),
            "a host whose calendar cannot be read is never offered"
        );
        assert_eq!(body["degraded_hosts"], json!([grace]));
    }
    let booked = book(&app, &link, &booking(&at("09:00"), "pat@prospect.example")).await;
    assert_eq!(booked.status(), 409, "nor booked");
    let lead = app.create_lead("lee@prospect.example", true).await;
    let request: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": link["meeting_type_id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let offered: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}/slots?from={}&to={}&tz=UTC",
                request["id"].as_str().unwrap(),
                day(),
                day()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(offered["slots"], json!([]), "{offered}");
    assert_eq!(
        offered["degraded_hosts"],
        json!([grace]),
        "the request's slots say why"
    );
    let alerts = emails(&app, "kind=calendar_unreadable").await;
    let mut recipients: Vec<&str> = alerts.iter().map(|e| e["to"].as_str().unwrap()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        vec!["grace@example.com", manager["email"].as_str().unwrap()],
        "one alert each, not one per request"
    );
    let listed = connections(&app, &grace).await;
    assert!(listed[0]["last_error"].as_str().unwrap().contains("500"));

    // Readable again: offered again, and a later incident alerts again.
    fake.clear_failures().await;
    let (starts, body) = slot_starts(&app, &link).await;
    assert_eq!(starts, open);
    assert_eq!(body["degraded_hosts"], json!([]));

    // A slow calendar counts as unreadable after the timeout.
    fake.fail("/google/calendar/v3/freeBusy", 0, 1, None, 1500)
        .await;
    let started = Instant::now();
    let (starts, body) = slot_starts(&app, &link).await;
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "the answer did not wait for the slow calendar"
    );
    assert!(starts.is_empty());
    assert_eq!(body["degraded_hosts"], json!([grace]));
    assert_eq!(emails(&app, "kind=calendar_unreadable").await.len(), 4);

    // Errors for the calendar inside a 200 answer are not "free" either.
    fake.clear_failures().await;
    fake.control(
        "calendar-error",
        json!({"provider": "google", "email": "grace@example.com", "reason": "notFound"}),
    )
    .await;
    let (starts, body) = slot_starts(&app, &link).await;
    assert!(starts.is_empty());
    assert_eq!(body["degraded_hosts"], json!([grace]));
}

#[tokio::test]
async fn convene_only_fallback_offers_the_host_and_marks_the_answer_partial() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |settings| {
        settings.calendars.on_unreadable = UnreadableCalendar::ConveneOnly;
    })
    .await;
    let grace = connected_host(
        &app,
        &fake,
        "grace@example.com",
        "google",
        "grace@example.com",
    )
    .await;
    let link = link_over(&app, "solo", std::slice::from_ref(&grace)).await;
    let (readable, body) = slot_starts(&app, &link).await;
    assert_eq!(body["partial"], false);
    fake.fail("/google/calendar/v3/freeBusy", 503, -1, None, 0)
        .await;
    let (starts, body) = slot_starts(&app, &link).await;
    assert_eq!(starts, readable);
    assert_eq!(body["partial"], true);
    assert_eq!(body["degraded_hosts"], json!([grace]));
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_and_rotated_refresh_tokens_kept() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |_| {}).await;
    let grace = host(&app, "grace@example.com", "Grace").await;
    let mike = host(&app, "mike@example.com", "Mike").await;
    assert_eq!(
        connect(&app, &fake, &grace, "google", "grace@example.com")
            .await
            .status(),
        200
    );
    // Tokens that expire within the refresh margin are refreshed before every use.
    fake.control("access-ttl", json!({"seconds": 30})).await;
    assert_eq!(
        connect(&app, &fake, &mike, "microsoft", "mike@contoso.com")
            .await
            .status(),
        200
    );
    let link = link_over(&app, "pair", &[grace.clone(), mike.clone()]).await;
    for _ in 0..3 {
        let (starts, body) = slot_starts(&app, &link).await;
        assert!(!starts.is_empty());
        assert_eq!(body["degraded_hosts"], json!([]));
    }
    let refreshes: Vec<Value> = fake
        .requests("/microsoft/contoso-tenant/oauth2/v2.0/token")
        .await
        .into_iter()
        .filter(|r| r["form"]["grant_type"] == "refresh_token")
        .collect();
    assert_eq!(
        refreshes.len(),
        3,
        "one refresh per read of a short-lived token"
    );
    assert!(
        refreshes.iter().all(|r| r["status"] == 200),
        "each refresh used the rotated token"
    );
    let tokens = fake.tokens("microsoft").await;
    let valid: Vec<&Value> = tokens["refresh_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["valid"] == true)
        .collect();
    assert_eq!(
        valid.len(),
        1,
        "rotation leaves exactly one live refresh token"
    );
    let presented = refreshes.last().unwrap()["form"]["refresh_token"]
        .as_str()
        .unwrap();
    let rotated_away = tokens["refresh_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["token"] == presented)
        .unwrap();
    assert_eq!(
        rotated_away["valid"], false,
        "the last refresh presented the newest token, which it then rotated"
    );

    // A 401 before expiry: refreshed once and retried, the answer unaffected.
    fake.control("expire-access-tokens", json!({"provider": "google"}))
        .await;
    let (starts, body) = slot_starts(&app, &link).await;
    assert!(!starts.is_empty());
    assert_eq!(body["degraded_hosts"], json!([]));
    let google_reads = fake.requests("/google/calendar/v3/freeBusy").await;
    let statuses: Vec<i64> = google_reads
        .iter()
        .rev()
        .take(2)
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, vec![200, 401]);
    let google_refreshes = fake
        .requests("/google/token")
        .await
        .into_iter()
        .filter(|r| r["form"]["grant_type"] == "refresh_token")
        .count();
    assert_eq!(google_refreshes, 1);
    assert_eq!(connections(&app, &grace).await[0]["status"], "active");
}

#[tokio::test]
async fn a_refused_grant_asks_the_user_to_reconnect_and_reconnecting_heals() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |settings| {
        settings.webhooks.allow_private_destinations = true;
    })
    .await;
    let receiver = crate::webhook_receiver::Receiver::start();
    let webhook =
        crate::webhooks::subscribe(&app, &receiver.url, json!(["calendar_connection.failed"]))
            .await;
    let mike = connected_host(
        &app,
        &fake,
        "mike@example.com",
        "microsoft",
        "mike@contoso.com",
    )
    .await;
    let link = link_over(&app, "solo", std::slice::from_ref(&mike)).await;
    fake.control("revoke-refresh-tokens", json!({"provider": "microsoft"}))
        .await;
    fake.control("expire-access-tokens", json!({"provider": "microsoft"}))
        .await;
    for _ in 0..2 {
        let (starts, body) = slot_starts(&app, &link).await;
        assert!(starts.is_empty());
        assert_eq!(body["degraded_hosts"], json!([mike]));
    }
    let listed = connections(&app, &mike).await;
    assert_eq!(listed[0]["status"], "error");
    assert!(listed[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("connect the calendar again"));
    let asked = emails(&app, "kind=calendar_reconnect").await;
    assert_eq!(asked.len(), 1, "asked once");
    assert_eq!(asked[0]["to"], "mike@example.com");
    let failed = crate::events::events_of(&app, "calendar_connection.failed").await;
    assert_eq!(failed.len(), 1, "integrations hear of it once");
    for field in ["id", "user_id", "provider", "account_email", "status"] {
        assert_eq!(failed[0]["data"][field], listed[0][field], "{field}");
    }
    app.run_pending_jobs().await;
    let delivered = receiver.received();
    assert_eq!(delivered.len(), 1, "the subscriber hears of it once");
    assert_eq!(delivered[0].json(), failed[0]);
    let secret = webhook["secret"].as_str().unwrap();
    assert_eq!(
        crate::webhooks::reference_library_verifies(&delivered[0], &[secret]).await,
        [true]
    );

    let again = connect(&app, &fake, &mike, "microsoft", "mike@contoso.com").await;
    assert_eq!(again.status(), 200);
    assert_eq!(connections(&app, &mike).await[0]["status"], "active");
    let (starts, body) = slot_starts(&app, &link).await;
    assert!(!starts.is_empty());
    assert_eq!(body["degraded_hosts"], json!([]));
}

#[tokio::test]
async fn event_writes_wait_out_throttling_and_outages_without_losing_a_write() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |settings| settings.worker.enabled = true).await;
    let grace = connected_host(
        &app,
        &fake,
        "grace@example.com",
        "google",
        "grace@example.com",
    )
    .await;
    let link = link_over(&app, "solo", std::slice::from_ref(&grace)).await;
    fake.fail(
        "/google/calendar/v3/calendars/primary/events",
        429,
        1,
        Some("2"),
        0,
    )
    .await;
    let booked = book(&app, &link, &booking(&at("09:00"), "pat@prospect.example")).await;
    assert_eq!(booked.status(), 201);
    eventually("the event after the throttle", || async {
        live_events(&fake, "google", "grace@example.com")
            .await
            .pop()
    })
    .await;
    let writes: Vec<Value> = fake
        .requests("/google/calendar/v3/calendars/primary/events")
        .await
        .into_iter()
        .filter(|r| r["method"] == "POST")
        .collect();
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[0]["status"], 429);
    let waited = writes[1]["time"].as_f64().unwrap() - writes[0]["time"].as_f64().unwrap();
    assert!(
        waited >= 1.9,
        "the retry honoured Retry-After: 2 (came after {waited:.2} s)"
    );

    // The provider down for a while: the cancellation waits and then lands.
    fake.fail(
        "/google/calendar/v3/calendars/primary/events",
        -1,
        3,
        None,
        0,
    )
    .await;
    let meetings: Value = app
        .get_json("/api/v1/meetings", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let meeting_id = meetings["items"][0]["id"].as_str().unwrap();
    let cancelled = app
        .post_json(
            &format!("/api/v1/meetings/{meeting_id}/cancel"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    eventually("the delete after the outage", || async {
        live_events(&fake, "google", "grace@example.com")
            .await
            .is_empty()
            .then_some(())
    })
    .await;
    let deletes = fake
        .requests("/google/calendar/v3/calendars/primary/events")
        .await
        .into_iter()
        .filter(|r| r["method"] == "DELETE")
        .count();
    assert_eq!(
        deletes, 4,
        "three failed attempts, then the one that landed"
    );
}

#[tokio::test]
async fn disconnecting_revokes_the_google_grant_and_forgets_the_calendar() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |_| {}).await;
    let grace = connected_host(
        &app,
        &fake,
        "grace@example.com",
        "google",
        "grace@example.com",
    )
    .await;
    fake.set_busy(
        "google",
        "grace@example.com",
        &[(&at("10:00"), &at("11:00"))],
    )
    .await;
    let link = link_over(&app, "solo", std::slice::from_ref(&grace)).await;
    let (busy, _) = slot_starts(&app, &link).await;
    assert!(!busy.contains(&at("10:00")));
    let id = connections(&app, &grace).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let host_key = app.key_for(convene::auth::roles::Role::Host);
    let refused = app
        .client
        .delete(app.url(&format!("/api/v1/calendar-connections/{id}")))
        .bearer_auth(&host_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        403,
        "a key that is not the user's cannot disconnect"
    );
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/calendar-connections/{id}")))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let revokes = fake.requests("/google/revoke").await;
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0]["status"], 200);
    assert!(connections(&app, &grace).await.is_empty());
    let (free, body) = slot_starts(&app, &link).await;
    assert!(
        free.contains(&at("10:00")),
        "Convene's own data only, once disconnected"
    );
    assert_eq!(body["degraded_hosts"], json!([]));
    let again = app
        .client
        .delete(app.url(&format!("/api/v1/calendar-connections/{id}")))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_problem(again, 404).await;
}

#[tokio::test]
async fn a_users_page_offers_connecting_behind_csrf_and_only_to_them_and_admins() {
    let fake = FakeProviders::start();
    let app = app_with(&fake, |_| {}).await;
    let dana = app.create_user_with_password("dana@example.com", "host");
    let other = host(&app, "other@example.com", "Other").await;
    assert_eq!(
        sign_in(&app, "dana@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
    let page = app
        .client
        .get(app.url(&format!("/admin/users/{dana}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Connect Google") && html.contains("Connect Microsoft"));
    let token = csrf_token_in(&html);
    let forged = app
        .client
        .post(app.url(&format!("/admin/users/{dana}/calendars")))
        .form(&[("csrf_token", "forged"), ("provider", "google")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let started = app
        .client
        .post(app.url(&format!("/admin/users/{dana}/calendars")))
        .form(&[("csrf_token", token.as_str()), ("provider", "google")])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    let location = started.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{}/google/o/oauth2/v2/auth?", fake.base())),
        "{location}"
    );
    let callback = follow_authorization(&app, location).await;
    assert_eq!(callback.status(), 200);
    let html = app
        .client
        .get(app.url(&format!("/admin/users/{dana}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Disconnect") && !html.contains("Connect Google"));

    // Someone else's calendars are not a host's to see or connect.
    let elsewhere = app
        .client
        .get(app.url(&format!("/admin/users/{other}")))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    let connect_other = app
        .client
        .post(app.url(&format!("/admin/users/{other}/calendars")))
        .form(&[("csrf_token", token.as_str()), ("provider", "google")])
        .send()
        .await
        .unwrap();
    assert_eq!(connect_other.status(), 403);
    assert!(connections(&app, &other).await.is_empty());
}

#[tokio::test]
async fn an_authorization_older_than_ten_minutes_is_refused_and_stores_nothing() {
    use convene::db::schema::oauth_states;
    use diesel::{ExpressionMethods, RunQueryDsl};
    let fake = FakeProviders::start();
    let app = app_with(&fake, |_| {}).await;
    let grace = host(&app, "grace@example.com", "Grace").await;
    let started = start_connection(&app, &grace, "google").await;
    let eleven_minutes_ago = (Utc::now() - ChronoDuration::minutes(11)).naive_utc();
    let mut conn = app.db.connection().unwrap();
    diesel::update(oauth_states::table)
        .set(oauth_states::expires_at.eq(eleven_minutes_ago + ChronoDuration::minutes(10)))
        .execute(&mut *conn)
        .unwrap();
    let callback = follow_authorization(&app, started["authorization_url"].as_str().unwrap()).await;
    assert_eq!(callback.status(), 400);
    assert!(callback.text().await.unwrap().contains("expired"));
    let listed = connections(&app, &grace).await;
    assert_eq!(listed[0]["status"], "pending");
    assert!(listed[0]["account_email"].is_null());
    assert!(
        fake.requests("/google/token").await.is_empty(),
        "no code was exchanged"
    );
}
