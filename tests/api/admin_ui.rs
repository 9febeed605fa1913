//! The admin UI over plain HTTP: sign-in, CSRF, sessions, throttling.

use crate::helpers::{csrf_token_in, spawn_app, spawn_app_with, TestApp, TEST_PASSWORD};

async fn login_page_token(app: &TestApp) -> String {
    let html = app
        .client
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csrf_token_in(&html)
}

pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    let token = login_page_token(app).await;
    app.client
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/admin/users"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_pages_send_strangers_to_sign_in() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers().get("location").unwrap(),
        "/admin/login?next=%2Fadmin%2Fusers"
    );
}

#[tokio::test]
async fn sign_in_sets_a_strict_session_cookie_and_opens_the_admin() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let response = sign_in(&app, "Admin@Example.com", TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers().get("location").unwrap(), "/admin/users");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("convene_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "http public URL: no Secure flag"
    );
    let page = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("admin@example.com") && html.contains("Add a user"));
}

#[tokio::test]
async fn https_public_url_makes_cookies_secure() {
    let app = spawn_app_with(|settings| {
        settings.server.public_url = "https://convene.example.com".into()
    })
    .await;
    app.create_user_with_password("admin@example.com", "admin");
    let response = sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("convene_session="))
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn wrong_password_and_unknown_account_look_the_same() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let wrong = sign_in(&app, "admin@example.com", "not the password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_text = wrong.text().await.unwrap();
    let unknown = sign_in(&app, "nobody@example.com", "not the password").await;
    assert_eq!(unknown.status(), 401);
    let unknown_text = unknown.text().await.unwrap();
    assert!(wrong_text.contains("do not match") && unknown_text.contains("do not match"));
}

#[tokio::test]
async fn form_posts_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let no_token = app
        .client
        .post(app.url("/admin/login"))
        .form(&[("email", "admin@example.com"), ("password", TEST_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);

    assert_eq!(
        sign_in(&app, "admin@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
    let forged = app
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", "forged"),
            ("email", "evil@example.com"),
            ("name", "Evil"),
            ("role", "admin"),
            ("timezone", "UTC"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let html = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("evil@example.com"));
}

#[tokio::test]
async fn admins_add_users_from_the_form_and_see_field_errors() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    let html = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token_in(&html);
    let invalid = app
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "bad"),
            ("name", "Rep"),
            ("role", "host"),
            ("timezone", "Mars/Base"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let page = invalid.text().await.unwrap();
    assert!(
        page.contains("timezone") && page.contains("email"),
        "{page}"
    );
    let created = app
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "rep@example.com"),
            ("name", "Rep"),
            ("role", "host"),
            ("timezone", "Europe/Berlin"),
            ("title", "Account Executive"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let html = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("rep@example.com") && html.contains("Account Executive"));
}

#[tokio::test]
async fn non_admins_cannot_add_users() {
    let app = spawn_app().await;
    app.create_user_with_password("mm@example.com", "meeting_manager");
    sign_in(&app, "mm@example.com", TEST_PASSWORD).await;
    let html = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Add a user"));
    let token = csrf_token_in(&html);
    let response = app
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "x@example.com"),
            ("name", "X"),
            ("role", "admin"),
            ("timezone", "UTC"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let signed_in = sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    let session_cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("convene_session="))
        .unwrap();
    let session_pair = session_cookie.split(';').next().unwrap().to_owned();
    let html = app
        .client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token_in(&html);
    let out = app
        .client
        .post(app.url("/admin/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    // Replaying the old cookie must not work: the session is gone from the database.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = replay
        .get(app.url("/admin"))
        .header("cookie", session_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn sign_in_is_throttled_per_account() {
    let app =
        spawn_app_with(|settings| settings.security.login_attempts_per_minute_per_account = 3)
            .await;
    app.create_user_with_password("admin@example.com", "admin");
    for _ in 0..3 {
        assert_eq!(
            sign_in(&app, "admin@example.com", "wrong password!")
                .await
                .status(),
            401
        );
    }
    let throttled = sign_in(&app, "admin@example.com", TEST_PASSWORD).await;
    assert_eq!(throttled.status(), 429);
    let retry_after: u64 = throttled
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
}
