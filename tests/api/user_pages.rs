//! A user's admin page: editing the profile and working hours, deactivating, inviting.

use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::helpers::{csrf_token_in, spawn_app, TestApp, TEST_PASSWORD};

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let (_, body) = html(app, page).await;
    let token = csrf_token_in(&body);
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend_from_slice(fields);
    app.client
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn user(app: &TestApp, id: &str) -> Value {
    app.get_json(&format!("/api/v1/users/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap()
}

/// Signs `email` in from another browser, leaving the admin's session alone; the status.
async fn sign_in_elsewhere(app: &TestApp, email: &str) -> u16 {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client.get(app.url("/admin/login")).send().await.unwrap();
    let token = csrf_token_in(&login.text().await.unwrap());
    client
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

const PROFILE: &[(&str, &str)] = &[
    ("name", "Dana Exec"),
    ("email", "Dana.Exec@Example.com"),
    ("role", "meeting_manager"),
    ("title", "Head of Sales"),
    ("timezone", "Asia/Kolkata"),
    ("hours_mon", "08:00-12:00, 13:00-16:00"),
    ("hours_tue", ""),
    ("hours_wed", "09:00-17:00"),
    ("hours_thu", "09:00-17:00"),
    ("hours_fri", "09:00-13:00"),
    ("hours_sat", "off"),
    ("hours_sun", ""),
    ("override_date", "2026-12-24"),
    ("override_hours", "09:00-12:00"),
    ("override_date", "2026-12-25"),
    ("override_hours", "off"),
    ("override_date", ""),
    ("override_hours", ""),
];

#[tokio::test]
async fn an_admin_edits_every_field_and_the_weekly_hours_with_date_overrides() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let id = app.create_host("dana@example.com", "Europe/Berlin").await;
    sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    let page = format!("/admin/users/{id}");
    let (status, body) = html(&app, &page).await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"<option value="Europe/Berlin" label="UTC+"#));
    assert!(
        !body.contains(r#"value="US/Eastern""#),
        "aliases are not offered"
    );
    assert!(body.contains(r#"list="time-zones""#));

    let saved = post(&app, &page, &page, PROFILE).await;
    assert_eq!(saved.status(), 303);
    let saved = user(&app, &id).await;
    assert_eq!(saved["name"], "Dana Exec");
    assert_eq!(saved["email"], "dana.exec@example.com");
    assert_eq!(saved["role"], "meeting_manager");
    assert_eq!(saved["title"], "Head of Sales");
    assert_eq!(saved["timezone"], "Asia/Kolkata");
    assert_eq!(
        saved["working_hours"],
        json!({
            "mon": [["08:00", "12:00"], ["13:00", "16:00"]],
            "wed": [["09:00", "17:00"]],
            "thu": [["09:00", "17:00"]],
            "fri": [["09:00", "13:00"]],
            "dates": {"2026-12-24": [["09:00", "12:00"]], "2026-12-25": []}
        })
    );
    let (_, body) = html(&app, &page).await;
    assert!(body.contains(r#"value="08:00-12:00, 13:00-16:00""#));
    assert!(body.contains(r#"value="2026-12-25""#));
}

#[tokio::test]
async fn a_bad_form_is_shown_again_with_its_errors_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let id = app.create_host("dana@example.com", "Europe/Berlin").await;
    sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    let page = format!("/admin/users/{id}");
    let before = user(&app, &id).await;
    let bad = post(
        &app,
        &page,
        &page,
        &[
            ("name", ""),
            ("role", "host"),
            ("timezone", "Moon/Base"),
            ("hours_mon", "all day"),
            ("hours_tue", "17:00-09:00"),
        ],
    )
    .await;
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.unwrap();
    assert!(body.contains("Please fix these fields"));
    assert!(
        body.contains(r#"value="all day""#),
        "what was typed is kept"
    );
    assert!(body.contains("hours mon"));
    assert!(body.contains("hours tue"));
    assert!(body.contains("timezone"));
    assert_eq!(user(&app, &id).await, before);

    let mut taken = PROFILE.to_vec();
    taken[1] = ("email", "admin@example.com");
    let duplicate = post(&app, &page, &page, &taken).await;
    assert_eq!(duplicate.status(), 422, "a used email is a field error");
    assert!(duplicate.text().await.unwrap().contains("already exists"));
    assert_eq!(user(&app, &id).await, before);
}

#[tokio::test]
async fn hosts_edit_their_own_hours_but_not_their_role() {
    let app = spawn_app().await;
    let id = app.create_user_with_password("host@example.com", "host");
    sign_in(&app, "host@example.com", TEST_PASSWORD).await;
    let page = format!("/admin/users/{id}");
    let (_, body) = html(&app, &page).await;
    assert!(!body.contains(r#"name="role""#));
    assert!(!body.contains("Deactivate"));
    let saved = post(&app, &page, &page, PROFILE).await;
    assert_eq!(saved.status(), 303);
    let saved = user(&app, &id).await;
    assert_eq!(saved["role"], "host", "the role stays");
    assert_eq!(saved["email"], "host@example.com", "and the email");
    assert_eq!(saved["timezone"], "Asia/Kolkata");
    let other = app.create_host("other@example.com", "UTC").await;
    let other_page = format!("/admin/users/{other}");
    let refused = post(&app, &other_page, &page, PROFILE).await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn deactivating_from_the_page_stops_sign_in_and_reactivating_restores_it() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let id = app.create_user_with_password("host@example.com", "host");
    sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    let page = format!("/admin/users/{id}");
    let done = post(
        &app,
        &format!("{page}/active"),
        &page,
        &[("active", "false")],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(user(&app, &id).await["active"], false);
    let (_, body) = html(&app, &page).await;
    assert!(body.contains("Deactivated"));
    assert!(body.contains("Reactivate"));

    assert_eq!(sign_in_elsewhere(&app, "host@example.com").await, 401);

    let done = post(
        &app,
        &format!("{page}/active"),
        &page,
        &[("active", "true")],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(user(&app, &id).await["active"], true);
    assert_eq!(sign_in_elsewhere(&app, "host@example.com").await, 303);

    let admin: Value = app
        .get_json("/api/v1/users?limit=1", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let admin_id = admin["items"][0]["id"].as_str().unwrap().to_owned();
    let own = format!("/admin/users/{admin_id}");
    let refused = post(&app, &format!("{own}/active"), &own, &[("active", "false")]).await;
    assert_eq!(refused.status(), 409, "nobody deactivates themselves");
    assert_eq!(user(&app, &admin_id).await["active"], true);
}

#[tokio::test]
async fn the_invite_button_emails_a_link() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let id = app.create_host("new@example.com", "UTC").await;
    sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    let page = format!("/admin/users/{id}");
    let done = post(&app, &format!("{page}/invite"), &page, &[]).await;
    assert_eq!(done.status(), 303);
    let location = done.headers()["location"].to_str().unwrap().to_owned();
    let (_, body) = html(&app, &location).await;
    assert!(body.contains("Invitation sent to new@example.com"));
    let emails: Value = app
        .get_json("/api/v1/emails?kind=user_invitation", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails["items"][0]["to"], "new@example.com");
}
