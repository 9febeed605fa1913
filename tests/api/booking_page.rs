//! The prospect's booking page as HTML: the month, the day's times, the form with its recap,
//! and every step kept when a booking is refused; the confirmation's wording per status.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::booking::{book, booking, open_type};
use crate::helpers::{csrf_token_in, spawn_app, TestApp};

const ZONE: &str = "Asia/Tokyo";

/// A day that lies wholly ahead in every zone at any hour of the UTC day.
fn day_after_tomorrow() -> String {
    (Utc::now() + Duration::days(2))
        .format("%Y-%m-%d")
        .to_string()
}

fn slug(link: &Value) -> &str {
    link["slug"].as_str().unwrap()
}

async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The `data-start-utc` values of the time list shown (not hidden) on a page.
fn shown_starts(html: &str) -> Vec<String> {
    let shown = html
        .split("<div class=\"day-times\"")
        .skip(1)
        .find(|list| !list[..list.find('>').unwrap()].contains("hidden"))
        .expect("one day's times are shown");
    shown
        .split("data-start-utc=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn the_page_marks_bookable_days_and_lists_the_chosen_days_times() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let day = day_after_tomorrow();
    let (status, html) = page(&app, &format!("/book/{}?tz={ZONE}&day={day}", slug(&link))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<select name=\"tz\" id=\"tz\">"),
        "the zone control"
    );
    assert!(
        html.contains(&format!("class=\"day selected\" data-day=\"{day}\"")),
        "the asked day is chosen: {html}"
    );
    assert!(html.contains("role=\"grid\""));
    let starts = shown_starts(&html);
    assert_eq!(starts.len(), 48, "a whole free day of 30-minute times");
    assert!(starts.iter().all(|start| start.ends_with('Z')));
    let expected = app.free_starts(slug(&link), &day, ZONE).await;
    assert_eq!(expected.len(), 48);
    assert!(
        html.contains(&format!("data-start=\"{}\"", expected[0])),
        "times are posted with the shown zone's offset"
    );
    assert!(
        html.contains("id=\"booking-details\" hidden"),
        "the form waits for a time"
    );
    assert!(html.contains("<option value=\"Europe/Berlin\">Europe/Berlin — "));
    assert!(html.contains("selected>Asia/Tokyo — "));
    assert!(
        !html.contains("value=\"US/Eastern\""),
        "only canonical zones are offered"
    );
    let (_, no_zone) = page(&app, &format!("/book/{}", slug(&link))).await;
    assert!(
        no_zone.contains("data-zone-guessed"),
        "the script may use the browser's zone"
    );
    assert!(!html.contains("data-zone-guessed"), "a chosen zone stays");
}

#[tokio::test]
async fn a_chosen_time_opens_the_form_with_its_recap_and_keeps_prefill() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let day = day_after_tomorrow();
    let start = app.free_starts(slug(&link), &day, ZONE).await[3].clone();
    let query = serde_urlencoded::to_string([
        ("tz", ZONE),
        ("start", &start),
        ("name", "Ana Prefilled"),
        ("utm_source", "newsletter"),
    ])
    .unwrap();
    let (status, html) = page(&app, &format!("/book/{}?{query}", slug(&link))).await;
    assert_eq!(status, 200);
    let start_utc = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        html.contains(&format!("data-chosen-start-utc=\"{start_utc}\"")),
        "the recap names the chosen time: {html}"
    );
    assert!(html.contains(&format!("name=\"start\" id=\"start\" value=\"{start}\"")));
    assert!(!html.contains("id=\"booking-details\" hidden"));
    assert!(html.contains("value=\"Ana Prefilled\""));
    assert!(
        html.contains("utm_source=newsletter&amp;tz=Asia%2FTokyo&amp;day="),
        "day and time links keep the other parameters: {html}"
    );
}

#[tokio::test]
async fn a_taken_time_keeps_the_zone_the_fields_and_the_day() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let day = day_after_tomorrow();
    let starts = app.free_starts(slug(&link), &day, ZONE).await;
    let start = starts[5].clone();
    let (_, html) = page(
        &app,
        &format!(
            "/book/{}?tz={ZONE}&day={day}&start={}",
            slug(&link),
            urlencode(&start)
        ),
    )
    .await;
    let csrf = csrf_token_in(&html);
    assert_eq!(
        book(&app, &link, &booking(&start, "first@bigco.com"))
            .await
            .status(),
        201
    );
    let refused = post_form(
        &app,
        slug(&link),
        &[
            ("csrf_token", csrf.as_str()),
            ("start", start.as_str()),
            ("timezone", ZONE),
            ("name", "Ngô Thị Lan 🌸"),
            ("email", "lan@bigco.vn"),
            ("company", "BigCo"),
            ("need", "on"),
            ("timing", "this_year"),
            ("notes", "Line one\nLine two"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 409);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"slot-error\"") && html.contains("pick another time"),
        "the reason is next to the times: {html}"
    );
    assert!(html.contains("selected>Asia/Tokyo — "), "the zone is kept");
    assert!(
        html.contains(&format!("class=\"day selected\" data-day=\"{day}\"")),
        "the day is kept"
    );
    assert!(
        html.contains("value=\"lan@bigco.vn\"")
            && html.contains("Line one\nLine two</textarea>")
            && html.contains("<option value=\"this_year\" selected>")
            && html.contains("name=\"need\" checked"),
        "the fields are kept"
    );
    assert!(
        !html.contains("id=\"booking-details\" hidden"),
        "the form stays open"
    );
    let taken_utc = chrono::DateTime::parse_from_rfc3339(&start)
        .unwrap()
        .with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let shown = shown_starts(&html);
    assert_eq!(
        shown.len(),
        47,
        "the taken time is gone from the day's list"
    );
    assert!(!shown.contains(&taken_utc));
}

/// Posts the booking form as a browser does.
async fn post_form(app: &TestApp, slug: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/book/{slug}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn booked_path(app: &TestApp, overrides: Value) -> (Value, String) {
    let (_, link) = open_type(app, overrides).await;
    let start = app
        .free_starts(slug(&link), &day_after_tomorrow(), ZONE)
        .await[0]
        .clone();
    let confirmation: Value = book(app, &link, &booking(&start, "pat@bigco.com"))
        .await
        .json()
        .await
        .unwrap();
    let path = confirmation["manage_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://127.0.0.1:8080")
        .to_owned();
    (link, path)
}

#[tokio::test]
async fn a_request_awaiting_approval_says_what_happens_next_and_offers_no_calendar_yet() {
    let app = spawn_app().await;
    let (_, path) = booked_path(&app, json!({"requires_approval": true})).await;
    let (status, html) = page(&app, &format!("{path}?booked=1")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Your request is in")
            && html.contains("Awaiting approval")
            && html.contains("will confirm the time by email"),
        "{html}"
    );
    assert!(!html.contains("calendar.google.com") && !html.contains("invite.ics"));
    assert!(!html.contains("You&#x27;re booked"));
}

#[tokio::test]
async fn reschedule_opens_its_picker_only_when_asked() {
    let app = spawn_app().await;
    let (_, path) = booked_path(&app, json!({})).await;
    let (_, closed) = page(&app, &path).await;
    assert!(!closed.contains("data-start-utc") && !closed.contains("role=\"grid\""));
    let (status, open) = page(&app, &format!("{path}?reschedule=1")).await;
    assert_eq!(status, 200);
    assert!(open.contains("role=\"grid\"") && open.contains("data-start-utc="));
    assert!(open.contains(&format!("action=\"{path}/reschedule\"")));
    assert!(
        open.contains("reschedule=1&amp;tz=America%2FNew_York&amp;day="),
        "the picker's links keep it open, in the prospect's zone"
    );
    let (_, cancelling) = page(&app, &format!("{path}?cancel=1")).await;
    assert!(
        cancelling.contains(&format!("action=\"{path}/cancel\"")) && cancelling.contains("Keep it")
    );
}

#[tokio::test]
async fn a_cancelled_meeting_offers_to_book_again_and_no_calendar_file() {
    let app = spawn_app().await;
    let (link, path) = booked_path(&app, json!({})).await;
    let cancelled = app
        .client
        .post(app.url(&format!("{path}/cancel")))
        .json(&json!({"reason": "Travel"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let (status, html) = page(&app, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("This meeting was cancelled"), "{html}");
    assert!(
        html.contains("id=\"book-again\"")
            && html.contains(&format!("href=\"/book/{}\"", slug(&link)))
    );
    assert!(
        !html.contains("invite.ics")
            && !html.contains("calendar.google.com")
            && !html.contains("open-reschedule")
            && !html.contains("open-cancel"),
        "{html}"
    );
}

#[tokio::test]
async fn a_booking_over_the_rate_limit_gets_the_page_back_with_everything_typed() {
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.public.requests_per_minute = 1;
        settings.public.burst = 2;
    })
    .await;
    let (_, link) = open_type(&app, json!({})).await;
    let day = day_after_tomorrow();
    let start = app.free_starts(slug(&link), &day, ZONE).await[2].clone();
    let (_, html) = page(&app, &format!("/book/{}?tz={ZONE}", slug(&link))).await;
    let csrf = csrf_token_in(&html);
    let limited = post_form(
        &app,
        slug(&link),
        &[
            ("csrf_token", csrf.as_str()),
            ("start", start.as_str()),
            ("timezone", ZONE),
            ("name", "Kim Sokha"),
            ("email", "sokha@bigco.kh"),
            ("notes", "ជំរាបសួរ"),
        ],
    )
    .await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert!(limited.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = limited.text().await.unwrap();
    assert!(
        html.contains("id=\"slot-error\"") && html.contains("Too many booking attempts"),
        "{html}"
    );
    assert!(html.contains("value=\"Kim Sokha\"") && html.contains("ជំរាបសួរ</textarea>"));
    assert!(html.contains("selected>Asia/Tokyo — "));
    let leads: Value = app
        .get_json("/api/v1/leads", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        leads["items"].as_array().unwrap().len(),
        0,
        "nothing was booked"
    );
}
