//! Invitations, "forgot password", set-password links and changing one's own password.

use std::sync::Arc;

use chrono::{Duration, Utc};
use convene::clock::FixedClock;
use convene::notifications::outbox::{self, EmailFilter, EmailKind};
use serde_json::json;

use crate::admin_ui::sign_in;
use crate::helpers::{
    assert_problem, csrf_token_in, spawn_app, spawn_app_with_clock, TestApp, TEST_PASSWORD,
};

const NEW_PASSWORD: &str = "a brand new password";

/// The emails of `kind` in the outbox, newest first, as (recipient, text body).
fn emails_of(app: &TestApp, kind: EmailKind) -> Vec<(String, String)> {
    let mut conn = app.db.connection().expect("connection");
    let filter = EmailFilter {
        kind: Some(kind),
        ..EmailFilter::default()
    };
    outbox::list(&mut conn, &filter, None, 50)
        .expect("emails")
        .into_iter()
        .map(|email| (email.recipient_email, email.body_text))
        .collect()
}

/// The path of the set-password link in an email body.
fn link_path(body: &str) -> String {
    let start = body.find("/admin/password/reset/").expect("a link");
    body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

async fn page(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let html = page(app, path).await.text().await.unwrap();
    let token = csrf_token_in(&html);
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    app.client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn set_password(app: &TestApp, path: &str, password: &str) -> reqwest::Response {
    post_form(
        app,
        path,
        &[("password", password), ("password_again", password)],
    )
    .await
}

#[tokio::test]
async fn an_invitation_link_sets_a_password_once_and_expires_after_72_hours() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_with_clock(clock.clone()).await;
    let user = app
        .create_user(json!({"email": "new@example.com", "name": "New Person", "role": "marketer"}))
        .await;
    let id = user["id"].as_str().unwrap();
    assert_eq!(user["can_sign_in"], false);

    let response = app
        .post_json(
            &format!("/api/v1/users/{id}/invite"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let invitation: serde_json::Value = response.json().await.unwrap();
    assert_eq!(invitation["email"], "new@example.com");

    let sent = emails_of(&app, EmailKind::UserInvitation);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "new@example.com");
    let path = link_path(&sent[0].1);
    assert!(sent[0].1.contains("72 hours"), "{}", sent[0].1);

    let opened = page(&app, &path).await;
    assert_eq!(opened.status(), 200);
    assert!(opened
        .text()
        .await
        .unwrap()
        .contains("Choose your password"));
    let mismatch = post_form(
        &app,
        &path,
        &[
            ("password", NEW_PASSWORD),
            ("password_again", "something else"),
        ],
    )
    .await;
    assert_eq!(mismatch.status(), 422, "the two copies must match");
    let short = set_password(&app, &path, "short").await;
    assert_eq!(short.status(), 422, "too short");
    let done = set_password(&app, &path, NEW_PASSWORD).await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Your password is set"));

    let signed_in = sign_in(&app, "new@example.com", NEW_PASSWORD).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(page(&app, &path).await.status(), 404, "the link works once");

    app.post_json(
        &format!("/api/v1/users/{id}/invite"),
        &app.admin_key,
        &json!({}),
    )
    .await;
    let second = link_path(&emails_of(&app, EmailKind::UserInvitation)[0].1);
    assert_ne!(second, path);
    clock.advance(Duration::hours(71));
    assert_eq!(page(&app, &second).await.status(), 200);
    clock.advance(Duration::hours(2));
    assert_eq!(
        page(&app, &second).await.status(),
        410,
        "expired after 72 h"
    );
}

#[tokio::test]
async fn invitations_need_an_admin_and_an_active_user() {
    let app = spawn_app().await;
    let user = app
        .create_user(json!({"email": "gone@example.com", "name": "Gone", "role": "host"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let marketer = app.key_for(convene::auth::roles::Role::Marketer);
    let path = format!("/api/v1/users/{id}/invite");
    assert_problem(app.post_json(&path, &marketer, &json!({})).await, 403).await;
    let unknown = "/api/v1/users/00000000-0000-4000-8000-000000000000/invite";
    assert_problem(
        app.post_json(unknown, &app.admin_key, &json!({})).await,
        404,
    )
    .await;
    app.patch_json(
        &format!("/api/v1/users/{id}"),
        &app.admin_key,
        &json!({"active": false}),
    )
    .await;
    assert_problem(app.post_json(&path, &app.admin_key, &json!({})).await, 409).await;
    assert!(emails_of(&app, EmailKind::UserInvitation).is_empty());
}

#[tokio::test]
async fn forgot_password_answers_alike_for_every_address_and_its_link_works_once_for_an_hour() {
    let clock = Arc::new(FixedClock::new(Utc::now()));
    let app = spawn_app_with_clock(clock.clone()).await;
    app.create_user_with_password("known@example.com", "marketer");
    assert!(page(&app, "/admin/login")
        .await
        .text()
        .await
        .unwrap()
        .contains("/admin/password/forgot"));

    let unknown = post_form(
        &app,
        "/admin/password/forgot",
        &[("email", "nobody@example.com")],
    )
    .await;
    let unknown_status = unknown.status();
    let unknown_text = unknown.text().await.unwrap();
    let known = post_form(
        &app,
        "/admin/password/forgot",
        &[("email", "Known@Example.com")],
    )
    .await;
    assert_eq!(known.status(), unknown_status);
    assert_eq!(unknown_status, 200);
    let known_text = known.text().await.unwrap();
    assert!(known_text.contains("If an account exists for that address"));
    assert_eq!(
        known_text.replace("Known@Example.com", ""),
        unknown_text.replace("nobody@example.com", ""),
        "the answer does not tell whether the account exists"
    );

    let sent = emails_of(&app, EmailKind::PasswordReset);
    assert_eq!(sent.len(), 1, "only the known address gets an email");
    assert_eq!(sent[0].0, "known@example.com");
    let path = link_path(&sent[0].1);
    assert!(page(&app, &path)
        .await
        .text()
        .await
        .unwrap()
        .contains("Choose a new password"));
    assert_eq!(set_password(&app, &path, NEW_PASSWORD).await.status(), 200);
    assert_eq!(page(&app, &path).await.status(), 404, "the link works once");
    assert_eq!(
        sign_in(&app, "known@example.com", TEST_PASSWORD)
            .await
            .status(),
        401,
        "the old password no longer works"
    );
    assert_eq!(
        sign_in(&app, "known@example.com", NEW_PASSWORD)
            .await
            .status(),
        303
    );

    post_form(
        &app,
        "/admin/password/forgot",
        &[("email", "known@example.com")],
    )
    .await;
    let later = link_path(&emails_of(&app, EmailKind::PasswordReset)[0].1);
    clock.advance(Duration::minutes(61));
    assert_eq!(page(&app, &later).await.status(), 410, "valid for one hour");
    assert_eq!(
        page(&app, "/admin/password/reset/not-a-token")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_deactivated_user_gets_no_reset_link() {
    let app = spawn_app().await;
    let id = app.create_user_with_password("left@example.com", "host");
    app.patch_json(
        &format!("/api/v1/users/{id}"),
        &app.admin_key,
        &json!({"active": false}),
    )
    .await;
    let answer = post_form(
        &app,
        "/admin/password/forgot",
        &[("email", "left@example.com")],
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert!(emails_of(&app, EmailKind::PasswordReset).is_empty());
}

#[tokio::test]
async fn signed_in_users_change_their_own_password_with_the_current_one() {
    let app = spawn_app().await;
    app.create_user_with_password("me@example.com", "host");
    sign_in(&app, "me@example.com", TEST_PASSWORD).await;
    let wrong = post_form(
        &app,
        "/admin/password",
        &[
            ("current_password", "not my password"),
            ("password", NEW_PASSWORD),
            ("password_again", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("Current password"));
    let changed = post_form(
        &app,
        "/admin/password",
        &[
            ("current_password", TEST_PASSWORD),
            ("password", NEW_PASSWORD),
            ("password_again", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert!(changed
        .text()
        .await
        .unwrap()
        .contains("Your password is changed"));
    assert_eq!(
        sign_in(&app, "me@example.com", TEST_PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        sign_in(&app, "me@example.com", NEW_PASSWORD).await.status(),
        303
    );
}

#[tokio::test]
async fn forgot_password_is_rate_limited_per_client() {
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.public.requests_per_minute = 2;
        settings.public.burst = 2;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let answer = post_form(
            &app,
            "/admin/password/forgot",
            &[("email", "x@example.com")],
        )
        .await;
        statuses.push(answer.status().as_u16());
        if answer.status() == 429 {
            assert!(answer.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
}
