//! Prefill and attribution: what the booking page's address carries (phone, title, `a_<name>`,
//! UTMs) reaches the lead and the meeting request, with the first and last touch, the referrer
//! and the landing page; hostile values are dropped, never a failure.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::booking::{book, booking, link_for, open_type};
use crate::helpers::{assert_problem, csrf_token_in, spawn_app, TestApp};

const PUBLIC_BASE: &str = "http://127.0.0.1:8080";

/// `text` as it reads once its HTML escapes are undone.
fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `name` and `value` of every input of the page's booking form that is hidden or one of
/// the text boxes this feature adds.
fn carried_inputs(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("class=\"booking-form\"").expect("a booking form")..];
    let attribute = |tag: &str, name: &str| {
        let marker = format!("{name}=\"");
        tag.find(&marker).map(|start| {
            let rest = &tag[start + marker.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
    };
    form.split("<input")
        .skip(1)
        .map(|tag| &tag[..tag.find('>').unwrap()])
        .filter(|tag| {
            tag.contains("type=\"hidden\"")
                || tag.contains("name=\"phone\"")
                || tag.contains("name=\"title\"")
        })
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}

fn value_of<'a>(inputs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    inputs
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.as_str())
}

async fn booking_page(app: &TestApp, slug: &str, query: &str, referer: Option<&str>) -> String {
    let mut request = app.client.get(app.url(&format!(
        "/book/{slug}?tz=Europe/Berlin&from={}&{query}",
        day_after_tomorrow()
    )));
    if let Some(referer) = referer {
        request = request.header("referer", referer);
    }
    let page = request.send().await.unwrap();
    let status = page.status();
    let html = page.text().await.unwrap();
    assert_eq!(status, 200, "{html}");
    html
}

/// Books `start` through the page's form as a person would, sending what the page carries.
async fn book_through_page(app: &TestApp, slug: &str, html: &str, start: &str, email: &str) {
    let mut fields = carried_inputs(html);
    assert_eq!(
        value_of(&fields, "csrf_token"),
        Some(csrf_token_in(html).as_str())
    );
    for (name, value) in [
        ("start", start),
        ("name", "Pat Prospect"),
        ("email", email),
        ("timing", "now"),
    ] {
        fields.retain(|(carried, _)| carried != name);
        fields.push((name.to_owned(), value.to_owned()));
    }
    let posted = app
        .client
        .post(app.url(&format!("/book/{slug}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&fields).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 303, "{}", posted.text().await.unwrap());
}

async fn lead_by_email(app: &TestApp, email: &str) -> Value {
    let list: Value = app
        .get_json(&format!("/api/v1/leads?q={email}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let id = list["items"][0]["id"]
        .as_str()
        .expect("the lead")
        .to_owned();
    app.get_json(&format!("/api/v1/leads/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap()
}

/// A day that lies wholly ahead in Berlin at any hour of the UTC day.
fn day_after_tomorrow() -> String {
    (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string()
}

async fn free_starts(app: &TestApp, slug: &str) -> Vec<String> {
    app.free_starts(slug, &day_after_tomorrow(), "Europe/Berlin")
        .await
}

#[tokio::test]
async fn a_booking_page_visit_becomes_the_leads_touches_and_the_requests_attribution() {
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    let starts = free_starts(&app, slug).await;

    let first = booking_page(
        &app,
        slug,
        "utm_source=google&utm_medium=cpc&utm_campaign=winter&utm_term=meetings&utm_content=ad1\
         &a_industry=fintech&phone=%2B49%2030%201234&title=Head%20of%20Sales",
        Some("https://www.google.com/search?q=convene"),
    )
    .await;
    assert!(
        first.contains("autocomplete=\"tel\"")
            && first.contains("autocomplete=\"organization-title\"")
    );
    let inputs = carried_inputs(&first);
    assert_eq!(value_of(&inputs, "a_industry"), Some("fintech"));
    assert_eq!(value_of(&inputs, "phone"), Some("+49 30 1234"));
    book_through_page(&app, slug, &first, &starts[0], "pat@bigco.com").await;

    // A second visit from elsewhere (through another link: one live booking per link): the
    // first touch stays, the last one follows, and the lead's campaign and source (taken from
    // the first visit) stay as they are.
    let other = link_for(&app, &meeting_type, json!({})).await;
    let other = other["slug"].as_str().unwrap();
    let second = booking_page(
        &app,
        other,
        "utm_source=linkedin&utm_campaign=spring",
        Some(&format!("{PUBLIC_BASE}/book/{slug}")),
    )
    .await;
    book_through_page(&app, other, &second, &starts[2], "pat@bigco.com").await;

    let lead = lead_by_email(&app, "pat@bigco.com").await;
    let first_touch = &lead["attribution"]["first_touch"];
    assert_eq!(first_touch["utm_source"], "google");
    assert_eq!(first_touch["utm_medium"], "cpc");
    assert_eq!(first_touch["utm_campaign"], "winter");
    assert_eq!(first_touch["utm_term"], "meetings");
    assert_eq!(first_touch["utm_content"], "ad1");
    assert_eq!(
        first_touch["referrer"],
        "https://www.google.com/search?q=convene"
    );
    let landing = first_touch["landing_page"].as_str().unwrap();
    assert!(
        landing.starts_with(&format!("{PUBLIC_BASE}/book/{slug}?tz=Europe%2FBerlin"))
            && landing.contains("utm_source=google")
            && !landing.contains("embed"),
        "{landing}"
    );
    assert!(first_touch["at"].is_string());
    let last_touch = &lead["attribution"]["last_touch"];
    assert_eq!(last_touch["utm_source"], "linkedin");
    assert_eq!(last_touch["utm_medium"], Value::Null);
    assert_eq!(
        last_touch["referrer"],
        Value::Null,
        "our own page is not a referrer"
    );
    assert_eq!(
        (lead["campaign"].as_str(), lead["source"].as_str()),
        (Some("winter"), Some("google"))
    );
    assert_eq!(lead["attributes"]["industry"], "fintech");
    assert_eq!(lead["phone"], "+49 30 1234");
    assert_eq!(lead["title"], "Head of Sales");

    let requests = lead["meeting_requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    let sources: Vec<&Value> = requests
        .iter()
        .map(|request| &request["attribution"]["utm_source"])
        .collect();
    assert!(sources.contains(&&json!("google")) && sources.contains(&&json!("linkedin")));
    let id = requests[0]["id"].as_str().unwrap();
    let request: Value = app
        .get_json(&format!("/api/v1/meeting-requests/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(request["attribution"], requests[0]["attribution"]);
    let listed: Value = app
        .get_json("/api/v1/meeting-requests", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|request| request["attribution"].is_object()));

    // The reports group the requests by the campaign and source the UTMs gave the lead.
    let now = Utc::now();
    let period = format!(
        "from={}&to={}",
        (now - Duration::days(1)).format("%Y-%m-%d"),
        (now + Duration::days(3)).format("%Y-%m-%d")
    );
    for filter in ["campaign=winter", "source=google"] {
        let funnel: Value = app
            .get_json(
                &format!("/api/v1/reports/funnel?{period}&{filter}"),
                &app.admin_key,
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(funnel["meetings_requested"], 2, "{filter}: {funnel}");
    }
}

#[tokio::test]
async fn hostile_prefill_and_attribution_values_are_dropped_and_the_booking_goes_through() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    let starts = free_starts(&app, slug).await;
    let long = "x".repeat(10_000);
    let html = booking_page(
        &app,
        slug,
        &format!(
            "utm_source=evil%0D%0AX-Injected:%201&utm_medium=%1B%5B31m&utm_campaign={long}\
             &utm_content=%E2%80%AEtxt.exe&utm_term=%F0%9F%8E%84%20xmas&phone=call%20me\
             &title=a%0Ab&a_bad%20name=x&a_note=a%07b&a_{long}=x&a_mood=%F0%9F%98%80\
             &referrer=https%3A%2F%2Fspoof.example%2F"
        ),
        Some("javascript:alert(1)"),
    )
    .await;
    let inputs = carried_inputs(&html);
    let names: Vec<&str> = inputs.iter().map(|(name, _)| name.as_str()).collect();
    for dropped in [
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "referrer",
        "a_note",
    ] {
        assert!(!names.contains(&dropped), "{dropped} in {names:?}");
    }
    assert_eq!(value_of(&inputs, "phone"), Some(""));
    assert_eq!(value_of(&inputs, "title"), Some(""));
    book_through_page(&app, slug, &html, &starts[0], "eve@bigco.com").await;
    // A NUL is refused before any page reads the address.
    let nul = app
        .client
        .get(app.url(&format!("/book/{slug}?utm_source=a%00b")))
        .send()
        .await
        .unwrap();
    assert_problem(nul, 400).await;

    let lead = lead_by_email(&app, "eve@bigco.com").await;
    let touch = &lead["attribution"]["first_touch"];
    assert_eq!(touch["utm_source"], Value::Null);
    assert_eq!(touch["utm_term"], "🎄 xmas");
    assert_eq!(touch["referrer"], Value::Null);
    assert_eq!(lead["attributes"], json!({"mood": "😀"}));
    assert_eq!(lead["source"], "booking_link");
    assert_eq!(lead["campaign"], Value::Null);
}

#[tokio::test]
async fn the_embedded_page_takes_the_host_pages_referrer_and_address() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    let html = booking_page(
        &app,
        slug,
        "embed=1&utm_source=newsletter&referrer=https%3A%2F%2Fnews.example%2Fissue-9\
         &landing_page=https%3A%2F%2Fshop.example%2Fpricing%3Futm_source%3Dnewsletter",
        Some("https://shop.example/pricing?utm_source=newsletter"),
    )
    .await;
    let inputs = carried_inputs(&html);
    assert_eq!(
        value_of(&inputs, "referrer"),
        Some("https://news.example/issue-9")
    );
    assert_eq!(
        value_of(&inputs, "landing_page"),
        Some("https://shop.example/pricing?utm_source=newsletter")
    );
    assert_eq!(value_of(&inputs, "utm_source"), Some("newsletter"));
}

#[tokio::test]
async fn json_bookings_take_an_attribution_and_refuse_a_bad_one_by_name() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let slug = link["slug"].as_str().unwrap();
    let starts = free_starts(&app, slug).await;

    let mut bad = booking(&starts[0], "api@bigco.com");
    bad["attribution"] = json!({"utm_source": "crm\nX", "landing_page": "javascript:alert(1)"});
    let problem = assert_problem(book(&app, &link, &bad).await, 422).await;
    assert!(
        problem["errors"]["attribution.utm_source"].is_array(),
        "{problem}"
    );
    assert!(
        problem["errors"]["attribution.landing_page"].is_array(),
        "{problem}"
    );

    let mut good = booking(&starts[0], "api@bigco.com");
    good["attribution"] = json!({"utm_source": "partner", "utm_campaign": "q1", "landing_page": "https://partner.example/offer"});
    good["title"] = json!("CFO");
    let booked = book(&app, &link, &good).await;
    assert_eq!(booked.status(), 201);
    let id = booked.json::<Value>().await.unwrap()["meeting_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let request: Value = app
        .get_json(&format!("/api/v1/meeting-requests/{id}"), &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(request["attribution"]["utm_source"], "partner");
    assert_eq!(
        request["attribution"]["landing_page"],
        "https://partner.example/offer"
    );
    let lead = lead_by_email(&app, "api@bigco.com").await;
    assert_eq!(
        (lead["campaign"].as_str(), lead["source"].as_str()),
        (Some("q1"), Some("partner"))
    );
    assert_eq!(lead["title"], "CFO");

    // A lead the API made has no touch until a page or form brings one.
    let plain = app.create_lead("plain@bigco.com", false).await;
    let plain: Value = app
        .get_json(
            &format!("/api/v1/leads/{}", plain["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        plain["attribution"],
        json!({"first_touch": null, "last_touch": null})
    );
}

#[tokio::test]
async fn a_routed_forms_utms_and_page_are_the_touch_of_its_lead_and_request() {
    let app = spawn_app().await;
    let (meeting_type, _) = open_type(&app, json!({"requires_approval": true})).await;
    let router = json!({"slug": "web-form", "name": "Web form", "rules": [],
                        "fallback": {"request": {"meeting_type_id": meeting_type["id"]}}});
    let created = app
        .post_json("/api/v1/routers", &app.admin_key, &router)
        .await;
    assert_eq!(created.status(), 201);
    let answer = app
        .client
        .post(app.url("/route/web-form"))
        .header("referer", "https://www.customer.example/demo?utm_source=g2")
        .form(&[
            ("email", "form@bigco.com"),
            ("name", "Form Person"),
            ("utm_source", "g2"),
            ("utm_campaign", "reviews"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    let request_id = answer["meeting_request_id"].as_str().expect("a request");
    let request: Value = app
        .get_json(
            &format!("/api/v1/meeting-requests/{request_id}"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    let lead = lead_by_email(&app, "form@bigco.com").await;
    let touch = &lead["attribution"]["last_touch"];
    assert_eq!(touch["utm_source"], "g2");
    assert_eq!(touch["utm_campaign"], "reviews");
    assert_eq!(
        touch["landing_page"],
        "https://www.customer.example/demo?utm_source=g2"
    );
    assert_eq!(lead["attribution"]["first_touch"], *touch);
    assert_eq!(request["attribution"], *touch);
    assert_eq!(
        (lead["campaign"].as_str(), lead["source"].as_str()),
        (Some("reviews"), Some("g2"))
    );
}
