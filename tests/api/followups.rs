//! After a meeting: the worker asks the hosts for its outcome through a one-click link, asks
//! once more after 48 h, and sends the survey once a surveyed meeting is recorded as held.

use chrono::Utc;
use convene::auth::link_keys::{LinkKey, LinkPurpose};
use convene::db::schema::{emails, meetings, server_secrets};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::booking::{book, booking, first_slot, open_type};
use crate::emails::emails;
use crate::helpers::{csrf_token_in, spawn_app, TestApp};

/// Moves meeting `id` (booked days before) `ended_hours_ago` into the past.
pub fn move_into_the_past(app: &TestApp, id: &str, ended_hours_ago: i64) {
    let mut conn = app.db.connection().unwrap();
    let end = Utc::now() - chrono::Duration::hours(ended_hours_ago);
    diesel::update(meetings::table.find(id))
        .set((
            meetings::start_utc.eq((end - chrono::Duration::minutes(30)).naive_utc()),
            meetings::end_utc.eq(end.naive_utc()),
            meetings::created_at.eq((end - chrono::Duration::days(5)).naive_utc()),
        ))
        .execute(&mut *conn)
        .unwrap();
}

/// The link to `path_prefix` in the email file `email_id` wrote.
pub fn link_in(app: &TestApp, email_id: &str, path_prefix: &str) -> String {
    let path = app.mail_dir.path().join(format!("{email_id}.eml"));
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("email {email_id} not written: {e}"));
    let text = String::from_utf8_lossy(&raw).replace("=\r\n", "");
    let start = text.find(path_prefix).expect("the link is in the email");
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "/-_.".contains(*c))
        .collect()
}

async fn booked_meeting(app: &TestApp, survey: bool) -> String {
    let (_, link) = open_type(app, json!({"survey": survey})).await;
    let start = first_slot(app, &link).await;
    let booked: Value = book(app, &link, &booking(&start, "pat@bigco.com"))
        .await
        .json()
        .await
        .unwrap();
    let request: Value = app
        .get_json("/api/v1/meetings", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let meeting = request["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["meeting_request_id"] == booked["meeting_request_id"])
        .unwrap()
        .clone();
    meeting["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hosts_record_the_outcome_from_the_email_link_once_and_the_prospect_gets_the_survey() {
    let app = spawn_app().await;
    let meeting = booked_meeting(&app, true).await;
    app.run_pending_jobs().await;
    assert!(
        emails(&app, "kind=outcome_request").await.is_empty(),
        "nobody is asked before the meeting has ended"
    );
    move_into_the_past(&app, &meeting, 1);

    app.run_pending_jobs().await;
    let asked = emails(&app, &format!("meeting_id={meeting}&kind=outcome_request")).await;
    assert_eq!(asked.len(), 1, "the host is asked once");
    assert_eq!(asked[0]["to"], "dana@example.com");
    let path = link_in(&app, asked[0]["id"].as_str().unwrap(), "/outcome/");

    let page = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Meeting intro with Pat Prospect"));
    let csrf = csrf_token_in(&html);
    let forged_csrf = app
        .client
        .post(app.url(&path))
        .form(&[("csrf_token", "x"), ("status", "held")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged_csrf.status(), 403);
    let invalid = app
        .client
        .post(app.url(&path))
        .form(&[("csrf_token", csrf.as_str()), ("status", "maybe")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        invalid.status(),
        422,
        "a bad form is shown again with the reason"
    );
    let recorded = app
        .client
        .post(app.url(&path))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("status", "held"),
            ("notes", "Strong interest"),
            ("next_step", "Send a proposal"),
            ("amount", "25000.00"),
            ("currency", "EUR"),
            ("stage", "proposal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), 200);
    assert!(recorded.text().await.unwrap().contains("Recorded: held"));
    let detail: Value = app
        .get_json(&format!("/api/v1/meetings/{meeting}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["outcome"]["status"], "held");
    assert_eq!(detail["outcome"]["opportunity"]["amount"], "25000.00");

    let reused = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(reused.status(), 409, "the link works once");
    assert!(reused.text().await.unwrap().contains("Already recorded"));
    let mut forged = path.clone();
    forged.pop();
    let refused = app.client.get(app.url(&forged)).send().await.unwrap();
    assert_eq!(refused.status(), 404);
    assert!(refused.text().await.unwrap().contains("not valid"));
    let key = {
        let mut conn = app.db.connection().unwrap();
        let secret: String = server_secrets::table
            .find("link_key")
            .select(server_secrets::value)
            .first(&mut *conn)
            .unwrap();
        LinkKey::from_secret(&secret)
    };
    let expired = key.signed(
        LinkPurpose::RecordOutcome,
        &format!("{meeting}:someone"),
        Utc::now() - chrono::Duration::minutes(1),
    );
    let gone = app
        .client
        .get(app.url(&format!("/outcome/{expired}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("expired"));

    app.run_pending_jobs().await;
    let surveys = emails(&app, &format!("meeting_id={meeting}&kind=survey")).await;
    assert_eq!(surveys.len(), 1, "the prospect is invited to the survey");
    assert_eq!(surveys[0]["to"], "pat@bigco.com");
    let survey_path = link_in(&app, surveys[0]["id"].as_str().unwrap(), "/survey/");
    let survey = app.client.get(app.url(&survey_path)).send().await.unwrap();
    assert_eq!(survey.status(), 200);
}

#[tokio::test]
async fn an_unrecorded_meeting_reminds_its_hosts_once_after_two_days() {
    let app = spawn_app().await;
    let meeting = booked_meeting(&app, false).await;
    move_into_the_past(&app, &meeting, 49);
    let outcome_requests = format!("meeting_id={meeting}&kind=outcome_request");
    app.run_pending_jobs().await;
    assert_eq!(emails(&app, &outcome_requests).await.len(), 1);
    {
        let mut conn = app.db.connection().unwrap();
        diesel::update(emails::table.filter(emails::meeting_id.eq(&meeting)))
            .set(emails::created_at.eq((Utc::now() - chrono::Duration::hours(25)).naive_utc()))
            .execute(&mut *conn)
            .unwrap();
    }
    app.run_pending_jobs().await;
    let reminded = emails(&app, &outcome_requests).await;
    assert_eq!(reminded.len(), 2, "one reminder");
    assert!(reminded
        .iter()
        .any(|email| email["subject"].as_str().unwrap().starts_with("Reminder: ")));
    app.run_pending_jobs().await;
    assert_eq!(
        emails(&app, &outcome_requests).await.len(),
        2,
        "and only one"
    );
    let no_survey = emails(&app, "kind=survey").await;
    assert!(no_survey.is_empty(), "no survey for a type without one");

    app.create_user_with_password("mia@example.com", "meeting_manager");
    crate::admin_ui::sign_in(&app, "mia@example.com", crate::helpers::TEST_PASSWORD).await;
    let week = (Utc::now() - chrono::Duration::hours(49))
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%d")
        .to_string();
    let html = app
        .client
        .get(app.url(&format!("/admin/meetings?week={week}&view=list")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("outcome missing"),
        "the meetings view flags it: {html}"
    );
}
