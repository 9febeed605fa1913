use std::time::{Duration, Instant};

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

/// How long a test waits for the running worker; generous, for slow machines.
const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn healthz_reports_service_database_and_worker() {
    let app = spawn_app_with(|settings| settings.worker.enabled = true).await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["database"], "ok", "{body}");
    assert!(
        ["ok", "starting"].contains(&body["worker"].as_str().unwrap()),
        "{body}"
    );
}

#[tokio::test]
async fn healthz_says_when_this_instance_runs_no_worker() {
    // A worker allowed no time at all would be reported stalled at once; none runs here.
    let app = spawn_app_with(|settings| {
        settings.worker.enabled = false;
        settings.worker.stalled_after_secs = 0;
    })
    .await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["worker"], "disabled", "{body}");
    assert!(body.get("reasons").is_none(), "{body}");
}

#[tokio::test]
async fn healthz_reports_a_stalled_worker_with_its_reason() {
    // The worker's first round runs at once; the next would come only after an hour.
    let app = spawn_app_with(|settings| {
        settings.worker.enabled = true;
        settings.worker.poll_ms = 3_600_000;
        settings.worker.stalled_after_secs = 1;
    })
    .await;
    let started = Instant::now();
    let last_round = loop {
        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
        let metrics = metrics.text().await.unwrap();
        assert!(metrics.contains("convene_outbox_scheduled "), "{metrics}");
        let last_round: i64 = metrics
            .lines()
            .find_map(|line| line.strip_prefix("convene_worker_last_round_timestamp "))
            .expect("the worker gauge is exported")
            .trim()
            .parse()
            .unwrap();
        if last_round > 0 {
            break last_round;
        }
        assert!(started.elapsed() < WAIT, "the first round never completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!((chrono::Utc::now().timestamp() - last_round).abs() < 60);
    let body = loop {
        let response = app.client.get(app.url("/healthz")).send().await.unwrap();
        if response.status() == 503 {
            break response.json::<serde_json::Value>().await.unwrap();
        }
        assert!(started.elapsed() < WAIT, "never reported stalled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["status"], "degraded", "{body}");
    assert_eq!(body["database"], "ok", "{body}");
    assert_eq!(body["worker"], "stalled", "{body}");
    assert!(
        body["reasons"][0]
            .as_str()
            .unwrap()
            .contains("has not completed a round for"),
        "{body}"
    );
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_latency_histograms() {
    let app = spawn_app().await;
    app.client.get(app.url("/healthz")).send().await.unwrap();
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("convene_http_requests_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("endpoint=\"/healthz\""), "{text}");
}

async fn openapi_document(app: &TestApp) -> serde_json::Value {
    let response = app.client.get(app.url("/api/openapi.json")).send().await;
    response.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn openapi_document_describes_the_users_api() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/api/v1/users", "/api/v1/users/{id}"] {
        assert!(doc["paths"][path].is_object(), "missing {path}");
    }
    assert!(doc["components"]["securitySchemes"]["api_key"].is_object());
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = spawn_app().await;
    for path in ["/healthz", "/admin/login", "/nowhere"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let csp = headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(headers.get("referrer-policy").unwrap(), "no-referrer");
    }
}

#[tokio::test]
async fn every_documented_api_operation_is_served_and_declares_its_problems() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let page = responses
                .values()
                .any(|r| r["content"].get("text/html").is_some());
            for (status, response) in responses {
                let is_problem = response["content"]
                    .get("application/problem+json")
                    .is_some();
                if status.starts_with('4') && (!page || status == "429") {
                    assert!(is_problem, "{method} {path}: {status} is not a problem");
                }
            }
            if !path.starts_with("/api/v1/") {
                continue;
            }
            operations += 1;
            assert!(responses.contains_key("401"), "{method} {path}");
            if operation["requestBody"]["content"]
                .get("application/json")
                .is_some()
            {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path}: {status}");
                }
            }
            let concrete = path.replace("{id}", "0190c0de-0000-7000-8000-000000000000");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let answer = app
                .client
                .request(method.clone(), app.url(&concrete))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 401, "{method} {path} is not served");
        }
    }
    assert!(operations >= 35, "only {operations} /api/v1 operations");
}
