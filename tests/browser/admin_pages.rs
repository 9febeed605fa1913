use std::path::Path;

use convene::config::Settings;
use fantoccini::Locator;
use serde_json::Value;

use crate::browser::Browser;
use crate::helpers::{spawn_app, TestApp, TEST_PASSWORD};

/// The id of the first item `path` lists.
async fn first_id(app: &TestApp, path: &str) -> String {
    let page: Value = app
        .get_json(path, &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    page["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{path} lists nothing"))
        .to_owned()
}

#[tokio::test]
async fn every_admin_page_fits_a_phone_and_passes_axe_with_the_demo_data() {
    let app = spawn_app().await;
    let settings = Settings::load(Path::new("config"), None).unwrap();
    let rules = settings.leads.load_scoring_rules().unwrap();
    let mut conn = app.db.connection().unwrap();
    convene::demo::load(&mut conn, &rules, chrono::Utc::now(), &|_| {}).unwrap();
    drop(conn);
    app.create_user_with_password("admin@example.com", "admin");
    app.run_pending_jobs().await;

    let lead = first_id(&app, "/api/v1/leads").await;
    let request = first_id(&app, "/api/v1/meeting-requests").await;
    let meeting_type = first_id(&app, "/api/v1/meeting-types").await;
    let user = first_id(&app, "/api/v1/users").await;
    let meeting = first_id(&app, "/api/v1/meetings").await;
    let mut pages = vec![
        ("home", "/admin".to_owned()),
        ("approvals", "/admin/approvals".to_owned()),
        ("meetings-week", "/admin/meetings".to_owned()),
        ("meetings-list", "/admin/meetings?view=list".to_owned()),
        ("meeting", format!("/admin/meetings/{meeting}")),
        ("leads", "/admin/leads".to_owned()),
        ("lead", format!("/admin/leads/{lead}")),
        ("request", format!("/admin/requests/{request}")),
        ("meeting-types", "/admin/meeting-types".to_owned()),
        (
            "meeting-type",
            format!("/admin/meeting-types/{meeting_type}"),
        ),
        ("emails", "/admin/emails".to_owned()),
        ("reports", "/admin/reports".to_owned()),
        ("users", "/admin/users".to_owned()),
        ("user", format!("/admin/users/{user}")),
        ("webhooks", "/admin/webhooks".to_owned()),
        ("crm", "/admin/crm".to_owned()),
    ];

    let browser = Browser::start(390, 844).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "admin@example.com", TEST_PASSWORD)
        .await;
    page.goto(&app.url("/admin/emails")).await.unwrap();
    let email = page
        .find(Locator::Css("tbody td a"))
        .await
        .expect("the demo queued at least one email")
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    pages.push(("email", email));

    let mut problems = Vec::new();
    for (name, path) in &pages {
        page.goto(&app.url(path)).await.unwrap();
        page.wait()
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap_or_else(|_| panic!("{path} has no heading"));
        browser.screenshot(&format!("admin-{name}-390")).await;
        if !browser.fits_width().await {
            problems.push(format!(
                "{path} scrolls sideways at 390 px: {}",
                browser.overflowing_elements().await.join(", ")
            ));
        }
        problems.extend(
            browser
                .accessibility_violations()
                .await
                .into_iter()
                .map(|violation| format!("{path}: {violation}")),
        );
    }
    browser.close().await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
