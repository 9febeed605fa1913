//! The event stream: every change writes its event in its own transaction, carrying the
//! resource as the API's GET shows it at that moment; `GET /api/v1/events` serves the stream.

use chrono::{Duration, Utc};
use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::booking::{book, booking, first_slot, open_type, tomorrow};
use crate::followups::{link_in, move_into_the_past};
use crate::helpers::{assert_problem, spawn_app, TestApp};
use crate::outcomes::{log_meeting, put_json};
use crate::webhook_receiver::Receiver;
use crate::webhooks::{reference_library_verifies, subscribe};

/// Every event of `type` (all types when empty), oldest first, read page by page.
pub async fn events_of(app: &TestApp, event_type: &str) -> Vec<Value> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/events?limit=500&type={event_type}");
        if let Some(after) = &after {
            path.push_str(&format!("&after={after}"));
        }
        let page: Value = app
            .get_json(&path, &app.admin_key)
            .await
            .json()
            .await
            .unwrap();
        found.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => return found,
        }
    }
}

fn types_of(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect()
}

async fn get(app: &TestApp, path: &str) -> Value {
    let response = app.get_json(path, &app.admin_key).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

/// An event's data without the fields that only events carry.
fn as_get_shows_it(data: &Value, event_only: &[&str]) -> Value {
    let mut data = data.clone();
    for field in event_only {
        data.as_object_mut().unwrap().remove(*field);
    }
    data
}

fn is_event_id(id: &str) -> bool {
    id.strip_prefix("evt_")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test]
async fn a_booking_its_reschedule_and_its_cancellation_each_publish_the_meeting_as_its_get_shows_it(
) {
    let app = spawn_app().await;
    let (_, link) = open_type(&app, json!({})).await;
    let start = first_slot(&app, &link).await;
    let booked: Value = book(&app, &link, &booking(&start, "pat@bigco.com"))
        .await
        .json()
        .await
        .unwrap();
    let request_id = booked["meeting_request_id"].as_str().unwrap();

    let all = events_of(&app, "").await;
    assert_eq!(
        types_of(&all),
        [
            "lead.created",
            "meeting_request.created",
            "meeting.scheduled"
        ],
        "one booking, three events, in the order they happened"
    );
    for event in &all {
        assert!(is_event_id(event["id"].as_str().unwrap()), "{event}");
        assert!(
            chrono::DateTime::parse_from_rfc3339(event["occurred_at"].as_str().unwrap()).is_ok()
        );
    }
    assert_eq!(all[0]["data"]["email"], "pat@bigco.com");
    let request = &all[1]["data"];
    assert_eq!(request["id"], request_id);
    assert_eq!(
        *request,
        get(&app, &format!("/api/v1/meeting-requests/{request_id}")).await,
        "a request event carries the request with its audit trail"
    );
    let scheduled = &all[2]["data"];
    let meeting_id = scheduled["id"].as_str().unwrap().to_owned();
    assert_eq!(scheduled["meeting_request_id"], request_id);
    assert_eq!(scheduled["lead"]["email"], "pat@bigco.com");
    let meeting_path = format!("/api/v1/meetings/{meeting_id}");
    assert_eq!(
        as_get_shows_it(scheduled, &["lead"]),
        get(&app, &meeting_path).await,
        "a meeting event carries the meeting as its GET shows it, with its lead"
    );

    let offered = app
        .free_starts(link["slug"].as_str().unwrap(), &tomorrow(), "Europe/Berlin")
        .await;
    let later = offered[4].clone();
    let moved = app
        .post_json(
            &format!("{meeting_path}/reschedule"),
            &app.admin_key,
            &json!({"start": later}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let rescheduled = events_of(&app, "meeting.rescheduled").await;
    assert_eq!(rescheduled.len(), 1);
    let data = &rescheduled[0]["data"];
    assert_eq!(data["sequence"], 1);
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(data["previous_start_utc"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&start).unwrap(),
        "a reschedule says where the meeting was"
    );
    assert_eq!(
        as_get_shows_it(data, &["lead", "previous_start_utc"]),
        get(&app, &meeting_path).await
    );

    let cancelled = app
        .post_json(
            &format!("{meeting_path}/cancel"),
            &app.admin_key,
            &json!({"reason": "Budget frozen"}),
        )
        .await;
    assert_eq!(cancelled.status(), 200);
    let cancellations = events_of(&app, "meeting.cancelled").await;
    assert_eq!(cancellations.len(), 1);
    let data = &cancellations[0]["data"];
    assert_eq!(data["status"], "cancelled");
    assert_eq!(data["reason"], "Budget frozen");
    assert_eq!(data["previous_status"], "scheduled");
    assert_eq!(
        as_get_shows_it(data, &["lead", "reason", "previous_status"]),
        get(&app, &meeting_path).await
    );
    assert_eq!(
        events_of(&app, "").await.len(),
        5,
        "nothing else was published"
    );
}

#[tokio::test]
async fn approvals_rejections_and_expiries_publish_request_events() {
    let app = spawn_app_with_expiry().await;
    let (meeting_type, link) = open_type(&app, json!({"requires_approval": true})).await;
    let offered = app
        .free_starts(link["slug"].as_str().unwrap(), &tomorrow(), "Europe/Berlin")
        .await;
    let mut requests = Vec::new();
    for (n, slot) in [0, 4].into_iter().enumerate() {
        let start = &offered[slot];
        let booked: Value = book(&app, &link, &booking(start, &format!("p{n}@bigco.com")))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(booked["status"], "pending_approval");
        requests.push(booked["meeting_request_id"].as_str().unwrap().to_owned());
    }
    assert!(
        events_of(&app, "meeting.scheduled").await.is_empty(),
        "a held slot is not a scheduled meeting"
    );
    let created = events_of(&app, "meeting_request.created").await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[0]["data"]["status"], "pending_approval");

    let approved = app
        .post_json(
            &format!("/api/v1/meeting-requests/{}/approve", requests[0]),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    let rejected = app
        .post_json(
            &format!("/api/v1/meeting-requests/{}/reject", requests[1]),
            &app.admin_key,
            &json!({"reason": "Not a fit yet"}),
        )
        .await;
    assert_eq!(rejected.status(), 200);
    let decided: Vec<Value> = events_of(&app, "").await.into_iter().skip(4).collect();
    assert_eq!(
        types_of(&decided),
        [
            "meeting_request.approved",
            "meeting.scheduled",
            "meeting_request.rejected",
            "meeting.cancelled"
        ]
    );
    assert_eq!(decided[0]["data"]["id"], requests[0].as_str());
    assert_eq!(
        decided[1]["data"]["meeting_request_id"],
        requests[0].as_str()
    );
    assert_eq!(decided[1]["data"]["status"], "scheduled");
    let released = &decided[3]["data"];
    assert_eq!(released["meeting_request_id"], requests[1].as_str());
    assert_eq!(released["previous_status"], "held");
    assert_eq!(released["declined"], true);
    assert_eq!(released["reason"], "Not a fit yet");

    let lead = app.create_lead("later@bigco.com", true).await;
    let unscheduled: Value = app
        .post_json(
            "/api/v1/meeting-requests",
            &app.admin_key,
            &json!({"lead_id": lead["id"], "meeting_type_id": meeting_type["id"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = unscheduled["id"].as_str().unwrap();
    let approved = app
        .post_json(
            &format!("/api/v1/meeting-requests/{id}/approve"),
            &app.admin_key,
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    crate::approvals::backdate(&app, id, 15 * 24);
    app.run_pending_jobs().await;
    let expired = events_of(&app, "meeting_request.expired").await;
    assert_eq!(expired.len(), 1, "approved but never scheduled");
    assert_eq!(expired[0]["data"]["id"], id);
    assert_eq!(expired[0]["data"]["status"], "expired");
    assert_eq!(
        expired[0]["data"]["audit"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["actor"],
        "system"
    );
}

async fn spawn_app_with_expiry() -> TestApp {
    crate::helpers::spawn_app_with(|settings| settings.workflow.approved_expiry_days = 14).await
}

#[tokio::test]
async fn leads_outcomes_opportunities_and_surveys_publish_events() {
    let app = spawn_app().await;
    let (meeting_type, _) = open_type(&app, json!({"survey": true})).await;
    let lead = app.create_lead("held@bigco.com", true).await;
    let created = events_of(&app, "lead.created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(
        created[0]["data"],
        get(
            &app,
            &format!("/api/v1/leads/{}", lead["id"].as_str().unwrap())
        )
        .await,
        "a lead event carries the lead as its GET shows it, score reasons included"
    );
    let again = app
        .post_json(
            "/api/v1/leads",
            &app.admin_key,
            &json!({"email": "held@bigco.com", "name": "Held Lead", "company": "BigCo"}),
        )
        .await;
    assert!(again.status().is_success());
    assert_eq!(
        events_of(&app, "lead.updated").await.len(),
        0,
        "a lead sent again unchanged in score, temperature and stage is no news"
    );
    let cooled = app
        .post_json(
            "/api/v1/leads",
            &app.admin_key,
            &json!({"email": "held@bigco.com", "name": "Held Lead", "bant": {"budget": false, "authority": false, "need": false, "timing": "later"}}),
        )
        .await;
    assert!(
        cooled.status().is_success(),
        "{}",
        cooled.text().await.unwrap()
    );
    let updated = events_of(&app, "lead.updated").await;
    assert_eq!(updated.len(), 1, "its score moved");
    assert_eq!(updated[0]["data"]["id"], lead["id"]);

    let meeting = log_meeting(
        &app,
        &lead["id"],
        &meeting_type["id"],
        Utc::now() - Duration::days(2),
    )
    .await;
    let logged = events_of(&app, "meeting.scheduled").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["data"]["logged_after_the_fact"], true);
    app.run_pending_jobs().await;
    let invites: Value = app
        .get_json(
            &format!("/api/v1/emails?meeting_id={meeting}&kind=invite"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        invites["items"].as_array().unwrap().is_empty(),
        "a meeting logged after the fact invites nobody"
    );

    let path = format!("/api/v1/meetings/{meeting}/outcome");
    for stage in ["proposal", "proposal", "closed_won"] {
        let response = put_json(
            &app,
            &path,
            &app.admin_key,
            &json!({"status": "held", "opportunity": {"amount": "25000.00", "currency": "EUR", "stage": stage}}),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let recorded = events_of(&app, "meeting.outcome_recorded").await;
    assert_eq!(recorded.len(), 3, "each recording or correction");
    assert_eq!(recorded[2]["data"]["outcome"]["status"], "held");
    assert_eq!(
        as_get_shows_it(&recorded[2]["data"], &["lead"]),
        get(&app, &format!("/api/v1/meetings/{meeting}")).await
    );
    let stages = events_of(&app, "opportunity.stage_changed").await;
    assert_eq!(
        stages.len(),
        2,
        "new, then moved; the same stage again is no change"
    );
    assert_eq!(stages[0]["data"]["previous_stage"], Value::Null);
    assert_eq!(stages[0]["data"]["stage"], "proposal");
    assert_eq!(stages[1]["data"]["previous_stage"], "proposal");
    assert_eq!(stages[1]["data"]["stage"], "closed_won");
    assert_eq!(stages[1]["data"]["meeting_id"], meeting.as_str());
    assert_eq!(stages[1]["data"]["lead_id"], lead["id"]);

    let survey_path = survey_link_after(&app, &meeting).await;
    let answered = app
        .client
        .post(app.url(&survey_path))
        .json(&json!({"rating": 5, "buyer_intent": "high", "comments": "Great \u{1F44D}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 201);
    let answers = events_of(&app, "survey.answered").await;
    assert_eq!(answers.len(), 1);
    let data = &answers[0]["data"];
    assert_eq!(data["meeting_id"], meeting.as_str());
    assert_eq!(data["lead_id"], lead["id"]);
    assert_eq!(data["rating"], 5);
    assert_eq!(data["buyer_intent"], "high");
    assert_eq!(data["comments"], "Great \u{1F44D}");
}

#[tokio::test]
async fn the_events_list_is_for_admins_pages_filters_and_refuses_bad_queries() {
    let app = spawn_app().await;
    for n in 0..3 {
        app.create_lead(&format!("lead{n}@bigco.com"), false).await;
    }
    for role in [Role::Marketer, Role::MeetingManager, Role::Host] {
        let refused = app.get_json("/api/v1/events", &app.key_for(role)).await;
        assert_eq!(refused.status(), 403, "{role}");
    }
    let anonymous = app
        .client
        .get(app.url("/api/v1/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let first: Value = get(&app, "/api/v1/events?limit=2").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("more follow");
    let rest: Value = get(&app, &format!("/api/v1/events?limit=2&after={cursor}")).await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null, "the last page says so");
    let last_id = rest["items"][0]["id"].as_str().unwrap();
    let nothing_new: Value = get(&app, &format!("/api/v1/events?after={last_id}")).await;
    assert!(
        nothing_new["items"].as_array().unwrap().is_empty(),
        "a poller asks again after the last event it read, by id"
    );
    let second_id = first["items"][1]["id"].as_str().unwrap();
    let after_second: Value = get(&app, &format!("/api/v1/events?after={second_id}")).await;
    assert_eq!(after_second["items"][0]["id"], last_id);
    let filtered: Value = get(&app, "/api/v1/events?type=lead.created").await;
    assert_eq!(filtered["items"].as_array().unwrap().len(), 3);
    let none: Value = get(&app, "/api/v1/events?type=meeting.scheduled").await;
    assert!(none["items"].as_array().unwrap().is_empty());

    for query in [
        "after=yesterday",
        "after=evt_0000",
        "after=-1",
        "type=meeting.exploded",
        "limit=0",
        "limit=501",
        "after=evt_00000000000000000000000000000000",
    ] {
        let response = app
            .get_json(&format!("/api/v1/events?{query}"), &app.admin_key)
            .await;
        assert_problem(response, 422).await;
    }
}

#[tokio::test]
async fn every_change_reaches_a_subscriber_once_signed_and_as_the_events_list_has_it() {
    let app = crate::webhooks::app_allowing_private_destinations().await;
    let receiver = Receiver::start();
    let webhook = subscribe(&app, &receiver.url, json!(["*"])).await;
    let secret = webhook["secret"].as_str().unwrap().to_owned();

    let (meeting_type, link) = open_type(&app, json!({"survey": true})).await;
    let start = first_slot(&app, &link).await;
    let booked: Value = book(&app, &link, &booking(&start, "pat@bigco.com"))
        .await
        .json()
        .await
        .unwrap();
    let meeting =
        crate::outcomes::meeting_of(&app, booked["meeting_request_id"].as_str().unwrap()).await;
    let offered = app
        .free_starts(link["slug"].as_str().unwrap(), &tomorrow(), "Europe/Berlin")
        .await;
    let later = offered[4].clone();
    let path = format!("/api/v1/meetings/{meeting}");
    let moved = app
        .post_json(
            &format!("{path}/reschedule"),
            &app.admin_key,
            &json!({"start": later}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let cancelled = app
        .post_json(&format!("{path}/cancel"), &app.admin_key, &json!({}))
        .await;
    assert_eq!(cancelled.status(), 200);

    let lead = app.create_lead("held@bigco.com", true).await;
    let cooled = app
        .post_json(
            "/api/v1/leads",
            &app.admin_key,
            &json!({"email": "held@bigco.com", "name": "Held Lead", "bant": {"timing": "later"}}),
        )
        .await;
    assert!(cooled.status().is_success());
    let host = meeting_type["host_ids"][0].as_str().unwrap().to_owned();
    let reviewed = app
        .create_meeting_type("briefing", &[host], json!({"requires_approval": true}))
        .await;
    for (decision, body) in [
        ("approve", json!({})),
        ("reject", json!({"reason": "Not now"})),
    ] {
        let request: Value = app
            .post_json(
                "/api/v1/meeting-requests",
                &app.admin_key,
                &json!({"lead_id": lead["id"], "meeting_type_id": reviewed["id"]}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(request["status"], "pending_approval");
        let id = request["id"].as_str().unwrap();
        let decided = app
            .post_json(
                &format!("/api/v1/meeting-requests/{id}/{decision}"),
                &app.admin_key,
                &body,
            )
            .await;
        assert_eq!(decided.status(), 200, "{decision}");
        if decision == "approve" {
            crate::approvals::backdate(&app, id, 30 * 24);
        }
    }
    let past = log_meeting(
        &app,
        &lead["id"],
        &meeting_type["id"],
        Utc::now() - Duration::days(2),
    )
    .await;
    let recorded = put_json(
        &app,
        &format!("/api/v1/meetings/{past}/outcome"),
        &app.admin_key,
        &json!({"status": "held", "opportunity": {"amount": "25000.00", "currency": "EUR", "stage": "proposal"}}),
    )
    .await;
    assert_eq!(recorded.status(), 200);
    let survey_path = survey_link_after(&app, &past).await;
    let answered = app
        .client
        .post(app.url(&survey_path))
        .json(&json!({"rating": 4, "buyer_intent": "medium"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 201);
    app.run_pending_jobs().await;

    let published = events_of(&app, "").await;
    let mut kinds: Vec<&str> = types_of(&published);
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "lead.created",
            "lead.updated",
            "meeting.cancelled",
            "meeting.outcome_recorded",
            "meeting.rescheduled",
            "meeting.scheduled",
            "meeting_request.approved",
            "meeting_request.created",
            "meeting_request.expired",
            "meeting_request.rejected",
            "opportunity.stage_changed",
            "survey.answered",
        ],
        "the flow touched every kind of change"
    );
    let received = receiver.received();
    assert_eq!(
        received.len(),
        published.len(),
        "every event reached the subscriber once"
    );
    // Deliveries go out concurrently, so they may arrive in any order; each carries its
    // event's id.
    for event in &published {
        let id = event["id"].as_str().unwrap();
        let mut matching = received.iter().filter(|r| r.header("webhook-id") == id);
        let delivery = matching.next().expect("every event was delivered");
        assert!(matching.next().is_none(), "{id} was delivered once");
        assert_eq!(
            delivery.json(),
            *event,
            "the body is the event as the list has it"
        );
        assert_eq!(
            reference_library_verifies(delivery, &[&secret]).await,
            [true],
            "{} verifies with the reference library",
            event["type"]
        );
    }
}

/// Ends held meeting `meeting` an hour ago, lets the worker send its survey, and returns the
/// survey's path from the email.
async fn survey_link_after(app: &TestApp, meeting: &str) -> String {
    move_into_the_past(app, meeting, 1);
    app.run_pending_jobs().await;
    let surveys: Value = app
        .get_json(
            &format!("/api/v1/emails?meeting_id={meeting}&kind=survey"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    let survey_email = surveys["items"][0]["id"]
        .as_str()
        .expect("a survey was sent");
    app.run_pending_jobs().await;
    link_in(app, survey_email, "/survey/")
}
