//! Inbound routers: versioned rules, explained decisions, weighted round robin, owners, the
//! public form endpoint, dry runs and replays.

use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::booking::{always_available_host, tomorrow};
use crate::helpers::{assert_problem, spawn_app, TestApp};
use crate::webhook_receiver::Receiver;
use crate::webhooks::{reference_library_verifies, subscribe};

struct Setup {
    hosts: Vec<String>,
    round_robin: Value,
    reviewed: Value,
}

async fn setup(app: &TestApp) -> Setup {
    let mut hosts = Vec::new();
    for name in ["ana", "ben", "cy", "dee"] {
        hosts.push(always_available_host(app, &format!("{name}@ourco.example")).await);
    }
    let round_robin = app
        .create_meeting_type(
            "demo",
            &hosts,
            json!({"host_mode": "round_robin", "requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 30}),
        )
        .await;
    let reviewed = app
        .create_meeting_type("briefing", &hosts[..1], json!({"requires_approval": true}))
        .await;
    Setup {
        hosts,
        round_robin,
        reviewed,
    }
}

fn router_body(setup: &Setup, slug: &str) -> Value {
    json!({
        "slug": slug,
        "name": "Website demo form",
        "rules": [
            {"when": {"field": "email_domain", "op": "in", "value": ["competitor.example"]},
             "then": {"disqualify": {"message": "Thanks for your interest.", "redirect_url": "https://example.com/thanks"}}},
            {"when": {"all": [
                {"field": "score", "op": "gte", "value": 60},
                {"any": [
                    {"field": "country", "op": "eq", "value": "DE"},
                    {"field": "utm_source", "op": "eq", "value": "linkedin"}
                ]}
             ]},
             "then": {"book": {"meeting_type_id": setup.round_robin["id"], "prefer_owner": true}}},
            {"when": {"field": "bant.need", "op": "eq", "value": true},
             "then": {"request": {"meeting_type_id": setup.reviewed["id"]}}}
        ],
        "fallback": {"disqualify": {"message": "We will be in touch."}}
    })
}

async fn create_router(app: &TestApp, body: &Value) -> Value {
    let response = app.post_json("/api/v1/routers", &app.admin_key, body).await;
    assert_eq!(response.status(), 201, "create router");
    response.json().await.unwrap()
}

fn hot(email: &str, extra: Value) -> Value {
    let mut body = json!({"email": email, "name": "Pat Prospect", "company": "BigCo",
        "bant": {"budget": true, "authority": true, "need": true, "timing": "now"}});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

async fn submit(app: &TestApp, slug: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/route/{slug}")))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn routing(app: &TestApp, id: &Value) -> Value {
    let response = app
        .get_json(
            &format!("/api/v1/routings/{}", id.as_str().unwrap()),
            &app.admin_key,
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The booking link's slug in a routed `booking_url`.
fn slug_of(booking_url: &str) -> String {
    let path = booking_url.split("/book/").nth(1).unwrap();
    path.split('?').next().unwrap().to_owned()
}

/// Books tomorrow's first free time through a routed `booking_url` as `email`.
async fn book_routed(app: &TestApp, booking_url: &str, email: &str) -> reqwest::Response {
    let slug = slug_of(booking_url);
    let start = app.free_starts(&slug, &tomorrow(), "Europe/Berlin").await[0].clone();
    app.client
        .post(app.url(&format!("/book/{slug}")))
        .json(&crate::booking::booking(&start, email))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn routers_are_versioned_and_validated_with_located_errors() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    let router = create_router(&app, &router_body(&setup, "web-demo")).await;
    assert_eq!(router["version"], 1);
    assert!(router["route_url"]
        .as_str()
        .unwrap()
        .ends_with("/route/web-demo"));
    let id = router["id"].as_str().unwrap();

    let mut bad = router_body(&setup, "other");
    bad["rules"][1]["when"]["all"][0]["field"] = json!("shoe_size");
    bad["rules"][2]["then"]["request"]["meeting_type_id"] = json!("nope");
    let problem = assert_problem(
        app.post_json("/api/v1/routers", &app.admin_key, &bad).await,
        422,
    )
    .await;
    let errors = problem["errors"].as_object().unwrap();
    assert!(
        errors.contains_key("rules[1].when.all[0].field"),
        "{problem}"
    );
    assert!(
        errors.contains_key("rules[2].then.request.meeting_type_id"),
        "{problem}"
    );

    let taken = app
        .post_json(
            "/api/v1/routers",
            &app.admin_key,
            &router_body(&setup, "web-demo"),
        )
        .await;
    assert_problem(taken, 409).await;

    let patched = app
        .patch_json(
            &format!("/api/v1/routers/{id}"),
            &app.admin_key,
            &json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(
        (patched["version"].as_i64(), patched["name"].as_str()),
        (Some(2), Some("Renamed"))
    );
    assert_eq!(patched["rules"], router["rules"]);

    let marketer = app.key_for(Role::Marketer);
    let listed: Value = app
        .get_json("/api/v1/routers", &marketer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let host = app.key_for(Role::Host);
    assert_problem(app.get_json("/api/v1/routers", &host).await, 403).await;

    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/routers/{id}")))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_problem(
        app.get_json(&format!("/api/v1/routers/{id}"), &app.admin_key)
            .await,
        404,
    )
    .await;
    assert_problem(
        submit(&app, "web-demo", &hot("a@bigco.example", json!({}))).await,
        404,
    )
    .await;
}

#[tokio::test]
async fn a_routed_lead_books_with_the_weighted_host_and_the_decision_is_explained() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    let weights = json!([
        {"user_id": setup.hosts[0], "weight": 10, "priority": 1},
        {"user_id": setup.hosts[1], "weight": 90, "priority": 2},
        {"user_id": setup.hosts[2], "weight": 0, "priority": 0},
        {"user_id": setup.hosts[3], "weight": 0, "priority": 0},
    ]);
    let path = format!(
        "/api/v1/meeting-types/{}/hosts",
        setup.round_robin["id"].as_str().unwrap()
    );
    let put = app
        .client
        .put(app.url(&path))
        .bearer_auth(&app.admin_key)
        .json(&weights)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let bad = json!([{"user_id": setup.hosts[0], "weight": 101, "priority": 9}]);
    let refused = app
        .client
        .put(app.url(&path))
        .bearer_auth(&app.admin_key)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 422).await;
    assert!(
        problem["errors"]["[0].weight"].is_array() && problem["errors"]["[0].priority"].is_array()
    );

    create_router(&app, &router_body(&setup, "web-demo")).await;
    let answer = submit(
        &app,
        "web-demo",
        &hot(
            "pat@bigco.example",
            json!({"attributes": {"country": "DE"}}),
        ),
    )
    .await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["decision"], "book");
    assert_eq!(answer["host_ids"].as_array().unwrap().len(), 4);
    let booking_url = answer["booking_url"].as_str().unwrap();
    assert!(
        booking_url.contains("email=pat%40bigco.example"),
        "{booking_url}"
    );

    let decided = routing(&app, &answer["routing_id"]).await;
    assert_eq!(decided["router_version"], 1);
    assert_eq!(decided["matched_rule"], 1);
    assert_eq!(decided["decision"], "book");
    let evaluations = decided["evaluations"].as_array().unwrap();
    assert_eq!(evaluations.len(), 2);
    assert_eq!(evaluations[0]["matched"], false);
    assert_eq!(
        evaluations[1]["conditions"][1],
        json!({"field": "country", "op": "eq", "value": "DE", "actual": "DE", "result": true})
    );
    assert_eq!(evaluations[1]["conditions"][2]["actual"], Value::Null);
    let candidates = decided["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 4);
    let next: Vec<&Value> = candidates.iter().filter(|c| c["chosen"] == true).collect();
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0]["host_id"],
        setup.hosts[1].as_str(),
        "the heaviest host is next"
    );
    assert!(decided["booked_at"].is_null());

    let booked = book_routed(&app, booking_url, "pat@bigco.example").await;
    assert_eq!(booked.status(), 201);
    let booked: Value = booked.json().await.unwrap();
    let after = routing(&app, &answer["routing_id"]).await;
    assert_eq!(after["meeting_request_id"], booked["meeting_request_id"]);
    assert!(after["booked_at"].is_string());
    let chosen: Vec<&Value> = after["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["chosen"] == true)
        .collect();
    assert_eq!(chosen[0]["host_id"], setup.hosts[1].as_str());
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
    assert_eq!(request["host_ids"], json!([setup.hosts[1]]));

    // The link was for one booking.
    let any_time = format!("{}T10:00:00Z", tomorrow());
    let again = app
        .client
        .post(app.url(&format!("/book/{}", slug_of(booking_url))))
        .json(&crate::booking::booking(&any_time, "pat@bigco.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410);
}

#[tokio::test]
async fn request_disqualify_fallback_and_the_form_variant() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    create_router(&app, &router_body(&setup, "web-demo")).await;

    let out: Value = submit(&app, "web-demo", &hot("spy@competitor.example", json!({})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(out["decision"], "disqualified");
    assert_eq!(out["message"], "Thanks for your interest.");
    assert_eq!(out["redirect_url"], "https://example.com/thanks");
    assert!(out.get("booking_url").is_none());

    let form = [
        ("email", "lee@smallco.example"),
        ("name", "Lee"),
        ("bant_need", "true"),
        ("bant_budget", "false"),
        ("a_country", "FR"),
        ("newsletter", "yes"),
    ];
    let answer = app
        .client
        .post(app.url("/route/web-demo"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["decision"], "request");
    let request_id = answer["meeting_request_id"].as_str().unwrap();
    let request: Value = app
        .get_json(
            &format!("/api/v1/meeting-requests/{request_id}"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(request["status"], "pending_approval");
    let decided = routing(&app, &answer["routing_id"]).await;
    assert_eq!(decided["matched_rule"], 2);
    let lead: Value = app
        .get_json(
            &format!("/api/v1/leads/{}", decided["lead_id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lead["attributes"], json!({"country": "FR"}));

    let cold = json!({"email": "cold@smallco.example", "name": "Cold"});
    let fallback: Value = submit(&app, "web-demo", &cold).await.json().await.unwrap();
    assert_eq!(fallback["decision"], "disqualified");
    let decided = routing(&app, &fallback["routing_id"]).await;
    assert_eq!(decided["matched_rule"], "fallback");
    assert_eq!(decided["evaluations"].as_array().unwrap().len(), 3);

    let trapped = [
        ("email", "bot@spam.example"),
        ("name", "Bot"),
        ("convene_trap", "http://spam"),
    ];
    let refused = app
        .client
        .post(app.url("/route/web-demo"))
        .form(&trapped)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(refused, 422).await;
    assert!(problem["errors"]["convene_trap"].is_array());
    let hostile = json!({"email": "x@bigco.example", "name": "A\u{202e}B"});
    assert_problem(submit(&app, "web-demo", &hostile).await, 422).await;
    let garbled = app
        .client
        .post(app.url("/route/web-demo"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_problem(garbled, 400).await;
}

#[tokio::test]
async fn dry_runs_write_nothing_and_replays_count_per_host() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    let router = create_router(&app, &router_body(&setup, "web-demo")).await;
    let id = router["id"].as_str().unwrap();
    let marketer = app.key_for(Role::Marketer);

    let mut body = hot("new@bigco.example", json!({"utm_source": "linkedin"}));
    body["dry_run"] = json!(true);
    let dry = app
        .post_json(&format!("/api/v1/routers/{id}/route"), &marketer, &body)
        .await;
    assert_eq!(dry.status(), 200);
    let dry: Value = dry.json().await.unwrap();
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["decision"].as_str()),
        (Some(true), Some("book"))
    );
    assert!(
        dry["routing_id"].is_null() && dry["booking_url"].is_null() && dry["lead_id"].is_null()
    );
    assert_eq!(dry["matched_rule"], 1);
    assert_eq!(dry["evaluations"][1]["conditions"][2]["actual"], "linkedin");
    assert_eq!(dry["candidates"].as_array().unwrap().len(), 4);
    let leads: Value = app
        .get_json("/api/v1/leads", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        leads["items"].as_array().unwrap().len(),
        0,
        "a dry run keeps no lead"
    );

    for index in 0..8 {
        app.post_json(
            "/api/v1/leads",
            &app.admin_key,
            &hot(
                &format!("p{index}@bigco{index}.example"),
                json!({"attributes": {"country": "DE"}}),
            ),
        )
        .await;
    }
    app.create_lead("cold@smallco.example", false).await;
    let replay = app
        .post_json(
            &format!("/api/v1/routers/{id}/replay"),
            &marketer,
            &json!({"from": "2000-01-01", "to": "2100-01-01"}),
        )
        .await;
    assert_eq!(replay.status(), 200);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["leads"], 9);
    assert_eq!(
        replay["decisions"],
        json!({"book": 8, "request": 0, "disqualified": 1})
    );
    let by_host = replay["by_host"].as_array().unwrap();
    assert_eq!(
        by_host.len(),
        4,
        "equal weights share the bookings: {replay}"
    );
    assert!(by_host.iter().all(|h| h["count"] == 2));
    let routings: Value = app
        .get_json("/api/v1/events?type=routing.decided", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        routings["items"].as_array().unwrap().is_empty(),
        "replays and dry runs record nothing"
    );

    let bad = app
        .post_json(
            &format!("/api/v1/routers/{id}/replay"),
            &marketer,
            &json!({"from": "yesterday"}),
        )
        .await;
    let problem = assert_problem(bad, 422).await;
    assert!(problem["errors"]["from"].is_array() || problem["errors"]["to"].is_array());
}

#[tokio::test]
async fn an_owned_account_goes_to_its_owner_but_free_mail_never_matches() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    create_router(&app, &router_body(&setup, "web-demo")).await;
    let owner = &setup.hosts[2];
    for email in ["first@acme.example", "first@gmail.com"] {
        let lead = app.create_lead(email, true).await;
        let owned = app
            .patch_json(
                &format!("/api/v1/leads/{}", lead["id"].as_str().unwrap()),
                &app.admin_key,
                &json!({"owner_id": owner}),
            )
            .await;
        assert_eq!(owned.status(), 200);
        let owned: Value = owned.json().await.unwrap();
        assert_eq!(owned["owner_id"], owner.as_str());
    }
    let unknown = app
        .patch_json(
            "/api/v1/leads/00000000-0000-0000-0000-000000000000",
            &app.admin_key,
            &json!({"owner_id": null}),
        )
        .await;
    assert_problem(unknown, 404).await;
    let lead = app.create_lead("x@acme.example", true).await;
    let bad_owner = app
        .patch_json(
            &format!("/api/v1/leads/{}", lead["id"].as_str().unwrap()),
            &app.admin_key,
            &json!({"owner_id": "nobody"}),
        )
        .await;
    assert_problem(bad_owner, 422).await;

    let colleague: Value = submit(
        &app,
        "web-demo",
        &hot(
            "second@acme.example",
            json!({"attributes": {"country": "DE"}}),
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(colleague["host_ids"], json!([owner]));
    let decided = routing(&app, &colleague["routing_id"]).await;
    assert!(
        decided["reason"]
            .as_str()
            .unwrap()
            .starts_with("account owner"),
        "{decided}"
    );

    let free_mail: Value = submit(
        &app,
        "web-demo",
        &hot("second@gmail.com", json!({"attributes": {"country": "DE"}})),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(free_mail["host_ids"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn every_operator_and_nesting_decides_through_the_api() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    let cases = [
        (
            json!({"field": "company", "op": "eq", "value": "bigco"}),
            true,
        ),
        (
            json!({"field": "company", "op": "neq", "value": "BigCo"}),
            false,
        ),
        (
            json!({"field": "temperature", "op": "in", "value": ["hot"]}),
            true,
        ),
        (
            json!({"field": "stage", "op": "not_in", "value": ["sql"]}),
            false,
        ),
        (json!({"field": "score", "op": "gte", "value": 101}), false),
        (json!({"field": "score", "op": "lte", "value": 100}), true),
        (
            json!({"field": "email_domain", "op": "contains", "value": "bigco"}),
            true,
        ),
        (
            json!({"field": "campaign", "op": "exists", "value": true}),
            false,
        ),
        (
            json!({"any": [{"field": "campaign", "op": "exists"}, {"all": [{"field": "bant.timing", "op": "eq", "value": "now"}, {"field": "attributes.segment", "op": "eq", "value": "smb"}]}]}),
            true,
        ),
    ];
    for (index, (when, expected)) in cases.into_iter().enumerate() {
        let body = json!({"slug": format!("case-{index}"), "name": "Case", "rules": [{"when": when, "then": {"request": {"meeting_type_id": setup.reviewed["id"]}}}],
                          "fallback": {"disqualify": {"message": "No"}}});
        let router = create_router(&app, &body).await;
        let mut lead = hot(
            "op@bigco.example",
            json!({"attributes": {"segment": "SMB"}}),
        );
        lead["dry_run"] = json!(true);
        let answer: Value = app
            .post_json(
                &format!("/api/v1/routers/{}/route", router["id"].as_str().unwrap()),
                &app.admin_key,
                &lead,
            )
            .await
            .json()
            .await
            .unwrap();
        let matched = answer["matched_rule"] == 0;
        assert_eq!(matched, expected, "case {index}: {answer}");
    }
}

#[tokio::test]
async fn a_decision_publishes_routing_decided_as_the_routing_reads_and_signed() {
    let app = crate::webhooks::app_allowing_private_destinations().await;
    let receiver = Receiver::start();
    let webhook = subscribe(&app, &receiver.url, json!(["routing.decided"])).await;
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    let setup = setup(&app).await;
    create_router(&app, &router_body(&setup, "web-demo")).await;

    let answer: Value = submit(
        &app,
        "web-demo",
        &hot(
            "pat@bigco.example",
            json!({"attributes": {"country": "DE"}}),
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let decided = routing(&app, &answer["routing_id"]).await;
    app.run_pending_jobs().await;

    let events: Value = app
        .get_json("/api/v1/events?type=routing.decided", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let events = events["items"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["data"], decided,
        "the event carries the routing as GET shows it"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].header("webhook-id"),
        events[0]["id"].as_str().unwrap()
    );
    assert_eq!(received[0].json(), events[0]);
    assert_eq!(
        reference_library_verifies(&received[0], &[&secret]).await,
        [true]
    );
}

#[tokio::test]
async fn a_routed_lead_that_does_not_book_gets_one_follow_up_with_its_link() {
    let app =
        crate::helpers::spawn_app_with(|settings| settings.routers.follow_up_after_minutes = 0)
            .await;
    let setup = setup(&app).await;
    create_router(&app, &router_body(&setup, "web-demo")).await;
    let waiting: Value = submit(
        &app,
        "web-demo",
        &hot(
            "waits@bigco.example",
            json!({"attributes": {"country": "DE"}}),
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let booking: Value = submit(
        &app,
        "web-demo",
        &hot(
            "books@other.example",
            json!({"attributes": {"country": "DE"}}),
        ),
    )
    .await
    .json()
    .await
    .unwrap();
    let url = booking["booking_url"].as_str().unwrap();
    let booked = book_routed(&app, url, "books@other.example").await;
    assert_eq!(booked.status(), 201);

    app.run_pending_jobs().await;
    app.run_pending_jobs().await;
    let emails: Value = app
        .get_json("/api/v1/emails?kind=routing_follow_up", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let emails = emails["items"].as_array().unwrap();
    assert_eq!(emails.len(), 1, "{emails:?}");
    assert_eq!(emails[0]["to"], "waits@bigco.example");
    let waiting_slug = slug_of(waiting["booking_url"].as_str().unwrap());
    let funnel: Value = app
        .get_json(
            "/api/v1/reports/funnel?from=2000-01-01&to=2100-01-01",
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            funnel["routed"].as_i64(),
            funnel["routed_not_booked"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let link = crate::followups::link_in(&app, emails[0]["id"].as_str().unwrap(), "/book/");
    assert_eq!(
        link,
        format!("/book/{waiting_slug}"),
        "the email carries the lead's link"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by scripts/bench-routers.sh"]
async fn routing_decisions_over_twenty_hosts_take_under_five_ms_at_the_median() {
    let app = spawn_app().await;
    let mut hosts = Vec::new();
    for index in 0..20 {
        hosts.push(always_available_host(&app, &format!("host{index}@ourco.example")).await);
    }
    let meeting_type = app
        .create_meeting_type(
            "demo",
            &hosts,
            json!({"host_mode": "round_robin", "requires_approval": false, "min_notice_minutes": 0, "slot_step_minutes": 15}),
        )
        .await;
    let body = json!({"slug": "bench", "name": "Bench", "rules": [
        {"when": {"all": [{"field": "score", "op": "gte", "value": 50}, {"any": [
            {"field": "country", "op": "in", "value": ["DE", "AT", "CH"]},
            {"field": "utm_source", "op": "eq", "value": "linkedin"}]}]},
         "then": {"book": {"meeting_type_id": meeting_type["id"], "prefer_owner": true}}}],
        "fallback": {"disqualify": {"message": "No"}}});
    create_router(&app, &body).await;
    let rounds = 300;
    let mut took = Vec::with_capacity(rounds);
    for index in 0..rounds {
        let lead = hot(
            &format!("p{index}@company{index}.example"),
            json!({"attributes": {"country": "DE"}}),
        );
        let started = std::time::Instant::now();
        let response = submit(&app, "bench", &lead).await;
        took.push(started.elapsed());
        assert_eq!(response.status(), 200);
    }
    took.sort();
    let p50 = took[rounds / 2];
    let p99 = took[rounds * 99 / 100];
    println!(
        "routing decisions over 20 hosts, SQLite: p50 {p50:?}, p99 {p99:?} ({rounds} requests)"
    );
    if !cfg!(debug_assertions) {
        assert!(
            p50 <= std::time::Duration::from_millis(5)
                && p99 <= std::time::Duration::from_millis(20),
            "p50 {p50:?}, p99 {p99:?}"
        );
    }
}

async fn admin_page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn admin_post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn marketers_write_test_replay_and_delete_routers_in_the_admin_ui() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    app.create_user_with_password("mkt@ourco.example", "marketer");
    crate::admin_ui::sign_in(&app, "mkt@ourco.example", crate::helpers::TEST_PASSWORD).await;
    let (status, list) = admin_page(&app, "/admin/routers").await;
    assert_eq!(status, 200);
    assert!(list.contains("Add a router") && list.contains("href=\"/admin/routers\""));
    let token = crate::helpers::csrf_token_in(&list);

    let rules = json!([{"when": {"all": [{"field": "a_typo", "op": "eq", "value": 1}]},
                        "then": {"book": {"meeting_type_id": setup.round_robin["id"]}}}])
    .to_string();
    let refused = admin_post(
        &app,
        "/admin/routers",
        &[
            ("csrf_token", &token),
            ("name", "Website"),
            ("slug", "website"),
            ("rules", &rules),
            ("fallback", "{not json"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 200);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Nothing was saved")
            && html.contains("fallback")
            && html.contains("not valid JSON"),
        "{html}"
    );
    let refused = admin_post(
        &app,
        "/admin/routers",
        &[
            ("csrf_token", &token),
            ("name", "Website"),
            ("slug", "website"),
            ("rules", &rules),
            ("fallback", r#"{"disqualify": {"message": "Thanks"}}"#),
        ],
    )
    .await;
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("rules[0].when.all[0].field") && html.contains("Website"),
        "the rule is named and the form keeps what was typed: {html}"
    );

    let rules = json!([
        {"when": {"all": [{"field": "score", "op": "gte", "value": 60},
                          {"any": [{"field": "country", "op": "eq", "value": "DE"},
                                   {"field": "utm_source", "op": "eq", "value": "linkedin"}]}]},
         "then": {"book": {"meeting_type_id": setup.round_robin["id"]}}}
    ])
    .to_string();
    let created = admin_post(
        &app,
        "/admin/routers",
        &[
            ("csrf_token", &token),
            ("name", "Website"),
            ("slug", "website"),
            ("rules", &rules),
            (
                "fallback",
                r#"{"disqualify": {"message": "Thanks, we will write."}}"#,
            ),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let router_path = location.trim_end_matches("?saved=1").to_owned();
    let (_, detail) = admin_page(&app, &location).await;
    assert!(
        detail.contains("score ≥ 60 and (country is “DE” or utm_source is “linkedin”)")
            && detail.contains("Offer times for Meeting demo")
            && detail.contains("Turn away: “Thanks, we will write.”")
            && detail.contains("data-convene-router=\"website\""),
        "the rules read in words and the site snippet is there: {detail}"
    );

    let leads_before: Value = app
        .get_json("/api/v1/leads", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let (status, tested) = admin_page(
        &app,
        &format!("{router_path}/test?email=ana%40bigco.example&name=Ana&a_country=DE&bant_budget=true&bant_authority=true&bant_need=true&title=CEO"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        tested.contains("id=\"test-result\"")
            && tested.contains("Decision: book")
            && tested.contains("by rule 0")
            && tested.contains("Candidate hosts"),
        "{tested}"
    );
    let (_, away) = admin_page(
        &app,
        &format!("{router_path}/test?email=bo%40smallco.example&name=Bo&a_country=FR"),
    )
    .await;
    assert!(
        away.contains("Decision: disqualified") && away.contains("the fallback"),
        "{away}"
    );
    let (_, bad) = admin_page(&app, &format!("{router_path}/test?email=not-an-email")).await;
    assert!(bad.contains("class=\"alert\""), "{bad}");
    let leads_after: Value = app
        .get_json("/api/v1/leads", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        leads_before["items"].as_array().unwrap().len(),
        leads_after["items"].as_array().unwrap().len(),
        "a test writes nothing"
    );

    app.create_lead("hot@bigco.com", true).await;
    let (_, replayed) = admin_page(
        &app,
        &format!("{router_path}/replay?from=2000-01-01&to=2100-01-01"),
    )
    .await;
    assert!(replayed.contains("id=\"replay-result\""), "{replayed}");
    let (_, backwards) = admin_page(
        &app,
        &format!("{router_path}/replay?from=2030-01-01&to=2020-01-01"),
    )
    .await;
    assert!(backwards.contains("must not be before from"), "{backwards}");

    let fallback = r#"{"request": {"meeting_type_id": "MT"}}"#
        .replace("MT", setup.reviewed["id"].as_str().unwrap());
    let saved = admin_post(
        &app,
        &router_path,
        &[
            ("csrf_token", &token),
            ("name", "Website v2"),
            ("slug", "website"),
            ("rules", &rules),
            ("fallback", &fallback),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let router: Value = app
        .get_json(
            &format!(
                "/api/v1/routers/{}",
                router_path.rsplit('/').next().unwrap()
            ),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(router["version"], 2);
    assert_eq!(router["name"], "Website v2");

    let deleted = admin_post(
        &app,
        &format!("{router_path}/delete"),
        &[("csrf_token", &token)],
    )
    .await;
    assert_eq!(deleted.status(), 303);
    let (status, _) = admin_page(&app, &router_path).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_routing_report_counts_decisions_per_router_and_meetings_per_host() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    let router = create_router(&app, &router_body(&setup, "website")).await;
    let routed = |email: &'static str, country: &'static str| json!({"email": email, "name": "Pat", "title": "CEO", "bant": {"budget": true, "authority": true, "need": true, "timing": "now"}, "attributes": {"country": country}});
    let booked: Value = submit(&app, "website", &routed("a@bigco.example", "DE"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(booked["decision"], "book");
    assert_eq!(
        book_routed(
            &app,
            booked["booking_url"].as_str().unwrap(),
            "a@bigco.example"
        )
        .await
        .status(),
        201
    );
    let offered: Value = submit(&app, "website", &routed("b@bigco.example", "DE"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(offered["decision"], "book");
    submit(
        &app,
        "website",
        &json!({"email": "c@competitor.example", "name": "C"}),
    )
    .await;

    let report: Value = app
        .get_json("/api/v1/reports/routing", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let row = &report["routers"][0];
    assert_eq!(row["router_id"], router["id"]);
    assert_eq!(row["name"], "Website demo form");
    assert_eq!(
        row["decisions"],
        json!({"book": 2, "request": 0, "disqualified": 1})
    );
    assert_eq!(row["booked"], 1);
    assert_eq!(report["hosts"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["hosts"][0]["meetings"], 1);
    assert!(setup
        .hosts
        .contains(&report["hosts"][0]["host_id"].as_str().unwrap().to_owned()));
    let (_, html) = {
        app.create_user_with_password("lead@ourco.example", "admin");
        crate::admin_ui::sign_in(&app, "lead@ourco.example", crate::helpers::TEST_PASSWORD).await;
        admin_page(&app, "/admin/reports").await
    };
    assert!(
        html.contains("id=\"routing-table\"") && html.contains("Website demo form"),
        "{html}"
    );
    let host_key = app.key_for(Role::Host);
    assert_problem(
        app.get_json("/api/v1/reports/routing", &host_key).await,
        403,
    )
    .await;
}

/// Routes and books one hot lead from Germany, returning who got the meeting and its request.
async fn routed_booking(app: &TestApp, email: &str) -> (String, String) {
    let answer: Value = submit(
        app,
        "website",
        &hot(email, json!({"attributes": {"country": "DE"}})),
    )
    .await
    .json()
    .await
    .unwrap();
    let booked: Value = book_routed(app, answer["booking_url"].as_str().unwrap(), email)
        .await
        .json()
        .await
        .unwrap();
    let decided = routing(app, &answer["routing_id"]).await;
    let host = decided["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|candidate| candidate["chosen"] == true)
        .unwrap()["host_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (
        host,
        booked["meeting_request_id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn no_shows_count_toward_a_hosts_share_only_when_the_setting_says_so() {
    for counted in [true, false] {
        let app = crate::helpers::spawn_app_with(|settings| {
            settings.routers.ledger_counts_no_shows = counted;
        })
        .await;
        let setup = setup(&app).await;
        create_router(&app, &router_body(&setup, "website")).await;
        let (first_host, request_id) = routed_booking(&app, "one@bigco.example").await;
        {
            use diesel::RunQueryDsl;
            let mut conn = app.db.connection().unwrap();
            diesel::sql_query(format!(
                "UPDATE meetings SET status = 'no_show' WHERE meeting_request_id = '{request_id}'"
            ))
            .execute(&mut *conn)
            .unwrap();
        }
        let dry: Value = app
            .post_json(
                &format!("/api/v1/routers/{}/route", first_router_id(&app).await),
                &app.admin_key,
                &{
                    let mut body = hot(
                        "two@bigco.example",
                        json!({"attributes": {"country": "DE"}}),
                    );
                    body["dry_run"] = json!(true);
                    body
                },
            )
            .await
            .json()
            .await
            .unwrap();
        let load = dry["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|candidate| candidate["host_id"] == json!(first_host))
            .unwrap()["assigned_in_window"]
            .clone();
        assert_eq!(load, json!(u32::from(counted)), "counted: {counted}: {dry}");
    }
}

async fn first_router_id(app: &TestApp) -> String {
    let routers: Value = app
        .get_json("/api/v1/routers", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    routers["items"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn each_meeting_type_sets_the_window_its_round_robin_balances() {
    let app = spawn_app().await;
    let setup = setup(&app).await;
    assert_eq!(setup.round_robin["round_robin_window_days"], 30);
    let type_path = format!(
        "/api/v1/meeting-types/{}",
        setup.round_robin["id"].as_str().unwrap()
    );
    let refused = app
        .patch_json(
            &type_path,
            &app.admin_key,
            &json!({"round_robin_window_days": 0}),
        )
        .await;
    let problem = assert_problem(refused, 422).await;
    assert!(
        problem["errors"]["round_robin_window_days"].is_array(),
        "{problem}"
    );

    let router = create_router(&app, &router_body(&setup, "website")).await;
    let ten_days_ago = (chrono::Utc::now() - chrono::Duration::days(10))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    {
        use diesel::RunQueryDsl;
        let mut conn = app.db.connection().unwrap();
        diesel::sql_query(format!(
            "INSERT INTO round_robin_assignments (id, meeting_type_id, host_id, routing_id, meeting_request_id, owner_routed, assigned_at) \
             VALUES ('old-assignment', '{}', '{}', NULL, NULL, false, '{ten_days_ago}')",
            setup.round_robin["id"].as_str().unwrap(),
            setup.hosts[0],
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    assert_eq!(first_host_load(&app, &router, &setup.hosts[0]).await, 1);
    let patched = app
        .patch_json(
            &type_path,
            &app.admin_key,
            &json!({"round_robin_window_days": 7}),
        )
        .await;
    assert_eq!(patched.status(), 200);
    assert_eq!(first_host_load(&app, &router, &setup.hosts[0]).await, 0);
}

/// The assignments in the window of `host` as a dry run through `router` sees them.
async fn first_host_load(app: &TestApp, router: &Value, host: &str) -> Value {
    let path = format!("/api/v1/routers/{}/route", router["id"].as_str().unwrap());
    let mut body = hot("w@bigco.example", json!({"attributes": {"country": "DE"}}));
    body["dry_run"] = json!(true);
    let dry: Value = app
        .post_json(&path, &app.admin_key, &body)
        .await
        .json()
        .await
        .unwrap();
    dry["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|candidate| candidate["host_id"] == json!(host))
        .unwrap()["assigned_in_window"]
        .clone()
}
