//! The meeting managers' approval queue over HTTP: decisions from the queue (single, with other
//! hosts, bulk), the approve/reject links of approval emails, roles, and the worker's expiries
//! and escalations.

use std::sync::Arc;

use chrono::Utc;
use convene::auth::link_keys::{LinkKey, LinkPurpose};
use convene::clock::FixedClock;
use convene::db::schema::{meeting_requests, server_secrets};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::booking::{always_available_host, link_for, tomorrow};
use crate::emails::emails;
use crate::helpers::{csrf_token_in, spawn_app_on, spawn_app_with, TestApp, TEST_PASSWORD};

/// A round-robin type over two always-free hosts that needs approval, and a link to it.
async fn approval_type(app: &TestApp) -> (Vec<String>, Value) {
    let dana = always_available_host(app, "dana@example.com").await;
    let eric = app
        .create_user(json!({"email": "eric@example.com", "name": "Eric Expert", "role": "host", "title": "CTO", "timezone": "America/New_York", "working_hours": crate::booking::every_day()}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let meeting_type = app
        .create_meeting_type(
            "exec",
            &[dana.clone(), eric.clone()],
            json!({"requires_approval": true, "min_notice_minutes": 0, "slot_step_minutes": 30, "host_mode": "round_robin"}),
        )
        .await;
    let link = link_for(app, &meeting_type, json!({})).await;
    (vec![dana, eric], link)
}

async fn slot_starts(app: &TestApp, link: &Value) -> Vec<String> {
    let slug = link["slug"].as_str().unwrap();
    app.free_starts(slug, &tomorrow(), "Asia/Kolkata").await
}

async fn book(app: &TestApp, link: &Value, start: &str, email: &str) -> String {
    let response = app
        .client
        .post(app.url(&format!("/book/{}", link["slug"].as_str().unwrap())))
        .json(&json!({"start": start, "name": "Pat Prospect", "email": email, "timezone": "Asia/Kolkata", "company": "Prospect Inc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "pending_approval");
    body["meeting_request_id"].as_str().unwrap().to_owned()
}

async fn request(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/api/v1/meeting-requests/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap()
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn manager(app: &TestApp) {
    app.create_user_with_password("mia@example.com", "meeting_manager");
    assert_eq!(
        sign_in(app, "mia@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
}

#[tokio::test]
async fn managers_decide_from_the_queue_and_other_roles_cannot_see_it() {
    let app = spawn_app_with(|_| {}).await;
    let (hosts, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    let first = book(&app, &link, &starts[0], "first@prospect.test").await;
    let second = book(&app, &link, &starts[2], "second@prospect.test").await;

    for role in ["host", "marketer"] {
        let email = format!("{role}@example.com");
        app.create_user_with_password(&email, role);
        sign_in(&app, &email, TEST_PASSWORD).await;
        let (status, _) = page(&app, "/admin/approvals").await;
        assert_eq!(status, 403, "{role} may not see the queue");
        let (_, home) = page(&app, "/admin").await;
        assert!(
            !home.contains("/admin/approvals"),
            "no Approvals link for {role}"
        );
    }

    manager(&app).await;
    let home = app.client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(home.status(), 303);
    assert_eq!(
        home.headers()["location"],
        "/admin/approvals",
        "the queue is their home"
    );
    let (status, html) = page(&app, "/admin/approvals").await;
    assert_eq!(status, 200);
    let first_at = html
        .find(&format!("request-{first}"))
        .expect("first listed");
    let second_at = html
        .find(&format!("request-{second}"))
        .expect("second listed");
    assert!(first_at < second_at, "oldest first");
    assert!(html.contains("Pat Prospect") && html.contains("Prospect Inc"));
    assert!(html.contains("On time"), "SLA badge");
    assert!(
        html.contains("Europe/Berlin") && html.contains("prospect: "),
        "both zones"
    );
    assert!(html.contains("Asia/Kolkata"));
    assert!(html.contains("2 waiting"));
    let token = csrf_token_in(&html);

    let (status, count) = page(&app, "/admin/approvals/count").await;
    assert_eq!((status, count.as_str()), (200, r#"{"pending":2}"#));

    let (status, html) = post_form(
        &app,
        &format!("/admin/approvals/{second}/reject"),
        &[("csrf_token", &token), ("reason", "")],
    )
    .await;
    assert_ne!(status, 303, "a rejection needs a reason");
    assert!(html.contains("reason"), "{html}");
    assert_eq!(request(&app, &second).await["status"], "pending_approval");

    let held_by = request(&app, &first).await["host_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let other = hosts.iter().find(|h| **h != held_by).unwrap().clone();
    let (status, _) = post_form(
        &app,
        &format!("/admin/approvals/{first}/approve"),
        &[
            ("csrf_token", &token),
            ("host_ids", &other),
            ("note", "Eric knows them"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let approved = request(&app, &first).await;
    assert_eq!(approved["status"], "scheduled");
    assert_eq!(
        approved["host_ids"],
        json!([other]),
        "approved with the other host"
    );
    let meeting: Value = app
        .get_json(&format!("/api/v1/meetings?host_id={other}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        meeting["items"].as_array().unwrap().len(),
        1,
        "the meeting moved to them"
    );
    let invites = emails(&app, &format!("meeting_request_id={first}&kind=invite")).await;
    assert_eq!(
        invites.len(),
        2,
        "invitations queued for the prospect and the host"
    );

    let (status, _) = post_form(
        &app,
        &format!("/admin/approvals/{first}/approve"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(status, 409, "deciding again is a clear conflict");

    let (status, _) = post_form(
        &app,
        &format!("/admin/approvals/{second}/reject"),
        &[("csrf_token", "forged"), ("reason", "No")],
    )
    .await;
    assert_eq!(status, 403, "CSRF is checked");
    let (status, _) = post_form(
        &app,
        &format!("/admin/approvals/{second}/reject"),
        &[("csrf_token", &token), ("reason", "Outside our market")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(request(&app, &second).await["status"], "rejected");
    assert!(
        slot_starts(&app, &link).await.contains(&starts[2]),
        "the rejected request's time is free again"
    );
    let (_, detail) = page(&app, &format!("/admin/requests/{second}")).await;
    assert!(detail.contains("Outside our market") && detail.contains("reject"));
    assert!(
        detail.contains("Test meeting_manager") && !detail.contains("user:"),
        "the trail names people, not ids"
    );
    assert!(
        detail.contains(" CET</time>") || detail.contains(" CEST</time>"),
        "times are in the manager's zone, named"
    );
    let (_, scheduled) = page(&app, &format!("/admin/requests/{first}")).await;
    assert!(
        scheduled.contains("/admin/meetings/"),
        "it links to the meeting's outcome page"
    );
    assert!(detail.contains("rejection"), "its emails are listed");
}

#[tokio::test]
async fn bulk_decisions_report_what_someone_else_decided_first() {
    let app = spawn_app_with(|_| {}).await;
    let (_, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    let a = book(&app, &link, &starts[0], "a@prospect.test").await;
    let b = book(&app, &link, &starts[2], "b@prospect.test").await;
    let c = book(&app, &link, &starts[4], "c@prospect.test").await;
    manager(&app).await;
    let (_, html) = page(&app, "/admin/approvals").await;
    let token = csrf_token_in(&html);
    let rejected = app
        .post_json(
            &format!("/api/v1/meeting-requests/{c}/reject"),
            &app.admin_key,
            &json!({"reason": "Duplicate"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);

    let (status, html) = post_form(
        &app,
        "/admin/approvals/bulk",
        &[
            ("csrf_token", &token),
            ("action", "reject"),
            ("ids", &a),
            ("ids", &b),
        ],
    )
    .await;
    assert_ne!(status, 303, "a bulk rejection needs a reason");
    assert!(html.contains("reason"));
    let (status, html) = post_form(
        &app,
        "/admin/approvals/bulk",
        &[
            ("csrf_token", &token),
            ("action", "approve"),
            ("ids", &a),
            ("ids", &b),
            ("ids", &c),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("Approved 2 requests"), "{html}");
    assert!(html.contains("rejected"), "the one decided first is named");
    for id in [&a, &b] {
        assert_eq!(request(&app, id).await["status"], "scheduled");
    }
    assert_eq!(request(&app, &c).await["status"], "rejected");
}

fn link_key(app: &TestApp) -> LinkKey {
    let mut conn = app.db.connection().unwrap();
    let secret: String = server_secrets::table
        .find("link_key")
        .select(server_secrets::value)
        .first(&mut *conn)
        .unwrap();
    LinkKey::from_secret(&secret)
}

#[tokio::test]
async fn approval_emails_carry_a_link_that_confirms_before_it_decides() {
    let app = spawn_app_with(|_| {}).await;
    let manager_id = app
        .create_user(json!({"email": "mia@example.com", "name": "Mia Manager", "role": "meeting_manager", "timezone": "America/New_York"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    let id = book(&app, &link, &starts[0], "pat@prospect.test").await;
    let asked = emails(
        &app,
        &format!("meeting_request_id={id}&kind=approval_request"),
    )
    .await;
    assert_eq!(asked.len(), 1);
    let email: Value = app
        .get_json(
            &format!("/api/v1/emails/{}", asked[0]["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        email.get("body_text").is_none(),
        "the API never shows bodies"
    );
    app.run_pending_jobs().await;
    let body = crate::smtp::received(app.mail_dir.path())
        .iter()
        .map(|raw| String::from_utf8_lossy(raw).replace("=\r\n", ""))
        .find(|text| text.contains("Approval needed"))
        .expect("the approval email was written");
    let start = body.find("/decide/").expect("a decision link");
    let token: String = body[start + "/decide/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();

    let (status, html) = page(&app, &format!("/decide/{token}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Pat Prospect") && html.contains("America/New_York"));
    assert_eq!(
        request(&app, &id).await["status"],
        "pending_approval",
        "opening the link decides nothing"
    );
    let csrf = csrf_token_in(&html);
    let (status, _) = post_form(
        &app,
        &format!("/decide/{token}/approve"),
        &[("csrf_token", "x")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, done) = post_form(
        &app,
        &format!("/decide/{token}/approve"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("Approved"));
    let decided = request(&app, &id).await;
    assert_eq!(decided["status"], "scheduled");
    let approval = decided["audit"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["action"] == "approve")
        .unwrap()
        .clone();
    assert_eq!(
        approval["actor"],
        format!("user:{manager_id}"),
        "decided as the manager"
    );

    let (status, again) = page(&app, &format!("/decide/{token}")).await;
    assert_eq!(status, 200);
    assert!(again.contains("already been decided"));
    let (status, _) = post_form(
        &app,
        &format!("/decide/{token}/reject"),
        &[("csrf_token", &csrf), ("reason", "late")],
    )
    .await;
    assert_eq!(status, 409, "a used link cannot decide again");

    let mut forged = token.clone();
    forged.pop();
    assert_eq!(page(&app, &format!("/decide/{forged}")).await.0, 404);
    let expired = link_key(&app).signed(
        LinkPurpose::DecideRequest,
        &format!("{id}:{manager_id}"),
        Utc::now() - chrono::Duration::minutes(1),
    );
    assert_eq!(page(&app, &format!("/decide/{expired}")).await.0, 410);
}

pub fn backdate(app: &TestApp, id: &str, hours: i64) {
    let mut conn = app.db.connection().unwrap();
    let then = (Utc::now() - chrono::Duration::hours(hours)).naive_utc();
    diesel::update(meeting_requests::table.find(id))
        .set((
            meeting_requests::created_at.eq(then),
            meeting_requests::updated_at.eq(then),
        ))
        .execute(&mut *conn)
        .unwrap();
}

#[tokio::test]
async fn the_worker_releases_stale_holds_expires_unscheduled_approvals_and_escalates() {
    let app = spawn_app_with(|settings| {
        settings.workflow.hold_expiry_hours = 48;
        settings.workflow.approval_sla_hours = 24;
        settings.workflow.approved_expiry_days = 14;
        settings.workflow.escalation_email = "backup@example.com".into();
    })
    .await;
    let (hosts, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    let stale = book(&app, &link, &starts[0], "stale@prospect.test").await;
    let overdue = book(&app, &link, &starts[2], "overdue@prospect.test").await;
    let fresh = book(&app, &link, &starts[4], "fresh@prospect.test").await;
    backdate(&app, &stale, 49);
    backdate(&app, &overdue, 25);

    app.run_pending_jobs().await;
    let expired = request(&app, &stale).await;
    assert_eq!(expired["status"], "expired", "{expired}");
    assert_eq!(
        expired["audit"].as_array().unwrap().last().unwrap()["actor"],
        "system"
    );
    assert!(
        slot_starts(&app, &link).await.contains(&starts[0]),
        "its held time is free again"
    );
    let told = emails(&app, &format!("meeting_request_id={stale}&kind=rejection")).await;
    assert_eq!(told.len(), 1, "the prospect hears the time was released");

    let escalations = emails(&app, "kind=escalation").await;
    assert_eq!(
        escalations.len(),
        1,
        "one escalation, for the overdue request only"
    );
    assert_eq!(escalations[0]["to"], "backup@example.com");
    assert_eq!(escalations[0]["meeting_request_id"], overdue.as_str());
    app.run_pending_jobs().await;
    assert_eq!(
        emails(&app, "kind=escalation").await.len(),
        1,
        "escalated once, not per round"
    );
    assert_eq!(request(&app, &overdue).await["status"], "pending_approval");
    assert_eq!(request(&app, &fresh).await["status"], "pending_approval");

    let lead = app.create_lead("later@prospect.test", false).await;
    let types: Value = app
        .get_json("/api/v1/meeting-types", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let created: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": types["items"][0]["id"], "host_ids": [hosts[0]]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let unscheduled = created["id"].as_str().unwrap().to_owned();
    let approved = app
        .post_json(
            &format!("/api/v1/meeting-requests/{unscheduled}/approve"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    backdate(&app, &unscheduled, 15 * 24);
    app.run_pending_jobs().await;
    let unscheduled = request(&app, &unscheduled).await;
    assert_eq!(unscheduled["status"], "expired", "{unscheduled}");
}

#[tokio::test]
async fn two_managers_deciding_a_held_request_at_once_get_one_answer_each() {
    let app = spawn_app_with(|_| {}).await;
    let (_, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    let manager_key = app.key_for(convene::auth::roles::Role::MeetingManager);
    for (n, start) in starts.iter().step_by(2).take(5).enumerate() {
        let id = book(&app, &link, start, &format!("race{n}@prospect.test")).await;
        let (approve_path, reject_path) = (
            format!("/api/v1/meeting-requests/{id}/approve"),
            format!("/api/v1/meeting-requests/{id}/reject"),
        );
        let (approve_body, reject_body) = (json!({}), json!({"reason": "Not a fit"}));
        let approve = app.post_json(&approve_path, &manager_key, &approve_body);
        let reject = app.post_json(&reject_path, &app.admin_key, &reject_body);
        let (approved, rejected) = tokio::join!(approve, reject);
        let mut statuses = [approved.status().as_u16(), rejected.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "one decision wins, the other is told");
        let decided = request(&app, &id).await;
        let meetings: Value = app
            .get_json("/api/v1/meetings?status=scheduled", &app.admin_key)
            .await
            .json()
            .await
            .unwrap();
        let scheduled = meetings["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["meeting_request_id"] == id.as_str());
        assert_eq!(
            scheduled,
            decided["status"] == "scheduled",
            "the meeting follows the decision that won: {decided}"
        );
        let invites = emails(&app, &format!("meeting_request_id={id}&kind=invite")).await;
        let rejections = emails(&app, &format!("meeting_request_id={id}&kind=rejection")).await;
        assert_eq!(
            (invites.is_empty(), rejections.is_empty()),
            if scheduled {
                (false, true)
            } else {
                (true, false)
            },
            "only the winner's emails exist"
        );
    }
}

#[tokio::test]
async fn an_approved_request_without_a_time_is_scheduled_from_its_own_slots() {
    let app = spawn_app_with(|_| {}).await;
    let (hosts, _) = approval_type(&app).await;
    let lead = app.create_lead("sam@prospect.test", true).await;
    let types: Value = app
        .get_json("/api/v1/meeting-types", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let created: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": types["items"][0]["id"], "host_ids": [hosts[1]]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let day = tomorrow();
    let offered: Value = app
        .get_json(
            &format!("/api/v1/meeting-requests/{id}/slots?from={day}&to={day}&tz=America/New_York"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    let start = offered["slots"][3]["start"].as_str().unwrap().to_owned();
    assert!(start.ends_with("-05:00"), "in the asked zone: {start}");

    let early = app
        .post_json(
            &format!("/api/v1/meeting-requests/{id}/schedule"),
            &app.admin_key,
            &json!({"start": start}),
        )
        .await;
    assert_eq!(
        early.status(),
        409,
        "a pending request cannot be scheduled yet"
    );
    let approved = app
        .post_json(
            &format!("/api/v1/meeting-requests/{id}/approve"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let host_key = app.key_for(convene::auth::roles::Role::Host);
    let refused = app
        .post_json(
            &format!("/api/v1/meeting-requests/{id}/schedule"),
            &host_key,
            &json!({"start": start}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let bad = app
        .post_json(
            &format!("/api/v1/meeting-requests/{id}/schedule"),
            &app.admin_key,
            &json!({"start": "tomorrow"}),
        )
        .await;
    assert_eq!(bad.status(), 422);

    let scheduled = app
        .post_json(
            &format!("/api/v1/meeting-requests/{id}/schedule"),
            &app.admin_key,
            &json!({"start": start}),
        )
        .await;
    assert_eq!(scheduled.status(), 200);
    let scheduled: Value = scheduled.json().await.unwrap();
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["meeting"]["status"], "scheduled");
    let host_emails: Vec<&str> = scheduled["meeting"]["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["role"] == "host")
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(host_emails, ["eric@example.com"], "the request's own host");
    assert_eq!(request(&app, &id).await["status"], "scheduled");
    assert_eq!(
        emails(&app, &format!("meeting_request_id={id}&kind=invite"))
            .await
            .len(),
        2
    );
    let again = app
        .post_json(
            &format!("/api/v1/meeting-requests/{id}/schedule"),
            &app.admin_key,
            &json!({"start": start}),
        )
        .await;
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn managers_can_get_a_digest_of_the_queue_instead_of_an_email_per_request() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_on(clock.clone(), |settings| {
        settings.workflow.approval_digest_minutes = 60;
    })
    .await;
    app.create_user(json!({"email": "mia@example.com", "name": "Mia Manager", "role": "meeting_manager", "timezone": "America/New_York"}))
        .await;
    let (_, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    let first = book(&app, &link, &starts[0], "first@prospect.test").await;
    book(&app, &link, &starts[2], "second@prospect.test").await;

    app.run_pending_jobs().await;
    let digests = emails(&app, "kind=approval_digest").await;
    assert_eq!(digests.len(), 1, "one digest for the manager");
    assert_eq!(digests[0]["to"], "mia@example.com");
    assert!(
        emails(&app, "kind=approval_request").await.is_empty(),
        "no email per request"
    );
    assert!(
        digests[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("2 meeting requests"),
        "it lists the queue: {}",
        digests[0]["subject"]
    );

    clock.advance(chrono::Duration::minutes(1));
    book(&app, &link, &starts[4], "third@prospect.test").await;
    app.run_pending_jobs().await;
    assert_eq!(
        emails(&app, "kind=approval_digest").await.len(),
        1,
        "at most one digest per interval"
    );
    clock.advance(chrono::Duration::minutes(60));
    app.run_pending_jobs().await;
    let digests = emails(&app, "kind=approval_digest").await;
    assert_eq!(digests.len(), 2, "the next interval's digest");
    assert!(
        digests[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("3 meeting requests"),
        "it lists the whole queue: {}",
        digests[0]["subject"]
    );
    assert_eq!(request(&app, &first).await["status"], "pending_approval");
}

/// Creates the lead of `email` with `campaign` before it books, so its request carries it.
async fn lead_in(app: &TestApp, email: &str, campaign: &str) {
    let response = app
        .post_json(
            "/api/v1/leads",
            &app.admin_key,
            &json!({"email": email, "name": "Pat Prospect", "campaign": campaign}),
        )
        .await;
    assert!(response.status().is_success());
}

/// The order in which `ids` appear on the page; absent ones are left out.
fn listed(html: &str, ids: &[&String]) -> Vec<String> {
    let mut found: Vec<(usize, String)> = ids
        .iter()
        .filter_map(|id| {
            html.find(&format!("id=\"request-{id}\""))
                .map(|at| (at, (*id).clone()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test]
async fn the_queue_filters_and_sorts_by_query_and_a_decision_returns_to_the_same_view() {
    let app = spawn_app_with(|_| {}).await;
    let (_, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    lead_in(&app, "a@prospect.test", "spring").await;
    lead_in(&app, "b@prospect.test", "spring").await;
    lead_in(&app, "c@prospect.test", "autumn").await;
    let a = book(&app, &link, &starts[0], "a@prospect.test").await;
    let b = book(&app, &link, &starts[2], "b@prospect.test").await;
    let c = book(&app, &link, &starts[4], "c@prospect.test").await;
    backdate(&app, &a, 30);
    backdate(&app, &b, 2);
    backdate(&app, &c, 1);
    manager(&app).await;
    let all = [&a, &b, &c];

    let (_, html) = page(&app, "/admin/approvals").await;
    assert_eq!(listed(&html, &all), [a.clone(), b.clone(), c.clone()]);
    assert!(
        html.contains(r#"id="nav-pending-count">3"#),
        "the navigation counts what waits"
    );
    let (_, html) = page(&app, "/admin/approvals?sort=newest").await;
    assert_eq!(listed(&html, &all), [c.clone(), b.clone(), a.clone()]);
    let (_, html) = page(&app, "/admin/approvals?overdue=1").await;
    assert_eq!(listed(&html, &all), std::slice::from_ref(&a));
    let (_, html) = page(&app, "/admin/approvals?campaign=spring&sort=newest").await;
    assert_eq!(listed(&html, &all), [b.clone(), a.clone()]);
    assert!(html.contains("2 of 3 match"));
    let b_host = request(&app, &b).await["host_ids"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, html) = page(&app, &format!("/admin/approvals?host={b_host}")).await;
    assert!(listed(&html, &all).contains(&b));
    for id in listed(&html, &all) {
        assert_eq!(request(&app, &id).await["host_ids"][0], b_host.as_str());
    }
    let meeting_type = request(&app, &a).await["meeting_type_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, html) = page(
        &app,
        &format!("/admin/approvals?meeting_type={meeting_type}"),
    )
    .await;
    assert_eq!(listed(&html, &all).len(), 3);
    let (_, html) = page(
        &app,
        "/admin/approvals?meeting_type=00000000-0000-4000-8000-000000000000",
    )
    .await;
    assert!(listed(&html, &all).is_empty());
    assert!(html.contains("No waiting request matches these filters"));

    let (_, html) = page(&app, "/admin/approvals?campaign=spring&sort=newest").await;
    assert!(html.contains(r#"name="view" value="campaign=spring&amp;sort=newest""#));
    let token = csrf_token_in(&html);
    let response = app
        .client
        .post(app.url(&format!("/admin/approvals/{b}/approve")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("view", "campaign=spring&sort=newest"),
            ("next", a.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/approvals?campaign=spring&sort=newest&done="),
        "{location}"
    );
    assert!(location.ends_with(&format!("#request-{a}")), "{location}");
    let (_, html) = page(&app, &location).await;
    let notice = html
        .split("id=\"decision-notice\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(
        notice.starts_with("Approved: Pat Prospect — Meeting exec, "),
        "{notice}"
    );
    assert!(
        notice.contains(" CET") || notice.contains(" CEST"),
        "the held time in the manager's zone: {notice}"
    );
    assert_eq!(
        listed(&html, &all),
        std::slice::from_ref(&a),
        "the same view"
    );
    assert!(html.contains(r#"id="nav-pending-count">2"#));
}

#[tokio::test]
async fn bulk_decisions_take_each_requests_own_reason_or_the_common_one() {
    let app = spawn_app_with(|_| {}).await;
    let (_, link) = approval_type(&app).await;
    let starts = slot_starts(&app, &link).await;
    let a = book(&app, &link, &starts[0], "a@prospect.test").await;
    let b = book(&app, &link, &starts[2], "b@prospect.test").await;
    let c = book(&app, &link, &starts[4], "c@prospect.test").await;
    manager(&app).await;
    let (_, html) = page(&app, "/admin/approvals?sort=newest").await;
    assert!(html.contains(r#"id="select-all""#));
    let token = csrf_token_in(&html);
    let rows = [
        ("reason_for", a.as_str()),
        ("reasons", "Not our market"),
        ("reason_for", b.as_str()),
        ("reasons", ""),
        ("reason_for", c.as_str()),
        ("reasons", ""),
    ];
    let mut missing = vec![
        ("csrf_token", token.as_str()),
        ("action", "reject"),
        ("ids", a.as_str()),
        ("ids", b.as_str()),
        ("view", "sort=newest"),
    ];
    missing.extend_from_slice(&rows);
    let (status, html) = post_form(&app, "/admin/approvals/bulk", &missing).await;
    assert_eq!(status, 409);
    assert!(
        html.contains("1 of the checked requests have none"),
        "{html}"
    );
    assert_eq!(request(&app, &a).await["status"], "pending_approval");

    let mut form = vec![
        ("csrf_token", token.as_str()),
        ("action", "reject"),
        ("ids", a.as_str()),
        ("ids", b.as_str()),
        ("reason", "Fully booked this quarter"),
        ("view", "sort=newest"),
    ];
    form.extend_from_slice(&rows);
    let response = app
        .client
        .post(app.url("/admin/approvals/bulk"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/approvals?sort=newest&done="),
        "{location}"
    );
    let (_, html) = page(&app, &location).await;
    assert!(
        html.contains("Declined 2 requests: Pat Prospect — Meeting exec"),
        "{html}"
    );
    let (_, detail) = page(&app, &format!("/admin/requests/{a}")).await;
    assert!(detail.contains("Not our market"));
    let (_, detail) = page(&app, &format!("/admin/requests/{b}")).await;
    assert!(detail.contains("Fully booked this quarter"));
    assert_eq!(request(&app, &c).await["status"], "pending_approval");
}
