//! The real `convene serve` with both calendar providers (the local fakes) connected, driven
//! through every token path: code exchange, refresh, rotation, a 401, a refused grant, event
//! writes and a disconnect. Afterwards no token, code, verifier or client secret may appear in
//! anything the server printed or answered.

#[path = "support/fake_providers.rs"]
#[allow(dead_code)]
mod fake_providers;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use fake_providers::FakeProviders;
use serde_json::{json, Value};

struct Server {
    child: std::process::Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database_url: &str, fake: &FakeProviders, outbox: &std::path::Path) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_convene"));
    command
        .args(["--database-url", database_url, "serve"])
        .env("RUST_LOG", "debug")
        .env("CONVENE__SERVER__BIND", "127.0.0.1:0")
        .env("CONVENE__LOG__FORMAT", "json")
        .env("CONVENE__EMAIL__FILE_DIR", outbox)
        .env("CONVENE__WORKER__POLL_MS", "100")
        .env("CONVENE__CALENDARS__FREEBUSY_TTL_SECS", "0")
        .env("CONVENE__PUBLIC__SLOTS_CACHE_MS", "0")
        .env("CONVENE__PUBLIC__REQUESTS_PER_MINUTE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in fake.env() {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let stdout = child.stdout.take().unwrap();
    let into_log = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            into_log.lock().unwrap().push_str(&line);
            into_log.lock().unwrap().push('\n');
        }
    });
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines.next().expect("server printed its port").unwrap();
        log.lock().unwrap().push_str(&line);
        if line.contains("convene is listening") {
            let value: Value = serde_json::from_str(&line).unwrap();
            break value["port"].as_u64().unwrap() as u16;
        }
    };
    let into_log = log.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut log = into_log.lock().unwrap();
            log.push_str(&line);
            log.push('\n');
        }
    });
    Server { child, port, log }
}

/// Every body the server answered, kept to be searched afterwards.
struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    answers: Mutex<Vec<String>>,
}

impl Client {
    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|value| value.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        let mut answers = self.answers.lock().unwrap();
        answers.push(text.clone());
        answers.extend(location);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .json(&body);
        self.send(request).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        self.send(request).await
    }

    /// The browser's round trip through the provider back to the callback.
    async fn connect(
        &self,
        fake: &FakeProviders,
        user_id: &str,
        provider: &str,
        account: &str,
    ) -> u16 {
        let (status, started) = self
            .post(
                "/api/v1/calendar-connections",
                json!({"user_id": user_id, "provider": provider}),
            )
            .await;
        assert_eq!(status, 201);
        fake.next_account(provider, account).await;
        let consent = self
            .http
            .get(started["authorization_url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        let location = url::Url::parse(consent.headers()["location"].to_str().unwrap()).unwrap();
        let path = format!("{}?{}", location.path(), location.query().unwrap());
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await.0
    }
}

fn api_key(database_url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args([
            "--database-url",
            database_url,
            "api-key",
            "create",
            "--name",
            "test",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn no_token_or_secret_reaches_logs_or_answers() {
    let fake = FakeProviders::start();
    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}", dir.path().join("secrets.db").display());
    let key = api_key(&database_url);
    let server = serve(&database_url, &fake, &dir.path().join("outbox"));
    let client = Client {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: format!("http://127.0.0.1:{}", server.port),
        key,
        answers: Mutex::default(),
    };
    let every_day = json!({"mon": [["00:00","24:00"]], "tue": [["00:00","24:00"]], "wed": [["00:00","24:00"]], "thu": [["00:00","24:00"]], "fri": [["00:00","24:00"]], "sat": [["00:00","24:00"]], "sun": [["00:00","24:00"]]});
    let mut hosts = Vec::new();
    for (email, provider, account) in [
        ("grace@example.com", "google", "grace@example.com"),
        ("mike@example.com", "microsoft", "mike@contoso.com"),
    ] {
        let (status, user) = client
            .post("/api/v1/users", json!({"email": email, "name": email, "role": "host", "timezone": "UTC", "working_hours": every_day}))
            .await;
        assert_eq!(status, 201);
        let id = user["id"].as_str().unwrap().to_owned();
        assert_eq!(client.connect(&fake, &id, provider, account).await, 200);
        hosts.push(id);
    }
    let (_, meeting_type) = client
        .post("/api/v1/meeting-types", json!({"slug": "intro", "name": "Intro", "duration_minutes": 30, "host_ids": hosts, "host_mode": "collective", "requires_approval": false, "min_notice_minutes": 0}))
        .await;
    let (_, link) = client
        .post(
            "/api/v1/booking-links",
            json!({"meeting_type_id": meeting_type["id"]}),
        )
        .await;
    let slug = link["slug"].as_str().unwrap().to_owned();
    let day = (Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let (_, slots) = client
        .get(&format!("/book/{slug}/slots?from={day}&to={day}&tz=UTC"))
        .await;
    let start = slots["slots"][0]["start"].as_str().unwrap().to_owned();
    let (status, _) = client
        .post(&format!("/book/{slug}"), json!({"start": start, "name": "Pat", "email": "pat@prospect.example", "timezone": "UTC"}))
        .await;
    assert_eq!(status, 201);
    wait_until("both events", || async {
        !fake.events("google", "grace@example.com").await.is_empty()
            && !fake
                .events("microsoft", "mike@contoso.com")
                .await
                .is_empty()
    })
    .await;

    // A 401 and a refresh (Google), then a refused grant (Microsoft), then a code used twice.
    fake.control("expire-access-tokens", json!({"provider": "google"}))
        .await;
    fake.control("revoke-refresh-tokens", json!({"provider": "microsoft"}))
        .await;
    fake.control("expire-access-tokens", json!({"provider": "microsoft"}))
        .await;
    let (_, degraded) = client
        .get(&format!("/book/{slug}/slots?from={day}&to={day}&tz=UTC"))
        .await;
    assert_eq!(degraded["degraded_hosts"], json!([hosts[1]]));
    let (_, listed) = client
        .get(&format!("/api/v1/users/{}/calendar-connections", hosts[1]))
        .await;
    assert_eq!(listed["items"][0]["status"], "error");
    let (_, meetings) = client.get("/api/v1/meetings").await;
    let meeting_id = meetings["items"][0]["id"].as_str().unwrap().to_owned();
    client.get(&format!("/api/v1/meetings/{meeting_id}")).await;
    let (_, google) = client
        .get(&format!("/api/v1/users/{}/calendar-connections", hosts[0]))
        .await;
    let connection_id = google["items"][0]["id"].as_str().unwrap().to_owned();
    let request = client
        .http
        .delete(format!(
            "{}/api/v1/calendar-connections/{connection_id}",
            client.base
        ))
        .bearer_auth(&client.key);
    assert_eq!(client.send(request).await.0, 204);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut secrets = fake.issued_tokens("google").await;
    secrets.extend(fake.issued_tokens("microsoft").await);
    assert!(
        secrets.len() >= 5,
        "tokens were issued and refreshed: {}",
        secrets.len()
    );
    for request in fake.requests("/").await {
        for field in ["code", "code_verifier", "refresh_token", "client_secret"] {
            if let Some(value) = request["form"][field].as_str() {
                secrets.push(value.to_owned());
            }
        }
    }
    secrets.extend(["google-secret".to_owned(), "ms-secret".to_owned()]);
    secrets.push(fake_providers::TOKEN_KEY.to_owned());
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains("a calendar grant was refused"),
        "the refused grant was logged, so the log holds the calendar paths"
    );
    let answers = client.answers.lock().unwrap().join("\n");
    for secret in secrets.iter().filter(|secret| secret.len() >= 8) {
        assert!(
            !log.contains(secret.as_str()),
            "a secret reached the log: {}…",
            &secret[..6]
        );
        assert!(
            !answers.contains(secret.as_str()),
            "a secret reached an answer: {}…",
            &secret[..6]
        );
    }
}
