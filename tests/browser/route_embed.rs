//! A customer's own web page, on another site, with Convene's script: a routed form opens the
//! routed host's times in a dialog and the prospect books there; a disqualified submission gets
//! its message; the form's own submission still reaches the customer's server; an inline
//! embed books and tells the page.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use fantoccini::Locator;
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::helpers::{spawn_app_with, TestApp};

/// The customer's website: one page with a contact form and an inline booking embed, and the
/// form's own endpoint, which keeps what it receives.
struct CustomerSite {
    origin: String,
    received: Arc<Mutex<Vec<String>>>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn site_page(app_base: &str, embed_slug: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>BigCo — talk to sales</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:760px;padding:16px}}
label{{display:block;margin:.5rem 0}} input{{display:block;width:100%;padding:.5rem;box-sizing:border-box}}</style>
</head><body><main>
<h1>Talk to our sales team</h1>
<form data-convene-router="website" action="/contact" method="post">
  <label>Name <input id="name" name="name" required></label>
  <label>Work email <input id="email" name="email" type="email" required></label>
  <label>Company <input id="company" name="company"></label>
  <label>Company size <input id="size" name="a_company_size"></label>
  <button id="send" type="submit">Talk to sales</button>
</form>
<p id="booked"></p>
<h2>Or pick a time right here</h2>
<div data-convene-link="{embed_slug}"></div>
</main>
<script>
window.addEventListener("convene:booked", function (event) {{
  document.getElementById("booked").textContent = JSON.stringify(event.detail);
}});
</script>
<script src="{app_base}/route.js"></script>
</body></html>"#
    )
}

async fn start_site(port: u16, app_base: String, embed_slug: String) -> CustomerSite {
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    let page = site_page(&app_base, &embed_slug);
    let server = HttpServer::new(move || {
        let page = page.clone();
        let kept = kept.clone();
        App::new()
            .route(
                "/",
                web::get().to(move || {
                    let page = page.clone();
                    async move { HttpResponse::Ok().content_type("text/html").body(page) }
                }),
            )
            .route(
                "/contact",
                web::post().to(move |body: String| {
                    let kept = kept.clone();
                    async move {
                        kept.lock().unwrap().push(body);
                        HttpResponse::Ok().body("Thanks, we got your message.")
                    }
                }),
            )
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap()
    .run();
    tokio::spawn(server);
    CustomerSite {
        // `localhost` and `127.0.0.1` are different sites: the booking page is framed
        // cross-site, where the browser sends it no SameSite cookie.
        origin: format!("http://localhost:{port}"),
        received,
    }
}

struct Scene {
    app: TestApp,
    site: CustomerSite,
}

async fn scene() -> Scene {
    let app_port = free_port();
    let site_port = free_port();
    let app = spawn_app_with(move |settings| {
        settings.server.bind = format!("127.0.0.1:{app_port}");
        settings.server.public_url = format!("http://127.0.0.1:{app_port}");
        settings.public.embed_origins = vec![format!("http://localhost:{site_port}")];
    })
    .await;
    let all_day = json!([["00:00", "24:00"]]);
    let hours = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day});
    let host = app
        .create_user(json!({"email": "rita@ourco.example", "name": "Rita Routed", "role": "host", "title": "Account Executive", "timezone": "Europe/Berlin", "working_hours": hours}))
        .await;
    let host_id = host["id"].as_str().unwrap().to_owned();
    let meeting_type = app
        .create_meeting_type(
            "sales-demo",
            std::slice::from_ref(&host_id),
            json!({"requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 60, "location": "Video call"}),
        )
        .await;
    let router = app
        .post_json(
            "/api/v1/routers",
            &app.admin_key,
            &json!({
                "slug": "website",
                "name": "Website contact form",
                "rules": [{"when": {"field": "company_size", "op": "gte", "value": 100},
                           "then": {"book": {"meeting_type_id": meeting_type["id"]}}}],
                "fallback": {"disqualify": {"message": "Thank you! A small-business specialist will email you within a day."}}
            }),
        )
        .await;
    assert_eq!(router.status(), 201);
    let link: Value = app
        .post_json(
            "/api/v1/booking-links",
            &app.admin_key,
            &json!({"meeting_type_id": meeting_type["id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let site = start_site(
        site_port,
        app.address.clone(),
        link["slug"].as_str().unwrap().to_owned(),
    )
    .await;
    Scene { app, site }
}

async fn fill(browser: &Browser, id: &str, text: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn click(browser: &Browser, css: &str) {
    browser
        .client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn text_of(browser: &Browser, css: &str) -> String {
    browser
        .client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Waits until the element's text is not empty, and returns it.
async fn filled_text(browser: &Browser, css: &str) -> String {
    for _ in 0..100 {
        let text = text_of(browser, css).await;
        if !text.trim().is_empty() {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} stayed empty");
}

async fn wait_for_own_submission(site: &CustomerSite) -> String {
    for _ in 0..100 {
        if let Some(body) = site.received.lock().unwrap().first() {
            return body.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the form's own submission never reached the customer's server");
}

/// Books the first time offered on the booking page in the current frame.
async fn book_first_time(browser: &Browser) {
    click(browser, ".day-times:not([hidden]) a.time").await;
    book_chosen_time(browser).await;
}

/// Books the time chosen on the booking page in the current frame.
async fn book_chosen_time(browser: &Browser) {
    click(browser, ".book-button").await;
    if browser
        .client
        .wait()
        .for_element(Locator::Id("meeting-status"))
        .await
        .is_err()
    {
        let source = browser.client.source().await.unwrap();
        panic!("no confirmation: {source}");
    }
}

#[tokio::test]
async fn a_routed_form_on_another_site_opens_the_hosts_times_and_books() {
    let scene = scene().await;
    let browser = Browser::start(1280, 900).await;
    let page = &browser.client;
    page.goto(&format!("{}/?utm_source=linkedin", scene.site.origin))
        .await
        .unwrap();
    fill(&browser, "name", "Bea Buyer").await;
    fill(&browser, "email", "bea@bigco.example").await;
    fill(&browser, "company", "BigCo").await;
    fill(&browser, "size", "500").await;
    click(&browser, "#send").await;

    let frame = page
        .wait()
        .for_element(Locator::Css("[data-convene-dialog] iframe"))
        .await
        .expect("the routed host's times open in a dialog");
    let own = wait_for_own_submission(&scene.site).await;
    assert!(
        own.contains("email=bea%40bigco.example") && own.contains("a_company_size=500"),
        "the customer's server got the form as the browser would send it: {own}"
    );
    browser.screenshot("route-js-dialog-1280").await;
    frame.enter_frame().await.unwrap();
    let hosts = text_of(&browser, ".booking-head").await;
    assert!(hosts.contains("Rita Routed"), "{hosts}");
    assert_eq!(
        page.find(Locator::Id("email"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("bea@bigco.example"),
        "the booking page is prefilled with the submission"
    );
    browser.assert_accessible("route-js-booking-frame").await;
    book_first_time(&browser).await;
    let status = text_of(&browser, "#meeting-status").await;
    assert_eq!(status, "Confirmed");
    page.enter_parent_frame().await.unwrap();
    let detail: Value = serde_json::from_str(&filled_text(&browser, "#booked").await).unwrap();
    assert_eq!(detail["status"], "scheduled");
    assert!(detail["start_utc"].as_str().unwrap().ends_with('Z'));
    browser.screenshot("route-js-booked-1280").await;

    let meetings: Value = scene
        .app
        .get_json("/api/v1/meetings", &scene.app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let meeting = &meetings["items"][0];
    assert!(
        meeting["attendees"]
            .as_array()
            .unwrap()
            .iter()
            .any(|attendee| attendee["email"] == "rita@ourco.example"
                && attendee["role"] == "host"),
        "the routed host has the meeting: {meeting}"
    );
    let leads: Value = scene
        .app
        .get_json("/api/v1/leads?q=bea%40bigco.example", &scene.app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(leads["items"][0]["attributes"]["utm_source"], "linkedin");
    browser.close().await;
}

#[tokio::test]
async fn a_disqualified_submission_gets_its_message_and_an_inline_embed_books_on_a_phone() {
    let scene = scene().await;
    let browser = Browser::start(390, 844).await;
    let page = &browser.client;
    page.goto(&scene.site.origin).await.unwrap();
    fill(&browser, "name", "Sol Small").await;
    fill(&browser, "email", "sol@tiny.example").await;
    fill(&browser, "size", "4").await;
    click(&browser, "#send").await;
    let message = text_of(&browser, "[data-convene-message]").await;
    assert!(message.contains("small-business specialist"), "{message}");
    wait_for_own_submission(&scene.site).await;
    browser.screenshot("route-js-disqualified-390").await;
    assert!(
        browser.fits_width().await,
        "{:?}",
        browser.overflowing_elements().await
    );
    click(&browser, "[data-convene-dialog] button[aria-label=Close]").await;

    let inline = page
        .wait()
        .for_element(Locator::Css("[data-convene-link] iframe"))
        .await
        .unwrap();
    inline.enter_frame().await.unwrap();
    click(&browser, ".day-times:not([hidden]) a.time").await;
    fill(&browser, "name", "Ivy Inline").await;
    fill(&browser, "email", "ivy@bigco.example").await;
    book_chosen_time(&browser).await;
    page.enter_parent_frame().await.unwrap();
    let detail: Value = serde_json::from_str(&filled_text(&browser, "#booked").await).unwrap();
    assert_eq!(detail["status"], "scheduled");
    let height = page
        .execute(
            "return document.querySelector('[data-convene-link] iframe').offsetHeight",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(
        height > 420.0,
        "the inline frame grew to its page: {height}"
    );
    browser.screenshot("embed-inline-booked-390").await;
    browser.close().await;
}
