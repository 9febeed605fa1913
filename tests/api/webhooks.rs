//! Webhooks: subscriptions, validation, roles, Standard Webhooks signatures (checked by our own
//! code and by the reference library), rotation, retries, auto-disable, redelivery and the
//! deliveries log.

use std::io::Write;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Timelike, Utc};
use convene::auth::roles::Role;
use convene::clock::{Clock, FixedClock};
use convene::db::write_transaction;
use convene::events::{EventType, Publisher};
use convene::webhooks::subscriber::WebhookDeliveries;
use diesel::RunQueryDsl;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{assert_problem, spawn_app, spawn_app_on, spawn_app_with, TestApp};
use crate::webhook_receiver::{Received, Receiver};

pub async fn app_allowing_private_destinations() -> TestApp {
    spawn_app_with(|settings| settings.webhooks.allow_private_destinations = true).await
}

async fn app_with_clock(clock: &Arc<FixedClock>) -> TestApp {
    spawn_app_on(clock.clone(), |settings| {
        settings.webhooks.allow_private_destinations = true;
    })
    .await
}

pub async fn subscribe(app: &TestApp, url: &str, events: Value) -> Value {
    let response = app
        .post_json(
            "/api/v1/webhooks",
            &app.admin_key,
            &json!({"url": url, "events": events, "description": "CRM sync"}),
        )
        .await;
    assert_eq!(response.status(), 201, "subscribe");
    response.json().await.unwrap()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

async fn send_test(app: &TestApp, webhook_id: &str) -> Value {
    let response = app
        .post_json(
            &format!("/api/v1/webhooks/{webhook_id}/test"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 202, "test event");
    response.json().await.unwrap()
}

async fn deliveries(app: &TestApp, webhook_id: &str, query: &str) -> Vec<Value> {
    let response = app
        .get_json(
            &format!("/api/v1/webhooks/{webhook_id}/deliveries?{query}"),
            &app.admin_key,
        )
        .await;
    assert_eq!(response.status(), 200, "deliveries");
    let page: Value = response.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

/// Runs the app's due background work, then reads delivery `delivery_id` and checks it with
/// `done`.
async fn delivery_when(
    app: &TestApp,
    webhook_id: &str,
    delivery_id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    app.run_pending_jobs().await;
    let found = deliveries(app, webhook_id, "")
        .await
        .into_iter()
        .find(|delivery| delivery["id"] == delivery_id)
        .expect("the delivery is listed");
    assert!(
        done(&found),
        "the delivery is not in the expected state: {found}"
    );
    found
}

async fn attempts_reach(
    app: &TestApp,
    webhook_id: &str,
    delivery_id: &str,
    attempts: i64,
) -> Value {
    delivery_when(app, webhook_id, delivery_id, |d| {
        d["attempts"].as_i64() == Some(attempts) && d["status"] != "pending"
    })
    .await
}

/// Runs the app's due background work and returns every request the receiver got, which must
/// be `count` by then.
async fn received_after_jobs(app: &TestApp, receiver: &Receiver, count: usize) -> Vec<Received> {
    app.run_pending_jobs().await;
    let received = receiver.received();
    assert_eq!(received.len(), count, "requests received");
    received
}

/// Publishes an event as a change in Convene would, inside its transaction, to the webhooks.
fn publish(
    app: &TestApp,
    event_type: EventType,
    subject: &str,
    now: chrono::DateTime<Utc>,
) -> String {
    let publisher = Publisher::new(vec![Arc::new(WebhookDeliveries)]);
    let mut conn = app.db.connection().unwrap();
    write_transaction(&mut conn, |conn| {
        publisher.publish(conn, event_type, subject, &json!({"id": subject}), now)
    })
    .unwrap()
    .id
}

/// Standard Webhooks verification written out here, independent of the server's code.
fn signed_by(received: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{}",
            received.header("webhook-id"),
            received.header("webhook-timestamp"),
            received.body
        )
        .as_bytes(),
    );
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received
        .header("webhook-signature")
        .split(' ')
        .any(|signature| signature == expected)
}

/// For each secret, whether the Standard Webhooks reference library (Python) verifies the
/// delivery with it.
pub async fn reference_library_verifies(received: &Received, secrets: &[&str]) -> Vec<bool> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/verify_webhook.py"
    );
    let input = json!({"secrets": secrets, "body": received.body, "headers": received.headers});
    let output = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs the verifier");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the verifier failed (is `standardwebhooks` installed?): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn subscriptions_are_created_read_listed_changed_and_deleted() {
    let app = app_allowing_private_destinations().await;
    let created = subscribe(
        &app,
        "https://hooks.example.com/convene",
        json!(["meeting.scheduled", "lead.created", "meeting.scheduled"]),
    )
    .await;
    let id = id_of(&created);
    assert_eq!(created["url"], "https://hooks.example.com/convene");
    assert_eq!(
        created["events"],
        json!(["lead.created", "meeting.scheduled"])
    );
    assert_eq!(created["status"], "active");
    assert_eq!(created["description"], "CRM sync");
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    let secret = created["secret"].as_str().unwrap();
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    assert!((24..=64).contains(&key.len()), "{} bytes", key.len());

    let read: Value = app
        .get_json(&format!("/api/v1/webhooks/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["id"], id.as_str());
    assert!(
        read.get("secret").is_none(),
        "the secret is shown only once"
    );

    let second = id_of(&subscribe(&app, "https://other.example.com/", json!(["*"])).await);
    let page: Value = app
        .get_json("/api/v1/webhooks?limit=1", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], second.as_str(), "newest first");
    assert!(page["items"][0].get("secret").is_none());
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get_json(
            &format!("/api/v1/webhooks?limit=1&cursor={cursor}"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"][0]["id"], id.as_str());
    assert!(rest["next_cursor"].is_null());

    let changed = app
        .patch_json(
            &format!("/api/v1/webhooks/{id}"),
            &app.admin_key,
            &json!({"url": "https://hooks.example.com/v2", "events": ["*"], "status": "disabled", "description": ""}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["url"], "https://hooks.example.com/v2");
    assert_eq!(changed["events"], json!(["*"]));
    assert_eq!(changed["status"], "disabled");
    assert!(changed["description"].is_null(), "blank clears it");

    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = app
        .get_json(&format!("/api/v1/webhooks/{id}"), &app.admin_key)
        .await;
    assert_problem(gone, 404).await;
}

#[tokio::test]
async fn subscriptions_with_invalid_fields_are_refused_with_422() {
    let app = app_allowing_private_destinations().await;
    let long = "x".repeat(10_000);
    let cases = [
        (
            json!({"url": "https://h.example.com/", "events": ["meeting.exploded"]}),
            "events",
        ),
        (
            json!({"url": "https://h.example.com/", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://h.example.com/", "events": ["*", "lead.created"]}),
            "events",
        ),
        (
            json!({"url": "https://h.example.com/", "events": ["\u{0}"]}),
            "events",
        ),
        (
            json!({"url": "ftp://h.example.com/", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "h.example.com", "events": ["*"]}), "url"),
        (
            json!({"url": "https://user:pw@h.example.com/", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://h.example.com/\u{0}", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://h.example.com/\u{202E}", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": format!("https://h.example.com/{long}"), "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://h.example.com/", "events": ["*"], "description": "a\u{0}b"}),
            "description",
        ),
        (
            json!({"url": "https://h.example.com/", "events": ["*"], "description": "a\u{202E}b"}),
            "description",
        ),
        (
            json!({"url": "https://h.example.com/", "events": ["*"], "description": long}),
            "description",
        ),
    ];
    let hostile = [
        "Eve\nX",
        "Eve\rBcc: victim@example.com",
        "Eve\u{1b}[2J",
        "a\u{2028}b",
    ];
    let cases = cases.into_iter().chain(hostile.iter().flat_map(|text| {
        [
            (
                json!({"url": format!("https://h.example.com/{text}"), "events": ["*"]}),
                "url",
            ),
            (
                json!({"url": "https://h.example.com/", "events": ["*"], "description": text}),
                "description",
            ),
        ]
    }));
    for (body, field) in cases {
        let response = app
            .post_json("/api/v1/webhooks", &app.admin_key, &body)
            .await;
        let problem = assert_problem(response, 422).await;
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    let problem = assert_problem(
        app.post_json(
            "/api/v1/webhooks",
            &app.admin_key,
            &json!({"url": "https://h.example.com/", "events": ["meeting.exploded"]}),
        )
        .await,
        422,
    )
    .await;
    assert!(
        problem["errors"]["events"][0]
            .as_str()
            .unwrap()
            .contains("meeting.exploded"),
        "{problem}"
    );

    let id = id_of(&subscribe(&app, "https://h.example.com/", json!(["*"])).await);
    for (body, field) in [
        (json!({"status": "paused"}), "status"),
        (json!({"events": ["nope"]}), "events"),
        (json!({"url": "gopher://x"}), "url"),
        (json!({"description": "\u{2066}"}), "description"),
    ] {
        let response = app
            .patch_json(&format!("/api/v1/webhooks/{id}"), &app.admin_key, &body)
            .await;
        let problem = assert_problem(response, 422).await;
        assert!(problem["errors"][field].is_array(), "{body}: {problem}");
    }
    for query in ["status=lost", "limit=0", "cursor=nope"] {
        let response = app
            .get_json(
                &format!("/api/v1/webhooks/{id}/deliveries?{query}"),
                &app.admin_key,
            )
            .await;
        assert_problem(response, 422).await;
    }
    for path in [
        "/api/v1/webhooks/0190c0de-0000-7000-8000-000000000000".to_owned(),
        "/api/v1/webhooks/not-an-id".to_owned(),
        format!("/api/v1/webhooks/{id}/deliveries/0190c0de-0000-7000-8000-000000000000/redeliver"),
    ] {
        let response = if path.ends_with("redeliver") {
            app.post_json(&path, &app.admin_key, &json!({})).await
        } else {
            app.get_json(&path, &app.admin_key).await
        };
        assert_problem(response, 404).await;
    }
}

#[tokio::test]
async fn only_admins_manage_webhooks() {
    let app = app_allowing_private_destinations().await;
    let id = id_of(&subscribe(&app, "https://h.example.com/", json!(["*"])).await);
    for role in [Role::MeetingManager, Role::Marketer, Role::Host] {
        let key = app.key_for(role);
        let body = json!({"url": "https://h.example.com/", "events": ["*"]});
        for response in [
            app.post_json("/api/v1/webhooks", &key, &body).await,
            app.get_json("/api/v1/webhooks", &key).await,
            app.get_json(&format!("/api/v1/webhooks/{id}"), &key).await,
            app.patch_json(
                &format!("/api/v1/webhooks/{id}"),
                &key,
                &json!({"status": "disabled"}),
            )
            .await,
            app.post_json(&format!("/api/v1/webhooks/{id}/test"), &key, &json!({}))
                .await,
            app.post_json(
                &format!("/api/v1/webhooks/{id}/rotate-secret"),
                &key,
                &json!({}),
            )
            .await,
            app.get_json(&format!("/api/v1/webhooks/{id}/deliveries"), &key)
                .await,
        ] {
            assert_problem(response, 403).await;
        }
    }
}

#[tokio::test]
async fn private_destinations_are_refused_unless_allowed() {
    let app = spawn_app().await;
    let receiver = Receiver::start();
    for url in [
        receiver.url.clone(),
        "https://127.0.0.1/hook".to_owned(),
        "https://10.0.0.7/hook".to_owned(),
        "https://169.254.169.254/latest".to_owned(),
        "https://[::1]/hook".to_owned(),
        "https://localhost/hook".to_owned(),
    ] {
        let response = app
            .post_json(
                "/api/v1/webhooks",
                &app.admin_key,
                &json!({"url": url, "events": ["*"]}),
            )
            .await;
        let problem = assert_problem(response, 422).await;
        assert!(problem["errors"]["url"].is_array(), "{url}: {problem}");
    }

    // A destination that was public when saved and resolves privately now gets no request.
    let webhook = subscribe(&app, "https://93.184.216.34/hook", json!(["*"])).await;
    let id = id_of(&webhook);
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let mut conn = app.db.connection().unwrap();
    diesel::sql_query(format!(
        "UPDATE webhook_subscriptions SET url = 'https://localhost:{port}/hook'"
    ))
    .execute(&mut conn)
    .unwrap();
    let delivery = send_test(&app, &id).await;
    let attempted = attempts_reach(&app, &id, delivery["id"].as_str().unwrap(), 1).await;
    assert_eq!(attempted["status"], "retrying");
    assert!(attempted["last_status_code"].is_null());
    let error = attempted["last_error"].as_str().unwrap();
    assert!(error.contains("loopback"), "{error}");
    assert!(receiver.received().is_empty(), "no request was sent");

    diesel::sql_query(format!(
        "UPDATE webhook_subscriptions SET url = 'http://127.0.0.1:{port}/hook'"
    ))
    .execute(&mut conn)
    .unwrap();
    let delivery = send_test(&app, &id).await;
    let attempted = attempts_reach(&app, &id, delivery["id"].as_str().unwrap(), 1).await;
    let error = attempted["last_error"].as_str().unwrap();
    assert!(error.contains("https"), "{error}");
    assert!(receiver.received().is_empty(), "no request was sent");
}

#[tokio::test]
async fn deliveries_are_signed_as_standard_webhooks_and_verify_with_the_reference_library() {
    let app = app_allowing_private_destinations().await;
    let receiver = Receiver::start();
    let webhook = subscribe(&app, &receiver.url, json!(["lead.created"])).await;
    let id = id_of(&webhook);
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    let other = Receiver::start();
    let other_hook = subscribe(&app, &other.url, json!(["meeting.scheduled"])).await;

    let queued = send_test(&app, &id).await;
    assert_eq!(queued["status"], "pending");
    assert_eq!(queued["event_type"], "webhook.test");
    let received = received_after_jobs(&app, &receiver, 1).await;
    let test = &received[0];
    let body = test.json();
    assert_eq!(body["type"], "webhook.test");
    assert_eq!(test.header("webhook-id"), body["id"].as_str().unwrap());
    assert_eq!(body["id"], queued["event_id"]);
    assert!(body["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(
        body["data"]["id"],
        id.as_str(),
        "the subscription, as GET shows it"
    );
    assert!(body["data"].get("secret").is_none());
    assert!(body["occurred_at"].is_string());
    assert_eq!(test.header("content-type"), "application/json");
    assert!(test.header("user-agent").starts_with("Convene-Webhooks/"));
    let timestamp: i64 = test.header("webhook-timestamp").parse().unwrap();
    assert!((Utc::now().timestamp() - timestamp).abs() < 60);
    assert!(test.header("webhook-signature").starts_with("v1,"));
    assert!(signed_by(test, &secret));
    assert_eq!(reference_library_verifies(test, &[&secret]).await, [true]);
    let other_secret = other_hook["secret"].as_str().unwrap();
    assert_eq!(
        reference_library_verifies(test, &[other_secret]).await,
        [false]
    );

    let delivered = delivery_when(&app, &id, queued["id"].as_str().unwrap(), |d| {
        d["status"] == "delivered"
    })
    .await;
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(delivered["last_status_code"], 200);
    assert!(delivered["last_error"].is_null());
    assert!(delivered["delivered_at"].is_string());
    assert!(delivered["next_attempt_at"].is_null());
    assert!(delivered["last_duration_ms"].as_i64().is_some());

    // A change's event reaches the subscriptions that want its type, and no other.
    let event_id = publish(&app, EventType::LeadCreated, "lead-1", Utc::now());
    let received = received_after_jobs(&app, &receiver, 2).await;
    let lead = &received[1];
    assert_eq!(lead.header("webhook-id"), event_id);
    assert_eq!(lead.json()["type"], "lead.created");
    assert_eq!(lead.json()["data"]["id"], "lead-1");
    assert_eq!(reference_library_verifies(lead, &[&secret]).await, [true]);
    assert!(
        other.received().is_empty(),
        "neither the test nor lead.created was for it"
    );
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn a_rotated_secret_signs_alongside_the_previous_one_for_a_day() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = app_with_clock(&clock).await;
    let receiver = Receiver::start();
    let webhook = subscribe(&app, &receiver.url, json!(["*"])).await;
    let id = id_of(&webhook);
    let old = webhook["secret"].as_str().unwrap().to_owned();

    let rotated = app
        .post_json(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert!(new.starts_with("whsec_") && new != old);

    send_test(&app, &id).await;
    let during = received_after_jobs(&app, &receiver, 1).await.remove(0);
    assert_eq!(during.header("webhook-signature").split(' ').count(), 2);
    assert!(signed_by(&during, &new) && signed_by(&during, &old));
    assert_eq!(
        reference_library_verifies(&during, &[&new, &old]).await,
        [true, true]
    );

    clock.advance(chrono::Duration::hours(25));
    send_test(&app, &id).await;
    let after = received_after_jobs(&app, &receiver, 2).await.remove(1);
    assert_eq!(after.header("webhook-signature").split(' ').count(), 1);
    assert!(signed_by(&after, &new));
    assert!(
        !signed_by(&after, &old),
        "the previous secret stopped after 24 h"
    );
}

#[tokio::test]
async fn failed_attempts_are_retried_with_the_same_webhook_id() {
    // On a whole second, since the API shows next_attempt_at to the second.
    let start = Utc::now().with_nanosecond(0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let app = app_with_clock(&clock).await;
    let receiver = Receiver::start();
    receiver.answer_next(&[500]);
    let id = id_of(&subscribe(&app, &receiver.url, json!(["*"])).await);
    let queued = send_test(&app, &id).await;
    let delivery_id = queued["id"].as_str().unwrap();

    let first = attempts_reach(&app, &id, delivery_id, 1).await;
    assert_eq!(first["status"], "retrying");
    assert_eq!(first["last_status_code"], 500);
    assert!(first["last_error"].as_str().unwrap().contains("500"));
    let next =
        chrono::DateTime::parse_from_rfc3339(first["next_attempt_at"].as_str().unwrap()).unwrap();
    let wait = (next.with_timezone(&Utc) - clock.now()).num_milliseconds();
    assert!(
        (4000..=6000).contains(&wait),
        "about 5 s, jittered: {wait} ms"
    );

    clock.advance(chrono::Duration::seconds(6));
    let second = delivery_when(&app, &id, delivery_id, |d| d["status"] == "delivered").await;
    assert_eq!(second["attempts"], 2);
    assert_eq!(second["last_status_code"], 200);
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
    assert_ne!(
        received[0].header("webhook-timestamp"),
        received[1].header("webhook-timestamp"),
        "each attempt is signed at its own time"
    );
}

#[tokio::test]
async fn deliveries_fail_once_the_retry_schedule_is_spent() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = app_with_clock(&clock).await;
    let receiver = Receiver::start();
    receiver.answer_always(503);
    let id = id_of(&subscribe(&app, &receiver.url, json!(["*"])).await);
    let queued = send_test(&app, &id).await;
    let delivery_id = queued["id"].as_str().unwrap();
    // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each up to 10 % later.
    let schedule = [5, 300, 1800, 7200, 18000, 36000, 36000];
    for (done, wait) in schedule.iter().enumerate() {
        let attempted = attempts_reach(&app, &id, delivery_id, done as i64 + 1).await;
        assert_eq!(
            attempted["status"],
            "retrying",
            "after attempt {}",
            done + 1
        );
        clock.advance(chrono::Duration::seconds(wait * 11 / 10 + 1));
    }
    let failed = delivery_when(&app, &id, delivery_id, |d| d["status"] == "failed").await;
    assert_eq!(failed["attempts"], 8);
    assert_eq!(failed["last_status_code"], 503);
    assert!(failed["next_attempt_at"].is_null());
    assert_eq!(receiver.received().len(), 8);
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("convene_webhook_deliveries_failed_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("convene_webhook_attempts_failed_total 8"),
        "{metrics}"
    );
    assert!(
        metrics.contains("convene_webhook_deliveries_pending 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_subscription_failing_for_five_days_is_disabled_and_the_admins_get_one_email() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = app_with_clock(&clock).await;
    app.create_user(json!({"email": "ops@example.com", "name": "Ops", "role": "admin", "timezone": "Europe/Berlin"}))
        .await;
    let receiver = Receiver::start();
    receiver.answer_always(500);
    let id = id_of(&subscribe(&app, &receiver.url, json!(["*"])).await);
    let first = send_test(&app, &id).await;
    attempts_reach(&app, &id, first["id"].as_str().unwrap(), 1).await;

    clock.advance(chrono::Duration::days(4));
    let event = publish(&app, EventType::LeadCreated, "lead-2", clock.now());
    received_after_jobs(&app, &receiver, 3).await;
    let hook: Value = app
        .get_json(&format!("/api/v1/webhooks/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        hook["status"], "active",
        "four days of failures are not enough"
    );

    clock.advance(chrono::Duration::days(1) + chrono::Duration::minutes(1));
    let second = deliveries(&app, &id, "")
        .await
        .into_iter()
        .find(|d| d["event_id"] == event.as_str())
        .unwrap();
    attempts_reach(&app, &id, second["id"].as_str().unwrap(), 2).await;
    let hook: Value = app
        .get_json(&format!("/api/v1/webhooks/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(hook["status"], "disabled");
    assert!(
        hook["disabled_reason"].as_str().unwrap().contains("5 days"),
        "{hook}"
    );

    publish(&app, EventType::LeadCreated, "lead-3", clock.now());
    clock.advance(chrono::Duration::days(1));
    let sent = receiver.received().len();
    app.run_pending_jobs().await;
    let emails: Value = app
        .get_json("/api/v1/emails?kind=webhook_disabled", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let emails = emails["items"].as_array().unwrap();
    assert_eq!(emails.len(), 1, "one email for the one admin: {emails:?}");
    assert_eq!(emails[0]["to"], "ops@example.com");
    assert_eq!(
        receiver.received().len(),
        sent,
        "a disabled subscription receives nothing"
    );

    let enabled = app
        .patch_json(
            &format!("/api/v1/webhooks/{id}"),
            &app.admin_key,
            &json!({"status": "active"}),
        )
        .await;
    let enabled: Value = enabled.json().await.unwrap();
    assert_eq!(enabled["status"], "active");
    assert!(enabled["disabled_reason"].is_null());
}

#[tokio::test]
async fn a_delivery_is_redelivered_with_the_same_webhook_id() {
    let app = app_allowing_private_destinations().await;
    let receiver = Receiver::start();
    let id = id_of(&subscribe(&app, &receiver.url, json!(["*"])).await);
    let queued = send_test(&app, &id).await;
    let delivery_id = queued["id"].as_str().unwrap();
    delivery_when(&app, &id, delivery_id, |d| d["status"] == "delivered").await;

    let again = app
        .post_json(
            &format!("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 202);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], delivery_id);
    let received = received_after_jobs(&app, &receiver, 2).await;
    assert_eq!(
        received[0].header("webhook-id"),
        received[1].header("webhook-id")
    );
    assert_eq!(received[0].body, received[1].body);
    let delivered = delivery_when(&app, &id, delivery_id, |d| {
        d["status"] == "delivered" && d["attempts"] == 1
    })
    .await;
    assert_eq!(delivered["event_id"], queued["event_id"]);

    app.patch_json(
        &format!("/api/v1/webhooks/{id}"),
        &app.admin_key,
        &json!({"status": "disabled"}),
    )
    .await;
    let refused = app
        .post_json(
            &format!("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_problem(refused, 409).await;
    let refused = app
        .post_json(
            &format!("/api/v1/webhooks/{id}/test"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_problem(refused, 409).await;
}

#[tokio::test]
async fn the_deliveries_log_filters_by_status_and_pages() {
    let app = app_allowing_private_destinations().await;
    let receiver = Receiver::start();
    let id = id_of(&subscribe(&app, &receiver.url, json!(["*"])).await);
    let delivered = send_test(&app, &id).await;
    delivery_when(&app, &id, delivered["id"].as_str().unwrap(), |d| {
        d["status"] == "delivered"
    })
    .await;
    receiver.answer_always(500);
    let retrying = send_test(&app, &id).await;
    attempts_reach(&app, &id, retrying["id"].as_str().unwrap(), 1).await;

    let only = |items: Vec<Value>| {
        items
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        only(deliveries(&app, &id, "status=delivered").await),
        [delivered["id"].as_str().unwrap()]
    );
    assert_eq!(
        only(deliveries(&app, &id, "status=retrying").await),
        [retrying["id"].as_str().unwrap()]
    );
    assert!(deliveries(&app, &id, "status=failed").await.is_empty());
    assert!(deliveries(&app, &id, "status=pending").await.is_empty());
    assert_eq!(deliveries(&app, &id, "status=").await.len(), 2);

    let page: Value = app
        .get_json(
            &format!("/api/v1/webhooks/{id}/deliveries?limit=1"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], retrying["id"], "newest first");
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = deliveries(&app, &id, &format!("limit=1&cursor={cursor}")).await;
    assert_eq!(rest[0]["id"], delivered["id"]);
}

#[tokio::test]
async fn instances_claim_disjoint_deliveries() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = app_with_clock(&clock).await;
    let receiver = Receiver::start();
    subscribe(&app, &receiver.url, json!(["lead.created"])).await;
    // Due an hour after the app's clock, so only these claims can take them.
    let later = clock.now() + chrono::Duration::hours(1);
    for n in 0..40 {
        publish(&app, EventType::LeadCreated, &format!("lead-{n}"), later);
    }
    let claim = |worker: &'static str| {
        let db = app.db.clone();
        std::thread::spawn(move || {
            let mut conn = db.connection().unwrap();
            convene::webhooks::repo::claim_due(
                &mut conn,
                worker,
                later,
                chrono::Duration::minutes(1),
                25,
            )
            .unwrap()
            .into_iter()
            .map(|claimed| claimed.delivery.id)
            .collect::<Vec<_>>()
        })
    };
    let (a, b) = (claim("instance-a"), claim("instance-b"));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_eq!(a.len() + b.len(), 40, "{} + {}", a.len(), b.len());
    assert!(
        a.iter().all(|id| !b.contains(id)),
        "no delivery claimed twice"
    );
    assert!(receiver.received().is_empty());
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn secret_in(html: &str) -> Option<String> {
    let start = html.find("whsec_")?;
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn admins_manage_webhooks_from_the_admin_pages() {
    let app = app_allowing_private_destinations().await;
    app.create_user_with_password("admin@example.com", "admin");
    crate::admin_ui::sign_in(&app, "admin@example.com", crate::helpers::TEST_PASSWORD).await;
    let receiver = Receiver::start();

    let list = page(&app, "/admin/webhooks").await;
    assert!(
        list.contains("href=\"/admin/webhooks\""),
        "a navigation link"
    );
    assert!(list.contains("No webhooks yet"));
    let csrf = crate::helpers::csrf_token_in(&list);

    let refused = post_form(
        &app,
        "/admin/webhooks",
        &[
            ("csrf_token", &csrf),
            ("url", "gopher://x"),
            ("description", ""),
        ],
    )
    .await;
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("role=\"alert\""), "field errors are shown");
    assert!(secret_in(&refused).is_none());

    let created = post_form(
        &app,
        "/admin/webhooks",
        &[
            ("csrf_token", &csrf),
            ("url", &receiver.url),
            ("events", "webhook.test"),
            ("events", "meeting.scheduled"),
            ("description", "Ops <bot>"),
        ],
    )
    .await;
    assert_eq!(created.status(), 200);
    let created = created.text().await.unwrap();
    let secret = secret_in(&created).expect("the new secret is shown once");
    assert!(created.contains("Ops &lt;bot&gt;"), "text is escaped");
    let listed: Value = app
        .get_json("/api/v1/webhooks", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        listed["items"][0]["events"],
        json!(["meeting.scheduled", "webhook.test"])
    );
    assert!(
        secret_in(&page(&app, "/admin/webhooks").await).is_none(),
        "never shown again"
    );

    let tested = post_form(
        &app,
        &format!("/admin/webhooks/{id}/test"),
        &[("csrf_token", &csrf), ("back", "list")],
    )
    .await;
    assert_eq!(tested.status(), 303);
    let received = received_after_jobs(&app, &receiver, 1).await;
    assert!(signed_by(&received[0], &secret));
    let delivery = deliveries(&app, &id, "").await.remove(0);
    delivery_when(&app, &id, delivery["id"].as_str().unwrap(), |d| {
        d["status"] == "delivered"
    })
    .await;
    let detail = page(&app, &format!("/admin/webhooks/{id}")).await;
    assert!(detail.contains("badge-status-delivered"), "{detail}");
    assert!(detail.contains(">200"), "the answer's status code");

    let rotated = post_form(
        &app,
        &format!("/admin/webhooks/{id}/rotate-secret"),
        &[("csrf_token", &csrf)],
    )
    .await
    .text()
    .await
    .unwrap();
    let new_secret = secret_in(&rotated).expect("the new secret is shown once");
    assert_ne!(new_secret, secret);
    assert!(rotated.contains("still signs until"));

    let redelivered = post_form(
        &app,
        &format!(
            "/admin/webhooks/{id}/deliveries/{}/redeliver",
            delivery["id"].as_str().unwrap()
        ),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(redelivered.status(), 303);
    let received = received_after_jobs(&app, &receiver, 2).await;
    assert!(signed_by(&received[1], &secret) && signed_by(&received[1], &new_secret));

    let disabled = post_form(
        &app,
        &format!("/admin/webhooks/{id}/status"),
        &[("csrf_token", &csrf), ("status", "disabled")],
    )
    .await;
    assert_eq!(disabled.status(), 303);
    let detail = page(&app, &format!("/admin/webhooks/{id}")).await;
    assert!(detail.contains("badge-status-disabled"));
    assert!(detail.contains(">Enable<"));

    let forged = post_form(
        &app,
        &format!("/admin/webhooks/{id}/delete"),
        &[("csrf_token", "x")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    let deleted = post_form(
        &app,
        &format!("/admin/webhooks/{id}/delete"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    assert!(page(&app, "/admin/webhooks")
        .await
        .contains("No webhooks yet"));
}

#[tokio::test]
async fn only_admins_see_the_webhooks_page() {
    let app = spawn_app().await;
    app.create_user_with_password("manager@example.com", "meeting_manager");
    crate::admin_ui::sign_in(&app, "manager@example.com", crate::helpers::TEST_PASSWORD).await;
    let home = page(&app, "/admin/emails").await;
    assert!(!home.contains("href=\"/admin/webhooks\""));
    let response = app
        .client
        .get(app.url("/admin/webhooks"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by scripts/bench-webhooks.sh"]
async fn ten_thousand_webhook_deliveries_go_out_at_over_a_thousand_a_second() {
    let app = spawn_app_with(|settings| {
        settings.webhooks.allow_private_destinations = true;
        settings.worker.enabled = true;
    })
    .await;
    let receiver = Receiver::start();
    subscribe(&app, &receiver.url, json!(["lead.created"])).await;
    let count = 10_000;
    let publisher = Publisher::new(vec![Arc::new(WebhookDeliveries)]);
    let mut conn = app.db.connection().unwrap();
    write_transaction(&mut conn, |conn| {
        for n in 0..count {
            let lead = json!({"id": format!("lead-{n}"), "score": n % 100});
            publisher.publish(
                conn,
                EventType::LeadCreated,
                &format!("lead-{n}"),
                &lead,
                Utc::now(),
            )?;
        }
        Ok::<_, convene::events::PublishError>(())
    })
    .unwrap();
    let started = std::time::Instant::now();
    loop {
        let delivered: i64 = diesel::QueryDsl::count(diesel::QueryDsl::filter(
            convene::db::schema::webhook_deliveries::table,
            diesel::ExpressionMethods::eq(
                convene::db::schema::webhook_deliveries::status,
                "delivered",
            ),
        ))
        .get_result(&mut conn)
        .unwrap();
        if delivered == count {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{delivered} delivered in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = count as f64 / seconds;
    println!("{count} webhook deliveries in {seconds:.2} s: {rate:.0} per second");
    assert_eq!(receiver.received().len(), count as usize);
    assert!(rate >= 1000.0, "{rate:.0} deliveries per second");
}

#[tokio::test]
async fn a_receiver_down_for_ten_minutes_gets_every_delivery_after_it_is_back_in_retry_order() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = app_with_clock(&clock).await;
    let receiver = Receiver::start();
    receiver.answer_always(503);
    let id = id_of(&subscribe(&app, &receiver.url, json!(["lead.created"])).await);
    let published: Vec<String> = (0..20)
        .map(|n| {
            publish(
                &app,
                EventType::LeadCreated,
                &format!("lead-{n}"),
                clock.now(),
            )
        })
        .collect();

    let down_until = clock.now() + chrono::Duration::minutes(10);
    while clock.now() < down_until {
        app.run_pending_jobs().await;
        clock.advance(chrono::Duration::seconds(5));
    }
    let while_down = receiver.received();
    for event in &published {
        let tries = while_down
            .iter()
            .filter(|r| r.header("webhook-id") == event)
            .count();
        assert_eq!(tries, 3, "tried at once, after ~5 s and after ~5 min");
    }
    let waiting = deliveries(&app, &id, "status=retrying&limit=500").await;
    assert_eq!(waiting.len(), 20, "nothing given up, nothing lost");
    let mut due: Vec<(chrono::DateTime<Utc>, String)> = waiting
        .iter()
        .map(|d| {
            let at = chrono::DateTime::parse_from_rfc3339(d["next_attempt_at"].as_str().unwrap())
                .unwrap()
                .with_timezone(&Utc);
            (at, d["event_id"].as_str().unwrap().to_owned())
        })
        .collect();
    due.sort();

    // The deliveries log shows whole seconds; those due within one second go out together.
    receiver.answer_always(200);
    let mut arrived = while_down.len();
    let mut seconds: Vec<chrono::DateTime<Utc>> = due.iter().map(|(at, _)| *at).collect();
    seconds.dedup();
    for second in seconds {
        clock.set(second + chrono::Duration::seconds(1));
        app.run_pending_jobs().await;
        let received = receiver.received();
        let mut got: Vec<&str> = received[arrived..]
            .iter()
            .map(|r| r.header("webhook-id"))
            .collect();
        got.sort_unstable();
        let mut expected: Vec<&str> = due
            .iter()
            .filter(|(at, _)| *at == second)
            .map(|(_, event)| event.as_str())
            .collect();
        expected.sort_unstable();
        assert_eq!(got, expected, "each arrives once, when its retry falls due");
        arrived = received.len();
    }
    assert!(deliveries(&app, &id, "status=retrying").await.is_empty());
    assert_eq!(
        deliveries(&app, &id, "status=delivered&limit=500")
            .await
            .len(),
        20
    );
}
