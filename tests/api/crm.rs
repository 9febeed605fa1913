//! CRM sync against a local HubSpot and Salesforce: bookings, reschedules, cancellations,
//! outcomes and survey answers pushed once each, retries without duplicates, two instances,
//! parking and retrying by hand, owners pulled for routing, and no token anywhere.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chrono::Utc;
use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::booking::{always_available_host, book, booking, first_slot, open_type, tomorrow};
use crate::fake_crm::{FakeCrm, HUBSPOT_TOKEN, SALESFORCE_CLIENT_SECRET};
use crate::helpers::{assert_problem, spawn_app, spawn_app_with, TestApp};
use crate::outcomes::{log_meeting, put_json};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Crm {
    Hubspot,
    Salesforce,
}

impl Crm {
    fn configure(self, fake: &FakeCrm, settings: &mut convene::config::Settings) {
        match self {
            Crm::Hubspot => fake.hubspot(settings),
            Crm::Salesforce => fake.salesforce(settings),
        }
    }

    /// Where the fake serves this CRM's API.
    fn api(self) -> &'static str {
        match self {
            Crm::Hubspot => "/hubspot/crm",
            Crm::Salesforce => "/salesforce/services/data/v60.0",
        }
    }
}

async fn app_on(crm: Crm, fake: &FakeCrm) -> TestApp {
    spawn_app_with(|settings| crm.configure(fake, settings)).await
}

/// Runs the worker's rounds until nothing waits for the CRM, waiting out retry times.
async fn sync(app: &TestApp) -> Value {
    for _ in 0..8 {
        app.run_pending_jobs().await;
        let overview = crm_overview(app).await;
        if overview["backlog"] == 0 {
            return overview;
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    panic!("the CRM backlog did not drain: {}", crm_overview(app).await);
}

async fn crm_overview(app: &TestApp) -> Value {
    let response = app.get_json("/api/v1/crm", &app.admin_key).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn get(app: &TestApp, path: &str) -> Value {
    let response = app.get_json(path, &app.admin_key).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn only_meeting(app: &TestApp) -> Value {
    let list = get(app, "/api/v1/meetings?limit=500").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    items[0].clone()
}

async fn lead_by_email(app: &TestApp, email: &str) -> Value {
    let list = get(app, "/api/v1/leads?limit=500").await;
    let lead = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|lead| lead["email"] == email)
        .cloned()
        .expect("the lead");
    get(
        app,
        &format!("/api/v1/leads/{}", lead["id"].as_str().unwrap()),
    )
    .await
}

fn hubspot<'a>(state: &'a Value, kind: &str) -> &'a Vec<Value> {
    state["hubspot"][kind].as_array().unwrap()
}

fn salesforce<'a>(state: &'a Value, object: &str) -> &'a Vec<Value> {
    state["salesforce"][object].as_array().unwrap()
}

fn associated(state: &Value, from: &str, from_id: &Value, contact_id: &Value) -> bool {
    state["associations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|link| {
            link["from"]["type"] == from
                && link["from"]["id"] == *from_id
                && link["to"]["type"] == "contacts"
                && link["to"]["id"] == *contact_id
        })
}

/// Books tomorrow's first slot for `email`; answers the meeting's id.
async fn book_for(app: &TestApp, link: &Value, email: &str) {
    let start = first_slot(app, link).await;
    let response = book(app, link, &booking(&start, email)).await;
    assert_eq!(response.status(), 201, "book");
}

async fn reschedule_and_cancel(app: &TestApp, meeting_id: &str, link: &Value) {
    let offered: Value = crate::booking::slots(
        app,
        link,
        &format!("from={}&to={}&tz=UTC", tomorrow(), tomorrow()),
    )
    .await
    .json()
    .await
    .unwrap();
    let later = offered["slots"][3]["start"].as_str().unwrap().to_owned();
    let moved = app
        .post_json(
            &format!("/api/v1/meetings/{meeting_id}/reschedule"),
            &app.admin_key,
            &json!({"start": later}),
        )
        .await;
    assert_eq!(moved.status(), 200);
}

async fn cancel(app: &TestApp, meeting_id: &str) {
    let cancelled = app
        .post_json(
            &format!("/api/v1/meetings/{meeting_id}/cancel"),
            &app.admin_key,
            &json!({"reason": "Exec travel"}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
}

async fn booking_reschedule_and_cancel_reach(crm: Crm) {
    let fake = FakeCrm::start();
    let app = app_on(crm, &fake).await;
    let created = app.create_lead("pat@bigco.com", false).await;
    assert_eq!(
        created["crm"]["status"], "pending",
        "queued with the lead: {created}"
    );
    assert_eq!(created["crm"]["external_id"], Value::Null);
    let (_, link) = open_type(&app, json!({})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    let overview = sync(&app).await;
    assert_eq!(
        (overview["parked"].as_i64(), overview["synced"].as_i64()),
        (Some(0), Some(2))
    );
    assert!(
        overview["owners_pulled_at"].is_string(),
        "the worker's round pulls owners on schedule: {overview}"
    );

    let state = fake.state().await;
    let lead = lead_by_email(&app, "pat@bigco.com").await;
    let meeting = only_meeting(&app).await;
    let meeting_id = meeting["id"].as_str().unwrap().to_owned();
    assert_eq!(lead["crm"]["status"], "synced", "{lead}");
    assert_eq!(meeting["crm"]["status"], "synced", "{meeting}");
    assert!(lead["crm"]["synced_at"].as_str().unwrap().ends_with('Z'));
    let crm_meeting_id = meeting["crm"]["external_id"].clone();
    match crm {
        Crm::Hubspot => {
            let contacts = hubspot(&state, "contacts");
            let meetings = hubspot(&state, "meetings");
            assert_eq!((contacts.len(), meetings.len()), (1, 1), "{state}");
            assert_eq!(contacts[0]["properties"]["email"], "pat@bigco.com");
            assert_eq!(contacts[0]["properties"]["company"], "BigCo");
            assert_eq!(lead["crm"]["external_id"], contacts[0]["id"]);
            assert_eq!(crm_meeting_id, meetings[0]["id"]);
            assert_eq!(meetings[0]["properties"]["convene_id"], meeting_id.as_str());
            assert_eq!(meetings[0]["properties"]["hs_meeting_outcome"], "SCHEDULED");
            assert!(associated(
                &state,
                "meetings",
                &meetings[0]["id"],
                &contacts[0]["id"]
            ));
        }
        Crm::Salesforce => {
            let leads = salesforce(&state, "Lead");
            let events = salesforce(&state, "Event");
            assert_eq!((leads.len(), events.len()), (1, 1), "{state}");
            assert!(salesforce(&state, "Contact").is_empty(), "never both");
            assert_eq!(leads[0]["Email"], "pat@bigco.com");
            assert_eq!(leads[0]["Company"], "BigCo");
            assert_eq!(lead["crm"]["external_id"], leads[0]["Id"]);
            assert_eq!(events[0]["WhoId"], leads[0]["Id"]);
            assert_eq!(events[0]["Convene_Id__c"], meeting_id.as_str());
            assert_eq!(crm_meeting_id, events[0]["Id"]);
        }
    }

    reschedule_and_cancel(&app, &meeting_id, &link).await;
    sync(&app).await;
    let moved = only_meeting(&app).await;
    let state = fake.state().await;
    match crm {
        Crm::Hubspot => {
            let meetings = hubspot(&state, "meetings");
            assert_eq!(meetings.len(), 1, "updated, not created again");
            assert_eq!(
                meetings[0]["properties"]["hs_meeting_outcome"],
                "RESCHEDULED"
            );
            assert_eq!(
                meetings[0]["properties"]["hs_meeting_start_time"]
                    .as_str()
                    .unwrap()
                    .replace(".000Z", "Z"),
                moved["start_utc"].as_str().unwrap()
            );
        }
        Crm::Salesforce => {
            let events = salesforce(&state, "Event");
            assert_eq!(events.len(), 1, "updated, not created again");
            assert_eq!(
                events[0]["StartDateTime"]
                    .as_str()
                    .unwrap()
                    .replace(".000Z", "Z"),
                moved["start_utc"].as_str().unwrap()
            );
        }
    }

    cancel(&app, &meeting_id).await;
    sync(&app).await;
    let state = fake.state().await;
    match crm {
        Crm::Hubspot => {
            let meetings = hubspot(&state, "meetings");
            assert_eq!(meetings.len(), 1);
            assert_eq!(meetings[0]["properties"]["hs_meeting_outcome"], "CANCELED");
        }
        Crm::Salesforce => {
            let events = salesforce(&state, "Event");
            assert_eq!(events.len(), 1);
            assert!(events[0]["Subject"]
                .as_str()
                .unwrap()
                .starts_with("Cancelled: "));
            assert_eq!(events[0]["ShowAs"], "Free");
        }
    }
    let cancelled = get(&app, &format!("/api/v1/meetings/{meeting_id}")).await;
    assert_eq!(cancelled["crm"]["status"], "synced");
    assert_eq!(
        cancelled["crm"]["provider"],
        json!(format!("{crm:?}").to_lowercase())
    );
}

#[tokio::test]
async fn a_booking_reschedule_and_cancel_reach_hubspot_once() {
    booking_reschedule_and_cancel_reach(Crm::Hubspot).await;
}

#[tokio::test]
async fn a_booking_reschedule_and_cancel_reach_salesforce_once() {
    booking_reschedule_and_cancel_reach(Crm::Salesforce).await;
}

#[tokio::test]
async fn salesforce_updates_the_contact_that_has_the_email_instead_of_adding_a_lead() {
    let fake = FakeCrm::start();
    let seeded = fake
        .seed(json!({"salesforce": {
            "users": [{"Email": "rep@ourco.example"}],
            "Contact": [{"Email": "Pat@BigCo.com", "LastName": "Old", "OwnerEmail": "rep@ourco.example"}],
            "Lead": [{"Email": "pat@bigco.com", "LastName": "Older", "Company": "BigCo", "IsConverted": true}]
        }}))
        .await;
    let contact_id = seeded["salesforce"]["Contact"][0].clone();
    let app = app_on(Crm::Salesforce, &fake).await;
    let (_, link) = open_type(&app, json!({})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    sync(&app).await;

    let state = fake.state().await;
    let contacts = salesforce(&state, "Contact");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["LastName"], "Prospect", "updated from Convene");
    assert_eq!(salesforce(&state, "Lead").len(), 1, "no new Lead");
    let events = salesforce(&state, "Event");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["WhoId"], contact_id);
    let lead = lead_by_email(&app, "pat@bigco.com").await;
    assert_eq!(lead["crm"]["external_id"], contact_id);
}

async fn outcome_and_survey_reach(crm: Crm) {
    let fake = FakeCrm::start();
    let app = spawn_app_with(|settings| {
        crm.configure(&fake, settings);
        if crm == Crm::Hubspot {
            settings
                .crm
                .stage_map
                .insert("proposal".into(), "decisionmakerboughtin".into());
        }
    })
    .await;
    let (meeting_type, _) = open_type(&app, json!({"survey": true})).await;
    let lead = app.create_lead("held@bigco.com", true).await;
    let meeting = log_meeting(
        &app,
        &lead["id"],
        &meeting_type["id"],
        Utc::now() - chrono::Duration::days(1),
    )
    .await;
    let recorded = put_json(
        &app,
        &format!("/api/v1/meetings/{meeting}/outcome"),
        &app.admin_key,
        &json!({"status": "held", "notes": "Strong interest",
                "opportunity": {"amount": "25000.00", "currency": "EUR", "stage": "proposal"}}),
    )
    .await;
    assert_eq!(recorded.status(), 200);
    let recorded: Value = recorded.json().await.unwrap();
    assert!(recorded.get("crm").is_some(), "{recorded}");
    let token = crate::surveys::invite(&app, &meeting, "held@bigco.com", Utc::now());
    let answered = app
        .client
        .post(app.url(&format!("/survey/{token}")))
        .json(&json!({"rating": 5, "buyer_intent": "high", "comments": "Send the contract"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 201);
    sync(&app).await;

    let detail = get(&app, &format!("/api/v1/meetings/{meeting}")).await;
    assert_eq!(detail["outcome"]["crm"]["status"], "synced", "{detail}");
    let state = fake.state().await;
    match crm {
        Crm::Hubspot => {
            let deals = hubspot(&state, "deals");
            assert_eq!(deals.len(), 1, "{state}");
            let deal = &deals[0]["properties"];
            assert_eq!(deal["amount"], "25000.00");
            assert_eq!(deal["deal_currency_code"], "EUR");
            assert_eq!(
                deal["dealstage"], "decisionmakerboughtin",
                "the configured stage"
            );
            assert_eq!(detail["outcome"]["crm"]["external_id"], deals[0]["id"]);
            let contact = &hubspot(&state, "contacts")[0]["id"];
            assert!(associated(&state, "deals", &deals[0]["id"], contact));
            let notes = hubspot(&state, "notes");
            assert_eq!(notes.len(), 1);
            let body = notes[0]["properties"]["hs_note_body"].as_str().unwrap();
            assert!(body.contains("Rating: 5/5") && body.contains("Send the contract"));
            assert!(associated(&state, "notes", &notes[0]["id"], contact));
        }
        Crm::Salesforce => {
            let opportunities = salesforce(&state, "Opportunity");
            assert_eq!(opportunities.len(), 1, "{state}");
            assert_eq!(opportunities[0]["Amount"], 25000.0);
            assert_eq!(opportunities[0]["CurrencyIsoCode"], "EUR");
            assert_eq!(opportunities[0]["StageName"], "Proposal/Price Quote");
            assert_eq!(opportunities[0]["Convene_Id__c"], meeting.as_str());
            let person = &salesforce(&state, "Lead")[0]["Id"];
            let notes = salesforce(&state, "Note");
            assert_eq!(notes.len(), 1);
            assert_eq!(notes[0]["ParentId"], *person);
            assert!(notes[0]["Body"]
                .as_str()
                .unwrap()
                .contains("Buyer intent: high"));
        }
    }

    let closed = put_json(
        &app,
        &format!("/api/v1/meetings/{meeting}/outcome"),
        &app.admin_key,
        &json!({"status": "held",
                "opportunity": {"amount": "30000", "currency": "EUR", "stage": "closed_won"}}),
    )
    .await;
    assert_eq!(closed.status(), 200);
    sync(&app).await;
    let state = fake.state().await;
    match crm {
        Crm::Hubspot => {
            let deals = hubspot(&state, "deals");
            assert_eq!(deals.len(), 1, "the same deal, moved");
            assert_eq!(deals[0]["properties"]["dealstage"], "closedwon");
            assert_eq!(deals[0]["properties"]["amount"], "30000.00");
        }
        Crm::Salesforce => {
            let opportunities = salesforce(&state, "Opportunity");
            assert_eq!(opportunities.len(), 1, "the same opportunity, moved");
            assert_eq!(opportunities[0]["StageName"], "Closed Won");
        }
    }
}

#[tokio::test]
async fn an_outcome_becomes_one_hubspot_deal_and_a_survey_a_note() {
    outcome_and_survey_reach(Crm::Hubspot).await;
}

#[tokio::test]
async fn an_outcome_becomes_one_salesforce_opportunity_and_a_survey_a_note() {
    outcome_and_survey_reach(Crm::Salesforce).await;
}

async fn lost_answers_and_rate_limits_make_no_duplicates(crm: Crm) {
    let fake = FakeCrm::start();
    let app = app_on(crm, &fake).await;
    let api = crm.api();
    match crm {
        Crm::Hubspot => {
            fake.fail(
                &format!("{api}/v3/objects/contacts/batch/upsert"),
                429,
                1,
                false,
            )
            .await;
            fake.fail(
                &format!("{api}/v3/objects/contacts/batch/upsert"),
                502,
                1,
                true,
            )
            .await;
            // The search, then the create: both carried out, both answers lost.
            fake.fail(&format!("{api}/v3/objects/meetings"), 503, 2, true)
                .await;
            fake.fail(&format!("{api}/v4/objects/meetings"), 429, 1, false)
                .await;
        }
        Crm::Salesforce => {
            fake.fail(&format!("{api}/sobjects/Lead"), 503, 1, true)
                .await;
            fake.fail(&format!("{api}/sobjects/Event"), 403, 1, false)
                .await;
            fake.fail(&format!("{api}/sobjects/Event"), 500, 1, true)
                .await;
        }
    }
    let (_, link) = open_type(&app, json!({})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    let overview = sync(&app).await;
    assert_eq!(overview["parked"], 0, "{overview}");

    let state = fake.state().await;
    let injected = state["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|request| request["injected"] == true)
        .count();
    match crm {
        Crm::Hubspot => {
            assert_eq!(injected, 5, "every failure happened");
            assert_eq!(hubspot(&state, "contacts").len(), 1);
            let meetings = hubspot(&state, "meetings");
            assert_eq!(meetings.len(), 1, "{state}");
            let contact = &hubspot(&state, "contacts")[0]["id"];
            assert!(associated(&state, "meetings", &meetings[0]["id"], contact));
        }
        Crm::Salesforce => {
            assert_eq!(injected, 3, "every failure happened");
            assert_eq!(salesforce(&state, "Lead").len(), 1, "{state}");
            assert_eq!(salesforce(&state, "Event").len(), 1, "{state}");
        }
    }
    let meeting = only_meeting(&app).await;
    assert_eq!(meeting["crm"]["status"], "synced");
    assert_eq!(meeting["crm"]["last_error"], Value::Null);
}

#[tokio::test]
async fn hubspot_retries_after_429_and_lost_answers_make_no_duplicates() {
    lost_answers_and_rate_limits_make_no_duplicates(Crm::Hubspot).await;
}

#[tokio::test]
async fn salesforce_retries_after_limits_and_lost_answers_make_no_duplicates() {
    lost_answers_and_rate_limits_make_no_duplicates(Crm::Salesforce).await;
}

async fn two_instances_push_each_record_once(crm: Crm) {
    let fake = FakeCrm::start();
    let app = app_on(crm, &fake).await;
    let sibling = app
        .spawn_sibling(|settings| crm.configure(&fake, settings))
        .await;
    for n in 0..12 {
        app.create_lead(&format!("p{n}@company{n}.example"), n % 2 == 0)
            .await;
    }
    let (_, link) = open_type(&app, json!({})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    for _ in 0..3 {
        tokio::join!(app.run_pending_jobs(), sibling.run_pending());
    }
    let overview = sync(&app).await;
    assert_eq!(overview["synced"], 14, "{overview}");
    let state = fake.state().await;
    match crm {
        Crm::Hubspot => {
            assert_eq!(hubspot(&state, "contacts").len(), 13);
            assert_eq!(hubspot(&state, "meetings").len(), 1);
        }
        Crm::Salesforce => {
            assert_eq!(salesforce(&state, "Lead").len(), 13, "{state}");
            assert_eq!(salesforce(&state, "Event").len(), 1);
        }
    }
}

#[tokio::test]
async fn two_instances_create_no_hubspot_duplicates() {
    two_instances_push_each_record_once(Crm::Hubspot).await;
}

#[tokio::test]
async fn two_instances_create_no_salesforce_duplicates() {
    two_instances_push_each_record_once(Crm::Salesforce).await;
}

async fn a_refused_push_is_parked_and_retried_by_hand(crm: Crm) {
    let fake = FakeCrm::start();
    let app = app_on(crm, &fake).await;
    let prefix = match crm {
        Crm::Hubspot => "/hubspot/crm/v3/objects/contacts",
        Crm::Salesforce => "/salesforce/services/data/v60.0/sobjects/Lead",
    };
    fake.fail(prefix, 400, -1, false).await;
    let (_, link) = open_type(&app, json!({})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    app.run_pending_jobs().await;

    let overview = crm_overview(&app).await;
    assert_eq!(
        (overview["parked"].as_i64(), overview["backlog"].as_i64()),
        (Some(1), Some(1)),
        "the meeting waits for its person: {overview}"
    );
    let lead = lead_by_email(&app, "pat@bigco.com").await;
    assert_eq!(lead["crm"]["status"], "parked");
    let error = lead["crm"]["last_error"].as_str().unwrap();
    match crm {
        Crm::Hubspot => assert!(error.contains("VALIDATION_ERROR"), "{error}"),
        Crm::Salesforce => assert!(
            error.contains("FIELD_CUSTOM_VALIDATION_EXCEPTION"),
            "{error}"
        ),
    }
    let meeting = only_meeting(&app).await;
    assert_eq!(meeting["crm"]["status"], "pending");
    let parked = get(&app, "/api/v1/crm/records?status=parked").await;
    let items = parked["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "person");
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("convene_crm_failures 1"), "{metrics}");
    assert!(metrics.contains("convene_crm_backlog 1"), "{metrics}");

    fake.clear_failures().await;
    let retried = app
        .post_json(
            &format!("/api/v1/crm/records/{id}/retry"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(retried.status(), 202);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["status"], "pending");
    sync(&app).await;
    let lead = lead_by_email(&app, "pat@bigco.com").await;
    assert_eq!(lead["crm"]["status"], "synced");
    assert_eq!(only_meeting(&app).await["crm"]["status"], "synced");
    assert_problem(
        app.post_json(
            &format!("/api/v1/crm/records/{id}/retry"),
            &app.admin_key,
            &json!({}),
        )
        .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn a_refused_hubspot_push_is_parked_and_retried_by_hand() {
    a_refused_push_is_parked_and_retried_by_hand(Crm::Hubspot).await;
}

#[tokio::test]
async fn a_refused_salesforce_push_is_parked_and_retried_by_hand() {
    a_refused_push_is_parked_and_retried_by_hand(Crm::Salesforce).await;
}

async fn routers_prefer_the_crm_owner(crm: Crm) {
    let fake = FakeCrm::start();
    match crm {
        Crm::Hubspot => {
            let owners = fake
                .seed(json!({"hubspot": {"owners": [{"email": "ben@ourco.example"}, {"email": "cy@ourco.example"}]}}))
                .await;
            let ben = owners["hubspot"]["owners"][0].as_str().unwrap().to_owned();
            let cy = owners["hubspot"]["owners"][1].as_str().unwrap().to_owned();
            fake.seed(json!({"hubspot": {
                "contacts": [{"email": "known@person.example", "hubspot_owner_id": cy}],
                "companies": [{"name": "Acme", "domain": "acme.example", "hubspot_owner_id": ben}]
            }}))
            .await;
        }
        Crm::Salesforce => {
            fake.seed(json!({"salesforce": {
                "users": [{"Email": "ben@ourco.example"}, {"Email": "cy@ourco.example"}],
                "Account": [{"Name": "Acme", "Website": "https://www.acme.example/", "OwnerEmail": "ben@ourco.example"}],
                "Contact": [{"Email": "known@person.example", "LastName": "Known", "OwnerEmail": "cy@ourco.example"}]
            }}))
            .await;
        }
    }
    fake.control("page-size", json!({"size": 1})).await;
    let app = app_on(crm, &fake).await;
    let mut hosts = Vec::new();
    for name in ["ana", "ben", "cy"] {
        hosts.push(always_available_host(&app, &format!("{name}@ourco.example")).await);
    }
    let meeting_type = app
        .create_meeting_type(
            "demo",
            &hosts,
            json!({"host_mode": "round_robin", "requires_approval": false, "min_notice_minutes": 0}),
        )
        .await;
    let router = app
        .post_json(
            "/api/v1/routers",
            &app.admin_key,
            &json!({"slug": "demo", "name": "Demo", "rules": [],
                    "fallback": {"book": {"meeting_type_id": meeting_type["id"], "prefer_owner": true}}}),
        )
        .await;
    assert_eq!(router.status(), 201);
    let router: Value = router.json().await.unwrap();
    let pulled = app
        .post_json("/api/v1/crm/owners/refresh", &app.admin_key, &json!({}))
        .await;
    assert_eq!(pulled.status(), 200);
    let pulled: Value = pulled.json().await.unwrap();
    assert_eq!(
        pulled["owners"], 2,
        "one person and one company, over pages"
    );
    let overview = crm_overview(&app).await;
    assert!(overview["owners_pulled_at"].is_string());

    let route = |email: &'static str| {
        let app = &app;
        let router_id = router["id"].as_str().unwrap().to_owned();
        async move {
            let response = app
                .post_json(
                    &format!("/api/v1/routers/{router_id}/route"),
                    &app.admin_key,
                    &json!({"email": email, "name": "Pat", "dry_run": true}),
                )
                .await;
            assert_eq!(response.status(), 200);
            let decided: Value = response.json().await.unwrap();
            decided["host_ids"].clone()
        }
    };
    assert_eq!(
        route("someone@acme.example").await,
        json!([hosts[1]]),
        "the company's owner"
    );
    assert_eq!(
        route("known@person.example").await,
        json!([hosts[2]]),
        "the person's owner"
    );
    assert_eq!(
        route("new@elsewhere.example")
            .await
            .as_array()
            .unwrap()
            .len(),
        3,
        "no owner: every host"
    );
}

#[tokio::test]
async fn routers_prefer_the_hubspot_owner_of_a_person_or_company() {
    routers_prefer_the_crm_owner(Crm::Hubspot).await;
}

#[tokio::test]
async fn routers_prefer_the_salesforce_owner_of_a_person_or_company() {
    routers_prefer_the_crm_owner(Crm::Salesforce).await;
}

#[tokio::test]
async fn without_a_crm_nothing_is_queued_and_crm_fields_are_null() {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    app.run_pending_jobs().await;
    let overview = crm_overview(&app).await;
    assert_eq!(overview["enabled"], false);
    assert_eq!(overview["provider"], "");
    assert_eq!(overview["backlog"], 0);
    let lead = lead_by_email(&app, "pat@bigco.com").await;
    assert!(lead.get("crm").is_some_and(Value::is_null), "{lead}");
    let meeting = only_meeting(&app).await;
    assert!(meeting.get("crm").is_some_and(Value::is_null));
    let leads = get(&app, "/api/v1/leads").await;
    assert!(leads["items"][0].get("crm").is_some());
    let off = app
        .post_json("/api/v1/crm/owners/refresh", &app.admin_key, &json!({}))
        .await;
    assert_problem(off, 409).await;
    assert_problem(
        app.get_json("/api/v1/crm/records?status=lost", &app.admin_key)
            .await,
        422,
    )
    .await;
    assert_problem(
        app.get_json("/api/v1/crm", &app.key_for(Role::Marketer))
            .await,
        403,
    )
    .await;
}

/// Every log line of this test process, from the first test that asks for it on.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_writer(move || LogSink(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        logs
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_or_secret_appears_in_answers_or_logs() {
    let logs = captured_logs();
    let fake = FakeCrm::start();
    let mut answers = String::new();
    for crm in [Crm::Hubspot, Crm::Salesforce] {
        let app = app_on(crm, &fake).await;
        fake.fail(&format!("{}/", crm.api()), 503, 1, false).await;
        fake.fail(&format!("{}/", crm.api()), 400, 1, false).await;
        let (_, link) = open_type(&app, json!({})).await;
        book_for(&app, &link, &format!("pat@{crm:?}.example")).await;
        app.run_pending_jobs().await;
        fake.control("expire-sessions", json!({})).await;
        let parked = get(&app, "/api/v1/crm/records?status=parked").await;
        for record in parked["items"].as_array().unwrap() {
            let id = record["id"].as_str().unwrap();
            app.post_json(
                &format!("/api/v1/crm/records/{id}/retry"),
                &app.admin_key,
                &json!({}),
            )
            .await;
        }
        sync(&app).await;
        for path in [
            "/api/v1/crm",
            "/api/v1/crm/records",
            "/api/v1/leads",
            "/api/v1/meetings",
        ] {
            answers.push_str(&get(&app, path).await.to_string());
        }
        let meeting = only_meeting(&app).await;
        answers.push_str(
            &get(
                &app,
                &format!("/api/v1/meetings/{}", meeting["id"].as_str().unwrap()),
            )
            .await
            .to_string(),
        );
        answers.push_str(
            &app.client
                .get(app.url("/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    let state = fake.state().await;
    let mut secrets: Vec<String> = state["salesforce_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|token| token.as_str().unwrap().to_owned())
        .collect();
    assert!(
        secrets.len() >= 2,
        "the expired session was replaced: {secrets:?}"
    );
    secrets.push(HUBSPOT_TOKEN.into());
    secrets.push(SALESFORCE_CLIENT_SECRET.into());
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logged.contains("CRM push"), "logs are captured");
    for secret in &secrets {
        assert!(
            !answers.contains(secret.as_str()),
            "an answer holds a secret"
        );
        assert!(
            !logged.contains(secret.as_str()),
            "a log line holds a secret"
        );
    }
}

#[tokio::test]
async fn admins_see_failed_pushes_and_retry_them_from_the_crm_page() {
    let fake = FakeCrm::start();
    let app = app_on(Crm::Hubspot, &fake).await;
    fake.fail(
        "/hubspot/crm/v3/objects/contacts/batch/upsert",
        400,
        1,
        false,
    )
    .await;
    let lead = app.create_lead("pat@bigco.com", true).await;
    app.run_pending_jobs().await;
    app.create_user_with_password("admin@example.com", "admin");
    crate::admin_ui::sign_in(&app, "admin@example.com", crate::helpers::TEST_PASSWORD).await;

    let page = app.client.get(app.url("/admin/crm")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("href=\"/admin/crm\""), "a navigation link");
    assert!(html.contains("HubSpot"));
    assert!(html.contains("VALIDATION_ERROR"), "the last error is shown");
    assert!(!html.contains(HUBSPOT_TOKEN));
    let lead_id = lead["id"].as_str().unwrap();
    assert!(html.contains(&format!("href=\"/admin/leads/{lead_id}\"")));
    let lead_page = app
        .client
        .get(app.url(&format!("/admin/leads/{lead_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        lead_page.contains("badge-status-parked"),
        "the lead shows its CRM state"
    );

    let record = get(&app, "/api/v1/crm/records?status=parked").await["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let csrf = crate::helpers::csrf_token_in(&html);
    let without_csrf = app
        .client
        .post(app.url(&format!("/admin/crm/records/{record}/retry")))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(without_csrf.status(), 403);
    let retried = app
        .client
        .post(app.url(&format!("/admin/crm/records/{record}/retry")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 303);
    sync(&app).await;
    let page = app
        .client
        .get(app.url("/admin/crm"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("No failed pushes."));
    assert_eq!(hubspot(&fake.state().await, "contacts").len(), 1);
}

#[tokio::test]
async fn a_salesforce_lead_converted_by_sales_is_followed_to_its_contact() {
    let fake = FakeCrm::start();
    let app = app_on(Crm::Salesforce, &fake).await;
    let (_, link) = open_type(&app, json!({})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    sync(&app).await;
    let converted = fake
        .control("convert-lead", json!({"email": "pat@bigco.com"}))
        .await;
    let contact_id = converted["contact_id"].clone();

    let cooler = app
        .post_json(
            "/api/v1/leads",
            &app.admin_key,
            &json!({"email": "pat@bigco.com", "name": "Pat Prospect", "title": "CFO", "bant": {}}),
        )
        .await;
    assert!(cooler.status().is_success());
    let meeting = only_meeting(&app).await;
    reschedule_and_cancel(&app, meeting["id"].as_str().unwrap(), &link).await;
    sync(&app).await;

    let lead = lead_by_email(&app, "pat@bigco.com").await;
    assert_eq!(lead["crm"]["status"], "synced", "{lead}");
    assert_eq!(lead["crm"]["external_id"], contact_id);
    let state = fake.state().await;
    let contacts = salesforce(&state, "Contact");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["Title"], "CFO");
    assert_eq!(salesforce(&state, "Lead").len(), 1, "no new Lead");
    let events = salesforce(&state, "Event");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["WhoId"], contact_id,
        "the meeting moved to the Contact"
    );
}

#[tokio::test]
async fn a_held_slot_that_is_declined_never_reaches_the_crm() {
    let fake = FakeCrm::start();
    let app = app_on(Crm::Hubspot, &fake).await;
    let (_, link) = open_type(&app, json!({"requires_approval": true})).await;
    book_for(&app, &link, "pat@bigco.com").await;
    let requests = get(&app, "/api/v1/meeting-requests").await;
    let request_id = requests["items"][0]["id"].as_str().unwrap().to_owned();
    let rejected = app
        .post_json(
            &format!("/api/v1/meeting-requests/{request_id}/reject"),
            &app.admin_key,
            &json!({"reason": "Outside our market"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    sync(&app).await;
    let state = fake.state().await;
    assert_eq!(
        hubspot(&state, "contacts").len(),
        1,
        "the lead is still a contact"
    );
    assert!(hubspot(&state, "meetings").is_empty(), "{state}");
}

#[tokio::test]
async fn records_waiting_for_their_person_never_hold_up_others() {
    let app = spawn_app().await;
    let mut conn = app.db.connection().unwrap();
    let earlier = Utc::now() - chrono::Duration::minutes(5);
    for n in 0..30 {
        convene::crm::repo::mark_changed(
            &mut conn,
            "hubspot",
            convene::crm::model::RecordKind::Meeting,
            &format!("meeting-{n}"),
            &format!("lead-{n}"),
            earlier,
        )
        .unwrap();
    }
    convene::crm::repo::mark_changed(
        &mut conn,
        "hubspot",
        convene::crm::model::RecordKind::Person,
        "lead-ready",
        "lead-ready",
        Utc::now(),
    )
    .unwrap();
    let claimed = convene::crm::repo::claim_due(
        &mut conn,
        "hubspot",
        "instance-a",
        Utc::now(),
        chrono::Duration::minutes(2),
    )
    .unwrap();
    let claimed: Vec<&str> = claimed.iter().map(|row| row.record_id.as_str()).collect();
    assert_eq!(
        claimed,
        ["lead-ready"],
        "the meetings wait for their people"
    );
}
