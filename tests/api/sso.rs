//! Sign-in through the company's identity provider: the whole code flow through a real,
//! certified OpenID provider (and its login and consent pages), and every way a sign-in can
//! go wrong, each a clear 4xx page that stores nothing.

use convene::db::schema::{sessions, sso_sign_ins, users};
use diesel::{QueryDsl, RunQueryDsl};
use serde_json::{json, Value};
use url::Url;

use crate::helpers::{csrf_token_in, spawn_app, TestApp, TEST_PASSWORD};
use crate::oidc::{
    browser_client, sign_in, sign_in_with, spawn_app_with_provider, walk_to_callback, ProviderKind,
    DISPLAY_NAME,
};

fn count_users(app: &TestApp) -> i64 {
    let mut conn = app.db.connection().expect("connection");
    users::table.count().get_result(&mut conn).expect("count")
}

fn count_sessions(app: &TestApp) -> i64 {
    let mut conn = app.db.connection().expect("connection");
    sessions::table
        .count()
        .get_result(&mut conn)
        .expect("count")
}

async fn user_by_email(app: &TestApp, email: &str) -> Option<Value> {
    let page: Value = app
        .get_json("/api/v1/users?limit=500", &app.admin_key)
        .await
        .json()
        .await
        .expect("json");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|user| user["email"] == email)
        .cloned()
}

/// The response is an HTML page with a 4xx `status` saying `words`, and no session began.
async fn assert_refused_page(response: reqwest::Response, status: u16, words: &str) {
    assert_eq!(response.status().as_u16(), status);
    assert!(
        response
            .cookies()
            .all(|cookie| cookie.name() != "convene_session"),
        "no session cookie"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().await.expect("page");
    assert!(page.contains(words), "{words:?} not in {page}");
}

async fn is_signed_in(app: &TestApp, client: &reqwest::Client) -> bool {
    client
        .get(app.url("/admin"))
        .send()
        .await
        .expect("admin")
        .status()
        == 200
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider_and_is_provisioned_with_the_mapped_role() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let users_before = count_users(&app);

    let response = sign_in(&app, "ada@acme.test").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/admin/users",
        "back where they were going"
    );
    assert!(is_signed_in(&app, &app.client).await);

    let ada = user_by_email(&app, "ada@acme.test")
        .await
        .expect("provisioned");
    assert_eq!(
        ada["role"], "admin",
        "Convene-Admins maps to admin, case aside"
    );
    assert_eq!(ada["name"], "Ada Lovelace");
    assert_eq!(ada["active"], true);
    assert_eq!(ada["can_sign_in"], false, "no password");
    assert_eq!(count_users(&app), users_before + 1);

    // A second sign-in finds the same user.
    let other_browser = browser_client();
    let again = sign_in_with(&app, &other_browser, "ada@acme.test", |url| url).await;
    assert_eq!(again.status(), 303);
    assert_eq!(count_users(&app), users_before + 1);
    let mut conn = app.db.connection().unwrap();
    let pending: i64 = sso_sign_ins::table.count().get_result(&mut conn).unwrap();
    assert_eq!(pending, 0, "each sign-in state is gone once used");
}

#[tokio::test]
async fn an_existing_user_is_found_by_email_whatever_its_case_and_keeps_their_role() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    app.create_user(json!({"email": "grace.hopper@acme.test", "name": "Grace", "role": "host"}))
        .await;
    let users_before = count_users(&app);
    // The provider's address for this account is Grace.Hopper@ACME.test, in group marketing.
    let response = sign_in(&app, "grace@acme.test").await;
    assert_eq!(response.status(), 303);
    assert_eq!(count_users(&app), users_before);
    let grace = user_by_email(&app, "grace.hopper@acme.test").await.unwrap();
    assert_eq!(
        grace["role"], "host",
        "roles of existing users are managed in Convene"
    );
}

#[tokio::test]
async fn es256_signed_tokens_are_accepted() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |settings| {
        settings.sso.client_id = format!("{}-es256", crate::oidc::CLIENT_ID);
    })
    .await;
    let response = sign_in(&app, "someone@acme.test").await;
    assert_eq!(response.status(), 303);
    let user = user_by_email(&app, "someone@acme.test").await.unwrap();
    assert_eq!(user["role"], "host", "no mapped group: the default role");
}

#[tokio::test]
async fn a_forged_state_is_refused() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let users_before = count_users(&app);
    app.client
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    let response = app
        .client
        .get(app.url("/auth/oidc/callback?state=forged-state&code=any-code"))
        .send()
        .await
        .unwrap();
    assert_refused_page(response, 400, "start again from the sign-in page").await;
    let without_state = app
        .client
        .get(app.url("/auth/oidc/callback?code=any-code"))
        .send()
        .await
        .unwrap();
    assert_refused_page(without_state, 400, "Sign-in failed").await;
    assert_eq!((count_users(&app), count_sessions(&app)), (users_before, 0));
}

#[tokio::test]
async fn a_replayed_state_is_refused() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let callback = walk_to_callback(&app, &app.client, "ada@acme.test", |url| url).await;
    let first = app.client.get(callback.clone()).send().await.unwrap();
    assert_eq!(first.status(), 303);
    let (users_before, sessions_before) = (count_users(&app), count_sessions(&app));
    let replayed = app.client.get(callback).send().await.unwrap();
    assert_refused_page(replayed, 400, "already used").await;
    assert_eq!(
        (count_users(&app), count_sessions(&app)),
        (users_before, sessions_before)
    );
}

#[tokio::test]
async fn a_callback_opened_in_another_browser_is_refused() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    // Someone walks a sign-in of their own up to the callback and gets another person's
    // browser, which never started it, to open that link.
    let callback = walk_to_callback(&app, &app.client, "ada@acme.test", |url| url).await;
    let victim = browser_client();
    let answer = victim.get(callback).send().await.unwrap();
    assert_refused_page(answer, 400, "another browser").await;
    assert!(user_by_email(&app, "ada@acme.test").await.is_none());
    assert_eq!(count_sessions(&app), 0);
}

#[tokio::test]
async fn a_token_carrying_another_nonce_is_refused() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let users_before = count_users(&app);
    let response = sign_in_with(&app, &app.client, "ada@acme.test", |url| {
        with_query(&url, "nonce", "a-nonce-of-another-sign-in")
    })
    .await;
    assert_refused_page(response, 400, "belongs to another sign-in").await;
    assert_eq!((count_users(&app), count_sessions(&app)), (users_before, 0));
}

#[tokio::test]
async fn an_unverified_email_is_refused() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let users_before = count_users(&app);
    let response = sign_in(&app, "eve@acme.test").await;
    assert_refused_page(response, 403, "not verified").await;
    assert_eq!((count_users(&app), count_sessions(&app)), (users_before, 0));
}

#[tokio::test]
async fn a_domain_not_allowed_is_refused() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let users_before = count_users(&app);
    let response = sign_in(&app, "mallory@elsewhere.test").await;
    assert_refused_page(response, 403, "accounts of elsewhere.test may not sign in").await;
    assert_eq!((count_users(&app), count_sessions(&app)), (users_before, 0));
}

#[tokio::test]
async fn a_declined_sign_in_at_the_provider_is_refused() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let callback = walk_to_callback(&app, &app.client, "ada@acme.test", |url| url).await;
    let state = query_value(&callback, "state");
    let declined = app
        .client
        .get(app.url(&format!(
            "/auth/oidc/callback?state={state}&error=access_denied"
        )))
        .send()
        .await
        .unwrap();
    assert_refused_page(declined, 400, "access denied").await;
    assert_eq!(count_sessions(&app), 0);
}

#[tokio::test]
async fn a_deactivated_user_cannot_sign_in_with_the_provider_or_a_password() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let dan_id = app.create_user_with_password("dan@acme.test", "host");
    let browser = browser_client();
    let before = sign_in_with(&app, &browser, "dan@acme.test", |url| url).await;
    assert_eq!(before.status(), 303);
    assert!(is_signed_in(&app, &browser).await);

    let response = app
        .patch_json(
            &format!("/api/v1/users/{dan_id}"),
            &app.admin_key,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(!is_signed_in(&app, &browser).await, "their session ended");
    assert_eq!(count_sessions(&app), 0);

    let response = sign_in(&app, "dan@acme.test").await;
    assert_refused_page(response, 403, "deactivated").await;

    let login_page = app
        .client
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let password = app
        .client
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", csrf_token_in(&login_page).as_str()),
            ("email", "dan@acme.test"),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(password.status(), 401);
    assert_eq!(count_sessions(&app), 0);
    let dan = user_by_email(&app, "dan@acme.test").await.expect("kept");
    assert_eq!(dan["active"], false);
}

#[tokio::test]
async fn the_login_page_offers_the_provider_and_only_mode_refuses_passwords() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |settings| {
        settings.sso.only = true;
    })
    .await;
    app.create_user_with_password("admin@acme.test", "admin");
    let response = app
        .client
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap();
    let csrf_token = response
        .cookies()
        .find(|cookie| cookie.name() == "convene_csrf")
        .map(|cookie| cookie.value().to_owned())
        .expect("a CSRF cookie");
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!("Sign in with {DISPLAY_NAME}")));
    assert!(!page.contains("id=\"password\""), "no password form");
    let refused = app
        .client
        .post(app.url("/admin/login"))
        .form(&[
            ("csrf_token", csrf_token.as_str()),
            ("email", "admin@acme.test"),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("password sign-in is turned off"));
    assert_eq!(count_sessions(&app), 0);
    // The admin made with the CLI for break-glass access signs in through the provider.
    let response = sign_in(&app, "admin@acme.test").await;
    assert_eq!(response.status(), 303);
}

#[tokio::test]
async fn without_a_provider_the_login_page_has_no_button_and_the_flow_is_absent() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.url("/admin/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Sign in with"));
    assert!(page.contains("id=\"password\""));
    let start = app
        .client
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 404);
}

/// A sign-in through the issuer whose tokens the test shapes, answered by the app.
async fn sign_in_at_signer(app: &TestApp) -> reqwest::Response {
    sign_in_with(app, &browser_client(), "", |url| url).await
}

#[tokio::test]
async fn tokens_failing_their_checks_are_refused_and_store_nothing() {
    let (app, signer) = spawn_app_with_provider(ProviderKind::Signer, |_| {}).await;
    let users_before = count_users(&app);
    for (scenario, words) in [
        (
            json!({"claims": {"aud": "another-app"}}),
            "issued for another application",
        ),
        (
            json!({"claims": {"aud": [crate::oidc::CLIENT_ID, "another-app"]}}),
            "issued for another application",
        ),
        (
            json!({"claims": {"iss": "http://127.0.0.1:9/"}}),
            "issued by another provider",
        ),
        (
            json!({"claims": {"exp_in": -3600, "iat_in": -3900}}),
            "has expired",
        ),
        (
            json!({"claims": {"iat_in": 3600, "exp_in": 3900}}),
            "issue time is not plausible",
        ),
        (
            json!({"key": "rogue"}),
            "not signed with an accepted algorithm and key",
        ),
        (
            json!({"key": "none"}),
            "not signed with an accepted algorithm and key",
        ),
        (
            json!({"key": "rsa2"}),
            "not signed with an accepted algorithm and key",
        ),
        (
            json!({"claims": {"nonce": "another"}}),
            "belongs to another sign-in",
        ),
    ] {
        signer.set_scenario(scenario.clone()).await;
        let response = sign_in_at_signer(&app).await;
        assert_eq!(response.status(), 400, "{scenario}");
        assert_refused_page(response, 400, words).await;
    }
    assert_eq!((count_users(&app), count_sessions(&app)), (users_before, 0));
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_when_a_token_names_it() {
    let (app, signer) = spawn_app_with_provider(ProviderKind::Signer, |_| {}).await;
    let first = sign_in_at_signer(&app).await;
    assert_eq!(first.status(), 303, "signed with the first key");
    signer
        .set_scenario(json!({"key": "rsa2", "publish": ["rsa2"]}))
        .await;
    let rotated = sign_in_at_signer(&app).await;
    assert_eq!(
        rotated.status(),
        303,
        "the new key was read from the key set"
    );
    signer.set_scenario(json!({"key": "ec"})).await;
    let elliptic = sign_in_at_signer(&app).await;
    assert_eq!(elliptic.status(), 303, "ES256 keys too");
}

fn query_value(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

fn with_query(url: &Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, old)| {
            let new = if key == name {
                value.to_owned()
            } else {
                old.into_owned()
            };
            (key.into_owned(), new)
        })
        .collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

#[tokio::test]
async fn a_providers_own_verified_email_claim_can_stand_in_for_email_verified() {
    let (app, signer) = spawn_app_with_provider(ProviderKind::Signer, |settings| {
        settings.sso.email_verified_claim = "xms_edov".into();
    })
    .await;
    signer
        .set_scenario(json!({"claims": {"email_verified": null, "xms_edov": false}}))
        .await;
    assert_refused_page(sign_in_at_signer(&app).await, 403, "not verified").await;
    signer
        .set_scenario(json!({"claims": {"email_verified": null, "xms_edov": true}}))
        .await;
    assert_eq!(sign_in_at_signer(&app).await.status(), 303);
}

#[tokio::test]
async fn starting_sign_ins_is_limited_per_client() {
    let (app, _signer) = spawn_app_with_provider(ProviderKind::Signer, |settings| {
        settings.public.requests_per_minute = 1;
        settings.public.burst = 2;
    })
    .await;
    for _ in 0..2 {
        let started = app
            .client
            .get(app.url("/auth/oidc/start"))
            .send()
            .await
            .unwrap();
        assert_eq!(started.status(), 303);
    }
    let limited = app
        .client
        .get(app.url("/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn with_only_the_provider_forgot_password_answers_alike_and_sends_nothing() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |settings| {
        settings.sso.only = true;
    })
    .await;
    app.create_user_with_password("admin@acme.test", "admin");
    let page = app
        .client
        .get(app.url("/admin/password/forgot"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token_in(&page);
    let answer = app
        .client
        .post(app.url("/admin/password/forgot"))
        .form(&[("csrf_token", token.as_str()), ("email", "admin@acme.test")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("If an account exists for that address"));
    let emails: Value = app
        .get_json("/api/v1/emails?kind=password_reset", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails["items"], json!([]));
}
