use fantoccini::Locator;

use crate::browser::Browser;
use crate::oidc::{spawn_app_with_provider, ProviderKind, DISPLAY_NAME};

#[tokio::test]
async fn a_person_signs_in_through_the_providers_pages_and_lands_in_the_admin_ui_with_the_mapped_role(
) {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;

    page.goto(&app.url("/admin/users")).await.unwrap();
    let button = page.find(Locator::Id("sso-sign-in")).await.unwrap();
    assert_eq!(
        button.text().await.unwrap(),
        format!("Sign in with {DISPLAY_NAME}")
    );
    browser.screenshot("sso-login-1280").await;
    browser.assert_accessible("sso-login-1280").await;
    button.click().await.unwrap();

    // The provider's own login page, then its consent page.
    page.wait()
        .for_element(Locator::Css("input[name=login]"))
        .await
        .unwrap()
        .send_keys("ada@acme.test")
        .await
        .unwrap();
    page.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("any password")
        .await
        .unwrap();
    page.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page.wait()
        .for_element(Locator::XPath("//button[normalize-space()='Continue']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    browser.wait_for_heading("Users").await;
    assert_eq!(page.current_url().await.unwrap().path(), "/admin/users");
    let source = page.source().await.unwrap();
    assert!(
        source.contains("Ada Lovelace"),
        "signed in as the provisioned user"
    );
    let role = page
        .find(Locator::Css(".who"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(role.contains("Admin"), "the mapped role: {role}");
    browser.screenshot("sso-signed-in-1280").await;
    browser.assert_accessible("sso-signed-in-1280").await;
    browser.close().await;
}

#[tokio::test]
async fn the_login_page_with_only_the_provider_fits_a_phone() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |settings| {
        settings.sso.only = true;
    })
    .await;
    let browser = Browser::start(390, 844).await;
    let page = &browser.client;
    page.goto(&app.url("/admin/login")).await.unwrap();
    page.find(Locator::Id("sso-sign-in")).await.unwrap();
    assert!(page.find(Locator::Id("password")).await.is_err());
    assert!(
        browser.fits_width().await,
        "no horizontal scrolling at 390 px"
    );
    browser.screenshot("sso-login-only-390").await;
    browser.assert_accessible("sso-login-only-390").await;
    browser.close().await;
}

#[tokio::test]
async fn the_login_page_with_the_provider_and_passwords_fits_a_phone() {
    let (app, _provider) = spawn_app_with_provider(ProviderKind::Certified, |_| {}).await;
    let browser = Browser::start(390, 844).await;
    let page = &browser.client;
    page.goto(&app.url("/admin/login")).await.unwrap();
    page.find(Locator::Id("sso-sign-in")).await.unwrap();
    page.find(Locator::Id("password")).await.unwrap();
    assert!(
        browser.fits_width().await,
        "no horizontal scrolling at 390 px"
    );
    browser.screenshot("sso-login-390").await;
    browser.assert_accessible("sso-login-390").await;
    browser.close().await;
}
