//! The prospect's language: chosen by `lang`, else `Accept-Language`, else English, on the
//! survey page and in the emails that follow a booking (and a booking link emailed later);
//! hostile values give English.

use chrono::{Duration, Utc};
use convene::notifications::outbox::{self, EmailFilter, EmailKind};
use serde_json::{json, Value};

use crate::admin_ui::sign_in;
use crate::booking::{book, booking, first_slot, link_for, open_type};
use crate::emails::{delivered, smtp_to};
use crate::helpers::{csrf_token_in, spawn_app, spawn_app_with, TestApp, TEST_PASSWORD};
use crate::outcomes::log_meeting;
use crate::smtp::{free_port, SmtpSink};
use crate::surveys::invite;

async fn survey_token(app: &TestApp) -> String {
    let (meeting_type, _) = open_type(app, json!({"survey": true})).await;
    let lead = app.create_lead("survey@bigco.com", true).await;
    let meeting = log_meeting(
        app,
        &lead["id"],
        &meeting_type["id"],
        Utc::now() - Duration::days(1),
    )
    .await;
    invite(app, &meeting, "survey@bigco.com", Utc::now())
}

async fn survey_page(app: &TestApp, path: &str, accept_language: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(value) = accept_language {
        request = request.header("Accept-Language", value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_survey_page_speaks_the_requested_or_the_browsers_language() {
    let app = spawn_app().await;
    let token = survey_token(&app).await;

    let (status, english) = survey_page(&app, &format!("/survey/{token}"), None).await;
    assert_eq!(status, 200);
    assert!(english.contains(r#"<html lang="en">"#));
    assert!(english.contains("How was your meeting?"));

    let (status, vietnamese) = survey_page(
        &app,
        &format!("/survey/{token}?lang=vi"),
        Some("km, en;q=0.5"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(vietnamese.contains(r#"<html lang="vi">"#));
    assert!(vietnamese.contains("Cuộc họp của bạn thế nào?"));
    assert!(
        vietnamese.contains("tháng"),
        "the meeting's date in Vietnamese"
    );
    assert!(vietnamese.contains("Gửi câu trả lời"));

    let (status, khmer) = survey_page(
        &app,
        &format!("/survey/{token}"),
        Some("fr-FR, km-KH;q=0.9, vi;q=0.8"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(khmer.contains(r#"<html lang="km">"#));
    assert!(khmer.contains("តើកិច្ចប្រជុំរបស់អ្នកយ៉ាងដូចម្តេចដែរ?"));

    let (status, unknown) = survey_page(&app, "/survey/not-a-token?lang=vi", None).await;
    assert_eq!(status, 404);
    assert!(unknown.contains("Không tìm thấy khảo sát"));
}

#[tokio::test]
async fn hostile_languages_give_the_english_page() {
    let app = spawn_app().await;
    let token = survey_token(&app).await;
    let long = "vi-".repeat(3500);
    let garbage: String = (0..10_000)
        .map(|i| char::from(b'!' + (i % 94) as u8))
        .collect();
    let cases = [
        (
            format!("/survey/{token}?lang={long}"),
            Some(garbage.clone()),
        ),
        (
            format!("/survey/{token}?lang=%FF%FE%C0"),
            Some("*;q=abc".to_owned()),
        ),
        (
            format!("/survey/{token}?lang=;q=,,&lang=vi"),
            Some(",;,q=NaN;q=inf, vi;q=-1, km;q=1.5".to_owned()),
        ),
        (format!("/survey/{token}"), Some(long.clone())),
    ];
    for (path, header) in cases {
        let (status, html) = survey_page(&app, &path, header.as_deref()).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(r#"<html lang="en">"#), "{path}");
        assert!(html.contains("How was your meeting?"));
    }
}

/// Books the first free slot on a fresh link as `email`, with `lang` in the body and
/// `accept_language` sent by the browser; returns every message the SMTP sink received.
async fn booked_emails(lang: Option<&str>, accept_language: Option<&str>) -> Vec<Received> {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let app = spawn_app_with(smtp_to(sink.port)).await;
    let (_, link) = open_type(&app, json!({})).await;
    let start = first_slot(&app, &link).await;
    let mut body = booking(&start, "pat@bigco.com");
    if let Some(lang) = lang {
        body["lang"] = Value::from(lang);
    }
    let response = match accept_language {
        Some(value) => app
            .client
            .post(app.url(&format!("/book/{}", link["slug"].as_str().unwrap())))
            .header("Accept-Language", value)
            .json(&body)
            .send()
            .await
            .unwrap(),
        None => book(&app, &link, &body).await,
    };
    assert_eq!(response.status(), 201);
    delivered(&app, mail.path())
        .await
        .iter()
        .map(|raw| Received::parse(raw))
        .collect()
}

struct Received {
    to: String,
    subject: String,
    text: String,
    html: String,
}

impl Received {
    fn parse(raw: &[u8]) -> Self {
        let message = mail_parser::MessageParser::default().parse(raw).unwrap();
        Self {
            to: message
                .to()
                .and_then(|to| to.first())
                .and_then(|to| to.address())
                .unwrap_or_default()
                .to_owned(),
            subject: message.subject().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
        }
    }
}

fn invite_to<'a>(received: &'a [Received], to: &str) -> &'a Received {
    received
        .iter()
        .find(|message| message.to == to)
        .unwrap_or_else(|| panic!("no email to {to}"))
}

#[tokio::test]
async fn a_booking_in_vietnamese_gets_its_emails_in_vietnamese() {
    let received = booked_emails(Some("vi"), Some("km")).await;
    let prospect = invite_to(&received, "pat@bigco.com");
    assert!(
        prospect.subject.contains("tháng") && prospect.subject.contains("Meeting intro"),
        "the date in Vietnamese, the meeting's own name: {}",
        prospect.subject
    );
    assert!(
        prospect.text.starts_with("Xin chào Pat Prospect,"),
        "{}",
        prospect.text
    );
    assert!(prospect.text.contains("Bạn được mời tham dự cuộc họp."));
    assert!(prospect.text.contains("Thời gian:"));
    assert!(prospect.html.contains(r#"<html lang="vi">"#));
    assert!(prospect.html.contains("Đổi lịch hoặc hủy"));

    let host = invite_to(&received, "dana@example.com");
    assert!(
        host.text.starts_with("Hello Dana Exec,"),
        "hosts read English"
    );
    assert!(host.html.contains(r#"<html lang="en">"#));
}

#[tokio::test]
async fn a_booking_from_a_khmer_browser_gets_its_emails_in_khmer() {
    let received = booked_emails(Some("xx-unknown"), Some("km-KH, en;q=0.4")).await;
    let prospect = invite_to(&received, "pat@bigco.com");
    assert!(prospect.subject.contains("ខែ"), "{}", prospect.subject);
    assert!(
        prospect.text.starts_with("ជម្រាបសួរ Pat Prospect,"),
        "{}",
        prospect.text
    );
    assert!(prospect.html.contains(r#"<html lang="km">"#));
}

#[tokio::test]
async fn a_booking_without_a_language_gets_english_emails() {
    let received = booked_emails(None, None).await;
    let prospect = invite_to(&received, "pat@bigco.com");
    assert!(prospect.text.starts_with("Hello Pat Prospect,"));
    assert!(prospect.html.contains(r#"<html lang="en">"#));
}

#[tokio::test]
async fn a_booking_link_emailed_later_speaks_the_language_the_lead_booked_in() {
    let app = spawn_app().await;
    let (meeting_type, link) = open_type(&app, json!({})).await;
    let start = first_slot(&app, &link).await;
    let mut body = booking(&start, "pat@bigco.com");
    body["lang"] = Value::from("vi");
    let booked: Value = book(&app, &link, &body).await.json().await.unwrap();
    let request: Value = app
        .get_json(
            &format!(
                "/api/v1/meeting-requests/{}",
                booked["meeting_request_id"].as_str().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    let personal = link_for(&app, &meeting_type, json!({"lead_id": request["lead_id"]})).await;

    app.create_user_with_password("marketer@example.com", "marketer");
    assert_eq!(
        sign_in(&app, "marketer@example.com", TEST_PASSWORD)
            .await
            .status(),
        303
    );
    let page = app
        .client
        .get(app.url("/admin/meeting-types"))
        .send()
        .await
        .unwrap();
    let csrf = csrf_token_in(&page.text().await.unwrap());
    let emailed = app
        .client
        .post(app.url(&format!(
            "/admin/booking-links/{}/email",
            personal["id"].as_str().unwrap()
        )))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(emailed.status(), 303);

    let sent = {
        let mut conn = app.db.connection().unwrap();
        let filter = EmailFilter {
            kind: Some(EmailKind::BookingLink),
            ..EmailFilter::default()
        };
        outbox::list(&mut conn, &filter, None, 10).unwrap()
    };
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].subject, "Chọn thời gian cho Meeting intro của bạn");
    assert!(sent[0].body_text.starts_with("Xin chào Pat Prospect,"));
}
