use std::time::{Duration, Instant};

use convene::auth::roles::Role;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

async fn post_lead(app: &TestApp, body: Value) -> reqwest::Response {
    app.post_json("/api/v1/leads", &app.admin_key, &body).await
}

async fn import_csv(app: &TestApp, csv: impl Into<reqwest::Body>) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/leads/import"))
        .bearer_auth(&app.admin_key)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn fully_qualified_lead_is_hot_and_sql_and_an_empty_one_is_cold_and_new() {
    let app = spawn_app().await;
    let hot = post_lead(&app, json!({"email": "cfo@bigco.com", "name": "Casey CFO", "bant": {"budget": true, "authority": true, "need": true, "timing": "now"}})).await;
    assert_eq!(hot.status(), 201);
    let hot: Value = hot.json().await.unwrap();
    assert_eq!(
        (hot["temperature"].as_str(), hot["stage"].as_str()),
        (Some("hot"), Some("sql"))
    );
    let cold: Value = post_lead(
        &app,
        json!({"email": "someone@example.com", "name": "Someone"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        (
            cold["temperature"].as_str(),
            cold["stage"].as_str(),
            cold["score"].as_u64()
        ),
        (Some("cold"), Some("new"), Some(0))
    );
}

#[tokio::test]
async fn detail_explains_the_score_rule_by_rule() {
    let app = spawn_app().await;
    let lead: Value = post_lead(&app, json!({"email": "vp@example.com", "name": "Val", "title": "VP Marketing", "source": "Referral", "bant": {"budget": true, "timing": "this_quarter"}})).await.json().await.unwrap();
    let detail: Value = app
        .get_json(
            &format!("/api/v1/leads/{}", lead["id"].as_str().unwrap()),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    let explanation = detail["score_explanation"].as_array().unwrap();
    let total: i64 = explanation
        .iter()
        .map(|c| c["points"].as_i64().unwrap())
        .sum();
    assert_eq!(total, detail["score"].as_i64().unwrap());
    let rules: Vec<&str> = explanation
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"bant.budget")
            && rules.iter().any(|r| r.starts_with("title"))
            && rules.iter().any(|r| r.starts_with("sources")),
        "{rules:?}"
    );
}

#[tokio::test]
async fn same_lead_twice_is_one_lead_updated() {
    let app = spawn_app().await;
    let body = json!({"email": "Repeat@Example.com", "name": "Repeat", "company": "Acme"});
    let first = post_lead(&app, body.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let second = post_lead(
        &app,
        json!({"email": "repeat@example.com", "name": "Repeat Again"}),
    )
    .await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["name"], "Repeat Again");
    assert_eq!(second["company"], "Acme", "fields not sent are kept");
}

#[tokio::test]
async fn ten_concurrent_intakes_of_one_payload_make_one_lead() {
    let app = spawn_app().await;
    let body = json!({"email": "race@example.com", "name": "Race", "external_id": "crm-42"});
    let responses =
        futures_util::future::join_all((0..10).map(|_| post_lead(&app, body.clone()))).await;
    let mut statuses = Vec::new();
    for response in responses {
        let status = response.status().as_u16();
        let body = if status == 200 || status == 201 {
            String::new()
        } else {
            response.text().await.unwrap()
        };
        statuses.push((status, body));
    }
    assert_eq!(
        statuses.iter().filter(|(s, _)| *s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|(s, _)| *s == 200).count(),
        9,
        "{statuses:?}"
    );
    let list: Value = app
        .get_json("/api/v1/leads", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn external_id_wins_over_email_and_contradictions_are_conflicts() {
    let app = spawn_app().await;
    let a: Value = post_lead(
        &app,
        json!({"email": "a@example.com", "name": "A", "external_id": "crm-1"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let moved = post_lead(
        &app,
        json!({"email": "a.new@example.com", "name": "A", "external_id": "crm-1"}),
    )
    .await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(
        (moved["id"].clone(), moved["email"].as_str()),
        (a["id"].clone(), Some("a.new@example.com"))
    );
    post_lead(
        &app,
        json!({"email": "b@example.com", "name": "B", "external_id": "crm-2"}),
    )
    .await;
    assert_problem(
        post_lead(
            &app,
            json!({"email": "b@example.com", "name": "B", "external_id": "crm-1"}),
        )
        .await,
        409,
    )
    .await;
    assert_problem(
        post_lead(
            &app,
            json!({"email": "b@example.com", "name": "B", "external_id": "crm-3"}),
        )
        .await,
        409,
    )
    .await;
}

#[tokio::test]
async fn rescoring_never_moves_the_stage_back() {
    let app = spawn_app().await;
    let sql: Value = post_lead(&app, json!({"email": "s@example.com", "name": "S", "bant": {"budget": true, "authority": true, "need": true, "timing": "now"}})).await.json().await.unwrap();
    assert_eq!(sql["stage"], "sql");
    let later: Value = post_lead(
        &app,
        json!({"email": "s@example.com", "name": "S", "bant": {"timing": "later"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(later["score"].as_u64() < sql["score"].as_u64());
    assert_eq!(later["stage"], "sql");
}

#[tokio::test]
async fn bad_leads_are_refused_with_field_errors_and_nothing_saved() {
    let app = spawn_app().await;
    let response = post_lead(&app, json!({"email": "x", "name": "", "timezone": "Nowhere/City", "bant": {"timing": "whenever"}})).await;
    let problem = assert_problem(response, 422).await;
    for field in ["email", "name", "timezone", "bant.timing"] {
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    assert_problem(
        post_lead(
            &app,
            json!({"email": "a@example.com", "name": "A", "bant": {"budget": "yes"}}),
        )
        .await,
        422,
    )
    .await;
    let list: Value = app
        .get_json("/api/v1/leads", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn roles_decide_who_may_push_and_read_leads() {
    let app = spawn_app().await;
    let body = json!({"email": "r@example.com", "name": "R"});
    assert_eq!(
        app.post_json("/api/v1/leads", &app.key_for(Role::Marketer), &body)
            .await
            .status(),
        201
    );
    assert_problem(
        app.post_json("/api/v1/leads", &app.key_for(Role::MeetingManager), &body)
            .await,
        403,
    )
    .await;
    assert_problem(
        app.post_json("/api/v1/leads", &app.key_for(Role::Host), &body)
            .await,
        403,
    )
    .await;
    assert_eq!(
        app.get_json("/api/v1/leads", &app.key_for(Role::MeetingManager))
            .await
            .status(),
        200
    );
    assert_problem(
        app.get_json("/api/v1/leads", &app.key_for(Role::Host))
            .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn list_filters_and_searches_case_insensitively() {
    let app = spawn_app().await;
    post_lead(&app, json!({"email": "ana@acme.com", "name": "Ana Álvarez", "company": "ACME Corp", "campaign": "spring", "bant": {"budget": true, "authority": true, "need": true, "timing": "now"}})).await;
    post_lead(
        &app,
        json!({"email": "bo@other.com", "name": "Bo", "campaign": "autumn"}),
    )
    .await;
    post_lead(
        &app,
        json!({"email": "cy@acme.com", "name": "Cy", "campaign": "spring"}),
    )
    .await;
    let emails = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = |q: &'static str| {
        let path = format!("/api/v1/leads?{q}");
        let app = &app;
        async move { app.get_json(&path, &app.admin_key).await }
    };
    assert_eq!(
        emails(get("stage=sql").await.json().await.unwrap()),
        ["ana@acme.com"]
    );
    assert_eq!(
        emails(
            get("temperature=cold&campaign=spring")
                .await
                .json()
                .await
                .unwrap()
        ),
        ["cy@acme.com"]
    );
    assert_eq!(
        emails(get("q=acme%20CORP").await.json().await.unwrap()),
        ["ana@acme.com"]
    );
    assert_eq!(
        emails(get("q=ACME.COM").await.json().await.unwrap()).len(),
        2
    );
    assert_eq!(
        emails(get("q=50%25").await.json().await.unwrap()).len(),
        0,
        "wildcards in q are literal"
    );
    assert_problem(get("stage=lukewarm").await, 422).await;
    let first: Value = get("limit=2").await.json().await.unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let rest: Value = app
        .get_json(
            &format!("/api/v1/leads?limit=2&cursor={cursor}"),
            &app.admin_key,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(emails(first).len() + emails(rest.clone()).len(), 3);
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn csv_import_keeps_good_rows_and_reports_bad_ones_by_line() {
    let app = spawn_app().await;
    let csv =
        "\u{feff}email,name,company,bant_budget,bant_authority,bant_need,bant_timing,industry\r\n\
               zoe@example.com,Zoë Ångström,\"Smith, Jones & Co\",yes,yes,yes,now,fintech\r\n\
               not-an-email,Broken,,,,,,\r\n\
               li@example.com,\"Li \"\"The Closer\"\" Wei\",\"Multi\nLine Ltd\",no,,,this_year,\r\n\
               ,Nameless,,,,,,\r\n\
               amy@example.com,Amy,,maybe,,,,\r\n\
               zoe@example.com,Zoë Again,,,,,,\r\n";
    let response = import_csv(&app, csv).await;
    assert_eq!(response.status(), 200);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["created"], 1, "{summary}");
    assert_eq!(summary["updated"], 1, "{summary}");
    let lines: Vec<u64> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 6, 7], "{summary}");
    assert!(summary["rejected"][0]["errors"]["email"].is_array());
    assert!(
        summary["rejected"][1]["errors"]["company"].is_array(),
        "a company is one line: {summary}"
    );
    assert!(summary["rejected"][3]["errors"]["bant_budget"].is_array());
    let list: Value = app
        .get_json("/api/v1/leads?q=zo", &app.admin_key)
        .await
        .json()
        .await
        .unwrap();
    let zoe = &list["items"][0];
    assert_eq!(zoe["name"], "Zoë Again");
    assert_eq!(zoe["company"], "Smith, Jones & Co");
    assert_eq!(zoe["attributes"]["industry"], "fintech");
    assert_eq!(zoe["stage"], "sql");
}

#[tokio::test]
async fn csv_import_refuses_wrong_type_and_missing_columns() {
    let app = spawn_app().await;
    let wrong_type = app
        .client
        .post(app.url("/api/v1/leads/import"))
        .bearer_auth(&app.admin_key)
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_problem(wrong_type, 415).await;
    let problem = assert_problem(import_csv(&app, "name,company\nA,B\n").await, 422).await;
    assert!(problem["errors"]["header"].is_array());
}

#[tokio::test]
async fn csv_import_over_the_size_limit_is_413() {
    let app =
        crate::helpers::spawn_app_with(|settings| settings.leads.import_max_bytes = 10_000).await;
    let mut csv = String::from("email,name\n");
    for n in 0..1000 {
        csv.push_str(&format!("lead{n}@example.com,Lead {n}\n"));
    }
    assert_problem(import_csv(&app, csv).await, 413).await;
}

#[tokio::test]
async fn ten_thousand_rows_import_in_batches() {
    let app = spawn_app().await;
    let mut csv =
        String::from("email,name,title,source,campaign,bant_budget,bant_need,bant_timing\n");
    for n in 0..10_000 {
        csv.push_str(&format!("lead{n}@example.com,Lead Number {n},Director of IT,webinar,bulk-{},yes,{},this_quarter\n", n % 7, n % 2));
    }
    let started = Instant::now();
    let summary: Value = import_csv(&app, csv).await.json().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(summary["created"], 10_000, "{summary}");
    assert_eq!(summary["rejected_count"], 0);
    if !cfg!(debug_assertions) {
        assert!(
            elapsed < Duration::from_secs(5),
            "10,000 rows took {elapsed:?}"
        );
    }
    eprintln!("imported 10,000 rows in {elapsed:?}");
}
