//! The public survey pages: single-use tokens, forged and expired ones refused, JSON or form.

use chrono::{DateTime, Duration, Utc};
use convene::outcomes::surveys::create_survey_invitation;
use convene::values::Email;
use serde_json::json;

use crate::booking::open_type;
use crate::helpers::{assert_problem, csrf_token_in, spawn_app, TestApp};
use crate::outcomes::log_meeting;

pub fn invite(app: &TestApp, meeting_id: &str, recipient: &str, now: DateTime<Utc>) -> String {
    let mut conn = app.db.connection().expect("connection");
    let recipient = Email::parse(recipient).expect("email");
    create_survey_invitation(&mut conn, meeting_id, &recipient, now).expect("invitation")
}

async fn post_answer(app: &TestApp, token: &str, body: &serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/survey/{token}")))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn held_meeting(app: &TestApp) -> String {
    let (meeting_type, _) = open_type(app, json!({"survey": true})).await;
    let lead = app.create_lead("survey@bigco.com", true).await;
    log_meeting(
        app,
        &lead["id"],
        &meeting_type["id"],
        Utc::now() - Duration::days(1),
    )
    .await
}

#[tokio::test]
async fn a_survey_is_answered_once_from_its_form() {
    let app = spawn_app().await;
    let meeting = held_meeting(&app).await;
    let token = invite(&app, &meeting, "survey@bigco.com", Utc::now());
    assert!(token.len() >= 22, "at least 128 random bits");

    let page = app
        .client
        .get(app.url(&format!("/survey/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Meeting intro"));
    assert!(html.contains(r#"<label for="comments">"#));
    assert!(html.contains(r#"name="viewport""#));
    let csrf = csrf_token_in(&html);

    let without_csrf = app
        .client
        .post(app.url(&format!("/survey/{token}")))
        .form(&[("rating", "5"), ("buyer_intent", "high")])
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), 403);
    let invalid = app
        .client
        .post(app.url(&format!("/survey/{token}")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("rating", "9"),
            ("buyer_intent", "high"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    assert!(invalid
        .text()
        .await
        .unwrap()
        .contains("rating must be a whole number from 1 to 5"));
    let answered = app
        .client
        .post(app.url(&format!("/survey/{token}")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("rating", "4"),
            ("buyer_intent", "medium"),
            ("comments", "Clear and useful"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 201);
    assert!(answered.text().await.unwrap().contains("Thank you"));

    assert_problem(
        post_answer(&app, &token, &json!({"rating": 5, "buyer_intent": "high"})).await,
        409,
    )
    .await;
    let again = app
        .client
        .get(app.url(&format!("/survey/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("Already answered"));
}

#[tokio::test]
async fn forged_and_expired_survey_links_are_refused() {
    let app = spawn_app().await;
    let meeting = held_meeting(&app).await;
    let expired = invite(
        &app,
        &meeting,
        "old@bigco.com",
        Utc::now() - Duration::days(31),
    );
    let valid = invite(&app, &meeting, "new@bigco.com", Utc::now());
    let forged = format!("{}x", &valid[..valid.len() - 1]);

    for token in [forged.as_str(), "short", &"a".repeat(200)] {
        let page = app
            .client
            .get(app.url(&format!("/survey/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 404, "{token}");
        assert!(page.text().await.unwrap().contains("Survey not found"));
        assert_problem(
            post_answer(&app, token, &json!({"rating": 3, "buyer_intent": "low"})).await,
            404,
        )
        .await;
    }
    let page = app
        .client
        .get(app.url(&format!("/survey/{expired}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("expired"));
    assert_problem(
        post_answer(&app, &expired, &json!({"rating": 3, "buyer_intent": "low"})).await,
        410,
    )
    .await;

    let problem = assert_problem(
        post_answer(&app, &valid, &json!({"rating": 0, "buyer_intent": "eager"})).await,
        422,
    )
    .await;
    assert!(problem["errors"]["rating"].is_array() && problem["errors"]["buyer_intent"].is_array());
    assert_problem(
        post_answer(&app, &valid, &json!({"rating": "five"})).await,
        422,
    )
    .await;
    let created = post_answer(
        &app,
        &valid,
        &json!({"rating": 5, "buyer_intent": "high", "comments": "Great"}),
    )
    .await;
    assert_eq!(created.status(), 201);
}
