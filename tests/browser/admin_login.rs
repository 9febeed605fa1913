use fantoccini::Locator;

use crate::browser::Browser;
use crate::helpers::{spawn_app, TEST_PASSWORD};

#[tokio::test]
async fn admin_signs_in_and_forms_without_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;

    page.goto(&app.url("/admin/users")).await.unwrap();
    assert!(page
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/admin/login"));
    browser.screenshot("admin-login-1280").await;
    browser.assert_accessible("admin-login-1280").await;
    page.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("admin@example.com")
        .await
        .unwrap();
    page.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(TEST_PASSWORD)
        .await
        .unwrap();
    page.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    browser.wait_for_heading("Users").await;
    assert_eq!(page.current_url().await.unwrap().path(), "/admin/users");
    browser.screenshot("admin-users-1280").await;
    browser.assert_accessible("admin-users-1280").await;

    // A form whose CSRF field was removed must be refused and must change nothing.
    page.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Mallory")
        .await
        .unwrap();
    page.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("mallory@example.com")
        .await
        .unwrap();
    page.execute(
        "document.querySelector('form.grid-form input[name=csrf_token]').remove()",
        vec![],
    )
    .await
    .unwrap();
    page.find(Locator::Css("form.grid-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_heading("Not allowed").await;
    assert!(page.source().await.unwrap().contains("security token"));
    page.goto(&app.url("/admin/users")).await.unwrap();
    assert!(!page.source().await.unwrap().contains("mallory@example.com"));

    page.find(Locator::Css("form.inline button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The users page has a password field too: wait for the sign-in page itself.
    browser.wait_for_heading("Sign in to Convene").await;
    assert!(page
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/admin/login"));
    browser.close().await;
}

#[tokio::test]
async fn admin_layout_fits_a_phone() {
    let app = spawn_app().await;
    app.create_user_with_password("admin@example.com", "admin");
    let browser = Browser::start(390, 844).await;
    browser
        .sign_in(&app.address, "admin@example.com", TEST_PASSWORD)
        .await;
    browser
        .client
        .wait()
        .for_element(Locator::Css("ul.stats"))
        .await
        .unwrap();
    assert!(
        browser.fits_width().await,
        "no horizontal scrolling at 390 px"
    );
    browser.screenshot("admin-home-390").await;
    browser.assert_accessible("admin-home-390").await;
    browser.close().await;
}
