//! A Vietnamese and a Khmer prospect book in Chromium and read their pages and emails in their
//! language.

use std::time::Duration;

use convene::config::EmailTransportKind;
use fantoccini::{Client, Locator};

use crate::booking_flow::{click, fill, open_link, wait_for_text};
use crate::browser::Browser;
use crate::helpers::{spawn_app_with, TestApp};
use crate::smtp::{free_port, received, SmtpSink};

async fn text_of(page: &Client, css: &str) -> String {
    page.wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The prospect's invitation: its subject and plain text.
async fn prospect_email(app: &TestApp, dir: &std::path::Path, to: &str) -> (String, String) {
    for _ in 0..50 {
        app.run_pending_jobs().await;
        for raw in received(dir) {
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            let recipient = message
                .to()
                .and_then(|list| list.first())
                .and_then(|address| address.address())
                .unwrap_or_default()
                .to_owned();
            if recipient == to {
                return (
                    message.subject().unwrap_or_default().to_owned(),
                    message.body_text(0).unwrap_or_default().into_owned(),
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no email to {to}");
}

struct Case {
    lang: &'static str,
    zone: &'static str,
    width: u32,
    book_button: &'static str,
    booked_heading: &'static str,
    email: &'static str,
    month_word: &'static str,
    greeting: &'static str,
}

async fn book_in(case: Case) {
    let mail = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), mail.path(), &[]);
    let port = sink.port;
    let app = spawn_app_with(move |settings| {
        settings.email.transport = EmailTransportKind::Smtp;
        settings.email.smtp.port = port;
        settings.email.smtp.timeout_secs = 5;
    })
    .await;
    let slug = open_link(&app).await;
    let browser = Browser::start(case.width, 900).await;
    let page = &browser.client;
    page.goto(&app.url(&format!(
        "/book/{slug}?lang={}&tz={}",
        case.lang,
        case.zone.replace('/', "%2F")
    )))
    .await
    .unwrap();
    let html_lang = page
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(html_lang, case.lang);
    let name = format!("{}-booking-{}", case.lang, case.width);
    assert!(
        browser.fits_width().await,
        "{:?}",
        browser.overflowing_elements().await
    );
    browser.screenshot(&name).await;
    browser.assert_accessible(&name).await;

    click(page, ".day-times:not([hidden]) a.time").await;
    fill(page, "#name", "Pat Prospect").await;
    fill(page, "#email", case.email).await;
    assert_eq!(text_of(page, ".book-button").await, case.book_button);
    click(page, ".book-button").await;
    // The page being left can answer first: wait for the confirmation's own heading.
    wait_for_text(page, "main h1", case.booked_heading).await;
    let address = page.current_url().await.unwrap();
    assert!(
        address
            .query()
            .unwrap_or_default()
            .contains(&format!("lang={}", case.lang)),
        "the confirmation keeps the language: {address}"
    );
    let when = text_of(page, "#meeting-time").await;
    assert!(
        when.contains(case.month_word) && when.contains(case.zone),
        "{when}"
    );
    let name = format!("{}-confirmation-{}", case.lang, case.width);
    assert!(browser.fits_width().await);
    browser.screenshot(&name).await;
    browser.assert_accessible(&name).await;
    browser.close().await;

    let (subject, text) = prospect_email(&app, mail.path(), case.email).await;
    assert!(subject.contains(case.month_word), "{subject}");
    assert!(text.starts_with(case.greeting), "{text}");
    assert!(
        text.contains(&format!("?lang={}", case.lang)),
        "the manage link opens in the same language: {text}"
    );
    sink.stop();
}

#[tokio::test]
async fn a_vietnamese_prospect_books_and_reads_vietnamese() {
    book_in(Case {
        lang: "vi",
        zone: "Asia/Ho_Chi_Minh",
        width: 1280,
        book_button: "Đặt giờ này",
        booked_heading: "Bạn đã đặt lịch thành công",
        email: "lan@bigco.vn",
        month_word: "tháng",
        greeting: "Xin chào Pat Prospect,",
    })
    .await;
}

#[tokio::test]
async fn a_khmer_prospect_books_on_a_phone_and_reads_khmer() {
    book_in(Case {
        lang: "km",
        zone: "Asia/Phnom_Penh",
        width: 390,
        book_button: "កក់ពេលនេះ",
        booked_heading: "អ្នកបានកក់រួចរាល់ហើយ",
        email: "sokha@bigco.kh",
        month_word: "ខែ",
        greeting: "ជម្រាបសួរ Pat Prospect,",
    })
    .await;
}
