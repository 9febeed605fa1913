//! The embeddable booking pages (`?embed=1`), who may frame them, booking inside a cross-site
//! frame without cookies, and the scripts customers put on their sites.

use serde_json::json;

use crate::booking::{first_slot, open_type};
use crate::helpers::{spawn_app_with, TestApp};

const SITE: &str = "https://www.customer.example";

/// An app that knows its own address, as a deployment's `server.public_url` does.
async fn app_framed_by(origins: &[&str]) -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let origins: Vec<String> = origins.iter().map(|o| (*o).to_owned()).collect();
    spawn_app_with(move |settings| {
        settings.server.bind = format!("127.0.0.1:{port}");
        settings.server.public_url = format!("http://127.0.0.1:{port}");
        settings.public.embed_origins = origins;
    })
    .await
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The fields the embedded booking page posts for `start`.
fn booking_fields(start: &str) -> String {
    serde_urlencoded::to_string([
        (
            "csrf_token",
            "not-a-cookie-token-from-inside-a-frame-00000000",
        ),
        ("start", start),
        ("timezone", "Europe/Berlin"),
        ("name", "Framed Prospect"),
        ("email", "framed@bigco.example"),
        ("timing", "now"),
    ])
    .unwrap()
}

/// A client with no cookies, as a browser is inside a cross-site frame.
fn cookieless() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn only_the_embed_variant_may_be_framed_and_only_by_the_listed_sites() {
    let app = app_framed_by(&[SITE, "http://localhost:3000"]).await;
    let (_, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();

    let normal = app
        .client
        .get(app.url(&format!("/book/{slug}")))
        .send()
        .await
        .unwrap();
    assert_eq!(normal.status(), 200);
    assert!(header(&normal, "content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(header(&normal, "x-frame-options"), Some("DENY"));

    let embedded = app
        .client
        .get(app.url(&format!("/book/{slug}?embed=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(embedded.status(), 200);
    let policy = header(&embedded, "content-security-policy")
        .unwrap()
        .to_owned();
    assert!(
        policy.contains(&format!("frame-ancestors {SITE} http://localhost:3000")),
        "{policy}"
    );
    assert_eq!(header(&embedded, "x-frame-options"), None);
    let html = embedded.text().await.unwrap();
    assert!(
        html.contains(&format!("action=\"/book/{slug}?embed=1\"")),
        "{html}"
    );
    assert!(html.contains("/static/embedded.js"));

    let nobody = app_framed_by(&[]).await;
    let (_, link) = open_type(&nobody, json!({})).await;
    let page = nobody
        .client
        .get(nobody.url(&format!("/book/{}?embed=1", link["slug"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert!(header(&page, "content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(header(&page, "x-frame-options"), Some("DENY"));
}

#[tokio::test]
async fn an_embedded_page_books_without_cookies_when_it_posts_from_its_own_origin() {
    let app = app_framed_by(&[SITE]).await;
    let (_, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    let start = first_slot(&app, &link).await;
    let client = cookieless();
    let post = |origin: &'static str, path: String| {
        client
            .post(app.url(&path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .header(
                "sec-fetch-site",
                if origin == SITE {
                    "cross-site"
                } else {
                    "same-origin"
                },
            )
            .body(booking_fields(&start))
            .send()
    };
    let own_origin: &'static str = Box::leak(app.address.clone().into_boxed_str());

    let forged = post(SITE, format!("/book/{slug}?embed=1")).await.unwrap();
    assert_eq!(forged.status(), 403, "a post another site made is refused");
    let not_embedded = post(own_origin, format!("/book/{slug}")).await.unwrap();
    assert_eq!(
        not_embedded.status(),
        403,
        "the normal page still needs its cookie"
    );

    let booked = post(own_origin, format!("/book/{slug}?embed=1"))
        .await
        .unwrap();
    assert_eq!(booked.status(), 303);
    let location = header(&booked, "location").unwrap().to_owned();
    assert!(
        location.starts_with("/m/") && location.ends_with("?booked=1&embed=1"),
        "{location}"
    );

    let confirmation = client.get(app.url(&location)).send().await.unwrap();
    assert!(header(&confirmation, "content-security-policy")
        .unwrap()
        .contains(&format!("frame-ancestors {SITE}")));
    let html = confirmation.text().await.unwrap();
    let start_utc = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        html.contains("data-convene-booked=")
            && html.contains(&format!("&quot;start_utc&quot;:&quot;{start_utc}&quot;"))
            && html.contains("&quot;status&quot;:&quot;scheduled&quot;"),
        "the confirmation tells the embedding page what was booked: {html}"
    );
    assert!(
        html.contains("?reschedule=1&amp;embed=1#reschedule")
            && html.contains("?cancel=1&amp;embed=1#cancel"),
        "the confirmation's buttons stay in the frame: {html}"
    );

    let normal_confirmation = client
        .get(app.url(location.trim_end_matches("&embed=1")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!normal_confirmation.contains("data-convene-booked"));
}

#[tokio::test]
async fn the_site_scripts_are_served_and_revalidated_by_version() {
    let app = app_framed_by(&[]).await;
    for path in ["/embed.js", "/route.js"] {
        let script = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(script.status(), 200);
        assert_eq!(
            header(&script, "content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(
            header(&script, "cache-control"),
            Some("public, max-age=86400")
        );
        let etag = header(&script, "etag").unwrap().to_owned();
        let body = script.text().await.unwrap();
        assert!(body.contains("data-convene-router") && body.contains("data-convene-link"));
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
}
