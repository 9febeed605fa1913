//! Text that people type, however hostile, is data: it is refused with a 422 naming the field
//! or kept exactly, and it never stops the worker. Bookings and emails go through a real SMTP
//! server process.

use std::time::Duration;

use convene::notifications::outbox::{self, EmailKind, NewEmail};
use mail_parser::MessageParser;
use serde_json::{json, Value};

use crate::booking::{link_for, open_type, tomorrow};
use crate::emails::{delivered, smtp_to};
use crate::helpers::{assert_problem, csrf_token_in, spawn_app_with, TestApp};
use crate::smtp::{free_port, wait_for_messages, SmtpSink};

/// How long the test with a running worker waits for it; generous, for slow machines.
const WAIT: Duration = Duration::from_secs(30);

/// Names no one-line field accepts: each would break a header, a calendar line, a CSV row or
/// a log line, or reverse what a reader sees.
fn hostile_names() -> Vec<(&'static str, String)> {
    vec![
        ("line feed", "Eve\nX".to_owned()),
        ("carriage return", "Eve\rBcc: victim@example.com".to_owned()),
        ("NUL", "Eve\u{0}X".to_owned()),
        ("bidi override", "Eve \u{202E}gnp.exe".to_owned()),
        ("escape sequence", "Eve\u{1b}[2J".to_owned()),
        ("10,000 characters", "E".repeat(10_000)),
    ]
}

/// Every free start tomorrow, in UTC.
async fn free_starts(app: &TestApp, link: &Value) -> Vec<String> {
    let slug = link["slug"].as_str().unwrap();
    app.free_starts(slug, &tomorrow(), "UTC").await
}

async fn book(
    app: &TestApp,
    link: &Value,
    start: &str,
    name: &str,
    email: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/book/{}", link["slug"].as_str().unwrap())))
        .json(&json!({"start": start, "name": name, "email": email, "timezone": "UTC", "company": name}))
        .send()
        .await
        .unwrap()
}

/// The recipients' display names of the messages the sink received, as a mail client reads them.
fn recipient_names(messages: &[Vec<u8>]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|raw| {
            let message = MessageParser::default().parse(raw)?;
            let to = message.to()?.first()?;
            to.name().map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn hostile_names_are_refused_and_the_next_booking_still_gets_its_invite() {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let app = spawn_app_with(smtp_to(sink.port)).await;
    let (_, link) = open_type(&app, json!({})).await;
    let starts = free_starts(&app, &link).await;
    assert!(starts.len() >= 3, "enough free slots tomorrow");

    for (what, name) in hostile_names() {
        let response = book(&app, &link, &starts[0], &name, "eve@example.com").await;
        let problem = assert_problem(response, 422).await;
        assert!(problem["errors"]["name"].is_array(), "{what}: {problem}");
        assert!(problem["errors"]["company"].is_array(), "{what}: {problem}");
    }

    let slug = link["slug"].as_str().unwrap();
    let page = app
        .client
        .get(app.url(&format!("/book/{slug}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_token_in(&page);
    for (what, name) in hostile_names() {
        let response = app
            .client
            .post(app.url(&format!("/book/{slug}")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("start", starts[0].as_str()),
                ("name", name.as_str()),
                ("email", "eve@example.com"),
                ("timezone", "UTC"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{what}");
        let html = response.text().await.unwrap();
        assert!(html.contains("name"), "{what}: the page names the field");
    }

    let emoji = "Zoë 👩🏽‍💻 李 محمد";
    let response = book(&app, &link, &starts[1], emoji, "zoe@example.com").await;
    assert_eq!(response.status(), 201);
    let response = book(&app, &link, &starts[2], "Ana Normal", "ana@example.com").await;
    assert_eq!(response.status(), 201);

    let received = delivered(&app, mail.path()).await;
    let mut names = recipient_names(&received);
    names.retain(|name| name != "Dana Exec");
    names.sort();
    assert_eq!(names, vec!["Ana Normal".to_owned(), emoji.to_owned()]);
    sink.stop();
}

#[tokio::test]
async fn hosts_and_meeting_types_with_hostile_names_are_refused_and_kind_ones_get_invites() {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let app = spawn_app_with(smtp_to(sink.port)).await;
    let (meeting_type, _) = open_type(&app, json!({})).await;
    let type_path = format!(
        "/api/v1/meeting-types/{}",
        meeting_type["id"].as_str().unwrap()
    );
    let host_id = meeting_type["host_ids"][0].as_str().unwrap().to_owned();
    let user_path = format!("/api/v1/users/{host_id}");
    for (what, name) in hostile_names() {
        let response = app
            .post_json(
                "/api/v1/users",
                &app.admin_key,
                &json!({"email": "evil@example.com", "name": name, "role": "host", "timezone": "UTC"}),
            )
            .await;
        let problem = assert_problem(response, 422).await;
        assert!(problem["errors"]["name"].is_array(), "{what}: {problem}");

        for (path, body) in [
            (&user_path, json!({"name": name})),
            (&type_path, json!({"name": name})),
            (&type_path, json!({"location": name})),
        ] {
            let response = app.patch_json(path, &app.admin_key, &body).await;
            assert_problem(response, 422).await;
        }
    }

    for (path, body) in [
        (&user_path, json!({"name": "Dana 🚀 Østergård"})),
        (&type_path, json!({"name": "Intro ☕ with Dana — «ÜBER»"})),
    ] {
        let response = app.patch_json(path, &app.admin_key, &body).await;
        assert_eq!(response.status(), 200, "{body}");
    }
    let link = link_for(&app, &meeting_type, json!({})).await;
    let starts = free_starts(&app, &link).await;
    let response = book(&app, &link, &starts[0], "Ana Normal", "ana@example.com").await;
    assert_eq!(response.status(), 201);
    let received = delivered(&app, mail.path()).await;
    let subjects: Vec<String> = received
        .iter()
        .filter_map(|raw| Some(MessageParser::default().parse(raw)?.subject()?.to_owned()))
        .collect();
    assert!(
        subjects
            .iter()
            .any(|s| s.contains("Intro ☕ with Dana — «ÜBER»")),
        "{subjects:?}"
    );
    let mut names = recipient_names(&received);
    names.sort();
    assert_eq!(
        names,
        vec!["Ana Normal".to_owned(), "Dana 🚀 Østergård".to_owned()]
    );
    sink.stop();
}

#[tokio::test]
async fn multi_line_notes_keep_their_lines_and_refuse_other_controls() {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let app = spawn_app_with(smtp_to(sink.port)).await;
    let (_, link) = open_type(&app, json!({})).await;
    let starts = free_starts(&app, &link).await;
    let slug = link["slug"].as_str().unwrap();
    let booking = |notes: &str| json!({"start": starts[0], "name": "Ana", "email": "ana@example.com", "timezone": "UTC", "notes": notes});
    for bad in ["a\u{0}b", "a\u{202E}b", "a\u{7}b"] {
        let response = app
            .client
            .post(app.url(&format!("/book/{slug}")))
            .json(&booking(bad))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422).await;
        assert!(problem["errors"]["notes"].is_array(), "{problem}");
    }
    let response = app
        .client
        .post(app.url(&format!("/book/{slug}")))
        .json(&booking("Agenda:\r\n\t1. pricing\r2. rollout 🚀"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let booked: Value = response.json().await.unwrap();
    let request: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}",
                booked["meeting_request_id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(request["notes"], "Agenda:\n\t1. pricing\n2. rollout 🚀");
    assert_eq!(
        delivered(&app, mail.path()).await.len(),
        2,
        "the invitations go out"
    );
    sink.stop();
}

/// Rows written before names were validated (or by another version) must not stop anything:
/// the email is sent with its name on one line, or failed with its reason, and the worker
/// goes on with the next one.
#[tokio::test]
async fn stored_hostile_rows_are_sent_safely_or_failed_and_the_worker_goes_on() {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let app = spawn_app_with(|settings| {
        smtp_to(sink.port)(settings);
        settings.worker.enabled = true;
    })
    .await;
    let now = chrono::Utc::now();
    let email = |key: &str, name: &str, address: &str, subject: &str| NewEmail {
        kind: EmailKind::Confirmation,
        dedupe_key: key.into(),
        meeting_id: None,
        meeting_request_id: None,
        recipient_email: address.into(),
        recipient_name: name.into(),
        subject: subject.into(),
        body_text: format!("Hello {name}"),
        body_html: "<p>Hello</p>".into(),
        calendar: None,
        send_after: now - chrono::Duration::seconds(1),
        not_after: None,
    };
    let rows = [
        email(
            "newline",
            "Eve\nX",
            "eve@example.com",
            "Booked\r\nBcc: victim@example.com",
        ),
        email(
            "control",
            "Eve\u{7}\u{202E}X",
            "bell@example.com",
            "Hi \u{7}",
        ),
        email(
            "long",
            &"E".repeat(10_000),
            "long@example.com",
            &"S".repeat(10_000),
        ),
        email("bad address", "Eve", "not an address", "Hello"),
        email("normal", "Ana Normal", "ana@example.com", "Hello Ana"),
    ];
    let mut conn = app.db.connection().unwrap();
    for row in &rows {
        assert!(outbox::enqueue(&mut conn, row, now).unwrap());
    }
    drop(conn);

    let received = wait_for_messages(mail.path(), 4, WAIT).await;
    assert_eq!(received.len(), 4);
    let parsed: Vec<_> = received
        .iter()
        .map(|raw| MessageParser::default().parse(raw).unwrap())
        .collect();
    let names = recipient_names(&received);
    assert!(names.contains(&"Eve X".to_owned()), "{names:?}");
    assert!(names.contains(&"EveX".to_owned()), "{names:?}");
    assert!(names.contains(&"Ana Normal".to_owned()), "{names:?}");
    let shortened = format!("{}…", "E".repeat(199));
    assert!(
        names.contains(&shortened),
        "a 10,000-character name is shortened"
    );
    for message in &parsed {
        assert!(message.bcc().is_none(), "no header was injected");
    }

    let failed: Value = app
        .get_json("/api/v1/emails?status=failed", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let failed = failed["items"].as_array().unwrap();
    let summary: Vec<(&Value, &Value)> = failed
        .iter()
        .map(|e| (&e["to"], &e["last_error"]))
        .collect();
    assert_eq!(failed.len(), 1, "{summary:?}");
    assert_eq!(failed[0]["to"], "not an address");
    assert!(
        failed[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot be built"),
        "{summary:?}"
    );

    let health: Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    sink.stop();
}
