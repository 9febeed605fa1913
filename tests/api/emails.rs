//! Emails through a real SMTP server process: iMIP invites, updates and cancellations parsed
//! back with independent MIME and iCalendar parsers, approval and rejection emails, reminders,
//! outages with retries, and the outbox API.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use convene::auth::roles::Role;
use convene::config::{EmailTransportKind, Settings};
use convene::notifications::outbox::{self, EmailKind, NewEmail};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::booking::{link_for, open_type, slots, tomorrow};
use crate::helpers::{assert_problem, csrf_token_in, spawn_app_with, TestApp, TEST_PASSWORD};
use crate::smtp::{free_port, received, wait_for_messages, SmtpSink};

/// How long a test with a running worker waits for it; generous, for slow machines.
const WAIT: Duration = Duration::from_secs(30);

pub fn smtp_to(port: u16) -> impl FnOnce(&mut Settings) {
    move |settings: &mut Settings| {
        settings.email.transport = EmailTransportKind::Smtp;
        settings.email.smtp.port = port;
        settings.email.smtp.timeout_secs = 5;
        settings.email.retry_base_secs = 1;
        settings.email.retry_max_secs = 2;
        settings.email.from = "Convene Meetings <meetings@convene.test>".into();
    }
}

/// One received email, parsed.
struct Received {
    to: String,
    subject: String,
    message_id: String,
    email_id: String,
    text: String,
    html: String,
    /// The `text/calendar` alternative: its `method` parameter and the document.
    calendar: Option<(String, String)>,
    attachment: Option<(String, String)>,
    root_type: String,
    alternative_types: Vec<String>,
}

fn parse(raw: &[u8]) -> Received {
    let message = MessageParser::default().parse(raw).expect("a MIME message");
    let to = message
        .to()
        .and_then(|to| to.first())
        .and_then(|address| address.address())
        .unwrap_or_default()
        .to_owned();
    let root = message.root_part();
    let root_type = root
        .content_type()
        .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default()))
        .unwrap_or_default();
    let mut calendar = None;
    let mut alternative_types = Vec::new();
    let mut attachment = None;
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let full = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default());
        if full == "multipart/alternative" {
            if let PartType::Multipart(children) = &part.body {
                for child in children {
                    let child = &message.parts[*child as usize];
                    let ct = child.content_type().expect("typed part");
                    let child_type = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default());
                    if child_type == "text/calendar" {
                        calendar = Some((
                            ct.attribute("method").unwrap_or_default().to_owned(),
                            String::from_utf8_lossy(child.contents()).into_owned(),
                        ));
                    }
                    alternative_types.push(child_type);
                }
            }
        }
        if let Some(name) = part.attachment_name() {
            attachment = Some((
                name.to_owned(),
                String::from_utf8_lossy(part.contents()).into_owned(),
            ));
        }
    }
    Received {
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        message_id: message.message_id().unwrap_or_default().to_owned(),
        email_id: message
            .header_raw("X-Convene-Email-Id")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        text: message.body_text(0).unwrap_or_default().into_owned(),
        html: message.body_html(0).unwrap_or_default().into_owned(),
        calendar,
        attachment,
        root_type,
        alternative_types,
    }
}

/// The VEVENT's properties (and the calendar's METHOD) from an independent iCalendar parser.
struct Event {
    method: String,
    props: Vec<ical::property::Property>,
}

impl Event {
    fn parse(document: &str) -> Self {
        let mut parser = ical::IcalParser::new(std::io::BufReader::new(document.as_bytes()));
        let calendar = parser.next().expect("a calendar").expect("valid iCalendar");
        let method = calendar
            .properties
            .iter()
            .find(|p| p.name == "METHOD")
            .and_then(|p| p.value.clone())
            .unwrap_or_default();
        assert_eq!(calendar.events.len(), 1);
        Self {
            method,
            props: calendar.events[0].properties.clone(),
        }
    }

    fn value(&self, name: &str) -> String {
        self.props
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    }

    fn attendees(&self) -> Vec<(String, String)> {
        self.props
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .map(|p| {
                let params = p
                    .params
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| format!("{k}={}", v.join(",")))
                    .collect::<Vec<_>>()
                    .join(";");
                (p.value.clone().unwrap_or_default(), params)
            })
            .collect()
    }
}

fn ics_utc(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

async fn first_slot(app: &TestApp, link: &Value) -> Vec<Value> {
    let day = tomorrow();
    let body: Value = slots(app, link, &format!("from={day}&to={day}&tz=Asia/Kolkata"))
        .await
        .json()
        .await
        .unwrap();
    body["slots"].as_array().unwrap().clone()
}

async fn book_as(app: &TestApp, link: &Value, start: &str, email: &str) -> Value {
    let response = app
        .client
        .post(app.url(&format!("/book/{}", link["slug"].as_str().unwrap())))
        .json(&json!({"start": start, "name": "Ana, \"Tester\"; Ltd", "email": email, "timezone": "Asia/Kolkata", "company": "Prospect Inc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The outbox's emails matching `query`, newest first.
pub async fn emails(app: &TestApp, query: &str) -> Vec<Value> {
    let body: Value = app
        .get_json(&format!("/api/v1/emails?{query}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    body["items"].as_array().unwrap().clone()
}

/// The outbox's emails matching `query` once `done` holds for them, while a running worker gets
/// there (for at most [`WAIT`]).
async fn emails_once(app: &TestApp, query: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let found = emails(app, query).await;
        if done(&found) || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the due background work, then reads every message written into `dir` so far (by the
/// SMTP sink or the file transport).
pub async fn delivered(app: &TestApp, dir: &Path) -> Vec<Vec<u8>> {
    app.run_pending_jobs().await;
    received(dir)
}

fn manage_token(manage_url: &str) -> String {
    manage_url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_booking_sends_imip_invites_updates_and_cancellations() {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let app = spawn_app_with(smtp_to(sink.port)).await;
    let (_, link) = open_type(&app, json!({"location": "Room 4; HQ, Berlin"})).await;
    let offered = first_slot(&app, &link).await;
    // The day's last slots are always more than an hour ahead, so each has a reminder.
    let start = offered[offered.len() - 1]["start"].as_str().unwrap();
    let booked = book_as(&app, &link, start, "ana@prospect.test").await;
    assert_eq!(booked["status"], "scheduled");

    let messages = delivered(&app, mail.path()).await;
    assert_eq!(
        messages.len(),
        2,
        "one invitation each to the prospect and the host"
    );
    let mut invites: Vec<Received> = messages.iter().map(|raw| parse(raw)).collect();
    invites.sort_by(|a, b| a.to.cmp(&b.to));
    let recipients: Vec<&str> = invites.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(recipients, ["ana@prospect.test", "dana@example.com"]);

    let mut uid = String::new();
    for invite in &invites {
        assert_eq!(invite.root_type, "multipart/mixed");
        assert_eq!(
            invite.alternative_types,
            ["text/plain", "text/html", "text/calendar"]
        );
        let (method, document) = invite.calendar.clone().expect("a text/calendar part");
        assert_eq!(method, "REQUEST");
        let (name, attached) = invite.attachment.clone().expect("an invite.ics attachment");
        assert_eq!(name, "invite.ics");
        assert_eq!(attached, document);
        let event = Event::parse(&document);
        assert_eq!(event.method, "REQUEST");
        assert_eq!(event.value("SEQUENCE"), "0");
        assert_eq!(event.value("STATUS"), "CONFIRMED");
        assert_eq!(event.value("DTSTART"), ics_utc(start));
        assert_eq!(
            event.value("ORGANIZER"),
            "mailto:meetings@convene.test",
            "the organizer is the sender, never the recipient"
        );
        assert_eq!(event.value("LOCATION"), r"Room 4\; HQ\, Berlin");
        let attendees = event.attendees();
        assert_eq!(attendees.len(), 2);
        for (address, params) in &attendees {
            assert!(address.starts_with("mailto:"), "{address}");
            assert!(params.contains("RSVP=TRUE"), "{params}");
            assert!(params.contains("PARTSTAT=NEEDS-ACTION"), "{params}");
        }
        assert!(
            invite.subject.starts_with("Meeting intro — "),
            "{}",
            invite.subject
        );
        assert!(!invite.html.is_empty() && !invite.text.is_empty());
        if uid.is_empty() {
            uid = event.value("UID");
        }
        assert_eq!(event.value("UID"), uid, "one UID for every copy");
    }
    let prospect = &invites[0];
    assert!(
        prospect
            .text
            .contains(booked["manage_url"].as_str().unwrap()),
        "the prospect's invitation carries the manage link"
    );
    assert!(
        prospect.text.contains("Asia/Kolkata (UTC+05:30)"),
        "the prospect reads the time in their own zone:\n{}",
        prospect.text
    );
    let host = &invites[1];
    assert!(
        !host.text.contains(booked["manage_url"].as_str().unwrap()),
        "hosts never get the prospect's private link"
    );
    assert!(host.text.contains("Europe/Berlin"), "{}", host.text);
    assert!(host.text.contains("Company: Prospect Inc"), "{}", host.text);

    let listed = emails(&app, "kind=invite&status=sent").await;
    assert_eq!(listed.len(), 2);
    let first_reminders = emails(&app, "kind=reminder").await;
    assert!(first_reminders.len() >= 2, "at least the 1 h reminders");
    assert!(
        first_reminders.iter().all(|r| r["status"] == "pending"),
        "reminders wait for their time"
    );

    let token = manage_token(booked["manage_url"].as_str().unwrap());
    let new_start = offered[offered.len() - 3]["start"].as_str().unwrap();
    let moved = app
        .client
        .post(app.url(&format!("/m/{token}/reschedule")))
        .json(&json!({"start": new_start}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let messages = delivered(&app, mail.path()).await;
    assert_eq!(messages.len(), 4);
    for raw in &messages[2..] {
        let update = parse(raw);
        assert!(update.subject.starts_with("Moved: "), "{}", update.subject);
        let (method, document) = update.calendar.expect("calendar");
        assert_eq!(method, "REQUEST");
        let event = Event::parse(&document);
        assert_eq!(event.value("UID"), uid);
        assert_eq!(event.value("SEQUENCE"), "1");
        assert_eq!(event.value("DTSTART"), ics_utc(new_start));
    }
    let reminders = emails(&app, "kind=reminder&status=pending").await;
    let dropped = emails(&app, "kind=reminder&status=dropped").await;
    assert_eq!(
        dropped.len(),
        first_reminders.len(),
        "the old time's reminders are dropped"
    );
    assert!(reminders.len() >= 2, "the new time's reminders are queued");

    let cancelled = app
        .client
        .post(app.url(&format!("/m/{token}/cancel")))
        .json(&json!({"reason": "Plans changed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let messages = delivered(&app, mail.path()).await;
    assert_eq!(messages.len(), 6);
    for raw in &messages[4..] {
        let cancel = parse(raw);
        assert!(
            cancel.subject.starts_with("Cancelled: "),
            "{}",
            cancel.subject
        );
        assert!(cancel.text.contains("Plans changed"));
        let (method, document) = cancel.calendar.expect("calendar");
        assert_eq!(method, "CANCEL");
        let event = Event::parse(&document);
        assert_eq!(event.method, "CANCEL");
        assert_eq!(event.value("UID"), uid);
        assert_eq!(event.value("SEQUENCE"), "2");
        assert_eq!(event.value("STATUS"), "CANCELLED");
    }
    assert!(emails(&app, "kind=reminder&status=pending")
        .await
        .is_empty());
    sink.stop();
}

#[tokio::test]
async fn approval_sends_the_invitations_and_rejection_tells_the_prospect() {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let app = spawn_app_with(smtp_to(sink.port)).await;
    app.create_user(json!({"email": "mia@convene.test", "name": "Mia Manager", "role": "meeting_manager", "timezone": "America/New_York"}))
        .await;
    let (meeting_type, _) = open_type(&app, json!({"requires_approval": true})).await;
    let link = link_for(&app, &meeting_type, json!({})).await;
    let offered = first_slot(&app, &link).await;
    let first = book_as(
        &app,
        &link,
        offered[0]["start"].as_str().unwrap(),
        "ana@prospect.test",
    )
    .await;
    assert_eq!(first["status"], "pending_approval");

    let messages = delivered(&app, mail.path()).await;
    let mut received: Vec<Received> = messages.iter().map(|raw| parse(raw)).collect();
    received.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].to, "ana@prospect.test");
    assert!(received[0].subject.starts_with("Request received: "));
    assert!(
        received[0].calendar.is_none(),
        "no invitation before approval"
    );
    assert_eq!(received[1].to, "mia@convene.test");
    assert!(received[1].subject.starts_with("Approval needed: "));
    assert!(
        received[1].text.contains("America/New_York"),
        "{}",
        received[1].text
    );

    let request_id = first["meeting_request_id"].as_str().unwrap();
    let approved = app
        .post_json(
            &format!("/api/v1/meeting-requests/{request_id}/approve"),
            &app.key_for(Role::MeetingManager),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "scheduled");
    let messages = delivered(&app, mail.path()).await;
    assert_eq!(
        messages.len(),
        4,
        "invitations to the prospect and the host"
    );
    for raw in &messages[2..] {
        let invite = parse(raw);
        assert_eq!(invite.calendar.expect("calendar").0, "REQUEST");
    }
    let meeting_emails = emails(
        &app,
        &format!("meeting_request_id={request_id}&kind=invite"),
    )
    .await;
    assert_eq!(meeting_emails.len(), 2);

    let second_start = offered[2]["start"].as_str().unwrap();
    let second = book_as(&app, &link, second_start, "bo@prospect.test").await;
    let second_id = second["meeting_request_id"].as_str().unwrap();
    app.run_pending_jobs().await;
    let rejected = app
        .post_json(
            &format!("/api/v1/meeting-requests/{second_id}/reject"),
            &app.admin_key,
            &json!({"reason": "We only meet companies in the EU for now."}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    let messages = delivered(&app, mail.path()).await;
    assert_eq!(messages.len(), 7);
    let rejection = parse(messages.last().unwrap());
    assert_eq!(rejection.to, "bo@prospect.test");
    assert!(rejection.subject.starts_with("About your request: "));
    assert!(rejection
        .text
        .contains("We only meet companies in the EU for now."));
    let still_offered = first_slot(&app, &link).await;
    assert!(
        still_offered
            .iter()
            .any(|slot| slot["start"] == second_start),
        "the rejected request's held time is free again"
    );
    sink.stop();
}

#[tokio::test]
async fn emails_queue_while_smtp_is_down_and_all_go_out_when_it_is_back() {
    let port = free_port();
    let app = spawn_app_with(|settings| {
        smtp_to(port)(settings);
        settings.worker.enabled = true;
    })
    .await;
    let (_, link) = open_type(&app, json!({})).await;
    let offered = first_slot(&app, &link).await;
    book_as(
        &app,
        &link,
        offered[0]["start"].as_str().unwrap(),
        "ana@prospect.test",
    )
    .await;
    book_as(
        &app,
        &link,
        offered[2]["start"].as_str().unwrap(),
        "bo@prospect.test",
    )
    .await;

    let waited = emails_once(&app, "kind=invite", |found| {
        found.iter().all(|e| e["attempts"].as_i64() >= Some(2))
    })
    .await;
    assert_eq!(waited.len(), 4);
    for email in &waited {
        assert_eq!(
            email["status"], "pending",
            "still queued while the server is down"
        );
        assert!(
            email["attempts"].as_i64().unwrap() >= 2,
            "retried with backoff: {email}"
        );
        assert!(email["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    }

    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(port, mail.path(), &["--fail-first", "1"]);
    let messages = wait_for_messages(mail.path(), 4, WAIT).await;
    assert_eq!(
        messages.len(),
        4,
        "every queued invitation arrives, none twice"
    );
    let sent = emails_once(&app, "kind=invite&status=sent", |found| found.len() == 4).await;
    assert_eq!(sent.len(), 4);
    let ids: std::collections::BTreeSet<String> =
        messages.iter().map(|raw| parse(raw).email_id).collect();
    assert_eq!(ids.len(), 4);
    sink.stop();
}

#[tokio::test]
async fn an_email_that_keeps_failing_is_marked_failed_and_can_be_retried() {
    let port = free_port();
    let app = spawn_app_with(|settings| {
        smtp_to(port)(settings);
        settings.email.max_attempts = 2;
        // A retry is due at once, so each run of the background work makes one attempt.
        settings.email.retry_base_secs = 0;
    })
    .await;
    let (_, link) = open_type(&app, json!({})).await;
    let offered = first_slot(&app, &link).await;
    book_as(
        &app,
        &link,
        offered[0]["start"].as_str().unwrap(),
        "ana@prospect.test",
    )
    .await;
    app.run_pending_jobs().await;
    let retrying = emails(&app, "kind=invite&status=pending").await;
    assert_eq!(retrying.len(), 2, "one failed attempt is retried");
    app.run_pending_jobs().await;
    let failed = emails(&app, "kind=invite&status=failed").await;
    assert_eq!(failed.len(), 2, "given up after max_attempts");
    assert_eq!(failed[0]["attempts"], 2);
    let id = failed[0]["id"].as_str().unwrap();

    let marketer = app.key_for(Role::Marketer);
    assert_problem(
        app.post_json(&format!("/api/v1/emails/{id}/retry"), &marketer, &json!({}))
            .await,
        403,
    )
    .await;
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(port, mail.path(), &[]);
    let retried = app
        .post_json(
            &format!("/api/v1/emails/{id}/retry"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(retried.status(), 200);
    let messages = delivered(&app, mail.path()).await;
    assert_eq!(messages.len(), 1, "only the retried email goes out");
    assert_eq!(parse(&messages[0]).email_id, id);
    assert_problem(
        app.post_json(
            &format!("/api/v1/emails/{id}/retry"),
            &app.admin_key,
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    sink.stop();
}

#[tokio::test]
async fn the_file_transport_writes_one_eml_file_per_email() {
    let app = spawn_app_with(|_| {}).await;
    let (_, link) = open_type(&app, json!({})).await;
    let offered = first_slot(&app, &link).await;
    book_as(
        &app,
        &link,
        offered[0]["start"].as_str().unwrap(),
        "ana@prospect.test",
    )
    .await;
    let files = delivered(&app, app.mail_dir.path()).await;
    assert_eq!(files.len(), 2);
    let sent = emails(&app, "kind=invite&status=sent").await;
    for file in &files {
        let parsed = parse(file);
        assert!(sent.iter().any(|e| e["id"] == parsed.email_id.as_str()));
        assert_eq!(parsed.calendar.expect("calendar").0, "REQUEST");
        assert!(
            parsed.message_id.ends_with("@127.0.0.1"),
            "{}",
            parsed.message_id
        );
    }
}

#[tokio::test]
async fn reminders_follow_the_configured_offsets_and_a_past_meeting_gets_none() {
    let app = spawn_app_with(|settings| {
        settings.email.reminder_offsets_minutes = vec![1440, 60, 15];
    })
    .await;
    let (_, link) = open_type(&app, json!({})).await;
    let offered = first_slot(&app, &link).await;
    let start_of = |slot: &Value| {
        DateTime::parse_from_rfc3339(slot["start"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    // A slot a minute either side of an offset would make the test race the clock.
    let slot = offered
        .iter()
        .rev()
        .find(|slot| {
            let ahead = (start_of(slot) - Utc::now()).num_minutes();
            [1440, 60, 15]
                .iter()
                .all(|offset| (ahead - offset).abs() > 2)
        })
        .unwrap();
    let start = start_of(slot);
    book_as(
        &app,
        &link,
        slot["start"].as_str().unwrap(),
        "ana@prospect.test",
    )
    .await;
    let reminders = emails(&app, "kind=reminder").await;
    let hours_ahead = (start - Utc::now()).num_minutes();
    let expected_offsets: Vec<i64> = [1440, 60, 15]
        .into_iter()
        .filter(|offset| *offset < hours_ahead)
        .collect();
    assert_eq!(
        reminders.len(),
        2 * expected_offsets.len(),
        "one per offset still ahead, for the prospect and the host"
    );
    for reminder in &reminders {
        let due = DateTime::parse_from_rfc3339(reminder["send_after"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc);
        let offset = (start - due).num_minutes();
        assert!(expected_offsets.contains(&offset), "{reminder}");
    }

    let lead = app.create_lead("past@prospect.test", true).await;
    let meeting_type: Value = app
        .get_json("/api/v1/meeting-types", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let logged = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["items"][0]["id"], "start": (Utc::now() - chrono::Duration::days(3)).to_rfc3339(), "log_past": true}),
        )
        .await;
    assert_eq!(logged.status(), 201);
    let logged: Value = logged.json().await.unwrap();
    assert!(
        emails(
            &app,
            &format!("meeting_request_id={}", logged["id"].as_str().unwrap())
        )
        .await
        .is_empty(),
        "a meeting logged after the fact sends nothing"
    );
}

#[tokio::test]
async fn the_outbox_api_validates_filters_and_is_for_managers() {
    let app = spawn_app_with(|_| {}).await;
    for query in ["kind=spam", "status=queued", "meeting_id=nope", "limit=0"] {
        assert_problem(
            app.get_json(&format!("/api/v1/emails?{query}"), &app.admin_key)
                .await,
            422,
        )
        .await;
    }
    for role in [Role::Marketer, Role::Host] {
        assert_problem(
            app.get_json("/api/v1/emails", &app.key_for(role)).await,
            403,
        )
        .await;
    }
    let manager = app
        .get_json("/api/v1/emails", &app.key_for(Role::MeetingManager))
        .await;
    assert_eq!(manager.status(), 200);
    assert_problem(
        app.get_json("/api/v1/emails/not-an-id", &app.admin_key)
            .await,
        404,
    )
    .await;
}

/// An email due a day from now, so that only the test's own claims (made "two days from now")
/// see it, never the app's worker.
fn queued_email(n: usize) -> NewEmail {
    NewEmail {
        kind: EmailKind::Invite,
        dedupe_key: format!("load:{n}"),
        meeting_id: None,
        meeting_request_id: None,
        recipient_email: format!("person{n}@example.test"),
        recipient_name: format!("Person {n}"),
        subject: format!("Message {n}"),
        body_text: "Hello".into(),
        body_html: "<p>Hello</p>".into(),
        calendar: None,
        send_after: Utc::now() + chrono::Duration::days(1),
        not_after: None,
    }
}

#[tokio::test]
async fn workers_claiming_at_once_never_take_the_same_email() {
    let app = spawn_app_with(|settings| settings.worker.enabled = true).await;
    let later = Utc::now() + chrono::Duration::days(2);
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.connection().unwrap();
        for n in 0..200 {
            assert!(outbox::enqueue(&mut conn, &queued_email(n), Utc::now()).unwrap());
        }
        assert!(
            !outbox::enqueue(&mut conn, &queued_email(0), Utc::now()).unwrap(),
            "the dedupe key refuses a second copy"
        );
    })
    .await
    .unwrap();
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let db = app.db.clone();
            std::thread::spawn(move || {
                let mut conn = db.connection().unwrap();
                let mut mine = Vec::new();
                loop {
                    let batch = outbox::claim_due(
                        &mut conn,
                        &format!("worker-{worker}"),
                        later,
                        chrono::Duration::seconds(60),
                        7,
                    )
                    .unwrap();
                    if batch.is_empty() {
                        break mine;
                    }
                    mine.extend(batch.into_iter().map(|email| email.id));
                }
            })
        })
        .collect();
    let claimed: Vec<Vec<String>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let all: Vec<&String> = claimed.iter().flatten().collect();
    let distinct: std::collections::BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), 200, "every email claimed");
    assert_eq!(distinct.len(), 200, "no email claimed twice");
}

#[tokio::test]
async fn the_emails_page_lists_shows_and_retries_failed_emails() {
    let port = free_port();
    let app = spawn_app_with(|settings| {
        smtp_to(port)(settings);
        settings.email.max_attempts = 1;
    })
    .await;
    let (_, link) = open_type(&app, json!({})).await;
    let offered = first_slot(&app, &link).await;
    book_as(
        &app,
        &link,
        offered[0]["start"].as_str().unwrap(),
        "ana@prospect.test",
    )
    .await;
    app.run_pending_jobs().await;
    let failed = emails(&app, "kind=invite&status=failed").await;
    assert_eq!(failed.len(), 2);
    let id = failed[0]["id"].as_str().unwrap();

    app.create_user_with_password("marketer@example.com", "marketer");
    sign_in(&app, "marketer@example.com", TEST_PASSWORD).await;
    let refused = app
        .client
        .get(app.url("/admin/emails"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "marketers do not read the outbox");

    app.create_user_with_password("mia@example.com", "meeting_manager");
    let signed_in = sign_in(&app, "mia@example.com", TEST_PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    let list = app
        .client
        .get(app.url("/admin/emails?status=failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains(&format!("/admin/emails/{id}")), "{html}");
    assert!(html.contains("ana@prospect.test") && html.contains("dana@example.com"));

    let page = app
        .client
        .get(app.url(&format!("/admin/emails/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Retry sending") && page.contains("BEGIN:VCALENDAR"));
    let token = csrf_token_in(&page);
    let forged = app
        .client
        .post(app.url(&format!("/admin/emails/{id}/retry")))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "CSRF is checked");

    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(port, mail.path(), &[]);
    let retried = app
        .client
        .post(app.url(&format!("/admin/emails/{id}/retry")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 303);
    let messages = delivered(&app, mail.path()).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(parse(&messages[0]).email_id, id);
    sink.stop();
}
