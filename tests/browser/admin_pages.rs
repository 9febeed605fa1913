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
    convene::demo::load(&mut conn, &rules, chrono::Utc::now(), None, &|_| {}).unwrap();
    drop(conn);
    app.create_user_with_password("admin@example.com", "admin");
    app.run_pending_jobs().await;

    let lead = first_id(&app, "/api/v1/leads").await;
    let request = first_id(&app, "/api/v1/meeting-requests").await;
    let meeting_type = first_id(&app, "/api/v1/meeting-types").await;
    let user = first_id(&app, "/api/v1/users").await;
    let meeting = first_id(&app, "/api/v1/meetings").await;
    let router: Value = app
        .post_json(
            "/api/v1/routers",
            &app.admin_key,
            &serde_json::json!({
                "slug": "website-demo", "name": "Website demo form",
                "rules": [{"when": {"all": [{"field": "score", "op": "gte", "value": 60},
                                            {"any": [{"field": "country", "op": "in", "value": ["DE", "AT", "CH"]},
                                                     {"field": "utm_source", "op": "eq", "value": "linkedin"}]}]},
                           "then": {"book": {"meeting_type_id": meeting_type, "prefer_owner": true}}}],
                "fallback": {"disqualify": {"message": "Thank you! We will be in touch by email."}}
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let router = router["id"].as_str().unwrap().to_owned();
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
        ("routers", "/admin/routers".to_owned()),
        ("router", format!("/admin/routers/{router}")),
        (
            "router-test",
            format!("/admin/routers/{router}/test?email=ana%40bigco.example&name=Ana+Lange&a_country=DE&bant_budget=true&bant_need=true&title=VP+Sales#test-result"),
        ),
        ("password", "/admin/password".to_owned()),
        ("password-forgot", "/admin/password/forgot".to_owned()),
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
        let title = page.title().await.unwrap();
        if title.contains('<') || title.len() > 120 {
            problems.push(format!("{path} has a broken title: {title}"));
        }
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

#[tokio::test]
async fn the_week_view_is_a_time_grid_with_today_marked_and_cancelled_meetings_hidden() {
    let app = spawn_app().await;
    let settings = Settings::load(Path::new("config"), None).unwrap();
    let rules = settings.leads.load_scoring_rules().unwrap();
    let mut conn = app.db.connection().unwrap();
    convene::demo::load(&mut conn, &rules, chrono::Utc::now(), None, &|_| {}).unwrap();
    drop(conn);
    app.create_user_with_password("admin@example.com", "admin");

    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    browser
        .sign_in(&app.address, "admin@example.com", TEST_PASSWORD)
        .await;
    page.goto(&app.url("/admin/meetings")).await.unwrap();
    browser.wait_for_heading("Meetings").await;
    let layout = page
        .execute(
            "const heads = [...document.querySelectorAll('.week-grid .grid-head')];
             return {
               days: heads.length,
               rows: new Set(heads.map(h => Math.round(h.getBoundingClientRect().bottom))).size,
               today: document.querySelectorAll('.week-grid .grid-head.today').length,
               cancelled: document.querySelectorAll('.week-grid .status-cancelled').length,
               meetings: document.querySelectorAll('.week-grid .week-meeting').length,
               hours: document.querySelectorAll('.week-grid .hour').length,
             };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(layout["days"], 7, "{layout}");
    assert_eq!(layout["rows"], 1, "all seven days on one row: {layout}");
    assert_eq!(layout["today"], 1, "{layout}");
    assert_eq!(layout["cancelled"], 0, "{layout}");
    assert!(layout["meetings"].as_u64().unwrap() > 0, "{layout}");
    assert!(layout["hours"].as_u64().unwrap() >= 10, "{layout}");
    assert!(
        browser.fits_width().await,
        "{:?}",
        browser.overflowing_elements().await
    );
    browser.screenshot("meetings-week-1280").await;
    browser.assert_accessible("meetings-week-1280").await;

    page.goto(&app.url("/admin/meetings?status=cancelled&view=list"))
        .await
        .unwrap();
    browser.wait_for_heading("Meetings").await;
    browser.close().await;
}
